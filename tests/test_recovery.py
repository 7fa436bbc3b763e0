"""Tests for the expected-recovery model (therapy_outcomes.outcomes.expected_recovery).

The model is fitted to data simulated with numpy from known coefficients and variance
components (the form in docs/methods.md#expected-recovery, Finch et al. 2001) and must recover them.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.outcomes.expected_recovery import (
    ExpectedRecoveryModel,
    NotEnoughData,
    fit_expected_recovery,
    score_series,
)

TRUE_B = (3.0, 0.8, -1.0, -0.15)  # b0, b1 (intake), b2 (log session), b3 (intake x log session)
TRUE_G = np.array([[4.0, -0.5], [-0.5, 1.0]])  # random intercept / log-session slope
TRUE_SIGMA2 = 4.0
START = pd.Timestamp("2026-01-05")


def simulate(
    n_clients: int, seed: int, max_len: int = 12, instrument: str = "PHQ-9"
) -> pd.DataFrame:
    """Weekly scores: intake at session 1, then the model of docs/methods.md#expected-recovery."""
    rng = np.random.default_rng(seed)
    b0, b1, b2, b3 = TRUE_B
    intake = rng.normal(16, 4, n_clients)
    u = rng.multivariate_normal([0, 0], TRUE_G, n_clients)
    rows = []
    for i in range(n_clients):
        cid = f"C{i:04d}"
        rows.append((cid, 1, intake[i]))
        for s in range(2, int(rng.integers(4, max_len + 1)) + 1):
            lg = math.log(s)
            y = (
                b0
                + b1 * intake[i]
                + (b2 + b3 * intake[i]) * lg
                + u[i, 0]
                + u[i, 1] * lg
                + rng.normal(0, math.sqrt(TRUE_SIGMA2))
            )
            rows.append((cid, s, y))
    df = pd.DataFrame(rows, columns=["client_id", "session", "total"])
    df["administered_on"] = START + pd.to_timedelta((df["session"] - 1) * 7, unit="D")
    df["instrument"] = instrument
    df["valid"] = True
    df["administration_id"] = [f"A{i:06d}" for i in range(len(df))]
    return df.drop(columns="session")


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate(300, seed=11)


@pytest.fixture(scope="module")
def fitted(simulated) -> ExpectedRecoveryModel:
    return fit_expected_recovery(simulated, as_of="2026-06-30")


def hand_model(better: str = "lower", **kw) -> ExpectedRecoveryModel:
    values = dict(
        instrument="PHQ-9" if better == "lower" else "ORS",
        better=better,
        n_clients=100,
        n_observations=600,
        b0=2.0,
        b1=0.8,
        b2=-0.5,
        b3=-0.15,
        var_intercept=4.0,
        var_slope=0.5,
        cov_intercept_slope=-0.4,
        var_residual=9.0,
        fit_date=pd.Timestamp("2026-06-30"),
        converged=True,
    )
    values.update(kw)
    return ExpectedRecoveryModel(**values)


# -- recovery of known parameters ----------------------------------------------------------


def test_recovers_fixed_effects_within_three_standard_errors(fitted):
    assert fitted.converged
    for est, se, true in zip(
        (fitted.b0, fitted.b1, fitted.b2, fitted.b3), fitted.se, TRUE_B, strict=True
    ):
        assert se > 0
        assert abs(est - true) < 3 * se, (est, se, true)
    # and in absolute terms, tight enough to matter clinically
    assert fitted.b1 == pytest.approx(TRUE_B[1], abs=0.08)
    assert fitted.b3 == pytest.approx(TRUE_B[3], abs=0.05)


def test_recovers_variance_components(fitted):
    """Residual variance and the between-client variance at the sessions observed.

    The separate elements of G are weakly identified (the random intercept sits at
    log(session) = 0, outside the post-intake data, so G00 and G01 trade off); what the bound
    uses, z' G z at the observed sessions, is well identified. Over seeds 11-20 the error of
    z' G z was at most 22 % and of sigma^2 at most 6 %.
    """
    assert fitted.var_residual == pytest.approx(TRUE_SIGMA2, rel=0.1)
    g = np.array(
        [
            [fitted.var_intercept, fitted.cov_intercept_slope],
            [fitted.cov_intercept_slope, fitted.var_slope],
        ]
    )
    for s in (2, 5, 12):
        z = np.array([1.0, math.log(s)])
        assert z @ g @ z == pytest.approx(z @ TRUE_G @ z, rel=0.35), s
    assert np.all(np.linalg.eigvalsh(g) >= -1e-9)  # a covariance matrix


def test_predictions_match_true_curve(fitted):
    true_mean = TRUE_B[0] + TRUE_B[1] * 18 + (TRUE_B[2] + TRUE_B[3] * 18) * math.log(8)
    mean, sd = fitted.predict(18, 8)
    assert mean == pytest.approx(true_mean, abs=0.6)
    lg = math.log(8)
    true_sd = math.sqrt(TRUE_G[0, 0] + 2 * lg * TRUE_G[0, 1] + lg**2 * TRUE_G[1, 1] + TRUE_SIGMA2)
    assert sd == pytest.approx(true_sd, rel=0.15)


def test_model_records_provenance(fitted, simulated):
    n_post = int((simulated.groupby("client_id").cumcount() > 0).sum())
    assert fitted.instrument == "PHQ-9"
    assert fitted.better == "lower"
    assert fitted.n_clients == 300
    assert fitted.n_observations == n_post
    assert fitted.fit_date == pd.Timestamp("2026-06-30")
    assert fitted.session_basis == "scores"
    assert fitted.max_session == 20
    d = fitted.describe()
    assert d["fit_date"] == "2026-06-30"
    assert set(d["coefficients"]) == {"intercept", "intake", "log_session", "intake_x_log_session"}
    assert "300 clients" in fitted.source


def test_fit_is_frozen_and_reproducible(fitted):
    with pytest.raises(dataclasses.FrozenInstanceError):
        fitted.b0 = 0.0  # type: ignore[misc]
    data = simulate(40, seed=9, max_len=6)
    first = fit_expected_recovery(data, as_of="2026-06-30")
    assert fit_expected_recovery(data.sample(frac=1, random_state=1), as_of="2026-06-30") == first


def test_fit_date_defaults_to_latest_score_not_wall_clock():
    data = simulate(40, seed=2, max_len=6)
    model = fit_expected_recovery(data)
    assert model.fit_date == data["administered_on"].max().normalize()


def test_scores_after_as_of_are_not_used():
    data = simulate(40, seed=3, max_len=8)
    cut = START + pd.Timedelta(days=7 * 3)  # sessions 1-4 only
    model = fit_expected_recovery(data, as_of=cut)
    used = data[data["administered_on"] <= cut]
    assert model.n_observations == int((used.groupby("client_id").cumcount() > 0).sum())
    assert model.fit_date == cut


def test_max_session_excludes_later_scores():
    data = simulate(40, seed=4, max_len=12)
    model = fit_expected_recovery(data, max_session=5)
    pos = data.groupby("client_id").cumcount() + 1
    assert model.n_observations == int(((pos >= 2) & (pos <= 5)).sum())
    assert model.max_session == 5


# -- predict and bound -------------------------------------------------------------------------


def test_predict_formula_by_hand():
    m = hand_model()
    lg = math.log(5)
    mean, sd = m.predict(15, 5)
    assert mean == pytest.approx(2.0 + 0.8 * 15 + (-0.5 - 0.15 * 15) * lg)
    assert sd == pytest.approx(math.sqrt(4.0 + 2 * lg * -0.4 + lg**2 * 0.5 + 9.0))


@pytest.mark.parametrize("better", ["lower", "higher"])
def test_bound_is_monotonic_in_percentile_towards_the_worse_side(better):
    m = hand_model(better)
    percentiles = [5, 25, 50, 75, 90, 95, 99]
    bounds = np.array([m.bound(15, 6, p) for p in percentiles])
    mean, _ = m.predict(15, 6)
    if better == "lower":
        assert np.all(np.diff(bounds) > 0)
        assert m.bound(15, 6, 90) > mean
    else:
        assert np.all(np.diff(bounds) < 0)
        assert m.bound(15, 6, 90) < mean
    assert m.bound(15, 6, 50) == pytest.approx(mean)


def test_bound_is_mean_plus_z_sd():
    m = hand_model()
    mean, sd = m.predict(12, 4)
    assert m.bound(12, 4, 90) == pytest.approx(mean + 1.2815515655446004 * sd)


def test_predict_is_vectorised_and_flat_after_max_session():
    m = hand_model(max_session=10)
    mean, sd = m.predict(np.array([10.0, 20.0]), np.array([4, 4]))
    assert mean.shape == sd.shape == (2,)
    assert mean[1] > mean[0]
    assert m.predict(15, 25) == m.predict(15, 10)
    curve = m.curve(15, percentile=90)
    assert curve["session_number"].tolist() == list(range(1, 11))
    assert (curve["bound"] > curve["expected"]).all()


@pytest.mark.parametrize("session", [0, -1, float("nan")])
def test_predict_rejects_bad_session_numbers(session):
    with pytest.raises(ValueError, match="session_number"):
        hand_model().predict(15, session)


@pytest.mark.parametrize("percentile", [0, 100, -5, 150, True])
def test_bound_rejects_bad_percentile(percentile):
    with pytest.raises(ValueError, match="percentile"):
        hand_model().bound(15, 3, percentile)


def test_model_validates_its_fields():
    with pytest.raises(ValueError, match="better"):
        hand_model(better="up")
    with pytest.raises(ValueError, match="var_residual"):
        hand_model(var_residual=-1.0)


# -- not enough data -----------------------------------------------------------------------------


def test_not_enough_clients_raises_clear_error():
    data = simulate(12, seed=5, max_len=6)
    with pytest.raises(NotEnoughData, match="at least 30 clients") as info:
        fit_expected_recovery(data)
    assert isinstance(info.value, ValueError)
    assert "the data have 12" in str(info.value)


def test_clients_with_only_an_intake_do_not_count():
    data = simulate(40, seed=6, max_len=6)
    first = data.groupby("client_id").head(1)
    lonely = first.assign(client_id=first["client_id"] + "x")  # 40 clients with intake only
    few = pd.concat([data[data["client_id"] < "C0020"], lonely], ignore_index=True)
    with pytest.raises(NotEnoughData, match="the data have 20"):
        fit_expected_recovery(few)


def test_no_spread_in_intakes_raises():
    data = simulate(40, seed=7, max_len=6)
    first = data.groupby("client_id").cumcount() == 0
    data.loc[first, "total"] = 15.0
    with pytest.raises(NotEnoughData, match="no spread"):
        fit_expected_recovery(data)


# -- session numbering -----------------------------------------------------------------------


def test_score_series_skips_invalid_scores_and_separates_raters():
    scores = pd.DataFrame(
        {
            "client_id": ["A"] * 5,
            "instrument": ["PHQ-9"] * 4 + ["GAD-7"],
            "administered_on": pd.to_datetime(
                ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-12", "2026-01-12"]
            ),
            "total": [18.0, np.nan, 12.0, 20.0, 5.0],
            "valid": [True, False, True, True, True],
            "rater": ["self", "self", "self", "parent", "self"],
        }
    )
    out = score_series(scores, "PHQ-9")
    assert out[["rater", "total", "session_number", "intake"]].values.tolist() == [
        ["parent", 20.0, 1, 20.0],
        ["self", 18.0, 1, 18.0],
        ["self", 12.0, 2, 18.0],
    ]


def test_attended_sessions_basis_counts_attended_sessions_only():
    scores = pd.DataFrame(
        {
            "client_id": ["A", "A"],
            "instrument": "PHQ-9",
            "administered_on": pd.to_datetime(["2026-01-05", "2026-02-02"]),
            "total": [18.0, 12.0],
            "valid": True,
        }
    )
    sessions = pd.DataFrame(
        {
            "client_id": ["A"] * 5 + ["B"],
            "session_on": pd.to_datetime(
                ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02", "2026-01-12"]
            ),
            "attendance": [
                "attended",
                "attended",
                "did_not_attend",
                "cancelled",
                "attended",
                "attended",
            ],
        }
    )
    out = score_series(scores, "PHQ-9", sessions=sessions)
    assert out["session_number"].tolist() == [1, 3]
    assert out["position"].tolist() == [1, 2]


def test_attended_sessions_basis_is_recorded_in_the_model():
    data = simulate(35, seed=8, max_len=6)
    sessions = (
        data[["client_id", "administered_on"]]
        .rename(columns={"administered_on": "session_on"})
        .assign(attendance="attended")
    )
    model = fit_expected_recovery(data, sessions)
    assert model.session_basis == "attended_sessions"
    assert model.n_clients == 35
