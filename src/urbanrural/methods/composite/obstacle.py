"""Obstacle degree (障碍度): which indicators and dimensions hold each unit back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError

__all__ = ["obstacle_degree", "dimension_obstacles", "top_obstacles"]


def obstacle_degree(normalized, weights) -> np.ndarray:
    r"""Obstacle degree of each indicator for each unit, in percent (rows sum to 100):

    .. math:: O_{ij} = 100\,\frac{w_j (1 - x'_{ij})}{\sum_j w_j (1 - x'_{ij})}

    with x′ the direction-aligned normalised value in [0, 1] (1 = best) and wⱼ the **global**
    weight of the indicator (indicator weight × the weights of every level above it). A unit
    at the best value of every indicator has no obstacle: its row is all zero (reported, not
    divided by zero). The measure is common in Chinese index studies (障碍度模型).

    Parameters
    ----------
    normalized : array_like, shape (..., units, indicators)
        Direction-aligned normalised values in [0, 1] (1 = best).
    weights : array_like, shape (indicators,)
        Global weight of each indicator.

    Returns
    -------
    numpy.ndarray
        Same shape as ``normalized``: obstacle degrees in percent, each row summing to 100
        (or all zero).

    Examples
    --------
    >>> obstacle_degree([[1.0, 0.5], [0.0, 0.0], [1.0, 1.0]], [0.5, 0.5]).tolist()
    [[0.0, 100.0], [50.0, 50.0], [0.0, 0.0]]
    """
    X = np.asarray(normalized, dtype=float)
    w = np.asarray(weights, dtype=float)
    if not np.isfinite(X).all():
        raise DataError("normalised values contain missing values")
    if (X < -1e-12).any() or (X > 1 + 1e-12).any():
        raise DataError("obstacle degrees need normalised values in [0, 1] (1 = best); use "
                        "min-max normalisation without bounds or shift")
    if w.shape[-1] != X.shape[-1]:
        raise DataError(f"{w.shape[-1]} weights for {X.shape[-1]} indicators")
    gap = w * (1.0 - X)
    tot = gap.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(tot > 0, 100.0 * gap / tot, 0.0)
    return out


def dimension_obstacles(obstacles, dimension_of) -> pd.DataFrame:
    """Sum indicator obstacles within each dimension (``dimension_of``: one label per
    indicator column). Accepts a DataFrame (units × indicators)."""
    O = obstacles if isinstance(obstacles, pd.DataFrame) else pd.DataFrame(obstacles)
    labels = list(dimension_of)
    if len(labels) != O.shape[1]:
        raise DataError("one dimension label per indicator is needed")
    return O.T.groupby(np.asarray(labels)).sum().T


def top_obstacles(obstacles: pd.DataFrame, *, k: int = 3) -> pd.DataFrame:
    """The k largest obstacles of each unit: rank, indicator and obstacle degree (%)."""
    vals = obstacles.to_numpy()
    k = min(k, vals.shape[1])
    order = np.argsort(-vals, axis=1, kind="stable")[:, :k]
    n = vals.shape[0]
    return pd.DataFrame({
        "unit": np.repeat(np.asarray(obstacles.index), k),
        "rank": np.tile(np.arange(1, k + 1), n),
        "indicator": np.asarray(obstacles.columns)[order].ravel(),
        "obstacle": np.take_along_axis(vals, order, axis=1).ravel(),
    })
