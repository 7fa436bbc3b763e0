"""Named values a notebook hands back to whoever ran it (our small replacement for scrapbook).

In the notebook::

    from therapy_outcomes.rendering.glue import glue
    glue("latest_phq9", 7)
    glue("summary", {"sessions": 6, "reliable_improvement": True})

After the run::

    read_glue("out/C-0001.ipynb")   # {"latest_phq9": 7, "summary": {...}}

A glued value is an output of mimetype :data:`GLUE_MIMETYPE` holding ``{"name", "value"}``.
The HTML report leaves these outputs out (:mod:`therapy_outcomes.rendering.html`). Values must be
JSON: numpy scalars and arrays, dates and NaN (as ``null``) are converted; anything else raises.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing nbformat in a kernel costs 1-3 s (jsonschema)
    import nbformat

__all__ = ["GLUE_MIMETYPE", "glue", "glue_output", "read_glue"]

#: Mimetype of a glued value.
GLUE_MIMETYPE = "application/vnd.therapy-outcomes.glue+json"


def _to_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON types, or TypeError/ValueError naming ``where``."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise ValueError(f"glue value {where} is infinite, which JSON cannot hold")
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"glue value {where} has a key {key!r} that is not text")
            out[key] = _to_json(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [_to_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    # numpy and pandas scalars / arrays without importing them
    kind = type(value).__module__.split(".")[0]
    if kind == "numpy":
        if hasattr(value, "tolist"):
            return _to_json(value.tolist(), where)
    if kind == "pandas" and hasattr(value, "isoformat"):
        return _to_json(value.isoformat(), where)
    if kind == "pandas" and type(value).__name__ in {"NAType", "NaTType"}:
        return None
    raise TypeError(
        f"glue value {where} is a {type(value).__name__}, which is not JSON: "
        "use str, int, float, bool, None, or lists and dicts of these"
    )


def glue_output(name: str, value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (data, metadata) pair :func:`glue` publishes, without publishing it."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue name must be non-empty text, not {name!r}")
    plain = _to_json(value, repr(name))
    data = {GLUE_MIMETYPE: {"name": name, "value": plain}, "text/plain": ""}
    return data, {"therapy_outcomes": {"glue": name}}


def glue(name: str, value: Any) -> None:
    """Record ``value`` under ``name`` in the running notebook's outputs.

    Gluing a name again replaces its value (:func:`read_glue` keeps the last one).
    """
    from IPython.display import display

    data, metadata = glue_output(name, value)
    display(data, raw=True, metadata=metadata)


def _notebook(notebook: str | os.PathLike[str] | nbformat.NotebookNode) -> Any:
    if isinstance(notebook, Mapping):
        return notebook
    with open(notebook, encoding="utf-8") as handle:
        return json.load(handle)


def read_glue(notebook: str | os.PathLike[str] | nbformat.NotebookNode) -> dict[str, Any]:
    """The values glued in an executed notebook, name -> value, in the order first glued.

    Parameters
    ----------
    notebook : path or NotebookNode
        An executed notebook (a file, or the node papermill returned).
    """
    values: dict[str, Any] = {}
    for cell in _notebook(notebook).get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            entry = output.get("data", {}).get(GLUE_MIMETYPE)
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                values[entry["name"]] = _to_json(entry.get("value"), repr(entry["name"]))
    return values
