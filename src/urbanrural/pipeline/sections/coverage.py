"""Coverage and limits: what the data hold, every series break, and what they cannot fill."""

from __future__ import annotations

import pandas as pd

from ...data.datasets import DATASETS, dataset_breaks
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["run"]


def _breaks(ctx: RunContext) -> pd.DataFrame:
    """Every documented break in the data of the run: those split when a bundled dataset was
    built, and those split in a user's file as it was read."""
    rows = []
    for source in (ctx.spec.data, ctx.spec.national_data, ctx.spec.world_data,
                   *ctx.spec.with_data):
        if source in DATASETS:
            b = dataset_breaks(source)
            if len(b):
                rows.append(b.assign(dataset=source))
    for role, applied in ctx.breaks.items():
        if len(applied):
            rows.append(applied.assign(dataset=f"{role} (user file)"))
    cols = ["dataset", "indicator", "break_year", "before_id", "after_id", "years_before",
            "years_after", "n_before", "n_after", "reason_zh", "reason_en"]
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols]


def run(ctx: RunContext) -> SectionResult:
    panel = ctx.panel()
    nat, world = ctx.national(), ctx.world()
    cov = panel.coverage().reset_index()[["indicator", "name_zh", "name_en", "unit",
                                          "first_year", "last_year", "n_years", "n_regions",
                                          "n_values", "complete", "missing_years"]]
    tables = [Table("coverage", "省级数据覆盖", "Provincial data coverage", cov)]
    if nat is not None:
        ncov = nat.coverage().reset_index()[["indicator", "name_zh", "name_en", "unit",
                                             "first_year", "last_year", "n_years", "n_values",
                                             "missing_years"]]
        tables.append(Table("coverage_national", "全国数据覆盖", "National data coverage", ncov))
    br = _breaks(ctx)
    tables.append(Table("series_breaks", "统计口径断点（已拆分为不同指标）",
                        "Series breaks (split into separate indicators)", br))
    facts = {"n_regions": len(panel.regions), "first_year": panel.years[0],
             "last_year": panel.years[-1], "n_indicators": len(panel.indicator_ids),
             "n_values": len(panel), "n_breaks": len(br),
             "national_years": (nat.years[0], nat.years[-1]) if nat is not None else None,
             "world_regions": len(world.regions) if world is not None else None,
             "data": ctx.spec.data, "with_data": list(ctx.spec.with_data)}
    notes = ()
    if panel.report is not None and not panel.report.balanced:  # pragma: no cover - a bug
        notes = (Note("行记录不平衡", "row accounting does not balance"),)
    _, _, zh, en = SECTIONS["coverage"]
    return SectionResult("coverage", zh, en, tuple(tables), facts,
                         {"data": ctx.spec.data, "with_data": list(ctx.spec.with_data)}, notes)
