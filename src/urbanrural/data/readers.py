"""Read CSV, Excel and Parquet files (long or wide, Chinese or English headers, NBS portal
exports) into a :class:`~urbanrural.data.panel.Panel`, accounting for every input cell.

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
Text in Big5 (traditional Chinese) is recognised and read as such; Shift-JIS, Latin-1 and files
that mix encodings are refused rather than decoded into nonsense.

Every non-empty cell of the table is accounted for in ``panel.report``: it is a header or label
(metadata lines, column headers, the region, year, indicator or unit of a row), a value used, or
set aside with its reason, row and column (a column that is not a year, a missing-value marker,
an Excel error value, a formula without a cached value...).

Excel workbooks are checked before they are parsed, so that a hostile file cannot exhaust the
memory (see :class:`ReadLimits`): the zip directory (number of parts, declared sizes, the
compression ratio of each part), the shared-string count, and the cells of the sheet to read
(a streaming XML scan that refuses DTDs and entities) or, for ``.xls``, the BIFF records of every
sheet (the calamine engine loads all of them at once).
"""

from __future__ import annotations

import csv
import json
import re
import stat
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .encoding import detect_encoding, repair_mojibake
from .errors import DataError, Issue, ReadReport, RegionError
from .excel import _MARK, LIMITS, ReadLimits, _shown, load_excel
from .panel import Indicator, Panel
from .registry import NATIONAL_CODE, RegionRegistry, china, world

__all__ = ["read", "detect_encoding", "repair_mojibake", "MISSING_MARKERS", "ReadLimits",
           "LIMITS"]

# Cell texts that mean "no value" in Chinese statistical tables and common exports.
MISSING_MARKERS = frozenset({
    "", "—", "——", "–", "-", "--", "---", "…", "……", "...", "..", ".", "NA", "N/A", "n/a",
    "na", "NaN", "nan", "null", "NULL", "None", "#N/A", "无", "空", "不详", "x", "X", "*",
})
# Excel's error values as they appear in a CSV saved by Excel (#N/A is a missing marker there)
_EXCEL_ERRORS = frozenset({"#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!",
                           "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                           "#CONNECT!", "#BUSY!", "#UNKNOWN!"})

_HEADER_ALIASES = {
    "region": ["地区", "省份", "省", "省区", "省市", "省区市", "省级行政区", "地区名称", "区域", "地名",
               "国家", "国家或地区", "region", "province", "area", "country", "name", "地区名",
               "city", "城市", "county", "县", "县区", "entity", "地區", "省區", "省區市", "區域",
               "地區名稱", "國家", "縣"],
    "region_code": ["region_code", "code", "代码", "地区代码", "行政区划代码", "区划代码", "gb_code",
                    "adcode", "iso3", "iso_code", "iso", "代碼", "地區代碼", "行政區劃代碼"],
    "year": ["年份", "年", "年度", "时间", "year", "years", "time", "period", "時間"],
    "indicator": ["指标", "指标名称", "变量", "indicator", "indicators", "variable", "series",
                  "item", "指标名", "指標", "指標名稱", "變量"],
    "value": ["数值", "值", "数据", "value", "values", "obs", "observation", "數值", "數據"],
    "unit": ["单位", "计量单位", "unit", "units", "單位", "計量單位"],
}
_ALIAS_LOOKUP = {a.lower(): canon for canon, names in _HEADER_ALIASES.items() for a in names}

_YEAR_RE = re.compile(r"^\s*((?:1[89]|20|21)\d{2})\s*(?:年|年度)?\s*$")
_YEAR_START_RE = re.compile(r"^\s*((?:1[89]|20|21)\d{2})")
_SUB_YEAR_RE = re.compile(r"(?i)(?:Q[1-4]|[1-4]\s*季|季度|月|M\d{1,2}\b|H[12]\b|半年|上半|下半|"
                          r"^\s*\d{4}\s*[-/.]\s*\d{1,2}\s*$)")
_TOTAL_HEADERS = frozenset({"合计", "总计", "总和", "合計", "總計", "平均", "均值", "平均值", "累计",
                            "total", "sum", "average", "mean", "all years"})
_UNIT_RE = re.compile(r"^(.*?)[（(]([^()（）]*)[)）]\s*$")
_FOOTNOTE_RE = re.compile(
    r"^\s*(注[：:]|注\s*\d|说明[：:]|数据来源|资料来源|来源[：:]|Note[s]?\s*[:：]|Notes?\b|"
    r"Data\s*Sources?|Source[s]?\s*[:：])", re.I)
_NBS_FIRST = re.compile(r"^\s*(数据库|數據庫|Database)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEG_OK = re.compile(r"增长|增速|增幅|变化|变动|差额|差值|净|余额|growth|change|net\b|balance|"
                     r"surplus|deficit|difference", re.I)
_FLOAT_LITERAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
# a space of any kind between two digits: "1 234", "1\u00a0234" (a thousands separator?)
_INNER_SPACE_RE = re.compile(r"[\d.,][\s\u00a0\u2007\u2009\u202f\u3000]+[\d.,]")

# value kinds (see _parse_values)
_NUMBER, _MISSING, _TEXT, _INFINITE, _SPACE, _XL_ERROR, _FORMULA = range(7)
_ERROR_KINDS = (_TEXT, _INFINITE, _SPACE)
_MAX_HEADER_SEARCH = 200  # lines searched for the header row of a grid



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
    # region label columns beside the region column (e.g. names next to codes), checked
    # against it: {header: text per table row}, with the region text and line of each row
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    row_region: np.ndarray | None = None
    row_line: np.ndarray | None = None


def _aside(report: ReadReport, issue: Issue) -> None:
    """Set aside one line or cell that is not a value cell (those are counted in _finish)."""
    report.set_aside.append(issue)
    report.rows_in += 1


def _short(names: list[str], width: int = 40) -> list[str]:
    """Header names cut for a message (a header can be thousands of characters long)."""
    return [n if len(n) <= width else n[:width] + "…" for n in names]


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


def _filled(values) -> np.ndarray:
    """True where a cell holds something: a number, or text that is not blank."""
    if isinstance(values, pd.Series):
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = pd.Series(values.cat.categories).astype(str).str.strip().ne("").to_numpy()
            codes = values.cat.codes.to_numpy()
            return np.append(cats, False)[codes]  # code -1 (no value) picks the False
        if pd.api.types.is_numeric_dtype(dtype):
            return values.notna().to_numpy()
        if isinstance(dtype, pd.StringDtype):
            return (values.notna() & values.str.strip().ne("")).to_numpy(dtype=bool)
        values = values.to_numpy(dtype=object)
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return ~pd.isna(arr)
    return _HAS_TEXT(arr).astype(bool) if arr.size else np.zeros(arr.shape, dtype=bool)


def _has_text(v) -> bool:
    if isinstance(v, str):
        return bool(v) and not v.isspace()
    if v is None or v is pd.NA or v is pd.NaT:
        return False
    if isinstance(v, float):
        return v == v  # NaN holds nothing
    return True


_HAS_TEXT = np.frompyfunc(_has_text, 1, 1)


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
    limits: ReadLimits | None = None,
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
    encoding : force a text encoding; by default UTF-8 (with or without BOM), GBK/GB18030 or
        Big5 is detected.
    sheet : Excel sheet name or number in workbook order (default: the first *visible*
        worksheet; the sheets not read are named in the report's notices).
    years : the range of plausible years; years outside it are errors.
    region : region for tables without a region column (national exports), default national.
    allow_negative : None (default) allows negatives only for indicators whose name or unit says
        they are changes (增长, 差额, growth, net...); True/False forces the rule.
    canonical : map indicator names the bundled datasets know (e.g. 年末常住人口 →
        ``population_total``) to their standard ids, with a notice. Two names of one
        indicator in one file are merged; their values for one region and year must agree.
    limits : the largest spreadsheet opened (default :data:`LIMITS`, see
        :class:`ReadLimits`).

    Returns
    -------
    Panel
        With ``panel.report`` (a :class:`ReadReport`): values and cells used, those set
        aside with their reasons, and the repairs made.

    Raises
    ------
    DataError
        naming the file, row, column, value and reason for every problem: unknown regions
        (with the closest known names), non-numeric, infinite or space-split numbers, empty
        indicator names, impossible negatives, years out of range, conflicting duplicates,
        mixed units; and for whole files: not found, a folder, a pipe or device, no data rows,
        no value at all, an undecodable or mixed encoding, a workbook past the limits.

    Examples
    --------
    A long CSV with Chinese region names (China's per-capita disposable income in 2013, NBS,
    whole yuan), read with the ledger of where every cell went:

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "income.csv"
    >>> _ = f.write_text("地区,年份,指标,单位,数值\\n"
    ...                  "全国,2013,城镇居民人均可支配收入,元,26467\\n"
    ...                  "全国,2013,农村居民人均可支配收入,元,9430\\n", encoding="utf-8")
    >>> p = read(f)
    >>> p.regions, p.years, len(p)
    (['000000'], [2013], 2)
    >>> p.indicator_ids  # names the bundled datasets know get their standard ids
    ['rural_disposable_income', 'urban_disposable_income']

    ``read`` keeps the ids as read; the 2013 change of survey is split off afterwards (the
    report pipeline does this for the panels it reads) so that two bases never share an id:

    >>> from urbanrural.data import split_series_breaks
    >>> split_series_breaks(p)[0].indicator_ids
    ['rural_disposable_income', 'urban_disposable_income_new_survey']
    >>> p.report.rows_used, p.report.balanced
    (2, True)
    """
    path = Path(path)
    fname = path.name
    limits = limits or LIMITS
    size = _check_file(path)
    report = ReadReport(source=str(path))
    suffix = path.suffix.lower()
    extra_meta: dict[str, Indicator] = {}
    provenance: dict = {"file": str(path)}
    if suffix in (".parquet", ".pq"):
        table, extra_meta, provenance = _load_parquet(path, provenance, limits=limits)
        # a file written by urbanrural records its layout; any other is read as given
        written = provenance.pop("layout", None)
        report.layout = written if written in ("long", "wide_years", "wide_indicators") and \
            layout == "auto" else (layout if layout != "auto" else "long")
        cols = [str(c) for c in table.columns]
        report.cells_in = sum(1 for c in cols if c.strip()) + int(sum(
            _filled(table[c]).sum() for c in table.columns))
        cells = _cells_from_frame(table, fname, header_line=1, report=report,
                                  layout=report.layout, indicator=indicator, unit=unit,
                                  region=region)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        grid, extra_meta = load_excel(path, sheet, report, limits, size)
        cells = _cells_from_grid(grid, fname, report, layout, indicator, unit, region,
                                 provenance)
        del grid  # the table's columns hold what is still needed
    elif suffix in (".csv", ".txt", ".tsv", ""):
        # large files: detect the encoding on the first MiB and let the CSV parser confirm it
        # (a decoding error there is looked into, see _read_text)
        with open(path, "rb") as fh:
            raw = fh.read() if size <= (1 << 20) else fh.read(1 << 20)
        if size <= (1 << 20) and not raw.strip():
            raise DataError(Issue("文件是空的 / the file is empty", file=fname))
        try:
            if encoding:
                enc = encoding
            elif size <= (1 << 20):
                enc = detect_encoding(raw)
            else:
                enc = detect_encoding(raw[: raw.rfind(b"\n") + 1] or raw)
        except DataError as exc:
            raise DataError([Issue(i.reason, file=fname) for i in exc.issues]) from None
        report.encoding = enc
        if enc == "cp950":
            report.notices.append("text decoded as Big5 (cp950, traditional Chinese): it does "
                                  "not read as GBK/GB18030")
        cells = _read_text(path, raw, enc, fname, report, layout, indicator, unit, region,
                           provenance, sep="\t" if suffix == ".tsv" else ",",
                           sampled=size > (1 << 20))
    else:
        raise DataError(Issue(f"unsupported file type {suffix!r}; use CSV, Excel (.xlsx/.xls) "
                              f"or Parquet", file=fname))
    return _finish(cells, fname, report, registry, years, allow_negative, extra_meta,
                   provenance, canonical)


def _check_file(path: Path) -> int:
    """Size of a regular file; anything else (missing, a folder, a pipe, a device) is refused
    before it is opened, since reading a FIFO blocks and /dev/zero never ends."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(Issue("file not found / 文件不存在", file=str(path))) from None
    except OSError as exc:
        raise DataError(Issue(f"cannot open the file ({exc.strerror}) / 无法打开文件",
                              file=str(path))) from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(Issue("这是文件夹，不是文件 / this is a folder, not a file: give the path "
                              "of a CSV, Excel or Parquet file", file=str(path)))
    if not stat.S_ISREG(st.st_mode):
        kind = ("a pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "a special file")
        raise DataError(Issue(f"不是普通文件 / this is {kind}, not a regular file: its end "
                              "cannot be known before reading, so it is not read; copy the "
                              "data into a file first", file=str(path)))
    return st.st_size


# --------------------------------------------------------------------------- loaders
def _load_parquet(path: Path, provenance: dict, *, limits: ReadLimits = LIMITS):
    import pyarrow.parquet as pq

    try:
        footer = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises many kinds
        raise DataError(Issue(f"not a readable Parquet file ({exc})", file=path.name)) from exc
    # the footer is checked before a value is decoded: a 228 KB zstd file can hold 50 million
    # zeros (5 GB once read), so its declared size is held to the Parquet limits (cells and
    # bytes; Excel's row limit is no limit of a columnar file: long panels exceed it)
    rows, cols = footer.num_rows, footer.num_columns
    inflated = sum(footer.row_group(i).total_byte_size for i in range(footer.num_row_groups))
    if cols > limits.max_columns or rows * cols > limits.max_parquet_cells \
            or inflated > limits.max_uncompressed_bytes:
        raise DataError(Issue(
            f"Parquet 文件过大，未读取 / the Parquet file declares {rows:,} rows × {cols:,} "
            f"columns ({rows * cols:,} cells, {inflated / 1e6:,.1f} MB uncompressed), more than "
            f"this reader opens ({limits.max_columns:,} columns, {limits.max_parquet_cells:,} "
            f"cells, {limits.max_uncompressed_bytes / 1e6:,.0f} MB); a broken or hostile file?",
            file=path.name))
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
        if info.get("layout"):
            provenance["layout"] = info["layout"]
    return table.to_pandas(), meta, provenance



# --------------------------------------------------------------------------- text files
def _read_text(path, raw, enc, fname, report, layout, indicator, unit, region, provenance,
               sep, sampled=False):
    head = raw[:4096].decode(enc, errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head else ""
    if layout in ("auto", "nbs") and (_NBS_FIRST.match(first) or
                                      _NBS_FIRST.match(repair_mojibake(first) or "") or
                                      first.startswith("Database")):
        text = _decode_all(path, enc, fname, report)
        grid = _grid_from_lines(text.lstrip("\ufeff").splitlines(), sep)
        return _cells_from_grid(grid, fname, report, "nbs", indicator, unit, region,
                                provenance)
    # the header is read whole (however long, quoted or not) for the duplicate check
    names = _first_record(path, report.encoding or enc, sep, fname)
    counts = Counter(c.strip() for c in names)
    dups = sorted(c for c, k in counts.items() if k > 1 and c)
    if dups:
        raise DataError(Issue(f"column header(s) {_short(dups)} appear more than once", file=fname,
                              row=1))
    canon = {c: _canon(c) for c in names}
    # names stay text; codes may be parsed as integers (fast), and are turned back into
    # text once per distinct value when regions are resolved
    text_cols = [c for c, k in canon.items() if k in ("region", "indicator", "unit")]
    # chunked parsing (pandas' default) is twice as fast here; a column whose chunks infer
    # different types comes back as objects, which _parse_values reads cell by cell.
    # Blank lines are kept, so that the row numbers errors report stay right, and accounted
    # for. index_col=False: a row longer than the header must not turn the first column into
    # an index (pandas' default), which would shift every value under the wrong header.
    options = dict(sep=sep, dtype=dict.fromkeys(text_cols, "category"), keep_default_na=False,
                   na_values=[], skip_blank_lines=False, index_col=False)
    frame = None
    for attempt in range(2):
        enc = report.encoding or enc
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                # pandas warns, then drops the fields of rows longer than the header
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(path, encoding=enc, **options)
            break
        except UnicodeDecodeError as exc:
            if attempt or not sampled:
                raise DataError(Issue(f"the text cannot be decoded as {enc} ({exc})",
                                      file=fname)) from exc
            # the first MiB read as one encoding, a later part does not: judge the whole file
            _decode_all(path, enc, fname, report)
        except (pd.errors.ParserWarning, pd.errors.ParserError) as exc:
            if "Expected" not in str(exc) and "Length of header" not in str(exc):
                raise DataError(Issue(f"cannot parse the table ({exc})", file=fname)) from exc
            # rows of different lengths: read the cells as a grid, so that cells past the
            # header are set aside with their row and column instead of lost
            text = _decode_all(path, enc, fname, report)
            grid = _grid_from_lines(text.lstrip("\ufeff").splitlines(), sep)
            return _cells_from_grid(grid, fname, report, layout, indicator, unit, region,
                                    provenance, header_row=0)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(Issue(f"cannot parse the table ({exc})", file=fname)) from exc
    if frame.shape[1] != len(names):
        raise DataError(Issue(f"the header has {len(names)} fields but the table "
                              f"{frame.shape[1]} columns", file=fname, row=1))
    blank = {}
    for j, name in enumerate(names):
        if not name.strip():
            blank[frame.columns[j]] = f"column {j + 1} (no header)"
    if blank:
        frame = frame.rename(columns=blank)
    col_filled = [_filled(frame[c]) for c in frame.columns]
    report.cells_in = sum(1 for c in names if c.strip()) + int(sum(f.sum() for f in col_filled))
    rows = None
    if _may_hold_blank_rows(frame):
        empty = ~np.logical_or.reduce(col_filled) if col_filled else np.ones(len(frame), bool)
        rows = np.flatnonzero(~empty) + 2  # header is line 1
        for i in np.flatnonzero(empty):
            _aside(report, Issue("blank line", row=int(i) + 2))
        frame = frame[~empty].reset_index(drop=True)
        for c in frame.columns:
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                frame[c] = frame[c].cat.remove_unused_categories()
    return _cells_from_frame(frame, fname, header_line=1, report=report, layout=layout,
                             indicator=indicator, unit=unit, region=region, rows=rows,
                             blank=frozenset(blank.values()))


def _decode_all(path: Path, enc: str, fname: str, report: ReadReport) -> str:
    """The whole file as text. When the encoding found on the first MiB does not hold for the
    rest, the whole file is judged again (ASCII first, GBK later is fine; UTF-8 Chinese first
    and GBK later is a mixed file and refused)."""
    raw = path.read_bytes()
    try:
        return raw.decode(enc)
    except UnicodeDecodeError:
        pass
    try:
        found = detect_encoding(raw)
    except DataError as exc:
        raise DataError([Issue(i.reason, file=fname) for i in exc.issues]) from None
    report.notices.append(f"the first MiB reads as {enc}, the whole file only as {found}")
    report.encoding = found
    return raw.decode(found)


def _first_record(path: Path, enc: str, sep: str, fname: str) -> list[str]:
    try:
        with open(path, encoding=enc, newline="") as fh:
            names = next(csv.reader(fh, delimiter=sep), [])
    except UnicodeDecodeError as exc:
        raise DataError(Issue(f"the header line cannot be decoded as {enc} ({exc})",
                              file=fname, row=1)) from exc
    except csv.Error as exc:
        raise DataError(Issue(f"cannot read the header line ({exc})", file=fname,
                              row=1)) from exc
    if names:
        names[0] = names[0].lstrip("\ufeff")
    return names


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


def _grid_from_lines(lines: list[str], sep: str) -> np.ndarray:
    rows = list(csv.reader(lines, delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    grid = np.full((len(rows), width), "", dtype=object)
    for i, r in enumerate(rows):
        grid[i, :len(r)] = r
    return grid


# --------------------------------------------------------------------------- layouts
def _cells_from_grid(values: np.ndarray, fname, report, layout, indicator, unit, region,
                     provenance, *, header_row: int | None = None) -> _Cells:
    """A grid of strings (an object array: Excel sheet or NBS CSV): find metadata lines, the
    header row and footnotes, then hand the table to :func:`_cells_from_frame`. Every
    non-empty cell of the grid is counted, and every one outside the table is a label or set
    aside."""
    n, width = values.shape if values.ndim == 2 else (len(values), 0)
    if n == 0 or width == 0:
        raise DataError(Issue("文件或工作表是空的 / the file (or sheet) holds no cells",
                              file=fname))
    filled = _filled(values)
    report.cells_in = (report.cells_in or 0) + int(filled.sum())
    first = np.array(pd.Series(values[:, 0], dtype=object).str.strip(), dtype=object)
    # repair mojibake in the first column (header, footnotes, region names)
    for i in np.flatnonzero(pd.Series(first).str.contains(r"[^\x00-\x7f]").to_numpy(bool)):
        text = first[i]
        fixed = repair_mojibake(text)
        if fixed is not None and (_NBS_FIRST.match(fixed) or re.match(r"^(指标|时间|Indicators|"
                                                                        r"Year|注|数据来源|Data)",
                                                                        fixed)):
            report.notices.append(f"row {i + 1}: repaired mojibake {text!r} → {fixed!r}")
            first[i] = fixed
            values[i, 0] = fixed
    meta_ind, meta_unit = indicator, unit
    meta_lines: set[int] = set()
    for i in range(min(n, _MAX_HEADER_SEARCH) if header_row is None else 0):
        text = first[i]
        t = text.replace("£º", "：")
        m = re.match(r"^(数据库|數據庫|Database)\s*[:：?？]*\s*(.*)$", t)
        if m:
            if "???" in text or "？？？" in text:
                report.notices.append(f"row {i + 1}: header text lost before the file reached "
                                      f"us (shown as '???'): {text!r}; not needed")
            provenance["database"] = m.group(2).strip("?？ ")
            meta_lines.add(i)
            continue
        m = re.match(r"^(指标|指標|Indicators?)\s*[:：]\s*(.*)$", t)
        if m:
            ind, u = _split_unit(m.group(2))
            meta_ind = meta_ind or ind
            meta_unit = meta_unit if meta_unit is not None else u
            meta_lines.add(i)
            continue
        m = re.match(r"^(时间|時間|Year|Time)\s*[:：]\s*(.*)$", t)
        if m:
            provenance["time"] = m.group(2)
            meta_lines.add(i)
            continue
        row_vals = values[i, 1:]
        if any(_year_of(v) is not None for v in row_vals) or _canon(text) is not None:
            header_row = i
            break
    if header_row is None:
        raise DataError(Issue("no header row found: expected a row naming the region column "
                              "and the years (e.g. '地区,2024年,2023年')", file=fname))
    header = [str(v).strip() for v in values[header_row]]
    names = [h if h else f"column {j + 1} (no header)" for j, h in enumerate(header)]
    counts = Counter(h for h in header if h)
    dups = sorted(h for h, k in counts.items() if k > 1)
    if dups:
        raise DataError(Issue(f"column header(s) {_short(dups)} appear more than once", file=fname,
                              row=header_row + 1))
    # lines above the header: metadata (数据库/指标/时间) is read; anything else is set aside
    for i in range(header_row):
        cells = np.flatnonzero(filled[i])
        if not cells.size:
            _aside(report, Issue("blank line", row=i + 1))
            continue
        for j in cells:
            if i in meta_lines and j == 0:
                report.cells_labels += 1
                continue
            reason = ("text beside a metadata line (数据库/指标/时间), not read" if i in meta_lines
                      else "line above the header row (a title or note), not read as data")
            _aside(report, Issue(reason, row=i + 1, column=names[j],
                                 value=_shown(values[i, j]).strip()[:60]))
    body = values[header_row + 1:]
    body_filled = filled[header_row + 1:]
    text0 = pd.Series(first[header_row + 1:], dtype=object).astype(str)
    first_filled = body_filled[:, 0]
    rest_filled = body_filled[:, 1:].any(axis=1) if width > 1 else np.zeros(len(body), bool)
    # trailing footnotes and source lines are kept as provenance, never read as data. NBS notes
    # come last and run over several lines ("注：1.…", "2.…"): once a note starts, every
    # following line without values belongs to it
    starts_note = text0.str.match(_FOOTNOTE_RE.pattern, flags=re.I).to_numpy(bool) | (
        first_filled & ~rest_filled & (text0.str.len().to_numpy() > 40))
    in_notes = np.maximum.accumulate(starts_note) if len(starts_note) else starts_note
    is_note = in_notes & ~rest_filled & first_filled
    is_blank = ~first_filled & ~rest_filled
    notes = []
    for i in np.flatnonzero(is_note | is_blank):
        line_no = header_row + 2 + int(i)
        if is_note[i]:
            text = str(text0.iat[i])
            notes.append(text)
            _aside(report, Issue("footnote or source line (kept in the panel's provenance)",
                                 row=line_no, value=text[:60]))
        else:
            _aside(report, Issue("blank line", row=line_no))
    if notes:
        provenance["notes"] = notes
    keep = np.flatnonzero(~(is_note | is_blank))
    rows = (keep + header_row + 2).astype(np.int64)
    frame = pd.DataFrame({nm: body[keep, j] for j, nm in enumerate(names)}, dtype=object)
    if report.layout is None:
        report.layout = "nbs_export" if layout == "nbs" or "database" in provenance else None
    blank = frozenset(nm for nm, h in zip(names, header, strict=True) if not h)
    return _cells_from_frame(frame, fname, header_line=header_row + 1, report=report,
                             layout=layout if layout != "nbs" else "auto", indicator=meta_ind,
                             unit=meta_unit, region=region, rows=rows, blank=blank)


def _ignored_reason(header: str, *, blank: bool, layout: str) -> str:
    """Why the cells of a column are not read, in words a person can act on."""
    if blank:
        return ("一列没有表头 / a cell under a column without a header (or past the end of the "
                "header row): not read")
    h = header.strip()
    if h.lower() in _TOTAL_HEADERS:
        return "合计或平均列 / a total or average column, not a year: not read"
    m = _YEAR_START_RE.match(h)
    if m and layout == "wide_years":
        if _SUB_YEAR_RE.search(h[m.end():]) or re.match(r"^\s*\d{4}\s*[-/.]\s*\d{1,2}\s*$", h):
            return ("季度或月份列 / a quarter or month, not a year (this reader reads annual "
                    "data): not read")
        return ("带说明的年份 / a year with a qualifier (e.g. '2021年(初步)'): not read; rename "
                "the header to the plain year (2021) to use it")
    if layout == "wide_years":
        return "未识别的列 / not a year, region, indicator or unit column: not read"
    return "未识别的列 / not a region, year, indicator, value or unit column: not read"


def _set_aside_column(frame: pd.DataFrame, column: str, rows: np.ndarray, reason: str,
                      report: ReadReport) -> None:
    col = frame[column]
    idx = np.flatnonzero(_filled(col))
    if not idx.size:
        return
    texts = col.to_numpy(dtype=object)[idx]
    report.set_aside.extend(Issue(reason, row=int(rows[i]), column=column,
                                  value=_shown(t).strip()[:60])
                            for i, t in zip(idx, texts, strict=True))
    report.rows_in += int(idx.size)


def _cells_from_frame(frame: pd.DataFrame, fname, *, header_line, report, layout, indicator,
                      unit, region, rows=None, blank: frozenset = frozenset()) -> _Cells:
    cols = [str(c).strip() for c in frame.columns]
    frame.columns = cols
    if len(set(cols)) != len(cols):
        dups = sorted({c for c, k in Counter(cols).items() if k > 1})
        raise DataError(Issue(f"column header(s) {_short(dups)} appear more than once", file=fname,
                              row=header_line))
    report.cells_labels += sum(1 for c in cols if c and c not in blank)
    canon = {c: None if c in blank else _canon(c) for c in cols}
    by_role: dict[str, str] = {}
    for c, k in canon.items():
        if k and k not in by_role:
            by_role[k] = c
    year_cols = [c for c in cols if c not in blank and _year_of(c) is not None]
    if rows is None:
        rows = np.arange(len(frame), dtype=np.int64) + header_line + 1
    rows = np.asarray(rows, dtype=np.int64)
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
    # one column per role: a second year, indicator, value or unit column would be a guess
    for role in ("year", "indicator", "value", "unit"):
        same = [c for c in cols if canon[c] == role]
        if len(same) > 1:
            raise DataError(Issue(f"columns {same} all give the {role}; keep one of them",
                                  file=fname, row=header_line))
    region_col = by_role.get("region_code") or by_role.get("region")
    # further region columns (names beside codes, 省份 beside 地区) are checked against it
    label_cols = [c for c in cols if canon[c] in ("region", "region_code") and c != region_col]
    used: set[str] = set(label_cols)

    def read_labels(*columns):
        for c in columns:
            if c is not None and c not in used:
                report.cells_labels += int(_filled(frame[c]).sum())
                used.add(c)

    def region_values():
        if region_col is not None:
            return frame[region_col] if layout == "long" else \
                frame[region_col].to_numpy(dtype=object)
        return np.full(n, region or NATIONAL_CODE, dtype=object)

    def set_aside_rest():
        for c in cols:
            if c not in used:
                _set_aside_column(frame, c, rows, _ignored_reason(c, blank=c in blank,
                                                                  layout=layout), report)

    def with_labels(cells: _Cells, row_region) -> _Cells:
        if label_cols:
            cells.labels = {c: frame[c] for c in label_cols}
            cells.row_region = row_region
            cells.row_line = rows
        return cells

    if layout == "long":
        for need in ("year", "value"):
            if need not in by_role:
                raise DataError(Issue(f"long layout needs a {need} column; found {cols[:12]}",
                                      file=fname, row=header_line))
        units = (frame[by_role["unit"]] if "unit" in by_role else
                 (np.full(n, unit, dtype=object) if unit else None))
        if "indicator" in by_role:
            ind = frame[by_role["indicator"]]
            if "unit" not in by_role:
                # "城镇人口(万人)" names its unit, as a wide header does: split it off, so that
                # one indicator in two units is caught as in wide tables
                codes, uniq = _factorize(ind)
                split = [("", "") if _blank(u) else _split_unit(str(u)) for u in uniq]
                if any(s[1] for s in split):
                    ind = np.asarray([s[0] for s in split], dtype=object)[codes]
                    named = np.asarray([s[1] for s in split], dtype=object)[codes]
                    units = np.where(named != "", named, unit or "").astype(object)
        elif indicator:
            ind = np.full(n, indicator, dtype=object)
        else:
            raise DataError(Issue("the table has no indicator column; pass indicator='...'",
                                  file=fname, row=header_line))
        read_labels(region_col, by_role["year"], by_role.get("indicator"), by_role.get("unit"))
        used.add(by_role["value"])
        set_aside_rest()
        reg = region_values()
        return with_labels(_Cells(reg, frame[by_role["year"]], ind, frame[by_role["value"]],
                                  rows, by_role["value"], units), reg)

    if layout == "wide_years":
        if not year_cols:
            raise DataError(Issue("no year columns (e.g. '2020' or '2020年') in the header",
                                  file=fname, row=header_line))
        id_cols = [c for c in cols if c not in year_cols and c not in label_cols]
        if region_col or region or not id_cols or "indicator" in by_role:
            reg = region_values()  # a table of indicators by year is national unless told
            read_labels(region_col)
        else:
            # the first other column holds the regions (an NBS export names it 地区; a blank
            # header there is common too)
            reg = frame[id_cols[0]].astype(str).str.strip().to_numpy(dtype=object)
            read_labels(id_cols[0])
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
            unit_base = (frame[by_role["unit"]].astype(str).str.strip().to_numpy(dtype=object)
                         if "unit" in by_role else np.full(n, unit or "", dtype=object))
        read_labels(by_role.get("indicator"), by_role.get("unit"))
        used.update(year_cols)
        set_aside_rest()
        k = len(year_cols)
        vals = frame[year_cols].to_numpy(dtype=object).reshape(-1)
        return with_labels(_Cells(
            np.repeat(reg, k), np.tile(np.asarray([_year_of(c) for c in year_cols]), n),
            np.repeat(ind_base, k), vals, np.repeat(rows, k),
            np.tile(np.asarray(year_cols, dtype=object), n), np.repeat(unit_base, k)), reg)

    if layout == "wide_indicators":
        read_labels(region_col, by_role["year"])
        if "unit" in by_role:
            used.add(by_role["unit"])
            _set_aside_column(frame, by_role["unit"], rows, (
                "单位列不适用于每列一个指标的表 / a unit column in a table with one column per "
                "indicator: not read (give units in the headers, e.g. 'GDP(亿元)')"), report)
        value_cols = [c for c in cols if c not in used and canon[c] not in ("region",
                                                                            "region_code")]
        for c in [c for c in value_cols if c in blank]:
            hit = np.flatnonzero(_filled(frame[c]))
            if hit.size:
                raise DataError(Issue(
                    "指标名为空 / indicator name is empty: this column has no header but holds "
                    "values", file=fname, row=int(rows[hit[0]]), column=c,
                    value=_shown(frame[c].iloc[hit[0]])))
        value_cols = [c for c in value_cols if c not in blank]
        used.update(cols)  # blank columns without values hold no cell
        if not value_cols:
            raise DataError(Issue("no indicator columns found", file=fname, row=header_line))
        k = len(value_cols)
        ids, units = zip(*[_split_unit(c) for c in value_cols], strict=True)
        vals = frame[value_cols].to_numpy(dtype=object).reshape(-1)
        reg = region_values()
        return with_labels(_Cells(np.repeat(reg, k), np.repeat(frame[by_role["year"]]
                                                               .to_numpy(), k),
                                  np.tile(np.asarray(ids, dtype=object), n), vals,
                                  np.repeat(rows, k),
                                  np.tile(np.asarray(value_cols, dtype=object), n),
                                  np.tile(np.asarray(units, dtype=object), n)), reg)
    raise ValueError(f"unknown layout {layout!r}")


def _blank(u) -> bool:
    """A label that says nothing: None, NaN or blank text."""
    if u is None or (isinstance(u, float) and np.isnan(u)):
        return True
    return not str(u).strip()


# --------------------------------------------------------------------------- checking
def _unescape(text: str) -> str:
    """A label as it was before a writer protected it from spreadsheet formulas: ``'=x`` is
    read as ``=x`` exactly when :func:`~urbanrural.data.writers.neutralize_formula` of ``=x``
    gives ``'=x`` (this package's CSV files, and the OWASP rule other tools follow), so a
    written file reads back unchanged; any other apostrophe is kept."""
    from .writers import neutralize_formula  # same layer; writers never import readers

    if text.startswith("'") and neutralize_formula(text[1:]) == text:
        return text[1:]
    return text


def _factorize(values) -> tuple[np.ndarray, list]:
    """Integer codes and unique values; categorical input costs nothing."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        cats = list(values.cat.categories)
        if (codes < 0).any():  # a missing category: give it its own code
            codes = np.where(codes < 0, len(cats), codes)
            cats.append(None)
        return codes, cats
    codes, uniques = pd.factorize(pd.Series(values) if not isinstance(values, pd.Series)
                                  else values, use_na_sentinel=False)
    return codes.astype(np.int64), list(uniques)


def _parse_values(values, report: ReadReport):
    """Return (float array with NaN where not a number, kind array). Kinds: ``_NUMBER``;
    ``_MISSING`` (an empty cell or a missing-value marker); ``_XL_ERROR`` and ``_FORMULA``
    (Excel cells with an error value or a formula never computed); errors ``_TEXT`` (not a
    number), ``_INFINITE`` (inf, Infinity, 1e999) and ``_SPACE`` (a space inside the number).
    An empty kind array means every cell is a finite number."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "fiu":
        v = arr.astype(np.float64, copy=False)
        finite = np.isfinite(v)
        if finite.all():
            return v, np.zeros(0, dtype=np.int8)  # empty kind array: every cell a number
        kind = np.zeros(len(v), dtype=np.int8)
        kind[np.isnan(v)] = _MISSING
        kind[np.isinf(v)] = _INFINITE
        return v, kind
    s = pd.Series(arr, dtype=object)
    num = pd.to_numeric(s, errors="coerce").to_numpy(np.float64, copy=True)
    kind = np.zeros(len(s), dtype=np.int8)
    bad = np.flatnonzero(np.isnan(num))
    if len(bad):
        raw = s.iloc[bad]
        # Python's strip also takes no-break and ideographic spaces off the ends; inside a
        # number a space is an error (see below), never silently removed
        text = raw.astype(str).str.strip().where(raw.notna().to_numpy(), "")
        marked = text.str.startswith(_MARK).to_numpy(bool)
        formula = marked & text.str.startswith(_MARK + "=").to_numpy(bool)
        kind[bad[formula]] = _FORMULA
        xl_error = (marked & ~formula) | text.isin(_EXCEL_ERRORS).to_numpy(bool)
        kind[bad[xl_error]] = _XL_ERROR
        miss = text.isin(MISSING_MARKERS).to_numpy(bool) & ~marked & ~xl_error
        kind[bad[miss]] = _MISSING
        open_ = ~(marked | xl_error | miss)
        rest = bad[open_]
        cand = text[open_]
        space = cand.str.contains(_INNER_SPACE_RE.pattern).to_numpy(bool)
        kind[rest[space]] = _SPACE
        rest, cand = rest[~space], cand[~space]
        stripped = pd.to_numeric(cand, errors="coerce").to_numpy(np.float64)
        ok = ~np.isnan(stripped)  # numbers with spaces (of any kind) around them
        num[rest[ok]] = stripped[ok]
        cand, rest = cand[~ok], rest[~ok]
        thousands = cand.str.match(_THOUSANDS_RE.pattern).to_numpy(bool)
        if thousands.any():
            num[rest[thousands]] = cand[thousands].str.replace(",", "", regex=False) \
                .astype(float).to_numpy()
            report.notices.append(f"{int(thousands.sum())} value(s) had thousands "
                                  f"separators (e.g. {cand[thousands].iloc[0]!r}); removed")
        rest, cand = rest[~thousands], cand[~thousands]
        # a well-formed literal beyond ±1.8e308 ("1e999"): pandas 3 reads it as inf, pandas 2
        # refuses it; either way it is an infinite value, not text
        overflow = cand.str.fullmatch(_FLOAT_LITERAL_RE.pattern).to_numpy(bool)
        num[rest[overflow]] = cand[overflow].astype(float).to_numpy()
        kind[rest[~overflow]] = _TEXT
    kind[np.isinf(num)] = _INFINITE
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


_VALUE_ERRORS = {
    _TEXT: "not a number (use a number, or leave the cell empty / '—' when there is no value)",
    _INFINITE: ("不是有限数 / not a finite number (inf, Infinity, or beyond ±1.8e308): a "
                "statistic is never infinite"),
    _SPACE: ("数字中间有空格 / a space inside the number (a thousands separator? a no-break "
             "space?): write 1234 or 1,234"),
}


def _finish(cells: _Cells, fname, report, registry, year_range, allow_negative, extra_meta,
            provenance, canonical) -> Panel:
    n = len(cells.value)
    report.rows_in += n
    if n == 0:
        aside = len(report.set_aside)
        raise DataError(Issue(
            "表头下没有数据行 / the file has a header but no data rows below it"
            + (f" ({aside} blank, title or note line(s) set aside)" if aside else ""),
            file=fname))
    issues: list[Issue] = []
    values, kind = _parse_values(cells.value, report)
    if len(kind) == 0:
        kind = None  # all numbers: skip the per-cell bookkeeping below
    rows = np.asarray(cells.row)
    columns = cells.column if isinstance(cells.column, str) else \
        np.asarray(cells.column, dtype=object)
    raw_values = cells.value if isinstance(cells.value, pd.Series) else \
        pd.Series(np.asarray(cells.value))
    numeric_input = raw_values.dtype.kind in "fiu"

    def col_at(i) -> str:
        return columns if isinstance(columns, str) else str(columns[i])

    def cell_text(i):
        return _shown(raw_values.iat[i])

    # 1. cells that are not (finite) numbers
    for k, reason in _VALUE_ERRORS.items():
        for i in (np.flatnonzero(kind == k)[:50] if kind is not None else []):
            issues.append(Issue(reason, file=fname, row=int(rows[i]), column=col_at(i),
                                value=cell_text(i)))
    # 2. cells without a value are set aside with their reason, not errors
    first_aside = len(report.set_aside)
    for i in (np.flatnonzero((kind == _MISSING) | (kind == _XL_ERROR) | (kind == _FORMULA))
              if kind is not None else []):
        raw = raw_values.iat[i]
        txt = "" if numeric_input or _blank(raw) else _shown(raw).strip()
        if kind[i] == _XL_ERROR:
            reason = (f"Excel 错误值 / Excel error value {txt} (a formula in the workbook "
                      "failed): no value")
        elif kind[i] == _FORMULA:
            reason = ("公式没有缓存值 / formula without a cached value (the program that wrote "
                      "the file did not compute it; open and save it in Excel or LibreOffice)")
            txt = txt[:60]
        else:
            reason = "empty cell (no value published)" if not txt else \
                f"missing-value marker {txt!r}"
        report.set_aside.append(Issue(reason, row=int(rows[i]), column=col_at(i), value=txt))
    n_formula = int((kind == _FORMULA).sum()) if kind is not None else 0
    if n_formula:
        report.notices.append(f"{n_formula} formula cell(s) have no cached value, so no value "
                              "to read: open the workbook in Excel or LibreOffice and save it")
    all_kept = kind is None or not kind.any()
    keep = np.ones(1, dtype=bool) if all_kept else kind == _NUMBER  # broadcasts when all kept
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
    if bad_year.any():
        # first row holding a value of every distinct year (one pass, not one per bad year)
        codes_y = (np.searchsorted(y_vals, y_arr) if y_codes is None else y_codes)
        at = np.flatnonzero(keep if not all_kept else np.ones(n, dtype=bool))
        seen, first_at = np.unique(codes_y[at], return_index=True)
        first_row_of = dict(zip(seen.tolist(), at[first_at].tolist(), strict=True))
    for j in np.flatnonzero(bad_year)[:50]:
        u = y_uniq[j]
        if j not in first_row_of:
            continue
        first = first_row_of[j]
        if np.isnan(y_vals[j]):
            issues.append(Issue("year is not a year (expected e.g. 2020 or 2020年)", file=fname,
                                row=int(rows[first]), column="year",
                                value="" if _blank(u) else _shown(u)))
        elif not lo <= y_vals[j] <= hi:
            issues.append(Issue(f"year {int(y_vals[j])} is outside the plausible range "
                                f"{lo}–{hi}", file=fname, row=int(rows[first]), column="year",
                                value=str(u)))
    # 4. indicators (a value needs a name) and their units: one unit per indicator
    i_codes, i_uniq = _factorize(cells.indicator)
    i_names = ["" if _blank(u) else _unescape(_shown(u).strip()) for u in i_uniq]
    holds_value = np.ones(n, dtype=bool) if kind is None else kind != _MISSING
    for j in [j for j, name in enumerate(i_names) if not name]:
        hits = np.flatnonzero((i_codes == j) & holds_value)
        if hits.size:
            issues.append(Issue("指标名为空 / indicator name is empty (the value has no "
                                "indicator)", file=fname, row=int(rows[hits[0]]),
                                column="indicator", value=cell_text(int(hits[0]))))
    unit_of: dict[str, str] = {}
    if cells.unit is not None:
        u_codes, u_uniq = _factorize(cells.unit)
        u_names = ["" if _blank(u) else _unescape(str(u).strip()) for u in u_uniq]
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
    r_uniq = [_unescape(u) if isinstance(u, str) else u for u in r_uniq]
    code_of_unique, reg_obj, texts = _resolve_regions(r_uniq, r_codes, registry, fname, rows,
                                                      issues, report)
    if cells.labels:
        _check_region_labels(cells, dict(zip(texts, code_of_unique, strict=True)), reg_obj,
                             fname, issues, report)
    if issues:
        raise DataError(issues)
    if not all_kept and not keep.any():
        counts = Counter(i.reason for i in report.set_aside[first_aside:first_aside + n])
        raise DataError(Issue(
            f"没有任何数值 / none of the {n} value cell(s) holds a number ("
            + "; ".join(f"{c} × {r}" for r, c in counts.most_common(4))
            + "): there is nothing to read", file=fname))
    # 7. standard ids: two names of one indicator (年末常住人口, 常住人口) become one id here,
    # before the duplicate check, so that their values for one region-year must agree
    final = list(i_names)
    read_as: dict[str, list[str]] = {}
    if canonical:
        from .catalog import standard_id

        for j, name in enumerate(i_names):
            stated = unit_of.get(name) or (extra_meta[name].unit if name in extra_meta else "")
            target = standard_id(name, stated) if name else None
            if target is not None:
                final[j] = target
                read_as.setdefault(target, []).append(name)
    # 8. find duplicates on integer keys (sorting only when some are suspected)
    idx = None if all_kept else np.flatnonzero(keep)

    def kept(a):
        return a if idx is None else a[idx]

    codes_sorted = sorted(set(c for c in code_of_unique if c is not None))
    code_rank = {c: k for k, c in enumerate(codes_sorted)}
    reg_rank = np.asarray([code_rank.get(c, -1) for c in code_of_unique], dtype=np.int32)[
        kept(r_codes)]
    ind_sorted = sorted(set(final))
    ind_rank_map = {c: k for k, c in enumerate(ind_sorted)}
    ind_rank = np.asarray([ind_rank_map[c] for c in final], dtype=np.int32)[kept(i_codes)]
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

        def name_at(pos):
            return i_names[i_codes[idx[pos]]]

        for pos in conflict_pos[:20]:
            group = [pos - 1, pos]
            as_names = {name_at(g) for g in group}
            issues.append(Issue(
                f"conflicting values for {codes_sorted[reg_rank[pos]]} {years[pos]} "
                f"'{ind_sorted[ind_rank[pos]]}': "
                + ", ".join(f"{vals[g]:g} (row {rows[idx[g]]}"
                            + (f", as '{name_at(g)}'" if len(as_names) > 1 else "") + ")"
                            for g in group),
                file=fname, row=int(rows[idx[pos - 1]])))
        if issues:
            raise DataError(issues)
        for pos in starts:
            other_name = name_at(pos) != name_at(pos - 1)
            report.set_aside.append(Issue(
                "identical value under another name of the same indicator (merged)"
                if other_name else "identical duplicate of an earlier row (merged)",
                row=int(rows[idx[pos]]), column=col_at(idx[pos]), value=f"{vals[pos]:g}"))
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
        if name in read_as:
            from dataclasses import replace

            from .catalog import CATALOG

            names = sorted(set(read_as[name]))
            given = next((extra_meta[x] for x in names if x in extra_meta), None)
            meta[name] = replace(CATALOG[name], source=given.source if given else fname,
                                 notes="read as " + " and ".join(f"'{x}'" for x in names))
            for x in names:
                report.notices.append(f"indicator '{x}' recognised as standard id '{name}'")
        else:
            meta[name] = extra_meta.get(name) or _indicator_meta(name, unit_of.get(name, ""),
                                                                 source=fname)
    return Panel(data, meta, registry=reg_obj, name=Path(fname).stem, provenance=provenance,
                 report=report, _trusted="normalised")


def _resolve_regions(uniques: list, codes: np.ndarray, registry, fname, rows, issues, report):
    """Code of every unique region text, the registry used (None: texts kept as codes) and
    the texts themselves."""
    def text(u) -> str:
        if isinstance(u, (float, np.floating)):
            return "" if np.isnan(u) else (str(int(u)) if float(u).is_integer() else str(u))
        return "" if u is None else str(u).strip()

    texts = [text(u) for u in uniques]
    if registry is None:  # the texts are the codes; a value still needs a region
        for j, u in enumerate(texts):
            hits = np.flatnonzero(codes == j) if not u else ()
            if len(hits):
                issues.append(Issue("region name is empty", file=fname, row=int(rows[hits[0]]),
                                    column="region", value=u))
        return texts, None, texts
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
        code = reg_obj.try_resolve(u) if u and not u.startswith(_MARK) else None
        if code is None and u and not u.startswith(_MARK):
            fixed = repair_mojibake(u)
            if fixed is not None and (code := reg_obj.try_resolve(fixed)) is not None:
                report.notices.append(f"region name {u!r} repaired from mojibake to {fixed!r}")
        hits = np.flatnonzero(codes == j) if code is None else None
        if code is None and hits.size:  # a name on no row (an unused category) needs no code
            first = int(hits[0])
            if not u or u in ("nan", "None"):
                issues.append(Issue("region name is empty", file=fname, row=int(rows[first]),
                                    column="region", value=u))
            elif u.startswith(_MARK):
                issues.append(Issue("the region cell holds an Excel error value or a formula "
                                    "without a cached value", file=fname,
                                    row=int(rows[first]), column="region", value=_shown(u)))
            else:
                try:
                    reg_obj.resolve(u)
                except RegionError as e:
                    issues.append(Issue(e.issues[0].reason, file=fname, row=int(rows[first]),
                                        column="region", value=u))
        out.append(code)
    return out, reg_obj, texts


def _check_region_labels(cells: _Cells, code_of_text: dict, reg_obj, fname, issues, report):
    """Region columns beside the one read (names next to codes, 省份 next to 地区) are read
    too: a label naming another region than its row is an error; one the registry cannot match
    to a single region is set aside; one that agrees is a label. Each distinct (region, label)
    pair is judged once."""
    def text(u) -> str:
        if isinstance(u, (float, np.floating)):
            return "" if np.isnan(u) else (str(int(u)) if float(u).is_integer() else str(u))
        return "" if u is None else str(u).strip()

    r_codes, r_uniq = _factorize(cells.row_region)
    r_texts = [text(u) for u in r_uniq]
    for column, labels in cells.labels.items():
        l_codes, l_uniq = _factorize(labels)
        l_texts = [text(u) for u in l_uniq]
        width = len(l_uniq)
        rows_with_label = np.flatnonzero(np.asarray([bool(t) for t in l_texts] + [False])[
            l_codes])
        if not rows_with_label.size:
            continue
        keys, inverse = np.unique(r_codes[rows_with_label].astype(np.int64) * width
                                  + l_codes[rows_with_label], return_inverse=True)
        counts = np.bincount(inverse, minlength=len(keys))
        for p, key in enumerate(keys):
            region_text, label = r_texts[key // width], l_texts[key % width]
            code = code_of_text.get(region_text)
            # a shared name (鼓楼区) agrees when the row's region is one of those it names
            named = {code} if reg_obj is None or code is None else reg_obj.candidates(label)
            if code in named:  # agrees (or the row's own region is already an error)
                report.cells_labels += int(counts[p])
                continue
            where = rows_with_label[inverse == p]
            if not named:
                reason = ("未识别的地区名 / a region label the registry does not know: not read; "
                          "the region is taken from the region column")
                report.set_aside.extend(Issue(reason, row=int(cells.row_line[i]),
                                              column=column, value=label) for i in where)
                report.rows_in += int(where.size)
            else:
                names = " or ".join(f"{reg_obj.label(c)} ({c})" for c in sorted(named))
                issues.append(Issue(
                    f"地区名与地区代码不符 / this region label names {names} but the row's region "
                    f"is {reg_obj.label(code)} ({code})", file=fname,
                    row=int(cells.row_line[where[0]]), column=column, value=label))


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

