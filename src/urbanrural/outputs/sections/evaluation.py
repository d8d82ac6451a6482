"""Charts of the policy-evaluation section: the event study (ATT by time since treatment with
its uniform band) and the synthetic-control gap drawn over every in-space placebo gap."""

from __future__ import annotations

from ...pipeline.sections.base import SectionResult
from ..page import PALETTE, Page, figure

__all__ = ["view"]


def _event_study(t) -> tuple[dict, dict]:
    f = t.frame
    x = [int(e) for e in f.event]
    trace = {"type": "scatter", "mode": "markers+lines", "x": x,
             "y": [float(v) for v in f.att], "name": ("平均处理效应", "ATT"),
             "marker": {"color": PALETTE[0]},
             "error_y": {"type": "data", "symmetric": False, "visible": True,
                         "array": [float(v) for v in f.ci_high - f.att],
                         "arrayminus": [float(v) for v in f.att - f.ci_low]}}
    zero = {"type": "scatter", "mode": "lines", "x": [min(x), max(x)], "y": [0, 0],
            "line": {"color": "#888", "dash": "dot"}, "name": ("零", "zero"),
            "hoverinfo": "skip"}
    return figure([trace, zero], title=("事件研究：处理前后各期的平均处理效应（一致置信带）",
                                        "Event study: ATT by period relative to treatment "
                                        "(uniform band)"),
                  x=("距首次处理的期数", "periods since first treatment"),
                  y=("平均处理效应", "ATT"), years_on_x=False, height=360)


def _gaps(gaps, treated: str, date: float) -> tuple[dict, dict]:
    years = [float(y) for y in gaps.index]
    traces = [{"type": "scatter", "mode": "lines", "x": years,
               "y": [float(v) for v in gaps[c]], "line": {"color": "#c8c8c8", "width": 1},
               "name": ("安慰剂（各对照单位）", "placebos (each donor)"),
               "showlegend": i == 0, "hoverinfo": "skip"}
              for i, c in enumerate(c for c in gaps.columns if c != treated)]
    traces.append({"type": "scatter", "mode": "lines", "x": years,
                   "y": [float(v) for v in gaps[treated]], "line": {"color": PALETTE[0],
                                                                     "width": 3},
                   "name": ("处理单位：实际值 − 合成值", "treated: actual − synthetic")})
    figs = figure(traces, title=("合成控制差值与空间安慰剂", "Synthetic-control gap and in-space "
                                 "placebos"), y=("差值", "gap"), height=380)
    for fig in figs:
        fig["layout"]["shapes"] = [{"type": "line", "x0": date, "x1": date, "yref": "paper",
                                    "y0": 0, "y1": 1, "line": {"color": "#888", "dash": "dot"}}]
    return figs


def view(result: SectionResult, page: Page) -> dict:
    charts = {}
    if result.skipped is not None:
        return {"charts": charts}
    if result.has("evaluation_event_study"):
        charts["event"] = page.chart("evaluation-event", _event_study(
            result.table("evaluation_event_study")))
    gaps = result.facts.get("sc_gaps")
    if gaps is not None:
        charts["gaps"] = page.chart("evaluation-gaps", _gaps(gaps, result.facts["sc_treated"],
                                                             result.facts["dates"][0]))
    return {"charts": charts}
