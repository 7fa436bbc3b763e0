"""Tests for the HLM reliable-change method (therapy_outcomes.change.hlm).

Published figures reproduced (``slope="deviation"``, which is what the package computes:
``lme4::ranef(condVar = TRUE)``, ``condval / condsd``):

- clinicalsignificance vignette "The Distribution-Based Approach" (3.x), claus_2020 BDI-II, all
  four time points, ``rci_method = "HLM"``: N original 43, N used 40; improved 5, unchanged 32,
  deteriorated 3.
- tests/testthat/_snaps/cs_distribution.md (3.x), claus_2020 HAMD, HLM: 11 / 20 / 9.

The empirical-Bayes slopes and conditional SDs are also checked against the textbook formulas
(Raudenbush & Bryk 2002, ch. 3) evaluated with numpy from the fitted variance components.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import external
from therapy_outcomes.change.hlm import reliable_change_hlm
from therapy_outcomes.change.reliable import reliable_change


@pytest.fixture(scope="module")
def claus() -> pd.DataFrame:
    path = external("clinicalsignificance", "claus_2020.csv")
    return pd.read_csv(path)


def _counts(res):
    vc = res["category"].value_counts()
    return int(vc["improved"]), int(vc["unchanged"]), int(vc["deteriorated"])


def test_vignette_bdi_hlm(claus):
    res = reliable_change_hlm(claus, id="id", time="time", outcome="bdi", slope="deviation")
    assert len(res) == 43  # N (original)
    assert res.attrs["n_clients"] == 40  # N (used)
    assert res.attrs["n_excluded"] == 3
    assert _counts(res) == (5, 32, 3)  # Improved 5, Unchanged 32, Deteriorated 3
    assert res.attrs["converged"]


def test_snapshot_hamd_hlm(claus):
    res = reliable_change_hlm(claus, id="id", time="time", outcome="hamd", slope="deviation")
    assert res.attrs["n_clients"] == 40
    assert _counts(res) == (11, 20, 9)


def test_eb_estimates_match_textbook_formulas(claus):
    res = reliable_change_hlm(claus, id="id", time="time", outcome="bdi")
    a = res.attrs
    beta = np.array([a["fixed_effects"]["intercept"], a["fixed_effects"]["time"]])
    vc = a["variance_components"]
    d = np.array(
        [
            [vc["intercept_var"], vc["intercept_slope_cov"]],
            [vc["intercept_slope_cov"], vc["slope_var"]],
        ]
    )
    sigma2 = vc["residual_var"]
    data = claus.dropna(subset=["bdi"])
    for cid, grp in data.groupby("id"):
        if len(grp) < 3:
            assert res.loc[cid, "excluded"]
            assert pd.isna(res.loc[cid, "category"])
            continue
        z = np.column_stack([np.ones(len(grp)), grp["time"].to_numpy(float)])
        v = z @ d @ z.T + sigma2 * np.eye(len(grp))
        vinv = np.linalg.inv(v)
        u = d @ z.T @ vinv @ (grp["bdi"].to_numpy(float) - z @ beta)
        cond = d - d @ z.T @ vinv @ z @ d
        assert res.loc[cid, "random_slope"] == pytest.approx(u[1], rel=1e-6, abs=1e-8)
        assert res.loc[cid, "slope_sd"] == pytest.approx(np.sqrt(cond[1, 1]), rel=1e-6)
        # default slope="total": the client's own slope gamma_10 + u_1j
        assert res.loc[cid, "slope"] == pytest.approx(beta[1] + u[1], rel=1e-9)
        rci = (beta[1] + u[1]) / np.sqrt(cond[1, 1])
        expected = (
            "improved"
            if -rci > 1.959963984540054
            else "deteriorated"
            if -rci < -1.959963984540054
            else "unchanged"
        )
        assert res.loc[cid, "category"] == expected


def test_attrs_model_summary(claus):
    res = reliable_change_hlm(claus, id="id", time="time", outcome="hamd")
    a = res.attrs
    assert a["method"] == "HLM" and a["slope"] == "total" and a["reml"] is True
    assert a["n_obs"] == 160
    assert a["excluded_ids"] == [4, 17, 27]
    assert a["n_dropped_missing"] == 8  # HAMD has 8 missing values
    assert set(a["variance_components"]) == {
        "intercept_var",
        "slope_var",
        "intercept_slope_cov",
        "residual_var",
    }
    assert a["critical_value"] == pytest.approx(1.959963984540054)
    assert list(res.columns) == [
        "n_obs",
        "excluded",
        "fixed_slope",
        "random_slope",
        "slope",
        "slope_sd",
        "rci",
        "category",
    ]


def _toy() -> pd.DataFrame:
    noise = [1.0, -1.5, 0.5, 0.0]
    clients = [
        ("a", 22, -3.0),
        ("b", 18, -0.3),
        ("c", 25, 2.0),
        ("d", 20, -1.0),
        ("e", 24, -2.5),
        ("f", 19, 0.0),
    ]
    rows = [
        (c, t, b0 + b1 * t + noise[(t + k) % 4])
        for k, (c, b0, b1) in enumerate(clients)
        for t in range(5)
    ]
    rows += [("g", 0, 30.0), ("g", 1, 29.0), ("h", 0, None), ("h", 1, 20.0), ("h", 2, 19.0)]
    return pd.DataFrame(rows, columns=["client_id", "time", "score"])


def test_excluded_clients_reported_not_dropped():
    res = reliable_change_hlm(_toy())
    assert res.attrs["n_excluded"] == 2
    assert res.attrs["excluded_ids"] == ["g", "h"]
    assert res.loc["g", "n_obs"] == 2 and res.loc["h", "n_obs"] == 2
    assert res.loc[["g", "h"], "excluded"].all()
    assert res.loc[["g", "h"], "category"].isna().all()
    assert res.attrs["n_dropped_missing"] == 1
    two = reliable_change_hlm(_toy(), min_measurements=2)
    assert two.attrs["n_excluded"] == 0


def test_better_direction_swaps_categories():
    lower = reliable_change_hlm(_toy())
    higher = reliable_change_hlm(_toy(), better="higher")
    swap = {"improved": "deteriorated", "deteriorated": "improved", "unchanged": "unchanged"}
    kept = ~lower["excluded"]
    assert higher.loc[kept, "category"].tolist() == [swap[c] for c in lower.loc[kept, "category"]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"outcome": "nope"}, "no column"),
        ({"min_measurements": 1}, "at least 2"),
        ({"slope": "fixed"}, "slope"),
        ({"better": "up"}, "better"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        reliable_change_hlm(_toy(), **kwargs)


def test_time_must_be_numeric():
    df = _toy()
    df["time"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(df["time"] * 7, unit="D")
    with pytest.raises(ValueError, match="numeric"):
        reliable_change_hlm(df)


def test_reliable_change_points_to_hlm():
    with pytest.raises(ValueError, match="reliable_change_hlm"):
        reliable_change(pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0]), method="hlm")
