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
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.sections.paths import Settings
from urbanrural.pipeline.spec import AnalysisSpec


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
        assert sub[sub.method == chosen].verdict.iloc[0] == "beats_naive2"
        assert (sub.verdict == np.where(sub.relative_mase < 0.95, "beats_naive2",
                                        np.where(sub.relative_mase > 1.05, "worse_than_naive2",
                                                 "level_with_naive2"))).all()
    ir = bt[bt.series == "income_ratio"]
    assert ir.max_horizon.iloc[0] == 2 and ir.origins.iloc[0] == 4  # 8 points: thin evidence


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


def test_settings_are_checked():
    with pytest.raises(DataError, match="settings.paths.targets"):
        Settings(targets=(0.5,))
    with pytest.raises(DataError, match="settings.paths.until"):
        Settings(until=2020)
    spec, changed = AnalysisSpec(sections=("paths",)).with_settings("paths", targets=(2.1,))
    assert changed == ["settings.paths.targets"] and spec.setting("paths").targets == (2.1,)


def test_paths_command(tmp_path):
    from urbanrural.cli import main

    out = tmp_path / "paths"
    assert main(["paths", "--target", "2035:2.0", "--draws", "500", "--out", str(out)]) == 0
    for name in ("forecast.csv", "backtest.csv", "targets.csv", "scenarios.csv", "fan_chart.html",
                 "paths.xlsx", "paths.yaml"):
        assert (out / name).exists(), name
    t = pd.read_csv(out / "targets.csv")
    assert t.target_year.tolist() == [2035] and t.target.tolist() == [2.0]
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
