"""Rolling-origin evaluation (Tashman 2000): every model is fitted on the first n points for
each origin n, forecasts h steps, and is scored on what followed.

Measures, per method and horizon, over the origins where the actual value exists:

* sMAPE ``= mean 200|y − ŷ|/(|y| + |ŷ|)`` (per cent; M3/Tourism definition);
* MASE ``= mean |y − ŷ| / s`` with ``s`` the in-sample mean absolute first difference of the
  training window (Hyndman & Koehler 2006, m = 1 for annual data);
* interval coverage: the share of actual values inside each central interval;
* the ratio of each to Naive2's (below 1: better than the benchmark).

A grey model enters the pool of :func:`~urbanrural.methods.forecast.models.forecast` only if
its overall MASE is below Naive2's on the series (:func:`eligible_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ...data.errors import DataError, Issue
from .models import GREY_METHODS, check_series, pooled_paths

__all__ = ["Backtest", "backtest", "eligible_pool", "smape", "mase_scale", "default_origins"]


def smape(actual, predicted) -> np.ndarray:
    """Elementwise ``200|y − ŷ|/(|y| + |ŷ|)`` (per cent).

    Examples
    --------
    >>> smape([100.0], [110.0]).round(4).tolist()
    [9.5238]
    """
    a, p = np.asarray(actual, float), np.asarray(predicted, float)
    return 200 * np.abs(a - p) / (np.abs(a) + np.abs(p))


def mase_scale(y, n_train) -> np.ndarray:
    """The MASE scale of each training window: the mean absolute first difference of
    ``y[:n]`` (annual data: m = 1).

    Examples
    --------
    >>> mase_scale([1.0, 3, 2, 4], [3, 4]).tolist()
    [1.5, 1.6666666666666667]
    """
    y = np.asarray(y, float)
    n = np.asarray(n_train, int)
    cum = np.r_[0.0, np.cumsum(np.abs(np.diff(y)))]
    return cum[n - 1] / (n - 1)


def default_origins(T: int, h: int, *, min_train: int = 4, max_origins: int = 8) -> np.ndarray:
    """Training lengths from ``max(min_train, T − h − max_origins + 1)`` to ``T − 1``: the last
    origins, so that every horizon up to h is scored at least once where the data allow.

    Examples
    --------
    >>> default_origins(8, 3).tolist()
    [4, 5, 6, 7]
    """
    lo = max(min_train, T - h - max_origins + 1)
    if lo > T - 1:
        raise DataError(Issue(f"backtest: {T} points leave no origin with at least {min_train} "
                              "training points and one to score"))
    return np.arange(lo, T)


@dataclass(frozen=True)
class Backtest:
    """The result of :func:`backtest`.

    Attributes
    ----------
    errors : one row per method × origin × horizon with an actual value: method, n_train,
        horizon, actual, mean, smape, scaled_error (|e|/scale), and ``inside_<level>``.
    summary : per method and horizon: smape, mase, coverage_<level>, n, and the ratios
        relative_smape, relative_mase to Naive2.
    overall : per method over all horizons and origins, sorted best (least MASE) first.
    levels : interval levels scored.
    """

    errors: pd.DataFrame
    summary: pd.DataFrame
    overall: pd.DataFrame
    levels: tuple[int, ...]

    def to_frame(self) -> pd.DataFrame:
        return self.summary.copy()

    def ranking(self) -> tuple[str, ...]:
        return tuple(self.overall.method)


def backtest(y, h: int, *, methods: Sequence[str], origins=None, level=(80, 95),
             combination: bool = True, precomputed=None) -> Backtest:
    """Rolling-origin evaluation of ``methods`` (names in
    :data:`~urbanrural.methods.forecast.models.FORECASTERS`) on ``y``.

    ``origins`` are training lengths (default :func:`default_origins`). ``"naive2"`` is
    always scored, as the benchmark. With ``combination`` the median of the non-grey methods
    plus the grey ones that beat Naive2 is scored too, under the name ``"combination"``
    (grey eligibility is decided on the same origins, so the combination's score is
    optimistic in the way any pool selection is). ``precomputed`` maps a method to its
    (mean, sd) at these origins, so that a caller who fitted once is not refitted.

    Examples
    --------
    Naive2 from origins 4 and 5 of ``[1, 3, 2, 4, 3, 5]``: errors |3 − 4| = 1 and |5 − 3| = 2,
    scales 5/3 and 6/4, so MASE = (0.6 + 1.3333)/2:

    >>> bt = backtest([1.0, 3, 2, 4, 3, 5], 1, methods=["naive2"], origins=[4, 5], combination=False)
    >>> bt.summary[["method", "horizon", "mase"]].round(4).values.tolist()
    [['naive2', 1, 0.9667]]
    """
    arr = check_series(y, "backtest")
    T = len(arr)
    levels = tuple(int(v) for v in level)
    n = default_origins(T, h) if origins is None else np.asarray(origins, int).ravel()
    if (n < 2).any() or (n >= T).any():
        raise DataError(Issue(f"backtest: origins {n.tolist()} must be training lengths between "
                              f"2 and {T - 1}"))
    names = list(dict.fromkeys(["naive2", *methods]))
    # actuals y[n + j] for horizon j+1, NaN beyond the data
    pos = n[:, None] + np.arange(h)[None, :]
    actual = np.where(pos < T, arr[np.minimum(pos, T - 1)], np.nan)
    scale = mase_scale(arr, n)[:, None]
    # ``precomputed``: method → (mean, sd) at these origins, from a caller that fitted once
    results = dict(precomputed or {})
    missing = [m for m in names if m not in results]
    results.update(pooled_paths(arr, h, missing, n_train=n) if missing else {})
    results = {m: results[m] for m in names}
    if combination:
        base = [m for m in names if m not in GREY_METHODS and m != "naive"]
        naive_mase = _mean_scaled(results["naive2"][0], actual, scale)
        greys = [m for m in names if m in GREY_METHODS
                 and _mean_scaled(results[m][0], actual, scale) < naive_mase]
        members = base + greys
        stack_m = np.stack([results[m][0] for m in members])
        # bounds of members without intervals are NaN and drop out of the median
        z = {lv: float(ndtri(0.5 + lv / 200)) for lv in levels}
        comb_mean = np.nanmedian(stack_m, axis=0)
        comb_lo, comb_hi = {}, {}
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for lv in levels:
                comb_lo[lv] = np.nanmedian(np.stack([results[m][0] - z[lv] * results[m][1]
                                                     for m in members]), axis=0)
                comb_hi[lv] = np.nanmedian(np.stack([results[m][0] + z[lv] * results[m][1]
                                                     for m in members]), axis=0)
        results["combination"] = (comb_mean, None, comb_lo, comb_hi)
    frames = []
    for m, res in results.items():
        mean = res[0]
        if len(res) == 2:
            sd = res[1]
            bounds = {lv: (mean - float(ndtri(0.5 + lv / 200)) * sd, mean + float(ndtri(0.5 + lv / 200)) * sd)
                      for lv in levels}
        else:
            bounds = {lv: (res[2][lv], res[3][lv]) for lv in levels}
        ok = np.isfinite(actual)
        d = {"method": m, "n_train": np.broadcast_to(n[:, None], actual.shape)[ok],
             "horizon": np.broadcast_to(np.arange(1, h + 1)[None, :], actual.shape)[ok],
             "actual": actual[ok], "mean": mean[ok],
             "smape": smape(actual, mean)[ok], "scaled_error": (np.abs(actual - mean) / scale)[ok]}
        for lv in levels:
            lo, hi = bounds[lv]
            inside = np.where(np.isfinite(lo) & np.isfinite(hi),
                              ((actual >= lo) & (actual <= hi)).astype(float), np.nan)
            d[f"inside_{lv}"] = inside[ok]
        frames.append(pd.DataFrame(d))
    errors = pd.concat(frames, ignore_index=True)
    summary = _aggregate(errors, ["method", "horizon"], levels)
    bench = summary[summary.method == "naive2"].set_index("horizon")
    summary["relative_smape"] = summary.smape / summary.horizon.map(bench.smape)
    summary["relative_mase"] = summary.mase / summary.horizon.map(bench.mase)
    overall = _aggregate(errors, ["method"], levels)
    b = overall[overall.method == "naive2"].iloc[0]
    overall["relative_smape"] = overall.smape / b.smape
    overall["relative_mase"] = overall.mase / b.mase
    # a method undefined at some origin (a grey model on a window it cannot fit) is scored on
    # fewer points; it is ranked after those scored everywhere rather than on a smaller sample
    full = overall.n == overall.n.max()
    overall = overall.assign(_full=full).sort_values(["_full", "mase"], ascending=[False, True],
                                                     kind="stable").drop(columns="_full")
    return Backtest(errors, summary, overall.reset_index(drop=True), levels)


def _aggregate(errors: pd.DataFrame, by: list[str], levels) -> pd.DataFrame:
    cols = ["smape", "scaled_error", *[f"inside_{lv}" for lv in levels]]
    g = errors.groupby(by, sort=False)
    out = g[cols].mean()
    out.insert(2, "n", g.size())
    out = out.rename(columns={"scaled_error": "mase",
                              **{f"inside_{lv}": f"coverage_{lv}" for lv in levels}})
    return out.reset_index()


def _mean_scaled(mean: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> float:
    ok = np.isfinite(actual)
    e = np.abs(actual - mean) / scale
    return float(np.mean(e[ok])) if np.isfinite(e[ok]).all() else float("inf")


def eligible_pool(bt: Backtest) -> tuple[str, ...]:
    """The methods ranked by overall MASE, best first, without the grey models that do not
    beat Naive2 out of sample and without the combination.

    Examples
    --------
    >>> bt = backtest([1.0, 3, 2, 4, 3, 5, 4, 6], 1, methods=["drift", "gm11"], origins=[5, 6, 7])
    >>> "combination" in eligible_pool(bt)
    False
    """
    ov = bt.overall
    naive = float(ov.loc[ov.method == "naive2", "mase"].iloc[0])
    keep = []
    for r in ov.itertuples():
        if r.method == "combination":
            continue
        if r.method in GREY_METHODS and not (r.mase < naive and r.n == ov.n.max()):
            continue
        keep.append(r.method)
    return tuple(keep)
