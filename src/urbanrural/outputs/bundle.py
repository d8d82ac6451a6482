"""Write a run's four outputs into a (staging) folder: ``index.html``, ``results.xlsx`` (one
sheet per table, bilingual headers), ``figures/`` (PNG and SVG of each section's figures, in
the run's language) and ``analysis.yaml`` (the spec as run, with data fingerprints)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd

from ..pipeline.analysis import AnalysisResult
from ..pipeline.sections.base import Table
from .render import render_page
from .tables import write_tables

__all__ = ["table_labels", "write_analysis", "write_report"]


def table_labels(table: Table) -> dict[str, str]:
    """The Chinese labels the workbook gives ``table``'s columns beyond the vocabulary of
    :mod:`urbanrural.outputs.labels`: the table's own (:attr:`Table.labels`)."""
    return dict(table.labels)


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


CONTENTS = "contents"  # the first sheet of results.xlsx: every other sheet, named in both languages
CONTENTS_LABELS = {"sheet": "工作表", "section_zh": "章节", "section_en": "章节（英文）",
                   "title_zh": "表名", "title_en": "表名（英文）", "rows": "行数", "columns": "列数"}


def contents(result: AnalysisResult) -> pd.DataFrame:
    """The index of ``results.xlsx``: one row per sheet with its section and title in Chinese
    and English, its rows and columns (sheet names are short keys; this says what each is).

    Examples
    --------
    >>> from urbanrural.pipeline.analysis import run_analysis
    >>> from urbanrural.pipeline.spec import AnalysisSpec
    >>> c = contents(run_analysis(AnalysisSpec(sections=("coverage",))))
    >>> c.loc[0, ["sheet", "section_en", "title_en"]].tolist()
    ['coverage', 'Data coverage and limits', 'Provincial data coverage']
    """
    return pd.DataFrame([{"sheet": t.key, "section_zh": s.title_zh, "section_en": s.title_en,
                          "title_zh": t.title_zh, "title_en": t.title_en,
                          "rows": len(t.frame), "columns": t.frame.shape[1]}
                         for s, t in result.tables()],
                        columns=list(CONTENTS_LABELS))


def write_analysis(result: AnalysisResult, folder: str | Path, *, lang: str | None = None
                   ) -> dict:
    """Write the outputs of ``result`` into ``folder`` (which the caller stages and commits).

    Returns the paths written and the count of numbers cited in the page.
    """
    out = Path(folder)
    lang = lang or result.spec.lang
    html, page = render_page(result, lang=lang)
    run_tables = [t for _, t in result.tables()]
    if any(t.key == CONTENTS for t in run_tables):
        raise ValueError(f"a table may not be called {CONTENTS!r}: it is the workbook's index")
    tables = {CONTENTS: contents(result), **{t.key: t.frame for t in run_tables}}
    write_tables(tables, out, workbook="results.xlsx", csv=False,
                 sheet_titles={k: k for k in tables},
                 labels={CONTENTS: CONTENTS_LABELS, **{t.key: table_labels(t) for t in run_tables}},
                 units={t.key: dict(t.units) for t in run_tables})
    figures = _figures(result, out / "figures", "en" if lang == "en" else "zh")
    (out / "index.html").write_text(html, encoding="utf-8")
    (out / "analysis.yaml").write_text(result.spec.to_yaml(), encoding="utf-8")
    return {"html": out / "index.html", "xlsx": out / "results.xlsx",
            "figures": figures, "spec": out / "analysis.yaml", "cited": page.cited,
            "charts": len(page.charts), "maps": len(page.maps)}


def write_report(result: AnalysisResult, out_dir, *, lang: str | None = None,
                 force: bool = False) -> dict:
    """Write a run's report to ``out_dir`` safely (the Python API of ``urbanrural report``).

    ``out_dir`` is a path or an :class:`~urbanrural.outputs.destination.OutputFolder` already
    checked. The folder must be new, empty or a previous urbanrural output; anything else
    raises :class:`~urbanrural.outputs.destination.DestinationError` unless ``force``, which
    replaces only the files the report writes. Everything is staged and put in place in one
    step (see :mod:`urbanrural.outputs.destination`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from urbanrural.pipeline.analysis import run_analysis
    >>> from urbanrural.pipeline.spec import AnalysisSpec
    >>> r = run_analysis(AnalysisSpec(sections=("coverage",)))
    >>> out = write_report(r, pathlib.Path(tempfile.mkdtemp()) / "report")
    >>> sorted(p.name for p in out["html"].parent.iterdir())
    ['.urbanrural-output', 'analysis.yaml', 'index.html', 'results.xlsx']
    """
    from .destination import OutputFolder

    dest = out_dir if isinstance(out_dir, OutputFolder) else \
        OutputFolder(out_dir, command="report", force=force)
    with dest.writing() as tmp:
        written = write_analysis(result, tmp, lang=lang)
    out = dest.path
    return {**written, "html": out / "index.html", "xlsx": out / "results.xlsx",
            "spec": out / "analysis.yaml",
            "figures": [out / "figures" / p.name for p in written["figures"]]}
