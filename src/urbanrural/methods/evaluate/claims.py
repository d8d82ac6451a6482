"""Claims of the policy-evaluation layer: every reading the evaluation section prints about
agreement, a pre-trend, an effect's sign or a synthetic control's validity is decided here.

Rules
-----
* **TWFE vs Callaway–Sant'Anna** (:func:`twfe_agreement_claim`): ``"disagree"`` when the two
  estimates have opposite signs, or differ by more than √(se₁² + se₂²) (one combined standard
  error); else ``"agree"``. The notes say which rule fired.
* **Pre-trends** (:func:`pretrend_claim`): the Wald pre-test rejects parallel pre-trends
  when p < α.
* **Effect** (:func:`effect_claim`): ``"negative"`` / ``"positive"`` only when the two-sided
  p < α (normal test of estimate/se, or a given placebo p-value); else ``"not_significant"``.
* The convex-hull check of a synthetic control is
  :func:`urbanrural.methods.evaluate.synth.convex_hull_claim`.

Examples
--------
>>> twfe_agreement_claim(-0.0365, 0.0148, -0.0400, 0.0120).verdict
'agree'
>>> twfe_agreement_claim(0.02, 0.01, -0.05, 0.01).notes
('sign_differs', 'beyond_se')
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..claims import Claim

__all__ = ["EVALUATION_LABELS", "twfe_agreement_claim", "pretrend_claim", "effect_claim",
           "evaluation_label", "prefit_claim"]

EVALUATION_LABELS: dict[str, tuple[str, str]] = {
    "agree": ("一致", "agree"),
    "disagree": ("不一致", "disagree"),
    "sign_differs": ("符号相反", "the signs differ"),
    "beyond_se": ("差异超过合并标准误", "they differ by more than their combined standard error"),
    "pretrends_rejected": ("拒绝平行前趋势", "parallel pre-trends rejected"),
    "pretrends_not_rejected": ("未拒绝平行前趋势", "parallel pre-trends not rejected"),
    "no_pretest": ("无可检验的处理前期", "no pre-treatment period to test"),
    "negative": ("显著为负", "significantly negative"),
    "positive": ("显著为正", "significantly positive"),
    "not_significant": ("不显著", "not significant"),
    "no_inference": ("无可用的推断", "no inference available"),
    "single_treated_unit": ("仅一个处理单位：基于影响函数的标准误与前趋势检验无效，请看合成控制与SDID",
                            "a single treated unit: influence-function standard errors and the "
                            "pre-test are not valid; see the synthetic control and SDID"),
    "inside_hull": ("处理前拟合良好，处于对照组凸包内", "good pre-treatment fit, inside the donors' hull"),
    "outside_hull": ("处理组处理前结果超出对照组范围（凸包外），差值不能解读为效应",
                     "the treated unit's pre-treatment outcome lies outside the donors' range "
                     "(outside the convex hull): the gap cannot be read as an effect"),
    "poor_fit": ("处理前拟合误差相对效应过大，差值不能解读为效应",
                 "the pre-treatment misfit is large relative to the effect: the gap cannot be "
                 "read as an effect"),
    "good_pre_fit": ("处理前拟合误差小于效应的一半", "the pre-treatment misfit is under half the effect"),
}


def evaluation_label(code: str, lang: str = "zh") -> str:
    """The words for a verdict or note code of this module (``lang`` ``"zh"`` or ``"en"``)."""
    zh, en = EVALUATION_LABELS[code]
    return zh if lang == "zh" else en


def twfe_agreement_claim(twfe: float, twfe_se: float, cs: float, cs_se: float) -> Claim:
    """Do the TWFE and the Callaway–Sant'Anna overall ATT tell the same story?

    Examples
    --------
    >>> twfe_agreement_claim(0.10, 0.01, 0.02, 0.01).verdict
    'disagree'
    """
    combined = float(np.hypot(twfe_se, cs_se))
    notes = []
    if np.sign(twfe) != np.sign(cs):
        notes.append("sign_differs")
    if abs(twfe - cs) > combined:
        notes.append("beyond_se")
    return Claim("twfe_vs_cs", "disagree" if notes else "agree",
                 {"twfe": float(twfe), "twfe_se": float(twfe_se), "cs": float(cs),
                  "cs_se": float(cs_se), "difference": float(twfe - cs),
                  "combined_se": combined},
                 method="opposite signs, or |TWFE − CS| > √(se_TWFE² + se_CS²)",
                 notes=tuple(notes))


def pretrend_claim(p_value: float, *, alpha: float = 0.05, stat: float = float("nan"),
                   df: int = 0) -> Claim:
    """The Wald pre-test of parallel trends as a reading.

    Examples
    --------
    >>> pretrend_claim(0.168, stat=7.79, df=5).verdict
    'pretrends_not_rejected'
    """
    if not np.isfinite(p_value):
        verdict = "no_pretest"
    else:
        verdict = "pretrends_rejected" if p_value < alpha else "pretrends_not_rejected"
    return Claim("pretrend", verdict, {"p_value": float(p_value), "alpha": alpha,
                                       "stat": float(stat), "df": int(df)},
                 method="Wald test of the pre-treatment ATT(g,t), χ²(df)")


def prefit_claim(pre_rmse: float, estimate: float, *, fit_ratio: float = 0.5) -> Claim:
    """Is the pre-treatment misfit small beside the effect (designs with a level shift)?

    ``"poor_fit"`` when pre-RMSE ≥ ``fit_ratio`` · |estimate| (the rule of
    :func:`~urbanrural.methods.evaluate.synth.convex_hull_claim`, without the donor-range
    part, which a design with unit intercepts — SDID, DiD — does not need); else
    ``"good_pre_fit"``. Either way the pre-RMSE is that of the weighted, level-shifted
    pre-treatment gap.

    Examples
    --------
    >>> prefit_claim(0.4, 1.0).verdict, prefit_claim(0.6, -1.0).verdict
    ('good_pre_fit', 'poor_fit')
    """
    ratio = float(pre_rmse / abs(estimate)) if estimate != 0 else float("inf")
    verdict = "poor_fit" if not ratio < fit_ratio else "good_pre_fit"
    return Claim("pre_fit", verdict, {"pre_rmse": float(pre_rmse), "estimate": float(estimate),
                                      "rmse_to_effect": ratio, "fit_ratio": float(fit_ratio)},
                 method=f"pre-treatment RMSE ≥ {fit_ratio:g}·|estimate| is a poor fit")


def effect_claim(estimate: float, se: float = float("nan"), *, alpha: float = 0.05,
                 p_value: float | None = None) -> Claim:
    """Sign of an effect, claimed only when significant.

    With ``p_value`` given (a placebo rank p-value) it is used as is; else p = 2Φ(−|est/se|).

    Examples
    --------
    >>> effect_claim(-0.04, 0.012).verdict
    'negative'
    >>> effect_claim(-0.58, p_value=0.0625).verdict
    'not_significant'
    """
    if p_value is None:
        p_value = (float(2 * stats.norm.sf(abs(estimate / se)))
                   if np.isfinite(se) and se > 0 else float("nan"))
    if not np.isfinite(p_value):
        verdict = "no_inference"
    elif p_value < alpha:
        verdict = "negative" if estimate < 0 else "positive"
    else:
        verdict = "not_significant"
    return Claim("effect", verdict, {"estimate": float(estimate), "se": float(se),
                                     "p_value": float(p_value), "alpha": alpha},
                 method="two-sided test (normal, or placebo rank)")
