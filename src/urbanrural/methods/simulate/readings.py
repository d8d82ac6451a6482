"""Readings of the simulation as tested claims: whether the model forecast a series at least
as well as the naive benchmark, which lever narrows the income ratio most by the target year
(and whether that ranking survives the parameter uncertainty), and the sign of each effect.

Rules
-----
* **Validation**: the out-of-sample log errors of the model and of the random walk on the
  same test years (Hyndman & Athanasopoulos 2021, sec. 5.8) are compared by the
  Diebold–Mariano test with the small-sample correction of Harvey, Leybourne & Newbold (1997)
  at the 5 % level (two-sided, squared-error loss, :math:`h = 1`): ``naive_better`` or
  ``model_better`` when significant, else ``indistinguishable``; fewer than three test
  years are ``too_short``. The model is *at least as good* (its scenarios may be shown) when
  the verdict is ``model_better`` or ``indistinguishable``. Errors of one forecast origin
  are autocorrelated, which makes the test reject too often — towards hiding the model
  whenever it is worse, the cautious side.
* **Identification**: a lever's reading is made only when every calibrated parameter its
  mechanism runs through (:data:`LEVER_PARAMETERS`) is off its bounds and, for a profiled
  parameter, its 95 % profile-likelihood region (ΔRSS/ŝ² ≤ χ²₁(0.95) = 3.84) ends inside
  the bounds (both bounds profiled and outside it); otherwise the effect is ``no_reading``.
* **Effect**: a scenario's effect on a quantity (paired with the baseline draw by draw) is
  ``negligible`` when its whole 90 % band lies within ± a stated tolerance, a rise or fall
  when the band excludes zero (5th and 95th percentiles on one side), and otherwise
  ``no_clear_effect``.
* **Largest lever**: the scenario with the lowest median paired effect on the ratio is the
  largest narrowing only if its paired difference from the runner-up is below
  −max(ε_abs, ε_rel · |median effect|) in 95 % of draws (a
  margin that matters, not a rounding difference: defaults 0.01 and 5 %); otherwise
  ``not_distinguishable`` (the two are listed together). Only scenarios whose levers pass the
  identification rule take part (the pipeline lists the others as ``excluded``).

Examples
--------
>>> validation_claim([0.1, 0.1, 0.1], [0.3, 0.3, 0.3]).verdict
'model_better'
>>> effect_claim(np.array([-0.3, -0.2, -0.1])).verdict
'falls'
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..claims import Claim

__all__ = ["AT_LEAST_AS_GOOD", "LEVER_PARAMETERS", "READING_LABELS", "effect_claim",
           "identification_claim", "largest_narrowing_claim", "validation_claim"]

#: validation verdicts under which the model counts as at least as good as the benchmark
AT_LEAST_AS_GOOD = ("model_better", "indistinguishable")

#: the calibrated parameters each lever's mechanism runs through (model equations 4, 5, 8):
#: the friction cut acts on τ (τ₀ e^{λt}) through the migration speed μ; rural TFP adds to
#: g_R; the other levers act through fixed parameters or the state only
LEVER_PARAMETERS = {"friction_cut": ("mu", "tau0", "tau_trend"), "rural_tfp": ("g_rural",),
                    "rural_investment": (), "land_transfer": (), "public_transfer": ()}

READING_LABELS = {
    "model_better": ("模型显著优于朴素基准（DM检验，5%）",
                     "the model is significantly better than the naive benchmark (DM test, 5 %)"),
    "indistinguishable": ("模型与朴素基准无显著差异（DM检验，5%），视为不逊于基准",
                                       "the model and the naive benchmark cannot be told apart "
                                       "(DM test, 5 %): counted as at least as good"),
    "naive_better": ("朴素基准显著优于模型（DM检验，5%）",
                     "the naive benchmark is significantly better than the model (DM test, 5 %)"),
    "too_short": ("检验年数不足三年，无法检验", "fewer than three test years: cannot be tested"),
    "no_reading": ("不作判断：其机制取决于位于取值边界或未被识别的参数（见剖面似然表）",
                   "no reading: its mechanism rests on a parameter at its bound or not identified "
                   "(see the profile-likelihood table)"),
    "identified": ("已识别（95%剖面似然区间在取值范围之内）",
                   "identified (the 95 % profile-likelihood region ends inside the bounds)"),
    "interior": ("未在取值边界", "off its bounds"),
    "at_bound": ("位于取值边界", "at its bound"),
    "not_identified": ("未被识别（95%剖面似然区间触及取值边界）",
                       "not identified (the 95 % profile-likelihood region reaches a bound)"),
    "not_checked": ("未检验剖面似然", "profile likelihood not checked"),
    "rises": ("上升", "rises"), "falls": ("下降", "falls"),
    "no_clear_effect": ("无明确影响（90%区间含0）", "no clear effect (the 90 % band includes zero)"),
    "negligible": ("影响可忽略（90%区间在容差之内）", "negligible (the 90 % band lies within the tolerance)"),
    "largest": ("缩小最多", "narrows it most"),
    "not_distinguishable": ("与次优情景无法区分", "cannot be told apart from the runner-up"),
    "none_narrows": ("没有情景明确缩小", "no scenario clearly narrows it"),
}


def validation_claim(model_errors, naive_errors, *, alpha: float = 0.05,
                     min_years: int = 3) -> Claim:
    """Whether the model forecast at least as well as the naive benchmark: the
    Diebold–Mariano test with the Harvey–Leybourne–Newbold correction
    (:func:`~urbanrural.methods.simulate.calibrate.diebold_mariano`) on the two series of
    out-of-sample log errors (same years), two-sided at ``alpha``. ``values`` hold both RMSEs
    (in %), their ratio, the statistic and its p-value.

    Examples
    --------
    >>> c = validation_claim(np.sqrt([0.5, 1.5, 0.5, 1.5]), np.zeros(4))  # DM* = 2√3 = 3.46
    >>> c.verdict, round(c.values["statistic"], 2)
    ('naive_better', 3.46)
    """
    from .calibrate import diebold_mariano

    e_m, e_n = np.asarray(model_errors, float), np.asarray(naive_errors, float)
    rm, rn = (100 * float(np.sqrt(np.mean(e ** 2))) if e.size else float("nan") for e in (e_m, e_n))
    dm = diebold_mariano(e_m, e_n)
    if e_m.size < min_years or not np.isfinite(dm["p_value"]):
        verdict = "too_short"
    elif dm["p_value"] < alpha:
        verdict = "naive_better" if dm["statistic"] > 0 else "model_better"
    else:
        verdict = "indistinguishable"
    return Claim("validation", verdict, {"model_rmse": rm, "naive_rmse": rn,
                                         "ratio": rm / rn if rn > 0 else float("inf"),
                                         "statistic": dm["statistic"], "p_value": dm["p_value"],
                                         "years": int(e_m.size), "alpha": alpha},
                 "Diebold–Mariano test (Harvey, Leybourne & Newbold 1997) of the squared "
                 "out-of-sample log errors against a random walk with drift")


def identification_claim(parameter: str, estimate: float, *, bounds: tuple[float, float],
                         profile_values=None, profile_delta=None,
                         critical: float = 3.841458820694124, atol: float = 1e-6) -> Claim:
    r"""Whether a lever may be read through ``parameter``: ``at_bound`` when the estimate
    lies within ``atol`` of a bound; with a profile (values and
    :math:`\Delta\mathrm{RSS}/\hat s^2` at each), ``not_identified`` when a profiled bound
    lies inside the region (:math:`\Delta \le` ``critical``, the 95 % point of
    :math:`\chi^2_1`), ``not_checked`` when a bound was not profiled, else ``identified``;
    without a profile, ``interior``.

    Examples
    --------
    >>> identification_claim("tau_trend", -0.3, bounds=(-0.3, 0.3)).verdict
    'at_bound'
    >>> identification_claim("tau_trend", -0.04, bounds=(-0.3, 0.3),
    ...                      profile_values=[-0.3, -0.04, 0.3],
    ...                      profile_delta=[2.0, 0.0, 50.0]).verdict
    'not_identified'
    """
    lo, hi = bounds
    values = {"parameter": parameter, "estimate": float(estimate), "lower": lo, "upper": hi,
              "critical": critical}
    if abs(estimate - lo) <= atol or abs(estimate - hi) <= atol:
        return Claim("identification", "at_bound", values, "estimate at a bound")
    if profile_values is None:
        return Claim("identification", "interior", values, "estimate off its bounds")
    v = np.asarray(profile_values, float)
    delta = np.asarray(profile_delta, float)
    verdict = "identified"
    for b in (lo, hi):
        at = np.abs(v - b) <= atol
        if not at.any():
            verdict = "not_checked" if verdict == "identified" else verdict
        elif (delta[at] <= critical).any():
            verdict = "not_identified"
    values["region"] = [float(x) for x in v[delta <= critical]]
    return Claim("identification", verdict, values,
                 "profile likelihood: ΔRSS/s² against χ²₁(0.95) at both bounds")


def effect_claim(differences: np.ndarray, *, level: float = 0.90, tolerance: float = 0.0) -> Claim:
    """The sign of a paired effect: ``negligible`` when the central ``level`` band of the
    draw-by-draw differences lies within ``± tolerance``, ``rises``/``falls`` when it excludes
    zero, else ``no_clear_effect``.

    Examples
    --------
    >>> effect_claim(np.array([0.001, 0.002, 0.004]), tolerance=0.01).verdict
    'negligible'
    """
    d = np.asarray(differences, float)
    lo, med, hi = np.quantile(d, [(1 - level) / 2, 0.5, (1 + level) / 2])
    if max(abs(lo), abs(hi)) < tolerance:
        verdict = "negligible"
    else:
        verdict = "falls" if hi < 0 else "rises" if lo > 0 else "no_clear_effect"
    return Claim("effect", verdict, {"p_low": float(lo), "median": float(med), "p_high": float(hi),
                                     "level": level, "draws": int(d.size), "tolerance": tolerance},
                 f"paired {int(level * 100)} % band of scenario − baseline over parameter draws")


def largest_narrowing_claim(effects: Mapping[str, np.ndarray], *, level: float = 0.95,
                            tol_abs: float = 0.01, tol_rel: float = 0.05) -> Claim:
    """Which scenario lowers the ratio most (paired effects per draw, ``key → array``).

    Examples
    --------
    >>> c = largest_narrowing_claim({"a": np.array([-0.2, -0.3, -0.25]),
    ...                              "b": np.array([-0.1, -0.1, -0.12])})
    >>> c.verdict, c.values["scenario"]
    ('largest', 'a')
    """
    keys = list(effects)
    med = {k: float(np.median(effects[k])) for k in keys}
    order = sorted(keys, key=lambda k: med[k])
    best = order[0]
    values = {"scenario": best, "median": med[best], "order": order}
    if np.quantile(effects[best], 0.95) >= 0:
        return Claim("largest_narrowing", "none_narrows", values, "paired 90 % band")
    if len(order) == 1:
        return Claim("largest_narrowing", "largest", values, "single scenario")
    second = order[1]
    gap = np.asarray(effects[best]) - np.asarray(effects[second])
    margin = max(tol_abs, tol_rel * abs(med[best]))
    share = float(np.mean(gap < -margin))
    values.update({"runner_up": second, "share_below_runner_up": share, "margin": margin,
                   "median_gap": float(np.median(gap))})
    verdict = "largest" if share >= level else "not_distinguishable"
    return Claim("largest_narrowing", verdict, values,
                 f"paired difference from the runner-up below −{margin:.3g} in ≥ "
                 f"{int(level * 100)} % of draws")


def friction_band_claim(p05: float, p95: float, published: float) -> Claim:
    """Does the 90 % band of the calibrated change of the migration cost contain a published
    estimate, and is it wide?

    Verdicts: ``covers_wide`` (the band contains ``published`` and is wider than
    ``|published|`` itself, so the data identify the change only weakly), ``covers`` (it
    contains it and is narrower) and ``excludes``.

    Examples
    --------
    >>> friction_band_claim(-98.8, -70.3, -45.0).verdict
    'excludes'
    >>> friction_band_claim(-99.0, -10.0, -45.0).verdict, friction_band_claim(-50, -40, -45).verdict
    ('covers_wide', 'covers')
    """
    lo, hi = min(p05, p95), max(p05, p95)
    values = {"p05": float(p05), "p95": float(p95), "published": float(published),
              "width": float(hi - lo)}
    if not lo <= published <= hi:
        return Claim("friction_band", "excludes", values, "published estimate outside the band")
    verdict = "covers_wide" if hi - lo > abs(published) else "covers"
    return Claim("friction_band", verdict, values, "band width against |published|")
