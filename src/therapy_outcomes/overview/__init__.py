"""The dataset at a glance: the ``summary`` command's tables and the overview notebook's charts.

- :mod:`.summary`: caseload, administrations per instrument, severity at intake and latest;
- :mod:`.figures`: plotly charts of those tables (``notebooks/dataset_overview.ipynb``).
"""
