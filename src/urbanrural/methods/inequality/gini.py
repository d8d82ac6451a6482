"""Gini coefficient, population-weighted, in O(n log n)."""

from __future__ import annotations

import numpy as np

from ._core import (
    as_values,
    as_weights,
    require_nonnegative,
    sorted_with_weights,
    weighted_mean,
    within_abs_sum,
)

__all__ = ["gini", "lorenz"]


def gini(x, *, weights=None, corr: bool = False) -> float:
    r"""Gini coefficient, optionally weighted (population or survey weights).

    .. math::
        G = \frac{\sum_i \sum_j w_i w_j |x_i - x_j|}{2 W^2 \mu}, \quad
        W = \sum_i w_i, \quad \mu = \frac{\sum_i w_i x_i}{W}

    i.e. the mean absolute difference over twice the mean (Gini 1912; Yitzhaki & Schechtman
    2013, ch. 2). With integer weights it equals the Gini of the data with each value repeated
    ``w`` times (population replication invariance). Computed by sorting the values *with their
    weights* and prefix sums, O(n log n).

    Parameters
    ----------
    x : array_like, dask array or dask DataFrame column
        Non-negative values, one per unit.
    weights : array_like, optional
        Non-negative weights of the same length (e.g. population); default unweighted.
    corr : bool, default False
        Apply the small-sample correction n/(n − 1) (unweighted only; False as in PySAL and
        ``ineq::Gini(corr = FALSE)``).

    Returns
    -------
    float
        G in [0, 1] (below 1 without the correction).

    Raises
    ------
    DataError
        for missing, infinite or negative values, bad weights, or a zero mean.

    Examples
    --------
    Equal values have no inequality; one holder of everything among four gives (n − 1)/n:

    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 1])
    (0.0, 0.75)

    Σᵢⱼ|xᵢ − xⱼ| = 20 for (1, 2, 3, 4), so G = 20 / (2 · 4² · 2.5):

    >>> gini([1, 2, 3, 4]), round(gini([1, 2, 3, 4], corr=True), 4)
    (0.25, 0.3333)

    Integer weights replicate the values:

    >>> gini([1, 3], weights=[3, 1]) == gini([1, 1, 1, 3])
    True
    """
    if _is_dask(x) or _is_dask(weights):
        from .distributed import gini_dask

        return gini_dask(x, weights=weights, corr=corr)
    x = as_values(x)
    w = as_weights(weights, x.shape[0])
    require_nonnegative(x, "the Gini coefficient")
    mu = weighted_mean(x, w)
    if mu <= 0:
        from ...data.errors import DataError

        raise DataError("the Gini coefficient is undefined when all values are zero")
    xs, ws = sorted_with_weights(x, w)
    total_w = float(x.shape[0] if w is None else w.sum())
    g = within_abs_sum(xs, ws) / (2.0 * total_w**2 * mu)
    if corr:
        if w is not None:
            raise ValueError("corr=True is defined for unweighted data only")
        n = x.shape[0]
        g *= n / (n - 1)
    return float(g)


def lorenz(x, *, weights=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Lorenz curve points: cumulative population share and cumulative value share, both
    starting at 0 (values sorted with their weights; Lorenz 1905).

    .. math:: p_k = \frac{\sum_{i \le k} w_i}{W}, \qquad
              L_k = \frac{\sum_{i \le k} w_i x_i}{\sum_i w_i x_i}

    Parameters
    ----------
    x : array_like
        Non-negative values.
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        p and L, each of length n + 1, from (0, 0) to (1, 1).

    Examples
    --------
    >>> p, share = lorenz([1, 1, 2])
    >>> p.round(4).tolist(), share.round(4).tolist()
    ([0.0, 0.3333, 0.6667, 1.0], [0.0, 0.25, 0.5, 1.0])
    """
    x = as_values(x)
    w = as_weights(weights, x.shape[0])
    require_nonnegative(x, "the Lorenz curve")
    xs, ws = sorted_with_weights(x, w)
    ws = np.ones_like(xs) if ws is None else ws
    p = np.concatenate([[0.0], np.cumsum(ws) / ws.sum()])
    s = np.concatenate([[0.0], np.cumsum(ws * xs) / np.dot(ws, xs)])
    return p, s


def _is_dask(obj) -> bool:
    return obj is not None and type(obj).__module__.startswith("dask")
