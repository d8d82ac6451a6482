"""Maps and charts of the provinces section: urbanisation by year on one colour scale, each
urban–rural cross-section ("no data" grey where a province lacks a side), the provincial
indices when the data fill them, and the latest year's urbanisation by province."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.registry import china
from ...pipeline.sections.base import SectionResult
from ..html import plotly_text
from ..page import PALETTE, Page, figure
from ..render import svg_map

__all__ = ["view", "fixed_breaks"]

N_CLASSES = 5
# ColorBrewer Blues without its near-white end, so the lowest class stands apart from the
# page and from the "no data" grey
COLOURS = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594")


def fixed_breaks(values, k: int = N_CLASSES) -> list[float]:
    """Class breaks at the quantiles of ``values`` pooled over every year, so one colour
    means one range in every year of the slider."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return [0.0, 1.0]
    return [float(b) for b in np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))]


def _by_year(frame: pd.DataFrame, col: str) -> dict[int, dict[str, float]]:
    """``{year: {region code: value}}`` (the slider runs over the years in order)."""
    return {int(y): dict(zip(g.region_code.astype(str), g[col].astype(float), strict=True))
            for y, g in frame.sort_values("year").groupby("year")}


def _names(frame: pd.DataFrame | None = None) -> dict[str, tuple[str, str]]:
    """Bilingual names of every region of the map (the registry's), and of any region of the
    data outside it (the table's)."""
    reg = china()
    names = {c: (reg.label(c, "zh"), reg.label(c, "en")) for c in reg.codes("province")}
    if frame is not None and len(frame):
        for c, zh, en in zip(frame.region_code, frame.region_zh, frame.region_en, strict=True):
            names.setdefault(str(c), (str(zh), str(en)))
    return names


MAX_BARS = 40  # more regions than this (counties) are shown as the 15 lowest and 15 highest
SHOWN_AT_EACH_END = 15


def _bar(latest: pd.DataFrame, year: int) -> tuple[dict, dict]:
    """Urbanisation of the latest year, one bar per province, most urbanised on top (the
    Chinese figure names provinces in Chinese, the English one in English); with more than
    :data:`MAX_BARS` regions, the lowest and highest :data:`SHOWN_AT_EACH_END`."""
    d = latest.sort_values("urbanisation", kind="stable")
    if len(d) > MAX_BARS:
        d = pd.concat([d.head(SHOWN_AT_EACH_END), d.tail(SHOWN_AT_EACH_END)])
    axis = {"automargin": True, "type": "category", "tickfont": {"size": 11}}
    figs = []
    for lang, col in enumerate(("region_zh", "region_en")):
        trace = {"type": "bar", "orientation": "h",
                 "x": [round(float(x), 2) for x in d.urbanisation],
                 "y": [plotly_text(n) for n in d[col]], "name": ("城镇化率", "urbanisation rate"),
                 "marker": {"color": PALETTE[0]}, "texttemplate": "%{x:.1f}",
                 "textposition": "outside", "cliponaxis": False,
                 "hovertemplate": "%{y}: %{x:.2f} %<extra></extra>"}
        # the heading above the chart names it, as the maps' headings do
        fig = figure([trace], title=("", ""),
                     x=("城镇化率（%）", "urbanisation rate (%)"), years_on_x=False,
                     height=max(420, 22 * len(d) + 110), showlegend=False,
                     yaxis=(dict(axis), dict(axis)),
                     margin={"l": 10, "r": 36, "t": 30, "b": 40})[lang]
        fig["layout"]["xaxis"]["range"] = [0, 100]
        figs.append(fig)
    return figs[0], figs[1]


def view(result: SectionResult, page: Page) -> dict:
    v: dict = {"xsec_maps": [], "index_maps": {}}
    svg = svg_map(china().geometry())
    urb = result.table("prov_urbanisation").frame
    if len(urb):
        v["urban_breaks"] = fixed_breaks(urb.urbanisation)
        v["urban_map"] = page.map("provinces-urbanisation", _by_year(urb, "urbanisation"),
                                  names=_names(urb), unit=("城镇化率，%", "urbanisation rate, %"),
                                  svg=svg, breaks=v["urban_breaks"], colours=COLOURS,
                                  digits=1)
        last = int(urb.year.max())
        v["urban_map_years"] = (int(urb.year.min()), last)
        latest = urb[urb.year == last]
        v["urban_chart"] = page.chart("provinces-urbanisation-latest", _bar(latest, last))
        v["urban_chart_ends"] = SHOWN_AT_EACH_END if len(latest) > MAX_BARS else None
        v["urban_chart_n"] = len(latest)
    xs = result.table("prov_cross_sections").frame
    for pair, sub in xs.groupby("pair", sort=False):
        years = sorted(int(y) for y in sub.year.unique())
        span = str(years[0]) if len(years) == 1 else f"{years[0]}—{years[-1]}"
        span_en = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
        first = sub.iloc[0]
        what_zh = "城镇/农村" if first.kind == "ratio" else "农村减城镇"
        what_en = "urban / rural" if first.kind == "ratio" else "rural minus urban"
        v["xsec_maps"].append({
            "pair": pair, "years": years,
            "title_zh": f"{first.name_zh}，{span}年（{first.concept_zh}）",
            "title_en": f"{first.name_en}, {span_en} ({first.concept_en})",
            "map": page.map(f"provinces-{pair}", _by_year(sub, "value"), names=_names(sub),
                            unit=(f"{what_zh}，{first.unit_zh}", f"{what_en}, {first.unit_en}"),
                            svg=svg, breaks=fixed_breaks(sub.value), colours=COLOURS,
                            digits=2 if first.kind == "ratio" else 1)})
    for e in result.facts["indices"]:
        if e["scores_key"] is None:
            continue
        sc = result.table(e["scores_key"]).frame
        sc = sc[sc.year.isin(e["map_years"])]  # the years that score enough provinces
        st = e["status"]
        y0, y1 = int(sc.year.min()), int(sc.year.max())
        v["index_maps"][e["framework"]] = {
            "title_zh": f"{st.name_zh}，{y0}—{y1}年", "title_en": f"{st.name_en}, {y0}–{y1}",
            "map": page.map(f"provinces-index-{e['framework']}", _by_year(sc, "total"),
                            names=_names(sc), unit=("得分（0—1）", "score (0–1)"), svg=svg,
                            breaks=fixed_breaks(sc.total), colours=COLOURS, digits=3)}
    return v
