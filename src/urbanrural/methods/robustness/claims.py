"""Claims of the robustness readings: whether a rank is robust, and which choice moves it most.

Rules (each checked against the numbers by a test):

* **Rank robustness**: a rank is *robust* when the 5–95 % interval of its rank over the draws
  spans at most ``max(1, ⌊share · units ranked⌋)`` places (share 10 % by default: 3 places
  among 31 provinces, 15 among 150 countries); otherwise *not_robust*.
* **Choice that moves a rank most**: the factor with the largest total Sobol' index on that
  rank, when it is at least ``threshold`` (0.1); otherwise *no_dominant_factor* (no choice
  explains a tenth of the rank's variance on its own and with its interactions).

Examples
--------
>>> rank_robustness_claim(3, 9, 31).verdict
'not_robust'
>>> dominant_factor_claim([0.05, 0.62, 0.2], ("normalisation", "weighting", "leave_out")).verdict
'weighting'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...data.errors import DataError, Issue
from ..claims import Claim

__all__ = ["rank_robustness_claim", "dominant_factor_claim", "allowed_width"]


def allowed_width(units_ranked: int, *, share: float = 0.1) -> int:
    """Places a robust rank's 5–95 % interval may span: max(1, ⌊share · units ranked⌋).

    Examples
    --------
    >>> allowed_width(31), allowed_width(150), allowed_width(8)
    (3, 15, 1)
    """
    if not 0 < share < 1:
        raise DataError(Issue(f"the robustness share must be in (0, 1), not {share!r}"))
    return max(1, int(np.floor(share * units_ranked)))


def rank_robustness_claim(rank_q05: float, rank_q95: float, units_ranked: int, *,
                          share: float = 0.1) -> Claim:
    """``robust`` / ``not_robust`` by the width of the 5–95 % rank interval.

    Examples
    --------
    >>> c = rank_robustness_claim(4, 6, 31)
    >>> c.verdict, c.values["width"], c.values["allowed"]
    ('robust', 2.0, 3)
    """
    width = float(rank_q95) - float(rank_q05)
    if not np.isfinite(width) or width < 0:
        raise DataError(Issue(f"a rank interval needs q05 ≤ q95, not {rank_q05!r}–{rank_q95!r}"))
    allowed = allowed_width(int(units_ranked), share=share)
    verdict = "robust" if width <= allowed else "not_robust"
    return Claim("rank_robustness", verdict, {"q05": float(rank_q05), "q95": float(rank_q95),
                                              "width": width, "allowed": allowed,
                                              "units_ranked": int(units_ranked)},
                 f"5–95 % rank interval at most max(1, ⌊{share:g}·units⌋) places")


def dominant_factor_claim(total: Sequence[float], factors: Sequence[str], *,
                          threshold: float = 0.1) -> Claim:
    """The factor with the largest total Sobol' index (≥ ``threshold``), as the verdict.

    Examples
    --------
    >>> dominant_factor_claim([0.02, 0.04], ("a", "b")).verdict
    'no_dominant_factor'
    """
    st = np.asarray(total, dtype=float)
    if st.shape != (len(factors),):
        raise DataError(Issue(f"{st.size} indices for {len(factors)} factors"))
    if st.size == 0 or not np.isfinite(st).any() or np.nanmax(st) < threshold:
        return Claim("dominant_factor", "no_dominant_factor",
                     {"ST": float(np.nanmax(st)) if st.size and np.isfinite(st).any() else 0.0,
                      "threshold": threshold}, "largest total Sobol' index")
    j = int(np.nanargmax(st))
    return Claim("dominant_factor", str(factors[j]), {"ST": float(st[j]), "threshold": threshold,
                                                      "factor_index": j},
                 "largest total Sobol' index")
