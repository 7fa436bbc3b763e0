"""The public API is importable from the top level and every function documents itself."""

from __future__ import annotations

import inspect

import pytest

import therapy_outcomes

FUNCTIONS = [
    name for name in therapy_outcomes.__all__ if inspect.isfunction(getattr(therapy_outcomes, name))
]


def test_public_names_resolve():
    missing = [n for n in therapy_outcomes.__all__ if not hasattr(therapy_outcomes, n)]
    assert missing == []
    assert {"load", "score", "reliable_change", "clinical_significance", "gas_tscore"} <= set(
        FUNCTIONS
    )


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_function_has_numpydoc_with_examples(name):
    doc = inspect.getdoc(getattr(therapy_outcomes, name)) or ""
    assert "Parameters" in doc or "Returns" in doc, name
    assert "Examples" in doc, name
