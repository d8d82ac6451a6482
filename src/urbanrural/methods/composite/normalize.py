"""Normalisation of indicator matrices (units × indicators), with explicit direction handling.

All functions take an array ``X`` of shape (..., units, indicators): a leading axis (e.g.
years) is normalised slice by slice, which is the *per-year* mode; reshape a panel to one
slice of all region-years for the *pooled* mode. Missing values are an error, never filled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from ..registry import Registry

__all__ = ["normalize", "normalise", "check_matrix", "directions_array", "NORMALISATIONS"]

#: Normalisation methods by name. A method is ``f(A, d, *, names, goalposts, target) -> Z``:
#: ``A`` is (..., units, indicators) and checked finite, ``d`` is +1/−1 per indicator, and
#: ``Z`` is oriented so that higher is better (except ``vector`` and ``sum``, whose cost
#: indicators TOPSIS and entropy weighting handle themselves). Adding a method is one function
#: and one ``@NORMALISATIONS.register`` line; frameworks and :func:`normalize` read this.
NORMALISATIONS = Registry("normalisation", "f(A, d, *, names, goalposts, target) -> Z")


def directions_array(directions, k: int) -> np.ndarray:
    """+1 (benefit, 正向) or −1 (cost, 负向) per indicator; None means all benefit."""
    if directions is None:
        return np.ones(k)
    if isinstance(directions, pd.Series):
        directions = directions.to_numpy()
    d = np.array([_direction(v) for v in np.atleast_1d(directions)], dtype=float)
    if d.shape[0] != k:
        raise DataError(Issue(f"{d.shape[0]} directions for {k} indicators", column="directions"))
    return d


def _direction(v) -> float:
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("+", "+1", "1", "benefit", "positive", "正", "正向", "max"):
            return 1.0
        if s in ("-", "-1", "cost", "negative", "负", "负向", "逆向", "min"):
            return -1.0
        raise DataError(Issue("direction must be benefit (+1) or cost (−1)", value=v))
    if v in (1, -1):
        return float(v)
    raise DataError(Issue("direction must be benefit (+1) or cost (−1)", value=str(v)))


def check_matrix(X, names=None) -> tuple[np.ndarray, list[str]]:
    """Float array (..., n, k) and indicator names; NaN/inf is an error naming the column."""
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns] if names is None else names
        X = X.to_numpy(dtype=float)
    A = np.asarray(X, dtype=float)
    if A.ndim < 2:
        raise DataError("expected a units × indicators matrix")
    names = list(names) if names is not None else [f"x{j + 1}" for j in range(A.shape[-1])]
    bad = ~np.isfinite(A)
    if bad.any():
        cols = np.flatnonzero(bad.reshape(-1, A.shape[-1]).any(axis=0))
        raise DataError([Issue("missing or infinite values; select complete units or impute "
                               "explicitly before normalising", column=names[j]) for j in cols])
    return A, names


def normalize(X, *, directions=None, method: str = "minmax", cost: str = "reverse",
              goalposts=None, target=None, bounds: tuple[float, float] | None = None,
              shift: float = 0.0, names=None):
    r"""Normalise indicators so that higher is better and values are comparable.

    Each slice of a (years, units, indicators) array is normalised on its own (per year);
    reshape to one slice of region-years for pooled bounds.

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Indicator values (a DataFrame is returned as one).
    directions : sequence of {+1, -1, "benefit", "cost", "正向", "负向", ...}, optional
        Direction of each indicator (default all benefit).
    method : str, default "minmax"
        A name in :data:`NORMALISATIONS`:

        ``minmax``  (x − min)/(max − min); cost: (max − x)/(max − min) [default]
        ``zscore``  (x − mean)/sd (population sd); cost: negated
        ``rank``    (rank − 1)/(n − 1) with ties averaged; cost: reversed
        ``vector``  x / √Σx² (TOPSIS' classic normalisation); cost: handled by the ideal
        ``sum``     x / Σx (proportions, as in entropy weighting)
        ``target``  min(x / target, 1); cost: min(target / x, 1) (distance to a target)
        ``goalposts`` (x − L)/(U − L) clipped to [0, 1] with fixed ``goalposts=(L, U)`` per
        indicator, so that scores are comparable across years (UNDP HDI style)
    cost : {"reverse", "reciprocal"}, default "reverse"
        ``reverse``: (max − x)/(max − min) for min-max; ``reciprocal``: 1/x, then the method
        applied as for a benefit (pyDecision's convention). The two give different weights
        and ranks; the choice is the user's.
    goalposts : (lower, upper) or array_like of shape (2, indicators), optional
        Fixed bounds for ``method="goalposts"``.
    target : float or array_like, optional
        Target value(s) for ``method="target"``.
    bounds : (float, float), optional
        (lo, hi) to rescale [0, 1] results linearly, e.g. (1, 100) as in COINr, which avoids
        exact zeros for geometric means and logarithms.
    shift : float, default 0.0
        Constant added after normalisation (e.g. 0.0001); explicit, never silent.
    names : sequence of str, optional
        Indicator names used in error messages (default the DataFrame's columns).

    Returns
    -------
    numpy.ndarray or DataFrame
        The normalised values, same shape as ``X`` (a DataFrame with ``X``'s index and
        columns when ``X`` is one).

    Raises
    ------
    DataError
        for missing values, a constant indicator (min = max), or non-positive values where
        ``reciprocal``/``target`` need division.

    Examples
    --------
    Min–max of a 3 × 2 matrix, the second indicator a cost (lower is better):

    >>> normalize([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]], directions=[1, -1])
    array([[0. , 1. ],
           [1. , 0. ],
           [0.5, 0.5]])
    >>> normalise([[1.0], [3.0]], method="zscore").ravel().tolist()
    [-1.0, 1.0]
    >>> normalize([[0.0], [5.0], [10.0]], bounds=(1, 100)).ravel().tolist()
    [1.0, 50.5, 100.0]
    """
    frame = X if isinstance(X, pd.DataFrame) else None
    A, names = check_matrix(X, names)
    k = A.shape[-1]
    d = directions_array(directions, k)
    if method not in NORMALISATIONS:
        raise ValueError(f"method must be one of {tuple(NORMALISATIONS)}")
    if cost not in ("reverse", "reciprocal"):
        raise ValueError("cost must be 'reverse' or 'reciprocal'")
    if cost == "reciprocal" and (d < 0).any():
        neg = d < 0
        if (A[..., neg] <= 0).any():
            raise DataError([Issue("1/x needs positive values", column=names[j])
                             for j in np.flatnonzero(neg)])
        A = A.copy()
        A[..., neg] = 1.0 / A[..., neg]
        d = np.ones(k)
    Z = NORMALISATIONS[method](A, d, names=names, goalposts=goalposts, target=target)
    if bounds is not None:
        a, b = bounds
        Z = a + (b - a) * Z
    if shift:
        Z = Z + shift
    if frame is not None:
        return pd.DataFrame(Z, index=frame.index, columns=frame.columns)
    return Z


def _no_constant(span: np.ndarray, names: list[str]) -> None:
    zero = (span == 0).reshape(-1, span.shape[-1]).any(axis=0)
    if zero.any():
        raise DataError([Issue("indicator is constant across units (min = max, or zero "
                               "norm): it carries no information; drop it", column=names[j])
                         for j in np.flatnonzero(zero)])


@NORMALISATIONS.register("minmax", label_zh="极差标准化", label_en="Min–max")
def _minmax(A, d, *, names, **_):
    """(x − min)/(max − min); cost (max − x)/(max − min)."""
    lo, hi = A.min(axis=-2, keepdims=True), A.max(axis=-2, keepdims=True)
    span = hi - lo
    _no_constant(span, names)
    Z = (A - lo) / span
    cost_cols = np.flatnonzero(d < 0)
    if cost_cols.size:  # (max − x)/(max − min) = 1 − (x − min)/(max − min)
        Z[..., cost_cols] = 1.0 - Z[..., cost_cols]
    return Z


@NORMALISATIONS.register("zscore", label_zh="Z分数标准化", label_en="z-score")
def _zscore(A, d, *, names, **_):
    """(x − mean)/sd with the population sd; cost negated."""
    sd = A.std(axis=-2, keepdims=True)
    _no_constant(sd, names)
    return d * (A - A.mean(axis=-2, keepdims=True)) / sd


@NORMALISATIONS.register("rank", label_zh="排序标准化", label_en="Rank")
def _rank(A, d, **_):
    """(rank − 1)/(n − 1), ties averaged; cost reversed."""
    n = A.shape[-2]
    ranks = np.apply_along_axis(lambda v: pd.Series(v).rank(method="average").to_numpy(), -2, A)
    Z = (ranks - 1) / (n - 1)
    return np.where(d > 0, Z, 1 - Z)


@NORMALISATIONS.register("vector", label_zh="向量标准化", label_en="Vector (TOPSIS)")
def _vector(A, d, *, names, **_):
    """x / √Σx²; the direction is left to the ideal solution."""
    norm = np.sqrt((A**2).sum(axis=-2, keepdims=True))
    _no_constant(norm, names)
    return A / norm


@NORMALISATIONS.register("sum", label_zh="比重标准化", label_en="Proportion of the sum")
def _sum(A, d, *, names, **_):
    """x / Σx (proportions, as in entropy weighting)."""
    if (A < 0).any():
        raise DataError("proportions need non-negative values; normalise first")
    tot = A.sum(axis=-2, keepdims=True)
    _no_constant(tot, names)
    return A / tot


@NORMALISATIONS.register("target", label_zh="目标值标准化", label_en="Distance to a target")
def _target(A, d, *, target=None, **_):
    """min(x / target, 1); cost min(target / x, 1)."""
    if target is None:
        raise ValueError("method='target' needs target=[...] per indicator")
    t = np.broadcast_to(np.asarray(target, float), (A.shape[-1],))
    if (A <= 0).any() or (t <= 0).any():
        raise DataError("distance to target needs positive values and targets")
    return np.minimum(np.where(d > 0, A / t, t / A), 1.0)


@NORMALISATIONS.register("goalposts", label_zh="固定阈值标准化", label_en="Fixed goalposts")
def _goalposts(A, d, *, goalposts=None, **_):
    """(x − L)/(U − L) clipped to [0, 1] with fixed goalposts; cost reversed."""
    if goalposts is None:
        raise ValueError("method='goalposts' needs goalposts=(lower, upper) per indicator")
    k = A.shape[-1]
    gp = np.asarray(goalposts, float)
    lo, hi = (gp[0], gp[1]) if gp.ndim == 2 else (np.full(k, gp[0]), np.full(k, gp[1]))
    if (hi <= lo).any():
        raise DataError("each upper goalpost must exceed the lower one")
    Z = np.clip((A - lo) / (hi - lo), 0.0, 1.0)
    return np.where(d > 0, Z, 1 - Z)


#: British spelling of :func:`normalize` (the package's names are American; both work).
normalise = normalize
METHODS = tuple(NORMALISATIONS)
