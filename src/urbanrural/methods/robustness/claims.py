"""Claims of the robustness readings: whether a rank is robust, and which choice moves it most.

Rules (each checked against the numbers by a test):

* **Rank robustness**: a rank is *robust* when the 5–95 % interval of its rank over the draws
  spans at most ``max(1, ⌊share · units ranked⌋)`` places (share 10 % by default: 3 places
  among 31 provinces, 15 among 150 countries); otherwise *not_robust*.
* **Choice that moves a rank most** (read from estimates with bootstrap half-widths ``conf``,
  so never from noise): in this order,

  - *rank_does_not_move* when the rank differs from the nominal one in fewer than
    ``min_moved`` (5 %) of the draws: there is no variance to apportion;
  - *no_dominant_factor* when even the upper bound ST + conf of the largest total index is
    below ``threshold`` (0.1): no choice explains a tenth of the rank's variance;
  - *not_determined* when an estimate is outside what an index can be (a total index above
    1 or a first-order index below 0: sampling error, ``values["sampling_error"]``), or when
    the lower bound of the largest total index does not exceed both the runner-up's upper
    bound and ``threshold`` — at this base sample size N the data cannot say which choice;
  - otherwise the name of that factor.

Examples
--------
>>> rank_robustness_claim(3, 9, 31).verdict
'not_robust'
>>> dominant_factor_claim([0.05, 0.62, 0.2], ("normalisation", "weighting", "leave_out"),
...                       conf=[0.02, 0.1, 0.05]).verdict
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
                          conf: Sequence[float], first: Sequence[float] | None = None,
                          moved_share: float | None = None, threshold: float = 0.1,
                          min_moved: float = 0.05, base_n: int = 0) -> Claim:
    """The factor whose total Sobol' index is clearly the largest, as the verdict (rules in
    the module docstring); ``conf`` are the bootstrap half-widths of ``total``, ``first`` the
    first-order indices (checked for sampling error), ``moved_share`` the share of draws in
    which the rank moves.

    Examples
    --------
    >>> dominant_factor_claim([0.02, 0.04], ("a", "b"), conf=[0.01, 0.01]).verdict
    'no_dominant_factor'
    >>> dominant_factor_claim([0.6, 0.4], ("a", "b"), conf=[0.15, 0.15]).verdict  # 0.45 < 0.55
    'not_determined'
    >>> dominant_factor_claim([1.02, 0.0], ("a", "b"), conf=[0.1, 0.0], moved_share=0.01).verdict
    'rank_does_not_move'
    """
    st = np.asarray(total, dtype=float)
    ci = np.asarray(conf, dtype=float)
    if st.shape != (len(factors),) or ci.shape != st.shape:
        raise DataError(Issue(f"{st.size} indices and {ci.size} half-widths for "
                              f"{len(factors)} factors"))
    s1 = np.zeros_like(st) if first is None else np.asarray(first, dtype=float)
    values: dict = {"ST": float(np.nanmax(st)) if st.size and np.isfinite(st).any() else 0.0,
                    "threshold": threshold, "base_n": int(base_n),
                    "moved_share": np.nan if moved_share is None else float(moved_share),
                    "sampling_error": bool((st > 1).any() or (s1 < 0).any())}
    rule = "clearly largest total Sobol' index (bootstrap bounds)"
    if moved_share is not None and moved_share < min_moved:
        return Claim("dominant_factor", "rank_does_not_move", values, rule)
    if st.size == 0 or not np.isfinite(st).any() or np.nanmax(st + np.nan_to_num(ci)) < threshold:
        return Claim("dominant_factor", "no_dominant_factor", values, rule)
    if values["sampling_error"] or not np.isfinite(ci).all():
        return Claim("dominant_factor", "not_determined", values, rule)
    order = np.argsort(-st, kind="stable")
    j = int(order[0])
    lower = st[j] - ci[j]
    runner_up = st[order[1]] + ci[order[1]] if st.size > 1 else -np.inf
    values.update({"factor_index": j, "lower": float(lower), "runner_up_upper": float(runner_up)})
    if lower > runner_up and lower > threshold:
        return Claim("dominant_factor", str(factors[j]), values, rule)
    return Claim("dominant_factor", "not_determined", values, rule)
