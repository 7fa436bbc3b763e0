"""The cohort-outcomes report (``notebooks/cohort_outcomes.ipynb``).

- :mod:`.selection`: the cohort (``CohortContext``, ``cohort_context``); :mod:`.reliability`
  and :mod:`.significance` judge each instrument's change;
- analyses: :mod:`.rates`, :mod:`.flow`, :mod:`.baseline`, :mod:`.service_metrics`,
  :mod:`.effects`, :mod:`.trajectories`, :mod:`.growth_curves`, :mod:`.dropout`,
  :mod:`.goal_outcomes`;
- :mod:`.publish`: small-cell suppression and HTML tables (shared with the monthly summary);
  :mod:`.tables`: every published table of the report, ready to display;
- :mod:`.figures` (charts) and :mod:`.wording` (header, notes, methods);
- :mod:`.render`: ``therapy-outcomes report cohort``.
"""
