"""The forecasting engine: each model against statsmodels at the same parameters (the oracle;
skipped when statsmodels is absent) or against hand computation, the automatic choice made by
rolling-origin error, and clear errors on bad input."""

import numpy as np
import pandas as pd
import pytest

from urbanrural.data.errors import DataError
from urbanrural.methods.forecast.backtest import eligible_pool
from urbanrural.methods.forecast.models import FORECASTERS, GREY_METHODS, forecast, forecast_pool, paths
from urbanrural.methods.forecast.smoothing import drift_forecast, fit_smoothing, fit_theta, naive_forecast

# China's urbanisation rate 2003–2016 (%, NBS current vintage: population_urban/population_total
# of the embedded china_national, rounded to two decimals)
URB = np.array([40.53, 41.76, 42.99, 44.34, 45.89, 46.99, 48.34, 49.95, 51.83, 53.10, 54.49,
                55.75, 57.33, 58.84])


@pytest.fixture(scope="module")
def ets_model():
    sm = pytest.importorskip("statsmodels.tsa.exponential_smoothing.ets")
    return sm.ETSModel


@pytest.mark.parametrize("kind, params", [("ses", (0.6, 0.0, 1.0)), ("holt", (0.5, 0.1, 1.0)),
                                          ("damped", (0.5, 0.1, 0.9))])
def test_smoothing_equals_statsmodels_at_the_same_parameters(ets_model, kind, params):
    a, b, phi = params
    f = fit_smoothing(URB, kind, grid=([a], [b], [phi]))
    y = pd.Series(URB, index=pd.RangeIndex(len(URB)))
    if kind == "ses":
        m = ets_model(y, error="add", trend=None)
        r = m.smooth([a, f.initial_level[0]])
    else:
        m = ets_model(y, error="add", trend="add", damped_trend=kind == "damped")
        p = [a, b, phi] if kind == "damped" else [a, b]
        r = m.smooth([*p, f.initial_level[0], f.initial_slope[0]])
    assert f.sse[0] == pytest.approx(r.sse, rel=1e-6)
    mean, sd = f.forecast(4)
    assert mean[0] == pytest.approx(r.forecast(4).to_numpy(), rel=1e-9)
    # statsmodels' analytic intervals use σ² = SSE/T; ours SSE/(T − p) as R's forecast::ets
    frame = r.get_prediction(start=len(URB), end=len(URB) + 3).summary_frame(alpha=0.2)
    width = (frame.pi_upper - frame["mean"]).to_numpy() / 1.2815515655446004
    T = len(URB)
    assert sd[0] * np.sqrt((T - f.n_params) / T) == pytest.approx(width, rel=1e-6)


def test_the_least_squares_initial_state_is_optimal(ets_model):
    # the initial state solved in closed form beats any nearby one at the same parameters
    f = fit_smoothing(URB, "holt", grid=([0.5], [0.1], [1.0]))
    y = pd.Series(URB, index=pd.RangeIndex(len(URB)))
    m = ets_model(y, error="add", trend="add")
    base = m.smooth([0.5, 0.1, f.initial_level[0], f.initial_slope[0]]).sse
    for dl, db in [(0.05, 0), (-0.05, 0), (0, 0.02), (0, -0.02)]:
        assert m.smooth([0.5, 0.1, f.initial_level[0] + dl, f.initial_slope[0] + db]).sse > base


def test_grid_optimum_is_close_to_the_statsmodels_optimum(ets_model):
    y = pd.Series(URB, index=pd.RangeIndex(len(URB)))
    for kind in ("ses", "damped"):
        trend = None if kind == "ses" else "add"
        opt = ets_model(y, error="add", trend=trend, damped_trend=kind == "damped").fit(disp=False)
        ours = fit_smoothing(URB, kind).sse[0]
        assert ours <= opt.sse * 1.02, kind


def test_theta_equals_statsmodels():
    theta = pytest.importorskip("statsmodels.tsa.forecasting.theta")
    y = pd.Series(URB, index=pd.RangeIndex(len(URB)))
    r = theta.ThetaModel(y, period=1, deseasonalize=False).fit(use_mle=False)
    mean, sd, alpha = fit_theta(URB, 4, alpha=float(r.params["alpha"]))
    assert mean[0] == pytest.approx(r.forecast(4).to_numpy(), rel=1e-9)
    # and the grid choice of α gives nearly the same forecasts (α = 0.999 vs 0.9999 here)
    mean2, _, a2 = fit_theta(URB, 4)
    assert a2[0] == 0.999 and mean2[0] == pytest.approx(r.forecast(4).to_numpy(), abs=0.05)


def test_random_walks_by_hand():
    y = np.array([1.0, 2.0, 4.0, 5.0])
    mean, sd = naive_forecast(y, 2)
    assert mean[0].tolist() == [5.0, 5.0]
    assert sd[0] == pytest.approx(np.sqrt((1 + 4 + 1) / 3 * np.array([1, 2])))
    mean, sd = drift_forecast(y, 2)
    assert mean[0] == pytest.approx([5 + 4 / 3, 5 + 8 / 3])
    # σ² = Σ(d − 4/3)²/(T − 2) = (1/9 + 4/9 + 1/9)/2 = 1/3; sd_h = σ√(h(1 + h/3))
    assert sd[0] == pytest.approx(np.sqrt(1 / 3 * np.array([1 * (1 + 1 / 3), 2 * (1 + 2 / 3)])))


def test_every_training_length_at_once_equals_fitting_each_prefix():
    for name in ("naive2", "drift", "ses", "holt", "damped", "ets", "theta", "gm11"):
        mean, sd = paths(URB, 3, name, n_train=[8, 11, 14])
        for i, n in enumerate((8, 11, 14)):
            m1, s1 = paths(URB[:n], 3, name)
            assert mean[i] == pytest.approx(m1[0]), name
            np.testing.assert_allclose(sd[i], s1[0], equal_nan=True)


def test_forecast_api_and_intervals():
    f = forecast(URB, 5, method="damped", level=(80, 95))
    assert len(f.mean) == 5 and f.method == "damped"
    assert (f.lower[95] < f.lower[80]).all() and (f.lower[80] < f.mean).all()
    assert (f.mean < f.upper[80]).all() and (f.upper[80] < f.upper[95]).all()
    frame = f.to_frame(start=2017)
    assert frame.step.tolist() == [2017, 2018, 2019, 2020, 2021]
    g = forecast(URB, 3, method="gm11")
    assert np.isnan(g.lower[80]).all()  # grey models give no interval
    assert set(FORECASTERS) >= {"naive", "naive2", "drift", "ses", "holt", "damped", "ets",
                                "theta", "arima", "gm11", "gm11_rolling", "dgm21", "verhulst"}


def test_auto_chooses_by_rolling_origin_error_and_combination_is_a_median():
    pool = forecast_pool(URB, 4)
    f, c = pool["auto"], pool["combination"]
    ov = f.backtest.overall.set_index("method").mase
    single = eligible_pool(f.backtest)[0]
    # the combination unless the best single model's MASE is below half the combination's
    expected = single if ov[single] < 0.5 * ov["combination"] else "combination"
    assert f.method == expected and f.members[0] == expected
    assert ov[single] == ov.drop("combination").loc[list(eligible_pool(f.backtest))].min()
    # with no margin the backtest winner is taken
    winner = forecast_pool(URB, 4, single_model_margin=0.0)["auto"].method
    assert winner == (single if ov[single] < ov["combination"] else "combination")
    assert forecast(URB, 4, method="combination").mean == pytest.approx(c.mean)
    # the median of the members; a grey member only over the 3 horizons the backtest scored
    # (14 points: backtest_horizon 3), so step 4 is the median of the 7 non-grey members
    stack = np.vstack([paths(URB, 4, m)[0][0] for m in c.members])
    assert c.mean[:3] == pytest.approx(np.median(stack[:, :3], axis=0))
    non_grey = [i for i, m in enumerate(c.members) if m not in GREY_METHODS]
    assert len(non_grey) == 7 and c.mean[3] == pytest.approx(np.median(stack[non_grey, 3]))
    # on 27 errors all four grey models beat Naive2 by far (relative MASE 0.14–0.29): all enter
    assert set(GREY_METHODS) <= set(c.members)


def test_grey_models_warn_far_beyond_the_scored_horizons():
    # 14 points: a backtest scores at most 3 steps; 12 steps of a grey curve earn a warning
    with pytest.warns(UserWarning, match="far beyond"):
        forecast(URB, 12, method="verhulst")
    # a near-exponential series where GM(1,1) wins the backtest (11 errors, 0.06 × Naive2):
    # with no margin "auto" took it and ran it 12 years on 2 scored years; now it is used over
    # the scored horizons only, never as the single choice 12 steps out
    y = np.array([5.0, 5.5, 6.1, 6.6, 7.4, 8.1, 9.0, 9.8, 10.9, 12.0])
    near = forecast_pool(y, 2, pool=("gm11", "drift"), single_model_margin=0.0)
    assert near["auto"].method == "gm11"
    far = forecast_pool(y, 12, pool=("gm11", "drift"), single_model_margin=0.0)
    assert far["auto"].method != "gm11"
    assert far["combination"].members == ("gm11", "drift", "naive2")
    # beyond step 2 the median of the two members with forecasts there
    assert far["combination"].mean[2:] == pytest.approx((far["drift"].mean[2:] + far["naive2"].mean[2:]) / 2)


def test_bad_input_is_a_clear_error():
    with pytest.raises(DataError, match="position 3"):
        forecast([1.0, 2.0, 3.0, np.nan, 5.0], 2, method="naive")
    with pytest.raises(DataError, match="unknown method 'prophet'"):
        forecast(URB, 2, method="prophet")
    with pytest.raises(DataError, match="horizon"):
        forecast(URB, 0)
    with pytest.raises(DataError, match="interval level 100"):
        forecast(URB, 2, method="naive", level=(80, 100))
    with pytest.raises(DataError, match="not positive"):
        forecast([1.0, -2.0, 3.0, 4.0, 5.0], 2, method="gm11")
