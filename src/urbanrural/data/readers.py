"""Read CSV, Excel and Parquet files (long or wide, Chinese or English headers, NBS portal
exports) into a :class:`~urbanrural.data.panel.Panel`, accounting for every input value.

The NBS data portal export ("Annual by Province" / 分省年度数据) looks like::

    数据库：分省年度数据
    指标：地区生产总值(亿元)
    时间：最近20年
    地区,2024年,2023年,...
    北京市,49670.2,47353.7,...
    注：...
    数据来源：国家统计局

Its CSV downloads are GBK-encoded; English exports that passed through another tool often
carry mojibake (``£º`` for the full-width colon, ``???`` for lost text). Both are handled: the
encoding is detected, mojibake is repaired where the bytes allow it and reported either way.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, Issue, ReadReport, RegionError
from .panel import Indicator, Panel
from .registry import NATIONAL_CODE, RegionRegistry, china, world

__all__ = ["read", "detect_encoding", "repair_mojibake", "MISSING_MARKERS"]

# Cell texts that mean "no value" in Chinese statistical tables and common exports.
MISSING_MARKERS = frozenset({
    "", "—", "——", "–", "-", "--", "---", "…", "……", "...", "..", ".", "NA", "N/A", "n/a",
    "na", "NaN", "nan", "null", "NULL", "None", "#N/A", "无", "空", "不详", "x", "X", "*",
})

_HEADER_ALIASES = {
    "region": ["地区", "省份", "省", "省区", "省市", "省区市", "省级行政区", "地区名称", "区域", "地名",
               "国家", "国家或地区", "region", "province", "area", "country", "name", "地区名",
               "city", "城市", "county", "县", "县区", "entity"],
    "region_code": ["region_code", "code", "代码", "地区代码", "行政区划代码", "区划代码", "gb_code",
                    "adcode", "iso3", "iso_code", "iso"],
    "year": ["年份", "年", "年度", "时间", "year", "years", "time", "period"],
    "indicator": ["指标", "指标名称", "变量", "indicator", "indicators", "variable", "series",
                  "item", "指标名"],
    "value": ["数值", "值", "数据", "value", "values", "obs", "observation"],
    "unit": ["单位", "计量单位", "unit", "units"],
}
_ALIAS_LOOKUP = {a.lower(): canon for canon, names in _HEADER_ALIASES.items() for a in names}

_YEAR_RE = re.compile(r"^\s*((?:1[89]|20|21)\d{2})\s*(?:年|年度)?\s*$")
_UNIT_RE = re.compile(r"^(.*?)[（(]([^()（）]*)[)）]\s*$")
_FOOTNOTE_RE = re.compile(
    r"^\s*(注[：:]|注\s*\d|说明[：:]|数据来源|资料来源|来源[：:]|Note[s]?\s*[:：]|Notes?\b|"
    r"Data\s*Sources?|Source[s]?\s*[:：])", re.I)
_NBS_FIRST = re.compile(r"^\s*(数据库|Database)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEG_OK = re.compile(r"增长|增速|增幅|变化|变动|差额|差值|净|余额|growth|change|net\b|balance|"
                     r"surplus|deficit|difference", re.I)
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


@dataclass
class _Cells:
    """Values in long form before checking: strings plus where each came from."""

    region: np.ndarray       # region text as written
    year: np.ndarray         # year text
    indicator: np.ndarray    # indicator id
    value: np.ndarray        # value text (or float when already numeric)
    row: np.ndarray          # 1-based line in the file
    column: np.ndarray | str  # column header of each value cell (one name for long tables)
    unit: np.ndarray | None = None


# --------------------------------------------------------------------------- text helpers
def detect_encoding(raw: bytes) -> str:
    """UTF-8 (with or without BOM) if the bytes decode as UTF-8, else GB18030 (a superset of
    GBK and GB2312, what the NBS portal serves). Raises if neither decodes."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise DataError(f"the file is neither UTF-8 nor GBK/GB18030 text (byte {exc.start} "
                        f"cannot be decoded); save it as UTF-8 CSV and try again") from exc


def repair_mojibake(text: str) -> str | None:
    """Undo one wrong decoding of Chinese text, or return None if the text looks fine.

    Two cases occur in NBS files: GBK bytes read as Latin-1 (``£º`` → ``：``) and UTF-8
    bytes read as GBK (``鍦板尯`` → ``地区``). A repair is accepted only when it decodes
    cleanly and yields Chinese text or full-width punctuation.
    """
    if re.search(r"[\u00a1-\u00ff]", text):
        try:
            fixed = text.encode("latin-1").decode("gbk")
            if fixed != text and re.search(r"[\u4e00-\u9fff\uff01-\uff5e]", fixed):
                return fixed
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    if _CJK.search(text):
        try:
            fixed = text.encode("gbk").decode("utf-8")
            if fixed != text:
                return fixed
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return None


def _split_unit(header: str) -> tuple[str, str]:
    m = _UNIT_RE.match(header.strip())
    if m and m.group(1).strip():
        return m.group(1).strip(), m.group(2).strip()
    return header.strip(), ""


def _year_of(text) -> int | None:
    m = _YEAR_RE.match(str(text))
    return int(m.group(1)) if m else None


def _canon(header: str) -> str | None:
    return _ALIAS_LOOKUP.get(str(header).strip().lower())


def _indicator_meta(ind_id: str, unit: str, source: str) -> Indicator:
    zh = ind_id if _CJK.search(ind_id) else ""
    en = "" if zh else ind_id
    return Indicator(id=ind_id, name_zh=zh, name_en=en, unit=unit, source=source)


# --------------------------------------------------------------------------- entry point
def read(
    path: str | Path,
    *,
    layout: str = "auto",
    registry: RegionRegistry | str | None = "auto",
    indicator: str | None = None,
    unit: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    years: tuple[int, int] = (1949, 2100),
    region: str | None = None,
    allow_negative: bool | None = None,
    canonical: bool = True,
) -> Panel:
    """Read a file into a Panel, detecting format, encoding and layout.

    Parameters
    ----------
    path : CSV/TXT, Excel (.xlsx or .xls, read with calamine) or Parquet file.
    layout : ``auto`` (default), ``long``, ``wide_years``, ``wide_indicators`` or ``nbs``.
    registry : ``auto`` (China, or the world registry when region names are countries),
        ``china``, ``world``, a :class:`RegionRegistry`, or None to keep region names as codes.
    indicator, unit : the indicator id and unit when the file does not say (a wide table of
        years with one indicator); an NBS export names them in its header.
    encoding : force a text encoding; by default UTF-8 (with or without BOM) or GBK/GB18030 is
        detected.
    sheet : Excel sheet name or number (default: the first sheet).
    years : the range of plausible years; years outside it are errors.
    region : region for tables without a region column (national exports), default national.
    allow_negative : None (default) allows negatives only for indicators whose name or unit says
        they are changes (增长, 差额, growth, net...); True/False forces the rule.
    canonical : map indicator names the bundled datasets know (e.g. 年末常住人口 →
        ``population_total``) to their standard ids, with a notice.

    Returns
    -------
    Panel with ``panel.report`` (a :class:`ReadReport`): rows used, rows set aside with their
    reasons, and the repairs made.

    Raises
    ------
    DataError
        naming the file, row, column, value and reason for every problem: unknown regions
        (with the closest known names), non-numeric cells, impossible negatives, years out of
        range, conflicting duplicates, mixed units, unreadable files.
    """
    path = Path(path)
    fname = path.name
    if not path.exists():
        raise DataError(Issue("file not found", file=str(path)))
    report = ReadReport(source=str(path))
    suffix = path.suffix.lower()
    extra_meta: dict[str, Indicator] = {}
    provenance: dict = {"file": str(path)}
    if suffix in (".parquet", ".pq"):
        table, extra_meta, provenance = _load_parquet(path, provenance)
        report.layout = "long"
        cells = _cells_from_frame(table, fname, header_line=1, report=report, layout="long",
                                  indicator=indicator, unit=unit, region=region)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        grid, extra_meta = _load_excel(path, sheet)
        cells = _cells_from_grid(grid, fname, report, layout, indicator, unit, region,
                                 provenance)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        size = path.stat().st_size
        # large files: detect the encoding on the first MiB and let the CSV parser confirm it
        # (a decoding error there falls back to GB18030, see _read_text)
        with open(path, "rb") as fh:
            raw = fh.read() if size <= (1 << 20) else fh.read(1 << 20)
        if size <= (1 << 20) and not raw.strip():
            raise DataError(Issue("the file is empty", file=fname))
        if encoding:
            enc = encoding
        elif size <= (1 << 20):
            enc = detect_encoding(raw)
        else:
            enc = detect_encoding(raw[: raw.rfind(b"\n") + 1] or raw)
        report.encoding = enc
        cells = _read_text(path, raw, enc, fname, report, layout, indicator, unit, region,
                           provenance, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise DataError(Issue(f"unsupported file type {suffix!r}; use CSV, Excel (.xlsx/.xls) "
                              f"or Parquet", file=fname))
    return _finish(cells, fname, report, registry, years, allow_negative, extra_meta,
                   provenance, canonical)


# --------------------------------------------------------------------------- loaders
def _load_parquet(path: Path, provenance: dict):
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds
        raise DataError(Issue(f"not a readable Parquet file ({exc})", file=path.name)) from exc
    meta = {}
    md = table.schema.metadata or {}
    if b"urbanrural" in md:
        info = json.loads(md[b"urbanrural"].decode())
        meta = {k: Indicator(**v) for k, v in info.get("indicators", {}).items()}
        provenance = {**info.get("provenance", {}), **provenance}
    return table.to_pandas(), meta, provenance


def _load_excel(path: Path, sheet):
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object,
                               engine="calamine")
    except ImportError as exc:
        raise DataError(Issue(f"reading this Excel file needs an extra package ({exc}); "
                              "install python-calamine", file=path.name)) from exc
    except Exception as exc:
        raise DataError(Issue(f"not a readable Excel file ({exc})", file=path.name)) from exc
    meta = {}
    if "indicators" in sheets:
        m = sheets["indicators"]
        m.columns = [str(c) for c in m.iloc[0]]
        m = m.iloc[1:]
        if "id" in m.columns:
            for rec in m.to_dict("records"):
                fields = {k: ("" if pd.isna(v) else str(v)) for k, v in rec.items()
                          if k in Indicator.__dataclass_fields__}
                meta[fields["id"]] = Indicator(**fields)
    names = list(sheets)
    if sheet is None:
        key = names[0]
    elif isinstance(sheet, int):
        key = names[sheet]
    else:
        if sheet not in sheets:
            raise DataError(Issue(f"no sheet {sheet!r}; sheets are {names}", file=path.name))
        key = sheet
    grid = sheets[key]
    grid = grid.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                    else (str(int(v)) if isinstance(v, float) and v.is_integer()
                          and abs(v) < 1e15 else str(v)))
    return grid, meta


def _read_text(path, raw, enc, fname, report, layout, indicator, unit, region, provenance,
               sep):
    head = raw[:4096].decode(enc, errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head else ""
    if layout in ("auto", "nbs") and (_NBS_FIRST.match(first) or
                                      _NBS_FIRST.match(repair_mojibake(first) or "") or
                                      first.startswith("Database")):
        text = path.read_bytes().decode(enc)
        lines = text.lstrip("\ufeff").splitlines()
        grid = _grid_from_lines(lines, sep)
        return _cells_from_grid(grid, fname, report, "nbs", indicator, unit, region,
                                provenance)
    # ordinary table: read the header once to learn which columns hold text
    try:
        header = pd.read_csv(path, encoding=enc, nrows=0, sep=sep).columns
    except Exception as exc:
        raise DataError(Issue(f"cannot read as a {('tab' if sep == chr(9) else 'comma')}-"
                              f"separated table ({exc})", file=fname)) from exc
    import csv

    first_line = next(csv.reader([head.splitlines()[0] if head else ""], delimiter=sep), [])
    names = [c.strip() for c in first_line]
    dups = sorted({c for c in names if names.count(c) > 1 and c})
    if dups:
        raise DataError(Issue(f"column header(s) {dups} appear more than once", file=fname,
                              row=1))
    canon = {c: _canon(c) for c in header}
    # names stay text; codes may be parsed as integers (fast), and are turned back into
    # text once per distinct value when regions are resolved
    text_cols = [c for c, k in canon.items() if k in ("region", "indicator", "unit")]
    # chunked parsing (pandas' default) is twice as fast here; a column whose chunks infer
    # different types comes back as objects, which _parse_values reads cell by cell
    # blank lines are kept, so that the row numbers errors report stay right, and accounted for
    options = dict(sep=sep, dtype=dict.fromkeys(text_cols, "category"), keep_default_na=False,
                   na_values=[], skip_blank_lines=False)
    try:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                frame = pd.read_csv(path, encoding=enc, **options)
        except UnicodeDecodeError:
            if enc.startswith("utf-8"):  # the first MiB was UTF-8, a later part is not
                frame = pd.read_csv(path, encoding="gb18030", **options)
                report.encoding = "gb18030"
            else:
                raise
    except UnicodeDecodeError as exc:
        raise DataError(Issue(f"the file is neither UTF-8 nor GBK/GB18030 text ({exc})",
                              file=fname)) from exc
    except Exception as exc:
        raise DataError(Issue(f"cannot parse the table ({exc})", file=fname)) from exc
    rows = None
    if _may_hold_blank_rows(frame):
        empty = frame.astype(str).apply(lambda c: c.str.strip().isin(["", "nan"])).all(axis=1)
        rows = np.flatnonzero(~empty.to_numpy()) + 2  # header is line 1
        for i in np.flatnonzero(empty.to_numpy()):
            report.rows_in += 1
            report.set_aside.append(Issue("blank line", row=int(i) + 2))
        frame = frame[~empty.to_numpy()].reset_index(drop=True)
        for c in frame.columns:
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                frame[c] = frame[c].cat.remove_unused_categories()
    return _cells_from_frame(frame, fname, header_line=1, report=report, layout=layout,
                             indicator=indicator, unit=unit, region=region, rows=rows)


def _may_hold_blank_rows(frame: pd.DataFrame) -> bool:
    """A blank line leaves every field empty; a column parsed as integers, as floats without
    NaN, or as categories without '' proves there is none (cheap: no scan of the values)."""
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            return False
        if pd.api.types.is_float_dtype(col.dtype) and not col.isna().any():
            return False
        if isinstance(col.dtype, pd.CategoricalDtype) and "" not in set(col.cat.categories):
            return False
    return len(frame) > 0


def _grid_from_lines(lines: list[str], sep: str) -> pd.DataFrame:
    import csv

    rows = list(csv.reader(lines, delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


# --------------------------------------------------------------------------- layouts
def _cells_from_grid(grid: pd.DataFrame, fname, report, layout, indicator, unit, region,
                     provenance) -> _Cells:
    """A grid of strings (Excel sheet or NBS CSV): find metadata lines, the header row and
    footnotes, then hand the table to :func:`_cells_from_frame`."""
    grid = grid.fillna("").astype(str)
    n = len(grid)
    first_cells = [str(grid.iat[i, 0]).strip() if grid.shape[1] else "" for i in range(n)]
    # repair mojibake in the first column (header, footnotes, region names)
    for i, text in enumerate(first_cells):
        fixed = repair_mojibake(text)
        if fixed is not None and (_NBS_FIRST.match(fixed) or re.match(r"^(指标|时间|Indicators|"
                                                                        r"Year|注|数据来源|Data)",
                                                                        fixed)):
            report.notices.append(f"row {i + 1}: repaired mojibake {text!r} → {fixed!r}")
            first_cells[i] = fixed
            grid.iat[i, 0] = fixed
    meta_ind, meta_unit = indicator, unit
    header_row = None
    for i, text in enumerate(first_cells):
        t = text.replace("£º", "：")
        m = re.match(r"^(数据库|Database)\s*[:：?？]*\s*(.*)$", t)
        if m:
            if "???" in text or "？？？" in text:
                report.notices.append(f"row {i + 1}: header text lost before the file reached "
                                      f"us (shown as '???'): {text!r}; not needed")
            provenance["database"] = m.group(2).strip("?？ ")
            continue
        m = re.match(r"^(指标|Indicators?)\s*[:：]\s*(.*)$", t)
        if m:
            ind, u = _split_unit(m.group(2))
            meta_ind = meta_ind or ind
            meta_unit = meta_unit if meta_unit is not None else u
            continue
        m = re.match(r"^(时间|Year|Time)\s*[:：]\s*(.*)$", t)
        if m:
            provenance["time"] = m.group(2)
            continue
        row_vals = [str(v).strip() for v in grid.iloc[i].tolist()]
        if sum(_year_of(v) is not None for v in row_vals[1:]) >= 1 or _canon(text) is not None:
            header_row = i
            break
    if header_row is None:
        raise DataError(Issue("no header row found: expected a row naming the region column "
                              "and the years (e.g. '地区,2024年,2023年')", file=fname))
    header = [str(v).strip() for v in grid.iloc[header_row].tolist()]
    body = grid.iloc[header_row + 1:]
    # trailing footnotes and source lines are kept as provenance, never read as data
    keep = []
    notes = []
    in_notes = False
    for i in range(len(body)):
        line_no = header_row + 2 + i
        text = str(body.iat[i, 0]).strip()
        rest = [str(v).strip() for v in body.iloc[i, 1:].tolist()]
        # NBS notes come last and run over several lines ("注：1.…", "2.…"): once a note
        # starts, every following line without values belongs to it
        starts_note = _FOOTNOTE_RE.match(text) or (text and not any(rest) and len(text) > 40)
        in_notes = bool(in_notes or starts_note)
        if in_notes and not any(rest) and text:
            notes.append(text)
            report.set_aside.append(Issue("footnote or source line (kept in the panel's "
                                          "provenance)", row=line_no, value=text[:60]))
            report.rows_in += 1
            continue
        if not text and not any(rest):
            report.rows_in += 1
            report.set_aside.append(Issue("blank line", row=line_no))
            continue
        keep.append(i)
    if notes:
        provenance["notes"] = notes
    body = body.iloc[keep]
    body.columns = range(body.shape[1])
    rows = (np.asarray(keep) + header_row + 2).astype(np.int64)
    frame = pd.DataFrame({h if h else f"column {j + 1}": body[j].to_numpy()
                          for j, h in enumerate(header) if j < body.shape[1]})
    if report.layout is None:
        report.layout = "nbs_export" if layout == "nbs" or "database" in provenance else None
    return _cells_from_frame(frame, fname, header_line=header_row + 1, report=report,
                             layout=layout if layout != "nbs" else "auto", indicator=meta_ind,
                             unit=meta_unit, region=region, rows=rows)


def _cells_from_frame(frame: pd.DataFrame, fname, *, header_line, report, layout, indicator,
                      unit, region, rows=None) -> _Cells:
    cols = [str(c).strip() for c in frame.columns]
    frame.columns = cols
    canon = {c: _canon(c) for c in cols}
    if len(set(cols)) != len(cols):
        dups = sorted({c for c in cols if cols.count(c) > 1})
        raise DataError(Issue(f"column header(s) {dups} appear more than once", file=fname,
                              row=header_line))
    by_role: dict[str, str] = {}
    for c, k in canon.items():
        if k and k not in by_role:
            by_role[k] = c
    year_cols = [c for c in cols if _year_of(c) is not None]
    if rows is None:
        rows = np.arange(len(frame), dtype=np.int64) + header_line + 1
    n = len(frame)
    if "year" not in by_role and not year_cols and cols and n:
        # scraper dumps and transposed exports: an unnamed first column of years (1978年 …)
        first = frame[cols[0]].astype(str)
        if first.map(lambda v: _year_of(v) is not None).mean() >= 0.5:
            by_role["year"] = cols[0]
            canon[cols[0]] = "year"
    if layout == "auto" and {"year", "indicator"} <= set(by_role) and "value" not in by_role:
        raise DataError(Issue("the table has region, year and indicator columns but no value "
                              "column (数值 / value); no indicator columns found either",
                              file=fname, row=header_line))
    if layout == "auto":
        if "year" in by_role and "value" in by_role:
            layout = "long"
        elif year_cols and "year" not in by_role:
            layout = "wide_years"
        elif "year" in by_role:
            layout = "wide_indicators"
        else:
            raise DataError(Issue(
                "cannot tell the layout: expected either a year column and a value column "
                "(long), years as column headers (wide), or a year column plus indicator "
                f"columns; found columns {cols[:12]}", file=fname, row=header_line))
    if report.layout is None:
        report.layout = layout
    region_col = by_role.get("region_code") or by_role.get("region")
    if region_col is None and layout != "wide_years":
        region_col = None
    n = len(frame)

    def region_values():
        if region_col is not None:
            return frame[region_col] if layout == "long" else \
                frame[region_col].to_numpy(dtype=object)
        return np.full(n, region or NATIONAL_CODE, dtype=object)

    if layout == "long":
        for need in ("year", "value"):
            if need not in by_role:
                raise DataError(Issue(f"long layout needs a {need} column; found {cols[:12]}",
                                      file=fname, row=header_line))
        if "indicator" in by_role:
            ind = frame[by_role["indicator"]]
        elif indicator:
            ind = np.full(n, indicator, dtype=object)
        else:
            raise DataError(Issue("the table has no indicator column; pass indicator='...'",
                                  file=fname, row=header_line))
        units = (frame[by_role["unit"]] if "unit" in by_role else
                 (np.full(n, unit, dtype=object) if unit else None))
        return _Cells(region_values(), frame[by_role["year"]], ind, frame[by_role["value"]],
                      rows, by_role["value"], units)

    if layout == "wide_years":
        if not year_cols:
            raise DataError(Issue("no year columns (e.g. '2020' or '2020年') in the header",
                                  file=fname, row=header_line))
        id_cols = [c for c in cols if c not in year_cols]
        if region_col or region or not id_cols or "indicator" in by_role:
            reg = region_values()  # a table of indicators by year is national unless told
        else:
            reg = frame[id_cols[0]].astype(str).str.strip().to_numpy(dtype=object)
        if "indicator" in by_role:
            ind_text = frame[by_role["indicator"]].astype(str).str.strip()
            split = ind_text.map(_split_unit)
            ind_base = np.asarray([s[0] for s in split], dtype=object)
            unit_base = (frame[by_role["unit"]].astype(str).str.strip().to_numpy(dtype=object)
                         if "unit" in by_role else
                         np.asarray([s[1] for s in split], dtype=object))
        else:
            if not indicator:
                raise DataError(Issue("a table of years by region needs the indicator name: "
                                      "pass indicator='...' (an NBS export carries it in its "
                                      "'指标：' line)", file=fname, row=header_line))
            ind_base = np.full(n, indicator, dtype=object)
            unit_base = np.full(n, unit or "", dtype=object)
        k = len(year_cols)
        vals = frame[year_cols].to_numpy(dtype=object).reshape(-1)
        return _Cells(
            np.repeat(reg, k), np.tile(np.asarray([_year_of(c) for c in year_cols]), n),
            np.repeat(ind_base, k), vals, np.repeat(rows, k),
            np.tile(np.asarray(year_cols, dtype=object), n), np.repeat(unit_base, k))

    if layout == "wide_indicators":
        skip = {by_role.get(r) for r in ("region", "region_code", "year", "unit",
                                         "indicator")} | {None}
        skip |= {c for c in cols if canon[c] == "region"}  # e.g. both 地区 and 代码
        value_cols = [c for c in cols if c not in skip]
        if not value_cols:
            raise DataError(Issue("no indicator columns found", file=fname, row=header_line))
        k = len(value_cols)
        ids, units = zip(*[_split_unit(c) for c in value_cols], strict=True)
        vals = frame[value_cols].to_numpy(dtype=object).reshape(-1)
        return _Cells(np.repeat(region_values(), k), np.repeat(frame[by_role["year"]]
                                                                .to_numpy(), k),
                      np.tile(np.asarray(ids, dtype=object), n), vals, np.repeat(rows, k),
                      np.tile(np.asarray(value_cols, dtype=object), n),
                      np.tile(np.asarray(units, dtype=object), n))
    raise ValueError(f"unknown layout {layout!r}")


# --------------------------------------------------------------------------- checking
def _factorize(values) -> tuple[np.ndarray, list]:
    """Integer codes and unique values; categorical input costs nothing."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), list(values.cat.categories)
    codes, uniques = pd.factorize(pd.Series(values) if not isinstance(values, pd.Series)
                                  else values, use_na_sentinel=False)
    return codes.astype(np.int64), list(uniques)


def _parse_values(values, report: ReadReport):
    """Return (float array with NaN where not a number, kind array): kind 0 = number,
    1 = missing (empty cell or a missing-value marker), 2 = not a number."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "fiu":
        v = arr.astype(np.float64, copy=False)
        nan = np.isnan(v)
        if not nan.any():
            return v, np.zeros(0, dtype=np.int8)  # empty kind array: every cell a number
        return v, nan.astype(np.int8)
    s = pd.Series(arr, dtype=object)
    num = pd.to_numeric(s, errors="coerce").to_numpy(np.float64, copy=True)
    kind = np.zeros(len(s), dtype=np.int8)
    bad = np.flatnonzero(np.isnan(num))
    if len(bad):
        text = s.iloc[bad].astype(str).str.strip().str.replace("\u00a0", "", regex=False)
        miss = (text.isin(MISSING_MARKERS) | text.eq("nan")).to_numpy()
        kind[bad[miss]] = 1
        rest = bad[~miss]
        cand = text[~miss]
        stripped = pd.to_numeric(cand, errors="coerce").to_numpy(np.float64)
        ok = ~np.isnan(stripped)  # numbers with spaces or non-breaking spaces
        num[rest[ok]] = stripped[ok]
        cand, rest = cand[~ok], rest[~ok]
        thousands = cand.str.match(_THOUSANDS_RE.pattern).to_numpy(bool)
        if thousands.any():
            num[rest[thousands]] = cand[thousands].str.replace(",", "", regex=False) \
                .astype(float).to_numpy()
            report.notices.append(f"{int(thousands.sum())} value(s) had thousands "
                                  f"separators (e.g. {cand[thousands].iloc[0]!r}); removed")
        kind[rest[~thousands]] = 2
    return num, kind


def _years(uniques: list) -> np.ndarray:
    """Year of every unique year text (NaN when not a year)."""
    out = np.full(len(uniques), np.nan)
    for i, u in enumerate(uniques):
        if isinstance(u, (int, np.integer)):
            out[i] = float(u)
            continue
        if isinstance(u, (float, np.floating)):
            out[i] = float(u) if np.isfinite(u) and float(u).is_integer() else np.nan
            continue
        m = re.match(r"^\s*(\d{4})\s*(年|年度)?\s*$", str(u))
        out[i] = float(m.group(1)) if m else np.nan
    return out


def _finish(cells: _Cells, fname, report, registry, year_range, allow_negative, extra_meta,
            provenance, canonical) -> Panel:
    n = len(cells.value)
    report.rows_in += n
    issues: list[Issue] = []
    values, kind = _parse_values(cells.value, report)
    if len(kind) == 0:
        kind = None  # all numbers: skip the per-cell bookkeeping below
    rows = np.asarray(cells.row)
    columns = cells.column if isinstance(cells.column, str) else \
        np.asarray(cells.column, dtype=object)

    def col_at(i) -> str:
        return columns if isinstance(columns, str) else str(columns[i])

    def cell_text(i):
        v = cells.value.iloc[i] if isinstance(cells.value, pd.Series) else cells.value[i]
        return str(v)

    # 1. cells that are not numbers
    for i in (np.flatnonzero(kind == 2)[:50] if kind is not None else []):
        issues.append(Issue("not a number (use a number, or leave the cell empty / '—' when "
                            "there is no value)", file=fname, row=int(rows[i]),
                            column=col_at(i), value=cell_text(i)))
    # 2. missing markers are set aside, not errors
    for i in (np.flatnonzero(kind == 1) if kind is not None else []):
        txt = cell_text(i).strip()
        reason = ("empty cell (no value published)" if txt in ("", "nan", "None")
                  else f"missing-value marker {txt!r}")
        report.set_aside.append(Issue(reason, row=int(rows[i]), column=col_at(i),
                                      value=txt))
    all_kept = kind is None or not kind.any()
    keep = np.ones(1, dtype=bool) if all_kept else kind == 0  # broadcasts when all kept
    # 3. years, checked once per distinct year text (integer columns need no parsing)
    y_arr = cells.year.to_numpy() if isinstance(cells.year, pd.Series) else \
        np.asarray(cells.year)
    if y_arr.dtype.kind in "iu" and len(y_arr):
        y_codes = None
        ymin, ymax = int(y_arr.min()), int(y_arr.max())
        if year_range[0] <= ymin and ymax <= year_range[1]:
            y_vals = np.zeros(0)  # all plausible: nothing to check per year
        else:
            y_vals = np.unique(y_arr).astype(np.float64)
        y_uniq = list(y_vals.astype(np.int64))
    else:
        y_codes, y_uniq = _factorize(cells.year)
        y_vals = _years(y_uniq)
    lo, hi = year_range
    bad_year = np.isnan(y_vals) | (y_vals < lo) | (y_vals > hi)
    for j in np.flatnonzero(bad_year):
        u = y_uniq[j]
        hits = keep & ((y_arr == y_uniq[j]) if y_codes is None else (y_codes == j))
        if not hits.any():
            continue
        first = int(np.flatnonzero(hits)[0])
        if np.isnan(y_vals[j]):
            issues.append(Issue("year is not a year (expected e.g. 2020 or 2020年)", file=fname,
                                row=int(rows[first]), column="year", value=str(u)))
        elif not lo <= y_vals[j] <= hi:
            issues.append(Issue(f"year {int(y_vals[j])} is outside the plausible range "
                                f"{lo}–{hi}", file=fname, row=int(rows[first]), column="year",
                                value=str(u)))
    # 4. indicators and their units: one unit per indicator
    i_codes, i_uniq = _factorize(cells.indicator)
    i_names = [str(u).strip() for u in i_uniq]
    unit_of: dict[str, str] = {}
    if cells.unit is not None:
        u_codes, u_uniq = _factorize(cells.unit)
        u_names = ["" if (isinstance(u, float) and np.isnan(u)) else str(u).strip()
                   for u in u_uniq]
        ic, uc = (i_codes, u_codes) if all_kept else (i_codes[keep], u_codes[keep])
        pairs = pd.unique(ic.astype(np.int64) * (len(u_uniq) + 1) + uc.astype(np.int64))
        per: dict[str, set[str]] = {}
        for pcode in pairs:
            per.setdefault(i_names[pcode // (len(u_uniq) + 1)], set()).add(
                u_names[pcode % (len(u_uniq) + 1)])
        for ind, units in per.items():
            if len(units) > 1:
                issues.append(Issue(f"indicator is given in more than one unit "
                                    f"({', '.join(map(repr, sorted(units)))}); convert to one "
                                    "unit first", file=fname, column="unit", value=ind))
            unit_of[ind] = sorted(units)[0]
    # 5. negatives
    neg = (values < 0) & keep
    if neg.any():
        for j in np.unique(i_codes[neg]):
            name = i_names[j]
            allowed = allow_negative if allow_negative is not None else bool(
                _NEG_OK.search(f"{name} {unit_of.get(name, '')}"))
            if not allowed:
                for i in np.flatnonzero(neg & (i_codes == j))[:5]:
                    issues.append(Issue(
                        f"negative value is impossible for '{name}' (a level, not a change); "
                        "pass allow_negative=True if it is meant", file=fname,
                        row=int(rows[i]), column=col_at(i), value=cell_text(i)))
    # 6. regions: every row is checked, also where the value is missing or bad, so that a
    # region that cannot be identified is reported, never dropped with its empty cells
    r_codes, r_uniq = _factorize(cells.region)
    code_of_unique, reg_obj = _resolve_regions(r_uniq, r_codes, registry, fname, rows, issues,
                                               report)
    if issues:
        raise DataError(issues)
    # 7. find duplicates on integer keys (sorting only when some are suspected)
    idx = None if all_kept else np.flatnonzero(keep)

    def kept(a):
        return a if idx is None else a[idx]

    codes_sorted = sorted(set(code_of_unique))
    code_rank = {c: k for k, c in enumerate(codes_sorted)}
    reg_rank = np.asarray([code_rank[c] for c in code_of_unique], dtype=np.int32)[
        kept(r_codes)]
    ind_sorted = sorted(set(i_names))
    ind_rank_map = {c: k for k, c in enumerate(ind_sorted)}
    ind_rank = np.asarray([ind_rank_map[c] for c in i_names], dtype=np.int32)[kept(i_codes)]
    if y_codes is None:
        years = kept(y_arr).astype(np.int64, copy=False)
    else:
        years = y_vals[kept(y_codes)].astype(np.int64)
    vals = kept(values)
    sorted_unique = _keys_unique(reg_rank, ind_rank, years, len(codes_sorted),
                                 len(ind_sorted))
    if not sorted_unique:
        if idx is None:
            idx = np.arange(n)
        order = np.lexsort((years, reg_rank, ind_rank))
        idx, reg_rank, ind_rank, years, vals = (idx[order], reg_rank[order], ind_rank[order],
                                                years[order], vals[order])
    same = None if sorted_unique else (
        (reg_rank[1:] == reg_rank[:-1]) & (ind_rank[1:] == ind_rank[:-1])
        & (years[1:] == years[:-1]))
    if same is not None and same.any():
        later = np.concatenate([[False], same])
        starts = np.flatnonzero(later)
        conflict_pos = starts[vals[starts] != vals[starts - 1]]
        for pos in conflict_pos[:20]:
            group = [pos - 1, pos]
            issues.append(Issue(
                f"conflicting values for {codes_sorted[reg_rank[pos]]} {years[pos]} "
                f"'{ind_sorted[ind_rank[pos]]}': "
                + ", ".join(f"{vals[g]:g} (row {rows[idx[g]]})" for g in group),
                file=fname, row=int(rows[idx[pos - 1]])))
        if issues:
            raise DataError(issues)
        for pos in starts:
            report.set_aside.append(Issue("identical duplicate of an earlier row (merged)",
                                          row=int(rows[idx[pos]]),
                                          column=col_at(idx[pos]),
                                          value=f"{vals[pos]:g}"))
        report.notices.append(f"{len(starts)} identical duplicate value(s) merged")
        keep_sorted = ~later
        idx, reg_rank, ind_rank, years, vals = (a[keep_sorted] for a in
                                                (idx, reg_rank, ind_rank, years, vals))
    report.rows_used = len(vals)
    # regions or indicators seen only on rows without values are not part of the panel
    reg_rank, codes_sorted = _drop_unused(reg_rank, codes_sorted)
    ind_rank, ind_sorted = _drop_unused(ind_rank, ind_sorted)
    data = pd.DataFrame({
        "region_code": pd.Categorical.from_codes(reg_rank, codes_sorted, validate=False),
        "year": years,
        "indicator": pd.Categorical.from_codes(ind_rank, ind_sorted, validate=False),
        "value": vals,
    })
    meta = {}
    present = np.flatnonzero(np.bincount(ind_rank, minlength=len(ind_sorted)))
    for k in present:
        name = ind_sorted[k]
        meta[name] = extra_meta.get(name) or _indicator_meta(name, unit_of.get(name, ""),
                                                             source=fname)
    panel = Panel(data, meta, registry=reg_obj, name=Path(fname).stem, provenance=provenance,
                  report=report, _trusted="normalised")
    if canonical:
        from .catalog import canonicalise

        panel = canonicalise(panel)
    return panel


def _resolve_regions(uniques: list, codes: np.ndarray, registry, fname, rows, issues, report):
    """Code of every unique region text, and the registry used (None: texts kept as codes)."""
    def text(u) -> str:
        if isinstance(u, (float, np.floating)):
            return "" if np.isnan(u) else (str(int(u)) if float(u).is_integer() else str(u))
        return str(u).strip()

    texts = [text(u) for u in uniques]
    if registry is None:
        return texts, None
    if isinstance(registry, str):
        if registry == "auto":
            reg_obj = china()
            hits = sum(reg_obj.try_resolve(u) is not None for u in texts)
            if texts and hits < 0.5 * len(texts):
                w = world()
                if sum(w.try_resolve(u) is not None for u in texts) > hits:
                    reg_obj = w
        else:
            reg_obj = china() if registry == "china" else world()
    else:
        reg_obj = registry
    out: list = []
    for j, u in enumerate(texts):
        code = reg_obj.try_resolve(u) if u else None
        if code is None and u:
            fixed = repair_mojibake(u)
            if fixed is not None and (code := reg_obj.try_resolve(fixed)) is not None:
                report.notices.append(f"region name {u!r} repaired from mojibake to {fixed!r}")
        hits = np.flatnonzero(codes == j) if code is None else None
        if code is None and hits.size:  # a name on no row (an unused category) needs no code
            first = int(hits[0])
            if not u or u in ("nan", "None"):
                issues.append(Issue("region name is empty", file=fname, row=int(rows[first]),
                                    column="region", value=u))
            else:
                try:
                    reg_obj.resolve(u)
                except RegionError as e:
                    issues.append(Issue(e.issues[0].reason, file=fname, row=int(rows[first]),
                                        column="region", value=u))
        out.append(code)
    return out, reg_obj




def _keys_unique(reg, ind, years, n_reg, n_ind) -> bool:
    """True when no region-year-indicator occurs twice.

    When the key space indicators × regions × years is dense (the usual panel) one bincount
    on the combined key decides it in O(n); otherwise (sparse keys) return False and let the
    caller sort and compare neighbours.
    """
    n = len(reg)
    if n == 0:
        return True
    y0 = int(years.min())
    n_years = int(years.max()) - y0 + 1
    space = n_ind * n_reg * n_years
    if space > 8 * n + 100_000:
        return False
    dtype = np.int32 if space < 2**31 else np.int64
    key = ind.astype(dtype) * dtype(n_reg)
    key += reg.astype(dtype, copy=False)
    key *= dtype(n_years)
    key += (years - y0).astype(dtype, copy=False)
    return bool(np.bincount(key, minlength=space).max() <= 1)

def _drop_unused(codes: np.ndarray, labels: list) -> tuple[np.ndarray, list]:
    used = np.bincount(codes, minlength=len(labels)) > 0
    if used.all():
        return codes, labels
    remap = np.cumsum(used) - 1
    return remap[codes], [lab for lab, u in zip(labels, used, strict=True) if u]
