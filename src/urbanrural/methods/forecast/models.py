"""The forecasting engine: a registry of models for short annual series, each giving the mean
and standard deviation of its forecasts for every training length at once, and
:func:`forecast`, which picks or combines them by rolling-origin error.

Models (registry :data:`FORECASTERS`): naive and Naive2 (the same for annual data: Naive2 is
naive on seasonally adjusted data, and annual data have no season), random walk with drift,
SES, Holt, damped trend, ETS (the AICc choice among those three, Hyndman et al. 2008), Theta,
ARIMA with automatic order (statsforecast's AutoARIMA, imported only when asked for: its numba
compilation takes seconds), and the grey family — GM(1,1), rolling GM(1,1), DGM(2,1) and
grey Verhulst — which give no prediction intervals. ``"combination"`` is the median of the
pool's forecasts, its intervals the median of the members' bounds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ...data.errors import DataError, Issue
from ..registry import Registry
from . import grey
from .smoothing import drift_forecast, fit_smoothing, fit_theta, naive_forecast

__all__ = ["FORECASTERS", "GREY_METHODS", "DEFAULT_POOL", "Forecast", "forecast", "paths",
           "check_series", "METHOD_LABELS", "backtest_horizon",
           "forecast_pool", "pooled_paths",
           "SINGLE_MODEL_MARGIN", "SELECTION_RULE"]

FORECASTERS = Registry("forecast", "(y, h, n_train) -> (mean (L, h), sd (L, h))")
GREY_METHODS = ("gm11", "gm11_rolling", "dgm21", "verhulst")
# the pool "auto" and "combination" draw on (ARIMA is left out by default for its start-up cost)
DEFAULT_POOL = ("naive2", "drift", "ses", "holt", "damped", "ets", "theta", *GREY_METHODS)


def check_series(y, what: str = "series", *, minimum: int = 4) -> np.ndarray:
    """A 1-D float array with every value finite and at least ``minimum`` points, or a
    :class:`~urbanrural.data.errors.DataError` naming the position."""
    arr = np.asarray(y, dtype=float)
    if arr.ndim != 1:
        raise DataError(Issue(f"{what}: the series must be one-dimensional"))
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(Issue(f"{what}: a missing or infinite value at position "
                              f"{int(np.flatnonzero(bad)[0])}; forecasting needs every year "
                              "(drop or fill it explicitly first)"))
    if len(arr) < minimum:
        raise DataError(Issue(f"{what}: {len(arr)} points; at least {minimum} are needed"))
    return arr


def _lengths(y: np.ndarray, n_train) -> np.ndarray:
    return np.array([len(y)] if n_train is None else n_train, dtype=int).ravel()


@FORECASTERS.register("naive", label_zh="朴素法（随机游走）", label_en="Naive (random walk)")
def _naive(y, h, n_train=None):
    return naive_forecast(y, h, n_train=n_train)


@FORECASTERS.register("naive2", label_zh="Naive2（年度数据即朴素法）",
                      label_en="Naive2 (naive, for annual data)")
def _naive2(y, h, n_train=None):
    return naive_forecast(y, h, n_train=n_train)


@FORECASTERS.register("drift", label_zh="带漂移的随机游走", label_en="Random walk with drift")
def _drift(y, h, n_train=None):
    return drift_forecast(y, h, n_train=n_train)


def _smooth(kind):
    def run(y, h, n_train=None):
        return fit_smoothing(y, kind, n_train=_lengths(np.asarray(y), n_train)).forecast(h)
    return run


FORECASTERS.register("ses", label_zh="简单指数平滑", label_en="Simple exponential smoothing")(
    _smooth("ses"))
FORECASTERS.register("holt", label_zh="Holt线性趋势", label_en="Holt's linear trend")(
    _smooth("holt"))
FORECASTERS.register("damped", label_zh="阻尼趋势", label_en="Damped trend")(_smooth("damped"))


@FORECASTERS.register("ets", label_zh="ETS（按AICc自动选择）", label_en="ETS (chosen by AICc)")
def _ets(y, h, n_train=None):
    y = np.asarray(y, dtype=float)
    fits = [fit_smoothing(y, k, n_train=_lengths(y, n_train)) for k in ("ses", "holt", "damped")]
    aicc = np.vstack([f.aicc for f in fits])
    best = np.argmin(aicc, axis=0)
    means, sds = zip(*(f.forecast(h) for f in fits), strict=True)
    rows = np.arange(len(best))
    return np.stack(means)[best, rows], np.stack(sds)[best, rows]


@FORECASTERS.register("theta", label_zh="Theta法", label_en="Theta")
def _theta(y, h, n_train=None):
    mean, sd, _ = fit_theta(y, h, n_train=n_train)
    return mean, sd


@FORECASTERS.register("arima", label_zh="ARIMA（自动定阶，statsforecast）",
                      label_en="ARIMA (automatic order, statsforecast)")
def _arima(y, h, n_train=None):
    from statsforecast.models import AutoARIMA  # heavy (numba): only when asked for

    y = np.asarray(y, dtype=float)
    lengths = _lengths(y, n_train)
    mean = np.empty((len(lengths), h))
    sd = np.empty((len(lengths), h))
    z = float(ndtri(0.9))
    for i, n in enumerate(lengths):  # one automatic order search per origin, as it must be
        out = AutoARIMA(season_length=1).forecast(y=y[:n], h=h, level=[80])
        mean[i] = out["mean"]
        sd[i] = (out["hi-80"] - out["mean"]) / z
    return mean, sd


def _grey(fn):
    def run(y, h, n_train=None):
        y = np.asarray(y, dtype=float)
        lengths = _lengths(y, n_train)
        mean = np.full((len(lengths), h), np.nan)
        for i, n in enumerate(lengths):  # a few tiny least-squares fits, one per origin
            # a grey model undefined on this window has no forecast (NaN), never a guess
            with contextlib.suppress(DataError):
                mean[i] = fn(y[:n], h)
        return mean, np.full_like(mean, np.nan)
    return run


FORECASTERS.register("gm11", label_zh="GM(1,1)", label_en="GM(1,1)")(
    _grey(lambda y, h: grey.gm11(y, horizon=h).forecast))
FORECASTERS.register("gm11_rolling", label_zh="新陈代谢GM(1,1)", label_en="Rolling GM(1,1)")(
    _grey(lambda y, h: grey.gm11_rolling(y, h)))
FORECASTERS.register("dgm21", label_zh="DGM(2,1)", label_en="DGM(2,1)")(
    _grey(lambda y, h: grey.dgm21(y, horizon=h).forecast))
FORECASTERS.register("verhulst", label_zh="灰色Verhulst", label_en="Grey Verhulst")(
    _grey(lambda y, h: grey.verhulst(y, horizon=h).forecast))

METHOD_LABELS = {name: (m.label_zh, m.label_en) for name, m in FORECASTERS.items()}
METHOD_LABELS["combination"] = ("组合预测（中位数）", "Combination (median)")
METHOD_LABELS["auto"] = ("自动选择（滚动起点误差最小）", "Auto (least rolling-origin error)")


def pooled_paths(y, h: int, methods: Sequence[str], *, n_train=None
                 ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`paths` of several methods, fitting SES, Holt and damped trend once for all of
    them (ETS is the AICc choice among those same fits).

    Examples
    --------
    >>> out = pooled_paths([1.0, 3, 2, 5, 4, 6, 7], 2, ["ses", "ets", "naive2"], n_train=[5, 7])
    >>> bool((out["ets"][0] == paths([1.0, 3, 2, 5, 4, 6, 7], 2, "ets", n_train=[5, 7])[0]).all())
    True
    """
    arr = np.asarray(y, dtype=float)
    lengths = _lengths(arr, n_train)
    names = list(dict.fromkeys(methods))
    smooth = {"ses", "holt", "damped", "ets"} & set(names)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if smooth:
        kinds = ("ses", "holt", "damped") if "ets" in smooth else tuple(
            k for k in ("ses", "holt", "damped") if k in smooth)
        fits = {k: fit_smoothing(arr, k, n_train=lengths) for k in kinds}
        fc = {k: f.forecast(h) for k, f in fits.items()}
        for k in kinds:
            if k in smooth:
                out[k] = fc[k]
        if "ets" in smooth:
            aicc = np.vstack([fits[k].aicc for k in kinds])
            best = np.argmin(aicc, axis=0)
            rows = np.arange(len(lengths))
            out["ets"] = (np.stack([fc[k][0] for k in kinds])[best, rows],
                          np.stack([fc[k][1] for k in kinds])[best, rows])
    for m in names:
        if m not in out:
            out[m] = paths(arr, h, m, n_train=lengths)
    return {m: out[m] for m in names}


def paths(y, h: int, method: str, *, n_train=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (each (L, h)) of ``method`` trained on the first
    ``n_train`` points, for each length."""
    return FORECASTERS[method](np.asarray(y, dtype=float), h, n_train)


@dataclass(frozen=True)
class Forecast:
    """Forecasts of one series.

    Attributes
    ----------
    method : the model used (for ``"auto"``, the one chosen; ``"combination"`` for a
        combination).
    mean : the point forecasts, length h.
    levels : the interval levels (per cent).
    lower, upper : {level: array of length h}; NaN where a model gives no interval (grey).
    members : the models combined (combination) or ranked (auto), best first.
    selection : how the method was chosen, in words.
    backtest : the :class:`~urbanrural.methods.forecast.backtest.Backtest` behind the choice
        (``"auto"`` and ``"combination"``; ``None`` for a single model).

    Examples
    --------
    The naive forecast repeats the last value; its h-step standard deviation is σ√h with σ²
    the mean squared first difference (here every difference is 1, so σ = 1):

    >>> f = forecast([1.0, 2, 3, 4, 5], 2, method="naive", level=80)
    >>> f.mean.tolist(), [round(float(v), 4) for v in f.upper[80] - f.mean]
    ([5.0, 5.0], [1.2816, 1.8124])
    >>> f.to_frame().step.tolist()
    [1, 2]
    """

    method: str
    mean: np.ndarray
    levels: tuple[int, ...]
    lower: dict
    upper: dict
    members: tuple[str, ...] = ()
    selection: str = ""
    backtest: object = field(default=None, repr=False, compare=False)

    def to_frame(self, *, start: int = 1) -> pd.DataFrame:
        """One row per step: step, mean and ``lower_<level>`` / ``upper_<level>``."""
        out = pd.DataFrame({"step": np.arange(start, start + len(self.mean)), "mean": self.mean})
        for lv in self.levels:
            out[f"lower_{lv}"] = self.lower[lv]
            out[f"upper_{lv}"] = self.upper[lv]
        out["method"] = self.method
        return out


def _bounds(mean: np.ndarray, sd: np.ndarray, levels: Sequence[int]) -> tuple[dict, dict]:
    lo, hi = {}, {}
    for lv in levels:
        z = float(ndtri(0.5 + lv / 200))
        lo[lv], hi[lv] = mean - z * sd, mean + z * sd
    return lo, hi


def _check_levels(level) -> tuple[int, ...]:
    levels = tuple(int(v) for v in (level if isinstance(level, (tuple, list)) else (level,)))
    for lv in levels:
        if not 0 < lv < 100:
            raise DataError(Issue(f"forecast: interval level {lv} must lie strictly between 0 "
                                  "and 100 (per cent)"))
    return levels


def backtest_horizon(T: int, h: int) -> int:
    """The horizon scored when choosing a model: ``min(h, max(2, T // 4))`` — a 15-year
    forecast of an 8-point series cannot be scored 15 years out; the choice is made on the
    horizons the data can score (1–2 years for 8 points, 5 for 22).

    Examples
    --------
    >>> backtest_horizon(8, 15), backtest_horizon(22, 11), backtest_horizon(30, 4)
    (2, 5, 4)
    """
    return int(min(h, max(2, T // 4)))


SINGLE_MODEL_MARGIN = 0.5
# the rule "auto" applies, in words (recorded by the paths section and command)
SELECTION_RULE = ("the median combination unless one model's rolling-origin MASE is below {:g} × "
                  "the combination's; a grey model enters only with the verdict beats_naive2 "
                  "(relative MASE < 0.95 on at least 10 backtest errors; GM(1,1): level ratios "
                  "in range) and only over the backtest's horizons")


def forecast_pool(y, h: int, *, level=(80, 95), pool: Sequence[str] | None = None, origins=None,
                  scored_horizon: int | None = None,
                  single_model_margin: float = SINGLE_MODEL_MARGIN) -> dict[str, Forecast]:
    """One rolling-origin backtest of the pool, then the forecasts of every pool member, of
    ``"combination"`` (the median of the members, grey ones only where
    :func:`~urbanrural.methods.forecast.backtest.grey_admitted` lets them in and only over the
    ``scored_horizon`` steps; intervals: the median of the members' bounds) and of
    ``"auto"`` — each model fitted once.

    ``"auto"`` is the combination unless the best single member's rolling-origin MASE is below
    ``(1 − single_model_margin)`` times the combination's. Why a margin: with a handful of
    origins the backtest ranking of single models is noisy, and picking the winner loses to
    the combination out of sample. On the 645 yearly M3 series (``benchmarks/bench_forecast.py
    --set m3``) picking the backtest winner gave sMAPE 17.8 against 15.6 for the combination;
    the margin 0.5, chosen there, gave 15.6 (MASE 2.60, Theta 16.8 / 2.77), and was then kept
    fixed for the Tourism benchmark, which it did not see. With the stricter grey entry
    (:func:`~urbanrural.methods.forecast.backtest.grey_admitted`) and grey members capped at
    the scored horizons, M3 gives 15.71 / 2.617 for ``auto`` (Theta 16.76 / 2.773) and Tourism
    20.40 / 2.676 (Theta 20.52 / 2.730).

    Parameters
    ----------
    y : array_like
        The annual series, oldest first: finite, at least 4 points.
    h : int
        Forecast horizon (steps ahead).
    level : int or sequence of int, default (80, 95)
        Central interval levels, per cent.
    pool : sequence of str, optional
        Models of :data:`FORECASTERS` to score and combine (default :data:`DEFAULT_POOL`;
        the grey models are left out when the series is not positive).
    origins : array_like of int, optional
        Training lengths of the rolling-origin backtest (default
        :func:`~urbanrural.methods.forecast.backtest.default_origins`).
    scored_horizon : int, optional
        Horizons scored in the backtest (default :func:`backtest_horizon`).
    single_model_margin : float, default 0.5
        ``"auto"`` picks the best single model only when its MASE is below
        ``(1 − single_model_margin)`` × the combination's.

    Returns
    -------
    dict of str to Forecast
        One :class:`Forecast` per pool member and ``"naive2"``, plus ``"combination"`` and
        ``"auto"`` (both carry the backtest).

    Examples
    --------
    >>> out = forecast_pool([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2)
    >>> out["auto"].method in out, sorted(out)[:3]
    (True, ['auto', 'combination', 'damped'])
    """
    from .backtest import backtest, default_origins, eligible_pool

    arr = check_series(y, "forecast")
    levels = _check_levels(level)
    candidates = tuple(pool or DEFAULT_POOL)
    if (arr <= 0).any():
        candidates = tuple(m for m in candidates if m not in GREY_METHODS)

    T = len(arr)
    hb = backtest_horizon(T, h) if scored_horizon is None else int(scored_horizon)
    n = default_origins(T, hb) if origins is None else np.asarray(origins, int).ravel()
    # every model is fitted once for all origins and the whole series (one filter pass each)
    both = pooled_paths(arr, max(h, hb), ("naive2", *candidates), n_train=[*n, T])
    bt = backtest(arr, hb, methods=candidates, origins=n, level=levels,
                  precomputed={m: (mu[:-1, :hb], sd[:-1, :hb]) for m, (mu, sd) in both.items()})
    kept = eligible_pool(bt, y=arr)
    out: dict[str, Forecast] = {}
    for m, (mu, sd) in both.items():
        lo, hi = _bounds(mu[-1, :h], sd[-1, :h], levels)
        out[m] = Forecast(m, mu[-1, :h], levels, lo, hi)
    # a model undefined on the whole series (a grey fit that fails) cannot be chosen
    kept = tuple(m for m in kept if np.isfinite(out[m].mean).all())
    members = [m for m in kept if m != "naive"]
    import warnings

    # a grey member is used only up to the horizons its backtest scored (hb): its entry was
    # earned there, and grey curves run away further out (Verhulst: 0.47 for the ratio in 2035)
    scored = np.arange(h) < hb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN bounds: grey members only
        mean = np.nanmedian(np.vstack([np.where(scored, out[m].mean, np.nan) if m in GREY_METHODS
                                       else out[m].mean for m in members]), axis=0)
        lo = {lv: np.nanmedian(np.vstack([out[m].lower[lv] for m in members]), axis=0)
              for lv in levels}
        hi = {lv: np.nanmedian(np.vstack([out[m].upper[lv] for m in members]), axis=0)
              for lv in levels}
    out["combination"] = Forecast("combination", mean, levels, lo, hi, tuple(members),
                                  "median of the pool (grey models only where they beat Naive2, "
                                  "and only over the horizons the backtest scored)", bt)
    ov = bt.overall.set_index("method").mase
    # a grey model is never the single choice beyond the horizons its backtest scored
    single = next(m for m in kept if m not in GREY_METHODS or h <= hb)
    best = single if ov[single] < (1 - single_model_margin) * ov["combination"] else "combination"
    ranked = (best, *[m for m in kept if m != best])
    out["auto"] = replace(out[best], members=ranked,
                          selection=SELECTION_RULE.format(1 - single_model_margin),
                          backtest=bt)
    return out


def forecast(y, h: int, *, method: str = "auto", level=(80, 95), pool: Sequence[str] | None = None,
             origins=None, scored_horizon: int | None = None) -> Forecast:
    """Forecast ``y`` (an annual series, oldest first) ``h`` steps ahead.

    ``method`` is a model of :data:`FORECASTERS`, ``"auto"`` (chosen by rolling-origin error:
    the combination unless one model beats it clearly, see :func:`forecast_pool` and
    :func:`~urbanrural.methods.forecast.backtest.backtest`) or
    ``"combination"`` (the median of the pool members, after dropping any grey model that
    does not beat Naive2 out of sample on this series). The backtest scores horizons up to
    ``scored_horizon`` (default :func:`backtest_horizon`). Intervals are Gaussian from each
    model's forecast variance: ``mean ± z_{(1+level/100)/2} · sd``.

    Parameters
    ----------
    y : array_like
        The annual series, oldest first: finite, at least 4 points.
    h : int
        Forecast horizon, at least 1.
    method : str, default "auto"
        A model of :data:`FORECASTERS`, ``"auto"`` or ``"combination"``.
    level : int or sequence of int, default (80, 95)
        Central interval levels, per cent (strictly between 0 and 100).
    pool : sequence of str, optional
        The models ``"auto"`` and ``"combination"`` draw on (default :data:`DEFAULT_POOL`).
    origins : array_like of int, optional
        Training lengths of the backtest behind ``"auto"`` and ``"combination"``.
    scored_horizon : int, optional
        Horizons that backtest scores (default :func:`backtest_horizon`).

    Returns
    -------
    Forecast
        The point forecasts and intervals of the model used.

    Examples
    --------
    >>> f = forecast([1.0, 2, 3, 4, 5, 6, 7, 8], 2, method="holt")
    >>> [round(float(v), 4) for v in f.mean]
    [9.0, 10.0]
    >>> f.to_frame().columns.tolist()
    ['step', 'mean', 'lower_80', 'upper_80', 'lower_95', 'upper_95', 'method']
    """
    arr = check_series(y, "forecast")
    if int(h) < 1:
        raise DataError(Issue(f"forecast: horizon h = {h} must be at least 1"))
    h = int(h)
    levels = _check_levels(level)
    if method in ("auto", "combination"):
        return forecast_pool(arr, h, level=levels, pool=pool, origins=origins,
                             scored_horizon=scored_horizon)[method]
    if method not in FORECASTERS:
        raise DataError(Issue(f"forecast: unknown method {method!r}; known: "
                              f"{', '.join([*FORECASTERS, 'auto', 'combination'])}"))
    if method in GREY_METHODS:
        grey._positive_series(arr, method)
        if h > max(2, len(arr) // 4):
            import warnings

            warnings.warn(f"forecast: {method} {h} steps ahead of {len(arr)} points is far beyond "
                          f"the {max(2, len(arr) // 4)} steps a backtest can score; grey curves "
                          "run away at long horizons / 灰色模型远期预测不可靠", UserWarning,
                          stacklevel=2)
    mean, sd = paths(arr, h, method)
    if not np.isfinite(mean).all():
        raise DataError(Issue(f"forecast: {method} is undefined on this series"))
    lo, hi = _bounds(mean[0], sd[0], levels)
    return Forecast(method, mean[0], levels, lo, hi)
