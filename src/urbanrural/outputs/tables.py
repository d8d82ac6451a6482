"""Write result tables as CSV files and one Excel workbook with bilingual headers.

Labels come from users' files and frameworks, so none of them may become a live formula: CSV
fields and headers a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab, CR at the
start) get a leading apostrophe and the workbook stores them as text cells, by the same rule as
the data writers (:func:`urbanrural.data.writers.neutralize_formula`). Sheet names are made
valid and unique for Excel (:func:`urbanrural.data.writers.excel_sheet_names`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..data.writers import check_excel_text, excel_sheet_names, write_csv, write_excel_sheet
from .labels import VOCABULARY, header

__all__ = ["COLUMN_LABELS", "bilingual_columns", "csv_file_names", "excel_sheet_names",
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


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path, *,
                 workbook: str = "tables.xlsx",
                 sheet_titles: dict[str, str] | None = None, csv: bool = True,
                 labels: Mapping[str, Mapping[str, str]] | None = None,
                 units: Mapping[str, Mapping[str, str]] | None = None) -> list[Path]:
    """One CSV per table (UTF-8 with BOM, CRLF, machine-readable headers) and one Excel workbook
    with a sheet per table and bilingual headers. Returns the files written.

    Everything is written to a temporary name first and renamed at the end, so a failure
    leaves no partial output behind.

    No cell or field is a live formula: text starting with ``=``, ``+``, ``-``, ``@``, tab or
    CR is prefixed with ``'`` in the CSV files (headers included) and written as a text cell
    in the workbook; numbers are untouched. Sheet names are ``sheet_titles[name]`` (default
    the table name) made valid and unique by :func:`excel_sheet_names`, CSV file names come
    from :func:`csv_file_names`; both keep names that are already valid.

    Headers come from :func:`header_for`: ``labels[name]`` and ``units[name]`` are table
    ``name``'s own Chinese labels and units (column → text), which win over the vocabulary.
    """
    sheets = excel_sheet_names(tables, titles=sheet_titles)
    labels, units = labels or {}, units or {}
    labelled = {name: bilingual_columns(frame, labels=labels.get(name), units=units.get(name))
                for name, frame in tables.items()}
    for name, frame in labelled.items():  # before anything is written
        check_excel_text(frame, sheets[name])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pending: list[tuple[Path, Path]] = []
    files = csv_file_names(tables) if csv else {}
    tmp_xlsx = out / f".{workbook}.tmp"
    try:
        for name, frame in (tables.items() if csv else ()):
            tmp = out / f".{files[name]}.tmp"
            pending.append((tmp, out / files[name]))
            write_csv(frame, tmp)
        pending.append((tmp_xlsx, out / workbook))
        with pd.ExcelWriter(tmp_xlsx, engine="openpyxl") as xw:
            for name, frame in labelled.items():
                ws = write_excel_sheet(xw, frame, sheets[name])
                for col in ws.columns:
                    width = max(len(str(c.value)) if c.value is not None else 0
                                for c in col[:200])
                    ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 48)
                ws.freeze_panes = "A2"
    except BaseException:
        for tmp, _ in pending:  # only the temporary files this call created
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        tmp.replace(final)
        written.append(final)
    return written
