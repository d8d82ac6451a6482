"""The world section: China's urban–rural gaps among countries, its ranks and trajectory, and the
Wang-corrected coupling of the urban_rural_services framework, checked against the bundled
dataset, hand computations and the rendered page."""

import re

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.methods.claims import change_claim, compare_claim, gap_trend_claim, trend_claim
from urbanrural.outputs.render import render_page
from urbanrural.outputs.sections.world import MAP_COLOURS, sanitation_breaks
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.framework import load_framework
from urbanrural.pipeline.sections.world import TIE_DECIMALS, position_claim
from urbanrural.pipeline.spec import AnalysisSpec

SPAN = re.compile(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)" '
                  r'data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>')


@pytest.fixture(scope="module")
def analysis():
    return run_analysis(AnalysisSpec(sections=("world",)))


@pytest.fixture(scope="module")
def world(analysis):
    return analysis.section("world")


@pytest.fixture(scope="module")
def cells():
    """The bundled dataset as (region, year) × indicator."""
    d = ur.load_dataset("world_countries").data
    return d.pivot_table(index=["region_code", "year"], columns="indicator", values="value")


@pytest.fixture(scope="module")
def pages(analysis):
    return {lang: render_page(analysis, lang=lang) for lang in ("zh", "en")}


def frame(world, key):
    return world.table(key).frame


def hand_rank(u: pd.Series, r: pd.Series) -> pd.Series:
    """Rank by |urban − rural| of the countries with both sides: 1 = smallest, ties share the
    smallest rank; compared at TIE_DECIMALS so float noise does not split a tie."""
    gap = (u - r).dropna().abs()
    return gap.round(TIE_DECIMALS).rank(method="min", ascending=True)


# ------------------------------------------------------------------ values against the data
def test_china_sanitation_equals_the_dataset_and_jmp(world, cells):
    traj = frame(world, "world_china_gaps").set_index("year")
    for year in (2000, 2010, 2020):
        for side in ("urban", "rural"):
            assert traj.loc[year, f"sanitation_{side}"] == \
                cells.loc[("CHN", year), f"sanitation_basic_or_better_{side}"]
    # JMP 2021 (jmp_wash_2021_percent.csv, CHN rows of sanitation_basic_or_better)
    assert (traj.loc[2010, "sanitation_urban"], traj.loc[2010, "sanitation_rural"]) == \
        (86.36, 65.17)
    rank = frame(world, "world_china_rank").set_index("indicator")
    assert (rank.loc["sanitation", "urban"], rank.loc["sanitation", "rural"]) == (95.17, 87.87)
    assert rank.loc["sanitation", "year"] == 2020
    # OPHI MPI 2022, China's one survey (2014): rural − urban headcount
    assert rank.loc["mpi", "year"] == 2014
    assert rank.loc["mpi", "gap"] == pytest.approx(6.16501876871226 - 2.0588223996068, abs=1e-12)


def test_gap_is_the_worse_off_sides_shortfall(world, cells):
    traj = frame(world, "world_china_gaps").set_index("year")
    chn = cells.loc["CHN"]
    np.testing.assert_allclose(traj.sanitation_gap, chn.sanitation_basic_or_better_urban
                               - chn.sanitation_basic_or_better_rural, rtol=0, atol=1e-12)
    np.testing.assert_allclose(traj.water_gap, chn.water_basic_or_better_urban
                               - chn.water_basic_or_better_rural, rtol=0, atol=1e-12)
    # open defecation: rural − urban; in 2020 China's rural rate (0.30) is below its urban
    # rate (0.33), so the gap is negative and its size 0.03
    np.testing.assert_allclose(traj.open_defecation_gap, chn.sanitation_open_defecation_rural
                               - chn.sanitation_open_defecation_urban, rtol=0, atol=1e-12)
    assert traj.loc[2020, "open_defecation_gap"] == pytest.approx(-0.03, abs=1e-12)
    assert traj.loc[2020, "open_defecation_abs_gap"] == pytest.approx(0.03, abs=1e-12)


def test_ranks_equal_a_pandas_rank_over_countries_with_both_sides(world, cells):
    rank = frame(world, "world_china_rank").set_index("indicator")
    y2020 = cells.xs(2020, level="year")
    for key, base, sign in (("water", "water_basic_or_better", 1),
                            ("sanitation", "sanitation_basic_or_better", 1),
                            ("open_defecation", "sanitation_open_defecation", -1)):
        r = hand_rank(sign * y2020[f"{base}_urban"], sign * y2020[f"{base}_rural"])
        assert rank.loc[key, "rank"] == r["CHN"], key
        assert rank.loc[key, "n_ranked"] == len(r), key
    # every year of the trajectory, for sanitation
    traj = frame(world, "world_china_gaps").set_index("year")
    for year in traj.index:
        y = cells.xs(year, level="year")
        r = hand_rank(y.sanitation_basic_or_better_urban, y.sanitation_basic_or_better_rural)
        assert (traj.loc[year, "sanitation_rank"], traj.loc[year, "sanitation_n_ranked"]) == \
            (r["CHN"], len(r)), year
    # MPI: each country's one survey, whatever its year
    mpi = cells[["mpi_cme_headcount_ratio_urban", "mpi_cme_headcount_ratio_rural"]].dropna()
    assert mpi.index.get_level_values(0).is_unique
    mpi = mpi.droplevel("year")
    r = hand_rank(mpi.mpi_cme_headcount_ratio_rural, mpi.mpi_cme_headcount_ratio_urban)
    assert (rank.loc["mpi", "rank"], rank.loc["mpi", "n_ranked"]) == (r["CHN"], len(r))
    # the full table carries the same ranks for every country
    latest = frame(world, "world_gap_latest")
    san = latest[latest.indicator == "sanitation"].set_index("region_code")
    r = hand_rank(y2020.sanitation_basic_or_better_urban, y2020.sanitation_basic_or_better_rural)
    pd.testing.assert_series_equal(san["rank"].astype(float).sort_index(),
                                   r.sort_index(), check_names=False)


def test_no_rank_for_china_where_it_has_no_data(world, cells):
    rank = frame(world, "world_china_rank").set_index("indicator")
    y2020 = cells.xs(2020, level="year")
    both = y2020[["hygiene_basic_urban", "hygiene_basic_rural"]].dropna()
    assert "CHN" not in both.index
    assert np.isnan(rank.loc["hygiene", "rank"]) and np.isnan(rank.loc["hygiene", "gap"])
    assert rank.loc["hygiene", "n_ranked"] == len(both)
    assert world.facts["claims"]["rank_hygiene"].verdict == "not_ranked"
    assert world.facts["claims"]["gap_trend_hygiene"].verdict == "too_short"
    assert "hygiene" not in world.facts["series_pairs"]


def test_ties_are_shared_and_listed(world):
    """China's open-defecation gap |0.30 − 0.33| equals Armenia's |0.03 − 0.00| but differs from
    it in binary floating point; the rank rule compares rounded values, so they tie."""
    assert abs(0.30 - 0.33) != abs(0.03 - 0.00)
    rank = frame(world, "world_china_rank").set_index("indicator")
    claim = world.facts["claims"]["rank_open_defecation"]
    assert claim.values["tied"] == ["ARM"] and "ties_included" in claim.notes
    assert rank.loc["open_defecation", "n_tied"] == 1
    assert world.facts["ties"]["open_defecation"]["tied_en"] == ["Armenia"]
    latest = frame(world, "world_gap_latest")
    od = latest[latest.indicator == "open_defecation"].set_index("region_code")
    assert od.loc["CHN", "rank"] == od.loc["ARM", "rank"] == rank.loc["open_defecation", "rank"]


def test_position_claim():
    # values are compared as given (a signed −0.03 beats 0.01 when lower is better)
    c = position_claim(["a", "b", "c", "d"], [0.30 - 0.33, 0.03, 0.5, 0.01], "b",
                       higher_is_better=False)
    assert c.values["rank"] == 3 and c.values["n"] == 4 and c.values["tied"] == []
    assert c.values["share_better"] == 0.5
    c = position_claim(["a", "b", "c"], [abs(0.30 - 0.33), abs(0.03 - 0.0), 1.0], "a",
                       higher_is_better=False)
    assert c.values["rank"] == 1 and c.values["tied"] == ["b"] and c.notes == ("ties_included",)
    c = position_claim(["a", "b", "c"], [3.0, 2.0, 2.0], "c")
    assert (c.values["rank"], c.values["n_better"], c.values["n_worse"]) == (2, 1, 0)
    assert position_claim(["a", "b"], [1.0, 2.0], "z").verdict == "not_ranked"
    with pytest.raises(ValueError, match="no value"):
        position_claim(["a", "b"], [1.0, np.nan], "a")


# --------------------------------------------------------------------- the framework part
def test_framework_uses_the_wang_coupling():
    assert load_framework("urban_rural_services").coupling["form"] == "wang"


def test_coupling_values_equal_the_wang_model(world):
    sv = frame(world, "world_services_china")
    U = sv[["U_urban", "U_rural"]].to_numpy()
    cc = ur.coupling_coordination(U, form="wang")
    np.testing.assert_allclose(sv.C, cc.C, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sv.D, cc.D, rtol=0, atol=1e-12)
    # by hand for two subsystems: C = √[(1 − |U₁ − U₂|)·min/max], D = √(C·(U₁ + U₂)/2)
    u1, u2 = U[:, 0], U[:, 1]
    C = np.sqrt((1 - np.abs(u1 - u2)) * np.minimum(u1, u2) / np.maximum(u1, u2))
    np.testing.assert_allclose(sv.C, C, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sv.D, np.sqrt(C * (u1 + u2) / 2), rtol=0, atol=1e-12)
    assert not np.allclose(sv.C, ur.coupling_coordination(U, form="standard").C)
    latest = frame(world, "world_services_latest")
    cc = ur.coupling_coordination(latest[["U_urban", "U_rural"]].to_numpy(), form="wang")
    np.testing.assert_allclose(latest.D, cc.D, rtol=0, atol=1e-12)


def test_subsystem_scores_by_hand(world, cells):
    """Goalposts 0–100, equal weights; hygiene is dropped by the coverage rule, so each
    subsystem is the mean of water, sanitation, 1 − open defecation, 1 − surface water."""
    sv = frame(world, "world_services_china").set_index("year")
    for year in (2000, 2020):
        x = cells.loc[("CHN", year)]
        for side in ("urban", "rural"):
            hand = np.mean([x[f"water_basic_or_better_{side}"],
                            x[f"sanitation_basic_or_better_{side}"],
                            100 - x[f"sanitation_open_defecation_{side}"],
                            100 - x[f"water_surface_water_{side}"]]) / 100
            assert sv.loc[year, f"U_{side}"] == pytest.approx(hand, abs=1e-12), (year, side)


def test_rank_by_d_among_countries_scored(world):
    latest = frame(world, "world_services_latest").set_index("region_code")
    r = latest.D.round(TIE_DECIMALS).rank(method="min", ascending=False)
    pd.testing.assert_series_equal(latest.rank_D.astype(float), r, check_names=False)
    sv = frame(world, "world_services_china")
    assert sv.rank_D.iloc[-1] == r["CHN"] and sv.n_scored.iloc[-1] == len(latest)
    assert sv.median_D.iloc[-1] == pytest.approx(latest.D.median())
    forms = frame(world, "world_coupling_forms").set_index("form")
    assert forms.loc["wang", "min_C"] < forms.loc["standard", "min_C"]


# ------------------------------------------------------------------------------ the claims
def test_claims_agree_with_the_numbers(world):
    c = world.facts["claims"]
    traj = frame(world, "world_china_gaps")
    rank = frame(world, "world_china_rank").set_index("indicator")
    for key in world.facts["series_pairs"]:
        t = traj.dropna(subset=[f"{key}_gap"])
        again = gap_trend_claim(t.year, t[f"{key}_abs_gap"])
        assert c[f"gap_trend_{key}"].verdict == again.verdict, key
        assert c[f"gap_trend_{key}"].values["first"] == t[f"{key}_abs_gap"].iloc[0]
        assert c[f"rank_{key}"].values["rank"] == rank.loc[key, "rank"]
        assert c[f"rank_{key}"].values["n"] == rank.loc[key, "n_ranked"]
        cmp = compare_claim(rank.loc[key, "abs_gap"], rank.loc[key, "median_abs_gap"])
        assert c[f"vs_median_{key}"].verdict == cmp.verdict
        share = change_claim(t.year, t[f"{key}_share_smaller"])
        assert c[f"rank_change_{key}"].verdict == share.verdict
    # China's sanitation gap shrank steadily from 2000 to 2020 and is below the median's now
    assert c["gap_trend_sanitation"].verdict == "narrowing"
    assert rank.loc["sanitation", "abs_gap"] < rank.loc["sanitation", "median_abs_gap"]
    assert c["vs_median_sanitation"].verdict == "lower"
    # but its drinking-water gap is above the median country's
    assert rank.loc["water", "abs_gap"] > rank.loc["water", "median_abs_gap"]
    assert c["vs_median_water"].verdict == "higher"
    # one MPI survey: no trend claimed
    assert c["gap_trend_mpi"].verdict == "too_short" and c["gap_trend_mpi"].values["n"] == 1
    sv = frame(world, "world_services_china")
    assert c["services_D_trend"].verdict == trend_claim(sv.year, sv.D).verdict
    assert c["services_gap_trend"].verdict == gap_trend_claim(sv.year, sv.U_gap.abs()).verdict
    assert c["services_rank"].values["rank"] == sv.rank_D.iloc[-1]
    # the claims table holds what the page cites
    ct = frame(world, "world_claims").set_index("key")
    assert ct.loc["gap_trend_sanitation", "slope"] == c["gap_trend_sanitation"].values["slope"]
    assert ct.loc["gap_trend_sanitation", "verdict"] == "narrowing"


# ------------------------------------------------------------------------------- the page
def test_every_cited_number_equals_its_cell(world, pages):
    for lang, (html, _) in pages.items():
        spans = SPAN.findall(html)
        assert len(spans) > 150, lang
        for sheet, row, col, digits, pct, shown in spans:
            cell = frame(world, sheet).iloc[int(row)][col]
            value = float(shown.replace(",", "").rstrip("%"))
            expected = 100 * float(cell) if pct == "1" else float(cell)
            assert abs(value - expected) <= 0.5 * 10 ** -int(digits) + 1e-9, \
                (sheet, row, col, shown, cell)


def test_both_languages_render(pages):
    for lang, (html, page) in pages.items():
        assert f'class="lang-{lang}"' in html
        body = html.split('<main>', 1)[1].split('</main>', 1)[0]
        assert "世界中的中国" in body and "China among the world" in body
        # every paragraph comes in both languages
        assert body.count('<p class="zh') == body.count('<p class="en') > 10
        assert "Mann–Kendall" in body and "Wang Shujia" in body and "王淑佳" in body
        ids = [c.id for c in page.charts]
        assert {"chart-world-gaps", "chart-world-services",
                "chart-world-levels-sanitation"} <= set(ids)
        for chart in page.charts:  # at most ~6 lines a chart, titled in both languages
            assert len(chart.zh["data"]) <= 6
            assert chart.zh["layout"]["title"]["text"] != chart.en["layout"]["title"]["text"]


def test_sanitation_map(world, pages):
    _, page = pages["zh"]
    (m,) = page.maps
    latest = frame(world, "world_gap_latest")
    san = latest[latest.indicator == "sanitation"]
    assert m.years == ["2020"] and len(m.values["2020"]) == len(san)
    assert m.values["2020"]["CHN"] == pytest.approx(95.17 - 87.87)
    assert m.breaks[0] <= san.gap.min() and m.breaks[-1] >= san.gap.max()
    assert len(m.colours) == len(m.breaks) - 1 == len(MAP_COLOURS)
    assert m.unit == ("百分点（城镇−农村）", "percentage points (urban − rural)")
    assert sanitation_breaks(np.array([-31.0, 72.0]))[0] == -35.0
    assert sanitation_breaks(np.array([-31.0, 72.0]))[-1] == 80.0


def test_skipped_without_world_data():
    r = run_analysis(AnalysisSpec(sections=("world",), world_data=None, world_framework=None))
    s = r.section("world")
    assert s.skipped is not None and s.tables == ()


def test_a_users_world_file_with_a_long_tie_and_no_framework(tmp_path):
    """A user's file with one pair: the other pairs are named as missing, the framework part is
    left out, and a tie of more than eight countries is counted rather than listed."""
    from urbanrural.data.writers import write

    codes = ["CHN", "IND", "BRA", "USA", "FRA", "DEU", "ITA", "ESP", "JPN", "KOR", "MEX", "ARG"]
    # a test input, not data: ten countries (China among them) at a gap of 10 points, two wider
    rows = [{"region_code": c, "year": y, "indicator": f"sanitation_basic_or_better_{side}",
             "value": (90.0 + (0 if i < 10 else i)) if side == "urban" else 80.0}
            for i, c in enumerate(codes) for y in range(2016, 2021) for side in ("urban", "rural")]
    panel = ur.Panel(pd.DataFrame(rows), [ur.Indicator("sanitation_basic_or_better_urban", unit="%"),
                                          ur.Indicator("sanitation_basic_or_better_rural", unit="%")],
                     registry=ur.data.registry.world())
    path = write(panel, tmp_path / "world.csv")
    r = run_analysis(AnalysisSpec(sections=("world",), world_data=str(path), world_framework=None))
    s = r.section("world")
    rank = s.table("world_china_rank").frame.set_index("indicator")
    assert list(rank.index) == ["sanitation"]
    assert (rank.loc["sanitation", "rank"], rank.loc["sanitation", "n_ranked"],
            rank.loc["sanitation", "n_tied"]) == (1, 12, 9)
    assert s.facts["claims"]["gap_trend_sanitation"].verdict == "no_significant_trend"
    assert not s.has("world_services_china") and s.facts["services"] is False
    assert sum("露天排便率" in n.zh and "Open defecation" in n.en for n in s.notes) == 1
    html, _ = render_page(r, lang="en")
    assert re.search(r'tied with <span class="num"[^>]*data-col="n_tied"[^>]*>9</span> other '
                     r'countries', html)
    body = html.split("<main>", 1)[1].split("</main>", 1)[0]
    assert "India" not in body and "Brazil" not in body  # counted, not listed


def test_a_world_file_without_the_frameworks_indicators(tmp_path):
    """The default world framework cannot run on a file holding only the MPI pair: the gap part
    runs, the framework part is left out with the reason, and nothing fails."""
    from urbanrural.data.writers import write

    d = ur.load_dataset("world_countries").data
    d = d[d.indicator.isin(["mpi_cme_headcount_ratio_urban", "mpi_cme_headcount_ratio_rural"])]
    p = ur.Panel(d, [ur.Indicator(i, unit="%") for i in sorted(set(d.indicator))],
                 registry=ur.data.registry.world())
    r = run_analysis(AnalysisSpec(sections=("world",), world_data=str(write(p, tmp_path / "m.csv"))))
    s = r.section("world")
    assert s.skipped is None and not s.has("world_services_china")
    assert s.table("world_china_rank").frame.indicator.tolist() == ["mpi"]
    assert any("cannot be computed on the data given" in n.en and "无法在所给数据上计算" in n.zh
               for n in s.notes)
    html, _ = render_page(r, lang="zh")
    assert "多维贫困发生率" in html
