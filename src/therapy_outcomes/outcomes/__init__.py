"""Outcomes of groups of clients: service metrics, effect sizes, expected recovery, disclosure.

- :mod:`.cohort`: pre-post effect sizes, Wilson intervals, rate tables and the outcome flow;
- :mod:`.service_metrics`: NHS Talking Therapies outcomes and CMS159 remission and response;
- :mod:`.expected_recovery`: the expected-recovery model behind the not-on-track alert;
- :mod:`.disclosure`: small-cell suppression for every aggregate that leaves the service.
"""
