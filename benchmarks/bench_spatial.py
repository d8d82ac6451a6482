"""Benchmark: Moran's I with 999 permutations and a spatial Markov chain on 3,000 regions ×
20 years, against esda and giddy, in one run:

    python benchmarks/bench_spatial.py

Regions are the cells of a 50 × 60 rook lattice (libpysal ``lat2W``) and the values are
SYNTHETIC (a seeded spatially smoothed random field), a speed test only. Deterministic parts
(I, E[I], Var[I]; transition counts and probabilities) are checked equal before timing.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import urbanrural as ur


def best(f, repeat=3):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def main() -> None:
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_s = Spatial_Markov(Y / Y.mean(axis=0), w, fixed=True, k=5, m=5)
    ours_s = ur.spatial_markov(Y, w, k=5, m=5, fixed=True)
    assert np.array_equal(ours_s.T, ref_s.T)

    t_om = best(lambda: ur.morans_i(y, w, permutations=999, seed=1))
    t_em = best(lambda: esda.Moran(y, w, permutations=999))
    t_os = best(lambda: ur.spatial_markov(Y, w, k=5, m=5, fixed=True))

    def giddy_sm():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Spatial_Markov(Y / Y.mean(axis=0), w, fixed=True, k=5, m=5)

    t_gs = best(giddy_sm, repeat=2)
    t_ol = best(lambda: ur.local_morans(y, w, permutations=999, seed=1), repeat=1)
    t_el = best(lambda: esda.Moran_Local(y, w, permutations=999, seed=1), repeat=1)
    print(f"{n} regions × {T} years (synthetic lattice data); deterministic results equal")
    print(f"Moran's I, 999 permutations: urbanrural {t_om:.3f} s, esda {t_em:.3f} s "
          f"(×{t_em / t_om:.1f})")
    print(f"spatial Markov k = m = 5:    urbanrural {t_os:.3f} s, giddy {t_gs:.3f} s "
          f"(×{t_gs / t_os:.1f})")
    print(f"local Moran, 999 permutations: urbanrural {t_ol:.3f} s, esda {t_el:.3f} s "
          f"(×{t_el / t_ol:.1f})")


if __name__ == "__main__":
    main()
