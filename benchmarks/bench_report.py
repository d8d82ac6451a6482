"""Benchmark: the main job, as users run it, with wall time and peak memory (issue 11.7):

    python benchmarks/bench_report.py            # default report + a county panel

1. ``urbanrural report`` on the embedded data (fresh process; aim: under 10 s on 2 cores),
   with the page weight of ``index.html`` (aim: ≤ 2.5 MB) and, when Debian's chromium and
   Playwright are installed, the time from opening the page to the first drawn chart (aim:
   under 1.5 s).
2. ``urbanrural report --data county.parquet``: 2,900 real county codes from the registry ×
   20 years × 20 indicators, with SYNTHETIC (seeded log-normal) values — a speed test only,
   never data. Counties have no adjacency in the registry, so the sections that need
   neighbours must skip with a note rather than fail (aim: under 60 s).

Each run is one process of the installed command, its peak RSS read with ``os.wait4``;
``import urbanrural`` is timed the same way.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) of that child alone (os.wait4), and its output."""
    import os

    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, usage.ru_maxrss / 1024, text


def county_panel(path: Path, n: int = 2900, years: int = 20, k: int = 20) -> None:
    from urbanrural.data.registry import china

    codes = [c for c in china().codes("county")][:n]
    rng = np.random.default_rng(12345)
    yrs = np.arange(2004, 2004 + years)
    names = ["gdp", "population_total", "population_urban"] + [f"x{j:02d}" for j in range(k - 3)]
    r, t, j = np.meshgrid(np.arange(len(codes)), np.arange(years), np.arange(k), indexing="ij")
    base = rng.lognormal(3, 0.5, size=(len(codes), 1, k)) * 1.05 ** np.arange(years)[None, :, None]
    vals = base * rng.lognormal(0, 0.05, size=base.shape)
    vals[:, :, 2] = np.minimum(vals[:, :, 2], 0.9 * vals[:, :, 1])  # urban ≤ total
    df = pd.DataFrame({"region_code": np.asarray(codes)[r.ravel()], "year": yrs[t.ravel()],
                       "indicator": np.asarray(names)[j.ravel()], "value": vals.ravel()})
    df.to_parquet(path, index=False)


def first_chart_ms(page_path: Path) -> float | None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium:
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = b.new_page(viewport={"width": 1440, "height": 900})
        t0 = time.perf_counter()
        page.goto(page_path.as_uri(), wait_until="commit")
        page.wait_for_selector("div.chart svg.main-svg", timeout=30_000)
        ms = 1000 * (time.perf_counter() - t0)
        b.close()
    return ms


def main() -> int:
    exe = shutil.which("urbanrural") or sys.exit("install the package first (pip install .)")
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    wall, peak, _ = run([sys.executable, "-c", "import urbanrural"])
    print(f"import urbanrural: {wall:.2f} s (process start included)")
    wall, peak, _ = run([exe, "report", "--out", str(work / "default")])
    size = (work / "default" / "index.html").stat().st_size / 1e6
    print(f"default report: {wall:.1f} s wall, peak RSS {peak:.0f} MB, index.html {size:.2f} MB")
    ms = first_chart_ms(work / "default" / "index.html")
    if ms is not None:
        print(f"first chart drawn {ms:.0f} ms after opening the page (headless chromium)")
    county_panel(work / "county.parquet")
    wall, peak, _ = run([exe, "report", "--data", str(work / "county.parquet"), "--out",
                         str(work / "county")])
    size = (work / "county" / "index.html").stat().st_size / 1e6
    print(f"county report (2,900 × 20 × 20, synthetic): {wall:.1f} s wall, peak RSS "
          f"{peak:.0f} MB, index.html {size:.2f} MB")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
