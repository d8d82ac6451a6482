"""The page being written: cited numbers, charts and maps that section templates place.

Every number a template prints goes through :meth:`Page.cite`, which reads it from a table of
the run and tags it with the sheet, row and column of ``results.xlsx`` it comes from (a test
reads every tag back against the workbook). Charts are Plotly figures in both languages;
labels pass through :func:`~urbanrural.outputs.html.plotly_text`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from markupsafe import Markup, escape

from ..pipeline.sections.base import Table
from .html import Slugs, plotly_text

__all__ = ["Page", "Chart", "MapView", "figure", "fmt"]

# Okabe–Ito, safe for colour-blind readers
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000"]
SEQUENTIAL = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
NO_DATA = "#e0e0e0"
FONT_FAMILY = "URCJK, sans-serif"


def fmt(v: float, digits: int = 2, *, pct: bool = False) -> str:
    """A number as printed in the page (thousands separators from 10,000)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if pct:
        return f"{100 * v:.{digits}f}%"
    return f"{v:,.{digits}f}" if abs(v) >= 1e4 else f"{v:.{digits}f}"


@dataclass
class Chart:
    id: str
    zh: dict
    en: dict


@dataclass
class MapView:
    """A choropleth of provinces (or countries): values by year, fixed class breaks."""

    id: str
    years: list[str]
    values: dict[str, dict[str, float]]
    breaks: list[float]
    colours: list[str]
    names: dict[str, tuple[str, str]]
    unit: tuple[str, str]
    categorical: dict[int, tuple[str, str]] | None = None
    digits: int = 2


def _width(ch: str) -> int:
    return 2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1


def wrap_label(text: str, width: int) -> str:
    """``text`` escaped for Plotly and broken with ``<br>`` into lines of at most ``width``
    columns (a Chinese character counts two), at spaces where there are any, so that long
    legend entries and titles fit a phone screen instead of being cut off."""
    lines, line, n = [], "", 0
    tokens = [t for part in str(text).split(" ") for t in (part, " ")][:-1]
    for tok in tokens:
        # a token longer than a line (a Chinese phrase has no spaces) is split by characters
        for piece in ([tok] if sum(map(_width, tok)) <= width else list(tok)):
            w = sum(map(_width, piece))
            if n + w > width and line.strip():
                lines.append(line.rstrip())
                line, n = ("" if piece == " " else piece), (0 if piece == " " else w)
            else:
                line, n = line + piece, n + w
    if line.strip():
        lines.append(line.rstrip())
    return "<br>".join(plotly_text(x) for x in lines)


def _axis_title(t: tuple[str, str] | None, i: int) -> dict:
    return {"title": {"text": plotly_text(t[i]) if t else ""}, "automargin": True}


def figure(traces: Sequence[dict], *, title: tuple[str, str], x: tuple[str, str] | None = None,
           y: tuple[str, str] | None = None, years_on_x: bool = True, height: int = 380,
           **layout: Any) -> tuple[dict, dict]:
    """A Plotly figure in Chinese and English.

    ``traces`` are Plotly trace dicts whose ``name`` (and ``text``, ``hovertext``) may be a
    ``(zh, en)`` pair; every label is escaped for Plotly. Years on the x axis get integer ticks.
    """
    figs = []
    for i in (0, 1):
        data = []
        for t in traces:
            t2 = {}
            for k, v in t.items():
                if isinstance(v, tuple) and len(v) == 2 and all(isinstance(s, str) for s in v):
                    v = v[i]
                if k in ("name",) and isinstance(v, str):
                    v = wrap_label(v, 40)
                if k in ("text", "hovertext") and isinstance(v, list):
                    v = [plotly_text(s[i] if isinstance(s, tuple) else s) for s in v]
                t2[k] = v
            data.append(t2)
        xaxis = _axis_title(x, i)
        if years_on_x:
            # year ticks speak for themselves: no axis title to collide with the legend below
            xaxis.update({"tickformat": "d", "type": "linear", "title": {"text": ""}})
        # titles left-aligned: centred ones run under the mode bar on narrow screens
        lay = {"title": {"text": wrap_label(title[i], 40), "font": {"size": 15}, "x": 0.01,
                         "xanchor": "left"},
               "height": height,
               "margin": {"l": 50, "r": 20, "t": 50 + 20 * wrap_label(title[i], 40).count("<br>"),
                          "b": 40},
               "font": {"family": FONT_FAMILY, "size": 12}, "colorway": PALETTE,
               "paper_bgcolor": "white", "plot_bgcolor": "#fafafa", "xaxis": xaxis,
               "yaxis": _axis_title(y, i),
               "legend": {"orientation": "h", "y": -0.18, "x": 0, "yanchor": "top"}}
        for k, v in layout.items():
            lay[k] = v[i] if isinstance(v, tuple) and len(v) == 2 and \
                isinstance(v[0], dict) else v
        figs.append({"data": data, "layout": lay})
    return figs[0], figs[1]


@dataclass
class Page:
    """Collects what the section templates place on the page."""

    sheets: Mapping[str, Table]
    slugs: Slugs = field(default_factory=lambda: Slugs(reserved=("langbtn", "top", "nav")))
    charts: list[Chart] = field(default_factory=list)
    maps: list[MapView] = field(default_factory=list)
    cited: int = 0

    def cite(self, table: Table | str, row: int, col: str, digits: int = 2,
             pct: bool = False) -> Markup:
        """A number of a table, tagged with where it lives in ``results.xlsx``."""
        t = self.sheets[table] if isinstance(table, str) else table
        if t.key not in self.sheets:
            raise KeyError(f"table {t.key!r} is not written to results.xlsx")
        v = t.frame.iloc[int(row)][col]
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return Markup("—")
        self.cited += 1
        shown = fmt(float(v), digits, pct=pct)
        if col in ("seed", "year", "first_year", "last_year") or col.endswith("_year"):
            shown = f"{float(v):.{digits}f}"  # identifiers and years take no separators
        return Markup('<span class="num" data-sheet="{}" data-row="{}" data-col="{}" '
                      'data-digits="{}" data-pct="{}">{}</span>').format(
            t.key, int(row), col, int(digits), int(pct), shown)

    def text(self, table: Table, row: int, col: str) -> Markup:
        return escape(table.frame.iloc[int(row)][col])

    def chart(self, hint: str, figs: tuple[dict, dict], *, height: int | None = None) -> Markup:
        """Place a chart: an empty ``div`` the page script fills after the font has loaded."""
        cid = self.slugs(f"chart-{hint}")
        zh, en = figs
        self.charts.append(Chart(cid, zh, en))
        h = height or zh["layout"].get("height", 380)
        return Markup('<div class="chart" id="{}" style="min-height:{}px"></div>').format(cid, h)

    def map(self, hint: str, values: Mapping[int | str, Mapping[str, float]], *,
            names: Mapping[str, tuple[str, str]], unit: tuple[str, str], svg: Markup,
            breaks: Sequence[float] | None = None, k: int = 5,
            categorical: Mapping[int, tuple[str, str]] | None = None,
            colours: Sequence[str] | None = None, digits: int = 2) -> Markup:
        """Place a choropleth: an SVG of regions coloured by class, a legend with the class
        breaks and unit, "no data" in grey, and a year slider when there are several years.

        ``breaks`` default to quantiles of all values over all years (one scale for the
        slider, so colours compare across years).
        """
        mid = self.slugs(f"map-{hint}")
        years = [str(y) for y in values]
        # only the regions the map draws travel to the page: a county panel on the province
        # map would carry thousands of values no shape shows (and megabytes of page)
        drawn = set(re.findall(r'data-code="([^"]+)"', str(svg)))
        vals = {str(y): {str(c): float(v) for c, v in d.items() if v is not None and
                         np.isfinite(v) and str(c) in drawn} for y, d in values.items()}
        if not any(vals.values()):
            return Markup('<p class="note"><span class="zh">无地图：数据中的地区不在地图的边界中'
                          '（例如县级数据只有代码，没有边界）。</span><span class="en">No map: the '
                          'regions of the data are not among the shapes of the map (county data, '
                          'for instance, have codes but no boundaries here).</span></p>')
        names = {c: n for c, n in names.items() if str(c) in drawn}
        if categorical is None:
            allv = np.array([v for d in vals.values() for v in d.values()], dtype=float)
            if breaks is None:
                breaks = list(np.unique(np.quantile(allv, np.linspace(0, 1, k + 1)))) if \
                    allv.size else [0.0, 1.0]
            cols = list(colours or SEQUENTIAL)[:max(1, len(breaks) - 1)]
        else:
            breaks, cols = [], list(colours or PALETTE)
        names = {"710000": ("台湾", "Taiwan"), **dict(names)}  # drawn on every China map
        self.maps.append(MapView(mid, years, vals, [float(b) for b in breaks], cols,
                                 dict(names), unit, dict(categorical) if categorical else None,
                                 int(digits)))
        slider = Markup("")
        if len(years) > 1:
            slider = Markup('<div class="slider"><input type="range" id="{}-year" min="0" '
                            'max="{}" value="{}" aria-label="year"><span id="{}-label"></span>'
                            '</div>').format(mid, len(years) - 1, len(years) - 1, mid)
        return Markup('<div class="mapbox">{}<div class="legend" id="{}-legend"></div>{}</div>'
                      ).format(Markup(str(svg).replace("%ID%", mid)), mid, slider)
