"""Charts of the paths section: each series with its forecast fan (80 and 95 %), the scenario
paths beside the fan, the ratio targets, the published ex-ante projection, and — on provincial
income data — the map of the span of years in which each province's path meets the map's
target ("not met by the target year" its own class, "no data" grey)."""

from __future__ import annotations

import pandas as pd

from ...pipeline.sections.base import SectionResult
from ..page import Page, figure

__all__ = ["view", "region_colours", "region_map_values"]

# class 0 (not met by the target year) in vermillion, apart from the blues of the spans of
# years (darker: later); the Okabe–Ito vermillion stays distinct for colour-blind readers
NOT_MET_COLOUR = "#D55E00"
REGION_BLUES = ("#084594", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef")

_BAND = {80: "rgba(0,114,178,0.30)", 95: "rgba(0,114,178,0.15)"}
_TITLES = {
    "income_ratio": (("城乡居民人均可支配收入比：预测扇形图与情景（城乡一体化住户调查）",
                      "Urban–rural disposable income ratio: forecast fan and scenarios "
                      "(integrated household survey)"), ("城镇/农村（倍）", "urban / rural (times)")),
    "urbanisation": (("常住人口城镇化率：预测扇形图、情景与联合国2018年预测",
                      "Urbanisation rate: forecast fan, scenarios and the UN's 2018 projection"),
                     ("%", "%")),
}


def _r(values) -> list:
    return [None if pd.isna(v) else round(float(v), 4) for v in values]


def _fan(result: SectionResult, sid: str) -> list[dict]:
    hist = result.table("paths_history").frame
    fc = result.table("paths_forecast").frame
    h, f = hist[hist.series == sid], fc[fc.series == sid]
    levels = sorted((int(c.split("_")[1]) for c in f.columns if c.startswith("upper_")),
                    reverse=True)
    # the fan starts at the last observation so that it joins the history
    x = [int(h.year.iloc[-1]), *f.year.astype(int).tolist()]
    last = float(h.value.iloc[-1])
    traces: list[dict] = []
    for lv in levels:
        traces.append({"type": "scatter", "mode": "lines", "x": x,
                       "y": _r([last, *f[f"upper_{lv}"]]), "line": {"width": 0},
                       "showlegend": False, "hoverinfo": "skip", "name": (f"{lv}%上限", f"{lv} % upper")})
        traces.append({"type": "scatter", "mode": "lines", "x": x,
                       "y": _r([last, *f[f"lower_{lv}"]]), "line": {"width": 0},
                       "fill": "tonexty", "fillcolor": _BAND.get(lv, "rgba(0,114,178,0.2)"),
                       "name": (f"{lv}%预测区间", f"{lv} % prediction interval")})
    method = f.method.iloc[0]
    m_zh, m_en = result.facts["series"][sid]["method_zh"], result.facts["series"][sid]["method_en"]
    traces.append({"type": "scatter", "mode": "lines", "x": x, "y": _r([last, *f["mean"]]),
                   "line": {"color": "#0072B2", "width": 2.5, "dash": "dash"},
                   "name": (f"点预测（{m_zh}）", f"point forecast ({m_en})"), "meta": method})
    traces.append({"type": "scatter", "mode": "lines+markers", "x": h.year.astype(int).tolist(),
                   "y": _r(h.value), "line": {"color": "#222", "width": 2}, "marker": {"size": 4},
                   "name": ("观测值", "observed")})
    if result.has("paths_scenarios"):
        sc = result.table("paths_scenarios").frame
        for i, (_, sub) in enumerate(sc[sc.series == sid].groupby("scenario", sort=False)):
            traces.append({"type": "scatter", "mode": "lines",
                           "x": [x[0], *sub.year.astype(int).tolist()], "y": _r([last, *sub.value]),
                           "line": {"color": ("#D55E00", "#009E73", "#CC79A7")[i % 3], "width": 1.5,
                                    "dash": "dot"},
                           "name": ("情景：" + sub.label_zh.iloc[0], "scenario: " + sub.label_en.iloc[0])})
    if sid == "urbanisation" and "exante" in result.facts:
        from ...pipeline.paths import load_projections

        for pr in load_projections():
            if pr["series"] != sid:
                continue
            yrs = sorted(int(y) for y in pr["values"])
            traces.append({"type": "scatter", "mode": "lines", "x": yrs,
                           "y": _r([pr["values"][y] for y in yrs]),
                           "line": {"color": "#E69F00", "width": 1.5},
                           "name": ("联合国2018年预测", "UN projection made in 2018")})
    return traces


def region_colours(n_classes: int) -> list[str]:
    """Colours of the map classes ``0 … n_classes − 1``: the not-met colour, then blues from
    the earliest span (dark) to the latest (light)."""
    blues = list(REGION_BLUES)[:max(0, n_classes - 1)]
    blues += [blues[-1] if blues else REGION_BLUES[0]] * (n_classes - 1 - len(blues))
    return [NOT_MET_COLOUR, *blues]


def region_map_values(result: SectionResult) -> dict[int, dict[str, int]]:
    """``{target year: {region code: class}}`` of the map target's rows of ``paths_regions``
    (a province absent from the table has no data and is drawn grey)."""
    reg = result.facts["regions"]
    t = result.table("paths_regions").frame
    rows = t[t.target == reg["map_target"]]
    year = int(result.options["until"])
    return {year: dict(zip(rows.region_code.astype(str), rows.met_band.astype(int), strict=True))}


def _region_map(result: SectionResult, page: Page) -> object:
    from ...data.registry import china
    from ..render import svg_map

    reg = result.facts["regions"]
    cats = {int(k): tuple(v) for k, v in reg["map_classes"].items()}
    t = result.table("paths_regions").frame
    names = {str(c): (z, e) for c, z, e in zip(t.region_code, t.region_zh, t.region_en,
                                                strict=True)}
    if result.has("paths_regions_skipped"):
        sk = result.table("paths_regions_skipped").frame
        names.update({str(c): (z, e) for c, z, e in zip(sk.region_code, sk.region_zh,
                                                         sk.region_en, strict=True)})
    tv = reg["map_target"]
    return page.map("paths-regions", region_map_values(result), names=names,
                    unit=(f"城乡收入比降至{tv:g}的年份", f"years in which the ratio reaches {tv:g}"),
                    svg=svg_map(china().geometry()), categorical=cats,
                    colours=region_colours(len(cats)))


def view(result: SectionResult, page: Page) -> dict:
    v: dict = {}
    if result.facts.get("regions", {}).get("ran"):
        v["regions_map"] = _region_map(result, page)
    for sid in result.facts["series"]:
        title, yaxis = _TITLES[sid]
        shapes = []
        if sid == "income_ratio":
            t = result.table("paths_targets").frame
            shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": float(tv),
                       "y1": float(tv), "line": {"color": "#999", "width": 1, "dash": "dot"}}
                      for tv in t.target]
        v[f"chart_{sid}"] = page.chart(f"paths-{sid}", figure(
            _fan(result, sid), title=title, x=("年份", "year"), y=yaxis, height=460,
            shapes=shapes))
    return v
