"""The uncertainty engine of a composite index: many index variants evaluated as array batches.

An index is a tree (:class:`IndexTree`) over a units × indicators matrix. A *draw* fixes one
level of every factor: the normalisation (a precomputed normalised matrix), the weighting
method (the framework's own or one registered method applied at every node), the aggregation
(one registered method at every node), the indicator left out (or none) and a set of weight
multipliers (each weight × U(1 − ε, 1 + ε), renormalised; COINr's ``get_noisy_weights``).
Draws are evaluated in batches: the normalised values of a batch are one
``(draws, units, indicators)`` tensor, weights one ``(draws, children)`` array per node, and
the registered weight and aggregation functions run on the whole batch. Draws are grouped by
(weighting, left-out indicator), which fixes the tree's shape; nothing loops over draws,
units or indicators.

Speed without changing a bit (issue 15): the normalised values are checked once per call,
and the weighted sum, geometric mean and TOPSIS skip their own re-checks
(``validate=False``); the weights of a node of leaves depend only on the draw's source block
(normalisation level, positive scale or not), so they are computed once per source and call;
a group's draws are sorted by aggregation, so each aggregation reads a slice of the batch
rather than a copy. The results equal the straightforward evaluation bit for bit (a test
compares them with the engine's output before these changes).

Examples
--------
>>> import numpy as np
>>> tree = IndexTree("index", children=(IndexTree("a", column=0), IndexTree("b", column=1)),
...                  weights=(0.75, 0.25))
>>> Z = np.array([[[0.0, 1.0], [1.0, 0.0]]])          # one normalisation level
>>> plan = DrawPlan.nominal(1)
>>> evaluate(Z, Z, tree, plan, weighting=("framework",), aggregation=("weighted_sum",)).tolist()
[[0.25, 0.75]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ...data.errors import DataError, Issue
from ..composite.aggregate import AGGREGATIONS
from ..composite.weights import WEIGHTS, pca_weights

__all__ = ["IndexTree", "DrawPlan", "evaluate", "batched_weights", "noisy_multipliers",
           "FRAMEWORK", "UndefinedWeightsError"]

FRAMEWORK = "framework"  # the weighting level "each node as the framework says"


class UndefinedWeightsError(DataError):
    """A weighting level that the data of some draw cannot define (e.g. CRITIC weights of
    perfectly correlated indicators); ``level`` is its position in the weighting levels."""

    def __init__(self, issues, *, level: int):
        super().__init__(issues)
        self.level = level


@dataclass(frozen=True)
class IndexTree:
    """A node of an index: a leaf reads ``column`` of the normalised matrix; an inner node
    combines its ``children`` with ``weights`` (a registered method name or fixed numbers in
    child order). ``edges`` are filled by :meth:`numbered`: the position of each child's
    weight in a draw's multiplier vector."""

    id: str
    children: tuple[IndexTree, ...] = ()
    weights: str | tuple[float, ...] = "equal"
    column: int = -1
    edges: tuple[int, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def columns(self) -> list[int]:
        return [self.column] if self.is_leaf else [c for k in self.children for c in k.columns()]

    def n_edges(self) -> int:
        return 0 if self.is_leaf else len(self.children) + sum(k.n_edges() for k in self.children)

    def numbered(self, start: int = 0) -> IndexTree:
        """The tree with every child weight given a multiplier position (depth first)."""
        if self.is_leaf:
            return self
        edges = tuple(range(start, start + len(self.children)))
        nxt = start + len(self.children)
        kids = []
        for k in self.children:
            kids.append(k.numbered(nxt))
            nxt += k.n_edges()
        return replace(self, children=tuple(kids), edges=edges)

    def without(self, column: int) -> IndexTree | None:
        """The tree with the leaf of ``column`` removed: fixed weights of its siblings are
        renormalised, and a node left without children is removed from its parent in turn
        (as :func:`urbanrural.pipeline.index.run_index` prunes an unavailable indicator)."""
        if self.is_leaf:
            return None if self.column == column else self
        kept = [(k.without(column), w, e) for k, w, e in zip(
            self.children, self.weights if isinstance(self.weights, tuple)
            else [None] * len(self.children), self.edges, strict=True)]
        kept = [(k, w, e) for k, w, e in kept if k is not None]
        if not kept:
            return None
        weights = self.weights
        if isinstance(weights, tuple):
            tot = sum(w for _, w, _ in kept)
            weights = tuple(w / tot for _, w, _ in kept) if tot > 0 else "equal"
        return replace(self, children=tuple(k for k, _, _ in kept), weights=weights,
                       edges=tuple(e for _, _, e in kept))


@dataclass(frozen=True)
class DrawPlan:
    """The factor levels of each draw, as integer arrays of one length.

    ``normalisation`` indexes the normalisation levels, ``weighting`` and ``aggregation`` the
    method names given to :func:`evaluate`, ``leave_out`` a column of the matrix (−1: none)
    and ``noise`` a row of ``multipliers`` (−1: no noise).
    """

    normalisation: np.ndarray
    weighting: np.ndarray
    aggregation: np.ndarray
    leave_out: np.ndarray
    noise: np.ndarray
    multipliers: np.ndarray = field(default_factory=lambda: np.ones((0, 0)))

    @classmethod
    def nominal(cls, n: int = 1) -> DrawPlan:
        """``n`` draws of level 0 of every factor, no indicator left out, no noise."""
        z = np.zeros(n, dtype=int)
        return cls(z, z, z, z - 1, z - 1)

    def __len__(self) -> int:
        return len(self.normalisation)

    def take(self, rows: np.ndarray) -> DrawPlan:
        return replace(self, normalisation=self.normalisation[rows],
                       weighting=self.weighting[rows], aggregation=self.aggregation[rows],
                       leave_out=self.leave_out[rows], noise=self.noise[rows])


def noisy_multipliers(n_sets: int, n_edges: int, epsilon: float, *, seed: int = 0
                      ) -> np.ndarray:
    r"""``(n_sets, n_edges)`` weight multipliers, each U(1 − ε, 1 + ε) (0 ≤ ε < 1).

    Examples
    --------
    >>> m = noisy_multipliers(1000, 3, 0.25, seed=0)
    >>> bool(m.min() >= 0.75 and m.max() <= 1.25)
    True
    """
    if not 0 <= epsilon < 1:
        raise DataError(Issue(f"weight noise ε must be in [0, 1), not {epsilon!r}",
                              value="weight_noise"))
    return np.random.default_rng(seed).uniform(1 - epsilon, 1 + epsilon, (n_sets, n_edges))


def _pca_batched(M: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """:func:`~urbanrural.methods.composite.weights.pca_weights` of every slice of a
    ``(draws, units, k)`` batch: one stacked eigen-decomposition, the same rule."""
    if M.ndim == 2:
        return pca_weights(M, names=names)
    mu = M.mean(axis=-2, keepdims=True)
    sd = M.std(axis=-2, keepdims=True)
    if (sd == 0).any():
        bad = np.flatnonzero((sd == 0).reshape(-1, M.shape[-1]).any(axis=0))
        raise DataError([Issue("indicator is constant across units (min = max, or zero norm): "
                               "it carries no information; drop it", column=names[j])
                         for j in bad])
    Z = (M - mu) / sd
    R = np.matmul(Z.transpose(0, 2, 1), Z) / M.shape[-2]  # batched BLAS: Zᵀ Z per slice
    lam, U = np.linalg.eigh(R)
    lam, U = lam[:, ::-1], U[:, :, ::-1]
    share = np.cumsum(lam, axis=1) / lam.sum(axis=1, keepdims=True)
    m = (share < 0.85).sum(axis=1) + 1  # searchsorted(share, 0.85) + 1, row by row
    keep = np.arange(lam.shape[1])[None, :] < m[:, None]
    lam_kept = np.where(keep, lam, 0.0)  # squared loadings, sign-free (as pca_weights)
    raw = np.einsum("bjm,bm->bj", U ** 2, lam_kept) / lam_kept.sum(axis=1, keepdims=True)
    return raw / raw.sum(axis=1, keepdims=True)


def _critic_batched(M: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """:func:`~urbanrural.methods.composite.weights.critic_weights` (``normalization="none"``)
    of every slice of a ``(draws, units, k)`` batch, with the correlations from one batched
    matrix product; the same rule and the same errors, slice by slice."""
    sd = M.std(axis=-2, ddof=1)
    if (sd == 0).any():
        zero = np.flatnonzero((sd == 0).reshape(-1, M.shape[-1]).any(axis=0))
        raise DataError([Issue("constant indicator: its correlations are undefined",
                               column=names[j]) for j in zero])
    C = M - M.mean(axis=-2, keepdims=True)
    cov = np.matmul(C.transpose(0, 2, 1), C) / (M.shape[-2] - 1)
    r = cov / (sd[..., :, None] * sd[..., None, :])
    if (r > 1 - 1e-9).all(axis=(-2, -1)).any():
        raise DataError("CRITIC weights are undefined: the indicators are perfectly correlated, "
                        "so the conflict term Σ(1 − r) is 0 for every one of them / 指标完全相关，"
                        "CRITIC 权重无定义")
    info = sd * (1.0 - r).sum(axis=-1)
    total = info.sum(axis=-1, keepdims=True)
    if (total <= 0).any() or not np.isfinite(info).all():
        raise DataError("CRITIC weights are undefined: no indicator varies across units")
    return info / total


def batched_weights(method: str, M: np.ndarray, names: Sequence[str], *,
                    exact: bool = False) -> np.ndarray:
    """Weights of a registered method for every slice of a ``(draws, units, k)`` batch,
    ``(draws, k)``.

    With ``exact`` (the framework's own method, whose nominal index must be run_index's to the
    last bit) the registry's own function is used (PCA, 2-D only there, slice by slice).
    Otherwise PCA and CRITIC come from one batched matrix product (:func:`_pca_batched`,
    :func:`_critic_batched`, equal to the registry's to rounding, checked in the tests) and
    every other method from the registry, which takes batches as they are.
    """
    if M.ndim == 2 or (exact and method != "pca"):
        w = WEIGHTS[method](M, list(names))
    elif exact:  # only when a framework's own weights are PCA: one registry call per draw
        w = np.stack([WEIGHTS["pca"](m, list(names)) for m in M])
    elif method == "pca":
        w = _pca_batched(M, names)
    elif method == "critic":
        w = _critic_batched(M, names)
    else:
        w = WEIGHTS[method](M, list(names))
    return np.broadcast_to(w, M.shape[:-2] + (M.shape[-1],))


def _node_weights(node: IndexTree, method: str, M: np.ndarray, level: int) -> np.ndarray:
    ids = [k.id for k in node.children]
    exact = method == FRAMEWORK
    if exact:
        if isinstance(node.weights, tuple):
            return np.broadcast_to(np.asarray(node.weights, float), M.shape[:-2] + (len(ids),))
        method = node.weights
    try:
        return batched_weights(method, M, ids, exact=exact)
    except DataError as e:
        raise UndefinedWeightsError([Issue(f"weights of '{node.id}': {i.reason}", column=i.column)
                                for i in e.issues], level=level) from e


class _Batch:
    """The normalised values of one batch, gathered per node on demand: the columns of a
    node's leaf children for the batch's normalisation levels, on the positive scale for the
    draws whose aggregation needs it.

    A draw's block depends only on its *source* (normalisation level, positive scale or not),
    and a batch has at most 2 × levels sources: each source's columns are gathered once and
    broadcast into the draws of that source (no full ``(levels, units, indicators)`` copy),
    and the distinct blocks are kept, so that weights that depend on the block alone are
    computed once per source (:func:`_evaluate_node`)."""

    def __init__(self, Z, Z_positive, levels, positive, weights_cache):
        self.Z, self.Zp = Z, Z_positive
        self.weights_cache = weights_cache  # (columns, weighting, source) -> weights
        source = np.asarray(levels) * 2 + np.asarray(positive, dtype=int)
        self.sources, self.inverse = np.unique(source, return_inverse=True)
        self.inverse = self.inverse.ravel()
        self.n = len(source)

    def block(self, cols: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """``(draws, units, k)`` values of ``cols`` and the ``(sources, units, k)`` distinct
        blocks (``M[d] == distinct[self.inverse[d]]``), both C-ordered as one stacked matrix
        (reductions then sum in the order run_index does)."""
        # consecutive columns (an intact dimension) are a strided slice: a plain copy, several
        # times faster than a fancy-index gather of the same values
        consecutive = list(cols) == list(range(cols[0], cols[0] + len(cols)))
        take = slice(cols[0], cols[0] + len(cols)) if consecutive else list(cols)
        distinct = np.empty((len(self.sources),) + self.Z.shape[1:2] + (len(cols),))
        for i, src in enumerate(self.sources):  # ≤ 2 × normalisation levels sources
            level, on_positive = divmod(int(src), 2)
            distinct[i] = (self.Zp if on_positive else self.Z)[level][:, take]
        if self.n == 1:
            return distinct, distinct
        if len(self.sources) == 1:
            return np.broadcast_to(distinct, (self.n,) + distinct.shape[1:]).copy(), distinct
        return distinct[self.inverse], distinct


def _leaf_weights(node: IndexTree, method: str, distinct: np.ndarray, level: int, batch: _Batch
                  ) -> np.ndarray:
    """Weights of a node of leaves for every draw of the batch, ``(draws, k)``: computed
    once per source on its distinct block and kept for the other batches of the same
    :func:`evaluate` call (a weight vector depends on the block alone; per-slice reductions
    make one slice's weights the same alone or in a stack)."""
    cache = batch.weights_cache
    keys = [(tuple(k.column for k in node.children), method, int(src)) for src in batch.sources]
    todo = [i for i, key in enumerate(keys) if key not in cache]
    if todo:
        blocks = distinct if len(todo) == len(keys) else distinct[todo]
        fresh = _node_weights(node, method, blocks, level)
        for i, w in zip(todo, fresh, strict=True):
            cache[keys[i]] = w
    return np.stack([cache[key] for key in keys])[batch.inverse]


# Registered aggregations whose functions take ``validate``: :func:`evaluate` checks the
# normalised values once, the weights it builds are non-negative and sum to 1, and the scores
# of finite values are finite, so the per-call re-checks of every node and draw are skipped.
_CHECKED_ONCE = frozenset({"weighted_sum", "geometric", "topsis"})


def _aggregate_one(name: str, M: np.ndarray, w: np.ndarray, ids: list[str]) -> np.ndarray:
    w = np.ascontiguousarray(w)
    if name in _CHECKED_ONCE:
        return AGGREGATIONS[name](M, w, ids, validate=False)
    return AGGREGATIONS[name](M, w, ids)


def _aggregate(M: np.ndarray, w: np.ndarray, agg_starts: np.ndarray, agg_levels: np.ndarray,
               aggregation: Sequence[str], ids: list[str]) -> np.ndarray:
    """Scores of draws sorted by aggregation level: each level's draws are one contiguous
    slice (a view of ``M``, no copy) given to the registered method."""
    if len(agg_levels) == 1:
        return _aggregate_one(aggregation[agg_levels[0]], M, w, ids)
    out = np.empty(M.shape[:-1])
    bounds = np.append(agg_starts, M.shape[0])
    for a, lo, hi in zip(agg_levels, bounds[:-1], bounds[1:], strict=True):  # ≤ a few levels
        out[lo:hi] = _aggregate_one(aggregation[a], M[lo:hi], w[lo:hi], ids)
    return out


def _evaluate_node(node: IndexTree, batch: _Batch, method: str, agg: tuple[np.ndarray, np.ndarray],
                   aggregation: Sequence[str], mult: np.ndarray | None, level: int
                   ) -> np.ndarray:
    if node.is_leaf:
        return batch.block((node.column,))[0][..., 0]
    if all(k.is_leaf for k in node.children):
        M, distinct = batch.block(tuple(k.column for k in node.children))
    else:
        M = np.stack([_evaluate_node(k, batch, method, agg, aggregation, mult, level)
                      for k in node.children], axis=-1)
        distinct = None
    if M.shape[-1] == 1:  # one child: its score (as run_index)
        return M[..., 0]
    if distinct is not None:  # weights of leaves depend on the block alone: once per source
        w = _leaf_weights(node, method, distinct, level, batch)
    else:
        w = _node_weights(node, method, M, level)
    if mult is not None:
        w = w * mult[:, list(node.edges)]
        w = w / w.sum(axis=-1, keepdims=True)
    return _aggregate(M, w, agg[0], agg[1], aggregation, [k.id for k in node.children])


def _check_finite(Z: np.ndarray, what: str) -> None:
    """The one check of the normalised values (the aggregations skip theirs)."""
    bad = ~np.isfinite(Z)
    if bad.any():
        level, _, col = np.argwhere(bad)[0]
        raise DataError(Issue(f"{what}: a normalised value is missing or infinite (level "
                              f"{int(level)}, {int(bad.sum())} such values); select complete "
                              "units or impute explicitly before the analysis",
                              column=str(int(col))))


def evaluate(Z: np.ndarray, Z_positive: np.ndarray, tree: IndexTree, plan: DrawPlan, *,
             weighting: Sequence[str], aggregation: Sequence[str],
             positive: Sequence[bool] | None = None, batch_cells: int = 4_000_000
             ) -> np.ndarray:
    r"""Scores ``(draws, units)`` of every draw of ``plan``.

    Parameters
    ----------
    Z : ``(levels, units, indicators)`` normalised matrices, one per normalisation level.
    Z_positive : the same on a positive scale, used by draws whose aggregation needs positive
        values (``positive[a]`` true for that aggregation, e.g. the geometric mean).
    tree : the index (numbered with :meth:`IndexTree.numbered` when noise is used).
    plan : the draws.
    weighting, aggregation : the method names the plan's integer levels index.
    batch_cells : at most this many normalised values are held per batch (bounds memory).
    """
    if not tree.edges and not tree.is_leaf:
        tree = tree.numbered()
    _check_finite(Z, "Z")
    _check_finite(Z_positive, "Z_positive")
    positive = [False] * len(aggregation) if positive is None else list(positive)
    pos = np.asarray(positive, dtype=bool)
    n_units = Z.shape[1]
    out = np.empty((len(plan), n_units))
    key = plan.weighting * (Z.shape[2] + 1) + (plan.leave_out + 1)
    per_batch = max(1, batch_cells // max(1, Z.shape[1] * Z.shape[2]))
    weights_cache: dict[tuple, np.ndarray] = {}
    for k in np.unique(key):  # groups fix the tree's shape: (weighting, left-out indicator)
        # a group's draws sorted by aggregation: each level's draws are one slice of a batch
        rows = np.flatnonzero(key == k)
        rows = rows[np.argsort(plan.aggregation[rows], kind="stable")]
        method = weighting[int(plan.weighting[rows[0]])]
        drop = int(plan.leave_out[rows[0]])
        sub = tree if drop < 0 else tree.without(drop)
        if sub is None:
            raise DataError(Issue("leaving this indicator out leaves no indicator",
                                  column=str(drop)))
        for start in range(0, len(rows), per_batch):
            r = rows[start:start + per_batch]
            agg = plan.aggregation[r]
            agg_levels, agg_starts = np.unique(agg, return_index=True)
            batch = _Batch(Z, Z_positive, plan.normalisation[r], pos[agg], weights_cache)
            noise = plan.noise[r]
            mult = None
            if (noise >= 0).any():
                mult = np.where((noise >= 0)[:, None], plan.multipliers[np.maximum(noise, 0)],
                                1.0)
            out[r] = _evaluate_node(sub, batch, method, (agg_starts, agg_levels), aggregation,
                                    mult, int(plan.weighting[rows[0]]))
    return out
