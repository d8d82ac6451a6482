"""Policy evaluation: staggered DiD (Callaway & Sant'Anna 2021) with TWFE and its
Goodman-Bacon decomposition beside it, synthetic control (Abadie et al.) and synthetic DiD
(Arkhangelsky et al. 2021), each reproducing its reference implementation on the published
example (``load_dataset("mpdta" | "basque" | "prop99")``).

Examples
--------
>>> "sdid" in DESIGNS, DESIGNS["att_gt"].label_en
(True, "Staggered DiD (Callaway–Sant'Anna)")
"""

from ..registry import Registry
from .claims import EVALUATION_LABELS, effect_claim, pretrend_claim, twfe_agreement_claim
from .did import (
    AggregatedATT,
    BaconDecomposition,
    GroupTimeATT,
    TWFEResult,
    att_gt,
    bacon_decomposition,
    multiplier_bootstrap,
    twfe,
)
from .sdid import SDID, sdid
from .synth import PlaceboResult, SyntheticControl, convex_hull_claim, synthetic_control

DESIGNS = Registry("evaluation design", "design(data, **columns) -> result")
DESIGNS.register("att_gt", label_zh="交错双重差分（Callaway–Sant'Anna）",
                 label_en="Staggered DiD (Callaway–Sant'Anna)")(att_gt)
DESIGNS.register("twfe", label_zh="双向固定效应DID", label_en="Two-way fixed-effects DiD")(twfe)
DESIGNS.register("synthetic_control", label_zh="合成控制法",
                 label_en="Synthetic control")(synthetic_control)
DESIGNS.register("sdid", label_zh="合成双重差分", label_en="Synthetic DiD")(sdid)

__all__ = ["DESIGNS", "EVALUATION_LABELS", "AggregatedATT", "BaconDecomposition", "GroupTimeATT",
           "PlaceboResult", "SDID", "SyntheticControl", "TWFEResult", "att_gt",
           "bacon_decomposition", "convex_hull_claim", "effect_claim", "multiplier_bootstrap",
           "pretrend_claim", "sdid", "synthetic_control", "twfe", "twfe_agreement_claim"]
