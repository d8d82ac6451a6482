"""Regional disparity: Gini, Theil T (between / within) and the Dagum Gini decomposition of
GDP per capita and of residents' per-capita disposable income across provinces, each both
population-weighted and unweighted.

Chinese papers mostly print unweighted measures (every province counts once); weighting by the
resident population measures inequality between people rather than between provinces. Both are
computed on the same provinces and years and labelled in every table (``_w``: weighted by the
year-end resident population, ``_u``: unweighted; the Dagum tables have a ``weighting`` column).

Every reading the page prints is a :class:`~urbanrural.methods.claims.Claim` in ``facts``: the
Mann–Kendall trend and the first-to-last change of both Ginis, the weighted-versus-unweighted
comparison with what the population shares of the top and bottom fifth of provinces show, and
Theil's between-group share read together with Dagum's net between-group share
(:func:`between_reading`, which carries the right reason when the two differ).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data import Panel
from ...data.errors import DataError, Issue
from ...data.registry import NATIONAL_CODE, china
from ...methods.claims import (
    Claim,
    between_share_claim,
    change_claim,
    compare_claim,
    label,
    rank_claim,
    trend_claim,
)
from ...methods.inequality import decomposition_over_time, inequality_over_time
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["run", "between_reading", "weighting_claim", "tails_claim", "PARTITIONS", "SERIES"]

# spec partition → (registry partition, name of the division in Chinese and English)
PARTITIONS: dict[str, tuple[str, str, str]] = {
    "macro_region": ("macro_region", "国家统计局四大区域划分", "the NBS regional division"),
    "belt": ("three_belts", "三大地带划分", "the three-belt division"),
}

# series key → (indicator id, name_zh, name_en, short_zh, short_en); GDP per capita is derived
# from gdp / population_total
SERIES: dict[str, tuple[str, str, str, str, str]] = {
    "gdp_pc": ("gdp_per_capita", "人均地区生产总值（当年价）", "GDP per capita (current prices)",
               "人均GDP", "GDP per capita"),
    "income": ("disposable_income_all", "全体居民人均可支配收入",
               "per-capita disposable income of all residents", "人均可支配收入",
               "Disposable income"),
}
POPULATION = "population_total"
UNITS_EN = {"元/人": "yuan per person", "元": "yuan"}
WEIGHTINGS = {"population": ("按常住人口加权", "weighted by resident population"),
              "none": ("不加权（各省同等）", "unweighted (each province counts once)")}
# claim names → what each claim is about (the claims table labels its rows with them)
CLAIM_LABELS = {
    "trend_gini_w": ("加权基尼系数的趋势", "trend of the weighted Gini"),
    "trend_gini_u": ("不加权基尼系数的趋势", "trend of the unweighted Gini"),
    "change_gini_w": ("加权基尼系数首末年变化", "first-to-last change of the weighted Gini"),
    "change_gini_u": ("不加权基尼系数首末年变化", "first-to-last change of the unweighted Gini"),
    "compare_gini_w_u": ("加权与不加权基尼系数比较（末年）",
                         "weighted vs unweighted Gini (latest year)"),
    "weighting": ("人口加权为何改变基尼系数（末年）",
                  "why population weights change the Gini (latest year)"),
    "tails": ("最高与最低五分之一省份的人口份额（末年）",
              "population share of the top and bottom fifth of provinces (latest year)"),
    "between_w": ("泰尔组间份额与达古姆组间净差距份额（加权，末年）",
                  "Theil between share vs Dagum net between share (weighted, latest year)"),
    "between_u": ("泰尔组间份额与达古姆组间净差距份额（不加权，末年）",
                  "Theil between share vs Dagum net between share (unweighted, latest year)"),
}
# workbook labels of this section's tables (Table.labels), where a name means something else
# here than elsewhere: in a Dagum table D is the relative economic affluence Djh, not the
# coupling coordination degree
WIDE_LABELS = {"n_w": "省份数（人口加权指标）", "n_u": "省份数（不加权指标）",
               "missing_w": "缺失省份（人口加权指标）", "missing_u": "缺失省份（不加权指标）"}
DAGUM_LABELS = {"total": "总体基尼系数G", "within": "区域内差异Gw", "net_between": "区域间净差异Gnb",
                "transvariation": "超变密度Gt"}
DAGUM_PAIR_LABELS = {"D": "相对经济影响力Djh", "gini": "区域内基尼系数Gjj或区域间基尼系数Gjh",
                     "kind": "区域内或区域间", "pair_zh": "区域对（中文）", "pair_en": "区域对（英文）"}
WEIGHTING_LABELS = {"k": "两端省份数k（省份数的五分之一）"}
CLAIMS_TABLE_LABELS = {
    "a": "比较值a", "b": "比较值b", "difference": "差值a−b",
    "top": "最高组：人口份额与省份份额比较", "bottom": "最低组：人口份额与省份份额比较",
    "mean": "加权与不加权均值比较", "theil": "泰尔分解的解读", "dagum": "达古姆分解的解读"}
# labels of the verdicts of this module's own claims (the others are in claims.VERDICT_LABELS)
LOCAL_LABELS = {
    "underweighted": ("两端省份人口份额均低于省份份额", "both tails weigh less by population"),
    "overweighted": ("两端省份人口份额均高于省份份额", "both tails weigh more by population"),
    "mixed": ("一端人口份额更高、另一端更低", "one tail weighs more by population, the other "
                                               "less or the same"),
}


def _verdict_label(code: str, lang: str) -> str:
    if code in LOCAL_LABELS:
        zh, en = LOCAL_LABELS[code]
        return zh if lang == "zh" else en
    return label(code, lang)


# ------------------------------------------------------------------------ claims
def between_reading(theil_between_share: float, dagum_net_between_share: float, *,
                    rel_tol: float = 0.005) -> Claim:
    """Theil's between-group share and Dagum's net between-group share, read together, with
    the reason the two shares differ.

    The verdict (``"agree"`` / ``"disagree"``) and the two readings are those of
    :func:`~urbanrural.methods.claims.between_share_claim`. Its reason code ``dagum_overlap``
    (Dagum's net term leaves out the overlap, so it is *smaller*) is kept only when Dagum's
    share is the smaller one. When Dagum's share is the larger one the reason is
    ``gini_linear_scale``: Dagum's net term G_nb is the Gini of the group means and Theil's
    between term is the Theil T of the group means; the Gini scales linearly with the
    deviations from the mean (shrinking every deviation by a factor λ multiplies it by λ),
    Theil T roughly with their square (≈ CV²/2 near equality), so the same group means take a
    larger share of the Gini than of Theil T. ``values["dagum_vs_theil"]`` is the
    :func:`~urbanrural.methods.claims.compare_claim` verdict of the two shares.

    Examples
    --------
    >>> c = between_reading(0.46, 0.64)
    >>> c.verdict, c.notes
    ('disagree', ('gini_linear_scale',))
    >>> between_reading(0.62, 0.41).notes
    ('dagum_overlap',)
    """
    base = between_share_claim(theil_between_share, dagum_net_between_share)
    larger = compare_claim(dagum_net_between_share, theil_between_share, rel_tol=rel_tol).verdict
    notes = {"lower": ("dagum_overlap",), "higher": ("gini_linear_scale",)}.get(larger, ())
    return dataclasses.replace(base, values={**base.values, "dagum_vs_theil": larger},
                               notes=notes)


def weighting_claim(gini_weighted: float, gini_unweighted: float, *, mean_weighted: float,
                    mean_unweighted: float, rel_tol: float = 0.005) -> Claim:
    r"""Is the population-weighted Gini higher or lower than the unweighted one, and why?

    The Gini is the mean absolute difference Δ over twice the mean μ, G = Δ / (2μ), so

    .. math:: \ln\frac{G_w}{G_u} = \ln\frac{\Delta_w}{\Delta_u} - \ln\frac{\mu_w}{\mu_u}

    exactly: weights change the Gini only through the average gap between two people's
    provinces (Δ_w against the average gap between two provinces, Δ_u) and through the mean.
    ``verdict`` is the :func:`~urbanrural.methods.claims.compare_claim` verdict of the weighted
    against the unweighted Gini (``"higher"``, ``"lower"``, ``"similar"``); ``values`` carry
    Δ_w, Δ_u, μ_w, μ_u, the compare verdicts ``differences`` (Δ_w vs Δ_u) and ``mean``
    (μ_w vs μ_u), and ``driver``: ``"differences"`` when |ln Δ_w/Δ_u| ≥ |ln μ_w/μ_u| (the
    gaps account for more of the change than the mean), else ``"mean"``.

    Examples
    --------
    >>> c = weighting_claim(0.199, 0.220, mean_weighted=95117.0, mean_unweighted=94904.0)
    >>> c.verdict, c.values["differences"], c.values["driver"]
    ('lower', 'lower', 'differences')
    """
    g = compare_claim(gini_weighted, gini_unweighted, rel_tol=rel_tol)
    for name, v in (("mean_weighted", mean_weighted), ("mean_unweighted", mean_unweighted)):
        if not (np.isfinite(v) and v > 0):
            raise DataError(Issue(f"weighting: {name} must be a positive mean", value=str(v)))
    delta_w = 2.0 * float(mean_weighted) * float(gini_weighted)
    delta_u = 2.0 * float(mean_unweighted) * float(gini_unweighted)
    diff = compare_claim(delta_w, delta_u, rel_tol=rel_tol).verdict
    mean = compare_claim(mean_weighted, mean_unweighted, rel_tol=rel_tol).verdict
    with np.errstate(divide="ignore"):
        log_diff = float(np.log(delta_w / delta_u)) if delta_u > 0 else float("nan")
    log_mean = float(np.log(mean_weighted / mean_unweighted))
    driver = "differences" if abs(log_diff) >= abs(log_mean) else "mean"
    return Claim("weighting", g.verdict, {
        "gini_weighted": float(gini_weighted), "gini_unweighted": float(gini_unweighted),
        "difference": g.values["difference"], "bound": g.values["bound"],
        "mean_abs_diff_weighted": delta_w, "mean_abs_diff_unweighted": delta_u,
        "mean_abs_diff_ratio": delta_w / delta_u if delta_u > 0 else float("nan"),
        "mean_weighted": float(mean_weighted), "mean_unweighted": float(mean_unweighted),
        "mean_ratio": float(mean_weighted / mean_unweighted), "log_diff": log_diff,
        "log_mean": log_mean, "differences": diff, "mean": mean, "driver": driver},
        f"G = Δ/(2μ); {g.method} for G, Δ and μ")


def tails_claim(*, top_population_share: float, top_count_share: float,
                bottom_population_share: float, bottom_count_share: float,
                rel_tol: float = 0.005) -> Claim:
    """Do the provinces with the highest and the lowest values weigh more or less with
    population weights than when every province counts once?

    ``values["top"]`` and ``values["bottom"]`` are the
    :func:`~urbanrural.methods.claims.compare_claim` verdicts of each tail's share of the
    population against its share of the provinces. ``verdict``: ``"underweighted"`` when both
    tails weigh less, ``"overweighted"`` when both weigh more, ``"mixed"`` otherwise. A
    description of where the weight goes, not a decomposition of the Gini.

    Examples
    --------
    >>> tails_claim(top_population_share=0.236, top_count_share=6 / 31,
    ...             bottom_population_share=0.121, bottom_count_share=6 / 31).verdict
    'mixed'
    """
    top = compare_claim(top_population_share, top_count_share, rel_tol=rel_tol).verdict
    bottom = compare_claim(bottom_population_share, bottom_count_share, rel_tol=rel_tol).verdict
    verdict = ("underweighted" if top == bottom == "lower" else
               "overweighted" if top == bottom == "higher" else "mixed")
    return Claim("tails", verdict, {
        "top_population_share": float(top_population_share),
        "top_count_share": float(top_count_share),
        "bottom_population_share": float(bottom_population_share),
        "bottom_count_share": float(bottom_count_share), "top": top, "bottom": bottom},
        f"population share vs share of provinces, {compare_claim.__name__} "
        f"(relative difference > {rel_tol:.1%})")


# ------------------------------------------------------------------------ helpers
def _gdp_per_capita(ctx: RunContext, panel: Panel) -> Panel:
    """The panel with GDP per capita derived (shared with any other section that asks)."""
    def derive() -> Panel:
        return panel.derive("gdp_per_capita", "per_capita", "gdp", POPULATION,
                            name_zh="人均地区生产总值", name_en="GDP per capita",
                            notes="current prices: gdp / population_total")
    return ctx.cached(("derived", "gdp_per_capita"), derive)


def _names(codes: Sequence[str], registry, lang: str) -> list[str]:
    return [registry.label(c, lang) for c in codes]


def _wide_table(ineq: dict[str, pd.DataFrame], theil: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per year: Gini and Theil T with its decomposition, ``_w`` and ``_u`` columns."""
    out = None
    for wname, suffix in (("none", "_u"), ("population", "_w")):
        if wname not in ineq:
            continue
        t = ineq[wname]
        wide = t.pivot(index="year", columns="measure", values="value")
        meta = t.drop_duplicates("year").set_index("year")[["n", "missing"]]
        part = pd.DataFrame({"year": wide.index, f"n{suffix}": meta.n.reindex(wide.index),
                             f"missing{suffix}": meta.missing.reindex(wide.index),
                             f"gini{suffix}": wide["gini"], f"theil{suffix}": wide["theil_t"]})
        for m in ("gini", "theil_t"):
            if "ci_low" in t.columns:
                ci = t[t.measure == m].set_index("year")
                name = "gini" if m == "gini" else "theil"
                part[f"{name}{suffix}_ci_low"] = ci.ci_low.reindex(wide.index)
                part[f"{name}{suffix}_ci_high"] = ci.ci_high.reindex(wide.index)
        th = theil.get(wname)
        if th is not None and len(th):
            th = th[th.measure == "theil_t"].set_index("year")
            part[f"theil_between{suffix}"] = th.between.reindex(wide.index)
            part[f"theil_within{suffix}"] = th.within.reindex(wide.index)
            part[f"theil_between_share{suffix}"] = th.between_share.reindex(wide.index)
        part = part.reset_index(drop=True)
        out = part if out is None else out.merge(part, on="year", how="outer")
    first = ["year"] + [c for c in ("gini_w", "gini_u", "theil_w", "theil_u") if c in out]
    return out[first + [c for c in out.columns if c not in first]].sort_values(
        "year", ignore_index=True)


def _label_groups(frame: pd.DataFrame, registry, partition: str, order: list[str]) -> pd.DataFrame:
    """Gjj / Gjh rows with bilingual group and pair names, groups in the partition's order
    (east before central…; Gjh and |D| are symmetric, so a pair may be written either way)."""
    f = frame.copy()
    rank = {g: i for i, g in enumerate(order)}
    swap = (f.group_a.map(rank) > f.group_b.map(rank)).to_numpy()
    a, b = f.group_a.to_numpy(), f.group_b.to_numpy()
    f["group_a"], f["group_b"] = np.where(swap, b, a), np.where(swap, a, b)
    f = f.assign(_kind=f.kind.ne("within"), _a=f.group_a.map(rank), _b=f.group_b.map(rank))
    f = f.sort_values(["weighting", "year", "_kind", "_a", "_b"], key=lambda s: s.map(
        {"population": 0, "none": 1}) if s.name == "weighting" else s, kind="stable")
    f = f.drop(columns=["_kind", "_a", "_b"]).reset_index(drop=True)
    for col in ("group_a", "group_b"):
        for lang in ("zh", "en"):
            f[f"{col}_{lang}"] = f[col].map(lambda g, lang=lang: registry.group_label(
                partition, g, lang))
    within = f.kind.eq("within")
    f["pair_zh"] = np.where(within, f.group_a_zh, f.group_a_zh + "—" + f.group_b_zh)
    f["pair_en"] = np.where(within, f.group_a_en, f.group_a_en + "–" + f.group_b_en)
    return f


def _weighting_row(values: pd.Series, population: pd.Series, registry, gini_w: float,
                   gini_u: float) -> dict:
    """Means with and without weights, and the top and bottom fifth of provinces by value
    (ties listed) with their shares of the provinces and of the population, in one year."""
    have = values.notna()
    ok = have & population.notna()
    v, p = values[ok], population[ok]
    k = max(1, int(round(len(v) / 5)))
    r = rank_claim(list(v.index), v.to_numpy(), k=k)
    row = {"gini_w": gini_w, "gini_u": gini_u,
           "mean_w": float(np.average(v, weights=p)), "mean_u": float(values[have].mean()),
           "k": k, "n_total": len(v)}
    row["mean_abs_diff_w"] = 2 * row["mean_w"] * gini_w
    row["mean_abs_diff_u"] = 2 * row["mean_u"] * gini_u
    for tail in ("top", "bottom"):
        codes = r.values[tail]
        row.update({f"{tail}_n": len(codes), f"{tail}_count_share": len(codes) / len(v),
                    f"{tail}_population_share": float(p[codes].sum() / p.sum()),
                    f"{tail}_min": float(v[codes].min()), f"{tail}_max": float(v[codes].max()),
                    f"{tail}_provinces_zh": "、".join(_names(codes, registry, "zh")),
                    f"{tail}_provinces_en": ", ".join(_names(codes, registry, "en")),
                    f"{tail}_codes": ", ".join(codes)})
    return row


def _claims_frame(claims: list[tuple[str, str, Claim]]) -> pd.DataFrame:
    rows = []
    for series, name, c in claims:
        f = c.to_frame()
        zh, en = CLAIM_LABELS[name]
        f.insert(0, "series", series)
        f.insert(1, "claim", name)
        f.insert(2, "claim_zh", zh)
        f.insert(3, "claim_en", en)
        f.insert(6, "verdict_zh", _verdict_label(c.verdict, "zh"))
        f.insert(7, "verdict_en", _verdict_label(c.verdict, "en"))
        rows.append(f)
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------------ the section
def _series_frames(work: Panel, ind: str, regions: list[str], groups: pd.Series,
                   population: pd.DataFrame | None, *, bootstrap: int, seed: int):
    """Inequality and decompositions of one indicator, weighted and unweighted."""
    values = work.wide(ind).reindex(regions)
    values = values.loc[:, values.notna().sum() >= 2]
    ineq, theil, dagum, pairs = {}, {}, [], []
    for wname, w in (("population", population), ("none", None)):
        if wname == "population" and w is None:
            continue
        w = None if w is None else w.reindex(index=values.index, columns=values.columns)
        if w is not None and not (values.notna() & w.notna()).sum().ge(2).any():
            continue  # no year has two provinces with both a value and a population
        ineq[wname] = inequality_over_time(values, weights=w, measures=("gini", "theil_t"),
                                           bootstrap=bootstrap, seed=seed)
        dec = decomposition_over_time(values, groups, weights=w)
        theil[wname] = dec["theil"]
        zh, en = WEIGHTINGS[wname]
        for frame, store in ((dec["dagum"], dagum), (dec["dagum_pairs"], pairs)):
            if len(frame):
                frame = frame.copy()
                frame.insert(0, "weighting", wname)
                frame.insert(1, "weighting_zh", zh)
                frame.insert(2, "weighting_en", en)
                store.append(frame)
    return values, ineq, theil, dagum, pairs


def run(ctx: RunContext) -> SectionResult:
    """The disparity section on ``ctx.panel()``, grouped by ``ctx.spec.partition``.

    Parameters
    ----------
    ctx : the run context (its panel, spec partition and options: α, bootstrap, seed).

    Returns
    -------
    SectionResult
        tables ``disparity_<series>`` (one row per year: Gini and Theil T with its between /
        within terms, ``_w`` population-weighted and ``_u`` unweighted), ``dagum_<series>``
        and ``dagum_pairs_<series>`` (a ``weighting`` column), ``disparity_weighting`` and
        ``disparity_claims``; ``facts[series]["claims"]`` holds every reading as a
        :class:`~urbanrural.methods.claims.Claim` and ``facts[series]["rows"]`` its row in
        ``disparity_claims``. Series: ``gdp_pc`` (GDP / resident population, current prices)
        and ``income`` (``disposable_income_all``), each when the data have it. A panel with
        neither gives a skipped section; one without population gives unweighted measures
        and a note.
    """
    from ..analysis import skipped

    panel = ctx.panel()
    registry = panel.registry if panel.registry is not None else china()
    part_key, part_zh, part_en = PARTITIONS[ctx.spec.partition]
    opts = ctx.spec.options
    notes: list[Note] = []
    have = set(panel.indicators)
    work = panel
    series: list[str] = []
    if "gdp" in have and POPULATION in have:
        work = _gdp_per_capita(ctx, panel)
        series.append("gdp_pc")
    elif "gdp" in have:
        notes.append(Note("数据中没有年末常住人口（population_total），无法计算人均地区生产总值。",
                          "The data have no year-end resident population (population_total), "
                          "so GDP per capita cannot be computed."))
    if "disposable_income_all" in have:
        series.append("income")
    if not series:
        return skipped("disparity",
                       "数据中既没有地区生产总值与常住人口，也没有全体居民人均可支配收入"
                       "（disposable_income_all），无法计算区域差距。",
                       "The data hold neither GDP with resident population nor per-capita "
                       "disposable income of all residents (disposable_income_all): regional "
                       "disparity cannot be measured.")
    weighted = POPULATION in have
    if not weighted:
        notes.append(Note("数据中没有年末常住人口（population_total）：只计算不加权（各省同等）的"
                          "指标，不计算人口加权指标。",
                          "The data have no year-end resident population (population_total): "
                          "only unweighted measures (each province counts once) are computed, "
                          "no population-weighted ones."))
    part = registry.partition(part_key)
    regions = [c for c in panel.regions if c != NATIONAL_CODE]
    outside = [c for c in regions if c not in part.index]
    if outside:
        notes.append(Note(
            "以下地区不属于所选分组，未纳入本节任何指标：" + "、".join(_names(outside, registry, "zh")),
            "These regions are not in the chosen grouping and are left out of every measure "
            "of this section: " + ", ".join(_names(outside, registry, "en"))))
        regions = [c for c in regions if c in part.index]
    if len(regions) < 3:
        return skipped("disparity", "可用于比较的省份不足三个，无法计算区域差距。",
                       "Fewer than three provinces can be compared: regional disparity is not "
                       "computed.")
    groups = part.loc[regions]
    group_ids = list(dict.fromkeys(groups.sort_values(key=lambda s: s.map(
        {g: i for i, g in enumerate(registry.partition_labels.get(part_key, {}))})).tolist()))
    group_zh = [registry.group_label(part_key, g, "zh") for g in group_ids]
    group_en = [registry.group_label(part_key, g, "en") for g in group_ids]
    population = work.wide(POPULATION).reindex(regions) if weighted else None

    tables: list[Table] = []
    claims: list[tuple[str, str, Claim]] = []
    weighting_rows: list[dict] = []
    facts: dict = {"series": [], "weighted": weighted}
    for key in series:
        ind, name_zh, name_en, short_zh, short_en = SERIES[key]
        ctx.progress(f"disparity {key}")
        values, ineq, theil, dagum, pairs = _series_frames(
            work, ind, regions, groups, population, bootstrap=opts.bootstrap, seed=opts.seed)
        if values.shape[1] < 2:
            notes.append(Note(f"{name_zh}不足两年有数据，未计算。",
                              f"{name_en[0].upper() + name_en[1:]} has fewer than two years of "
                              "data and is not computed."))
            continue
        wide = _wide_table(ineq, theil)
        if weighted and "population" not in ineq:
            notes.append(Note(f"{name_zh}：没有一年同时有两个以上省份的数值和常住人口，未计算人口加权指标。",
                              f"{name_en[0].upper() + name_en[1:]}: no year has two or more "
                              "provinces with both a value and a population, so no "
                              "population-weighted measure is computed."))
        tkey = f"disparity_{key}"
        unit = work.indicators[ind].unit
        tables.append(Table(tkey, f"{name_zh}的省际差距：基尼系数与泰尔指数T（按{part_zh}分解）",
                            f"Inequality of {name_en} across provinces: Gini and Theil T "
                            f"(decomposed by {part_en})", wide, labels=WIDE_LABELS))
        f: dict = {"indicator": ind, "name_zh": name_zh, "name_en": name_en,
                   "short_zh": short_zh, "short_en": short_en, "unit": unit,
                   "unit_en": UNITS_EN.get(unit, unit), "table": tkey,
                   "first_row": 0, "last_row": len(wide) - 1, "claims": {}, "rows": {},
                   "years": [int(y) for y in wide.year]}
        if "gini_w" in wide and wide.gini_w.isna().any():
            notes.append(Note(f"{name_zh}：部分年份没有常住人口数据，这些年份只有不加权指标（表中加权各列为空）。",
                              f"{name_en[0].upper() + name_en[1:]}: some years have no resident "
                              "population, so they have unweighted measures only (the weighted "
                              "columns are empty there)."))
        if wide[[c for c in wide.columns if c.startswith("missing")]].fillna("").ne("").any().any():
            notes.append(Note(f"{name_zh}：部分年份缺少个别省份（见表中“缺失”一列），这些年份的指标"
                              "只基于有数据的省份。",
                              f"{name_en[0].upper() + name_en[1:]}: some years lack some "
                              "provinces (see the column “missing”); those years' measures "
                              "use the provinces with data only."))
        years = wide.year.to_numpy()
        local: dict[str, Claim] = {}
        for s in ("w", "u"):
            col = f"gini_{s}"
            if col not in wide:
                continue
            ok = wide[col].notna().to_numpy()
            local[f"trend_gini_{s}"] = trend_claim(years[ok], wide[col].to_numpy()[ok],
                                                   alpha=opts.alpha)
            local[f"change_gini_{s}"] = change_claim(years[ok], wide[col].to_numpy()[ok])
        last = wide.iloc[-1]
        last_year = int(last.year)
        if weighted and {"gini_w", "gini_u"} <= set(wide) and \
                np.isfinite([last.gini_w, last.gini_u]).all():
            local["compare_gini_w_u"] = compare_claim(last.gini_w, last.gini_u)
            row = _weighting_row(values[last_year], population[last_year], registry,
                                 float(last.gini_w), float(last.gini_u))
            local["weighting"] = weighting_claim(row["gini_w"], row["gini_u"],
                                                 mean_weighted=row["mean_w"],
                                                 mean_unweighted=row["mean_u"])
            local["tails"] = tails_claim(
                top_population_share=row["top_population_share"],
                top_count_share=row["top_count_share"],
                bottom_population_share=row["bottom_population_share"],
                bottom_count_share=row["bottom_count_share"])
            f["weighting_row"] = len(weighting_rows)
            weighting_rows.append({"series": key, "series_zh": name_zh, "series_en": name_en,
                                   "year": last_year, "unit": unit, **row})
        if dagum:
            dg = pd.concat(dagum, ignore_index=True)
            dkey = f"dagum_{key}"
            tables.append(Table(dkey, f"{name_zh}的达古姆基尼系数分解（按{part_zh}）",
                                f"Dagum Gini decomposition of {name_en} (by {part_en})", dg,
                                labels=DAGUM_LABELS))
            pr = _label_groups(pd.concat(pairs, ignore_index=True), registry, part_key, group_ids)
            pkey = f"dagum_pairs_{key}"
            tables.append(Table(pkey, f"{name_zh}：区域内基尼系数Gjj与区域间基尼系数Gjh"
                                      f"（按{part_zh}）",
                                f"{name_en[0].upper() + name_en[1:]}: within-group Gini Gjj and "
                                f"between-group Gini Gjh (by {part_en})", pr,
                                labels=DAGUM_PAIR_LABELS))
            f["dagum"], f["pairs"] = dkey, pkey
            f["dagum_rows"] = {}
            f["pair_rows"] = {}
            for wname, s in (("population", "w"), ("none", "u")):
                rows = np.flatnonzero((dg.weighting == wname) & (dg.year == last_year))
                if len(rows) == 0 or f"theil_between_share_{s}" not in wide:
                    continue
                i = int(rows[0])
                f["dagum_rows"][s] = i
                f["dagum_rows"][f"{s}_first"] = int(np.flatnonzero(dg.weighting == wname)[0])
                f["pair_rows"][s] = [int(j) for j in np.flatnonzero(
                    (pr.weighting == wname) & (pr.year == last_year))]
                local[f"between_{s}"] = between_reading(float(last[f"theil_between_share_{s}"]),
                                                        float(dg.net_between_share.iloc[i]))
        for name, c in local.items():
            f["rows"][name] = len(claims)
            f["claims"][name] = c
            claims.append((key, name, c))
        facts[key] = f
        facts["series"].append(key)
    if not facts["series"]:
        return skipped("disparity", "没有一个指标有两年以上的数据，无法计算区域差距。",
                       "No series has two or more years of data: regional disparity is not "
                       "computed.")
    if weighting_rows:
        tables.append(Table("disparity_weighting", "人口加权与不加权：均值、平均差与两端省份（末年）",
                            "Weighted and unweighted: means, mean absolute differences and the "
                            "top and bottom fifth of provinces (latest year)",
                            pd.DataFrame(weighting_rows), labels=WEIGHTING_LABELS))
    tables.append(Table("disparity_claims", "区域差距的判断及其检验",
                        "Readings of regional disparity and their tests", _claims_frame(claims),
                        labels=CLAIMS_TABLE_LABELS))
    if "gdp_pc" in facts["series"]:
        notes.append(Note("人均地区生产总值按当年价计算（地区生产总值/年末常住人口）：数据中没有分省价格"
                          "指数。基尼系数和泰尔指数与计量单位无关，全国统一的价格平减不会改变它们；"
                          "各省之间的价格水平差异没有调整。",
                          "GDP per capita is at current prices (gross regional product / year-end "
                          "resident population): the data hold no provincial deflator. The Gini "
                          "and Theil indices do not depend on the unit, so one national deflator "
                          "would not change them; differences in price levels between provinces "
                          "are not adjusted."))
    partition = {"id": ctx.spec.partition, "registry": part_key,
                 "zh": f"{part_zh}（{'、'.join(group_zh)}）",
                 "en": f"{part_en} ({', '.join(group_en)})", "groups": group_ids,
                 "groups_zh": group_zh, "groups_en": group_en, "n_groups": len(group_ids)}
    facts["partition"] = partition
    options = {
        "partition": partition,
        "weighting": (["population", "none"] if weighted else ["none"]),
        "weights_indicator": POPULATION if weighted else None,
        "series": {k: {"indicator": SERIES[k][0], "name_zh": SERIES[k][1],
                       "name_en": SERIES[k][2], "unit": facts[k]["unit"],
                       "years": facts[k]["years"],
                       "derived_from": ["gdp", POPULATION] if k == "gdp_pc" else None,
                       "prices": "current" if k == "gdp_pc" else None}
                   for k in facts["series"]},
        "regions": regions, "alpha": opts.alpha, "bootstrap": opts.bootstrap,
        "seed": opts.seed if opts.bootstrap else None,
        "trend_test": "Mann–Kendall (two-sided), Theil–Sen slope",
        "tails": "top and bottom fifth of provinces by value (round(n/5), ties listed)",
    }
    _, _, zh, en = SECTIONS["disparity"]
    return SectionResult("disparity", zh, en, tuple(tables), facts, options, tuple(notes))
