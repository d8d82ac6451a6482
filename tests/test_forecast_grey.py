"""Grey models against the worked example of Xu, Zhou & Cheng (2017, Acta Ecologica Sinica
37(24): 8264–8274; printed outputs transcribed in tests/data/gm11_linghekou_wetland_health/),
and DGM(2,1), Verhulst and the rolling GM(1,1) against hand computation."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from urbanrural.data.errors import DataError
from urbanrural.methods.forecast.grey import dgm21, gm11, gm11_rolling, level_ratio_bounds, verhulst

DATA = Path(__file__).parent / "data" / "gm11_linghekou_wetland_health"


@pytest.fixture(scope="module")
def paper():
    x = pd.read_csv(DATA / "input_series.csv").CEI.to_numpy()
    printed = pd.read_csv(DATA / "printed_outputs.csv")
    return x, printed


def _printed(printed, quantity):
    return printed[printed.quantity == quantity].printed.to_numpy(float)


def test_coefficients_and_accuracy_to_the_printed_four_decimals(paper):
    x, printed = paper
    m = gm11(x, horizon=4)
    assert round(m.a, 4) == _printed(printed, "a")[0]
    assert round(m.b, 4) == _printed(printed, "b")[0]
    # C with population standard deviations over all five points, q(1) = 0 included
    assert round(m.C, 4) == _printed(printed, "C")[0]
    assert round(float(np.std(m.data)), 4) == _printed(printed, "S1")[0]
    assert round(float(np.std(m.residuals)), 4) == _printed(printed, "S2")[0]
    assert _printed(printed, "P")[0] == m.P
    assert m.level_ratios_ok
    # divisor n − 1 for both leaves C but not S₁, S₂ as printed; dropping q(1) changes C
    assert round(float(np.std(m.data, ddof=1)), 4) == 0.1055
    assert _printed(printed, "S1")[0] != 0.1055
    assert round(float(np.std(m.residuals[1:]) / np.std(m.data)), 4) == 0.1237


def test_fitted_values_and_forecasts(paper):
    x, printed = paper
    m = gm11(x, horizon=4)
    fitted = _printed(printed, "x0_hat")
    # Table 6 at full precision: 0.6105, 0.5259, 0.4530, 0.3903 — the printed 0.4531 comes from
    # forecasting with a, b rounded to four decimals (checked below)
    assert np.round(m.fitted[1:], 4).tolist() == [0.6105, 0.5259, 0.4530, 0.3903]
    assert np.abs(m.fitted[1:] - fitted).max() <= 1.01e-4
    fc = _printed(printed, "forecast")
    assert np.round(m.forecast[:3], 4).tolist() == fc[:3].tolist()  # 0.3362, 0.2896, 0.2495
    # the typo: 2034 is printed 0.2350, but GM(1,1) forecasts fall by e^{−a} each step
    ratio = np.exp(-m.a)
    assert m.forecast[1] / m.forecast[0] == pytest.approx(ratio)
    assert fc[1] / fc[0] == pytest.approx(ratio, abs=2e-4) and fc[2] / fc[1] == pytest.approx(
        ratio, abs=2e-4)
    assert fc[3] / fc[2] == pytest.approx(0.942, abs=1e-3)  # not e^{−a} = 0.8615
    assert round(float(m.forecast[3]), 4) == 0.2149 and fc[3] == 0.2350


def test_the_paper_forecast_with_rounded_coefficients(paper):
    x, printed = paper
    a, b = _printed(printed, "a")[0], _printed(printed, "b")[0]
    assert round(b / a, 4) == _printed(printed, "b_over_a")[0]
    assert round(x[0] - b / a, 4) == _printed(printed, "x0_1_minus_b_over_a")[0]
    k = np.arange(9)
    x1 = (x[0] - b / a) * np.exp(-a * k) + b / a
    x0 = np.r_[x[0], np.diff(x1)]
    assert np.round(x1[1:5], 4).tolist() == [1.2529, 1.7788, 2.2319, 2.6222]
    # Table 6 prints 2.2318 for x̂¹(4): 2.23186 truncated rather than rounded
    assert np.round(x0[1:5], 4).tolist() == _printed(printed, "x0_hat").tolist()
    assert np.round(x[1:] - x0[1:5], 4).tolist() == [0.0067, -0.0015, -0.0168, 0.0148]
    mre = np.mean(np.abs(x[1:] - x0[1:5]) / x[1:]) * 100
    assert round(float(mre), 4) == _printed(printed, "mean_relative_error_pct")[0]
    assert round(float(x0[8]), 4) == 0.2150  # what 2034 should read


def test_level_ratio_bounds_and_bad_input():
    lo, hi = level_ratio_bounds(5)
    assert lo == pytest.approx(np.exp(-1 / 3)) and hi == pytest.approx(np.exp(1 / 3))
    with pytest.raises(DataError, match="position 2"):
        gm11([1.0, 2.0, -1.0, 3.0, 4.0])
    with pytest.raises(DataError, match="position 1"):
        gm11([1.0, np.nan, 2.0, 3.0])
    with pytest.raises(DataError, match="at least 4"):
        gm11([1.0, 2.0, 3.0])


def test_dgm21_by_hand():
    x = np.array([2.0, 2.9, 3.6, 4.1, 4.5])
    # least squares of x(k) − x(k−1) on [−x(k), 1], k = 2..5, by the normal equations
    B = np.column_stack([-x[1:], np.ones(4)])
    a, b = np.linalg.solve(B.T @ B, B.T @ np.diff(x))
    m = dgm21(x, horizon=2)
    assert (m.a, m.b) == pytest.approx((a, b))
    k = np.arange(7)
    x1 = (b / a**2 - x[0] / a) * np.exp(-a * k) + b / a * (k + 1) + (x[0] - b / a) * (1 + a) / a
    assert x1[0] == pytest.approx(x[0])
    assert m.forecast == pytest.approx(np.diff(x1)[4:])


def test_verhulst_recovers_a_logistic_curve():
    t = np.arange(10)
    y = 80 / (1 + 7 * np.exp(-0.4 * t))
    m = verhulst(y, horizon=3)
    assert m.a / m.b == pytest.approx(80, rel=0.03)  # the saturation level
    future = 80 / (1 + 7 * np.exp(-0.4 * np.arange(10, 13)))
    assert m.forecast == pytest.approx(future, rel=0.02)


def test_rolling_gm11_refits_on_its_own_forecasts():
    x = [0.6424, 0.6172, 0.5244, 0.4363, 0.4051]
    f = gm11_rolling(x, 3, window=4)
    buf = list(x[-4:])
    for step in range(3):
        nxt = gm11(buf[-4:], horizon=1).forecast[0]
        assert f[step] == pytest.approx(nxt)
        buf.append(nxt)
