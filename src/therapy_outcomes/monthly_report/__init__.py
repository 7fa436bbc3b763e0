"""The monthly service summary (``notebooks/monthly_summary.ipynb``).

- :mod:`.selection`: one month of one scope (``MonthlyContext``, ``monthly_context``);
- the month's measures: :mod:`.caseload` (caseload, sessions, DNA, completion and their trend),
  :mod:`.closed_episodes`, :mod:`.open_alerts`, :mod:`.overdue_goals`;
- :mod:`.tables`: every published table of the summary, ready to display;
- :mod:`.figures` (charts) and :mod:`.wording` (header, methods);
- :mod:`.render`: ``therapy-outcomes report monthly``.
"""
