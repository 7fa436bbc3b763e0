"""Outcomes of groups of clients: service metrics, effect sizes, expected recovery, disclosure.

- :mod:`.effect_sizes`: pre-post effect sizes (d_z, d_rm, d_av, d_pre) with standard errors;
- :mod:`.rates`: proportions with Wilson intervals, overall and by group;
- :mod:`.flow`: the flow from referral to paired scores;
- :mod:`.talking_therapies`: NHS Talking Therapies caseness, recovery and reliable change;
- :mod:`.cms159`: CMS159 depression remission (and MNCM response) at twelve months;
- :mod:`.valid_scores`: the valid scores both service metrics start from;
- :mod:`.expected_recovery`: the expected-recovery model behind the not-on-track alert;
- :mod:`.disclosure`: small-cell suppression for every aggregate that leaves the service.
"""
