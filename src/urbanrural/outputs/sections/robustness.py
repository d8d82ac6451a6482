"""Charts of the robustness section: rank bands (a dot for the nominal rank, a bar for the
5–95 % band over the draws) and the Sobol' indices of each choice, for every index analysed."""

from __future__ import annotations

from ...pipeline.robustness import FACTOR_LABELS
from ...pipeline.sections.base import SectionResult
from ..page import PALETTE, Page, figure

__all__ = ["view"]

ROW_PX = 13  # height of one region in a band chart


def _bands(t, a: dict) -> tuple[dict, dict]:
    f = t.frame
    years = a["ranked_over"] == "years"
    labels = [(str(int(y)), str(int(y))) for y in f.year] if years else \
        list(zip(f.region_zh, f.region_en, strict=True))
    rank = f["rank"].astype(float)
    trace_band = {
        "type": "scatter", "mode": "markers", "orientation": "h",
        "x": [float(v) for v in rank], "y": None, "name": ("名义排名（点）与5%—95%区间（线）",
                                                           "nominal rank (dot), 5–95 % band (bar)"),
        "marker": {"size": 5, "color": PALETTE[0]},
        "error_x": {"type": "data", "symmetric": False, "color": PALETTE[1], "thickness": 2,
                    "width": 0,
                    "array": [float(v) for v in f.rank_q95 - rank],
                    "arrayminus": [float(v) for v in rank - f.rank_q05]},
        "hovertext": [(f"{zh}：名义第{int(r)}位，区间{q5:g}—{q95:g}",
                       f"{en}: nominal {int(r)}, band {q5:g}–{q95:g}")
                      for (zh, en), r, q5, q95 in zip(labels, rank, f.rank_q05, f.rank_q95,
                                                      strict=True)],
        "hoverinfo": "text"}
    what = ("各年在本时期各年中的排名", "rank of each year among the years") if years else \
        (f"{a['year']}年排名", f"rank in {a['year']}")
    figs = figure([trace_band], title=(f"{a['name_zh']}：{what[0]}",
                                       f"{a['name_en']}: {what[1]}"),
                  x=("排名（1 = 最高）", "rank (1 = highest)"), years_on_x=False,
                  height=max(260, 90 + ROW_PX * len(f)),
                  margin={"l": 120, "r": 20, "t": 60, "b": 45}, showlegend=False)
    for i, fig in enumerate(figs):
        fig["data"][0]["y"] = [lab[i] for lab in labels]
        fig["layout"]["yaxis"].update({"autorange": "reversed", "type": "category",
                                       "tickfont": {"size": 9}})
    return figs


def _sobol(t, a: dict) -> tuple[dict, dict]:
    f = t.frame
    names = [FACTOR_LABELS[c] for c in f.factor]
    traces = [{"type": "bar", "x": [n[0] for n in names], "y": [float(v) for v in f.S1],
               "name": ("一阶指数 S1", "first order S1"), "marker": {"color": PALETTE[0]}},
              {"type": "bar", "x": [n[0] for n in names], "y": [float(v) for v in f.ST],
               "name": ("总效应指数 ST", "total ST"), "marker": {"color": PALETTE[1]},
               "error_y": {"type": "data", "array": [float(v) if v == v else 0.0
                                                     for v in f.ST_conf], "visible": True}}]
    figs = figure(traces, title=(f"{a['name_zh']}：各选择对平均排名变动的Sobol指数",
                                 f"{a['name_en']}: Sobol' indices on the mean absolute rank "
                                 "shift"), y=("指数", "index"), years_on_x=False, height=340,
                  barmode="group")
    for i, fig in enumerate(figs):
        for tr in fig["data"]:
            tr["x"] = [n[i] for n in names]
    return figs


def view(result: SectionResult, page: Page) -> dict:
    charts = {}
    for a in result.facts["analysed"]:
        charts[a["code"]] = {
            "bands": page.chart(f"robust-bands-{a['code']}",
                                _bands(result.table(a["ranks_key"]), a)),
            "sobol": page.chart(f"robust-sobol-{a['code']}",
                                _sobol(result.table(a["sobol_key"]), a))}
    return {"charts": charts}
