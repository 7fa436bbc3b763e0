"""The per-client progress report (``notebooks/client_progress.ipynb``).

- :mod:`.context`: one client's data cut from the dataset (:func:`client_context`), alerts and
  provenance;
- :mod:`.progress`: first against latest score per questionnaire, reliable change and item views;
- :mod:`.wins`: the "small wins" the report opens with;
- :mod:`.figures`: the charts (goal progress, questionnaire timelines, items);
- :mod:`.wording`: the sentences of both versions; :mod:`.plain` plain-language helpers;
- :mod:`.render`: :func:`render_client_report` and where the report is written.

The notebook lays out the sections in order; every number in it comes from these modules.
"""
