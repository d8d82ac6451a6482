"""Inequality measures and their exact decompositions (Gini, Theil T/L, GE, Atkinson, CV,
Williamson, Palma, percentile ratios, Dagum), population-weighted where asked, O(n log n)."""

from .dagum import DagumResult, dagum_gini
from .dispersion import (
    coefficient_of_variation,
    palma,
    percentile_ratio,
    weighted_quantile,
    williamson,
)
from .distributed import dask_client
from .entropy import (
    TheilResult,
    atkinson,
    generalised_entropy,
    generalized_entropy,
    mean_log_deviation,
    theil,
)
from .gini import gini, lorenz
from .overtime import MEASURES, decomposition_over_time, inequality_over_time

__all__ = [
    "MEASURES", "DagumResult", "TheilResult", "atkinson", "dask_client",
    "decomposition_over_time", "inequality_over_time", "coefficient_of_variation", "dagum_gini",
    "generalised_entropy", "generalized_entropy", "gini", "lorenz", "mean_log_deviation", "palma",
    "percentile_ratio", "theil", "weighted_quantile", "williamson",
]
