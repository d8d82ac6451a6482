"""Provinces: urbanisation of the resident population, the urban–rural cross-sections the data
hold in one survey concept, and the provincial frameworks with what would fill them.

Urbanisation is ``population_urban / population_total × 100`` for every province-year with
both. Provincial urban and rural pairs exist in the bundled data only as scattered yearbook
cross-sections, so every (pair, year) with both sides for at least :data:`MIN_PROVINCES`
provinces is found from the data, never assumed; each pair is one survey concept (the 2013
survey change splits the ids, and each pair is kept to the years of its concept). Each
provincial framework is scored through :meth:`RunContext.scored`, published only above the
framework's minimum and under its status name ("partial (k of n dimensions)"), and always
with the list of series that would fill what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import Panel
from ...data.breaks import DOCUMENTED_BREAKS
from ...data.catalog import CATALOG
from ...data.errors import DataError, Issue
from ...data.registry import NATIONAL_CODE
from ...methods.claims import Claim, change_claim, comparability_claim, rank_claim, trend_claim
from ..context import RunContext
from ..framework import Framework
from . import SECTIONS
from .base import Note, SectionResult, Table, sheet_name

__all__ = ["run", "PAIRS", "MIN_PROVINCES", "CrossSectionPair", "cross_sections",
           "urbanisation"]

MIN_PROVINCES = 10  # a cross-section is shown only when this many provinces have both sides
TOP_K = 3  # ranks name the top and bottom three (and every province tied with the third)


@dataclass(frozen=True)
class CrossSectionPair:
    """An urban and a rural series of one survey concept.

    ``kind`` is ``"ratio"`` (urban / rural) or ``"rural_minus_urban"`` (rural − urban, for
    Engel coefficients: a higher rural share of food spending is the gap). ``years`` bounds
    the years in which both ids belong to that concept.
    """

    id: str
    urban: str
    rural: str
    kind: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    concept_zh: str
    concept_en: str
    years: tuple[int | None, int | None] = (None, None)


_OLD_ZH, _OLD_EN = "分城乡住户调查，2012年及以前", "separate urban and rural surveys, to 2012"
_NEW_ZH, _NEW_EN = "城乡一体化住户调查，2013年起", "integrated household survey, 2013 on"

PAIRS: tuple[CrossSectionPair, ...] = (
    CrossSectionPair("income_ratio_old_survey", "urban_disposable_income", "rural_net_income",
                     "ratio", "城乡居民收入比（城镇可支配收入/农村纯收入）",
                     "Urban–rural income ratio (urban disposable / rural net income)", "倍",
                     "times", _OLD_ZH, _OLD_EN, (None, 2012)),
    CrossSectionPair("income_ratio", "urban_disposable_income_new_survey",
                     "rural_disposable_income", "ratio", "城乡居民人均可支配收入比",
                     "Urban–rural disposable income ratio", "倍", "times", _NEW_ZH, _NEW_EN,
                     (2013, None)),
    CrossSectionPair("consumption_ratio_old_survey", "urban_consumption_old_survey",
                     "rural_living_expenditure", "ratio",
                     "城乡居民消费比（城镇消费性支出/农村生活消费支出）",
                     "Urban–rural consumption ratio (urban consumption / rural living "
                     "expenditure)", "倍", "times", _OLD_ZH, _OLD_EN, (None, 2012)),
    CrossSectionPair("consumption_ratio", "urban_consumption", "rural_consumption", "ratio",
                     "城乡居民人均消费支出比", "Urban–rural consumption ratio", "倍", "times",
                     _NEW_ZH, _NEW_EN, (2013, None)),
    # Engel coefficients as published at the time: both sides from the separate surveys only
    # up to 2012 (a 2013 rural value may still be the old survey's while an urban one is not)
    CrossSectionPair("engel_gap_old_survey", "urban_engel", "rural_engel", "rural_minus_urban",
                     "城乡恩格尔系数差（农村减城镇）", "Rural minus urban Engel coefficient",
                     "百分点", "points", "分城乡住户调查当年公布值，2012年及以前",
                     "separate surveys as published at the time, to 2012", (None, 2012)),
)


def _wide(panel: Panel, ids: list[str]) -> pd.DataFrame:
    """Province-year × indicator (the national row, if any, left out)."""
    d = panel.data
    d = d[d.indicator.isin(ids) & (d.region_code.astype(str) != NATIONAL_CODE)]
    w = d.pivot_table(index=["region_code", "year"], columns="indicator", values="value",
                      aggfunc="first", observed=True)
    w.columns = w.columns.astype(str)
    w.columns.name = None
    return w.reindex(columns=ids)


def _names(panel: Panel, codes) -> tuple[list[str], list[str]]:
    codes = [str(c) for c in codes]
    return ([panel.region_label(c, "zh") for c in codes],
            [panel.region_label(c, "en") for c in codes])


def urbanisation(panel: Panel) -> pd.DataFrame:
    """Urbanisation rate (%) of the resident population per province and year, with its rank
    within the year (1 = most urbanised; ties share the best rank)."""
    cols = ["region_code", "region_zh", "region_en", "year", "population_urban",
            "population_total", "urbanisation", "rank"]
    if not {"population_urban", "population_total"} <= set(panel.indicators):
        return pd.DataFrame(columns=cols)
    w = _wide(panel, ["population_urban", "population_total"]).dropna().reset_index()
    # a rate outside [0, 100] is bad input, never a finding (0.5 % slack for rounding of the
    # two published counts)
    bad = (w.population_total <= 0) | (w.population_urban < 0) | \
        (w.population_urban > 1.005 * w.population_total)
    if bad.any():
        raise DataError([Issue(
            f"urban population {r.population_urban:g} and resident population "
            f"{r.population_total:g} give no urbanisation rate in [0, 100] / 城镇人口与常住人口"
            "不构成0—100之间的城镇化率", column="population_urban",
            value=f"{r.region_code} {int(r.year)}") for r in w[bad].head(10).itertuples()])
    w["urbanisation"] = 100.0 * w.population_urban / w.population_total
    w["rank"] = w.groupby("year").urbanisation.rank(ascending=False, method="min").astype(int)
    w["region_code"] = w.region_code.astype(str)
    w["region_zh"], w["region_en"] = _names(panel, w.region_code)
    w["year"] = w.year.astype(int)
    return w.sort_values(["year", "rank", "region_code"], ignore_index=True)[cols]


def _urbanisation_mean(urb: pd.DataFrame) -> pd.DataFrame:
    """Across provinces, per year: the population-weighted mean (Σ urban / Σ total × 100,
    the urbanisation of the provinces taken together), the unweighted median, min and max."""
    g = urb.groupby("year")
    out = pd.DataFrame({
        "n_provinces": g.size(),
        "population_urban": g.population_urban.sum(),
        "population_total": g.population_total.sum(),
        "median": g.urbanisation.median(), "min": g.urbanisation.min(),
        "max": g.urbanisation.max()}).reset_index()
    out.insert(2, "weighted_mean", 100.0 * out.population_urban / out.population_total)
    return out


def _balanced_years(mean: pd.DataFrame) -> list[int]:
    """The years in which every province of the panel has a rate (so the mean of one year
    and the next are over the same provinces)."""
    if mean.empty:
        return []
    full = mean.n_provinces.max()
    return [int(y) for y in mean.year[mean.n_provinces == full]]


def _urbanisation_change(urb: pd.DataFrame, years: list[int]) -> tuple[pd.DataFrame, dict]:
    """First-to-last change (points) of every province over the balanced years, with the
    change claim of each and the rank of the change (1 = rose most)."""
    cols = ["region_code", "region_zh", "region_en", "first_year", "first", "last_year", "last",
            "change", "change_abs", "verdict", "rank"]
    sub = urb[urb.year.isin(years)]
    if len(years) < 2 or sub.empty:
        return pd.DataFrame(columns=cols), {}
    claims, rows = {}, []
    # one claim per province (31 series), each over its years in the balanced span
    for code, g in sub.groupby("region_code", sort=True):
        c = change_claim(g.year.to_numpy(), g.urbanisation.to_numpy())
        claims[str(code)] = c
        rows.append({"region_code": str(code), "region_zh": g.region_zh.iloc[0],
                     "region_en": g.region_en.iloc[0], "first_year": c.values["first_year"],
                     "first": c.values["first"], "last_year": c.values["last_year"],
                     "last": c.values["last"], "change": c.values["change"],
                     "change_abs": abs(c.values["change"]), "verdict": c.verdict})
    t = pd.DataFrame(rows)
    t["rank"] = t.change.rank(ascending=False, method="min").astype(int)
    return t.sort_values(["rank", "region_code"], ignore_index=True)[cols], claims


def cross_sections(panel: Panel, *, min_provinces: int = MIN_PROVINCES
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every (pair, year) of :data:`PAIRS` with both sides for ``min_provinces`` provinces.

    Returns the values (one row per pair, year and province with both sides; ``value`` is
    the ratio or difference, ``rank`` 1 = widest gap in that pair-year), a summary per
    pair-year (provinces with both sides, with the urban side only and the rural side only,
    and the minimum, median and maximum), and one row per pair saying how far the data go:
    the most provinces with both sides in any year of its concept, and in which year.
    """
    pcols = ["pair", "name_zh", "name_en", "concept_zh", "concept_en", "urban_id", "rural_id",
             "urban_in_data", "rural_in_data", "years_with_both", "max_provinces", "max_year",
             "n_cross_sections", "min_provinces"]
    pair_rows = []
    vcols = ["pair", "name_zh", "name_en", "concept_zh", "concept_en", "kind", "unit_zh",
             "unit_en", "year", "region_code", "region_zh", "region_en", "urban_id", "rural_id",
             "urban", "rural", "value", "rank"]
    scols = ["pair", "name_zh", "name_en", "concept_zh", "concept_en", "unit_zh", "unit_en",
             "year", "n_provinces", "n_urban_only", "n_rural_only", "min", "median", "max"]
    values, summary = [], []
    for p in PAIRS:
        row = {"pair": p.id, "name_zh": p.name_zh, "name_en": p.name_en,
               "concept_zh": p.concept_zh, "concept_en": p.concept_en, "urban_id": p.urban,
               "rural_id": p.rural, "urban_in_data": p.urban in panel.indicators,
               "rural_in_data": p.rural in panel.indicators, "years_with_both": 0,
               "max_provinces": 0, "max_year": np.nan, "n_cross_sections": 0,
               "min_provinces": min_provinces}
        pair_rows.append(row)
        if p.urban not in panel.indicators or p.rural not in panel.indicators:
            continue
        w = _wide(panel, [p.urban, p.rural]).reset_index()
        lo, hi = p.years
        w = w[(w.year >= (lo if lo is not None else -np.inf)) &
              (w.year <= (hi if hi is not None else np.inf))]
        has_u, has_r = w[p.urban].notna(), w[p.rural].notna()
        counts = pd.DataFrame({"year": w.year, "both": has_u & has_r, "u_only": has_u & ~has_r,
                               "r_only": has_r & ~has_u}).groupby("year").sum()
        keep = counts.index[counts.both >= min_provinces]
        if counts.both.max() > 0:
            row.update(years_with_both=int((counts.both > 0).sum()),
                       max_provinces=int(counts.both.max()),
                       max_year=int(counts.both.idxmax()), n_cross_sections=int(len(keep)))
        if not len(keep):
            continue
        both = w[has_u & has_r & w.year.isin(keep)].copy()
        u, r = both[p.urban].to_numpy(float), both[p.rural].to_numpy(float)
        if p.kind == "ratio":
            if (r == 0).any():
                bad = both[r == 0].iloc[0]
                raise DataError(Issue(f"{p.rural} is zero in {bad.region_code} {int(bad.year)}: "
                                      f"the urban–rural ratio is undefined / 农村值为零，城乡比无定义",
                                      value=f"{bad.region_code} {int(bad.year)}"))
            v = u / r
        else:
            v = r - u
        out = pd.DataFrame({
            "pair": p.id, "name_zh": p.name_zh, "name_en": p.name_en, "concept_zh": p.concept_zh,
            "concept_en": p.concept_en, "kind": p.kind, "unit_zh": p.unit_zh, "unit_en": p.unit_en,
            "year": both.year.astype(int).to_numpy(), "region_code": both.region_code.astype(str),
            "urban_id": p.urban, "rural_id": p.rural, "urban": u, "rural": r, "value": v})
        out["region_zh"], out["region_en"] = _names(panel, out.region_code)
        out["rank"] = out.groupby("year").value.rank(ascending=False, method="min").astype(int)
        values.append(out.sort_values(["year", "rank", "region_code"])[vcols])
        g = out.groupby("year").value
        s = pd.DataFrame({"n_provinces": g.size(), "min": g.min(), "median": g.median(),
                          "max": g.max()})
        s["n_urban_only"] = counts.loc[s.index, "u_only"].astype(int)
        s["n_rural_only"] = counts.loc[s.index, "r_only"].astype(int)
        s = s.reset_index()
        for col in ("pair", "name_zh", "name_en", "concept_zh", "concept_en", "unit_zh",
                    "unit_en"):
            s[col] = getattr(p, "id" if col == "pair" else col)
        summary.append(s[scols])
    vals = pd.concat(values, ignore_index=True) if values else pd.DataFrame(columns=vcols)
    summ = pd.concat(summary, ignore_index=True) if summary else pd.DataFrame(columns=scols)
    return vals, summ, pd.DataFrame(pair_rows, columns=pcols)


def _rank_rows(claim: Claim, frame: pd.DataFrame) -> tuple[list[int], list[int]]:
    """Row positions in ``frame`` (whose ``region_code`` the claim ranked) of the top and the
    bottom units of a rank claim."""
    pos = {c: i for i, c in zip(frame.index, frame.region_code, strict=True)}
    return ([int(pos[c]) for c in claim.values["top"]],
            [int(pos[c]) for c in claim.values["bottom"]])


# ------------------------------------------------------------------ frameworks
def _key(prefix: str, fw_id: str, used: set[str]) -> str:
    """A sheet key for a framework's table: readable, ≤ 31 characters, unique in the run."""
    key = sheet_name(f"{prefix}{fw_id}")
    i = 2
    while key in used:
        tail = f"_{i}"
        key = sheet_name(f"{prefix}{fw_id}")[:31 - len(tail)] + tail
        i += 1
    used.add(key)
    return key


def _reader_names(ids: list[str]) -> str:
    """The series names the readers map onto these ids (an NBS export column or row of that
    name becomes the id), or the id itself where no portal name is catalogued."""
    after = {b.new_id(): b for b in DOCUMENTED_BREAKS if b.new_id() == b.after_id}
    out = []
    for i in ids:
        if i in CATALOG:
            out.append(f"{CATALOG[i].name_zh} → {i}")
        elif i in after and after[i].indicator in CATALOG:
            b = after[i]
            out.append(f"{CATALOG[b.indicator].name_zh} ({b.year}+) → {i}")
        else:
            out.append(f"{i} (id)")
    return "; ".join(out)


def _coverage(panel: Panel, fw: Framework, ids: list[str]) -> float:
    """Share of the province-years in the framework's window with every id present (the
    coverage :func:`~urbanrural.pipeline.index.run_index` compares with ``min_coverage``)."""
    regions = [c for c in panel.regions if c != NATIONAL_CODE] or panel.regions
    years = [y for y in panel.years if fw.years is None or fw.years[0] <= y <= fw.years[1]]
    if not regions or not years:
        return 0.0
    w = _wide(panel, ids).reset_index()
    w = w.assign(region_code=w.region_code.astype(str), year=w.year.astype(int))
    w = w.set_index(["region_code", "year"])[ids]
    idx = pd.MultiIndex.from_product([[str(c) for c in regions], years],
                                     names=["region_code", "year"])
    present = w.reindex(idx).notna().all(axis=1)
    return float(present.mean())


def _needs(fw: Framework, panel: Panel, unavailable: pd.DataFrame | None) -> pd.DataFrame:
    """Every indicator of ``fw`` the run could not use: the NBS series that would fill it
    (the framework's ``needs``), the ids, which of them the data lack, and why it is out."""
    top = {lf.id: c for c in fw.root.children for lf in c.leaves()}
    out_ids = (set(unavailable.indicator) if unavailable is not None
               else {lf.id for lf in fw.indicators()})
    rows = []
    for lf in fw.indicators():
        if lf.id not in out_ids:
            continue
        ids = ([lf.source] if lf.source is not None else
               [lf.id] if lf.id in panel.indicators else [lf.formula["a"], lf.formula["b"]])
        missing = [i for i in ids if i not in panel.indicators]
        dim = top.get(lf.id, fw.root)
        cov = np.nan if missing else _coverage(panel, fw, ids)
        if missing:
            kind = "not_in_data"
            zh = "数据中没有：" + "、".join(missing)
            en = "not in the data: " + ", ".join(missing)
        elif cov < fw.min_coverage:
            kind = "coverage"
            zh = "数据中有该序列，但覆盖的省份-年份少于框架规定的最低比例"
            en = "in the data, but for fewer province-years than the framework's minimum"
        else:  # the run failed for a reason of its own (e.g. too few complete province-years)
            kind = "run"
            zh = "指数未能运行（见状态表的原因）"
            en = "the index could not run (see the reason in the status table)"
        rows.append({"framework": fw.id, "dimension": dim.id, "dimension_zh": dim.name_zh,
                     "dimension_en": dim.name_en, "indicator": lf.id, "name_zh": lf.name_zh,
                     "name_en": lf.name_en, "role": lf.role, "needs": lf.needs,
                     "ids_needed": ", ".join(ids), "ids_missing": ", ".join(missing),
                     "file_names_read": _reader_names(ids), "coverage": cov,
                     "min_coverage": fw.min_coverage, "reason": kind, "reason_zh": zh,
                     "reason_en": en})
    cols = ["framework", "dimension", "dimension_zh", "dimension_en", "indicator", "name_zh",
            "name_en", "role", "needs", "ids_needed", "ids_missing", "file_names_read",
            "coverage", "min_coverage", "reason", "reason_zh", "reason_en"]
    return pd.DataFrame(rows, columns=cols)


def _why_not(fw: Framework, res, st) -> str:
    """Why an index is not published: ``""`` (it is), ``"run_failed"`` (the data cannot run
    it at all), ``"share"`` (too few dimensions filled) or ``"roles"`` (a kept dimension holds
    no urban–rural comparison or flow) — the rules of
    :func:`~urbanrural.pipeline.index_status.index_status`, named so the page says which."""
    if st.computable:
        return ""
    if res is None:
        return "run_failed"
    share_ok = st.k_dimensions > 0 and st.k_dimensions / st.n_dimensions >= fw.min_dimensions
    return "roles" if share_ok else "share"


def _frameworks(ctx: RunContext, panel: Panel, used: set[str]) -> tuple[list[Table], list]:
    """Each provincial framework of the spec: its status row, the series that would fill it,
    and (when computable) its scores under the status name, with the rank of its latest
    well-covered year."""
    status_rows, needs, tables, facts = [], [], [], []
    for name in ctx.spec.frameworks:
        fw = ctx.framework(name)
        res, st = ctx.scored(name)
        status_rows.append({
            "framework": fw.id, "name_zh": st.name_zh, "name_en": st.name_en,
            "n_dimensions": st.n_dimensions, "k_dimensions": st.k_dimensions,
            "min_dimensions": fw.min_dimensions, "computable": st.computable,
            "partial": st.partial, "kept": ", ".join(d[0] for d in st.kept),
            "kept_zh": "、".join(d[1] for d in st.kept),
            "kept_en": ", ".join(d[2] for d in st.kept),
            "missing": ", ".join(d[0] for d in st.missing),
            "missing_zh": "、".join(d[1] for d in st.missing),
            "missing_en": ", ".join(d[2] for d in st.missing),
            "why_not": _why_not(fw, res, st),
            "reason_zh": st.reason_zh, "reason_en": st.reason_en})
        need = _needs(fw, panel, res.tables["unavailable"] if res is not None else None)
        entry: dict = {"framework": fw.id, "status": st, "status_row": len(status_rows) - 1,
                       "needs_rows": list(range(sum(len(n) for n in needs),
                                                sum(len(n) for n in needs) + len(need))),
                       "scores_key": None}
        needs.append(need)
        if res is not None and st.computable:
            sc = res.tables["scores"]
            dims = [d for d, _, _ in st.kept if d in sc]
            part = sc[["region_code", "region_zh", "region_en", "year", "total", *dims, "rank"]]
            part = part.assign(framework=fw.id, name_zh=st.name_zh, name_en=st.name_en)
            # the latest year first, so the page's table shows it
            part = part.sort_values(["year", "rank"], ascending=[False, True], kind="stable")
            part = part.reset_index(drop=True)
            key = _key("prov_ix_", fw.id, used)
            tables.append(Table(key, f"{st.name_zh}：各省得分", f"{st.name_en}: provincial scores",
                                part.reset_index(drop=True)))
            # rank the latest year that scores enough provinces: a year in which one
            # province happens to be complete ranks nothing
            n_by_year = part.groupby("year").size()
            wide_years = n_by_year.index[n_by_year >= MIN_PROVINCES]
            last = int(wide_years.max() if len(wide_years) else n_by_year.idxmax())
            latest = part[part.year == last]
            rk = rank_claim(latest.region_code.tolist(), latest.total.to_numpy(), k=TOP_K)
            top, bottom = _rank_rows(rk, latest)
            entry.update(scores_key=key, latest_year=last, rank=rk, top_rows=top,
                         bottom_rows=bottom, first_year=int(part.year.min()),
                         latest_rows=[int(i) for i in latest.index],
                         map_years=[int(y) for y in sorted(wide_years)] or [last],
                         comparability=comparability_claim(
                             fw.normalization.get("mode", "pooled")))
        facts.append(entry)
    status = pd.DataFrame(status_rows)
    need_all = pd.concat(needs, ignore_index=True) if needs else _needs_empty()
    head = [Table("prov_index_status", "分省指数：是否可计算（框架规定的最低维度比例）",
                  "Provincial indices: computable or not (the framework's minimum share of "
                  "dimensions)", status),
            Table("prov_index_needs", "补齐分省指数所需的数据（国家统计局等序列）",
                  "What would fill the provincial indices (NBS and other series to download)",
                  need_all)]
    return head + tables, facts


def _needs_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["framework", "indicator", "needs", "ids_needed"])


def _claims_table(claims: dict[str, Claim]) -> pd.DataFrame:
    rows = [c.to_frame().assign(key=k) for k, c in claims.items()]
    if not rows:
        return pd.DataFrame(columns=["key", "kind", "verdict", "method"])
    t = pd.concat(rows, ignore_index=True)
    return t[["key", *[c for c in t.columns if c != "key"]]]


def run(ctx: RunContext) -> SectionResult:
    _, _, title_zh, title_en = SECTIONS["provinces"]
    panel = ctx.panel()
    alpha = ctx.spec.options.alpha
    used = {"prov_urbanisation", "prov_urbanisation_mean", "prov_urbanisation_change",
            "prov_cross_sections", "prov_cross_section_summary", "prov_index_status",
            "prov_index_needs", "prov_claims", "prov_pair_coverage"}
    urb = urbanisation(panel)
    mean = _urbanisation_mean(urb)
    years = _balanced_years(mean)
    change, province_change = _urbanisation_change(urb, years)
    xs, xsum, pairs = cross_sections(panel)
    claims: dict[str, Claim] = {}
    facts: dict = {"min_provinces": MIN_PROVINCES, "top_k": TOP_K, "balanced_years": years,
                   "province_change": province_change,
                   "n_provinces": int(mean.n_provinces.max()) if len(mean) else 0}
    if len(years) >= 2:
        bal = mean[mean.year.isin(years)]
        claims["urbanisation_mean_change"] = change_claim(bal.year, bal.weighted_mean)
        claims["urbanisation_mean_trend"] = trend_claim(bal.year, bal.weighted_mean, alpha=alpha)
        claims["urbanisation_median_change"] = change_claim(bal.year, bal["median"])
        facts["mean"] = {"first_row": int(bal.index[0]), "last_row": int(bal.index[-1]),
                         "first_year": years[0], "last_year": years[-1]}
        last = years[-1]
        latest = urb[urb.year == last]
        rk = rank_claim(latest.region_code.tolist(), latest.urbanisation.to_numpy(), k=TOP_K)
        claims["urbanisation_latest_rank"] = rk
        top, bottom = _rank_rows(rk, latest)
        facts["latest"] = {"year": last, "top_rows": top, "bottom_rows": bottom}
        rc = rank_claim(change.region_code.tolist(), change.change.to_numpy(), k=TOP_K)
        claims["urbanisation_change_rank"] = rc
        top, bottom = _rank_rows(rc, change)
        facts["rise"] = {"top_rows": top, "bottom_rows": bottom}
    facts["cross_sections"] = []
    for i, s in xsum.iterrows():
        sub = xs[(xs.pair == s.pair) & (xs.year == s.year)]
        rk = rank_claim(sub.region_code.tolist(), sub.value.to_numpy(), k=TOP_K)
        key = f"xsec_{s.pair}_{int(s.year)}_rank"
        claims[key] = rk
        top, bottom = _rank_rows(rk, sub)
        facts["cross_sections"].append({"pair": s.pair, "year": int(s.year), "summary_row": int(i),
                                        "claim": key, "top_rows": top, "bottom_rows": bottom})
    facts["pairs_found"] = [(str(p), int(y)) for p, y in zip(xsum.pair, xsum.year, strict=True)]
    index_tables, index_facts = _frameworks(ctx, panel, used)
    facts["indices"] = index_facts
    for e in index_facts:
        if e["scores_key"] is not None:
            claims[f"index_{e['framework']}_rank"] = e["rank"]
    facts["claims"] = claims
    claim_table = _claims_table(claims)
    facts["claim_rows"] = {k: i for i, k in enumerate(claim_table.key)}
    tables = [
        Table("prov_urbanisation", "各省常住人口城镇化率（城镇人口/年末常住人口×100）及位次",
              "Urbanisation rate of the resident population by province (urban / total × 100) "
              "and rank", urb, {"urbanisation": "%", "population_urban": "万人",
                                "population_total": "万人"}),
        Table("prov_urbanisation_mean",
              "各省城镇化率汇总：人口加权平均（各省合计城镇人口/合计常住人口）与中位数",
              "Urbanisation across provinces: population-weighted mean (summed urban over "
              "summed total population) and median", mean,
              {"weighted_mean": "%", "median": "%", "min": "%", "max": "%"}),
        Table("prov_urbanisation_change", "各省城镇化率变化（百分点）及位次",
              "Change of each province's urbanisation rate (points) and its rank", change,
              {"first": "%", "last": "%", "change": "百分点 / points"}),
        Table("prov_cross_sections",
              f"各省城乡对比截面（同一调查口径、至少{MIN_PROVINCES}个省份两侧均有数据的年份）",
              f"Provincial urban–rural cross-sections (one survey concept; years with both "
              f"sides for at least {MIN_PROVINCES} provinces)", xs),
        Table("prov_cross_section_summary", "各截面的省份数与取值范围",
              "Provinces and range of each cross-section", xsum),
        Table("prov_pair_coverage", "各城乡对比在数据中的覆盖（任一年份两侧均有数据的最多省份数）",
              "How far the data hold each urban–rural pair (the most provinces with both sides "
              "in any year)", pairs),
        *index_tables,
        Table("prov_claims", "本节各项判断及其检验",
              "The readings of this section and the rules behind them", claim_table),
    ]
    notes = [
        Note("城镇化率的全国汇总用人口加权平均，即各省城镇人口之和除以常住人口之和，只取所有省份都有数据的年份；"
             "中位数见汇总表。",
             "The figure across provinces is the population-weighted mean, i.e. the summed "
             "urban population over the summed resident population, over the years in which "
             "every province has a rate; the median is in the summary table."),
        Note("本节只在同一调查口径下、城乡两侧均有数据的省份达到最低数目（选项 min_provinces）的年份作"
             "截面对比，不将不同年份或口径的数值连成序列。",
             "This section compares urban and rural values only within one survey concept and "
             "in years with both sides for the minimum number of provinces (option "
             "min_provinces), and never joins years or concepts into a series."),
    ]
    if ctx.spec.data == "china_provinces":
        notes.append(Note("内置省级数据中的城乡两侧数值来自零散年份的统计年鉴表格，是截面而非连续序列。",
                          "The bundled provincial urban and rural values come from yearbook "
                          "tables of scattered years: cross-sections, not continuous series."))
    options = {"min_provinces": MIN_PROVINCES, "top_k": TOP_K, "alpha": alpha,
               "frameworks": list(ctx.spec.frameworks),
               "urbanisation_mean": "population-weighted (Σ urban / Σ total)",
               "trend_test": "Mann–Kendall (two-sided), Theil–Sen slope",
               "pairs": [p.id for p in PAIRS]}
    return SectionResult("provinces", title_zh, title_en, tuple(tables), facts, options,
                         tuple(notes))
