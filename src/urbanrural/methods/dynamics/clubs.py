"""Phillips–Sul log t convergence test and club clustering (Phillips & Sul 2007, 2009)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from ...data.errors import DataError

__all__ = ["hp_trend", "LogTResult", "log_t_test", "convergence_clubs"]


def hp_trend(x: np.ndarray, lam: float = 400.0) -> np.ndarray:
    """Hodrick–Prescott trend of each row of x (T along the last axis): minimises
    Σ(x − τ)² + λ Σ(Δ²τ)², i.e. solves (I + λD'D)τ = x with D the second-difference matrix.
    λ = 400 is Phillips & Sul's choice for annual data."""
    x = np.atleast_2d(np.asarray(x, float))
    T = x.shape[1]
    if T < 3:
        return x.copy()
    D = sp.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(T - 2, T))
    A = (sp.identity(T) + lam * (D.T @ D)).tocsc()
    return np.asarray(spsolve(A, x.T)).reshape(T, -1).T


@dataclass(frozen=True)
class LogTResult:
    """b̂ (twice the speed of convergence), its HAC standard error and t; convergence is
    rejected at 5 % when t < −1.65."""

    b: float
    se: float
    t: float
    n: int
    periods_used: int

    @property
    def converges(self) -> bool:
        return self.t >= -1.65


def log_t_test(Y, *, r: float = 0.3, hp_lambda: float | None = 400.0) -> LogTResult:
    r"""The log t test on a regions × periods table of positive values:

    h_it = X_it / mean_i X_it with X = log y (HP-trend by default), H_t = mean_i (h_it − 1)²,
    and the regression log(H₁/H_t) − 2 log(log t) = a + b log t + u over t = [rT] … T.
    The t statistic of b̂ uses a Newey–West (Bartlett) HAC variance with ⌊T^{1/3}⌋ lags.
    """
    A = Y.to_numpy(float) if isinstance(Y, pd.DataFrame) else np.asarray(Y, float)
    if not np.isfinite(A).all() or (A <= 0).any():
        raise DataError("the log t test needs a balanced panel of positive values")
    X = np.log(A)
    if hp_lambda:
        X = hp_trend(X, hp_lambda)
    T = X.shape[1]
    if T < 8 or X.shape[0] < 2:
        raise DataError("the log t test needs at least 8 periods and 2 regions")
    h = X / X.mean(axis=0, keepdims=True)
    H = ((h - 1.0) ** 2).mean(axis=0)
    t0 = max(int(np.floor(r * T)), 1)
    t = np.arange(t0 + 1, T + 1)  # 1-based periods used
    with np.errstate(divide="ignore", invalid="ignore"):
        yv = np.log(H[0] / H[t - 1]) - 2.0 * np.log(np.log(t))
    Xm = np.column_stack([np.ones_like(t, dtype=float), np.log(t)])
    coef, *_ = np.linalg.lstsq(Xm, yv, rcond=None)
    u = yv - Xm @ coef
    n = len(t)
    L = int(np.floor(n ** (1 / 3)))
    S = (Xm * u[:, None]).T @ (Xm * u[:, None])
    for lag in range(1, L + 1):
        w = 1 - lag / (L + 1)
        G = (Xm[lag:] * u[lag:, None]).T @ (Xm[:-lag] * u[:-lag, None])
        S += w * (G + G.T)
    XtX_inv = np.linalg.inv(Xm.T @ Xm)
    V = XtX_inv @ S @ XtX_inv
    se = float(np.sqrt(V[1, 1]))
    return LogTResult(float(coef[1]), se, float(coef[1] / se), X.shape[0], n)


def convergence_clubs(Y: pd.DataFrame, *, r: float = 0.3, hp_lambda: float | None = 400.0,
                      c: float = 0.0) -> pd.DataFrame:
    """Phillips & Sul (2007) clustering: order regions by their last-period level, find the
    core group (the first k regions whose log t statistic is largest and above −1.65), add the
    others one by one when the t statistic with the core stays above ``c``, check the club,
    and repeat on the rest. Regions in no club are labelled divergent (club 0).

    Returns one row per region with its club and the log t statistic of that club."""
    if not isinstance(Y, pd.DataFrame):
        Y = pd.DataFrame(Y)
    Y = Y.dropna()
    order = list(Y.iloc[:, -1].sort_values(ascending=False).index)
    club_of: dict = {}
    stats_of: dict = {}
    club = 0
    remaining = order
    while len(remaining) >= 2:
        core_k, best_t = None, -np.inf
        for k in range(2, len(remaining) + 1):
            res = log_t_test(Y.loc[remaining[:k]], r=r, hp_lambda=hp_lambda)
            if res.t > -1.65 and res.t > best_t:
                core_k, best_t = k, res.t
            elif core_k is not None and res.t <= -1.65:
                break
        if core_k is None:
            # the first region cannot start a club: it diverges; try from the next
            club_of[remaining[0]] = 0
            remaining = remaining[1:]
            continue
        members = remaining[:core_k]
        for cand in remaining[core_k:]:
            if log_t_test(Y.loc[members + [cand]], r=r, hp_lambda=hp_lambda).t > c:
                members.append(cand)
        club += 1
        res = log_t_test(Y.loc[members], r=r, hp_lambda=hp_lambda)
        for m in members:
            club_of[m] = club
            stats_of[m] = res.t
        remaining = [x for x in remaining if x not in members]
    for x in remaining:
        club_of[x] = 0
    return pd.DataFrame({"region": list(club_of), "club": list(club_of.values()),
                         "club_log_t": [stats_of.get(k, np.nan) for k in club_of]})
