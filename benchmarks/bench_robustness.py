"""Benchmark: uncertainty and Sobol' analysis of an index's ranks (issue 15), in one run:

    python benchmarks/bench_robustness.py [--quick] [--only provincial|county]

Values are SYNTHETIC (seeded uniform levels with a trend), a speed test only. Two sizes:

* provincial: 31 regions × 12 years × 5 indicators in the tree of ``urban_rural_integration``
  (4 dimensions: 2, 1, 1, 1 indicators), 14,336 draws (Saltelli N = 2048, the first size
  above 10,000);
* county: 2,850 regions × 20 years × 40 indicators in 4 dimensions of 10, 1,000 draws asked
  (896 run: N = 128).

Every draw varies normalisation (min-max, z-score, rank), weighting (framework = equal,
entropy, CRITIC, PCA), aggregation (weighted sum, geometric, TOPSIS), one indicator left out
and ±25 % weight noise, on Saltelli's design. Each size runs in process (one thread, then
``threads=2``: the same tasks on two threads) and on local Dask clusters of one and of two
worker processes (one thread each), and once more on two workers left with Dask's allocator
setting (``MALLOC_TRIM_THRESHOLD_``, see ``warn_on_trimming_workers``); every run must give
identical results. The speed-up across workers is two workers' time over one's. The peer is the
straightforward loop a script would write — one draw at a time through the same registered
2-D weight and aggregation functions (what COINr's ``get_sensitivity`` does, one coin
regeneration per draw) — timed on the first draws and checked equal to the batched scores.
Peak memory is tracemalloc's (NumPy allocations included) for a third, in-process run
(tracemalloc slows allocations, so the timed runs are not traced).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import tracemalloc
import warnings

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


def bench(name, regions, years, sizes, n, clusters, peer_draws, repeat=1):
    """Times (medians of ``repeat`` runs) in process on one and two threads, then on each
    cluster of ``clusters`` (label → function starting one), started only for its own runs
    and warmed up first, so that idle clusters and first imports are not timed."""
    import statistics

    X, d, groups = synthetic(regions, years, sum(sizes))
    Z, Zp = levels(X, d)
    tree = tree_of(sizes)
    # chunks: four per worker (tasks of the Dask run); the in-process run cuts the same chunks
    chunk = max(16, -(-_draws(n) // 8))
    run(Z, Zp, tree, groups, 16 * 7, chunk_draws=chunk)  # first imports (SALib, SciPy)

    def timed(**kw):
        walls, cpus = [], []
        for _ in range(repeat):
            t, c = time.perf_counter(), time.process_time()
            out = run(Z, Zp, tree, groups, n, chunk_draws=chunk, **kw)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        return out, statistics.median(walls), statistics.median(cpus)

    r, t_in, c_in = timed()
    r_t, t_th, c_th = timed(threads=2)  # the same tasks on two threads
    dask_times, others = {}, [r_t]
    for label, start in clusters.items():
        cluster, client = start()
        try:
            with warnings.catch_warnings():  # the default-allocator cluster is slow on purpose
                warnings.simplefilter("ignore", RuntimeWarning)
                run(Z, Zp, tree, groups, 16 * 7, client, chunk_draws=chunk)  # workers' imports
                out, dask_times[label], _ = timed(client=client)
            others.append(out)
        finally:
            client.close()
            cluster.close()
    tracemalloc.start()  # a separate run: tracemalloc slows every allocation it traces
    run(Z, Zp, tree, groups, n, chunk_draws=chunk)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    same = all(np.array_equal(r.rank_median, x.rank_median) and np.array_equal(r.mean_shift,
                                                                                x.mean_shift)
               and np.array_equal(r.sobol_rank.total, x.sobol_rank.total)
               and np.array_equal(r.sobol_rank.total_conf, x.sobol_rank.total_conf,
                                  equal_nan=True)
               and r.reversals.equals(x.reversals) for x in others)
    # the peer: the same first draws one at a time
    plan = _plan_of(r, Z, tree, n)
    rows = np.arange(min(peer_draws, r.draws))
    t = time.perf_counter()
    loop = loop_peer(Z, Zp, tree, rows, plan)
    t_loop = (time.perf_counter() - t) / len(rows) * r.draws
    batched = evaluate(Z, Zp, tree, plan.take(rows), weighting=WEIGHTING,
                       aggregation=AGGREGATION, positive=POSITIVE)
    equal = np.allclose(loop, batched, rtol=1e-10, atol=1e-12)
    print(f"{name} {regions}×{years}×{sum(sizes)}, {r.draws} draws "
          f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  in process, 1 thread   {t_in:7.2f} s (cpu {c_in:6.2f} s)")
    print(f"  in process, 2 threads  {t_th:7.2f} s (cpu {c_th:6.2f} s)  "
          f"speed-up {t_in / t_th:4.2f}")
    for label, t_d in dask_times.items():
        print(f"  {label:<34} {t_d:7.2f} s  speed-up over 1 thread {t_in / t_d:4.2f}")
    one, two = dask_times.get(DASK_1), dask_times.get(DASK_2)
    if one and two:
        print(f"  dask, 2 workers over 1 worker: speed-up {one / two:4.2f} (linear: 2.00)")
    print(f"  identical everywhere {same}  | per-draw loop (from {len(rows)} draws) "
          f"{t_loop:8.2f} s, ratio {t_loop / t_in:5.1f}×, equal {equal}  | peak {peak:7.1f} MiB")


def _numpy_kernel(_=None) -> float:
    """A memory-bound NumPy kernel (sorts, sums, exponentials of a 32 MB array): seconds."""
    a = np.random.default_rng(0).random((2000, 2000))
    t = time.perf_counter()
    for _ in range(15):
        np.sort(a, axis=1), (a * 2 + 1).sum(axis=0), np.exp(a)
    return time.perf_counter() - t


def machine_ceiling() -> float:
    """The speed-up two processes can reach on this machine: one kernel's time alone over
    the slower of two copies run at once (2.00 on two free, independent cores)."""
    import multiprocessing as mp

    alone = _numpy_kernel()
    with mp.get_context("spawn").Pool(2) as pool:
        together = pool.map(_numpy_kernel, [0, 1])
    return 2 * alone / max(together)


DASK_1 = "dask, 1 worker"
DASK_2 = "dask, 2 workers"
DASK_2_DEFAULT = "dask, 2 workers, Dask's malloc env"


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
    ap.add_argument("--only", choices=("provincial", "county"), help="run one size only")
    a = ap.parse_args()
    import dask
    from distributed import Client, LocalCluster

    def cluster(workers, *, dask_malloc=False):
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which stops glibc
        # from adapting its mmap threshold: every large temporary is mapped afresh (about
        # twice as slow here); the tuned clusters unset it, as the warning advises
        cfg = {} if dask_malloc else {
            "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
        if not dask_malloc:  # a nanny leaves its setting in this process's environment,
            os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # which later workers inherit
        with dask.config.set(cfg):
            c = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, silence_logs=logging.ERROR)
        return c, Client(c)

    print(f"machine: two processes of a memory-bound NumPy kernel reach a speed-up of "
          f"{machine_ceiling():.2f} (2.00: two free cores)")
    clusters = {DASK_1: lambda: cluster(1), DASK_2: lambda: cluster(2),
                DASK_2_DEFAULT: lambda: cluster(2, dask_malloc=True)}
    if a.quick:
        if a.only != "county":
            bench("provincial", 31, 12, (2, 1, 1, 1), 1000, clusters, 50)
        if a.only != "provincial":
            bench("county", 285, 20, (10, 10, 10, 10), 100, clusters, 10)
    else:
        # N = 2048: 2048·(5 + 2) = 14,336 draws, the first Saltelli size above 10,000
        if a.only != "county":
            bench("provincial", 31, 12, (2, 1, 1, 1), 14_336, clusters, 300, repeat=3)
        if a.only != "provincial":
            bench("county", 2850, 20, (10, 10, 10, 10), 1000, clusters, 20)
    assert "weighted_sum" in AGGREGATIONS


if __name__ == "__main__":
    main()
