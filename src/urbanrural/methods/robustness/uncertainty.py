r"""Uncertainty and sensitivity of an index's ranks under the choices it is built from.

Every factor (normalisation, weighting, aggregation, indicator left out, weight noise) is a
discrete set of levels; a point u ∈ [0, 1) of the design picks level ⌊u·L⌋ of a factor with L
levels (COINr's discrete factors). With ``sobol=True`` the design is Saltelli's
(:func:`~urbanrural.methods.robustness.sobol.saltelli_design`, N·(D + 2) draws, N the largest
power of two that fits in ``n``), otherwise ``n`` independent uniform draws. A factor with one
level is held fixed and gets no Sobol' index. Every draw of the Saltelli design is a draw from
the same factor distribution, so all of them enter the rank statistics.

Outputs of the sensitivity analysis: the mean absolute rank shift of a draw,
:math:`\bar{\Delta} = \frac1n\sum_u |r_u - r_u^{0}|` (Saisana et al. 2005, eq. 9), and every
unit's rank.

Examples
--------
>>> import numpy as np
>>> ranks_within(np.array([[3.0, 1.0, 3.0, 2.0]]), np.array([0, 0, 0, 0])).tolist()
[[1, 4, 1, 3]]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from .engine import DrawPlan, IndexTree, evaluate
from .sobol import SobolIndices, _output_blocks, saltelli_design, sobol_estimates

__all__ = ["Factor", "RankUncertainty", "rank_uncertainty", "ranks_within", "base_sample_size",
           "warn_on_trimming_workers"]

FACTOR_ORDER = ("normalisation", "weighting", "aggregation", "leave_out", "weight_noise")


@dataclass(frozen=True)
class Factor:
    """One choice: its ``name`` and the labels of its levels (level 0 is the nominal one,
    except for ``leave_out`` and ``weight_noise``, whose nominal is "none")."""

    name: str
    levels: tuple[str, ...]

    @property
    def varies(self) -> bool:
        return len(self.levels) > 1


def ranks_within(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Ranks ``(draws, units)`` within each group (year), 1 = highest score; ties share the
    smallest rank (pandas' ``rank(ascending=False, method="min")``, as run_index). A score
    that is not a number has no rank: DataError naming its position (draw, unit)."""
    scores = np.atleast_2d(scores)
    if not np.isfinite(scores).all():
        d, u = np.argwhere(~np.isfinite(scores))[0]
        raise DataError(Issue(f"score of unit {int(u)} is not a number in draw {int(d)} "
                              f"({int((~np.isfinite(scores)).sum())} such scores): it cannot be "
                              "ranked", value=str(int(u))))
    out = np.empty(scores.shape, dtype=np.int32)
    for g in np.unique(groups):  # a loop over years, each ranked as one (draws, units) block
        cols = np.flatnonzero(groups == g)
        out[:, cols] = _min_ranks_descending(scores[:, cols])
    return out


def _min_ranks_descending(S: np.ndarray) -> np.ndarray:
    """Row-wise ranks of ``S`` (draws, units), 1 = highest, ties the smallest rank: scipy's
    ``rankdata(-S, method="min", axis=1)`` (checked in the tests) from one unstable argsort —
    the order among tied values does not matter, since every one of them gets the rank of the
    first of their run in the sorted row."""
    order = np.argsort(-S, axis=1)
    ordered = np.take_along_axis(S, order, axis=1)
    n = S.shape[1]
    starts = np.empty(S.shape, dtype=bool)  # where a run of equal scores starts
    starts[:, :1] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    place = np.where(starts, np.arange(1, n + 1, dtype=np.int32), np.int32(0))
    np.maximum.accumulate(place, axis=1, out=place)  # a tie carries its run's first place
    out = np.empty(S.shape, dtype=np.int32)
    np.put_along_axis(out, order, place, axis=1)
    return out


def base_sample_size(n: int, n_factors: int) -> int:
    """The largest power of two N with N·(D + 2) ≤ n; an ``n`` below the smallest design,
    2·(D + 2) draws, is refused (DataError) rather than silently exceeded.

    Examples
    --------
    >>> base_sample_size(1000, 5)
    128
    """
    if n < 2 * (n_factors + 2):
        raise DataError(Issue(f"n = {n} draws are fewer than the smallest Saltelli design of "
                              f"{n_factors} varying factors, 2·({n_factors} + 2) = "
                              f"{2 * (n_factors + 2)}: ask for at least that many (or sobol=False)",
                              value="n"))
    n_base = 2
    while 2 * n_base * (n_factors + 2) <= n:
        n_base *= 2
    return n_base


@dataclass(frozen=True)
class RankUncertainty:
    """What the draws say about each unit (region-year) and each factor.

    Attributes
    ----------
    factors : every factor with its levels (fixed ones included).
    varying : names of the factors that vary, in design order.
    draws, base_n : number of index evaluations, and N of the Saltelli design (0 without).
    nominal_score, nominal_rank : the index as the framework defines it.
    rank_q05, rank_median, rank_q95 : rank quantiles over the draws, each a rank some draw
        gave (the inverse of the empirical distribution, ``method="inverted_cdf"``).
    top_share, bottom_share : share of draws with rank ≤ k, and > (units in the group − k).
        Tied units share the smallest rank, so a tie at place k counts every tied unit in the
        top k (the top-k share can exceed k/units) and none of them in the bottom k.
    moved_share : share of draws in which the unit's rank differs from its nominal rank.
    group_size : units ranked together (units of the same year).
    mean_shift : ``(draws,)`` mean absolute rank shift of each draw.
    sobol_shift : Sobol' indices of the mean absolute rank shift (one output) or None.
    sobol_rank : Sobol' indices of every unit's rank, ``(factors, units)``, or None; bootstrap
        half-widths for the units of the last group (NaN for the others).
    reversals : pairs of the last group whose nominal order reverses in more than
        ``reversal_share`` of the draws (``upper`` ranked above ``lower`` nominally).
    """

    factors: tuple[Factor, ...]
    varying: tuple[str, ...]
    draws: int
    base_n: int
    top_k: int
    nominal_score: np.ndarray
    nominal_rank: np.ndarray
    rank_q05: np.ndarray
    rank_median: np.ndarray
    rank_q95: np.ndarray
    top_share: np.ndarray
    bottom_share: np.ndarray
    moved_share: np.ndarray
    group_size: np.ndarray
    mean_shift: np.ndarray
    sobol_shift: SobolIndices | None
    sobol_rank: SobolIndices | None
    reversals: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per unit. (Scores of different draws are on different scales — z-scores,
        [1, 100], TOPSIS closeness — so only ranks are compared across draws.)"""
        return pd.DataFrame({
            "score": self.nominal_score, "rank": self.nominal_rank,
            "rank_q05": self.rank_q05,
            "rank_median": self.rank_median, "rank_q95": self.rank_q95,
            "top_share": self.top_share, "bottom_share": self.bottom_share,
            "moved_share": self.moved_share, "units_ranked": self.group_size})


def _evaluate_chunk(Z, Z_positive, tree, plan, weighting, aggregation, positive, score=None,
                    slices=None):
    """One chunk of draws (a module-level function, so that Dask workers can run it). With
    ``score = (subtrees, combine)`` the ranked score is ``combine(U, plan)`` of the subtrees'
    scores ``U`` (draws, units, subtrees) instead of the root's. With ``slices`` (lists of
    units) every slice is weighted on its own, as a framework normalised per year is."""
    if slices is not None:
        out = np.empty((len(plan), Z.shape[1]))
        for cols in slices:  # a loop over years, each a batch of every draw
            out[:, cols] = _evaluate_chunk(Z[:, cols], Z_positive[:, cols], tree, plan,
                                           weighting, aggregation, positive, score)
        return out
    if score is None:
        return evaluate(Z, Z_positive, tree, plan, weighting=weighting, aggregation=aggregation,
                        positive=positive)
    subtrees, combine = score
    U = np.stack([evaluate(Z, Z_positive, t, plan, weighting=weighting, aggregation=aggregation,
                           positive=positive) for t in subtrees], axis=-1)
    return combine(U, plan)


def _weight_slices(weight_groups, n_units: int) -> list[np.ndarray]:
    """The units of each weight group; every unit must be in exactly one (a unit left out
    would keep no score)."""
    g = np.asarray(weight_groups)
    if g.shape != (n_units,):
        raise DataError(Issue(f"weight_groups has {g.size} entries for {n_units} units: one "
                              "group per unit is needed", value="weight_groups"))
    if g.dtype.kind == "f" and not np.isfinite(g).all():
        u = int(np.flatnonzero(~np.isfinite(g))[0])
        raise DataError(Issue(f"unit {u} has no weight group (not a number)",
                              value="weight_groups"))
    return [np.flatnonzero(g == v) for v in np.unique(g)]


def _levels(U: np.ndarray, n_levels: int) -> np.ndarray:
    return np.minimum((U * n_levels).astype(int), n_levels - 1)


def rank_uncertainty(Z: np.ndarray, Z_positive: np.ndarray, tree: IndexTree, groups: np.ndarray,
                     *, normalisation: Sequence[str], weighting: Sequence[str],
                     aggregation: Sequence[str], positive: Sequence[bool],
                     leave_out: Sequence[int] = (), column_names: Sequence[str] = (),
                     multipliers: np.ndarray | None = None, n: int = 1000, seed: int = 0,
                     sobol: bool = True, top_k: int = 3, reversal_share: float = 0.5,
                     max_reversal_units: int = 300, chunk_draws: int = 256,
                     dask_client=None, unit_names: Sequence[str] = (),
                     score: tuple | None = None, threads: int = 1,
                     weight_groups: np.ndarray | None = None) -> RankUncertainty:
    r"""Evaluate the index over the factor design and summarise ranks, scores and Sobol' indices.

    Parameters
    ----------
    Z, Z_positive : ``(levels, units, indicators)`` normalised matrices (level 0 nominal) and
        their positive-scale twins (see :func:`~urbanrural.methods.robustness.engine.evaluate`).
    tree : the index tree; ``groups`` : ``(units,)`` the rank group of each unit (its year).
    normalisation, weighting, aggregation : level labels / method names, level 0 nominal.
    positive : per aggregation method, whether it reads ``Z_positive``.
    leave_out : columns that may be left out (the level "none" is added first).
    multipliers : ``(sets, edges)`` noisy weight multipliers, or None for no weight noise.
    n : draws asked for (with ``sobol``, N·(D + 2) ≤ n are run).
    chunk_draws : draws per chunk; in process and on Dask the same chunks are evaluated by the
        same function, so a seed gives the same numbers on both.
    dask_client : a ``distributed.Client``: the tasks run on its workers — stage 1, one per
        chunk of draws (scores, ranks, the sums over draws), stage 2, one per block of units
        (rank quantiles, Sobol' indices), the ranks staying on the workers in between; see
        :func:`warn_on_trimming_workers` for how to start them.
    threads : without ``dask_client``, the same tasks run on this many threads of this
        process (NumPy releases the GIL in its loops, so two threads use two cores); the same
        tasks on the same pieces, so the numbers do not depend on it.
    unit_names : names of the units for error messages (a score that is not a number).
    score : ``(subtrees, combine)`` to rank a function of subtree scores instead of the root's
        score (e.g. the coupling coordination degree D of the top-level systems):
        ``combine(U, plan)`` maps ``(draws, units, subtrees)`` scores to ``(draws, units)``;
        a module-level function (or a partial of one) so that Dask workers can run it.
    weight_groups : ``(units,)`` or None: units of one group are weighted (entropy, CRITIC,
        PCA, TOPSIS's ideal points) among themselves only — a framework normalised per year,
        whose ``Z`` levels are then normalised per group as well.

    Examples
    --------
    >>> import numpy as np
    >>> tree = IndexTree("i", children=(IndexTree("a", column=0), IndexTree("b", column=1)),
    ...                  weights="equal")
    >>> Z = np.array([[[0.0, 1.0], [0.6, 0.6], [1.0, 0.0]]])
    >>> r = rank_uncertainty(Z, Z, tree, np.zeros(3), normalisation=("minmax",),
    ...                      weighting=("framework",), aggregation=("weighted_sum",),
    ...                      positive=(False,), leave_out=(0, 1), column_names=("a", "b"), n=64)
    >>> r.nominal_rank.tolist(), r.varying
    ([2, 1, 2], ('leave_out',))
    """
    groups = np.asarray(groups)
    noise_levels = () if multipliers is None else tuple(
        f"set {i + 1}" for i in range(multipliers.shape[0]))
    names = list(column_names) or [str(c) for c in range(Z.shape[2])]
    factors = (Factor("normalisation", tuple(normalisation)),
               Factor("weighting", tuple(weighting)),
               Factor("aggregation", tuple(aggregation)),
               Factor("leave_out", ("none",) + tuple(names[c] for c in leave_out)),
               Factor("weight_noise", noise_levels or ("none",)))
    if not (len(normalisation) == Z.shape[0] and len(positive) == len(aggregation)):
        raise DataError(Issue("one normalised matrix per normalisation level and one "
                              "'positive' flag per aggregation are needed"))
    varying = tuple(f.name for f in factors if f.varies)
    D = len(varying)
    if sobol and D >= 1:
        base_n = base_sample_size(n, D)
        U = saltelli_design(D, base_n, seed=seed)
    else:
        base_n = 0
        U = np.random.default_rng(seed).random((n, D))
    n_draws = U.shape[0]
    col = {name: j for j, name in enumerate(varying)}

    def level(name: str, n_levels: int, fixed: int) -> np.ndarray:
        if name in col:
            return _levels(U[:, col[name]], n_levels)
        return np.full(n_draws, fixed, dtype=int)

    lo_cols = np.asarray((-1,) + tuple(leave_out), dtype=int)
    plan = DrawPlan(
        normalisation=level("normalisation", len(normalisation), 0),
        weighting=level("weighting", len(weighting), 0),
        aggregation=level("aggregation", len(aggregation), 0),
        leave_out=lo_cols[level("leave_out", len(lo_cols), 0)],
        noise=level("weight_noise", len(noise_levels), 0) if noise_levels
        else np.full(n_draws, -1, dtype=int),
        multipliers=np.ones((1, 1)) if multipliers is None else multipliers)
    tree = tree.numbered()
    slices = None if weight_groups is None else _weight_slices(weight_groups, Z.shape[1])
    args = (tuple(weighting), tuple(aggregation), tuple(positive), score, slices)
    nominal = _evaluate_chunk(Z, Z_positive, tree, DrawPlan.nominal(1), *args)[0]
    if not (isinstance(threads, int) and threads >= 1):
        raise DataError(Issue(f"threads must be a whole number ≥ 1, not {threads!r}",
                              value="threads"))
    nominal_ok = np.isfinite(nominal)
    nominal_rank = ranks_within(np.where(nominal_ok, nominal, 0.0)[None, :], groups)[0]
    sizes = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    # draws of one (weighting, left-out indicator) share the tree's shape and are evaluated
    # as one batch: chunks are cut from the draws sorted by that pair
    order = np.argsort(plan.weighting * (Z.shape[2] + 1) + plan.leave_out + 1, kind="stable")
    chunks = [order[s:s + chunk_draws] for s in range(0, n_draws, chunk_draws)]
    blocks = _unit_blocks(Z.shape[1], n_draws)
    last = np.flatnonzero(groups == np.unique(groups)[-1])
    last_top = last[np.argsort(nominal_rank[last], kind="stable")][:max_reversal_units]
    column_sets = [*blocks, last_top]  # the reversal pairs read the last group's best units
    # stage 1, one task per chunk of draws: scores, ranks and the per-draw and count sums;
    # stage 2, one task per block of units: quantiles and Sobol' indices of its ranks. The
    # same tasks on the same pieces in process, on threads or on Dask workers: the same bits
    runner = _Runner(dask_client, threads)
    try:
        if dask_client is not None:
            warn_on_trimming_workers(dask_client)
        z_f, zp_f = runner.share(Z, Z_positive)
        stage1 = runner.map(_chunk_ranks, [
            (z_f, zp_f, tree, plan.take(c), *args, groups, nominal_rank, sizes, top_k)
            for c in chunks])
        counts = runner.gather(runner.map(_chunk_counts, [(part,) for part in stage1]))
        bad_draws = sum(c[0] for c in counts)
        if not nominal_ok.all() or bad_draws.any():
            # a NaN would take a rank silently (last, or first)
            bad = bad_draws + ~nominal_ok
            unit = np.flatnonzero(bad)
            label = [unit_names[u] if len(unit_names) else f"unit {u}" for u in unit[:5]]
            raise DataError([Issue(f"its score is not a number in {int(bad[u])} of "
                                   f"{n_draws + 1} index variants (nominal first), so it has no rank",
                                   value=str(lab)) for u, lab in zip(unit[:5], label, strict=True)])
        shift = np.empty(n_draws)
        shift[order] = np.concatenate([c[1] for c in counts])
        top, bottom, moved = (sum(c[j] for c in counts) / n_draws for j in (2, 3, 4))
        conf_sets = _conf_blocks(last) if base_n else []
        pieces = [[runner.submit(_columns, part, cols) for part in stage1]
                  for cols in [*column_sets, *conf_sets]]
        reversals = runner.submit(_reversal_pairs, order, nominal_rank[last_top], last_top,
                                  reversal_share, *pieces[len(blocks)])
        # point estimates by blocks of units; the bootstrap intervals of the last group's units
        # (N·resamples·factors estimates each, the costliest part) in tasks of their own, so that
        # no block holds them all
        stage2 = runner.map(_block_statistics, [
            (order, *parts, base_n, D, varying, seed, False)
            for parts in pieces[:len(blocks)]])
        confs = runner.map(_block_statistics, [
            (order, *parts, base_n, D, varying, seed, True)
            for parts in pieces[len(blocks) + 1:]])
        stage2, confs = runner.gather(stage2), runner.gather(confs)
        reversals = runner.gather([reversals])[0]
    finally:
        runner.close()
    rq = np.concatenate([b[0] for b in stage2], axis=1)
    sobol_shift = sobol_rank = None
    if base_n:
        sobol_shift = sobol_estimates(shift, D, factors=varying, seed=seed)
        # bootstrap intervals for the units of the last group (the ones a reading names)
        first, total = (np.concatenate([b[1][f] for b in stage2], axis=1) for f in (0, 1))
        first_conf, total_conf = np.full_like(first, np.nan), np.full_like(first, np.nan)
        for cols, b in zip(conf_sets, confs, strict=True):
            first_conf[:, cols], total_conf[:, cols] = b[1][2], b[1][3]
        sobol_rank = SobolIndices(varying, first, total, first_conf, total_conf, base_n)
    return RankUncertainty(
        factors=factors, varying=varying, draws=n_draws, base_n=base_n, top_k=top_k,
        nominal_score=nominal, nominal_rank=nominal_rank,
        rank_q05=rq[0], rank_median=rq[1], rank_q95=rq[2],
        top_share=top, bottom_share=bottom, moved_share=moved,
        group_size=sizes, mean_shift=shift, sobol_shift=sobol_shift, sobol_rank=sobol_rank,
        reversals=reversals)


def _allocator_environ() -> tuple[str | None, str | None, int]:
    import os

    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("MALLOC_MMAP_THRESHOLD_"),
            os.getpid())


def warn_on_trimming_workers(client) -> list[str]:
    """Warn about, and return, the Dask workers whose allocator trims eagerly.

    Dask's nanny starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``, which stops
    glibc from raising its mmap threshold: every large temporary array is then mapped
    afresh and zero-filled page by page, and the draws take about twice as long per worker
    (``benchmarks/bench_robustness.py``, 2,850 × 20 × 40, 896 draws: 48.1 s on two such
    workers against 24.5 s on two without). A worker counts when it runs in a process of
    its own with the variable set and no ``MALLOC_MMAP_THRESHOLD_``; workers in this
    process (``LocalCluster(processes=False)``) do not, since glibc reads the variable only
    when a process starts (a nanny writes it into this process's environment later).

    Parameters
    ----------
    client : distributed.Client
        Anything with ``run(fn) -> {address: fn() on that worker}``.

    Returns
    -------
    list of str
        The addresses of those workers, sorted (empty: no warning).

    Examples
    --------
    >>> class Workers:  # a stand-in for distributed.Client: run() asks every worker
    ...     def run(self, fn):
    ...         return {"tcp://a": (None, None, -1)}
    >>> warn_on_trimming_workers(Workers())
    []
    """
    import os

    env = client.run(_allocator_environ)
    here = os.getpid()
    slow = sorted(w for w, (trim, mmap, pid) in env.items()
                  if trim is not None and mmap is None and pid != here)
    if slow:
        warnings.warn(
            f"{len(slow)} / {len(env)} 个 Dask 工作进程设置了 MALLOC_TRIM_THRESHOLD_（Dask 的默认"
            "值），每个大的临时数组都重新分配内存，抽样计算约慢一倍；启动集群前执行 "
            "dask.config.set({'distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_': "
            "None})，并从启动集群的进程的环境变量中删除 MALLOC_TRIM_THRESHOLD_（已启动过的 "
            f"LocalCluster 会把它留在环境中） / {len(slow)} of {len(env)} Dask workers run with "
            "MALLOC_TRIM_THRESHOLD_ set (Dask's default): every large temporary array is "
            "mapped afresh and the draws take about twice as long. Before starting the "
            "cluster, run dask.config.set({'distributed.nanny.pre-spawn-environ."
            "MALLOC_TRIM_THRESHOLD_': None}) (or set it to null in a Dask YAML config for "
            "`dask worker`) and remove MALLOC_TRIM_THRESHOLD_ from the environment the "
            "cluster starts from (an earlier LocalCluster leaves it there)",
            RuntimeWarning, stacklevel=3)
    return slow


# Stage 2 reads blocks of about this many ranks (draws × units): big enough to batch the
# estimators, small enough to spread the units of a provincial table over a few workers.
_BLOCK_CELLS = 1_000_000


def _unit_blocks(n_units: int, n_draws: int) -> list[np.ndarray]:
    """Consecutive blocks of units, fixed by the problem's size alone (never by the executor),
    so that every way of running gives the same pieces; no block of a single unit unless
    there is one (``sobol._output_blocks``: NumPy sums a lone column pairwise, which can
    differ in the last bit from the same column summed beside others)."""
    return _output_blocks(np.arange(n_units), max(2, _BLOCK_CELLS // max(1, n_draws)))


class _Runner:
    """Where the tasks run: in this process (one thread or a pool of threads) or on the
    workers of a ``distributed.Client``, whose results stay on the workers until gathered."""

    def __init__(self, client, threads: int):
        self.client = client
        self.pool = None
        if client is None and threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=threads)

    def share(self, *arrays):
        if self.client is None:
            return arrays
        # fresh keys: a key hashed from the data would be the previous call's, whose futures
        # may still be being released (then a task "lost dependencies")
        return self.client.scatter(list(arrays), broadcast=True, hash=False)

    def map(self, fn, arglists):
        if self.client is not None:
            return [self.client.submit(fn, *a, pure=False) for a in arglists]
        if self.pool is not None:  # map keeps the tasks' order
            return list(self.pool.map(lambda a: fn(*a), arglists))
        return [fn(*a) for a in arglists]

    def submit(self, fn, *args):
        """A small task, run at once in process (its inputs are already here)."""
        if self.client is not None:
            return self.client.submit(fn, *args, pure=False)
        return fn(*args)

    def gather(self, results):
        """The results, or the error of the first failed task in task order — the one the
        serial run raises, whichever task a worker happened to finish first."""
        if self.client is None:
            return results
        from distributed import wait

        wait(results)
        for future in results:
            if future.status == "error":
                future.result()  # raises the task's exception
        return self.client.gather(results)

    def close(self) -> None:
        if self.pool is not None:  # after an error, the chunks not yet started are dropped
            self.pool.shutdown(cancel_futures=True)


def _chunk_ranks(Z, Z_positive, tree, plan, weighting, aggregation, positive, score, slices,
                 groups, nominal_rank, sizes, top_k):
    """Stage 1, one chunk of draws: ranks ``(chunk, units)`` and what sums over draws — the
    units' counts of scores that are not numbers, of top-k, bottom-k and moved ranks — and
    each draw's mean absolute rank shift. A chunk with a score that is not a number is not
    ranked (its counts say where; the caller raises)."""
    scores = _evaluate_chunk(Z, Z_positive, tree, plan, weighting, aggregation, positive, score,
                             slices)
    bad = ~np.isfinite(scores)
    if bad.any():
        zero = np.zeros(scores.shape[1], dtype=np.int64)
        return None, (bad.sum(axis=0), np.zeros(len(scores)), zero, zero, zero)
    ranks = ranks_within(scores, groups)
    return ranks, (np.zeros(scores.shape[1], dtype=np.int64),
                   np.abs(ranks - nominal_rank[None, :]).mean(axis=1),
                   (ranks <= top_k).sum(axis=0), (ranks > (sizes - top_k)[None, :]).sum(axis=0),
                   (ranks != nominal_rank[None, :]).sum(axis=0))


def _chunk_counts(part):
    return part[1]


def _columns(part, cols: np.ndarray) -> np.ndarray:
    """The ranks of some units in one chunk of draws (a slice when they are consecutive)."""
    ranks = part[0]
    if len(cols) and np.array_equal(cols, np.arange(cols[0], cols[0] + len(cols))):
        return ranks[:, cols[0]:cols[0] + len(cols)].copy()
    return ranks[:, cols]


def _in_design_order(order: np.ndarray, *parts: np.ndarray) -> np.ndarray:
    """Pieces of chunks of the draws sorted by ``order``, back in the design's order."""
    out = np.empty((len(order), parts[0].shape[1]), dtype=parts[0].dtype)
    out[order] = np.concatenate(parts, axis=0)
    return out


def _block_statistics(order, *rest):
    """Stage 2, one block of units: their rank quantiles ``(3, units)`` and, with a Saltelli
    design, their Sobol' indices, with bootstrap intervals when ``conf`` (the last argument)
    is true — a block of the last group's units (:func:`_conf_blocks`)."""
    *parts, base_n, n_factors, varying, seed, conf = rest
    ranks = _in_design_order(order, *parts)
    rq = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    if not base_n:
        return rq, None
    s = sobol_estimates(ranks.astype(float), n_factors, factors=varying, seed=seed,
                        conf_outputs=ranks.shape[1] if conf else 0)
    return rq, (s.first, s.total, s.first_conf, s.total_conf)


def _conf_blocks(units: np.ndarray, n_blocks: int = 8) -> list[np.ndarray]:
    """The last group's units in ``n_blocks`` tasks of bootstrap intervals (fewer when there
    are fewer than 2·n_blocks units), the split fixed by the number of units alone."""
    return _output_blocks(np.asarray(units), max(2, -(-len(units) // n_blocks)))


def _reversal_pairs(order: np.ndarray, nominal: np.ndarray, units: np.ndarray, share: float,
                    *parts: np.ndarray) -> pd.DataFrame:
    """Pairs of ``units`` (the last group's best nominal ranks, in nominal order; ``parts``
    their ranks in the chunks of draws) with nominal rank upper < lower whose order is reversed (lower
    strictly above upper) in more than ``share`` of the draws."""
    cols = ["upper", "lower", "reversal_share"]
    ranks = _in_design_order(order, *parts)
    above = nominal[:, None] < nominal[None, :]  # i above j nominally
    rev = np.zeros(above.shape)
    for s in range(0, ranks.shape[0], 64):  # draws in blocks bound the (draws, m, m) tensor
        blk = ranks[s:s + 64]
        rev += (blk[:, :, None] > blk[:, None, :]).sum(axis=0)
    rev /= ranks.shape[0]
    i, j = np.nonzero(above & (rev > share))
    out = pd.DataFrame({"upper": units[i], "lower": units[j], "reversal_share": rev[i, j]},
                       columns=cols)
    return out.sort_values(["reversal_share", "upper"], ascending=[False, True],
                           ignore_index=True)
