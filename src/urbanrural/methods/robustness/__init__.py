"""Robustness of composite indices: uncertainty of scores and ranks under the choices an
index is built from, and variance-based (Sobol') sensitivity of the ranks to each choice
(Saisana, Saltelli & Tarantola 2005; OECD/JRC Handbook on Constructing Composite Indicators
2008, §6–7; COINr's ``get_sensitivity``)."""

from .engine import DrawPlan, IndexTree, evaluate
from .sobol import SobolIndices, ishigami, saltelli_design, sobol_analysis, sobol_estimates
from .uncertainty import (
    Factor,
    RankUncertainty,
    rank_uncertainty,
    ranks_within,
    warn_on_trimming_workers,
)

__all__ = ["DrawPlan", "Factor", "IndexTree", "RankUncertainty", "SobolIndices", "evaluate",
           "ishigami", "rank_uncertainty", "ranks_within", "saltelli_design", "sobol_analysis",
           "sobol_estimates", "warn_on_trimming_workers"]
