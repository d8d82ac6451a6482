"""Composite indices: normalisation, weights, aggregation (weighted means, TOPSIS, grey
relational analysis), coupling coordination and obstacle degree."""

from .aggregate import grey_relational, topsis, weighted_geometric, weighted_sum
from .coupling import DEFAULT_GRADES, CouplingResult, coupling_coordination
from .normalize import normalize
from .obstacle import dimension_obstacles, obstacle_degree, top_obstacles
from .weights import (
    SAATY_RI,
    AHPResult,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    equal_weights,
    pca_weights,
    std_weights,
)

__all__ = [
    "DEFAULT_GRADES", "SAATY_RI", "AHPResult", "CouplingResult", "ahp_weights",
    "combine_weights", "coupling_coordination", "critic_weights", "cv_weights",
    "dimension_obstacles", "entropy_weights", "equal_weights", "grey_relational", "normalize",
    "obstacle_degree", "pca_weights", "std_weights", "top_obstacles", "topsis",
    "weighted_geometric", "weighted_sum",
]
