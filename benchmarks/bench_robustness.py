"""Benchmark: uncertainty and Sobol' analysis of an index's ranks (issue 15), in one run:

    python benchmarks/bench_robustness.py [--quick]

Values are SYNTHETIC (seeded uniform levels with a trend), a speed test only. Two sizes:

* provincial: 31 regions × 12 years × 5 indicators in the tree of ``urban_rural_integration``
  (4 dimensions: 2, 1, 1, 1 indicators), 14,336 draws (Saltelli N = 2048, the first size
  above 10,000);
* county: 2,850 regions × 20 years × 40 indicators in 4 dimensions of 10, 1,000 draws asked
  (896 run: N = 128).

Every draw varies normalisation (min-max, z-score, rank), weighting (framework = equal,
entropy, CRITIC, PCA), aggregation (weighted sum, geometric, TOPSIS), one indicator left out
and ±25 % weight noise, on Saltelli's design. Each size runs in process (one thread, then
``threads=2``: the same chunks on two threads) and on a two-worker local Dask cluster
(processes); all three must give identical ranks. The peer is the
straightforward loop a script would write — one draw at a time through the same registered
2-D weight and aggregation functions (what COINr's ``get_sensitivity`` does, one coin
regeneration per draw) — timed on the first draws and checked equal to the batched scores.
Peak memory is tracemalloc's (NumPy allocations included) for a third, in-process run
(tracemalloc slows allocations, so the timed runs are not traced).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

from urbanrural.methods.composite.aggregate import AGGREGATIONS
from urbanrural.methods.composite.normalize import normalize
from urbanrural.methods.robustness.engine import IndexTree, evaluate, noisy_multipliers
from urbanrural.methods.robustness.uncertainty import rank_uncertainty

WEIGHTING = ("framework", "entropy", "critic", "pca")
AGGREGATION = ("weighted_sum", "geometric", "topsis")
POSITIVE = (False, True, False)


def synthetic(regions: int, years: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    # bounded values (uniform levels, a common trend, ±5 % noise): z-scores stay within a few
    # standard deviations, so 10 + 2z is positive as entropy and the geometric mean need
    base = rng.uniform(0.5, 1.5, (regions, 1, k)) * np.exp(0.03 * np.arange(years))[None, :, None]
    X = (base * rng.uniform(0.95, 1.05, (regions, years, k))).reshape(-1, k)
    directions = np.where(np.arange(k) % 3 == 0, -1.0, 1.0)
    groups = np.tile(np.arange(years), regions)
    return X, directions, groups


def levels(X, directions):
    Z, Zp = [], []
    for m in ("minmax", "zscore", "rank"):
        z = normalize(X, directions=directions, method=m)
        if m == "zscore":
            z = 10 + 2 * z
            Z.append(z)
            Zp.append(z)
        else:
            Z.append(z)
            Zp.append(1 + 99 * z)
    return np.stack(Z), np.stack(Zp)


def tree_of(sizes):
    kids, col = [], 0
    for d, s in enumerate(sizes):
        kids.append(IndexTree(f"d{d}", tuple(IndexTree(f"x{col + i}", column=col + i)
                                             for i in range(s)), "equal"))
        col += s
    return IndexTree("index", tuple(kids), "equal").numbered()


def run(Z, Zp, tree, groups, n, client=None, chunk_draws=256, threads=1):
    k = Z.shape[2]
    return rank_uncertainty(Z, Zp, tree, groups, normalisation=("minmax", "zscore", "rank"),
                            weighting=WEIGHTING, aggregation=AGGREGATION, positive=POSITIVE,
                            leave_out=tuple(range(k)), column_names=[f"x{j}" for j in range(k)],
                            multipliers=noisy_multipliers(100, tree.n_edges(), 0.25, seed=0),
                            n=n, seed=0, dask_client=client, chunk_draws=chunk_draws,
                            threads=threads)


def loop_peer(Z, Zp, tree, plan_rows, plan):
    """One draw at a time, 2-D arrays, the registry's functions (no batching)."""
    out = []
    for d in plan_rows:
        p = plan.take(np.array([d]))
        out.append(evaluate(Z, Zp, tree, p, weighting=WEIGHTING, aggregation=AGGREGATION,
                            positive=POSITIVE)[0])
    return np.array(out)


def bench(name, regions, years, sizes, n, client, peer_draws):
    X, d, groups = synthetic(regions, years, sum(sizes))
    Z, Zp = levels(X, d)
    tree = tree_of(sizes)
    # chunks: four per worker (tasks of the Dask run); the in-process run cuts the same chunks
    chunk = max(16, -(-_draws(n) // 8))
    t, c = time.perf_counter(), time.process_time()
    r = run(Z, Zp, tree, groups, n, chunk_draws=chunk)
    t_in, c_in = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()  # the same chunks on two threads
    r_t = run(Z, Zp, tree, groups, n, chunk_draws=chunk, threads=2)
    t_th, c_th = time.perf_counter() - t, time.process_time() - c
    w0 = sum(client.run(time.process_time).values())
    t, c = time.perf_counter(), time.process_time()
    r2 = run(Z, Zp, tree, groups, n, client, chunk_draws=chunk)
    t_dask = time.perf_counter() - t
    c_dask = time.process_time() - c + sum(client.run(time.process_time).values()) - w0
    tracemalloc.start()  # a separate run: tracemalloc slows every allocation it traces
    run(Z, Zp, tree, groups, n, chunk_draws=chunk)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    same = all(np.array_equal(r.rank_median, x.rank_median) and np.array_equal(r.mean_shift,
                                                                                x.mean_shift)
               and np.array_equal(r.sobol_rank.total, x.sobol_rank.total) for x in (r2, r_t))
    # the peer: the same first draws one at a time
    plan = _plan_of(r, Z, tree, n)
    rows = np.arange(min(peer_draws, r.draws))
    t = time.perf_counter()
    loop = loop_peer(Z, Zp, tree, rows, plan)
    t_loop = (time.perf_counter() - t) / len(rows) * r.draws
    batched = evaluate(Z, Zp, tree, plan.take(rows), weighting=WEIGHTING,
                       aggregation=AGGREGATION, positive=POSITIVE)
    equal = np.allclose(loop, batched, rtol=1e-10, atol=1e-12)
    print(f"{name:<11} {regions}×{years}×{sum(sizes):<3} draws {r.draws:>6}  in-process "
          f"{t_in:7.2f} s (cpu {c_in:6.2f} s)  2 threads {t_th:7.2f} s (cpu {c_th:6.2f} s)  "
          f"dask(2) {t_dask:7.2f} s (cpu, all processes "
          f"{c_dask:6.2f} s)  speed-up {t_in / t_dask:4.2f}  identical {same}  | per-draw loop "
          f"(from {len(rows)} draws) {t_loop:8.2f} s  ratio {t_loop / t_in:5.1f}×  equal "
          f"{equal}  | peak {peak:7.1f} MiB  | load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


def _draws(n: int, factors: int = 5) -> int:
    from urbanrural.methods.robustness.uncertainty import base_sample_size

    return base_sample_size(n, factors) * (factors + 2)


def _plan_of(r, Z, tree, n):
    """Rebuild the draw plan rank_uncertainty used (same design and seed)."""
    from urbanrural.methods.robustness.engine import DrawPlan
    from urbanrural.methods.robustness.sobol import saltelli_design
    from urbanrural.methods.robustness.uncertainty import base_sample_size

    D = len(r.varying)
    U = saltelli_design(D, base_sample_size(n, D), seed=0)
    lv = [np.minimum((U[:, j] * len(f.levels)).astype(int), len(f.levels) - 1)
          for j, f in enumerate(r.factors)]
    lo = np.asarray((-1, *range(Z.shape[2])))
    return DrawPlan(lv[0], lv[1], lv[2], lo[lv[3]], lv[4],
                    noisy_multipliers(100, tree.n_edges(), 0.25, seed=0))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    a = ap.parse_args()
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        if a.quick:
            bench("provincial", 31, 12, (2, 1, 1, 1), 1000, client, 50)
            bench("county", 285, 20, (10, 10, 10, 10), 100, client, 10)
        else:
            # N = 2048: 2048·(5 + 2) = 14,336 draws, the first Saltelli size above 10,000
            bench("provincial", 31, 12, (2, 1, 1, 1), 14_336, client, 300)
            bench("county", 2850, 20, (10, 10, 10, 10), 1000, client, 20)
    assert "weighted_sum" in AGGREGATIONS


if __name__ == "__main__":
    main()
