"""σ- and β-convergence: cross-section, two-way fixed-effects panel, and spatial β with
impacts (spread through spreg), with speed and half-life."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ...data.errors import DataError

__all__ = ["sigma_convergence", "BetaResult", "beta_convergence", "speed_and_half_life"]


def sigma_convergence(Y: pd.DataFrame, *, measure: str = "sd_log") -> pd.DataFrame:
    r"""Dispersion per year of a regions × years table and its linear trend.

    .. math:: \sigma_t = \sqrt{\frac{1}{n}\sum_i \left(\ln y_{it} - \overline{\ln y_t}\right)^2}

    (``sd_log``) or σ/μ of the levels (``cv``). σ-convergence means the dispersion falls over
    time (Barro & Sala-i-Martin 1992); the table carries the slope per year and its p-value
    (OLS of the measure on the year).

    Parameters
    ----------
    Y : DataFrame
        Regions as rows and years as columns; missing values are left out year by year, and
        ``n`` says how many regions each year rests on.
    measure : {"sd_log", "cv"}, default "sd_log"
        Standard deviation of natural logs (population sd), or coefficient of variation.

    Returns
    -------
    DataFrame
        year, measure, value, n, and — with at least three years — trend_slope and trend_p.

    Examples
    --------
    Two regions at 1 and 4: the sd of their logs is ln 4 / 2 = ln 2, and it falls as the
    poorer one catches up:

    >>> import pandas as pd
    >>> y = pd.DataFrame({2000: [1.0, 4.0], 2001: [1.5, 4.0], 2002: [2.0, 4.0]})
    >>> s = sigma_convergence(y)
    >>> s.value.round(4).tolist()
    [0.6931, 0.4904, 0.3466]
    >>> bool(s.trend_slope.iloc[0] < 0)
    True
    """
    if measure not in ("sd_log", "cv"):
        raise ValueError("measure must be 'sd_log' or 'cv'")
    rows = []
    for year in Y.columns:
        v = Y[year].dropna().to_numpy(float)
        if v.size < 2:
            continue
        if measure == "sd_log":
            if (v <= 0).any():
                raise DataError(f"sd of logs needs positive values ({year})")
            val = np.log(v).std()
        else:
            val = v.std() / v.mean()
        rows.append({"year": int(year), "measure": measure, "value": float(val), "n": v.size})
    out = pd.DataFrame(rows)
    if len(out) >= 3:
        lr = stats.linregress(out.year, out.value)
        out["trend_slope"] = lr.slope
        out["trend_p"] = lr.pvalue
    return out


def speed_and_half_life(beta: float, T: float) -> tuple[float, float]:
    """λ = −ln(1 + Tβ)/T and half-life ln 2/λ for β estimated on growth averaged over T
    periods (Barro & Sala-i-Martin 1992; REAT ``betaconv.speed``). NaN when 1 + Tβ ≤ 0 or
    β ≥ 0 (no convergence)."""
    if beta >= 0 or 1 + T * beta <= 0:
        return float("nan"), float("nan")
    lam = -np.log(1 + T * beta) / T
    return float(lam), float(np.log(2) / lam)


def _ols(y: np.ndarray, X: np.ndarray):
    XtX_inv = np.linalg.inv(X.T @ X)
    b = XtX_inv @ X.T @ y
    resid = y - X @ b
    dof = X.shape[0] - X.shape[1]
    s2 = resid @ resid / dof
    se = np.sqrt(np.diag(XtX_inv) * s2)
    r2 = 1 - resid @ resid / np.sum((y - y.mean()) ** 2)
    return b, se, dof, r2


@dataclass(frozen=True)
class BetaResult:
    """β (coefficient on the initial log level), its standard error, t and p, R², speed λ and
    half-life, the model, and — for spatial models — ρ or λ and the direct, indirect and total
    impacts. ``warnings`` holds caveats (short-T bias of fixed effects)."""

    beta: float
    se: float
    t: float
    p: float
    r2: float
    n: int
    periods: float
    speed: float
    half_life: float
    model: str
    spatial_param: float | None = None
    impacts: dict | None = None
    warnings: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        d = {k: v for k, v in self.__dict__.items() if k not in ("impacts", "warnings")}
        if self.impacts:
            d.update({f"impact_{k}": v for k, v in self.impacts.items()})
        d["warnings"] = "; ".join(self.warnings)
        return pd.DataFrame([d])


def beta_convergence(Y: pd.DataFrame, *, start=None, end=None, kind: str = "cross_section",
                     controls: pd.DataFrame | None = None, W=None, spatial: str = "lag"
                     ) -> BetaResult:
    r"""β-convergence of a regions × years table of levels (e.g. per-capita income).

    ``cross_section`` (absolute; conditional with ``controls``, one row per region):

    .. math:: \frac{1}{T}\ln\frac{y_{i,t_1}}{y_{i,t_0}} = \alpha + \beta\ln y_{i,t_0}
              (+\gamma' z_i) + \varepsilon_i

    ``panel``: annual growth on the lagged log level with region and year fixed effects (two-way
    within estimator on a balanced panel). With few years this estimator is biased towards
    faster convergence (Nickell 1981); a warning says so when T < 20.

    With ``W`` (spatial weights) the cross-section is estimated by maximum likelihood as a
    spatial lag (``spatial="lag"``), error (``"error"``) or Durbin (``"durbin"``) model via
    PySAL spreg, and the impacts of the initial level are reported (LeSage & Pace 2009):
    direct = mean diag(S), total = mean row sum of S, indirect = total − direct, with
    S = (I − ρW)⁻¹(βI + θW).

    Speed λ = −ln(1 + Tβ)/T and half-life ln 2/λ (Barro & Sala-i-Martin 1992).

    Parameters
    ----------
    Y : DataFrame
        Regions as rows and years (numbers) as columns, positive levels.
    start, end : int, optional
        First and last year of the cross-section (default the first and last column).
    kind : {"cross_section", "panel"}, default "cross_section"
        The model, see above.
    controls : DataFrame, optional
        Region-level controls (index: the regions of ``Y``) for conditional β-convergence.
    W : SpatialWeights, array_like or libpysal W, optional
        Spatial weights for a spatial cross-section model (row-standardised here).
    spatial : {"lag", "error", "durbin"}, default "lag"
        The spatial model when ``W`` is given.

    Returns
    -------
    BetaResult
        β, its standard error, t, p, R², n, speed, half-life, the model name, and the
        spatial parameter and impacts for spatial models.

    Raises
    ------
    DataError
        For zero or negative levels.

    Examples
    --------
    Levels 1, 2, 4 in 2000 grow to 2, 3, 4 by 2010. The middle region sits at the mean log
    level and has no leverage, so β = −(ln 2 / 10)/(2 ln 2) = −0.05; then 1 + Tβ = 0.5 and
    the half-life is exactly T = 10 years:

    >>> import pandas as pd
    >>> y = pd.DataFrame({2000: [1.0, 2.0, 4.0], 2010: [2.0, 3.0, 4.0]})
    >>> b = beta_convergence(y)
    >>> round(b.beta, 4), round(b.speed, 4), round(b.half_life, 4), b.n
    (-0.05, 0.0693, 10.0, 3)
    """
    cols = list(Y.columns)
    t0 = start if start is not None else cols[0]
    t1 = end if end is not None else cols[-1]
    warn = []
    if kind == "cross_section":
        sub = Y[[t0, t1]].dropna()
        if controls is not None:
            sub = sub.join(controls, how="inner").dropna()
        if (sub[[t0, t1]] <= 0).any().any():
            raise DataError("β-convergence needs positive levels")
        T = float(t1 - t0)
        g = np.log(sub[t1].to_numpy() / sub[t0].to_numpy()) / T
        x0 = np.log(sub[t0].to_numpy())
        Z = sub[list(controls.columns)].to_numpy(float) if controls is not None else None
        X = np.column_stack([np.ones_like(x0), x0] + ([Z] if Z is not None else []))
        if W is None:
            b, se, dof, r2 = _ols(g, X)
            tval = b[1] / se[1]
            pval = 2 * stats.t.sf(abs(tval), dof)
            lam, hl = speed_and_half_life(b[1], T)
            return BetaResult(float(b[1]), float(se[1]), float(tval), float(pval), float(r2),
                              len(g), T, lam, hl, "absolute" if Z is None else "conditional",
                              warnings=warn)
        return _spatial_beta(g, X[:, 1:], W, sub.index, spatial, T)
    if kind == "panel":
        A = Y.dropna().to_numpy(float)
        if (A <= 0).any():
            raise DataError("β-convergence needs positive levels")
        n, Tn = A.shape
        lnA = np.log(A)
        g = lnA[:, 1:] - lnA[:, :-1]
        x = lnA[:, :-1]

        def within(M):
            return M - M.mean(axis=1, keepdims=True) - M.mean(axis=0, keepdims=True) + M.mean()

        gy, gx = within(g).ravel(), within(x).ravel()
        beta = float(gx @ gy / (gx @ gx))
        resid = gy - beta * gx
        dof = n * (Tn - 1) - n - (Tn - 1) - 1 + 1
        se = float(np.sqrt(resid @ resid / dof / (gx @ gx)))
        tval = beta / se
        pval = float(2 * stats.t.sf(abs(tval), dof))
        r2 = float(1 - resid @ resid / (gy @ gy))
        if Tn - 1 < 20:
            warn.append(f"two-way fixed effects with T = {Tn - 1} periods: the within "
                        "estimator is biased towards fast convergence in short panels "
                        "(Nickell 1981); read λ as an upper bound")
        lam, hl = speed_and_half_life(beta, 1.0)
        return BetaResult(beta, se, tval, pval, r2, n, Tn - 1, lam, hl, "panel_two_way_fe",
                          warnings=warn)
    raise ValueError("kind must be 'cross_section' or 'panel'")


def _spatial_beta(g, X, W, ids, spatial, T) -> BetaResult:
    import spreg

    from ..spatial.weights import SpatialWeights, as_sparse_weights

    if isinstance(W, SpatialWeights):
        Wsub = W
        pos = [W.ids.index(str(i)) for i in ids]
        M = W.matrix[pos][:, pos]
        Wsub = SpatialWeights([str(i) for i in ids], M.tocsr(), W.kind)
        wlib = Wsub.to_libpysal()
        Wr = Wsub.transformed("r")
    else:
        Wr = as_sparse_weights(W, len(g), "r")
        wlib = SpatialWeights([str(i) for i in range(len(g))], Wr, "given").to_libpysal()
    wlib.transform = "r"
    y = g.reshape(-1, 1)
    import contextlib
    import io

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if spatial == "error":
            m = spreg.ML_Error(y, X, w=wlib)
            rho = float(m.lam)
        elif spatial in ("lag", "durbin"):
            m = spreg.ML_Lag(y, X, w=wlib, slx_lags=1 if spatial == "durbin" else 0)
            rho = float(m.rho)
        else:
            raise ValueError("spatial must be lag, error or durbin")
    coef = np.asarray(m.betas).ravel()
    se = np.asarray(m.std_err).ravel()
    z = np.asarray(m.z_stat)
    b, s, pz = coef[1], se[1], float(z[1][1])
    impacts = None
    if spatial in ("lag", "durbin"):
        n = len(g)
        theta = coef[1 + X.shape[1]] if spatial == "durbin" else 0.0
        Sinv = np.linalg.inv(np.eye(n) - rho * Wr.toarray())
        S = Sinv @ (b * np.eye(n) + theta * Wr.toarray())
        direct = float(np.mean(np.diag(S)))
        total = float(np.mean(S.sum(axis=1)))
        impacts = {"direct": direct, "indirect": total - direct, "total": total}
    eff = impacts["total"] if impacts else b
    lam, hl = speed_and_half_life(eff, T)
    return BetaResult(float(b), float(s), float(b / s), pz, float(getattr(m, "pr2", np.nan)),
                      len(g), T, lam, hl, f"spatial_{spatial}", rho, impacts,
                      ["speed and half-life use the total impact" if impacts else
                       "speed and half-life use β (spatial error model)"])
