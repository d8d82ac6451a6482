"""Target paths: the growth a ratio target needs, the year a path meets a target, and the
probability of meeting it from simulated forecast paths.

* Ratio ``r = Y_u/Y_r`` falls from ``r₀`` to ``r_T`` in T years when
  ``(1 + g_r) = (1 + g_u)(r₀/r_T)^{1/T}``, i.e. ``g_r = (1 + g_u)(r₀/r_T)^{1/T} − 1``
  (constant annual growth rates; the ratio of two compounding incomes).
* The year a target is met on a path is the first year whose value is at or past it.
* The probability of meeting a target by a year is the share of simulated paths whose value
  in that year is at or past the target. Paths are simulated from the model's own
  state-space form with Gaussian innovations (Hyndman et al. 2008, §6.1), so they carry the
  same uncertainty as the fan.
"""

from __future__ import annotations

import numpy as np

from ...data.errors import DataError, Issue
from .models import check_series
from .smoothing import fit_smoothing

__all__ = ["required_growth", "year_target_met", "probability_target_met", "simulate_paths",
           "simulate_combination", "SIMULABLE"]

SIMULABLE = ("naive", "naive2", "drift", "ses", "holt", "damped", "ets", "theta")


def required_growth(r0, target, years, urban_growth):
    """The rural growth rate that takes the urban–rural ratio from ``r0`` to ``target`` in
    ``years`` years when urban incomes grow at ``urban_growth`` (fractions, not per cent):
    ``g_r = (1 + g_u)(r₀/r_T)^{1/T} − 1``. Arrays broadcast.

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
                           direction: str = "below") -> float:
    """Share of simulated ``paths`` (draws × years) whose value in ``year`` is at or past
    ``target``.

    Examples
    --------
    >>> probability_target_met([2030, 2035], [[2.1, 1.9], [2.2, 2.1], [2.0, 1.7], [2.3, 2.0]], 2.0, 2035)
    0.75
    """
    y = np.asarray(years, int)
    p = np.asarray(paths, float)
    if year not in set(y.tolist()):
        raise DataError(Issue(f"probability_target_met: year {year} is not on the path "
                              f"({y[0]}–{y[-1]})"))
    col = p[:, int(np.flatnonzero(y == year)[0])]
    met = col <= target if direction == "below" else col >= target
    return float(np.mean(met))


def simulate_paths(y, h: int, method: str, *, draws: int = 2000, seed: int = 12,
                   normals: np.ndarray | None = None) -> np.ndarray:
    """``draws`` future paths (draws × h) of ``method`` fitted to all of ``y``, simulated from
    its state-space form with Gaussian innovations of the fitted variance (for the random
    walk with drift, the drift's own sampling error is drawn too, as its interval formula
    counts it; Theta is SES with drift, so its paths are its mean path plus SES innovations,
    ``e_j + α Σ_{i<j} e_i``). Vectorised over draws; the loop runs over the h steps.
    ``normals`` (draws × (h + 1) standard normals) gives common random numbers across models.

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
    normals (common random numbers), a grey member contributes its deterministic forecast
    to every draw, and each draw's path is the median across members — the combination's
    own rule applied path by path, so the paths centre on the combination's forecast.

    Examples
    --------
    >>> p = simulate_combination([1.0, 2, 3, 4, 5, 6, 7, 8], 2, ["drift", "holt", "gm11"], draws=300)
    >>> p.shape
    (300, 2)
    """
    from .models import GREY_METHODS, paths

    arr = check_series(y, "simulate_combination")
    normals = np.random.default_rng(seed).standard_normal((draws, h + 1))
    stack = []
    for m in members:
        if m in SIMULABLE:
            stack.append(simulate_paths(arr, h, m, draws=draws, normals=normals))
        elif m in GREY_METHODS:
            stack.append(np.broadcast_to(paths(arr, h, m)[0][0], (draws, h)))
        else:
            raise DataError(Issue(f"simulate_combination: member {m!r} cannot be simulated"))
    return np.nanmedian(np.stack(stack), axis=0)
