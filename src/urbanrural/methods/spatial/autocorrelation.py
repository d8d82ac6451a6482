"""Global Moran's I and Geary's C with analytical and permutation inference, and local Moran
(LISA) clusters: false-discovery-rate corrected by default, untested regions marked as such.
Same statistics as PySAL's ``esda`` (tested against it); permutations are vectorised and
seeded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...data.errors import DataError
from .weights import as_sparse_weights

__all__ = ["MoranResult", "GearyResult", "LocalMoranResult", "morans_i", "gearys_c",
           "local_morans", "fdr_threshold", "SIGNIFICANCE"]


def _y(y) -> np.ndarray:
    v = np.asarray(y, dtype=float).ravel()
    if not np.isfinite(v).all():
        raise DataError("spatial statistics need a value for every region (missing values "
                        "found); subset the weights to the regions with data")
    if v.std() == 0:
        raise DataError("the variable is constant across regions: autocorrelation undefined")
    return v


def _moments(W):
    n = W.shape[0]
    s0 = W.sum()
    WT = W + W.T
    s1 = 0.5 * WT.multiply(WT).sum()
    s2 = float((np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()) @
               (np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()))
    return n, float(s0), float(s1), s2


def _perm_p(sim: np.ndarray, observed: float) -> float:
    larger = int((sim >= observed).sum())
    if sim.shape[0] - larger < larger:
        larger = sim.shape[0] - larger
    return (larger + 1.0) / (sim.shape[0] + 1.0)


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I (Moran 1950; Cliff & Ord 1981). Attribute names follow esda."""

    I: float
    EI: float
    VI_norm: float
    z_norm: float
    p_norm: float
    p_sim: float | None
    EI_sim: float | None
    z_sim: float | None
    p_z_sim: float | None
    permutations: int
    n: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def morans_i(y, W, permutations: int = 999, seed: int | None = None, transform: str = "r",
             two_tailed: bool = True) -> MoranResult:
    r"""Global Moran's I:

    .. math:: I = \frac{n}{S_0}\frac{z^\top W z}{z^\top z}, \qquad E[I] = -\frac{1}{n-1}

    with z = y − ȳ and S₀ the sum of weights; variance under normality
    (n²S₁ − nS₂ + 3S₀²)/((n² − 1)S₀²) − E[I]². The permutation p-value is pseudo-significance
    (folded, (larger + 1)/(permutations + 1), as esda). ``W``: dense or sparse matrix, libpysal
    W or :func:`spatial_weights`; row-standardised (``transform="r"``) by default.
    """
    v = _y(y)
    Wt = as_sparse_weights(W, v.shape[0], transform)
    n, s0, s1, s2 = _moments(Wt)
    if s0 == 0:
        raise DataError("Moran's I needs neighbours: no region has one in these weights (e.g. "
                        "counties, for which the registry holds no adjacency) / 空间权重中没有"
                        "任何相邻关系，无法计算莫兰指数")
    z = v - v.mean()
    if not np.any(z):
        raise DataError("Moran's I of a constant variable is undefined / 常数变量的莫兰指数无定义")
    I_obs = n / s0 * float(z @ (Wt @ z)) / float(z @ z)
    EI = -1.0 / (n - 1)
    VI = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - EI * EI
    z_norm = (I_obs - EI) / np.sqrt(VI)
    p_norm = stats.norm.sf(abs(z_norm)) * (2 if two_tailed else 1)
    p_sim = EI_sim = z_sim = p_z_sim = None
    if permutations:
        rng = np.random.default_rng(seed)
        Z = rng.permuted(np.broadcast_to(z, (permutations, n)), axis=1)
        sim = n / s0 * np.einsum("pi,pi->p", Z, (Wt @ Z.T).T) / float(z @ z)
        p_sim = _perm_p(sim, I_obs)
        EI_sim = float(sim.mean())
        z_sim = float((I_obs - EI_sim) / sim.std())
        p_z_sim = float(stats.norm.sf(abs(z_sim)))
    return MoranResult(float(I_obs), EI, float(VI), float(z_norm), float(p_norm), p_sim,
                       EI_sim, z_sim, p_z_sim, permutations, n)


@dataclass(frozen=True)
class GearyResult:
    """Geary's C (Geary 1954). E[C] = 1; C < 1 means positive autocorrelation."""

    C: float
    EC: float
    VC_norm: float
    z_norm: float
    p_norm: float
    p_sim: float | None
    permutations: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def gearys_c(y, W, permutations: int = 999, seed: int | None = None,
             transform: str = "r") -> GearyResult:
    r"""Geary's C = (n − 1) Σᵢⱼ wᵢⱼ (yᵢ − yⱼ)² / (2 S₀ Σᵢ (yᵢ − ȳ)²), normal-approximation
    variance ((2S₁ + S₂)(n − 1) − 4S₀²)/(2(n + 1)S₀²); one-sided p in the direction of the
    deviation (as esda)."""
    v = _y(y)
    Wt = as_sparse_weights(W, v.shape[0], transform).tocoo()
    n, s0, s1, s2 = _moments(Wt.tocsr())
    den = 2.0 * s0 * float(((v - v.mean()) ** 2).sum())

    def calc(vals):
        d = vals[..., Wt.row] - vals[..., Wt.col]
        return (n - 1) * (d * d * Wt.data).sum(axis=-1) / den

    C = float(calc(v))
    VC = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1) * s0 * s0)
    zn = (C - 1.0) / np.sqrt(VC)
    pn = stats.norm.sf(zn) if C > 1 else stats.norm.cdf(zn)
    p_sim = None
    if permutations:
        rng = np.random.default_rng(seed)
        sim = calc(rng.permuted(np.broadcast_to(v, (permutations, n)), axis=1))
        p_sim = _perm_p(sim, C)
    return GearyResult(C, 1.0, float(VC), float(zn), float(pn), p_sim, permutations)


def fdr_threshold(p, alpha: float = 0.05) -> float:
    """Benjamini–Hochberg criterion in esda's ``fdr`` convention: kα/n for the largest k whose
    k-th smallest p-value is below kα/n; a test is significant when p < criterion. When no
    p-value passes, the Bonferroni bound α/n is returned (nothing is then below it either)."""
    ps = np.sort(np.asarray(p, float).ravel())
    n = ps.shape[0]
    if n == 0:
        raise DataError("no p-values to correct")
    crit = alpha * np.arange(1, n + 1) / n
    ok = np.flatnonzero(ps < crit)
    return float(crit[ok[-1]]) if ok.size else alpha / n


SIGNIFICANCE = ("fdr", "bonferroni", "two_sided", "one_sided")

QUADRANTS = {1: ("高-高", "High-High"), 2: ("低-高", "Low-High"), 3: ("低-低", "Low-Low"),
             4: ("高-低", "High-Low"), 0: ("不显著", "Not significant"),
             -1: ("无数据（未检验）", "No data (untested)")}

_METHOD_TEXT = {
    "fdr": ("伪p值经Benjamini–Hochberg错误发现率校正", "pseudo p-values corrected for the false "
            "discovery rate (Benjamini–Hochberg)"),
    "bonferroni": ("伪p值经Bonferroni校正", "pseudo p-values with the Bonferroni correction"),
    "two_sided": ("双侧置换伪p值，未作多重检验校正", "two-sided permutation pseudo p-values, "
                  "no multiple-testing correction"),
    "one_sided": ("单侧（折叠）置换伪p值，未作多重检验校正", "one-sided (folded) permutation pseudo "
                  "p-values, no multiple-testing correction"),
}


@dataclass(frozen=True)
class LocalMoranResult:
    """Local Moran's Iᵢ (Anselin 1995) with quadrant q (1 HH, 2 LH, 3 LL, 4 HL), conditional
    permutation p-values, and the cluster of every region under the significance rule used.

    Attributes
    ----------
    Is, q : local statistic and quadrant (NaN and 0 for regions that were not tested).
    p_sim : folded one-sided pseudo p-value, (min(larger, P − larger) + 1)/(P + 1) (esda's
        ``p_sim``); NaN when untested.
    p_two_sided : two-sided pseudo p-value min(1, 2·p_sim).
    tested : the region had a value, at least one neighbour with a value, and permutations
        were run. An untested region is "no data", never "not significant".
    untested_reason : why a region was not tested ("" when tested).
    significant : tested and significant under ``significance`` at ``alpha``.
    cluster : q where significant, 0 where tested but not significant, −1 where untested.
    significance : ``fdr``, ``bonferroni``, ``two_sided`` or ``one_sided`` (see
        :func:`local_morans`).
    p_threshold : the cut-off actually applied (the FDR criterion, α/n, or ``alpha``).
    """

    Is: np.ndarray
    q: np.ndarray
    p_sim: np.ndarray
    p_two_sided: np.ndarray
    tested: np.ndarray
    untested_reason: np.ndarray
    significant: np.ndarray
    cluster: np.ndarray
    alpha: float
    significance: str
    p_threshold: float
    permutations: int

    @property
    def fdr(self) -> bool:
        return self.significance == "fdr"

    @property
    def n_tested(self) -> int:
        return int(self.tested.sum())

    def method(self, lang: str = "en") -> str:
        """One sentence naming the significance rule, to print on the cluster map."""
        zh, en = _METHOD_TEXT[self.significance]
        rule = f"p < {self.p_threshold:.4g}" if self.fdr else f"p ≤ {self.p_threshold:.4g}"
        if lang == "zh":
            return (f"{zh}，α = {self.alpha:g}（{rule}），{self.permutations}次条件置换，"
                    f"{self.n_tested}个地区参与检验")
        return (f"{en}, α = {self.alpha:g} ({rule}); {self.permutations} conditional "
                f"permutations; {self.n_tested} regions tested")

    def to_frame(self, ids=None) -> pd.DataFrame:
        return pd.DataFrame({"I": self.Is, "q": self.q, "p_sim": self.p_sim,
                             "p_two_sided": self.p_two_sided, "tested": self.tested,
                             "untested_reason": self.untested_reason,
                             "significant": self.significant, "cluster": self.cluster,
                             "cluster_zh": [QUADRANTS[c][0] for c in self.cluster],
                             "cluster_en": [QUADRANTS[c][1] for c in self.cluster],
                             "significance": self.significance, "alpha": self.alpha,
                             "p_threshold": self.p_threshold,
                             "method_zh": self.method("zh"), "method_en": self.method("en")},
                            index=ids)


def local_morans(y, W, permutations: int = 999, seed: int | None = None, transform: str = "r",
                 alpha: float = 0.05, *, significance: str = "fdr") -> LocalMoranResult:
    r"""Local Moran: Iᵢ = (n − 1) zᵢ Σⱼ wᵢⱼ zⱼ / Σⱼ zⱼ² with z standardised (as esda).

    Conditional randomisation: for each region its value is held and its neighbours are drawn
    at random from the other n − 1 values, ``permutations`` times (vectorised, seeded); the
    folded pseudo p-value is (larger + 1)/(permutations + 1).

    Parameters
    ----------
    y : one value per row of ``W``. Missing values (NaN) are allowed: those regions are left
        out (the weights are restricted to the regions with a value before the
        ``transform``) and reported as untested, not as "not significant".
    significance :
        ``fdr`` (default) — Benjamini–Hochberg false-discovery-rate control over the tested
        regions at ``alpha``, in esda's convention: significant when p_sim < ``fdr(p_sim,
        alpha)`` (:func:`fdr_threshold`). Testing every region at α without a correction
        flags about α·n regions by chance alone.
        ``bonferroni`` — p_sim ≤ ``alpha`` / (number of tested regions).
        ``two_sided`` — min(1, 2·p_sim) ≤ ``alpha``, no correction.
        ``one_sided`` — p_sim ≤ ``alpha``, no correction (the habit of most papers; kept as an
        option).

    Regions without a neighbour among the regions with data are not tested (their lag is
    empty), nor is any region when ``permutations=0``.
    """
    if significance not in SIGNIFICANCE:
        raise ValueError(f"significance must be one of {SIGNIFICANCE}")
    v_all = np.asarray(y, dtype=float).ravel()
    n_all = v_all.shape[0]
    has_value = np.isfinite(v_all)
    keep = np.flatnonzero(has_value)
    if keep.size < 3:
        raise DataError(f"local Moran needs at least 3 regions with a value ({keep.size} have)")
    # restrict the weights to the regions with a value, then standardise their rows
    B = as_sparse_weights(W, n_all, "b")[keep][:, keep]
    Wt = as_sparse_weights(B, keep.size, transform)
    v = _y(v_all[keep])
    n = v.shape[0]
    z = (v - v.mean()) / v.std()
    den = float(z @ z)
    lag = Wt @ z
    Is = (n - 1) * z * lag / den
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    card = np.diff(Wt.indptr)
    p = np.full(n, np.nan)
    if permutations:
        rng = np.random.default_rng(seed)
        kmax = int(card.max())
        larger = np.zeros(n)
        if kmax:
            # one table of random draws without replacement from the n − 1 other regions is
            # shared by all regions (esda's crand does the same); index ≥ i skips region i
            rids = rng.random((permutations, n - 1)).argpartition(kmax - 1, axis=1)[:, :kmax]
            wpad = np.zeros((n, kmax))
            pos = np.arange(Wt.nnz) - np.repeat(Wt.indptr[:-1], card)
            wpad[np.repeat(np.arange(n), card), pos] = Wt.data
            for start in range(0, n, 256):  # blocks of regions bound the memory
                ii = np.arange(start, min(n, start + 256))
                idx = rids[None, :, :] + (rids[None, :, :] >= ii[:, None, None])
                sim = (n - 1) * z[ii, None] * np.einsum("ipk,ik->ip", z[idx], wpad[ii]) / den
                above = (sim >= Is[ii, None]).sum(axis=1)
                larger[ii] = np.minimum(above, permutations - above)
        p = (larger + 1.0) / (permutations + 1.0)
        p[card == 0] = np.nan
    tested_k = np.isfinite(p)
    p_two = np.minimum(1.0, 2.0 * p)
    if significance == "fdr":
        thr = fdr_threshold(p[tested_k], alpha) if tested_k.any() else alpha / max(n, 1)
        sig_k = tested_k & (np.nan_to_num(p, nan=1.0) < thr)
    elif significance == "bonferroni":
        thr = alpha / max(int(tested_k.sum()), 1)
        sig_k = tested_k & (np.nan_to_num(p, nan=1.0) <= thr)
    else:
        thr = alpha
        sig_k = tested_k & (np.nan_to_num(p if significance == "one_sided" else p_two,
                                          nan=1.0) <= alpha)
    # back to every row of W: regions without a value are untested
    reason = np.where(has_value, "", "no value").astype(object)
    reason[keep] = np.where(tested_k, "", "no permutations" if not permutations else
                            "no neighbour with a value")

    def full(a, fill, dtype=float):
        out = np.full(n_all, fill, dtype=dtype)
        out[keep] = a
        return out

    tested = full(tested_k, False, bool)
    sig = full(sig_k, False, bool)
    qq = np.where(tested, full(q, 0, int), 0)
    cluster = np.where(sig, qq, np.where(tested, 0, -1))
    return LocalMoranResult(full(Is, np.nan), qq, full(p, np.nan), full(p_two, np.nan), tested,
                            reason, sig, cluster, float(alpha), significance,
                            float(thr), int(permutations))
