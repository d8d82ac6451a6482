"""View of the convergence section: the σ chart (every measure divided by its own first year,
so that measures on different scales share one axis), the club maps (clubs, divergent, no
data), the LISA cluster map and the classical Markov matrix as a table with shaded cells."""

from __future__ import annotations

import numpy as np
from markupsafe import Markup

from ...data.registry import china
from ...pipeline.sections.base import SectionResult
from ...pipeline.sections.convergence import LOCAL_LABELS, MEASURES
from ..page import PALETTE, Page, figure
from ..render import svg_map

__all__ = ["view", "LISA_COLOURS", "club_colors"]

# LISA colours by cluster code (0 not significant, 1 HH, 2 LH, 3 LL, 4 HL); not significant is
# a pale sand so that it stays apart from the grey of "no data"
LISA_COLOURS = ["#f3e6c4", "#d7191c", "#92c5de", "#2c7bb6", "#f4a582"]
LISA_ORDER = (1, 3, 2, 4, 0)
# blues from dark (the top club) to light, none so pale that it reads as white
_CLUB_RAMP = ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"]
DIVERGENT = "#CC79A7"


def club_colors(n_clubs: int) -> list[str]:
    """Colours indexed by club number: 0 divergent (reddish purple), then clubs 1 … n from dark
    blue (the top club) to light blue, spread evenly over the ramp."""
    if n_clubs <= 0:
        return [DIVERGENT]
    idx = np.rint(np.linspace(0, len(_CLUB_RAMP) - 1, n_clubs)).astype(int) if n_clubs > 1 \
        else np.array([1])
    return [DIVERGENT, *[_CLUB_RAMP[i] for i in idx]]


def _line(x, y, name: tuple[str, str], colour: str, dash: str) -> dict:
    ys = np.asarray(y, dtype=float)
    ok = np.isfinite(ys)
    return {"type": "scatter", "mode": "lines+markers",
            "x": [int(v) for v in np.asarray(x)[ok]], "y": [float(v) for v in ys[ok]],
            "name": name, "line": {"color": colour, "dash": dash, "width": 2},
            "marker": {"size": 4}}


def _sigma_chart(result: SectionResult, page: Page) -> Markup:
    sig = result.table("conv_sigma").frame
    traces = []
    for j, x in enumerate(result.facts["variables"]):
        for m in x["measures"]:
            lo, hi = x["sigma_rows"][m]
            block = sig.iloc[lo:hi + 1]
            zh, en = MEASURES[m]
            traces.append(_line(block.year, block.value / block.value.iloc[0],
                                (f"{x['name_zh']}：{zh}", f"{x['name_en']}: {en}"),
                                PALETTE[j % len(PALETTE)], "solid" if m == "sd_log" else "dot"))
    return page.chart("conv-sigma", figure(
        traces, title=("离散度（首年 = 1）", "Dispersion (first year = 1)"),
        x=("年份", "year"), y=("离散度 ÷ 首年离散度", "dispersion ÷ first-year dispersion"),
        height=400, legend={"orientation": "h", "y": -0.22, "x": 0, "yanchor": "top"},
        margin={"l": 55, "r": 15, "t": 50, "b": 40}))


def _names() -> dict[str, tuple[str, str]]:
    reg = china()
    codes = [str(f["properties"]["code"]) for f in reg.geometry()["features"]]
    return {c: (reg.label(c, "zh"), reg.label(c, "en")) for c in codes}


def _club_maps(result: SectionResult, page: Page, svg: Markup, names: dict) -> dict:
    clubs = result.table("conv_clubs").frame
    out: dict = {}
    for x in result.facts["variables"]:
        for version, (lo, hi) in x["club_rows"].items():
            block = clubs.iloc[lo:hi + 1]
            n = int(block.club.max())
            divergent = bool((block.club == 0).any())
            if n + divergent < 2:  # one club of every province: the prose says so, no map
                continue
            cats = {0: ("发散（不属于任何俱乐部）", "divergent (in no club)")} if divergent else {}
            cats.update({c: (f"俱乐部{c}", f"club {c}") for c in range(1, n + 1)})
            year = x["end"]
            out[(x["key"], version)] = page.map(
                f"conv-clubs-{x['key']}-{version}",
                {year: dict(zip(block.region_code, block.club.astype(int), strict=True))},
                names=names, unit=("俱乐部", "club"), svg=svg, categorical=cats,
                colours=club_colors(n))
    return out


def _lisa_map(result: SectionResult, page: Page, svg: Markup, names: dict) -> Markup:
    lisa = result.table("conv_lisa").frame
    tested = lisa[lisa.tested.astype(bool)]
    cats = {c: (_quadrant(lisa, c, "zh"), _quadrant(lisa, c, "en")) for c in LISA_ORDER}
    return page.map("conv-lisa", {int(lisa.year.iloc[0]): dict(zip(
        tested.region_code, tested.cluster.astype(int), strict=True))}, names=names,
        unit=("集聚类型", "cluster"), svg=svg, categorical=cats, colours=LISA_COLOURS)


def _quadrant(lisa, code: int, lang: str) -> str:
    from ...methods.spatial.autocorrelation import QUADRANTS

    return QUADRANTS[code][0 if lang == "zh" else 1]


def _shade(p: float) -> tuple[str, str]:
    """Background and text colour of a probability cell: white to dark blue, as a heatmap."""
    lo, hi = np.array([247, 251, 255]), np.array([8, 48, 107])
    rgb = np.rint(lo + (hi - lo) * min(max(p, 0.0), 1.0)).astype(int)
    return "#{:02x}{:02x}{:02x}".format(*rgb), "#fff" if p > 0.5 else "#111"


def _markov_matrix(result: SectionResult, page: Page) -> Markup:
    """The classical Markov matrix as a table with shaded cells (a heatmap without a chart
    library: every probability is a cited number of results.xlsx › conv_markov)."""
    t = result.table("conv_markov")
    mk = t.frame
    k = len(mk)
    head = Markup("").join(Markup("<th>{}</th>").format(int(c)) for c in mk.from_class)
    rows = []
    for i in range(k):
        cells = []
        for j in range(1, k + 1):
            v = float(mk.iloc[i][f"p_to_{j}"])
            if not np.isfinite(v):
                cells.append(Markup("<td>—</td>"))
                continue
            bg, fg = _shade(v)
            cells.append(Markup('<td style="background:{};color:{}">{}</td>').format(
                bg, fg, page.cite(t, i, f"p_to_{j}", 2)))
        rows.append(Markup("<tr><th>{}</th>{}</tr>").format(int(mk.iloc[i].from_class),
                                                            Markup("").join(cells)))
    return Markup('<div class="tablewrap"><table class="data markov"><thead><tr><th>'
                  '<span class="zh">t年 \\ t + 1年</span><span class="en">t \\ t + 1</span>'
                  '</th>{}</tr></thead><tbody>{}</tbody></table></div>').format(
        head, Markup("").join(rows))


def _hainan(result: SectionResult) -> tuple[str, str]:
    link = str(result.table("conv_moran").frame.iloc[0]["hainan_link"])
    if link == "none":
        return "不连接（海南为孤岛）", "none (Hainan is an island)"
    reg = china()
    code = reg.resolve(link)
    return reg.label(code, "zh"), reg.label(code, "en")


def view(result: SectionResult, page: Page) -> dict:
    f = result.facts
    v: dict = {"labels": LOCAL_LABELS, "measures": MEASURES, "sigma_chart": Markup(""),
               "club_maps": {}, "lisa_map": Markup(""), "markov_chart": Markup(""),
               "hainan": None}
    if not f["variables"]:
        return v
    svg = svg_map(china().geometry())
    names = _names()
    v["sigma_chart"] = _sigma_chart(result, page)
    v["club_maps"] = _club_maps(result, page, svg, names)
    if f["spatial"] is not None:
        v["lisa_map"] = _lisa_map(result, page, svg, names)
        v["markov_chart"] = _markov_matrix(result, page)
        v["hainan"] = _hainan(result)
    return v
