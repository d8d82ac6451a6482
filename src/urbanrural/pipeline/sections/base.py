"""What a report section returns: typed tables plus the options and claims it used.

The seam between the pipeline and the outputs is this module: a runner returns a
:class:`SectionResult`; a renderer reads it and nothing else. No string-keyed dictionary of
tables crosses the seam, and no renderer re-derives what a run used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Table", "Note", "SectionResult", "sheet_name"]

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(key: str) -> str:
    """A valid Excel sheet name for a table key (≤ 31 characters, none of ``[]:*?/\\``)."""
    name = _SHEET_BAD.sub("_", key).strip("'") or "table"
    return name[:31]


@dataclass(frozen=True)
class Table:
    """One table of a section, as written to ``results.xlsx`` (one sheet).

    ``key`` is unique within a run and becomes the sheet name (it is checked to fit Excel's
    31 characters, so two tables can never collide by truncation). ``units`` maps a column to
    its unit for the bilingual header (``"%"``, or Chinese then English: ``"百分点 pp"``).
    ``labels`` maps a column to its Chinese label in this table, for a name that means
    something else here than elsewhere (``D`` is the coupling coordination degree in a
    coupling table and Dagum's relative economic affluence in a Dagum table); it wins over
    the workbook's context-free vocabulary (:mod:`urbanrural.outputs.labels`).
    """

    key: str
    title_zh: str
    title_en: str
    frame: pd.DataFrame
    units: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if sheet_name(self.key) != self.key:
            raise ValueError(f"table key {self.key!r} is not a valid sheet name: keep keys to "
                             "31 characters without []:*?/\\")
        object.__setattr__(self, "frame", self.frame.reset_index(drop=True))

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class Note:
    """A bilingual note a section carries to its page (a caveat, a skipped part, a break)."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class SectionResult:
    """A section's results.

    Attributes
    ----------
    name : the registry name of the section.
    title_zh, title_en : its heading.
    tables : the tables it computed, in display order.
    facts : values and :class:`~urbanrural.methods.claims.Claim` objects its template reads.
    options : the options it actually used (partition, permutations, correction, years…).
    notes : caveats and what it left out, in both languages.
    skipped : a note when the section could not run at all on the data given.
    """

    name: str
    title_zh: str
    title_en: str
    tables: tuple[Table, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    skipped: Note | None = None

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(f"section {self.name!r} has no table {key!r}")

    def has(self, key: str) -> bool:
        return any(t.key == key for t in self.tables)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en
