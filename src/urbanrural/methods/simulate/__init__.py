"""Scenario simulation: a calibrated two-sector dual economy (Lewis 1954; Harris & Todaro
1970; Hao, Sun, Tombe & Zhu 2020) of migration, capital and incomes, vectorised over
parameter draws.

* :mod:`.model` — the equations and :func:`simulate`;
* :mod:`.calibrate` — the fit to the national series, its Laplace uncertainty and the
  out-of-sample validation against a random walk with drift;
* :mod:`.scenarios` — policy levers by period, as data;
* :mod:`.ensemble` — draws × scenarios, in process or on Dask;
* :mod:`.readings` — the claims the report prints.

The model family is looked up in :data:`MODELS`.

Examples
--------
>>> MODELS["dual_economy"].label_en
'Dual economy (Lewis–Harris–Todaro)'
"""

from ..registry import Registry
from .calibrate import (
    Calibration,
    Validation,
    calibrate,
    diebold_mariano,
    profile,
    random_walk_drift,
    targets_from_wide,
    validate,
)
from .ensemble import Ensemble, run_ensemble
from .model import ASSUMPTIONS, CALIBRATED, Initial, Levers, Params, Path, simulate
from .scenarios import Scenario, scenarios_from_dict

__all__ = ["ASSUMPTIONS", "CALIBRATED", "MODELS", "Calibration", "Ensemble", "Initial", "Levers",
           "Params", "Path", "Scenario", "Validation", "calibrate", "calibrate_dual_economy",
           "diebold_mariano", "profile", "random_walk_drift", "run_ensemble", "scenarios_from_dict",
           "simulate",
           "simulate_dual_economy", "targets_from_wide", "validate", "validate_dual_economy"]

# the names of the public API (``ur.simulate_dual_economy`` …): unambiguous beside the
# forecasting and evaluation families
simulate_dual_economy = simulate
calibrate_dual_economy = calibrate
validate_dual_economy = validate

MODELS = Registry("simulation model", "simulate(params, initial, *, years, levers) -> Path")
MODELS.register("dual_economy", label_zh="二元经济模型（刘易斯—哈里斯—托达罗）",
                label_en="Dual economy (Lewis–Harris–Todaro)",
                summary="two-sector dual economy with Harris–Todaro migration")(simulate)
