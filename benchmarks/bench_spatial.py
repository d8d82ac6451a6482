"""Benchmark: global Moran's I, local Moran (LISA) and Geary's C with 999 permutations, and a
spatial Markov chain, on 3,000 regions × 20 years, against esda and giddy, warm against warm,
in one run:

    OMP_NUM_THREADS=1 python benchmarks/bench_spatial.py [--repeat 7]

Regions are the cells of a 50 × 60 rook lattice (libpysal ``lat2W``) and the values are
SYNTHETIC (a seeded spatially smoothed random field), a speed test only. Deterministic parts
(I, E[I], Var[I]; local Iᵢ and quadrants; C; transition counts and probabilities) are checked
equal before timing.

What is timed: every function is called once first (the warm-up: esda's numba kernels compile
then, ~35 s, and so does this package's optional permutation kernel), then ``--repeat`` runs;
the medians of wall and CPU time (``time.process_time``) are printed with the ratio
esda / urbanrural (> 1: urbanrural is faster). Each side includes the same work: the
statistic, its analytical inference and 999 permutations with their pseudo p-values
(urbanrural's LISA also applies the FDR rule and builds the result arrays, esda's its
``Moran_Local`` object). Peak memory (Python allocations, ``tracemalloc``) of one call each.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np

import urbanrural as ur


def timed(f, repeat: int):
    """Median wall and CPU seconds over ``repeat`` runs, after one warm-up call."""
    f()
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus))


def peak_mb(f) -> float:
    tracemalloc.start()
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def row(name, ours, theirs, mem_o, mem_t, peer):
    (wo, co), (wt, ct) = ours, theirs
    print(f"{name:<30} urbanrural {wo:7.3f} s wall {co:7.3f} s CPU {mem_o:6.1f} MB | {peer} "
          f"{wt:7.3f} s wall {ct:7.3f} s CPU {mem_t:6.1f} MB | ×{wt / wo:.2f} wall, "
          f"×{ct / co:.2f} CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    import esda
    import libpysal
    from giddy.markov import Spatial_Markov

    w = libpysal.weights.lat2W(50, 60)
    w.transform = "r"
    n, T = w.n, 20
    rng = np.random.default_rng(0)
    base = rng.normal(size=n)
    for _ in range(3):
        base = base + w.sparse @ base
    Y = np.exp(base[:, None] * 0.1 + rng.normal(0, 0.05, (n, T)).cumsum(axis=1))
    y = Y[:, -1]

    ours_m = ur.morans_i(y, w, permutations=999, seed=1)
    ref_m = esda.Moran(y, w, permutations=999)
    assert abs(ours_m.I - ref_m.I) < 1e-12 and abs(ours_m.VI_norm - ref_m.VI_norm) < 1e-12
    ours_l = ur.local_morans(y, w, permutations=999, seed=1)
    ref_l = esda.Moran_Local(y, w, permutations=999, seed=1)
    np.testing.assert_allclose(ours_l.Is, ref_l.Is, rtol=1e-10)
    assert np.array_equal(ours_l.q, ref_l.q)
    assert abs(ur.gearys_c(y, w, permutations=0).C - esda.Geary(y, w, permutations=0).C) < 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_s = Spatial_Markov(Y / Y.mean(axis=0), w, fixed=True, k=5, m=5)
    ours_s = ur.spatial_markov(Y, w, k=5, m=5, fixed=True)
    assert np.array_equal(ours_s.T, ref_s.T)

    def giddy_sm():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Spatial_Markov(Y / Y.mean(axis=0), w, fixed=True, k=5, m=5)

    cases = [
        ("Moran's I, 999 permutations", lambda: ur.morans_i(y, w, permutations=999, seed=1),
         lambda: esda.Moran(y, w, permutations=999), "esda"),
        ("local Moran, 999 permutations",
         lambda: ur.local_morans(y, w, permutations=999, seed=1),
         lambda: esda.Moran_Local(y, w, permutations=999, seed=1), "esda"),
        ("Geary's C, 999 permutations", lambda: ur.gearys_c(y, w, permutations=999, seed=1),
         lambda: esda.Geary(y, w, permutations=999), "esda"),
        ("spatial Markov k = m = 5", lambda: ur.spatial_markov(Y, w, k=5, m=5, fixed=True),
         giddy_sm, "giddy"),
    ]
    print(f"{n} regions × {T} years (synthetic lattice data); deterministic results equal; "
          f"warm-up call on both sides, then medians of {a.repeat} runs")
    for name, ours, theirs, peer in cases:
        t_o, t_t = timed(ours, a.repeat), timed(theirs, a.repeat)
        row(name, t_o, t_t, peak_mb(ours), peak_mb(theirs), peer)


if __name__ == "__main__":
    main()
