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

import io
import json
import re
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
    column: np.ndarray       # column header of the value cell
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
    path : CSV/TXT, Excel (.xlsx; .xls with ``xlrd``) or Parquet file.
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
        raw = path.read_bytes()
        if not raw.strip():
            raise DataError(Issue("the file is empty", file=fname))
        enc = encoding or detect_encoding(raw)
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
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except ImportError as exc:
        raise DataError(Issue(f"reading this Excel file needs an extra package ({exc}); "
                              "for .xls install urbanrural[xls]", file=path.name)) from exc
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
        text = raw.decode(enc)
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
    text_cols = [c for c, k in canon.items() if k in ("region", "region_code", "indicator",
                                                       "unit", "year")]
    try:
        frame = pd.read_csv(path, encoding=enc, sep=sep,
                            dtype=dict.fromkeys(text_cols, str), keep_default_na=False,
                            na_values=[], skip_blank_lines=True, low_memory=False)
    except Exception as exc:
        raise DataError(Issue(f"cannot parse the table ({exc})", file=fname)) from exc
    return _cells_from_frame(frame, fname, header_line=1, report=report, layout=layout,
                             indicator=indicator, unit=unit, region=region)


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
            continue  # blank line
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
            return frame[region_col].astype(str).str.strip().to_numpy(dtype=object)
        return np.full(n, region or NATIONAL_CODE, dtype=object)

    if layout == "long":
        for need in ("year", "value"):
            if need not in by_role:
                raise DataError(Issue(f"long layout needs a {need} column; found {cols[:12]}",
                                      file=fname, row=header_line))
        if "indicator" in by_role:
            ind = frame[by_role["indicator"]].astype(str).str.strip().to_numpy(dtype=object)
        elif indicator:
            ind = np.full(n, indicator, dtype=object)
        else:
            raise DataError(Issue("the table has no indicator column; pass indicator='...'",
                                  file=fname, row=header_line))
        units = (frame[by_role["unit"]].astype(str).str.strip().to_numpy(dtype=object)
                 if "unit" in by_role else (np.full(n, unit, dtype=object) if unit else None))
        return _Cells(region_values(), frame[by_role["year"]].to_numpy(), ind,
                      frame[by_role["value"]].to_numpy(), rows,
                      np.full(n, by_role["value"], dtype=object), units)

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
def _parse_values(values: np.ndarray, report: ReadReport):
    """Return (float array with NaN where not a number, kind array): kind 0 = number,
    1 = missing marker, 2 = not a number."""
    if values.dtype.kind in "fiu":
        v = values.astype(np.float64)
        kind = np.where(np.isnan(v), 1, 0).astype(np.int8)
        return v, kind
    s = pd.Series(values, dtype=object)
    is_num = s.map(lambda x: isinstance(x, (int, float, np.integer, np.floating))
                   and not isinstance(x, bool)).to_numpy(bool)
    out = np.full(len(s), np.nan)
    kind = np.zeros(len(s), dtype=np.int8)
    if is_num.any():
        out[is_num] = s[is_num].astype(float).to_numpy()
        kind[is_num & np.isnan(out)] = 1
    text = s[~is_num].astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    if len(text):
        direct = pd.to_numeric(text, errors="coerce")
        ok = direct.notna().to_numpy()
        idx = np.flatnonzero(~is_num)
        out[idx[ok]] = direct[ok].to_numpy()
        rest = text[~ok]
        if len(rest):
            miss = rest.isin(MISSING_MARKERS).to_numpy()
            kind[idx[~ok][miss]] = 1
            cand = rest[~miss]
            thousands = cand.str.match(_THOUSANDS_RE.pattern).to_numpy()
            if thousands.any():
                fixed = cand[thousands].str.replace(",", "", regex=False).astype(float)
                out[idx[~ok][~miss][thousands]] = fixed.to_numpy()
                report.notices.append(f"{int(thousands.sum())} value(s) had thousands "
                                      f"separators (e.g. {cand[thousands].iloc[0]!r}); "
                                      f"removed")
            kind[idx[~ok][~miss][~thousands]] = 2
    return out, kind


def _finish(cells: _Cells, fname, report, registry, year_range, allow_negative, extra_meta,
            provenance, canonical) -> Panel:
    n = len(cells.value)
    report.rows_in += n
    issues: list[Issue] = []
    values, kind = _parse_values(np.asarray(cells.value), report)
    # 1. cells that are not numbers
    bad = np.flatnonzero(kind == 2)
    for i in bad[:50]:
        issues.append(Issue("not a number (use a number, or leave the cell empty / '—' when "
                            "there is no value)", file=fname, row=int(cells.row[i]),
                            column=str(cells.column[i]), value=str(cells.value[i])))
    # 2. missing markers are set aside, not errors
    for i in np.flatnonzero(kind == 1):
        txt = str(cells.value[i]).strip()
        reason = ("empty cell (no value published)" if txt in ("", "nan", "None")
                  else f"missing-value marker {txt!r}")
        report.set_aside.append(Issue(reason, row=int(cells.row[i]),
                                      column=str(cells.column[i]), value=txt))
    keep = kind == 0
    # 3. years
    yr = pd.to_numeric(pd.Series(cells.year, dtype=object).astype(str).str.strip()
                       .str.replace(r"\s*(年|年度)$", "", regex=True), errors="coerce").to_numpy()
    bad_year = keep & (np.isnan(yr) | (yr != np.floor(yr)))
    for i in np.flatnonzero(bad_year)[:20]:
        issues.append(Issue("year is not a year (expected e.g. 2020 or 2020年)", file=fname,
                            row=int(cells.row[i]), column="year", value=str(cells.year[i])))
    lo, hi = year_range
    out_range = keep & ~bad_year & ((yr < lo) | (yr > hi))
    for i in np.flatnonzero(out_range)[:20]:
        issues.append(Issue(f"year {int(yr[i])} is outside the plausible range {lo}–{hi}",
                            file=fname, row=int(cells.row[i]), column="year",
                            value=str(cells.year[i])))
    # 4. units: one per indicator
    ind = np.asarray(cells.indicator, dtype=object)
    units = cells.unit
    unit_of: dict[str, str] = {}
    if units is not None:
        u = pd.DataFrame({"i": ind[keep], "u": pd.Series(units[keep]).fillna("").astype(str)
                          .to_numpy()})
        per = u.drop_duplicates()
        multi = per[per.duplicated("i", keep=False)]
        for i_id, sub in multi.groupby("i"):
            issues.append(Issue(f"indicator is given in more than one unit "
                                f"({', '.join(map(repr, sub.u))}); convert to one unit first",
                                file=fname, column="unit", value=str(i_id)))
        unit_of = dict(zip(per.i, per.u, strict=False))
    # 5. negatives
    neg = keep & (values < 0)
    if neg.any():
        for i_id in pd.unique(ind[neg]):
            name_unit = f"{i_id} {unit_of.get(i_id, '')}"
            allowed = allow_negative if allow_negative is not None else bool(
                _NEG_OK.search(name_unit))
            if not allowed:
                first = np.flatnonzero(neg & (ind == i_id))[:5]
                for i in first:
                    issues.append(Issue(
                        f"negative value is impossible for '{i_id}' (a level, not a change); "
                        "pass allow_negative=True if it is meant", file=fname,
                        row=int(cells.row[i]), column=str(cells.column[i]),
                        value=str(cells.value[i])))
    # 6. regions
    reg_text = np.asarray(cells.region, dtype=object)
    # every row's region is checked, also where the value is missing or bad: a region that
    # cannot be identified is reported, never dropped quietly with its empty cells
    everything = np.ones(n, dtype=bool)
    reg, reg_obj = _resolve_regions(reg_text, everything, registry, fname, cells, issues,
                                    report)
    if issues:
        raise DataError(issues)
    # 7. duplicates
    df = pd.DataFrame({"region_code": reg[keep], "year": yr[keep].astype(np.int64),
                       "indicator": ind[keep], "value": values[keep],
                       "row": cells.row[keep], "column": cells.column[keep]})
    key = ["region_code", "year", "indicator"]
    dup = df.duplicated(key, keep=False).to_numpy()
    if dup.any():
        d = df[dup]
        nvals = d.groupby(key)["value"].transform("nunique").to_numpy()
        conflict = d[nvals > 1]
        if len(conflict):
            for (r, y, i_id), sub in list(conflict.groupby(key))[:20]:
                issues.append(Issue(
                    f"conflicting values for {r} {y} '{i_id}': "
                    + ", ".join(f"{v:g} (row {w})" for v, w in zip(sub.value, sub.row,
                                                                    strict=True)),
                    file=fname, row=int(sub.row.iloc[0])))
            raise DataError(issues)
        later = df.duplicated(key, keep="first").to_numpy()
        for rec in df[later].itertuples():
            report.set_aside.append(Issue("identical duplicate of an earlier row (merged)",
                                          row=int(rec.row), column=str(rec.column),
                                          value=f"{rec.value:g}"))
        report.notices.append(f"{int(later.sum())} identical duplicate value(s) merged")
        df = df[~later]
    report.rows_used = len(df)
    # 8. metadata
    meta = {}
    for i_id in pd.unique(df["indicator"]):
        meta[i_id] = extra_meta.get(i_id) or _indicator_meta(i_id, unit_of.get(i_id, ""),
                                                             source=fname)
    panel = Panel(df[["region_code", "year", "indicator", "value"]], meta, registry=reg_obj,
                  name=Path(fname).stem, provenance=provenance, report=report)
    if canonical:
        from .catalog import canonicalise

        panel = canonicalise(panel)
    return panel


def _resolve_regions(reg_text, keep, registry, fname, cells, issues, report):
    """Codes for every region text, and the registry used (None: names kept as codes)."""
    out = np.empty(len(reg_text), dtype=object)
    if registry is None:
        out[:] = reg_text
        return out, None
    uniq = pd.unique(pd.Series(reg_text[keep], dtype=object).astype(str))
    if isinstance(registry, str):
        if registry == "auto":
            reg_obj = china()
            hits = sum(reg_obj.try_resolve(u) is not None for u in uniq)
            if uniq.size and hits < 0.5 * uniq.size:
                w = world()
                if sum(w.try_resolve(u) is not None for u in uniq) > hits:
                    reg_obj = w
        else:
            reg_obj = china() if registry == "china" else world()
    else:
        reg_obj = registry
    mapping = {}
    for u in uniq:
        code = reg_obj.try_resolve(u)
        if code is None:
            fixed = repair_mojibake(u)
            if fixed is not None and (code := reg_obj.try_resolve(fixed)) is not None:
                report.notices.append(f"region name {u!r} repaired from mojibake to {fixed!r}")
        mapping[u] = code
    as_str = pd.Series(reg_text, dtype=object).astype(str)
    codes = as_str.map(mapping).to_numpy(dtype=object)
    unknown = [u for u, c in mapping.items() if c is None]
    for u in unknown[:30]:
        pos = int(np.flatnonzero(keep & (as_str.to_numpy() == u))[0])
        if not u.strip() or u in ("nan", "None"):
            issues.append(Issue("region name is empty", file=fname, row=int(cells.row[pos]),
                                column="region", value=u))
            continue
        try:
            reg_obj.resolve(u)
        except RegionError as e:
            issues.append(Issue(e.issues[0].reason, file=fname, row=int(cells.row[pos]),
                                column="region", value=u))
    out[:] = codes
    return out, reg_obj
