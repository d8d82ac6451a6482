"""Reader behaviour on large and awkward files."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data import DataError


def test_large_file_whose_gbk_text_starts_after_the_first_mebibyte(tmp_path):
    # 40,000 ASCII rows (> 1 MiB) by code, then rows by Chinese name in GBK bytes
    codes = ["110000", "120000", "130000", "140000"]
    n = 40_000
    ascii_part = "".join(f"{codes[i % 4]},{1000 + (i // 4) % 2000},x{i // 8000},{i}\n"
                         for i in range(n))
    tail = "北京市,3001,x,1\n天津市,3001,x,2\n"
    f = tmp_path / "big.csv"
    f.write_bytes(("地区,年份,指标,数值\n".encode("gbk")) + ascii_part.encode()
                  + tail.encode("gbk"))
    p = ur.read(f, years=(1000, 3100))
    assert p.report.encoding == "gb18030"
    assert len(p) == n + 2
    d = p.data
    assert d[(d.region_code == "120000") & (d.year == 3001)].value.iloc[0] == 2


def test_value_column_with_text_far_down_is_still_caught(tmp_path):
    n = 300_000  # several parser chunks
    df = pd.DataFrame({"region_code": np.tile(["110000", "310000"], n // 2),
                       "year": np.repeat(np.arange(n // 2) % 100 + 1950, 2),
                       "indicator": np.repeat([f"i{k}" for k in range(n // 200)], 200),
                       "value": np.arange(n, dtype=float).astype(object)})
    df.loc[n - 5, "value"] = "—"
    f = tmp_path / "mixed.csv"
    df.to_csv(f, index=False)
    p = ur.read(f)
    assert len(p) == n - 1
    assert p.report.reasons()["missing-value marker '—'"] == 1
    assert p.report.set_aside[0].row == n - 5 + 2  # header line + 1-based


def test_blank_lines_are_accounted_for_and_keep_row_numbers_right(tmp_path):
    f = tmp_path / "blank.csv"
    f.write_text("地区,年份,指标,数值\n北京,2020,x,1\n\n天津,2020,x,abc\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        ur.read(f)
    assert info.value.issues[0].row == 4  # the blank line 3 is counted, not skipped
    f.write_text("地区,年份,指标,数值\n北京,2020,x,1\n\n天津,2020,x,2\n", encoding="utf-8")
    p = ur.read(f)
    assert len(p) == 2 and p.report.reasons()["blank line"] == 1 and p.report.balanced


# --------------------------------------------------------------------------- every cell
def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _aside(report, reason_part):
    return [(i.row, i.column, i.value) for i in report.set_aside if reason_part in i.reason]


def test_wide_table_sets_aside_non_year_headers_with_row_and_column(tmp_path):
    f = _write(tmp_path / "w.csv", "地区,2020年,2021年(初步),2022Q1,合计,,2019年\n"
                                   "北京,1,2,3,6,9,4\n天津,5,,7,12,,8\n")
    p = ur.read(f, indicator="gdp_x")
    rep = p.report
    assert len(p) == 4 and rep.balanced
    assert _aside(rep, "a year with a qualifier") == [(2, "2021年(初步)", "2")]
    assert _aside(rep, "a quarter or month") == [(2, "2022Q1", "3"), (3, "2022Q1", "7")]
    assert _aside(rep, "a total or average column") == [(2, "合计", "6"), (3, "合计", "12")]
    assert _aside(rep, "without a header") == [(2, "column 6 (no header)", "9")]
    # 6 header cells + 2 regions, 4 values, 6 cells set aside: 18 non-empty cells in the file
    assert rep.cells_in == 18 and rep.cells_labels == 8 and rep.cells_set_aside == 6
    assert "non-empty cells: 18 = 8 headers and labels + 4 values used + 6 set aside" in \
        rep.summary()


def test_long_table_sets_aside_columns_it_does_not_read(tmp_path):
    f = _write(tmp_path / "l.csv", "地区,年份,指标,数值,备注\n北京,2020,x,1,估计\n天津,2020,x,2,\n")
    rep = ur.read(f).report
    assert _aside(rep, "not a region, year, indicator, value or unit column") == [
        (2, "备注", "估计")]
    assert rep.balanced and rep.cells_in == 5 + 6 + 2 + 1


def test_rows_longer_than_the_header_keep_their_values_in_place(tmp_path):
    # pandas would take the first column as the index and shift every value left
    f = _write(tmp_path / "r.csv", "地区,年份,指标,数值\n北京,2020,x,1,9\n天津,2020,x,2,8\n")
    p = ur.read(f)
    assert sorted(p.data.value) == [1.0, 2.0]
    assert _aside(p.report, "without a header") == [(2, "column 5 (no header)", "9"),
                                                     (3, "column 5 (no header)", "8")]
    assert p.report.balanced


def test_region_names_beside_codes_are_checked(tmp_path):
    f = _write(tmp_path / "c.csv", "region_code,region,year,indicator,value\n"
                                   "110000,北京市,2020,x,1\n120000,Atlantis,2020,x,2\n")
    rep = ur.read(f).report
    assert _aside(rep, "a region label the registry does not know") == [(3, "region", "Atlantis")]
    assert rep.balanced
    _write(f, "region_code,region,year,indicator,value\n110000,天津市,2020,x,1\n")
    with pytest.raises(DataError, match="this region label names 天津市 \\(120000\\) but the row's "
                                        "region is 北京市 \\(110000\\)"):
        ur.read(f)


# --------------------------------------------------------------------------- Excel
def _workbook(path, sheets):
    """sheets: [(name, state, rows)]"""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, state, rows in sheets:
        ws = wb.create_sheet(name)
        ws.sheet_state = state
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_excel_reads_the_first_visible_sheet_and_names_the_others(tmp_path):
    f = _workbook(tmp_path / "s.xlsx", [
        ("old", "hidden", [["地区", "2020年"], ["北京", 999]]),
        ("数据", "visible", [["地区", "2020年"], ["北京", 1]]),
        ("notes", "visible", [["说明"]])])
    p = ur.read(f, indicator="x")
    assert p.data.value.tolist() == [1.0]
    assert "sheet '数据' read; other sheets not read as data: 'old' (hidden), 'notes' (not the " \
           "first visible sheet)" in p.report.notices
    assert ur.read(f, indicator="x", sheet="old").data.value.tolist() == [999.0]


def test_excel_error_and_formula_cells_get_their_own_reasons(tmp_path):
    f = _workbook(tmp_path / "e.xlsx", [("s", "visible", [
        ["地区", "2020年", "2021年", "2022年", "2023年"],
        ["北京", 1, "=B2+1", "#REF!", "#DIV/0!"],
        ["天津", "#N/A", 2, None, 4]])])
    p = ur.read(f, indicator="x")
    reasons = p.report.reasons()
    assert reasons["Excel 错误值 / Excel error value #REF! (a formula in the workbook failed): "
                   "no value"] == 1
    assert _aside(p.report, "#DIV/0!") == [(2, "2023年", "#DIV/0!")]
    assert _aside(p.report, "#N/A") == [(3, "2020年", "#N/A")]  # an error, not a marker here
    assert _aside(p.report, "formula without a cached value") == [(2, "2021年", "=B2+1")]
    assert _aside(p.report, "empty cell") == [(3, "2022年", "")]
    assert sorted(p.data.value) == [1.0, 2.0, 4.0]
    assert p.report.balanced and p.report.cells_in == 14


def test_excel_row_numbers_are_the_sheets_own(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"], ws["D3"] = "地区", "2020年"
    ws["C4"], ws["D4"] = "北京", "abc"
    wb.save(tmp_path / "o.xlsx")
    with pytest.raises(DataError) as info:
        ur.read(tmp_path / "o.xlsx", indicator="x")
    assert (info.value.issues[0].row, info.value.issues[0].column) == (4, "2020年")


# --------------------------------------------------------------------------- values
def test_infinite_values_are_errors(tmp_path):
    f = _write(tmp_path / "i.csv", "地区,年份,指标,数值\n北京,2020,x,inf\n天津,2020,x,Infinity\n"
                                   "河北,2020,x,1e999\n山西,2020,x,-inf\n")
    with pytest.raises(DataError) as info:
        ur.read(f)
    assert [i.row for i in info.value.issues] == [2, 3, 4, 5]
    assert all("not a finite number" in i.reason for i in info.value.issues)


def test_a_space_inside_a_number_is_an_error_not_removed(tmp_path):
    f = _write(tmp_path / "n.csv", "地区,年份,指标,数值\n北京,2020,x,1\u00a0234\n天津,2020,x, 56\u00a0\n")
    with pytest.raises(DataError) as info:
        ur.read(f)
    (issue,) = info.value.issues  # 56 with spaces around it is fine
    assert (issue.row, issue.value) == (2, "1\u00a0234")
    assert "a space inside the number" in issue.reason


def test_an_empty_indicator_name_is_an_error(tmp_path):
    f = _write(tmp_path / "e.csv", "地区,年份,指标,数值\n北京,2020,x,1\n天津,2020,,2\n")
    with pytest.raises(DataError, match="indicator name is empty") as info:
        ur.read(f)
    assert info.value.issues[0].row == 3


def test_two_catalogue_names_of_one_indicator_are_merged(tmp_path):
    f = _write(tmp_path / "a.csv", "地区,年份,指标,数值\n北京,2020,年末常住人口,2189\n"
                                   "北京,2021,常住人口,2188\n天津,2021,常住人口,1373\n"
                                   "天津,2021,年末常住人口,1373\n")
    p = ur.read(f)
    assert p.indicator_ids == ["population_total"]
    assert len(p) == 3 and p.report.balanced
    assert _aside(p.report, "under another name of the same indicator") == [(5, "数值", "1373")]
    assert p.indicators["population_total"].notes == "read as '常住人口' and '年末常住人口'"
    _write(f, "地区,年份,指标,数值\n北京,2020,年末常住人口,2189\n北京,2020,常住人口,2188\n")
    with pytest.raises(DataError, match="2189 \\(row 2, as '年末常住人口'\\), 2188 \\(row 3, as "
                                        "'常住人口'\\)"):
        ur.read(f)


def test_the_duplicate_header_check_reads_the_whole_header(tmp_path):
    long_name = "x" * 5000  # the header line is longer than the 4 KiB read for the layout
    f = _write(tmp_path / "d.csv", f"地区,年份,a{long_name},b{long_name},a{long_name}\n"
                                   "北京,2020,1,2,3\n")
    with pytest.raises(DataError, match="appear more than once"):
        ur.read(f)


def test_mixed_units_in_a_long_table_are_an_error(tmp_path):
    f = _write(tmp_path / "u.csv", "地区,年份,指标,数值\n北京,2020,城镇人口(万人),1\n"
                                   "北京,2021,城镇人口(人),20000\n")
    with pytest.raises(DataError, match="more than one unit \\('万人', '人'\\)"):
        ur.read(f)
    _write(f, "地区,年份,指标,数值\n北京,2020,城镇人口(万人),1\n北京,2021,城镇人口(万人),2\n")
    p = ur.read(f)
    assert p.indicator_ids == ["population_urban"] and p.indicators["population_urban"].unit == "万人"


def test_traditional_province_names_resolve(tmp_path):
    names = ["廣東省", "重慶市", "內蒙古", "廣西", "寧夏", "內蒙古自治區", "黑龍江省", "陝西", "全國"]
    rows = "".join(f"{n},{2000 + k},x,{k}\n" for k, n in enumerate(names, 1))
    p = ur.read(_write(tmp_path / "t.csv", "地区,年份,指标,数值\n" + rows))
    got = dict(zip(p.data.value.astype(int), p.data.region_code, strict=True))
    assert [got[k] for k in range(1, 10)] == ["440000", "500000", "150000", "450000", "640000",
                                              "150000", "230000", "610000", "000000"]


# --------------------------------------------------------------------------- encodings
def test_big5_is_detected_and_read(tmp_path):
    f = _write(tmp_path / "b.csv", "地區,年份,指標,數值\n廣東省,2020,x,1\n重慶市,2020,x,2\n", "big5")
    p = ur.read(f)
    assert p.report.encoding == "cp950"
    assert sorted(p.regions) == ["440000", "500000"]
    assert any("Big5" in n for n in p.report.notices)


def test_shift_jis_is_refused_not_read_as_gbk(tmp_path):
    f = _write(tmp_path / "j.csv", "地域,年度,指標,数値\n東京都,2020,x,1\n大阪府,2020,x,2\n",
               "shift_jis")
    with pytest.raises(DataError, match="Shift-JIS"):
        ur.read(f)


def test_bom_followed_by_gbk_is_refused(tmp_path):
    f = tmp_path / "m.csv"
    f.write_bytes(b"\xef\xbb\xbf" + "地区,年份,指标,数值\n北京,2020,x,1\n".encode("gbk"))
    with pytest.raises(DataError, match="byte-order mark .* the text after the mark is GBK"):
        ur.read(f)
    f.write_bytes("\ufeff地区,年份,指标,数值\n北京,2020,x,1\n".encode() +
                  "天津,2020,x,2\n".encode("gbk"))
    with pytest.raises(DataError, match="byte 47 \\(line 3\\) is not UTF-8"):
        ur.read(f)


def test_utf8_then_gbk_without_bom_is_refused(tmp_path):
    f = tmp_path / "m.csv"
    f.write_bytes("地区,年份,指标,数值\n北京,2020,x,1\n".encode() + "天津,2020,x,2\n".encode("gbk"))
    with pytest.raises(DataError, match="is UTF-8 up to byte 44 \\(line 3\\)"):
        ur.read(f)


# --------------------------------------------------------------------------- empty files
def test_a_header_only_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no data rows"):
        ur.read(_write(tmp_path / "h.csv", "地区,年份,指标,数值\n"))
    with pytest.raises(DataError, match="no data rows"):
        ur.read(_write(tmp_path / "h2.csv", "地区,2020年,2021年\n\n"), indicator="x")


def test_a_file_of_only_missing_values_is_a_clear_error(tmp_path):
    f = _write(tmp_path / "m.csv", "地区,年份,指标,数值\n北京,2020,x,—\n天津,2020,x,\n")
    with pytest.raises(DataError, match="none of the 2 value cell\\(s\\) holds a number"):
        ur.read(f)


def test_canonicalise_merges_two_names_of_one_indicator_in_a_panel():
    from urbanrural.data import Panel, canonicalise

    d = pd.DataFrame({"region_code": ["110000", "110000", "120000"], "year": [2020, 2020, 2020],
                      "indicator": ["年末常住人口", "常住人口", "常住人口"],
                      "value": [2189.0, 2189.0, 1373.0]})
    p = canonicalise(Panel(d, registry=ur.china()))
    assert p.indicator_ids == ["population_total"] and len(p) == 2
    assert p.indicators["population_total"].unit == "万人"
    d.loc[1, "value"] = 2188.0
    with pytest.raises(DataError, match="2189 as '年末常住人口', 2188 as '常住人口'"):
        canonicalise(Panel(d, registry=ur.china()))
