"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time effects, their
aggregations and pre-test, and beside them the two-way fixed-effects estimate with its
Goodman-Bacon (2021) decomposition.

Conventions (those of the R package ``did`` 2.x, whose printouts the tests reproduce):

* **Groups.** ``cohort`` is the first period a unit is treated; 0 means never treated. Units
  already treated in the first period cannot be compared with themselves untreated and are
  set aside (listed in ``dropped_units``); a cohort after the last period is never treated
  within the sample and is recoded to 0 (listed too).
* **ATT(g,t)** for every cohort g and period t after the first. Post-treatment (t ≥ g) the
  comparison is with the base period g − 1 − anticipation; before treatment, with
  ``base_period="varying"``, it is with t − 1 (short differences), with ``"universal"`` with
  g − 1 − anticipation (the base period's own row is 0 with no standard error).
* **Controls.** ``"never"``: never-treated units; ``"notyet"``: never-treated units plus
  those first treated after max(t, base) + anticipation, never the cohort itself.
* **2×2 estimators** (Sant'Anna & Zhao 2020, panel data): ``"reg"`` outcome regression,
  ``"ipw"`` standardised (Hájek) inverse probability weighting, ``"dr"`` the doubly robust
  IPW–OLS estimator; the propensity score is a logit of the cohort indicator on the
  covariates (taken in the base period), trimmed at 0.995 for controls as DRDID does.
* **Inference.** Each ATT(g,t) has its influence function ψ; the analytic standard error is
  √(Σψ²)/n₁ over the n₁ units of its comparison; aggregations add the estimation effect of
  the cohort-size weights (``did``'s ``wif``). Uniform bands use the multiplier bootstrap with
  Rademacher weights, each column scaled by its bootstrap interquartile range, the critical
  value the (1−α) quantile (inverted CDF) of the largest |t| — all draws in one matrix
  product, no loop over draws.
* **Pre-test.** Wald statistic W = n·θ̂′ V̂⁻¹ θ̂ over the pre-treatment ATT(g,t) (t < g, as
  R's ``pre <- which(group > tt)``, whatever the anticipation; rows of zero variance left
  out), χ² with their number as degrees of freedom.
* **TWFE** regresses y on unit and period effects and the treated-now indicator (within
  transformation of the balanced panel), with standard errors clustered by unit (CR1:
  G/(G−1)·(N−1)/(N−K), G clusters, K = 1 + T: the unit effects nested in the clusters count
  as one, fixest's default ``fixef.K = "nested"``; see :class:`TWFEResult`).

References: Callaway, B. & Sant'Anna, P. H. C. (2021), Difference-in-differences with multiple
time periods, J. Econometrics 225(2), 200–230; Sant'Anna, P. H. C. & Zhao, J. (2020), Doubly
robust difference-in-differences estimators, J. Econometrics 219(1), 101–122; Goodman-Bacon, A.
(2021), Difference-in-differences with variation in treatment timing, J. Econometrics 225(2),
254–277.

Examples
--------
>>> from urbanrural.data.datasets import load_dataset
>>> mp = load_dataset("mpdta")
>>> res = att_gt(mp, y="lemp", time="year", unit="countyreal", cohort="first.treat",
...              bootstrap=0)
>>> round(float(res.att[0]), 4), round(float(res.se[0]), 4)
(-0.0105, 0.0233)
>>> agg = res.aggregate("simple")
>>> round(agg.att, 4), round(agg.se, 4)
(-0.04, 0.012)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ...data.errors import DataError, Issue
from ._panel import require_columns, unit_constant, wide_matrix

__all__ = ["GroupTimeATT", "AggregatedATT", "TWFEResult", "BaconDecomposition", "att_gt",
           "twfe", "bacon_decomposition", "multiplier_bootstrap"]

_CONTROLS = {"never": "never-treated", "notyet": "not-yet-treated"}
_METHODS = ("dr", "ipw", "reg")
_TRIM = 0.995  # DRDID's trimming level of control units' propensity scores


# --------------------------------------------------------------------------- 2×2 estimators
def _logit(X: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Propensity scores and the inverse average Hessian (vcov·n) of a logit, by Newton."""
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        H = X.T @ ((p * (1 - p))[:, None] * X)
        step = np.linalg.solve(H, X.T @ (d - p))
        beta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    H = X.T @ ((p * (1 - p))[:, None] * X)
    return p, len(d) * np.linalg.inv(H)


def _ols_controls(X: np.ndarray, dy: np.ndarray, d: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Fitted outcome change m(X) from controls, and ψ of the OLS coefficients (n × k)."""
    c = d == 0
    beta, *_ = np.linalg.lstsq(X[c], dy[c], rcond=None)
    fitted = X @ beta
    w = (1 - d)[:, None]
    xpx_inv = np.linalg.inv((w * X).T @ X / len(dy))
    return fitted, (w * (dy - fitted)[:, None] * X) @ xpx_inv


def _did_2x2(dy: np.ndarray, d: np.ndarray, X: np.ndarray, method: str
             ) -> tuple[float, np.ndarray]:
    """ATT and its influence function for one panel 2×2 comparison (Sant'Anna & Zhao 2020)."""
    if method == "reg":
        fitted, lin_ols = _ols_controls(X, dy, d)
        eta_t = np.mean(d * dy) / np.mean(d)
        eta_c = np.mean(d * fitted) / np.mean(d)
        inf_t = (d * dy - d * eta_t) / np.mean(d)
        inf_c = (d * fitted - d * eta_c + lin_ols @ np.mean(d[:, None] * X, axis=0)) / np.mean(d)
        return float(eta_t - eta_c), inf_t - inf_c
    ps, hess = _logit(X, d)
    ps = np.minimum(ps, 1 - 1e-6)
    keep = np.where(d == 1, ps < 1.01, ps < _TRIM).astype(float)
    lin_ps = ((d - ps)[:, None] * X) @ hess
    w_t = keep * d
    w_c = keep * ps * (1 - d) / (1 - ps)
    if method == "ipw":
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_c * dy) / np.mean(w_c)
        inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        m2 = np.mean((w_c * (dy - eta_c))[:, None] * X, axis=0)
        inf_c = (w_c * dy - w_c * eta_c + lin_ps @ m2) / np.mean(w_c)
        return float(eta_t - eta_c), inf_t - inf_c
    fitted, lin_ols = _ols_controls(X, dy, d)
    resid = dy - fitted
    eta_t = np.mean(w_t * resid) / np.mean(w_t)
    eta_c = np.mean(w_c * resid) / np.mean(w_c)
    inf_t = (w_t * resid - w_t * eta_t - lin_ols @ np.mean(w_t[:, None] * X, axis=0)) / np.mean(w_t)
    m2 = np.mean((w_c * (resid - eta_c))[:, None] * X, axis=0)
    m3 = np.mean(w_c[:, None] * X, axis=0)
    inf_c = (w_c * resid - w_c * eta_c + lin_ps @ m2 - lin_ols @ m3) / np.mean(w_c)
    return float(eta_t - eta_c), inf_t - inf_c


# --------------------------------------------------------------------------- bootstrap
def multiplier_bootstrap(influence: np.ndarray, *, draws: int = 999, alpha: float = 0.05,
                         seed: int | None = 0) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors and the uniform critical value from influence functions.

    ``influence`` is n × K (one column per estimate, scaled so that se = √(Σψ²)/n). Each draw
    multiplies the rows by Rademacher weights v: b = √n · mean(vψ). The standard error of a
    column is IQR(b)/(z₀.₇₅ − z₀.₂₅)/√n; the critical value is the (1 − α) quantile (inverted
    CDF) of maxₖ |bₖ/σₖ| (Callaway & Sant'Anna 2021, Algorithm 1). All draws are one matrix
    product, taken in blocks of rows to bound memory.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> se, crit = multiplier_bootstrap(rng.normal(size=(400, 3)), draws=499, seed=2)
    >>> bool(np.all(np.abs(se * np.sqrt(400) - 1) < 0.2)), bool(1.9 < crit < 2.9)
    (True, True)
    """
    psi = np.asarray(influence, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    n, k = psi.shape
    rng = np.random.default_rng(seed)
    b = np.zeros((draws, k))
    block = max(1, int(4_000_000 // max(draws, 1)))
    for start in range(0, n, block):  # blocks of units (rows), never of draws
        v = rng.integers(0, 2, size=(draws, min(block, n - start)), dtype=np.int8) * 2 - 1
        b += v @ psi[start:start + block]
    b /= np.sqrt(n)
    q75, q25 = np.quantile(b, [0.75, 0.25], axis=0, method="inverted_cdf")
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = sigma > np.sqrt(np.finfo(float).eps) * 10
    se = np.where(ok, sigma / np.sqrt(n), np.nan)
    if not ok.any():
        return se, float("nan")
    tmax = np.max(np.abs(b[:, ok] / sigma[ok]), axis=1)
    crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    return se, crit


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class AggregatedATT:
    """An aggregation of ATT(g,t): the overall effect and its table.

    Attributes
    ----------
    kind : ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.
    att, se : the overall average effect and its analytic standard error.
    table : per cohort / event time / period: ``att``, ``se`` (analytic), ``ci_low``,
        ``ci_high`` (pointwise, att ± z·se; when bootstrapped the uniform band att ± crit·
        ``se_boot``, the bootstrap standard errors, as R's ``aggte``); empty for ``simple``.
    crit : the critical value of the table's band.
    alpha : the significance level of ``ci`` and the band.
    influence : n × (1 + rows) influence functions (overall first).

    Examples
    --------
    One unit treated from period 3 (y = 1, 2, 6) against two never-treated ones that each rise
    by 1 a period: the placebo ATT at event −1 is (2 − 1) − 1 = 0, the effect at event 0 is
    (6 − 2) − 1 = 3, and the overall dynamic effect is the mean over e ≥ 0:

    >>> df = pd.DataFrame({"u": list("aaabbbccc"), "t": [1, 2, 3] * 3, "g": [3] * 3 + [0] * 6,
    ...                    "y": [1.0, 2, 6, 1, 2, 3, 2, 3, 4]})
    >>> r = att_gt(df, y="y", time="t", unit="u", cohort="g", bootstrap=0)
    >>> r.aggregate("dynamic").to_frame()[["label", "att"]].round(4).values.tolist()
    [['overall', 3.0], ['-1', 0.0], ['0', 3.0]]
    """

    kind: str
    att: float
    se: float
    table: pd.DataFrame
    crit: float
    alpha: float
    influence: np.ndarray = field(repr=False)

    @property
    def ci(self) -> tuple[float, float]:
        z = stats.norm.ppf(1 - self.alpha / 2)
        return self.att - z * self.se, self.att + z * self.se

    def to_frame(self) -> pd.DataFrame:
        """The table with the overall row first (``label`` ``"overall"``)."""
        lo, hi = self.ci
        key = {"group": "cohort", "dynamic": "event", "calendar": "time"}.get(self.kind)
        head = pd.DataFrame([{"kind": self.kind, "label": "overall", "att": self.att,
                              "se": self.se, "ci_low": lo, "ci_high": hi}])
        if key is None or self.table.empty:
            return head
        body = self.table.rename(columns={key: "label"}).assign(kind=self.kind)
        body["label"] = body["label"].astype(str)
        return pd.concat([head, body[head.columns]], ignore_index=True)


@dataclass(frozen=True)
class GroupTimeATT:
    """Callaway–Sant'Anna group-time average treatment effects.

    Attributes
    ----------
    cohort, time : the (g, t) of each estimate.
    att, se : estimates and analytic standard errors.
    crit : critical value of the uniform band (multiplier bootstrap; the pointwise normal
        quantile when ``bootstrap=0``).
    bootstrap_se : bootstrap standard errors (``None`` without bootstrap).
    influence : n × K influence functions, scaled as ``did`` does (n/n₁·ψ).
    unit_cohort : each unit's cohort (0 never treated), in unit order.
    pretest_stat, pretest_df, pretest_p : the Wald pre-test of parallel trends.
    dropped_units, recoded_units : units set aside (treated in the first period) and units
        recoded as never treated (first treated after the last period).
    alpha, control, method, anticipation, base_period, covariates, bootstrap_draws, seed :
        the settings of :func:`att_gt` that produced it.

    Examples
    --------
    One unit treated from period 3 against two never-treated units rising by 1 a period:
    ATT(3, 2) = (2 − 1) − 1 = 0 (a pre-period placebo), ATT(3, 3) = (6 − 2) − 1 = 3.

    >>> df = pd.DataFrame({"u": list("aaabbbccc"), "t": [1, 2, 3] * 3, "g": [3] * 3 + [0] * 6,
    ...                    "y": [1.0, 2, 6, 1, 2, 3, 2, 3, 4]})
    >>> r = att_gt(df, y="y", time="t", unit="u", cohort="g", bootstrap=0)
    >>> r.to_frame()[["cohort", "time", "event", "att"]].round(4).values.tolist()
    [[3.0, 2.0, -1.0, 0.0], [3.0, 3.0, 0.0, 3.0]]
    >>> r.n_units, round(r.aggregate("simple").att, 4)
    (3, 3.0)
    """

    cohort: np.ndarray
    time: np.ndarray
    att: np.ndarray
    se: np.ndarray
    crit: float
    alpha: float
    bootstrap_se: np.ndarray | None
    influence: np.ndarray = field(repr=False)
    unit_cohort: np.ndarray = field(repr=False)
    pretest_stat: float = float("nan")
    pretest_df: int = 0
    pretest_p: float = float("nan")
    control: str = "never"
    method: str = "dr"
    anticipation: int = 0
    base_period: str = "varying"
    covariates: tuple[str, ...] = ()
    dropped_units: tuple = ()
    recoded_units: tuple = ()
    bootstrap_draws: int = 0
    seed: int | None = 0

    @property
    def n_units(self) -> int:
        return int(self.influence.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """One row per (cohort, time): ``event`` = t − g, ``post``, att, se and the band."""
        # bootstrapped: the band is crit × the bootstrap standard errors, as R's did prints it
        half = self.crit * (self.se if self.bootstrap_se is None else self.bootstrap_se)
        return pd.DataFrame({"cohort": self.cohort.astype(int), "time": self.time.astype(int),
                             "event": (self.time - self.cohort).astype(int),
                             "post": self.time >= self.cohort, "att": self.att, "se": self.se,
                             "ci_low": self.att - half, "ci_high": self.att + half})

    def aggregate(self, kind: str = "simple", *, bootstrap: int | None = None,
                  seed: int | None = None) -> AggregatedATT:
        """Aggregate ATT(g,t) as ``did::aggte`` does.

        ``simple``: the post-treatment ATT(g,t) weighted by cohort size; ``group``: each
        cohort's mean post-treatment effect, overall their cohort-size-weighted mean;
        ``dynamic``: by event time e = t − g (cohort-size weights), overall the mean over
        e ≥ 0; ``calendar``: by period over cohorts already treated, overall the mean over
        periods. Standard errors include the estimation of the weights.

        Examples
        --------
        >>> from urbanrural.data.datasets import load_dataset
        >>> r = att_gt(load_dataset("mpdta"), y="lemp", time="year", unit="countyreal",
        ...            cohort="first.treat", bootstrap=0)
        >>> round(r.aggregate("dynamic").att, 4)
        -0.0772
        """
        return _aggregate(self, kind, self.bootstrap_draws if bootstrap is None else bootstrap,
                          self.seed if seed is None else seed)


def _wif(keep: np.ndarray, pg: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Influence of estimating the cohort-size weights pg[keep]/Σpg[keep] (``did``'s wif)."""
    ind = membership[:, keep]                     # n × k: unit in the cohort of estimate k
    p = pg[keep]
    s = p.sum()
    if1 = (ind - p) / s
    if2 = (ind - p).sum(axis=1, keepdims=True) * (p / s**2)[None, :]
    return if1 - if2


def _combine(res: GroupTimeATT, keep: np.ndarray, weights: np.ndarray, pg: np.ndarray,
             membership: np.ndarray, *, with_wif: bool = True) -> tuple[float, np.ndarray]:
    att = float(weights @ res.att[keep])
    inf = res.influence[:, keep] @ weights
    if with_wif:
        inf = inf + _wif(keep, pg, membership) @ res.att[keep]
    return att, inf


def _se(inf: np.ndarray) -> float:
    n = inf.shape[0]
    return float(np.sqrt(np.mean(inf**2) / n))


def _aggregate(res: GroupTimeATT, kind: str, draws: int, seed: int | None) -> AggregatedATT:
    kinds = ("simple", "group", "dynamic", "calendar")
    if kind not in kinds:
        raise DataError(Issue(f"aggregation must be one of {', '.join(kinds)}", value=str(kind)))
    groups = np.unique(res.unit_cohort[res.unit_cohort > 0])
    n = res.n_units
    pg_group = np.array([np.mean(res.unit_cohort == g) for g in groups])
    pg = pg_group[np.searchsorted(groups, res.cohort)]          # per ATT(g,t)
    membership = (res.unit_cohort[:, None] == res.cohort[None, :]).astype(float)
    valid = np.isfinite(res.att) & ~((res.base_period == "universal") & np.isnan(res.se))
    post = (res.cohort <= res.time) & valid
    rows: list[dict] = []
    infs: list[np.ndarray] = []
    if kind == "simple":
        keep = np.flatnonzero(post)
        att, inf = _combine(res, keep, pg[keep] / pg[keep].sum(), pg, membership)
        overall = (att, inf)
    elif kind == "group":
        atts, ginfs = [], []
        for g in groups:
            keep = np.flatnonzero(post & (res.cohort == g))
            a, i = _combine(res, keep, np.full(len(keep), 1 / len(keep)), pg, membership,
                            with_wif=False)
            atts.append(a)
            ginfs.append(i)
            rows.append({"cohort": int(g), "att": a})
        atts_a = np.array(atts)
        ginf = np.column_stack(ginfs)
        w = pg_group / pg_group.sum()
        gmember = (res.unit_cohort[:, None] == groups[None, :]).astype(float)
        all_k = np.arange(len(groups))
        overall = (float(w @ atts_a), ginf @ w + _wif(all_k, pg_group, gmember) @ atts_a)
        infs = ginfs
    elif kind == "dynamic":
        event = res.time - res.cohort
        es = np.unique(event[valid])
        atts, einfs = [], []
        for e in es:
            keep = np.flatnonzero(valid & (event == e))
            a, i = _combine(res, keep, pg[keep] / pg[keep].sum(), pg, membership)
            atts.append(a)
            einfs.append(i)
            rows.append({"event": int(e), "att": a})
        pos = es >= 0
        overall = (float(np.mean(np.array(atts)[pos])),
                   np.column_stack(einfs)[:, pos].mean(axis=1))
        infs = einfs
    else:
        periods = np.unique(res.time[post])
        periods = periods[periods >= groups.min()]
        atts, tinfs = [], []
        for t in periods:
            keep = np.flatnonzero(post & (res.time == t))
            a, i = _combine(res, keep, pg[keep] / pg[keep].sum(), pg, membership)
            atts.append(a)
            tinfs.append(i)
            rows.append({"time": int(t), "att": a})
        overall = (float(np.mean(atts)), np.column_stack(tinfs).mean(axis=1))
        infs = tinfs
    table = pd.DataFrame(rows)
    z = stats.norm.ppf(1 - res.alpha / 2)
    crit = z
    if infs:
        mat = np.column_stack(infs)
        table["se"] = np.sqrt(np.mean(mat**2, axis=0) / n)
        band_se = table["se"]
        if draws:   # R's aggte: the uniform band is crit × the bootstrap standard errors
            boot, crit = multiplier_bootstrap(mat, draws=draws, alpha=res.alpha, seed=seed)
            table["se_boot"] = band_se = boot
        table["ci_low"] = table["att"] - crit * band_se
        table["ci_high"] = table["att"] + crit * band_se
        influence = np.column_stack([overall[1], mat])
    else:
        influence = overall[1][:, None]
    return AggregatedATT(kind, overall[0], _se(overall[1]), table, float(crit), res.alpha,
                         influence)


# --------------------------------------------------------------------------- att_gt
def _cohorts(data: pd.DataFrame, unit: str, cohort: str, units: np.ndarray, times: np.ndarray,
             anticipation: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = unit_constant(data, unit=unit, column=cohort, units=units, what="att_gt")
    if (g < 0).any():
        raise DataError(Issue("att_gt: cohort must be 0 (never treated) or the first treated "
                              "period", column=cohort, value=str(units[g < 0][0])))
    recoded = (g > times.max() + anticipation)
    g = np.where(recoded, 0.0, g)
    inside = (g > 0)
    off_grid = inside & ~np.isin(g, times)
    if off_grid.any():
        raise DataError(Issue(f"att_gt: first treated period {g[off_grid][0]:g} of unit "
                              f"{units[off_grid][0]!r} is not one of the periods of the data",
                              column=cohort, value=str(g[off_grid][0])))
    dropped = inside & (g <= times.min() + anticipation)
    return g, dropped, recoded


def att_gt(data: pd.DataFrame, *, y: str, time: str, unit: str, cohort: str,
           control: str = "never", method: str = "dr", covariates: Sequence[str] | None = None,
           anticipation: int = 0, base_period: str = "varying", alpha: float = 0.05,
           bootstrap: int = 999, seed: int | None = 0) -> GroupTimeATT:
    """Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021).

    ATT(g,t) = E[Y_t − Y_b | coh = g] − E[Y_t − Y_b | C], with b the base period and C the
    comparison group, estimated by the 2×2 estimator ``method`` on the units of cohort g and
    of C (see the module notes for the conventions, which are those of R's ``did``).

    Parameters
    ----------
    data : long panel, one row per unit and period, balanced.
    y, time, unit, cohort : column names; ``cohort`` is the first treated period, 0 = never.
    control : ``"never"`` (never treated) or ``"notyet"`` (not yet treated).
    method : ``"dr"``, ``"ipw"`` or ``"reg"``.
    covariates : columns entering the propensity score and outcome regression (base-period
        values); ``None`` for the unconditional estimator.
    anticipation : periods of anticipation before the first treated period.
    base_period : ``"varying"`` or ``"universal"``.
    alpha : significance level of bands and intervals.
    bootstrap : multiplier-bootstrap draws for the uniform band (0 for pointwise only).
    seed : seed of the bootstrap draws.

    Returns
    -------
    GroupTimeATT

    Examples
    --------
    >>> from urbanrural.data.datasets import load_dataset
    >>> r = att_gt(load_dataset("mpdta"), y="lemp", time="year", unit="countyreal",
    ...            cohort="first.treat", control="notyet", bootstrap=0)
    >>> int(r.cohort[0]), int(r.time[0]), round(float(r.att[0]), 4)
    (2004, 2004, -0.0194)
    """
    if control not in _CONTROLS:
        raise DataError(Issue("att_gt: control must be 'never' or 'notyet'", value=str(control)))
    if method not in _METHODS:
        raise DataError(Issue(f"att_gt: method must be one of {', '.join(_METHODS)}",
                              value=str(method)))
    if base_period not in ("varying", "universal"):
        raise DataError(Issue("att_gt: base_period must be 'varying' or 'universal'",
                              value=str(base_period)))
    if not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise DataError(Issue("att_gt: anticipation must be a non-negative integer",
                              value=str(anticipation)))
    covariates = tuple(covariates or ())
    require_columns(data, [y, time, unit, cohort, *covariates], "att_gt")
    units, times, Y = wide_matrix(data, unit=unit, time=time, value=y, what="att_gt")
    coh, dropped, recoded = _cohorts(data, unit, cohort, units, times, anticipation)
    covs = [wide_matrix(data, unit=unit, time=time, value=c, what="att_gt")[2]
            for c in covariates]
    keep = ~dropped
    Y, coh = Y[keep], coh[keep]
    covs = [c[keep] for c in covs]
    n = len(coh)
    if not (coh == 0).any() and control == "never":
        raise DataError(Issue("att_gt: no never-treated unit (cohort 0) to compare with; use "
                              "control='notyet'", column=cohort))
    groups = np.unique(coh[coh > 0])
    if len(groups) == 0:
        raise DataError(Issue("att_gt: no treated cohort inside the sample period",
                              column=cohort))
    out_g, out_t, out_att, cols = [], [], [], []
    for g in groups:
        pre_ok = np.flatnonzero(times + anticipation < g)
        if len(pre_ok) == 0:
            continue
        universal = pre_ok[-1]
        t_range = range(len(times)) if base_period == "universal" else range(1, len(times))
        for ti in t_range:
            post = times[ti] >= g
            bi = universal if (post or base_period == "universal") else ti - 1
            if base_period == "universal" and ti == bi:
                out_g.append(g)
                out_t.append(times[ti])
                out_att.append(0.0)
                cols.append(None)
                continue
            treated = coh == g
            if control == "never":
                ctrl = coh == 0
            else:
                ctrl = (coh == 0) | ((coh > times[max(ti, bi)] + anticipation) & (coh != g))
            sub = treated | ctrl
            if not ctrl.any():
                raise DataError(Issue(f"att_gt: no comparison unit for cohort {g:g} in period "
                                      f"{times[ti]:g}", column=cohort))
            d = treated[sub].astype(float)
            dy = Y[sub, ti] - Y[sub, bi]
            X = np.column_stack([np.ones(sub.sum())] + [c[sub, bi] for c in covs])
            att, inf = _did_2x2(dy, d, X, method)
            full = np.zeros(n)
            full[sub] = n / sub.sum() * inf
            out_g.append(g)
            out_t.append(times[ti])
            out_att.append(att)
            cols.append(full)
    infl = np.column_stack([np.zeros(n) if c is None else c for c in cols])
    se = np.sqrt(np.sum(infl**2, axis=0)) / n
    ref_row = np.array([c is None for c in cols])
    se = np.where(ref_row | (se <= np.sqrt(np.finfo(float).eps) * 10), np.nan, se)
    cohort_a, time_a, att_a = np.array(out_g), np.array(out_t), np.array(out_att)

    crit = float(stats.norm.ppf(1 - alpha / 2))
    boot_se = None
    if bootstrap:
        boot_se, crit = multiplier_bootstrap(infl, draws=int(bootstrap), alpha=alpha, seed=seed)

    # R did: pre <- which(group > tt), less the rows of zero or undefined variance — with
    # anticipation the periods g − anticipation ≤ t < g are tested too
    pre = np.flatnonzero((time_a < cohort_a) & np.isfinite(se))
    stat, df, p = float("nan"), 0, float("nan")
    if len(pre):
        V = infl[:, pre].T @ infl[:, pre] / n
        if np.linalg.matrix_rank(V) == len(pre):
            theta = att_a[pre]
            stat = float(n * theta @ np.linalg.solve(V, theta))
            df = len(pre)
            p = float(stats.chi2.sf(stat, df))
    return GroupTimeATT(cohort_a, time_a, att_a, se, crit, alpha, boot_se, infl, coh, stat, df, p,
                        control, method, int(anticipation), base_period, covariates,
                        tuple(units[dropped].tolist()), tuple(units[recoded].tolist()),
                        int(bootstrap), seed)


# --------------------------------------------------------------------------- TWFE and Bacon
@dataclass(frozen=True)
class TWFEResult:
    """The static two-way fixed-effects DiD: y_it = α_i + λ_t + β·D_it + ε_it.

    ``se`` is clustered by unit with the CR1 factor G/(G−1)·(N−1)/(N−K), K = 1 + T: the unit
    effects are nested in the clusters and count as one (fixest's default
    ``ssc(fixef.K="nested")``: K = 1 + units + T − 1 − (units − 1)); ``lm`` with all dummies
    counts them all.
    """

    estimate: float
    se: float
    n_obs: int
    n_units: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"estimate": self.estimate, "se": self.se, "n_obs": self.n_obs,
                              "n_units": self.n_units}])


def _treated_matrix(coh: np.ndarray, times: np.ndarray) -> np.ndarray:
    return ((coh[:, None] > 0) & (times[None, :] >= coh[:, None])).astype(float)


def _within(M: np.ndarray) -> np.ndarray:
    """Two-way demeaning of a balanced units × periods matrix."""
    return M - M.mean(axis=1, keepdims=True) - M.mean(axis=0, keepdims=True) + M.mean()


def _twfe_matrices(data, y, time, unit, cohort, what):
    require_columns(data, [y, time, unit, cohort], what)
    units, times, Y = wide_matrix(data, unit=unit, time=time, value=y, what=what)
    coh = unit_constant(data, unit=unit, column=cohort, units=units, what=what)
    return units, times, Y, coh


def twfe(data: pd.DataFrame, *, y: str, time: str, unit: str, cohort: str) -> TWFEResult:
    """Static TWFE DiD coefficient of the treated-now indicator D_it = 1[G_i > 0, t ≥ G_i].

    β̂ = Σ D̃_it y_it / Σ D̃_it², D̃ the two-way demeaned indicator (Frisch–Waugh–Lovell on
    the balanced panel); clustered standard error by unit (CR1, see :class:`TWFEResult`).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per unit and period.
    y : str
        The outcome column.
    time : str
        The period column.
    unit : str
        The unit column.
    cohort : str
        The first treated period of each unit (0 = never treated), constant within a unit.

    Returns
    -------
    TWFEResult
        β̂, its unit-clustered standard error and the panel's size.

    Examples
    --------
    >>> df = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3], "t": [1, 2] * 3, "g": [2, 2, 0, 0, 0, 0],
    ...                    "y": [1.0, 4.0, 1.0, 2.0, 2.0, 3.5]})
    >>> round(twfe(df, y="y", time="t", unit="u", cohort="g").estimate, 10)  # 3 − (1 + 1.5)/2
    1.75
    """
    units, times, Y, coh = _twfe_matrices(data, y, time, unit, cohort, "twfe")
    D = _within(_treated_matrix(coh, times))
    denom = float(np.sum(D**2))
    if denom <= 1e-12:
        raise DataError(Issue("twfe: the treatment indicator does not vary after removing unit "
                              "and period effects (no timing variation)", column=cohort))
    beta = float(np.sum(D * Y) / denom)
    resid = _within(Y) - beta * D
    score = np.sum(D * resid, axis=1)                      # per cluster (unit)
    n_units, n_t = Y.shape
    nobs = n_units * n_t
    # fixest's default ssc(fixef.K = "nested"): the unit effects nested in the unit clusters
    # count as one (the reference level), so K = β + T period effects
    k = 1 + n_t
    if nobs <= k or n_units < 2:
        return TWFEResult(beta, float("nan"), nobs, n_units)
    factor = n_units / (n_units - 1) * (nobs - 1) / (nobs - k)
    se = float(np.sqrt(factor * np.sum(score**2)) / denom)
    return TWFEResult(beta, se, nobs, n_units)


@dataclass(frozen=True)
class BaconDecomposition:
    """Goodman-Bacon (2021) decomposition of the TWFE coefficient into 2×2 comparisons.

    ``table``: one row per comparison — ``treated`` and ``control`` cohorts (0 = never),
    ``kind`` (``"treated_vs_never"``, ``"early_vs_late"``: the earlier cohort treated, the
    later one not yet; ``"late_vs_early"``: the later cohort treated, the earlier already
    treated — the "forbidden" comparison), ``estimate`` and ``weight``; Σ weight·estimate =
    the TWFE coefficient, Σ weight = 1.
    """

    table: pd.DataFrame
    twfe: float

    @property
    def forbidden_weight(self) -> float:
        """The weight on comparisons that use already-treated units as controls."""
        return float(self.table.loc[self.table["kind"] == "late_vs_early", "weight"].sum())

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _dd(Y: np.ndarray, coh: np.ndarray, treat: float, ctrl: float, window: np.ndarray,
        post: np.ndarray) -> float:
    yt = Y[coh == treat][:, window]
    yc = Y[coh == ctrl][:, window]
    p = post[window]
    return float((yt[:, p].mean() - yt[:, ~p].mean()) - (yc[:, p].mean() - yc[:, ~p].mean()))


def bacon_decomposition(data: pd.DataFrame, *, y: str, time: str, unit: str, cohort: str
                        ) -> BaconDecomposition:
    """The TWFE coefficient as a weighted average of every 2×2 DiD (Goodman-Bacon 2021, Thm 1).

    With n_k the share of units in cohort k, D̄_k its share of periods treated and V̂ the
    variance of the two-way demeaned treatment indicator:
    s_kU = (n_k + n_U)² n_kU(1 − n_kU) D̄_k(1 − D̄_k) / V̂;
    s_kl^k = ((n_k + n_l)(1 − D̄_l))² n_kl(1 − n_kl) · (D̄_k − D̄_l)/(1 − D̄_l) ·
    (1 − D̄_k)/(1 − D̄_l) / V̂; s_kl^l = ((n_k + n_l)D̄_k)² n_kl(1 − n_kl) · D̄_l/D̄_k ·
    (D̄_k − D̄_l)/D̄_k / V̂, with n_kU = n_k/(n_k + n_U) and n_kl = n_k/(n_k + n_l), k the
    earlier cohort. Units treated in every period are not supported (they enter as a
    separate "always treated" control in the paper).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per unit and period.
    y : str
        The outcome column.
    time : str
        The period column.
    unit : str
        The unit column.
    cohort : str
        The first treated period of each unit (0 = never treated; a period after the last
        one counts as never treated).

    Returns
    -------
    BaconDecomposition
        Every 2×2 comparison with its estimate and weight, and the TWFE coefficient they
        average to.

    Examples
    --------
    >>> from urbanrural.data.datasets import load_dataset
    >>> b = bacon_decomposition(load_dataset("mpdta"), y="lemp", time="year",
    ...                         unit="countyreal", cohort="first.treat")
    >>> bool(np.isclose((b.table.weight * b.table.estimate).sum(), b.twfe))
    True
    """
    units, times, Y, coh = _twfe_matrices(data, y, time, unit, cohort, "bacon_decomposition")
    if ((coh > 0) & (coh <= times.min())).any():
        raise DataError(Issue("bacon_decomposition: units treated in every period (always "
                              "treated) are not supported; drop them explicitly",
                              column=cohort))
    coh = np.where(coh > times.max(), 0.0, coh)
    D = _treated_matrix(coh, times)
    Dt = _within(D)
    V = float(np.mean(Dt**2))
    n_units = len(coh)
    share = {g: np.mean(coh == g) for g in np.unique(coh)}
    dbar = {g: float(np.mean(times >= g)) if g > 0 else 0.0 for g in share}
    rows = []
    cohorts = sorted(g for g in share if g > 0)
    all_t = np.ones(len(times), bool)
    if 0.0 in share:
        nu = share[0.0]
        for k in cohorts:
            nk = share[k]
            nku = nk / (nk + nu)
            w = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / V
            rows.append({"treated": int(k), "control": 0, "kind": "treated_vs_never",
                         "estimate": _dd(Y, coh, k, 0.0, all_t, times >= k), "weight": w})
    for i, k in enumerate(cohorts):
        for l in cohorts[i + 1:]:
            nk, nl, dk, dl = share[k], share[l], dbar[k], dbar[l]
            nkl = nk / (nk + nl)
            w_k = (((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * (dk - dl) / (1 - dl)
                   * (1 - dk) / (1 - dl) / V)
            w_l = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * dl / dk * (dk - dl) / dk / V
            before_l = times < l
            from_k = times >= k
            rows.append({"treated": int(k), "control": int(l), "kind": "early_vs_late",
                         "estimate": _dd(Y, coh, k, l, before_l, times >= k), "weight": w_k})
            rows.append({"treated": int(l), "control": int(k), "kind": "late_vs_early",
                         "estimate": _dd(Y, coh, l, k, from_k, times >= l), "weight": w_l})
    table = pd.DataFrame(rows)
    beta = float(np.sum(Dt * Y) / np.sum(Dt**2))
    del n_units
    return BaconDecomposition(table, beta)
