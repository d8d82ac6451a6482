"""Job folders of ``urbanrural serve``: unguessable ids, states on disk, uploads, the spec.

One job is one folder ``<root>/<id>/`` (the id from :func:`secrets.token_urlsafe`, 192 bits)::

    job.json        state, uploads and their row ledgers, the error if it failed
    uploads/        data-1.csv, framework-1.yaml, spec-1.yaml ... (names chosen here)
    run.json        the spec the worker runs (written when the job is queued)
    progress.json   written by the worker as each section starts
    outcome.json    written by the worker when it ends (ok, or the error message)
    output/         the report, written through :class:`~urbanrural.outputs.destination.OutputFolder`

A name a user's browser sends is shown and recorded (it is what ``analysis.yaml`` calls the
file, so the spec reproduces the run from the same files on another machine) but never used
as a path: stored files are named by their kind and number. The root holds a marker file; a
folder there is removed (after the TTL) only when its name is a job id and it holds
``job.json``, so a root pointed at a folder with other files in it removes nothing of theirs.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..data.errors import DataError, Issue

__all__ = ["JobStore", "WebConfig", "UploadRefusedError", "display_name", "is_job_id",
           "check_upload", "check_upload_bounded", "reason_zh", "build_spec", "STATES",
           "ROOT_MARKER"]

ROOT_MARKER = ".urbanrural-web-root"
STATES = ("draft", "queued", "running", "done", "failed")
_ID_BYTES = 24  # 192 bits → 32 characters of [A-Za-z0-9_-]
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{32}")
# the suffixes the data layer reads, and YAML for frameworks and analysis specs
SUFFIXES = {"data": (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet"),
            "framework": (".yaml", ".yml"), "spec": (".yaml", ".yml")}


@dataclass(frozen=True)
class WebConfig:
    """Settings of one server.

    Attributes
    ----------
    root : the folder that holds one folder per job.
    max_upload_bytes : the largest file accepted (larger uploads are answered 413).
    workers : jobs run at once, each in its own process.
    queue_size : jobs waiting beyond those running (more are answered 503).
    ttl_seconds : a finished or abandoned job folder is removed this long after its last change.
    max_files : files one job may upload.
    token : when set, every request but ``/health`` needs it (header ``Authorization: Bearer``
        or the cookie set by visiting ``/?token=...``).
    grace_seconds : at shutdown, how long running jobs may take to finish before they are
        stopped and marked failed.
    host : the address served (the loopback address unless told otherwise).
    max_drafts : jobs not yet run that may exist at once (more: 503); a draft is removed
        ``draft_ttl_seconds`` after its last change.
    max_root_bytes : all files under ``root`` together; an upload or a new job past it is
        answered 503.
    check_timeout_seconds, check_memory_bytes : an upload is read (its row ledger) in a
        process of its own, stopped after this time or past this much memory (address space
        beyond what the process holds when it starts).
    job_timeout_seconds, job_memory_bytes : the same bounds for the process of a run.
    """

    root: Path
    max_upload_bytes: int = 50 * 1024 * 1024
    workers: int = 2
    queue_size: int = 100
    ttl_seconds: float = 24 * 3600.0
    max_files: int = 20
    token: str | None = None
    grace_seconds: float = 30.0
    host: str = "127.0.0.1"
    max_drafts: int = 200
    draft_ttl_seconds: float = 3600.0
    max_root_bytes: int = 5 * 1024 ** 3
    check_timeout_seconds: float = 60.0
    check_memory_bytes: int = 2 * 1024 ** 3
    job_timeout_seconds: float = 1800.0
    job_memory_bytes: int = 6 * 1024 ** 3

    def __post_init__(self) -> None:
        checks = {"max_upload_bytes": self.max_upload_bytes >= 1, "workers": 1 <= self.workers <= 64,
                  "max_drafts": self.max_drafts >= 1, "draft_ttl_seconds": self.draft_ttl_seconds > 0,
                  "max_root_bytes": self.max_root_bytes >= 1,
                  "check_timeout_seconds": self.check_timeout_seconds > 0,
                  "check_memory_bytes": self.check_memory_bytes >= 1 << 20,
                  "job_timeout_seconds": self.job_timeout_seconds > 0,
                  "job_memory_bytes": self.job_memory_bytes >= 1 << 20,
                  "queue_size": self.queue_size >= 1, "ttl_seconds": self.ttl_seconds > 0,
                  "max_files": self.max_files >= 1, "grace_seconds": self.grace_seconds >= 0}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError([Issue(f"server setting {k}: bad value {getattr(self, k)!r} / "
                                   "服务器设置无效", value=k) for k in bad])


class UploadRefusedError(Exception):
    """An upload that is not accepted: the HTTP status and the reason in both languages."""

    def __init__(self, status: int, zh: str, en: str):
        self.status, self.zh, self.en = status, zh, en
        super().__init__(f"{en} / {zh}")


def is_job_id(text: str) -> bool:
    """True for a string shaped like a job id (checked before any path is made from it).

    Examples
    --------
    >>> is_job_id("a" * 32), is_job_id("../" + "a" * 29), is_job_id("a" * 31)
    (True, False, False)
    """
    return isinstance(text, str) and _JOB_ID.fullmatch(text) is not None


def display_name(raw: str, *, fallback: str) -> str:
    """The name shown for an upload: the last part of what the browser sent, without control
    characters, at most 120 characters; ``fallback`` when nothing usable is left. It is text,
    never a path: a stored file is named by :class:`JobStore`.

    Examples
    --------
    >>> display_name("C:\\\\Users\\\\me\\\\分省年度数据.csv", fallback="data-1.csv")
    '分省年度数据.csv'
    >>> display_name("../../etc/passwd", fallback="data-1.csv"), display_name("..", fallback="x.csv")
    ('passwd', 'x.csv')
    """
    name = PurePosixPath(str(raw).replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    if name in ("", ".", "..") or name.startswith(".urbanrural"):
        return fallback
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext[:9]) if dot and len(ext) < 10 else name[:120]
    return name


def _write_json(path: Path, value: Any) -> None:
    """Write JSON atomically (a reader sees the old file or the new one, never half of one)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class JobStore:
    """The job folders under one root.

    Parameters
    ----------
    root : the folder; made if missing. A folder that holds other things and no marker
        ``.urbanrural-web-root`` is refused, so removing expired jobs can never touch
        someone else's files.
    ttl_seconds : age (since the last change) after which a job that is not queued or
        running is removed by :meth:`sweep`.
    draft_ttl_seconds : the same for a job never run (a draft).
    max_drafts, max_bytes : drafts at once and bytes under the root (see :class:`WebConfig`);
        past them a new job or upload is refused with 503.

    Examples
    --------
    >>> import tempfile
    >>> store = JobStore(Path(tempfile.mkdtemp()) / "jobs")
    >>> job = store.create()
    >>> is_job_id(job), store.load(job)["state"]
    (True, 'draft')
    >>> store.folder("../" + job[3:]) is None
    True
    """

    def __init__(self, root: str | Path, *, ttl_seconds: float = 24 * 3600.0,
                 draft_ttl_seconds: float = 3600.0, max_drafts: int | None = None,
                 max_bytes: int | None = None):
        self.root = Path(os.path.expanduser(os.fspath(root))).resolve()
        self.ttl_seconds = ttl_seconds
        self.draft_ttl_seconds = draft_ttl_seconds
        self.max_drafts = max_drafts
        self.max_bytes = max_bytes
        self._lock = threading.RLock()
        self._receiving: dict[str, int] = {}  # job id → uploads being streamed in
        self._prepare_root()

    def _prepare_root(self) -> None:
        root = self.root
        if root.exists() and not root.is_dir():
            raise DataError(Issue("the job root is a file, not a folder / 任务根目录是文件",
                                  value=str(root)))
        root.mkdir(parents=True, exist_ok=True)
        marker = root / ROOT_MARKER
        if not marker.exists():
            if any(root.iterdir()):
                raise DataError(Issue(
                    "the job root holds files urbanrural did not put there; name a new or "
                    "empty folder (expired jobs are removed from it) / 任务根目录不为空且不是 "
                    "urbanrural 建立的，请指定新的或空的文件夹", value=str(root)))
            marker.write_text("urbanrural serve: one folder per job; folders are removed "
                              "after their time to live\n", encoding="utf-8")
        os.chmod(root, 0o700)

    # ------------------------------------------------------------------ folders
    def folder(self, job_id: str) -> Path | None:
        """The folder of ``job_id``, or ``None`` when it is not an id or no such job exists."""
        if not is_job_id(job_id):
            return None
        path = self.root / job_id
        return path if (path / "job.json").is_file() and not path.is_symlink() else None

    def used_bytes(self) -> int:
        """Bytes of all files under the root."""
        total = 0
        for top, _, files in os.walk(self.root):
            for f in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(top, f)).st_size
        return total

    def check_space(self, more: int = 0) -> None:
        """Refuse (503) when the root holds ``max_bytes`` already, or would with ``more``."""
        if self.max_bytes is not None and self.used_bytes() + more > self.max_bytes:
            raise UploadRefusedError(503, "服务器的存储空间已满，请稍后再试", "the server's storage "
                                     "for jobs is full; try again later")

    def create(self) -> str:
        """A new job in state ``draft``; returns its id. Refused (503) past ``max_drafts``
        drafts or ``max_bytes`` under the root."""
        with self._lock:
            if self.max_drafts is not None:
                drafts = sum((self.load(j) or {}).get("state") == "draft" for j in self.jobs())
                if drafts >= self.max_drafts:
                    raise UploadRefusedError(503, "未运行的任务过多，请稍后再试", "too many jobs "
                                             "not yet run on this server; try again later")
            self.check_space()
            return self._create()

    def _create(self) -> str:
        while True:
            job_id = secrets.token_urlsafe(_ID_BYTES)
            path = self.root / job_id
            try:
                path.mkdir(mode=0o700)
                break
            except FileExistsError:  # pragma: no cover - 2**-192
                continue
        (path / "uploads").mkdir()
        now = time.time()
        _write_json(path / "job.json", {"id": job_id, "state": "draft", "created": now,
                                        "updated": now, "uploads": [], "error": None,
                                        "next_upload": 1})
        return job_id

    def load(self, job_id: str) -> dict | None:
        path = self.folder(job_id)
        return read_json(path / "job.json") if path else None

    def update(self, job_id: str, **changes: Any) -> dict:
        """Change fields of ``job.json`` (under a lock, written atomically); returns it."""
        with self._lock:
            path = self.folder(job_id)
            if path is None:
                raise KeyError(job_id)
            job = read_json(path / "job.json") or {}
            job.update(changes, updated=time.time())
            _write_json(path / "job.json", job)
            return job

    def reserve_upload(self, job_id: str, *, max_files: int) -> int:
        """Hold a slot for an upload before its bytes are streamed in (so that uploads sent
        at once cannot pass ``max_files`` together); returns its number, unique in the job.
        Give the slot back with :meth:`release_upload` once it is recorded or refused."""
        with self._lock:
            job = self.load(job_id)
            if job is None:
                raise KeyError(job_id)
            _refuse_unless_draft(job)
            if len(job["uploads"]) + self._receiving.get(job_id, 0) >= max_files:
                raise _too_many(max_files)
            number = max(int(job.get("next_upload", 1)), len(job["uploads"]) + 1)
            self.update(job_id, next_upload=number + 1)
            self._receiving[job_id] = self._receiving.get(job_id, 0) + 1
            return number

    def release_upload(self, job_id: str) -> None:
        with self._lock:
            left = self._receiving.get(job_id, 0) - 1
            if left > 0:
                self._receiving[job_id] = left
            else:
                self._receiving.pop(job_id, None)

    def add_upload(self, job_id: str, entry: dict, *, max_files: int | None = None,
                   replace: str | None = None) -> dict:
        """Record an upload; refused once the job has left ``draft`` (the run has its files)
        or holds ``max_files`` (checked again here, under the lock). ``replace``: the stored
        name of an entry this one takes the place of (its file is removed)."""
        with self._lock:
            job = self.load(job_id)
            if job is None:
                raise KeyError(job_id)
            _refuse_unless_draft(job)
            uploads = [u for u in job["uploads"] if replace is None or u["stored"] != replace]
            if max_files is not None and len(uploads) >= max_files:
                raise _too_many(max_files)
            if replace is not None and len(uploads) < len(job["uploads"]):
                (self.root / job_id / "uploads" / replace).unlink(missing_ok=True)
            return self.update(job_id, uploads=[*uploads, entry])

    def remove_upload(self, job_id: str, number: int) -> dict:
        """Remove upload ``number`` (its entry and its file) from a draft; KeyError if none."""
        with self._lock:
            job = self.load(job_id)
            if job is None:
                raise KeyError(job_id)
            _refuse_unless_draft(job)
            gone = [u for u in job["uploads"] if u.get("n") == number]
            if not gone:
                raise KeyError(number)
            for u in gone:
                (self.root / job_id / "uploads" / u["stored"]).unlink(missing_ok=True)
            return self.update(job_id, uploads=[u for u in job["uploads"] if u.get("n") != number])

    def claim(self, job_id: str, *, to: str, **changes: Any) -> dict:
        """Move a job out of ``draft`` (compare and set: of two requests to run one job, one
        wins and the other gets :class:`ValueError`)."""
        with self._lock:
            job = self.load(job_id)
            if job is None:
                raise KeyError(job_id)
            if job["state"] != "draft":
                raise ValueError(f"job is {job['state']}")
            return self.update(job_id, state=to, **changes)

    def jobs(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if self.folder(p.name) is not None)

    # ------------------------------------------------------------------ lifecycle
    def recover(self) -> list[str]:
        """Mark failed every job a previous server left queued or running (it stopped before
        they ended: what they wrote, if anything, is removed and never shown as done)."""
        failed = []
        for job_id in self.jobs():
            job = self.load(job_id) or {}
            if job.get("state") in ("queued", "running"):
                remove_output(self.root / job_id)
                self.update(job_id, state="failed", error=_error(
                    "服务器在任务排队或运行时停止，任务未完成",
                    "the server stopped while this job was queued or running; it did not "
                    "finish"))
                failed.append(job_id)
        return failed

    def sweep(self, *, now: float | None = None) -> list[str]:
        """Remove the jobs not changed for ``ttl_seconds`` that are not queued or running."""
        now = time.time() if now is None else now
        removed = []
        for job_id in self.jobs():
            job = self.load(job_id) or {}
            if job.get("state") in ("queued", "running"):
                continue
            ttl = self.draft_ttl_seconds if job.get("state") == "draft" else self.ttl_seconds
            if now - float(job.get("updated", 0)) > ttl:
                shutil.rmtree(self.root / job_id, ignore_errors=True)
                removed.append(job_id)
        return removed


REPORT_CSP = "report-csp.txt"  # in the job folder: the report's policy, written with it
_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def report_csp(html: bytes) -> str:
    """The Content-Security-Policy of a report page: its inline scripts by hash, nothing else.

    Examples
    --------
    >>> csp = report_csp(b"<p>x</p><script>var a=1;</script>")
    >>> csp.split(";")[0], "'sha256-" in csp, "unsafe-inline' " in csp.split("script-src")[1]
    ('sandbox allow-scripts', True, False)
    """
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(m).digest()).decode() + "'"
                     for m in _SCRIPT.findall(html)})
    return ("sandbox allow-scripts; default-src 'none'; script-src " + (" ".join(hashes) or
            "'none'") + "; style-src 'unsafe-inline'; img-src data:; font-src data:; "
            "connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'")


def _error(zh: str, en: str, detail: str = "") -> dict:
    return {"zh": zh, "en": en, "detail": detail}


def _refuse_unless_draft(job: dict) -> None:
    if job["state"] != "draft":
        raise UploadRefusedError(409, "任务已开始，不能再上传或删除文件",
                                 "the job has started; start a new one to change its files")


def _too_many(max_files: int) -> UploadRefusedError:
    return UploadRefusedError(413, f"每个任务最多 {max_files} 个文件",
                              f"at most {max_files} files per job")


def remove_output(folder: Path) -> None:
    """Remove what a run that did not finish left in a job folder (its output, a staging
    folder), so nothing half-written can ever be downloaded."""
    for p in folder.iterdir():
        if p.name == "output" or p.name.startswith(".urbanrural-"):
            shutil.rmtree(p, ignore_errors=True)


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters (an echoed value never makes a message long).

    Examples
    --------
    >>> clip("x" * 100, 10)
    'xxxxxxxxx…'
    """
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- uploads

def stored_name(kind: str, number: int, display: str) -> str:
    """The name a stored upload gets (kind, number and the lower-case suffix of the name
    shown), after the suffix is checked against the kinds of file read.

    Examples
    --------
    >>> stored_name("data", 2, "分省年度数据.CSV")
    'data-2.csv'
    """
    suffix = PurePosixPath(display).suffix.lower()
    if kind not in SUFFIXES:
        raise UploadRefusedError(404, "未知的上传类型", f"unknown kind of upload {kind!r}")
    if suffix not in SUFFIXES[kind]:
        raise UploadRefusedError(415, f"不支持的文件类型 {suffix or '（无扩展名）'}，可用："
                                 f"{' '.join(SUFFIXES[kind])}",
                            f"files of type {suffix or '(no extension)'} are not read here; "
                            f"use {', '.join(SUFFIXES[kind])}")
    return f"{kind}-{number}{suffix}"


def _clean_message(text: str, names: dict[str, str]) -> str:
    """An error message with the server's paths and stored names replaced by the names the
    user knows (longest first, so that a folder path goes before the file name in it)."""
    for stored in sorted(names, key=len, reverse=True):
        text = text.replace(stored, names[stored])
    return text


# Chinese for the reasons the data layer gives in English only (data/readers.py, catalog.py);
# the page shows the gloss beside the original, which stays the reference
REASONS_ZH = {
    "blank line": "空行",
    "footnote or source line (kept in the panel's provenance)": "脚注或资料来源行（记入数据来源说明）",
    "text beside a metadata line (数据库/指标/时间), not read":
        "元数据行（数据库/指标/时间）旁的文字，未读入",
    "line above the header row (a title or note), not read as data": "表头行之上的标题或说明，未作为数据读入",
    "empty cell (no value published)": "空单元格（未公布数值）",
    "identical value under another name of the same indicator (merged)":
        "同一指标另一名称下的相同数值（已合并）",
    "identical duplicate of an earlier row (merged)": "与前面某行完全相同的重复值（已合并）",
}
_REASON_PREFIXES_ZH = {"missing-value marker ": "缺失值标记 "}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def reason_zh(reason: str) -> str | None:
    """The Chinese of a reason the data layer gives in English only; ``None`` when the reason
    already holds Chinese (it is bilingual) or is not a known text.

    Examples
    --------
    >>> reason_zh("blank line"), reason_zh("missing-value marker '…'")
    ('空行', "缺失值标记 '…'")
    >>> reason_zh("合计或平均列 / a total or average column, not a year: not read") is None
    True
    """
    if reason in REASONS_ZH:
        return REASONS_ZH[reason]
    if _CJK.search(reason):
        return None
    for prefix, zh in _REASON_PREFIXES_ZH.items():
        if reason.startswith(prefix):
            return zh + reason[len(prefix):]
    return None


def check_upload_bounded(path: Path, kind: str, display: str) -> dict:
    """:func:`check_upload`, with what the data layer does not catch (memory exhausted under
    the process's limit, a bug) turned into a refusal that names no server path."""
    try:
        return check_upload(path, kind, display)
    except Exception as exc:  # noqa: BLE001 - the page says so; the server keeps serving
        text = str(exc)
        # past the address-space limit an allocation fails, and so does mapping a library
        if isinstance(exc, MemoryError) or "failed to map" in text or "memory" in text.lower():
            return _not_read("读取该文件所需的内存超过服务器为单个文件设定的上限",
                             "reading this file needs more memory than the server allows for "
                             "one file; is it far larger than it looks (a compressed or hostile "
                             "file)?")
        names = {str(path): display, str(path.parent): "", path.name: display}
        text = _ABSOLUTE_PATH.sub("…", _clean_message(text, names))
        return _not_read("读取该文件时出现程序错误", "the file could not be read (an error of "
                         f"the reader: {type(exc).__name__}: {clip(text, 300)})")


_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s/:'\"]+/)+[^\s/:'\"]*")


def _not_read(zh: str, en: str) -> dict:
    return {"ok": False, "message": f"{zh} / {en}", "issues": []}


def check_upload(path: Path, kind: str, display: str) -> dict:
    """Read an upload as the run will and describe it: for data, the row ledger of the data
    layer (values read, used, set aside and why); for a framework or spec, that it parses.

    Returns ``{"ok": True, ...}`` or ``{"ok": False, "message": ..., "issues": [...]}`` with
    the data layer's message, the server's paths replaced by the file's name.
    """
    names = {str(path): display, str(path.parent): "", path.name: display}
    try:
        if kind == "data":
            return {"ok": True, **_ledger(path)}
        if kind == "framework":
            from ..pipeline.framework import load_framework

            fw = load_framework(path)
            return {"ok": True, "framework": {"id": fw.id, "name_zh": fw.name_zh,
                                              "name_en": fw.name_en}}
        from ..pipeline.spec import AnalysisSpec

        spec = AnalysisSpec.from_yaml(path)
        return {"ok": True, "spec": spec.to_dict()}
    except DataError as exc:
        return {"ok": False, "message": _clean_message(str(exc), names),
                "issues": [{"file": display if i.file else None, "row": i.row,
                            "column": i.column, "value": i.value,
                            "reason": _clean_message(i.reason, names)}
                           for i in exc.issues[:200]]}


def _ledger(path: Path) -> dict:
    from ..data import read

    panel = read(path)
    rep = panel.report
    rows = rep.to_frame().head(500)
    return {"layout": rep.layout, "encoding": rep.encoding, "values_read": rep.rows_in,
            "values_used": rep.rows_used, "set_aside": len(rep.set_aside),
            "cells_in": rep.cells_in, "cells_labels": rep.cells_labels,
            "balanced": rep.balanced,
            "reasons": [[r, n, reason_zh(r)] for r, n in rep.reasons().most_common()],
            "notices": list(rep.notices),
            "rows": [{**r, "reason_zh": reason_zh(r["reason"] or "")} for r in
                     json.loads(rows.to_json(orient="records", force_ascii=False))],
            "regions": len(panel.regions), "indicators": list(panel.indicator_ids),
            "years": [int(panel.years[0]), int(panel.years[-1])] if len(panel.years) else []}


# --------------------------------------------------------------------------- the spec

_FORM_KEYS = {"sections", "partition", "lang", "frameworks", "use_bundled", "years"}


def build_spec(job: dict, folder: Path, form: dict) -> tuple[Any, dict[str, str], list[str]]:
    """The :class:`~urbanrural.pipeline.spec.AnalysisSpec` a job runs, from its uploads and
    the options chosen in the page (the same spec the CLI builds from its flags).

    Without an uploaded ``analysis.yaml``, the uploaded data files go beside the bundled
    provincial data (``with_data``, as ``urbanrural report --with``), or replace it when
    ``use_bundled`` is false (the first file is ``data``). With one, the spec is the base and
    every file it names must have been uploaded under that name; its data fingerprints stay,
    so the run checks that the files are the ones it was written from.

    Returns the spec (with the server's paths of the uploads), the map from those paths back to
    the names the user knows (the record names files by them), and the keys the page's options
    changed in an uploaded spec.
    """
    from ..data import DATASETS
    from ..pipeline.framework import BUILTIN_FRAMEWORKS
    from ..pipeline.spec import AnalysisSpec

    unknown = sorted(map(str, set(form) - _FORM_KEYS))
    if unknown:
        raise DataError(Issue(f"unknown option(s) {clip(', '.join(unknown))} / 未知选项",
                              value=clip(unknown[0])))
    ok = [u for u in job["uploads"] if u.get("check", {}).get("ok")]
    bad = [u["name"] for u in job["uploads"] if not u.get("check", {}).get("ok")]
    if bad:
        raise DataError([Issue("this file could not be read: remove it (✕ beside it) or upload "
                               "a corrected file under the same name / 该文件无法读取：请点旁边的 ✕ "
                               "删除它，或以同一文件名上传改正后的文件", file=n) for n in bad])
    by_kind: dict[str, dict[str, str]] = {"data": {}, "framework": {}, "spec": {}}
    for u in ok:
        by_kind[u["kind"]][u["name"]] = str(folder / "uploads" / u["stored"])
    names = {path: name for kind in by_kind.values() for name, path in kind.items()}
    specs = list(by_kind["spec"].values())
    if len(specs) > 1:
        raise DataError(Issue("upload one analysis.yaml per run / 每次只能上传一个分析设定"))

    def source(value: str | None, key: str) -> str | None:
        if value is None or value in DATASETS:
            return value
        if value in by_kind["data"]:
            return by_kind["data"][value]
        raise DataError(Issue(f"analysis.yaml names the file {value!r} for {key}; upload it "
                              f"too (under that name) / 分析设定引用了该文件，请一并上传",
                              value=key))

    def framework(value: str, key: str) -> str:
        if value in BUILTIN_FRAMEWORKS:
            return value
        if value in by_kind["framework"]:
            return by_kind["framework"][value]
        raise DataError(Issue(f"{key}: {clip(value)!r} is neither a built-in framework "
                              f"({', '.join(BUILTIN_FRAMEWORKS)}) nor an uploaded framework "
                              "file / 既不是内置框架也不是已上传的框架文件", value=key))

    data_paths = list(by_kind["data"].values())
    if specs:
        base = AnalysisSpec.from_yaml(specs[0])
        named = {base.data, *base.with_data}
        unused = [n for n, p in by_kind["data"].items() if n not in named]
        if unused:
            raise DataError([Issue("this file is not named in the uploaded analysis.yaml (its "
                                   "data or with_data) / 上传的分析设定没有引用该文件", file=n)
                             for n in unused])
        base = dataclasses.replace(
            base, data=source(base.data, "data"),
            with_data=tuple(source(s, "with_data") for s in base.with_data),
            national_data=source(base.national_data, "national_data"),
            world_data=source(base.world_data, "world_data"),
            frameworks=tuple(framework(f, "frameworks") for f in base.frameworks),
            national_frameworks=tuple(framework(f, "national_frameworks")
                                      for f in base.national_frameworks),
            world_framework=None if base.world_framework is None else
            framework(base.world_framework, "world_framework"))
    elif form.get("use_bundled", True) or not data_paths:
        base = AnalysisSpec(with_data=tuple(data_paths))
    else:
        base = AnalysisSpec(data=data_paths[0], with_data=tuple(data_paths[1:]))
    flags: dict[str, Any] = {k: form.get(k) for k in ("partition", "lang")}
    years = form.get("years")
    if years is not None:  # [first, last] from the page's two year fields
        if not (isinstance(years, list) and len(years) == 2
                and all(isinstance(y, int) and not isinstance(y, bool) for y in years)):
            raise DataError(Issue("years: the first and last year / 应为起止年份", value="years"))
        flags["years"] = (years[0], years[1])
    for key in ("sections", "frameworks"):
        value = form.get(key)
        if value is not None:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value) \
                    or not value:
                raise DataError(Issue(f"{key}: a list of names / 应为名称列表", value=key))
            flags[key] = tuple(framework(v, key) for v in value) if key == "frameworks" \
                else tuple(value)
    spec, changed = base.with_overrides(**flags)
    return spec, names, changed if specs else []


def portable_spec(spec: Any, names: dict[str, str]) -> Any:
    """The spec as recorded: uploads named as the user named them, not by server paths."""
    def n(v):
        return None if v is None else names.get(v, v)
    return dataclasses.replace(
        spec, data=n(spec.data), with_data=tuple(n(s) for s in spec.with_data),
        national_data=n(spec.national_data), world_data=n(spec.world_data),
        frameworks=tuple(n(f) for f in spec.frameworks),
        national_frameworks=tuple(n(f) for f in spec.national_frameworks),
        world_framework=n(spec.world_framework))
