"""Charts of the national section: gaps by survey concept (never joined across 2013), the
national integration index with its dimensions, and the flows of people."""

from __future__ import annotations

import pandas as pd

from ...pipeline.sections.base import SectionResult
from ..page import Page, figure

__all__ = ["view"]

BREAK = 2012.5  # a gap in every line drawn across the 2013 survey change


def _line(sub: pd.DataFrame, x: str, y: str, name: tuple[str, str], **kw) -> dict:
    ys = [None if pd.isna(v) else round(float(v), 4) for v in sub[y]]
    return {"type": "scatter", "mode": kw.pop("mode", "lines+markers"), "x": sub[x].tolist(),
            "y": ys, "name": name, "connectgaps": False,
            "marker": {"size": 4}, **kw}


def _split(sub: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The rows with a null row at the 2013 break, so one trace never joins the periods."""
    if not ((sub[x] <= 2012).any() and (sub[x] >= 2013).any()):
        return sub
    gap = pd.DataFrame({x: [BREAK], y: [float("nan")]})
    return pd.concat([sub[sub[x] <= 2012][[x, y]], gap, sub[sub[x] >= 2013][[x, y]]],
                     ignore_index=True)


def view(result: SectionResult, page: Page) -> dict:
    v: dict = {}
    gaps = result.table("national_gaps").frame
    ratio_ids = ["income_ratio_old_survey", "income_ratio", "consumption_ratio"]
    traces = [_line(gaps[gaps.series == s], "year", "gap",
                    (gaps[gaps.series == s].name_zh.iloc[0] + "（" +
                     gaps[gaps.series == s].concept_zh.iloc[0] + "）",
                     gaps[gaps.series == s].name_en.iloc[0] + " (" +
                     gaps[gaps.series == s].concept_en.iloc[0] + ")"))
              for s in ratio_ids if (gaps.series == s).any()]
    v["chart_income"] = page.chart("national-income", figure(
        traces, title=("城乡居民收入比与消费比（两种调查口径分开绘制）",
                       "Urban–rural income and consumption ratios (the two surveys drawn apart)"),
        x=("年份", "year"), y=("城镇/农村（倍）", "urban / rural (times)"), height=420))
    eg = gaps[gaps.series == "engel_gap"]
    health = [s for s in ("health_workers_ratio", "doctors_ratio", "beds_ratio")
              if (gaps.series == s).any()]
    traces = [_line(eg, "year", "gap", ("恩格尔系数差（农村减城镇，百分点）",
                                       "Engel gap, rural minus urban (points)"))] if len(eg) else []
    v["chart_engel"] = page.chart("national-engel", figure(
        traces, title=("城乡恩格尔系数差（现行历史序列）",
                       "Rural minus urban Engel coefficient (current NBS series)"),
        x=("年份", "year"), y=("百分点", "percentage points")))
    traces = [_line(gaps[gaps.series == s], "year", "gap",
                    (gaps[gaps.series == s].name_zh.iloc[0], gaps[gaps.series == s].name_en.iloc[0]),
                    mode="lines+markers") for s in health]
    v["chart_health"] = page.chart("national-health", figure(
        traces, title=("城乡医疗卫生资源比（城市/农村）",
                       "Urban over rural health resources per 10,000 people"),
        x=("年份", "year"), y=("城市/农村（倍）", "urban / rural (times)"), height=420))
    flows = result.table("national_flows").frame
    traces = [_line(flows[flows.series == s], "year", "value",
                    (flows[flows.series == s].name_zh.iloc[0],
                     flows[flows.series == s].name_en.iloc[0]))
              for s in ("urbanisation_2016_vintage", "urbanisation", "farm_share_rural_employment")
              if (flows.series == s).any()]
    v["chart_flows"] = page.chart("national-flows", figure(
        traces, title=("城镇化率（两个数据版本分开）与乡村从业人员中农业比重",
                       "Urbanisation (two data vintages kept apart) and the farm share of rural "
                       "employment"), x=("年份", "year"), y=("%", "%"), height=420))
    if result.has("national_index"):
        idx = result.table("national_index").frame
        traces = []
        dims = [c for c in ("living_standards", "public_services", "factor_flows") if c in idx]
        names = {"total": ("综合指数", "Index"),
                 "living_standards": ("生活水平差距维度", "Living standards"),
                 "public_services": ("公共服务维度", "Public services"),
                 "factor_flows": ("人口流动维度", "Flows of people")}
        for col in ["total", *dims]:
            sub = _split(idx[["year", col]].dropna(), "year", col)
            traces.append(_line(sub, "year", col, names[col],
                                line={"width": 3 if col == "total" else 1.5,
                                      "dash": "solid" if col == "total" else "dot"}))
        v["chart_index"] = page.chart("national-index", figure(
            traces, title=("全国城乡融合指数（固定目标值，0—1；2012与2013年之间断开）",
                           "National urban–rural integration index (fixed goalposts, 0–1; "
                           "broken between 2012 and 2013)"),
            x=("年份", "year"), y=("得分", "score"), height=440))
    return v


def figures(result: SectionResult, lang: str) -> dict:
    """Publication figures (matplotlib): the income and consumption ratios by survey, and the
    national index with its dimensions; each period drawn on its own."""
    import matplotlib.pyplot as plt

    zh = lang != "en"
    out = {}
    gaps = result.table("national_gaps").frame
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for sid, colour in (("income_ratio_old_survey", "#0072B2"), ("income_ratio", "#E69F00"),
                        ("consumption_ratio", "#009E73")):
        sub = gaps[gaps.series == sid]
        if len(sub):
            name = (sub.name_zh.iloc[0] + "（" + sub.concept_zh.iloc[0] + "）") if zh else \
                (sub.name_en.iloc[0] + " (" + sub.concept_en.iloc[0] + ")")
            ax.plot(sub.year, sub.gap, marker="o", ms=2.5, lw=1.5, color=colour, label=name)
    ax.set_xlabel("年份" if zh else "year")
    ax.set_ylabel("城镇/农村（倍）" if zh else "urban / rural (times)")
    ax.set_title("城乡居民收入比与消费比（两种调查口径分开绘制）" if zh else
                 "Urban–rural income and consumption ratios (the two surveys drawn apart)",
                 fontsize=10)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    ax.grid(alpha=0.3)
    out["national_income_ratio"] = fig
    if result.has("national_index"):
        idx = result.table("national_index").frame
        fig, ax = plt.subplots(figsize=(7.5, 4))
        labels = {"total": ("综合指数", "Index"), "living_standards": ("生活水平差距", "Living standards"),
                  "public_services": ("公共服务", "Public services"),
                  "factor_flows": ("人口流动", "Flows of people")}
        for j, (col, (lzh, len_)) in enumerate(labels.items()):
            if col not in idx:
                continue
            for k, (_, sub) in enumerate(idx.groupby("period", sort=True)):
                sub = sub[["year", col]].dropna()
                ax.plot(sub.year, sub[col], lw=2.5 if col == "total" else 1.2,
                        ls="-" if col == "total" else ":", color=f"C{j}",
                        label=(lzh if zh else len_) if k == 0 else None)
        ax.axvline(2012.5, color="#999", lw=0.8)
        ax.set_ylim(0, 1)
        ax.set_xlabel("年份" if zh else "year")
        ax.set_ylabel("得分（0—1）" if zh else "score (0–1)")
        ax.set_title("全国城乡融合指数（固定目标值；2012与2013年之间断开）" if zh else
                     "National urban–rural integration index (fixed goalposts; broken at 2013)",
                     fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.15),
                  frameon=False)
        ax.grid(alpha=0.3)
        out["national_integration_index"] = fig
    return out
