"""View of the world section: China's urban and rural levels (small multiples), China's gaps
against the median country, China's coordination degree against the median, and a world map
of the latest urban–rural gap in basic sanitation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from markupsafe import Markup

from ...data import registry
from ...pipeline.sections.base import SectionResult
from ...pipeline.sections.world import PAIRS
from ..page import PALETTE, Page, figure
from ..render import svg_map

__all__ = ["view", "sanitation_breaks", "MAP_COLOURS"]

_NAMES = {p.key: (p.name_zh, p.name_en) for p in PAIRS}
# PuOr (colour-blind safe, diverging): purple where the rural side is ahead, orange where the
# urban side is ahead, darker the larger the gap
MAP_COLOURS = ["#542788", "#b2abd2", "#fee0b6", "#fdb863", "#e08214", "#b35806"]
_INNER_BREAKS = [-5.0, 0.0, 5.0, 15.0, 30.0]
# rows of the trajectory tables shown on the page (every year is in results.xlsx)
SHOWN_YEARS = (2000, 2005, 2010, 2015, 2020)


def _line(x, y, name: tuple[str, str], colour: str, *, dash: str = "solid") -> dict:
    """A line trace without the missing points (JSON has no NaN)."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    ok = np.isfinite(ys)
    return {"type": "scatter", "mode": "lines+markers", "x": [int(v) for v in xs[ok]],
            "y": [float(v) for v in ys[ok]], "name": name,
            "line": {"color": colour, "dash": dash, "width": 2}, "marker": {"size": 4}}


def _left_title(figs: tuple[dict, dict]) -> tuple[dict, dict]:
    """Titles on the left, clear of Plotly's mode bar on the right of narrow charts."""
    for fig in figs:
        fig["layout"]["title"].update({"x": 0.01, "xanchor": "left"})
    return figs


def sanitation_breaks(values: np.ndarray) -> list[float]:
    """Class breaks of the sanitation-gap map: fixed inner breaks around parity (−5, 0, 5, 15,
    30 percentage points) and outer bounds that cover every value."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo = min(math.floor(v.min() / 5) * 5, -10.0) if v.size else -10.0
    hi = max(math.ceil(v.max() / 10) * 10, 40.0) if v.size else 40.0
    return [float(lo), *_INNER_BREAKS, float(hi)]


def _shown_rows(frame: pd.DataFrame) -> list[int]:
    years = frame["year"].astype(int).tolist()
    want = set(SHOWN_YEARS) | ({years[0], years[-1]} if years else set())
    return [i for i, y in enumerate(years) if y in want]


def view(result: SectionResult, page: Page) -> dict:
    f = result.facts
    traj = result.table("world_china_gaps").frame
    years = traj["year"].to_numpy()
    level_charts = []
    for key in f["series_pairs"]:
        zh, en = _NAMES[key]
        figs = figure([
            _line(years, traj[f"{key}_urban"], ("城镇", "urban"), PALETTE[0]),
            _line(years, traj[f"{key}_rural"], ("农村", "rural"), PALETTE[1])],
            title=(f"中国：{zh}", f"China: {en}"), x=("年份", "year"),
            y=("占城镇或农村人口的比重（%）", "% of the urban or rural population"),
            height=340, margin={"l": 55, "r": 15, "t": 45, "b": 40},
            legend={"orientation": "h", "y": -0.3, "x": 0, "yanchor": "top"})
        level_charts.append(page.chart(f"world-levels-{key}", _left_title(figs)))
    gap_traces = []
    for j, key in enumerate(f["series_pairs"]):
        zh, en = _NAMES[key]
        colour = PALETTE[[2, 3, 4][j % 3]]
        gap_traces.append(_line(years, traj[f"{key}_abs_gap"], (f"中国：{zh}", f"China: {en}"),
                                colour))
        gap_traces.append(_line(years, traj[f"{key}_median_abs_gap"],
                                (f"各国中位数：{zh}", f"median country: {en}"), colour,
                                dash="dot"))
    gap_chart = page.chart("world-gaps", _left_title(figure(
        gap_traces, title=("城乡差距：中国与各国中位数", "Gap size: China and the median country"),
        x=("年份", "year"), y=("|城镇−农村|，百分点", "|urban − rural|, percentage points"),
        height=440, legend={"orientation": "h", "y": -0.3, "x": 0, "yanchor": "top"},
        margin={"l": 55, "r": 15, "t": 50, "b": 40}))) if gap_traces else Markup("")
    services_chart = Markup("")
    services_rows: list[int] = []
    form_rows: dict[str, int] = {}
    if f["services"]:
        sv = result.table("world_services_china").frame
        services_chart = page.chart("world-services", _left_title(figure([
            _line(sv.year, sv.U_urban, ("中国：城镇子系统", "China: urban subsystem"), PALETTE[0]),
            _line(sv.year, sv.U_rural, ("中国：农村子系统", "China: rural subsystem"), PALETTE[1]),
            _line(sv.year, sv.D, ("中国：耦合协调度D", "China: coordination D"), PALETTE[2]),
            _line(sv.year, sv.median_D, ("各国中位数：D", "median country: D"), PALETTE[2],
                  dash="dot")],
            title=("基本服务：子系统与协调度D", "Basic services: subsystems and D"),
            x=("年份", "year"), y=("得分（0–1）", "score (0–1)"), height=420,
            legend={"orientation": "h", "y": -0.3, "x": 0, "yanchor": "top"})))
        services_rows = _shown_rows(sv)
        forms = result.table("world_coupling_forms").frame
        form_rows = {str(v): i for i, v in enumerate(forms["form"])}
    latest = result.table("world_gap_latest").frame
    san = latest[latest.indicator == "sanitation"]
    sanitation_map = Markup("")
    if len(san):
        reg = registry.world()
        names = {c: (reg.label(c, "zh"), reg.label(c, "en")) for c in reg.codes()}
        year = int(san.year.max())
        sanitation_map = page.map(
            "world-sanitation-gap", {year: dict(zip(san.region_code, san.gap, strict=True))},
            names=names, unit=("百分点（城镇−农村）", "percentage points (urban − rural)"),
            svg=svg_map(reg.geometry(), view=(-180, 84, 180, -60)),
            breaks=sanitation_breaks(san.gap.to_numpy()), colours=MAP_COLOURS)
    # first and last rows where China has each gap (the ends of its trajectory)
    ends = {}
    for key in f["series_pairs"]:
        rows = np.flatnonzero(traj[f"{key}_gap"].notna().to_numpy())
        ends[key] = (int(rows[0]), int(rows[-1]))
    return {"ends": ends, "level_charts": level_charts, "gap_chart": gap_chart,
            "services_chart": services_chart, "sanitation_map": sanitation_map,
            "traj_rows": _shown_rows(traj), "services_rows": services_rows, "form_rows": form_rows,
            "names": _NAMES}
