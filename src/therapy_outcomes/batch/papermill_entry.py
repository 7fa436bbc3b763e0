"""The papermill engine entry point (``therapy_outcomes_warm``), kept free of imports.

papermill loads its engine entry points while papermill itself is being imported. If the
entry point named :class:`therapy_outcomes.batch.engine.WarmKernelEngine` directly, importing
that module first would import papermill, which would load the half-imported module again
and fail. This stand-in imports nothing at load time and hands every call papermill makes of
an engine (``execute_notebook``, ``nb_kernel_name``, ``nb_language``) to the real engine, so
``papermill in.ipynb out.ipynb --engine therapy_outcomes_warm`` works from the command line.

Examples
--------
>>> WarmKernelEngine.__name__
'WarmKernelEngine'
>>> import nbformat
>>> kernel = {"name": "python3", "display_name": "Python 3"}
>>> notebook = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
>>> WarmKernelEngine.nb_kernel_name(notebook)
'python3'
"""

from __future__ import annotations

from typing import Any


def _engine() -> Any:
    from therapy_outcomes.batch.engine import WarmKernelEngine as Engine

    return Engine


class WarmKernelEngine:
    """Delegates to :class:`therapy_outcomes.batch.engine.WarmKernelEngine` on first use."""

    @classmethod
    def execute_notebook(cls, *args: Any, **kwargs: Any) -> Any:
        """papermill's engine call, passed on unchanged."""
        return _engine().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, *args: Any, **kwargs: Any) -> Any:
        """The notebook's kernel name, as the real engine says."""
        return _engine().nb_kernel_name(*args, **kwargs)

    @classmethod
    def nb_language(cls, *args: Any, **kwargs: Any) -> Any:
        """The notebook's language, as the real engine says."""
        return _engine().nb_language(*args, **kwargs)
