"""data/README.md documents exactly the columns declared in tables.py, with the same flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from therapy_outcomes.loading.tables import TABLES

README = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text()


def _documented(table: str) -> dict[str, str]:
    section = README.split(f"\n## {table}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] not in ("column", "") and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells[2]
    return rows


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_declared_column_is_documented_with_its_flag(table):
    documented = _documented(table.name)
    for col in table.columns:
        assert col.name in documented, f"{table.name}.{col.name} missing from data/README.md"
        assert documented[col.name] == ("R" if col.required else "*o*"), col.name


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_documented_allowed_values_match(table):
    section = README.split(f"\n## {table.name}\n", 1)[1].split("\n## ", 1)[0]
    for col in table.columns:
        if col.allowed is None:
            continue
        line = next(x for x in section.splitlines() if x.startswith(f"| {col.name} |"))
        documented = set(re.findall(r"`([a-z_]+)`", line.split("|")[4]))
        assert set(col.allowed) <= documented, (col.name, documented)
