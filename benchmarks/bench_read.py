"""Benchmark: read a long CSV of 3,000 regions × 30 years × 50 indicators into a Panel, beside
plain ``pandas.read_csv`` of the same file, in one run.

    python benchmarks/bench_read.py [--regions 3000 --years 30 --indicators 50]

The values are SYNTHETIC (random numbers, seeded) — a speed test, not data. The region codes
are the real 2023 county and prefecture codes of the bundled registry so that every row goes
through region resolution as a user's file would. Each reader runs in its own subprocess so
that peak memory (max RSS) is measured separately; the clock starts after the imports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

WORK = Path(__file__).parent / "_work"

CHILD = r"""
import json, resource, sys, time
path, which = sys.argv[1], sys.argv[2]
import pandas as pd
if which != "pandas":
    import urbanrural as ur
    ur.china()  # the registry is built once per process, as in any session
t0 = time.perf_counter()
if which == "pandas":
    df = pd.read_csv(path)
    n = len(df)
else:
    p = ur.read(path)
    n = len(p)
    assert p.report.balanced
dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "rows": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_file(n_regions: int, n_years: int, n_ind: int) -> Path:
    import urbanrural as ur

    WORK.mkdir(exist_ok=True)
    path = WORK / f"synthetic_long_{n_regions}x{n_years}x{n_ind}.csv"
    if path.exists():
        return path
    reg = ur.china()
    codes = (reg.codes("county") + reg.codes("prefecture"))[:n_regions]
    rng = np.random.default_rng(42)
    r, y, k = np.meshgrid(np.arange(len(codes)), np.arange(n_years), np.arange(n_ind),
                          indexing="ij")
    df = pd.DataFrame({
        "region_code": np.asarray(codes)[r.ravel()],
        "year": 1995 + y.ravel(),
        "indicator": np.char.add("synthetic_", k.ravel().astype(str)),
        "value": np.round(rng.lognormal(8, 1, r.size), 2),
    })
    df.to_csv(path, index=False)
    return path


def run(path: Path, which: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), which], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=3000)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--indicators", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    t0 = time.perf_counter()
    path = make_file(a.regions, a.years, a.indicators)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB "
          f"(synthetic values; made in {time.perf_counter() - t0:.1f} s)")
    res = {}
    for which in ("pandas", "urbanrural"):
        runs = [run(path, which) for _ in range(a.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        res[which] = best
        print(f"{which:>10}: {best['seconds']:.2f} s (best of {a.repeat}), "
              f"peak RSS {best['peak_mb']:.0f} MB, {best['rows']} rows")
    ratio_t = res["urbanrural"]["seconds"] / res["pandas"]["seconds"]
    ratio_m = res["urbanrural"]["peak_mb"] / res["pandas"]["peak_mb"]
    print(f"urbanrural.read / pandas.read_csv: time ×{ratio_t:.2f}, peak memory ×{ratio_m:.2f}")


if __name__ == "__main__":
    main()
