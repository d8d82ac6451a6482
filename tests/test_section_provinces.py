"""The provinces section: urbanisation from the bundled cells, the urban–rural cross-sections
found (not assumed) from the data, the provincial indices published only above the
framework's minimum and under their "partial (k of n)" name, the series that would fill them,
and every cited number equal to its table cell in both languages."""

import re

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data.registry import china
from urbanrural.outputs.render import render_page
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.context import RunContext
from urbanrural.pipeline.spec import AnalysisSpec

NUM = re.compile(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)"'
                 r' data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>')


@pytest.fixture(scope="module")
def result():
    return run_analysis(AnalysisSpec(sections=("provinces",)))


@pytest.fixture(scope="module")
def section(result):
    return result.section("provinces")


@pytest.fixture(scope="module")
def cells():
    """The bundled cells as the section reads them (documented breaks split), province-year ×
    indicator."""
    d = RunContext(AnalysisSpec()).panel().data
    d = d.assign(region_code=d.region_code.astype(str), indicator=d.indicator.astype(str))
    return d.pivot_table(index=["region_code", "year"], columns="indicator", values="value")


@pytest.fixture(scope="module")
def pages(result):
    return {lang: render_page(result, lang=lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    """A user's provincial file adding urban and rural disposable income (2013 on) under the
    ids the integration framework names.

    PLACEHOLDER VALUES, NOT DATA: the incomes below are made up for this test (a level rising
    by 1,500 a year and a province-specific urban/rural ratio 2.0 + 0.03·i). They cover all 31
    provinces for 2013–2018: six of the twelve years in the framework's window (2013–2024, as
    far as the bundled panel reaches), the least that meets its 50 % minimum coverage (2013–2015
    would cover 25 % and leave the indicator out). Where the bundled data already hold a value
    for a province-year, the bundled value is used, so the merge has nothing to reconcile.
    """
    codes = [str(c) for c in ur.load_dataset("china_provinces").regions]  # the 31 provinces
    years = np.arange(2013, 2019)
    ci, yy = np.meshgrid(np.arange(len(codes)), years, indexing="ij")
    urban = 20000.0 + 1500.0 * (yy - 2013) + 300.0 * ci          # placeholder
    rural = urban / (2.0 + 0.03 * ci)                             # placeholder
    fake = pd.concat([pd.DataFrame({"region_code": np.asarray(codes)[ci.ravel()],
                                    "year": yy.ravel(), "indicator": ind, "value": v.ravel()})
                      for ind, v in (("urban_disposable_income_new_survey", urban),
                                     ("rural_disposable_income", rural))], ignore_index=True)
    base = ur.load_dataset("china_provinces").data
    base = base.assign(region_code=base.region_code.astype(str),
                       indicator=base.indicator.astype(str))
    key = ["region_code", "year", "indicator"]
    m = fake.merge(base, on=key, how="left", suffixes=("", "_bundled"))
    fake["value"] = np.where(m.value_bundled.notna(), m.value_bundled, m.value)
    path = tmp_path_factory.mktemp("user") / "placeholder_incomes.csv"
    ur.write(ur.Panel(fake), path)
    return path


@pytest.fixture(scope="module")
def user_result(user_file):
    return run_analysis(AnalysisSpec(sections=("provinces",), with_data=(str(user_file),)))


# ---------------------------------------------------------------- urbanisation
def test_urbanisation_is_urban_over_total_from_the_cells(section):
    raw = ur.load_dataset("china_provinces").data
    raw = raw[raw.region_code.astype(str) == "110000"]
    pick = {i: raw[(raw.indicator == i) & (raw.year == 2022)].value.iloc[0]
            for i in ("population_urban", "population_total")}
    u = section.table("prov_urbanisation").frame
    bj = u[(u.region_code == "110000") & (u.year == 2022)].iloc[0]
    assert bj.urbanisation == pytest.approx(100 * pick["population_urban"] / pick["population_total"])
    assert round(bj.urbanisation, 1) == 87.6  # NBS: Beijing 2022, 87.6 %
    assert u.year.min() == 2005 and u.year.max() == 2022 and len(u) == 31 * 18
    # rank per year: 1 = most urbanised
    y = u[u.year == 2022].sort_values("urbanisation", ascending=False)
    assert y["rank"].tolist() == list(range(1, 32))


def test_weighted_mean_and_claims_agree_with_numbers(section, cells):
    m = section.table("prov_urbanisation_mean").frame
    c = cells.xs(2022, level="year")
    row = m[m.year == 2022].iloc[0]
    assert row.weighted_mean == pytest.approx(100 * c.population_urban.sum() /
                                              c.population_total.sum())
    assert row["median"] == pytest.approx(np.median(100 * c.population_urban / c.population_total))
    cl = section.facts["claims"]
    ch, tr = cl["urbanisation_mean_change"], cl["urbanisation_mean_trend"]
    assert ch.values["first"] == pytest.approx(m.weighted_mean.iloc[0])
    assert ch.values["last"] == pytest.approx(row.weighted_mean)
    assert ch.verdict == "rose" and ch.values["last"] > ch.values["first"]
    assert tr.verdict == "rising" and tr.values["p_value"] < 0.05 and tr.values["slope"] > 0
    # the claims table carries the slope the prose cites
    t = section.table("prov_claims").frame
    r = section.facts["claim_rows"]["urbanisation_mean_trend"]
    assert t.slope.iloc[r] == pytest.approx(tr.values["slope"])


def test_latest_ranks_and_change_ranks(section):
    u = section.table("prov_urbanisation").frame
    latest = u[u.year == 2022].sort_values("urbanisation", ascending=False)
    rk = section.facts["claims"]["urbanisation_latest_rank"]
    assert rk.values["top"] == latest.region_code.iloc[:3].tolist()
    assert rk.values["bottom"] == latest.region_code.iloc[-3:].tolist()
    assert rk.values["top"][0] == "310000" and rk.values["bottom"][-1] == "540000"  # 上海, 西藏
    rows = section.facts["latest"]["top_rows"]
    assert u.iloc[rows].region_code.tolist() == rk.values["top"]
    d = section.table("prov_urbanisation_change").frame
    w = u.pivot(index="region_code", columns="year", values="urbanisation")
    change = (w[2022] - w[2005]).sort_values(ascending=False)
    assert d.set_index("region_code").change.loc[change.index].to_numpy() == \
        pytest.approx(change.to_numpy())
    rc = section.facts["claims"]["urbanisation_change_rank"]
    assert rc.values["top"] == change.index[:3].tolist()
    assert d.iloc[section.facts["rise"]["top_rows"]].region_code.tolist() == rc.values["top"]
    assert (d["rank"].iloc[:3] == [1, 2, 3]).all()


# -------------------------------------------------------------- cross-sections
# the pairs, written out again here: (urban id, rural id, first year, last year)
CONCEPTS = {
    "income_ratio_old_survey": ("urban_disposable_income", "rural_net_income", 0, 2012),
    "income_ratio": ("urban_disposable_income_new_survey", "rural_disposable_income", 2013, 9999),
    "consumption_ratio_old_survey": ("urban_consumption_old_survey", "rural_living_expenditure",
                                     0, 2012),
    "consumption_ratio": ("urban_consumption", "rural_consumption", 2013, 9999),
    "engel_gap_old_survey": ("urban_engel", "rural_engel", 0, 2012),
}


def _found(cells):
    out = set()
    for pair, (a, b, lo, hi) in CONCEPTS.items():
        if a not in cells or b not in cells:
            continue
        both = cells[[a, b]].dropna().reset_index()
        n = both[both.year.between(lo, hi)].groupby("year").size()
        out |= {(pair, int(y)) for y in n.index[n >= 10]}
    return out


def test_cross_sections_are_exactly_those_with_ten_provinces(section, cells):
    found = set(section.facts["pairs_found"])
    assert found == _found(cells)
    # what the bundled yearbook pages hold: consumption (old survey) and Engel, 2009 and 2010
    assert found == {("consumption_ratio_old_survey", 2009), ("consumption_ratio_old_survey", 2010),
                     ("engel_gap_old_survey", 2009), ("engel_gap_old_survey", 2010)}
    pc = section.table("prov_pair_coverage").frame.set_index("pair")
    assert pc.loc["income_ratio", "max_provinces"] < 10
    assert pc.loc["consumption_ratio_old_survey", "max_provinces"] == 21


def test_cross_section_values_are_the_cells(section, cells):
    x = section.table("prov_cross_sections").frame
    tj = x[(x.pair == "consumption_ratio_old_survey") & (x.year == 2009) & (x.region_code == "120000")]
    c = cells.loc[("120000", 2009)]
    assert tj.value.iloc[0] == pytest.approx(c.urban_consumption_old_survey /
                                             c.rural_living_expenditure)
    assert tj.urban.iloc[0] == c.urban_consumption_old_survey
    gd = x[(x.pair == "engel_gap_old_survey") & (x.year == 2010) & (x.region_code == "440000")]
    g = cells.loc[("440000", 2010)]
    assert gd.value.iloc[0] == pytest.approx(g.rural_engel - g.urban_engel)  # rural − urban
    # the rank claims of every cross-section agree with its values
    for xs in section.facts["cross_sections"]:
        sub = x[(x.pair == xs["pair"]) & (x.year == xs["year"])]
        rk = section.facts["claims"][xs["claim"]]
        top = sub.value.max()
        assert set(rk.values["top"]) >= set(sub.region_code[sub.value == top])
        assert x.iloc[xs["top_rows"]].value.iloc[0] == top
        assert x.iloc[xs["bottom_rows"]].value.iloc[-1] == sub.value.min()
        s = section.table("prov_cross_section_summary").frame.iloc[xs["summary_row"]]
        assert s.n_provinces == len(sub) and (s.pair, s.year) == (xs["pair"], xs["year"])
    s = section.table("prov_cross_section_summary").frame
    c10 = s[(s.pair == "consumption_ratio_old_survey") & (s.year == 2010)].iloc[0]
    both = cells[["urban_consumption_old_survey", "rural_living_expenditure"]].xs(2010, level="year")
    assert c10.n_provinces == both.dropna().shape[0]
    assert c10.n_urban_only == (both.iloc[:, 0].notna() & both.iloc[:, 1].isna()).sum()


# -------------------------------------------------------------------- indices
def test_indices_not_computable_on_the_bundled_data(section):
    st = {e["framework"]: e["status"] for e in section.facts["indices"]}
    a, b = st["urban_rural_integration"], st["common_prosperity"]
    assert not a.computable and (a.k_dimensions, a.n_dimensions) == (1, 4)
    assert not b.computable and (b.k_dimensions, b.n_dimensions) == (1, 3)
    assert not any(k.startswith("prov_ix_") for k in (t.key for t in section.tables))
    t = section.table("prov_index_status").frame.set_index("framework")
    assert t.loc["urban_rural_integration", ["k_dimensions", "n_dimensions"]].tolist() == [1, 4]


def test_what_would_fill_the_index(section):
    need = section.table("prov_index_needs").frame
    fw = ur.load_framework("urban_rural_integration")
    leaves = {lf.id: lf for lf in fw.indicators()}
    mine = need[need.framework == "urban_rural_integration"].set_index("indicator")
    assert set(mine.index) == {"income_ratio", "consumption_ratio", "health_workers_ratio",
                               "tap_water_gap"}  # every indicator but the bundled urbanisation
    for i, r in mine.iterrows():
        assert r.needs == leaves[i].needs and r.needs
        assert r.ids_needed == f"{leaves[i].formula['a']}, {leaves[i].formula['b']}"
    assert mine.loc["health_workers_ratio", "reason"] == "not_in_data"
    assert mine.loc["income_ratio", "reason"] == "coverage"
    # the coverage equals the one the index run compared with its minimum: 9 province-years
    # with both sides in the 31 × 12 of 2013–2024
    res, _ = RunContext(AnalysisSpec()).scored("urban_rural_integration")
    why = res.tables["unavailable"].set_index("indicator").reason["income_ratio"]
    assert f"covers {mine.loc['income_ratio', 'coverage']:.0%}" in why
    assert mine.loc["income_ratio", "coverage"] == pytest.approx(9 / (31 * 12))
    assert "城镇居民人均可支配收入" in mine.loc["income_ratio", "file_names_read"]


def test_a_users_series_turn_the_index_on(user_result, user_file):
    s = user_result.section("provinces")
    st = {e["framework"]: e for e in s.facts["indices"]}
    e = st["urban_rural_integration"]
    assert e["status"].computable and e["status"].partial
    assert (e["status"].k_dimensions, e["status"].n_dimensions) == (2, 4)
    t = s.table(e["scores_key"])
    assert "partial (2 of 4 dimensions)" in t.title_en and "部分：4个维度中的2个" in t.title_zh
    assert (t.frame.name_en == e["status"].name_en).all()
    # the score by hand: equal weights of the two dimensions, each pooled min-max over the
    # scored province-years (income ratio a cost, urbanisation a benefit)
    f = t.frame
    u = s.table("prov_urbanisation").frame.set_index(["region_code", "year"]).urbanisation
    d = RunContext(AnalysisSpec(with_data=(str(user_file),))).panel().data
    d = d.assign(region_code=d.region_code.astype(str), indicator=d.indicator.astype(str))
    w = d.pivot_table(index=["region_code", "year"], columns="indicator", values="value")
    ratio = (w.urban_disposable_income_new_survey / w.rural_disposable_income).dropna()
    keys = list(zip(f.region_code, f.year, strict=True))
    assert set(keys) == set(ratio.index[ratio.index.get_level_values("year") >= 2013])
    r, v = ratio.loc[keys].to_numpy(), u.loc[keys].to_numpy()
    by_hand = ((r.max() - r) / (r.max() - r.min()) + (v - v.min()) / (v.max() - v.min())) / 2
    assert f.total.to_numpy() == pytest.approx(by_hand)
    # the latest ranked year scores every province, and its claim matches the scores
    year = f[f.year == e["latest_year"]]
    assert len(year) == 31 and e["rank"].values["top"][0] == year.loc[year.total.idxmax(),
                                                                      "region_code"]
    need = s.table("prov_index_needs").frame
    assert "income_ratio" not in set(need[need.framework == "urban_rural_integration"].indicator)
    cp = st["common_prosperity"]["status"]
    assert cp.computable and (cp.k_dimensions, cp.n_dimensions) == (2, 3)


def test_partial_name_in_the_map_title(user_result):
    html, page = render_page(user_result, lang="en")
    s = user_result.section("provinces")
    for e in s.facts["indices"]:
        name = e["status"].name_en.replace("–", "–")
        heads = re.findall(r"<h4><span class=\"zh\">([^<]*)</span><span class=\"en\">([^<]*)</span>"
                           r"</h4>\s*<div class=\"mapbox\">", html)
        assert any(en.startswith(name) and "partial (" in en for _, en in heads), name
        assert any(zh.startswith(e["status"].name_zh) and "部分" in zh for zh, _ in heads)
    ids = [m.id for m in page.maps]
    assert any("index-urban_rural_integration" in i for i in ids)


def test_data_that_fill_nothing(tmp_path):
    # PLACEHOLDER VALUES, NOT DATA: a resident population for two years and nothing else
    codes = [str(c) for c in ur.load_dataset("china_provinces").regions]
    fake = pd.DataFrame({"region_code": codes * 2, "year": [2015] * 31 + [2016] * 31,
                         "indicator": "population_total", "value": 1000.0})
    path = tmp_path / "population_only.csv"
    ur.write(ur.Panel(fake), path)
    r = run_analysis(AnalysisSpec(sections=("provinces",), data=str(path)))
    s = r.section("provinces")
    assert s.table("prov_urbanisation").frame.empty and s.facts["pairs_found"] == []
    need = s.table("prov_index_needs").frame
    for e in s.facts["indices"]:
        assert not e["status"].computable and e["status"].k_dimensions == 0
        fw = ur.load_framework(e["framework"])
        mine = need[need.framework == e["framework"]]
        # the run failed, so every indicator of the framework is listed with what fills it
        assert mine.indicator.tolist() == [lf.id for lf in fw.indicators()]
    assert (need.set_index("indicator").loc["urbanisation_rate", "ids_missing"]
            == "population_urban")
    html, _ = render_page(r, lang="en")
    body = html.split("<main>", 1)[1].split("</main>", 1)[0]
    assert "The data of this run fill" in body and "The bundled data" not in body
    assert "no urbanisation rate is computed" in body
    assert set(s.table("prov_index_status").frame.why_not) == {"run_failed"}


def test_an_urban_population_above_the_total_is_an_error(tmp_path):
    # PLACEHOLDER VALUES, NOT DATA: one province-year whose urban count exceeds its total
    fake = pd.DataFrame({"region_code": ["110000", "110000", "120000", "120000"],
                         "year": [2015] * 4,
                         "indicator": ["population_urban", "population_total"] * 2,
                         "value": [1200.0, 1000.0, 800.0, 1000.0]})
    path = tmp_path / "bad_population.csv"
    ur.write(ur.Panel(fake), path)
    with pytest.raises(ur.DataError) as err:
        run_analysis(AnalysisSpec(sections=("provinces",), data=str(path)))
    msg = str(err.value)
    assert "110000 2015" in msg and "population_urban" in msg and "城镇人口" in msg
    assert "120000" not in msg


def test_a_dimension_without_comparison_is_named(tmp_path, section):
    import yaml

    assert set(section.table("prov_index_status").frame.why_not) == {"share"}
    spec = {"id": "levels_only", "name_zh": "仅水平指标", "name_en": "Levels only",
            "years": [2013, 2022], "min_coverage": 0.5, "min_dimensions": 0.5,
            "dimension_roles": ["comparison"], "weights": "equal", "nodes": [
                {"id": "flows", "name_zh": "流动", "name_en": "Flows", "indicators": [
                    {"id": "u", "name_zh": "城镇化率", "name_en": "Urbanisation", "unit": "%",
                     "direction": "benefit", "role": "flow",
                     "formula": {"kind": "share", "a": "population_urban",
                                 "b": "population_total"}}]},
                {"id": "wealth", "name_zh": "富裕", "name_en": "Wealth", "indicators": [
                    {"id": "gdp_pc", "name_zh": "人均GDP", "name_en": "GDP per capita",
                     "unit": "元/人", "direction": "benefit", "role": "level",
                     "formula": {"kind": "per_capita", "a": "gdp", "b": "population_total"}}]}]}
    fw = tmp_path / "levels_only.yaml"
    fw.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    r = run_analysis(AnalysisSpec(sections=("provinces",), frameworks=(str(fw),)))
    s = r.section("provinces")
    row = s.table("prov_index_status").frame.iloc[0]
    assert not row.computable and row.why_not == "roles" and row.k_dimensions == 2
    html, _ = render_page(r, lang="en")
    assert f"dimensions (Flows, Wealth), but {row.reason_en}, so the index is not computed" in html


# ---------------------------------------------------------------------- views
def test_maps_fixed_breaks_and_no_data(result, section, pages):
    _, page = pages["zh"]
    maps = {m.id: m for m in page.maps}
    urb = next(m for i, m in maps.items() if i.endswith("provinces-urbanisation"))
    vals = section.table("prov_urbanisation").frame.urbanisation.to_numpy()
    assert urb.years == [str(y) for y in range(2005, 2023)]
    assert urb.breaks == pytest.approx(np.quantile(vals, np.linspace(0, 1, 6)))  # all years
    assert "%" in urb.unit[0] and "%" in urb.unit[1]
    cons = next(m for i, m in maps.items() if "consumption_ratio_old_survey" in i)
    x = section.table("prov_cross_sections").frame
    both10 = x[(x.pair == "consumption_ratio_old_survey") & (x.year == 2010)]
    assert set(cons.values["2010"]) == set(both10.region_code)  # the others stay grey
    geo = {str(f["properties"]["code"]) for f in china().geometry()["features"]}
    assert len(cons.values["2010"]) == 21 and geo <= set(cons.names)  # every region named
    assert cons.names["110000"] == ("北京市", "Beijing")
    zh, en = page.charts[0].zh, page.charts[0].en
    assert zh["data"][0]["y"][-1] == "上海市" and en["data"][0]["y"][-1] == "Shanghai"
    assert zh["data"][0]["x"][-1] == pytest.approx(89.3, abs=0.05)


def test_every_number_is_its_cell_in_both_languages(result, pages):
    sheets = {t.key: t.frame for _, t in result.tables()}
    for lang, (html, page) in pages.items():
        spans = NUM.findall(html)
        assert len(spans) == page.cited > 100, lang
        for sheet, row, col, digits, pct, shown in spans:
            v = float(sheets[sheet].iloc[int(row)][col])
            v = 100 * v if pct == "1" else v
            assert float(shown.replace(",", "").rstrip("%")) == pytest.approx(
                round(v, int(digits)), abs=1e-9), (sheet, row, col)
        assert f'class="lang-{lang}"' in html
        body = html.split("<main>", 1)[1].split("</main>", 1)[0]
        assert body.count('class="zh') == body.count('class="en')  # every text in both
    html = pages["zh"][0].split("<main>", 1)[1].split("</main>", 1)[0]  # the page, not plotly.js
    assert "内置数据只覆盖该框架" in html and "The bundled data fill" in html
    assert "城镇居民人均可支配收入, 农村居民人均可支配收入 (2013+)" in html
    assert "显著上升" in html and "rising significantly" in html
    for false_claim in ("no official", "does not exist", "不存在", "没有官方"):
        assert false_claim not in html


def test_a_county_panel_sends_no_undrawable_values_and_shows_at_most_thirty_bars(tmp_path):
    # counties have codes but no shapes on the province map: their values must not travel to
    # the page (6 MB for 2,900 counties once), and the bar chart shows the two ends only
    codes = [c for c in china().codes("county")][:60]
    rng = np.random.default_rng(1)
    rows = [(c, y, ind, v) for c in codes for y in (2020, 2021)
            for ind, v in (("population_total", 100.0), ("population_urban", rng.uniform(20, 90)))]
    f = tmp_path / "counties.csv"
    pd.DataFrame(rows, columns=["region_code", "year", "indicator", "value"]).to_csv(f, index=False)
    r = run_analysis(AnalysisSpec(data=str(f), sections=("provinces",), national_data=None,
                                  world_data=None, world_framework=None))
    html, page = render_page(r)
    assert len(r.section("provinces").table("prov_urbanisation").frame) == 120
    urban_map = [m for m in page.maps if m.id.startswith("map-provinces-urbanisation")]
    assert urban_map == []  # no map at all: nothing of the data is drawable
    assert "无地图" in html and "No map: the regions of the data" in html
    bars = next(c for c in page.charts if "urbanisation-latest" in c.id)
    assert len(bars.zh["data"][0]["x"]) == 30
    assert "lowest and highest of 60 regions" in html
    change = html[html.index("prov_urbanisation_change"):]
    assert "the other 30 regions are in results.xlsx" in change
