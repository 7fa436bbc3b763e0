"""Reliable and clinically significant change of a client's scores.

- :mod:`.rci_methods`: the reliable change index formulas, one function per method (Jacobson &
  Truax, Gulliksen-Lord-Novick, Hsu-Linn-Lord, Edwards-Nunnally, Nunnally-Kotsch,
  Hageman-Arrindell) and the reliable-change threshold in points;
- :mod:`.reliable`: :func:`~therapy_outcomes.change.reliable.reliable_change`, the user-facing
  wrapper that checks arguments and classifies improved / unchanged / deteriorated;
- :mod:`.cutoffs`: clinical cut-offs a, b, c (Jacobson & Truax) and the Hageman-Arrindell ones;
- :mod:`.significance`: clinical significance (recovered / improved / unchanged / deteriorated /
  harmed);
- :mod:`.hlm`: reliable change from a multilevel growth model (long data);
- :mod:`.pairs`: choosing the scores to compare (first and last, baseline and latest, labels).

Every formula is written out in ``docs/methods.md`` with its published source.
"""
