"""Input checks and the sorted-prefix-sum kernels shared by the inequality measures.

Every pairwise sum Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| is computed in O(n log n): sort once, then use
prefix sums of weights and of weighted values. Nothing here loops over observations in Python.
"""

from __future__ import annotations

import numpy as np

from ...data.errors import DataError, Issue


def as_values(x, name: str = "x") -> np.ndarray:
    """1-D float array; NaN or infinite values are an error naming their positions."""
    if hasattr(x, "compute") and not isinstance(x, np.ndarray):
        raise TypeError("dask input is handled by the caller")
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = np.flatnonzero(bad)[:10].tolist()
        raise DataError(Issue(f"{int(bad.sum())} value(s) are missing or infinite at positions "
                              f"{pos}; drop or fill them explicitly first", column=name))
    if arr.size == 0:
        raise DataError(Issue("no values", column=name))
    return arr


def as_weights(weights, n: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise DataError(Issue(f"weights have {w.shape[0]} entries for {n} values",
                              column="weights"))
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        pos = np.flatnonzero(bad)[:10].tolist()
        raise DataError(Issue(f"weights must be finite and non-negative; bad at positions {pos}",
                              column="weights"))
    if w.sum() <= 0:
        raise DataError(Issue("weights sum to zero", column="weights"))
    return w


def require_nonnegative(x: np.ndarray, measure: str) -> None:
    if (x < 0).any():
        pos = np.flatnonzero(x < 0)[:10].tolist()
        raise DataError(Issue(f"{measure} needs non-negative values; negative at positions {pos}"))


def require_positive(x: np.ndarray, measure: str, why: str) -> None:
    if (x <= 0).any():
        pos = np.flatnonzero(x <= 0)[:10].tolist()
        raise DataError(Issue(f"{measure} is undefined for zero or negative values ({why}); "
                              f"found at positions {pos}"))


def weighted_mean(x: np.ndarray, w: np.ndarray | None) -> float:
    return float(x.mean()) if w is None else float(np.dot(w, x) / w.sum())


def sorted_with_weights(x: np.ndarray, w: np.ndarray | None):
    """Values sorted ascending and the weights sorted with them (REAT 3.0.3 forgets the
    latter; see METHODS_GUIDE)."""
    if w is None:
        return np.sort(x), None
    order = np.argsort(x, kind="stable")
    return x[order], w[order]


def within_abs_sum(xs: np.ndarray, ws: np.ndarray | None) -> float:
    """Σᵢ Σⱼ wᵢ wⱼ |xᵢ − xⱼ| over ordered pairs, for sorted ``xs``.

    Each gap between neighbours, x₍ₖ₊₁₎ − x₍ₖ₎, separates the pairs with one value at or
    below x₍ₖ₎ and one above: Σ_{i<j} wᵢwⱼ(xⱼ − xᵢ) = Σₖ (x₍ₖ₊₁₎ − x₍ₖ₎)·Cₖ·(W − Cₖ), Cₖ the
    weight up to k. Every term is ≥ 0, so the sum is never negative by rounding and is
    exactly 0 for equal values (the signed form Σₖ wₖxₖ(W_before − W_after) gave −2·10⁻¹⁷
    for eight equal values). The ordered-pair sum is twice that.
    """
    n = xs.shape[0]
    gaps = np.diff(xs)
    if ws is None:
        below = np.arange(1, n, dtype=np.float64)  # Cₖ = k + 1 values at or below x₍ₖ₎
        return 2.0 * float(np.dot(gaps, below * (n - below)))
    cum = np.cumsum(ws)
    below = cum[:-1]
    return 2.0 * float(np.dot(gaps, below * (cum[-1] - below)))


def cross_abs_sum(xa: np.ndarray, wa: np.ndarray | None, xb_sorted: np.ndarray,
                  wb_sorted: np.ndarray | None) -> float:
    """Σᵢ Σⱼ waᵢ wbⱼ |aᵢ − bⱼ| with b sorted: O((n_a + n_b) log n_b) by prefix sums.

    For each aᵢ, the b's at or below it contribute aᵢ·W_below − S_below and those above
    S_above − aᵢ·W_above, where W and S are prefix sums of weights and weighted values.
    """
    wb = np.ones_like(xb_sorted) if wb_sorted is None else wb_sorted
    cw = np.concatenate([[0.0], np.cumsum(wb)])
    cs = np.concatenate([[0.0], np.cumsum(wb * xb_sorted)])
    k = np.searchsorted(xb_sorted, xa, side="right")
    w_below, s_below = cw[k], cs[k]
    w_above, s_above = cw[-1] - w_below, cs[-1] - s_below
    per_a = xa * (w_below - w_above) - s_below + s_above
    return float(per_a.sum() if wa is None else np.dot(wa, per_a))
