"""Errors and row accounting for everything the data layer reads.

Every input row ends in exactly one of three places: it is *used*, it is *set aside* with a
reason (an empty cell, a footnote line, an identical duplicate merged away), or it is an
*error* that stops the read. :class:`ReadReport` holds that ledger so a user can see where each
row went; :class:`DataError` carries the errors in plain words (file, row, column, value,
reason).

The ledger also counts *cells*: every non-empty cell of the table read is a header or label
(metadata lines, column headers, the region / year / indicator / unit of a row), a value used,
or a cell set aside with its reason, row and column (a column the reader does not read, a
missing-value marker, an Excel error value...). A column the reader chose to leave out can
therefore never disappear without a word: its cells would not balance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["DataError", "Issue", "ReadReport", "RegionError"]


@dataclass(frozen=True)
class Issue:
    """One finding about one place in an input file.

    ``row`` is the 1-based line number in the file as a person sees it in an editor
    (header lines included), or ``None`` when the finding concerns the whole file.
    """

    reason: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        value = f" value {self.value!r}:" if self.value is not None else ""
        return f"{prefix}:{value} {self.reason}" if prefix else f"{value} {self.reason}".strip()


class DataError(ValueError):
    """Input that cannot be used as it is. ``issues`` lists every problem found.

    Examples
    --------
    >>> e = DataError([Issue("not a number", file="data.csv", row=3, column="value",
    ...                      value="n/a")])
    >>> print(e)
    problem in the input:
      data.csv, row 3, column 'value': value 'n/a': not a number
    >>> e.issues[0].row, isinstance(e, ValueError)
    (3, True)
    """

    def __init__(self, issues: list[Issue] | Issue | str, *, limit: int = 20):
        if isinstance(issues, str):
            issues = [Issue(issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        lines = [str(i) for i in self.issues[:limit]]
        more = len(self.issues) - limit
        if more > 0:
            lines.append(f"... and {more} more problem(s) of the same kinds")
        head = (
            f"{len(self.issues)} problem(s) in the input:"
            if len(self.issues) > 1
            else "problem in the input:"
        )
        super().__init__(head + "\n  " + "\n  ".join(lines))


class RegionError(DataError, KeyError):
    """A region name or code that the registry does not know.

    Examples
    --------
    >>> from urbanrural.data import china
    >>> try:
    ...     china().resolve("Atlantis")
    ... except RegionError as e:
    ...     print(isinstance(e, DataError), isinstance(e, KeyError), e.issues[0].value)
    True True Atlantis
    """

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return ValueError.__str__(self)


@dataclass
class ReadReport:
    """The ledger of one read: where every input row went.

    Attributes
    ----------
    source : the file (or object) read.
    encoding : the text encoding detected, if a text file.
    layout : the layout detected ("long", "wide_years", "wide_indicators", "nbs_export", ...).
    rows_in : data rows seen (values, for wide layouts: one per cell), plus every line or
        cell set aside whole (blank lines, footnotes, cells of columns not read).
    rows_used : values that went into the panel.
    set_aside : values, lines and cells not used, each with its reason, row and column (empty
        cells, merged duplicates, columns not read...). An entry whose ``value`` is non-empty
        stands for one non-empty input cell.
    notices : things repaired or assumed (mojibake repaired, thousands separators removed,
        identical duplicates merged, sheets not read); nothing in here changes a number.
    cells_in : non-empty cells of the table read (all its lines: metadata, header, body,
        notes), or None when the source is not a table of cells.
    cells_labels : non-empty cells read as metadata lines, column headers or row labels
        (region, year, indicator, unit).
    """

    source: str = ""
    encoding: str | None = None
    layout: str | None = None
    rows_in: int = 0
    rows_used: int = 0
    set_aside: list[Issue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    cells_in: int | None = None
    cells_labels: int = 0

    @property
    def cells_set_aside(self) -> int:
        """Non-empty input cells among the entries set aside."""
        return sum(1 for i in self.set_aside if i.value)

    @property
    def balanced(self) -> bool:
        """True when every input value is either used or set aside with a reason, and every
        non-empty input cell is a label, a value used or a cell set aside."""
        if self.rows_in != self.rows_used + len(self.set_aside):
            return False
        return self.cells_in is None or (
            self.cells_in == self.cells_labels + self.rows_used + self.cells_set_aside)

    def reasons(self) -> Counter:
        return Counter(i.reason for i in self.set_aside)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
                for i in self.set_aside
            ],
            columns=["row", "column", "value", "reason"],
        )

    def summary(self) -> str:
        lines = [
            f"source: {self.source}",
            f"layout: {self.layout}" + (f", encoding: {self.encoding}" if self.encoding else ""),
            f"values read: {self.rows_in}; used: {self.rows_used}; "
            f"set aside: {len(self.set_aside)}",
        ]
        if self.cells_in is not None:
            lines.append(f"non-empty cells: {self.cells_in} = {self.cells_labels} headers and "
                         f"labels + {self.rows_used} values used + {self.cells_set_aside} set "
                         "aside" + ("" if self.balanced else "  (DOES NOT BALANCE)"))
        for reason, n in self.reasons().most_common():
            lines.append(f"  set aside ({n}): {reason}")
        for note in self.notices:
            lines.append(f"  notice: {note}")
        return "\n".join(lines)
