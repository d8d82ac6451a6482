"""Target paths: the required growth formula against hand computation, the year a target is
met, the probability from simulated paths, and the paths' spread against the analytic fan."""

import numpy as np
import pandas as pd
import pytest

from urbanrural.data.errors import DataError
from urbanrural.methods.forecast.claims import (
    benchmark_claim,
    likelihood_claim,
    projection_claim,
    target_claim,
)
from urbanrural.methods.forecast.models import paths
from urbanrural.methods.forecast.targets import (
    probability_target_met,
    required_growth,
    simulate_combination,
    simulate_paths,
    year_target_met,
)

URB = np.array([40.53, 41.76, 42.99, 44.34, 45.89, 46.99, 48.34, 49.95, 51.83, 53.10, 54.49,
                55.75, 57.33, 58.84])


def test_required_growth_by_hand():
    # 2.56 in 2020 to 2.0 in 2035 with urban incomes growing 7.47 % a year
    gr = required_growth(2.56, 2.0, 15, 0.0747)
    assert float(gr) == pytest.approx(1.0747 * (2.56 / 2.0) ** (1 / 15) - 1)
    # compounding back: the ratio reaches the target exactly
    assert 2.56 * (1.0747 / (1 + gr)) ** 15 == pytest.approx(2.0)
    # no change needed when the ratio is already at the target: equal growth
    assert float(required_growth(2.0, 2.0, 10, 0.05)) == pytest.approx(0.05)
    assert required_growth([2.5, 2.5], [2.2, 1.8], 10, 0.05).shape == (2,)
    with pytest.raises(DataError):
        required_growth(2.5, 0.0, 10, 0.05)


def test_year_met_and_probability():
    years = np.arange(2021, 2026)
    assert year_target_met(years, [2.5, 2.4, 2.3, 2.2, 2.1], 2.3) == 2023
    assert year_target_met(years, [60, 62, 64, 66, 68], 65, direction="above") == 2024
    assert np.isnan(year_target_met(years, [2.5, 2.4, 2.3, 2.2, 2.1], 2.0))
    p = np.array([[2.4, 2.1], [2.3, 1.9], [2.2, 2.0], [2.5, 2.3]])
    assert probability_target_met([2024, 2025], p, 2.0, 2025) == 0.5
    assert probability_target_met([2024, 2025], p, 2.3, 2024) == 0.5
    with pytest.raises(DataError, match="2030"):
        probability_target_met([2024, 2025], p, 2.0, 2030)


@pytest.mark.parametrize("method", ["drift", "holt", "damped", "ses", "theta"])
def test_simulated_paths_match_the_analytic_fan(method):
    mean, sd = paths(URB, 6, method)
    sims = simulate_paths(URB, 6, method, draws=4000, seed=1)
    assert sims.mean(axis=0) == pytest.approx(mean[0], abs=4 * sd[0].max() / np.sqrt(4000))
    assert sims.std(axis=0) == pytest.approx(sd[0], rel=0.06)


def test_combination_paths_are_the_median_of_member_paths():
    normals = np.random.default_rng(5).standard_normal((300, 5))
    one = simulate_combination(URB, 4, ["holt"], draws=300, seed=5)
    assert one == pytest.approx(simulate_paths(URB, 4, "holt", normals=normals))
    # grey members have no error model and are left out: before, two identical deterministic
    # members outvoted the random one and every draw equalled the GM(1,1) forecast (finding 1)
    grey = paths(URB, 4, "gm11")[0][0]
    three = simulate_combination(URB, 4, ["drift", "gm11", "gm11"], draws=300)
    assert three == pytest.approx(simulate_combination(URB, 4, ["drift"], draws=300))
    assert not np.isclose(three, grey).all(axis=1).any()
    with pytest.raises(DataError, match="arima"):
        simulate_combination(URB, 4, ["arima"], draws=10)
    with pytest.raises(DataError, match="no member"):
        simulate_combination(URB, 4, ["gm11"], draws=10)


def test_probability_by_the_target_year_counts_earlier_crossings():
    # by hand: path 1 dips to 1.9 in 2031 and ends at 2.1; path 2 never reaches 2.0; path 3
    # ends at 1.95
    years = [2030, 2031, 2032]
    p = [[2.2, 1.9, 2.1], [2.3, 2.2, 2.1], [2.1, 2.05, 1.95]]
    assert probability_target_met(years, p, 2.0, 2032) == pytest.approx(1 / 3)
    assert probability_target_met(years, p, 2.0, 2032, by=True) == pytest.approx(2 / 3)
    assert probability_target_met(years, p, 2.0, 2031, by=True) == pytest.approx(1 / 3)
    assert probability_target_met(years, p, 2.15, 2030, by=True, direction="above") == pytest.approx(2 / 3)


def test_fan_from_paths_quantiles():
    from urbanrural.methods.forecast.targets import fan_from_paths

    # 1..1000: the 10 % and 90 % quantiles (linear interpolation) are 100.9 and 900.1
    lo, hi = fan_from_paths(np.arange(1.0, 1001.0)[:, None], (80,))
    assert lo[80][0] == pytest.approx(100.9) and hi[80][0] == pytest.approx(900.1)


def test_claims():
    assert benchmark_claim(0.94).verdict == "beats_naive2"
    assert benchmark_claim(0.96).verdict == "level_with_naive2"
    # the income ratio's drift: 0.54 × Naive2 on 7 errors (4 origins, 8 points) — no verdict
    assert benchmark_claim(0.543, n=7).verdict == "too_few_errors"
    assert benchmark_claim(0.543, n=10).verdict == "beats_naive2"
    from urbanrural.methods.forecast.claims import growth_gap_claim, path_label

    # by hand: from 2.5588 (2020) to a target of 2.6 by 2035 with urban incomes at 7.4734 % a
    # year, rural incomes need 1.074734 × (2.5588/2.6)^(1/15) − 1 = 7.3590 %: slower, a gap
    # of −0.1144 points (the template used to print "points faster" whatever the sign)
    gr = float(required_growth(2.5588, 2.6, 15, 0.074734))
    assert gr == pytest.approx(1.074734 * (2.5588 / 2.6) ** (1 / 15) - 1)
    assert 100 * gr == pytest.approx(7.3590, abs=1e-4)
    assert growth_gap_claim(100 * gr - 7.4734).verdict == "rural_slower"
    assert growth_gap_claim(9.2532 - 7.4734).verdict == "rural_faster"
    assert "不晚于" in path_label("met_by_target_year", "zh")
    assert target_claim(2036.0, 2035, 2040).verdict == "met_after_target_year"
    assert likelihood_claim(2 / 3).verdict == "likely" and likelihood_claim(0.34).verdict == "about_even"
    c = projection_claim(61.428, 63.89)
    assert c.verdict == "underestimated" and c.values["error"] == pytest.approx(-2.462)
    assert projection_claim(63.95, 63.89).verdict == "on_target"


def test_growth_accounting_reproduces_liu_and_flags_the_inconsistent_columns():
    from pathlib import Path

    from urbanrural.methods.forecast.growth import compare_printed, growth_accounting

    d = Path(__file__).parent / "data" / "growth_accounting_paths_china_2030_liu"
    computed = growth_accounting(pd.read_csv(d / "inputs.csv"))
    r = compare_printed(computed, pd.read_csv(d / "printed_outputs.csv"))
    # Table 1, 1985–2007 by hand: k = 21.32 × 0.53 = 11.30; g = 0.62k + 0.38(1.58 − 0.07) + 2.44
    first = computed.iloc[0]
    assert first.capital_growth_pct == pytest.approx(11.2996)
    assert first.growth_pct == pytest.approx(0.62 * 11.2996 + 0.38 * 1.51 + 2.44)
    assert round(first.capital_share_pct, 2) == 69.92 and round(first.tfp_share_pct, 2) == 24.35
    assert len(r) == 72 and r.consistent.sum() == 62
    bad = {(t, p, f) for t, p, f in r.loc[~r.consistent, ["table", "period", "figure"]].itertuples(
        index=False)}
    # 2008–2014 (both tables): the printed g = 8.78 is a production-function fit, not
    # αk + βl + TFP = 9.18, and the shares divide by it; Table 2, 2021–2030: g = 3.2 with
    # shares that need TFP ≈ 1.12, not the printed 1.90 (PROVENANCE.md of the data folder)
    expected = {(t, "2008-2014", f) for t in (1, 2) for f in
                ("growth_pct", "capital_share_pct", "tfp_share_pct")}
    expected |= {(2, "2021-2030", f) for f in ("growth_pct", "capital_share_pct",
                                               "labour_share_pct", "tfp_share_pct")}
    assert bad == expected
    # Table 3 (innovation-driven paths) is consistent throughout
    assert r[r.table == 3].consistent.all()
