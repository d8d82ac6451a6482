"""The ASGI application of ``urbanrural serve`` (FastAPI on uvicorn).

Routes
------
``GET /``                           the page (bilingual, Chinese first; ``?lang=en``)
``GET /health``                     ``{"status": "ok", ...}`` (no token needed)
``POST /api/jobs``                  a new job (draft); returns its id
``PUT /api/jobs/{id}/uploads/{kind}``  one file as the request body (``kind``: data,
                                    framework, spec; its name in the header ``X-File-Name``,
                                    percent-encoded); streamed to disk, 413 past the limit;
                                    answers with the row ledger or the data layer's message
``DELETE /api/jobs/{id}/uploads/{n}``  remove upload number ``n`` of a draft (its entry, its file)
``POST /api/jobs/{id}/run``         queue the job with the options chosen (JSON, at most 64 KB)
``GET /api/jobs/{id}``              state, progress, ledgers, the error if it failed
``GET /jobs/{id}/report``           the report (Content-Security-Policy, sandboxed)
``GET /jobs/{id}/files/{name}``     ``results.xlsx`` or ``analysis.yaml``
``GET /jobs/{id}/figures.zip``, ``/jobs/{id}/output.zip``

Security
--------
* The report page carries inline scripts (the Plotly bundle, its chart data and the page
  script). It is served with ``Content-Security-Policy: sandbox allow-scripts`` and shown in an
  ``<iframe sandbox="allow-scripts">``, *without* ``allow-same-origin``: it runs in an opaque
  origin and can read neither the app's cookie (the token) nor any job through the API. Its
  scripts are allowed by their SHA-256 hashes (taken when the run wrote the page), not by
  ``'unsafe-inline'``, so even inside that sandbox no script but the report's own runs;
  ``connect-src 'none'`` and ``default-src 'none'`` keep it from loading or sending anything.
  ``style-src 'unsafe-inline'`` is the one relaxation: Plotly sets style attributes and
  inserts style elements as it draws, which hashes cannot cover; styles cannot run code.
* The app page itself allows only its own script and style files (no inline script at all).
* Job ids come from :func:`secrets.token_urlsafe` (192 bits) and are the only key to a job:
  an id that is not one of the server's answers 404, the same as a malformed one.
* Uploads are streamed to disk and refused with 413 past ``max_upload_bytes``; names sent by
  the browser are shown, never used as paths (:func:`urbanrural.web.jobs.display_name`).
* Changing requests need a JSON body or the custom header ``X-File-Name``, which a page of
  another site cannot send without a CORS preflight that this server never grants; and when
  bound to the loopback address only ``Host: localhost / 127.0.0.1 / [::1]`` is answered (no
  DNS rebinding).
* A zip holds only the files the job's output marker lists (the files the run wrote).
* Bounded: files per job (a slot is held before a byte is streamed, so parallel uploads
  cannot pass it), drafts at once, bytes under the root (503 past them), the options' size
  (413); an upload is read in a process of its own under limits of memory and time, and so is
  each job.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import threading
import time
import urllib.parse
import zipfile
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..data.errors import DataError
from ..outputs.destination import read_marker
from .jobs import (
    REPORT_CSP,
    JobStore,
    UploadRefusedError,
    WebConfig,
    _clean_message,
    _error,
    _write_json,
    build_spec,
    clip,
    display_name,
    report_csp,
    stored_name,
)
from .queue import JobQueue, QueueFullError, log_event

__all__ = ["create_app", "report_csp", "APP_CSP"]

_LOG = logging.getLogger("urbanrural.web")
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "font-src 'self'; "
           "connect-src 'self'; frame-src 'self'; form-action 'none'; base-uri 'none'; "
           "frame-ancestors 'none'")
_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                   "Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin"}
_COOKIE = "urbanrural_token"
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MAX_OPTIONS_BYTES = 64 * 1024  # the options of a run are a few hundred bytes of JSON
_HTTP_ERRORS = {  # the bilingual text of the errors the framework itself answers
    400: ("请求无效", "bad request"),
    404: ("找不到该页面或文件", "not found"),
    405: ("该地址不接受这种请求方法", "this address does not accept this method"),
    413: ("请求内容过大", "the request is too large"),
    422: ("请求的参数无效", "the request's parameters are not valid"),
}


def _json_error(status: int, zh: str, en: str, detail: str = "", **extra: Any) -> JSONResponse:
    return JSONResponse({"error": _error(zh, en, clip(detail, 2000)), **extra}, status_code=status,
                        headers=_COMMON_HEADERS)


def _host_of(header: str) -> str:
    """The host of a ``Host`` header, without its port (``[::1]:8000`` → ``[::1]``)."""
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.split(":")[0]


_NOT_FOUND = ("没有这个任务（或已过期）", "no such job (or it expired)")


def _public(job: dict) -> dict:
    """What the page sees of a job (no process ids, no server paths)."""
    keep = ("id", "state", "created", "updated", "progress", "step", "error", "seconds",
            "outcome", "changed")
    out = {k: job.get(k) for k in keep}
    out["uploads"] = [{k: u.get(k) for k in ("n", "name", "kind", "size", "check")}
                      for u in job.get("uploads", [])]
    return out


@cache
def _frameworks() -> list[dict]:
    from ..pipeline.framework import BUILTIN_FRAMEWORKS, load_framework

    out = []
    for name in BUILTIN_FRAMEWORKS:
        fw = load_framework(name)
        out.append({"id": name, "zh": fw.name_zh, "en": fw.name_en})
    return out


def _page(lang: str) -> str:
    import jinja2

    from .._version import __version__
    from ..pipeline.sections import SECTIONS
    from ..pipeline.spec import DEFAULT_SECTIONS, AnalysisSpec

    env = jinja2.Environment(loader=jinja2.PackageLoader("urbanrural.web", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    default = AnalysisSpec()
    sections = [{"id": k, "zh": v[2], "en": v[3], "on": k in DEFAULT_SECTIONS}
                for k, v in SECTIONS.items()]
    return env.get_template("index.html.j2").render(
        lang=lang, version=__version__, sections=sections, frameworks=_frameworks(),
        chosen=set(default.frameworks),
        partitions=[{"id": "macro_region", "zh": "四大区域（东部、中部、西部、东北）",
                     "en": "four macro-regions (east, centre, west, north-east)"},
                    {"id": "belt", "zh": "三大地带（东、中、西）", "en": "three belts (east, "
                     "centre, west)"}])


def create_app(config: WebConfig) -> FastAPI:
    """The application for ``config`` (its job store and worker pool start with it).

    Examples
    --------
    >>> import tempfile
    >>> app = create_app(WebConfig(root=Path(tempfile.mkdtemp()) / "jobs"))
    >>> sorted(r.path for r in app.routes if "/api/" in r.path)[:2]
    ['/api/jobs', '/api/jobs/{job_id}']
    """
    store = JobStore(config.root, ttl_seconds=config.ttl_seconds,
                     draft_ttl_seconds=config.draft_ttl_seconds, max_drafts=config.max_drafts,
                     max_bytes=config.max_root_bytes)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        failed = store.recover()
        removed = store.sweep()
        state["queue"] = JobQueue(store, workers=config.workers, queue_size=config.queue_size,
                                  job_timeout_seconds=config.job_timeout_seconds,
                                  job_memory_bytes=config.job_memory_bytes,
                                  check_timeout_seconds=config.check_timeout_seconds,
                                  check_memory_bytes=config.check_memory_bytes)
        stop = threading.Event()
        state["stop"] = stop

        def janitor() -> None:
            while not stop.wait(min(60.0, config.ttl_seconds / 4, config.draft_ttl_seconds / 4)):
                for job_id in store.sweep():
                    log_event("job_expired", job=job_id[:8])

        threading.Thread(target=janitor, name="urbanrural-janitor", daemon=True).start()
        log_event("server_start", root=str(store.root), workers=config.workers,
                  max_upload_bytes=config.max_upload_bytes, recovered_failed=len(failed),
                  expired=len(removed), token=config.token is not None)
        try:
            yield
        finally:
            stop.set()
            log_event("server_stopping", **state["queue"].counts())
            await run_in_threadpool(state["queue"].shutdown, grace_seconds=config.grace_seconds)
            log_event("server_stopped")

    app = FastAPI(title="urbanrural", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.store = store
    app.state.config = config
    app.state.jobs = state
    @app.middleware("http")
    async def guard(request: Request, call_next):
        t0 = time.perf_counter()
        # on the loopback address only a loopback Host is answered (no DNS rebinding); first,
        # before the token's check
        if config.host in _LOOPBACK and \
                _host_of(request.headers.get("host", "")) not in _LOOPBACK_HOSTS:
            return _json_error(400, "主机名无效：本服务只在本机地址上应答（localhost / 127.0.0.1）",
                               "invalid host: this server answers on the loopback address only "
                               "(localhost / 127.0.0.1)")
        if config.token is not None and request.url.path != "/health":
            given = request.cookies.get(_COOKIE, "")
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            query = request.query_params.get("token")
            if query is not None and request.url.path == "/" and \
                    secrets.compare_digest(query.encode(), config.token.encode()):
                resp = RedirectResponse("/", status_code=303)
                resp.set_cookie(_COOKIE, config.token, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")
                return resp
            if not secrets.compare_digest(given.encode(), config.token.encode()):
                return _json_error(401, "需要访问令牌：请使用管理员给出的链接（含 ?token=）",
                                   "a token is needed: open the link with ?token= that the "
                                   "operator gave you")
        response = await call_next(request)
        for k, v in _COMMON_HEADERS.items():
            response.headers.setdefault(k, v)
        response.headers.setdefault("Content-Security-Policy", APP_CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path not in ("/health",) and not request.url.path.startswith("/static"):
            _LOG.info("request", extra={"fields": {
                "event": "request", "method": request.method,
                "path": re.sub(r"[A-Za-z0-9_-]{32}", lambda m: m.group()[:8] + "…",
                               request.url.path),
                "status": response.status_code,
                "ms": round(1000 * (time.perf_counter() - t0), 1)}})
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        zh, en = _HTTP_ERRORS.get(exc.status_code, ("请求未能完成", "the request could not be served"))
        return _json_error(exc.status_code, zh, en)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return _json_error(422, *_HTTP_ERRORS[422])

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        _LOG.exception("request failed")
        return _json_error(500, "服务器内部错误，详情见服务器日志", "internal error of the server; "
                           "the server log has the details")

    static = resources.files("urbanrural.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", response_class=HTMLResponse)
    def index(lang: str = "zh") -> HTMLResponse:
        return HTMLResponse(_page("en" if lang == "en" else "zh"))

    @app.get("/fonts/cjk.ttf")
    def font() -> FileResponse:
        """The bundled CJK font (WenQuanYi Micro Hei, Apache-2.0), for browsers without a
        Chinese system font (the page names system fonts first, so most never load it)."""
        from ..outputs.typeface import font_path

        return FileResponse(font_path(), media_type="font/ttf",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/health")
    def health() -> dict:
        q = state.get("queue")
        return {"status": "ok", **(q.counts() if q else {})}

    @app.post("/api/jobs", status_code=201)
    async def new_job(request: Request):
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _json_error(415, "请求须为 JSON", "send JSON (Content-Type: application/json)")
        try:
            job_id = await run_in_threadpool(store.create)
        except UploadRefusedError as exc:
            return _json_error(exc.status, exc.zh, exc.en)
        log_event("job_created", job=job_id[:8])
        return {"id": job_id}

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str):
        job = store.load(job_id)
        if job is None:
            return _json_error(404, *_NOT_FOUND)
        return JSONResponse(_public(job), headers=_COMMON_HEADERS)

    @app.put("/api/jobs/{job_id}/uploads/{kind}")
    async def upload(job_id: str, kind: str, request: Request):
        folder = store.folder(job_id)
        job = store.load(job_id) if folder else None
        if job is None:
            return _json_error(404, *_NOT_FOUND)
        path = None
        reserved = False
        try:
            raw_name = urllib.parse.unquote(request.headers.get("x-file-name", ""))
            if not raw_name:
                raise UploadRefusedError(400, "缺少文件名（X-File-Name）", "the file name is missing "
                                    "(header X-File-Name)")
            shown = display_name(raw_name, fallback=kind)
            stored_name(kind, 0, shown)  # checks the kind and the type before anything is kept
            declared = request.headers.get("content-length", "")
            await run_in_threadpool(store.check_space, min(
                int(declared) if declared.isdigit() else 0, config.max_upload_bytes))
            # a slot is held before a byte is read: uploads sent at once count together
            number = store.reserve_upload(job_id, max_files=config.max_files)
            reserved = True
            path, stored = _reserve(folder / "uploads", kind, number, raw_name)
            size = await _receive(request, path, config.max_upload_bytes)
            await run_in_threadpool(store.check_space)
            check = await run_in_threadpool(state["queue"].check, path, kind, shown)
            with store._lock:  # the name shown is unique within the job
                current = store.load(job_id) or job
                # a file uploaded again under the name of one that could not be read replaces it
                failed = [u["stored"] for u in current["uploads"]
                          if u["name"] == shown and not u.get("check", {}).get("ok")]
                taken = {u["name"] for u in current["uploads"] if u["stored"] not in failed[:1]}
                name = _unique(shown, taken)
                entry = {"n": number, "name": name, "kind": kind, "stored": stored, "size": size,
                         "check": check}
                store.add_upload(job_id, entry, max_files=config.max_files,
                                 replace=failed[0] if failed and name == shown else None)
        except UploadRefusedError as exc:
            if path is not None:  # a refused upload keeps nothing on disk
                path.unlink(missing_ok=True)
            if exc.status in (413, 503):
                log_event("upload_refused", job=job_id[:8], status=exc.status)
            return _json_error(exc.status, exc.zh, exc.en)
        except BaseException:
            if path is not None:
                path.unlink(missing_ok=True)
            raise
        finally:
            if reserved:
                store.release_upload(job_id)
        log_event("upload", job=job_id[:8], kind=kind, bytes=size, ok=check["ok"])
        return JSONResponse({k: entry[k] for k in ("n", "name", "kind", "size", "check")},
                            headers=_COMMON_HEADERS)

    @app.delete("/api/jobs/{job_id}/uploads/{number}")
    def remove_upload(job_id: str, number: str):
        if store.folder(job_id) is None:
            return _json_error(404, *_NOT_FOUND)
        try:
            store.remove_upload(job_id, int(number) if number.isdigit() else -1)
        except KeyError:
            return _json_error(404, "该任务没有这个文件", "this job has no such file")
        except UploadRefusedError as exc:
            return _json_error(exc.status, exc.zh, exc.en)
        log_event("upload_removed", job=job_id[:8], n=number)
        return JSONResponse(_public(store.load(job_id)), headers=_COMMON_HEADERS)

    @app.post("/api/jobs/{job_id}/run", status_code=202)
    async def run(job_id: str, request: Request):
        folder = store.folder(job_id)
        job = store.load(job_id) if folder else None
        if job is None:
            return _json_error(404, *_NOT_FOUND)
        if job["state"] != "draft":
            return _json_error(409, "任务已经开始", "the job has already started")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _json_error(415, "请求须为 JSON", "send JSON (Content-Type: application/json)")
        body = await _read_capped(request, MAX_OPTIONS_BYTES)
        if body is None:
            return _json_error(413, f"选项超过 {MAX_OPTIONS_BYTES // 1024} KB 的上限",
                               f"the options are larger than the limit of "
                               f"{MAX_OPTIONS_BYTES // 1024} KB")
        try:
            form = json.loads(body)
        except ValueError:
            return _json_error(400, "请求须为 JSON", "the options must be JSON")
        if not isinstance(form, dict):
            return _json_error(400, "选项须为 JSON 对象", "the options must be a JSON object")
        try:
            spec, names, changed = await run_in_threadpool(build_spec, job, folder, form)
        except DataError as exc:
            clean = {**names_of(job, folder)}
            return _json_error(400, "设定无法使用", "the settings cannot be used",
                               _clean_message(str(exc), clean))
        try:
            await run_in_threadpool(store.check_space)
        except UploadRefusedError as exc:
            return _json_error(exc.status, exc.zh, exc.en)
        _write_json(folder / "run.json", {"spec": spec.to_dict(), "names": names})
        store.update(job_id, changed=changed)
        try:
            ahead = state["queue"].submit(job_id)
        except ValueError:
            return _json_error(409, "任务已经开始", "the job has already started")
        except QueueFullError:
            return _json_error(503, "任务队列已满或服务器正在关闭，请稍后再试",
                               "the queue is full or the server is shutting down; try again "
                               "later")
        return JSONResponse({**_public(store.load(job_id)), "ahead": ahead}, status_code=202,
                            headers=_COMMON_HEADERS)

    def done_folder(job_id: str) -> Path | None:
        job = store.load(job_id)
        if job is None or job.get("state") != "done":
            return None
        out = store.folder(job_id) / "output"
        return out if read_marker(out) is not None else None

    @app.get("/jobs/{job_id}/report")
    def report(job_id: str):
        out = done_folder(job_id)
        if out is None:
            return _json_error(404, *_NOT_FOUND)
        html = (out / "index.html").read_bytes()
        # the hashes of the scripts the run wrote, taken when it wrote them (a page changed
        # afterwards runs no script); a job done by an older server has none stored
        stored = out.parent / REPORT_CSP
        csp = stored.read_text(encoding="utf-8") if stored.is_file() else report_csp(html)
        return Response(html, media_type="text/html; charset=utf-8", headers={
            **_COMMON_HEADERS, "Content-Security-Policy": csp,
            "X-Frame-Options": "SAMEORIGIN"})

    @app.get("/jobs/{job_id}/files/{name}")
    def file(job_id: str, name: str):
        out = done_folder(job_id)
        if out is None or name not in ("results.xlsx", "analysis.yaml") or \
                name not in read_marker(out)["files"]:
            return _json_error(404, *_NOT_FOUND)
        return FileResponse(out / name, filename=name, headers=_COMMON_HEADERS)

    @app.get("/jobs/{job_id}/{which}.zip")
    async def archive(job_id: str, which: str):
        out = done_folder(job_id)
        if out is None or which not in ("figures", "output"):
            return _json_error(404, *_NOT_FOUND)
        data = await run_in_threadpool(_zip, out, which)
        return Response(data, media_type="application/zip", headers={
            **_COMMON_HEADERS,
            "Content-Disposition": f'attachment; filename="urbanrural-{which}.zip"'})

    return app


def names_of(job: dict, folder: Path) -> dict[str, str]:
    """Stored paths and names of a job's uploads → the names the user gave them."""
    out = {}
    for u in job.get("uploads", []):
        out[str(folder / "uploads" / u["stored"])] = u["name"]
        out[u["stored"]] = u["name"]
    return out


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, "." + ext) if dot else (name, "")
    n = 2
    while f"{stem} ({n}){ext}" in taken:
        n += 1
    return f"{stem} ({n}){ext}"


def _reserve(folder: Path, kind: str, number: int, raw_name: str) -> tuple[Path, str]:
    """Create the stored file of an upload exclusively (two uploads at once to one job never
    share one): ``<kind>-<n><suffix>``, the next free ``n`` from ``number``."""
    while True:
        stored = stored_name(kind, number, display_name(raw_name, fallback=kind))
        path = folder / stored
        try:
            with open(path, "xb"):
                return path, stored
        except FileExistsError:
            number += 1


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` once it passes ``limit`` bytes (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _receive(request: Request, path: Path, limit: int) -> int:
    """Stream the request body into ``path``; 413 (and nothing kept) past ``limit`` bytes.

    A declared ``Content-Length`` past the limit is refused before a byte is read; a body
    sent in chunks is counted as it arrives."""
    declared = request.headers.get("content-length")
    mb = f"{limit / 1024 / 1024:.3g}"
    too_large = UploadRefusedError(413, f"文件超过 {mb} MB 的上限", f"the file is larger than the "
                              f"limit of {mb} MB per file")
    size = 0
    try:
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large
        with open(path, "wb") as fh:  # made by _reserve
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                fh.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise UploadRefusedError(400, "文件是空的", "the file is empty")
    return size


def _zip(out: Path, which: str) -> bytes:
    """A zip of the files the job's output marker lists (all of them, or ``figures/``): never
    a file the run did not write, never a link, nothing outside the output folder."""
    files = [f for f in read_marker(out)["files"] if which == "output" or f.startswith("figures/")]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(files):
            p = out / rel
            if p.is_symlink() or not p.is_file():
                continue
            zf.write(p, rel)
    return buf.getvalue()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) +
               f".{int(record.msecs):03d}Z", "level": record.levelname.lower(),
               "logger": record.name}
        fields = getattr(record, "fields", None)
        out.update(fields if fields else {"message": record.getMessage()})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)
