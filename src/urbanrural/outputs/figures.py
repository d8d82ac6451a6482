"""Publication figures (PNG and SVG) with Chinese labels rendered by the bundled CJK font
(WenQuanYi Micro Hei, GB2312 subset); SVG text is converted to paths so it shows anywhere."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from ..pipeline.report import DAGUM_SHARES  # noqa: E402

__all__ = ["font_path", "setup_font", "write_figures", "CB_PALETTE"]

# Okabe–Ito colours: distinguishable with the common forms of colour blindness and in grey
CB_PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
              "#000000"]


def font_path() -> Path:
    return Path(str(resources.files("urbanrural.outputs") / "fonts" /
                    "wqy-microhei-gb2312.ttf"))


def setup_font() -> str:
    """Register the bundled CJK font with matplotlib and make it the default family."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["svg.fonttype"] = "path"
    return name


def _save(fig, folder: Path, name: str) -> list[Path]:
    out = []
    for ext in ("png", "svg"):
        p = folder / f"{name}.{ext}"
        fig.savefig(p, dpi=150 if ext == "png" else None, bbox_inches="tight")
        out.append(p)
    plt.close(fig)
    return out


def _polygons(geometry: dict) -> dict[str, list[np.ndarray]]:
    shapes: dict[str, list[np.ndarray]] = {}
    for f in geometry["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        shapes[f["properties"]["code"]] = [np.asarray(p[0]) for p in polys]
    return shapes


def map_figure(values: pd.Series, geometry: dict, title: str, *, cmap="viridis",
               categorical: dict | None = None):
    """Choropleth of province values (Series indexed by code) on the registry geometry."""
    shapes = _polygons(geometry)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    patches, colours = [], []
    norm = matplotlib.colors.Normalize(values.min(), values.max()) if categorical is None \
        else None
    cm = plt.get_cmap(cmap)
    for code, rings in shapes.items():
        v = values.get(code, np.nan)
        if categorical is not None:
            col = categorical.get(v, "#dddddd")
        else:
            col = "#dddddd" if pd.isna(v) else cm(norm(v))
        for ring in rings:
            patches.append(Polygon(ring, closed=True))
            colours.append(col)
    ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="white",
                                      linewidth=0.4))
    ax.autoscale_view()
    ax.set_aspect(1.2)
    ax.axis("off")
    ax.set_title(title)
    if categorical is None:
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        fig.colorbar(sm, ax=ax, shrink=0.6)
    ax.text(0.0, -0.02, "底图：Natural Earth（事实边界，出版前请核对标准地图） Base map: Natural "
            "Earth (de-facto boundaries)", transform=ax.transAxes, fontsize=6, color="#666")
    return fig


def write_figures(bundle, folder: str | Path, geometry: dict | None) -> list[Path]:
    """The main charts of a report bundle, bilingual titles, PNG and SVG."""
    setup_font()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    t = bundle.tables
    out: list[Path] = []
    if "national_gaps" in t:
        g = t["national_gaps"]
        fig, ax = plt.subplots(figsize=(7, 4))
        for i, (_ind, sub) in enumerate(g[g.rural_indicator.str.contains("income")]
                                       .groupby("urban_indicator", sort=False)):
            ax.plot(sub.year, sub.ratio, marker="o", ms=3, color=CB_PALETTE[i],
                    label=f"{sub.pair_zh.iloc[0]}\n{sub.pair_en.iloc[0]}")
        ax.set_ylabel("城乡收入比 Urban–rural income ratio")
        ax.set_title("全国城乡居民收入比（2013年口径断点不连接）\nNational urban–rural income ratio "
                     "(2013 survey break not joined)")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        out += _save(fig, folder, "national_income_ratio")
    for fw, _key, sc, year in bundle.scored_frameworks():
        latest = sc[sc.year == year].sort_values("total")
        fig, ax = plt.subplots(figsize=(7, max(4, 0.22 * len(latest))))
        ax.barh([f"{r} {e}" for r, e in zip(latest.region, latest.region_en, strict=True)],
                latest.total, color=CB_PALETTE[0])
        ax.set_xlabel("得分 Score (0–1)")
        ax.set_title(f"{fw.name_zh} {year}\n{fw.name_en} {year}")
        ax.tick_params(axis="y", labelsize=7)
        out += _save(fig, folder, f"{fw.id}_ranking")
        if geometry is not None:
            vals = latest.set_index("region_code").total
            fig = map_figure(vals, geometry, f"{fw.name_zh} {year}\n{fw.name_en} {year}")
            out += _save(fig, folder, f"{fw.id}_map")
    if "dagum" in t:
        d = bundle.headline_dagum()
        fig, ax = plt.subplots(figsize=(7, 4))
        bottom = np.zeros(len(d))
        for i, (col, zh, en) in enumerate(DAGUM_SHARES):
            ax.bar(d.year, 100 * d[col], bottom=bottom, color=CB_PALETTE[i],
                   label=f"{zh} {en}")
            bottom += 100 * d[col].to_numpy()
        ax.set_ylabel("贡献率 Contribution (%)")
        ax.set_title("人均GDP的Dagum基尼系数分解（四大区域）\nDagum decomposition of GDP per capita "
                     "(four macro-regions)")
        ax.legend(fontsize=7, loc="lower left")
        out += _save(fig, folder, "dagum_contributions")
    if "kde_density" in t:
        k = t["kde_density"]
        years = sorted(k.year.unique())
        pick = years[:: max(1, len(years) // 4)]
        if years[-1] not in pick:
            pick.append(years[-1])
        fig, ax = plt.subplots(figsize=(7, 4))
        for i, y in enumerate(pick):
            sub = k[k.year == y]
            ax.plot(sub.x, sub.density, color=plt.get_cmap("viridis")(i / max(1, len(pick) - 1)),
                    label=str(y))
        ax.set_xlabel("指数 Index")
        ax.set_ylabel("密度 Density")
        ax.set_title("核密度（边界反射校正）\nKernel density (boundary-reflected)")
        ax.legend(fontsize=7)
        out += _save(fig, folder, "kernel_density")
    if "morans_i" in t and len(t["morans_i"]):
        m = t["morans_i"]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(m.year, m.I, marker="o", color=CB_PALETTE[0])
        ax.axhline(m.EI.iloc[0], color="#888", ls="--", lw=0.8)
        ax.set_ylabel("Moran's I")
        ax.set_title("全局莫兰指数\nGlobal Moran's I")
        out += _save(fig, folder, "morans_i")
    return out
