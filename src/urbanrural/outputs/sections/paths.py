"""Charts of the paths section: each series with its forecast fan (80 and 95 %), the scenario
paths beside the fan, the ratio targets, and the published ex-ante projection."""

from __future__ import annotations

import pandas as pd

from ...pipeline.sections.base import SectionResult
from ..page import Page, figure

__all__ = ["view"]

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


def view(result: SectionResult, page: Page) -> dict:
    v: dict = {}
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
