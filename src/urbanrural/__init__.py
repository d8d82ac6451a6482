"""urbanrural: measure, diagnose, explain and simulate urban–rural integration and common
prosperity (城乡融合与共同富裕的测度、诊断、解释与模拟)."""

from ._version import __version__
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
from .methods.dynamics.clubs import convergence_clubs, log_t_test
from .methods.dynamics.convergence import beta_convergence, sigma_convergence
from .methods.dynamics.kde import kernel_density
from .methods.dynamics.markov import markov, spatial_markov
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
from .methods.spatial.autocorrelation import gearys_c, local_morans, morans_i
from .methods.spatial.geodetector import geodetector
from .methods.spatial.shape import gravity_centre, standard_deviational_ellipse
from .methods.spatial.weights import spatial_weights
from .pipeline.framework import load_framework
from .pipeline.index import run_index

__all__ = [
    "beta_convergence", "convergence_clubs", "log_t_test", "gearys_c", "geodetector",
    "gravity_centre", "kernel_density",
    "local_morans", "markov", "morans_i", "sigma_convergence", "spatial_markov",
    "spatial_weights", "standard_deviational_ellipse",
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
