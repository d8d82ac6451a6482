"""The process that runs one job: the spec in ``run.json`` through
:func:`~urbanrural.pipeline.analysis.run_analysis` and
:func:`~urbanrural.outputs.bundle.write_report`, exactly as ``urbanrural report`` does.

Each job runs in a process of its own, forked from a server process that imported this module
once (``multiprocessing`` "forkserver"), so a job starts in milliseconds, a crash or a kill
ends only that job, and all memory it took is returned when it ends. The worker tells the
server how far it got in ``progress.json`` and how it ended in ``outcome.json``; the server
decides the state (a job is *done* only when the process exited 0, said so, and its output
folder was committed — see :mod:`urbanrural.web.queue`).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback
from pathlib import Path

# imported here, in the fork server, so that each job's process starts with them loaded
import matplotlib

matplotlib.use("Agg")

from ..data.errors import DataError  # noqa: E402
from ..outputs.bundle import write_report  # noqa: E402
from ..outputs.destination import DestinationError, OutputFolder  # noqa: E402
from ..pipeline.analysis import run_analysis  # noqa: E402
from ..pipeline.sections import SECTIONS, runner  # noqa: E402
from ..pipeline.spec import AnalysisSpec  # noqa: E402
from .jobs import REPORT_CSP, _clean_message, _write_json, portable_spec, report_csp  # noqa: E402


def _preload() -> None:
    """Load in the fork server what every job would load on its first use: the section
    modules, matplotlib's pyplot and the bundled font, the workbook writer, the font
    subsetter, the page's templates and the Plotly bundle. A job's process starts with them (a
    fork shares the memory until written), so no job pays for them; measured: the first report
    of a fresh process takes ~2.8 s longer than the next one in the same process. Anything
    that fails here fails again, with its message, in the job that needs it."""
    try:
        for name in SECTIONS:
            runner(name)
        import matplotlib.pyplot  # noqa: F401
        import openpyxl  # noqa: F401
        from fontTools import subset, ttLib  # noqa: F401

        from ..outputs.render import environment, plotly_js
        from ..outputs.typeface import setup_matplotlib_font

        setup_matplotlib_font()
        plotly_js()
        env = environment()
        for template in env.list_templates():
            env.get_template(template)
    except Exception:  # noqa: BLE001 - see the docstring
        pass


_preload()

__all__ = ["run_job"]


def _user_names(folder: Path, names: dict[str, str]) -> dict[str, str]:
    """Server paths → what the user may see: an upload's name, and "…" for any other path
    in the job's folder or above it (see :func:`~urbanrural.web.jobs._clean_message`)."""
    return {**names, **{Path(p).name: n for p, n in names.items()}, str(folder): "…",
            str(folder.parent): "…"}


def run_job(folder: str) -> None:
    """Run the job in ``folder``; exits 0 when its report is written, 1 when it failed."""
    path = Path(folder)
    plan = json.loads((path / "run.json").read_text(encoding="utf-8"))
    names: dict[str, str] = plan["names"]
    spec = AnalysisSpec.from_dict(plan["spec"])
    titles = {SECTIONS[s][3]: i for i, s in enumerate(spec.sections)}
    total = len(spec.sections) + 1

    def progress(message: str) -> None:
        done = titles.get(message)
        if done is not None:
            name = spec.sections[done]
            _write_json(path / "progress.json", {"fraction": done / total, "step": {
                "id": name, "zh": SECTIONS[name][2], "en": SECTIONS[name][3]}})

    try:
        result = run_analysis(spec, progress=progress)
        _write_json(path / "progress.json", {"fraction": (total - 1) / total, "step": {
            "id": "write", "zh": "写出报告、results.xlsx 与图表", "en": "writing the report, "
            "results.xlsx and the figures"}})
        record = dataclasses.replace(result, spec=portable_spec(result.spec, names))
        written = write_report(record, OutputFolder(path / "output", command="serve"))
        (path / REPORT_CSP).write_text(report_csp(written["html"].read_bytes()), encoding="utf-8")
    except (DataError, DestinationError) as exc:
        _write_json(path / "outcome.json", {"ok": False, "message": _clean_message(
            str(exc), _user_names(path, names))})
        sys.exit(1)
    except Exception as exc:  # a bug: the page says so (no server path), the log has the traceback
        _write_json(path / "outcome.json", {
            "ok": False, "internal": True, "message": _clean_message(
                f"{type(exc).__name__}: {exc}", _user_names(path, names)),
            "traceback": traceback.format_exc(limit=20)})
        sys.exit(1)
    summary = [{"name": s.name, "title_zh": s.title_zh, "title_en": s.title_en,
                "tables": len(s.tables),
                "skipped": None if s.skipped is None else {"zh": s.skipped.zh, "en": s.skipped.en}}
               for s in result.sections]
    _write_json(path / "outcome.json", {"ok": True, "sections": summary,
                                        "cited": written["cited"],
                                        "figures": len(written["figures"])})
