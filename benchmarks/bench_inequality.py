"""Benchmark: Gini and Theil against PySAL ``inequality`` at n = 10³ … 10⁷, the Dagum
decomposition against a straightforward O(n²) pairwise implementation, and the Gini of 10⁷
values against the time NumPy takes to sort them. One run, one core:

    OMP_NUM_THREADS=1 python benchmarks/bench_inequality.py [--max-exp 7]

Values are SYNTHETIC (seeded log-normal incomes), a speed test only. Every function is called
once before timing (warm-up, both sides), then timed as the median of several runs; times are
wall seconds, and the last column pair gives CPU seconds of the Gini (``time.process_time``).
Out of core on Dask: ``benchmarks/bench_out_of_core.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import urbanrural as ur

CPU: dict[str, float] = {}


def best(f, repeat=3, name=None, warm=True):
    """Median wall seconds of ``repeat`` runs after a warm-up call, and the result (the
    median CPU seconds are kept in CPU[name])."""
    out = f() if warm else None
    times, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = f()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    if name:
        CPU[name] = float(np.median(cpus))
    return float(np.median(times)), out


def pairwise_dagum(x, g):
    """The textbook O(n²) computation (what ad-hoc scripts do): all pairwise differences."""
    labels = np.unique(g)
    n, mu = x.shape[0], x.mean()
    total = np.abs(np.subtract.outer(x, x)).sum() / (2 * n * n * mu)
    gw = 0.0
    for j in labels:
        xj = x[g == j]
        gjj = np.abs(np.subtract.outer(xj, xj)).sum() / (2 * xj.size**2 * xj.mean())
        gw += gjj * (xj.size / n) * (xj.sum() / x.sum())
    return total, gw


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-exp", type=int, default=7)
    ap.add_argument("--pairwise-max", type=int, default=20_000)
    a = ap.parse_args()
    import inequality  # PySAL

    rng = np.random.default_rng(0)
    print(f"{'n':>10} {'gini':>9} {'pysal gini':>11} {'ratio':>7} {'theil':>9} "
          f"{'pysal theil':>12} {'ratio':>7} {'dagum':>9} {'pairwise':>10} {'CPU gini':>9} "
          f"{'CPU pysal':>9}")
    prev = None
    for e in range(3, a.max_exp + 1):
        n = 10**e
        x = rng.lognormal(10, 0.8, n)
        g = rng.integers(0, 4, n)
        rep = 5 if n <= 10**6 else 3
        t_g, v_g = best(lambda x=x: ur.gini(x), rep, "gini")
        t_pg, v_pg = best(lambda x=x: inequality.gini.Gini(x).g, rep, "pysal")
        assert abs(v_pg - v_g) < 1e-9 * v_g
        t_t, v_t = best(lambda x=x: ur.theil(x).total, rep)
        t_pt, v_pt = best(lambda x=x: float(inequality.theil.Theil(x).T), rep)
        assert abs(v_pt - v_t) < 1e-9 * v_t
        t_d, d = best(lambda x=x, g=g: ur.dagum_gini(x, g), rep)
        if n <= a.pairwise_max:
            t_p, (tot, gw) = best(lambda x=x, g=g: pairwise_dagum(x, g), 1, warm=False)
            assert abs(tot - d.total) < 1e-9 and abs(gw - d.within) < 1e-9
            pw = f"{t_p:10.4f}"
        else:
            pw = "   (n²: skipped)"
        print(f"{n:>10} {t_g:9.4f} {t_pg:11.4f} {t_pg / t_g:7.1f} {t_t:9.4f} {t_pt:12.4f} "
              f"{t_pt / t_t:7.1f} {t_d:9.4f} {pw} {CPU['gini']:9.4f} {CPU['pysal']:9.4f}")
        if prev is not None:
            print(f"{'':>10} growth ×10 n: gini ×{t_g / prev[0]:.1f}, dagum ×{t_d / prev[1]:.1f}")
        prev = (t_g, t_d)
    n = 10**a.max_exp
    x = rng.lognormal(10, 0.8, n)
    t_sort, _ = best(lambda: np.sort(x), 2)
    t_gini, _ = best(lambda: ur.gini(x), 2)
    print(f"\nGini of {n:.0e} values: {t_gini:.3f} s; numpy.sort of them: {t_sort:.3f} s "
          f"(ratio {t_gini / t_sort:.2f})")
    x6 = rng.lognormal(10, 0.8, 10**6)
    g6 = rng.integers(0, 4, 10**6)
    w6 = rng.integers(1, 20, 10**6).astype(float)
    t_d6, _ = best(lambda: ur.dagum_gini(x6, g6), 3)
    t_d6w, _ = best(lambda: ur.dagum_gini(x6, g6, weights=w6), 3)
    print(f"Dagum decomposition, 1e6 records in 4 groups: {t_d6:.3f} s unweighted, "
          f"{t_d6w:.3f} s weighted")


if __name__ == "__main__":
    main()
