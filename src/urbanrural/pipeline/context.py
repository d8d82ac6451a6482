"""One run's shared state: the spec, the data it loads and every result computed once.

Sections ask the context for panels and for index runs; each is computed on first request and
kept, so two sections that need the same framework share one run (no framework is run twice).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..data import DATASETS, Panel, load_dataset, read
from ..data.breaks import split_series_breaks
from ..data.errors import DataError, Issue
from .spec import AnalysisSpec

__all__ = ["RunContext", "open_source"]


def open_source(source: str) -> Panel:
    """A bundled dataset by name, or a file (CSV, Excel, Parquet, NBS export)."""
    if source in DATASETS:
        return load_dataset(source)
    p = Path(source)
    if not p.exists():
        raise DataError(Issue("neither a bundled dataset nor an existing file / 既不是内置数据集"
                              "也不是存在的文件", value=source))
    return read(p)


class RunContext:
    """Caches what the sections of one run share.

    Parameters
    ----------
    spec : the analysis spec of the run.
    progress : called with a short message as each step starts (for a progress bar).
    """

    def __init__(self, spec: AnalysisSpec, *, progress: Callable[[str], None] | None = None):
        self.spec = spec
        self.progress = progress or (lambda _msg: None)
        self._cache: dict[Any, Any] = {}
        self.fingerprints: dict[str, str] = {}
        self.breaks: dict[str, Any] = {}

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key and run."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _checked(self, role: str, panel: Panel, *, split: bool = True) -> Panel:
        fp = panel.fingerprint()
        want = self.spec.fingerprint_of(role)
        if want is not None and want != fp:
            raise DataError(Issue(
                f"the {role} changed since this analysis was written (fingerprint {fp[:12]}… ≠ "
                f"{want[:12]}…): the run cannot be reproduced from it / 数据已变化，无法复现",
                value=role))
        self.fingerprints[role] = fp
        if not split:
            return self._in_years(panel, role)
        out, applied = split_series_breaks(panel)
        self.breaks[role] = applied
        return self._in_years(out, role)

    def _in_years(self, panel: Panel, role: str) -> Panel:
        """The panel cut to the spec's years (the data's fingerprint is of the whole file)."""
        if self.spec.years is None:
            return panel
        lo, hi = self.spec.years
        keep = [y for y in panel.years if lo <= y <= hi]
        if not keep:
            raise DataError(Issue(f"the {role} hold no year in {lo}–{hi} (they cover "
                                  f"{panel.years[0]}–{panel.years[-1]}) / 所选年份范围内没有数据",
                                  value="years"))
        return panel.select(years=keep)

    def panel(self) -> Panel:
        """The provincial panel: ``data`` merged with every ``with_data``, breaks split.

        Each source is split at its documented breaks before the merge, so a user's export
        of 城镇居民人均可支配收入 (one id across 2013) meets the bundled data under the same
        split ids; a value present in two sources with different numbers is an error.
        """
        def load() -> Panel:
            import pandas as pd

            panel, applied = split_series_breaks(open_source(self.spec.data))
            splits = [applied]
            for source in self.spec.with_data:
                extra, applied = split_series_breaks(open_source(source))
                splits.append(applied)
                panel = panel.merge(extra)
            self.breaks["data"] = pd.concat(splits, ignore_index=True)
            return self._checked("data", panel, split=False)
        return self.cached("panel", load)

    def national(self) -> Panel | None:
        if not self.spec.national_data:
            return None
        return self.cached("national", lambda: self._checked(
            "national_data", open_source(self.spec.national_data)))

    def world(self) -> Panel | None:
        if not self.spec.world_data:
            return None
        return self.cached("world", lambda: self._checked(
            "world_data", open_source(self.spec.world_data)))

    def framework(self, name: str):
        from .framework import load_framework

        return self.cached(("framework", name), lambda: load_framework(name))

    def scored(self, name: str, role: str = "data"):
        """``(IndexResult or None, IndexStatus)``: the run of a framework and whether it meets
        the framework's minimum (a run the data cannot fill gives ``None`` and the reason)."""
        from .index_status import index_status

        def compute():
            fw = self.framework(name)
            try:
                res = self.index(name, role)
            except DataError as exc:
                return None, index_status(fw, None, exc)
            return res, index_status(fw, res)
        return self.cached(("scored", name, role), compute)

    def index(self, name: str, role: str = "data"):
        """The index run of framework ``name`` on the panel of ``role`` (computed once)."""
        from .index import run_index

        def compute():
            panel = {"data": self.panel, "national_data": self.national,
                     "world_data": self.world}[role]()
            self.progress(f"index {name}")
            return run_index(panel, self.framework(name))
        return self.cached(("index", name, role), compute)
