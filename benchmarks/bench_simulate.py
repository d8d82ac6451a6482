"""Benchmark: the scenario ensemble of the dual economy — 10,000 parameter draws × 4 scenarios
× 60 years, vectorised over draws — against the same model advanced one draw at a time (the
loop a per-draw script would write; the issue names no peer tool), in one run, with the peak
memory of each. Optionally the same ensemble on a local two-worker Dask cluster, checked equal.

    OMP_NUM_THREADS=1 python benchmarks/bench_simulate.py [--draws 10000] [--years 60]
        [--loop-draws 200] [--dask]

The draws come from the calibration to the bundled ``china_national`` data (seeded).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import urbanrural as ur
from urbanrural.methods.simulate.calibrate import calibrate, targets_from_wide
from urbanrural.methods.simulate.ensemble import run_ensemble
from urbanrural.methods.simulate.model import Params
from urbanrural.pipeline.simulate import load_scenarios


def measured(f):
    """Wall time (a run without tracing, which would slow it) and peak traced memory (MiB)."""
    t0 = time.perf_counter()
    out = f()
    dt = time.perf_counter() - t0
    tracemalloc.start()
    f()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dt, peak / 2**20, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=60)
    ap.add_argument("--loop-draws", type=int, default=200)
    ap.add_argument("--dask", action="store_true")
    a = ap.parse_args()
    d = ur.load_dataset("china_national").data
    wide = d.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
    targets, init = targets_from_wide(wide, first_year=2000)
    t_cal, m_cal, cal = measured(lambda: calibrate(targets, init))
    t_draw, _, _ = measured(lambda: cal.sample(a.draws, seed=12345))
    scenarios = load_scenarios()
    until = init.year + a.years
    params = cal.draws(a.draws, seed=12345)
    t_vec, m_vec, ens = measured(lambda: run_ensemble(params, init, scenarios, until=until))
    sub = params.matrix()[: a.loop_draws]

    def loop():
        return [run_ensemble(Params.from_matrix(row[None, :]), init, scenarios, until=until)
                for row in sub]

    t0 = time.perf_counter()
    singles = loop()  # timed once: the loop is the slow side
    t_loop = time.perf_counter() - t0
    for k, one in enumerate(singles[:20]):  # the loop computes the same numbers
        np.testing.assert_array_equal(one.values["income_ratio"][:, :, 0],
                                      ens.values["income_ratio"][:, :, k])
    per_draw_loop = t_loop / a.loop_draws
    per_draw_vec = t_vec / a.draws
    cells = a.draws * len(scenarios) * a.years
    print(f"calibration: {t_cal:.3f} s, peak {m_cal:.1f} MiB; {a.draws} posterior draws "
          f"(importance resampling of {4 * a.draws} proposals): {t_draw:.3f} s")
    print(f"vectorised ensemble: {a.draws} draws × {len(scenarios)} scenarios × {a.years} years "
          f"= {cells:,} draw-years in {t_vec:.3f} s, peak {m_vec:.1f} MiB")
    print(f"per-draw loop: {a.loop_draws} draws in {t_loop:.3f} s "
          f"(extrapolated to {a.draws} draws: {per_draw_loop * a.draws:.1f} s)")
    print(f"ratio loop / vectorised per draw: {per_draw_loop / per_draw_vec:.1f}×")
    if a.dask:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            t_d, _, dens = measured(lambda: run_ensemble(params, init, scenarios, until=until,
                                                         client=client, chunks=4))
        same = all(np.array_equal(ens.values[q], dens.values[q]) for q in ens.values)
        print(f"dask (2 workers, 4 chunks): {t_d:.3f} s, identical to in-process: {same}")


if __name__ == "__main__":
    main()
