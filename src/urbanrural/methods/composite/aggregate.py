"""Aggregation of normalised indicators into scores: weighted arithmetic and geometric means,
TOPSIS and grey relational analysis. Arrays are (..., units, indicators)."""

from __future__ import annotations

import numpy as np

from ...data.errors import DataError, Issue
from ..registry import Registry
from .normalize import _no_constant, check_matrix, directions_array, normalize

__all__ = ["AGGREGATIONS", "weighted_sum", "weighted_geometric", "topsis", "grey_relational"]


def _w(weights, k: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape[-1] != k:
        raise DataError(f"{w.shape[-1]} weights for {k} indicators")
    if (w < 0).any() or not np.allclose(w.sum(axis=-1), 1.0, atol=1e-9):
        raise DataError("weights must be non-negative and sum to 1")
    return w


def weighted_sum(Z, weights, *, validate: bool = True) -> np.ndarray:
    r"""Weighted arithmetic mean of normalised indicators (linear additive model).

    .. math:: S_i = \sum_j w_j z_{ij}

    Fully compensatory: a low value of one indicator is made up by a high value of another
    (OECD/JRC 2008, *Handbook on Constructing Composite Indicators*, "weighting and
    aggregation").

    Parameters
    ----------
    Z : array_like or DataFrame, shape (..., units, indicators)
        Normalised indicator values.
    weights : array_like, shape (indicators,) or (..., indicators)
        Non-negative weights summing to 1; one vector, or one per slice.
    validate : bool, default True
        Check the values (finite) and the weights (non-negative, summing to 1). ``False``
        only for callers that checked them once for many calls (the robustness engine).

    Returns
    -------
    numpy.ndarray
        Shape (..., units): the score of each unit.

    Examples
    --------
    >>> weighted_sum([[0.0, 1.0], [1.0, 0.5]], [0.25, 0.75]).tolist()
    [0.75, 0.625]
    """
    if validate:
        A, _ = check_matrix(Z)
        w = _w(weights, A.shape[-1])
    else:
        A, w = np.asarray(Z, dtype=float), np.asarray(weights, dtype=float)
    return np.einsum("...ij,...j->...i", A, w)


def weighted_geometric(Z, weights, *, zeros: str = "error", names=None, validate: bool = True
                       ) -> np.ndarray:
    r"""Weighted geometric mean G = Πⱼ zⱼ^{wⱼ} (partially compensatory).

    A zero makes the product zero whatever the other indicators: min-max normalisation
    produces exact zeros (COINr#47). ``zeros="error"`` (default) stops with the offending
    indicators; ``zeros="allow"`` returns 0 for those units. Prefer normalising to a
    positive range, e.g. ``normalize(..., bounds=(1, 100))``. ``names`` label the indicators
    in errors.

    .. math:: G_i = \prod_j z_{ij}^{w_j} = \exp\Big(\sum_j w_j \ln z_{ij}\Big)

    (OECD/JRC 2008, *Handbook on Constructing Composite Indicators*: geometric aggregation).

    Parameters
    ----------
    Z : array_like or DataFrame, shape (..., units, indicators)
        Non-negative normalised indicator values.
    weights : array_like, shape (indicators,) or (..., indicators)
        Non-negative weights summing to 1.
    zeros : {"error", "allow"}, default "error"
        What an exact zero does: stop with the indicators concerned, or give the unit 0.
    names : sequence of str, optional
        Indicator names used in error messages.
    validate : bool, default True
        Check that the values are finite and the weights non-negative and summing to 1
        (negative values and zeros are checked either way).

    Returns
    -------
    numpy.ndarray
        Shape (..., units): the score of each unit.

    Examples
    --------
    Equal weights give the plain geometric mean, √(1·4) = 2 and √(9·1) = 3:

    >>> weighted_geometric([[1.0, 4.0], [9.0, 1.0]], [0.5, 0.5]).round(4).tolist()
    [2.0, 3.0]
    """
    if validate:
        A, names = check_matrix(Z, names)
        w = _w(weights, A.shape[-1])
    else:
        A, w = np.asarray(Z, dtype=float), np.asarray(weights, dtype=float)
        names = list(names) if names is not None else [f"x{j + 1}" for j in range(A.shape[-1])]
    if (A < 0).any():
        raise DataError("the geometric mean needs non-negative values")
    if (A == 0).any():
        if zeros == "error":
            cols = np.flatnonzero((A == 0).reshape(-1, A.shape[-1]).any(axis=0))
            raise DataError([Issue("exact zeros make the geometric mean zero; normalise to a "
                                   "positive range (bounds=(1, 100)) or pass zeros='allow'",
                                   column=names[j]) for j in cols])
        if zeros != "allow":
            raise ValueError("zeros must be 'error' or 'allow'")
    with np.errstate(divide="ignore"):
        return np.exp(np.einsum("...ij,...j->...i", np.log(A), w))


def _minmax_unchecked(A: np.ndarray, d: np.ndarray, names: list[str]) -> np.ndarray:
    """:func:`normalize`'s min-max of checked values, (x − min)/(max − min), cost reversed,
    with the bounds from one contiguous pass per indicator (a reduction over the units axis
    of a units × few-indicators array is many short loops). Bounds are exact whatever the
    order of the comparisons; only the sign of a zero bound could differ, and a signed zero
    of (x − min) leaves every TOPSIS distance unchanged (1 − (±0) = 1, (±0)² = 0)."""
    along_units = np.ascontiguousarray(np.swapaxes(A, -1, -2))
    lo = along_units.min(axis=-1)[..., None, :]
    span = along_units.max(axis=-1)[..., None, :] - lo
    _no_constant(span, names)
    Z = np.subtract(A, lo)
    np.divide(Z, span, out=Z)  # in place: the same quotient, without a second array
    cost_cols = np.flatnonzero(d < 0)
    if cost_cols.size:  # (max − x)/(max − min) = 1 − (x − min)/(max − min)
        Z[..., cost_cols] = 1.0 - Z[..., cost_cols]
    return Z


def topsis(X, weights, *, directions=None, normalization: str = "vector",
           ideal: str = "per_slice", names=None, validate: bool = True):
    r"""TOPSIS closeness to the ideal solution (Hwang & Yoon 1981).

    1. Normalise: ``vector`` rᵢⱼ = xᵢⱼ/√Σᵢxᵢⱼ² (classic) or ``minmax`` (pymcdm's default;
       cost indicators reversed there). The two change rankings.
    2. Weight the matrix: vᵢⱼ = wⱼ rᵢⱼ (weights enter before the distances, not as weights
       on squared distances).
    3. Ideal A⁺ⱼ = max vᵢⱼ for benefit and min for cost indicators; anti-ideal A⁻ the reverse.
    4. Dᵢ⁺ = ‖vᵢ − A⁺‖, Dᵢ⁻ = ‖vᵢ − A⁻‖ (Euclidean); closeness Cᵢ = Dᵢ⁻/(Dᵢ⁺ + Dᵢ⁻) ∈ [0, 1].

    ``ideal`` (for a (years, units, indicators) array; a 2-D matrix is one slice either way):

    * ``per_slice`` (default): normalisation and ideals within each slice. A slice's scores
      depend only on that slice's data, so they rank units within a year but do not compare
      across years.
    * ``global``: the normalisation (vector norms or min-max bounds) **and** the ideals are
      pooled over all slices, exactly as one TOPSIS over every unit-year. Closeness is then on
      one scale across years: equal values in two years give equal scores, and a unit's score
      in year t depends on the other years' data, by design. Pooling only the ideals after a
      per-year normalisation would not achieve this (each year would still be rescaled by its
      own norms).

    Adding or removing units (or years, with ``global``) can reverse ranks (a property of the
    method).

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Raw indicator values.
    weights : array_like, shape (indicators,) or (..., indicators)
        Non-negative weights summing to 1.
    directions : sequence of {+1, -1, "benefit", "cost", ...}, optional
        Direction of each indicator (default: all benefit).
    normalization : {"vector", "minmax"}, default "vector"
        Step 1 above.
    ideal : {"per_slice", "global"}, default "per_slice"
        Where the normalisation and the ideals come from, see above.
    names : sequence of str, optional
        Indicator names used in error messages.
    validate : bool, default True
        Check that the values are finite and the weights non-negative and summing to 1
        (a constant indicator is an error either way). ``False`` only for callers that
        checked them once for many calls (the robustness engine).

    Returns
    -------
    numpy.ndarray
        Shape (..., units): closeness Cᵢ in [0, 1] (0.5 when a unit's two distances are both
        zero).

    Examples
    --------
    The best unit on both indicators is the ideal (C = 1), the worst the anti-ideal (C = 0),
    and a unit halfway on the weighted distances lies at 0.5:

    >>> topsis([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]], [0.5, 0.5],
    ...        normalization="minmax").round(4).tolist()
    [1.0, 0.0, 0.5]
    """
    if ideal not in ("per_slice", "global"):
        raise ValueError("ideal must be 'per_slice' or 'global'")
    if normalization not in ("vector", "minmax"):
        raise ValueError("normalization must be 'vector' or 'minmax'")
    if validate:
        A, names = check_matrix(X, names)
        w = _w(weights, A.shape[-1])
    else:
        A, w = np.asarray(X, dtype=float), np.asarray(weights, dtype=float)
        names = list(names) if names is not None else [f"x{j + 1}" for j in range(A.shape[-1])]
    k = A.shape[-1]
    d = directions_array(directions, k)
    method = normalization
    # pooled mode: all slices' rows form one matrix for the normalisation, then back in shape
    src = A.reshape(-1, k) if ideal == "global" else A
    if method == "vector":
        R = normalize(src, directions=None, method="vector", names=names).reshape(A.shape)
        dir_for_ideal = d
    elif validate:
        R = normalize(src, directions=d, method="minmax", names=names).reshape(A.shape)
        dir_for_ideal = np.ones(k)
    else:  # min-max without normalize's second check of the values
        R = _minmax_unchecked(src, d, names).reshape(A.shape)
        dir_for_ideal = np.ones(k)
    wb = w[..., None, :] if w.ndim > 1 else w
    if method == "minmax" and (ideal == "per_slice" or w.ndim == 1):
        # min-max columns span exactly [0, 1] over the units the bounds came from (each slice,
        # or all slices pooled), so with one weight vector per pool the weighted ideal is w
        # and the anti-ideal 0: the distances need no search for them. In place, the same
        # operations as sqrt(((w·(1 − R))²).sum()) and sqrt(((w·R)²).sum()) with two
        # temporaries instead of six (x ** 2 is NumPy's x·x)
        if np.broadcast_shapes(np.shape(wb), R.shape) == R.shape:
            gap = np.subtract(1.0, R)
            np.multiply(wb, gap, out=gap)
            np.square(gap, out=gap)
            d_plus = np.sqrt(gap.sum(axis=-1))
            np.multiply(wb, R, out=gap)
            np.square(gap, out=gap)
            d_minus = np.sqrt(gap.sum(axis=-1))
            del gap
        else:  # weights with more leading axes than the values broadcast them
            d_plus = np.sqrt(((wb * (1.0 - R)) ** 2).sum(axis=-1))
            d_minus = np.sqrt(((wb * R) ** 2).sum(axis=-1))
        with np.errstate(invalid="ignore"):
            c = d_minus / (d_plus + d_minus)
        return np.where(d_plus + d_minus > 0, c, 0.5)
    V = R * wb
    axes = -2 if ideal == "per_slice" else tuple(range(V.ndim - 1))
    vmax, vmin = V.max(axis=axes, keepdims=True), V.min(axis=axes, keepdims=True)
    best = np.where(dir_for_ideal > 0, vmax, vmin)
    worst = np.where(dir_for_ideal > 0, vmin, vmax)
    d_plus = np.sqrt(((V - best) ** 2).sum(axis=-1))
    d_minus = np.sqrt(((V - worst) ** 2).sum(axis=-1))
    with np.errstate(invalid="ignore"):
        c = d_minus / (d_plus + d_minus)
    return np.where(d_plus + d_minus > 0, c, 0.5)


def grey_relational(X, *, weights=None, rho: float = 0.5, directions=None,
                    normalization: str = "minmax", reference=None, names=None):
    r"""Grey relational grade of each unit to the reference (ideal) sequence (Deng 1982).

    With normalised x′ (higher is better) and reference x₀ⱼ = max over units (or given):

    .. math::
        \xi_{ij} = \frac{\Delta_{\min} + \rho\Delta_{\max}}{\Delta_{ij} + \rho\Delta_{\max}},
        \quad \Delta_{ij} = |x_{0j} - x'_{ij}|, \qquad \gamma_i = \sum_j w_j \xi_{ij}

    Δmin and Δmax are taken over all units and indicators of the slice; ρ ∈ (0, 1] is the
    resolution coefficient (0.5 by convention). Equal weights when none are given.

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Indicator values (raw, or already normalised with ``normalization=None``).
    weights : array_like, optional
        Non-negative weights summing to 1 (default equal).
    rho : float, default 0.5
        Resolution coefficient ρ ∈ (0, 1].
    directions : sequence of {+1, -1, "benefit", "cost", ...}, optional
        Direction of each indicator for the normalisation (default: all benefit).
    normalization : str or None, default "minmax"
        A method of :func:`normalize`, or None to use ``X`` as given.
    reference : array_like, optional
        The reference sequence x₀ (default: the best value of each indicator over the units).
    names : sequence of str, optional
        Indicator names used in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (..., units): the grade γᵢ of each unit, in (0, 1].

    Examples
    --------
    Here Δ is 0 or 1, so ξ = (0 + 0.5)/(Δ + 0.5) is 1 or 1/3; the third unit averages the
    two:

    >>> grey_relational([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]],
    ...                 normalization=None).round(4).tolist()
    [1.0, 0.3333, 0.6667]
    """
    if not 0 < rho <= 1:
        raise ValueError("rho must be in (0, 1]")
    A, names = check_matrix(X, names)
    k = A.shape[-1]
    Z = normalize(A, directions=directions, method=normalization, names=names) if normalization else A
    ref = Z.max(axis=-2, keepdims=True) if reference is None else np.asarray(reference, float)
    delta = np.abs(ref - Z)
    dmin = delta.min(axis=(-2, -1), keepdims=True)
    dmax = delta.max(axis=(-2, -1), keepdims=True)
    if (dmax == 0).any():
        raise DataError("all units equal the reference: grey relational grades are undefined")
    xi = (dmin + rho * dmax) / (delta + rho * dmax)
    w = np.full(k, 1.0 / k) if weights is None else _w(weights, k)
    return np.einsum("...ij,...j->...i", xi, w)


# ---------------------------------------------------------------- registry
# Scores of a node from its children's scores ``M`` (units × children) and weights ``w``:
# ``f(M, w, names) -> scores``.
AGGREGATIONS = Registry("aggregation", "f(M, w, names) -> scores")


@AGGREGATIONS.register("weighted_sum", label_zh="加权求和", label_en="Weighted arithmetic mean")
def _a_sum(M, w, names, *, validate: bool = True):
    """Σ wⱼ zⱼ."""
    return weighted_sum(M, w, validate=validate)


@AGGREGATIONS.register("geometric", label_zh="加权几何平均", label_en="Weighted geometric mean")
def _a_geometric(M, w, names, *, validate: bool = True):
    """Π zⱼ^wⱼ (needs positive scores: give the normalisation bounds such as [1, 100])."""
    return weighted_geometric(M, w, names=names, validate=validate)


@AGGREGATIONS.register("topsis", label_zh="TOPSIS", label_en="TOPSIS closeness")
def _a_topsis(M, w, names, *, validate: bool = True):
    """Relative closeness to the ideal (min–max normalised, weighted matrix)."""
    return topsis(M, w, normalization="minmax", validate=validate) if M.shape[1] > 1 else M[:, 0]


@AGGREGATIONS.register("grey_relational", label_zh="灰色关联", label_en="Grey relational grade")
def _a_grey(M, w, names):
    """Weighted grey relational grade to the ideal (ρ = 0.5)."""
    return grey_relational(M, weights=w, normalization=None)
