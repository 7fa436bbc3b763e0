"""Property test (issue 11): mutated CSV files never lose, move or invent a value.

Hypothesis takes the tiny clinic of ``tests/data/broken/_base`` and mutates one of its files a
few times (inserts a quote, a separator, a line break or a random byte; deletes a character).
Loading the result either raises a :class:`~therapy_outcomes.errors.TherapyOutcomesError` (one
line for the user) or gives a dataset for which the invariants of :mod:`broken_corpus` hold:
every line of the file belongs to exactly one accepted or rejected record, and every accepted
value is the text written on its line. Derandomized, without a database or shrinking, with a
bounded number of examples: the run is the same everywhere and takes about 20 s.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from broken_corpus import AS_OF, BASE, check_invariants, folder_references
from therapy_outcomes import load
from therapy_outcomes.errors import TherapyOutcomesError

FILES = sorted(p.name for p in BASE.glob("*.csv"))

#: What a mutation inserts: the characters that change how a CSV file splits, and bytes.
INSERTS = st.sampled_from([b'"', b",", b";", b"\t", b"\n", b"\r\n", b'""', b"\x00", b"\xff"])
MUTATION = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True), INSERTS),
    st.tuples(
        st.just("insert"), st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=3)
    ),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.integers(1, 4)),
)


def mutate(data: bytes, mutations: list[tuple]) -> bytes:
    """Apply each mutation at its relative position in ``data``."""
    for kind, where, what in mutations:
        at = int(where * len(data))
        if kind == "quote":
            starts = [i + 1 for i, byte in enumerate(data) if byte in b",\n"] or [0]
            at = starts[int(where * len(starts))]
        if kind in ("insert", "quote"):
            data = data[:at] + what + data[at:]
        else:
            data = data[:at] + data[at + what :]
    return data


def check_loads_whole_or_fails_in_one_line(name: str, data: bytes) -> None:
    """Replace file ``name`` of the tiny clinic by ``data``, load, and check the invariants."""
    folder = Path(tempfile.mkdtemp(prefix="mutated-"))
    try:
        clinic = folder / "clinic"
        shutil.copytree(BASE, clinic)
        path = clinic / name
        path.write_bytes(data)
        try:
            ds = load(clinic, as_of=AS_OF)
        except TherapyOutcomesError as err:
            assert "\n" not in str(err), f"a message of several lines: {err}"
            return
        check_invariants(ds, folder_references(clinic))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: one to three mutations are legible
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(FILES),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
)
# found by this test: a session date cut to 202-01-26 was read as 1955-09-24 22:43
@example(name="sessions.csv", mutations=[("delete", 0.578125, 1)])
def test_a_mutated_file_loads_whole_or_fails_in_one_line(name, mutations):
    check_loads_whole_or_fails_in_one_line(name, mutate((BASE / name).read_bytes(), mutations))


def test_a_quote_opened_in_one_event_and_closed_in_the_next_is_not_merged():
    """One of the mutations above, written out: two inserted quotes that join two records."""
    events = (BASE / "events.csv").read_bytes()
    broken = events.replace(b"Started", b'"Started').replace(b"visited", b'vis"ited')
    check_loads_whole_or_fails_in_one_line("events.csv", broken)
