"""The disparity section (区域差距): Gini, Theil T and Dagum of GDP per capita and residents'
income across provinces, weighted and unweighted, its claims, and its page."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import urbanrural
from urbanrural.data import load_dataset, write
from urbanrural.data.registry import china
from urbanrural.outputs.page import fmt
from urbanrural.outputs.render import render_page
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.sections.disparity import between_reading, tails_claim, weighting_claim
from urbanrural.pipeline.spec import AnalysisSpec, Options

NUM = re.compile(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)" '
                 r'data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>')


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def result():
    return run_analysis(AnalysisSpec(sections=("disparity",)))


@pytest.fixture(scope="module")
def section(result):
    return result.section("disparity")


@pytest.fixture(scope="module")
def rendered(result):
    html, page = render_page(result)
    i = html.index('id="disparity"')
    return html[i:html.index("</section>", i)], page


@pytest.fixture(scope="module")
def bundled():
    """GDP per capita (元/人), income and population from the bundled data, by hand."""
    p = load_dataset("china_provinces")
    gdp, pop = p.wide("gdp"), p.wide("population_total")
    return {"gdp_pc": gdp * 1e8 / (pop.reindex_like(gdp) * 1e4), "pop": pop,
            "income": p.wide("disposable_income_all"), "panel": p}


def _gini_pairs(x, w=None):
    """Mean absolute difference over twice the mean, from every pair (the definition)."""
    x = np.asarray(x, float)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    q = w / w.sum()
    return float(q @ np.abs(x[:, None] - x[None, :]) @ q / (2 * q @ x))


def _theil_t(x, w=None):
    x = np.asarray(x, float)
    q = np.full_like(x, 1 / len(x)) if w is None else np.asarray(w, float) / np.sum(w)
    r = x / (q @ x)
    return float(q @ (r * np.log(r)))


# ---------------------------------------------------------------------------- values
def test_unweighted_gini_2024_equals_hand_urbanrural_and_pysal(section, bundled):
    from inequality.gini import Gini

    t = section.table("disparity_gdp_pc").frame.set_index("year")
    x = bundled["gdp_pc"][2024].to_numpy()
    assert len(x) == 31
    hand = _gini_pairs(x)
    assert t.loc[2024, "gini_u"] == pytest.approx(hand, rel=1e-12)
    assert t.loc[2024, "gini_u"] == pytest.approx(urbanrural.gini(x), rel=1e-12)
    assert t.loc[2024, "gini_u"] == pytest.approx(Gini(x).g, rel=1e-10)
    assert round(t.loc[2024, "gini_u"], 4) == 0.2195  # printed on the page as 0.220


def test_weighted_gini_and_theil_are_population_weighted(section, bundled):
    t = section.table("disparity_gdp_pc").frame.set_index("year")
    for year in (2006, 2024):
        x, w = bundled["gdp_pc"][year].to_numpy(), bundled["pop"][year].reindex(
            bundled["gdp_pc"].index).to_numpy()
        assert t.loc[year, "gini_w"] == pytest.approx(_gini_pairs(x, w), rel=1e-12)
        assert t.loc[year, "theil_w"] == pytest.approx(_theil_t(x, w), rel=1e-12)
        assert t.loc[year, "theil_u"] == pytest.approx(_theil_t(x), rel=1e-12)
    # weighting matters here: the two differ by more than rounding
    assert abs(t.loc[2024, "gini_w"] - t.loc[2024, "gini_u"]) > 0.01


def test_income_series_is_all_resident_income_2013_2018(section, bundled):
    t = section.table("disparity_income").frame
    assert t.year.tolist() == list(range(2013, 2019))
    assert t.gini_u.iloc[-1] == pytest.approx(_gini_pairs(bundled["income"][2018]), rel=1e-12)
    assert section.options["series"]["income"]["indicator"] == "disposable_income_all"
    assert section.options["series"]["gdp_pc"]["prices"] == "current"
    assert section.options["series"]["gdp_pc"]["years"] == list(range(2006, 2025))


def test_theil_between_plus_within_is_total_and_matches_pysal(section, bundled):
    from inequality.theil import TheilD

    for key in ("disparity_gdp_pc", "disparity_income"):
        t = section.table(key).frame
        for s in ("w", "u"):
            np.testing.assert_allclose(t[f"theil_between_{s}"] + t[f"theil_within_{s}"],
                                       t[f"theil_{s}"], rtol=1e-12)
            assert (t[f"theil_within_{s}"] > 0).all() and (t[f"theil_between_{s}"] > 0).all()
            np.testing.assert_allclose(t[f"theil_between_share_{s}"],
                                       t[f"theil_between_{s}"] / t[f"theil_{s}"], rtol=1e-12)
    # the unweighted decomposition by the four NBS regions is PySAL's TheilD
    groups = china().partition("macro_region")
    x = bundled["gdp_pc"][2024]
    d = TheilD(x.to_numpy(), groups.reindex(x.index).to_numpy())
    row = section.table("disparity_gdp_pc").frame.set_index("year").loc[2024]
    assert row.theil_u == pytest.approx(float(np.ravel(d.T)[0]), rel=1e-10)
    assert row.theil_between_u == pytest.approx(float(np.ravel(d.bg)[0]), rel=1e-10)
    assert row.theil_within_u == pytest.approx(float(np.ravel(d.wg)[0]), rel=1e-10)


def test_dagum_components_add_up_to_the_gini(section):
    for key in ("gdp_pc", "income"):
        d = section.table(f"dagum_{key}").frame
        t = section.table(f"disparity_{key}").frame.set_index("year")
        assert set(d.weighting) == {"population", "none"}
        np.testing.assert_allclose(d.within + d.net_between + d.transvariation, d.total,
                                   rtol=1e-12)
        np.testing.assert_allclose(d.within_share + d.net_between_share +
                                   d.transvariation_share, 1.0, rtol=1e-12)
        for wname, s in (("population", "w"), ("none", "u")):
            sub = d[d.weighting == wname].set_index("year")
            np.testing.assert_allclose(sub.total, t.loc[sub.index, f"gini_{s}"], rtol=1e-12)


def test_dagum_pairs_cover_every_group_and_pair(section):
    p = section.table("dagum_pairs_gdp_pc").frame
    one = p[(p.year == 2024) & (p.weighting == "population")]
    assert one.kind.value_counts().to_dict() == {"within": 4, "between": 6}
    assert one.pair_zh.iloc[0] == "东部" and one.pair_en.iloc[4] == "East–Central"
    assert one[one.kind == "between"].D.between(0, 1).all()


def test_the_reason_printed_for_the_two_shares_holds_on_the_data(section, bundled):
    """The page says G_nb is the Gini of the group means and Theil's between term the Theil
    T of the group means: check both on 2024, weighted and unweighted."""
    groups = china().partition("macro_region").reindex(bundled["gdp_pc"].index)
    x, w = bundled["gdp_pc"][2024], bundled["pop"][2024].reindex(groups.index)
    d = section.table("dagum_gdp_pc").frame
    t = section.table("disparity_gdp_pc").frame.set_index("year").loc[2024]
    for wname, s, weights in (("population", "w", w), ("none", "u", None)):
        q = pd.Series(1.0, index=x.index) if weights is None else weights
        means = (x * q).groupby(groups).sum() / q.groupby(groups).sum()
        smoothed = groups.map(means).to_numpy()
        row = d[(d.weighting == wname) & (d.year == 2024)].iloc[0]
        qq = None if weights is None else q.to_numpy()
        assert row.net_between == pytest.approx(_gini_pairs(smoothed, qq), rel=1e-10)
        assert t[f"theil_between_{s}"] == pytest.approx(_theil_t(smoothed, qq), rel=1e-10)
    # and the Gini is linear in the deviations, Theil T about quadratic (the stated reason)
    y = x.to_numpy()
    half = y.mean() + 0.5 * (y - y.mean())
    assert _gini_pairs(half) == pytest.approx(0.5 * _gini_pairs(y), rel=1e-12)
    assert _theil_t(half) / _theil_t(y) == pytest.approx(0.25, abs=0.03)


# ---------------------------------------------------------------------------- claims
def test_trend_claims_agree_with_the_numbers(section):
    for key in ("gdp_pc", "income"):
        f = section.facts[key]
        t = section.table(f["table"]).frame
        for s in ("w", "u"):
            c = f["claims"][f"trend_gini_{s}"]
            tau, p = stats.kendalltau(t.year, t[f"gini_{s}"])
            assert c.values["tau"] == pytest.approx(tau) and c.values["p_value"] == pytest.approx(p)
            assert c.verdict == ("falling" if p < 0.05 and tau < 0 else
                                 "rising" if p < 0.05 else "no_significant_trend")
            ch = f["claims"][f"change_gini_{s}"]
            assert (ch.values["first"], ch.values["last"]) == (t[f"gini_{s}"].iloc[0],
                                                              t[f"gini_{s}"].iloc[-1])
            assert ch.verdict == ("fell" if ch.values["last"] < ch.values["first"] else "rose")
    # what the bundled data show: both Ginis of GDP per capita fall significantly since 2006
    c = section.facts["gdp_pc"]["claims"]
    assert c["trend_gini_w"].verdict == c["trend_gini_u"].verdict == "falling"
    assert c["trend_gini_w"].values["p_value"] < 0.05 and c["trend_gini_w"].values["tau"] < 0


def test_weighted_vs_unweighted_claims(section, bundled):
    f = section.facts["gdp_pc"]
    c = f["claims"]
    t = section.table("disparity_gdp_pc").frame.iloc[-1]
    assert c["compare_gini_w_u"].verdict == ("lower" if t.gini_w < t.gini_u else "higher")
    assert c["compare_gini_w_u"].verdict == "lower"
    w = c["weighting"]
    assert w.verdict == c["compare_gini_w_u"].verdict
    # G = Δ/(2μ): Δ of the table is the mean absolute difference computed pair by pair
    x, pop = bundled["gdp_pc"][2024].to_numpy(), bundled["pop"][2024].reindex(
        bundled["gdp_pc"].index).to_numpy()
    q = pop / pop.sum()
    pairs = np.abs(x[:, None] - x[None, :])
    assert w.values["mean_abs_diff_weighted"] == pytest.approx(q @ pairs @ q, rel=1e-10)
    assert w.values["mean_abs_diff_unweighted"] == pytest.approx(pairs.mean(), rel=1e-10)
    assert w.values["mean_weighted"] == pytest.approx(q @ x, rel=1e-12)
    assert math.log(t.gini_w / t.gini_u) == pytest.approx(w.values["log_diff"] -
                                                          w.values["log_mean"], rel=1e-12)
    assert w.values["driver"] == "differences"
    # the top fifth by GDP per capita in 2024 and its population share, by hand
    wt = section.table("disparity_weighting").frame.iloc[f["weighting_row"]]
    top = bundled["gdp_pc"][2024].nlargest(6).index
    assert set(wt.top_codes.split(", ")) == set(top)
    assert wt.top_population_share == pytest.approx(
        bundled["pop"][2024][top].sum() / bundled["pop"][2024].sum(), rel=1e-12)
    assert c["tails"].verdict == ("underweighted" if wt.top_population_share < 6 / 31 and
                                  wt.bottom_population_share < 6 / 31 else "mixed")


def test_between_share_claim_latest_year(section):
    f = section.facts["gdp_pc"]
    t = section.table("disparity_gdp_pc").frame.iloc[-1]
    d = section.table("dagum_gdp_pc").frame.iloc[f["dagum_rows"]["w"]]
    assert (d.year, d.weighting) == (t.year, "population") == (2024, "population")
    c = f["claims"]["between_w"]
    assert c.values["theil_between_share"] == t.theil_between_share_w
    assert c.values["dagum_net_between_share"] == d.net_between_share
    # Theil says within-group differences dominate (45.8 %), Dagum between (64.2 %)
    assert t.theil_between_share_w < 0.5 < d.net_between_share
    assert c.verdict == "disagree" and c.notes == ("gini_linear_scale",)


def test_between_reading_gives_the_reason_that_fits_the_order():
    c = between_reading(0.46, 0.64)
    assert (c.verdict, c.notes, c.values["dagum_vs_theil"]) == ("disagree",
                                                                ("gini_linear_scale",), "higher")
    c = between_reading(0.62, 0.41)
    assert (c.verdict, c.notes) == ("disagree", ("dagum_overlap",))
    assert between_reading(0.7, 0.6).notes == ("dagum_overlap",)
    assert between_reading(0.5801, 0.58).notes == ()  # within the relative tolerance
    assert between_reading(0.55, 0.75).verdict == "agree"


def test_weighting_and_tails_claims_rules():
    c = weighting_claim(0.2, 0.2, mean_weighted=100.0, mean_unweighted=100.0)
    assert c.verdict == "similar" and c.values["differences"] == "similar"
    c = weighting_claim(0.25, 0.2, mean_weighted=90.0, mean_unweighted=100.0)
    assert c.verdict == "higher" and c.values["mean"] == "lower"
    assert c.values["mean_abs_diff_weighted"] == pytest.approx(45.0)
    assert c.values["driver"] == "differences"  # ln(45/40) > |ln 0.9|
    c = weighting_claim(0.21, 0.2, mean_weighted=80.0, mean_unweighted=100.0)
    assert c.values["differences"] == "lower" and c.values["driver"] == "mean"
    assert tails_claim(top_population_share=0.1, top_count_share=0.2,
                       bottom_population_share=0.1, bottom_count_share=0.2).verdict == \
        "underweighted"
    assert tails_claim(top_population_share=0.3, top_count_share=0.2,
                       bottom_population_share=0.25, bottom_count_share=0.2).verdict == \
        "overweighted"
    with pytest.raises(urbanrural.data.DataError):
        weighting_claim(0.2, 0.2, mean_weighted=0.0, mean_unweighted=1.0)


def test_claims_table_rows_are_the_facts(section):
    ct = section.table("disparity_claims").frame
    for key in section.facts["series"]:
        f = section.facts[key]
        for name, row in f["rows"].items():
            assert (ct.series.iloc[row], ct.claim.iloc[row]) == (key, name)
            assert ct.verdict.iloc[row] == f["claims"][name].verdict


def test_options_record_the_run(section):
    o = section.options
    assert o["partition"]["id"] == "macro_region"
    assert o["partition"]["groups_zh"] == ["东部", "中部", "西部", "东北"]
    assert o["weighting"] == ["population", "none"]
    assert o["weights_indicator"] == "population_total"
    assert len(o["regions"]) == 31
    assert all(len(t.key) <= 31 for t in section.tables)


# ---------------------------------------------------------------------------- variants
def test_partition_belt_changes_the_groups_and_the_tables(section):
    r = run_analysis(AnalysisSpec(sections=("disparity",), partition="belt"))
    b = r.section("disparity")
    assert b.options["partition"]["id"] == "belt"
    assert b.options["partition"]["registry"] == "three_belts"
    assert b.options["partition"]["groups_en"] == ["Eastern belt", "Central belt",
                                                   "Western belt"]
    assert "三大地带" in b.table("disparity_gdp_pc").title_zh
    p = b.table("dagum_pairs_gdp_pc").frame
    one = p[(p.year == 2024) & (p.weighting == "none")]
    assert one.kind.value_counts().to_dict() == {"within": 3, "between": 3}
    # totals do not depend on the grouping, the decomposition does
    m, t = section.table("disparity_gdp_pc").frame, b.table("disparity_gdp_pc").frame
    np.testing.assert_allclose(m.gini_w, t.gini_w, rtol=1e-12)
    assert not np.allclose(m.theil_between_w, t.theil_between_w)
    html, _ = render_page(r)
    assert "三大地带划分（东部地带、中部地带、西部地带）" in html
    assert "the three-belt division (Eastern belt, Central belt, Western belt)" in html
    assert "国家统计局四大区域划分" not in html


def test_bootstrap_option_adds_intervals():
    r = run_analysis(AnalysisSpec(sections=("disparity",), options=Options(bootstrap=49)))
    t = r.section("disparity").table("disparity_income").frame
    assert (t.gini_w_ci_low < t.gini_w_ci_high).all()
    assert (t.gini_u_ci_low < t.gini_u_ci_high).all()
    assert r.section("disparity").options["bootstrap"] == 49


def test_panel_without_population_gives_a_note_not_a_crash(tmp_path, bundled):
    p = bundled["panel"].select(indicators=["gdp", "disposable_income_all"])
    path = write(p, tmp_path / "nopop.csv", layout="long")
    r = run_analysis(AnalysisSpec(data=str(path), sections=("disparity",), national_data=None,
                                  world_data=None))
    s = r.section("disparity")
    assert s.skipped is None
    assert [t.key for t in s.tables] == ["disparity_income", "dagum_income",
                                         "dagum_pairs_income", "disparity_claims"]
    assert any("population_total" in n.en and "GDP per capita" in n.en for n in s.notes)
    assert any("population_total" in n.zh and "不加权" in n.zh for n in s.notes)
    t = s.table("disparity_income").frame
    assert not any(c.endswith("_w") for c in t.columns)
    assert t.gini_u.iloc[-1] == pytest.approx(_gini_pairs(bundled["income"][2018]), rel=1e-12)
    assert s.options["weighting"] == ["none"]
    assert set(s.table("dagum_income").frame.weighting) == {"none"}
    html, _ = render_page(r)
    assert "不加权（各省同等），省际基尼系数由" in html and "人口加权为何" not in html


def test_panel_with_nothing_to_measure_is_skipped(tmp_path, bundled):
    path = write(bundled["panel"].select(indicators=["gdp"]), tmp_path / "gdp.csv", layout="long")
    r = run_analysis(AnalysisSpec(data=str(path), sections=("disparity",), national_data=None,
                                  world_data=None))
    s = r.section("disparity")
    assert s.skipped is not None and "disposable_income_all" in s.skipped.en
    assert s.tables == ()


# ---------------------------------------------------------------------------- page
def test_page_cites_every_number_from_the_tables(result, rendered):
    html, page = rendered
    sheets = {t.key: t for _, t in result.tables()}
    spans = NUM.findall(html)
    assert len(spans) > 300
    own = {t.key for t in result.section("disparity").tables}
    for sheet, row, col, digits, pct, shown in spans:
        assert sheet in own
        cell = float(sheets[sheet].frame.iloc[int(row)][col])
        assert shown == fmt(cell, int(digits), pct=pct == "1"), (sheet, row, col)
        value = float(shown.replace(",", "").rstrip("%"))
        expected = 100 * cell if pct == "1" else cell
        assert abs(value - expected) <= 0.5 * 10 ** -int(digits) + 1e-9


def test_page_reads_out_both_languages_with_the_claims(section, rendered):
    html, page = rendered
    text = re.sub(r"<[^>]+>", "", html)
    assert "区域差距" in html and "Regional disparity" in html
    f = section.facts["gdp_pc"]
    # the verdicts are the claims' words, in both languages
    assert "显著下降" in text and "falling significantly" in text
    assert "结论不一致" in text and "the readings differ" in text
    assert "两者看似矛盾" in text and "They seem to contradict each other" in text
    assert f["claims"]["between_w"].verdict == "disagree"
    # the partition is named from the result
    assert section.options["partition"]["zh"] in text and section.options["partition"]["en"] in text
    # the Gini of 2024, cited from its cell
    assert '<span class="num" data-sheet="disparity_gdp_pc" data-row="18" data-col="gini_u" ' \
           'data-digits="3" data-pct="0">0.220</span>' in html
    assert len([c for c in page.charts if c.id.startswith("chart-disparity")]) == 11


def test_zh_and_en_spans_hold_their_own_language(rendered):
    html, _ = rendered
    zh = [re.sub(r"<[^>]+>", "", t) for t in re.findall(
        r'<(?:span|p) class="zh[^"]*">(.*?)</(?:span|p)>', html, re.S)]
    en = [re.sub(r"<[^>]+>", "", t) for t in re.findall(
        r'<(?:span|p) class="en[^"]*">(.*?)</(?:span|p)>', html, re.S)]
    assert len(zh) == len(en) > 100
    # Latin in Chinese text is limited to symbols and the names of methods
    allowed = {"GDP", "Gjj", "Gjh", "Gnb", "Mann", "Kendall", "Dagum"}
    latin = {w for t in zh for w in re.findall(r"[A-Za-z]{3,}", t)}
    assert latin <= allowed, latin - allowed
    assert not any(re.search(r"[\u4e00-\u9fff]", t) for t in en)
    for phrase in ("weighted", "between", "provinces", "Theil T"):
        assert not any(phrase in t for t in zh)


def test_charts_have_both_languages_and_few_lines(rendered):
    _, page = rendered
    charts = [c for c in page.charts if c.id.startswith("chart-disparity")]
    for c in charts:
        assert 1 <= len(c.zh["data"]) <= 6
        assert c.zh["layout"]["legend"]["orientation"] == "h"
        assert c.zh["layout"]["title"]["text"] != c.en["layout"]["title"]["text"]
        assert re.search(r"[\u4e00-\u9fff]", c.zh["layout"]["title"]["text"])
        assert not re.search(r"[\u4e00-\u9fff]", c.en["layout"]["title"]["text"])
        for tz, te in zip(c.zh["data"], c.en["data"], strict=True):
            assert tz["y"] == te["y"] and tz["name"] != te["name"]
    gini = next(c for c in charts if c.id == "chart-disparity-gini")
    assert len(gini.zh["data"]) == 4  # two series × weighted / unweighted


def test_population_for_some_years_only_weights_those_years(tmp_path, bundled, result):
    """Income 2013–2018 with population 2013–2016: weighted measures for four years, the
    latest-year readings unweighted, and a page that still cites every number."""
    inc = write(bundled["panel"].select(indicators=["disposable_income_all"]),
                tmp_path / "inc.csv", layout="long")
    pop = write(bundled["panel"].select(indicators=["population_total"], years=(2013, 2016)),
                tmp_path / "pop.csv", layout="long")
    r = run_analysis(AnalysisSpec(data=str(inc), with_data=(str(pop),),
                                  sections=("disparity",), national_data=None, world_data=None))
    s = r.section("disparity")
    t = s.table("disparity_income").frame.set_index("year")
    assert t.gini_w.loc[2013:2016].notna().all() and t.gini_w.loc[2017:].isna().all()
    full = result.section("disparity").table("disparity_income").frame.set_index("year")
    np.testing.assert_allclose(t.gini_w.loc[2013:2016], full.gini_w.loc[2013:2016], rtol=1e-12)
    c = s.facts["income"]["claims"]
    assert c["trend_gini_w"].verdict == "too_short" and c["change_gini_w"].values["last_year"] == 2016
    assert "compare_gini_w_u" not in c and "between_w" not in c and "between_u" in c
    assert any("some years have no resident population" in n.en for n in s.notes)
    html, _ = render_page(r)
    sheets = {tb.key: tb for tb in s.tables}
    for sheet, row, col, digits, pct, shown in NUM.findall(html):
        assert shown == fmt(float(sheets[sheet].frame.iloc[int(row)][col]), int(digits),
                            pct=pct == "1")
    assert "降至2016年的" in re.sub(r"<[^>]+>", "", html)
