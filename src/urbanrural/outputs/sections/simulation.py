"""Charts of the simulation section: a fan (median and 90 % band) of every scenario for each
output the model forecast at least as well as the naive benchmark, with the observed series
(each survey concept and data vintage drawn apart)."""

from __future__ import annotations

import pandas as pd

from ...pipeline.sections.base import SectionResult
from ..page import Page, figure

__all__ = ["view"]

TITLES = {
    "income_ratio": (("城乡居民收入比（一体化调查口径）",
                      "urban–rural income ratio (integrated-survey scale)"), ("倍", "times")),
    "urbanisation": (("常住人口城镇化率", "urbanisation rate of the resident population"), ("%", "%")),
    "rural_pop": (("乡村人口", "rural population"), ("万人", "10,000 persons")),
    "mean_income": (("人均收入（城乡人口加权，现价）",
                     "per-capita income (population-weighted, current prices)"), ("元", "yuan")),
}
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[:2], 16)},{int(h[2:4], 16)},{int(h[4:], 16)},{alpha})"


def _fan(bands: pd.DataFrame, observed: pd.DataFrame, quantity: str) -> tuple[dict, dict]:
    traces = []
    sub = bands[bands.quantity == quantity]
    for k, (_, sc) in enumerate(sub.groupby("scenario", sort=False)):
        colour = COLOURS[k % len(COLOURS)]
        x = sc.year.tolist()
        traces.append({"type": "scatter", "mode": "lines", "x": x + x[::-1],
                       "y": [round(float(v), 4) for v in sc.p95] +
                            [round(float(v), 4) for v in sc.p05[::-1]],
                       "fill": "toself", "fillcolor": _rgba(colour, 0.15), "line": {"width": 0},
                       "hoverinfo": "skip", "showlegend": False,
                       "name": (sc.name_zh.iloc[0] + "（90%区间）",
                                sc.name_en.iloc[0] + " (90 % band)")})
        traces.append({"type": "scatter", "mode": "lines", "x": x,
                       "y": [round(float(v), 4) for v in sc["median"]], "line": {"color": colour},
                       "name": (sc.name_zh.iloc[0] + "（中位数）", sc.name_en.iloc[0] + " (median)")})
    concept_zh = {"integrated survey": "一体化调查", "old survey": "分城乡调查（另一口径，仅供参照）",
                  "current vintage": "现行版本", "2016 vintage": "2016年版"}
    for concept, ob in observed[observed.quantity == quantity].groupby("concept", sort=False):
        traces.append({"type": "scatter", "mode": "markers", "x": ob.year.tolist(),
                       "y": [round(float(v), 4) for v in ob.value], "marker": {"size": 5},
                       "name": ("观测值：" + concept_zh.get(concept, concept),
                                "observed: " + concept)})
    (tzh, ten), (uzh, uen) = TITLES[quantity]
    return figure(traces, title=(tzh + "：各情景（中位数与90%区间）",
                                 ten + ": scenarios (median, 90 % band)"),
                  x=("年份", "year"), y=(uzh, uen), height=440)


def view(result: SectionResult, page: Page) -> dict:
    v: dict = {"rows": {}}
    val = result.table("simulation_validation").frame
    v["rows"]["validation"] = {s: int(i) for i, s in zip(val.index, val.series, strict=True)}
    tgt = result.table("simulation_target_year").frame
    v["rows"]["target"] = {(r.scenario, r.quantity): int(i)
                           for i, r in zip(tgt.index, tgt.itertuples(), strict=True)}
    bands = result.table("simulation_bands").frame
    observed = result.table("simulation_observed").frame
    v["charts"] = {q: page.chart(f"simulation-{q}", _fan(bands, observed, q))
                   for q, ok in result.facts["shown"].items() if ok}
    return v
