"""Every measure per year of a regions × years table in one call, with vectorised, seeded
bootstrap confidence intervals, and the group decompositions per year."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data.errors import DataError
from ..registry import Registry
from .dagum import dagum_gini
from .dispersion import coefficient_of_variation, palma
from .entropy import atkinson, mean_log_deviation, theil
from .gini import gini

__all__ = ["MEASURES", "inequality_over_time", "decomposition_over_time", "bootstrap_rows"]

#: Inequality measures by name, each ``f(x, w) -> float`` (``w`` population weights or
#: ``None``). Adding a measure is one function and one ``@MEASURES.register`` line; the gaps
#: pipeline, the tables' bilingual labels and :func:`inequality_over_time` read this registry.
MEASURES = Registry("inequality measure", "f(x, w) -> float")


@MEASURES.register("gini", label_zh="基尼系数", label_en="Gini coefficient")
def _gini(x, w):
    """Gini coefficient (no small-sample correction)."""
    return gini(x, weights=w)


@MEASURES.register("theil_t", label_zh="泰尔指数T", label_en="Theil T")
def _theil_t(x, w):
    """Theil T, GE(1)."""
    return theil(x, weights=w).total


@MEASURES.register("theil_l", label_zh="泰尔指数L（平均对数偏差）",
                   label_en="Theil L (mean log deviation)")
def _theil_l(x, w):
    """Theil L, GE(0), the mean log deviation."""
    return mean_log_deviation(x, weights=w).total


@MEASURES.register("cv", label_zh="变异系数", label_en="Coefficient of variation")
def _cv(x, w):
    """Coefficient of variation (population standard deviation over the mean)."""
    return coefficient_of_variation(x, weights=w)


@MEASURES.register("atkinson_0.5", label_zh="阿特金森指数(ε=0.5)", label_en="Atkinson (ε = 0.5)")
def _atkinson_half(x, w):
    """Atkinson index with inequality aversion ε = 0.5."""
    return atkinson(x, 0.5, weights=w)


@MEASURES.register("atkinson_1", label_zh="阿特金森指数(ε=1)", label_en="Atkinson (ε = 1)")
def _atkinson_one(x, w):
    """Atkinson index with inequality aversion ε = 1."""
    return atkinson(x, 1.0, weights=w)


@MEASURES.register("atkinson_2", label_zh="阿特金森指数(ε=2)", label_en="Atkinson (ε = 2)")
def _atkinson_two(x, w):
    """Atkinson index with inequality aversion ε = 2."""
    return atkinson(x, 2.0, weights=w)


@MEASURES.register("palma", label_zh="帕尔玛比值", label_en="Palma ratio")
def _palma(x, w):
    """Palma ratio: income share of the top 10 % over that of the bottom 40 %."""
    return palma(x, weights=w)


def bootstrap_rows(name: str, X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """A measure for every row of B × n resampled values X with weights W, vectorised."""
    mu = np.sum(W * X, axis=1) / np.sum(W, axis=1)
    Wt = np.sum(W, axis=1)
    if name == "gini":
        order = np.argsort(X, axis=1, kind="stable")
        xs = np.take_along_axis(X, order, axis=1)
        ws = np.take_along_axis(W, order, axis=1)
        cum = np.cumsum(ws, axis=1)
        before, after = cum - ws, cum[:, -1:] - cum
        s = np.sum(ws * xs * (before - after), axis=1)
        return s / (Wt**2 * mu)
    r = X / mu[:, None]
    if name == "theil_t":
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(r > 0, r * np.log(r), 0.0)
        return np.sum(W * t, axis=1) / Wt
    if name == "theil_l":
        return np.sum(W * -np.log(r), axis=1) / Wt
    if name == "cv":
        return np.sqrt(np.sum(W * (X - mu[:, None]) ** 2, axis=1) / Wt) / mu
    if name.startswith("atkinson_"):
        e = float(name.split("_")[1])
        if e == 1:
            return 1 - np.exp(np.sum(W * np.log(X), axis=1) / Wt) / mu
        return 1 - (np.sum(W * X ** (1 - e), axis=1) / Wt) ** (1 / (1 - e)) / mu
    raise ValueError(f"no vectorised bootstrap for {name!r}")


def inequality_over_time(values: pd.DataFrame, *, weights: pd.DataFrame | None = None,
                         measures: Sequence[str] = ("gini", "theil_t", "theil_l", "cv"),
                         bootstrap: int = 0, seed: int | None = None,
                         level: float = 0.95) -> pd.DataFrame:
    """Inequality across regions for every year of a regions × years table.

    Each measure is the function registered in :data:`MEASURES` (see :func:`gini`,
    :func:`theil`, :func:`mean_log_deviation`, :func:`coefficient_of_variation`,
    :func:`atkinson`, :func:`palma` for the formulas and sources); the bootstrap intervals
    are percentile intervals (Efron & Tibshirani 1993, ch. 13) over regions resampled with
    replacement.

    Parameters
    ----------
    values : DataFrame
        Regions as rows and years as columns (``Panel.wide(indicator)``).
    weights : DataFrame, optional
        Same shape (e.g. population); None (default) for unweighted measures.
    measures : sequence of str, default ("gini", "theil_t", "theil_l", "cv")
        Names from :data:`MEASURES`.
    bootstrap : int, default 0
        Number of bootstrap resamples of regions per year (0: none). Resampling is
        vectorised; the Palma ratio gets no interval.
    seed : int, optional
        Seed of the bootstrap's random generator (None: not reproducible).
    level : float, default 0.95
        Coverage of the percentile intervals.

    Returns
    -------
    DataFrame
        Tidy: year, measure, value, n (regions used), missing (regions without a value or
        weight that year — listed, never silently dropped), and ci_low / ci_high when
        bootstrapped.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2020: [1.0, 2.0, None, 4.0], 2021: [1.0, 2.0, 3.0, 4.0]},
    ...                  index=["a", "b", "c", "d"])
    >>> t = inequality_over_time(v, measures=("gini",))
    >>> t[["year", "value", "n", "missing"]].round(4).values.tolist()
    [[2020, 0.2857, 3, 'c'], [2021, 0.25, 4, '']]
    """
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown}; known: {list(MEASURES)}")
    rng = np.random.default_rng(seed)
    rows = []
    for year in values.columns:
        x_all = values[year]
        w_all = None if weights is None else weights.reindex(index=values.index)[year] \
            if year in weights.columns else pd.Series(np.nan, index=values.index)
        ok = x_all.notna() if w_all is None else x_all.notna() & w_all.notna()
        missing = [str(c) for c in values.index[~ok.to_numpy()]]
        if ok.sum() < 2:
            continue
        x = x_all[ok].to_numpy(float)
        w = None if w_all is None else w_all[ok].to_numpy(float)
        if bootstrap:
            n = x.shape[0]
            idx = rng.integers(0, n, size=(bootstrap, n))
            X, Wb = x[idx], (np.ones_like(x) if w is None else w)[idx]
        for m in measures:
            rec = {"year": int(year), "measure": m, "value": MEASURES[m](x, w),
                   "n": int(ok.sum()), "missing": ", ".join(missing)}
            if bootstrap and m != "palma":
                reps = bootstrap_rows(m, X, Wb)
                a = (1 - level) / 2
                rec["ci_low"], rec["ci_high"] = np.quantile(reps, [a, 1 - a])
            rows.append(rec)
    if not rows:
        raise DataError("no year has values for at least two regions")
    return pd.DataFrame(rows)


def decomposition_over_time(values: pd.DataFrame, groups: pd.Series, *,
                            weights: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Per year: Theil T and L decompositions and the Dagum decomposition by ``groups``
    (a Series region → group, e.g. the NBS four macro-regions).

    The decompositions are those of :func:`theil`, :func:`mean_log_deviation` (Shorrocks
    1980) and :func:`dagum_gini` (Dagum 1997). A year with fewer than two regions, or with
    all its regions in one group, is left out.

    Parameters
    ----------
    values : DataFrame
        Regions as rows and years as columns.
    groups : Series
        Group of each region (index: the region labels of ``values``); regions without a
        group are not used.
    weights : DataFrame, optional
        Same shape as ``values`` (e.g. population); None for unweighted measures.

    Returns
    -------
    dict of str to DataFrame
        ``{"theil": ..., "dagum": ..., "dagum_pairs": ...}``: tidy tables with the totals,
        components and contribution rates, and Dagum's Gⱼⱼ and Gⱼₕ per year.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({2020: [1.0, 2.0, 5.0, 6.0]}, index=["a", "b", "c", "d"])
    >>> g = pd.Series(["east", "east", "west", "west"], index=["a", "b", "c", "d"])
    >>> out = decomposition_over_time(v, g)
    >>> out["dagum"][["total", "within", "net_between", "transvariation"]].round(4).values.tolist()
    [[0.3214, 0.0357, 0.2857, 0.0]]
    >>> t = out["theil"].set_index("measure")
    >>> bool(((t.between + t.within - t.total).abs() < 1e-12).all())
    True
    """
    theil_rows, dagum_rows, pair_rows = [], [], []
    for year in values.columns:
        x_all = values[year]
        w_all = None if weights is None else weights.reindex(index=values.index).get(year)
        ok = x_all.notna() & values.index.isin(groups.index)
        if w_all is not None:
            ok &= w_all.notna()
        if ok.sum() < 2:
            continue
        x = x_all[ok].to_numpy(float)
        w = None if w_all is None else w_all[ok].to_numpy(float)
        g = groups.reindex(values.index[ok.to_numpy()]).to_numpy()
        if len(set(g)) < 2:
            continue
        for res in (theil(x, groups=g, weights=w), mean_log_deviation(x, groups=g, weights=w)):
            theil_rows.append({"year": int(year), "measure": res.measure, "total": res.total,
                               "between": res.between, "within": res.within,
                               "between_share": res.between / res.total if res.total else 0})
        d = dagum_gini(x, g, weights=w)
        c = d.contributions
        dagum_rows.append({"year": int(year), "total": d.total, "within": d.within,
                           "net_between": d.net_between, "transvariation": d.transvariation,
                           "within_share": c["within"], "net_between_share": c["net_between"],
                           "transvariation_share": c["transvariation"]})
        labels = list(d.within_group.index)
        for i, a in enumerate(labels):
            pair_rows.append({"year": int(year), "group_a": a, "group_b": a,
                              "kind": "within", "gini": float(d.within_group[a])})
            for b in labels[i + 1:]:
                pair_rows.append({"year": int(year), "group_a": a, "group_b": b,
                                  "kind": "between", "gini": float(d.between_group.loc[a, b]),
                                  "D": abs(float(d.relative_economic_affluence.loc[a, b]))})
    return {"theil": pd.DataFrame(theil_rows), "dagum": pd.DataFrame(dagum_rows),
            "dagum_pairs": pd.DataFrame(pair_rows)}
