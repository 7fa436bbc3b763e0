"""What the rules read: the dataset's tables cut to ``as_of`` (and to one client), as a View."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from therapy_outcomes.instruments import Instrument, Registry
from therapy_outcomes.loading.dataset import Dataset
from therapy_outcomes.outcomes.expected_recovery import ExpectedRecoveryModel

__all__ = ["NEEDS", "View", "cut", "end_of_day", "example_dataset", "example_view", "open_episodes"]

#: What a rule can need from its :class:`View` (the ``needs`` of a
#: :class:`~therapy_outcomes.alerts.rules.Rule`); every rule also has ``as_of``, ``registry``
#: and ``instruments``.
NEEDS: tuple[str, ...] = (
    "scores",
    "responses",
    "sessions",
    "clients",
    "goals",
    "open_episodes",
    "models",
)


@dataclass
class View:
    """The tables the rules read, already cut to ``as_of`` (and to one client, if asked).

    Attributes
    ----------
    scores, responses, sessions, clients, goals : pandas.DataFrame
        The dataset's tables, rows dated on or before ``as_of`` (goals set on or before it).
    registry : Registry
        The dataset's instruments.
    as_of : pandas.Timestamp
        The day the alerts are for (midnight).
    instruments : tuple of str
        Codes of the instruments the rules consider.
    open_episodes : pandas.Series
        Whether each client's episode is open on ``as_of`` (:func:`open_episodes`).
    models : mapping of str to ExpectedRecoveryModel
        The expected-recovery model of each instrument ``not_on_track`` judges.
    skipped : list of dict
        ``{kind, instrument, reason}`` of each instrument a rule could not judge.
    """

    scores: pd.DataFrame
    responses: pd.DataFrame
    sessions: pd.DataFrame
    clients: pd.DataFrame
    goals: pd.DataFrame
    registry: Registry
    as_of: pd.Timestamp
    instruments: tuple[str, ...]
    open_episodes: pd.Series
    models: Mapping[str, ExpectedRecoveryModel] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def instrument(self, code: str) -> Instrument:
        """The registry's definition of ``code``."""
        return self.registry.get(code)

    def skip(self, kind: str, instrument: str, reason: str) -> None:
        """Record that a rule was not applied to an instrument, and why."""
        self.skipped.append({"kind": kind, "instrument": instrument, "reason": reason})


def cut(
    ds: Dataset,
    as_of: pd.Timestamp,
    instruments: tuple[str, ...],
    *,
    client: str | None = None,
    models: Mapping[str, ExpectedRecoveryModel] | None = None,
) -> View:
    """The dataset's tables cut to ``as_of`` and, if given, to one client.

    Parameters
    ----------
    ds : Dataset
    as_of : pandas.Timestamp
        Midnight of the last day whose data are kept.
    instruments : tuple of str
        Instrument codes the rules consider.
    client : str, optional
        Keep only this client's rows.
    models : mapping of str to ExpectedRecoveryModel, optional
        The models ``not_on_track`` compares with.

    Examples
    --------
    >>> ds = example_dataset()
    >>> view = cut(ds, pd.Timestamp("2026-06-30"), ("PHQ-9",), client="C000001")
    >>> set(view.scores["client_id"]) <= {"C000001"}, bool(view.scores["administered_on"].max()
    ...     <= pd.Timestamp("2026-06-30 23:59"))
    (True, True)
    """
    last = end_of_day(as_of)

    def keep(df: pd.DataFrame, date_col: str | None) -> pd.DataFrame:
        mask = pd.Series(True, index=df.index)
        if date_col is not None:
            mask &= (df[date_col] <= last).fillna(False).astype(bool)
        if client is not None:
            mask &= (df["client_id"].astype("string") == client).fillna(False).astype(bool)
        return df[mask]

    clients = keep(ds.clients, None)
    return View(
        scores=keep(ds.scores, "administered_on"),
        responses=keep(ds.responses, "administered_on"),
        sessions=keep(ds.sessions, "session_on"),
        clients=clients,
        goals=keep(ds.goals, "set_on"),
        registry=ds.registry,
        as_of=as_of,
        instruments=instruments,
        open_episodes=open_episodes(clients, as_of),
        models=dict(models or {}),
    )


def end_of_day(stamp: pd.Timestamp) -> pd.Timestamp:
    """The last instant of ``stamp``'s day: "on or before 31 October" includes that day.

    Examples
    --------
    >>> end_of_day(pd.Timestamp("2026-10-31"))
    Timestamp('2026-10-31 23:59:59.999999999')
    """
    return stamp.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


def open_episodes(clients: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Whether each client's episode is open on ``as_of`` (indexed by client_id).

    Open = ``episode_start`` on or before ``as_of`` and no ``episode_end`` on or before
    ``as_of``. A client without an ``episode_start`` (referred, not started) is not open.

    Examples
    --------
    >>> clients = pd.DataFrame({
    ...     "client_id": ["C1", "C2", "C3"],
    ...     "episode_start": pd.to_datetime(["2026-01-05", "2026-01-05", None]),
    ...     "episode_end": pd.to_datetime([None, "2026-05-01", None]),
    ... })
    >>> open_episodes(clients, pd.Timestamp("2026-06-30")).to_dict()
    {'C1': True, 'C2': False, 'C3': False}
    """
    ids = clients["client_id"].astype("string")
    start = clients.get("episode_start", pd.Series(pd.NaT, index=clients.index))
    end = clients.get("episode_end", pd.Series(pd.NaT, index=clients.index))
    started = (start <= as_of).fillna(False).astype(bool)
    ended = (end <= as_of).fillna(False).astype(bool)
    return pd.Series(np.asarray(started & ~ended), index=pd.Index(ids, name="client_id"))


@functools.lru_cache(maxsize=1)
def example_dataset() -> Dataset:
    """A small synthetic clinic (40 demo clients, as of 2026-10-31), for the examples.

    Examples
    --------
    >>> ds = example_dataset()
    >>> str(ds.as_of.date()), len(ds.clients)
    ('2026-10-31', 40)
    """
    import tempfile

    from therapy_outcomes.demo import write_demo_clinic
    from therapy_outcomes.loading.dataset import load

    folder = tempfile.mkdtemp(prefix="to-alerts-example-")
    write_demo_clinic(folder, n_clients=40, seed=3, as_of="2026-10-31")
    return load(folder, as_of="2026-10-31")


def example_view() -> View:
    """A fresh view of :func:`example_dataset` on its as-of date: every instrument, no models.

    Examples
    --------
    >>> view = example_view()
    >>> str(view.as_of.date()), "PHQ-9" in view.instruments, dict(view.models)
    ('2026-10-31', True, {})
    """
    ds = example_dataset()
    return cut(ds, pd.Timestamp(ds.as_of).normalize(), tuple(ds.registry.codes))
