"""Methods and sources: every indicator's source, licence and notes, for each dataset used."""

from __future__ import annotations

from ..context import RunContext
from . import SECTIONS
from .base import SectionResult, Table

__all__ = ["run", "LICENCE_ZH"]

# The licence notes of the bundled provenance are the project's own words (not quotations of a
# source), so the Chinese view reads them in Chinese; a note not listed here (a user's file)
# is shown as recorded in both views.
LICENCE_ZH = {
    "MIT (repository)": "MIT（仓库许可）",
    "generally CC BY 3.0 IGO (not verified in the source metadata)":
        "一般为 CC BY 3.0 IGO（来源元数据中未核实）",
    "licence not stated in the source metadata; cite JMP and OWID":
        "来源元数据未注明许可；请引用 JMP 与 OWID",
    "licence not stated; OPHI asks for citation": "未注明许可；OPHI 要求引用",
    "none stated": "未注明",
    "official statistics (public yearbook pages)": "官方统计（公开的统计年鉴页面）",
    "official statistics; the repository copy states no licence": "官方统计；仓库副本未注明许可",
}


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
        t.insert(t.columns.get_loc("licence"), "licence_zh",
                 t.licence.map(LICENCE_ZH).fillna(t.licence))
        tables.append(Table(key, zh, en, t.rename(columns={"licence": "licence_en"})))
    _, _, zh, en = SECTIONS["methods"]
    return SectionResult("methods", zh, en, tuple(tables), {},
                         {"options": ctx.spec.options.__dict__})
