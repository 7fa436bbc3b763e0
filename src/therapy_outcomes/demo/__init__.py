"""Synthetic demo clinic: deterministic, realistic-looking psychotherapy outcome data.

:func:`generate_demo_clinic` simulates a psychological therapy service and returns the seven tables
of ``data/README.md``; :func:`write_demo_clinic` writes them as CSV files. Everything is invented:
IDs are pseudonyms (``C000042``, ``T07``, ``S000123``...), there are no names and no real people.
The same ``n_clients``, ``seed`` and ``as_of`` give byte-identical files.

Generative model
----------------
*Referrals and episodes.* Referral dates are uniform over the 18 months (548 days) before
``as_of`` (weekends moved to the Friday); client IDs follow referral order. Each client belongs
to one of four sites, whose therapists (3-8 per site, more for larger ``n_clients``) each carry a
small multiplicative effect on the rate of improvement (log-normal, sd 0.15). Problem,
modality (depending on problem), sex and birth year are drawn from fixed mixes. The episode starts
after a wait of 1 + Poisson(3.5) weeks; clients whose start would fall after ``as_of`` are still
waiting (no episode start, no sessions).

*Sessions.* Of the clients who start, 12% never attend (one or two assessment appointments,
``did_not_attend`` or ``cancelled``, then ``dropped_out``), 15% are assessed only (then
``referred_on`` or ``other``) and 73% are treated. Planned length is 2 + negative binomial (mean
by modality, 6-12 sessions, clipped to 3-28). Sessions are weekly (80%), fortnightly (15%) or
three-weekly, on the referral weekday. The first is an ``assessment``; every fourth and the last
of a completed episode are ``review``; 30% of completers get a ``follow_up`` 4-12 weeks later.
Each client has a no-show propensity (Beta(1.5, 12), ~11%); missed sessions are
``did_not_attend`` (55%) or ``cancelled``. A treated episode ends ``dropped_out`` (probability
~17%, higher with low alliance, low engagement or no improvement; the last one or two booked
sessions are not attended), ``referred_on`` (more often when not improving), ``other`` (4%) or
``completed``. Episodes whose last booked session falls after ``as_of`` are open: later
sessions are cut off, and ``episode_end``/``end_reason`` are empty.

*Latent severity.* Each client has an intake severity ``theta0`` ~ Beta(3.3, 2.7) on a 0-1 scale
(fraction of the item range) and a trajectory class: fast (28%), moderate (37%), slow (25%)
responders, or flat-or-worse (10%). With ``c`` the number of sessions attended before a session,
severity approaches a personal asymptote ``a`` exponentially in log(session number)::

    theta(c) = a + (theta0 - a) * exp(-r * log(1 + c)) = a + (theta0 - a) * (1 + c) ** -r

where ``a = theta0 * U(lo, hi)`` (fast 0.15-0.45, moderate 0.30-0.60, slow 0.40-0.70,
flat-or-worse 0.95-1.50) and ``r`` is uniform per class (fast 1.2-2.2, moderate 0.6-1.2, slow
0.3-0.7, flat-or-worse 0.4-1.0), times the therapist effect and ``0.7 + 0.6 * engagement``
(engagement ~ Beta(4, 2.5) also drives homework completion). Life events add a bump that fades
with a 35-day time constant (negative events raise severity, positive ones lower it); medication
changes build up with a 21-day time constant and persist. Each session adds Normal(0, 0.05)
noise; the result is clipped to 0.01-0.99.

*Questionnaires.* At attended sessions: PHQ-9 (92%, always at assessment), GAD-7 (90%), SRS at
every attended session, and CORE-10 (Northgate, Hillcrest; 50% of treatment sessions, 92% of
reviews) or ORS (Riverside, Eastfield; 95%). 40% of clients also sent PHQ-9 and GAD-7 with the
referral (no session). The propensity of an administration is ``theta`` plus a client shift
(PHQ-9 higher in depression, GAD-7 higher in anxiety problems); ORS uses ``1 - theta``; SRS uses
the client's alliance (``10 - Gamma(1.2, 0.45)``, rising slightly over the first sessions) / 10.
Item ``j`` answers ``p = clip(propensity + offset_j + Normal(0, s), 0, 1)`` scaled to the item
range and rounded, to whole numbers or (SRS, ORS) to one decimal, with fixed item offsets
(sd 0.07; ORS 0.04, SRS 0.015) and item noise ``s`` of 0.17 (PHQ-9, GAD-7, CORE-10), 0.10 (ORS)
or 0.05 (SRS), so
totals track the latent severity with a test-retest error of about 2 PHQ-9 points. Risk items
(PHQ-9 item 9, CORE-10 item 6) are ``Binomial(range, risk * 0.5 * theta**2)``; 75% of clients
have ``risk = 0`` and never endorse them. Reverse-scored items (CORE-10 items 2 and 3) are stored
reversed, as ticked on the paper form. 3.5% of administrations leave one item blank and 0.8%
leave three or more blank (too many to score). Item counts, ranges, decimal items, reverse and
risk items come from :func:`therapy_outcomes.instruments.default_registry`. With these settings
about one in nine clients with three or more complete PHQ-9s ends higher than the first.

*Goals.* Every client who attended a session has 1-3 long-term goals, each with 0-2 short-term steps
(``parent_goal_id``) set at later sessions. Goals cover the seven categories; the statement is a
vague one ("Feel happier", 25% of long-term goals, measured by GBO) or a SMART one built from
templates with concrete numbers, measured by GAS (-2/-1 to 0, with a weight), GBO (1-4 to 7-9),
a behaviour count with its unit, or an instrument (PHQ-9 or GAD-7, baseline = first complete
total). SMART goals have a target date (left empty if after ``as_of``). Some childless goals
are revised (45% of vague ones, 6% of others, and 10% of revisions again) at a later attended
session: a new row names the old one in ``revises_goal_id`` and the old row becomes ``revised``.
GAS, GBO and count goals are rated when set and at every later attended review or follow-up;
ratings move from baseline toward target in proportion to the fall in latent severity since the
goal was set (times a per-goal responsiveness) plus noise. Status is ``achieved`` when the last
rating (or last complete instrument total) reaches the target, ``discontinued`` when the episode
ended other than completed (or 3% at random), else ``active``.

*Homework* is set at 30% of assessments and 45-85% of other attended sessions (by engagement),
usually linked to a current goal with a task that fits its category; it is ``assigned`` until the
next attended session, then ``completed``, ``partial`` or ``not_done`` by engagement. Due dates
after ``as_of`` are left empty. *Events*: 35% of clients in treatment (12% still waiting) have a
life event, medication change, physical-health event or other event (20% of them two).

Examples
--------
>>> from therapy_outcomes.demo import generate_demo_clinic
>>> tables = generate_demo_clinic(50, seed=1)
>>> sorted(tables)
['administrations', 'clients', 'events', 'goal_ratings', 'goals', 'homework', 'sessions']
>>> tables["clients"]["client_id"].iloc[0]
'C000001'
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ._goals import goals, homework, ratings
from ._measures import administrations
from ._model import simulate, to_days
from ._tables import TABLES, build, write_csv

__all__ = ["DEFAULT_AS_OF", "TABLES", "generate_demo_clinic", "write_demo_clinic"]

DEFAULT_AS_OF = "2026-10-31"


def _as_of_date(as_of: str | date) -> date:
    if isinstance(as_of, datetime):
        return as_of.date()
    if isinstance(as_of, date):
        return as_of
    return date.fromisoformat(str(as_of))


def _simulate_tables(n_clients: int, seed: int, as_of: str | date) -> dict[str, pa.Table]:
    if int(n_clients) != n_clients or n_clients < 1:
        raise ValueError(f"n_clients must be a positive integer, not {n_clients!r}")
    from therapy_outcomes.instruments import default_registry

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    clinic = simulate(int(n_clients), streams, to_days(_as_of_date(as_of)))
    adm = administrations(clinic, streams[4], default_registry())
    gl, att = goals(clinic, adm, streams[5])
    rt = ratings(clinic, gl, adm, streams[6])
    hw = homework(clinic, gl, att, streams[6])
    return build(clinic, adm, gl, rt, hw)


def generate_demo_clinic(
    n_clients: int = 200, *, seed: int = 7, as_of: str | date = DEFAULT_AS_OF
) -> dict[str, pd.DataFrame]:
    """Simulate a psychological therapy service.

    Parameters
    ----------
    n_clients : int, default 200
        Number of referred clients (some are still waiting at ``as_of`` and have no sessions).
    seed : int, default 7
        Random seed; the same seed, ``n_clients`` and ``as_of`` give identical tables.
    as_of : str or datetime.date, default "2026-10-31"
        The data extract date: referrals cover the 18 months before it and no date is after it.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keys ``clients``, ``sessions``, ``goals``, ``goal_ratings``, ``administrations``,
        ``homework`` and ``events``, with the columns of ``data/README.md`` in that order (wide
        item layout ``item_1`` ... ``item_10``). Text columns have the ``str`` dtype, dates are
        ``datetime64`` and numbers are ``float64`` or ``int64``; missing values are NaN/NaT.

    See Also
    --------
    write_demo_clinic : write the tables as CSV files.

    Examples
    --------
    >>> from therapy_outcomes.demo import generate_demo_clinic
    >>> t = generate_demo_clinic(100, seed=3, as_of="2025-12-31")
    >>> bool((t["sessions"]["session_on"] <= "2025-12-31").all())
    True
    >>> sorted(t["goals"]["horizon"].unique())
    ['long_term', 'short_term']
    """
    tables = _simulate_tables(n_clients, seed, as_of)
    return {name: tables[name].to_pandas(date_as_object=False) for name in TABLES}


def write_demo_clinic(
    out_dir: str | Path,
    n_clients: int = 200,
    *,
    seed: int = 7,
    as_of: str | date = DEFAULT_AS_OF,
) -> dict[str, int]:
    """Simulate a clinic and write one ``<table>.csv`` per table into ``out_dir``.

    Files are UTF-8, comma-separated, with a header row, ISO dates and empty cells for missing
    values. Each file is written under a temporary name in ``out_dir`` and renamed into place, so
    readers never see a half-written file.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created if needed); existing table files are replaced.
    n_clients : int, default 200
        Number of referred clients.
    seed : int, default 7
        Random seed; the same arguments give byte-identical files.
    as_of : str or datetime.date, default "2026-10-31"
        The data extract date.

    Returns
    -------
    dict of str to int
        Number of data rows written per table.

    See Also
    --------
    generate_demo_clinic : the same tables as DataFrames.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> with tempfile.TemporaryDirectory() as d:
    ...     counts = write_demo_clinic(d, 50, seed=1)
    >>> counts["clients"]
    50
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = _simulate_tables(n_clients, seed, as_of)
    temporary: dict[str, str] = {}
    try:
        for name in TABLES:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".csv.tmp", dir=out)
            os.close(fd)
            temporary[name] = tmp
            write_csv(tables[name], tmp)
        for name, tmp in temporary.items():
            os.chmod(tmp, 0o644)
            os.replace(tmp, out / f"{name}.csv")
    except BaseException:
        for tmp in temporary.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    return {name: tables[name].num_rows for name in TABLES}
