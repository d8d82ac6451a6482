r"""Phillips–Sul log t convergence test and club clustering.

References
----------
* Phillips, P. C. B. & Sul, D. (2007). Transition modeling and econometric convergence tests.
  *Econometrica* 75(6), 1771–1855 — the log t test and the clustering algorithm (steps 1–4).
* Phillips, P. C. B. & Sul, D. (2009). Economic transition and growth. *Journal of Applied
  Econometrics* 24(7), 1153–1185 — merging adjacent clubs.
* von Lyncker, K. & Thoennessen, R. (2017). Regional club convergence in the EU: evidence from a
  panel data analysis. *Empirical Economics* 52(2), 525–553 — merging with a look at the next
  pair, and merging divergent units into clubs.

Conventions
-----------
Two implementations are in common use and they can give different clubs on the same data: the R
package ConvergenceClubs 2.2.5 (Sichera & Pizzuto 2019) and the Stata package psecta (Du 2017).
Their sources (R ``estimateMod``/``ps_andrews_hac``/``coreG``/``club``/``findClubs``; Stata
``lpsecta.do``: ``_reglogt``/``_andrs``/``_findclub``/``_getcluster``) differ in these points,
and ``convention=`` picks one set:

===========================  ==================================  =============================
                             ``"R"`` (default)                   ``"psecta"``
===========================  ==================================  =============================
long-run variance of û       Quadratic Spectral kernel with the   the same estimator (both are
                             AR(1) plug-in bandwidth              translations of Phillips &
                             1.3221 (α̂ n)^{1/5} of Phillips &     Sul's GAUSS code; psecta also
                             Sul's GAUSS code ("FQSB")            demeans û, a no-op with OLS)
periods discarded, [rT]      round half to even (R ``round``)     round half up (Stata
                                                                  ``round``): 35 × 0.3 drops 11
core group size              the size with the largest |t|        the size with the largest t
                                                                  (as in Phillips & Sul 2007)
club failing its own test    kept (c* fixed)                      c* raised by 0.05 until the
                                                                  club passes, up to 50; then
                                                                  the core group alone
===========================  ==================================  =============================

R's data-driven "AQSB" bandwidth (``sandwich::vcovHAC``) is not implemented. Both conventions
share everything else: the whole sample is tested first; units are sorted by the last period of
the (filtered) series; when the top pair fails (t ≤ −1.65) the top unit is dropped and the
next pair tried; the core grows while t > −1.65; every unit outside the core (those ranked above
it included) joins the club when t(core + unit) > c*; the remainder is tested as a whole before
it is clustered again (step 4).
A t statistic that cannot be computed (NaN: identical series give H_t = 0) counts as a failed test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ...data.errors import DataError, Issue

__all__ = ["CRITICAL_T", "hp_trend", "LogTResult", "log_t_test", "convergence_clubs"]

#: One-sided 5 % critical value of the log t test: convergence is rejected when t ≤ −1.65.
CRITICAL_T = -1.65

Convention = Literal["R", "psecta"]
MergeMethod = Literal["PS2009", "vLT2017"]

# Largest number of float64 cells of one (groups × units × periods) block of H computations
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class _Rules:
    half_even: bool          # rounding of r·T
    core_by_abs_t: bool      # R's coreG picks max |t|; psecta and PS (2007) pick max t
    demean_residuals: bool   # psecta's _reglogt demeans the residuals
    cstar_increment: float   # default step of c* when a club fails its own test (0 = fixed)
    cstar_cap: float         # default cap of c*
    cap_inclusive: bool      # R raises c* while c* ≤ cap, psecta while c* < cap


_CONVENTIONS: dict[str, _Rules] = {
    # ConvergenceClubs 2.2.5: findClubs(cstar_method = "fixed"); cstar_increment 0.1 and
    # cstar_cap 3 are R's defaults for cstar_method = "incremental"
    "R": _Rules(True, True, False, 0.0, 3.0, True),
    # psecta: kq(0.3) cr(0) incr(0.05) maxcr(50); the default r here stays 1/3 (see r=)
    "psecta": _Rules(False, False, True, 0.05, 50.0, False),
}


def hp_trend(x, *, lam: float = 400.0) -> np.ndarray:
    r"""Hodrick–Prescott trend of each row of ``x`` (periods along the last axis).

    Minimises :math:`\sum_t (x_t-\tau_t)^2 + \lambda \sum_t (\Delta^2 \tau_t)^2`, i.e. solves
    :math:`(I + \lambda D'D)\tau = x` with :math:`D` the second-difference matrix. The sparse
    system is factorised once and solved for all rows together.

    Parameters
    ----------
    x : array_like
        One series (1-D) or a units × periods array.
    lam : float, default 400
        Smoothing parameter; 400 is Phillips & Sul's choice for annual data.

    Returns
    -------
    numpy.ndarray
        Trend, units × periods (a 1-D input gives one row).
    """
    x = np.atleast_2d(np.asarray(x, float))
    T = x.shape[1]
    if T < 3:
        return x.copy()
    D = sp.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(T - 2, T))
    A = (sp.identity(T) + lam * (D.T @ D)).tocsc()
    return np.asarray(splu(A).solve(np.ascontiguousarray(x.T))).T


@dataclass(frozen=True)
class LogTResult:
    """One log t regression: log(H₁/H_t) − 2 log(log t) = a + b log t + u.

    Attributes
    ----------
    b : float
        Slope b̂ (twice the speed of convergence α).
    se : float
        Its standard error, with the Phillips–Sul long-run variance of the residuals.
    t : float
        b̂ / se; convergence is rejected at 5 % when t ≤ −1.65.
    n : int
        Number of units tested.
    periods_used : int
        Periods in the regression, T − [rT].
    discarded_periods : int
        [rT], the first periods left out.
    intercept : float
        â.
    """

    b: float
    se: float
    t: float
    n: int
    periods_used: int
    discarded_periods: int = 0
    intercept: float = float("nan")

    @property
    def converges(self) -> bool:
        """True when the test does not reject convergence (t > −1.65)."""
        return bool(self.t > CRITICAL_T)


# ---------------------------------------------------------------------------------------------
# input


def _rules(convention: str) -> _Rules:
    if convention not in _CONVENTIONS:
        raise ValueError(f"convention must be one of {sorted(_CONVENTIONS)}, not {convention!r}")
    return _CONVENTIONS[convention]


def _discarded_periods(T: int, r: float, rules: _Rules) -> int:
    """[rT] as the convention rounds it (R: half to even; Stata: half up)."""
    x = T * r
    return int(round(x)) if rules.half_even else int(np.floor(x + 0.5))


def _check_periods(T: int, r: float, rules: _Rules) -> int:
    if not 0 < r < 1:
        raise ValueError(f"r must lie strictly between 0 and 1, not {r!r}")
    skip = _discarded_periods(T, r, rules)
    if skip < 1:
        # period 1 has log(log 1) = −∞ and cannot enter the regression
        raise DataError(Issue(f"对数t检验至少要舍弃第1期，r·T = {T * r:.3g} 取整为 0 / the log t test "
                              f"must discard at least period 1, but r·T = {T * r:.3g} rounds to 0: "
                              f"use a larger r or more periods", value=str(T)))
    if T - skip < 3:
        raise DataError(Issue(f"对数t检验回归至少需要3期 / the log t regression needs at least 3 "
                              f"periods after discarding [rT] = {skip} of {T}", value=str(T)))
    return skip


def _transformed(Y, *, take_log: bool, hp_lambda: float | None) -> tuple[list, np.ndarray]:
    """Labels and the units × periods array the test works on: log (optional), then HP trend."""
    if isinstance(Y, pd.DataFrame):
        labels = list(Y.index)
        A = Y.to_numpy(float)
    else:
        A = np.asarray(Y, float)
        if A.ndim != 2:
            raise DataError("对数t检验需要地区×时期的二维表 / the log t test needs a regions × "
                            "periods table")
        labels = list(range(A.shape[0]))
    if A.ndim != 2 or A.shape[0] < 2:
        raise DataError("对数t检验至少需要2个地区 / the log t test needs at least 2 regions")
    bad = ~np.isfinite(A).all(axis=1)
    if bad.any():
        names = ", ".join(map(str, np.asarray(labels, dtype=object)[bad][:10]))
        raise DataError(Issue(f"对数t检验需要平衡面板，以下地区有缺失值 / the log t test needs a "
                              f"balanced panel; regions with missing values: {names}"))
    if take_log:
        bad = (A <= 0).any(axis=1)
        if bad.any():
            names = ", ".join(map(str, np.asarray(labels, dtype=object)[bad][:10]))
            raise DataError(Issue(f"取对数需要正值 / taking logs needs positive values; regions "
                                  f"with zero or negative values: {names}"))
        A = np.log(A)
    if hp_lambda:
        if hp_lambda < 0:
            raise ValueError(f"hp_lambda must be positive or None, not {hp_lambda!r}")
        A = hp_trend(A, lam=hp_lambda)
    # h_it = X_it / mean_i X_it is a relative transition path only when all X share one sign
    # (R and psecta run regardless, and published clubs exist for such series, so warn)
    if not ((A > 0).all() or (A < 0).all()):
        warnings.warn("相对转移路径 h = X/均值 要求所有值同号 / the relative transition path "
                      "h = X / mean X assumes values of one sign, but the (logged, filtered) "
                      "series has both signs or zeros (logs of values on both sides of 1 do "
                      "this): h can explode where a group mean nears zero", stacklevel=3)
    return labels, A


# ---------------------------------------------------------------------------------------------
# batched log t regressions


def _cross_sectional_variance(X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """H_t = mean_{i∈g} (h_it − 1)², h_it = X_it / mean_{i∈g} X_it, for every group g.

    ``groups`` is a boolean groups × units mask. Two passes (mean, then squared deviations of
    h), as R's computeH and psecta's _reglogt do, rather than E[X²]/E[X]² − 1, which loses
    digits when a club has nearly converged."""
    G, N = groups.shape
    T = X.shape[1]
    W = groups.astype(float)
    size = W.sum(axis=1)
    mean = (W @ X) / size[:, None]
    H = np.empty((G, T))
    step = max(1, _BLOCK_CELLS // max(1, N * T))
    for lo in range(0, G, step):
        hi = min(G, lo + step)
        dev = (X[None, :, :] / mean[lo:hi, None, :] - 1.0) ** 2
        H[lo:hi] = np.einsum("gn,gnt->gt", W[lo:hi], dev) / size[lo:hi, None]
    return H


def _long_run_variance(u: np.ndarray) -> np.ndarray:
    """Phillips & Sul's long-run variance of each row of residuals ``u`` (groups × n).

    Quadratic Spectral kernel, bandwidth 1.3221 (α̂ n)^{1/5} with α̂ = 4ρ̂²/(1 − ρ̂)⁴ from an AR(1)
    fit without intercept. As in the GAUSS original (and R's ps_andrews_hac, psecta's _andrs),
    the autocovariances run over the first n − 1 residuals only and every term is divided by
    n − 1; we keep that so the t statistics equal theirs."""
    G, n = u.shape
    m = n - 1
    lagged, lead = u[:, :-1], u[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (lagged * lead).sum(axis=1) / (lagged * lagged).sum(axis=1)
        alpha = 4.0 * rho**2 / (1.0 - rho) ** 4
        bandwidth = 1.3221 * (alpha * n) ** 0.2
        lags = np.arange(1, m)  # lags 1 … n − 2 enter the sum
        z = 1.2 * np.pi * lags[None, :] / bandwidth[:, None]
        kernel = 3.0 / z**2 * (np.sin(z) / z - np.cos(z))
    # limits of the QS kernel: zero bandwidth weights no autocovariance, infinite weighs all
    kernel = np.where(np.isinf(z), 0.0, np.where(z == 0, 1.0, kernel))
    # autocovariance sums Σ_{s<m−l} u_s u_{s+l} for every lag at once: pairs (s, s+l) of the
    # first m residuals, summed per lag with a one-hot matrix
    first, second = np.triu_indices(m, k=1)
    lag_of_pair = second - first
    onehot = np.zeros((first.size, max(m - 1, 0)))
    onehot[np.arange(first.size), lag_of_pair - 1] = 1.0
    gamma = (u[:, first] * u[:, second]) @ onehot
    return (u * u).sum(axis=1) / m + 2.0 * (kernel * gamma).sum(axis=1) / m


def _log_t_rows(H: np.ndarray, skip: int, rules: _Rules) -> tuple[np.ndarray, ...]:
    """The log t regression on each row of H (groups × T); returns a, b, se, t (arrays)."""
    T = H.shape[1]
    periods = np.arange(skip + 1, T + 1)
    log_t = np.log(periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(H[:, :1] / H[:, periods - 1]) - 2.0 * np.log(log_t)[None, :]
    design = np.column_stack([np.ones_like(log_t), log_t])
    xtx_inv = np.linalg.inv(design.T @ design)
    coef = y @ (design @ xtx_inv)  # rows: (a, b) of each group, one matrix product
    u = y - coef @ design.T
    if rules.demean_residuals:
        u = u - u.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(xtx_inv[1, 1] * _long_run_variance(u))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = coef[:, 1] / se
    return coef[:, 0], coef[:, 1], se, t


class _Tester:
    """Log t tests of groups of rows of one transformed panel X, many groups per call."""

    def __init__(self, X: np.ndarray, skip: int, rules: _Rules):
        self.X, self.skip, self.rules = X, skip, rules
        self.N = X.shape[0]

    def mask(self, idx: np.ndarray) -> np.ndarray:
        """One group: a 1 × units mask."""
        M = np.zeros((1, self.N), dtype=bool)
        M[0, idx] = True
        return M

    # The three families of groups the clustering tests (adjacent pairs, growing prefixes of
    # a ranking, a base group plus each other unit) are evaluated from running sums of
    # X − c, with c a member of the group: O(units × T) per family instead of a dense
    # groups × units × T pass (2,900 counties: seconds instead of minutes). Shifting by a
    # member keeps the variance exact to rounding even for a nearly converged club.
    @staticmethod
    def _shifted(n, s1: np.ndarray, s2: np.ndarray, c: np.ndarray) -> np.ndarray:
        """H_t = mean (X/m − 1)² = var/m² from s1 = Σ(X − c), s2 = Σ(X − c)² over n units."""
        dev = s1 / n
        var = np.maximum(s2 / n - dev * dev, 0.0)
        m = c + dev
        return var / (m * m)

    def pairs(self, run: np.ndarray) -> np.ndarray:
        """H of the adjacent pairs (run[i], run[i+1])."""
        c = self.X[run[:-1]]
        d = self.X[run[1:]] - c
        return self._shifted(2.0, d, d * d, c)

    def prefixes(self, run: np.ndarray) -> np.ndarray:
        """H of the growing groups run[:2], run[:3], …, run[:len]."""
        c = self.X[run[0]]
        D = self.X[run] - c
        s1 = np.cumsum(D, axis=0)[1:]
        s2 = np.cumsum(D * D, axis=0)[1:]
        n = np.arange(2, run.size + 1, dtype=float)[:, None]
        return self._shifted(n, s1, s2, c[None, :])

    def each_added(self, bases: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """H of every base group (rows of a mask) plus each unit of ``extra`` in turn,
        unit-major: row d·len(bases) + c is bases[c] ∪ {extra[d]}."""
        G, T = bases.shape[0], self.X.shape[1]
        H = np.empty((extra.size * G, T))
        for g in range(G):
            members = np.flatnonzero(bases[g])
            c = self.X[members[0]]
            D = self.X[members] - c
            s1, s2, n = D.sum(axis=0), (D * D).sum(axis=0), float(members.size)
            E = self.X[extra] - c
            H[g::G] = self._shifted(n + 1.0, s1 + E, s2 + E * E, c[None, :])
        return H

    def stats(self, M: np.ndarray) -> tuple[np.ndarray, ...]:
        return _log_t_rows(_cross_sectional_variance(self.X, M), self.skip, self.rules)

    def t(self, H: np.ndarray) -> np.ndarray:
        """t statistics of the groups whose cross-sectional variances are the rows of H."""
        return _log_t_rows(H, self.skip, self.rules)[3]

    def one(self, idx: np.ndarray) -> tuple[float, float, float, float]:
        a, b, se, t = self.stats(self.mask(idx))
        return float(a[0]), float(b[0]), float(se[0]), float(t[0])

    def passes(self, idx: np.ndarray) -> bool:
        return bool(self.one(idx)[3] > CRITICAL_T)


def log_t_test(Y, *, r: float = 1 / 3, hp_lambda: float | None = 400.0, take_log: bool = True,
               convention: Convention = "R") -> LogTResult:
    r"""Phillips & Sul's (2007) log t test of convergence on a regions × periods table.

    With X the (log, HP-filtered) series, h_it = X_it / mean_i X_it and
    H_t = mean_i (h_it − 1)², the regression log(H₁/H_t) − 2 log(log t) = a + b log t + u runs
    over t = [rT] + 1 … T; its t statistic uses Phillips & Sul's long-run variance (see the
    module notes). Convergence is rejected at 5 % when t ≤ −1.65.

    Parameters
    ----------
    Y : pandas.DataFrame or array_like
        Regions × periods, balanced.
    r : float, default 1/3
        Share of the first periods discarded (R's ``time_trim``; psecta's ``kq``).
    hp_lambda : float or None, default 400
        HP smoothing of each series before the test; ``None`` when ``Y`` is already filtered.
    take_log : bool, default True
        Take natural logs first (``False`` when ``Y`` already holds logs).
    convention : {"R", "psecta"}, default "R"
        Rounding of [rT] (and psecta's demeaning of residuals); see the module notes.

    Returns
    -------
    LogTResult
        b, its standard error, t, and the periods used.

    Examples
    --------
    Four series converging to e² (their relative gaps shrink like 1/t) pass the test; with
    four more converging to e¹ the eight do not converge as one group:

    >>> import numpy as np, pandas as pd
    >>> t = np.arange(1, 31)
    >>> y = pd.DataFrame([np.exp(2 + 0.5 * np.sin(k) / t) for k in range(1, 5)]
    ...                  + [np.exp(1 + 0.5 * np.cos(k) / t) for k in range(1, 5)],
    ...                  index=list("abcdefgh"), columns=range(2001, 2031))
    >>> r = log_t_test(y.iloc[:4])
    >>> r.converges, r.discarded_periods, r.periods_used
    (True, 10, 20)
    >>> log_t_test(y).converges
    False
    """
    rules = _rules(convention)
    _, X = _transformed(Y, take_log=take_log, hp_lambda=hp_lambda)
    T = X.shape[1]
    skip = _check_periods(T, r, rules)
    a, b, se, t = _Tester(X, skip, rules).one(np.arange(X.shape[0]))
    return LogTResult(b, se, t, X.shape[0], T - skip, skip, a)


# ---------------------------------------------------------------------------------------------
# clustering


def _core_group(test: _Tester, rem: np.ndarray) -> np.ndarray | None:
    """Step 2 on ``rem`` (row indices, sorted from the top): the core group, or None."""
    pairs = test.t(test.pairs(rem))
    passing = np.flatnonzero(pairs > CRITICAL_T)
    if passing.size == 0:
        return None
    start = passing[0]  # the top units before it are dropped from the core search only
    grown = test.t(test.prefixes(rem[start:]))
    failed = np.flatnonzero(~(grown > CRITICAL_T))
    grown = grown[: failed[0]] if failed.size else grown
    best = int(np.argmax(np.abs(grown) if test.rules.core_by_abs_t else grown))
    return rem[start:start + best + 2]


def _sieve(test: _Tester, rem: np.ndarray, core: np.ndarray, cstar: float, increment: float,
           cap: float) -> tuple[np.ndarray, float]:
    """Step 3: core + every other unit of ``rem`` whose t with the core exceeds c*; with
    ``increment`` > 0, c* rises while the club fails its own test (up to ``cap``, then the
    club is the core alone). Returns the members (in rank order) and the c* used."""
    others = rem[~np.isin(rem, core)]
    if others.size == 0:
        return core, cstar
    t_with_core = test.t(test.each_added(test.mask(core), others))

    def club(c: float) -> np.ndarray:
        return rem[np.isin(rem, np.concatenate([core, others[t_with_core > c]]))]

    members = club(cstar)
    if increment <= 0 or test.passes(members):
        return members, cstar
    if test.rules.cap_inclusive:  # R's club(): raise while c* ≤ cap, else fall back to the core
        while not test.passes(members):
            if cstar <= cap:
                cstar += increment
                members = club(cstar)
            else:
                return core, cstar
        return members, cstar
    if members.size == core.size:  # psecta raises c* only when the sieve added someone
        return members, cstar
    while not test.passes(members) and cstar < cap:
        cstar += increment
        members = club(cstar)
    if cstar >= cap and not test.passes(members):
        return core, cstar
    return members, cstar


def _find_clubs(test: _Tester, order: np.ndarray, cstar: float, increment: float,
                cap: float) -> tuple[list[np.ndarray], list[float], np.ndarray]:
    """Steps 2–4 until no core is left: clubs (row indices), their c*, divergent rows."""
    clubs: list[np.ndarray] = []
    used: list[float] = []
    rem = order
    while rem.size >= 2:  # a single unit left over diverges
        # step 4 (and first of all the whole sample, as both R and psecta do): the remainder
        # as one club
        if test.passes(rem):
            clubs.append(rem)
            used.append(cstar)
            rem = rem[:0]
            break
        core = _core_group(test, rem)
        if core is None:
            break
        members, c_used = _sieve(test, rem, core, cstar, increment, cap)
        clubs.append(members)
        used.append(c_used)
        rem = rem[~np.isin(rem, members)]
    return clubs, used, rem


def _merge_adjacent(test: _Tester, clubs: list[np.ndarray], method: str) -> list[list[int]]:
    """Phillips & Sul (2009) merging, or von Lyncker & Thoennessen (2017) with its look at the
    next pair, as R's mergeClubs runs them (one pass). Returns, for each new club, the indices
    of the initial clubs it is made of."""
    n = len(clubs)
    if n < 2:
        return [[i] for i in range(n)]
    merged: list[list[int]] = []
    i = 0
    while i < n - 1:
        parts = [i]
        append_last = False
        k = i + 1
        while k < n:
            units = np.concatenate([clubs[p] for p in parts] + [clubs[k]])
            t = test.one(units)[3]
            if not t > CRITICAL_T:
                append_last = k == n - 1
                break
            # vLT: merge only when this merge converges more than the next two clubs together
            if (method == "vLT2017" and k < n - 1
                    and not t > test.one(np.concatenate([clubs[k], clubs[k + 1]]))[3]):
                break
            parts.append(k)
            k += 1
        merged.append(parts)
        if k >= n:  # every club up to the last one joined
            break
        i = k
        if append_last:
            merged.append([n - 1])
            break
    return merged


def _merge_divergent(test: _Tester, clubs: list[np.ndarray], divergent: np.ndarray,
                     estar: float) -> tuple[list[np.ndarray], np.ndarray]:
    """von Lyncker & Thoennessen (2017), as R's mergeDivergent: test every divergent unit with
    every club, add the pair with the largest t when it exceeds e*, repeat."""
    clubs = [c.copy() for c in clubs]
    div = divergent.copy()
    while div.size and clubs:
        bases = np.vstack([test.mask(c) for c in clubs])
        # unit-major order, so that ties go where R's which(…, arr.ind = TRUE) puts them
        t = test.t(test.each_added(bases, div)).reshape(div.size, len(clubs))
        if not np.nanmax(t, initial=-np.inf) > estar:
            break
        d_pos, c_pos = np.unravel_index(int(np.nanargmax(t)), t.shape)
        clubs[c_pos] = np.append(clubs[c_pos], div[d_pos])
        div = np.delete(div, d_pos)
    return clubs, div


def convergence_clubs(Y, *, r: float = 1 / 3, hp_lambda: float | None = 400.0,
                      take_log: bool = True, cstar: float = 0.0, convention: Convention = "R",
                      cstar_increment: float | None = None, cstar_cap: float | None = None,
                      merge: MergeMethod | None = None, merge_divergent: bool = False,
                      estar: float = CRITICAL_T) -> pd.DataFrame:
    """Phillips & Sul (2007) convergence clubs, optionally merged (Phillips & Sul 2009; von
    Lyncker & Thoennessen 2017).

    1. Sort the units by the last period of the (log, HP-filtered) series, highest first.
    2. Core group: find the first adjacent pair (k, k+1) with t > −1.65, dropping the top unit
       while the pair fails; grow the group k … j while t > −1.65 and keep the size with the
       largest t (largest |t| in the R convention). No such pair: the rest diverge.
    3. Sieve: every unit outside the core joins when t(core + unit) > c*.
    4. Test the remaining units as a whole: if t > −1.65 they form the next club; otherwise
       repeat 2–4 on them.

    Parameters
    ----------
    Y : pandas.DataFrame or array_like
        Regions × periods, balanced (missing values raise an error naming the regions).
    r : float, default 1/3
        Share of the first periods left out of each log t regression (R's default
        ``time_trim``; psecta's default ``kq`` is 0.3, so pass ``r=0.3`` to repeat such a run).
    hp_lambda : float or None, default 400
        HP smoothing of each series; ``None`` when ``Y`` is already filtered.
    take_log : bool, default True
        Take natural logs first (``False`` when ``Y`` holds logs).
    cstar : float, default 0
        Sieve threshold c* of step 3.
    convention : {"R", "psecta"}, default "R"
        Follow R's ConvergenceClubs or Stata's psecta where they differ (module notes).
    cstar_increment, cstar_cap : float, optional
        When a club fails its own log t test, raise c* by ``cstar_increment`` until it passes
        (up to ``cstar_cap``, then keep the core alone). Defaults: R keeps c* fixed (pass 0.1
        and 3 for R's ``cstar_method = "incremental"``); psecta uses 0.05 up to 50.
    merge : {"PS2009", "vLT2017"}, optional
        Merge adjacent clubs that converge together (one pass, as R's ``mergeClubs``).
    merge_divergent : bool, default False
        Then add divergent units to clubs (von Lyncker & Thoennessen 2017, as R's
        ``mergeDivergent``), one at a time while the best t exceeds ``estar``.
    estar : float, default −1.65
        Threshold of ``merge_divergent``.

    Returns
    -------
    pandas.DataFrame
        One row per region: ``region``, ``club`` (1, 2, … from the top; 0 = divergent),
        ``club_log_t``, ``club_b``, ``club_se`` (the log t test of the final club),
        ``club_cstar`` (c* its sieve used) and ``initial_club`` (the club before merging).
        ``attrs["settings"]`` records the options and the periods discarded.

    Examples
    --------
    Four series converging to e² and four to e¹ form two clubs:

    >>> import numpy as np, pandas as pd
    >>> t = np.arange(1, 31)
    >>> y = pd.DataFrame([np.exp(2 + 0.5 * np.sin(k) / t) for k in range(1, 5)]
    ...                  + [np.exp(1 + 0.5 * np.cos(k) / t) for k in range(1, 5)],
    ...                  index=list("abcdefgh"), columns=range(2001, 2031))
    >>> clubs = convergence_clubs(y)
    >>> clubs.set_index("region").club.sort_index().tolist()
    [1, 1, 1, 1, 2, 2, 2, 2]
    """
    rules = _rules(convention)
    if merge not in (None, "PS2009", "vLT2017"):
        raise ValueError(f"merge must be None, 'PS2009' or 'vLT2017', not {merge!r}")
    increment = rules.cstar_increment if cstar_increment is None else float(cstar_increment)
    cap = rules.cstar_cap if cstar_cap is None else float(cstar_cap)
    labels, X = _transformed(Y, take_log=take_log, hp_lambda=hp_lambda)
    T = X.shape[1]
    skip = _check_periods(T, r, rules)
    test = _Tester(X, skip, rules)
    # step 1: rank on the filtered last period; stable, so ties keep the input order (as R)
    order = np.argsort(-X[:, -1], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)

    initial, used, divergent = _find_clubs(test, order, float(cstar), increment, cap)
    initial_of = np.zeros(X.shape[0], dtype=int)
    for c, members in enumerate(initial, start=1):
        initial_of[members] = c
    groups = _merge_adjacent(test, initial, merge) if merge else [[i] for i in range(len(initial))]
    final = [np.concatenate([initial[p] for p in parts]) for parts in groups]
    cstar_of_final = [used[parts[0]] for parts in groups]
    if merge_divergent:
        final, divergent = _merge_divergent(test, final, divergent, estar)

    club_of = np.zeros(X.shape[0], dtype=int)
    for c, members in enumerate(final, start=1):  # one pass per club, not per unit
        club_of[members] = c
    stats = np.array([test.one(members)[1:] for members in final] or np.empty((0, 3)))
    # per-club columns, with a NaN row for the divergent "club 0"
    b_se_t = np.vstack([np.full((1, 3), np.nan), stats])[club_of]
    c_used = np.concatenate([[np.nan], cstar_of_final])[club_of]
    out = pd.DataFrame({"region": labels, "club": club_of, "club_log_t": b_se_t[:, 2],
                        "club_b": b_se_t[:, 0], "club_se": b_se_t[:, 1], "club_cstar": c_used,
                        "initial_club": initial_of})
    # clubs from the top, divergent units last; within a club, by rank
    sort_key = np.where(club_of == 0, len(final) + 1, club_of) * X.shape[0] + rank
    out = out.iloc[np.argsort(sort_key)].reset_index(drop=True)
    out.attrs["settings"] = {
        "convention": convention, "r": r, "discarded_periods": skip, "periods_used": T - skip,
        "hp_lambda": hp_lambda, "take_log": take_log, "cstar": cstar,
        "cstar_increment": increment, "cstar_cap": cap, "merge": merge,
        "merge_divergent": merge_divergent, "estar": estar}
    return out
