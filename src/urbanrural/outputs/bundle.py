"""Write a run's four outputs into a (staging) folder: ``index.html``, ``results.xlsx`` (one
sheet per table, bilingual headers), ``figures/`` (PNG and SVG of each section's figures, in
the run's language) and ``analysis.yaml`` (the spec as run, with data fingerprints)."""

from __future__ import annotations

import importlib
from pathlib import Path

from ..pipeline.analysis import AnalysisResult
from .render import render_page
from .tables import write_tables

__all__ = ["write_analysis"]


def _figures(result: AnalysisResult, folder: Path, lang: str) -> list[Path]:
    """Each section's ``figures(result, lang)`` (``outputs/sections/<name>.py``), if it has one."""
    written: list[Path] = []
    figs = []
    for s in result.sections:
        if s.skipped is not None:
            continue
        try:
            mod = importlib.import_module(f"{__package__}.sections.{s.name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.sections.{s.name}":
                raise
            continue
        if hasattr(mod, "figures"):
            figs.append((s, mod.figures))
    if not figs:
        return written
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .typeface import setup_matplotlib_font

    setup_matplotlib_font()
    folder.mkdir(parents=True, exist_ok=True)
    for s, make in figs:
        for name, fig in make(s, lang).items():
            for ext in ("png", "svg"):
                path = folder / f"{name}.{ext}"
                fig.savefig(path, dpi=150 if ext == "png" else None, bbox_inches="tight")
                written.append(path)
            plt.close(fig)
    return written


def write_analysis(result: AnalysisResult, folder: str | Path, *, lang: str | None = None
                   ) -> dict:
    """Write the outputs of ``result`` into ``folder`` (which the caller stages and commits).

    Returns the paths written and the count of numbers cited in the page.
    """
    out = Path(folder)
    lang = lang or result.spec.lang
    html, page = render_page(result, lang=lang)
    tables = {t.key: t.frame for _, t in result.tables()}
    write_tables(tables, out, workbook="results.xlsx", csv=False,
                 sheet_titles={k: k for k in tables})
    figures = _figures(result, out / "figures", "en" if lang == "en" else "zh")
    (out / "index.html").write_text(html, encoding="utf-8")
    (out / "analysis.yaml").write_text(result.spec.to_yaml(), encoding="utf-8")
    return {"html": out / "index.html", "xlsx": out / "results.xlsx",
            "figures": figures, "spec": out / "analysis.yaml", "cited": page.cited,
            "charts": len(page.charts), "maps": len(page.maps)}
