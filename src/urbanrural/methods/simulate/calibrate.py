r"""Calibration of the dual economy to national series, its parameter uncertainty, and the
out-of-sample validation against a random walk with drift.

**Distance.** For series :math:`j` (one indicator id: one survey concept, one data vintage;
never two joined) with observations :math:`z_{j,t}` and model counterpart :math:`m_{j,t}(\theta)`,

.. math:: r_{j,t} = \frac{\ln m_{j,t}(\theta) + \ln c_j - \ln z_{j,t}}{d_j}\sqrt{w_j / n_j},
          \qquad \hat\theta = \arg\min_\theta \textstyle\sum_{j,t} r_{j,t}^2

(:func:`scipy.optimize.least_squares`, trust-region reflective, with bounds). :math:`d_j` is
the series' mean absolute annual log change in the window (a series counts by how far it
moves), :math:`n_j` its number of observations and :math:`w_j` its weight (the two vintages of
a population series share one weight). :math:`c_j` is a measurement scale: 1 for the series
of the first year's survey concept (the model's incomes start at them), and profiled out
(:math:`\ln \hat c_j` = mean log residual) for a series of another concept, so the integrated
survey of 2013+ is fitted as its own series, never spliced to the old one.

**Uncertainty.** The posterior under a flat prior on the bounds and Gaussian errors, sampled
by importance resampling (:meth:`Calibration.sample`) from its Gaussian (Laplace)
approximation :math:`N(\hat\theta, \hat s^2 (J^\top J)^{-1})`, :math:`\hat s^2 = \mathrm{RSS}/(n-p)`
(Gelman et al. 2013, *Bayesian Data Analysis*, 3rd ed., sec. 4.1). Annual residuals are
autocorrelated, so the bands are a lower bound on the uncertainty.

**Validation.** Calibrate on the years up to ``end`` (2010), simulate to the last year, and
compare the root mean squared log error of each series with a random walk with drift from the
same window (Hyndman & Athanasopoulos 2021, *Forecasting: Principles and Practice*, 3rd ed.,
sec. 5.2): :math:`\hat z_{T+h} = z_T + h (z_T - z_1)/(T-1)` in logs. A series that begins after
the window is anchored at its first value for both forecasts, and its drift is that of the
same quantity on the earlier concept (a stated choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from ...data.errors import DataError, Issue
from .model import CALIBRATED, Initial, Params, Path, simulate

__all__ = ["CHI2_1_95", "SERIES", "Series", "Targets", "Calibration", "targets_from_wide",
           "calibrate", "profile",
           "random_walk_drift", "validate", "Validation"]


@dataclass(frozen=True)
class Series:
    """One calibration target: a bundled indicator id and the model quantity it measures."""

    id: str
    quantity: str  # a Path attribute
    scaled: bool  # measurement scale profiled out (another survey concept than the first year's)
    weight: float
    name_zh: str
    name_en: str
    earlier: str | None = None  # the same quantity on the earlier concept (naive drift)


SERIES: tuple[Series, ...] = (
    Series("population_urban", "urban_pop", False, 0.5, "城镇人口（现行版本）",
           "Urban population (current vintage)"),
    Series("population_urban_2016_vintage", "urban_pop", False, 0.5, "城镇人口（2016年版）",
           "Urban population (2016 vintage)"),
    Series("population_rural", "rural_pop", False, 0.5, "乡村人口（现行版本）",
           "Rural population (current vintage)"),
    Series("population_rural_2016_vintage", "rural_pop", False, 0.5, "乡村人口（2016年版）",
           "Rural population (2016 vintage)"),
    Series("urban_disposable_income", "urban_income", False, 1.0,
           "城镇居民人均可支配收入（分城乡调查）", "Urban per-capita disposable income (old survey)"),
    Series("rural_net_income", "rural_income", False, 1.0, "农村居民人均纯收入（分城乡调查）",
           "Rural per-capita net income (old survey)"),
    Series("urban_disposable_income_new_survey", "urban_income", True, 1.0,
           "城镇居民人均可支配收入（一体化调查）", "Urban per-capita disposable income (integrated survey)",
           earlier="urban_disposable_income"),
    Series("rural_disposable_income", "rural_income", True, 1.0,
           "农村居民人均可支配收入（一体化调查）", "Rural per-capita disposable income (integrated survey)",
           earlier="rural_net_income"),
)

BOUNDS = {"mu": (0.0, 1.0), "tau0": (0.0, 20.0), "tau_trend": (-0.3, 0.3), "g_urban": (-0.1, 0.4),
          "g_rural": (-0.1, 0.4), "n0": (-0.02, 0.03), "n1": (-0.005, 0.005)}
START = np.array([0.05, 1.5, 0.0, 0.1, 0.1, 0.006, 0.0])


@dataclass(frozen=True)
class Targets:
    """Observed series by id: ``years`` and ``values`` arrays (positive, finite)."""

    first_year: int
    series: tuple[tuple[Series, np.ndarray, np.ndarray], ...]

    def window(self, end: int) -> Targets:
        """Only the observations up to ``end`` (series left empty are dropped)."""
        kept = tuple((s, y[y <= end], v[y <= end]) for s, y, v in self.series if (y <= end).any())
        return Targets(self.first_year, kept)

    @property
    def last_year(self) -> int:
        return int(max(y.max() for _, y, _ in self.series))

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([pd.DataFrame({"series": s.id, "year": y, "value": v})
                          for s, y, v in self.series], ignore_index=True)


def targets_from_wide(wide: pd.DataFrame, *, first_year: int) -> tuple[Targets, Initial]:
    """The targets and the first year's state from a year × indicator frame.

    Raises :class:`DataError` naming the indicator and year when a value the model starts
    from is missing, or a target value is not a positive number.

    Examples
    --------
    >>> w = pd.DataFrame({"population_urban_2016_vintage": [45906.0, 48064.0],
    ...                   "population_rural_2016_vintage": [80837.0, 79563.0],
    ...                   "urban_disposable_income": [6280.0, 6859.6],
    ...                   "rural_net_income": [2253.4, 2366.4]}, index=[2000, 2001])
    >>> t, init = targets_from_wide(w, first_year=2000)
    >>> init.urban_pop, [s.id for s, _, _ in t.series][:2]
    (45906.0, ['population_urban_2016_vintage', 'population_rural_2016_vintage'])
    """
    need = {"urban_pop": ("population_urban", "population_urban_2016_vintage"),
            "rural_pop": ("population_rural", "population_rural_2016_vintage"),
            "urban_income": ("urban_disposable_income",), "rural_income": ("rural_net_income",)}
    start = {}
    for key, ids in need.items():
        for sid in ids:  # the first id observed in the first year (vintages are equal there)
            if sid in wide and first_year in wide.index and pd.notna(wide.at[first_year, sid]):
                start[key] = float(wide.at[first_year, sid])
                break
        else:
            raise DataError(Issue(f"the model starts in {first_year} and needs one of "
                                  f"{', '.join(ids)} in that year / 缺少起始年份的数据",
                                  column=ids[0], value=str(first_year)))
    series = []
    for s in SERIES:
        if s.id not in wide:
            continue
        col = wide[s.id].dropna()
        col = col[col.index >= first_year]
        if col.empty:
            continue
        bad = col[~(np.isfinite(col.to_numpy(float)) & (col.to_numpy(float) > 0))]
        if len(bad):
            raise DataError(Issue(f"{s.id} in {int(bad.index[0])}: {float(bad.iloc[0])!r} is not a "
                                  "positive number / 须为正数", column=s.id,
                                  value=str(int(bad.index[0]))))
        series.append((s, col.index.to_numpy(int), col.to_numpy(float)))
    return Targets(first_year, tuple(series)), Initial(year=first_year, **start)


def _scales(targets: Targets, end: int | None = None) -> list[float]:
    """:math:`d_j`: mean absolute annual log change of each series (floor 1e-3)."""
    out = []
    for _, y, v in targets.series:
        if end is not None:
            v, y = v[y <= end], y[y <= end]
        d = np.abs(np.diff(np.log(v)) / np.diff(y)) if v.size > 1 else np.array([0.05])
        out.append(max(float(d.mean()) if d.size else 0.05, 1e-3))
    return out


def _residuals(theta: np.ndarray, targets: Targets, initial: Initial, scales: list[float]):
    """Weighted residuals for a ``(draws, p)`` batch of parameter rows: ``(draws, n)``, and
    the profiled log scales ``(draws, series)``."""
    params = Params.from_matrix(theta)
    path = simulate(params, initial, years=targets.last_year - initial.year)
    blocks, logc = [], []
    for (s, y, v), d in zip(targets.series, scales, strict=True):
        m = np.log(getattr(path, s.quantity)[y - initial.year].T)  # (draws, n_j)
        diff = m - np.log(v)
        c = -diff.mean(axis=1) if s.scaled else np.zeros(diff.shape[0])
        logc.append(c)
        blocks.append((diff + c[:, None]) / d * np.sqrt(s.weight / y.size))
    return np.concatenate(blocks, axis=1), np.column_stack(logc)


@dataclass(frozen=True)
class Calibration:
    """A fitted dual economy.

    Attributes
    ----------
    params : the fitted parameters (one draw).
    covariance : Laplace covariance of the parameters (``p × p``).
    log_scales : fitted measurement scale of each series (``ln c_j``; 0 when fixed).
    targets, initial : what was fitted.
    end : the last year used.
    rss, n_obs, success, evaluations : the fit.
    s2 : residual variance :math:`\\hat s^2` (RSS over the degrees of freedom).
    """

    params: Params
    covariance: np.ndarray
    log_scales: dict[str, float]
    targets: Targets
    initial: Initial
    end: int
    rss: float
    n_obs: int
    success: bool
    evaluations: int
    s2: float

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.covariance), 0, None))

    def to_frame(self) -> pd.DataFrame:
        """One row per calibrated parameter: estimate, standard error, 90 % interval."""
        est = self.params.matrix()[0]
        se = self.std_errors
        return pd.DataFrame({"parameter": list(CALIBRATED), "estimate": est, "std_error": se,
                             "lower_90": est - 1.6449 * se, "upper_90": est + 1.6449 * se})

    def sample(self, n: int, *, seed: int, oversample: int = 4) -> tuple[Params, dict]:
        r"""``n`` parameter draws from the posterior (flat prior on the bounds, Gaussian errors
        of variance :math:`\hat s^2`), by sampling–importance–resampling (Rubin 1988, in
        *Bayesian Statistics 3*, 395–402): ``oversample × n`` proposals from the Laplace
        approximation, weighted by target over proposal density
        (:math:`w_i \propto e^{-\mathrm{RSS}(\theta_i)/2\hat s^2} / q(\theta_i)`; zero outside
        the bounds), then ``n`` drawn with replacement. The Laplace approximation alone is
        poor where a parameter sits at its bound or the fit is not quadratic; the weights
        correct it. Returns the draws and the sampling record (proposals, proposals inside the
        bounds, Kish's effective sample size :math:`(\sum w)^2/\sum w^2`).

        The same ``seed`` gives the same draws (NumPy ``default_rng``)."""
        rng = np.random.default_rng(seed)
        est = self.params.matrix()[0]
        # eigen-decomposition rather than Cholesky: a flat direction gives a zero, not an error
        w, v = np.linalg.eigh((self.covariance + self.covariance.T) / 2)
        m = int(oversample) * int(n)
        z = rng.standard_normal((m, est.size))
        theta = est + (z * np.sqrt(np.clip(w, 0, None))) @ v.T
        lo, hi = np.array([BOUNDS[k] for k in CALIBRATED]).T
        inside = np.all((theta >= lo) & (theta <= hi), axis=1)
        if not inside.any():
            raise DataError(Issue("no parameter draw falls inside the bounds / 参数抽样均越界",
                                  value="draws"))
        resid = _residuals(theta[inside], self.targets, self.initial, _scales(self.targets))[0]
        log_w = -np.sum(resid ** 2, axis=1) / (2 * self.s2) + 0.5 * np.sum(z[inside] ** 2, axis=1)
        log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
        weights = np.exp(log_w - log_w.max())
        weights /= weights.sum()
        pick = rng.choice(int(inside.sum()), size=int(n), replace=True, p=weights)
        record = {"proposals": m, "inside_bounds": int(inside.sum()),
                  "effective_sample_size": float(1.0 / np.sum(weights ** 2)), "draws": int(n)}
        return Params.from_matrix(theta[inside][pick]), record

    def draws(self, n: int, *, seed: int) -> Params:
        """``n`` posterior draws (:meth:`sample` without its record)."""
        return self.sample(n, seed=seed)[0]

    def fitted(self) -> Path:
        return simulate(self.params, self.initial, years=self.targets.last_year - self.initial.year)

    def fit_table(self) -> pd.DataFrame:
        """Fit of every series: observations, RMSE of the log (%), mean error (%)."""
        path = self.fitted()
        rows = []
        for s, y, v in self.targets.series:
            m = getattr(path, s.quantity)[y - self.initial.year, 0] * np.exp(self.log_scales[s.id])
            e = np.log(m) - np.log(v)
            rows.append({"series": s.id, "name_zh": s.name_zh, "name_en": s.name_en,
                         "first_year": int(y[0]), "last_year": int(y[-1]), "n": int(y.size),
                         "scale": float(np.exp(self.log_scales[s.id])),
                         "rmse_log_pct": 100 * float(np.sqrt(np.mean(e ** 2))),
                         "bias_log_pct": 100 * float(np.mean(e))})
        return pd.DataFrame(rows)


def calibrate(targets: Targets, initial: Initial, *, end: int | None = None,
              start: np.ndarray | None = None, fixed: dict[str, float] | None = None) -> Calibration:
    r"""Fit the dual economy to ``targets`` up to ``end`` (default: all years).

    :math:`\hat\theta = \arg\min_\theta \sum_{j,t} r_{j,t}^2` with the scaled log residuals
    :math:`r_{j,t}` of the module notes, by trust-region reflective least squares within
    the bounds; the covariance is the Laplace one, :math:`\hat s^2 (J^\top J)^{-1}` (Gelman
    et al. 2013, sec. 4.1).

    Parameters
    ----------
    targets : Targets
        The observed series (e.g. from :func:`targets_from_wide`).
    initial : Initial
        The observed first year the model starts from.
    end : int, optional
        The last year fitted (default: every year of ``targets``).
    start : numpy.ndarray, optional
        Starting values of the seven parameters of
        :data:`~urbanrural.methods.simulate.model.CALIBRATED` (clipped to the bounds;
        default: a fixed start).
    fixed : dict, optional
        Parameters held at a given value (``{"tau_trend": -0.04}``) while the others are
        fitted: one point of a profile likelihood (:func:`profile`). Their rows and columns of
        the covariance are zero.

    Returns
    -------
    Calibration
        The fitted parameters, their covariance, the measurement scales and the fit.

    Examples
    --------
    Data simulated from known parameters give those parameters back:

    >>> truth = Params.single(mu=0.05, tau0=1.2, tau_trend=-0.03, g_urban=0.12, g_rural=0.13,
    ...                       n0=0.006, n1=-0.0002)
    >>> init = Initial(year=2000, urban_pop=45906.0, rural_pop=80837.0, urban_income=6280.0,
    ...                rural_income=2253.4)
    >>> path = simulate(truth, init, years=10)
    >>> years = path.years
    >>> t = Targets(2000, tuple((s, years, getattr(path, s.quantity)[:, 0]) for s in SERIES[:6:2]
    ...                         + SERIES[4:6]))
    >>> cal = calibrate(t, init)
    >>> np.round(cal.params.matrix()[0], 4).tolist() == np.round(truth.matrix()[0], 4).tolist()
    True
    """
    if end is not None:
        targets = targets.window(end)
    if not targets.series:
        raise DataError(Issue(f"no calibration target observed up to {end} / 校准区间内无数据",
                              value=str(end)))
    scales = _scales(targets)
    lo, hi = np.array([BOUNDS[k] for k in CALIBRATED]).T
    x0 = np.clip(START if start is None else np.asarray(start, float), lo, hi)
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(CALIBRATED))
    if unknown:
        raise DataError(Issue(f"fixed: {unknown[0]!r} is not one of {', '.join(CALIBRATED)}",
                              value=unknown[0]))
    free = np.array([k not in fixed for k in CALIBRATED])
    for k, v in fixed.items():
        x0[CALIBRATED.index(k)] = float(v)
    lo_f, hi_f = lo[free], hi[free]
    step = 1e-6

    def full(x):
        theta = x0.copy()
        theta[free] = x
        return theta

    def fun(x):
        return _residuals(full(x)[None, :], targets, initial, scales)[0][0]

    def jac(x):
        # one vectorised simulation of p + 1 rows: x and x + h e_j (forward differences)
        h = step * np.maximum(1.0, np.abs(x))
        h = np.where(x + h > hi_f, -h, h)
        rows = np.vstack([x, x + np.diag(h)])
        r = _residuals(np.apply_along_axis(full, 1, rows), targets, initial, scales)[0]
        return ((r[1:] - r[0]) / h[:, None]).T

    res = optimize.least_squares(fun, x0[free], jac=jac, bounds=(lo_f, hi_f), method="trf",
                                 x_scale="jac", xtol=1e-10, ftol=1e-10, gtol=1e-10,
                                 max_nfev=400)
    theta_hat = full(res.x)
    resid, logc = _residuals(theta_hat[None, :], targets, initial, scales)
    n_obs = int(resid.shape[1])
    p = res.x.size
    rss = float(np.sum(resid ** 2))
    j = jac(res.x)
    s2 = rss / max(n_obs - p - sum(s.scaled for s, _, _ in targets.series), 1)
    cov = np.zeros((free.size, free.size))
    cov[np.ix_(free, free)] = s2 * np.linalg.pinv(j.T @ j)
    return Calibration(Params.from_matrix(theta_hat[None, :]), cov,
                       {s.id: float(logc[0, k]) for k, (s, _, _) in enumerate(targets.series)},
                       targets, initial, end if end is not None else targets.last_year, rss,
                       n_obs, bool(res.success), int(res.nfev), float(s2))


#: the 95 % point of χ² with one degree of freedom (the profile-likelihood region's threshold)
CHI2_1_95 = 3.841458820694124


def profile(cal: Calibration, parameter: str, values) -> pd.DataFrame:
    r"""Profile of the least-squares fit over one parameter: at each value the other
    parameters are refitted (:func:`calibrate` with ``fixed``), and
    :math:`\Delta = (\mathrm{RSS}(v) - \mathrm{RSS}(\hat\theta)) / \hat s^2` is compared with
    :math:`\chi^2_1(0.95) = 3.84`; values with :math:`\Delta \le 3.84` form the 95 %
    profile-likelihood region (Venzon & Moolgavkar 1988, Appl. Stat. 37(1); Pawitan 2001,
    *In All Likelihood*, sec. 3.4).

    Returns one row per value: ``value``, ``rss``, ``delta_rss_over_s2``, ``inside_95``, and
    the refitted parameters (``fit_<name>``). A value equal to the estimate is not refitted.

    Examples
    --------
    >>> truth = Params.single(mu=0.05, tau0=1.2, tau_trend=-0.03, g_urban=0.12, g_rural=0.13,
    ...                       n0=0.006, n1=-0.0002)
    >>> init = Initial(year=2000, urban_pop=45906.0, rural_pop=80837.0, urban_income=6280.0,
    ...                rural_income=2253.4)
    >>> path = simulate(truth, init, years=8)
    >>> t = Targets(2000, tuple((s, path.years, getattr(path, s.quantity)[:, 0] * (1 + 0.01 * k))
    ...                         for k, s in enumerate(SERIES[:6:2] + SERIES[4:6])))
    >>> cal = calibrate(t, init)
    >>> prof = profile(cal, "tau_trend", [float(cal.params.tau_trend[0])])
    >>> float(prof.delta_rss_over_s2.iloc[0]), bool(prof.inside_95.iloc[0])
    (0.0, True)
    """
    if parameter not in CALIBRATED:
        raise DataError(Issue(f"parameter: {parameter!r} is not one of {', '.join(CALIBRATED)}",
                              value=parameter))
    est = cal.params.matrix()[0]
    j = CALIBRATED.index(parameter)
    rows = []
    for v in np.atleast_1d(np.asarray(values, float)):
        if np.isclose(v, est[j], rtol=0, atol=1e-12):
            fit, rss = est, cal.rss
        else:
            c = calibrate(cal.targets, cal.initial, end=cal.end, start=est,
                          fixed={parameter: float(v)})
            fit, rss = c.params.matrix()[0], c.rss
        delta = max((rss - cal.rss) / cal.s2, 0.0)
        rows.append({"value": float(v), "rss": float(rss), "delta_rss_over_s2": float(delta),
                     "inside_95": bool(delta <= CHI2_1_95),
                     **{f"fit_{k}": float(x) for k, x in zip(CALIBRATED, fit, strict=True)}})
    return pd.DataFrame(rows)


def random_walk_drift(years: np.ndarray, values: np.ndarray, horizon_years: np.ndarray, *,
                      drift: float | None = None) -> np.ndarray:
    r"""Random walk with drift in logs from the last observation:
    :math:`\hat z_{T+h} = z_T \exp(h\,\delta)`, :math:`\delta = (\ln z_T - \ln z_1)/(t_T - t_1)`
    (Hyndman & Athanasopoulos 2021, sec. 5.2), or a given ``drift``.

    Examples
    --------
    >>> # drift 0.1 a year in logs: e^1.1 one year on, e^2 ten years on
    >>> random_walk_drift(np.array([2000, 2010]), np.array([1.0, np.e]),
    ...                   np.array([2011, 2020])).round(6).tolist()
    [3.004166, 7.389056]
    """
    lz = np.log(np.asarray(values, float))
    y = np.asarray(years)
    if drift is None:
        drift = (lz[-1] - lz[0]) / (y[-1] - y[0]) if y.size > 1 else 0.0
    return np.exp(lz[-1] + drift * (np.asarray(horizon_years) - y[-1]))


def diebold_mariano(model_errors: np.ndarray, naive_errors: np.ndarray, *,
                    horizon: int = 1) -> dict[str, float]:
    r"""Diebold–Mariano test of equal squared-error accuracy with the small-sample correction
    of Harvey, Leybourne & Newbold (1997, Int. J. Forecasting 13(2), 281–291).

    With :math:`d_t = e_{m,t}^2 - e_{n,t}^2` over :math:`n` years,
    :math:`\hat\gamma_k = n^{-1}\sum_{t>k}(d_t-\bar d)(d_{t-k}-\bar d)`,
    :math:`\mathrm{DM} = \bar d / \sqrt{(\hat\gamma_0 + 2\sum_{k=1}^{h-1}\hat\gamma_k)/n}` and
    :math:`\mathrm{DM}^* = \mathrm{DM}\sqrt{(n + 1 - 2h + h(h-1)/n)/n}`, referred to Student's
    t with :math:`n-1` degrees of freedom (two-sided p-value). A positive statistic means the
    model's errors are larger. A negative long-run variance (possible for :math:`h > 1`) is
    replaced by :math:`\hat\gamma_0/n`; zero variance with :math:`\bar d \ne 0` gives an
    infinite statistic (p = 0); fewer than two years give ``nan``.

    Examples
    --------
    Loss differentials 0.5, 1.5, 0.5, 1.5: mean 1, γ₀ = 0.25, DM = 1/√(0.25/4) = 4, and
    DM* = 4 √(3/4) = 2√3:

    >>> r = diebold_mariano(np.sqrt([0.5, 1.5, 0.5, 1.5]), np.zeros(4))
    >>> round(r["statistic"], 6), round(r["statistic"] ** 2, 6), r["n"]
    (3.464102, 12.0, 4)
    """
    from scipy import stats

    d = np.asarray(model_errors, float) ** 2 - np.asarray(naive_errors, float) ** 2
    n = d.size
    h = int(horizon)
    if n < 2 or not 1 <= h < n:
        return {"statistic": float("nan"), "p_value": float("nan"), "mean_loss_difference":
                float(d.mean()) if n else float("nan"), "n": n, "horizon": h}
    c = d - d.mean()
    gamma = [float(np.dot(c[k:], c[:n - k]) / n) for k in range(h)]
    var = (gamma[0] + 2 * sum(gamma[1:])) / n
    if var <= 0 < gamma[0]:  # a negative long-run variance: γ₀ alone (Diebold & Mariano 1995)
        var = gamma[0] / n
    if var <= 0:
        stat = 0.0 if d.mean() == 0 else float(np.sign(d.mean()) * np.inf)
    else:
        stat = float(d.mean() / np.sqrt(var) * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n))
    p = float(2 * stats.t.sf(abs(stat), df=n - 1))
    return {"statistic": stat, "p_value": p, "mean_loss_difference": float(d.mean()), "n": n,
            "horizon": h}


@dataclass(frozen=True)
class Validation:
    """Out-of-sample errors of the model calibrated up to ``end`` beside the naive
    benchmark; ``table`` has one row per series (see :func:`validate`)."""

    end: int
    calibration: Calibration
    table: pd.DataFrame
    errors: pd.DataFrame | None = None  # per series and year: the two log errors

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


DERIVED = (
    ("urbanisation", ("population_urban", "population_rural"), "urbanisation",
     "城镇化率（现行版本）", "Urbanisation rate (current vintage)"),
    ("urbanisation_2016_vintage", ("population_urban_2016_vintage", "population_rural_2016_vintage"),
     "urbanisation", "城镇化率（2016年版）", "Urbanisation rate (2016 vintage)"),
    ("income_ratio_old_survey", ("urban_disposable_income", "rural_net_income"), "income_ratio",
     "城乡居民收入比（分城乡调查）", "Urban–rural income ratio (old survey)"),
    ("income_ratio", ("urban_disposable_income_new_survey", "rural_disposable_income"),
     "income_ratio", "城乡居民可支配收入比（一体化调查）",
     "Urban–rural disposable income ratio (integrated survey)"),
)


def validate(targets: Targets, initial: Initial, *, end: int = 2010) -> Validation:
    """Calibrate up to ``end``, simulate to the last year and compare each series' out-of-
    sample root mean squared log error (%) with a random walk with drift.

    Rows: every target series with years after ``end``, and the derived urbanisation rate and
    income ratios (each from one concept's pair of series; the urbanisation rate on each
    vintage, and the current vintage over the 2016 vintage's years: the vintage sensitivity).
    ``verdict`` is :func:`~urbanrural.methods.simulate.readings.validation_claim`'s
    Diebold–Mariano decision (Harvey, Leybourne & Newbold 1997; :func:`diebold_mariano`) on
    the log errors, and ``model_at_least_as_good`` is true unless the naive benchmark is
    significantly better (or the series too short to test); ``RMSE = 100·√(mean (ln ẑ − ln z)²)``
    over the years after ``end``; the naive forecast is :func:`random_walk_drift`
    (Hyndman & Athanasopoulos 2021, sec. 5.2).

    Parameters
    ----------
    targets : Targets
        The observed series, running past ``end``.
    initial : Initial
        The observed first year the model starts from.
    end : int, default 2010
        The last year of the calibration window.

    Returns
    -------
    Validation
        The calibration on the window and one row per series with its out-of-sample errors.

    Examples
    --------
    On the bundled national series, calibrated on 2000–2010, the model forecasts the
    urbanisation rate of 2011–2024 a little better than the random walk with drift:

    >>> from urbanrural.data.datasets import load_dataset
    >>> wide = load_dataset("china_national").data.pivot_table(index="year", columns="indicator",
    ...                                                         values="value")
    >>> t, init = targets_from_wide(wide, first_year=2000)
    >>> row = validate(t, init, end=2010).table.set_index("series").loc["urbanisation"]
    >>> int(row.from_year), int(row.to_year), round(float(row.model_rmse_log_pct), 2)
    (2011, 2024, 5.33)
    >>> round(float(row.naive_rmse_log_pct), 2), bool(row.model_at_least_as_good)
    (5.76, True)
    """
    from .readings import AT_LEAST_AS_GOOD, validation_claim  # readings imports this module

    cal = calibrate(targets, initial, end=end)
    path = simulate(cal.params, initial, years=targets.last_year - initial.year)
    data = {s.id: (y, v) for s, y, v in targets.series}
    meta = {s.id: s for s, _, _ in targets.series}
    rows, errors = [], []

    def row(sid, zh, en, quantity, y, v, earlier_drift, *, last=None):
        if last is not None:  # the same years as a shorter series (vintage sensitivity)
            y, v = y[y <= last], v[y <= last]
        late = y > end
        if not late.any():
            return
        model = getattr(path, quantity)[y[late] - initial.year, 0]
        if (y <= end).any():
            naive = random_walk_drift(y[y <= end], v[y <= end], y[late])
            anchor = "calibration window"
            anchor_zh, anchor_en = "校准窗口末年", "end of the calibration window"
        else:  # begins after the window: both forecasts anchored at its first value
            first = y[0]
            model = model * v[0] / getattr(path, quantity)[first - initial.year, 0]
            naive = random_walk_drift(y[:1], v[:1], y[late], drift=earlier_drift)
            late = late & (y > first)
            model, naive = model[1:], naive[1:]
            anchor = f"first value ({first})"
            anchor_zh, anchor_en = f"首个观测值（{first}年）", f"its first value ({first})"
        if not late.any():
            return
        obs = v[late]
        e_m = np.log(model) - np.log(obs)
        e_n = np.log(naive) - np.log(obs)
        claim = validation_claim(e_m, e_n)
        errors.append(pd.DataFrame({"series": sid, "year": y[late], "model_error_log": e_m,
                                    "naive_error_log": e_n}))
        rows.append({"series": sid, "name_zh": zh, "name_en": en, "from_year": int(y[late][0]),
                     "to_year": int(y[late][-1]), "n": int(late.sum()), "anchor": anchor,
                     "anchor_zh": anchor_zh, "anchor_en": anchor_en,
                     "model_rmse_log_pct": claim.values["model_rmse"],
                     "naive_rmse_log_pct": claim.values["naive_rmse"],
                     "dm_statistic": claim.values["statistic"], "dm_p_value": claim.values["p_value"],
                     "verdict": claim.verdict,
                     "model_at_least_as_good": claim.verdict in AT_LEAST_AS_GOOD})

    def drift_of(sid):
        if sid is None or sid not in data:
            return 0.0
        y, v = data[sid]
        y, v = y[y <= end], v[y <= end]
        return float((np.log(v[-1]) - np.log(v[0])) / (y[-1] - y[0])) if y.size > 1 else 0.0

    for sid, (y, v) in data.items():
        s = meta[sid]
        row(sid, s.name_zh, s.name_en, s.quantity, y, v, drift_of(s.earlier))
    derived = {}
    for sid, (a, b), quantity, zh, en in DERIVED:
        if a not in data or b not in data:
            continue
        ya, va = data[a]
        yb, vb = data[b]
        common, ia, ib = np.intersect1d(ya, yb, return_indices=True)
        if common.size == 0:
            continue
        vals = va[ia] / vb[ib]
        if quantity == "urbanisation":
            vals = 100 * va[ia] / (va[ia] + vb[ib])
        earlier = None
        if meta[a].earlier and meta[b].earlier and meta[a].earlier in data and meta[b].earlier in data:
            ea, eb = data[meta[a].earlier], data[meta[b].earlier]
            c2, ja, jb = np.intersect1d(ea[0], eb[0], return_indices=True)
            keep = c2 <= end
            r = ea[1][ja][keep] / eb[1][jb][keep]
            earlier = float((np.log(r[-1]) - np.log(r[0])) / (c2[keep][-1] - c2[keep][0]))
        row(sid, zh, en, quantity, common, vals, earlier or 0.0)
        derived[sid] = (common, vals)
    if "urbanisation" in derived and "urbanisation_2016_vintage" in derived:
        # vintage sensitivity: the current vintage over the years the 2016 vintage covers
        last = int(derived["urbanisation_2016_vintage"][0].max())
        row(f"urbanisation_to_{last}", f"城镇化率（现行版本，仅至{last}年）",
            f"Urbanisation rate (current vintage, to {last} only)", "urbanisation",
            *derived["urbanisation"], 0.0, last=last)
    return Validation(end, cal, pd.DataFrame(rows),
                      pd.concat(errors, ignore_index=True) if errors else None)
