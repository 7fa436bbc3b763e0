"""Tests for clinical significance (therapy_outcomes.change.significance) and cut-offs (cutoffs).

Published figures reproduced (each assertion names its source):

- clinicalsignificance vignette "The Combined Approach" (articles/combined-approach.md, 3.x):
  claus_2020 BDI-II, pre 1 / post 4, reliability .801, functional M 7.69 SD 7.52 (Kuehner et al.
  2007), cut-off type a -> cutoff 19.16; M clinical 35.48, SD clinical 8.16; recovered 10,
  improved 8, unchanged 22, deteriorated 0, harmed 0.
- vignette "The Statistical Approach" (articles/statistical-approach.md): same data, type c ->
  cutoff 21.02; 13 moved from clinical to functional ("Improved"), 27 "Unchanged", 0.
- tests/testthat/_snaps/cs_combined.md (3.x): claus_2020 HAMD, reliability .8, functional M 8,
  SD 8, type c -> JT 26/3/10/1/0, EN 26/6/5/3/0, HLL 12/0/16/11/1, GLN 26/3/10/1/0,
  NK (reliability_post .5) 26/2/11/1/0, HA 23/9/7/1/0 with group level Changed 90.31 %,
  Functional 75.55 %.
- tests/testthat/_snaps/clinical_significance.md (package 1.x, pedscience/clinicalsignificance):
  jacobson_1989 GDS, reliability .8, type a -> JT 10/4/12/0/0, GLN 12/4/10/0/0, HLL 7/0/11/8/0,
  EN 12/5/9/0/0, NK (.8/.8) 12/4/10/0/0; HA group level Changed .900, Functional .448.
  claus_2020 BDI type c with functional M 8, SD 8: JT cutoff 21.6 and 10/8/22/0/0; HA c_true
  21.57, reliability clinical .80, functional .79, group level .841 / .374. The 1.x HA
  *individual* counts (GDS 7/10/9/0/0; BDI 8/17/15/0/0) used the older rules (recovered =
  functional_post & improved without the clinical_pre test); we follow the 3.x rules and check
  that the 1.x rule applied to our output gives the 1.x counts.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import external
from therapy_outcomes.change.cutoffs import ha_cutoff, jt_cutoff
from therapy_outcomes.change.significance import clinical_significance

Z95 = 1.6448536269514722
CATS = ("recovered", "improved", "unchanged", "deteriorated", "harmed")


def _csv(rel: str) -> pd.DataFrame:
    path = external(rel)
    return pd.read_csv(path)


def _wide(df, id_, time, outcome, pre, post):
    w = df.pivot(index=id_, columns=time, values=outcome)
    return w[pre], w[post]


def _counts(res) -> tuple[int, ...]:
    vc = res["category"].value_counts()
    return tuple(int(vc[c]) for c in CATS)


def _claus(outcome):
    return _wide(_csv("clinicalsignificance/claus_2020.csv"), "id", "time", outcome, 1, 4)


def _gds():
    return _wide(
        _csv("clinicalsignificance/jacobson_1989.csv"), "subject", "time", "gds", "pre", "post"
    )


# --------------------------------------------------------------------------- published results


def test_combined_vignette_bdi_cutoff_a():
    pre, post = _claus("bdi")
    res = clinical_significance(pre, post, reliability=0.801, m_functional=7.69, sd_functional=7.52)
    assert res.attrs["cutoff"] == pytest.approx(19.16, abs=0.005)  # "Cutoff: 19.16"
    desc = res.attrs["cutoff_descriptives"]
    assert desc["m_clinical"] == pytest.approx(35.48, abs=0.005)  # "M Clinical 35.48"
    assert desc["sd_clinical"] == pytest.approx(8.16, abs=0.005)  # "SD Clinical 8.16"
    assert (desc["m_functional"], desc["sd_functional"], desc["type"]) == (7.69, 7.52, "a")
    assert res.attrs["n"] == 40 and res.attrs["n_dropped"] == 3  # N used 40 of 43
    assert _counts(res) == (10, 8, 22, 0, 0)


def test_statistical_vignette_bdi_cutoff_c():
    pre, post = _claus("bdi")
    res = clinical_significance(
        pre, post, reliability=0.801, m_functional=7.69, sd_functional=7.52, cutoff_type="c"
    )
    assert res.attrs["cutoff"] == pytest.approx(21.02, abs=0.005)  # "Cutoff: 21.02"
    moved = int((res["clinical_pre"] & res["functional_post"]).sum())
    back = int((~res["clinical_pre"] & ~res["functional_post"]).sum())
    assert (moved, 40 - moved - back, back) == (13, 27, 0)  # Improved 13, Unchanged 27, Det. 0


@pytest.mark.parametrize(
    ("method", "kwargs", "expected"),
    [
        ("JT", {}, (26, 3, 10, 1, 0)),
        ("EN", {}, (26, 6, 5, 3, 0)),
        ("HLL", {}, (12, 0, 16, 11, 1)),
        ("GLN", {}, (26, 3, 10, 1, 0)),
        ("NK", {"reliability_post": 0.5}, (26, 2, 11, 1, 0)),
        ("HA", {}, (23, 9, 7, 1, 0)),
    ],
)
def test_combined_snapshot_hamd(method, kwargs, expected):
    pre, post = _claus("hamd")
    res = clinical_significance(
        pre,
        post,
        reliability=0.8,
        method=method,
        m_functional=8,
        sd_functional=8,
        cutoff_type="c",
        **kwargs,
    )
    assert _counts(res) == expected
    if method == "HA":
        group = res.attrs["ha_group_level"]
        assert round(100 * group["changed"], 2) == 90.31  # "Changed 90.31%"
        assert round(100 * group["functional"], 2) == 75.55  # "Functional 75.55%"


@pytest.mark.parametrize(
    ("method", "kwargs", "expected"),
    [
        ("JT", {}, (10, 4, 12, 0, 0)),
        ("GLN", {}, (12, 4, 10, 0, 0)),
        ("HLL", {}, (7, 0, 11, 8, 0)),
        ("EN", {}, (12, 5, 9, 0, 0)),
        ("NK", {"reliability_post": 0.8}, (12, 4, 10, 0, 0)),
    ],
)
def test_v1_snapshot_jacobson1989_gds(method, kwargs, expected):
    pre, post = _gds()
    res = clinical_significance(pre, post, reliability=0.8, method=method, **kwargs)
    assert res.attrs["n"] == 26  # 4 missing GDS post scores dropped
    assert _counts(res) == expected


def test_v1_snapshot_bdi_cutoff_c_and_ha_true_cutoff():
    pre, post = _claus("bdi")
    jt = clinical_significance(
        pre, post, reliability=0.8, m_functional=8, sd_functional=8, cutoff_type="c"
    )
    assert round(jt.attrs["cutoff"], 2) == 21.6  # "a value of 21.6"
    assert _counts(jt) == (10, 8, 22, 0, 0)
    ha = clinical_significance(
        pre, post, reliability=0.8, method="HA", m_functional=8, sd_functional=8, cutoff_type="c"
    )
    desc = ha.attrs["cutoff_descriptives"]
    assert round(ha.attrs["cutoff"], 2) == 21.57  # "c_true" "21.57"
    assert round(desc["reliability_clinical"], 2) == 0.80
    assert round(desc["reliability_functional"], 2) == 0.79
    group = ha.attrs["ha_group_level"]
    assert (round(group["changed"], 3), round(group["functional"], 3)) == (0.841, 0.374)
    # 3.x rules: recovered needs clinical_pre
    assert _counts(ha) == (7, 18, 15, 0, 0)
    # the 1.x rule (recovered = cs_indiv beyond the critical value & improved) gives 8/17/15
    assert _v1_ha_counts(ha) == (8, 17, 15)


def test_v1_snapshot_gds_ha():
    pre, post = _gds()
    ha = clinical_significance(pre, post, reliability=0.8, method="HA")
    group = ha.attrs["ha_group_level"]
    assert (round(group["changed"], 3), round(group["functional"], 3)) == (0.900, 0.448)
    assert _counts(ha) == (6, 11, 9, 0, 0)
    assert _v1_ha_counts(ha) == (7, 10, 9)  # 1.x: Recovered 7, Improved 10, Unchanged 9


def _v1_ha_counts(res) -> tuple[int, int, int]:
    improved_any = res["category"].isin(["recovered", "improved"])
    v1_recovered = improved_any & (-res["cs_indiv"] > Z95)  # lower is better
    return (
        int(v1_recovered.sum()),
        int((improved_any & ~v1_recovered).sum()),
        int((res["category"] == "unchanged").sum()),
    )


# --------------------------------------------------------------------------- cut-off formulas


def test_jt_cutoffs_hand_computed():
    m_c, sd_c, m_f, sd_f = 70.7, 23.8, 114.8, 17.8
    # higher is better (e.g. DAS): a = M_c + 2 SD_c; b = M_f - 2 SD; c weighted by the other SD
    assert jt_cutoff(m_c, sd_c, cutoff_type="a", better="higher") == pytest.approx(70.7 + 47.6)
    assert jt_cutoff(m_c, sd_c, m_f, sd_f, cutoff_type="b", better="higher") == pytest.approx(
        114.8 - 2 * 23.8
    )
    assert jt_cutoff(
        m_c, sd_c, m_f, sd_f, cutoff_type="b", better="higher", criterion_b_sd="functional"
    ) == pytest.approx(114.8 - 2 * 17.8)
    c = (23.8 * 114.8 + 17.8 * 70.7) / (23.8 + 17.8)
    assert jt_cutoff(m_c, sd_c, m_f, sd_f, cutoff_type="c", better="higher") == pytest.approx(c)
    # lower is better flips a and b, not c
    assert jt_cutoff(30, 8, cutoff_type="a", better="lower") == pytest.approx(14)
    assert jt_cutoff(30, 8, 8, 6, cutoff_type="b") == pytest.approx(8 + 16)
    assert jt_cutoff(30, 8, 8, 6, cutoff_type="b", criterion_b_sd="functional") == pytest.approx(20)
    assert jt_cutoff(30, 8, 8, 6, cutoff_type="c") == pytest.approx((8 * 8 + 6 * 30) / 14)


def test_jt1991_das_cutoff_c_from_spanier_norms():
    """J&T (1991) DAS example: norms as given in the brief (functional M 114.8, SD 17.8;
    dysfunctional M 70.7, SD 23.8 -- Spanier 1976's married and divorced samples).

    UNVERIFIED against the paper (only its first page was retrievable). With these inputs
    criterion c is 95.93, not the "about 97" recalled in the brief; a 97 would need other norms.
    Criterion a is 118.3 and b (functional SD) 79.2.
    """
    assert jt_cutoff(70.7, 23.8, 114.8, 17.8, cutoff_type="c", better="higher") == pytest.approx(
        95.93, abs=0.005
    )


def test_cutoff_argument_errors():
    with pytest.raises(ValueError, match="m_functional"):
        jt_cutoff(30, 8, cutoff_type="b")
    with pytest.raises(ValueError, match="sd_functional"):
        jt_cutoff(30, 8, 8, cutoff_type="c")
    with pytest.raises(ValueError, match="sd_functional"):
        jt_cutoff(30, 8, 8, cutoff_type="b", criterion_b_sd="functional")
    with pytest.raises(ValueError, match="cutoff_type"):
        jt_cutoff(30, 8, 8, 6, cutoff_type="d")
    with pytest.raises(ValueError, match="criterion_b_sd"):
        jt_cutoff(30, 8, 8, 6, cutoff_type="b", criterion_b_sd="pooled")


def test_ha_true_cutoffs_hand_computed():
    # Bauer, Lambert & Nielsen (2004) example inputs as used in the package's cut-off tests.
    m_c, sd_c, r, m_f, sd_f = 68.35, 22.33, 0.93, 50.0, 22.0
    se = sd_c * math.sqrt(1 - r)
    r_c = (sd_c**2 - se**2) / sd_c**2
    r_f = (sd_f**2 - se**2) / sd_f**2
    a = ha_cutoff(m_c, sd_c, r, m_f, sd_f, cutoff_type="a", better="higher")
    assert a["cutoff"] == pytest.approx(m_c + 2 * sd_c * math.sqrt(r_c))
    assert a["reliability_clinical"] == pytest.approx(r)
    assert a["reliability_functional"] == pytest.approx(r_f)
    b = ha_cutoff(m_c, sd_c, r, m_f, sd_f, cutoff_type="b", better="lower")
    assert b["cutoff"] == pytest.approx(m_f + 2 * sd_c * math.sqrt(r_c))
    b_f = ha_cutoff(m_c, sd_c, r, m_f, sd_f, cutoff_type="b", criterion_b_sd="functional")
    assert b_f["cutoff"] == pytest.approx(m_f + 2 * sd_f * math.sqrt(r_f))
    c = ha_cutoff(m_c, sd_c, r, m_f, sd_f, cutoff_type="c")
    w_c, w_f = sd_c * math.sqrt(r_c), sd_f * math.sqrt(r_f)
    assert c["cutoff"] == pytest.approx((w_c * m_f + w_f * m_c) / (w_c + w_f))


# --------------------------------------------------------------------------- rules and boundaries


def test_five_categories_hand_rules():
    # lower is better, fixed cut-off 20; S_diff from the data
    pre = pd.Series([30.0, 30.0, 28.0, 15.0, 25.0, 18.0, 26.0])
    post = pd.Series([10.0, 22.0, 27.0, 35.0, 40.0, 19.0, 12.0])
    res = clinical_significance(pre, post, reliability=0.9, cutoff=20)
    n = len(pre)
    m = sum(pre) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in pre) / (n - 1))
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - 0.9)
    expected = []
    for x, y in zip(pre, post, strict=True):
        rci = (y - x) / s_diff
        clin, func = x > 20, y < 20
        if -rci > 1.959963984540054:
            expected.append("recovered" if clin and func else "improved")
        elif -rci < -1.959963984540054:
            expected.append("harmed" if not clin and not func else "deteriorated")
        else:
            expected.append("unchanged")
    assert res["category"].tolist() == expected
    assert set(expected) == set(CATS)  # the example hits all five
    assert res.attrs["cutoff_descriptives"]["type"] == "fixed"
    assert res.attrs["cutoff_descriptives"]["m_clinical"] == pytest.approx(m)


def test_score_exactly_on_cutoff_is_neither():
    pre = pd.Series([20.0, 30.0, 20.0, 10.0])
    post = pd.Series([20.0, 20.0, 40.0, 30.0])
    res = clinical_significance(pre, post, reliability=0.8, cutoff=20)
    assert res["clinical_pre"].tolist() == [False, True, False, False]
    assert res["functional_post"].tolist() == [False, False, False, False]
    hi = clinical_significance(pre, post, reliability=0.8, cutoff=20, better="higher")
    assert hi["clinical_pre"].tolist() == [False, False, False, True]
    assert hi["functional_post"].tolist() == [False, False, True, True]


def test_fixed_cutoff_overrides_and_reports_descriptives():
    pre, post = _claus("bdi")
    res = clinical_significance(
        pre,
        post,
        reliability=0.801,
        cutoff=13.5,
        m_functional=7.69,
        sd_functional=7.52,
        cutoff_type="c",
    )
    assert res.attrs["cutoff"] == 13.5
    desc = res.attrs["cutoff_descriptives"]
    assert desc["type"] == "fixed"
    assert desc["m_clinical"] == pytest.approx(35.475)
    assert res["functional_post"].tolist() == (res["post"] < 13.5).tolist()


def test_clinical_overrides():
    pre = pd.Series([30.0, 28.0, 35.0, 15.0, 40.0, 33.0])
    post = pd.Series([12.0, 26.0, 30.0, 30.0, 41.0, 22.0])
    res = clinical_significance(pre, post, reliability=0.8, m_clinical=25, sd_clinical=5)
    assert res.attrs["cutoff"] == pytest.approx(15.0)


def test_output_columns_and_attrs():
    pre, post = _claus("hamd")
    res = clinical_significance(
        pre, post, reliability=0.8, method="HA", m_functional=8, sd_functional=8, cutoff_type="c"
    )
    assert list(res.columns) == [
        "pre",
        "post",
        "change",
        "rci",
        "clinical_pre",
        "functional_post",
        "cs_indiv",
        "clinical_post",
        "category",
    ]
    for key in (
        "cutoff",
        "cutoff_descriptives",
        "method",
        "critical_value",
        "s_diff",
        "reliability",
        "n",
        "n_dropped",
        "better",
    ):
        assert key in res.attrs
    jt = clinical_significance(pre, post, reliability=0.8)
    assert list(jt.columns) == [
        "pre",
        "post",
        "change",
        "rci",
        "clinical_pre",
        "functional_post",
        "category",
    ]


def _one(pre: float, post: float, **kw) -> str:
    return clinical_significance(pd.Series([pre]), pd.Series([post]), **kw)["category"].iat[0]


def test_fixed_threshold_and_instrument_side_for_one_client():
    """A single client's PHQ-9 pair, as a progress report uses it: threshold 6, clinical >= 10."""
    kw = {"threshold": 6, "cutoff": 10, "clinical_side": ">=", "better": "lower"}
    # 16 -> 10: a drop of 6 (counts, inclusive), but 10 is still clinical on the >= side
    res = clinical_significance(pd.Series([16.0]), pd.Series([10.0]), **kw)
    assert res["category"].tolist() == ["improved"]
    assert res["clinical_pre"].tolist() == [True] and res["functional_post"].tolist() == [False]
    # 16 -> 9: recovered
    assert _one(16.0, 9.0, **kw) == "recovered"
    # 9 -> 15: started functional, ended clinical, rose by 6 -> harmed
    assert _one(9.0, 15.0, **kw) == "harmed"
    # 10 -> 5 drop of 5: below the threshold, unchanged even though it crossed the cut-off
    assert _one(10.0, 5.0, **kw) == "unchanged"


def test_clinical_side_needs_a_fixed_cutoff():
    with pytest.raises(ValueError, match="clinical_side"):
        clinical_significance(
            pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0]), threshold=1, clinical_side=">="
        )


def test_categories_from_elsewhere_combine_with_the_cutoff():
    """rc_categories (e.g. from the growth model) meet the cut-off rules unchanged."""
    pre, post = pd.Series([20.0, 20.0, 8.0]), pd.Series([5.0, 18.0, 15.0])
    given = pd.Series(["improved", "unchanged", "deteriorated"])
    res = clinical_significance(pre, post, rc_categories=given, cutoff=10, clinical_side=">=")
    assert res["category"].tolist() == ["recovered", "unchanged", "harmed"]
    assert res.attrs["method"] == "given"
    with pytest.raises(ValueError, match="rc_categories"):
        clinical_significance(pre, post, rc_categories=pd.Series(["better", "x", "y"]), cutoff=10)
