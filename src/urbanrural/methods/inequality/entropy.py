"""Generalised entropy family: Theil T (GE(1)), mean log deviation / Theil L (GE(0)), GE(α),
with exact between/within decomposition by groups, and the Atkinson index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from ._core import as_values, as_weights, require_nonnegative, require_positive

__all__ = ["TheilResult", "theil", "mean_log_deviation", "generalized_entropy",
           "generalised_entropy", "atkinson"]

_TOL = 1e-10


@dataclass(frozen=True)
class TheilResult:
    """An entropy index and, with groups, its decomposition.

    Attributes
    ----------
    measure : ``"theil_t"``, ``"theil_l"`` or ``"ge(α)"``.
    total : the index over all units.
    between, within : the two terms (None without groups); ``between + within == total``.
    groups : per group: n, weight (population) share, value (income) share, mean, the index
        within the group and its contribution to ``within`` (None without groups).

    Examples
    --------
    >>> r = theil([1, 2, 3, 4], groups=["a", "a", "b", "b"])
    >>> r.to_frame().round(4)[["component", "value", "share"]].values.tolist()
    [['total', 0.1064, 1.0], ['between', 0.0823, 0.773], ['within', 0.0242, 0.227]]
    """

    measure: str
    total: float
    between: float | None = None
    within: float | None = None
    groups: pd.DataFrame | None = None

    @property
    def between_share(self) -> float | None:
        return None if self.between is None else self.between / self.total if self.total else 0.0

    def to_frame(self) -> pd.DataFrame:
        rows = [{"component": "total", "value": self.total, "share": 1.0}]
        if self.between is not None:
            t = self.total if self.total else np.nan
            rows += [{"component": "between", "value": self.between, "share": self.between / t},
                     {"component": "within", "value": self.within, "share": self.within / t}]
        return pd.DataFrame(rows).assign(measure=self.measure)[
            ["measure", "component", "value", "share"]]


def _prepare(x, weights, groups):
    x = as_values(x)
    w = as_weights(weights, x.shape[0])
    w = np.ones_like(x) if w is None else w
    if groups is None:
        return x, w, None, None
    g = np.asarray(groups).reshape(-1)
    if g.shape[0] != x.shape[0]:
        raise DataError(Issue(f"groups have {g.shape[0]} entries for {x.shape[0]} values",
                              column="groups"))
    codes, labels = pd.factorize(pd.Series(g), use_na_sentinel=True)
    if (codes < 0).any():
        raise DataError(Issue("some units have no group (missing label)", column="groups"))
    return x, w, codes, list(labels)


def _ge_index(x, w, alpha):
    """GE(α) of weighted data; zeros are handled as limits where the index is defined."""
    W = w.sum()
    mu = np.dot(w, x) / W
    if mu <= 0:
        raise DataError("the index is undefined when all values are zero")
    r = x / mu
    if alpha == 1:
        # r ln r → 0 as r → 0: zeros contribute nothing (never dropped, never re-averaged)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(r > 0, r * np.log(r), 0.0)
        return float(np.dot(w, terms) / W)
    if alpha == 0:
        return float(np.dot(w, -np.log(r)) / W)
    return float((np.dot(w, r**alpha) / W - 1.0) / (alpha * (alpha - 1.0)))


def _grouped(x, w, codes, labels, alpha, measure) -> TheilResult:
    total = _ge_index(x, w, alpha)
    if codes is None:
        return TheilResult(measure, total)
    k = len(labels)
    Wg = np.bincount(codes, weights=w, minlength=k)
    Sg = np.bincount(codes, weights=w * x, minlength=k)
    W, S = Wg.sum(), Sg.sum()
    mu, mu_g = S / W, Sg / Wg
    p, s = Wg / W, Sg / S  # population and value shares
    idx_g = np.array([_ge_index(x[codes == j], w[codes == j], alpha) if Sg[j] > 0 else 0.0
                      for j in range(k)])
    if alpha == 1:
        # Theil T: between = Σ s_g ln(μ_g/μ); within = Σ s_g T_g (value shares)
        with np.errstate(divide="ignore", invalid="ignore"):
            between = float(np.sum(np.where(s > 0, s * np.log(mu_g / mu), 0.0)))
        weight_g = s
    elif alpha == 0:
        # Theil L: between = Σ p_g ln(μ/μ_g); within = Σ p_g L_g (population shares)
        between = float(np.sum(p * np.log(mu / mu_g)))
        weight_g = p
    else:
        between = float((np.sum(p * (mu_g / mu) ** alpha) - 1.0) / (alpha * (alpha - 1.0)))
        weight_g = p ** (1.0 - alpha) * s**alpha
    within = float(np.sum(weight_g * idx_g))
    if abs(between + within - total) > _TOL * max(1.0, abs(total)):
        raise ArithmeticError(f"{measure} decomposition does not add up: {between} + {within} "
                              f"!= {total}")
    groups = pd.DataFrame({
        "group": labels, "n": np.bincount(codes, minlength=k), "weight_share": p,
        "value_share": s, "mean": mu_g, "index": idx_g, "contribution": weight_g * idx_g,
    })
    return TheilResult(measure, total, between, within, groups)


def _dask_sums(x, groups, weights, alpha):
    from .distributed import entropy_sums_dask

    return entropy_sums_dask(x, groups, weights, alpha=alpha)


def _theil_from_sums(ungrouped: bool, labels, W, S, A, B, *, alpha: int) -> TheilResult:
    """Theil T (alpha 1) or L (alpha 0) with its decomposition from per-group sums."""
    mu, mu_g = S.sum() / W.sum(), S / W
    if alpha == 1:
        total = A.sum() / S.sum() - np.log(mu)
        idx_g = np.where(S > 0, A / np.where(S > 0, S, 1) - np.log(np.where(mu_g > 0, mu_g, 1)),
                         0.0)
        s = S / S.sum()
        between = float(np.sum(np.where(s > 0, s * np.log(np.where(mu_g > 0, mu_g, 1) / mu),
                                        0.0)))
        weight_g, measure = s, "theil_t"
    else:
        total = np.log(mu) - B.sum() / W.sum()
        idx_g = np.log(mu_g) - B / W
        p = W / W.sum()
        between = float(np.sum(p * np.log(mu / mu_g)))
        weight_g, measure = p, "theil_l"
    if ungrouped:
        return TheilResult(measure, float(total))
    within = float(np.sum(weight_g * idx_g))
    frame = pd.DataFrame({"group": labels, "n": np.nan, "weight_share": W / W.sum(),
                          "value_share": S / S.sum(), "mean": mu_g, "index": idx_g,
                          "contribution": weight_g * idx_g})
    return TheilResult(measure, float(total), between, within, frame)


def theil(x, *, groups=None, weights=None) -> TheilResult:
    r"""Theil T index (GE(1)), optionally population-weighted and decomposed by groups.

    .. math::
        T = \frac{1}{W}\sum_i w_i \frac{x_i}{\mu}\ln\frac{x_i}{\mu}
          = \underbrace{\sum_g s_g \ln\frac{\mu_g}{\mu}}_{between}
          + \underbrace{\sum_g s_g T_g}_{within}

    with :math:`s_g` the group's share of the total value (income) (Theil 1967; Shorrocks 1980).
    Zeros contribute 0 (the limit of r ln r) — they are neither dropped nor is the mean
    recomputed without them (``ineq::Theil`` does, which gives 0.106 instead of 0.330 for
    (0, 1, 2, 3, 4)). Both terms are computed directly and their sum is checked against the
    total.

    Parameters
    ----------
    x : array_like or dask array
        Non-negative values (e.g. per-capita income of each region).
    groups : array_like, optional
        Group label of each value, for the between/within decomposition.
    weights : array_like, optional
        Non-negative weights of the same length (e.g. population); default unweighted.

    Returns
    -------
    TheilResult
        ``total`` and, with ``groups``, ``between``, ``within`` and the per-group table.

    Raises
    ------
    DataError
        For missing, infinite or negative values, bad weights, a zero mean, or groups of the
        wrong length or with missing labels.

    Examples
    --------
    Weights are population: three people at 1 and one at 3 (mean 1.5) give
    T = ¼[3·(2/3)ln(2/3) + 2 ln 2] = ½ ln(4/3), as the four values listed one by one:

    >>> round(theil([1, 3], weights=[3, 1]).total, 4), round(theil([1, 1, 1, 3]).total, 4)
    (0.1438, 0.1438)

    Between plus within is the total:

    >>> r = theil([1, 2, 3, 4], groups=["a", "a", "b", "b"])
    >>> round(r.between, 4), round(r.within, 4), round(r.total, 4)
    (0.0823, 0.0242, 0.1064)
    >>> abs(r.between + r.within - r.total) < 1e-12
    True
    """
    if _is_dask(x):
        return _theil_from_sums(groups is None, *_dask_sums(x, groups, weights, 1), alpha=1)
    x, w, codes, labels = _prepare(x, weights, groups)
    require_nonnegative(x, "the Theil T index")
    return _grouped(x, w, codes, labels, 1, "theil_t")


def mean_log_deviation(x, *, groups=None, weights=None) -> TheilResult:
    r"""Mean log deviation (Theil L, GE(0)), optionally weighted and decomposed by groups.

    .. math::
        L = \frac{1}{W}\sum_i w_i \ln\frac{\mu}{x_i}
          = \sum_g p_g \ln\frac{\mu}{\mu_g} + \sum_g p_g L_g

    with :math:`p_g` the group's population (weight) share (Theil 1967; Shorrocks 1980).
    Undefined at zero: zeros raise. (REAT's ``theil`` is this index.)

    Parameters
    ----------
    x : array_like or dask array
        Positive values.
    groups : array_like, optional
        Group label of each value, for the between/within decomposition.
    weights : array_like, optional
        Non-negative weights of the same length (e.g. population); default unweighted.

    Returns
    -------
    TheilResult
        ``total`` and, with ``groups``, ``between``, ``within`` and the per-group table.

    Raises
    ------
    DataError
        For zero, negative, missing or infinite values and bad weights or groups.

    Examples
    --------
    Two groups, equal within, so all inequality is between them: L = ln 2 − ½ ln 3.

    >>> r = mean_log_deviation([1, 1, 3, 3], groups=["a", "a", "b", "b"])
    >>> round(r.total, 4), round(r.between, 4), round(r.within, 4)
    (0.1438, 0.1438, 0.0)
    """
    if _is_dask(x):
        return _theil_from_sums(groups is None, *_dask_sums(x, groups, weights, 0), alpha=0)
    x, w, codes, labels = _prepare(x, weights, groups)
    require_positive(x, "the mean log deviation (Theil L)", "ln 0")
    return _grouped(x, w, codes, labels, 0, "theil_l")


def generalized_entropy(x, alpha: float, *, groups=None, weights=None) -> float | TheilResult:
    r"""Generalised entropy index GE(α) (Shorrocks 1980):

    .. math::
        GE(\alpha) = \frac{1}{\alpha(\alpha-1)}\left[\frac{1}{W}\sum_i w_i
        \left(\frac{x_i}{\mu}\right)^\alpha - 1\right]

    GE(0) is the mean log deviation and GE(1) Theil T (their limits). Returns a float, or a
    :class:`TheilResult` when ``groups`` are given (within weights p_g^{1−α} s_g^α).

    Parameters
    ----------
    x : array_like
        Values: non-negative for α > 0, positive for α ≤ 0.
    alpha : float
        Sensitivity α: larger values weigh the top of the distribution more.
    groups : array_like, optional
        Group label of each value, for the between/within decomposition.
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).

    Returns
    -------
    float or TheilResult
        GE(α), or its decomposition when ``groups`` are given.

    Examples
    --------
    GE(2) is half the squared coefficient of variation (CV = 0.5 here), and GE(1) is Theil T:

    >>> generalized_entropy([1, 3], 2)
    0.125
    >>> round(generalized_entropy([1, 2, 3, 4], 1), 4), round(theil([1, 2, 3, 4]).total, 4)
    (0.1064, 0.1064)
    """
    x, w, codes, labels = _prepare(x, weights, groups)
    if alpha <= 0:
        require_positive(x, f"GE({alpha})", "zero raised to a non-positive power")
    else:
        require_nonnegative(x, f"GE({alpha})")
    res = _grouped(x, w, codes, labels, alpha, f"ge({alpha:g})")
    return res if groups is not None else res.total


#: British spelling of :func:`generalized_entropy`.
generalised_entropy = generalized_entropy


def atkinson(x, epsilon: float, *, weights=None) -> float:
    r"""Atkinson index with inequality aversion ε ≥ 0 (Atkinson 1970):

    .. math::
        A_\varepsilon = 1 - \frac{1}{\mu}\left(\frac{1}{W}\sum_i w_i x_i^{1-\varepsilon}
        \right)^{1/(1-\varepsilon)}, \qquad A_1 = 1 - \frac{\exp(\frac{1}{W}\sum_i w_i\ln x_i)}
        {\mu}

    Zeros are allowed for ε < 1 and raise for ε ≥ 1.

    Parameters
    ----------
    x : array_like
        Values: non-negative for ε < 1, positive for ε ≥ 1.
    epsilon : float
        Inequality aversion ε ≥ 0 (0: no aversion, the index is 0).
    weights : array_like, optional
        Non-negative weights of the same length (default unweighted).

    Returns
    -------
    float
        A_ε in [0, 1]: the share of the mean that could be given up for equality at the same
        welfare.

    Examples
    --------
    For (1, 4) and ε = 1 the equally distributed equivalent is the geometric mean 2, so
    A₁ = 1 − 2/2.5:

    >>> round(atkinson([1, 4], 1), 4), atkinson([1, 4], 0)
    (0.2, 0.0)
    """
    if epsilon < 0:
        raise ValueError("epsilon must be ≥ 0")
    x = as_values(x)
    w = as_weights(weights, x.shape[0])
    w = np.ones_like(x) if w is None else w
    if epsilon >= 1:
        require_positive(x, f"the Atkinson index with ε = {epsilon:g}", "ln 0 or 0 to a "
                                                                         "negative power")
    else:
        require_nonnegative(x, "the Atkinson index")
    W = w.sum()
    mu = np.dot(w, x) / W
    if mu <= 0:
        raise DataError("the Atkinson index is undefined when all values are zero")
    if epsilon == 1:
        ede = np.exp(np.dot(w, np.log(x)) / W)
    else:
        ede = (np.dot(w, x ** (1.0 - epsilon)) / W) ** (1.0 / (1.0 - epsilon))
    return float(1.0 - ede / mu)


def _is_dask(obj) -> bool:
    return obj is not None and type(obj).__module__.startswith("dask")
