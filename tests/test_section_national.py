"""The national section: gaps by survey concept never joined across 2013, the national
integration index on fixed goalposts checked by hand, the weak point of each period, and every
cited number equal to its table cell."""

import re

import numpy as np
import pytest

import urbanrural as ur
from urbanrural.outputs.render import render_page
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.spec import AnalysisSpec


@pytest.fixture(scope="module")
def result():
    return run_analysis(AnalysisSpec(sections=("national",)))


@pytest.fixture(scope="module")
def nat():
    d = ur.load_dataset("china_national").data
    return d.pivot(index="year", columns="indicator", values="value")


def _gap(section, series, year):
    g = section.table("national_gaps").frame
    return g[(g.series == series) & (g.year == year)].gap.iloc[0]


def test_income_ratios_by_concept(result, nat):
    s = result.section("national")
    assert _gap(s, "income_ratio_old_survey", 2012) == pytest.approx(
        nat.loc[2012, "urban_disposable_income"] / nat.loc[2012, "rural_net_income"])
    assert _gap(s, "income_ratio_old_survey", 2012) == pytest.approx(3.10, abs=0.005)
    assert _gap(s, "income_ratio", 2013) == pytest.approx(2.807, abs=0.001)
    g = s.table("national_gaps").frame
    # no series of a survey concept crosses the 2013 break
    for sid in ("income_ratio_old_survey", "income_ratio", "consumption_ratio"):
        years = g[g.series == sid].year
        assert years.max() <= 2012 or years.min() >= 2013, sid


def test_readings_follow_the_numbers(result):
    f = result.section("national").facts["gaps"]
    new = f["income_ratio"]["trend"]
    assert new.verdict == "narrowing" and new.values["p_value"] < 0.05 and new.values["tau"] < 0
    old = f["income_ratio_old_survey"]
    assert old["change"].values["peak_year"] == 2009
    assert old["since_peak"].verdict == "too_short"  # 2009–2012: four points, no trend claimed


def test_national_index_by_hand(result, nat):
    s = result.section("national")
    idx = s.table("national_index").frame
    row = idx[(idx.framework == "national_integration_integrated_survey") & (idx.year == 2020)]
    y = nat.loc[2020]
    income = (5 - y.urban_disposable_income_new_survey / y.rural_disposable_income) / 4
    consumption = (5 - y.urban_consumption / y.rural_consumption) / 4
    engel = (15 - (y.rural_engel_current_series - y.urban_engel_current_series)) / 15
    living = np.mean([income, consumption, engel])
    flows = 100 * y.population_urban / y.population_total / 81.5
    assert row.living_standards.iloc[0] == pytest.approx(living)
    assert row.factor_flows.iloc[0] == pytest.approx(flows)
    assert row.total.iloc[0] == pytest.approx((living + flows) / 2)
    st = {x.framework: x for x in s.facts["status"]}
    new = st["national_integration_integrated_survey"]
    assert new.computable and new.partial and (new.k_dimensions, new.n_dimensions) == (2, 3)
    assert "partial (2 of 3 dimensions)" in new.name_en and "部分" in new.name_zh
    assert row.name_en.iloc[0] == new.name_en
    assert not st["national_integration_old_survey"].partial
    assert s.facts["comparability"].verdict == "comparable_over_time"


def test_weak_points_by_hand(result):
    s = result.section("national")
    obs = s.table("national_obstacles").frame
    weak = s.table("national_weak_points").frame
    for w in s.facts["weak_points"]:
        r = weak.iloc[w["row"]]
        sub = obs[obs.year.between(r["from"], r["to"])]
        means = sub.groupby("dimension").obstacle.mean()
        assert r.dimension == means.idxmax()
        assert r.mean_obstacle == pytest.approx(means.max())
    # obstacle degrees of a year add up to 100 %
    one = obs[(obs.year == 2020)]
    assert one.obstacle.sum() == pytest.approx(100)


def test_every_number_in_the_page_is_its_cell(result):
    html, page = render_page(result)
    sheets = {t.key: t.frame for _, t in result.tables()}
    spans = re.findall(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)"'
                       r' data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>', html)
    assert len(spans) == page.cited > 20
    for sheet, row, col, digits, _pct, shown in spans:
        v = sheets[sheet].iloc[int(row)][col]
        assert float(shown.replace(",", "")) == pytest.approx(round(v, int(digits)), abs=1e-9)
    assert "显著缩小" in html and "narrowing significantly" in html


def test_a_u_shaped_gap_is_read_from_its_trough(result):
    # health technicians per 10,000, urban over rural: 4.44 in 1980, lowest 2.15 in 2000, 2.57
    # in 2014 — "fell" over the whole period must not hide the widening since 2000
    h = result.section("national").facts["gaps"]["health_workers_ratio"]
    assert h["change"].verdict == "fell" and h["change"].values["trough_year"] == 2000
    since = h["since_trough"]
    assert since.verdict == "widening" and since.values["tau"] > 0
    assert since.values["p_value"] < 0.05
    html, _ = render_page(result)
    assert "此后显著扩大" in html and "since then widening significantly" in html
