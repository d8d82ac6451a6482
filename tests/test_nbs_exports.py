"""The real NBS portal exports (copied unchanged into tests/data) read correctly."""

import numpy as np
import pandas as pd

import urbanrural as ur

from .conftest import DATA

EXPORTS = DATA / "nbs_exports"
PORTAL = DATA / "portal"


def _cell(panel, region, year, indicator):
    d = panel.data
    hit = d[(d.region_code == region) & (d.year == year) & (d.indicator == indicator)]
    assert len(hit) == 1, (region, year, indicator)
    return float(hit.value.iloc[0])


def test_gdp_export_values_match_the_file():
    p = ur.read(EXPORTS / "fen_sheng_nian_du_gdp_zh.csv")
    assert p.indicator_ids == ["gdp"]
    assert p.indicators["gdp"].unit == "亿元"
    assert len(p.regions) == 31 and p.years == list(range(2006, 2025))
    # first and last cells of the table as printed in the file
    assert _cell(p, "110000", 2024, "gdp") == 49670.2
    assert _cell(p, "110000", 2006, "gdp") == 8618.9
    assert _cell(p, "650000", 2024, "gdp") == 20492.4
    assert _cell(p, "630000", 2006, "gdp") == 592.7
    assert p.report.balanced
    assert any("第五次全国经济普查" in n for n in p.provenance["notes"])


def test_every_cell_of_the_gdp_export_is_read():
    """Compare the whole table with an independent parse of the same file."""
    lines = (EXPORTS / "fen_sheng_nian_du_gdp_zh.csv").read_text(encoding="utf-8").splitlines()
    header = lines[3].split(",")
    body = [ln.split(",") for ln in lines[4:35]]
    expected = {(row[0], int(h.rstrip("年"))): float(v)
                for row in body for h, v in zip(header[1:], row[1:], strict=True) if v}
    p = ur.read(EXPORTS / "fen_sheng_nian_du_gdp_zh.csv")
    frame = p.to_frame()
    got = {(r, y): v for r, y, v in zip(frame.region, frame.year, frame.value, strict=True)}
    assert got == expected


def test_gbk_export_equals_utf8_export():
    a = ur.read(EXPORTS / "fen_sheng_nian_du_resident_population_zh.csv")
    b = ur.read(EXPORTS / "fen_sheng_nian_du_resident_population_zh.gbk.csv")
    assert a.report.encoding == "utf-8" and b.report.encoding == "gb18030"
    assert a.equals(b)
    assert _cell(b, "110000", 2024, "population_total") == 2183
    assert _cell(b, "650000", 2015, "population_total") == 2385
    assert b.indicators["population_total"].unit == "万人"


def test_english_export_with_mojibake():
    p = ur.read(EXPORTS / "annual_by_province_urban_population_en.csv")
    rep = p.report
    # the header is repaired and the repair is reported
    assert any("repaired mojibake" in n and "Urban Population(10000 persons)" in n
               for n in rep.notices)
    assert any("???" in n for n in rep.notices)
    assert p.indicator_ids == ["population_urban"]
    assert _cell(p, "110000", 2022, "population_urban") == 1913
    assert _cell(p, "150000", 2005, "population_urban") == 1134  # Inner Mongolia
    assert _cell(p, "650000", 2005, "population_urban") == 747
    # 2023 and 2004 are empty in the export: 2 × 31 empty cells, all accounted for
    empty = [i for i in rep.set_aside if i.reason.startswith("empty cell")]
    assert len(empty) == 62
    assert {i.column for i in empty} == {"2023", "2004"}
    assert rep.balanced and rep.rows_used == 31 * 18


def test_gbk_crlf_portal_export_with_notes():
    p = ur.read(PORTAL / "province_urban_unit_employment_gbk_crlf.csv")
    assert p.report.encoding == "gb18030"
    assert p.indicator_ids == ["employment_urban_units"]
    assert len(p) == 527  # as counted in shared/data/nbs_portal/README.md
    assert _cell(p, "110000", 2024, "employment_urban_units") == 763.6
    assert len(p.provenance["notes"]) == 4  # three numbered notes and the source line
    assert p.report.balanced


def test_national_xls_export_has_indicators_as_rows():
    p = ur.read(PORTAL / "national_population.xls")
    assert p.regions == ["000000"]
    assert set(p.indicator_ids) == {"population_total", "population_male", "population_female",
                                    "population_urban", "population_rural"}
    assert len(p) == 95
    assert _cell(p, "000000", 2024, "population_total") == 140828


def test_scraper_dump_with_years_as_rows():
    p = ur.read(PORTAL / "national_income_engel_scraper.csv")
    assert len(p) == 209  # shared/data/nbs_portal/README.md, file 07
    assert _cell(p, "000000", 1978, "rural_net_income") == 133.57
    assert _cell(p, "000000", 1978, "rural_engel") == 67.7
    # indicators the catalogue does not know keep their own names
    assert "城镇居民家庭人均可支配收入指数" in p.indicator_ids
    assert p.indicators["城镇居民家庭人均可支配收入指数"].unit == "1978=100"


def test_english_unit_text_kept_when_not_standard():
    p = ur.read(PORTAL / "province_rural_households_en.csv")
    (ind,) = p.indicator_ids
    assert ind == "Number of Rural Households"
    assert p.indicators[ind].unit == "10000  subscribers"
    assert _cell(p, "110000", 2012, ind) == 215.20


def test_missing_markers_thousands_and_identical_duplicates(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("省份,年份,指标,数值,单位\n北京,2020,gdp_x,\"1,234.5\",亿元\n"
                 "北京,2021,gdp_x,—,亿元\n北京,2022,gdp_x,…,亿元\n北京,2023,gdp_x,NA,亿元\n"
                 "天津,2020,gdp_x,7,亿元\n天津市,2020,gdp_x,7,亿元\n", encoding="utf-8-sig")
    p = ur.read(f)
    assert p.report.encoding == "utf-8-sig"
    assert _cell(p, "110000", 2020, "gdp_x") == 1234.5
    assert len(p) == 2
    reasons = p.report.reasons()
    assert reasons["missing-value marker '—'"] == 1
    assert reasons["missing-value marker '…'"] == 1
    assert reasons["missing-value marker 'NA'"] == 1
    assert reasons["identical duplicate of an earlier row (merged)"] == 1
    assert any("thousands separators" in n for n in p.report.notices)
    assert p.report.balanced


def test_negative_growth_rates_are_allowed(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("地区,年份,指标,数值\n北京,2020,地区生产总值增长率,-1.5\n", encoding="utf-8")
    assert _cell(ur.read(f), "110000", 2020, "地区生产总值增长率") == -1.5


def test_wide_indicators_with_units_in_headers(tmp_path):
    f = tmp_path / "w.csv"
    pd.DataFrame({"地区": ["北京", "Shanghai"], "年份": ["2020年", "2020"],
                  "城镇人口(万人)": [1916, 2222], "GDP (亿元)": [1, 2]}).to_csv(f, index=False)
    p = ur.read(f)
    assert p.indicators["population_urban"].unit == "万人"
    assert p.indicators["gdp"].unit == "亿元"  # 'GDP' is recognised as the standard id
    assert _cell(p, "310000", 2020, "population_urban") == 2222
    assert np.isclose(_cell(p, "110000", 2020, "gdp"), 1)


def _nonempty_cells(text: str) -> int:
    """Non-empty cells of a CSV text, counted independently of the reader."""
    import csv

    return sum(1 for row in csv.reader(text.splitlines()) for c in row if c.strip())


def test_every_nonempty_cell_of_the_real_exports_is_accounted_for():
    for path, enc in [(EXPORTS / "fen_sheng_nian_du_gdp_zh.csv", "utf-8"),
                      (EXPORTS / "annual_by_province_urban_population_en.csv", "utf-8"),
                      (PORTAL / "province_urban_unit_employment_gbk_crlf.csv", "gb18030"),
                      (PORTAL / "national_income_engel_scraper.csv", "utf-8")]:
        rep = ur.read(path).report
        assert rep.cells_in == _nonempty_cells(path.read_bytes().decode(enc).lstrip("\ufeff")), \
            path.name
        assert rep.balanced, rep.summary()
    # the GDP export: 3 metadata lines + 20 headers + 31 regions are labels, 2 notes set aside
    rep = ur.read(EXPORTS / "fen_sheng_nian_du_gdp_zh.csv").report
    assert (rep.cells_labels, rep.rows_used, rep.cells_set_aside) == (3 + 20 + 31, 589, 2)


def test_national_xls_reads_its_only_sheet_and_counts_its_cells():
    from python_calamine import CalamineWorkbook

    p = ur.read(PORTAL / "national_population.xls")
    assert p.report.notices[0] == "sheet '年度数据' read"
    rows = CalamineWorkbook.from_path(str(PORTAL / "national_population.xls")) \
        .get_sheet_by_index(0).to_python()
    assert p.report.cells_in == sum(1 for r in rows for c in r if str(c).strip())
    assert p.report.balanced


def test_cells_past_the_header_and_qualified_years_in_an_export_are_set_aside(tmp_path):
    """The real GDP export with a preliminary 2024 column and a stray cell past the header."""
    lines = (EXPORTS / "fen_sheng_nian_du_gdp_zh.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("2024年", "2024年(初步)")
    lines[4] += ",99.9"  # 北京市 row, one cell past the header row
    f = tmp_path / "gdp.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = ur.read(f)
    rep = p.report
    assert p.years == list(range(2006, 2024))  # 2024 is not read as a plain year
    qualified = [i for i in rep.set_aside if "a year with a qualifier" in i.reason]
    assert len(qualified) == 31 and {i.column for i in qualified} == {"2024年(初步)"}
    assert (qualified[0].row, qualified[0].value) == (5, "49670.2")
    (stray,) = [i for i in rep.set_aside if "without a header" in i.reason]
    assert (stray.row, stray.column, stray.value) == (5, "column 21 (no header)", "99.9")
    assert rep.cells_in == _nonempty_cells(f.read_text(encoding="utf-8"))
    assert rep.balanced
