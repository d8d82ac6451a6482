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

    Parameters
    ----------
    x : array_like
        Values, with a positive mean.
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).
    ddof : int, default 0
        Delta degrees of freedom of the (unweighted) standard deviation.

    Returns
    -------
    float
        σ/μ.

    Raises
    ------
    DataError
        when the (weighted) mean is zero or negative: σ/μ is then infinite or has the wrong
        sign, and means nothing as a relative dispersion.

    Examples
    --------
    Mean 2, population sd 1 (sample sd √2):

    >>> coefficient_of_variation([1, 3]), round(coefficient_of_variation([1, 3], ddof=1), 4)
    (0.5, 0.7071)
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

    Parameters
    ----------
    y : array_like
        Per-capita value of each region.
    population : array_like
        Population of each region (non-negative, same length).

    Returns
    -------
    float
        V_w, the population-weighted coefficient of variation.

    Examples
    --------
    Three people at 1 and one at 3: ȳ = 1.5, variance 0.75, so V_w = √0.75 / 1.5:

    >>> round(williamson([1, 3], [3, 1]), 4), round(0.75 ** 0.5 / 1.5, 4)
    (0.5774, 0.5774)
    """
    return coefficient_of_variation(y, weights=population)


def weighted_quantile(x, q, *, weights=None) -> np.ndarray | float:
    r"""Quantile(s) of weighted data: the smallest value whose cumulative weight share reaches
    q (the inverse of the weighted step CDF; with unit weights this is numpy's
    ``method="inverted_cdf"``, Hyndman & Fan 1996 definition 1).

    .. math:: Q(q) = \min\{x_{(k)} : \textstyle\sum_{i \le k} w_{(i)} / W \ge q\}

    Parameters
    ----------
    x : array_like
        Values.
    q : float or array_like
        Probability or probabilities in [0, 1].
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``q``, else an array of the same length as ``q``.

    Examples
    --------
    >>> weighted_quantile([1, 2, 3, 4], 0.5)
    2.0
    >>> weighted_quantile([1, 2, 3, 4], [0.25, 0.75]).tolist()
    [1.0, 3.0]
    >>> weighted_quantile([1, 2, 3, 4], 0.5, weights=[1, 1, 1, 5])  # 5/8 of the weight on 4
    4.0
    """
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
    """Ratio of two percentiles, e.g. P90/P10 (weighted quantiles as :func:`weighted_quantile`).

    Parameters
    ----------
    x : array_like
        Values.
    upper : float, default 90
        The upper percentile, in [0, 100].
    lower : float, default 10
        The lower percentile, in [0, 100].
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).

    Returns
    -------
    float
        P_upper / P_lower.

    Examples
    --------
    >>> percentile_ratio(range(1, 11))  # P90 = 9, P10 = 1
    9.0
    >>> percentile_ratio(range(1, 11), upper=80, lower=20)
    4.0
    """
    hi, lo = weighted_quantile(x, [upper / 100, lower / 100], weights=weights)
    return float(hi / lo)


def palma(x, *, weights=None) -> float:
    r"""Palma ratio: the value share of the richest 10 % over that of the poorest 40 % of the
    population (Cobham & Sumner 2013), read off the piecewise-linear Lorenz curve so that a
    unit straddling a boundary is split (exact for weighted or grouped data).

    .. math:: \text{Palma} = \frac{1 - L(0.9)}{L(0.4)}

    Parameters
    ----------
    x : array_like
        Non-negative values.
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).

    Returns
    -------
    float
        The Palma ratio (0.25 under perfect equality).

    Examples
    --------
    For 1, 2, …, 10 the top tenth holds 10/55 and the bottom four tenths (1 + 2 + 3 + 4)/55:

    >>> round(palma(range(1, 11)), 4), round(palma([1] * 10), 4)
    (1.0, 0.25)
    """
    x = as_values(x)
    require_nonnegative(x, "the Palma ratio")
    p, s = lorenz(x, weights=weights)
    l40, l90 = np.interp([0.4, 0.9], p, s)
    return float((1.0 - l90) / l40)
