"""Rolling-origin evaluation (Tashman 2000): every model is fitted on the first n points for
each origin n, forecasts h steps, and is scored on what followed.

Measures, per method and horizon, over the origins where the actual value exists:

* sMAPE ``= mean 200|y − ŷ|/(|y| + |ŷ|)`` (per cent; M3/Tourism definition);
* MASE ``= mean |y − ŷ| / s`` with ``s`` the in-sample mean absolute first difference of the
  training window (Hyndman & Koehler 2006, m = 1 for annual data);
* interval coverage: the share of actual values inside each central interval;
* the ratio of each to Naive2's (below 1: better than the benchmark).

A grey model enters the pool of :func:`~urbanrural.methods.forecast.models.forecast` only if
it beats Naive2 out of sample by the printed rule (:func:`grey_admitted`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ...data.errors import DataError, Issue
from .claims import benchmark_claim
from .models import GREY_METHODS, check_series, pooled_paths

__all__ = ["Backtest", "backtest", "eligible_pool", "smape", "mase_scale", "default_origins",
           "grey_admitted"]


def grey_admitted(method: str, relative_mase: float, n: int, *, full_n: int, y=None) -> bool:
    """Whether grey model ``method`` may enter the pool: its rolling-origin MASE relative to
    Naive2 must earn the verdict ``beats_naive2`` of
    :func:`~urbanrural.methods.forecast.claims.benchmark_claim` (a 5 % edge on at least
    :data:`~urbanrural.methods.forecast.claims.MIN_SCORED_ERRORS` errors), it must be scored
    at every origin (``n == full_n``), and GM(1,1) and its rolling variant must pass the
    level-ratio test on ``y`` (λ(k) = x⁰(k−1)/x⁰(k) within (e^{−2/(n+1)}, e^{2/(n+1)}); Liu
    et al. 2017; METHODS_GUIDE §GM(1,1)). Its forecasts are then used only up to the
    horizons the backtest scored (see :func:`~urbanrural.methods.forecast.models.forecast_pool`).

    Examples
    --------
    >>> grey_admitted("gm11", 0.69, 7, full_n=7), grey_admitted("gm11", 0.69, 50, full_n=50)
    (False, True)
    """
    if benchmark_claim(relative_mase, n=n).verdict != "beats_naive2" or n != full_n:
        return False
    if y is not None and method in ("gm11", "gm11_rolling"):
        from .grey import gm11

        try:
            return gm11(y).level_ratios_ok
        except DataError:
            return False
    return True


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

    Examples
    --------
    Naive2 from origins 4 and 5 of ``[1, 3, 2, 4, 3, 5]`` forecasts 4 and 3 where 3 and 5
    followed: sMAPE 200·1/7 and 200·2/8 per cent.

    >>> bt = backtest([1.0, 3, 2, 4, 3, 5], 1, methods=["naive2"], origins=[4, 5], combination=False)
    >>> bt.errors.smape.round(4).tolist(), bt.ranking()
    ([28.5714, 50.0], ('naive2',))
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
    plus the grey ones :func:`grey_admitted` lets in is scored too, under the name ``"combination"``
    (grey eligibility is decided on the same origins, so the combination's score is
    optimistic in the way any pool selection is). ``precomputed`` maps a method to its
    (mean, sd) at these origins, so that a caller who fitted once is not refitted.

    Scores (Hyndman & Koehler 2006; Makridakis & Hibon 2000):
    ``sMAPE = mean 200|y − ŷ|/(|y| + |ŷ|)`` and ``MASE = mean |y − ŷ| / s``, ``s`` the mean
    absolute first difference of each training window.

    Parameters
    ----------
    y : array_like
        The annual series, oldest first: finite, at least 4 points.
    h : int
        Horizons scored from each origin (1..h).
    methods : sequence of str
        Models of :data:`~urbanrural.methods.forecast.models.FORECASTERS` to score.
    origins : array_like of int, optional
        Training lengths, each between 2 and ``len(y) − 1`` (default :func:`default_origins`).
    level : sequence of int, default (80, 95)
        Interval levels (per cent) whose coverage is scored.
    combination : bool, default True
        Score the median combination as ``"combination"`` too.
    precomputed : mapping, optional
        Method → (mean, sd), each origins × h, fitted by the caller at these origins.

    Returns
    -------
    Backtest
        Errors per method, origin and horizon, their summary by horizon and overall ranking.

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
        full_n = int(np.isfinite(actual).sum())
        greys = [m for m in names if m in GREY_METHODS
                 and grey_admitted(m, _mean_scaled(results[m][0], actual, scale) / naive_mase,
                                   full_n, full_n=full_n, y=arr)]
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


def eligible_pool(bt: Backtest, *, y=None) -> tuple[str, ...]:
    """The methods ranked by overall MASE, best first, without the grey models that
    :func:`grey_admitted` refuses (level ratios checked on ``y`` when given) and without the
    combination.

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
        if r.method in GREY_METHODS and not grey_admitted(r.method, r.mase / naive, int(r.n),
                                                          full_n=int(ov.n.max()), y=y):
            continue
        keep.append(r.method)
    return tuple(keep)
