"""The paths section (通往2035年的路径 / Paths to 2035) on the embedded data: the integrated-survey
income ratio only, fans in order, the backtest against Naive2, the target table recomputed by
hand from its own cells, scenario paths from data-derived assumptions, the UN 2018 projection
scored, every cited number equal to its cell, and the ``urbanrural paths`` command."""

import re

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data.errors import DataError
from urbanrural.outputs.render import render_page
from urbanrural.pipeline import paths as paths_pipeline
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.sections.paths import Settings
from urbanrural.pipeline.spec import AnalysisSpec


def ur_likelihood(p):
    # the IPCC bands of likelihood_claim, restated from their definition (p ≥ 2/3, ≤ 1/3)
    return "likely" if p >= 2 / 3 else "unlikely" if p <= 1 / 3 else "about_even"


@pytest.fixture(scope="module")
def result():
    return run_analysis(AnalysisSpec(sections=("paths",)))


@pytest.fixture(scope="module")
def nat():
    d = ur.load_dataset("china_national").data
    return d.pivot(index="year", columns="indicator", values="value")


def test_income_ratio_is_the_integrated_survey_only(result, nat):
    s = result.section("paths")
    h = s.table("paths_history").frame
    ir = h[h.series == "income_ratio"]
    assert ir.year.min() == 2013 and ir.year.max() == 2020 and len(ir) == 8
    expected = (nat.urban_disposable_income_new_survey / nat.rural_disposable_income).dropna()
    assert ir.value.to_numpy() == pytest.approx(expected.loc[2013:2020].to_numpy())
    assert ir.value.iloc[0] == pytest.approx(2.807, abs=0.001)
    u = h[h.series == "urbanisation"]
    assert u.year.min() == 2003 and u.year.max() == 2024
    assert u.value.iloc[-1] == pytest.approx(100 * nat.loc[2024, "population_urban"]
                                             / nat.loc[2024, "population_total"])


def test_fans_run_to_2035_in_order(result):
    fc = result.section("paths").table("paths_forecast").frame
    for sid, first in (("income_ratio", 2021), ("urbanisation", 2025)):
        f = fc[fc.series == sid]
        assert f.year.tolist() == list(range(first, 2036))
        assert (f.lower_95 < f.lower_80).all() and (f.lower_80 < f["mean"]).all()
        assert (f["mean"] < f.upper_80).all() and (f.upper_80 < f.upper_95).all()
        # the fan widens with the horizon
        assert np.all(np.diff(f.upper_95 - f.lower_95) > 0)


def test_backtest_against_naive2(result):
    s = result.section("paths")
    bt = s.table("paths_backtest").frame
    for sid, sub in bt.groupby("series"):
        naive = sub[sub.method == "naive2"].iloc[0]
        assert naive.relative_mase == pytest.approx(1.0)
        assert sub.relative_mase.to_numpy() == pytest.approx(sub.mase.to_numpy() / naive.mase)
        # the chosen method: the combination unless one model's MASE is below half of it
        chosen = s.facts["series"][sid]["method"]
        single = sub[sub.method != "combination"].iloc[0]
        comb = sub[sub.method == "combination"].iloc[0]
        assert chosen == (single["method"] if single["mase"] < 0.5 * comb["mase"] else "combination")
    ir = bt[bt.series == "income_ratio"]
    assert ir.max_horizon.iloc[0] == 2 and ir.origins.iloc[0] == 4  # 8 points: thin evidence
    # 4 origins × horizons 1–2 = 7 overlapping errors: no method may be said to beat Naive2
    # (drift at 0.54 × Naive2 used to be printed as "beats Naive2": finding 9)
    assert (ir.n == 7).all() and (ir.verdict == "too_few_errors").all()
    assert set(ir.verdict_en) == {"too few backtest errors to judge (under 10)"}
    u = bt[bt.series == "urbanisation"].set_index("method")
    assert (u.n == 50).all()  # 12 origins, horizons 1–5
    assert u.loc["damped", "verdict"] == "beats_naive2" and u.loc["ses", "verdict"] == "level_with_naive2"
    # the income ratio: grey models scored on 7 errors stay out of the combination (finding 2)
    assert s.facts["series"]["income_ratio"]["method"] == "combination"
    # the recorded rule is the rule applied (finding 7)
    assert "0.5 × the combination's" in s.options["selection"]
    assert "beats_naive2" in s.options["selection"] and s.options["minimum_scored_errors"] == 10


def test_fan_and_probabilities_come_from_the_same_paths(nat):
    from urbanrural.methods.forecast.models import GREY_METHODS, forecast_pool, paths
    from urbanrural.methods.forecast.targets import probability_target_met, simulate_combination
    spec = paths_pipeline.NATIONAL_SERIES[0]
    years, values = paths_pipeline.series_from_wide(nat, spec)
    r = paths_pipeline.run_series(spec, years, values, until=2035, level=(80, 95), draws=2000, seed=12)
    f = r.forecast_frame().set_index("year")
    # the grey models (7 backtest errors) are not members; Verhulst alone would say 0.468 in
    # 2035, and a grey member used to sit in 45 % of the simulated draws (finding 1)
    members = forecast_pool(values, 15)["combination"].members
    assert r.forecast.method == "combination" and not set(GREY_METHODS) & set(members)
    assert paths(values, 15, "verhulst")[0][0, -1] == pytest.approx(0.468, abs=0.001)
    assert f.loc[2035, "mean"] > 2.0
    # an independent set of 2000 paths (another seed) gives the same 2035 fan within MC error
    other = simulate_combination(values, 15, members, draws=2000, seed=99)[:, -1]
    # (the share of the other paths below each shown bound is its level within 3 binomial
    # standard errors of the difference of two samples of 2000)
    for q, col in ((0.1, "lower_80"), (0.9, "upper_80"), (0.025, "lower_95"), (0.975, "upper_95")):
        share = np.mean(other <= f.loc[2035, col])
        assert share == pytest.approx(q, abs=3 * np.sqrt(2 * q * (1 - q) / 2000)), col
    # P(ratio ≤ lower 80 % bound in 2035) is 0.10 and P(≤ upper bound) 0.90, as the fan says;
    # before, P(≤ 2.2) was printed as 0.63 against a fan implying 0.1–0.2
    for col, share in (("lower_80", 0.10), ("upper_80", 0.90), ("lower_95", 0.025)):
        p = probability_target_met(r.future_years, r.paths, f.loc[2035, col], 2035)
        assert p == pytest.approx(share, abs=0.01), col
    p22 = probability_target_met(r.future_years, r.paths, 2.2, 2035)
    assert f.loc[2035, "lower_80"] < 2.2 < f.loc[2035, "mean"] and 0.1 < p22 < 0.5


def test_targets_by_hand_from_their_cells(result, nat):
    t = result.section("paths").table("paths_targets").frame
    assert t.target.tolist() == [2.2, 2.0, 1.8]
    g_u = (nat.loc[2020, "urban_disposable_income_new_survey"]
           / nat.loc[2013, "urban_disposable_income_new_survey"]) ** (1 / 7) - 1
    assert t.urban_growth_pct.iloc[0] == pytest.approx(100 * g_u)
    r0 = t.start_value.iloc[0]
    gr = (1 + g_u) * (r0 / t.target) ** (1 / 15) - 1
    assert t.required_rural_growth_pct.to_numpy() == pytest.approx(100 * gr.to_numpy())
    assert t.growth_gap_pp.to_numpy() == pytest.approx(100 * (gr - g_u).to_numpy())
    fc = result.section("paths").table("paths_forecast").frame
    f = fc[fc.series == "income_ratio"]
    for r in t.itertuples():
        hit = f[f["mean"] <= r.target]
        assert (np.isnan(r.year_met) and hit.empty) or r.year_met == hit.year.iloc[0]
    # a lower target is never more likely
    assert np.all(np.diff(t.probability) <= 0)


def test_scenarios_and_the_un_projection(result, nat):
    s = result.section("paths")
    a = s.table("paths_assumptions").frame
    g = a[(a.scenario == "observed_2013_2020") & (a.assumption == "rural_income_growth")].value
    expected = 100 * ((nat.loc[2020, "rural_disposable_income"]
                       / nat.loc[2013, "rural_disposable_income"]) ** (1 / 7) - 1)
    assert g.iloc[0] == pytest.approx(expected)
    sc = s.table("paths_scenarios").frame
    one = sc[(sc.scenario == "observed_2013_2020") & (sc.series == "income_ratio")]
    ga = a[(a.scenario == "observed_2013_2020") & (a.assumption == "urban_income_growth")].value.iloc[0]
    r0 = nat.loc[2020, "urban_disposable_income_new_survey"] / nat.loc[2020, "rural_disposable_income"]
    assert one[one.year == 2035].value.iloc[0] == pytest.approx(
        r0 * ((1 + ga / 100) / (1 + expected / 100)) ** 15)
    x = s.table("paths_exante").frame
    assert x.year.tolist() == list(range(2019, 2025))
    # UN WUP 2018 projected 61.428 % for 2020 (../shared/data/world/un_wup2018_population.csv)
    row = x[x.year == 2020].iloc[0]
    assert row.projected == 61.428
    assert row.actual == pytest.approx(100 * nat.loc[2020, "population_urban"]
                                       / nat.loc[2020, "population_total"])
    assert (x.verdict == "underestimated").all() and (x.error < 0).all()
    # the level error is the revision of the base: UN 59.152 % for 2018 (the base year) against
    # NBS's census-revised 61.500 %; scored as the change since 2018, 2024: +6.392 points
    # projected (65.544 − 59.152) against +5.496 (66.997 − 61.500) — an overestimate (finding 4)
    base = 100 * nat.loc[2018, "population_urban"] / nat.loc[2018, "population_total"]
    assert base == pytest.approx(61.500, abs=0.001)
    last = x[x.year == 2024].iloc[0]
    assert last.projected_change == pytest.approx(65.544 - 59.152)
    assert last.actual_change == pytest.approx(last.actual - base)
    assert last.actual_change == pytest.approx(5.496, abs=0.001)
    assert last.verdict_change == "overestimated"
    assert x.verdict_change.tolist() == ["on_target", "underestimated", "overestimated",
                                         "overestimated", "overestimated", "overestimated"]
    # "all" of the underestimate is the revision (to within 0.12 points, the 2020 residue):
    # in no year is the change underestimated by more than that
    assert (x.change_error > -0.12).all() and (x.error < -1.4).all()
    assert "all of the underestimate" in s.facts["exante"]["caveat_en"]
    assert "全部来自数据修订" in s.facts["exante"]["caveat_zh"]
    # the scenario labels name the years their assumptions use (finding 14)
    for sc in paths_pipeline.load_scenarios():
        for per in sc["periods"]:
            for fld in ("urban_income_growth", "urbanisation_change", "population_growth"):
                y0, y1 = per[fld]["observed"]
                assert f"{y0}—{y1}" in sc["label_zh"] and f"{y0}–{y1}" in sc["label_en"], (sc["name"], fld)
    # bilingual words beside every code in the workbook (finding 15)
    assert {"basis_zh", "basis_en"} <= set(a.columns)
    assert a.basis_zh.iloc[0] == "观测 2013—2020" and a.basis_en.iloc[0] == "observed 2013–2020"
    assert x.verdict_change_zh.iloc[-1] == "高估了实际值"


def test_every_number_in_the_page_is_its_cell(result):
    html, page = render_page(result)
    sheets = {t.key: t.frame for _, t in result.tables()}
    spans = re.findall(r'<span class="num" data-sheet="(paths_[^"]+)" data-row="(\d+)" '
                       r'data-col="([^"]+)" data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>', html)
    assert len(spans) > 50
    for sheet, row, col, digits, _pct, shown in spans:
        v = sheets[sheet].iloc[int(row)][col]
        # the page rounds half up (0.815 → 0.82 or 0.81 by binary representation): within half
        # a unit of the last digit
        assert abs(float(shown.replace(",", "")) - v) <= 0.5 * 10 ** -int(digits) + 1e-9
    assert "通往2035年的路径" in html and "Paths to 2035" in html
    assert "样本外优于Naive2基准" in html and "beats Naive2 out of sample" in html
    # the direction of the growth gap is a claim, not a fixed word (finding 8)
    assert "points faster" not in html and "比城镇快" not in html
    t = result.section("paths").table("paths_targets").frame
    assert (t.verdict_gap == np.where(t.growth_gap_pp > 0, "rural_faster", "rural_slower")).all()
    assert "rural incomes must grow faster than urban ones" in html
    # n and the measured coverage beside the verdict: the combination's 95 % intervals covered
    # 5 of the 7 income-ratio backtest errors (finding 9)
    bt = sheets["paths_backtest"]
    comb = bt[(bt.series == "income_ratio") & (bt.method == "combination")].iloc[0]
    assert comb.n == 7 and comb.coverage_95 == pytest.approx(5 / 7)
    assert re.search(r"95 % intervals covered <span[^>]*>0\.71</span> of the errors", html)
    assert "too few backtest errors to judge" in html
    # in and by the target year, both labelled (finding 13); by ≥ in
    assert (t.probability_by >= t.probability).all()
    assert (t.verdict_probability == [ur_likelihood(p) for p in t.probability_by]).all()
    assert "meet it by 2035" in html and "in 2035 itself" in html and "不晚于2035年达标" in html
    # the ARIMA note no longer promises a command-line option that does not exist (finding 6)
    assert "from the command line" not in html


def test_settings_are_checked():
    with pytest.raises(DataError, match="settings.paths.targets"):
        Settings(targets=(0.5,))
    with pytest.raises(DataError, match="settings.paths.until"):
        Settings(until=2020)
    spec, changed = AnalysisSpec(sections=("paths",)).with_settings("paths", targets=(2.1,))
    assert changed == ["settings.paths.targets"] and spec.setting("paths").targets == (2.1,)


def test_paths_command(tmp_path, capsys):
    from urbanrural.cli import main

    out = tmp_path / "paths"
    assert main(["paths", "--target", "2035:2.0", "--draws", "500", "--out", str(out)]) == 0
    for name in ("forecast.csv", "backtest.csv", "targets.csv", "scenarios.csv", "fan_chart.html",
                 "paths.xlsx", "paths.yaml"):
        assert (out / name).exists(), name
    t = pd.read_csv(out / "targets.csv")
    assert t.target_year.tolist() == [2035] and t.target.tolist() == [2.0]
    assert {"verdict_probability_zh", "verdict_probability_en", "probability_by"} <= set(t.columns)
    import yaml

    from urbanrural.methods.forecast.models import forecast_pool

    rec = yaml.safe_load((out / "paths.yaml").read_text(encoding="utf-8"))
    d = ur.load_dataset("china_national").data
    w = d.pivot(index="year", columns="indicator", values="value")
    ir = (w.urban_disposable_income_new_survey / w.rural_disposable_income).dropna().to_numpy()
    auto = forecast_pool(ir, 15)["auto"]
    assert rec["selection"] == auto.selection and "0.5 × the combination's" in rec["selection"]
    page = (out / "fan_chart.html").read_text(encoding="utf-8")
    assert "组合预测（中位数）" in page and "point forecast (combination)" not in page
    console = capsys.readouterr().out
    assert "已写出" in console and "不晚于目标年份" in console
    assert main(["paths", "--target", "2035=2.0", "--out", str(tmp_path / "x")]) == 1


def test_paths_per_province(tmp_path):
    from urbanrural.pipeline.paths import run_regions, series_spec

    d = ur.load_dataset("china_provinces").data
    d = d[d.region_code.isin(["110000", "520000"])]
    out = run_regions(d, series_spec("urbanisation"), until=2035, targets=[(2035, 75.0)],
                      draws=200)
    assert set(out["targets"].region_code) == {"110000", "520000"}
    assert (out["targets"].direction == "above").all()
    # the map colours each province by the year it meets the target (white: not forecast)
    from urbanrural.commands.paths import _MAP_CLASSES, _target_map

    svg = tmp_path / "map.svg"
    assert _target_map(out["targets"], svg, spec=series_spec("urbanisation"), target=(2035, 75.0))
    text = svg.read_text(encoding="utf-8")
    assert text.count('fill="#ffffff" stroke="#666" stroke-width') == text.count("<path") - 2
    for r in out["targets"].itertuples():
        colour = ("#bdbdbd" if np.isnan(r.year_met) else
                  next(c for hi, c, _, _ in _MAP_CLASSES if r.year_met <= hi))
        assert f'fill="{colour}"' in text
    # the income ratio of the embedded provincial data is too short: every region is listed
    short = run_regions(d, series_spec("income_ratio"), until=2035, targets=[(2035, 2.0)])
    assert short["forecast"].empty and len(short["skipped"]) == 2


def test_a_scenario_file_with_typed_numbers_is_not_called_computed(tmp_path):
    # two of the four assumptions typed in: the page must not say every one is computed
    f = tmp_path / "mine.yaml"
    f.write_text("""scenarios:
  - name: mine
    label_zh: 我的情景
    label_en: Mine
    periods:
      - from: 2021
        to: 2035
        urban_income_growth: 5.0
        rural_income_growth: 6.5
        urbanisation_change: {observed: [2014, 2024]}
        population_growth: {observed: [2014, 2024]}
""", encoding="utf-8")
    spec, _ = AnalysisSpec(sections=("paths",)).with_settings("paths", scenarios=str(f))
    r = run_analysis(spec)
    s = r.section("paths")
    given = s.table("paths_assumptions").frame
    assert int((given.basis == "given").sum()) == s.facts["scenarios_given"] == 2
    html, _ = render_page(r)
    sec = html[html.index('id="paths"'):]
    assert "2项假设由情景文件给定" in sec and "2 assumption(s) are given by the scenario file" in sec
    assert "every assumption is computed from the data" not in sec
