"""Render an analysis into ``index.html``: one Jinja2 template per section (autoescape on),
one page template, the partial Plotly bundle and a subset of the bundled CJK font, all inline.

A section's template reads its :class:`~urbanrural.pipeline.sections.base.SectionResult` and
the view that ``outputs/sections/<name>.py`` builds from it (charts, maps, table rows); prose
lives in the templates, never in Python strings.
"""

from __future__ import annotations

import base64
import gzip
import importlib
import io
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from ..methods.claims import label as claim_label
from ..pipeline.analysis import AnalysisResult
from .html import script_json
from .page import NO_DATA, Page, fmt
from .typeface import font_path

__all__ = ["render_page", "environment", "svg_map"]


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("urbanrural.outputs", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["fmt"] = fmt
    env.globals["L"] = claim_label
    return env


@cache
def plotly_js() -> str:
    data = resources.files("urbanrural.outputs").joinpath(
        "static", "plotly-cartesian-3.7.0.min.js.gz").read_bytes()
    return gzip.decompress(data).decode("utf-8")


def subset_font(text: str) -> str:
    """The bundled font cut to the characters of ``text`` (plus ASCII), base64 for CSS."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()))
    opts = subset.Options()
    opts.notdef_outline = True
    opts.layout_features = []
    sub = subset.Subsetter(opts)
    sub.populate(unicodes={ord(c) for c in text} | set(range(0x20, 0x7F)))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode()


def svg_map(geometry: dict, *, view: tuple[float, float, float, float] = (73, 54, 136, 17),
            width: int = 640) -> Markup:
    """Region paths (equirectangular lon/lat, y flipped) with ``data-code`` for colouring.

    The ``id`` is ``%ID%``, filled in by :meth:`~urbanrural.outputs.page.Page.map`. Codes are
    registry codes (never user text); names reach the page only through ``textContent``.
    """
    lon0, lat1, lon1, lat0 = view
    sx = width / (lon1 - lon0)
    height = round((lat1 - lat0) * sx * 1.15)
    paths = []
    for f in geometry["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        d = []
        for poly in polys:
            ring = poly[0]
            pts = " L".join(f"{(x - lon0) * sx:.1f},{(lat1 - y) * sx * 1.15:.1f}" for x, y in ring)
            d.append(f"M{pts} Z")
        code = str(f["properties"]["code"])
        paths.append(Markup('<path data-code="{}" d="{}"><title></title></path>').format(
            code, " ".join(d)))
    return Markup('<svg id="%ID%" class="map" viewBox="0 0 {} {}" role="img">{}</svg>').format(
        width, height, Markup("").join(paths))


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
    html = env.get_template("page.html.j2").render(
        blocks=blocks, spec=result.spec, lang=lang, data_js=data_js,
        plotly_js=Markup(plotly_js().replace("</script", "<\\/script")), font="FONT")
    font = subset_font(html.replace(plotly_js(), ""))
    return html.replace("url(data:font/ttf;base64,FONT)", f"url(data:font/ttf;base64,{font})",
                        1), page
