"""Benchmark: ``urbanrural serve`` under load on loopback (issue 16), bounded in count and time:

    python benchmarks/bench_web_load.py [--sessions 20] [--workers 2] [--timeout 900]

1. The peer: one ``urbanrural report`` (the default analysis) in a fresh process, with the real
   NBS export and the GBK file of ``tests/data/web`` beside the bundled data: its wall time and
   peak RSS, and its ``results.xlsx`` as the reference.
2. ``urbanrural serve --workers N`` in a process of its own; S sessions start at once, each
   creating a job, uploading the same two files, running the default analysis and downloading
   ``results.xlsx``. Every job must end ``done`` (queued first when the workers are busy, never
   lost or refused), and every workbook must equal the single run's, sheet by sheet, exactly.
3. A job killed mid-run (SIGKILL to its worker process) must be reported ``failed`` and the
   next job must still complete; then SIGTERM: the server must exit 0 (graceful shutdown).

Prints throughput (jobs per minute), p50/p95 time per job (submit → done, as a user waits,
and the run time in the worker), the ratio of the p50 run time to the single CLI run, and
the peak memory of the server's whole process tree (sampled RSS of the server, the fork
server and every job process), against the stated bound of ``--memory-bound-mb`` (default
600 MB + 350 MB per worker).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "tests" / "data" / "web"
FILES = [WEB / "fen_sheng_nian_du_gdp_zh.csv", WEB / "province_urban_unit_employment_gbk_crlf.csv"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port: int):
        self.port = port

    def call(self, method: str, path: str, body: bytes | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, payload=None):
        status, data = self.call(method, path, json.dumps(payload or {}).encode(),
                                 {"Content-Type": "application/json"})
        return status, json.loads(data) if data else None


def single_cli_run(work: Path) -> tuple[float, float, Path]:
    """The peer: ``urbanrural report --with ... --with ...`` once, in a fresh process."""
    cli = work / "cli"
    cli.mkdir()
    for f in FILES:
        shutil.copy(f, cli / f.name)
    cmd = [sys.executable, "-m", "urbanrural", "report", "--out", "ref"]
    for f in FILES:
        cmd += ["--with", f.name]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cli, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the CLI run failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, cli / "ref" / "results.xlsx"


def run_one(client: Client, form: dict) -> dict:
    """One job (the two uploads, ``form`` options) to its end; returns its final status."""
    job = client.json("POST", "/api/jobs")[1]["id"]
    for f in FILES:
        client.call("PUT", f"/api/jobs/{job}/uploads/data", f.read_bytes(),
                    {"X-File-Name": urllib.parse.quote(f.name)})
    client.json("POST", f"/api/jobs/{job}/run", form)
    while (state := client.json("GET", f"/api/jobs/{job}")[1])["state"] not in ("done", "failed"):
        time.sleep(0.1)
    return state


def session(client: Client, results: list, index: int, barrier: threading.Barrier,
            timeout: float) -> None:
    barrier.wait()
    t0 = time.perf_counter()
    status, body = client.json("POST", "/api/jobs")
    job = body["id"]
    for f in FILES:
        status, _ = client.call("PUT", f"/api/jobs/{job}/uploads/data", f.read_bytes(),
                                {"X-File-Name": urllib.parse.quote(f.name)})
        assert status == 200, status
    t_submit = time.perf_counter()
    status, body = client.json("POST", f"/api/jobs/{job}/run", {})
    assert status == 202, body
    seen = set()
    while True:
        status, body = client.json("GET", f"/api/jobs/{job}")
        seen.add(body["state"])
        if body["state"] in ("done", "failed") or time.perf_counter() - t0 > timeout:
            break
        time.sleep(0.25)
    t_done = time.perf_counter()
    xlsx = None
    if body["state"] == "done":
        status, xlsx = client.call("GET", f"/jobs/{job}/files/results.xlsx")
    results[index] = {"job": job, "state": body["state"], "seen": seen, "wait": t_done - t_submit,
                      "total": t_done - t0, "run": body.get("seconds"), "xlsx": xlsx,
                      "error": body.get("error")}


def tree_rss(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a job process may end while we look
            total += p.memory_info().rss
    return total / 1024 / 1024


def same_workbook(data: bytes, reference: dict[str, pd.DataFrame], path: Path) -> bool:
    path.write_bytes(data)
    got = pd.read_excel(path, sheet_name=None, engine="calamine")
    if list(got) != list(reference):
        return False
    for sheet, frame in reference.items():
        try:
            pd.testing.assert_frame_equal(got[sheet], frame, check_exact=True)
        except AssertionError:
            return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole load")
    ap.add_argument("--memory-bound-mb", type=float, default=None)
    args = ap.parse_args()
    bound = args.memory_bound_mb or 600 + 350 * args.workers
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        cli_wall, cli_rss, ref_path = single_cli_run(work)
        reference = pd.read_excel(ref_path, sheet_name=None, engine="calamine")
        print(f"peer: one `urbanrural report` (default analysis, 2 uploads): {cli_wall:.1f} s, "
              f"peak RSS {cli_rss:.0f} MB, {len(reference)} sheets")
        port = free_port()
        server_log = open(work / "server.log", "w")  # noqa: SIM115 - open while the server runs
        server = subprocess.Popen(
            [sys.executable, "-m", "urbanrural", "serve", "--port", str(port), "--root",
             str(work / "jobs"), "--workers", str(args.workers), "--queue",
             str(args.sessions + 5), "--grace", "20"],
            stdout=subprocess.DEVNULL, stderr=server_log)
        client = Client(port)
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start:\n" +
                                 (work / "server.log").read_text()[-2000:])
            time.sleep(0.1)
        solo = run_one(client, {})
        print(f"one job alone through the server (the fork server warm): run "
              f"{solo['seconds']:.1f} s ({solo['state']}); ratio to the CLI run "
              f"{solo['seconds'] / cli_wall:.2f}")
        ps = psutil.Process(server.pid)
        peak = [tree_rss(ps)]
        queued_max = [0]
        stop = threading.Event()

        def sample():
            while not stop.wait(0.2):
                peak.append(tree_rss(ps))
                with contextlib.suppress(OSError, ValueError, TypeError):
                    queued_max[0] = max(queued_max[0], client.json("GET", "/health")[1]["queued"])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results: list = [None] * args.sessions
        barrier = threading.Barrier(args.sessions)
        threads = [threading.Thread(target=session, args=(client, results, i, barrier,
                                                          args.timeout)) for i in range(args.sessions)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.timeout + 60)
        elapsed = time.perf_counter() - t0

        # a job killed mid-run: SIGKILL to the one job process running
        status, body = client.json("POST", "/api/jobs")
        victim = body["id"]
        for f in FILES:
            client.call("PUT", f"/api/jobs/{victim}/uploads/data", f.read_bytes(),
                        {"X-File-Name": urllib.parse.quote(f.name)})
        client.json("POST", f"/api/jobs/{victim}/run", {})
        while client.json("GET", f"/api/jobs/{victim}")[1]["state"] != "running":
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the run
        forkservers = [c for c in ps.children() if c.is_running()]
        jobs = [g for c in forkservers for g in c.children()]
        for p in jobs:
            p.send_signal(signal.SIGKILL)
        while (state := client.json("GET", f"/api/jobs/{victim}")[1])["state"] not in ("done", "failed"):
            time.sleep(0.1)
        state_after = run_one(client, {"sections": ["coverage"]})
        stop.set()
        sampler.join()
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        server_log.close()
        # uvicorn re-raises the signal once its graceful shutdown is complete, so the exit
        # status is -SIGTERM either way; the log says whether the pool was shut down in order
        log = (work / "server.log").read_text(encoding="utf-8")
        graceful = '"event": "server_stopped"' in log

        done = [r for r in results if r and r["state"] == "done"]
        lost = args.sessions - len([r for r in results if r])
        identical = sum(same_workbook(r["xlsx"], reference, work / f"got-{i}.xlsx")
                        for i, r in enumerate(done))
        waits = np.array([r["wait"] for r in done])
        runs = np.array([r["run"] for r in done])
        queued_first = sum("queued" in r["seen"] for r in done)
        print(f"load: {args.sessions} sessions at once, {args.workers} workers, "
              f"{os.cpu_count()} cores")
        print(f"  done {len(done)}/{args.sessions}, failed "
              f"{sum(1 for r in results if r and r['state'] == 'failed')}, lost {lost}; "
              f"seen queued {queued_first}; most waiting at once {queued_max[0]}")
        print(f"  workbooks identical to the single run: {identical}/{len(done)}")
        print(f"  throughput {60 * len(done) / elapsed:.1f} jobs/min ({elapsed:.1f} s for all)")
        if len(done):
            print(f"  time per job as a user waits (run → done): p50 {np.percentile(waits, 50):.1f} s, "
                  f"p95 {np.percentile(waits, 95):.1f} s")
            print(f"  run time in the worker: p50 {np.percentile(runs, 50):.1f} s, p95 "
                  f"{np.percentile(runs, 95):.1f} s; ratio p50 run / single CLI run "
                  f"{np.percentile(runs, 50) / cli_wall:.2f}")
        print(f"  peak memory of the server's process tree: {max(peak):.0f} MB "
              f"(bound {bound:.0f} MB; idle {peak[0]:.0f} MB)")
        print(f"killed job: {state['state']} ({(state.get('error') or {}).get('en', '')}); "
              f"next job: {state_after['state']}; graceful shutdown on SIGTERM: {graceful}")
        ok = (len(done) == args.sessions and identical == len(done) and lost == 0
              and max(peak) <= bound and state["state"] == "failed"
              and state_after["state"] == "done" and graceful and solo["state"] == "done")
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
