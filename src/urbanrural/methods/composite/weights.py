"""Indicator weights: equal, entropy, CRITIC, coefficient of variation, standard deviation,
PCA, AHP, and combinations (multiplicative, linear, game-theoretic).

Objective weights take X of shape (..., units, indicators) and return (..., indicators): a
leading (year) axis gives per-year weights; reshape a panel to one slice for pooled weights.
Every weight vector sums to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data.errors import DataError, Issue
from ..registry import Registry
from .normalize import check_matrix, normalize

__all__ = ["WEIGHTS", "equal_weights", "entropy_weights", "critic_weights", "cv_weights", "std_weights",
           "pca_weights", "AHPResult", "ahp_weights", "combine_weights", "SAATY_RI"]

# Saaty's random consistency index (Saaty 1980, The Analytic Hierarchy Process, Table 1.7),
# n = 1…15. Sources disagree for n > 9 (e.g. 1.49 vs 1.51 for n = 10); this table is used
# throughout and is part of the reported result.
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
            10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


def _finish(raw: np.ndarray, names, what: str) -> np.ndarray:
    total = raw.sum(axis=-1, keepdims=True)
    if (total <= 0).any() or not np.isfinite(raw).all():
        raise DataError(f"{what} weights are undefined: no indicator varies across units")
    return raw / total


def equal_weights(k: int | np.ndarray) -> np.ndarray:
    """Equal weights, 1/k for each of k indicators.

    Parameters
    ----------
    k : int or array_like
        The number of indicators, or a (..., units, indicators) matrix whose last axis
        gives it.

    Returns
    -------
    numpy.ndarray
        Shape (k,), every entry 1/k.

    Examples
    --------
    >>> equal_weights(4).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    k = k if isinstance(k, int) else np.asarray(k).shape[-1]
    return np.full(k, 1.0 / k)


def _prepared(X, directions, normalization, names):
    A, names = check_matrix(X, names)
    if normalization == "minmax":
        Z = normalize(A, directions=directions, method="minmax", names=names)
    elif normalization == "none":
        Z = A
    else:
        raise ValueError("normalization must be 'minmax' or 'none'")
    return Z, names


def entropy_weights(X, *, directions=None, normalization: str = "minmax", shift: float = 0.0,
                    names=None) -> np.ndarray:
    r"""Entropy weight method (熵权法; Shannon 1948, applied to weighting by Zeleny 1982).

    .. math::
        p_{ij} = \frac{z_{ij}}{\sum_i z_{ij}}, \quad
        e_j = -\frac{1}{\ln m}\sum_i p_{ij}\ln p_{ij}, \quad
        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}

    with m the number of **units** (regions, or region-years when pooled; some scripts wrongly
    use the number of indicators) and 0·ln 0 = 0. ``normalization="minmax"`` applies
    :func:`normalize` with ``directions`` first; ``"none"`` turns raw non-negative values into
    proportions directly (directions ignored), as in the papers reproduced by pyrepo-mcda.
    ``shift`` is added to the normalised values before the proportions (a common way to avoid
    zeros; it changes the weights — report it).

    Entropy rewards dispersion, not importance: report these weights beside alternatives.

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Raw indicator values; a leading (year) axis gives one weight vector per slice.
    directions : sequence of {+1, -1, "benefit", "cost", ...}, optional
        Direction of each indicator for the min-max step (default: all benefit).
    normalization : {"minmax", "none"}, default "minmax"
        Normalise first, or take the (non-negative) values as they are.
    shift : float, default 0.0
        Constant added to the normalised values before the proportions are taken.
    names : sequence of str, optional
        Indicator names used in error messages (default: the DataFrame's columns, or x1, x2…).

    Returns
    -------
    numpy.ndarray
        Shape (..., indicators), each vector summing to 1.

    Raises
    ------
    DataError
        For negative or missing values, fewer than two units, an all-zero column, or when no
        indicator varies.

    Examples
    --------
    An indicator that is the same in every unit carries no information (eⱼ = 1), so all the
    weight goes to the other one:

    >>> w = entropy_weights([[1, 1], [1, 2], [1, 3]], normalization="none")
    >>> [round(float(v), 4) for v in w]
    [0.0, 1.0]

    Min–max normalised, two indicators spread alike get equal weights:

    >>> entropy_weights([[1, 10], [2, 30], [3, 20]]).round(4).tolist()
    [0.5, 0.5]
    """
    Z, names = _prepared(X, directions, normalization, names)
    if (Z < 0).any():
        raise DataError("entropy weights need non-negative values: normalise first (never "
                        "abs() a negative value)")
    Z = Z + shift
    m = Z.shape[-2]
    if m < 2:
        raise DataError("entropy weights need at least two units")
    col = Z.sum(axis=-2, keepdims=True)
    if (col == 0).any():
        zero = np.flatnonzero((col == 0).reshape(-1, Z.shape[-1]).any(axis=0))
        raise DataError([Issue("all values are zero", column=names[j]) for j in zero])
    P = Z / col
    if P.min() > 0:
        plogp = P * np.log(P)
    else:  # 0·ln 0 = 0
        logp = np.zeros_like(P)
        np.log(P, out=logp, where=P > 0)
        plogp = P * logp
    e = -plogp.sum(axis=-2) / np.log(m)
    return _finish(1.0 - e, names, "entropy")


def critic_weights(X, *, directions=None, normalization: str = "minmax", names=None
                   ) -> np.ndarray:
    r"""CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995):

    .. math:: C_j = \sigma_j \sum_k (1 - r_{jk}), \qquad w_j = C_j / \sum_k C_k

    with σⱼ the (sample) standard deviation of the min-max normalised indicator and r the
    Pearson correlation matrix. A constant indicator has no correlation: it is an error, not
    a silent 0 (pyDecision hides the NaN with ``nan_to_num``).

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Raw indicator values; a leading (year) axis gives one weight vector per slice.
    directions : sequence of {+1, -1, "benefit", "cost", ...}, optional
        Direction of each indicator for the min-max step (default: all benefit).
    normalization : {"minmax", "none"}, default "minmax"
        Normalise first, or use the values as they are.
    names : sequence of str, optional
        Indicator names used in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (..., indicators), each vector summing to 1.

    Raises
    ------
    DataError
        For a constant indicator, or when all indicators are perfectly correlated.

    Examples
    --------
    Two uncorrelated indicators (r = 0, so Σ(1 − r) = 1 for both) are weighted by their
    standard deviations, 0.5 and √(1/3) after min–max normalisation:

    >>> w = critic_weights([[0, 0], [1, 1], [2, 0]])
    >>> w.round(4).tolist()
    [0.4641, 0.5359]
    >>> round(float(w[0]), 4) == round(0.5 / (0.5 + (1 / 3) ** 0.5), 4)
    True
    """
    Z, names = _prepared(X, directions, normalization, names)
    sd = Z.std(axis=-2, ddof=1)
    if (sd == 0).any():
        zero = np.flatnonzero((sd == 0).reshape(-1, Z.shape[-1]).any(axis=0))
        raise DataError([Issue("constant indicator: its correlations are undefined",
                               column=names[j]) for j in zero])
    C = Z - Z.mean(axis=-2, keepdims=True)
    cov = np.einsum("...ij,...ik->...jk", C, C) / (Z.shape[-2] - 1)
    r = cov / (sd[..., :, None] * sd[..., None, :])
    info = sd * (1.0 - r).sum(axis=-1)
    if np.all(r > 1 - 1e-9):
        raise DataError("CRITIC weights are undefined: the indicators are perfectly correlated, "
                        "so the conflict term Σ(1 − r) is 0 for every one of them / 指标完全相关，"
                        "CRITIC 权重无定义")
    return _finish(info, names, "CRITIC")


def cv_weights(X, *, names=None) -> np.ndarray:
    r"""Coefficient-of-variation weights: wⱼ ∝ σⱼ/μⱼ of the raw, positive indicator values.

    .. math:: w_j = \frac{\sigma_j / \mu_j}{\sum_k \sigma_k / \mu_k}

    with σⱼ the population standard deviation. The weights do not depend on the units of
    measurement (σ/μ is scale-free), which is why the method takes raw values.

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Raw indicator values, all non-negative with a positive mean.
    names : sequence of str, optional
        Indicator names used in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (..., indicators), each vector summing to 1.

    Raises
    ------
    DataError
        For negative values, a non-positive mean, or when no indicator varies.

    Examples
    --------
    CV of the columns: 1/2 and 0.25/10.25, so the first gets 0.5/(0.5 + 0.0244):

    >>> cv_weights([[1.0, 10.0], [3.0, 10.5]]).round(4).tolist()
    [0.9535, 0.0465]
    """
    A, names = check_matrix(X, names)
    mu = A.mean(axis=-2)
    if (mu <= 0).any() or (A < 0).any():
        raise DataError("coefficient-of-variation weights need positive raw values")
    return _finish(A.std(axis=-2) / mu, names, "coefficient-of-variation")


def std_weights(X, *, directions=None, normalization: str = "minmax", names=None) -> np.ndarray:
    r"""Standard-deviation weights: wⱼ ∝ σⱼ (population sd) of the normalised (or raw)
    indicator.

    .. math:: w_j = \sigma_j / \sum_k \sigma_k

    Parameters
    ----------
    X : array_like or DataFrame, shape (..., units, indicators)
        Indicator values; a leading (year) axis gives one weight vector per slice.
    directions : sequence of {+1, -1, "benefit", "cost", ...}, optional
        Direction of each indicator for the min-max step (default: all benefit).
    normalization : {"minmax", "none"}, default "minmax"
        Normalise first, or use the values as they are.
    names : sequence of str, optional
        Indicator names used in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (..., indicators), each vector summing to 1.

    Examples
    --------
    Standard deviations 0.5 and 0.25:

    >>> std_weights([[0.0, 0.0], [1.0, 0.5]], normalization="none").round(4).tolist()
    [0.6667, 0.3333]
    """
    Z, names = _prepared(X, directions, normalization, names)
    return _finish(Z.std(axis=-2), names, "standard-deviation")


def pca_weights(X, *, directions=None, variance: float = 0.85, names=None) -> np.ndarray:
    r"""Principal-component weights as commonly used for composite indices
    (主成分分析法赋权; e.g. Nicoletti, Scarpetta & Boylaud 2000 for the loading-based idea).

    Indicators are z-scored (cost ones negated); the correlation matrix is eigen-decomposed;
    the leading components explaining at least ``variance`` of the total are kept. The weight
    of indicator j is its squared loadings on the kept components, wⱼ ∝ Σₘ λₘ uⱼₘ² (uⱼₘ the
    eigenvector entry; λₘuⱼₘ² is the squared loading, and the sum j's communality, the
    variance of j the kept components explain), normalised to sum to 1. Squared loadings
    are what Nicoletti et al. (2000) and the OECD/JRC Handbook (2008, §6.1) weight by; they
    assign each indicator to the one component of its largest squared loading, whereas here
    every kept component enters, by its eigenvalue (a simpler, sign-free variant). Squares
    do not depend on an eigenvector's sign, which is arbitrary (a signed sum
    Σₘ λₘ uⱼₘ is decided by rounding noise when a component's loadings sum to 0, e.g. the
    second component (1, −1)/√2 of any two indicators).

    Parameters
    ----------
    X : array_like or DataFrame, shape (units, indicators)
        One matrix of raw indicator values (a panel is reshaped to region-years first).
    directions : sequence of {+1, -1, "benefit", "cost", ...}, optional
        Direction of each indicator (cost indicators are negated after z-scoring; default:
        all benefit).
    variance : float, default 0.85
        Share of the total variance the kept components must explain.
    names : sequence of str, optional
        Indicator names used in error messages.

    Returns
    -------
    numpy.ndarray
        Shape (indicators,), summing to 1.

    Examples
    --------
    With two indicators the first component of the correlation matrix is (1, 1)/√2 whatever
    their correlation r; here r = 0.85 and that component alone explains (1 + r)/2 ≥ 85 %
    of the variance, so both indicators weigh the same:

    >>> pca_weights([[1, 2], [2, 1], [3, 4], [4, 5]]).round(4).tolist()
    [0.5, 0.5]
    """
    A, names = check_matrix(X, names)
    if A.ndim != 2:
        raise ValueError("pca_weights takes one units × indicators matrix")
    Z = normalize(A, directions=directions, method="zscore", names=names)
    R = np.corrcoef(Z, rowvar=False)
    lam, U = np.linalg.eigh(R)
    order = np.argsort(lam)[::-1]
    lam, U = lam[order], U[:, order]
    share = np.cumsum(lam) / lam.sum()
    m = int(np.searchsorted(share, variance) + 1)
    # squared loadings: eigenvector signs are arbitrary and must not decide the weights
    raw = (U[:, :m] ** 2 @ lam[:m]) / lam[:m].sum()
    return _finish(raw, names, "PCA")


@dataclass(frozen=True)
class AHPResult:
    """AHP weights with the consistency check: λ_max, CI = (λ_max − n)/(n − 1), RI (Saaty) and
    CR = CI/RI; ``consistent`` is CR < 0.1.

    Examples
    --------
    >>> r = ahp_weights([[1, 3], [1 / 3, 1]])
    >>> r.weights.round(4).tolist(), r.consistent
    ([0.75, 0.25], True)
    """

    weights: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float

    @property
    def consistent(self) -> bool:
        return self.cr < 0.1


def ahp_weights(pairwise, *, accept_inconsistent: bool = False) -> AHPResult:
    r"""AHP weights by the principal eigenvector of a reciprocal pairwise-comparison matrix
    (Saaty 1977, 1980). The geometric-mean and sum-product shortcuts (SPSSAU's default) give
    different weights; this is the eigenvector method.

    .. math::
        A w = \lambda_{\max} w, \quad CI = \frac{\lambda_{\max} - n}{n - 1}, \quad
        CR = \frac{CI}{RI_n}

    with RIₙ Saaty's random index (:data:`SAATY_RI`).

    Parameters
    ----------
    pairwise : array_like, shape (n, n)
        Reciprocal pairwise-comparison matrix: aᵢⱼ > 0 says how much more important i is
        than j (Saaty's 1–9 scale), aⱼᵢ = 1/aᵢⱼ, ones on the diagonal; n ≤ 15.
    accept_inconsistent : bool, default False
        Return the result even when CR ≥ 0.1 (the result still records CR).

    Returns
    -------
    AHPResult
        Weights (summing to 1), λ_max, CI, RI and CR.

    Raises
    ------
    DataError
        For a matrix that is not square, positive and reciprocal, for n > 15, and for
        CR ≥ 0.1 unless ``accept_inconsistent=True``.

    Examples
    --------
    A perfectly consistent matrix (a₁₃ = a₁₂ a₂₃) has λ_max = n and the weights 4:2:1:

    >>> r = ahp_weights([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]])
    >>> r.weights.round(4).tolist()
    [0.5714, 0.2857, 0.1429]
    >>> round(r.lambda_max, 4), r.consistent
    (3.0, True)
    """
    A = np.asarray(pairwise, dtype=float)
    n = A.shape[0]
    if A.ndim != 2 or A.shape[1] != n:
        raise DataError("the pairwise comparison matrix must be square")
    if (A <= 0).any() or not np.allclose(np.diag(A), 1) or not np.allclose(A * A.T, 1,
                                                                             rtol=1e-3):
        raise DataError("the pairwise comparison matrix must be positive with aᵢⱼ = 1/aⱼᵢ and "
                        "ones on the diagonal")
    if n > max(SAATY_RI):
        raise DataError(f"no random index for n = {n} > {max(SAATY_RI)}")
    vals, vecs = np.linalg.eig(A)
    i = int(np.argmax(vals.real))
    lam = float(vals[i].real)
    w = np.abs(vecs[:, i].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = SAATY_RI[n]
    cr = ci / ri if ri > 0 else 0.0
    res = AHPResult(w, lam, ci, ri, cr)
    if cr >= 0.1 and not accept_inconsistent:
        raise DataError(f"the pairwise judgements are inconsistent: CR = {cr:.3f} ≥ 0.1 "
                        f"(λ_max = {lam:.4f}, CI = {ci:.4f}, RI = {ri}); revise them or pass "
                        "accept_inconsistent=True")
    return res


def combine_weights(*weights: np.ndarray, method: str = "multiplicative",
                    alpha=None) -> np.ndarray:
    r"""Combine weight vectors from several methods.

    * ``multiplicative``: wⱼ ∝ Πᵢ wᵢⱼ.
    * ``linear``: wⱼ = Σᵢ αᵢ wᵢⱼ with Σα = 1 (equal by default).
    * ``game``: game-theoretic combination (博弈论组合赋权): α solves
      Σₖ αₖ wᵢ·wₖ = wᵢ·wᵢ for all i (minimising the deviation of the combination from every
      vector), then α* = |α|/Σ|α| and w = Σ α*ᵢ wᵢ.

    Parameters
    ----------
    *weights : array_like
        Two or more weight vectors of the same length (e.g. subjective AHP weights and
        objective entropy weights).
    method : {"multiplicative", "linear", "game"}, default "multiplicative"
        How to combine them.
    alpha : sequence of float, optional
        Coefficients of the ``linear`` combination, one per vector, summing to 1 (default
        equal).

    Returns
    -------
    numpy.ndarray
        The combined weights, summing to 1.

    Examples
    --------
    >>> a, b = [0.5, 0.5], [0.8, 0.2]
    >>> combine_weights(a, b).round(4).tolist()  # (0.4, 0.1) rescaled
    [0.8, 0.2]
    >>> combine_weights(a, b, method="linear").round(4).tolist()
    [0.65, 0.35]
    >>> combine_weights(a, b, method="linear", alpha=[0.25, 0.75]).round(4).tolist()
    [0.725, 0.275]
    """
    W = np.vstack([np.asarray(w, float) for w in weights])
    if W.shape[0] < 2:
        raise ValueError("combine at least two weight vectors")
    if method == "multiplicative":
        prod = W.prod(axis=0)
        return prod / prod.sum()
    if method == "linear":
        a = np.full(W.shape[0], 1.0 / W.shape[0]) if alpha is None else np.asarray(alpha, float)
        if not np.isclose(a.sum(), 1):
            raise DataError("linear combination coefficients must sum to 1")
        return a @ W
    if method == "game":
        G = W @ W.T
        a = np.linalg.solve(G, np.diag(G))
        a = np.abs(a) / np.abs(a).sum()
        out = a @ W
        return out / out.sum()
    raise ValueError("method must be multiplicative, linear or game")


# ---------------------------------------------------------------- registry
# Weights of a node of a framework from its children's normalised scores ``M`` (units ×
# children, already in [0, 1] and direction-aligned): ``f(M, names) -> weights``.
WEIGHTS = Registry("weights", "f(M, names) -> weights summing to 1")


@WEIGHTS.register("equal", label_zh="等权", label_en="Equal weights")
def _w_equal(M, names):
    """Every child the same weight."""
    return equal_weights(M.shape[-1])


@WEIGHTS.register("entropy", label_zh="熵值法", label_en="Entropy weights")
def _w_entropy(M, names):
    """Entropy of the normalised scores, k = 1/ln(units), 0·ln 0 = 0."""
    return entropy_weights(M, normalization="none", names=names)


@WEIGHTS.register("critic", label_zh="CRITIC法", label_en="CRITIC weights")
def _w_critic(M, names):
    """Standard deviation times the sum of (1 − r) (Diakoulaki et al. 1995)."""
    return critic_weights(M, normalization="none", names=names)


@WEIGHTS.register("cv", label_zh="变异系数法", label_en="Coefficient-of-variation weights")
def _w_cv(M, names):
    """σ/μ of each child."""
    return cv_weights(M, names=names)


@WEIGHTS.register("std", label_zh="标准差法", label_en="Standard-deviation weights")
def _w_std(M, names):
    """Standard deviation of each child."""
    return std_weights(M, normalization="none", names=names)


@WEIGHTS.register("pca", label_zh="主成分法", label_en="Principal-component weights")
def _w_pca(M, names):
    """Loadings of the components explaining 85 % of the variance."""
    return pca_weights(M, names=names)
