"""The streamed workbook writer (issue 17.2): a table longer than Excel's row limit is split
across sheets with a bilingual note, nothing is lost or repeated, and the formula-injection
rule holds in every part. The limit is monkeypatched small so that the test is fast."""

import openpyxl
import pandas as pd
import pytest

from urbanrural.outputs import tables
from urbanrural.outputs.tables import write_tables


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_MAX_DATA_ROWS", 4)
    return 4


def _sheet(wb, name):
    rows = list(wb[name].iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_long_table_is_split_with_a_note(limit, tmp_path):
    long = pd.DataFrame({"year": range(2000, 2010), "region": ["=1+1", "ok"] * 5,
                         "value": [0.5 * i - 1 for i in range(10)]})
    short = pd.DataFrame({"year": [2020], "value": [1.0]})
    files = write_tables({"obstacles": long, "scores": short}, tmp_path, workbook="t.xlsx")
    assert sorted(p.name for p in files) == ["obstacles.csv", "scores.csv", "t.xlsx"]
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    # 10 rows at 4 a sheet: 3 parts; the table that fits keeps its one sheet
    assert wb.sheetnames == ["obstacles", "obstacles_2", "obstacles_3", "scores",
                             "split_tables"]
    head, first = _sheet(wb, "obstacles")
    assert head == ("年份 year", "地区 region", "数值 value")
    got = first + _sheet(wb, "obstacles_2")[1] + _sheet(wb, "obstacles_3")[1]
    assert [r[0] for r in got] == list(range(2000, 2010))  # every row once, in order
    assert [r[2] for r in got] == long.value.tolist()
    assert [len(_sheet(wb, s)[1]) for s in ("obstacles", "obstacles_2", "obstacles_3")] == \
        [4, 4, 2]
    # every part has the header and the quote prefix on formula-like text
    for name in ("obstacles", "obstacles_2", "obstacles_3"):
        assert _sheet(wb, name)[0] == head
        cells = [c for row in wb[name].iter_rows(min_row=2) for c in row if c.value == "=1+1"]
        assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    note_head, notes = _sheet(wb, "split_tables")
    assert note_head[:5] == ("表 table", "工作表 sheet", "部分 part", "首行 first row",
                             "末行 last row")
    assert [r[1:5] for r in notes] == [("obstacles", "1/3", 1, 4), ("obstacles_2", "2/3", 5, 8),
                                       ("obstacles_3", "3/3", 9, 10)]
    assert "obstacles.csv" in notes[0][5] and "分3张工作表" in notes[0][5]
    assert "split across 3 sheets" in notes[0][5]
    # the CSV holds the whole table
    assert len(pd.read_csv(tmp_path / "obstacles.csv", encoding="utf-8-sig")) == 10


def test_no_split_no_note_and_parquet(tmp_path):
    frame = pd.DataFrame({"year": [2020, 2021], "value": [1.5, float("nan")],
                          "flag": [True, False], "name": ["a", ""]})
    files = write_tables({"t": frame}, tmp_path, workbook="w.xlsx", csv=False, parquet=True)
    assert sorted(p.name for p in files) == ["t.parquet", "w.xlsx"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
    wb = openpyxl.load_workbook(tmp_path / "w.xlsx")
    assert wb.sheetnames == ["t"] and wb["t"].freeze_panes == "A2"
    rows = list(wb["t"].iter_rows(values_only=True))
    # NaN and the empty text are empty cells, booleans stay booleans
    assert rows[1:] == [(2020, 1.5, True, "a"), (2021, None, False, None)]


def test_parquet_only_for_large_runs(tmp_path):
    frame = pd.DataFrame({"year": [2020], "value": [1.0]})
    files = write_tables({"t": frame}, tmp_path, workbook=None, csv=False, parquet=True)
    assert [p.name for p in files] == ["t.parquet"]


def test_cells_read_back_as_written(tmp_path):
    """The vectorised sheet XML: every kind of cell reads back (openpyxl and calamine) as the
    frame holds it; text is escaped, never a formula, and keeps its spaces."""
    frame = pd.DataFrame({
        "text": ["a & b <c>", " padded ", "_x0041_", "=SUM(A1)", "城镇 urban"],
        "int": [1, -2, 3, 2**40, 0],
        "float": [0.1 + 0.2, -1.5, float("inf"), float("-inf"), 1e-300],
        "mixed": ["=2+2", -7, None, 2.5, True],
        "cat": pd.Categorical(["x", "y", "x", None, "@z"]),
        "when": pd.to_datetime(["2020-01-02", "2021-06-30 12:00", None, "1999-12-31",
                                "2024-02-29"], format="ISO8601").astype(object),
    })
    write_tables({"t": frame}, tmp_path, workbook="w.xlsx", csv=False)
    wb = openpyxl.load_workbook(tmp_path / "w.xlsx")
    ws = wb["t"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # a literal "_x0041_" is stored escaped as "_x005F_x0041_", which Excel (and calamine)
    # read back as the literal; openpyxl shows the escape as it is
    assert [r[0] for r in rows] == ["a & b <c>", " padded ", "_x005F_x0041_", "=SUM(A1)",
                                    "城镇 urban"]
    assert [r[1] for r in rows] == [1, -2, 3, 2**40, 0]
    assert [r[2] for r in rows] == [0.1 + 0.2, -1.5, "inf", "-inf", 1e-300]  # exact floats
    assert [r[3] for r in rows] == ["=2+2", -7, None, 2.5, True]
    assert [r[4] for r in rows] == ["x", "y", "x", None, "@z"]
    assert rows[0][5].year == 2020 and rows[1][5].hour == 12 and rows[2][5] is None
    quoted = {c.coordinate for row in ws.iter_rows() for c in row if c.quotePrefix}
    assert quoted == {"A5", "D2", "E6"}  # =SUM(A1), =2+2, @z
    back = pd.read_excel(tmp_path / "w.xlsx", engine="calamine")
    assert back.iloc[:, 0].tolist()[:3] == ["a & b <c>", " padded ", "_x0041_"]
    assert ws.dimensions == "A1:F6"
