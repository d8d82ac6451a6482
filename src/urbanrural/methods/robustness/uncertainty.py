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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from .engine import DrawPlan, IndexTree, evaluate
from .sobol import SobolIndices, saltelli_design, sobol_estimates

__all__ = ["Factor", "RankUncertainty", "rank_uncertainty", "ranks_within", "base_sample_size"]

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


def _evaluate_chunk(Z, Z_positive, tree, plan, weighting, aggregation, positive, score=None):
    """One chunk of draws (a module-level function, so that Dask workers can run it). With
    ``score = (subtrees, combine)`` the ranked score is ``combine(U, plan)`` of the subtrees'
    scores ``U`` (draws, units, subtrees) instead of the root's."""
    if score is None:
        return evaluate(Z, Z_positive, tree, plan, weighting=weighting, aggregation=aggregation,
                        positive=positive)
    subtrees, combine = score
    U = np.stack([evaluate(Z, Z_positive, t, plan, weighting=weighting, aggregation=aggregation,
                           positive=positive) for t in subtrees], axis=-1)
    return combine(U, plan)


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
                     score: tuple | None = None, threads: int = 1) -> RankUncertainty:
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
    dask_client : a ``distributed.Client``: chunks are evaluated on its workers.
    threads : without ``dask_client``, chunks are evaluated by this many threads of this
        process (NumPy releases the GIL in its loops, so two threads use two cores); the same
        chunks through the same function, so the numbers do not depend on it.
    unit_names : names of the units for error messages (a score that is not a number).
    score : ``(subtrees, combine)`` to rank a function of subtree scores instead of the root's
        score (e.g. the coupling coordination degree D of the top-level systems):
        ``combine(U, plan)`` maps ``(draws, units, subtrees)`` scores to ``(draws, units)``;
        a module-level function (or a partial of one) so that Dask workers can run it.

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
    args = (tuple(weighting), tuple(aggregation), tuple(positive), score)
    nominal = _evaluate_chunk(Z, Z_positive, tree, DrawPlan.nominal(1), *args)[0]
    # draws of one (weighting, left-out indicator) share the tree's shape and are evaluated
    # as one batch: chunks are cut from the draws sorted by that pair
    order = np.argsort(plan.weighting * (Z.shape[2] + 1) + plan.leave_out + 1, kind="stable")
    chunks = [order[s:s + chunk_draws] for s in range(0, n_draws, chunk_draws)]
    if not (isinstance(threads, int) and threads >= 1):
        raise DataError(Issue(f"threads must be a whole number ≥ 1, not {threads!r}",
                              value="threads"))
    if dask_client is None and threads > 1 and len(chunks) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:  # map keeps the chunks' order
            parts = list(pool.map(lambda c: _evaluate_chunk(Z, Z_positive, tree, plan.take(c),
                                                            *args), chunks))
    elif dask_client is None:
        parts = [_evaluate_chunk(Z, Z_positive, tree, plan.take(c), *args) for c in chunks]
    else:
        z_f, zp_f = dask_client.scatter([Z, Z_positive], broadcast=True)
        futures = [dask_client.submit(_evaluate_chunk, z_f, zp_f, tree, plan.take(c), *args,
                                      pure=False) for c in chunks]
        parts = dask_client.gather(futures)
    scores = np.empty((n_draws, Z.shape[1]))
    scores[order] = np.concatenate(parts, axis=0)
    if not (np.isfinite(nominal).all() and np.isfinite(scores).all()):
        # a NaN would take a rank silently (last, or first); the stacked copy only then
        bad = ~np.isfinite(np.vstack([nominal[None, :], scores]))
        unit = np.flatnonzero(bad.any(axis=0))
        label = [unit_names[u] if len(unit_names) else f"unit {u}" for u in unit[:5]]
        raise DataError([Issue(f"its score is not a number in {int(bad[:, u].sum())} of "
                               f"{bad.shape[0]} index variants (nominal first), so it has no rank",
                               value=str(lab)) for u, lab in zip(unit[:5], label, strict=True)])
    nominal_rank = ranks_within(nominal[None, :], groups)[0]
    ranks = ranks_within(scores, groups)
    sizes = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    rq = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    shift = np.abs(ranks - nominal_rank[None, :]).mean(axis=1)
    sobol_shift = sobol_rank = None
    if base_n:
        sobol_shift = sobol_estimates(shift, D, factors=varying, seed=seed)
        # bootstrap intervals for the units of the last group (the ones a reading names)
        sobol_rank = sobol_estimates(ranks.astype(float), D, factors=varying, seed=seed,
                                     conf_outputs=np.flatnonzero(groups == np.unique(groups)[-1]))
    return RankUncertainty(
        factors=factors, varying=varying, draws=n_draws, base_n=base_n, top_k=top_k,
        nominal_score=nominal, nominal_rank=nominal_rank,
        rank_q05=rq[0], rank_median=rq[1], rank_q95=rq[2],
        top_share=(ranks <= top_k).mean(axis=0),
        bottom_share=(ranks > (sizes - top_k)[None, :]).mean(axis=0),
        moved_share=(ranks != nominal_rank[None, :]).mean(axis=0),
        group_size=sizes, mean_shift=shift, sobol_shift=sobol_shift, sobol_rank=sobol_rank,
        reversals=_reversals(ranks, nominal_rank, groups, share=reversal_share,
                             max_units=max_reversal_units))


def _reversals(ranks: np.ndarray, nominal: np.ndarray, groups: np.ndarray, *, share: float,
               max_units: int) -> pd.DataFrame:
    """Pairs (of the last group, its ``max_units`` best nominal ranks) with nominal rank
    upper < lower whose order is reversed (lower strictly above upper) in > ``share`` draws."""
    cols = ["upper", "lower", "reversal_share"]
    last = np.flatnonzero(groups == np.unique(groups)[-1])
    last = last[np.argsort(nominal[last], kind="stable")][:max_units]
    R = ranks[:, last]
    above = nominal[last][:, None] < nominal[last][None, :]  # i above j nominally
    rev = np.zeros(above.shape)
    for s in range(0, R.shape[0], 64):  # draws in blocks bound the (draws, m, m) tensor
        blk = R[s:s + 64]
        rev += (blk[:, :, None] > blk[:, None, :]).sum(axis=0)
    rev /= R.shape[0]
    i, j = np.nonzero(above & (rev > share))
    out = pd.DataFrame({"upper": last[i], "lower": last[j], "reversal_share": rev[i, j]},
                       columns=cols)
    return out.sort_values(["reversal_share", "upper"], ascending=[False, True],
                           ignore_index=True)
