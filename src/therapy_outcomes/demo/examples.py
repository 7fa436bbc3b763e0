"""Small example cohorts and months from the demo clinic, for the examples in docstrings.

Both are built from :func:`therapy_outcomes.demo.write_demo_clinic` (deterministic: the same
arguments give the same data), loaded with :func:`therapy_outcomes.load` and cached, so the
examples of many functions share one load. The demo files are written to a temporary folder
that is removed once the data are loaded.

Examples
--------
>>> from therapy_outcomes.demo.examples import example_cohort, example_month
>>> len(example_cohort().clients), str(example_month().month)
(60, '2026-10')
"""

from __future__ import annotations

import functools
import tempfile

from therapy_outcomes.cohort_report.selection import CohortContext, cohort_context
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.loading.dataset import Dataset, load
from therapy_outcomes.monthly_report.selection import MonthlyContext, monthly_context

__all__ = ["EXAMPLE_AS_OF", "example_cohort", "example_dataset", "example_month"]

#: The data extract date of the examples.
EXAMPLE_AS_OF = "2026-10-31"


@functools.lru_cache(maxsize=2)
def example_dataset(n_clients: int = 60) -> Dataset:
    """The demo clinic (seed 3, data up to 31 October 2026) with ``n_clients`` clients, loaded.

    Parameters
    ----------
    n_clients : int
        Number of referred clients.

    Returns
    -------
    Dataset
        Cached: every call with the same ``n_clients`` returns the same object, so do not
        modify it.

    Examples
    --------
    >>> example_dataset(40).n_rejected
    0
    """
    with tempfile.TemporaryDirectory(prefix="to-example-") as folder:
        write_demo_clinic(folder, n_clients=n_clients, seed=3, as_of=EXAMPLE_AS_OF)
        return load(folder, as_of=EXAMPLE_AS_OF)


@functools.lru_cache(maxsize=1)
def example_cohort() -> CohortContext:
    """A small synthetic cohort: 60 demo clients, every episode, grouped by site.

    Returns
    -------
    therapy_outcomes.cohort_report.selection.CohortContext
        Cached; do not modify it.

    Examples
    --------
    >>> ctx = example_cohort()
    >>> len(ctx.clients), ctx.group_by, ctx.instruments
    (60, 'site', ['PHQ-9', 'GAD-7'])
    """
    return cohort_context(example_dataset(60), group_by="site")


@functools.lru_cache(maxsize=1)
def example_month() -> MonthlyContext:
    """October 2026 of a small synthetic service (40 demo clients), service version.

    Returns
    -------
    therapy_outcomes.monthly_report.selection.MonthlyContext
        Cached; do not modify it.

    Examples
    --------
    >>> ctx = example_month()
    >>> str(ctx.month), ctx.audience, ctx.min_cell
    ('2026-10', 'service', 5)
    """
    return monthly_context(example_dataset(40), "2026-10")
