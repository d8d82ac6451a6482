"""Render an analysis into ``index.html``: one Jinja2 template per section (autoescape on),
one page template, the partial Plotly bundle and a subset of the bundled CJK font, all inline.

A section's template reads its :class:`~urbanrural.pipeline.sections.base.SectionResult` and
the view that ``outputs/sections/<name>.py`` builds from it (charts, maps, table rows); prose
lives in the templates, never in Python strings.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib
import io
import re
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from ..methods.claims import label as claim_label
from ..pipeline.analysis import AnalysisResult
from .html import script_json
from .page import NO_DATA, Page, fmt
from .typeface import font_path
from .units import unit_en

__all__ = ["render_page", "environment", "svg_map"]


def pvalue(p: float) -> str:
    """A p-value as printed: "p < 0.001" below a thousandth, else three decimals."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("urbanrural.outputs", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["fmt"] = fmt
    env.filters["pvalue"] = pvalue
    env.globals["L"] = claim_label
    env.globals["unit_en"] = unit_en
    return env


@cache
def plotly_js() -> str:
    data = resources.files("urbanrural.outputs").joinpath(
        "static", "plotly-basic-3.7.0.min.js.gz").read_bytes()
    return gzip.decompress(data).decode("utf-8")


def subset_font(text: str) -> str:
    """The bundled font cut to the characters of ``text`` (plus ASCII), as WOFF (zlib, no extra
    dependency; 40 % smaller than TTF) in base64 for CSS."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()))
    opts = subset.Options()
    opts.notdef_outline = True
    opts.layout_features = []
    sub = subset.Subsetter(opts)
    sub.populate(unicodes={ord(c) for c in text} | set(range(0x20, 0x7F)))
    sub.subset(font)
    font.flavor = "woff"
    buf = io.BytesIO()
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


def _ring_path(ring, lon0: float, lat1: float, sx: float, x0: float = 0.0, y0: float = 0.0
               ) -> str:
    """One ring as a compact SVG path: projected, rounded to 0.5 px, repeated points dropped,
    relative moves (a map of 31 provinces is a few dozen kilobytes, not a hundred)."""
    import numpy as np

    a = np.asarray(ring, dtype=float)
    xy = np.round(np.column_stack([x0 + (a[:, 0] - lon0) * sx,
                                   y0 + (lat1 - a[:, 1]) * sx * 1.15]) * 2) / 2
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = (np.diff(xy, axis=0) != 0).any(axis=1)
    xy = xy[keep]
    if len(xy) < 3:
        return ""
    d = np.diff(xy, axis=0)
    steps = " ".join(f"{dx:g} {dy:g}" for dx, dy in d)
    return f"M{xy[0, 0]:g} {xy[0, 1]:g}l{steps}z"


def _china_context() -> tuple[list, list]:
    """Taiwan and the South China Sea pieces of China's outline in the bundled world geometry
    (the Chinese-named country polygons, which include Taiwan, the islands and the dashed
    line of the South China Sea): (Taiwan rings, South China Sea rings)."""
    import numpy as np

    from ..data.registry import world

    chn = next(f for f in world().geometry()["features"] if f["properties"]["code"] == "CHN")
    polys = chn["geometry"]["coordinates"] if chn["geometry"]["type"] == "MultiPolygon" else \
        [chn["geometry"]["coordinates"]]
    taiwan, sea = [], []
    for poly in polys:
        ring = poly[0]
        lon, lat = np.asarray(ring, dtype=float).mean(axis=0)
        if 119.0 < lon < 122.6 and 21.8 < lat < 25.5 and len(ring) > 5:
            taiwan.append(ring)
        elif 104.0 < lon < 125.0 and 2.0 < lat < 26.5 and len(ring) < 100:
            sea.append(ring)
    return taiwan, sea


# Region outlines are written once per page in a hidden <svg><defs> and every map refers to
# them with <use>, so seven maps of China cost one set of outlines (a few dozen kB), not seven.
_DEFS: dict[str, Markup] = {}
_DEF_REF = re.compile(r'href="#(g[0-9a-f]{10})-')


def svg_map(geometry: dict, *, view: tuple[float, float, float, float] | None = None,
            width: int = 640, china_context: bool | None = None) -> Markup:
    """A map of regions (equirectangular lon/lat, y flipped) with ``data-code`` for colouring.

    For China's provinces (``china_context``, default when the codes are province codes) the
    map also draws Taiwan (``710000``, "no data" unless the data hold it) and the customary
    inset of the South China Sea islands at the lower right. The ``id`` is ``%ID%``, filled in
    by :meth:`~urbanrural.outputs.page.Page.map`. Codes are registry codes (never user text);
    names reach the page only through ``textContent``.
    """
    codes = [str(f["properties"]["code"]) for f in geometry["features"]]
    if china_context is None:
        china_context = bool(codes) and all(len(c) == 6 and c.isdigit() for c in codes)
    if view is None:
        view = (73, 54, 136, 17.5) if china_context else (-180, 84, 180, -60)
    lon0, lat1, lon1, lat0 = view
    sx = width / (lon1 - lon0)
    height = round((lat1 - lat0) * sx * 1.15)
    outlines: dict[str, str] = {}
    for f, code in zip(geometry["features"], codes, strict=True):
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        outlines[code] = " ".join(_ring_path(poly[0], lon0, lat1, sx) for poly in polys)
    extra = []
    if china_context:
        taiwan, sea = _china_context()
        if taiwan and "710000" not in outlines:
            outlines["710000"] = " ".join(_ring_path(r, lon0, lat1, sx) for r in taiwan)
        # inset: 105–125°E, 2–25°N at a smaller scale, in a box at the lower right
        ilon0, ilat1, scale = 105.0, 25.0, sx / 2.2
        iw, ih = 20 * scale, 23 * scale * 1.15
        x0, y0 = width - iw - 4, height - ih - 4
        d = " ".join(_ring_path(r, ilon0, ilat1, scale, x0, y0) for r in sea + taiwan)
        # presentation attributes, not CSS: styles do not reach into <use> copies
        extra = [Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#fff" '
                        'stroke="#888" stroke-width="0.8"></rect><path d="{}" fill="#d0d0d0" '
                        'stroke="#777" stroke-width="0.4"></path>').format(x0, y0, iw, ih, d)]
        label = Markup('<text class="inset-label zh" x="{:.1f}" y="{:.1f}">南海诸岛</text>'
                       '<text class="inset-label en" x="{:.1f}" y="{:.1f}">South China Sea</text>'
                       ).format(x0 + 3, y0 + ih - 4, x0 + 3, y0 + ih - 4)
    key = "g" + hashlib.sha1(repr((sorted(outlines.items()), extra)).encode()).hexdigest()[:10]
    if key not in _DEFS:
        _DEFS[key] = Markup("").join(
            [Markup('<path id="{}-{}" d="{}" stroke="#fff" stroke-width="0.6"></path>').format(
                key, c, d)
             for c, d in outlines.items()] +
            [Markup('<g id="{}-extra">{}</g>').format(key, Markup("").join(extra))])
    uses = [Markup('<use data-code="{}" href="#{}-{}"><title></title></use>').format(c, key, c)
            for c in outlines]
    uses.append(Markup('<use href="#{}-extra"></use>').format(key))
    if china_context:
        uses.append(label)
    return Markup('<svg id="%ID%" class="map" viewBox="0 0 {} {}" role="img">{}</svg>').format(
        width, height, Markup("").join(uses))


def _defs_for(html: str) -> Markup:
    keys = sorted(set(_DEF_REF.findall(html)))
    if not keys:
        return Markup("")
    return Markup('<svg class="defs" width="0" height="0" style="position:absolute" '
                  'aria-hidden="true"><defs>{}</defs></svg>').format(
        Markup("").join(_DEFS[k] for k in keys))


def _view(name: str, section, page: Page) -> dict:
    """The view of a section, from ``outputs/sections/<name>.py`` (``{}`` when it has none)."""
    try:
        mod = importlib.import_module(f"{__package__}.sections.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.sections.{name}":
            raise
        return {}
    return mod.view(section, page)


def render_page(result: AnalysisResult, *, lang: str | None = None) -> tuple[str, Page]:
    """The whole page, and the :class:`Page` (charts, maps, count of cited numbers)."""
    env = environment()
    sheets = {t.key: t for _, t in result.tables()}
    page = Page(sheets)
    blocks = []
    for s in result.sections:
        anchor = page.slugs(s.name)
        if s.skipped is not None:
            body = env.get_template("skipped.html.j2").render(s=s)
        else:
            view = _view(s.name, s, page)
            body = env.get_template(f"sections/{s.name}.html.j2").render(
                s=s, v=view, page=page, cite=page.cite, spec=result.spec)
        blocks.append({"anchor": anchor, "s": s, "html": Markup(body)})
    charts = [{"id": c.id, "zh": c.zh, "en": c.en} for c in page.charts]
    maps = [m.__dict__ for m in page.maps]
    data_js = Markup("var CHARTS={};var MAPS={};var NO_DATA={};").format(
        Markup(script_json(charts)), Markup(script_json(maps)), Markup(script_json(NO_DATA)))
    lang = lang or result.spec.lang
    defs = _defs_for("".join(str(b["html"]) for b in blocks))
    html = env.get_template("page.html.j2").render(defs=defs,
        blocks=blocks, spec=result.spec, lang=lang, data_js=data_js,
        plotly_js=Markup(plotly_js().replace("</script", "<\\/script")), font="FONT")
    font = subset_font(html.replace(plotly_js(), ""))
    placeholder = "url(data:font/woff;base64,FONT)"
    if placeholder not in html:  # the page template and this function must agree
        raise RuntimeError("page.html.j2 has no font placeholder " + placeholder)
    return html.replace(placeholder, f"url(data:font/woff;base64,{font})", 1), page
