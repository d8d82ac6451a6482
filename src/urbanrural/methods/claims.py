"""Claims: every reading a report prints about a direction, rank, size, significance or
comparison is decided here, from the numbers, by a rule that a test checks.

A report sentence such as "the gap is narrowing" is only as true as the rule behind it. Each
function takes arrays, applies one stated rule and returns a frozen :class:`Claim` whose
``verdict`` is a code (``"falling"``, ``"no_significant_trend"``, …) and whose ``values`` hold
the numbers the sentence cites. Templates turn verdicts into words (:data:`VERDICT_LABELS`
gives both languages); they never decide a direction themselves.

Rules
-----
* **Change** (first → last) is descriptive: "fell" / "rose" / "unchanged" (within a relative
  tolerance). It says nothing about a trend.
* **Trend** is a claim about the whole series: Kendall's τ of the values on the years (the
  Mann–Kendall test, two-sided) with the Theil–Sen slope as its size. A direction is claimed
  only when p < α; otherwise the verdict is ``no_significant_trend``. Fewer than
  ``min_points`` observations give ``too_short``. Mann–Kendall assumes independent
  residuals; positively autocorrelated annual series make its p-values optimistic (Hamed &
  Rao 1998), so α is kept at 0.05 and the test is named in every reading.
* **Gap** trend: a falling urban/rural ratio (or difference) is ``narrowing``, a rising one
  ``widening``, by the trend rule.
* **Ranks** break ties by listing every tied unit: a "top 3" with a tie at third place lists
  four.
* **Comparisons** of two estimates with standard errors claim a difference only when
  |a − b| > z·√(se_a² + se_b²); without standard errors, only beyond a relative tolerance.
* **Comparability over time**: an index normalised per year ranks regions within a year; a
  change of its score over time is not a change of level. Pooled or fixed-goalpost
  normalisation allows comparisons over time.

Examples
--------
>>> c = trend_claim([2013, 2014, 2015, 2016, 2017, 2018], [2.81, 2.75, 2.73, 2.72, 2.71, 2.69])
>>> c.verdict, round(c.values["slope"], 3)
('falling', -0.015)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..data.errors import DataError, Issue

__all__ = ["Claim", "VERDICT_LABELS", "change_claim", "trend_claim", "gap_trend_claim",
           "rank_claim", "compare_claim", "convergence_claim", "between_share_claim",
           "comparability_claim", "label"]


@dataclass(frozen=True)
class Claim:
    """A reading decided from numbers.

    Attributes
    ----------
    kind : which rule decided it (``"change"``, ``"trend"``, ``"gap_trend"``, ``"rank"``, …).
    verdict : the decision, a code with a bilingual label in :data:`VERDICT_LABELS`.
    values : the numbers a sentence may cite (first, last, slope, p_value, …).
    method : the test or rule, in words (for footnotes).
    notes : caveats a reading must carry with it (codes with labels in VERDICT_LABELS).
    """

    kind: str
    verdict: str
    values: dict = field(default_factory=dict)
    method: str = ""
    notes: tuple[str, ...] = ()

    @property
    def significant(self) -> bool | None:
        p = self.values.get("p_value")
        alpha = self.values.get("alpha")
        if p is None or alpha is None or not np.isfinite(p):
            return None
        return bool(p < alpha)

    def to_frame(self) -> pd.DataFrame:
        """One row: kind, verdict, method and every value."""
        row = {"kind": self.kind, "verdict": self.verdict, "method": self.method,
               "notes": "; ".join(self.notes)}
        row.update({k: v for k, v in self.values.items() if np.isscalar(v)})
        return pd.DataFrame([row])


VERDICT_LABELS: dict[str, tuple[str, str]] = {
    "fell": ("下降", "fell"), "rose": ("上升", "rose"), "unchanged": ("基本不变", "was unchanged"),
    "rising": ("显著上升", "rising significantly"),
    "falling": ("显著下降", "falling significantly"),
    "no_significant_trend": ("无显著趋势", "no significant trend"),
    "too_short": ("序列过短，不判断趋势", "too short to judge a trend"),
    "narrowing": ("显著缩小", "narrowing significantly"),
    "widening": ("显著扩大", "widening significantly"),
    "higher": ("更高", "higher"), "lower": ("更低", "lower"),
    "similar": ("无显著差异", "not significantly different"),
    "ranked": ("排序", "ranked"),
    "sigma_convergence": ("σ收敛（离散度显著下降）", "σ-convergence (dispersion falls significantly)"),
    "sigma_divergence": ("σ发散（离散度显著上升）", "σ-divergence (dispersion rises significantly)"),
    "no_sigma_trend": ("离散度无显著趋势", "no significant trend in dispersion"),
    "beta_convergence": ("β收敛（初始水平低者增长显著更快）",
                         "β-convergence (initially poorer regions grow significantly faster)"),
    "beta_divergence": ("β发散", "β-divergence"),
    "no_beta": ("β系数不显著", "β not significant"),
    "log_t_convergence": ("log t检验不拒绝整体收敛", "log t test does not reject convergence"),
    "log_t_rejects": ("log t检验拒绝整体收敛", "log t test rejects overall convergence"),
    "agree": ("结论一致", "the readings agree"),
    "disagree": ("结论不一致", "the readings differ"),
    "beta_without_sigma": ("β收敛是σ收敛的必要而非充分条件：穷地区追赶的同时冲击可使离散度不降",
                           "β-convergence is necessary, not sufficient, for σ-convergence: "
                           "catching up can coexist with shocks that keep dispersion from "
                           "falling"),
    "log_t_relative": ("log t检验针对去除周期后的相对收敛，与β、σ检验的对象不同",
                       "the log t test asks whether filtered relative levels converge, a "
                       "different question from β and σ"),
    "between_dominates": ("组间差异为主", "between-group differences dominate"),
    "within_dominates": ("组内差异为主", "within-group differences dominate"),
    "dagum_overlap": ("达古姆组间净差距扣除了组间交叠（超变密度），故小于泰尔组间份额",
                      "Dagum's net between-group term excludes the overlap between groups "
                      "(transvariation), so it is smaller than Theil's between-group share"),
    "gini_linear_scale": ("达古姆组间净差距是各组均值的基尼系数，泰尔组间项是各组均值的泰尔T；"
                          "基尼系数随离差线性变化而泰尔T约随离差平方变化，同样的组间差异在基尼分解中份额更大",
                          "Dagum's net between-group term is the Gini of the group means and "
                          "Theil's between term the Theil T of the group means; the Gini grows "
                          "linearly with deviations and Theil T roughly with their square, so the "
                          "same group differences take a larger share of the Gini"),
    "comparable_over_time": ("各年可比（合并或固定目标值标准化）",
                             "comparable over time (pooled or fixed-goalpost normalisation)"),
    "not_comparable_over_time": ("逐年标准化，仅年内可比，分值变化不代表水平变化",
                                 "normalised per year: comparable within a year only; a change "
                                 "of score is not a change of level"),
    "ties_included": ("并列者一并列出", "ties listed together"),
}


def label(code: str, lang: str = "zh") -> str:
    """The words for a verdict or note code (``lang`` is ``"zh"`` or ``"en"``)."""
    zh, en = VERDICT_LABELS[code]
    return zh if lang == "zh" else en


def _series(years: Sequence, values: Sequence, what: str) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    if t.shape != y.shape or t.ndim != 1:
        raise DataError(Issue(f"{what}: years and values must be two 1-D arrays of one length"))
    bad = ~np.isfinite(y) | ~np.isfinite(t)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(Issue(f"{what}: a missing or infinite value at position {i} (year "
                              f"{years[i]}); drop missing years explicitly before a claim",
                              value=str(values[i])))
    if len(np.unique(t)) != len(t):
        raise DataError(Issue(f"{what}: a year appears twice"))
    order = np.argsort(t, kind="stable")
    return t[order], y[order]


def change_claim(years: Sequence, values: Sequence, *, rel_tol: float = 0.005) -> Claim:
    """First-to-last change, with the peak and trough: a description, not a trend test.

    ``verdict`` is ``"rose"`` or ``"fell"`` when |last − first| > rel_tol·|first|, else
    ``"unchanged"``. ``values``: first_year, first, last_year, last, change, pct_change,
    peak_year, peak, trough_year, trough.

    Examples
    --------
    >>> change_claim([2000, 2005, 2010], [3.0, 3.3, 3.2]).verdict
    'rose'
    """
    t, y = _series(years, values, "change")
    if len(y) < 2:
        raise DataError(Issue("a change needs at least two years"))
    first, last = float(y[0]), float(y[-1])
    diff = last - first
    verdict = "unchanged" if abs(diff) <= rel_tol * abs(first) else ("rose" if diff > 0 else "fell")
    ip, it = int(np.argmax(y)), int(np.argmin(y))
    return Claim("change", verdict, {
        "first_year": int(t[0]), "first": first, "last_year": int(t[-1]), "last": last,
        "change": diff, "pct_change": diff / first if first != 0 else float("nan"),
        "peak_year": int(t[ip]), "peak": float(y[ip]), "trough_year": int(t[it]),
        "trough": float(y[it])}, method=f"last minus first; unchanged within {rel_tol:.1%}")


def trend_claim(years: Sequence, values: Sequence, *, alpha: float = 0.05,
                min_points: int = 5) -> Claim:
    """Monotonic trend by the Mann–Kendall test (Kendall's τ on time), sized by Theil–Sen.

    ``verdict``: ``"rising"`` / ``"falling"`` when the two-sided p < ``alpha``,
    ``"no_significant_trend"`` otherwise, ``"too_short"`` below ``min_points`` years.
    ``values``: n, tau, p_value, alpha, slope (Theil–Sen, per year), slope_low/high (95 %).

    References: Mann (1945), Kendall (1975), Sen (1968).

    Examples
    --------
    >>> trend_claim([1, 2, 3, 4, 5, 6], [1, 3, 2, 3, 2, 3]).verdict
    'no_significant_trend'
    """
    t, y = _series(years, values, "trend")
    base = {"n": int(len(y)), "alpha": alpha}
    method = "Mann–Kendall test (two-sided), Theil–Sen slope"
    if len(y) < min_points:
        return Claim("trend", "too_short", {**base, "p_value": float("nan")}, method)
    if np.ptp(y) == 0:
        return Claim("trend", "no_significant_trend", {**base, "tau": 0.0, "p_value": 1.0,
                                                       "slope": 0.0}, method)
    tau, p = stats.kendalltau(t, y)
    slope, _, lo, hi = stats.theilslopes(y, t, alpha=0.95)
    verdict = "no_significant_trend"
    if p < alpha:
        verdict = "rising" if tau > 0 else "falling"
    return Claim("trend", verdict, {**base, "tau": float(tau), "p_value": float(p),
                                    "slope": float(slope), "slope_low": float(lo),
                                    "slope_high": float(hi)}, method)


def gap_trend_claim(years: Sequence, gap: Sequence, *, alpha: float = 0.05,
                    min_points: int = 5) -> Claim:
    """Is a gap (urban/rural ratio or urban − rural difference) narrowing or widening?

    The trend rule of :func:`trend_claim` on the gap: falling → ``"narrowing"``, rising →
    ``"widening"``, otherwise ``"no_significant_trend"`` / ``"too_short"``. ``values`` also
    carry the first-to-last change of :func:`change_claim`.

    Examples
    --------
    >>> gap_trend_claim(range(2013, 2021), [2.81, 2.75, 2.73, 2.72, 2.71, 2.69, 2.64, 2.56]).verdict
    'narrowing'
    """
    tr = trend_claim(years, gap, alpha=alpha, min_points=min_points)
    ch = change_claim(years, gap) if len(np.asarray(gap)) >= 2 else None
    verdict = {"falling": "narrowing", "rising": "widening"}.get(tr.verdict, tr.verdict)
    values = dict(tr.values)
    if ch is not None:
        values.update(ch.values)
    return Claim("gap_trend", verdict, values, tr.method)


def rank_claim(labels: Sequence[str], values: Sequence, *, k: int = 3,
               higher_is_better: bool = True) -> Claim:
    """Top and bottom ``k`` units, listing every unit tied at the boundary.

    ``values``: top (list of labels, best first), bottom (worst last), top_values,
    bottom_values, n. Missing values are an error (rank only what was measured).

    Examples
    --------
    >>> rank_claim(["a", "b", "c", "d"], [3, 2, 2, 1], k=2).values["top"]
    ['a', 'b', 'c']
    """
    v = np.asarray(values, dtype=float)
    lab = np.asarray(labels, dtype=object)
    if v.shape != lab.shape:
        raise DataError(Issue("rank: labels and values must have one length"))
    if not np.isfinite(v).all():
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        raise DataError(Issue(f"rank: {lab[i]} has no value; leave it out explicitly",
                              value=str(lab[i])))
    s = v if higher_is_better else -v
    order = np.argsort(-s, kind="stable")
    k = min(k, len(v))
    top_cut, bottom_cut = s[order[k - 1]], s[order[len(v) - k]]
    top = [i for i in order if s[i] >= top_cut]
    bottom = [i for i in order if s[i] <= bottom_cut]
    notes = ("ties_included",) if len(top) > k or len(bottom) > k else ()
    return Claim("rank", "ranked", {
        "n": int(len(v)), "top": [str(lab[i]) for i in top],
        "top_values": [float(v[i]) for i in top],
        "bottom": [str(lab[i]) for i in bottom], "bottom_values": [float(v[i]) for i in bottom]},
        "order by value" + ("" if higher_is_better else " (lower is better)"), notes)


def compare_claim(a: float, b: float, *, se_a: float | None = None, se_b: float | None = None,
                  z: float = 1.96, rel_tol: float = 0.005) -> Claim:
    """Is ``a`` higher than, lower than or not different from ``b``?

    With standard errors: different when |a − b| > z·√(se_a² + se_b²) (independent estimates).
    Without: different when |a − b| > rel_tol·max(|a|, |b|).

    Examples
    --------
    >>> compare_claim(0.52, 0.50, se_a=0.02, se_b=0.02).verdict
    'similar'
    """
    if not (np.isfinite(a) and np.isfinite(b)):
        raise DataError(Issue("compare: both values must be finite"))
    diff = float(a - b)
    if se_a is not None or se_b is not None:
        se = float(np.hypot(se_a or 0.0, se_b or 0.0))
        bound, method = z * se, f"|a − b| > {z}·√(se_a² + se_b²)"
    else:
        bound, method = rel_tol * max(abs(a), abs(b)), f"relative difference > {rel_tol:.1%}"
    verdict = "similar" if abs(diff) <= bound else ("higher" if diff > 0 else "lower")
    return Claim("compare", verdict, {"a": float(a), "b": float(b), "difference": diff,
                                      "bound": bound}, method)


def convergence_claim(*, sigma_slope: float, sigma_p: float, beta: float, beta_p: float,
                      log_t: float | None = None, alpha: float = 0.05) -> Claim:
    """Read σ-convergence, β-convergence and the Phillips–Sul log t test together.

    σ: a significantly negative slope of dispersion on time (p < α) is σ-convergence; positive,
    σ-divergence. β: a significantly negative β is β-convergence. log t: t̂ > −1.65 does not
    reject overall convergence (Phillips & Sul 2007, one-sided 5 %). The verdict is
    ``"agree"`` when every test run points the same way, ``"disagree"`` otherwise, with the
    reason codes in ``notes``.

    Examples
    --------
    >>> c = convergence_claim(sigma_slope=0.001, sigma_p=0.4, beta=-0.02, beta_p=0.01)
    >>> c.verdict, c.notes
    ('disagree', ('beta_without_sigma',))
    """
    sig = ("sigma_convergence" if sigma_p < alpha and sigma_slope < 0 else
           "sigma_divergence" if sigma_p < alpha and sigma_slope > 0 else "no_sigma_trend")
    bet = ("beta_convergence" if beta_p < alpha and beta < 0 else
           "beta_divergence" if beta_p < alpha and beta > 0 else "no_beta")
    readings = {"sigma_reading": sig, "beta_reading": bet}
    directions = [{"sigma_convergence": 1, "sigma_divergence": -1}.get(sig, 0),
                  {"beta_convergence": 1, "beta_divergence": -1}.get(bet, 0)]
    if log_t is not None and np.isfinite(log_t):
        lt = "log_t_convergence" if log_t > -1.65 else "log_t_rejects"
        readings["log_t_reading"] = lt
        directions.append(1 if lt == "log_t_convergence" else -1)
    notes: list[str] = []
    if bet == "beta_convergence" and sig != "sigma_convergence":
        notes.append("beta_without_sigma")
    if "log_t_reading" in readings and len(set(directions)) > 1:
        notes.append("log_t_relative")
    verdict = "agree" if len(set(directions)) == 1 else "disagree"
    return Claim("convergence", verdict, {"sigma_slope": float(sigma_slope),
                                          "sigma_p": float(sigma_p), "beta": float(beta),
                                          "beta_p": float(beta_p), "alpha": alpha,
                                          "log_t": float("nan") if log_t is None else float(log_t),
                                          **readings},
                 "σ: OLS slope of dispersion on year; β: growth on initial log level; log t: "
                 "Phillips–Sul (2007), reject if t < −1.65", tuple(notes))


def between_share_claim(theil_between_share: float, dagum_net_between_share: float) -> Claim:
    """Theil's between-group share and Dagum's net between-group share, read together.

    Each share above one half means between-group differences dominate by that measure. They
    can differ either way: Dagum's net term G_nb excludes the overlap between groups (the
    transvariation G_t), which makes it smaller (note ``dagum_overlap``); and G_nb is the Gini
    of the group means while Theil's between term is the Theil T of the group means — the Gini
    grows linearly with deviations, Theil T roughly with their square — which can make it
    larger (note ``gini_linear_scale``, given when the readings disagree).

    Examples
    --------
    >>> between_share_claim(0.62, 0.41).notes
    ('dagum_overlap',)
    """
    for name, s in (("theil_between_share", theil_between_share),
                    ("dagum_net_between_share", dagum_net_between_share)):
        if not (np.isfinite(s) and 0 <= s <= 1):
            raise DataError(Issue(f"{name} must be a share in [0, 1]", value=str(s)))
    t = "between_dominates" if theil_between_share > 0.5 else "within_dominates"
    d = "between_dominates" if dagum_net_between_share > 0.5 else "within_dominates"
    # the reason depends on which share is larger: Dagum's smaller share comes from the overlap
    # it takes out; a larger one from the Gini weighing deviations linearly
    if dagum_net_between_share < theil_between_share:
        notes: tuple[str, ...] = ("dagum_overlap",)
    elif dagum_net_between_share > theil_between_share and t != d:
        notes = ("gini_linear_scale",)
    else:
        notes = ()
    return Claim("between_share", "agree" if t == d else "disagree",
                 {"theil_between_share": float(theil_between_share),
                  "dagum_net_between_share": float(dagum_net_between_share), "theil": t,
                  "dagum": d}, "shares of the total; > 0.5 means between-group dominates", notes)


def comparability_claim(normalization_mode: str) -> Claim:
    """May an index's scores be compared across years, given its normalisation mode?

    ``pooled`` and ``goalposts`` (fixed bounds for every year): yes. ``per_year``: no: scores
    rank regions within a year, and a change of score is not a change of level.

    Examples
    --------
    >>> comparability_claim("per_year").verdict
    'not_comparable_over_time'
    """
    modes = {"pooled": "comparable_over_time", "goalposts": "comparable_over_time",
             "base_year": "comparable_over_time", "per_year": "not_comparable_over_time"}
    if normalization_mode not in modes:
        raise DataError(Issue(f"unknown normalisation mode {normalization_mode!r}; expected one of "
                              f"{', '.join(modes)}", value=normalization_mode))
    return Claim("comparability", modes[normalization_mode], {"mode": normalization_mode},
                 "normalisation mode")
