"""View of the disparity section: the charts (Gini weighted and unweighted over time; Dagum
contributions; Theil between and within; Dagum's Gjj and Gjh) and the row positions the
template's side-by-side tables cite."""

from __future__ import annotations

import math

import pandas as pd

from ...pipeline.sections.base import SectionResult
from ..html import plotly_text
from ..page import PALETTE, Page, figure

__all__ = ["view"]

YEAR = ("年份", "Year")
WEIGHT_NAMES = {"w": ("加权", "weighted"), "u": ("不加权", "unweighted")}
DAGUM_PARTS = (("within_share", "区域内差异 Gw/G", "within groups Gw/G"),
               ("net_between_share", "区域间净差异 Gnb/G", "net between groups Gnb/G"),
               ("transvariation_share", "超变密度 Gt/G", "transvariation (overlap) Gt/G"))
# horizontal legend under the plot, clear of the x-axis title, on desktop and phone widths
LEGEND = {"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top", "font": {"size": 11}}
MARGIN = {"l": 56, "r": 16, "t": 64, "b": 40}
TITLE_TOP = 30  # px from the top: the title sits below Plotly's mode bar, never under it


def _figure(traces: list[dict], *, height: int, **kw) -> tuple[dict, dict]:
    """:func:`figure` with the title left-aligned under the mode bar (a centred title runs
    under the mode bar's buttons on a narrow chart)."""
    figs = figure(traces, height=height, legend=LEGEND, margin=MARGIN, **kw)
    for fig in figs:
        fig["layout"]["title"].update({"x": 0, "xanchor": "left", "xref": "container",
                                       "pad": {"l": 8}, "y": 1 - TITLE_TOP / height,
                                       "yanchor": "top", "yref": "container"})
    return figs


def _values(y) -> list[float | None]:
    """Floats for a trace; a missing value is ``None`` (a gap in the line, valid JSON)."""
    return [float(v) if math.isfinite(v) else None for v in pd.to_numeric(y, errors="coerce")]


def _line(x, y, name, colour, *, dash: str = "solid", **extra) -> dict:
    return {"type": "scatter", "mode": "lines+markers", "x": [int(v) for v in x],
            "y": _values(y), "name": name, "marker": {"size": 5},
            "line": {"color": colour, "dash": dash, "width": 2}, **extra}


def _gini_chart(result: SectionResult, page: Page):
    traces = []
    for i, key in enumerate(result.facts["series"]):
        f = result.facts[key]
        t = result.table(f["table"]).frame
        for s in ("w", "u"):
            if f"gini_{s}" not in t:
                continue
            zh, en = WEIGHT_NAMES[s]
            traces.append(_line(t.year, t[f"gini_{s}"], (f"{_short(f, 'zh')}·{zh}",
                                                         f"{_short(f, 'en')}, {en}"),
                                PALETTE[i], dash="solid" if s == "w" else "dash"))
    return page.chart("disparity-gini", _figure(
        traces, title=("省际基尼系数：人口加权与不加权", "Gini across provinces: weighted and "
                       "unweighted"), x=YEAR, y=("基尼系数", "Gini coefficient"), height=420))


def _short(f: dict, lang: str) -> str:
    return f["short_zh"] if lang == "zh" else f["short_en"]


def _dagum_chart(result: SectionResult, page: Page, key: str, weighting: str):
    f = result.facts[key]
    d = result.table(f["dagum"]).frame
    d = d[d.weighting == weighting]
    s = "w" if weighting == "population" else "u"
    zh, en = WEIGHT_NAMES[s]
    traces = [{"type": "scatter", "mode": "lines", "x": [int(y) for y in d.year],
               "y": _values(100 * d[col]), "name": (nzh, nen), "stackgroup": "one",
               "line": {"color": PALETTE[i], "width": 1}, "fillcolor": PALETTE[i],
               "hovertemplate": "%{y:.1f}%"}
              for i, (col, nzh, nen) in enumerate(DAGUM_PARTS)]
    return page.chart(f"disparity-dagum-{key}-{s}", _figure(
        traces, title=(f"{_short(f, 'zh')}：达古姆分解贡献率（{zh}）",
                       f"{_short(f, 'en')}: Dagum shares ({en})"),
        x=YEAR, height=400,
        yaxis=tuple({"range": [0, 100], "automargin": True, "title": {"text": plotly_text(t)}}
                    for t in ("贡献率（%）", "contribution (%)"))))


def _theil_chart(result: SectionResult, page: Page, key: str):
    f = result.facts[key]
    t = result.table(f["table"]).frame
    traces = []
    for s in ("w", "u"):
        if f"theil_between_{s}" not in t:
            continue
        zh, en = WEIGHT_NAMES[s]
        dash = "solid" if s == "w" else "dash"
        traces.append(_line(t.year, t[f"theil_between_{s}"], (f"组间·{zh}", f"between, {en}"),
                            PALETTE[0], dash=dash))
        traces.append(_line(t.year, t[f"theil_within_{s}"], (f"组内·{zh}", f"within, {en}"),
                            PALETTE[3], dash=dash))
    return page.chart(f"disparity-theil-{key}", _figure(
        traces, title=(f"{_short(f, 'zh')}：泰尔指数T的组间与组内部分",
                       f"{_short(f, 'en')}: Theil T between and within groups"),
        x=YEAR, y=("泰尔指数T", "Theil T"), height=400))


def _pairs_chart(result: SectionResult, page: Page, key: str, kind: str, weighting: str):
    f = result.facts[key]
    p = result.table(f["pairs"]).frame
    p = p[(p.weighting == weighting) & (p.kind == kind)]
    s = "w" if weighting == "population" else "u"
    wzh, wen = WEIGHT_NAMES[s]
    traces = []
    for i, (pair, g) in enumerate(p.groupby(["pair_zh", "pair_en"], sort=False)):
        traces.append(_line(g.year, g.gini, pair, PALETTE[i % len(PALETTE)]))
    title = ((f"{_short(f, 'zh')}：区域内基尼系数Gjj（{wzh}）",
              f"{_short(f, 'en')}: within-group Gini Gjj ({wen})") if kind == "within" else
             (f"{_short(f, 'zh')}：区域间基尼系数Gjh（{wzh}）",
              f"{_short(f, 'en')}: between-group Gini Gjh ({wen})"))
    return page.chart(f"disparity-{kind}-{key}", _figure(
        traces, title=title, x=YEAR, y=("基尼系数", "Gini coefficient"), height=420))


def _aligned(frame: pd.DataFrame, by: list[str]) -> list[tuple[int | None, int]]:
    """Row pairs (weighted, unweighted) of a long table with a ``weighting`` column, matched
    on ``by``, in the order of the unweighted rows (every year with a weighted value has an
    unweighted one; weighted rows may be missing where the population is). Rows are iloc
    positions, what :meth:`Page.cite` takes."""
    f = frame.reset_index(drop=True)
    is_w = (f.weighting == "population").to_numpy()
    keys = pd.MultiIndex.from_frame(f[by])
    weighted = pd.Series(f.index[is_w], index=keys[is_w])
    found = weighted.reindex(keys[~is_w])
    return [(None if pd.isna(w) else int(w), int(u))
            for w, u in zip(found.to_numpy(), f.index[~is_w], strict=True)]


def view(result: SectionResult, page: Page) -> dict:
    """Charts and aligned table rows for ``templates/sections/disparity.html.j2``.

    Parameters
    ----------
    result : the disparity section's result.
    page : the page the charts are placed on.

    Returns
    -------
    dict
        ``gini`` (chart of both Ginis), and per series in ``series``: ``theil``, ``dagum``
        (one chart per weighting), ``gjj``, ``gjh`` (population-weighted when the run has
        weights), ``dagum_rows`` and ``pair_rows`` (``(weighted_row, unweighted_row)`` pairs;
        the weighted row is ``None`` where there is no population), ``weighted``.
    """
    out: dict = {"gini": _gini_chart(result, page), "series": {}}
    for key in result.facts["series"]:
        f = result.facts[key]
        v: dict = {"theil": _theil_chart(result, page, key)}
        if "dagum" in f:
            d = result.table(f["dagum"]).frame
            weightings = [w for w in ("population", "none") if (d.weighting == w).any()]
            v["dagum"] = [_dagum_chart(result, page, key, w) for w in weightings]
            main = weightings[0]
            v["gjj"] = _pairs_chart(result, page, key, "within", main)
            v["gjh"] = _pairs_chart(result, page, key, "between", main)
            v["dagum_rows"] = _aligned(d, ["year"])
            v["weighted"] = "population" in weightings
            p = result.table(f["pairs"]).frame
            last = set(p.index[p.year == p.year.max()])
            v["pair_rows"] = [(w, u) for w, u in _aligned(p, ["year", "group_a", "group_b"])
                              if u in last]
        out["series"][key] = v
    return out
