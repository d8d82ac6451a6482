"""``urbanrural serve``: the web app (upload, read, run, download) for analysts who will never
open a terminal. The same :class:`~urbanrural.pipeline.spec.AnalysisSpec`, the same
:func:`~urbanrural.pipeline.analysis.run_analysis` and the same report as the CLI.

Modules: :mod:`.jobs` (job folders, uploads, the spec), :mod:`.queue` (the bounded worker
pool), :mod:`.worker` (the process that runs one job), :mod:`.app` (the FastAPI routes).
FastAPI and uvicorn are imported only when the server starts.
"""

from __future__ import annotations

__all__ = ["create_app", "WebConfig"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "WebConfig":
        from .jobs import WebConfig

        return WebConfig
    raise AttributeError(name)
