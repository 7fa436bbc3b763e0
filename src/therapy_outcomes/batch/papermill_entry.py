"""The papermill engine entry point (``therapy_outcomes_warm``), kept free of imports.

papermill loads its engine entry points while papermill itself is being imported. If the
entry point named :class:`therapy_outcomes.batch.engine.WarmKernelEngine` directly, importing
that module first would import papermill, which would load the half-imported module again
and fail. This stand-in imports nothing at load time and hands every call to the real engine.

Examples
--------
>>> WarmKernelEngine.__name__
'WarmKernelEngine'
"""

from __future__ import annotations

from typing import Any


class WarmKernelEngine:
    """Delegates to :class:`therapy_outcomes.batch.engine.WarmKernelEngine` on first use."""

    @classmethod
    def execute_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        """papermill's engine call, passed on unchanged."""
        from therapy_outcomes.batch.engine import WarmKernelEngine as Engine

        return Engine.execute_notebook(*args, **kwargs)
