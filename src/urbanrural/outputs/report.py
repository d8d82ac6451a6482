"""Write a report bundle: a self-contained bilingual ``index.html`` (Plotly charts and SVG
maps, all scripts, styles, fonts and geometry inline, no network request), ``results.xlsx``
(every table, bilingual headers), ``figures/`` (PNG and SVG) and ``analysis.yaml``.

Every number printed in the page comes from a cell of ``results.xlsx``: it is rendered by
:meth:`Cite.num`, which tags it with the sheet, row and column it was read from.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..data.registry import china
from ..pipeline.report import DAGUM_SHARES, table_key
from .figures import CB_PALETTE, font_path, write_figures
from .tables import write_tables

__all__ = ["write_report", "render_html", "Cite", "Html", "esc", "esc_attr", "script_json",
           "plotly_text", "framework_slugs"]

VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
           "#6ece58", "#b5de2b", "#fde725"]
LISA_COLOURS = {1: "#d7191c", 2: "#abd9e9", 3: "#2c7bb6", 4: "#fdae61", 0: "#eeeeee"}


# One escaping discipline for everything a user's data or framework can put into the page
# (names, ids, units, file names, reasons quoting them). Each output context has its helper:
#   element text   → esc()            (``Html`` fragments pass through unchanged)
#   attribute      → esc_attr()       (always escaped; every attribute here is quoted)
#   id= / href=#   → _PageIds         (safe slugs, never the raw user id)
#   JSON in script → script_json()    (no "</script>", "<!--" or line separators can survive)
#   Plotly text    → plotly_text()    (Plotly reads a subset of HTML in titles and labels)


class Html(str):
    """Markup that is already safe: built here from escaped parts. Anything else is text."""

    __slots__ = ()


def esc(value) -> Html:
    """``value`` as HTML element text; an :class:`Html` fragment is kept as it is."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def esc_attr(value) -> str:
    """``value`` for a quoted attribute; quotes of both kinds are escaped, so it is safe inside
    either."""
    return html.escape(str(value), quote=True)


# "<", ">" and "&" inside JSON strings as \u escapes: "</script>" or "<!--" can then never end
# or alter the script element, and U+2028/U+2029 (line terminators to older JavaScript) are
# escaped too. Outside strings JSON never holds these characters, so the result is equal JSON.
_SCRIPT_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                      "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value) -> str:
    """``value`` as JSON that is safe to inline in a ``<script>`` element.

    Parameters
    ----------
    value : any JSON-serialisable value.

    Returns
    -------
    str
        ``json.dumps(value)`` with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX``.
    """
    return json.dumps(value, ensure_ascii=False).translate(_SCRIPT_JSON_ESCAPES)


def plotly_text(value) -> str:
    """A label for Plotly, which renders a subset of HTML (``<b>``, ``<a href>``, …) in titles,
    trace names and tick labels: entities make it show the text exactly as written."""
    return html.escape(str(value), quote=False)


_SAFE_SLUG = re.compile(r"[A-Za-z0-9_-]+")
# ids the page uses itself: a framework must never take one of them (nor make one by prefixing)
_FIXED_IDS = ("coverage", "gaps", "disparity", "dynamics", "methods", "langbtn", "chart-gaps",
              "chart-gaps-services", "chart-dagum", "chart-theil", "chart-kde", "chart-moran",
              "map-lisa", "map-lisa-year", "map-lisa-label")


def _framework_ids(slug: str) -> tuple[str, ...]:
    """Every element id the page derives from a framework's slug."""
    return (slug, f"map-{slug}", f"map-{slug}-year", f"map-{slug}-label", f"chart-rank-{slug}",
            f"chart-dims-{slug}")


def framework_slugs(framework_ids: list[str]) -> dict[str, str]:
    """Safe, deterministic and unique HTML ids (``[A-Za-z0-9_-]``) for framework ids.

    An id already made of those characters is used as it is (so links stay readable); any
    other keeps its safe characters and gains the first 8 hex digits of its SHA-1. A slug whose
    derived ids (``map-…``, ``chart-rank-…``) would meet an id already on the page gets a
    counter.

    Parameters
    ----------
    framework_ids : the frameworks' ids, in page order.

    Returns
    -------
    dict
        framework id → slug.
    """
    used = set(_FIXED_IDS)
    out: dict[str, str] = {}
    for fid in framework_ids:
        if fid in out:
            continue
        if _SAFE_SLUG.fullmatch(fid):
            base = fid
        else:
            kept = re.sub(r"[^A-Za-z0-9_-]+", "-", fid).strip("-")[:40] or "framework"
            base = f"{kept}-{hashlib.sha1(fid.encode('utf-8')).hexdigest()[:8]}"
        slug, n = base, 2
        while used.intersection(_framework_ids(slug)):
            slug, n = f"{base}-{n}", n + 1
        used.update(_framework_ids(slug))
        out[fid] = slug
    return out


def bi(zh, en, tag: str = "span") -> Html:
    """A bilingual fragment: both languages in the page, one shown at a time. ``zh`` and ``en``
    are text (escaped here) unless they are :class:`Html` fragments."""
    return Html(f'<{tag} class="zh">{esc(zh)}</{tag}><{tag} class="en">{esc(en)}</{tag}>')


class Cite:
    """Formats numbers from the bundle's tables and records where each came from."""

    def __init__(self, tables: dict[str, pd.DataFrame], sheets: dict[str, str]):
        self.tables = tables
        self.sheets = sheets
        self.count = 0

    def num(self, table: str, row: int, col: str, digits: int = 3, pct: bool = False) -> Html:
        v = self.tables[table].iloc[row][col]
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return Html("—")
        shown = f"{100 * v:.{digits}f}%" if pct else f"{v:,.{digits}f}" if abs(v) >= 1e4 \
            else f"{v:.{digits}f}"
        self.count += 1
        return Html(f'<span class="num" data-sheet="{esc_attr(self.sheets[table])}" '
                    f'data-row="{int(row)}" data-col="{esc_attr(col)}" data-digits="{int(digits)}" '
                    f'data-pct="{int(pct)}">{esc(shown)}</span>')

    def text(self, table: str, row: int, col: str) -> Html:
        return esc(self.tables[table].iloc[row][col])


def _plot(div_id: str, zh: dict, en: dict) -> dict:
    return {"id": div_id, "zh": zh, "en": en}


def _fig(traces, title_zh, title_en, x_zh="", x_en="", y_zh="", y_en="", **layout):
    base = {"margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 380,
            "font": {"family": "URCJK, sans-serif", "size": 12},
            "paper_bgcolor": "white", "plot_bgcolor": "#fafafa", "colorway": CB_PALETTE}
    axis = {"automargin": True}
    base.update(layout)
    zh = {"data": [{**t, "name": t.get("name_zh", t.get("name", ""))} for t in traces],
          "layout": {**base, "title": {"text": title_zh}, "xaxis": {"title": {"text": x_zh}},
                     "yaxis": {"title": {"text": y_zh}}}}
    en = {"data": [{**t, "name": t.get("name_en", t.get("name", ""))} for t in traces],
          "layout": {**base, "title": {"text": title_en},
                     "xaxis": {**axis, "title": {"text": x_en}},
                     "yaxis": {**axis, "title": {"text": y_en}}}}
    for spec in (zh, en):
        for t in spec["data"]:
            t.pop("name_zh", None)
            t.pop("name_en", None)
    return zh, en


def _svg_map(geometry: dict, map_id: str) -> str:
    """Province paths (lon/lat projected equirectangularly) with ids for colouring in JS."""
    paths = []
    for f in geometry["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        d = []
        for poly in polys:
            for ring in poly[:1]:
                pts = " L".join(f"{(x - 73) * 10:.1f},{(54 - y) * 12:.1f}" for x, y in ring)
                d.append(f"M{pts} Z")
        code = f["properties"]["code"]
        # the <title> is filled in by paintMap() through textContent, never as markup
        paths.append(f'<path data-code="{esc_attr(code)}" d="{" ".join(d)}"><title></title></path>')
    return (f'<svg id="{esc_attr(map_id)}" class="map" viewBox="0 0 640 460" role="img">'
            f'{"".join(paths)}</svg>')


def _subset_font(text: str) -> str:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()))
    opts = subset.Options()
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    chars = {ord(c) for c in text} | set(range(0x20, 0x7F))
    sub.populate(unicodes=chars)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


def _reading_key(fw) -> str:
    """Key of a framework's reading: apart from the fixed sections, whatever the id."""
    return f"framework:{fw.id}"


def _readings(bundle, cite: Cite) -> dict[str, Html]:
    """Plain-language paragraphs, from templates filled with cited numbers. Templates holding
    cited numbers are markup, so every name in them is escaped where it is put in."""
    f, t, out = bundle.facts, bundle.tables, {}
    d = f.get("data", {})
    un_rows = []
    for fw in bundle.frameworks:
        key = table_key(fw, "unavailable")
        if key in t and len(t[key]):
            un_rows.append((fw, t[key]))
    miss_zh = "；".join(f"{fw.name_zh}缺少{len(u)}项（如{'、'.join(u.name_zh.head(3))}）"
                       for fw, u in un_rows) or "无"
    miss_en = "; ".join(f"{fw.name_en} lacks {len(u)} (e.g. {', '.join(u.name_en.head(3))})"
                        for fw, u in un_rows) or "none"
    # text only (no markup): bi() escapes it whole
    out["coverage"] = bi(
        f"内置数据包含{d.get('n_regions')}个地区、{d.get('first_year')}—{d.get('last_year')}年、"
        f"{d.get('n_indicators')}个指标。官方统计中没有连续的分省城乡居民收入序列，因此城乡收入差距在"
        f"全国层面呈现；2013年前后农村居民纯收入与可支配收入口径不同，两段分开显示、从不拼接。"
        f"框架中数据无法覆盖的指标与维度：{miss_zh}。用户提供相应数据后无需改代码即可补齐。",
        f"The embedded data cover {d.get('n_regions')} regions, {d.get('first_year')}–"
        f"{d.get('last_year')}, {d.get('n_indicators')} indicators. Official statistics hold no "
        f"continuous provincial series of urban and rural incomes, so the urban–rural income gap"
        f" is shown nationally; rural net income (before 2013) and disposable income (from 2013)"
        f" are different concepts, shown separately and never joined. Indicators and dimensions"
        f" the data cannot fill: {miss_en}. A user's data under the same ids fill them with no "
        f"code change.", "p")
    if "income_old" in f and "national_gaps" in t:
        o, n = f["income_old"], f.get("income_new")
        g = t["national_gaps"]
        parts_zh = (f"旧口径下城乡居民收入比由{cite.text('national_gaps', o['first'], 'year')}年的"
                    f"{cite.num('national_gaps', o['first'], 'ratio', 2)}升至"
                    f"{cite.text('national_gaps', o['peak'], 'year')}年的峰值"
                    f"{cite.num('national_gaps', o['peak'], 'ratio', 2)}，"
                    f"{cite.text('national_gaps', o['last'], 'year')}年为"
                    f"{cite.num('national_gaps', o['last'], 'ratio', 2)}。")
        parts_en = (f"On the old surveys the urban–rural income ratio rose from "
                    f"{cite.num('national_gaps', o['first'], 'ratio', 2)} in "
                    f"{cite.text('national_gaps', o['first'], 'year')} to a peak of "
                    f"{cite.num('national_gaps', o['peak'], 'ratio', 2)} in "
                    f"{cite.text('national_gaps', o['peak'], 'year')} and was "
                    f"{cite.num('national_gaps', o['last'], 'ratio', 2)} in "
                    f"{cite.text('national_gaps', o['last'], 'year')}. ")
        if n is not None:
            closing = g.loc[n["last"], "ratio"] < g.loc[n["first"], "ratio"]
            parts_zh += (f"一体化调查口径下由{cite.text('national_gaps', n['first'], 'year')}年的"
                         f"{cite.num('national_gaps', n['first'], 'ratio', 2)}"
                         f"{'降至' if closing else '升至'}"
                         f"{cite.text('national_gaps', n['last'], 'year')}年的"
                         f"{cite.num('national_gaps', n['last'], 'ratio', 2)}，城乡收入差距"
                         f"{'持续缩小' if closing else '有所扩大'}。")
            parts_en += (f"On the integrated survey it {'fell' if closing else 'rose'} from "
                         f"{cite.num('national_gaps', n['first'], 'ratio', 2)} in "
                         f"{cite.text('national_gaps', n['first'], 'year')} to "
                         f"{cite.num('national_gaps', n['last'], 'ratio', 2)} in "
                         f"{cite.text('national_gaps', n['last'], 'year')}: the gap is "
                         f"{'closing' if closing else 'widening'}.")
        out["gaps"] = bi(Html(parts_zh), Html(parts_en), "p")
    for fw in bundle.frameworks:
        ff = f.get(fw.id)
        if not ff:
            continue
        key = table_key(fw, "scores")
        top = "、".join(f"{cite.text(key, i, 'region')}（{cite.num(key, i, 'total')}）"
                       for i in ff["top"])
        top_en = ", ".join(f"{cite.text(key, i, 'region_en')} ({cite.num(key, i, 'total')})"
                           for i in ff["top"])
        bottom = "、".join(cite.text(key, i, "region") for i in ff["bottom"])
        bottom_en = ", ".join(cite.text(key, i, "region_en") for i in ff["bottom"])
        rising = ff["mean_last"] > ff["mean_first"]
        dim_zh = dim_en = ""
        if ff["top_dimension"]:
            dim, nreg, tot = ff["top_dimension"]
            node = next((c for c in fw.root.children if c.id == dim), None)
            if node is not None:
                dim_zh = (f"制约最多地区的维度是“{esc(node.name_zh)}”（{tot}个地区中有{nreg}个以其为"
                          "最大障碍）。")
                dim_en = (f"The dimension holding most regions back is “{esc(node.name_en)}” (the "
                          f"largest obstacle in {nreg} of {tot} regions).")
        out[_reading_key(fw)] = bi(Html(
            f"{ff['year']}年{esc(fw.name_zh)}领先的是{top}，排名靠后的是{bottom}。"
            f"{ff['first_year']}—{ff['year']}年各地区平均得分{'上升' if rising else '下降'}"
            f"（统一的合并标准化使各年可比）。{dim_zh}"), Html(
            f"In {ff['year']} the {esc(fw.name_en)} is led by {top_en}; {bottom_en} trail. The "
            f"average score {'rose' if rising else 'fell'} over {ff['first_year']}–{ff['year']} "
            f"(pooled normalisation keeps years comparable). {dim_en}"), "p")
    if "dagum" in f:
        a, z = f["dagum"]["first"], f["dagum"]["last"]
        d = t["dagum"]
        falling = d.loc[z, "total"] < d.loc[a, "total"]
        out["disparity"] = bi(Html(
            f"按人口加权，人均GDP的基尼系数由{cite.text('dagum', a, 'year')}年的"
            f"{cite.num('dagum', a, 'total')}{'降至' if falling else '升至'}"
            f"{cite.text('dagum', z, 'year')}年的{cite.num('dagum', z, 'total')}。"
            f"{cite.text('dagum', z, 'year')}年四大区域之间的净差异贡献"
            f"{cite.num('dagum', z, 'net_between_share', 1, pct=True)}，区域内差异贡献"
            f"{cite.num('dagum', z, 'within_share', 1, pct=True)}，超变密度贡献"
            f"{cite.num('dagum', z, 'transvariation_share', 1, pct=True)}。"), Html(
            f"The population-weighted Gini of GDP per capita {'fell' if falling else 'rose'} from "
            f"{cite.num('dagum', a, 'total')} in {cite.text('dagum', a, 'year')} to "
            f"{cite.num('dagum', z, 'total')} in {cite.text('dagum', z, 'year')}. In "
            f"{cite.text('dagum', z, 'year')} the net differences between the four macro-regions "
            f"contribute {cite.num('dagum', z, 'net_between_share', 1, pct=True)}, inequality "
            f"within them {cite.num('dagum', z, 'within_share', 1, pct=True)} and the overlap "
            f"(transvariation) {cite.num('dagum', z, 'transvariation_share', 1, pct=True)}."), "p")
    if "moran" in f:
        r = f["moran"]["last"]
        m = t["morans_i"]
        sig = m.loc[r, "p_sim"] <= 0.05
        beta = ""
        beta_en = ""
        if "beta_convergence" in t:
            bt = t["beta_convergence"]
            conv = bt.loc[0, "beta"] < 0 and bt.loc[0, "p"] <= 0.05
            beta = (f"绝对β收敛系数为{cite.num('beta_convergence', 0, 'beta', 4)}"
                    f"（p={cite.num('beta_convergence', 0, 'p', 3)}），"
                    + ("存在显著收敛，半衰期约" + cite.num("beta_convergence", 0, "half_life", 1)
                       + "年。" if conv else "未见显著收敛。"))
            beta_en = (f"The absolute β is {cite.num('beta_convergence', 0, 'beta', 4)} (p = "
                       f"{cite.num('beta_convergence', 0, 'p', 3)}): "
                       + (f"significant convergence, half-life about "
                          f"{cite.num('beta_convergence', 0, 'half_life', 1)} years."
                          if conv else "no significant convergence."))
        out["dynamics"] = bi(Html(
            f"{cite.text('morans_i', r, 'year')}年全局莫兰指数为{cite.num('morans_i', r, 'I')}"
            f"（置换检验p={cite.num('morans_i', r, 'p_sim')}），"
            f"{'呈显著的空间集聚' if sig else '空间集聚不显著'}。{beta}"), Html(
            f"Global Moran's I is {cite.num('morans_i', r, 'I')} in "
            f"{cite.text('morans_i', r, 'year')} (permutation p = "
            f"{cite.num('morans_i', r, 'p_sim')}): "
            f"{'significant spatial clustering' if sig else 'no significant clustering'}. "
            f"{beta_en}"), "p")
    return out


def _table_html(frame: pd.DataFrame, name: str, cols: list[tuple[str, str, str, int | None]],
                cite: Cite, rows=None, pct_cols=()) -> Html:
    """An HTML table of selected rows; numeric columns are cited, text columns and headers
    (dimension names come from the user's framework) escaped."""
    head = "".join(f"<th>{bi(zh, en)}</th>" for _, zh, en, _ in cols)
    body = []
    for i in (rows if rows is not None else range(len(frame))):
        cells = []
        for col, _, _, digits in cols:
            if isinstance(digits, str):  # "en:<column>": a bilingual text cell
                cells.append(f"<td>{bi(frame.iloc[i][col], frame.iloc[i][digits[3:]])}</td>")
            elif digits is None:
                cells.append(f"<td>{esc(frame.iloc[i][col])}</td>")
            else:
                cells.append(f'<td class="r">{cite.num(name, i, col, digits, col in pct_cols)}'
                             "</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return Html(f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
                "</tbody></table>")


def _labels(values) -> list[str]:
    """A column of names as Plotly labels (see :func:`plotly_text`)."""
    return [plotly_text(v) for v in values]


def _charts(bundle, slugs: dict[str, str]) -> list[dict]:
    """Plotly specs, both languages; ids from ``slugs`` (framework id → safe slug), and every
    name (framework, dimension, region, indicator pair) through :func:`plotly_text`."""
    t = bundle.tables
    charts = []
    if "national_gaps" in t:
        g = t["national_gaps"]
        money = g.rural_indicator.str.contains("income|consumption|expenditure")
        for cid, part, tzh, ten in (
                ("chart-gaps", g[money], "全国城乡收入与消费比（各口径分开，不拼接）",
                 "National urban–rural income and consumption ratios (each survey concept on "
                 "its own)"),
                ("chart-gaps-services", g[~money], "全国城乡公共服务与恩格尔系数比",
                 "National urban–rural ratios of health services and Engel coefficients")):
            traces = [{"type": "scatter", "mode": "lines+markers", "x": sub.year.tolist(),
                       "y": sub.ratio.round(4).tolist(), "name_zh": plotly_text(sub.pair_zh.iloc[0]),
                       "name_en": plotly_text(sub.pair_en.iloc[0])}
                      for _key, sub in part.groupby(["urban_indicator", "rural_indicator"],
                                                    sort=False)]
            if traces:
                zh, en = _fig(traces, tzh, ten, "年份", "Year", "城镇/农村", "Urban / rural",
                              height=420, legend={"orientation": "h", "y": -0.25})
                charts.append(_plot(cid, zh, en))
    for fw, _key, sc, year in bundle.scored_frameworks():
        latest = sc[sc.year == year].sort_values("total")
        zh, en = _fig([{"type": "bar", "orientation": "h", "x": latest.total.round(4).tolist(),
                        "y": _labels(latest.region), "name_zh": "得分", "name_en": "Score",
                        "marker": {"color": CB_PALETTE[0]}}],
                      f"{plotly_text(fw.name_zh)}：{year}年排名",
                      f"{plotly_text(fw.name_en)}: ranking {year}",
                      "得分", "Score", "", "", height=max(380, 18 * len(latest)))
        en["data"][0]["y"] = _labels(latest.region_en)
        charts.append(_plot(f"chart-rank-{slugs[fw.id]}", zh, en))
        dims = [c.id for c in fw.root.children if c.id in sc.columns]
        if dims:
            names = {c.id: (plotly_text(c.name_zh), plotly_text(c.name_en))
                     for c in fw.root.children}
            top = latest.sort_values("total", ascending=False)
            z = top[dims].round(4).to_numpy().T.tolist()
            base = {"type": "heatmap", "z": z, "colorscale": "Viridis", "zmin": 0, "zmax": 1}
            zh, en = _fig([{**base, "x": _labels(top.region),
                            "y": [names[d][0] for d in dims]}],
                          f"各维度得分（{year}年）", f"Dimension profiles ({year})",
                          height=300 + 20 * len(dims))
            en["data"][0]["x"] = _labels(top.region_en)
            en["data"][0]["y"] = [names[d][1] for d in dims]
            charts.append(_plot(f"chart-dims-{slugs[fw.id]}", zh, en))
    if "dagum" in t:
        d = bundle.headline_dagum()
        traces = [{"type": "bar", "x": d.year.tolist(), "y": (100 * d[c]).round(3).tolist(),
                   "name_zh": zh, "name_en": en}
                  for c, zh, en in DAGUM_SHARES]
        zh, en = _fig(traces, "Dagum基尼系数分解贡献率（%）", "Dagum decomposition: contributions (%)",
                      "年份", "Year", "%", "%", barmode="stack")
        charts.append(_plot("chart-dagum", zh, en))
    if "theil_decomposition" in t:
        th = t["theil_decomposition"]
        th = th[(th.indicator == th.indicator.iloc[0]) & (th.measure == "theil_t")]
        traces = [{"type": "scatter", "mode": "lines", "x": th.year.tolist(),
                   "y": th[c].round(5).tolist(), "name_zh": zh, "name_en": en}
                  for c, zh, en in (("total", "总体", "Total"), ("between", "区域间", "Between"),
                                    ("within", "区域内", "Within"))]
        zh, en = _fig(traces, "泰尔指数T分解（人口加权，四大区域）",
                      "Theil T decomposition (population-weighted, four macro-regions)",
                      "年份", "Year", "泰尔指数", "Theil T")
        charts.append(_plot("chart-theil", zh, en))
    if "kde_density" in t:
        k = t["kde_density"]
        traces = [{"type": "scatter", "mode": "lines", "x": sub.x.round(4).tolist(),
                   "y": sub.density.round(4).tolist(), "name_zh": str(y), "name_en": str(y)}
                  for y, sub in k.groupby("year")]
        zh, en = _fig(traces, "核密度（各年，边界反射校正）", "Kernel density by year (reflected at "
                      "the bounds)", "指数", "Index", "密度", "Density")
        charts.append(_plot("chart-kde", zh, en))
    if "morans_i" in t and len(t["morans_i"]):
        m = t["morans_i"]
        zh, en = _fig([{"type": "scatter", "mode": "lines+markers", "x": m.year.tolist(),
                        "y": m.I.round(4).tolist(), "name_zh": "莫兰指数", "name_en": "Moran's I"}],
                      "全局莫兰指数（999次置换）", "Global Moran's I (999 permutations)",
                      "年份", "Year", "I", "I")
        charts.append(_plot("chart-moran", zh, en))
    return charts


CSS = """
@font-face{font-family:URCJK;src:url(data:font/ttf;base64,%FONT%) format('truetype');}
body{font-family:URCJK,"Noto Sans SC",sans-serif;margin:0;color:#222;background:#fff;
line-height:1.55}
header{background:#0b3c5d;color:#fff;padding:18px 28px;position:sticky;top:0;z-index:5}
header h1{margin:0;font-size:22px} header button{float:right;font-size:14px;padding:6px 12px;
border:1px solid #fff;background:transparent;color:#fff;border-radius:4px;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:10px 24px 60px}
section{border-bottom:1px solid #ddd;padding:10px 0 20px} h2{color:#0b3c5d}
.reading{background:#f3f7fa;border-left:4px solid #0072B2;padding:8px 14px}
table.data{border-collapse:collapse;font-size:13px;margin:8px 0} table.data th,
table.data td{border:1px solid #ddd;padding:3px 8px} table.data th{background:#eef2f5}
td.r{text-align:right} svg.map{width:100%;max-width:680px;display:block}
.map path{stroke:#fff;stroke-width:.6} .legend span.sw{display:inline-block;
width:26px;height:12px;margin:0 4px 0 10px;vertical-align:middle}
.chart{width:100%;min-height:300px} .note{color:#666;font-size:12px}
body.lang-zh .en{display:none} body.lang-en .zh{display:none}
body.lang-both .en{display:inline;color:#555} body.lang-both p.en,body.lang-both div.en{display:block}
pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px;max-height:400px}
"""

JS = """
var CHARTS=%CHARTS%, MAPS=%MAPS%, VIRIDIS=%VIRIDIS%;
function lang(){return document.body.dataset.lang||'zh';}
function drawCharts(){var l=lang()==='en'?'en':'zh';CHARTS.forEach(function(c){
 var el=document.getElementById(c.id); if(!el)return;
 Plotly.react(el,c[l].data,c[l].layout,{displaylogo:false,responsive:true,
 modeBarButtonsToRemove:['sendDataToCloud']});});}
function colour(v,lo,hi){if(v===null||v===undefined)return '#dddddd';
 var t=hi>lo?(v-lo)/(hi-lo):0.5;var i=Math.min(VIRIDIS.length-1,Math.max(0,Math.round(t*(VIRIDIS.length-1))));
 return VIRIDIS[i];}
function paintMap(m){var el=document.getElementById(m.id);if(!el)return;
 var slider=document.getElementById(m.id+'-year');var y=slider?slider.value:m.years[m.years.length-1];
 var lab=document.getElementById(m.id+'-label');if(lab)lab.textContent=y;
 var vals=m.values[y]||{};el.querySelectorAll('path').forEach(function(p){var c=p.dataset.code;
  var v=vals[c];var name=(m.names[c]||[c,c])[lang()==='en'?1:0];
  if(m.categorical){var k=(v===undefined?0:v);p.style.fill=m.palette[k];
   p.querySelector('title').textContent=name+': '+m.labels[k][lang()==='en'?1:0];}
  else{p.style.fill=colour(v,m.min,m.max);p.querySelector('title').textContent=name+': '+
   (v===undefined?'—':v.toFixed(3));}});}
function setLang(l){document.body.dataset.lang=l;document.body.className='lang-'+l;
 document.getElementById('langbtn').textContent=(l==='en')?'中文':'English';drawCharts();
 MAPS.forEach(paintMap);}
document.addEventListener('DOMContentLoaded',function(){setLang(document.body.dataset.lang);
 document.getElementById('langbtn').addEventListener('click',function(){
  setLang(lang()==='en'?'zh':'en');});
 MAPS.forEach(function(m){var s=document.getElementById(m.id+'-year');if(s)s.addEventListener(
 'input',function(){paintMap(m);});});
 document.body.dataset.ready='1';});
"""


def _maps(bundle, registry, slugs: dict[str, str]) -> tuple[list[dict], dict[str, list[int]]]:
    """Map data for the page's script (names reach the page only through ``textContent``) and
    the years of each framework's map."""
    t = bundle.tables
    names = {c: (registry.label(c, "zh"), registry.label(c, "en")) for c in
             registry.codes("province")}
    maps, html_parts = [], {}
    for fw, _key, sc, _year in bundle.scored_frameworks():
        years = sorted(int(y) for y in sc.year.unique())
        values = {str(y): {r.region_code: round(float(r.total), 4)
                           for r in sc[sc.year == y].itertuples()} for y in years}
        maps.append({"id": f"map-{slugs[fw.id]}", "years": [str(y) for y in years], "values": values,
                     "min": float(sc.total.min()), "max": float(sc.total.max()),
                     "names": names, "categorical": False})
        html_parts[fw.id] = years
    if "lisa" in t:
        li = t["lisa"]
        year = str(int(li.year.iloc[0]))
        vals = {r.region_code: int(r.q) if r.significant else 0 for r in li.itertuples()}
        labels = {0: ("不显著", "Not significant"), 1: ("高-高", "High-High"),
                  2: ("低-高", "Low-High"), 3: ("低-低", "Low-Low"), 4: ("高-低", "High-Low")}
        maps.append({"id": "map-lisa", "years": [year], "values": {year: vals},
                     "names": names, "categorical": True, "palette": LISA_COLOURS,
                     "labels": labels})
    return maps, html_parts


def render_html(bundle, lang: str = "zh") -> tuple[str, int]:
    """The page and the number of cited numbers in it."""
    from plotly.offline import get_plotlyjs

    registry = china()
    sheets = _sheet_names(bundle.tables)
    cite = Cite(bundle.tables, sheets)
    read = _readings(bundle, cite)
    slugs = framework_slugs([fw.id for fw in bundle.frameworks])
    charts = _charts(bundle, slugs)
    maps, map_years = _maps(bundle, registry, slugs)
    geometry = registry.geometry()
    t = bundle.tables
    parts = []

    def section(sid, zh, en, body):
        """``sid`` is a fixed id or a slug, ``zh``/``en`` text, ``body`` markup built here."""
        parts.append(f'<section id="{esc_attr(sid)}"><h2>{bi(zh, en)}</h2>{body}</section>')

    def chart(cid):
        return f'<div id="{esc_attr(cid)}" class="chart"></div>' \
            if any(c["id"] == cid for c in charts) else ""

    def reading(key):
        return f'<div class="reading">{read[key]}</div>' if key in read else ""

    cov = t["coverage"]
    section("coverage", "数据覆盖与局限", "What the data cover — and cannot say",
            reading("coverage") + _table_html(
                cov, "coverage", [("indicator", "指标", "Indicator", None),
                                  ("name_zh", "名称", "Name", None),
                                  ("unit", "单位", "Unit", None),
                                  ("first_year", "起始年", "From", 0),
                                  ("last_year", "结束年", "To", 0),
                                  ("n_regions", "地区数", "Regions", 0),
                                  ("n_values", "数值个数", "Values", 0),
                                  ("missing_years", "缺失年份", "Missing years", None)], cite)
            + "<p class='note'>" + bi("系列断点：2013年农村收入口径变化；恩格尔系数有两个官方序列；"
                                      "人口与GDP采用最新修订版本，不同版本不拼接。",
                                      "Series breaks: the 2013 rural income concept; two official "
                                      "Engel series; population and GDP in their latest vintage, "
                                      "vintages never spliced.") + "</p>")
    body = reading("gaps") + chart("chart-gaps") + chart("chart-gaps-services")
    if "national_ur_theil" in t:
        ut = t["national_ur_theil"]
        cur = ut[(ut.population_source == "current vintage") & ut.pair_en.str.contains("income")]
        rows = list(cur.index)
        if rows:
            body += "<h3>" + bi("城乡泰尔指数（现行人口口径）", "Urban–rural Theil (current population "
                                                          "vintage)") + "</h3>"
            body += _table_html(ut, "national_ur_theil", [
                ("pair_zh", "指标对", "Pair", None), ("year", "年份", "Year", 0),
                ("urban_rural_theil", "城乡泰尔指数", "Urban–rural Theil", 4)], cite,
                rows=rows)
    section("gaps", "城乡差距的演变", "The urban–rural gap over time", body)
    for fw, key, sc, year in bundle.scored_frameworks():
        rows = list(sc[sc.year == year].sort_values("rank").index)
        dims = [(c.id, c.name_zh, c.name_en, 3) for c in fw.root.children if c.id in sc.columns]
        slug = slugs[fw.id]
        body = reading(_reading_key(fw))
        body += "<h3>" + bi(f"{year}年排名", f"Ranking {year}") + "</h3>"
        body += _table_html(sc, key, [("rank", "排名", "Rank", 0),
                                      ("region", "地区", "Region", "en:region_en"),
                                      ("total", "总得分", "Score", 3)] + dims, cite, rows=rows)
        years = map_years.get(fw.id, [])
        if years:
            body += ("<h3>" + bi("分省地图（拖动滑块切换年份）", "Map by province (drag to change "
                                                              "the year)") + "</h3>")
            body += (f'<input type="range" id="map-{slug}-year" min="{int(years[0])}" '
                     f'max="{int(years[-1])}" value="{int(years[-1])}" step="1" '
                     f'aria-label="year"> <b id="map-{slug}-label"></b>'
                     + _svg_map(geometry, f"map-{slug}"))
            body += ('<div class="legend">' + "".join(
                f'<span class="sw" style="background:{c}"></span>' for c in VIRIDIS)
                     + bi(" 低 → 高", " low → high") + "</div>")
            body += "<p class='note'>" + bi("底图：Natural Earth（事实边界），正式出版请使用审图号标准地图。",
                                            "Base map: Natural Earth (de-facto boundaries); use "
                                            "the official standard map for publication in China."
                                            ) + "</p>"
        body += chart(f"chart-rank-{slug}") + chart(f"chart-dims-{slug}")
        ck = table_key(fw, "coupling")
        if ck in t:
            cp = t[ck]
            crow = list(cp[cp.year == year].sort_values("D", ascending=False).index)
            body += "<h3>" + bi("耦合协调度与等级", "Coupling coordination and grade") + "</h3>"
            body += _table_html(cp, ck, [("region", "地区", "Region", "en:region_en"),
                                         ("C", "耦合度C", "C", 3),
                                         ("T", "综合发展T", "T", 3), ("D", "协调度D", "D", 3),
                                         ("grade_zh", "等级", "Grade", "en:grade_en"),
                                         ("lagging_zh", "滞后子系统", "Lagging", "en:lagging_en")],
                                cite, rows=crow)
        ok = table_key(fw, "top_obstacles")
        if ok in t:
            ob = t[ok]
            orow = list(ob[(ob.year == year) & (ob["rank"] == 1)].index)
            body += "<h3>" + bi("各地区首要障碍因子", "Main obstacle of each region") + "</h3>"
            body += _table_html(ob, ok, [("region", "地区", "Region", "en:region_en"),
                                         ("name_zh", "首要障碍指标", "Main obstacle",
                                          "en:name_en"),
                                         ("obstacle", "障碍度(%)", "Obstacle (%)", 1)], cite,
                                rows=orow)
        uk = table_key(fw, "unavailable")
        if uk in t and len(t[uk]):
            body += "<h3>" + bi("数据尚不能覆盖的部分", "What the data cannot yet fill") + "</h3>"
            body += _table_html(t[uk], uk, [("indicator", "指标", "Indicator", None),
                                            ("name_zh", "名称", "Name", "en:name_en"),
                                            ("reason", "原因（英文）", "Reason", None)], cite)
        section(slug, fw.name_zh, fw.name_en, body)
    body = reading("disparity") + chart("chart-theil") + chart("chart-dagum")
    if "dagum" in t:
        dg = t["dagum"]
        rows = list(bundle.headline_dagum().index)
        body += _table_html(dg, "dagum", [("year", "年份", "Year", 0), ("total", "总体基尼", "Gini", 4),
                                          ("within_share", "区域内", "Within", 1),
                                          ("net_between_share", "区域间", "Between", 1),
                                          ("transvariation_share", "超变密度", "Transvariation", 1)],
                            cite, rows=rows,
                            pct_cols=("within_share", "net_between_share",
                                      "transvariation_share"))
    section("disparity", "区域差异：泰尔与Dagum分解", "Regional disparity: Theil and Dagum "
                                                   "decompositions", body)
    body = reading("dynamics") + chart("chart-kde") + chart("chart-moran")
    if "beta_convergence" in t:
        body += "<h3>" + bi("收敛", "Convergence") + "</h3>" + _table_html(
            t["beta_convergence"], "beta_convergence",
            [("model", "模型", "Model", None), ("beta", "β", "β", 4), ("p", "p值", "p", 3),
             ("speed", "收敛速度λ", "Speed λ", 4), ("half_life", "半衰期(年)", "Half-life", 1),
             ("spatial_param", "空间参数", "ρ / λ", 3)], cite)
    if any(m["id"] == "map-lisa" for m in maps):
        body += "<h3>" + bi("LISA集聚图", "LISA cluster map") + "</h3>" + _svg_map(geometry,
                                                                                "map-lisa")
        body += '<div class="legend">' + "".join(
            f'<span class="sw" style="background:{LISA_COLOURS[k]}"></span>{bi(z, e)} '
            for k, (z, e) in ((1, ("高-高", "High-High")), (2, ("低-高", "Low-High")),
                              (3, ("低-低", "Low-Low")), (4, ("高-低", "High-Low")),
                              (0, ("不显著", "n.s.")))) + "</div>"
    if "markov" in t:
        mk = t["markov"]
        k = int(mk.from_class.max())
        head = "".join(f"<th>{j}</th>" for j in range(1, k + 1))
        rows_html = []
        for i in range(k):
            cells = "".join(f'<td class="r">{cite.num("markov", i * k + j, "probability", 3)}'
                            "</td>" for j in range(k))
            rows_html.append(f"<tr><th>{i + 1}</th>{cells}</tr>")
        body += ("<h3>" + bi("马尔可夫转移概率（行：t年类别，列：t+1年类别）",
                             "Markov transition probabilities (rows: class in t, columns: t + 1)")
                 + f'</h3><table class="data"><tr><th></th>{head}</tr>{"".join(rows_html)}'
                 "</table>")
    section("dynamics", "动态与空间格局", "Dynamics and space", body)
    formulas = [
        ("熵权法", "Entropy weights", "e_j = −(1/ln m) Σ p_ij ln p_ij, w_j ∝ 1 − e_j (m = units)"),
        ("耦合协调度", "Coupling coordination",
         "C = [Π U_i / ((1/n)Σ U_i)^n]^(1/n); Wang et al. (2021) corrected form; D = √(C·T)"),
        ("障碍度", "Obstacle degree", "O_ij = w_j(1 − x'_ij) / Σ_j w_j(1 − x'_ij) × 100%"),
        ("泰尔指数", "Theil T", "T = Σ s_g ln(μ_g/μ) + Σ s_g T_g (value shares)"),
        ("Dagum基尼系数", "Dagum Gini", "G = G_w + G_nb + G_t (Dagum 1997)"),
        ("莫兰指数", "Moran's I", "I = (n/S0)·z'Wz / z'z, 999 permutations"),
        ("β收敛", "β-convergence", "λ = −ln(1 + Tβ)/T, half-life = ln 2/λ"),
    ]
    body = "<ul>" + "".join(f"<li>{bi(zh, en)}: <code>{esc(f)}</code></li>"
                            for zh, en, f in formulas) + "</ul>"
    body += "<h3>" + bi("分析规格（可复现）", "Analysis spec (reproducible)") + "</h3>"
    body += f"<pre>{esc(yaml.safe_dump(bundle.spec, allow_unicode=True, sort_keys=False))}</pre>"
    body += "<h3>" + bi("数据来源", "Data sources") + "</h3>" + _table_html(
        t["sources"], "sources", [("id", "指标", "Indicator", None),
                                  ("name_zh", "名称", "Name", None),
                                  ("source", "来源", "Source", None),
                                  ("licence", "许可", "Licence", None)], cite)
    if bundle.notes:
        body += "<h3>" + bi("说明", "Notes") + "</h3><ul>" + "".join(
            f"<li>{esc(n)}</li>" for n in bundle.notes) + "</ul>"
    section("methods", "方法与来源", "Methods and provenance", body)
    # links only to sections that exist: a framework has one when it was scored
    nav = "".join(f'<a href="#{esc_attr(sid)}">{bi(zh, en)}</a> · ' for sid, zh, en in (
        ("coverage", "数据", "Data"), ("gaps", "城乡差距", "Gap"),
        *((slugs[fw.id], fw.name_zh, fw.name_en) for fw, *_ in bundle.scored_frameworks()),
        ("disparity", "区域差异", "Disparity"), ("dynamics", "动态", "Dynamics"),
        ("methods", "方法", "Methods")))
    body_html = (f'<header><button id="langbtn" type="button">English</button><h1>'
                 f'{bi("城乡融合与共同富裕报告", "Urban–rural integration and common prosperity")}'
                 f'</h1></header><main><p class="note">{nav}</p>{"".join(parts)}</main>')
    text_for_font = body_html + json.dumps(charts, ensure_ascii=False) + \
        json.dumps(maps, ensure_ascii=False)
    font64 = _subset_font(text_for_font)
    # one pass over the template: a label that reads "%MAPS%" stays a label
    slots = {"CHARTS": script_json(charts), "MAPS": script_json(maps),
             "VIRIDIS": script_json(VIRIDIS)}
    js = re.sub(r"%(CHARTS|MAPS|VIRIDIS)%", lambda m: slots[m.group(1)], JS)
    lang = lang if lang in ("zh", "en", "both") else "zh"
    page = ("<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>urbanrural report 城乡融合报告</title>"
            f"<style>{CSS.replace('%FONT%', font64)}</style>"
            f"<script>{get_plotlyjs()}</script></head>"
            f"<body class='lang-{esc_attr(lang)}' data-lang='{esc_attr(lang)}'>{body_html}"
            f"<script>{js}</script>"
            "</body></html>")
    return page, cite.count


def _sheet_names(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    out, used = {}, set()
    for name in tables:
        s = name[:31]
        i = 1
        while s in used:
            s = f"{name[:28]}_{i}"
            i += 1
        used.add(s)
        out[name] = s
    return out


def write_report(bundle, out_dir, *, lang: str = "zh", force: bool = False) -> dict[str, Path]:
    """Write the four outputs into ``out_dir`` (a path, or an
    :class:`~urbanrural.outputs.destination.OutputFolder` checked before computing).

    The folder must be new, empty or a previous urbanrural output; anything else raises
    :class:`~urbanrural.outputs.destination.DestinationError` unless ``force``, which then
    replaces only the files the report writes. Everything is built in a staging folder and
    put in place only when all of it succeeded; a previous report is swapped out atomically
    (see :mod:`urbanrural.outputs.destination`).
    """
    from .destination import OutputFolder

    dest = out_dir if isinstance(out_dir, OutputFolder) else \
        OutputFolder(out_dir, command="report", force=force)
    with dest.writing() as tmp:
        sheets = _sheet_names(bundle.tables)
        write_tables(bundle.tables, tmp, workbook="results.xlsx", csv=False,
                     sheet_titles=sheets)
        write_figures(bundle, tmp / "figures", china().geometry())
        page, n_cited = render_html(bundle, lang if lang in ("zh", "en", "both") else "zh")
        (tmp / "index.html").write_text(page, encoding="utf-8")
        (tmp / "analysis.yaml").write_text(
            yaml.safe_dump(bundle.spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = dest.path
    return {"html": out / "index.html", "xlsx": out / "results.xlsx",
            "figures": out / "figures", "spec": out / "analysis.yaml", "cited": n_cited}
