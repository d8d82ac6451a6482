"""Claims the paths section prints, each decided from numbers by a stated rule (the pattern of
:mod:`urbanrural.methods.claims`; verdict words in both languages in :data:`PATH_LABELS`).

Rules
-----
* **Beats the benchmark**: a method beats Naive2 out of sample when its rolling-origin MASE
  relative to Naive2 is below 1 − ``margin`` (default 0.05: a 5 % edge, so that a tie in the
  third decimal is not called a win); above 1 + margin it is worse; otherwise level. With
  fewer than ``minimum_n`` scored errors (default :data:`MIN_SCORED_ERRORS` = 10) no verdict
  is given (``too_few_errors``): 7 overlapping errors from 4 origins cannot rank methods.
* **Growth gap**: rural incomes must grow faster than urban ones when the required gap is
  above ``tolerance`` points (default 0.005), slower when below −tolerance, else the same.
* **Target year**: on the point forecast, the target is met by the target year, met later
  within the horizon, or not met within the horizon.
* **Likelihood** from the simulated paths' probability p of meeting the target by the target
  year (in any year up to it): ``likely`` (p ≥ 2/3), ``unlikely`` (p ≤ 1/3), else ``about_even`` — the IPCC
  calibrated-language bands (Mastrandrea et al. 2010) at their coarsest.
* **Ex-ante projection scored**: a projection over- or under-estimated the outcome when
  their difference exceeds ``tolerance`` (default 0.1, in the series' unit); else on target.
"""

from __future__ import annotations

import numpy as np

from ..claims import Claim

__all__ = ["PATH_LABELS", "path_label", "benchmark_claim", "target_claim", "likelihood_claim",
           "projection_claim", "growth_gap_claim", "MIN_SCORED_ERRORS"]

# fewest backtest errors on which "beats Naive2" (and a grey model's entry) may be decided
MIN_SCORED_ERRORS = 10

PATH_LABELS: dict[str, tuple[str, str]] = {
    "beats_naive2": ("样本外优于Naive2基准", "beats Naive2 out of sample"),
    "level_with_naive2": ("与Naive2基准相当", "level with Naive2"),
    "worse_than_naive2": ("样本外不如Naive2基准", "worse than Naive2 out of sample"),
    "too_few_errors": ("回测误差太少，无法判断（少于10个）", "too few backtest errors to judge (under 10)"),
    "met_by_target_year": ("按预测路径不晚于目标年份达到", "met by the target year on the forecast path"),
    "met_after_target_year": ("按预测路径在目标年份之后才达到",
                              "met only after the target year on the forecast path"),
    "not_met_within_horizon": ("预测期内未达到", "not met within the forecast horizon"),
    "likely": ("可能（概率≥2/3）", "likely (probability ≥ 2/3)"),
    "about_even": ("可能性居中（1/3—2/3）", "about as likely as not (1/3–2/3)"),
    "unlikely": ("不太可能（概率≤1/3）", "unlikely (probability ≤ 1/3)"),
    "overestimated": ("高估了实际值", "overestimated the outcome"),
    "underestimated": ("低估了实际值", "underestimated the outcome"),
    "on_target": ("与实际值相符（误差在容差内）", "on target (within the tolerance)"),
    "rural_faster": ("农村居民收入需比城镇增长更快", "rural incomes must grow faster than urban ones"),
    "rural_slower": ("农村居民收入增长可慢于城镇", "rural incomes may grow more slowly than urban ones"),
    "same_growth": ("农村与城镇居民收入增速相同即可", "rural and urban incomes growing alike suffice"),
}


def path_label(code: str, lang: str = "zh") -> str:
    """The words for a verdict code of this module.

    Examples
    --------
    >>> path_label("likely", "en")
    'likely (probability ≥ 2/3)'
    """
    zh, en = PATH_LABELS[code]
    return zh if lang == "zh" else en


def benchmark_claim(relative_mase: float, *, n: int | None = None, margin: float = 0.05,
                    minimum_n: int = MIN_SCORED_ERRORS) -> Claim:
    """Whether a method beats Naive2 out of sample (see the module rules); ``n`` is the
    number of backtest errors behind ``relative_mase`` (below ``minimum_n``: no verdict).

    Examples
    --------
    >>> benchmark_claim(0.5).verdict, benchmark_claim(1.02).verdict, benchmark_claim(1.3).verdict
    ('beats_naive2', 'level_with_naive2', 'worse_than_naive2')
    >>> benchmark_claim(0.54, n=7).verdict
    'too_few_errors'
    """
    r = float(relative_mase)
    if n is not None and int(n) < minimum_n:
        verdict = "too_few_errors"
    else:
        verdict = ("beats_naive2" if r < 1 - margin else "worse_than_naive2" if r > 1 + margin
                   else "level_with_naive2")
    return Claim("benchmark", verdict, {"relative_mase": r, "margin": margin, "n": n,
                                        "minimum_n": minimum_n},
                 "rolling-origin MASE relative to Naive2")


def growth_gap_claim(gap_pp: float, *, tolerance: float = 0.005) -> Claim:
    """Must rural incomes grow faster than urban ones (``gap_pp`` = required rural growth
    minus urban growth, percentage points)?

    Examples
    --------
    >>> growth_gap_claim(1.09).verdict, growth_gap_claim(-0.4).verdict, growth_gap_claim(0.0).verdict
    ('rural_faster', 'rural_slower', 'same_growth')
    """
    g = float(gap_pp)
    verdict = ("rural_faster" if g > tolerance else "rural_slower" if g < -tolerance
               else "same_growth")
    return Claim("growth_gap", verdict, {"gap_pp": g, "tolerance": tolerance},
                 "required rural growth minus urban growth")


def target_claim(year_met: float, target_year: int, last_year: int) -> Claim:
    """Met by the target year, after it, or not within the horizon ending ``last_year``.

    Examples
    --------
    >>> target_claim(2031.0, 2035, 2035).verdict, target_claim(float("nan"), 2035, 2035).verdict
    ('met_by_target_year', 'not_met_within_horizon')
    """
    if not np.isfinite(year_met):
        verdict = "not_met_within_horizon"
    elif year_met <= target_year:
        verdict = "met_by_target_year"
    else:
        verdict = "met_after_target_year"
    return Claim("target", verdict, {"year_met": year_met, "target_year": target_year,
                                     "last_year": last_year}, "first year on the point path")


def likelihood_claim(probability: float) -> Claim:
    """Likely / about even / unlikely from a probability (see the module rules).

    Examples
    --------
    >>> [likelihood_claim(p).verdict for p in (0.9, 0.5, 0.1)]
    ['likely', 'about_even', 'unlikely']
    """
    p = float(probability)
    verdict = "likely" if p >= 2 / 3 else "unlikely" if p <= 1 / 3 else "about_even"
    return Claim("likelihood", verdict, {"probability": p}, "share of simulated paths")


def projection_claim(projected: float, actual: float, *, tolerance: float = 0.1) -> Claim:
    """Did an ex-ante projection over- or under-estimate what happened?

    Examples
    --------
    >>> projection_claim(61.43, 63.89).verdict
    'underestimated'
    """
    d = float(projected) - float(actual)
    verdict = "on_target" if abs(d) <= tolerance else "overestimated" if d > 0 else "underestimated"
    return Claim("projection", verdict, {"projected": float(projected), "actual": float(actual),
                                         "error": d, "tolerance": tolerance},
                 "projection minus outcome")
