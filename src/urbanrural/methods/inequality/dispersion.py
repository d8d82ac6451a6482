"""Dispersion and share measures: coefficient of variation, Williamson coefficient, weighted
quantiles, percentile ratios and the Palma ratio."""

from __future__ import annotations

import numpy as np

from ...data.errors import DataError, Issue
from ._core import as_values, as_weights, require_nonnegative, sorted_with_weights
from .gini import lorenz

__all__ = ["coefficient_of_variation", "williamson", "weighted_quantile", "percentile_ratio",
           "palma"]


def coefficient_of_variation(x, *, weights=None, ddof: int = 0) -> float:
    r"""Coefficient of variation σ/μ, with the weighted (population) standard deviation

    .. math:: CV = \frac{1}{\mu}\sqrt{\frac{1}{W}\sum_i w_i (x_i - \mu)^2}

    ``ddof=1`` gives the unweighted sample version (n − 1 in the denominator).

    Raises
    ------
    DataError
        when the (weighted) mean is zero or negative: σ/μ is then infinite or has the wrong
        sign, and means nothing as a relative dispersion.
    """
    x = as_values(x)
    w = as_weights(weights, x.shape[0])
    if w is not None and ddof:
        raise ValueError("ddof applies to unweighted data only")
    mu = x.mean() if w is None else np.dot(w, x) / w.sum()
    if not mu > 0:
        raise DataError(Issue(f"the coefficient of variation needs a positive mean; the "
                              f"{'weighted ' if w is not None else ''}mean is {mu:.6g} "
                              "(σ/μ would be infinite or negative)"))
    if w is None:
        return float(x.std(ddof=ddof) / mu)
    return float(np.sqrt(np.dot(w, (x - mu) ** 2) / w.sum()) / mu)


def williamson(y, population) -> float:
    r"""Population-weighted coefficient of variation of regional per-capita values
    (Williamson 1965):

    .. math:: V_w = \frac{1}{\bar y}\sqrt{\sum_i \frac{P_i}{P}(y_i - \bar y)^2}, \quad
              \bar y = \sum_i \frac{P_i}{P} y_i

    where ȳ is the national per-capita value implied by the regions.
    """
    return coefficient_of_variation(y, weights=population)


def weighted_quantile(x, q, *, weights=None) -> np.ndarray | float:
    """Quantile(s) of weighted data: the smallest value whose cumulative weight share reaches
    q (the inverse of the weighted step CDF; with unit weights this is numpy's
    ``method="inverted_cdf"``)."""
    x = as_values(x)
    w = as_weights(weights, x.shape[0])
    xs, ws = sorted_with_weights(x, w)
    ws = np.ones_like(xs) if ws is None else ws
    cdf = np.cumsum(ws) / ws.sum()
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    if ((qs < 0) | (qs > 1)).any():
        raise ValueError("q must be in [0, 1]")
    idx = np.searchsorted(cdf, qs - 1e-12, side="left")
    out = xs[np.minimum(idx, xs.shape[0] - 1)]
    return float(out[0]) if np.isscalar(q) else out


def percentile_ratio(x, *, upper: float = 90, lower: float = 10, weights=None) -> float:
    """Ratio of two percentiles, e.g. P90/P10 (weighted quantiles as above)."""
    hi, lo = weighted_quantile(x, [upper / 100, lower / 100], weights=weights)
    return float(hi / lo)


def palma(x, *, weights=None) -> float:
    """Palma ratio: the value share of the richest 10 % over that of the poorest 40 % of the
    population (Cobham & Sumner 2013), read off the piecewise-linear Lorenz curve so that a
    unit straddling a boundary is split (exact for weighted or grouped data)."""
    x = as_values(x)
    require_nonnegative(x, "the Palma ratio")
    p, s = lorenz(x, weights=weights)
    l40, l90 = np.interp([0.4, 0.9], p, s)
    return float((1.0 - l90) / l40)
