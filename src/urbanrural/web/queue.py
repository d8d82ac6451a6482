"""The bounded worker pool of ``urbanrural serve``: a queue and N dispatcher threads, each
running one job at a time in a process of its own (never in a request's thread).

States: ``queued`` → ``running`` → ``done`` or ``failed``. A job is ``done`` only when its
process exited 0, wrote ``outcome.json`` saying so, and its output folder is committed (the
marker of :mod:`urbanrural.outputs.destination` is there); anything else is ``failed`` with
the reason: the data layer's message, a process stopped by a signal (killed, out of memory),
or the server shutting down. At shutdown no new job is taken, the queued ones are marked
failed, the running ones get ``grace_seconds`` to finish and are then stopped and marked failed.

A job's process leads a process group of its own (so stopping it stops whatever it started)
and runs under a limit of address space and of time; the same processes read uploads
(:meth:`JobQueue.check`), so a hostile file costs at most one bounded process, never the server.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import secrets
import signal
import threading
import time
from pathlib import Path

from ..outputs.destination import read_marker
from .jobs import JobStore, _clean_message, _error, _not_read, read_json, remove_output

__all__ = ["JobQueue", "QueueFullError", "log_event"]

_LOG = logging.getLogger("urbanrural.web")


def log_event(event: str, **fields) -> None:
    """One structured log record (the JSON formatter of the server writes it as one line)."""
    _LOG.info(event, extra={"fields": {"event": event, **fields}})


class QueueFullError(Exception):
    """The queue holds ``queue_size`` jobs already, or the server is shutting down."""


class JobQueue:
    """Run queued jobs, at most ``workers`` at a time, each in its own process.

    Parameters
    ----------
    store : the job folders.
    workers : jobs run at once.
    queue_size : jobs waiting beyond those running.
    job_timeout_seconds, job_memory_bytes : a job's process is stopped (and the job failed)
        past this time, and cannot take more address space than this beyond what it starts
        with; ``None``: no limit.
    check_timeout_seconds, check_memory_bytes : the same for the process reading an upload.
    """

    def __init__(self, store: JobStore, *, workers: int = 2, queue_size: int = 100,
                 job_timeout_seconds: float | None = None, job_memory_bytes: int | None = None,
                 check_timeout_seconds: float | None = 60.0,
                 check_memory_bytes: int | None = 2 * 1024 ** 3):
        self.store = store
        self.workers = workers
        self.job_timeout_seconds = job_timeout_seconds
        self.job_memory_bytes = job_memory_bytes
        self.check_timeout_seconds = check_timeout_seconds
        self.check_memory_bytes = check_memory_bytes
        self._pending: queue.Queue[str] = queue.Queue(maxsize=queue_size)
        self._closing = threading.Event()
        self._running: dict[str, multiprocessing.Process] = {}
        self._stopped: set[str] = set()
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["urbanrural.web.worker"])
        self._threads = [threading.Thread(target=self._dispatch, name=f"urbanrural-job-{i}",
                                          daemon=True) for i in range(workers)]
        for t in self._threads:
            t.start()

    # ------------------------------------------------------------------ public
    def submit(self, job_id: str) -> int:
        """Queue a job (its ``run.json`` written); returns the jobs ahead of it. Raises
        :class:`ValueError` when the job is not a draft (it was queued already)."""
        if self._closing.is_set():
            raise QueueFullError("shutting down")
        with self._lock:
            ahead = self._pending.qsize()
            self.store.claim(job_id, to="queued", queued=time.time(), progress=0.0, step=None,
                             error=None)
            try:
                self._pending.put_nowait(job_id)
            except queue.Full:
                self.store.update(job_id, state="draft")
                raise QueueFullError("queue full") from None
        log_event("job_queued", job=job_id[:8], waiting=self._pending.qsize())
        return ahead

    def check(self, path: Path, kind: str, display: str) -> dict:
        """:func:`~urbanrural.web.jobs.check_upload` of an upload, run in a process of its own
        under the check's limits of time and memory (a file that would take gigabytes to read
        ends that process, not the server); the refusal says which limit it hit."""
        out = path.parent.parent / f".check-{secrets.token_hex(8)}.json"
        proc = self._context.Process(target=_check, args=(
            str(path), kind, display, str(out), self.check_memory_bytes), daemon=True)
        proc.start()
        proc.join(self.check_timeout_seconds)
        timed_out = proc.is_alive()
        if timed_out:
            proc.kill()
            proc.join(5.0)
        result = read_json(out)
        out.unlink(missing_ok=True)
        if result is not None and not timed_out:
            return result
        if timed_out:
            return _not_read(f"读取该文件超过 {self.check_timeout_seconds:g} 秒的上限，已停止",
                             f"reading this file took longer than the limit of "
                             f"{self.check_timeout_seconds:g} s; it was stopped")
        return _not_read("读取该文件的进程被终止（内存不足？）", "the process reading this file "
                         f"was stopped (exit code {proc.exitcode}; out of memory?)")

    def counts(self) -> dict[str, int]:
        return {"queued": self._pending.qsize(), "running": len(self._running),
                "workers": self.workers}

    def pid(self, job_id: str) -> int | None:
        """The process id of a running job (for tests and operators)."""
        proc = self._running.get(job_id)
        return proc.pid if proc is not None else None

    def shutdown(self, *, grace_seconds: float = 30.0) -> None:
        """Take no new job; mark queued ones failed; let running ones finish within
        ``grace_seconds``, then stop them (they are marked failed)."""
        self._closing.set()
        while True:
            try:
                job_id = self._pending.get_nowait()
            except queue.Empty:
                break
            self.store.update(job_id, state="failed", error=_error(
                "服务器关闭，任务未开始", "the server shut down before this job started"))
            log_event("job_failed", job=job_id[:8], reason="shutdown before start")
        deadline = time.monotonic() + grace_seconds
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            procs = dict(self._running)
            self._stopped.update(procs)
        for proc in procs.values():
            _signal_group(proc, signal.SIGTERM)
        for t in self._threads:
            t.join(5.0)
        for proc in procs.values():
            if proc.is_alive():  # pragma: no cover - ignores SIGTERM
                _signal_group(proc, signal.SIGKILL)
                proc.join(2.0)

    # ------------------------------------------------------------------ workers
    def _dispatch(self) -> None:
        while not self._closing.is_set():
            try:
                job_id = self._pending.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._execute(job_id)
            except Exception as exc:  # the server keeps serving; the job says what happened
                _LOG.exception("job dispatch failed")
                with contextlib.suppress(KeyError):
                    self.store.update(job_id, state="failed", error=_error(
                        "服务器内部错误", "internal error of the server",
                        _clean_message(str(exc), {str(self.store.root): "…"})))

    def _execute(self, job_id: str) -> None:
        folder = self.store.folder(job_id)
        if folder is None:  # removed while queued
            return
        for name in ("progress.json", "outcome.json"):
            (folder / name).unlink(missing_ok=True)
        started = time.time()
        # not a daemon: a section may start processes of its own (a daemon process may not)
        proc = self._context.Process(target=_run, args=(str(folder), self.job_memory_bytes),
                                     daemon=False)
        with self._lock:
            proc.start()
            self._running[job_id] = proc
        self.store.update(job_id, state="running", started=started)
        log_event("job_started", job=job_id[:8], pid=proc.pid)
        timed_out = False
        try:
            while proc.is_alive():
                proc.join(0.25)
                if self.job_timeout_seconds is not None and proc.is_alive() and \
                        time.time() - started > self.job_timeout_seconds:
                    timed_out = True
                    _signal_group(proc, signal.SIGKILL)
                    proc.join(5.0)
                    break
                progress = read_json(folder / "progress.json")
                if progress:
                    self.store.update(job_id, progress=progress.get("fraction"),
                                      step=progress.get("step"))
        finally:
            with self._lock:
                self._running.pop(job_id, None)
                stopped = job_id in self._stopped
            _signal_group(proc, signal.SIGKILL)  # whatever the job started and left running
        self._finish(job_id, folder, proc.exitcode, started, stopped,
                     timeout=self.job_timeout_seconds if timed_out else None)

    def _finish(self, job_id: str, folder: Path, exitcode: int | None, started: float,
                stopped: bool, *, timeout: float | None = None) -> None:
        outcome = read_json(folder / "outcome.json") or {}
        seconds = round(time.time() - started, 3)
        committed = read_marker(folder / "output") is not None
        if exitcode == 0 and outcome.get("ok") and committed:
            self.store.update(job_id, state="done", progress=1.0, step=None, seconds=seconds,
                              outcome={k: outcome[k] for k in ("sections", "cited", "figures")})
            log_event("job_done", job=job_id[:8], seconds=seconds)
            return
        # whatever a failed job left (a staging folder, an output without a verdict) is
        # removed, so nothing half-written can ever be downloaded
        remove_output(folder)
        if timeout is not None:
            error = _error(f"任务运行超过 {timeout:g} 秒的上限，已被终止", f"the job ran longer "
                           f"than the limit of {timeout:g} s and was stopped; nothing it wrote "
                           "is kept")
        elif outcome and not outcome.get("ok"):
            if outcome.get("internal"):
                _LOG.error("job %s raised: %s", job_id[:8], outcome.get("traceback", ""))
                error = _error("运行中出现程序错误（不是数据的问题），详情见服务器日志",
                               "the run hit a program error (not a problem of the data); the "
                               "server log has the details", outcome.get("message", ""))
            else:
                error = _error("数据或设定有误，分析未能完成", "the data or settings cannot be "
                               "used as they are; the analysis did not finish",
                               outcome.get("message", ""))
        elif stopped:
            error = _error("服务器关闭时任务仍在运行，已被终止", "the server shut down while this job "
                           "ran; it was stopped before it finished")
        elif exitcode is not None and exitcode < 0:
            sig = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else \
                str(-exitcode)
            error = _error(f"任务进程被终止（{sig}），未完成", f"the job's process was stopped "
                           f"({sig}) before it finished; nothing it wrote is kept")
        else:
            error = _error("任务进程意外退出，未完成", f"the job's process ended unexpectedly "
                           f"(exit code {exitcode}) before it finished")
        self.store.update(job_id, state="failed", step=None, seconds=seconds, error=error)
        log_event("job_failed", job=job_id[:8], seconds=seconds, exitcode=exitcode,
                  reason=error["en"])


def _signal_group(proc: multiprocessing.Process, sig: int) -> None:
    """Send ``sig`` to the process group a job's process leads (see :func:`_run`)."""
    if proc.pid is None:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):  # the group is gone (or not made yet)
        if proc.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)


def _limit_memory(extra_bytes: int | None) -> None:
    """Cap this process's address space at what it holds now plus ``extra_bytes`` (the
    fork server's modules are mapped already); past it an allocation fails (MemoryError)."""
    if extra_bytes is None:
        return
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            size = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):  # pragma: no cover - not Linux
        return
    resource.setrlimit(resource.RLIMIT_AS, (size + extra_bytes, size + extra_bytes))


def _run(folder: str, memory_bytes: int | None = None) -> None:
    os.setpgid(0, 0)  # a group of its own: stopping the job stops what it started
    _limit_memory(memory_bytes)
    from .worker import run_job

    run_job(folder)


def _check(path: str, kind: str, display: str, out: str, memory_bytes: int | None) -> None:
    _limit_memory(memory_bytes)
    from .jobs import _write_json, check_upload_bounded

    _write_json(Path(out), check_upload_bounded(Path(path), kind, display))

