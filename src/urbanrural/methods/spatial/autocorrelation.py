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


# below this many permuted values (permutations × regions) NumPy's own shuffle is used: it is
# fast there, and a first call of the compiled kernel would cost more than it saves
_KERNEL_MIN_VALUES = 400_000
_KERNEL = None


def _fisher_yates_kernel():
    """The compiled row shuffle (numba), or None when numba is not installed."""
    global _KERNEL
    if _KERNEL is None:
        try:
            import numba
        except ImportError:  # optional: NumPy gives the same permutations, slower
            _KERNEL = False
            return None

        @numba.njit(cache=True, nogil=True)
        def shuffle_rows(z, raw, t, p0, out, by_column):  # pragma: no cover - compiled
            # numpy's Generator.shuffle, row after row: Fisher–Yates from the top, each index
            # j ≤ i drawn by ``random_interval``: 32-bit draws (the low half of each 64-bit
            # output first) masked to the smallest 2^k − 1 ≥ i, rejected while above i.
            # Permutation p goes to out[p] or, by_column, to out[:, p].
            n = z.shape[0]
            rows = out.shape[1] if by_column else out.shape[0]
            total = raw.shape[0] * 2
            row = np.empty(n)
            for p in range(p0, rows):
                t_row = t
                for i in range(n):
                    row[i] = z[i]
                for i in range(n - 1, 0, -1):
                    mask = np.uint64(i)
                    mask |= mask >> np.uint64(1)
                    mask |= mask >> np.uint64(2)
                    mask |= mask >> np.uint64(4)
                    mask |= mask >> np.uint64(8)
                    mask |= mask >> np.uint64(16)
                    while True:
                        if t >= total:
                            return p, t_row
                        r = raw[t >> 1]
                        v = (r >> np.uint64(32)) if t & 1 else (r & np.uint64(0xFFFFFFFF))
                        t += 1
                        v &= mask
                        if v <= np.uint64(i):
                            break
                    j = np.int64(v)
                    row[i], row[j] = row[j], row[i]
                if by_column:
                    for i in range(n):
                        out[i, p] = row[i]
                else:
                    for i in range(n):
                        out[p, i] = row[i]
            return rows, t

        _KERNEL = shuffle_rows
    return _KERNEL or None


def _permuted_rows(z: np.ndarray, permutations: int, seed, *, by_column: bool = False
                   ) -> np.ndarray:
    """``default_rng(seed).permuted(np.broadcast_to(z, (permutations, n)), axis=1)``: every row
    a random permutation of ``z``, the very same values as that NumPy call (``by_column``:
    its transpose, permutation p in column p, C-ordered).

    For large inputs and an integer (or no) seed, a compiled kernel (numba, optional) replays
    NumPy's algorithm on the raw output of the same PCG64 stream, without NumPy's overhead
    per row; otherwise NumPy runs it.
    """
    n = z.shape[0]
    simple_seed = seed is None or isinstance(seed, (int, np.integer))
    kernel = _fisher_yates_kernel() if simple_seed and permutations * n >= _KERNEL_MIN_VALUES \
        else None
    rng = np.random.default_rng(seed)
    if kernel is None or not isinstance(rng.bit_generator, np.random.PCG64) or \
            rng.bit_generator.state.get("has_uint32"):
        Z = rng.permuted(np.broadcast_to(z, (permutations, n)), axis=1)
        return Z.T if by_column else Z
    z = np.ascontiguousarray(z, dtype=np.float64)
    out = np.empty((n, permutations) if by_column else (permutations, n))
    # on average about 0.7 64-bit draws per value (random_interval rejects < half)
    raw = rng.bit_generator.random_raw(permutations * n)
    p, t = kernel(z, raw, 0, 0, out, by_column)
    while p < permutations:  # ran out of draws: carry on with the rest of the same stream
        raw = np.concatenate([raw[t >> 1:], rng.bit_generator.random_raw(
            max(1024, (permutations - p) * n))])
        p, t = kernel(z, raw, t & 1, p, out, by_column)
    return out


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


def morans_i(y, W, *, permutations: int = 999, seed: int | None = None, transform: str = "r",
             two_tailed: bool = True) -> MoranResult:
    r"""Global Moran's I with analytical and permutation inference (Moran 1950; Cliff & Ord 1981).

    .. math:: I = \frac{n}{S_0}\frac{z^\top W z}{z^\top z}, \qquad E[I] = -\frac{1}{n-1}

    with z = y − ȳ and S₀ the sum of weights; variance under normality
    (n²S₁ − nS₂ + 3S₀²)/((n² − 1)S₀²) − E[I]². The permutation p-value is pseudo-significance
    (folded, (larger + 1)/(permutations + 1), as esda).

    Parameters
    ----------
    y : array_like
        One value per region, in the order of ``W``'s rows; no missing values.
    W : SpatialWeights, array_like, scipy.sparse matrix or libpysal W
        Spatial weights (e.g. from :func:`spatial_weights`).
    permutations : int, default 999
        Random permutations for the pseudo p-value (0: none).
    seed : int, optional
        Seed of the permutations (None: not reproducible).
    transform : {"r", "b"}, default "r"
        Row-standardise the weights, or use them as given (binary).
    two_tailed : bool, default True
        Two-tailed p-value under normality (``p_norm``).

    Returns
    -------
    MoranResult
        I, E[I], its variance, z and p under normality, and the permutation results
        (attribute names as esda).

    Raises
    ------
    DataError
        For missing values, a constant variable, or weights without any neighbours.

    Examples
    --------
    Four regions in a row (a – b – c – d) with values 1, 2, 3, 4. Row-standardised,
    zᵀWz = 2 and zᵀz = 5, so I = (4/4)(2/5):

    >>> w = [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    >>> m = morans_i([1, 2, 3, 4], w, permutations=0)
    >>> round(m.I, 4), round(m.EI, 4)
    (0.4, -0.3333)
    >>> round(morans_i([1, 2, 3, 4], w, permutations=0, transform="b").I, 4)  # (4/6)(2.5/5)
    0.3333
    """
    v = _y(y)
    Wt = as_sparse_weights(W, n=v.shape[0], transform=transform)
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
        # permutation p in column p: the sparse product and the sum over regions then run
        # on contiguous memory (the same numbers as with one permutation per row)
        Zt = _permuted_rows(z, permutations, seed, by_column=True)
        sim = n / s0 * np.einsum("ip,ip->p", Zt, Wt @ Zt) / float(z @ z)
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


def gearys_c(y, W, *, permutations: int = 999, seed: int | None = None,
             transform: str = "r") -> GearyResult:
    r"""Geary's C (Geary 1954) with analytical and permutation inference.

    .. math:: C = \frac{(n - 1)\sum_i\sum_j w_{ij}(y_i - y_j)^2}{2 S_0 \sum_i (y_i - \bar y)^2}

    E[C] = 1, normal-approximation variance ((2S₁ + S₂)(n − 1) − 4S₀²)/(2(n + 1)S₀²);
    one-sided p in the direction of the deviation (as esda). C < 1 means positive
    autocorrelation.

    Parameters
    ----------
    y : array_like
        One value per region, in the order of ``W``'s rows; no missing values.
    W : SpatialWeights, array_like, scipy.sparse matrix or libpysal W
        Spatial weights (e.g. from :func:`spatial_weights`).
    permutations : int, default 999
        Random permutations for the pseudo p-value (0: none).
    seed : int, optional
        Seed of the permutations (None: not reproducible).
    transform : {"r", "b"}, default "r"
        Row-standardise the weights, or use them as given (binary).

    Returns
    -------
    GearyResult
        C, E[C] = 1, its variance, z and p under normality, and the permutation p-value.

    Raises
    ------
    DataError
        For missing values or a constant variable.

    Examples
    --------
    Four regions in a row with values 1, 2, 3, 4: every neighbour pair differs by 1, so
    Σᵢⱼ wᵢⱼ(yᵢ − yⱼ)² = 4 (row-standardised) and C = 3 · 4 / (2 · 4 · 5):

    >>> w = [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    >>> g = gearys_c([1, 2, 3, 4], w, permutations=0)
    >>> round(g.C, 4), g.EC
    (0.3, 1.0)
    """
    v = _y(y)
    Wt = as_sparse_weights(W, n=v.shape[0], transform=transform).tocoo()
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
        sim = calc(_permuted_rows(v, permutations, seed))
        p_sim = _perm_p(sim, C)
    return GearyResult(C, 1.0, float(VC), float(zn), float(pn), p_sim, permutations)


def fdr_threshold(p, *, alpha: float = 0.05) -> float:
    """Benjamini–Hochberg criterion in esda's ``fdr`` convention: kα/n for the largest k whose
    k-th smallest p-value is below kα/n; a test is significant when p < criterion. When no
    p-value passes, the Bonferroni bound α/n is returned (nothing is then below it either).

    Examples
    --------
    p sorted 0.01, 0.02, 0.03, 0.2 against kα/n = 0.0125, 0.025, 0.0375, 0.05: the largest k
    passing is 3, so the criterion is 0.0375:

    >>> round(fdr_threshold([0.2, 0.01, 0.03, 0.02]), 12)
    0.0375
    """
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


def local_morans(y, W, *, permutations: int = 999, seed: int | None = None, transform: str = "r",
                 alpha: float = 0.05, significance: str = "fdr") -> LocalMoranResult:
    r"""Local Moran (LISA; Anselin 1995): Iᵢ = (n − 1) zᵢ Σⱼ wᵢⱼ zⱼ / Σⱼ zⱼ² with z
    standardised (as esda).

    .. math:: I_i = (n - 1)\,\frac{z_i \sum_j w_{ij} z_j}{\sum_j z_j^2}

    Conditional randomisation: for each region its value is held and its neighbours are drawn
    at random from the other n − 1 values, ``permutations`` times (vectorised, seeded); the
    folded pseudo p-value is (larger + 1)/(permutations + 1).

    Regions without a neighbour among the regions with data are not tested (their lag is
    empty), nor is any region when ``permutations=0``.

    Parameters
    ----------
    y : array_like
        One value per row of ``W``. Missing values (NaN) are allowed: those regions are left
        out (the weights are restricted to the regions with a value before the
        ``transform``) and reported as untested, not as "not significant".
    W : SpatialWeights, array_like, scipy.sparse matrix or libpysal W
        Spatial weights (e.g. from :func:`spatial_weights`).
    permutations : int, default 999
        Conditional permutations per region (0: none, nothing is tested).
    seed : int, optional
        Seed of the permutations (None: not reproducible).
    transform : {"r", "b"}, default "r"
        Row-standardise the weights, or use them as given (binary).
    alpha : float, default 0.05
        Significance level.
    significance : {"fdr", "bonferroni", "two_sided", "one_sided"}, default "fdr"
        ``fdr`` — Benjamini–Hochberg false-discovery-rate control over the tested
        regions at ``alpha``, in esda's convention: significant when p_sim < ``fdr(p_sim,
        alpha)`` (:func:`fdr_threshold`). Testing every region at α without a correction
        flags about α·n regions by chance alone.
        ``bonferroni`` — p_sim ≤ ``alpha`` / (number of tested regions).
        ``two_sided`` — min(1, 2·p_sim) ≤ ``alpha``, no correction.
        ``one_sided`` — p_sim ≤ ``alpha``, no correction (the habit of most papers; kept as an
        option).

    Returns
    -------
    LocalMoranResult
        Iᵢ, quadrant, pseudo p-values, which regions were tested and why not, significance
        and cluster per region, and the rule applied.

    Raises
    ------
    DataError
        For fewer than three regions with a value, or a constant variable.

    Examples
    --------
    Four regions in a row with values 1, 2, 3, 4: the two low ones sit beside low values
    (Low-Low, quadrant 3) and the two high ones beside high values (High-High, 1);
    Iₐ = 3 · (−1.5)(−0.5) / (1.25 · 4) = 0.45:

    >>> w = [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    >>> r = local_morans([1, 2, 3, 4], w, permutations=99, seed=1)
    >>> r.Is.round(4).tolist(), r.q.tolist(), r.n_tested
    ([0.45, 0.15, 0.15, 0.45], [3, 3, 1, 1], 4)
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
    B = as_sparse_weights(W, n=n_all, transform="b")[keep][:, keep]
    Wt = as_sparse_weights(B, n=keep.size, transform=transform)
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
            # region i draws z[r + (r ≥ i)]: both candidates gathered once, then chosen per
            # block (a select, not a new index array per region; the same values)
            rids = rids.astype(np.int32 if n < 2**31 - 1 else np.int64)
            z_at, z_after = z[rids], z[rids + 1]
            for start in range(0, n, 256):  # blocks of regions bound the memory
                ii = np.arange(start, min(n, start + 256), dtype=rids.dtype)
                drawn = np.where(rids[None] >= ii[:, None, None], z_after[None], z_at[None])
                sim = (n - 1) * z[ii, None] * np.einsum("ipk,ik->ip", drawn, wpad[ii]) / den
                above = (sim >= Is[ii, None]).sum(axis=1)
                larger[ii] = np.minimum(above, permutations - above)
        p = (larger + 1.0) / (permutations + 1.0)
        p[card == 0] = np.nan
    tested_k = np.isfinite(p)
    p_two = np.minimum(1.0, 2.0 * p)
    if significance == "fdr":
        thr = fdr_threshold(p[tested_k], alpha=alpha) if tested_k.any() else alpha / max(n, 1)
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
