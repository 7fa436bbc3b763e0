"""Glued values: what a notebook publishes, and reading them back from an executed notebook."""

from __future__ import annotations

import datetime as dt
import json

import nbformat
import numpy as np
import pytest

from therapy_outcomes.rendering.glue import GLUE_MIMETYPE, glue, glue_output, read_glue


def _notebook(*pairs: tuple[str, object]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    for name, value in pairs:
        data, metadata = glue_output(name, value)
        cell.outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=metadata))
    nb.cells = [nbformat.v4.new_markdown_cell("# x"), cell]
    return nb


def test_glue_output_is_one_custom_mimetype_and_an_empty_text():
    data, metadata = glue_output("latest", 7)
    assert data == {GLUE_MIMETYPE: {"name": "latest", "value": 7}, "text/plain": ""}
    assert metadata == {"therapy_outcomes": {"glue": "latest"}}


def test_read_glue_round_trip_through_a_file(tmp_path):
    values = {
        "client_id": "C-0001",
        "latest": 7,
        "rci": 5.2,
        "improved": True,
        "missing": None,
        "summary": {"sessions": 6, "scores": [18, 7], "bands": {"first": "moderate"}},
    }
    nb = _notebook(*values.items())
    nbformat.validate(nb)
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    assert read_glue(path) == values
    assert read_glue(str(path)) == values
    assert read_glue(nbformat.read(path, as_version=4)) == values
    assert json.dumps(read_glue(path))  # plain JSON types


def test_later_glue_of_a_name_wins_and_order_is_first_seen():
    got = read_glue(_notebook(("a", 1), ("b", 2), ("a", 3)))
    assert got == {"a": 3, "b": 2}
    assert list(got) == ["a", "b"]


def test_numpy_dates_and_nan_are_converted():
    data, _ = glue_output(
        "v",
        {
            "n": np.int64(3),
            "x": np.float64(1.5),
            "arr": np.array([1, 2]),
            "flag": np.bool_(True),
            "nan": float("nan"),
            "on": dt.date(2026, 10, 31),
            "tuple": (1, 2),
        },
    )
    assert data[GLUE_MIMETYPE]["value"] == {
        "n": 3,
        "x": 1.5,
        "arr": [1, 2],
        "flag": True,
        "nan": None,
        "on": "2026-10-31",
        "tuple": [1, 2],
    }


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({1, 2}, TypeError),
        (object(), TypeError),
        ({1: "int key"}, TypeError),
        (float("inf"), ValueError),
        ({"deep": [float("-inf")]}, ValueError),
    ],
)
def test_values_that_are_not_json_raise(value, error):
    with pytest.raises(error, match="glue value 'v'"):
        glue_output("v", value)


def test_glue_name_must_be_text():
    with pytest.raises(ValueError, match="glue name"):
        glue_output("", 1)


def test_glue_outside_a_kernel_prints_nothing_harmful(capsys):
    glue("x", 1)  # IPython's display outside a kernel prints the text/plain: ""
    assert "Traceback" not in capsys.readouterr().err


def test_read_glue_ignores_other_outputs_and_markdown():
    nb = _notebook(("a", 1))
    nb.cells[1].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="hello\n"))
    nb.cells[1].outputs.append(
        nbformat.v4.new_output("display_data", data={"application/json": {"name": "b"}})
    )
    assert read_glue(nb) == {"a": 1}
