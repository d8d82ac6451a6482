"""The gaps analysis over a panel: urban–rural ratios and differences of paired indicators,
urban–rural Theil indices and their national decomposition, and regional inequality over
time with its Theil and Dagum decompositions by a partition of regions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..data import Panel
from ..data.registry import NATIONAL_CODE
from ..methods.gaps import urban_rural_theil, urban_rural_theil_decomposition
from ..methods.inequality import MEASURES, decomposition_over_time, inequality_over_time

__all__ = ["GapsResult", "run_gaps", "urban_rural_pairs"]

# Pairs whose concepts differ across a survey break: each is valid only within its years.
CONCEPT_PAIRS = [
    ("urban_disposable_income", "rural_net_income", None, 2012,
     "城乡居民收入比（旧口径：城镇可支配收入/农村纯收入）",
     "Urban–rural income (old surveys: urban disposable / rural net income)"),
    ("urban_disposable_income_new_survey", "rural_disposable_income", 2013, None,
     "城乡居民人均可支配收入（一体化调查）", "Urban–rural disposable income (integrated survey)"),
    ("urban_disposable_income", "rural_disposable_income", 2013, None,
     "城乡居民人均可支配收入（2013年起）", "Urban–rural disposable income (2013 on)"),
    ("urban_consumption_old_survey", "rural_living_expenditure", None, 2012,
     "城乡居民消费支出（旧口径）", "Urban–rural consumption (old surveys)"),
    ("urban_consumption", "rural_consumption", 2013, None,
     "城乡居民消费支出（一体化调查）", "Urban–rural consumption (integrated survey)"),
]
# per-capita income pairs usable for an urban–rural Theil (weights: urban/rural population)
THEIL_PAIRS = [p for p in CONCEPT_PAIRS]
POPULATION_PAIRS = [("population_urban", "population_rural", "current vintage"),
                    ("population_urban_2016_vintage", "population_rural_2016_vintage",
                     "2016 vintage")]


def urban_rural_pairs(panel: Panel) -> list[tuple[str, str, int | None, int | None, str, str]]:
    """Concept-aware pairs plus every ``X_urban``/``X_rural`` and ``urban_X``/``rural_X`` pair
    in the panel (e.g. the world water and sanitation indicators)."""
    ids = set(panel.indicator_ids)
    pairs = [p for p in CONCEPT_PAIRS if p[0] in ids and p[1] in ids]
    taken = {(p[0], p[1]) for p in pairs} | {(p[0], "rural_disposable_income")
                                              for p in pairs}
    for i in sorted(ids):
        if i.startswith("population"):
            continue  # urban and rural population sizes are weights, not a gap
        m = re.fullmatch(r"(.+)_urban(_.*)?", i) or re.fullmatch(r"urban_(.+)", i)
        if not m:
            continue
        r = i.replace("_urban", "_rural", 1) if "_urban" in i else "rural_" + i[len("urban_"):]
        if r in ids and (i, r) not in taken and r not in {p[1] for p in CONCEPT_PAIRS}:
            u, rr = panel.indicators[i], panel.indicators[r]
            pairs.append((i, r, None, None, f"{u.name_zh} / {rr.name_zh}",
                          f"{u.name_en} / {rr.name_en}"))
    return pairs


@dataclass
class GapsResult:
    """Tables of the gaps analysis, each a tidy DataFrame; ``notes`` say what was skipped."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _long_pair(panel: Panel, u: str, r: str, first, last) -> pd.DataFrame:
    d = panel._data
    a = d[d.indicator == u].assign(region_code=lambda x: x.region_code.astype(str))
    b = d[d.indicator == r].assign(region_code=lambda x: x.region_code.astype(str))
    m = a.merge(b, on=["region_code", "year"], suffixes=("_u", "_r"))
    if first is not None:
        m = m[m.year >= first]
    if last is not None:
        m = m[m.year <= last]
    return m[["region_code", "year", "value_u", "value_r"]]


def run_gaps(panel: Panel, *, partition: str | pd.Series = "macro_region",
             per_capita: list[str] | None = None, weight: str | None = "population_total",
             measures=("gini", "theil_t", "theil_l", "cv"), bootstrap: int = 0,
             seed: int | None = 12345, lang: str = "zh") -> GapsResult:
    """Run the gaps analysis on a panel.

    ``per_capita``: indicators whose regional inequality is measured (default: GDP per capita
    derived from ``gdp`` and ``population_total`` when both exist, and all-resident income);
    ``weight``: the population indicator for weighted measures (unweighted ones are always
    reported too); ``partition``: a registry partition name or a Series region → group.
    """
    res = GapsResult()
    label = {c: panel.region_label(c, "zh") for c in panel.regions}
    label_en = {c: panel.region_label(c, "en") for c in panel.regions}
    # 1. urban–rural ratios and differences
    rows = []
    for u, r, first, last, zh, en in urban_rural_pairs(panel):
        m = _long_pair(panel, u, r, first, last)
        if m.empty:
            res.notes.append(f"{u} and {r} never share a region and year in their valid years")
            continue
        rows.append(pd.DataFrame({
            "pair_zh": zh, "pair_en": en, "urban_indicator": u, "rural_indicator": r,
            "region_code": m.region_code, "region_zh": m.region_code.map(label),
            "region_en": m.region_code.map(label_en), "year": m.year,
            "urban": m.value_u, "rural": m.value_r,
            "ratio": m.value_u / m.value_r.where(m.value_r > 0),
            "difference": m.value_u - m.value_r}))
    if rows:
        res.tables["urban_rural_gaps"] = pd.concat(rows, ignore_index=True).sort_values(
            ["urban_indicator", "rural_indicator", "region_code", "year"], ignore_index=True)
    else:
        res.notes.append("no paired urban and rural indicators in the data")
    # 2. urban–rural Theil per region-year, and its decomposition across regions
    theil_rows, dec_rows = [], []
    for u, r, first, last, zh, en in THEIL_PAIRS:
        if u not in panel.indicators or r not in panel.indicators:
            continue
        for pu, pr, pop_label in POPULATION_PAIRS:
            if pu not in panel.indicators or pr not in panel.indicators:
                continue
            vals = _long_pair(panel, u, r, first, last)
            pops = _long_pair(panel, pu, pr, None, None)
            m = vals.merge(pops, on=["region_code", "year"], suffixes=("", "_pop"))
            if m.empty:
                continue
            t = urban_rural_theil(m.value_u, m.value_r, m.value_u_pop, m.value_r_pop)
            theil_rows.append(pd.DataFrame({
                "pair_zh": zh, "pair_en": en, "population_source": pop_label,
                "region_code": m.region_code, "region_zh": m.region_code.map(label),
                "year": m.year, "urban_rural_theil": t}))
            sub = m[m.region_code != NATIONAL_CODE]
            for year, g in sub.groupby("year"):
                if len(g) < 2:
                    continue
                d = urban_rural_theil_decomposition(g.value_u, g.value_r, g.value_u_pop,
                                                    g.value_r_pop, regions=g.region_code)
                dec_rows.append({"pair_zh": zh, "pair_en": en, "population_source": pop_label,
                                 "year": int(year), "n": len(g), "total": d.total,
                                 "between": d.between_regions, "within": d.within_regions,
                                 "within_share": d.within_regions / d.total})
    if theil_rows:
        res.tables["urban_rural_theil"] = pd.concat(theil_rows, ignore_index=True)
    if dec_rows:
        res.tables["urban_rural_theil_decomposition"] = pd.DataFrame(dec_rows)
    # 3. dual-structure coefficients where sector output and employment exist
    need = {"gdp_primary", "gdp", "employment_primary", "employment_total"}
    if need <= set(panel.indicators):
        from ..methods.gaps import dual_contrast_coefficient, dual_contrast_index

        d = panel._data.assign(region_code=panel._data.region_code.astype(str),
                               indicator=panel._data.indicator.astype(str))
        w = d[d.indicator.isin(need)].pivot_table(index=["region_code", "year"],
                                                  columns="indicator", values="value").dropna()
        if len(w):
            args = (w.gdp_primary, w.gdp, w.employment_primary, w.employment_total)
            res.tables["dual_structure"] = pd.DataFrame({
                "region_code": w.index.get_level_values(0), "year": w.index.get_level_values(1),
                "dual_contrast_coefficient": dual_contrast_coefficient(*args),
                "dual_contrast_index": dual_contrast_index(*args)})
    # 4. regional inequality over time
    regions = [c for c in panel.regions if c != NATIONAL_CODE]
    if len(regions) < 3:
        res.notes.append("fewer than three regions: regional inequality is not computed")
        return res
    work = panel
    if per_capita is None:
        per_capita = []
        if "gdp" in panel.indicators and "population_total" in panel.indicators:
            work = panel.derive("gdp_per_capita", "per_capita", "gdp", "population_total",
                                name_zh="人均地区生产总值", name_en="GDP per capita")
            per_capita.append("gdp_per_capita")
        if "disposable_income_all" in panel.indicators:
            per_capita.append("disposable_income_all")
    if isinstance(partition, str):
        groups = panel.registry.partition(partition) if panel.registry is not None and \
            partition in panel.registry.partitions else None
        part_name = partition
    else:
        groups, part_name = partition, getattr(partition, "name", "partition")
    ineq_rows, theil_dec, dagum, pairs = [], [], [], []
    wide_w = work.wide(weight).reindex(regions) if weight and weight in work.indicators \
        else None
    for ind in per_capita:
        v = work.wide(ind).reindex(regions)
        for wname, w in (("population", wide_w), ("none", None)):
            if wname == "population" and w is None:
                continue
            t = inequality_over_time(v, weights=w, measures=measures, bootstrap=bootstrap, seed=seed)
            t.insert(0, "indicator", ind)
            t.insert(1, "weights", wname)
            ineq_rows.append(t)
        if groups is not None:
            dec = decomposition_over_time(v, groups, weights=wide_w)
            for key, store in (("theil", theil_dec), ("dagum", dagum), ("dagum_pairs", pairs)):
                if not dec[key].empty:
                    f = dec[key].copy()
                    f.insert(0, "indicator", ind)
                    f.insert(1, "partition", part_name)
                    store.append(f)
    if ineq_rows:
        t = pd.concat(ineq_rows, ignore_index=True)
        t.insert(t.columns.get_loc("measure") + 1, "measure_zh",
                 t.measure.map(lambda m: MEASURES[m].label_zh))
        t.insert(t.columns.get_loc("measure") + 2, "measure_en",
                 t.measure.map(lambda m: MEASURES[m].label_en))
        res.tables["regional_inequality"] = t
    if theil_dec:
        res.tables["theil_decomposition"] = pd.concat(theil_dec, ignore_index=True)
    if dagum:
        res.tables["dagum"] = pd.concat(dagum, ignore_index=True)
        p = pd.concat(pairs, ignore_index=True)
        if isinstance(partition, str) and panel.registry is not None:
            for col in ("group_a", "group_b"):
                p[col + "_zh"] = p[col].map(lambda g: panel.registry.group_label(partition, g,
                                                                                  "zh"))
        res.tables["dagum_pairs"] = p
    return res
