"""Writing a panel in any format and layout and reading it back loses nothing."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import urbanrural as ur
from urbanrural.data import Indicator, Panel

codes = st.sampled_from(["110000", "150000", "310000", "540000", "610000", "140000"])
values = st.floats(0, 1e7, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 4))
cells = st.lists(st.tuples(codes, st.integers(2000, 2024),
                           st.sampled_from(["城镇人口", "gdp_x", "rate"]), values),
                 min_size=1, max_size=40, unique_by=lambda t: t[:3])
META = [Indicator("城镇人口", "城镇人口", "", "万人"), Indicator("gdp_x", "", "GDP x", "亿元"),
        Indicator("rate", "", "rate", "%")]

FORMATS = [(".csv", "long"), (".csv", "wide_years"), (".csv", "wide_indicators"),
           (".xlsx", "long"), (".xlsx", "wide_years"), (".xlsx", "wide_indicators"),
           (".parquet", "long")]


@pytest.mark.parametrize("suffix,layout", FORMATS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=cells)
def test_round_trip(tmp_path, suffix, layout, rows):
    d = pd.DataFrame(rows, columns=["region_code", "year", "indicator", "value"])
    p = Panel(d, [m for m in META if m.id in set(d.indicator)], registry=ur.china())
    path = tmp_path / f"out_{layout}{suffix}"
    ur.write(p, path, layout=layout)
    back = ur.read(path, canonical=False)
    assert back.equals(p), (back.data, p.data)
    assert back.report.balanced
    for ind in p.indicator_ids:
        assert back.indicators[ind].unit == p.indicators[ind].unit


def test_bundled_dataset_round_trips_through_parquet_and_excel(tmp_path):
    p = ur.load_dataset("china_provinces")
    for suffix in (".parquet", ".xlsx"):
        ur.write(p, tmp_path / f"cp{suffix}")
        back = ur.read(tmp_path / f"cp{suffix}")
        assert back.equals(p)
        assert back.indicators["gdp"].source == p.indicators["gdp"].source


# --------------------------------------------------------------------------- every cell
# Fuzzed wide tables, NBS exports and workbooks with the cells a reader may be tempted to drop:
# headers that are not years (合计, 2021年(初步), 2022Q1, 备注), columns without a header, cells
# past the end of the header row, blank lines, missing markers, Excel error values and formulas
# never computed. Every non-empty input cell must be a label, a value used or set aside with
# its row and column, and the count must match an independent count of the file's cells.
SPELLINGS = {"110000": ["北京市", "北京", "Beijing"], "120000": ["天津市", "Tianjin"],
             "150000": ["内蒙古自治区", "內蒙古", "Inner Mongolia"], "440000": ["广东省", "廣東省"],
             "450000": ["广西", "廣西壯族自治區"], "500000": ["重庆市", "重慶市"],
             "640000": ["宁夏回族自治区", "寧夏"], "540000": ["西藏自治区", "Tibet"]}
JUNK_HEADERS = ["合计", "2021年(初步)", "2022Q1", "备注", ""]
JUNK_TEXT = ["", "", "x", "12", "估计", "#REF!"]
MARKERS = ["", "—", "…", "NA", "-"]
JUNK_REASONS = {"合计": "a total or average column", "2021年(初步)": "a year with a qualifier",
                "2022Q1": "a quarter or month", "备注": "not a year, region, indicator or unit",
                "": "without a header"}


@st.composite
def wide_tables(draw, *, excel=False):
    """(header, rows, expected values {(code, year): v}, expected set-aside {(row, col): (value,
    reason part)}) of a region × year table; rows are numbered from the header (line 1)."""
    years = draw(st.lists(st.integers(1990, 2024), min_size=1, max_size=4, unique=True))
    codes = draw(st.lists(st.sampled_from(sorted(SPELLINGS)), min_size=1, max_size=5,
                          unique=True))
    junk = draw(st.lists(st.sampled_from(JUNK_HEADERS), max_size=3, unique=True))
    columns = draw(st.permutations([("year", y) for y in years] + [("junk", j) for j in junk]))
    header = ["地区"] + [(f"{v}年" if draw(st.booleans()) else str(v)) if k == "year" else v
                         for k, v in columns]
    kinds = ["number", "number", "marker"] + (["error", "formula"] if excel else [])
    rows, values, aside = [], {}, {}
    for code in codes:
        if rows and draw(st.integers(0, 4)) == 0:
            rows.append([])  # a blank line
        line = len(rows) + 2
        row = [draw(st.sampled_from(SPELLINGS[code]))]
        for j, (k, v) in enumerate(columns, start=2):
            name = header[j - 1] if header[j - 1] else f"column {j} (no header)"
            if k == "junk":
                text = draw(st.sampled_from(JUNK_TEXT))
                row.append(text)
                if text:
                    aside[(line, name)] = (text, JUNK_REASONS[v])
                continue
            kind = draw(st.sampled_from(kinds))
            if kind == "number":
                x = draw(st.integers(0, 10**7)) / 10
                row.append(x if excel else repr(x))
                values[(code, v)] = x
            elif kind == "marker":
                m = draw(st.sampled_from(MARKERS))
                row.append(m)
                aside[(line, name)] = (m, "missing-value marker" if m else "empty cell")
            elif kind == "error":
                row.append("#DIV/0!")
                aside[(line, name)] = ("#DIV/0!", "Excel error value #DIV/0!")
            else:
                row.append("=1+1")
                aside[(line, name)] = ("=1+1", "formula without a cached value")
        for extra in range(draw(st.integers(0, 2))):  # cells past the end of the header
            text = draw(st.sampled_from(["", "9", "y"]))
            row.append(text)
            if text:
                aside[(line, f"column {len(header) + extra + 1} (no header)")] = (
                    text, "without a header")
        rows.append(row)
    assume(values)  # a table without any number is an error (tested elsewhere)
    return header, rows, values, aside


def _check_every_cell(panel, values, aside, offset, n_cells):
    rep = panel.report
    got = {(r, y): v for r, y, v in zip(panel.data.region_code, panel.data.year,
                                        panel.data.value, strict=True)}
    assert got == values
    entries = {(i.row, i.column): i for i in rep.set_aside if i.column is not None}
    for (row, column), (text, reason) in aside.items():
        issue = entries[(row + offset, column)]
        assert issue.value == text and reason in issue.reason, issue
    assert rep.cells_in == n_cells, rep.summary()
    assert rep.balanced, rep.summary()


def _csv_text(lines):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    return buf.getvalue()


def _count_csv(text):
    import csv

    return sum(1 for row in csv.reader(text.splitlines()) for c in row if c.strip())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=wide_tables())
def test_every_cell_of_a_wide_csv_is_accounted_for(tmp_path, table):
    header, rows, values, aside = table
    text = _csv_text([header] + rows)
    f = tmp_path / "wide.csv"
    f.write_text(text, encoding="utf-8")
    p = ur.read(f, indicator="x")
    _check_every_cell(p, values, aside, 0, _count_csv(text))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=wide_tables(), gbk=st.booleans())
def test_every_cell_of_an_nbs_export_is_accounted_for(tmp_path, table, gbk):
    header, rows, values, aside = table
    meta = [["数据库：分省年度数据"], ["指标：地区生产总值(亿元)"], ["时间：最近5年"]]
    notes = [["注：1.本表为测试数据。"], ["数据来源：国家统计局"]]
    text = _csv_text(meta + [header] + rows + notes)
    f = tmp_path / "nbs.csv"
    f.write_bytes(text.encode("gbk" if gbk else "utf-8"))
    p = ur.read(f)
    assert p.indicator_ids == ["gdp"] and p.report.encoding == ("gb18030" if gbk else "utf-8")
    assert p.report.reasons()["footnote or source line (kept in the panel's provenance)"] == 2
    _check_every_cell(p, values, aside, 3, _count_csv(text))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=wide_tables(excel=True), hidden_first=st.booleans(), title=st.booleans())
def test_every_cell_of_a_workbook_is_accounted_for(tmp_path, table, hidden_first, title):
    import openpyxl

    header, rows, values, aside = table
    wb = openpyxl.Workbook()
    first = wb.active
    if hidden_first:  # a hidden sheet first: never read
        first.title, first.sheet_state = "old", "hidden"
        first.append(["地区", "2020年"])
        first.append(["北京", 999])
        ws = wb.create_sheet("data")
    else:
        ws = first
    if title:
        ws.append(["2020年各地区数据"])
        aside = {(r + 1, c): v for (r, c), v in aside.items()}
        aside[(1, "地区")] = ("2020年各地区数据", "line above the header row")
    for line in [header] + rows:
        ws.append([None if c == "" else c for c in line])
    f = tmp_path / "wide.xlsx"
    wb.save(f)
    p = ur.read(f, indicator="x")
    n_cells = sum(1 for row in openpyxl.load_workbook(f)[ws.title].iter_rows(values_only=True)
                  for c in row if c is not None and str(c).strip())
    _check_every_cell(p, values, aside, 0, n_cells)
    if hidden_first:
        assert "'old' (hidden)" in p.report.notices[0]
