"""Alerts: which clients may be getting worse, or need attention, and why.

:func:`alerts` applies six rules to a :class:`~therapy_outcomes.loading.dataset.Dataset` and
returns one row per alert, each with a plain-language explanation that quotes the numbers behind it;
``alerts(ds, client=...)`` (or :func:`alerts_for_client`) does the same for one client. The
settings of the rules (percentile, cut-offs, windows, which instruments and kinds) are one
:class:`AlertSettings`; ``alerts`` takes them as keywords.

Rules
-----
The rules are the table :data:`~therapy_outcomes.alerts.rules.RULES`: each rule's kind, severity,
audience, what it reads, which settings it takes and the finder that finds its alerts
(:mod:`~therapy_outcomes.alerts.finders`). They run, and are described here, in the table's order;
every rule but ``risk_item`` is for everyone (audience ``all``).

Only data dated on or before ``as_of`` are used (scores, item answers, sessions; goals set on or
before it). Totals are compared after rounding to 10 decimals (as the registry does), so
floating-point noise cannot move a score across a boundary.

``risk_item`` (severity high, audience **clinician**)
    Any risk item answered at or above its ``min_value`` (``>=``), from the item answers
    (``Dataset.responses``) and the instrument's ``risk_items``: PHQ-9 item 9 >= 1 (thoughts of
    death or self-harm; docs/methods.md#phq-9, a secondary source),
    CORE-10 item 6 >= 1 (plans to end life; docs/methods.md#core-10). One alert per administration
    (every administration up to ``as_of``, also when its total is invalid); several risk items
    of one administration share an alert. An answer of 0 never alerts.
``reliable_deterioration`` (high)
    Per client, instrument and rater: latest valid score vs first valid score. Deteriorated if
    the change in the worse direction is **at least** the instrument's fixed reliable-change
    threshold (``Instrument.rc_threshold()``, e.g. 6 PHQ-9 points, NHS Talking Therapies; the
    inclusive side of :func:`therapy_outcomes.change.reliable.reliable_change` with ``threshold=``).
    Instruments without a threshold are skipped and listed in ``attrs["skipped"]``.
``not_on_track`` (medium)
    Per client, instrument and rater, the latest valid score (not the intake) at session ``s``
    is beyond the one-sided ``percentile`` bound of the expected-recovery model in the worse
    direction, strictly (``score > bound`` when lower is better, ``score < bound`` when higher
    is better); see :mod:`therapy_outcomes.outcomes.expected_recovery` (Finch, Lambert & Schaalje
    2001; docs/methods.md#alert-not-on-track). Without ``model=`` it is fitted per instrument on the
    dataset itself (all clients, data up to ``as_of``, session number = position among valid
    scores); instruments with too few clients are skipped (``attrs["skipped"]``). The models used,
    their fit date and N are in ``attrs["models"]``. The SRS (an alliance measure) is not modelled.
``low_alliance`` (medium)
    The client's latest valid SRS is below ``srs_cutoff`` (strict ``<``, as OpenFIT: "clients
    who score below 36 are indicating a dissatisfaction with the session"; ``srs_cutoff_side=
    "<="`` gives the other published reading, "at or below 36"), and/or it dropped by
    ``srs_drop`` points or more from the client's previous valid SRS (OpenFIT red alert
    ``SRSChangeFromLast <= -1``; docs/methods.md#alert-low-alliance). Each reason is a row (``rule``
    ``below_cutoff`` / ``drop_from_previous``). Pass ``None`` to switch either off.
``no_recent_measure`` (low)
    A client whose episode is open on ``as_of`` (``episode_start`` on or before it, no
    ``episode_end`` on or before it) has no valid outcome score (any instrument considered
    except the SRS) dated within ``no_measure_weeks`` weeks before ``as_of``: the alert fires
    when ``as_of - max(latest valid score, episode_start) > 7 * no_measure_weeks`` days (a score
    exactly that many days before still counts as recent). Project rule (no published source).
``goal_overdue`` (low)
    A goal set on or before ``as_of`` whose ``target_date`` is before ``as_of`` and whose status
    is not ``achieved``, ``discontinued`` or ``revised``. The goals table holds the current
    status only, so for an ``as_of`` in the past the status is today's. Project rule.

Severities are a project choice (high: safety or reliable worsening; medium: off the expected
course or alliance; low: housekeeping), written in the table. Every alert row has
``episode_open`` so reports can show current clients only.

Columns
-------
``client_id``, ``date`` (the date the alert is about: the score's date; ``as_of`` for
``no_recent_measure``; the target date for ``goal_overdue``), ``kind``, ``rule`` (which branch
of the kind fired), ``severity`` (``high``/``medium``/``low``), ``instrument``, ``audience``
(``clinician`` or ``all``), ``explanation``, and for machine use: ``value`` (the observed
number: the risk answer, the latest score, the days without a measure or past the target),
``reference`` (what it was compared with: first score, model bound, cut-off or previous SRS,
window in days), ``reference_date``, ``threshold`` (risk minimum, reliable-change points,
percentile, cut-off or drop, weeks), ``session_number``, ``expected`` (model mean), ``rater``,
``administration_id``, ``goal_id``, ``item`` and ``episode_open``.

Logging names client IDs and counts only, never item answers or scores.

Modules
-------
- :mod:`.rules`: the rule table (:class:`Rule`, :data:`RULES`, :data:`KINDS`);
- :mod:`.finders`: one function per rule, finding its alerts in a view;
- :mod:`.settings`: :class:`AlertSettings`, every tunable with its default, checked once;
- :mod:`.build`: :func:`alerts` and :func:`alerts_for_client`, the one code path;
- :mod:`.view`: the dataset cut to ``as_of`` (and to one client) that the finders read;
- :mod:`.models`: the expected-recovery models of ``not_on_track``, given or fitted;
- :mod:`.measures`: which instruments are outcome and which alliance measures;
- :mod:`.table`: the columns and rows of the output; :mod:`.wording`: numbers in sentences.
"""

from therapy_outcomes.alerts.build import alerts, alerts_for_client
from therapy_outcomes.alerts.rules import KINDS, RULES, SEVERITY, Rule
from therapy_outcomes.alerts.settings import AlertSettings
from therapy_outcomes.alerts.table import COLUMNS

__all__ = [
    "COLUMNS",
    "KINDS",
    "RULES",
    "SEVERITY",
    "AlertSettings",
    "Rule",
    "alerts",
    "alerts_for_client",
]
