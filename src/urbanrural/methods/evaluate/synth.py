"""Synthetic control (Abadie & Gardeazabal 2003; Abadie, Diamond & Hainmueller 2010), with the
conventions of R's ``Synth`` so that the published Basque example is reproduced.

* **Predictors** X: each column of ``predictors`` averaged over ``predictor_window`` (years
  inclusive, missing values skipped as ``dataprep(predictors.op="mean")`` does), then each
  ``special_predictors`` entry ``(column, years, "mean")``. Without any predictor, every
  pre-treatment outcome is a predictor and V is equal.
* **Scaling**: each predictor is divided by its standard deviation (n − 1) across the treated
  unit and the donors, as ``synth()`` does before optimising.
* **Weights**: for a diagonal V ≥ 0 (Σ V = 1), W(V) = argmin (X₁ − X₀W)′V(X₁ − X₀W) over the
  simplex (W ≥ 0, ΣW = 1), solved exactly (non-negative least squares with the sum as a
  heavily weighted row, then the equality-constrained least squares on the support).
* **V** minimises the outcome MSPE over ``optimize_window`` (default: all pre-treatment
  periods), (Z₁ − Z₀W(V))′(Z₁ − Z₀W(V))/T_opt, by Nelder–Mead and BFGS from equal weights
  (``Synth``'s default ``optimx`` pair, with R ``optim``'s iteration limits 500 and 100),
  V = |v|/Σ|v|; the better optimum is kept, and Nelder–Mead is restarted from it until the
  loss stops falling (a single run stops early on the flat ridge). V is
  often not unique (Kuosmanen et al. 2021) — W is what the tests compare.
* **Inference**: in-space placebos (each donor treated in turn, the treated unit left out of
  its donor pool) with post/pre RMSPE ratios and the rank p-value (rank of the treated
  ratio)/(J + 1) (Abadie, Diamond & Hainmueller 2010, Section 4); leave-one-out donors; an
  in-time placebo at an earlier date.
* **Convex-hull check** (:func:`convex_hull_claim`): the result is flagged when the treated
  unit's pre-treatment outcome lies outside the donors' range in more than half of the
  pre-treatment periods, or when the pre-treatment RMSPE is at least ``fit_ratio`` (0.5) of
  the absolute average post-treatment gap: the "effect" is then not told apart from misfit.

Examples
--------
>>> from urbanrural.data.datasets import load_dataset
>>> b = load_dataset("basque")
>>> b = b[b.regionname != "Spain (Espana)"]
>>> sc = synthetic_control(b, unit="regionname", time="year", outcome="gdpcap",
...     treated="Basque Country (Pais Vasco)", treatment_time=1970,
...     special_predictors=[("gdpcap", range(1960, 1970), "mean")],
...     optimize_window=range(1960, 1970))
>>> float(sc.weights.sum()) == 1.0 or bool(np.isclose(sc.weights.sum(), 1.0))
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ...data.errors import DataError, Issue
from ..claims import Claim
from ._panel import require_columns, wide_matrix

__all__ = ["SyntheticControl", "PlaceboResult", "synthetic_control", "simplex_weights",
           "convex_hull_claim"]


def simplex_weights(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin ‖A w − b‖² over the unit simplex (w ≥ 0, Σw = 1), exactly.

    NNLS with Σw = 1 appended as a heavily weighted row finds the support; the equality-
    constrained least squares on that support (KKT system) then removes the penalty's bias.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> simplex_weights(A, np.array([0.3, 0.7])).round(6).tolist()
    [0.3, 0.7]
    >>> simplex_weights(A, np.array([2.0, 0.0])).round(6).tolist()
    [1.0, 0.0]
    """
    A = np.asarray(A, float)
    b = np.asarray(b, float)
    k, j = A.shape
    scale = max(1.0, float(np.abs(A).max()), float(np.abs(b).max()))
    big = 1e4 * scale
    w, _ = optimize.nnls(np.vstack([A, np.full((1, j), big)]), np.append(b, big),
                         maxiter=50 * j)
    for _ in range(j):
        s = np.flatnonzero(w > 1e-12)
        if len(s) == 0:
            break
        As = A[:, s]
        kkt = np.block([[2 * As.T @ As, np.ones((len(s), 1))], [np.ones((1, len(s))), 0.0]])
        rhs = np.append(2 * As.T @ b, 1.0)
        sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:len(s)]
        if (sol >= -1e-12).all():
            w = np.zeros(j)
            w[s] = np.clip(sol, 0, None)
            break
        w[s[np.argmin(sol)]] = 0.0  # drop the most negative and solve again
    total = w.sum()
    return w / total if total > 0 else np.full(j, 1 / j)


@dataclass(frozen=True)
class _Design:
    names: tuple[str, ...]          # predictor labels
    X1: np.ndarray
    X0: np.ndarray
    Z1: np.ndarray
    Z0: np.ndarray
    Y1: np.ndarray
    Y0: np.ndarray
    times: np.ndarray
    donors: tuple


def _window(years: Iterable | None, default: np.ndarray, times: np.ndarray, what: str
            ) -> np.ndarray:
    if years is None:
        return default
    ys = np.asarray(list(years), dtype=float)
    missing = ys[~np.isin(ys, times)]
    if len(missing):
        raise DataError(Issue(f"synthetic_control: {what} year {missing[0]:g} is not in the data",
                              value=str(missing[0])))
    return ys


def _design(data: pd.DataFrame, *, unit: str, time: str, outcome: str, treated, treatment_time,
            predictors, predictor_window, special_predictors, optimize_window, donors
            ) -> _Design:
    what = "synthetic_control"
    units, times, Y = wide_matrix(data, unit=unit, time=time, value=outcome, what=what)
    if treated not in set(units.tolist()):
        raise DataError(Issue(f"{what}: treated unit not in column '{unit}'", column=unit,
                              value=str(treated)))
    pool = [u for u in units.tolist() if u != treated] if donors is None else list(donors)
    unknown = [d for d in pool if d not in set(units.tolist())]
    if unknown or treated in pool:
        raise DataError(Issue(f"{what}: donor {(unknown or [treated])[0]!r} is not a control unit "
                              "of the data", column=unit))
    if len(pool) < 2:
        raise DataError(Issue(f"{what}: at least two donors are needed", column=unit))
    pre = times[times < treatment_time]
    if len(pre) < 2 or not (times >= treatment_time).any():
        raise DataError(Issue(f"{what}: treatment_time must leave ≥ 2 pre-treatment and ≥ 1 "
                              "post-treatment periods", value=str(treatment_time)))
    index = {u: i for i, u in enumerate(units.tolist())}
    rows = [index[treated]] + [index[d] for d in pool]
    pwin = _window(predictor_window, pre, times, "predictor_window")
    owin = _window(optimize_window, pre, times, "optimize_window")
    sub = data[data[unit].isin([treated, *pool])]
    names, cols = [], []

    def mean_over(column: str, years: np.ndarray, label: str) -> None:
        require_columns(sub, [column], what)
        frame = sub[pd.to_numeric(sub[time], errors="coerce").isin(years)]
        vals = pd.to_numeric(frame[column], errors="coerce").groupby(frame[unit]).mean()
        vals = vals.reindex([treated, *pool])
        if vals.isna().any():
            bad = vals.index[vals.isna()][0]
            raise DataError(Issue(f"{what}: predictor '{column}' has no value for {bad!r} in "
                                  f"the years {years.min():g}–{years.max():g}", column=column,
                                  value=str(bad)))
        names.append(label)
        cols.append(vals.to_numpy(float))

    for c in predictors or ():
        mean_over(c, pwin, c)
    for spec in special_predictors or ():
        column, years, op = spec
        if op != "mean":
            raise DataError(Issue(f"{what}: special predictor operation must be 'mean'",
                                  value=str(op)))
        ys = _window(years, pre, times, f"special predictor '{column}'")
        label = f"special.{column}.{int(ys.min())}" + (f".{int(ys.max())}" if len(ys) > 1 else "")
        mean_over(column, ys, label)
    if not cols:
        for t in pre:
            names.append(f"{outcome}.{int(t)}")
            cols.append(Y[rows, np.flatnonzero(times == t)[0]])
    X = np.vstack(cols)                                 # k × (1 + J)
    ti = np.flatnonzero(np.isin(times, owin))
    return _Design(tuple(names), X[:, 0], X[:, 1:], Y[rows[0], ti], Y[rows[1:]][:, ti].T,
                   Y[rows[0]], Y[rows[1:]].T, times, tuple(pool))


@dataclass(frozen=True)
class PlaceboResult:
    """Placebo runs: one row per unit (``unit``, ``pre_rmspe``, ``post_rmspe``, ``ratio``,
    ``treated``), the gaps of every run (periods × units) and the rank p-value."""

    table: pd.DataFrame
    gaps: pd.DataFrame
    p_value: float
    kind: str

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


@dataclass(frozen=True)
class SyntheticControl:
    """A synthetic control fit.

    Attributes
    ----------
    treated, treatment_time : the treated unit and its first treated period.
    weights : donor weights W (Series by donor, Σ = 1).
    v : predictor weights V (Series by predictor, Σ = 1).
    balance : per predictor: ``treated``, ``synthetic`` (X₀W) and ``donor_mean``, unscaled.
    path : per period: ``treated``, ``synthetic`` and ``gap`` = treated − synthetic.
    loss_v : MSPE over the optimisation window (``Synth``'s ``loss.v``).
    loss_w : (X₁ − X₀W)′V(X₁ − X₀W) on the scaled predictors (``loss.w``).

    Examples
    --------
    Unit a (2, 3, then 9) is matched before period 3 exactly by the mean of b (1, 2, 3) and
    c (3, 4, 5); the synthetic path is (2, 3, 4), so the post-treatment gap is 9 − 4 = 5:

    >>> df = pd.DataFrame({"u": list("aaabbbccc"), "t": [1, 2, 3] * 3,
    ...                    "y": [2.0, 3.0, 9.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0]})
    >>> sc = synthetic_control(df, unit="u", time="t", outcome="y", treated="a",
    ...                        treatment_time=3)
    >>> sc.path.synthetic.round(4).tolist(), round(sc.att, 4), round(sc.pre_rmspe, 4)
    ([2.0, 3.0, 4.0], 5.0, 0.0)
    """

    treated: object
    treatment_time: float
    weights: pd.Series
    v: pd.Series
    balance: pd.DataFrame
    path: pd.DataFrame
    loss_v: float
    loss_w: float
    _spec: dict = field(repr=False, default_factory=dict)

    @property
    def gaps(self) -> pd.Series:
        return self.path.set_index("time")["gap"]

    @property
    def _pre(self) -> np.ndarray:
        return (self.path["time"] < self.treatment_time).to_numpy()

    @property
    def pre_mspe(self) -> float:
        return float(np.mean(self.path["gap"].to_numpy()[self._pre] ** 2))

    @property
    def pre_rmspe(self) -> float:
        return float(np.sqrt(self.pre_mspe))

    @property
    def post_rmspe(self) -> float:
        return float(np.sqrt(np.mean(self.path["gap"].to_numpy()[~self._pre] ** 2)))

    @property
    def att(self) -> float:
        """The mean post-treatment gap."""
        return float(np.mean(self.path["gap"].to_numpy()[~self._pre]))

    def hull(self, *, fit_ratio: float = 0.5) -> Claim:
        """The convex-hull / pre-fit check of this fit (:func:`convex_hull_claim`)."""
        pre = self._pre
        donors = self._spec["Y0"][pre]
        return convex_hull_claim(self.path["treated"].to_numpy()[pre], donors,
                                 pre_rmspe=self.pre_rmspe, att=self.att, fit_ratio=fit_ratio)

    def to_frame(self) -> pd.DataFrame:
        """One row: att, pre/post RMSPE, pre MSPE, loss_v, the hull verdict."""
        h = self.hull()
        return pd.DataFrame([{"treated": self.treated, "treatment_time": self.treatment_time,
                              "att": self.att, "pre_mspe": self.pre_mspe,
                              "pre_rmspe": self.pre_rmspe, "post_rmspe": self.post_rmspe,
                              "loss_v": self.loss_v, "hull": h.verdict}])

    # -- inference ---------------------------------------------------------------------
    def _refit(self, **changes) -> SyntheticControl:
        spec = {k: v for k, v in self._spec.items() if k not in ("Y0",)}
        spec.update(changes)
        return synthetic_control(**spec)

    def placebo_in_space(self) -> PlaceboResult:
        """Each donor in turn as treated, the real treated unit excluded from its pool.

        The p-value is the rank of the treated unit's post/pre RMSPE ratio among all
        J + 1 ratios, divided by J + 1 (ties counted against the treated unit).
        """
        donors = list(self.weights.index)
        data = self._spec["data"]
        unit = self._spec["unit"]
        runs = {self.treated: self}
        for d in donors:  # J separate nested optimisations (J is the donor count, not draws)
            runs[d] = self._refit(data=data[data[unit] != self.treated], treated=d,
                                  donors=[x for x in donors if x != d])
        return _placebo_table(runs, self.treated, "in_space")

    def leave_one_out(self) -> PlaceboResult:
        """Refit without each donor of weight ≥ 0.001 in turn (smaller weights are solver dust)."""
        donors = list(self.weights.index)
        runs = {self.treated: self}
        for d in self.weights.index[self.weights >= 1e-3]:
            runs[f"without {d}"] = self._refit(donors=[x for x in donors if x != d])
        return _placebo_table(runs, self.treated, "leave_one_out", rank=False)

    def placebo_in_time(self, placebo_time: float) -> SyntheticControl:
        """Refit with a fake treatment date before the real one, on pre-treatment data only.

        Windows are cut to the periods before ``placebo_time``; V is found again (the
        predictor set may shrink with the windows), unless the fit had no predictors.
        """
        if not placebo_time < self.treatment_time:
            raise DataError(Issue("placebo_in_time: the placebo date must precede the treatment",
                                  value=str(placebo_time)))
        spec = self._spec
        data = spec["data"]
        data = data[pd.to_numeric(data[spec["time"]]) < self.treatment_time]

        def cut(years):
            return None if years is None else [y for y in years if y < placebo_time]

        specials = None
        if spec["special_predictors"]:
            specials = [(c, cut(ys), op) for c, ys, op in spec["special_predictors"]]
            specials = [s for s in specials if s[1]]
        return self._refit(data=data, treatment_time=placebo_time, v=None,
                           predictor_window=cut(spec["predictor_window"]),
                           special_predictors=specials,
                           optimize_window=cut(spec["optimize_window"]))


def _placebo_table(runs: dict, treated, kind: str, *, rank: bool = True) -> PlaceboResult:
    rows = [{"unit": str(k), "pre_rmspe": r.pre_rmspe, "post_rmspe": r.post_rmspe,
             "ratio": r.post_rmspe / r.pre_rmspe if r.pre_rmspe > 0 else np.inf,
             "att": r.att, "treated": k == treated} for k, r in runs.items()]
    table = pd.DataFrame(rows)
    gaps = pd.DataFrame({str(k): r.gaps for k, r in runs.items()})
    p = float("nan")
    if rank:
        t_ratio = table.loc[table.treated, "ratio"].iloc[0]
        p = float(np.mean(table["ratio"] >= t_ratio))
        table["rank"] = table["ratio"].rank(ascending=False, method="min").astype(int)
    return PlaceboResult(table, gaps, p, kind)


def convex_hull_claim(treated_pre: np.ndarray, donors_pre: np.ndarray, *, pre_rmspe: float,
                      att: float, fit_ratio: float = 0.5) -> Claim:
    """Can the donors reproduce the treated unit before treatment?

    Verdicts: ``"outside_hull"`` when the treated pre-treatment outcome is above every donor
    or below every donor in more than half of the pre-treatment periods; ``"poor_fit"`` when
    pre-RMSPE ≥ ``fit_ratio`` · |mean post-treatment gap|; else ``"inside_hull"``. Either
    flag means the gap must not be read as an effect.

    Examples
    --------
    >>> donors = np.array([[1.0, 2.0], [1.1, 2.1], [1.2, 2.2]])
    >>> convex_hull_claim(np.array([5.0, 5.1, 5.2]), donors, pre_rmspe=3.0, att=1.0).verdict
    'outside_hull'
    >>> convex_hull_claim(np.array([1.5, 1.6, 1.7]), donors, pre_rmspe=0.01, att=1.0).verdict
    'inside_hull'
    """
    y = np.asarray(treated_pre, float)
    d = np.asarray(donors_pre, float)
    above = y > d.max(axis=1)
    below = y < d.min(axis=1)
    share_out = float(np.mean(above | below))
    values = {"share_outside": share_out, "share_above": float(np.mean(above)),
              "share_below": float(np.mean(below)), "pre_rmspe": float(pre_rmspe),
              "att": float(att), "fit_ratio": float(fit_ratio),
              "rmspe_to_effect": float(pre_rmspe / abs(att)) if att != 0 else float("inf")}
    if share_out > 0.5:
        verdict = "outside_hull"
    elif pre_rmspe >= fit_ratio * abs(att):
        verdict = "poor_fit"
    else:
        verdict = "inside_hull"
    return Claim("convex_hull", verdict, values,
                 method=f"treated pre-period outcome outside the donors' range in > 50% of "
                        f"periods, or pre-RMSPE ≥ {fit_ratio:g}·|ATT|")


def synthetic_control(data: pd.DataFrame, *, unit: str, time: str, outcome: str, treated,
                      treatment_time: float, predictors: Sequence[str] | None = None,
                      predictor_window: Iterable | None = None,
                      special_predictors: Sequence[tuple] | None = None,
                      optimize_window: Iterable | None = None, donors: Sequence | None = None,
                      v: Sequence[float] | None = None) -> SyntheticControl:
    """Fit a synthetic control (see the module notes for every convention).

    Parameters
    ----------
    data : long panel (one row per unit and period), balanced in ``outcome``.
    unit, time, outcome : column names.
    treated : the treated unit (a value of ``unit``).
    treatment_time : its first treated period.
    predictors : columns averaged over ``predictor_window``.
    predictor_window : the periods (inclusive) ``predictors`` are averaged over (default: every
        pre-treatment period).
    special_predictors : ``(column, years, "mean")`` entries.
    optimize_window : periods whose outcome MSPE V minimises (default: every pre-period).
    donors : the donor pool (default: every other unit).
    v : fixed predictor weights (skips the optimisation of V).

    Returns
    -------
    SyntheticControl

    Examples
    --------
    >>> df = pd.DataFrame({"u": list("aaabbbccc"), "t": [1, 2, 3] * 3,
    ...                    "y": [2.0, 3.0, 9.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0]})
    >>> sc = synthetic_control(df, unit="u", time="t", outcome="y", treated="a",
    ...                        treatment_time=3)
    >>> sc.weights.round(3).tolist(), round(sc.att, 3)
    ([0.5, 0.5], 5.0)
    """
    spec = dict(data=data, unit=unit, time=time, outcome=outcome, treated=treated,
                treatment_time=treatment_time, predictors=predictors,
                predictor_window=None if predictor_window is None else list(predictor_window),
                special_predictors=None if special_predictors is None else
                [(c, list(ys), op) for c, ys, op in special_predictors],
                optimize_window=None if optimize_window is None else list(optimize_window),
                donors=donors, v=v)
    d = _design(data, unit=unit, time=time, outcome=outcome, treated=treated,
                treatment_time=treatment_time, predictors=predictors,
                predictor_window=spec["predictor_window"],
                special_predictors=spec["special_predictors"],
                optimize_window=spec["optimize_window"], donors=donors)
    allx = np.column_stack([d.X1, d.X0])
    sd = allx.std(axis=1, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    X1s, X0s = d.X1 / sd, d.X0 / sd[:, None]
    k = len(d.names)

    def weights_for(vv: np.ndarray) -> np.ndarray:
        root = np.sqrt(vv)
        return simplex_weights(root[:, None] * X0s, root * X1s)

    def loss(raw: np.ndarray) -> float:
        a = np.abs(raw)
        vv = a / a.sum() if a.sum() > 0 else np.full(k, 1 / k)
        r = d.Z1 - d.Z0 @ weights_for(vv)
        return float(r @ r / len(r))

    if v is not None:
        vv = np.abs(np.asarray(v, float))
        if vv.shape != (k,) or vv.sum() <= 0:
            raise DataError(Issue(f"synthetic_control: v must hold {k} non-negative weights, "
                                  "not all zero", value=str(v)))
        vv = vv / vv.sum()
    elif predictors is None and special_predictors is None:
        vv = np.full(k, 1 / k)
    else:
        start = np.full(k, 1 / k)
        best = None
        # R's optim defaults, which Synth's optimx call inherits: 500 Nelder–Mead and 100
        # BFGS iterations
        for method, opts in (("Nelder-Mead", {"maxiter": 500, "xatol": 1e-8, "fatol": 1e-12}),
                             ("BFGS", {"maxiter": 100, "gtol": 1e-10})):
            r = optimize.minimize(loss, start, method=method, options=opts)
            if best is None or r.fun < best.fun:
                best = r
        # Nelder–Mead stops early on the flat ridge of V (its simplex collapses); restarting
        # it from the best V until the loss stops falling reaches R Synth's optimum
        for _ in range(50):
            r = optimize.minimize(loss, best.x, method="Nelder-Mead", options={
                "maxiter": 500, "xatol": 1e-8, "fatol": 1e-12})
            if not r.fun < best.fun - 1e-12 * max(best.fun, 1e-300):
                break
            best = r
        a = np.abs(best.x)
        vv = a / a.sum()
    w = weights_for(vv)
    r_z = d.Z1 - d.Z0 @ w
    r_x = X1s - X0s @ w
    synthetic = d.Y0 @ w
    path = pd.DataFrame({"time": d.times, "treated": d.Y1, "synthetic": synthetic,
                         "gap": d.Y1 - synthetic})
    balance = pd.DataFrame({"predictor": d.names, "treated": d.X1, "synthetic": d.X0 @ w,
                            "donor_mean": d.X0.mean(axis=1)})
    spec["Y0"] = d.Y0
    return SyntheticControl(treated, treatment_time, pd.Series(w, index=list(d.donors),
                                                               name="weight"),
                            pd.Series(vv, index=list(d.names), name="v"), balance, path,
                            float(r_z @ r_z / len(r_z)), float(r_x @ (vv * r_x)), spec)
