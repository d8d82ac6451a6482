"""Write result tables as CSV (and optionally Parquet) files and one Excel workbook with
bilingual headers.

Labels come from users' files and frameworks, so none of them may become a live formula: CSV
fields and headers a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab, CR at the
start) get a leading apostrophe and the workbook stores them as text cells with Excel's quote
prefix, by the same rule as the data writers (:func:`urbanrural.data.writers.neutralize_formula`).
Sheet names are made valid and unique for Excel (:func:`urbanrural.data.writers.excel_sheet_names`).

The workbook is streamed: XlsxWriter writes its frame (sheets, styles, column widths, frozen
header rows) with empty sheets, and the rows of every sheet are then generated as XML by
vectorised NumPy string operations, 50,000 rows at a time, straight into the compressed file,
so memory stays that of one chunk and a county-scale index (14 million cells) is written in
seconds, not minutes. Numbers are stored with the shortest text that reads back as the same
float64. A table longer than Excel's limit of
1,048,575 data rows (:data:`EXCEL_MAX_DATA_ROWS`) is split across consecutive sheets, and a
sheet ``split_tables`` says which rows of which table each sheet holds; the CSV or Parquet
file of the table (when written) holds it whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from ..data.writers import check_excel_text, excel_sheet_names
from .labels import VOCABULARY, header

__all__ = ["COLUMN_LABELS", "EXCEL_MAX_DATA_ROWS", "bilingual_columns", "csv_file_names", "excel_sheet_names",
           "header_for", "write_tables"]

# column name → Chinese label of the context-free vocabulary (kept for callers that read it;
# the headers themselves come from :func:`header_for`, which also knows the rules for
# systematic names and a table's own labels)
COLUMN_LABELS: dict[str, str] = {col: lab.zh for col, lab in VOCABULARY.items()}


def header_for(column: str, labels: Mapping[str, str] | None = None, *,
               units: Mapping[str, str] | None = None) -> str:
    """The workbook header of ``column``, e.g. ``年份 year`` or ``半衰期（年） half life (years)``.

    Parameters
    ----------
    column : the column name.
    labels : the table's own Chinese labels (column → label), which win over the vocabulary
        (:mod:`urbanrural.outputs.labels`).
    units : the table's units (column → ``"%"`` or ``"百分点 pp"``).

    Returns
    -------
    str
        the bilingual header; a column nobody labelled keeps its name.
    """
    return header(column, labels=labels, units=units)


def bilingual_columns(frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                      units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Same table with headers like ``年份 year`` (Chinese label first, then the English).

    ``labels`` and ``units`` are the table's own (see :func:`header_for`).
    """
    out = frame.copy()
    out.columns = [header_for(c, labels, units=units) for c in frame.columns]
    return out


# characters no file name may hold on Windows, macOS or Linux (and control characters)
_FILE_FORBIDDEN_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def csv_file_names(names: Iterable[str]) -> dict[str, str]:
    """A safe, unique CSV file name (without folder) for every table name.

    A name that is a plain file name and not taken keeps it (``scores`` → ``scores.csv``).
    Any other has each run of path separators, ``: * ? " < > |`` and control characters
    replaced by ``_`` and dots and spaces at either end removed, so that no table is written
    outside the output folder or hidden; if that name is taken (case-insensitively, as on
    Windows and macOS) it gets the first free suffix ``_2``, ``_3``, ...

    Parameters
    ----------
    names : table names.

    Returns
    -------
    dict
        table name → file name (``stem.csv``), in the order of ``names``.
    """
    names = list(dict.fromkeys(names))
    stems: dict[str, str] = {}
    used: set[str] = set()
    for name in names:  # first the names that are fine as they are
        text = str(name)
        if text and text == text.strip(" .") and not _FILE_FORBIDDEN_RE.search(text) \
                and text.lower() not in used:
            stems[name] = text
            used.add(text.lower())
    for name in names:
        if name in stems:
            continue
        base = _FILE_FORBIDDEN_RE.sub("_", str(name)).strip(" .") or "table"
        stem, k = base, 1
        while stem.lower() in used:
            k += 1
            stem = f"{base}_{k}"
        stems[name] = stem
        used.add(stem.lower())
    return {name: f"{stems[name]}.csv" for name in names}


# Excel's sheet holds 1,048,576 rows; the first is the header
EXCEL_MAX_DATA_ROWS = 1_048_575
SPLIT_SHEET = "split_tables"


def _column_width(header: str, values: pd.Series) -> float:
    """Width of a column from its header and first 199 values (as before: 10 to 48)."""
    head = values.iloc[:199]
    lengths = [len(str(header))] + [len(str(v)) for v in head.tolist()
                                    if v is not None and not (isinstance(v, float) and v != v)]
    return min(max(10, max(lengths) + 2), 48)


def _xml_line_ends(text: str) -> str:
    """CR and CRLF as LF. The workbook always held text so: a CR written raw into the sheet's
    XML is read back as LF by every XML reader, Excel included."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


_S = StringDType()
_ESCAPE_RE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
_CHUNK_ROWS = 50_000


def _col_letters(j: int) -> str:
    name = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        name = chr(65 + r) + name
    return name


def _text_xml(text: np.ndarray) -> np.ndarray:
    """Text (a StringDType array) escaped for an inline string: &, <, >; CR as LF (see
    :func:`_xml_line_ends`); a literal ``_xHHHH_`` escaped as Excel reads it."""
    text = np.strings.replace(np.strings.replace(text, "\r\n", "\n"), "\r", "\n")
    text = np.strings.replace(text, "&", "&amp;")
    text = np.strings.replace(np.strings.replace(text, "<", "&lt;"), ">", "&gt;")
    odd = [i for i in np.flatnonzero(np.strings.find(text, "_x") >= 0).tolist()
           if _ESCAPE_RE.search(str(text[i]))]
    if odd:  # rare: Excel would decode _x0041_ as "A"
        text[odd] = [_ESCAPE_RE.sub(r"_x005F\1", str(t)) for t in text[odd]]
    return text


def _cell_kind(values: pd.Series) -> str:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    kind = values.dtype.kind
    if kind in "iu":
        return "int"
    if kind == "f":
        return "float"
    if kind == "b":
        return "bool"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    return "text" if inferred in ("string", "empty") else "other"


def _other_cells(values: list, refs: np.ndarray, quote: np.ndarray, q: int, d: int) -> list:
    """Cells of a column of mixed objects, one at a time (small tables; the rule of the
    vectorised path: text as text, numbers as numbers, missing values blank)."""
    out = []
    epoch = pd.Timestamp("1899-12-30")
    for ref, v, qt in zip([r[len('<c r="'):] for r in refs.tolist()], values, quote.tolist(),
                          strict=True):
        if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and v != v):
            out.append("")
        elif isinstance(v, (bool, np.bool_)):
            out.append(f'<c r="{ref}" t="b"><v>{int(bool(v))}</v></c>')
        elif isinstance(v, (int, float, np.integer, np.floating)):
            f = float(v)
            if f != f:
                out.append("")
            elif f in (np.inf, -np.inf):
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{"inf" if f > 0 else "-inf"}'
                           "</t></is></c>")
            else:
                out.append(f'<c r="{ref}"><v>{v!r}</v></c>' if isinstance(v, (int, np.integer))
                           else f'<c r="{ref}"><v>{f!r}</v></c>')
        elif isinstance(v, pd.Timestamp) or (hasattr(v, "year") and hasattr(v, "month")):
            serial = (pd.Timestamp(v) - epoch) / pd.Timedelta(days=1)
            out.append(f'<c r="{ref}" s="{d}"><v>{serial!r}</v></c>')
        else:
            text = str(v)
            if not text:
                out.append("")
                continue
            body = str(_text_xml(np.array([text], dtype=_S))[0])
            space = ' xml:space="preserve"' if text != text.strip() else ""
            style = f' s="{q}"' if qt else ""
            out.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{body}</t></is></c>')
    return out


def _column_cells(values: pd.Series, kind: str, refs: np.ndarray, quote: np.ndarray,
                  q: int, d: int) -> np.ndarray:
    """The XML of one column's cells (a chunk of rows), vectorised; "" for a blank cell.
    ``refs`` are the cells' openings ``<c r="A2`` (reference without its closing quote)."""
    if kind == "other":
        return np.array(_other_cells(values.astype(object).tolist(), refs, quote, q, d), dtype=_S)
    head = np.strings.add(refs, '"')
    if kind in ("int", "float", "bool"):
        arr = values.to_numpy()
        if kind == "bool":
            return np.strings.add(np.strings.add(head, ' t="b"><v>'),
                                  np.strings.add(arr.astype(np.int8).astype(_S), "</v></c>"))
        if kind == "int":  # years, ranks: few distinct values, each formatted once
            uniq, inverse = np.unique(arr, return_inverse=True)
            text = uniq.astype(_S)[inverse.reshape(-1)]
        else:
            text = arr.astype(_S)
        cells = np.strings.add(np.strings.add(head, "><v>"), np.strings.add(text, "</v></c>"))
        if kind == "float":
            inf = np.isinf(arr)
            if inf.any():  # as pandas' inf_rep: the text "inf" / "-inf"
                cells[inf] = np.strings.add(head[inf], np.where(
                    arr[inf] > 0, ' t="inlineStr"><is><t>inf</t></is></c>',
                    ' t="inlineStr"><is><t>-inf</t></is></c>'))
            cells[np.isnan(arr)] = ""
        return cells
    # text repeats (region codes, indicator ids): escape each distinct text once
    codes, uniques = pd.factorize(values.astype(object).to_numpy(), use_na_sentinel=True)
    text_u = np.asarray([str(u) for u in uniques], dtype=_S)
    body_u = _text_xml(text_u)
    space_u = np.strings.isspace(np.strings.slice(text_u, 0, 1)) | \
        np.strings.isspace(np.strings.slice(text_u, -1, None))
    empty_u = np.strings.str_len(text_u) == 0
    take = np.where(codes < 0, 0, codes)
    blank = (codes < 0) | (empty_u[take] if uniques.size else True)
    style = np.where(quote, f' s="{q}"', "").astype(_S)
    open_t = np.where(space_u[take] if uniques.size else False,
                      ' t="inlineStr"><is><t xml:space="preserve">',
                      ' t="inlineStr"><is><t>').astype(_S)
    body = body_u[take] if uniques.size else np.full(len(values), "", dtype=_S)
    cells = np.strings.add(np.strings.add(np.strings.add(head, style), open_t),
                           np.strings.add(body, "</t></is></c>"))
    cells[blank] = ""
    return cells


def _text_hits(values: pd.Series, pattern: re.Pattern, exact: tuple[str, ...] = ()
               ) -> np.ndarray:
    """True where the value is text matching ``pattern`` at its start or equal to one of
    ``exact`` (the rule of :func:`urbanrural.data.writers.neutralize_formula`), tested once per
    distinct value."""
    if values.dtype.kind in "iufb":
        return np.zeros(len(values), dtype=bool)
    codes, uniques = pd.factorize(values.astype(object).to_numpy(), use_na_sentinel=True)
    hit_u = np.array([isinstance(u, str) and (bool(pattern.match(u)) or u in exact)
                      for u in uniques] + [False], dtype=bool)
    return hit_u[codes]  # code −1 (missing) takes the last entry, False


def _quote_mask(frame: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
    """Cells and header positions written with the quote prefix: formula-like text and texts
    Excel would read as an error value (as the openpyxl writer of this package did)."""
    from ..data.writers import _EXCEL_ERROR_TEXTS, _FORMULA_RE

    mask = np.zeros(frame.shape, dtype=bool)
    for j in range(frame.shape[1]):
        mask[:, j] = _text_hits(frame.iloc[:, j], _FORMULA_RE, _EXCEL_ERROR_TEXTS)
    heads = [j for j, c in enumerate(frame.columns)
             if isinstance(c, str) and (_FORMULA_RE.match(c) or c in _EXCEL_ERROR_TEXTS)]
    return mask, heads


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """:func:`urbanrural.data.writers.write_csv` byte for byte (UTF-8 with BOM, CRLF, fields a
    spreadsheet would evaluate prefixed with ``'``), testing each distinct text once."""
    from ..data.writers import _FORMULA_RE, neutralize_formula

    out = frame
    for j in range(frame.shape[1]):
        hits = _text_hits(frame.iloc[:, j], _FORMULA_RE)
        if hits.any():
            if out is frame:
                out = frame.copy()
            col = out.iloc[:, j].astype(object).copy()
            rows = np.flatnonzero(hits)
            col.iloc[rows] = "'" + col.iloc[rows].astype(str)
            out.isetitem(int(j), col)
    if any(isinstance(c, str) and _FORMULA_RE.match(c) for c in frame.columns):
        out = out if out is not frame else frame.copy()
        out.columns = [neutralize_formula(c) for c in frame.columns]
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _check_text(frame: pd.DataFrame, sheet: str) -> None:
    """:func:`check_excel_text`, which names the first bad cell, run only when a distinct
    text holds a control character (checking each distinct text once)."""
    from ..data.writers import _XLSX_ILLEGAL_RE

    bad = any(_text_hits(frame.iloc[:, j], _XLSX_ILLEGAL_RE).any()
              for j in range(frame.shape[1]))
    if bad or any(isinstance(c, str) and _XLSX_ILLEGAL_RE.match(c) for c in frame.columns):
        check_excel_text(frame, sheet)


def _sheet_rows(frame: pd.DataFrame, q: int, d: int):
    """The sheet's rows as XML, in chunks (header first): memory is that of one chunk."""
    letters = [_col_letters(j) for j in range(frame.shape[1])]
    mask, heads = _quote_mask(frame)
    header = pd.Series([str(c) for c in frame.columns], dtype=object)
    head_quote = np.isin(np.arange(frame.shape[1]), heads)
    head_cells = _column_cells(header, "text", np.array([f'<c r="{c}1' for c in letters],
                                                        dtype=_S), head_quote, q, d)
    yield '<row r="1">' + "".join(head_cells.tolist()) + "</row>"
    kinds = [_cell_kind(frame.iloc[:, j]) for j in range(frame.shape[1])]
    for lo in range(0, len(frame), _CHUNK_ROWS):
        hi = min(len(frame), lo + _CHUNK_ROWS)
        rows = np.arange(lo + 2, hi + 2).astype(_S)
        xml = np.strings.add(np.strings.add('<row r="', rows), '">')
        for j, kind in enumerate(kinds):
            refs = np.strings.add(f'<c r="{letters[j]}', rows)
            xml = np.strings.add(xml, _column_cells(frame.iloc[lo:hi, j], kind, refs,
                                                    mask[lo:hi, j], q, d))
        yield "".join(np.strings.add(xml, "</row>").tolist())


def _fill_workbook(skeleton: Path, target: Path, parts: list[pd.DataFrame], q: int, d: int,
                   level: int) -> None:
    """Copy the workbook XlsxWriter wrote with empty sheets into ``target``, streaming the
    rows of ``parts[i]`` into sheet i + 1."""
    import zipfile

    with zipfile.ZipFile(skeleton) as zin, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if not m:
                zout.writestr(info, data)
                continue
            frame = parts[int(m.group(1)) - 1]
            xml = data.decode("utf-8")
            last = f"{_col_letters(max(frame.shape[1], 1) - 1)}{len(frame) + 1}"
            xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', xml, count=1)
            before, after = xml.split("<sheetData/>", 1)
            with zout.open(info.filename, "w", force_zip64=True) as fh:
                fh.write((before + "<sheetData>").encode("utf-8"))
                for chunk in _sheet_rows(frame, q, d):
                    fh.write(chunk.encode("utf-8"))
                fh.write(("</sheetData>" + after).encode("utf-8"))


def _split_plan(tables: Mapping[str, pd.DataFrame], limit: int):
    """(table name, part number, first row, last row) for every sheet to write; a table over
    ``limit`` rows becomes several parts."""
    plan = []
    for name, frame in tables.items():
        n = len(frame)
        parts = max(1, -(-n // limit))
        for k in range(parts):
            plan.append((name, k + 1, k * limit, min(n, (k + 1) * limit), parts))
    return plan


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path, *,
                 workbook: str | None = "tables.xlsx",
                 sheet_titles: dict[str, str] | None = None, csv: bool = True,
                 parquet: bool = False,
                 labels: Mapping[str, Mapping[str, str]] | None = None,
                 units: Mapping[str, Mapping[str, str]] | None = None) -> list[Path]:
    """One CSV per table (UTF-8 with BOM, CRLF, machine-readable headers), optionally one
    Parquet file per table, and one Excel workbook with a sheet per table and bilingual
    headers. Returns the files written.

    Everything is written to a temporary name first and renamed at the end, so a failure
    leaves no partial output behind. The workbook is streamed (see the module docstring).

    No cell or field is a live formula: text starting with ``=``, ``+``, ``-``, ``@``, tab or
    CR is prefixed with ``'`` in the CSV files (headers included) and written as a text cell
    with the quote prefix in the workbook; numbers are untouched. Sheet names are
    ``sheet_titles[name]`` (default the table name) made valid and unique by
    :func:`excel_sheet_names`, CSV file names come from :func:`csv_file_names`; both keep
    names that are already valid.

    Headers come from :func:`header_for`: ``labels[name]`` and ``units[name]`` are table
    ``name``'s own Chinese labels and units (column → text), which win over the vocabulary.

    A table with more rows than :data:`EXCEL_MAX_DATA_ROWS` (Excel's limit) is split into
    consecutive sheets (``<sheet>_2``, ``<sheet>_3``, … after the first), and a last sheet
    ``split_tables`` lists each part's table, sheet and rows, in Chinese and English.

    Parameters
    ----------
    tables : table name → frame.
    out_dir : the folder to write into.
    workbook : the workbook's file name; None writes no workbook (large runs: CSV/Parquet).
    sheet_titles : wished-for sheet title per table.
    csv : write the CSV files.
    parquet : write ``<name>.parquet`` per table too (machine-readable column names, the
        types kept; the file names follow the CSV names).
    labels, units : per table, Chinese labels and units of its columns.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> out = write_tables({"scores": pd.DataFrame({"year": [2020], "x": ["=1+1"]})},
    ...                    tempfile.mkdtemp(), workbook="t.xlsx")
    >>> sorted(p.name for p in out)
    ['scores.csv', 't.xlsx']
    """
    import xlsxwriter

    labels, units = labels or {}, units or {}
    labelled = {name: bilingual_columns(frame, labels=labels.get(name), units=units.get(name))
                for name, frame in tables.items()}
    plan = _split_plan(labelled, EXCEL_MAX_DATA_ROWS) if workbook else []
    titles = dict(sheet_titles or {})
    part_keys = [(name, k) for name, k, *_ in plan]
    part_titles = {(name, k): str(titles.get(name, name)) if k == 1 else
                   f"{titles.get(name, name)}_{k}" for name, k in part_keys}
    split = any(parts > 1 for *_, parts in plan)
    if split:
        part_titles[(SPLIT_SHEET, 0)] = SPLIT_SHEET
    sheets = excel_sheet_names(list(part_titles), titles=part_titles)
    if workbook:
        for name, frame in labelled.items():  # before anything is written
            _check_text(frame, sheets[(name, 1)])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pending: list[tuple[Path, Path]] = []
    files = csv_file_names(tables) if (csv or parquet) else {}
    try:
        for name, frame in (tables.items() if csv else ()):
            tmp = out / f".{files[name]}.tmp"
            pending.append((tmp, out / files[name]))
            _write_csv(frame, tmp)
        for name, frame in (tables.items() if parquet else ()):
            stem = files[name][:-len(".csv")]
            tmp = out / f".{stem}.parquet.tmp"
            pending.append((tmp, out / f"{stem}.parquet"))
            frame.to_parquet(tmp, index=False)
        if workbook:
            tmp_xlsx = out / f".{workbook}.tmp"
            skeleton = out / f".{workbook}.skeleton.tmp"
            pending.append((tmp_xlsx, out / workbook))
            pending.append((skeleton, None))
            wb = xlsxwriter.Workbook(str(skeleton))
            try:
                quote = wb.add_format({"quote_prefix": True})
                date = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
                q, d = quote._get_xf_index(), date._get_xf_index()  # registered before use
                parts = []
                for name, k, lo, hi, _ in plan:
                    frame = labelled[name].iloc[lo:hi] if split else labelled[name]
                    ws = wb.add_worksheet(sheets[(name, k)])
                    for j in range(frame.shape[1]):
                        # XlsxWriter adds Excel's 5-pixel cell padding (5/7 of a character)
                        # to the width it stores; taking it off stores the width as before
                        ws.set_column(j, j, _column_width(frame.columns[j], frame.iloc[:, j])
                                      - 5 / 7)
                    ws.freeze_panes(1, 0)
                    parts.append(frame)
                if split:
                    note = _split_note(plan, sheets, files)
                    ws = wb.add_worksheet(sheets[(SPLIT_SHEET, 0)])
                    for j in range(note.shape[1]):
                        ws.set_column(j, j, _column_width(note.columns[j], note.iloc[:, j]) - 5 / 7)
                    ws.freeze_panes(1, 0)
                    parts.append(note)
            finally:
                wb.close()
            cells = sum(p.size for p in parts)
            _fill_workbook(skeleton, tmp_xlsx, parts, q, d, 1 if cells > 1_000_000 else 6)
            skeleton.unlink()
    except BaseException:
        for tmp, _ in pending:  # only the temporary files this call created
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        if final is not None:
            tmp.replace(final)
            written.append(final)
    return written


def _split_note(plan, sheets, files) -> pd.DataFrame:
    """The ``split_tables`` sheet: which rows of which table each sheet holds."""
    rows = []
    for name, k, lo, hi, parts in plan:
        if parts == 1:
            continue
        whole = files.get(name)
        rows.append({
            "表 table": name, "工作表 sheet": sheets[(name, k)],
            "部分 part": f"{k}/{parts}", "首行 first row": lo + 1, "末行 last row": hi,
            "说明 note": (f"表格超过 Excel 的 {EXCEL_MAX_DATA_ROWS:,} 行上限，分{parts}张工作表"
                        f"保存{'；完整表格见 ' + whole if whole else ''} / the table exceeds "
                        f"Excel's limit of {EXCEL_MAX_DATA_ROWS:,} rows and is split across "
                        f"{parts} sheets{'; the whole table is in ' + whole if whole else ''}")})
    return pd.DataFrame(rows)
