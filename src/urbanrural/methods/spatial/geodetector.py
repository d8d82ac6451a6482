"""GeoDetector (Wang et al. 2010; Wang, Zhang & Fu 2016): factor, interaction, risk and
ecological detectors, with discretisation of raw factors and an optimal-discretisation
search. q measures the share of variance explained by strata (an ANOVA η²); it is an
association, not a cause, and depends on the size of the spatial units (MAUP)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...data.errors import DataError, Issue

__all__ = ["GeoDetectorResult", "geodetector", "factor_q", "discretize", "optimal_discretization"]


def _strata(x) -> tuple[np.ndarray, int]:
    codes, uniq = pd.factorize(pd.Series(x), sort=True)
    if (codes < 0).any():
        raise DataError(Issue("a factor has missing strata labels", column=getattr(x, "name",
                                                                                   None)))
    return codes, len(uniq)


def factor_q(y: np.ndarray, codes: np.ndarray, L: int, *, single: str = "keep",
             variance: str = "population"):
    r"""q = 1 − Σₕ Nₕσₕ² / (Nσ²) and its p-value from the non-central F distribution:

    F = (N − L)/(L − 1) · q/(1 − q) ~ F(L − 1, N − L; λ),
    λ = [Σₕ Ȳₕ² − (Σₕ √Nₕ Ȳₕ)²/N] / σ²  (Wang, Zhang & Fu 2016).

    Two conventions change the p-value, never q:

    * ``variance``: σ² in λ is the population variance (``"population"``, as the GD and gdverse
      R packages) or the sample variance with N − 1 (``"sample"``, as the R package
      geodetector 1.0-5). This is why the neural-tube-defect example gives p = 0.372 in one
      and 0.363 in the other for soil type (q = 0.3857 in both).
    * ``single``: strata with a single observation are counted in L for the degrees of
      freedom (``"keep"``) or left out (``"drop"``).
    """
    N = y.shape[0]
    cnt = np.bincount(codes, minlength=L).astype(float)
    s = np.bincount(codes, weights=y, minlength=L)
    ss = np.bincount(codes, weights=y * y, minlength=L)
    used = cnt > 0
    mean_h = np.divide(s, cnt, out=np.zeros(L), where=used)
    ssw = float(np.sum(ss - cnt * mean_h**2))
    sst = float(np.sum((y - y.mean()) ** 2))
    if sst == 0:
        raise DataError("y is constant: q is undefined")
    q = 1.0 - ssw / sst
    Lq = int(used.sum()) if single == "keep" else int((cnt > 1).sum())
    var = sst / N if variance == "population" else sst / (N - 1)
    lam = (np.sum(mean_h[used] ** 2) - np.sum(np.sqrt(cnt[used]) * mean_h[used]) ** 2 / N) / var
    if Lq < 2 or N - Lq < 1 or q >= 1:
        return q, np.nan
    F = (N - Lq) / (Lq - 1) * q / (1 - q)
    p = float(stats.ncf.sf(F, Lq - 1, N - Lq, lam))
    return float(q), p


def _interaction_type(q1, q2, q12, tol=1e-12) -> tuple[str, str]:
    lo, hi = min(q1, q2), max(q1, q2)
    if q12 < lo - tol:
        return "非线性减弱", "weaken, nonlinear"
    if q12 < hi - tol:
        return "单因子非线性减弱", "weaken, uni-"
    if abs(q12 - (q1 + q2)) <= 1e-9:
        return "独立", "independent"
    if q12 > q1 + q2:
        return "非线性增强", "enhance, nonlinear"
    return "双因子增强", "enhance, bi-"


@dataclass(frozen=True)
class GeoDetectorResult:
    """``q`` and ``p`` (Series by factor), the interaction, risk and ecological tables, and
    ``circular`` (Series by factor): True for a factor that is a component of y itself (an
    indicator of the index it explains, or built from y), whose q is high by construction and
    says nothing about drivers.

    Examples
    --------
    >>> r = geodetector([1.0, 2.0, 11.0, 12.0], {"zone": ["a", "a", "b", "b"]})
    >>> r.to_frame().q.round(4).tolist()
    [0.9901]
    """

    q: pd.Series
    p: pd.Series
    interaction: pd.DataFrame
    risk: pd.DataFrame
    ecological: pd.DataFrame
    strata: pd.DataFrame
    circular: pd.Series | None = None

    def to_frame(self) -> pd.DataFrame:
        circ = self.circular if self.circular is not None else \
            pd.Series(False, index=self.q.index)
        return pd.DataFrame({"q": self.q, "p": self.p, "circular": circ.astype(bool)})


def discretize(x, *, method: str = "quantile", k: int = 5) -> np.ndarray:
    """Strata of a continuous factor: ``quantile``, ``equal`` (equal interval) or ``natural``
    (Jenks natural breaks via mapclassify)."""
    v = np.asarray(x, dtype=float)
    if not np.isfinite(v).all():
        raise DataError("factor values are missing")
    if method == "quantile":
        bins = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)[1:-1]))
        return np.searchsorted(bins, v, side="right")
    if method == "equal":
        edges = np.linspace(v.min(), v.max(), k + 1)[1:-1]
        return np.searchsorted(edges, v, side="right")
    if method == "natural":
        import mapclassify

        return mapclassify.NaturalBreaks(v, k=k).yb
    raise ValueError("method must be quantile, equal or natural")


#: British spelling of :func:`discretize`.
discretise = discretize


def optimal_discretization(y, x, *, methods=("quantile", "equal", "natural"), ks=range(3, 9)
                           ) -> pd.DataFrame:
    """Optimal-parameters search (OPGD, Song et al. 2020): q for every method × number of
    strata, best first. The choice changes q; report it."""
    yv = np.asarray(y, dtype=float)
    rows = []
    for m in methods:
        for k in ks:
            codes, L = _strata(discretize(x, method=m, k=k))
            q, p = factor_q(yv, codes, L)
            rows.append({"method": m, "k": k, "strata": L, "q": q, "p": p})
    return pd.DataFrame(rows).sort_values("q", ascending=False, ignore_index=True)


def geodetector(y, X: pd.DataFrame, *, discretize_method: str | None = None, k: int = 5,
                single: str = "keep", variance: str = "population", alpha: float = 0.05,
                components=()) -> GeoDetectorResult:
    r"""All four detectors for response ``y`` and factors ``X`` (a DataFrame of strata labels;
    with ``discretize_method`` raw numeric columns are stratified first).

    ``components``: names of factors (columns of ``X``) that are components of ``y`` — e.g.
    an indicator of the composite index being explained. Their q is computed as usual but
    flagged ``circular`` in the result: a part of an index stratifies the index by
    construction, so its q is not evidence of a driver.

    * factor detector: q and p per factor;
    * interaction detector: q(X1 ∩ X2) on the overlay of two factors (rows used are the same
      for all terms) and the interaction type;
    * risk detector: stratum means and Welch t-tests between every pair of strata of a factor;
    * ecological detector: F = [N₁(N₂ − 1)SSW₁]/[N₂(N₁ − 1)SSW₂] comparing two factors'
      within-strata variances (one-sided, as the R package geodetector).

    .. math:: q = 1 - \frac{\sum_{h=1}^{L} N_h \sigma_h^2}{N \sigma^2}

    (Wang et al. 2010; the p-value from the non-central F of Wang, Zhang & Fu 2016, see
    :func:`factor_q`).

    Parameters
    ----------
    y : array_like
        The response, one value per unit, no missing values.
    X : DataFrame
        Factors, one column each: strata labels, or raw numbers with ``discretize_method``.
    discretize_method : {"quantile", "equal", "natural"}, optional
        Stratify numeric columns with more than ``k`` distinct values first.
    k : int, default 5
        Number of strata for the discretisation.
    single : {"keep", "drop"}, default "keep"
        Count strata with one observation in the degrees of freedom or not.
    variance : {"population", "sample"}, default "population"
        σ² in the non-centrality parameter (changes p, never q).
    alpha : float, default 0.05
        Significance level of the risk and ecological detectors.
    components : str or sequence of str, default ()
        Factors that are components of ``y``, flagged ``circular``.

    Returns
    -------
    GeoDetectorResult
        q and p per factor, the interaction, risk and ecological tables, the strata and the
        ``circular`` flags.

    Raises
    ------
    DataError
        For missing values, ``X`` of the wrong length, a constant ``y`` or unknown
        ``components``.

    Examples
    --------
    Zone splits y into {1, 2, 3, 4} and {11, …, 14}: within-strata sum of squares 2 · 5 = 10
    against a total of 210, so q = 1 − 10/210:

    >>> import pandas as pd
    >>> y = [1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0, 14.0]
    >>> x = pd.DataFrame({"zone": list("aaaabbbb"), "other": list("abababab")})
    >>> r = geodetector(y, x)
    >>> r.q.round(4).to_dict()
    {'zone': 0.9524, 'other': 0.0095}
    >>> round(1 - 10 / 210, 4)
    0.9524
    >>> r.interaction[["q_ab", "type_en"]].round(4).values.tolist()
    [[0.9619, 'independent']]
    """
    yv = np.asarray(y, dtype=float)
    if not np.isfinite(yv).all():
        raise DataError("y has missing values")
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X)
    if len(X) != yv.shape[0]:
        raise DataError(f"X has {len(X)} rows for {yv.shape[0]} values of y")
    components = [components] if isinstance(components, str) else list(components)
    unknown = [c for c in components if c not in X.columns]
    if unknown:
        raise DataError([Issue("component named in components= is not a factor of X",
                               column=str(c)) for c in unknown])
    strata = X.copy()
    if discretize_method:
        for c in X.columns:
            if pd.api.types.is_numeric_dtype(X[c]) and X[c].nunique() > k:
                strata[c] = discretize(X[c], method=discretize_method, k=k)
    codes = {c: _strata(strata[c]) for c in strata.columns}
    q, p = {}, {}
    for c, (cd, L) in codes.items():
        q[c], p[c] = factor_q(yv, cd, L, single=single, variance=variance)
    cols = list(strata.columns)
    inter = []
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            combo = codes[a][0] * codes[b][1] + codes[b][0]
            cd, L = _strata(combo)
            q12, _ = factor_q(yv, cd, L, single=single)
            zh, en = _interaction_type(q[a], q[b], q12)
            inter.append({"factor_a": a, "factor_b": b, "q_a": q[a], "q_b": q[b],
                          "q_ab": q12, "type_zh": zh, "type_en": en})
    risk = []
    for c in cols:
        lab = strata[c].to_numpy()
        groups = {g: yv[lab == g] for g in pd.unique(lab)}
        keys = sorted(groups, key=str)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                ya, yb = groups[a], groups[b]
                if len(ya) > 1 and len(yb) > 1:
                    t, pt = stats.ttest_ind(ya, yb, equal_var=False)
                else:
                    t, pt = np.nan, np.nan
                risk.append({"factor": c, "stratum_a": a, "stratum_b": b,
                             "mean_a": ya.mean(), "mean_b": yb.mean(), "t": t, "p": pt,
                             "significant": bool(pt < alpha) if np.isfinite(pt) else False})
    eco = []
    N = yv.shape[0]
    ssw = {}
    for c, (cd, L) in codes.items():
        cnt = np.bincount(cd, minlength=L)
        s = np.bincount(cd, weights=yv, minlength=L)
        ss = np.bincount(cd, weights=yv * yv, minlength=L)
        ssw[c] = float(np.sum(ss - np.divide(s * s, cnt, out=np.zeros(L), where=cnt > 0)))
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            # N₁ = N₂ = N here (every factor stratifies the same units), so F = SSW₁/SSW₂
            F = ssw[a] / ssw[b] if ssw[b] > 0 else np.nan
            pf = float(stats.f.sf(F, N - 1, N - 1)) if np.isfinite(F) else np.nan
            eco.append({"factor_a": a, "factor_b": b, "F": F, "p": pf,
                        "significant": bool(pf < alpha) if np.isfinite(pf) else False})
    circular = pd.Series({c: c in components for c in cols}, name="circular", dtype=bool)
    return GeoDetectorResult(pd.Series(q, name="q"), pd.Series(p, name="p"),
                             pd.DataFrame(inter), pd.DataFrame(risk), pd.DataFrame(eco),
                             strata, circular)
