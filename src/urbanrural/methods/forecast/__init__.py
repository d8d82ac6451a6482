"""Forecasting and target paths for short annual series: the model registry and
:func:`forecast`, rolling-origin backtests, grey models, target-path closed forms, growth
accounting, and the claims the paths section prints.

Examples
--------
>>> from urbanrural.methods.forecast import forecast, gm11, required_growth
>>> round(gm11([0.6424, 0.6172, 0.5244, 0.4363, 0.4051]).a, 4)
0.1491
>>> round(float(required_growth(2.5, 2.0, 10, 0.05)), 4)
0.0737
"""

from __future__ import annotations

from .backtest import Backtest, backtest, eligible_pool
from .grey import GreyModel, dgm21, gm11, gm11_rolling, verhulst
from .growth import compare_printed, growth_accounting
from .models import DEFAULT_POOL, FORECASTERS, Forecast, forecast, forecast_pool
from .targets import (
                      probability_target_met,
                      required_growth,
                      simulate_combination,
                      simulate_paths,
                      year_target_met,
)

__all__ = ["forecast", "forecast_pool", "Forecast", "FORECASTERS", "DEFAULT_POOL", "backtest",
           "Backtest", "eligible_pool", "gm11", "gm11_rolling", "dgm21", "verhulst", "GreyModel",
           "required_growth", "year_target_met", "probability_target_met", "simulate_paths",
           "simulate_combination", "growth_accounting", "compare_printed"]
