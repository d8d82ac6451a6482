"""Classical and spatial Markov chains of regional (relative) values, as in PySAL ``giddy``
(tested equal), with counting vectorised and empty classes kept visible."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError
from ..spatial.weights import as_sparse_weights

__all__ = ["MarkovResult", "SpatialMarkovResult", "markov", "spatial_markov", "quantile_classes",
           "markov_time_homogeneity"]


def _matrix(Y) -> tuple[np.ndarray, list, list]:
    if isinstance(Y, pd.DataFrame):
        return Y.to_numpy(float), list(Y.index), list(Y.columns)
    A = np.asarray(Y, dtype=float)
    if A.ndim != 2:
        raise DataError("Y must be regions × years")
    return A, list(range(A.shape[0])), list(range(A.shape[1]))


def _quantile_bins(v: np.ndarray, k: int) -> np.ndarray:
    """mapclassify's Quantiles bins: upper bounds at the k-quantiles (ties merge classes)."""
    p = np.linspace(100.0 / k, 100.0, k)
    return np.unique(np.percentile(v, p))


def quantile_classes(Y: np.ndarray, k: int, fixed: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Class of each cell: quantiles pooled over all years (``fixed=True``) or computed year by
    year (``fixed=False``). Class i holds values ≤ its upper bound."""
    if not np.isfinite(Y).all():
        raise DataError("Markov chains need every region in every year (missing values "
                        "found); select a balanced panel first")
    if fixed:
        bins = _quantile_bins(Y.ravel(), k)
        return np.searchsorted(bins, Y, side="left"), bins
    out = np.empty(Y.shape, dtype=np.int64)
    for t in range(Y.shape[1]):  # one quantile search per year
        out[:, t] = np.searchsorted(_quantile_bins(Y[:, t], k), Y[:, t], side="left")
    return out, None


def _probabilities(T: np.ndarray) -> np.ndarray:
    rows = T.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, T / rows, np.nan)  # empty rows stay visible as NaN


def _ergodic(P: np.ndarray):
    """Steady state, mean first passage times and sojourn; empty rows are filled with an
    absorbing diagonal for this step only (as giddy's fill_empty_classes)."""
    from giddy.ergodic import mfpt, steady_state

    Pf = np.where(np.isnan(P), 0.0, P)
    empty = np.isnan(P).all(axis=1)
    Pf[empty, empty] = 1.0
    with np.errstate(all="ignore"):
        ss = np.asarray(steady_state(Pf, fill_empty_classes=False))
        if ss.ndim != 1 or ss.shape[0] != P.shape[0]:
            # a reducible chain (e.g. a class never entered) has no unique steady state
            ss = np.full(P.shape[0], np.nan)
        try:
            fp = np.asarray(mfpt(Pf, fill_empty_classes=False))
        except Exception:  # reducible chains have no finite first-passage times
            fp = np.full(P.shape, np.nan)
        soj = 1.0 / (1.0 - np.diag(Pf))
    return ss, fp, soj


@dataclass(frozen=True)
class MarkovResult:
    """Transition counts, probabilities P (NaN rows = classes never observed), steady state,
    mean first passage times, sojourn times (1/(1 − pᵢᵢ)), class ids and cut-offs."""

    transitions: np.ndarray
    P: np.ndarray
    steady_state: np.ndarray
    mean_first_passage: np.ndarray
    sojourn: np.ndarray
    class_ids: np.ndarray
    cutoffs: np.ndarray | None
    k: int
    fixed: bool
    relative: bool
    step: int

    def to_frame(self) -> pd.DataFrame:
        k = self.k
        rows = [{"from_class": i + 1, "to_class": j + 1, "count": int(self.transitions[i, j]),
                 "probability": self.P[i, j]} for i in range(k) for j in range(k)]
        return pd.DataFrame(rows)


def markov(Y, k: int = 5, fixed: bool = False, *, relative: bool = True, step: int = 1
           ) -> MarkovResult:
    """Classical Markov chain of regions × years values.

    ``relative=True`` divides each year by its cross-regional mean first (standard in
    convergence-club studies; Quah 1993). Classes are the k quantiles of each year
    (``fixed=False``, default) or of all years pooled (``fixed=True``, giddy's default).
    Transitions are counted from year t to t + ``step``.
    """
    A, _, _ = _matrix(Y)
    if relative:
        A = A / A.mean(axis=0, keepdims=True)
    ids, cut = quantile_classes(A, k, fixed)
    kk = int(ids.max()) + 1 if cut is None else len(cut)
    a, b = ids[:, :-step].ravel(), ids[:, step:].ravel()
    T = np.bincount(a * kk + b, minlength=kk * kk).reshape(kk, kk).astype(float)
    P = _probabilities(T)
    ss, fp, soj = _ergodic(P)
    return MarkovResult(T, P, ss, fp, soj, ids, cut, kk, fixed, relative, step)


@dataclass(frozen=True)
class SpatialMarkovResult:
    """Transition counts ``T`` and probabilities ``P`` conditioned on the class of the spatial
    lag (m × k × k), the global chain ``p``, steady states per lag class, and the
    Bickenbach–Bode homogeneity tests (Q and LR, degrees of freedom ignoring empty rows, via
    giddy)."""

    T: np.ndarray
    P: np.ndarray
    p: np.ndarray
    transitions: np.ndarray
    S: np.ndarray
    class_ids: np.ndarray
    lag_class_ids: np.ndarray
    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int

    def to_frame(self) -> pd.DataFrame:
        m, k, _ = self.T.shape
        l, i, j = np.meshgrid(np.arange(m), np.arange(k), np.arange(k), indexing="ij")
        return pd.DataFrame({"lag_class": l.ravel() + 1, "from_class": i.ravel() + 1,
                             "to_class": j.ravel() + 1, "count": self.T.ravel().astype(int),
                             "probability": self.P.ravel()})


def spatial_markov(Y, W, k: int = 5, m: int | None = None, fixed: bool = True, *,
                   relative: bool = True, transform: str = "r") -> SpatialMarkovResult:
    """Spatial Markov chain (Rey 2001): transitions conditioned on the quantile class of each
    region's spatial lag in the starting year. Same classes and counts as
    ``giddy.markov.Spatial_Markov`` with the same ``fixed`` choice."""
    from giddy.markov import homogeneity

    A, _, _ = _matrix(Y)
    if relative:
        A = A / A.mean(axis=0, keepdims=True)
    m = k if m is None else m
    Wt = as_sparse_weights(W, A.shape[0], transform)
    ids, cut = quantile_classes(A, k, fixed)
    kk = len(cut) if cut is not None else int(ids.max()) + 1
    lag = np.asarray(Wt @ A)
    lids, lcut = quantile_classes(lag, m, fixed)
    mm = len(lcut) if lcut is not None else int(lids.max()) + 1
    a, b, c = ids[:, :-1].ravel(), ids[:, 1:].ravel(), lids[:, :-1].ravel()
    T = np.bincount((c * kk + a) * kk + b, minlength=mm * kk * kk).reshape(mm, kk, kk)
    T = T.astype(float)
    P = _probabilities(T)
    glob = T.sum(axis=0)
    S = np.array([_ergodic(P[i])[0] for i in range(mm)])
    h = homogeneity(T, regime_names=[f"lag {i + 1}" for i in range(mm)])
    return SpatialMarkovResult(T, P, _probabilities(glob), glob, S, ids, lids, float(h.Q),
                               float(h.Q_p_value), float(h.LR), float(h.LR_p_value),
                               int(h.dof))


def markov_time_homogeneity(Y, split: int, k: int = 5, fixed: bool = True, *,
                            relative: bool = True) -> dict:
    """Is the chain the same before and after column ``split``? Bickenbach & Bode (2003) Q and
    LR tests on the two periods' transition counts (via giddy; degrees of freedom ignore
    empty rows). Classes are computed once over the whole panel so the periods compare."""
    from giddy.markov import homogeneity

    A, _, _ = _matrix(Y)
    if relative:
        A = A / A.mean(axis=0, keepdims=True)
    ids, cut = quantile_classes(A, k, fixed)
    kk = len(cut) if cut is not None else int(ids.max()) + 1
    if not 1 <= split < A.shape[1] - 1:
        raise DataError("split must leave at least one transition in each period")
    mats = []
    for part in (ids[:, : split + 1], ids[:, split:]):
        a, b = part[:, :-1].ravel(), part[:, 1:].ravel()
        mats.append(np.bincount(a * kk + b, minlength=kk * kk).reshape(kk, kk).astype(float))
    h = homogeneity(np.array(mats), regime_names=["before", "after"])
    return {"Q": float(h.Q), "Q_p_value": float(h.Q_p_value), "LR": float(h.LR),
            "LR_p_value": float(h.LR_p_value), "dof": int(h.dof),
            "transitions_before": mats[0], "transitions_after": mats[1]}
