"""Readings of the simulation as tested claims: whether the model forecast a series at least
as well as the naive benchmark, which lever narrows the income ratio most by the target year
(and whether that ranking survives the parameter uncertainty), and the sign of each effect.

Rules
-----
* **Validation**: the model is *at least as good* when its out-of-sample root mean squared
  log error is not larger than the random walk's (Hyndman & Athanasopoulos 2021, sec. 5.8:
  compare with a benchmark on the same test years).
* **Effect**: a scenario's effect on a quantity (paired with the baseline draw by draw) is
  ``negligible`` when its whole 90 % band lies within ± a stated tolerance, a rise or fall
  when the band excludes zero (5th and 95th percentiles on one side), and otherwise
  ``no_clear_effect``.
* **Largest lever**: the scenario with the lowest median paired effect on the ratio is the
  largest narrowing only if its paired difference from the runner-up is below
  −max(ε_abs, ε_rel · |median effect|) in 95 % of draws (a
  margin that matters, not a rounding difference: defaults 0.01 and 5 %); otherwise
  ``not_distinguishable`` (the two are listed together).

Examples
--------
>>> validation_claim(2.0, 3.0).verdict, validation_claim(3.0, 2.0).verdict
('model_at_least_as_good', 'naive_better')
>>> effect_claim(np.array([-0.3, -0.2, -0.1])).verdict
'falls'
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..claims import Claim

__all__ = ["READING_LABELS", "effect_claim", "largest_narrowing_claim", "validation_claim"]

READING_LABELS = {
    "model_at_least_as_good": ("模型不逊于朴素基准", "the model is at least as good as the naive benchmark"),
    "naive_better": ("朴素基准优于模型", "the naive benchmark is better than the model"),
    "rises": ("上升", "rises"), "falls": ("下降", "falls"),
    "no_clear_effect": ("无明确影响（90%区间含0）", "no clear effect (the 90 % band includes zero)"),
    "negligible": ("影响可忽略（90%区间在容差之内）", "negligible (the 90 % band lies within the tolerance)"),
    "largest": ("缩小最多", "narrows it most"),
    "not_distinguishable": ("与次优情景无法区分", "cannot be told apart from the runner-up"),
    "none_narrows": ("没有情景明确缩小", "no scenario clearly narrows it"),
}


def validation_claim(model_rmse: float, naive_rmse: float) -> Claim:
    """Whether the model's out-of-sample error is at most the naive benchmark's."""
    verdict = "model_at_least_as_good" if model_rmse <= naive_rmse else "naive_better"
    return Claim("validation", verdict, {"model_rmse": float(model_rmse),
                                         "naive_rmse": float(naive_rmse),
                                         "ratio": float(model_rmse / naive_rmse)
                                         if naive_rmse > 0 else float("inf")},
                 "out-of-sample RMSE of logs against a random walk with drift")


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
