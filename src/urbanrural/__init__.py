"""urbanrural: measure, diagnose, explain and simulate urban–rural integration and common
prosperity (城乡融合与共同富裕的测度、诊断、解释与模拟)."""

from .data import (
    DataError,
    Indicator,
    Panel,
    PanelArray,
    RegionError,
    china,
    load_dataset,
    read,
    world,
    write,
)
from .methods.composite import (
    ahp_weights,
    combine_weights,
    coupling_coordination,
    critic_weights,
    cv_weights,
    entropy_weights,
    grey_relational,
    normalize,
    obstacle_degree,
    pca_weights,
    std_weights,
    topsis,
    weighted_geometric,
    weighted_sum,
)
from .methods.gaps import (
    dual_contrast_coefficient,
    dual_contrast_index,
    urban_rural_theil,
    urban_rural_theil_decomposition,
)
from .methods.inequality import (
    atkinson,
    coefficient_of_variation,
    dagum_gini,
    dask_client,
    decomposition_over_time,
    generalized_entropy,
    gini,
    inequality_over_time,
    lorenz,
    mean_log_deviation,
    palma,
    percentile_ratio,
    theil,
    weighted_quantile,
    williamson,
)
from .pipeline.framework import load_framework
from .pipeline.index import run_index

__version__ = "0.1.0"

__all__ = [
    "ahp_weights", "combine_weights", "coupling_coordination", "critic_weights", "cv_weights",
    "entropy_weights", "grey_relational", "load_framework", "normalize", "obstacle_degree",
    "pca_weights", "run_index", "std_weights", "topsis", "weighted_geometric", "weighted_sum",
    "atkinson", "coefficient_of_variation", "dagum_gini", "dask_client",
    "decomposition_over_time", "dual_contrast_coefficient", "dual_contrast_index",
    "generalized_entropy", "gini", "inequality_over_time", "lorenz", "mean_log_deviation",
    "palma", "percentile_ratio", "theil", "urban_rural_theil",
    "urban_rural_theil_decomposition", "weighted_quantile", "williamson",
    "DataError", "Indicator", "Panel", "PanelArray", "RegionError", "china", "load_dataset",
    "read", "world", "write", "__version__",
]
