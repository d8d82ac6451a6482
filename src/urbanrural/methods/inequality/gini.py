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
    x : values (non-negative), array-like, or a dask array / dask DataFrame column.
    weights : optional non-negative weights of the same length (e.g. population).
    corr : apply the small-sample correction n/(n − 1) (unweighted only; default False, as in
        PySAL and ``ineq::Gini(corr = FALSE)``).

    Raises
    ------
    DataError
        for missing, infinite or negative values, bad weights, or a zero mean.
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
    """Lorenz curve points: cumulative population share and cumulative value share, both
    starting at 0 (values sorted with their weights)."""
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
