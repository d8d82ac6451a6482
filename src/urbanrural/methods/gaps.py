"""Urban–rural gap measures: ratios and differences of paired indicators, the urban–rural
Theil index, its exact national decomposition, and dual-structure coefficients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.errors import DataError, Issue
from .inequality.entropy import theil

__all__ = ["urban_rural_theil", "UrbanRuralTheilDecomposition",
           "urban_rural_theil_decomposition", "dual_contrast_coefficient",
           "dual_contrast_index", "gap_ratio", "gap_difference"]


def _arr(a, name):
    v = np.asarray(a, dtype=np.float64)
    if not np.isfinite(v).all():
        raise DataError(Issue("missing or infinite values; align the series first", column=name))
    return v


def gap_ratio(urban, rural) -> np.ndarray:
    """Urban–rural ratio u / r (e.g. the income ratio 城乡收入比), element-wise."""
    u, r = _arr(urban, "urban"), _arr(rural, "rural")
    if (r <= 0).any():
        raise DataError(Issue("rural value is zero or negative: the ratio is undefined",
                              column="rural"))
    return u / r


def gap_difference(urban, rural) -> np.ndarray:
    """Urban–rural absolute difference u − r, element-wise."""
    return _arr(urban, "urban") - _arr(rural, "rural")


def urban_rural_theil(urban_value, rural_value, urban_population, rural_population) -> np.ndarray:
    r"""Urban–rural Theil index per region (城乡泰尔指数), element-wise over arrays:

    .. math::
        T = \sum_{j \in \{u, r\}} \frac{I_j}{I} \ln\left(\frac{I_j / I}{P_j / P}\right),
        \quad I_j = y_j P_j

    where yⱼ is the per-capita value (income) of the urban or rural population Pⱼ, Iⱼ the
    group total and I, P the regional totals (Wang & Ouyang 2008 and the Chinese urban–rural
    literature after Theil 1967). It is the Theil T between the two groups, population-weighted;
    0 when per-capita values are equal.

    Parameters
    ----------
    urban_value, rural_value : float or array_like
        Per-capita value (e.g. disposable income) of the urban and the rural population.
    urban_population, rural_population : float or array_like
        Urban and rural population (any unit, the same for both).

    Returns
    -------
    float or numpy.ndarray
        T per region (a float for scalar input).

    Examples
    --------
    Urban income twice the rural one, equal populations: the urban half holds 2/3 of the
    income, so T = (2/3) ln(4/3) + (1/3) ln(2/3):

    >>> import math
    >>> t = urban_rural_theil(2.0, 1.0, 1.0, 1.0)
    >>> round(t, 4), round(2 / 3 * math.log(4 / 3) + 1 / 3 * math.log(2 / 3), 4)
    (0.0566, 0.0566)
    >>> urban_rural_theil([2.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]).round(4).tolist()
    [0.0566, 0.0]
    """
    yu, yr = _arr(urban_value, "urban_value"), _arr(rural_value, "rural_value")
    pu, pr = _arr(urban_population, "urban_population"), _arr(rural_population,
                                                              "rural_population")
    if (np.minimum(yu, yr) < 0).any() or (np.minimum(pu, pr) < 0).any():
        raise DataError("values and populations must be non-negative")
    iu, ir = yu * pu, yr * pr
    i_tot, p_tot = iu + ir, pu + pr
    if ((i_tot <= 0) | (p_tot <= 0)).any():
        raise DataError("total value or population is zero")
    with np.errstate(divide="ignore", invalid="ignore"):
        tu = np.where(iu > 0, (iu / i_tot) * np.log((iu / i_tot) / (pu / p_tot)), 0.0)
        tr = np.where(ir > 0, (ir / i_tot) * np.log((ir / i_tot) / (pr / p_tot)), 0.0)
    out = tu + tr
    return out if out.ndim else float(out)


@dataclass(frozen=True)
class UrbanRuralTheilDecomposition:
    """National urban–rural Theil over regions × {urban, rural}: ``total = between_regions +
    within_regions``, where within is the value-share-weighted sum of each region's own
    urban–rural Theil."""

    total: float
    between_regions: float
    within_regions: float
    regions: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"component": ["total", "between_regions", "within_regions"],
                             "value": [self.total, self.between_regions, self.within_regions],
                             "share": [1.0, self.between_regions / self.total,
                                       self.within_regions / self.total]})


def urban_rural_theil_decomposition(urban_value, rural_value, urban_population,
                                    rural_population, *, regions=None
                                    ) -> UrbanRuralTheilDecomposition:
    r"""Theil T of the 2n cells (region × urban/rural) decomposed exactly into a
    between-region part and a within-region (urban–rural) part:

    .. math::
        T = \sum_i \frac{I_i}{I}\ln\frac{I_i/I}{P_i/P} + \sum_i \frac{I_i}{I} T_i

    with Tᵢ the urban–rural Theil of region i (:func:`urban_rural_theil`). Both parts are
    computed directly (population-weighted Theil T with regions as groups; Shorrocks 1980) and
    checked to add up.

    Parameters
    ----------
    urban_value, rural_value : array_like
        Per-capita value of the urban and the rural population of each region.
    urban_population, rural_population : array_like
        Urban and rural population of each region.
    regions : array_like, optional
        Region labels for the table (default 0, 1, …).

    Returns
    -------
    UrbanRuralTheilDecomposition
        ``total``, ``between_regions``, ``within_regions`` and the per-region table
        (urban–rural Theil, value and population shares, contribution).

    Examples
    --------
    Region B has twice A's incomes at the same urban/rural ratio, so both have the same
    within-region Theil, and the between-region part happens to equal it:

    >>> d = urban_rural_theil_decomposition([2.0, 4.0], [1.0, 2.0], [1.0, 1.0], [1.0, 1.0],
    ...                                     regions=["A", "B"])
    >>> round(d.total, 4), round(d.between_regions, 4), round(d.within_regions, 4)
    (0.1133, 0.0566, 0.0566)
    >>> d.regions.value_share.round(4).tolist()
    [0.3333, 0.6667]
    """
    yu, yr = _arr(urban_value, "urban_value"), _arr(rural_value, "rural_value")
    pu, pr = _arr(urban_population, "urban_population"), _arr(rural_population,
                                                              "rural_population")
    n = yu.shape[0]
    labels = np.arange(n) if regions is None else np.asarray(regions)
    res = theil(np.concatenate([yu, yr]), groups=np.concatenate([labels, labels]),
                weights=np.concatenate([pu, pr]))
    per_region = urban_rural_theil(yu, yr, pu, pr)
    g = res.groups.set_index("group")
    table = pd.DataFrame({"region": labels, "urban_rural_theil": per_region,
                          "value_share": g.loc[labels, "value_share"].to_numpy(),
                          "population_share": g.loc[labels, "weight_share"].to_numpy()})
    table["contribution"] = table.value_share * table.urban_rural_theil
    if not np.isclose(table.contribution.sum(), res.within, rtol=1e-10, atol=1e-14):
        raise ArithmeticError("within-region part differs from the regional Theil indices")
    return UrbanRuralTheilDecomposition(res.total, res.between, res.within, table)


def dual_contrast_coefficient(primary_output, total_output, primary_employment,
                              total_employment) -> np.ndarray:
    r"""二元对比系数 (dual contrast coefficient): comparative labour productivity of agriculture
    over non-agriculture,

    .. math:: B = \frac{G_1 / L_1}{G_2 / L_2}

    with G₁, L₁ the primary sector's shares of output and employment and G₂ = 1 − G₁,
    L₂ = 1 − L₁ (Lewis 1954; Ranis & Fei 1961; the measure used in Chinese dual-economy
    studies). B ∈ (0, 1] in a dual economy; it rises towards 1 as the dualism fades.

    Parameters
    ----------
    primary_output, total_output : float or array_like
        Output (value added) of the primary sector and of the whole economy.
    primary_employment, total_employment : float or array_like
        Employment in the primary sector and in total.

    Returns
    -------
    float or numpy.ndarray
        B (a float for scalar input).

    Raises
    ------
    DataError
        When a sector share is not strictly between 0 and 1, or a value is missing.

    Examples
    --------
    10 % of output with 40 % of the workers: B = (0.1/0.4)/(0.9/0.6) = 1/6.

    >>> round(dual_contrast_coefficient(10.0, 100.0, 40.0, 100.0), 4)
    0.1667
    """
    g1 = _arr(primary_output, "primary_output") / _arr(total_output, "total_output")
    l1 = _arr(primary_employment, "primary_employment") / _arr(total_employment,
                                                               "total_employment")
    if ((g1 <= 0) | (g1 >= 1) | (l1 <= 0) | (l1 >= 1)).any():
        raise DataError("sector shares must lie strictly between 0 and 1")
    out = (g1 / l1) / ((1 - g1) / (1 - l1))
    return out if out.ndim else float(out)


def dual_contrast_index(primary_output, total_output, primary_employment,
                        total_employment) -> np.ndarray:
    r"""二元反差指数 (dual contrast index): R = |G₁ − L₁|, the gap between the primary
    sector's output share and employment share (= ½(|G₁ − L₁| + |G₂ − L₂|)); 0 when labour
    productivity is equal across the two sectors.

    .. math:: R = |G_1 - L_1|

    (the companion of :func:`dual_contrast_coefficient` in Chinese dual-economy studies).

    Parameters
    ----------
    primary_output, total_output : float or array_like
        Output (value added) of the primary sector and of the whole economy.
    primary_employment, total_employment : float or array_like
        Employment in the primary sector and in total.

    Returns
    -------
    float or numpy.ndarray
        R (a float for scalar input).

    Examples
    --------
    >>> round(dual_contrast_index(10.0, 100.0, 40.0, 100.0), 4)  # |0.1 − 0.4|
    0.3
    """
    g1 = _arr(primary_output, "primary_output") / _arr(total_output, "total_output")
    l1 = _arr(primary_employment, "primary_employment") / _arr(total_employment,
                                                               "total_employment")
    out = np.abs(g1 - l1)
    return out if out.ndim else float(out)
