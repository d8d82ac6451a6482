"""Target paths: the growth a ratio target needs, the year a path meets a target, and the
probability of meeting it from simulated forecast paths.

* Ratio ``r = Y_u/Y_r`` falls from ``r₀`` to ``r_T`` in T years when
  ``(1 + g_r) = (1 + g_u)(r₀/r_T)^{1/T}``, i.e. ``g_r = (1 + g_u)(r₀/r_T)^{1/T} − 1``
  (constant annual growth rates; the ratio of two compounding incomes).
* The year a target is met on a path is the first year whose value is at or past it.
* The probability of meeting a target in a year is the share of simulated paths whose value
  in that year is at or past the target; by a year, the share that is at or past it in any
  year up to it. Paths are simulated from the model's own state-space form with Gaussian
  innovations (Hyndman et al. 2008, §6.1); the paths section draws its fan from the same
  paths (:func:`fan_from_paths`).
"""

from __future__ import annotations

import numpy as np

from ...data.errors import DataError, Issue
from .models import check_series
from .smoothing import fit_smoothing

__all__ = ["required_growth", "year_target_met", "probability_target_met", "simulate_paths",
           "simulate_combination", "fan_from_paths", "SIMULABLE"]

SIMULABLE = ("naive", "naive2", "drift", "ses", "holt", "damped", "ets", "theta")


def required_growth(r0, target, years, urban_growth):
    r"""The rural growth rate that takes the urban–rural ratio from ``r0`` to ``target`` in
    ``years`` years when urban incomes grow at ``urban_growth`` (fractions, not per cent):
    ``g_r = (1 + g_u)(r₀/r_T)^{1/T} − 1``. Arrays broadcast. (The ratio of two incomes
    compounding at constant rates: ``r_T = r₀ ((1 + g_u)/(1 + g_r))^T``.)

    Parameters
    ----------
    r0 : float or array_like
        The ratio now (positive).
    target : float or array_like
        The target ratio (positive).
    years : float or array_like
        Years to reach it (positive).
    urban_growth : float or array_like
        Annual urban income growth, a fraction (0.05 = 5 %).

    Returns
    -------
    numpy.ndarray
        The required annual rural growth, a fraction (a 0-d array for scalar inputs).

    Examples
    --------
    From 2.50 to 2.00 in 10 years with urban incomes growing 5 % a year:

    >>> round(float(required_growth(2.5, 2.0, 10, 0.05)), 6)
    0.073693
    """
    r0, rt = np.asarray(r0, float), np.asarray(target, float)
    T, gu = np.asarray(years, float), np.asarray(urban_growth, float)
    if np.any(r0 <= 0) or np.any(rt <= 0):
        raise DataError(Issue("required_growth: ratios must be positive"))
    if np.any(T <= 0):
        raise DataError(Issue("required_growth: the number of years must be positive"))
    return (1 + gu) * (r0 / rt) ** (1 / T) - 1


def year_target_met(years, path, target: float, *, direction: str = "below") -> float:
    """The first year whose value is at or below (``direction="below"``) or at or above
    (``"above"``) ``target``; NaN if none is.

    Parameters
    ----------
    years : array_like
        The years of the path, in order.
    path : array_like
        The values in those years.
    target : float
        The target value.
    direction : {"below", "above"}, default "below"
        Whether the target is met at or below it (a ratio to narrow) or at or above it.

    Returns
    -------
    float
        The first such year, or NaN.

    Examples
    --------
    >>> year_target_met([2025, 2026, 2027], [2.3, 2.1, 1.95], 2.0)
    2027.0
    >>> year_target_met([2025, 2026], [2.3, 2.1], 2.0)
    nan
    """
    y, v = np.asarray(years, float), np.asarray(path, float)
    if direction not in ("below", "above"):
        raise DataError(Issue(f"year_target_met: direction {direction!r} must be below or above"))
    hit = v <= target if direction == "below" else v >= target
    return float(y[np.argmax(hit)]) if hit.any() else float("nan")


def probability_target_met(years, paths, target: float, year: int, *,
                           direction: str = "below", by: bool = False) -> float:
    """Share of simulated ``paths`` (draws × years) whose value in ``year`` is at or past
    ``target`` (``by=True``: in any year up to and including ``year``).

    Parameters
    ----------
    years : array_like of int
        The years of the paths' columns.
    paths : array_like
        Simulated paths, draws × years (e.g. :func:`simulate_paths`).
    target : float
        The target value.
    year : int
        The year at which to check; one of ``years``.
    direction : {"below", "above"}, default "below"
        Met at or below the target, or at or above it.
    by : bool, default False
        Count a path that meets the target in any year up to ``year`` (crossing by the
        target year), not only in ``year`` itself.

    Returns
    -------
    float
        The share of draws that meet the target in (or by) ``year``, from 0 to 1.

    Examples
    --------
    In 2035 three of the four paths (1.9, 1.7, 2.0) are at or below 2.0:

    >>> probability_target_met([2030, 2035], [[2.1, 1.9], [2.2, 2.1], [2.0, 1.7], [2.3, 2.0]], 2.0, 2035)
    0.75

    A path at 1.9 in 2030 and back at 2.1 in 2035 met it by 2035, not in 2035:

    >>> probability_target_met([2030, 2035], [[1.9, 2.1], [2.2, 2.1]], 2.0, 2035, by=True)
    0.5
    """
    y = np.asarray(years, int)
    p = np.asarray(paths, float)
    if year not in set(y.tolist()):
        raise DataError(Issue(f"probability_target_met: year {year} is not on the path "
                              f"({y[0]}–{y[-1]})"))
    j = int(np.flatnonzero(y == year)[0])
    block = p[:, : j + 1] if by else p[:, j : j + 1]
    met = block <= target if direction == "below" else block >= target
    return float(np.mean(met.any(axis=1)))


def fan_from_paths(paths, levels) -> tuple[dict, dict]:
    """Central intervals of simulated ``paths`` (draws × h): for each level the
    ``(1 − level/100)/2`` and ``(1 + level/100)/2`` quantiles per step, so that a fan drawn
    from them and a probability read from the same paths agree.

    Examples
    --------
    >>> lo, hi = fan_from_paths(np.arange(1.0, 101.0)[:, None], [80])
    >>> round(float(lo[80][0]), 2), round(float(hi[80][0]), 2)
    (10.9, 90.1)
    """
    p = np.asarray(paths, float)
    lo, hi = {}, {}
    for lv in levels:
        lo[lv], hi[lv] = np.quantile(p, [(1 - lv / 100) / 2, (1 + lv / 100) / 2], axis=0)
    return lo, hi


def simulate_paths(y, h: int, method: str, *, draws: int = 2000, seed: int = 12,
                   normals: np.ndarray | None = None) -> np.ndarray:
    """``draws`` future paths (draws × h) of ``method`` fitted to all of ``y``, simulated from
    its state-space form with Gaussian innovations of the fitted variance (for the random
    walk with drift, the drift's own sampling error is drawn too, as its interval formula
    counts it; Theta is SES with drift, so its paths are its mean path plus SES innovations,
    ``e_j + α Σ_{i<j} e_i``). Vectorised over draws; the loop runs over the h steps.
    ``normals`` (draws × (h + 1) standard normals) gives common random numbers across models.
    The ETS recursions are those of Hyndman, Koehler, Ord & Snyder (2008), *Forecasting with
    Exponential Smoothing*, §6.1.

    Parameters
    ----------
    y : array_like
        The annual series, oldest first: finite, at least 4 points.
    h : int
        Steps ahead.
    method : str
        One of :data:`SIMULABLE` (naive, naive2, drift, ses, holt, damped, ets, theta).
    draws : int, default 2000
        Number of paths (ignored when ``normals`` is given: its rows are the draws).
    seed : int, default 12
        Seed of NumPy's ``default_rng`` for the innovations.
    normals : numpy.ndarray, optional
        draws × (h + 1) standard normals to use instead of fresh ones (the last column feeds
        the drift's sampling error).

    Returns
    -------
    numpy.ndarray
        draws × h simulated values; their mean approaches the point forecast.

    Examples
    --------
    >>> p = simulate_paths([1.0, 2, 3, 4, 5, 6, 7, 8], 3, "holt", draws=500)
    >>> p.shape, bool(abs(p[:, 0].mean() - 9.0) < 0.05)
    ((500, 3), True)
    """
    arr = check_series(y, "simulate_paths")
    if method not in SIMULABLE:
        raise DataError(Issue(f"simulate_paths: {method!r} has no state-space form here; one "
                              f"of {', '.join(SIMULABLE)}"))
    rng = np.random.default_rng(seed)
    T = len(arr)
    zz = rng.standard_normal((draws, h + 1)) if normals is None else np.asarray(normals, float)
    draws = zz.shape[0]
    z, z_drift = zz[:, :h], zz[:, h:]
    if method == "theta":
        from .smoothing import fit_theta

        mean, sd, alpha = fit_theta(arr, h)
        sigma = sd[0, 0]
        e = sigma * z
        level_shift = np.c_[np.zeros(draws), alpha[0] * np.cumsum(e, axis=1)[:, :-1]]
        return mean[0] + e + level_shift
    if method in ("naive", "naive2", "drift"):
        d = np.diff(arr)
        if method == "drift":
            drift = (arr[-1] - arr[0]) / (T - 1)
            sigma = np.sqrt(np.sum((d - drift) ** 2) / max(T - 2, 1))
            drifts = drift + sigma / np.sqrt(T - 1) * z_drift
        else:
            sigma = np.sqrt(np.mean(d**2))
            drifts = np.zeros((draws, 1))
        return arr[-1] + np.cumsum(drifts + sigma * z, axis=1)
    kinds = ("ses", "holt", "damped") if method == "ets" else (method,)
    fits = [fit_smoothing(arr, k) for k in kinds]
    f = fits[int(np.argmin([fit.aicc[0] for fit in fits]))]
    a, b, phi = f.alpha[0], f.beta[0], f.phi[0]
    sigma = np.sqrt(f.sigma2[0])
    lev = np.full(draws, f.level[0])
    slo = np.full(draws, f.slope[0])
    out = np.empty((draws, h))
    for j in range(h):  # the state recursion runs forward in time, all draws at once
        e = sigma * z[:, j]
        out[:, j] = lev + phi * slo + e
        lev, slo = lev + phi * slo + a * e, phi * slo + b * e
    return out


def simulate_combination(y, h: int, members, *, draws: int = 2000, seed: int = 12) -> np.ndarray:
    """Paths of the median combination: every member is simulated with the same standard
    normals (common random numbers) and each draw's path is the median across members — the
    combination's own rule applied path by path. Grey members are left out: they have no
    error model, and a fixed forecast in every draw made it the median of nearly half the
    draws (a spike that no fan showed). Draw the fan from these paths
    (:func:`fan_from_paths`) so that fan and probabilities agree.

    Examples
    --------
    >>> p = simulate_combination([1.0, 2, 3, 4, 5, 6, 7, 8], 2, ["drift", "holt", "gm11"], draws=300)
    >>> p.shape
    (300, 2)
    """
    from .models import GREY_METHODS

    arr = check_series(y, "simulate_combination")
    normals = np.random.default_rng(seed).standard_normal((draws, h + 1))
    stack = []
    for m in members:
        if m in SIMULABLE:
            stack.append(simulate_paths(arr, h, m, draws=draws, normals=normals))
        elif m in GREY_METHODS:
            continue
        else:
            raise DataError(Issue(f"simulate_combination: member {m!r} cannot be simulated"))
    if not stack:
        raise DataError(Issue("simulate_combination: no member with an error model (grey models "
                              "have none) to simulate"))
    return np.nanmedian(np.stack(stack), axis=0)
