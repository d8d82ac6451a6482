"""Grey forecasting models: GM(1,1), its rolling (metabolic) variant, DGM(2,1) and the grey
Verhulst model.

Definitions follow Deng Julong's grey system theory as set out in Liu Sifeng, Yang Yingjie &
Forrest, *Grey Data Analysis* (Springer 2017), ch. 7–8:

* 1-AGO ``x¹(k) = Σ_{i≤k} x⁰(i)``; background value ``z¹(k) = ½(x¹(k) + x¹(k−1))``;
* GM(1,1) ``x⁰(k) + a z¹(k) = b``, least squares on ``k = 2..n``; time response
  ``x̂¹(k+1) = (x⁰(1) − b/a) e^{−ak} + b/a``, restored by ``x̂⁰(k+1) = x̂¹(k+1) − x̂¹(k)``;
* accuracy by the posterior-variance test: ``C = S₂/S₁`` with ``S₁`` the standard deviation
  of the data and ``S₂`` that of the residuals ``q(k) = x⁰(k) − x̂⁰(k)``, both **population**
  standard deviations (divisor n) over all n points, ``q(1) = 0`` included; the small-error
  probability ``P = Pr(|q(k) − q̄| < 0.6745 S₁)``; the mean relative error over k = 2..n.
  Papers print these inconsistently (some call S₂ a variance, some divide by n − 1, some drop
  q(1)); these are the choices that reproduce the worked example of Xu, Zhou & Cheng (2017),
  tested in ``tests/test_forecast_grey.py``.

Grey models assume equally spaced observations and a positive series; they have no
probability model, so they give no prediction intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue

__all__ = ["GreyModel", "gm11", "gm11_rolling", "dgm21", "verhulst", "level_ratio_bounds"]


def _positive_series(x, what: str, *, minimum: int = 4) -> np.ndarray:
    y = np.asarray(x, dtype=float)
    if y.ndim != 1:
        raise DataError(Issue(f"{what}: the series must be one-dimensional"))
    bad = ~np.isfinite(y)
    if bad.any():
        raise DataError(Issue(f"{what}: a missing or infinite value at position "
                              f"{int(np.flatnonzero(bad)[0])}; grey models need every point"))
    if len(y) < minimum:
        raise DataError(Issue(f"{what}: {len(y)} points; a grey model needs at least {minimum}"))
    if (y <= 0).any():
        raise DataError(Issue(f"{what}: value {y[y <= 0][0]!r} at position "
                              f"{int(np.flatnonzero(y <= 0)[0])} is not positive; grey models "
                              "need a positive series (shift it explicitly first)"))
    return y


def level_ratio_bounds(n: int) -> tuple[float, float]:
    """The admissible interval of the level ratios ``λ(k) = x⁰(k−1)/x⁰(k)`` for GM(1,1):
    ``(e^{−2/(n+1)}, e^{2/(n+1)})`` (Liu et al. 2017, §7.2).

    Examples
    --------
    >>> [round(v, 4) for v in level_ratio_bounds(5)]
    [0.7165, 1.3956]
    """
    return float(np.exp(-2 / (n + 1))), float(np.exp(2 / (n + 1)))


@dataclass(frozen=True)
class GreyModel:
    """A fitted grey model.

    Attributes
    ----------
    model : ``"gm11"``, ``"dgm21"`` or ``"verhulst"``.
    a, b : the development coefficient and the grey input.
    data : the series fitted.
    fitted : the restored in-sample values x̂⁰(1..n).
    forecast : the next ``horizon`` values.
    C : posterior-variance ratio S₂/S₁ (population standard deviations).
    P : small-error probability.
    mean_relative_error : mean of |q(k)|/x⁰(k) over k = 2..n (a fraction, not per cent).
    level_ratios_ok : whether every level ratio lies in :func:`level_ratio_bounds`.

    Examples
    --------
    The restored first value is the first observation, so its residual is 0:

    >>> m = gm11([0.6424, 0.6172, 0.5244, 0.4363, 0.4051], horizon=1)
    >>> m.model, float(m.residuals[0]), m.to_frame().is_forecast.tolist()
    ('gm11', 0.0, [False, False, False, False, False, True])
    """

    model: str
    a: float
    b: float
    data: np.ndarray
    fitted: np.ndarray
    forecast: np.ndarray
    C: float
    P: float
    mean_relative_error: float
    level_ratios_ok: bool

    @property
    def residuals(self) -> np.ndarray:
        return self.data - self.fitted

    def to_frame(self) -> pd.DataFrame:
        """One row per point: k, the data (NaN for forecasts), the model value, the residual."""
        n, h = len(self.data), len(self.forecast)
        return pd.DataFrame({
            "k": np.arange(1, n + h + 1),
            "value": np.r_[self.data, np.full(h, np.nan)],
            "model_value": np.r_[self.fitted, self.forecast],
            "residual": np.r_[self.residuals, np.full(h, np.nan)],
            "is_forecast": np.r_[np.zeros(n, bool), np.ones(h, bool)]})


def _accuracy(x0: np.ndarray, fitted: np.ndarray) -> tuple[float, float, float]:
    q = x0 - fitted
    s1 = x0.std()  # population standard deviations (divisor n): see the module docstring
    s2 = q.std()
    C = float(s2 / s1) if s1 > 0 else float("nan")
    P = float(np.mean(np.abs(q - q.mean()) < 0.6745 * s1))
    mre = float(np.mean(np.abs(q[1:]) / x0[1:]))
    return C, P, mre


def gm11(x, *, horizon: int = 0) -> GreyModel:
    """GM(1,1): the grey model of one variable and first order.

    ``x⁰(k) + a z¹(k) = b`` by least squares, ``x̂¹(k+1) = (x⁰(1) − b/a)e^{−ak} + b/a``
    (Deng 1982; Liu et al. 2017, ch. 7). Coefficients are kept at full precision; papers that
    round a and b to four decimals before forecasting differ in the fourth decimal.

    Parameters
    ----------
    x : array_like
        A positive, equally spaced series of at least 4 points.
    horizon : int, default 0
        How many values to forecast.

    Returns
    -------
    GreyModel
        The coefficients a, b, the restored fit, the forecasts and the accuracy tests.

    Examples
    --------
    Xu, Zhou & Cheng (2017, Acta Ecologica Sinica 37(24), §3.1.4): a = 0.1491, b = 0.7529.

    >>> m = gm11([0.6424, 0.6172, 0.5244, 0.4363, 0.4051], horizon=2)
    >>> round(m.a, 4), round(m.b, 4), round(m.C, 4), m.P
    (0.1491, 0.7529, 0.1107, 1.0)
    >>> [round(float(v), 4) for v in m.forecast]
    [0.3362, 0.2896]
    """
    x0 = _positive_series(x, "gm11")
    if horizon < 0:
        raise DataError(Issue(f"gm11: horizon {horizon} must be 0 or more"))
    n = len(x0)
    x1 = np.cumsum(x0)
    z = 0.5 * (x1[1:] + x1[:-1])
    B = np.column_stack([-z, np.ones(n - 1)])
    (a, b), *_ = np.linalg.lstsq(B, x0[1:], rcond=None)
    if abs(a) < 1e-12:
        raise DataError(Issue("gm11: the development coefficient a is 0 (a flat series); "
                              "GM(1,1) is undefined"))
    k = np.arange(n + horizon)
    x1_hat = (x0[0] - b / a) * np.exp(-a * k) + b / a
    x0_hat = np.r_[x0[0], np.diff(x1_hat)]
    C, P, mre = _accuracy(x0, x0_hat[:n])
    lo, hi = level_ratio_bounds(n)
    lam = x0[:-1] / x0[1:]
    return GreyModel("gm11", float(a), float(b), x0, x0_hat[:n], x0_hat[n:], C, P, mre,
                     bool(((lam > lo) & (lam < hi)).all()))


def gm11_rolling(x, horizon: int, *, window: int | None = None) -> np.ndarray:
    """The metabolic (rolling) GM(1,1): forecast one step, append it, drop the oldest point,
    refit, and repeat ``horizon`` times (新陈代谢GM(1,1); Liu et al. 2017, §7.5).

    Parameters
    ----------
    x : array_like
        A positive, equally spaced series of at least 4 points.
    horizon : int
        How many values to forecast.
    window : int, optional
        The number of points in each fit, from 4 to ``len(x)`` (default: all of ``x``).

    Returns
    -------
    numpy.ndarray
        The ``horizon`` forecasts; the first equals GM(1,1)'s one-step forecast on the last
        ``window`` points.

    Examples
    --------
    >>> f = gm11_rolling([0.6424, 0.6172, 0.5244, 0.4363, 0.4051], 2)
    >>> bool(f[0] == gm11([0.6424, 0.6172, 0.5244, 0.4363, 0.4051], horizon=1).forecast[0])
    True
    """
    y = _positive_series(x, "gm11_rolling")
    w = len(y) if window is None else int(window)
    if w < 4 or w > len(y):
        raise DataError(Issue(f"gm11_rolling: window {w} must be between 4 and {len(y)}"))
    buf = list(y[-w:])
    out = np.empty(horizon)
    for i in range(horizon):  # each step refits on the window that includes the last forecast
        out[i] = gm11(buf[-w:], horizon=1).forecast[0]
        buf.append(out[i])
    return out


def dgm21(x, *, horizon: int = 0) -> GreyModel:
    """DGM(2,1): ``α¹x⁰(k) + a x⁰(k) = b`` with ``α¹x⁰(k) = x⁰(k) − x⁰(k−1)``, least squares
    on k = 2..n; time response
    ``x̂¹(k+1) = (b/a² − x⁰(1)/a)e^{−ak} + (b/a)(k+1) + (x⁰(1) − b/a)(1+a)/a``
    (Liu et al. 2017, §7.4).

    Parameters
    ----------
    x : array_like
        A positive, equally spaced series of at least 4 points.
    horizon : int, default 0
        How many values to forecast.

    Returns
    -------
    GreyModel
        ``model="dgm21"``; ``level_ratios_ok`` is always True (DGM(2,1) sets no such test).

    Examples
    --------
    >>> m = dgm21([2.0, 2.9, 3.6, 4.1, 4.5], horizon=1)
    >>> round(float(m.fitted[0]), 10)
    2.0
    """
    x0 = _positive_series(x, "dgm21")
    n = len(x0)
    B = np.column_stack([-x0[1:], np.ones(n - 1)])
    (a, b), *_ = np.linalg.lstsq(B, np.diff(x0), rcond=None)
    if abs(a) < 1e-12:
        raise DataError(Issue("dgm21: the coefficient a is 0; DGM(2,1) is undefined"))
    k = np.arange(n + horizon)
    x1_hat = ((b / a**2 - x0[0] / a) * np.exp(-a * k) + (b / a) * (k + 1)
              + (x0[0] - b / a) * (1 + a) / a)
    x0_hat = np.r_[x0[0], np.diff(x1_hat)]
    C, P, mre = _accuracy(x0, x0_hat[:n])
    return GreyModel("dgm21", float(a), float(b), x0, x0_hat[:n], x0_hat[n:], C, P, mre, True)


def verhulst(x, *, horizon: int = 0) -> GreyModel:
    """The grey Verhulst model for an S-shaped (saturating) series, which is taken as x¹ with
    its 1-IAGO ``x⁰(k) = x¹(k) − x¹(k−1)`` (Liu et al. 2017, §7.6):
    ``x⁰(k) + a z¹(k) = b (z¹(k))²``, least squares on k = 2..n;
    ``x̂¹(k+1) = a x¹(1) / (b x¹(1) + (a − b x¹(1)) e^{ak})``; saturation level ``a/b``.

    Parameters
    ----------
    x : array_like
        A positive, equally spaced, S-shaped series (the levels x¹) of at least 4 points.
    horizon : int, default 0
        How many values to forecast.

    Returns
    -------
    GreyModel
        ``model="verhulst"``; ``fitted`` and ``forecast`` are levels (x¹), the series given.

    Examples
    --------
    A logistic curve ``100/(1 + 9e^{−0.3t})`` gives back its saturation level:

    >>> t = np.arange(8)
    >>> m = verhulst(100 / (1 + 9 * np.exp(-0.3 * t)), horizon=1)
    >>> bool(abs(m.a / m.b - 100) < 5)
    True
    """
    x1 = _positive_series(x, "verhulst")
    n = len(x1)
    z = 0.5 * (x1[1:] + x1[:-1])
    B = np.column_stack([-z, z**2])
    (a, b), *_ = np.linalg.lstsq(B, np.diff(x1), rcond=None)
    k = np.arange(n + horizon)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        x1_hat = a * x1[0] / (b * x1[0] + (a - b * x1[0]) * np.exp(a * k))
    if not np.isfinite(x1_hat).all():
        raise DataError(Issue("verhulst: the fitted curve explodes (a, b give a pole within "
                              "the horizon); the series is not S-shaped"))
    C, P, mre = _accuracy(x1, x1_hat[:n])
    return GreyModel("verhulst", float(a), float(b), x1, x1_hat[:n], x1_hat[n:], C, P, mre, True)
