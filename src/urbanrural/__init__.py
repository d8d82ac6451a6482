"""urbanrural: measure, diagnose, explain and simulate urban–rural integration and common
prosperity (城乡融合与共同富裕的测度、诊断、解释与模拟).

The public API is imported on first use (PEP 562), so ``import urbanrural`` is fast and a
command pays only for what it runs::

    import urbanrural as ur
    ur.gini([1, 2, 3, 4])        # imports urbanrural.methods.inequality now
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__ as __version__

# public name → the module that defines it
_EXPORTS: dict[str, str] = {
    "DataError": "urbanrural.data",
    "Indicator": "urbanrural.data",
    "Panel": "urbanrural.data",
    "PanelArray": "urbanrural.data",
    "RegionError": "urbanrural.data",
    "china": "urbanrural.data",
    "dataset_breaks": "urbanrural.data",
    "load_dataset": "urbanrural.data",
    "read": "urbanrural.data",
    "split_series_breaks": "urbanrural.data",
    "world": "urbanrural.data",
    "write": "urbanrural.data",
    "ahp_weights": "urbanrural.methods.composite",
    "combine_weights": "urbanrural.methods.composite",
    "coupling_coordination": "urbanrural.methods.composite",
    "critic_weights": "urbanrural.methods.composite",
    "cv_weights": "urbanrural.methods.composite",
    "entropy_weights": "urbanrural.methods.composite",
    "grey_relational": "urbanrural.methods.composite",
    "normalize": "urbanrural.methods.composite",
    "normalise": "urbanrural.methods.composite.normalize",
    "obstacle_degree": "urbanrural.methods.composite",
    "pca_weights": "urbanrural.methods.composite",
    "std_weights": "urbanrural.methods.composite",
    "topsis": "urbanrural.methods.composite",
    "weighted_geometric": "urbanrural.methods.composite",
    "weighted_sum": "urbanrural.methods.composite",
    "convergence_clubs": "urbanrural.methods.dynamics.clubs",
    "log_t_test": "urbanrural.methods.dynamics.clubs",
    "beta_convergence": "urbanrural.methods.dynamics.convergence",
    "sigma_convergence": "urbanrural.methods.dynamics.convergence",
    "kernel_density": "urbanrural.methods.dynamics.kde",
    "markov": "urbanrural.methods.dynamics.markov",
    "markov_classes": "urbanrural.methods.dynamics.markov",
    "spatial_markov": "urbanrural.methods.dynamics.markov",
    "dual_contrast_coefficient": "urbanrural.methods.gaps",
    "dual_contrast_index": "urbanrural.methods.gaps",
    "urban_rural_theil": "urbanrural.methods.gaps",
    "urban_rural_theil_decomposition": "urbanrural.methods.gaps",
    "atkinson": "urbanrural.methods.inequality",
    "coefficient_of_variation": "urbanrural.methods.inequality",
    "dagum_gini": "urbanrural.methods.inequality",
    "dask_client": "urbanrural.methods.inequality",
    "decomposition_over_time": "urbanrural.methods.inequality",
    "generalized_entropy": "urbanrural.methods.inequality",
    "generalised_entropy": "urbanrural.methods.inequality",
    "gini": "urbanrural.methods.inequality",
    "inequality_over_time": "urbanrural.methods.inequality",
    "lorenz": "urbanrural.methods.inequality",
    "mean_log_deviation": "urbanrural.methods.inequality",
    "palma": "urbanrural.methods.inequality",
    "percentile_ratio": "urbanrural.methods.inequality",
    "theil": "urbanrural.methods.inequality",
    "weighted_quantile": "urbanrural.methods.inequality",
    "williamson": "urbanrural.methods.inequality",
    "gearys_c": "urbanrural.methods.spatial.autocorrelation",
    "local_morans": "urbanrural.methods.spatial.autocorrelation",
    "morans_i": "urbanrural.methods.spatial.autocorrelation",
    "geodetector": "urbanrural.methods.spatial.geodetector",
    "gravity_center": "urbanrural.methods.spatial.shape",
    "gravity_centre": "urbanrural.methods.spatial.shape",
    "standard_deviational_ellipse": "urbanrural.methods.spatial.shape",
    "spatial_weights": "urbanrural.methods.spatial.weights",
    "run_analysis": "urbanrural.pipeline.analysis",
    "load_framework": "urbanrural.pipeline.framework",
    "run_index": "urbanrural.pipeline.index",
    "AnalysisSpec": "urbanrural.pipeline.spec",
    "forecast": "urbanrural.methods.forecast",
    "forecast_pool": "urbanrural.methods.forecast",
    "Forecast": "urbanrural.methods.forecast",
    "backtest": "urbanrural.methods.forecast",
    "Backtest": "urbanrural.methods.forecast",
    "gm11": "urbanrural.methods.forecast",
    "gm11_rolling": "urbanrural.methods.forecast",
    "dgm21": "urbanrural.methods.forecast",
    "verhulst": "urbanrural.methods.forecast",
    "GreyModel": "urbanrural.methods.forecast",
    "required_growth": "urbanrural.methods.forecast",
    "year_target_met": "urbanrural.methods.forecast",
    "probability_target_met": "urbanrural.methods.forecast",
    "simulate_paths": "urbanrural.methods.forecast",
    "growth_accounting": "urbanrural.methods.forecast",
    "att_gt": "urbanrural.methods.evaluate",
    "GroupTimeATT": "urbanrural.methods.evaluate",
    "AggregatedATT": "urbanrural.methods.evaluate",
    "twfe": "urbanrural.methods.evaluate",
    "bacon_decomposition": "urbanrural.methods.evaluate",
    "synthetic_control": "urbanrural.methods.evaluate",
    "SyntheticControl": "urbanrural.methods.evaluate",
    "sdid": "urbanrural.methods.evaluate",
    "SDID": "urbanrural.methods.evaluate",
    "evaluate_designs": "urbanrural.pipeline.evaluate",
    "read_treatment": "urbanrural.pipeline.evaluate",
    "simulate_dual_economy": "urbanrural.methods.simulate",
    "calibrate_dual_economy": "urbanrural.methods.simulate",
    "validate_dual_economy": "urbanrural.methods.simulate",
    "run_ensemble": "urbanrural.methods.simulate",
    "Scenario": "urbanrural.methods.simulate",
    "scenarios_from_dict": "urbanrural.methods.simulate",
    "run_simulation": "urbanrural.pipeline.simulate",
    "index_uncertainty": "urbanrural.pipeline.robustness",
    "IndexUncertainty": "urbanrural.pipeline.robustness",
    "UncertaintyChoices": "urbanrural.pipeline.robustness",
    "load_scenarios": "urbanrural.pipeline.simulate",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'urbanrural' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
