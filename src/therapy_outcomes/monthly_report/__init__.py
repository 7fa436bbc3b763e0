"""The monthly service summary (``notebooks/monthly_summary.ipynb``).

- :mod:`.context`: the month's caseload, sessions, completion, outcomes, alerts and trends.
"""
