"""Methods and sources: every indicator's source, licence and notes, for each dataset used."""

from __future__ import annotations

from ..context import RunContext
from . import SECTIONS
from .base import SectionResult, Table

__all__ = ["run"]


def run(ctx: RunContext) -> SectionResult:
    tables = []
    for key, zh, en, panel in (("sources", "省级数据来源", "Sources: provincial data", ctx.panel()),
                               ("sources_national", "全国数据来源", "Sources: national data",
                                ctx.national()),
                               ("sources_world", "世界数据来源", "Sources: world data",
                                ctx.world())):
        if panel is None:
            continue
        t = panel.indicator_table().reset_index()[["id", "name_zh", "name_en", "unit",
                                                    "source", "licence", "notes"]]
        tables.append(Table(key, zh, en, t))
    _, _, zh, en = SECTIONS["methods"]
    return SectionResult("methods", zh, en, tuple(tables), {},
                         {"options": ctx.spec.options.__dict__})
