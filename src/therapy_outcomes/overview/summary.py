"""Summary tables of a loaded dataset: caseload, administrations, severity at intake and latest.

Pandas in, pandas out; the command line prints them and later reports reuse them.
"""

from __future__ import annotations

import pandas as pd

from therapy_outcomes.loading.dataset import Dataset


def caseload(ds: Dataset) -> pd.DataFrame:
    """Clients referred, in an open episode and discharged as of the dataset's as-of date.

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    pandas.DataFrame
        One row per site and a final ``all sites`` row, columns ``referred``, ``active``
        (episode started and not ended), ``waiting`` (referred, no episode start yet),
        ``discharged``, ``therapists``.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=30, seed=2)
    >>> table = caseload(load(folder, as_of="2026-10-31"))
    >>> int(table.loc["all sites", "referred"])
    30
    """
    clients = ds.clients
    ended = clients["episode_end"].notna() & (clients["episode_end"] <= ds.as_of)
    started = clients["episode_start"].notna()
    frame = pd.DataFrame(
        {
            "site": clients["site"],
            "referred": 1,
            "active": (started & ~ended).astype(int),
            "waiting": (~started & ~ended).astype(int),
            "discharged": ended.astype(int),
        }
    )
    by_site = frame.groupby("site").sum()
    by_site["therapists"] = clients.groupby("site")["therapist_id"].nunique()
    total = by_site.sum().rename("all sites")
    total["therapists"] = clients["therapist_id"].nunique()
    out = pd.concat([by_site, total.to_frame().T])
    out.index.name = "site"
    return out.astype("int64")


def administrations_by_instrument(ds: Dataset) -> pd.DataFrame:
    """Administrations per instrument: how many, complete, prorated, invalid, clients.

    Returns
    -------
    pandas.DataFrame
        Indexed by instrument: ``administrations``, ``complete`` (no missing item),
        ``prorated``, ``invalid`` (too many items missing), ``totals_only``, ``clients``,
        ``risk_flags``.
    """
    s = ds.scores
    if s.empty:
        return pd.DataFrame(
            columns=["administrations", "complete", "prorated", "invalid", "clients", "risk_flags"]
        )
    grouped = s.groupby("instrument")
    out = pd.DataFrame(
        {
            "administrations": grouped.size(),
            "complete": grouped["n_missing"].apply(lambda n: int((n == 0).sum())),
            "prorated": grouped["prorated"].sum(),
            "invalid": grouped["valid"].apply(lambda v: int((~v.astype(bool)).sum())),
            "clients": grouped["client_id"].nunique(),
            "risk_flags": grouped["risk"].apply(lambda r: int(r.fillna(False).astype(bool).sum())),
        }
    )
    return out.astype("int64")


def severity_at_intake_and_latest(ds: Dataset) -> pd.DataFrame:
    """Clients per severity band at their first and at their latest valid score.

    Returns
    -------
    pandas.DataFrame
        Columns ``instrument``, ``band`` (in the instrument's order), ``intake``, ``latest``;
        each client counts once per instrument in each column.
    """
    s = ds.scores
    valid = s[s["valid"].astype(bool) & (s["administered_on"] <= ds.as_of)]
    valid = valid.sort_values(["client_id", "instrument", "administered_on"])
    first = valid.groupby(["client_id", "instrument"]).head(1)
    last = valid.groupby(["client_id", "instrument"]).tail(1)
    rows = []
    for code in sorted(valid["instrument"].unique()):
        inst = ds.registry.get(code)
        labels = [b.label for b in inst.bands]
        intake = first.loc[first["instrument"] == code, "band"].value_counts()
        latest = last.loc[last["instrument"] == code, "band"].value_counts()
        for label in labels:
            rows.append(
                {
                    "instrument": code,
                    "band": label,
                    "intake": int(intake.get(label, 0)),
                    "latest": int(latest.get(label, 0)),
                }
            )
    return pd.DataFrame(rows, columns=["instrument", "band", "intake", "latest"])
