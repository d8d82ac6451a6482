"""The national urban–rural relationship since 1978, from the real urban/rural pairs of
``china_national``: each gap by survey concept (never joined across the 2013 survey change),
and the national integration index on fixed goalposts with its dimensions and the weak point
of each period."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...data import Panel
from ...data.registry import NATIONAL_CODE
from ...methods.claims import change_claim, comparability_claim, gap_trend_claim, trend_claim
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["run", "NATIONAL_GAPS", "PERIODS"]


@dataclass(frozen=True)
class GapSeries:
    """One national urban–rural comparison of one concept: ``kind`` is ratio (urban/rural)
    or difference (a − b)."""

    id: str
    a: str
    b: str
    kind: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    concept_zh: str
    concept_en: str


NATIONAL_GAPS: tuple[GapSeries, ...] = (
    GapSeries("income_ratio_old_survey", "urban_disposable_income", "rural_net_income", "ratio",
              "城乡居民收入比", "Urban–rural income ratio", "倍", "times",
              "分城乡住户调查：城镇可支配收入/农村纯收入（至2012年）",
              "separate surveys: urban disposable / rural net income (to 2012)"),
    GapSeries("income_ratio", "urban_disposable_income_new_survey", "rural_disposable_income",
              "ratio", "城乡居民人均可支配收入比", "Urban–rural disposable income ratio", "倍",
              "times", "城乡一体化住户调查（2013年起）", "integrated household survey (2013+)"),
    GapSeries("consumption_ratio", "urban_consumption", "rural_consumption", "ratio",
              "城乡居民人均消费支出比", "Urban–rural consumption ratio", "倍", "times",
              "城乡一体化住户调查（2013年起）", "integrated household survey (2013+)"),
    GapSeries("engel_gap", "rural_engel_current_series", "urban_engel_current_series",
              "difference", "城乡恩格尔系数差（农村减城镇）", "Rural minus urban Engel coefficient",
              "百分点", "points", "国家统计局现行历史序列（统一口径）",
              "NBS current historical series (one basis throughout)"),
    GapSeries("health_workers_ratio", "health_workers_per_10k_urban",
              "health_workers_per_10k_rural", "ratio", "城乡每万人卫生技术人员比（城市/农村）",
              "Health technicians per 10,000, urban over rural", "倍", "times",
              "卫生统计口径（城市/农村）", "health statistics (城市/农村)"),
    GapSeries("doctors_ratio", "doctors_per_10k_urban", "doctors_per_10k_rural", "ratio",
              "城乡每万人执业（助理）医师比", "Licensed doctors per 10,000, urban over rural", "倍",
              "times", "卫生统计口径（城市/农村）", "health statistics (城市/农村)"),
    GapSeries("beds_ratio", "beds_per_10k_urban", "beds_per_10k_rural", "ratio",
              "城乡每万人医疗机构床位比", "Hospital beds per 10,000, urban over rural", "倍",
              "times", "卫生统计口径（城市/农村）", "health statistics (城市/农村)"),
)

# periods for the weak point of the national index: reform eras, then the integrated survey
PERIODS = ((1978, 1991, "改革开放初期", "early reform"),
           (1992, 2002, "市场化改革期", "market reform"),
           (2003, 2012, "统筹城乡时期", "balancing urban and rural"),
           (2013, 2024, "城乡融合时期", "urban–rural integration"))


def _series(panel: Panel) -> pd.DataFrame:
    d = panel.data
    d = d[d.region_code == NATIONAL_CODE] if NATIONAL_CODE in set(d.region_code) else d
    return d.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")


def _gap_table(wide: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for g in NATIONAL_GAPS:
        if g.a not in wide or g.b not in wide:
            continue
        both = wide[[g.a, g.b]].dropna()
        if both.empty:
            continue
        a, b = both[g.a], both[g.b]
        value = a / b if g.kind == "ratio" else a - b
        rows.append(pd.DataFrame({
            "series": g.id, "name_zh": g.name_zh, "name_en": g.name_en, "unit_zh": g.unit_zh,
            "unit_en": g.unit_en, "concept_zh": g.concept_zh, "concept_en": g.concept_en,
            "year": both.index.astype(int), "a": g.a, "b": g.b, "value_a": a.to_numpy(),
            "value_b": b.to_numpy(), "gap": value.to_numpy()}))
    cols = ["series", "name_zh", "name_en", "unit_zh", "unit_en", "concept_zh", "concept_en",
            "year", "a", "b", "value_a", "value_b", "gap"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def _flows(wide: pd.DataFrame) -> pd.DataFrame:
    """Urbanisation of the resident population (each vintage on its own), rural electricity per
    rural resident, and the farm share of rural employment."""
    specs = [
        ("urbanisation_2016_vintage", "population_urban_2016_vintage",
         "population_total_2016_vintage", 100.0, "常住人口城镇化率（2016年版）",
         "Urbanisation rate (2016 vintage)", "%", "%"),
        ("urbanisation", "population_urban", "population_total", 100.0,
         "常住人口城镇化率（现行版本）", "Urbanisation rate (current vintage)", "%", "%"),
        ("farm_share_rural_employment", "employment_agriculture", "rural_employment", 100.0,
         "乡村从业人员中农林牧渔业比重", "Farm share of rural employment", "%", "%"),
        # 亿千瓦时 / 万人 = 1e8 kWh / 1e4 persons: × 1e4 gives kWh per person
        ("rural_electricity_per_capita", "rural_electricity", "population_rural_2016_vintage",
         1e4, "农村人均用电量（按2016年版乡村人口）",
         "Rural electricity per rural resident (2016-vintage population)", "千瓦时/人",
         "kWh per person"),
    ]
    rows = []
    for sid, a, b, scale, zh, en, uzh, uen in specs:
        if a not in wide or b not in wide:
            continue
        both = wide[[a, b]].dropna()
        rows.append(pd.DataFrame({"series": sid, "name_zh": zh, "name_en": en, "unit_zh": uzh,
                                  "unit_en": uen, "year": both.index.astype(int),
                                  "value": (scale * both[a] / both[b]).to_numpy()}))
    cols = ["series", "name_zh", "name_en", "unit_zh", "unit_en", "year", "value"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def _claims(gaps: pd.DataFrame, alpha: float) -> dict:
    out = {}
    for sid, sub in gaps.groupby("series", sort=False):
        y, v = sub.year.to_numpy(), sub.gap.to_numpy()
        ch = change_claim(y, v) if len(v) >= 2 else None
        out[sid] = {"change": ch, "trend": gap_trend_claim(y, v, alpha=alpha),
                    "first_row": int(sub.index[0]), "last_row": int(sub.index[-1]),
                    "peak_row": int(sub.gap.idxmax()), "trough_row": int(sub.gap.idxmin())}
        if ch is not None and ch.values["peak_year"] not in (y[0], y[-1]):
            after = sub[sub.year >= ch.values["peak_year"]]
            out[sid]["since_peak"] = gap_trend_claim(after.year.to_numpy(), after.gap.to_numpy(),
                                                     alpha=alpha)
        # a U-shaped series (falling, then widening again) is read from its trough too, so
        # "fell from 1980 to 2014" never hides a widening since the trough
        if ch is not None and ch.values["trough_year"] not in (y[0], y[-1]):
            after = sub[sub.year >= ch.values["trough_year"]]
            out[sid]["since_trough"] = gap_trend_claim(after.year.to_numpy(),
                                                       after.gap.to_numpy(), alpha=alpha)
    return out


def _weak_points(obstacles: pd.DataFrame) -> pd.DataFrame:
    """Per period: mean obstacle degree (%) of each dimension, and the largest (the weak
    point)."""
    rows = []
    for lo, hi, zh, en in PERIODS:
        sub = obstacles[obstacles.year.between(lo, hi)]
        if sub.empty:
            continue
        m = sub.groupby(["dimension", "name_zh", "name_en"], as_index=False).obstacle.mean()
        m = m.sort_values("obstacle", ascending=False, kind="stable")
        years = sorted(sub.year.unique())
        for rank, r in enumerate(m.itertuples(), start=1):
            rows.append({"period_zh": zh, "period_en": en, "from": lo, "to": hi,
                         "years_scored": len(years), "first_scored": int(years[0]),
                         "last_scored": int(years[-1]), "dimension": r.dimension,
                         "dimension_zh": r.name_zh, "dimension_en": r.name_en,
                         "mean_obstacle": float(r.obstacle), "rank": rank})
    return pd.DataFrame(rows)


def run(ctx: RunContext) -> SectionResult:
    _, _, title_zh, title_en = SECTIONS["national"]
    nat = ctx.national()
    if nat is None:
        from ..analysis import skipped

        return skipped("national", "分析设定未给出全国城乡数据（national_data）",
                       "the spec names no national urban and rural data (national_data)")
    alpha = ctx.spec.options.alpha
    wide = _series(nat)
    gaps = _gap_table(wide)
    flows = _flows(wide)
    tables = [Table("national_gaps", "全国城乡差距（按统计口径）",
                    "National urban–rural gaps, by survey concept", gaps,
                    labels={"a": "指标a", "b": "指标b", "value_a": "指标a的数值",
                            "value_b": "指标b的数值", "gap": "差距（比值或差值）"}),
              Table("national_flows", "全国城镇化、农村用电与乡村就业",
                    "National urbanisation, rural electricity and rural employment", flows)]
    facts: dict = {"gaps": _claims(gaps, alpha)}
    # every number a reading cites is a cell: the tests behind each gap reading
    rows = []
    for sid, c in facts["gaps"].items():
        for kind in ("trend", "since_peak", "since_trough"):
            if kind in c:
                v = c[kind].values
                c[f"{kind}_row"] = len(rows)
                rows.append({"series": sid, "test": kind, "verdict": c[kind].verdict,
                             "n": v.get("n"), "tau": v.get("tau"), "p_value": v.get("p_value"),
                             "slope": v.get("slope"), "alpha": alpha,
                             "method": c[kind].method})
    tables.append(Table("national_tests", "城乡差距的趋势检验（Mann–Kendall）",
                        "Trend tests of the gaps (Mann–Kendall)", pd.DataFrame(rows)))
    facts["flows"] = {}
    for sid, sub in flows.groupby("series", sort=False):
        facts["flows"][sid] = {"change": change_claim(sub.year.to_numpy(), sub.value.to_numpy()),
                               "first_row": int(sub.index[0]), "last_row": int(sub.index[-1])}
    notes = [Note("2013年起城乡居民收入与消费来自城乡一体化住户调查，与此前分城乡调查口径不同："
                  "两段分别计算、分别绘制，从不连接。",
                  "From 2013 urban and rural income and consumption come from the integrated "
                  "household survey, whose definitions differ from the separate surveys before "
                  "it: the two periods are computed and drawn apart and never joined.")]
    index_rows, obstacle_rows, statuses = [], [], []
    for i, name in enumerate(ctx.spec.national_frameworks):
        res, st = ctx.scored(name, role="national_data")
        statuses.append(st)
        if res is None or not st.computable:
            notes.append(Note(f"{st.name_zh}未计算：{st.reason_zh}。",
                              f"{st.name_en} was not computed: {st.reason_en}."))
            continue
        sc = res.tables["scores"]
        dims = [d for d, _, _ in st.kept]
        part = sc[["year", "total", *dims]].copy()
        part.insert(0, "framework", name)
        part.insert(1, "period", i)
        part.insert(2, "name_zh", st.name_zh)
        part.insert(3, "name_en", st.name_en)
        index_rows.append(part)
        ob = res.tables["dimension_obstacles"].copy()
        ob.insert(0, "framework", name)
        obstacle_rows.append(ob)
    if index_rows:
        idx = pd.concat(index_rows, ignore_index=True)
        obs = pd.concat(obstacle_rows, ignore_index=True)
        obs = obs[["framework", "year", "dimension", "name_zh", "name_en", "obstacle"]]
        weak = _weak_points(obs)
        tables += [Table("national_index", "全国城乡融合指数（固定目标值）",
                         "National urban–rural integration index (fixed goalposts)", idx),
                   Table("national_obstacles", "全国城乡融合指数：维度障碍度（%）",
                         "National integration index: obstacle degree by dimension (%)", obs),
                   Table("national_weak_points", "各时期的薄弱环节（平均障碍度，%）",
                         "The weak point of each period (mean obstacle degree, %)", weak)]
        facts["index"] = {}
        for name, sub in idx.groupby("framework", sort=False):
            y, v = sub.year.to_numpy(), sub.total.to_numpy()
            facts["index"][name] = {
                "trend": trend_claim(y, v, alpha=alpha), "change": change_claim(y, v),
                "first_row": int(sub.index[0]), "last_row": int(sub.index[-1])}
        facts["weak_points"] = [
            {"row": int(r.Index), "period_zh": r.period_zh, "period_en": r.period_en}
            for r in weak[weak["rank"] == 1].itertuples()]
        modes = {ctx.framework(n).normalization.get("mode", "pooled") for n in idx.framework}
        facts["comparability"] = comparability_claim(modes.pop()) if len(modes) == 1 else None
    facts["status"] = statuses
    options = {"frameworks": list(ctx.spec.national_frameworks), "alpha": alpha,
               "periods": [[lo, hi] for lo, hi, _, _ in PERIODS],
               "trend_test": "Mann–Kendall (two-sided), Theil–Sen slope"}
    return SectionResult("national", title_zh, title_en, tuple(tables), facts, options,
                         tuple(notes))


