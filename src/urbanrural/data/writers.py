"""Write a Panel to CSV, Excel or Parquet, long or wide, so that :func:`read` gets it back.

* CSV is written as UTF-8 with a byte-order mark, which Excel needs to show Chinese text.
* Excel workbooks carry the data sheet plus ``indicators`` (metadata) and ``regions`` sheets.
* Parquet keeps indicator metadata and provenance in the file's schema metadata.

No label becomes a live formula in a spreadsheet (CSV or formula injection, OWASP; CWE-1236).
A text field that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL is
what Excel, LibreOffice and Google Sheets evaluate, so every writer of this package (here and
:mod:`urbanrural.outputs.tables`) goes through the same rule, :func:`neutralize_formula`:

* CSV: such a field gets a leading apostrophe ``'`` (the OWASP advice), header row included,
  and lines end in CRLF so that a carriage return inside a field is always quoted.
* Excel: the text is kept verbatim but written as a text cell (an inline string, never a
  ``<f>`` formula element) with the ``quotePrefix`` style of ECMA-376 Part 1 §18.8.45, which
  is what Excel itself stores when a user types ``'=1+1``; the cell stays text even after
  editing and reads back unchanged.
* Parquet is not a spreadsheet format: values are kept verbatim.

Numbers are never touched (a negative value stays a number), nor is text that is just a
number such as ``"-1.5"``: a spreadsheet reads that as a number, not as a formula.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, Issue
from .panel import Panel

__all__ = ["write", "to_layout", "neutralize_formula", "neutralize_frame", "write_csv",
           "check_excel_text", "write_excel_sheet", "excel_sheet_names", "FORMULA_TRIGGERS"]

LAYOUTS = ("long", "wide_years", "wide_indicators")

# first characters that make a spreadsheet evaluate a field (OWASP CSV injection; ASVS 1.2.10
# adds NUL)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
# a trigger at the start, unless the whole text is a plain number ("-1.5", "+3", "-2e3"):
# those are read as numbers, not formulas, and prefixing them would turn numbers into text
_FORMULA_RE = re.compile(r"(?![+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z)[=+\-@\t\r\x00]")
# texts openpyxl would store as an Excel error value instead of text
_EXCEL_ERROR_TEXTS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
# text holding a control character an xlsx file cannot store (openpyxl's ILLEGAL_CHARACTERS_RE),
# written as a pattern that matches from the start like the formula pattern
_XLSX_ILLEGAL_RE = re.compile(r"(?s).*?[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel sheet names: at most 31 characters, none of these, no apostrophe at either end
_SHEET_FORBIDDEN_RE = re.compile(r"[\\/?*\[\]:\x00-\x1f\x7f]+")
_SHEET_MAX = 31
_SHEET_RESERVED = ("history",)  # Excel refuses a sheet called History


def neutralize_formula(value):
    """``value`` made safe for a CSV field: the rule every writer of this package follows.

    Parameters
    ----------
    value : any cell value.

    Returns
    -------
    ``"'" + value`` when ``value`` is text starting with ``=``, ``+``, ``-``, ``@``, tab, CR
    or NUL that is not just a number; ``value`` itself otherwise (numbers, missing values,
    other text).

    Examples
    --------
    >>> neutralize_formula("=1+1"), neutralize_formula("-2+3"), neutralize_formula("-1.5")
    ("'=1+1", "'-2+3", '-1.5')
    >>> neutralize_formula(-1.5)
    -1.5
    """
    if isinstance(value, str) and _FORMULA_RE.match(value):
        return "'" + value
    return value


def _text_mask(values: pd.Series, pattern: re.Pattern | None = None,
               exact: tuple[str, ...] = ()) -> np.ndarray:
    """True where an element is text matching ``pattern`` at its start (or equal to one of
    ``exact``); numbers, missing values and other objects are never selected."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = pd.Series(values.cat.categories)
        hit = np.append(_text_mask(cats, pattern, exact), False)  # code -1: missing
        return hit[values.cat.codes.to_numpy()]
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("string", "mixed", "mixed-integer"):
        return np.zeros(len(values), dtype=bool)
    text = values.astype(object)
    hit = np.zeros(len(values), dtype=bool)
    if pattern is not None:
        hit |= text.str.match(pattern, na=False).to_numpy(dtype=bool)
    if exact:
        is_text = text.str.len().notna().to_numpy()  # .str gives NaN for non-strings
        hit |= is_text & text.isin(exact).to_numpy()
    return hit


def _formula_positions(frame: pd.DataFrame, pattern: re.Pattern = _FORMULA_RE,
                       exact: tuple[str, ...] = ()) -> tuple[np.ndarray, list[int]]:
    """A (rows × columns) mask of the data cells whose text matches (or equals one of
    ``exact``), and the positions of the matching column headers."""
    if frame.shape[1] == 0:
        return np.zeros((frame.shape[0], 0), dtype=bool), []
    mask = np.column_stack([_text_mask(frame.iloc[:, j], pattern, exact)
                            for j in range(frame.shape[1])])
    heads = [j for j, c in enumerate(frame.columns)
             if isinstance(c, str) and (pattern.match(c) or c in exact)]
    return mask, heads


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready for a CSV file: every text field and column header a spreadsheet
    would evaluate gets a leading apostrophe (:func:`neutralize_formula`), found with
    vectorised string matching, column by column.

    Parameters
    ----------
    frame : the table; it is not modified.

    Returns
    -------
    pandas.DataFrame
        a copy with those fields prefixed (columns holding one become object columns), or
        ``frame`` itself when nothing needed it. Numbers are not touched; the index is left
        as it is (the writers of this package do not write it).
    """
    mask, heads = _formula_positions(frame)
    if not mask.any() and not heads:
        return frame
    out = frame.copy()
    for j in np.flatnonzero(mask.any(axis=0)):
        # as plain objects: a categorical could get two equal categories ("=a" and "'=a")
        col = out.iloc[:, j].astype(object).copy()
        rows = np.flatnonzero(mask[:, j])
        col.iloc[rows] = "'" + col.iloc[rows].astype(str)
        out.isetitem(int(j), col)
    if heads:
        out.columns = [neutralize_formula(c) for c in frame.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (without its index) as a CSV file that spreadsheets open safely.

    UTF-8 with a byte-order mark (Excel needs it for Chinese text), fields a spreadsheet would
    evaluate prefixed with ``'`` (:func:`neutralize_frame`), and CRLF line ends as in RFC 4180:
    Python's CSV writer quotes a field holding a line-end character only when that character is
    part of the line terminator, and a bare CR left unquoted would start a new row in Excel, so
    that the text after it (``"a\\r=1"`` → ``=1``) would become a formula.

    Parameters
    ----------
    frame : the table.
    path : the file to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    neutralize_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def check_excel_text(frame: pd.DataFrame, sheet_name: str) -> None:
    """Make sure every text of ``frame`` can be stored in an xlsx file.

    Parameters
    ----------
    frame : the table as it will be written (header on row 1, data from row 2).
    sheet_name : the sheet it goes to, named in the error.

    Raises
    ------
    DataError
        naming the sheet, row and column of the first text holding a control character
        (U+0000–U+001F other than tab, LF and CR), which the xlsx format cannot store.
    """
    bad, bad_heads = _formula_positions(frame, _XLSX_ILLEGAL_RE)
    if not bad.any() and not bad_heads:
        return
    if bad_heads:
        row, j, value = 1, bad_heads[0], frame.columns[bad_heads[0]]
    else:
        i, j = (int(x[0]) for x in np.nonzero(bad))
        row, value = i + 2, frame.iat[i, j]
    raise DataError(Issue(
        "text holds a control character an Excel file cannot store 文本含有 Excel 文件无法保存的"
        "控制字符", file=f"sheet {sheet_name!r}", row=row, column=str(frame.columns[j]),
        value=str(value)))


def write_excel_sheet(xw: pd.ExcelWriter, frame: pd.DataFrame, sheet_name: str):
    """Write ``frame`` (without its index) to a sheet of an openpyxl ``ExcelWriter`` so that
    no cell is a formula, and return the worksheet.

    pandas hands text to openpyxl, which makes any text starting with ``=`` a formula and
    texts like ``#N/A`` error values. The cells holding formula-like text (see
    :func:`neutralize_formula`) or such error texts are turned back into text cells with the
    ``quotePrefix`` style; their text is kept verbatim. Only those cells are visited.

    Parameters
    ----------
    xw : an open ``pandas.ExcelWriter`` with the openpyxl engine.
    frame : the table; header on row 1, data from row 2.
    sheet_name : a valid sheet name (see :func:`excel_sheet_names`).

    Returns
    -------
    openpyxl.worksheet.worksheet.Worksheet
        the sheet written.

    Raises
    ------
    DataError
        when a text holds a control character an xlsx file cannot store (see
        :func:`check_excel_text`; call that before opening the writer, since a writer closed
        on an error with no sheet written raises an error of its own).
    """
    check_excel_text(frame, sheet_name)
    frame.to_excel(xw, sheet_name=sheet_name, index=False)
    ws = xw.sheets[sheet_name]
    mask, heads = _formula_positions(frame, exact=_EXCEL_ERROR_TEXTS)
    # data start on row 2 below the header row; openpyxl counts from 1
    rows, cols = np.nonzero(mask)
    cells = [(1, j + 1) for j in heads] + list(zip((rows + 2).tolist(), (cols + 1).tolist(),
                                                    strict=True))
    for row, col in cells:
        cell = ws.cell(row=row, column=col)
        cell.data_type = "s"  # written as an inline string, never as <f>
        cell.quotePrefix = True
    return ws


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # Excel counts UTF-16 code units


def _fit(text: str, limit: int) -> str:
    while _utf16_len(text) > limit:
        text = text[:-1]
    return text


def _valid_sheet_name(name: str) -> bool:
    return (bool(name) and _utf16_len(name) <= _SHEET_MAX and not _SHEET_FORBIDDEN_RE.search(name)
            and not name.startswith("'") and not name.endswith("'")
            and name.lower() not in _SHEET_RESERVED)


def _clean_sheet_name(name: str) -> str:
    text = _SHEET_FORBIDDEN_RE.sub("_", name).strip().strip("'").strip()
    text = _fit(text, _SHEET_MAX).rstrip().rstrip("'")
    return text or "sheet"


def excel_sheet_names(names: Iterable[str], *, titles: Mapping[str, str] | None = None
                      ) -> dict[str, str]:
    """A valid, unique Excel sheet name for every table name.

    The title of a table is ``titles[name]`` when given, else the name. A title that already
    is a valid sheet name and not taken keeps it, so applying this to its own result changes
    nothing. Any other title has each run of ``\\ / ? * [ ] :`` and control characters
    replaced by ``_``, apostrophes at either end removed and is cut to 31 characters (UTF-16
    units, as Excel counts); if that name is taken (case-insensitively, as in Excel) it gets the
    first free suffix ``_2``, ``_3``, ... within the 31 characters. Same input, same names.

    Parameters
    ----------
    names : table names, in workbook order.
    titles : optional wished-for sheet title per table name.

    Returns
    -------
    dict
        table name → sheet name, in the order of ``names``.

    Examples
    --------
    >>> excel_sheet_names(["a/b[c]:*?d", "a_b_c_d", "scores"])
    {'a/b[c]:*?d': 'a_b_c_d_2', 'a_b_c_d': 'a_b_c_d', 'scores': 'scores'}
    """
    names = list(dict.fromkeys(names))
    titles = dict(titles or {})
    wanted = {n: str(titles.get(n, n)) for n in names}
    out: dict[str, str] = {}
    used: set[str] = set()
    for n in names:  # first the titles that are valid as they are
        t = wanted[n]
        if _valid_sheet_name(t) and t.lower() not in used:
            out[n] = t
            used.add(t.lower())
    for n in names:
        if n in out:
            continue
        base = _clean_sheet_name(wanted[n])
        name, k = base, 1
        while name.lower() in used or name.lower() in _SHEET_RESERVED:
            k += 1
            suffix = f"_{k}"
            name = _fit(base, _SHEET_MAX - len(suffix)).rstrip().rstrip("'") + suffix
        out[n] = name
        used.add(name.lower())
    return {n: out[n] for n in names}


def _head(ind_id: str, unit: str) -> str:
    return f"{ind_id}({unit})" if unit else ind_id


def to_layout(panel: Panel, layout: str = "long", lang: str = "zh") -> pd.DataFrame:
    """The panel as a table in one of the layouts :func:`read` understands."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    long = panel.to_frame(lang, unit=True)
    if layout == "long":
        return long
    if layout == "wide_years":
        w = long.pivot_table(index=["region_code", "region", "indicator", "unit"],
                             columns="year", values="value", aggfunc="first")
        w.columns = [str(c) for c in w.columns]
        return w.reset_index()
    units = {k: v.unit for k, v in panel.indicators.items()}
    w = long.pivot_table(index=["region_code", "region", "year"], columns="indicator",
                         values="value", aggfunc="first")
    w.columns = [_head(c, units.get(c, "")) for c in w.columns]
    return w.reset_index()


def write(panel: Panel, path: str | Path, *, layout: str = "long", lang: str = "zh") -> Path:
    """Write ``panel`` to ``path``; the format follows the suffix (.csv, .xlsx, .parquet).

    CSV and Excel output never holds a live formula (see the module docstring): in CSV a label
    such as ``=1+1`` is written ``'=1+1``, in Excel it is a text cell. Parquet keeps every
    value verbatim, since it is not opened by spreadsheets.

    Parameters
    ----------
    panel : Panel
        The panel to write.
    path : str or pathlib.Path
        The file; its folder is created if needed. The suffix (.csv, .xlsx, .parquet) picks
        the format.
    layout : {"long", "wide_years", "wide_indicators"}, default "long"
        One row per value; one row per region and indicator with a column per year; or one
        row per region-year with a column per indicator (headed ``id(unit)``).
    lang : {"zh", "en"}, default "zh"
        Language of the region names.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    Written and read back, the values are the same:

    >>> import tempfile, pathlib
    >>> import urbanrural as ur
    >>> p = ur.load_dataset("china_national").select(
    ...     indicators=["rural_disposable_income"], years=(2013, 2014))
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> f = write(p, folder / "income.xlsx", layout="wide_years")
    >>> f.name, ur.read(f).equals(p)
    ('income.xlsx', True)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        # the layout asked for, recorded in the file so that ``read`` reads it back
        table = pa.Table.from_pandas(to_layout(panel, layout, lang), preserve_index=False)
        info = {"indicators": {k: asdict(v) for k, v in panel.indicators.items()},
                "provenance": _jsonable(panel.provenance), "name": panel.name,
                "layout": layout}
        md = dict(table.schema.metadata or {})
        md[b"urbanrural"] = json.dumps(info, ensure_ascii=False).encode()
        pq.write_table(table.replace_schema_metadata(md), path, compression="zstd")
        return path
    table = to_layout(panel, layout, lang)
    if suffix == ".csv":
        write_csv(table, path)
    elif suffix == ".xlsx":
        regs = pd.DataFrame({"region_code": panel.regions})
        regs["name_zh"] = [panel.region_label(c, "zh") for c in panel.regions]
        regs["name_en"] = [panel.region_label(c, "en") for c in panel.regions]
        sheets = {"data": table, "indicators": panel.indicator_table().reset_index(),
                  "regions": regs}
        for name, frame in sheets.items():
            check_excel_text(frame, name)
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                write_excel_sheet(xw, frame, name)
    else:
        raise ValueError(f"unsupported output type {suffix!r}; use .csv, .xlsx or .parquet")
    return path


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=str, ensure_ascii=False))
