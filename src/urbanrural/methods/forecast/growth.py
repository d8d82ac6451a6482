"""Growth accounting paths: ``g = α k + β l + TFP`` with capital growth
``k = (I/Y)(Y/K)`` (net investment rate times capital efficiency) and labour growth
``l = n + θ`` (working-age population growth plus the change of the participation rate), and
the contribution shares ``αk/g``, ``βl/g``, ``TFP/g`` (Solow 1957; the scenario tables of
Liu Xiahui, 中国经济转型的路径分析, ChinaXiv 201711.00212, Tables 1–3).

All rates are in per cent a year; shares in per cent of g.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue

__all__ = ["growth_accounting", "compare_printed"]

_INPUTS = ("capital_elasticity", "labour_elasticity", "net_investment_rate_pct",
           "capital_efficiency_Y_over_K", "working_age_pop_growth_pct",
           "participation_rate_change_pct", "tfp_growth_pct")


def growth_accounting(inputs: pd.DataFrame) -> pd.DataFrame:
    """Growth and contribution shares per row of ``inputs``:
    ``g = α k + β l + TFP`` with ``k = (I/Y)(Y/K)`` and ``l = n + θ``, shares ``αk/g``,
    ``βl/g``, ``TFP/g`` (Solow 1957; Liu Xiahui, ChinaXiv 201711.00212, Tables 1–3).

    Parameters
    ----------
    inputs : pandas.DataFrame
        One row per scenario and period with the numeric columns ``capital_elasticity`` (α),
        ``labour_elasticity`` (β), ``net_investment_rate_pct`` (I/Y, %),
        ``capital_efficiency_Y_over_K`` (Y/K), ``working_age_pop_growth_pct`` (n, % a year),
        ``participation_rate_change_pct`` (θ, % a year) and ``tfp_growth_pct`` (% a year);
        other columns are kept. A missing column or a non-number is a
        :class:`~urbanrural.data.errors.DataError` naming it.

    Returns
    -------
    pandas.DataFrame
        A copy of ``inputs`` with ``capital_growth_pct`` (k), ``labour_growth_pct`` (l),
        ``growth_pct`` (g), ``capital_share_pct``, ``labour_share_pct`` and ``tfp_share_pct``
        (the three shares add up to 100).

    Examples
    --------
    Liu (2017), Table 1, 1985–2007: g = 0.62·11.30 + 0.38·1.51 + 2.44 = 10.02 %.

    >>> row = pd.DataFrame([{"capital_elasticity": 0.62, "labour_elasticity": 0.38,
    ...     "net_investment_rate_pct": 21.32, "capital_efficiency_Y_over_K": 0.53,
    ...     "working_age_pop_growth_pct": 1.58, "participation_rate_change_pct": -0.07,
    ...     "tfp_growth_pct": 2.44}])
    >>> out = growth_accounting(row)
    >>> round(float(out.growth_pct[0]), 2), round(float(out.capital_share_pct[0]), 2)
    (10.02, 69.92)
    """
    missing = [c for c in _INPUTS if c not in inputs]
    if missing:
        raise DataError(Issue(f"growth_accounting: missing column(s) {', '.join(missing)}"))
    x = inputs[list(_INPUTS)].apply(pd.to_numeric, errors="coerce")
    bad = x.isna()
    if bad.any().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise DataError(Issue(f"growth_accounting: row {int(r)}, column {_INPUTS[c]}: not a number"))
    out = inputs.copy()
    k = x.net_investment_rate_pct * x.capital_efficiency_Y_over_K
    lab = x.working_age_pop_growth_pct + x.participation_rate_change_pct
    g = x.capital_elasticity * k + x.labour_elasticity * lab + x.tfp_growth_pct
    out["capital_growth_pct"] = k
    out["labour_growth_pct"] = lab
    out["growth_pct"] = g
    out["capital_share_pct"] = 100 * x.capital_elasticity * k / g
    out["labour_share_pct"] = 100 * x.labour_elasticity * lab / g
    out["tfp_share_pct"] = 100 * x.tfp_growth_pct / g
    return out


def compare_printed(computed: pd.DataFrame, printed: pd.DataFrame, *,
                    keys=("table", "scenario", "period"), rate_tolerance: float = 0.15,
                    share_tolerance: float = 1.0) -> pd.DataFrame:
    """Each printed figure beside its recomputation from the printed inputs: one row per
    figure with ``printed``, ``computed``, ``difference`` and ``consistent``.

    A growth rate is consistent within ``rate_tolerance`` percentage points (inputs printed
    to two decimals move k = (I/Y)(Y/K) by up to 0.17 points at I/Y ≈ 33 %, and αk by under
    0.1); a share within ``share_tolerance`` points (it divides by g, which amplifies the
    rounding).

    Examples
    --------
    >>> c = pd.DataFrame({"table": [1], "period": ["p"], "growth_pct": [9.18]})
    >>> p = pd.DataFrame({"table": [1], "period": ["p"], "growth_pct": [8.78]})
    >>> compare_printed(c, p, keys=("table", "period")).consistent.tolist()
    [False]
    """
    keys = list(keys)
    cols = [c for c in printed.columns if c not in keys and c in computed.columns]
    long_p = printed.melt(id_vars=keys, value_vars=cols, var_name="figure", value_name="printed")
    long_c = computed.melt(id_vars=keys, value_vars=cols, var_name="figure", value_name="computed")
    out = long_p.merge(long_c, on=[*keys, "figure"], how="left", validate="one_to_one")
    out = out.dropna(subset=["printed"])
    out["difference"] = out.computed - out.printed
    tol = np.where(out.figure.str.endswith("_share_pct"), share_tolerance, rate_tolerance)
    out["consistent"] = out.difference.abs() <= tol
    return out.reset_index(drop=True)
