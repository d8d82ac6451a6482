"""Benchmark: out-of-core Gini and Dagum on Dask (issue 17.1), in one command:

    python benchmarks/bench_out_of_core.py                 # 10⁸ records, 2 workers × 1 GB
    python benchmarks/bench_out_of_core.py --records 2e7   # a quicker run

1. Writes N weighted records (value, weight, one of 4 groups) as Parquet files of
   ``--partition`` records each into a temporary folder (never all in memory at once).
2. Starts a local cluster of ``--workers`` worker processes with ``--memory`` each (one thread
   each) and computes the weighted Gini and the Dagum decomposition of all N records from the
   Parquet dataset: wall time, the summed durations of the tasks (task stream), and every
   worker's peak memory (its process's peak RSS, read in the worker with
   ``resource.getrusage``).
3. For comparison at 10⁷ records (``--in-memory``): the same measures in memory (NumPy, this
   process: wall time and peak RSS added) and on the cluster, after a warm-up call on both
   sides, so the ratio is Dask's overhead on data that fits.
4. Estimates the time on a 32-worker cluster from the measured per-partition cost:
   T₃₂ ≈ F + C/32, where C is the summed duration of all tasks (task stream) and F = wall − C/W the
   part of the measured wall time that did not shrink with the W workers here (scheduling,
   shuffle I/O, the driver's steps). It assumes per-partition work scales linearly and the
   network of the larger cluster is not the bottleneck; it is an estimate, not a measurement.

Values are SYNTHETIC (seeded log-normal incomes, integer weights), a speed test only. The
in-memory and the Dask results are checked equal (1e-12 relative) where both are computed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

GROUPS = np.array(["east", "central", "west", "northeast"])
SHIFT = np.array([0.5, 0.1, 0.0, 0.2])


def partition(i: int, m: int) -> pd.DataFrame:
    rng = np.random.default_rng([2024, i])
    g = rng.choice(4, m, p=[0.4, 0.25, 0.25, 0.1])
    return pd.DataFrame({"income": rng.lognormal(10, 0.9, m) * np.exp(SHIFT[g]),
                         "weight": rng.integers(1, 50, m).astype(np.float64),
                         "group": pd.Categorical.from_codes(g, GROUPS)})


def write_dataset(folder: Path, n: int, m: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    parts = int(np.ceil(n / m))
    for i in range(parts):
        size = min(m, n - i * m)
        partition(i, size).to_parquet(folder / f"part{i:05d}.parquet", index=False)
    return parts


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def on_cluster(client, folder: Path, label: str, workers: int):
    import dask.dataframe as dd

    import urbanrural as ur

    ddf = dd.read_parquet(folder)
    out = {}
    for name, f in (("gini", lambda: ur.gini(ddf.income, weights=ddf.weight)),
                    ("dagum", lambda: ur.dagum_gini(ddf.income, ddf.group, weights=ddf.weight))):
        client.get_task_stream()  # reset the record
        t0 = time.perf_counter()
        with _TaskStream(client) as ts:
            value = f()
        wall = time.perf_counter() - t0
        cpu = ts.task_seconds()
        peaks = client.run(_peak_rss_mb)
        rss = client.run(_rss_mb)
        fixed = max(wall - cpu / workers, 0.0)
        out[name] = value
        print(f"{label:>16} {name:>6}: wall {wall:8.1f} s, task time {cpu:8.1f} s, "
              f"{ddf.npartitions} partitions ({cpu / ddf.npartitions:.2f} s each); worker peak "
              f"RSS {', '.join(f'{p:.0f}' for p in peaks.values())} MB (now "
              f"{', '.join(f'{r:.0f}' for r in rss.values())} MB); estimate on 32 workers "
              f"{fixed + cpu / 32:.1f} s", flush=True)
    return out


class _TaskStream:
    def __init__(self, client):
        from distributed import get_task_stream

        self._cm = get_task_stream(client)

    def __enter__(self):
        self._ts = self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)

    def task_seconds(self) -> float:
        total = 0.0
        for rec in self._ts.data:
            for s in rec.get("startstops", ()):
                if s.get("action") == "compute":
                    total += s["stop"] - s["start"]
        return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=float, default=1e8)
    ap.add_argument("--partition", type=float, default=1e6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory", default="1GB")
    ap.add_argument("--in-memory", type=float, default=1e7,
                    help="records of the in-memory comparison (0: skip)")
    ap.add_argument("--folder", default=None, help="keep the Parquet data here")
    a = ap.parse_args()
    n, m = int(a.records), int(a.partition)
    import urbanrural as ur
    from urbanrural.methods.inequality.distributed import MEMORY_MULTIPLE, dask_client

    tmp = Path(a.folder) if a.folder else Path(tempfile.mkdtemp(prefix="bench-ooc-"))
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"load average at start (1, 5, 15 min): {load} on {os.cpu_count()} cores", flush=True)
    try:
        t0 = time.perf_counter()
        big = tmp / "big"
        parts = write_dataset(big, n, m)
        gb = n * (8 + 8 + 1) / 1e9
        print(f"{n:.0e} records ({gb:.2f} GB as float64 value + weight + int8 group), {parts} "
              f"Parquet files of {m:.0e}, written in {time.perf_counter() - t0:.0f} s "
              f"(SYNTHETIC data)", flush=True)
        print(f"documented bound: a worker's peak above its idle memory ≤ {MEMORY_MULTIPLE} × "
              f"one partition's 24 bytes a record ≈ {MEMORY_MULTIPLE * m * 24 / 2**20:.0f} MB "
              f"here", flush=True)
        client = dask_client(n_workers=a.workers, threads_per_worker=1, memory_limit=a.memory,
                             host="127.0.0.1")
        try:
            print(f"cluster: {a.workers} workers × {a.memory}, 1 thread each; baseline RSS "
                  f"{', '.join(f'{r:.0f}' for r in client.run(_rss_mb).values())} MB", flush=True)
            if a.in_memory:
                k = int(a.in_memory)
                small = tmp / "small"
                write_dataset(small, k, m)
                frame = pd.read_parquet(small)
                x, w, g = (frame[c].to_numpy() for c in ("income", "weight", "group"))
                ur.gini(x[:1000], weights=w[:1000])  # warm-up
                before = _rss_mb()
                t0, c0 = time.perf_counter(), time.process_time()
                ref_g = ur.gini(x, weights=w)
                t_g, c_g = time.perf_counter() - t0, time.process_time() - c0
                t0, c0 = time.perf_counter(), time.process_time()
                ref_d = ur.dagum_gini(x, g, weights=w)
                t_d, c_d = time.perf_counter() - t0, time.process_time() - c0
                print(f"{f'in memory {k:.0e}':>16}   gini: wall {t_g:8.2f} s, CPU {c_g:.2f} s; "
                      f"dagum: wall {t_d:8.2f} s, CPU {c_d:.2f} s; peak RSS of this process "
                      f"{_peak_rss_mb():.0f} MB (before {before:.0f} MB, holding the data)",
                      flush=True)
                warm = tmp / "warm"
                write_dataset(warm, min(k, m), m)
                on_cluster(client, warm, "warm-up", a.workers)
                got = on_cluster(client, small, f"dask {k:.0e}", a.workers)
                assert abs(got["gini"] / ref_g - 1) < 1e-12, (got["gini"], ref_g)
                for part in ("total", "within", "net_between", "transvariation"):
                    assert abs(getattr(got["dagum"], part) / getattr(ref_d, part) - 1) < 1e-12
                print(f"{'':>16}   dask = in memory to 1e-12 relative at {k:.0e}", flush=True)
                del frame, x, w, g
            res = on_cluster(client, big, f"dask {n:.0e}", a.workers)
            d = res["dagum"]
            print(f"{n:.0e} records: Gini {res['gini']:.6f}; Dagum total {d.total:.6f} = within "
                  f"{d.within:.6f} + net between {d.net_between:.6f} + transvariation "
                  f"{d.transvariation:.6f}")
        finally:
            client.close()
            client.cluster.close()
    finally:
        if not a.folder:
            shutil.rmtree(tmp, ignore_errors=True)
    print("load average at the end (1, 5, 15 min): " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
