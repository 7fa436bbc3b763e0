"""One month of one scope (the service, a site or a therapist): the monthly summary's data.

:func:`monthly_context` loads (or takes) a dataset, checks the parameters and keeps the clients,
sessions and scores of the scope; the summary's tables cut them to the month's last day (or the
dataset's as-of date if earlier).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from therapy_outcomes import __version__
from therapy_outcomes.caching import ResultCache
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.loading.dataset import Dataset, load
from therapy_outcomes.monthly_report.render import AUDIENCES, check_month

__all__ = ["MonthlyContext", "monthly_context"]


@dataclass
class MonthlyContext:
    """One month of one scope (service, site or therapist)."""

    ds: Dataset = field(repr=False)
    month: pd.Period
    site: str | None
    therapist: str | None
    audience: str
    min_cell: int
    clients: pd.DataFrame
    sessions: pd.DataFrame
    scores: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def month_start(self) -> pd.Timestamp:
        """The month's first day."""
        return self.month.start_time.normalize()

    @property
    def month_end(self) -> pd.Timestamp:
        """The month's last day, or the dataset's as-of date if earlier."""
        return min(self.month.end_time.normalize(), self.ds.as_of.normalize())

    @property
    def clinician(self) -> bool:
        """True for the clinician version (internal: clients named, every count shown)."""
        return self.audience == "clinician"

    @property
    def min_shown(self) -> int:
        """Smallest count the tables show: ``min_cell``, or 1 in the clinician version."""
        return 1 if self.clinician else self.min_cell


def monthly_context(
    data: str | Path | Dataset,
    month: str,
    *,
    site: str | None = None,
    therapist: str | None = None,
    audience: str = "service",
    min_cell: int = 5,
    cache: ResultCache | None = None,
) -> MonthlyContext:
    """Load the data and cut it to the scope.

    ``cache`` shares the loaded dataset between reports (a warm batch kernel passes
    :func:`therapy_outcomes.caching.shared_cache`; ``None`` loads afresh).

    Raises
    ------
    ParameterError
        A bad month or audience, a month after the dataset's as-of date, or an unknown site or
        therapist.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=40, seed=3, as_of="2026-10-31")
    >>> ctx = monthly_context(folder, "2026-10")
    >>> ctx.month_end, ctx.min_shown
    (Timestamp('2026-10-31 00:00:00'), 5)
    """
    check_month(month)
    if audience not in AUDIENCES:
        raise ParameterError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    ds = data if isinstance(data, Dataset) else load(data, cache=cache)
    period = pd.Period(month, freq="M")
    if period.start_time > ds.as_of:
        raise ParameterError(f"month {month} is after the dataset's as-of date {ds.as_of.date()}")
    clients = ds.clients
    if site is not None:
        if site not in set(clients["site"]):
            raise ParameterError(f"unknown site '{site}'")
        clients = clients[clients["site"] == site]
    if therapist is not None:
        if therapist not in set(clients["therapist_id"]) | set(ds.sessions["therapist_id"]):
            raise ParameterError(f"unknown therapist '{therapist}'")
        clients = clients[clients["therapist_id"] == therapist]
    ids = set(clients["client_id"])
    sessions = ds.sessions[ds.sessions["client_id"].isin(ids)]
    if therapist is not None:
        sessions = sessions[sessions["therapist_id"] == therapist]
    ctx = MonthlyContext(
        ds=ds,
        month=period,
        site=site,
        therapist=therapist,
        audience=audience,
        min_cell=min_cell,
        clients=clients.reset_index(drop=True),
        sessions=sessions.reset_index(drop=True),
        scores=ds.scores[ds.scores["client_id"].isin(ids)].reset_index(drop=True),
    )
    ctx.provenance = {
        "package": f"therapy-outcomes {__version__}",
        "input_hash": ds.input_hash,
        "validated_on": ds.as_of.date().isoformat(),
        "parameters": {
            "month": month,
            "site": site,
            "therapist": therapist,
            "audience": audience,
            "min_cell": min_cell,
        },
    }
    return ctx
