"""No label becomes a live formula in a written CSV or workbook (OWASP CSV injection), and
sheet names made from framework ids are valid for Excel.

Every writer is exercised: ``urbanrural.write`` (CSV in the three layouts, Excel with its
metadata sheets, Parquet), ``write_tables`` (CSV + bilingual workbook, used by index, gaps,
dynamics and report) and the real ``urbanrural index`` and ``urbanrural data convert``
commands. The numbers in the crafted inputs are placeholders that only have to be valid.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.cli import main
from urbanrural.data.panel import Indicator, Panel
from urbanrural.outputs.tables import write_tables

PAYLOADS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
# what a spreadsheet evaluates: a field starting with one of these (OWASP), unless it is
# a plain number such as -2.5
TRIGGER = re.compile(r"[=+\-@\t\r\x00]")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
FRAMEWORK_IDS = ["a/b[c]:*?\\d", "x/y", "p:q", "s*t?", "[bracket]", "back\\slash"]
SHEET_FORBIDDEN = set("/\\[]:*?")


def _live(text: str) -> bool:
    """True when a spreadsheet would evaluate this field as a formula."""
    return bool(TRIGGER.match(text)) and not NUMBER.fullmatch(text)


# ------------------------------------------------------------------ checks on written files
def assert_workbook_has_no_formula(path: Path) -> list[openpyxl.cell.Cell]:
    """No formula element in the file, no formula or error cell when openpyxl reads it, and
    every formula-like text is a text cell marked with quotePrefix. Returns all text cells."""
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                xml = z.read(member).decode("utf-8")
                assert not re.search(r"<f[\s>/]", xml), f"{member} holds a formula"
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell)
                    if _live(cell.value):
                        assert cell.data_type == "s" and cell.quotePrefix, \
                            (ws.title, cell.coordinate, cell.value)
    return texts


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def csv_fields(path: Path) -> list[str]:
    return [field for row in csv_rows(path) for field in row]


def assert_csv_has_no_formula(path: Path) -> list[str]:
    fields = csv_fields(path)
    live = [f for f in fields if _live(f)]
    assert not live, f"{path.name}: live formulas {live[:5]}"
    return fields


def assert_valid_sheet_names(names: list[str]) -> None:
    for s in names:
        assert 1 <= len(s) <= 31 and not SHEET_FORBIDDEN & set(s), s
        assert not s.startswith("'") and not s.endswith("'"), s
    assert len({s.lower() for s in names}) == len(names), names  # Excel ignores case


# ------------------------------------------------------------------ a panel full of payloads
@pytest.fixture(scope="module")
def payload_panel() -> Panel:
    """Two regions, two years and four indicators whose codes, names, units, sources and notes
    are payloads; one value is negative and must stay a number."""
    regions = ["=1+1", "@SUM(A1)"]
    indicators = ["+cmd|' /C calc'!A0", "-2+3", "=HYPERLINK(\"http://x\")", "plain"]
    rows = [(r, y, k, v) for (r, y, k), v in zip(
        [(r, y, k) for k in indicators for r in regions for y in (2020, 2021)],
        np.arange(16, dtype=float) - 2.5, strict=True)]
    data = pd.DataFrame(rows, columns=["region_code", "year", "indicator", "value"])
    meta = [Indicator(id=k, name_zh=PAYLOADS[i % 6], name_en=PAYLOADS[(i + 1) % 6],
                      unit=PAYLOADS[(i + 2) % 6], source="@source", notes="-note")
            for i, k in enumerate(indicators)]
    return Panel(data, meta, region_names={"=1+1": ("=1+1", "\t=1"),
                                           "@SUM(A1)": ("-2+3", "\r=1")}, name="payloads")


@pytest.mark.parametrize("layout", ["long", "wide_years", "wide_indicators"])
def test_panel_csv_prefixes_every_formula_field(payload_panel, tmp_path, layout):
    path = ur.write(payload_panel, tmp_path / "p.csv", layout=layout)
    fields = assert_csv_has_no_formula(path)
    # the payloads are there, each with one apostrophe in front (not dropped, not doubled)
    assert "'=1+1" in fields and "'@SUM(A1)" in fields  # region codes
    assert any(f.startswith("'+cmd|' /C calc'!A0") for f in fields)
    assert any(f.startswith("'-2+3") for f in fields)
    assert not any(f.startswith("''") for f in fields)
    # numbers are untouched: the negative placeholder value is written as a plain number
    assert "-2.5" in fields and "'-2.5" not in fields


def test_panel_workbook_has_text_cells_only(payload_panel, tmp_path):
    path = ur.write(payload_panel, tmp_path / "p.xlsx", layout="wide_years")
    texts = {c.value for c in assert_workbook_has_no_formula(path)}
    # labels are kept verbatim (data, indicators and regions sheets, headers included)
    # (XML reads a CR in text back as LF, so "\r=1" comes back as "\n=1")
    for label in ["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1", "\n=1", "@source",
                  "-note", '=HYPERLINK("http://x")']:
        assert label in texts, label
    data = pd.read_excel(path, sheet_name="data", engine="calamine")
    assert data["2020"].min() == -2.5  # a negative number stays a number
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["data", "indicators", "regions"]


def test_panel_workbook_reads_back_unchanged(payload_panel, tmp_path):
    path = ur.write(payload_panel, tmp_path / "p.xlsx", layout="long")
    back = ur.read(path, registry=None, allow_negative=True)
    assert sorted(back.indicator_ids) == sorted(payload_panel.indicator_ids)
    assert back.equals(payload_panel)


def test_panel_csv_reads_back_unchanged(payload_panel, tmp_path):
    # the apostrophe a CSV needs against formulas is not part of the label: '=1+1 reads as =1+1
    path = ur.write(payload_panel, tmp_path / "p.csv", layout="long")
    back = ur.read(path, registry=None, allow_negative=True)
    assert sorted(back.indicator_ids) == sorted(payload_panel.indicator_ids)
    assert sorted(back.regions) == sorted(payload_panel.regions)
    assert back.equals(payload_panel)


def test_an_apostrophe_that_is_not_the_formula_guard_is_kept(tmp_path):
    f = tmp_path / "q.csv"
    f.write_text("地区,年份,指标,数值\n北京,2020,'quoted',1\n北京,2020,'-2+3,2\n北京,2020,''=x,3\n",
                 encoding="utf-8")
    assert sorted(ur.read(f).indicator_ids) == ["''=x", "'quoted'", "-2+3"]


def test_parquet_keeps_values_verbatim(payload_panel, tmp_path):
    path = ur.write(payload_panel, tmp_path / "p.parquet")
    table = pd.read_parquet(path)
    assert set(table["indicator"]) == set(payload_panel.indicator_ids)
    assert set(table["region"]) == {"=1+1", "-2+3"}


# ------------------------------------------------------------------ write_tables
@pytest.fixture(scope="module")
def payload_tables() -> dict[str, pd.DataFrame]:
    labels = PAYLOADS + ["ok"]
    n = len(labels)
    scores = pd.DataFrame({"region": labels, "year": np.full(n, 2020),
                           "=1+1": np.linspace(-1.5, 1.5, n), "-2+3": np.arange(n) - 3,
                           "indicator": pd.Categorical(labels[::-1])})
    meta = pd.DataFrame({"name_zh": ["@SUM(A1)", "#N/A"], "notes": ["-note", "+note"],
                         "value": [-0.25, 1.0], "mixed": ["=2+2", -7]})
    return {"scores": scores, "indicators": meta}


def test_write_tables_no_formula_in_csv_or_workbook(payload_tables, tmp_path):
    files = write_tables(payload_tables, tmp_path, workbook="index.xlsx")
    assert sorted(p.name for p in files) == ["index.xlsx", "indicators.csv", "scores.csv"]
    scores = assert_csv_has_no_formula(tmp_path / "scores.csv")
    head, *body = csv_rows(tmp_path / "scores.csv")
    assert head == ["region", "year", "'=1+1", "'-2+3", "indicator"]
    body_fields = [f for row in body for f in row]
    for p in PAYLOADS:
        assert body_fields.count("'" + p) == 2  # as region and as (categorical) indicator
    assert "-1.5" in scores and "-3" in scores  # negative numbers stay numbers
    meta = assert_csv_has_no_formula(tmp_path / "indicators.csv")
    assert {"'@SUM(A1)", "'-note", "'+note", "'=2+2", "-0.25", "-7"} <= set(meta)
    texts = {c.value for c in assert_workbook_has_no_formula(tmp_path / "index.xlsx")}
    # verbatim in the workbook (XML reads a CR in text back as LF)
    assert set(PAYLOADS) - {"\r=1"} | {"\n=1", "#N/A", "=2+2", "-note"} <= texts
    sheet = pd.read_excel(tmp_path / "index.xlsx", sheet_name="scores", engine="calamine")
    assert list(sheet.columns[:4]) == ["地区 region", "年份 year", "=1+1", "-2+3"]
    assert sheet["=1+1"].iloc[0] == -1.5 and sheet["-2+3"].iloc[0] == -3


def test_write_tables_sheet_names_from_framework_ids(tmp_path):
    frame = pd.DataFrame({"region": ["=1+1"], "value": [-1.0]})
    names = [f"{fid}_scores" for fid in FRAMEWORK_IDS]
    names += ["x" * 40, "X" * 40 + "_other", "'quoted'", "history", "scores", "Scores"]
    tables = {n: frame for n in names}
    write_tables(tables, tmp_path, workbook="results.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert len(wb.sheetnames) == len(tables)  # one sheet per table, none merged
    assert_valid_sheet_names(wb.sheetnames)
    assert_workbook_has_no_formula(tmp_path / "results.xlsx")
    # readable: forbidden runs become "_", valid names are kept, collisions get _2, _3
    assert wb.sheetnames[:6] == ["a_b_c_d_scores", "x_y_scores", "p_q_scores", "s_t__scores",
                                 "_bracket__scores", "back_slash_scores"]
    assert wb.sheetnames[6:] == ["x" * 31, "X" * 29 + "_2", "quoted", "history_2", "scores",
                                 "Scores_2"]
    # CSV files stay inside the output folder, one per table, with readable names
    csvs = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert len(csvs) == len(tables) and not [p for p in tmp_path.iterdir() if p.is_dir()]
    assert {"a_b[c]_d_scores.csv", "back_slash_scores.csv", "scores.csv", "Scores_2.csv"} <= set(csvs)
    for p in tmp_path.glob("*.csv"):
        assert_csv_has_no_formula(p)
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_write_tables_sheet_titles_are_sanitised(tmp_path):
    """The report passes its own sheet titles (framework id + table) and no CSV."""
    frame = pd.DataFrame({"a": [1]})
    titles = {"t1": "my/fw:scores", "t2": "my_fw_scores", "t3": "ok"}
    write_tables({k: frame for k in titles}, tmp_path, workbook="r.xlsx", csv=False,
                 sheet_titles=titles)
    sheets = openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames
    assert sheets == ["my_fw_scores_2", "my_fw_scores", "ok"]
    assert not list(tmp_path.glob("*.csv"))


def test_write_tables_never_writes_outside_its_folder(tmp_path):
    out = tmp_path / "out"
    frame = pd.DataFrame({"a": [1]})
    write_tables({"../escape": frame, "..": frame, ".hidden": frame, "ok": frame}, out,
                 workbook="t.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == ["_escape.csv", "hidden.csv", "ok.csv",
                                                     "t.xlsx", "table.csv"]


def test_control_character_gives_a_clear_error_and_no_file(tmp_path):
    from urbanrural.data.errors import DataError

    frame = pd.DataFrame({"region": ["ok", "bad\x01name"], "value": [1.0, -1.0]})
    with pytest.raises(DataError) as err:
        write_tables({"scores": frame}, tmp_path / "out", workbook="t.xlsx")
    message = str(err.value)
    assert "'scores'" in message and "row 3" in message and "region" in message
    assert "control character" in message and "控制字符" in message
    assert not list(tmp_path.iterdir())  # no folder, no CSV, no temporary file


def test_excel_sheet_names_rules():
    from urbanrural.outputs.tables import excel_sheet_names

    names = ["a/b", "a_b", "城乡融合发展指数的综合得分与各维度分项得分表格数据_scores", "", "''",
             "ok'", "c" * 31]
    got = excel_sheet_names(names)
    assert got["a/b"] == "a_b_2" and got["a_b"] == "a_b"
    assert got[names[2]] == names[2][:31] and len(got[names[2]]) == 31
    assert got[""] == "sheet" and got["''"] == "sheet_2" and got["ok'"] == "ok"
    assert got["c" * 31] == "c" * 31
    assert_valid_sheet_names(list(got.values()))
    # deterministic and idempotent: its own output is kept as it is
    assert excel_sheet_names(names) == got
    assert excel_sheet_names(got.values()) == {s: s for s in got.values()}


def test_neutralize_formula_rule():
    from urbanrural.data.writers import neutralize_formula

    for p in PAYLOADS + ["\x00x", "=", "-", "@"]:
        assert neutralize_formula(p) == "'" + p
    for v in ["-1.5", "+3", "-2e3", "1,000", "plain", "a=b", "'=1+1", "", "城镇"]:
        assert neutralize_formula(v) == v
    for v in [-1.5, -3, np.float64(-2.0), None]:
        assert neutralize_formula(v) is v
    assert np.isnan(neutralize_formula(np.nan))


# ------------------------------------------------------------------ the real commands
@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> tuple[Path, Path]:
    """A long CSV of six provinces, three years and four indicators named by payloads (units
    too), and a framework YAML whose names and units are payloads (its ids must be plain
    identifiers, checked by the framework parser). Region names are not payloads: the reader
    resolves them against the region registry and rejects unknown names."""
    folder = tmp_path_factory.mktemp("crafted")
    provinces = ["北京市", "天津市", "河北省", "山西省", "上海市", "江苏省"]
    inds = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
    rows = [(r, y, k, 10 + 3 * i + 1.5 * j + 0.7 * (y - 2020), "=HYPERLINK(\"x\")" if i == 0
             else "元") for i, k in enumerate(inds) for j, r in enumerate(provinces)
            for y in (2020, 2021, 2022)]
    data = folder / "payloads.csv"
    pd.DataFrame(rows, columns=["地区", "年份", "指标", "数值", "单位"]).to_csv(
        data, index=False, encoding="utf-8")
    fw = folder / "fw.yaml"
    fw.write_text('''id: payload_fw
name_zh: "=1+1"
name_en: "@SUM(A1)"
weights: equal
nodes:
  - id: dim_a
    name_zh: "+cmd|' /C calc'!A0"
    name_en: "=2+2"
    weights: equal
    indicators:
      - {id: i1, name_zh: "=1+1", name_en: "@SUM(A1)", unit: "-1", direction: benefit,
         source: "=1+1"}
      - {id: i2, name_zh: "-2+3", name_en: "\\t=1", unit: "%", direction: benefit,
         source: "+cmd|' /C calc'!A0"}
  - id: dim_b
    name_zh: "\\r=1"
    name_en: "=3+3"
    weights: equal
    indicators:
      - {id: i3, name_zh: "=4+4", name_en: x, unit: "@u", direction: cost, source: "-2+3"}
      - {id: i4, name_zh: "-5+5", name_en: x, unit: "%", direction: benefit,
         source: "@SUM(A1)"}
''', encoding="utf-8")
    return data, fw


def test_index_command_writes_no_formula(crafted, tmp_path):
    data, fw = crafted
    out = tmp_path / "index"
    assert main(["index", "--data", str(data), "--framework", str(fw), "--out", str(out)]) == 0
    texts = {c.value for c in assert_workbook_has_no_formula(out / "index.xlsx")}
    # names, units and data labels verbatim (XML reads a CR in text back as LF)
    assert {"=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1", "\n=1", "=2+2", "=3+3",
            "=4+4", "-5+5", "@u"} <= texts
    csvs = sorted(out.glob("*.csv"))
    assert len(csvs) == 9  # every table of the index run
    for p in csvs:
        assert_csv_has_no_formula(p)
    weights = csv_rows(out / "weights.csv")
    assert weights[1][:4] == ["i1", "'=1+1", "'@SUM(A1)", "dim_a"]
    assert weights[6][:3] == ["dim_b", "'\r=1", "'=3+3"]  # the CR stays inside its field
    indicators = csv_rows(out / "indicators.csv")
    assert indicators[2][:7] == ["i2", "'-2+3", "'\t=1", "%", "benefit", "dim_a",
                                 "'+cmd|' /C calc'!A0"]
    assert indicators[1][3] == "-1"  # a unit that is a plain number is not text to escape


def test_convert_command_writes_no_formula(crafted, tmp_path):
    data, _ = crafted
    for name, layout in [("c.csv", "wide_indicators"), ("c.xlsx", "long")]:
        out = tmp_path / name
        assert main(["data", "convert", str(data), str(out), "--layout", layout]) == 0
    fields = assert_csv_has_no_formula(tmp_path / "c.csv")
    assert "'=1+1(=HYPERLINK(\"x\"))" in fields and "'-2+3(元)" in fields
    texts = {c.value for c in assert_workbook_has_no_formula(tmp_path / "c.xlsx")}
    assert {"=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("x")'} <= texts
    # the workbook keeps the labels verbatim, so it reads back as the same panel
    assert ur.read(tmp_path / "c.xlsx").equals(ur.read(data))
