"""The per-province part of the paths section (issue 12, Build 6) on REAL provincial data: the
integrated-survey urban and rural disposable incomes of Fujian, Guangdong, Hunan and Qinghai
(tests/data/paths_regions/PROVENANCE.md) given with ``--with``. Only Fujian holds both incomes
in ≥ 6 consecutive years (2015–2020), so the run forecasts one province and lists the others
with their reasons; ``regions_minimum=1`` lets one province run (the default, 2, keeps the
bundled data — which hold the same single province — from forecasting)."""

import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data.errors import DataError
from urbanrural.outputs.render import render_page
from urbanrural.outputs.sections.paths import region_map_values
from urbanrural.pipeline import paths as paths_pipeline
from urbanrural.pipeline.analysis import run_analysis
from urbanrural.pipeline.context import RunContext
from urbanrural.pipeline.sections.paths import (
    REGION_LABELS,
    Settings,
    band_label,
    met_band,
    regions_target_claim,
)
from urbanrural.pipeline.spec import AnalysisSpec

DATA = Path(__file__).parent / "data" / "paths_regions" / "province_income_integrated_survey.subset.csv"
FUJIAN = "350000"


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(DATA, dtype={"gb_code": str})


@pytest.fixture(scope="module")
def user_file(raw, tmp_path_factory):
    # the file a user would add: region code, year, indicator (NBS ids), value
    frame = pd.DataFrame({"region_code": raw.gb_code, "year": raw.year,
                          "indicator": raw.indicator, "value": raw.value})
    path = tmp_path_factory.mktemp("user") / "province_incomes.csv"
    ur.write(ur.Panel(frame), path)
    return path


@pytest.fixture(scope="module")
def spec(user_file):
    return AnalysisSpec(sections=("paths",), with_data=(str(user_file),),
                        settings=(("paths", Settings(regions_minimum=1, draws=300)),))


@pytest.fixture(scope="module")
def result(spec):
    return run_analysis(spec)


@pytest.fixture(scope="module")
def section(result):
    return result.section("paths")


@pytest.fixture(scope="module")
def rendered(result):
    return render_page(result)


def test_the_user_file_is_the_integrated_survey_only(raw, spec):
    # no urban value before 2013 (the old urban survey) is in the file, and the panel keeps
    # the file's values under the split id of the 2013 break
    urban = raw[raw.indicator == "urban_disposable_income"]
    assert urban.year.min() == 2013
    d = RunContext(spec).panel().data
    fj = d[(d.region_code == FUJIAN) & (d.indicator == "urban_disposable_income_new_survey")]
    assert fj.set_index("year").value.loc[2015:2020].tolist() == [33275.34, 36014, 39001, 42121,
                                                                  45620, 47160]


def test_table_equals_run_regions_called_directly(section, spec):
    st = spec.setting("paths")
    d = RunContext(spec).panel().data
    d = d[d.indicator.isin(["urban_disposable_income_new_survey", "rural_disposable_income"])]
    direct = paths_pipeline.run_regions(d, paths_pipeline.NATIONAL_SERIES[0], until=2035,
                           targets=[(2035, t) for t in st.targets], level=st.levels,
                           draws=st.region_draws, seed=st.seed)
    t = section.table("paths_regions").frame
    exp = direct["targets"].sort_values(["target", "region_code"], ascending=[False, True])
    assert t.region_code.tolist() == exp.region_code.astype(str).tolist() == [FUJIAN] * 3
    assert t.target.tolist() == [2.2, 2.0, 1.8]
    for col in ("last_year", "last_value", "year_met", "probability", "probability_by"):
        np.testing.assert_allclose(t[col].to_numpy(float), exp[col].to_numpy(float))
    for col in ("verdict_year", "verdict_probability", "verdict_year_en", "forecast_method"):
        assert t[col].tolist() == exp[col].tolist()
    # by hand from the file: Fujian 2020, urban 47160 / rural 20880 yuan
    assert (t.last_year == 2020).all() and t.last_value.iloc[0] == pytest.approx(47160 / 20880)
    assert t.region_zh.iloc[0] == "福建省" and t.region_en.iloc[0] == "Fujian"
    # the probability by the target year is at least the one in it; verdicts restate the rules
    assert (t.probability_by >= t.probability).all()
    bands = np.where(t.probability_by >= 2 / 3, "likely",
                     np.where(t.probability_by <= 1 / 3, "unlikely", "about_even"))
    assert t.verdict_probability.tolist() == bands.tolist()
    fc = section.table("paths_regions_forecast").frame
    f = direct["forecast"]
    assert fc.year.tolist() == list(range(2021, 2036))
    np.testing.assert_allclose(fc["mean"], f["mean"])
    # the year met is the first year the point path is at or below the target
    for _, row in t.iterrows():
        below = fc.year[fc["mean"] <= row.target]
        assert (row.year_met == below.min()) if len(below) else np.isnan(row.year_met)
    assert section.options["region_draws"] == 500 and section.options["map_target"] == 2.0


def test_every_other_province_is_listed_with_its_reason(section):
    sk = section.table("paths_regions_skipped").frame.set_index("region_code")
    ran = set(section.table("paths_regions").frame.region_code)
    assert len(sk) + len(ran) == 31 and not (set(sk.index) & ran)
    # Guangdong: rural income 2013–2014 only (the stored yearbook copy is cut); Hunan: 2014
    assert sk.loc["440000", "reason_en"].startswith("only 2 consecutive years")
    assert sk.loc["430000", "reason_zh"] == "城镇与农村收入都有数据的连续年份只有1年（至少需要6年）"
    # Qinghai: urban 2016, rural 2019 — no common year
    assert sk.loc["630000", "reason_en"].startswith("only 0 consecutive years")
    assert sk.loc["110000", "reason_en"] == ("lacks the integrated-survey urban or rural "
                                             "disposable income")
    assert sk.reason_zh.str.len().gt(0).all() and sk.reason_en.str.len().gt(0).all()
    assert sk.region_zh.notna().all() and sk.region_en.notna().all()


def test_met_band_and_its_words():
    # spans of five years counted back from 2035, cut at the first forecast year
    y = [2021.0, 2022, 2025, 2026, 2030, 2031, 2035, 2036, float("nan")]
    assert met_band(y, first_year=2021, target_year=2035).tolist() == [1, 1, 1, 2, 2, 3, 3, 0, 0]
    # 2024–2035 is 12 years: the first span is cut to 2024–2025
    assert met_band([2024.0, 2025, 2026, 2031], first_year=2024,
                    target_year=2035).tolist() == [1, 1, 2, 3]
    assert band_label(1, first_year=2024, target_year=2035) == ("2024—2025年达标", "met in 2024–2025")
    assert band_label(3, first_year=2021, target_year=2035)[1] == "met in 2031–2035"
    assert band_label(0, first_year=2021, target_year=2035) == ("到2035年未达标", "not met by 2035")


def test_map_classes(section, rendered):
    t = section.table("paths_regions").frame
    # Fujian's point path does not reach 2.0 by 2035 (year_met NaN): the "not by 2035" class
    assert np.isnan(t.year_met[t.target == 2.0].iloc[0])
    assert region_map_values(section) == {2035: {FUJIAN: 0}}
    # 2.2 is met in 2025: the first span, 2021–2025
    assert t[t.target == 2.2].met_band.tolist() == [1] and t.year_met[t.target == 2.2].iloc[0] == 2025
    _, page = rendered
    m = next(m for m in page.maps if m.id.startswith("map-paths-regions"))
    assert m.values == {"2035": {FUJIAN: 0.0}}  # every other province: no data (grey)
    assert m.categorical[0] == ("到2035年未达标", "not met by 2035")
    assert m.categorical[1][1] == "met in 2021–2025" and m.categorical[3][1] == "met in 2031–2035"
    assert len(m.colours) == len(m.categorical) == 4


def test_claims_and_cited_numbers(section, rendered, result):
    t = section.table("paths_regions").frame
    facts = section.facts["regions"]
    for c in facts["claims"]:
        rows = t[t.target == c["target"]]
        claim = regions_target_claim(rows.region_code, rows.year_met, rows.verdict_probability,
                                     target=c["target"], target_year=2035)
        assert claim.verdict == c["verdict"] and claim.values["n_met"] == c["n_met"]
    assert [c["verdict"] for c in facts["claims"]] == ["all_meet", "none_meet", "none_meet"]
    html = unescape(rendered[0])
    sheets = {tb.key: tb.frame for _, tb in result.tables()}
    spans = re.findall(r'<span class="num" data-sheet="(paths_regions[^"]*)" data-row="(\d+)" '
                       r'data-col="([^"]+)" data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>', html)
    assert len(spans) >= 15
    for sheet, row, col, digits, _pct, shown in spans:
        v = sheets[sheet].iloc[int(row)][col]
        assert abs(float(shown.replace(",", "")) - v) <= 0.5 * 10 ** -int(digits) + 1e-9
    assert re.search(r"即福建省（<span[^>]*>2025</span>年）", html)
    assert REGION_LABELS["none_meet"][1] in html and REGION_LABELS["all_meet"][0] in html
    assert "about as likely as not in 1" in html


def test_regions_target_claim_by_hand():
    c = regions_target_claim(["a", "b", "c", "d"], [2030.0, 2027, 2027, 2037],
                             ["likely", "likely", "about_even", "unlikely"], target=2.0,
                             target_year=2035)
    assert c.verdict == "some_meet" and c.values["n_met"] == 3 and c.values["n_not_met"] == 1
    assert c.values["earliest"] == ("b", "c") and c.values["earliest_year"] == 2027
    assert c.values["latest"] == ("a",) and c.values["latest_year"] == 2030
    assert (c.values["n_likely"], c.values["n_about_even"], c.values["n_unlikely"]) == (2, 1, 1)
    assert regions_target_claim(["a"], [2035.0], ["likely"], target=2.0,
                                target_year=2035).verdict == "all_meet"
    with pytest.raises(DataError, match="one length"):
        regions_target_claim(["a", "b"], [2030.0], ["likely"], target=2.0, target_year=2035)


def test_bundled_data_say_what_to_add():
    r = run_analysis(AnalysisSpec(sections=("paths",),
                                  settings=(("paths", Settings(draws=300)),)))
    s = r.section("paths")
    assert not any(tb.key.startswith("paths_regions") for tb in s.tables)
    reg = s.facts["regions"]
    assert not reg["ran"] and [h["region_code"] for h in reg["eligible"]] == [FUJIAN]
    assert "region_draws" in s.options
    html, _ = render_page(r)
    assert "分省部分未运行" in html and "The per-province part did not run" in html
    assert "福建省2015—2020年" in html and "Fujian 2015–2020" in html
    assert "urbanrural report --with 文件" in html and "urbanrural report --with FILE" in html
    assert "城镇居民人均可支配收入、农村居民人均可支配收入" in html


def test_settings_are_checked():
    with pytest.raises(DataError, match="settings.paths.region_draws"):
        Settings(region_draws=50)
    with pytest.raises(DataError, match="settings.paths.map_target"):
        Settings(map_target=2.5)
    with pytest.raises(DataError, match="settings.paths.regions_minimum"):
        Settings(regions_minimum=0)
    assert Settings(targets=(2.1, 1.9, 1.7)).target_for_map() == 1.9
    assert Settings().target_for_map() == 2.0


def test_workbook_headers_are_bilingual(section):
    from urbanrural.outputs.tables import header_for

    for key in ("paths_regions", "paths_regions_forecast", "paths_regions_skipped"):
        t = section.table(key)
        heads = [header_for(c, t.labels, units=t.units) for c in t.frame.columns]
        assert all(re.search(r"[\u4e00-\u9fff]", h) and re.search(r"[A-Za-z]", h)
                   for h in heads), (key, heads)
        assert len(set(heads)) == len(heads), key
