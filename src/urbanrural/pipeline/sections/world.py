"""China among the world: urban–rural gaps in basic services, China's rank and trajectory.

For each paired indicator of the world panel (WHO/UNICEF JMP basic drinking water, basic
sanitation, open defecation and basic hygiene; OPHI multidimensional poverty headcount) the
section computes every country's urban–rural gap, ranks the countries that have both sides,
and follows China's gap, rank and the median country's gap over 2000–2020. The framework of the
world comparison (``urban_rural_services``: an urban and a rural subsystem on fixed goalposts,
coupled by the corrected form of Wang et al. 2021) adds China's coordination degree and its
rank by it, year by year.

Rules (stated once, applied everywhere):

* The gap is the disadvantaged side's shortfall: urban − rural for a service (more is better),
  rural − urban for open defecation and poverty (less is better). A positive gap means the
  rural population is worse off.
* Countries are ranked by the size of the gap, |gap| (rank 1 = closest to urban–rural parity;
  a rural population better served than the urban one is a gap too). Ties share the smallest
  rank and are listed. Only countries with both an urban and a rural value in the year ranked
  are counted; the number ranked is always given.
* Trends are read on the size of the gap, |gap|: a gap that changes sign has closed and
  reopened, and its signed value falling further would not be a narrowing.
* JMP pairs are compared in one year (China's latest year with both sides). OPHI's MPI has one
  survey per country, so each country's survey is compared, whatever its year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import Panel
from ...data.errors import DataError
from ...methods.claims import (
    Claim,
    change_claim,
    comparability_claim,
    compare_claim,
    gap_trend_claim,
    trend_claim,
)
from ...methods.composite.coupling import coupling_coordination
from ..analysis import skipped
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["run", "position_claim", "PAIRS", "Pair", "CHINA", "TIE_DECIMALS"]

CHINA = "CHN"
# Gaps are differences of values published to two decimals; float subtraction leaves noise of
# ~1e-14 (95.17 − 87.87 ≠ 90.17 − 82.87 in binary), which would split true ties. Ranks and
# tie checks compare values rounded to this many decimals.
TIE_DECIMALS = 9
# a coupling degree above this says "highly coupled" in the usual grading; the share of
# country-years above it shows how little the standard C tells countries apart
C_CROWDED = 0.9
# workbook labels of the coupling tables (Table.labels): D is the coupling coordination
# degree here, not Dagum's relative economic affluence
COUPLING_LABELS = {"C": "耦合度", "T": "综合发展指数", "D": "耦合协调度", "grade": "协调等级"}
# China's ranks among the countries (also the parts of world_china_gaps' water_rank…)
RANK_LABELS = {"rank": "中国的位次", "n_ranked": "参与排名的国家数",
               "share_smaller": "城乡差距小于中国的国家占比"}


@dataclass(frozen=True)
class Pair:
    """A paired urban/rural indicator: ``{base}_urban`` and ``{base}_rural`` in the panel."""

    key: str
    base: str
    higher_is_better: bool
    name_zh: str
    name_en: str
    # one survey per country (MPI): compare each country's survey rather than one year
    one_survey: bool = False

    @property
    def gap_zh(self) -> str:
        return "城镇−农村" if self.higher_is_better else "农村−城镇"

    @property
    def gap_en(self) -> str:
        return "urban − rural" if self.higher_is_better else "rural − urban"


PAIRS: tuple[Pair, ...] = (
    Pair("water", "water_basic_or_better", True, "基本及以上饮用水服务",
         "At least basic drinking water"),
    Pair("sanitation", "sanitation_basic_or_better", True, "基本及以上卫生设施",
         "At least basic sanitation"),
    Pair("open_defecation", "sanitation_open_defecation", False, "露天排便率", "Open defecation"),
    Pair("hygiene", "hygiene_basic", True, "基本洗手设施", "Basic hygiene (handwashing)"),
    Pair("mpi", "mpi_cme_headcount_ratio", False, "多维贫困发生率", "MPI headcount ratio",
         one_survey=True),
)


def position_claim(labels: Sequence[str], values: Sequence, target: str, *,
                   higher_is_better: bool = True, decimals: int = TIE_DECIMALS) -> Claim:
    """Where one unit stands among those measured: its rank, with every unit tied with it.

    Rank = 1 + the number of units strictly better (ties share the smallest rank, as pandas
    ``rank(method="min")``). Values are compared rounded to ``decimals`` so that float noise
    does not split true ties. ``verdict`` is ``"ranked"``, or ``"not_ranked"`` when ``target``
    has no value among ``labels`` (it is never ranked among units that lack data).
    ``values``: rank, n, value, tied (labels of the other units with the same value),
    n_better, n_worse, share_better ((rank − 1) / n).

    Examples
    --------
    >>> c = position_claim(["a", "b", "c", "d"], [1.0, 2.0, 2.0, 5.0], "b", higher_is_better=False)
    >>> c.values["rank"], c.values["n"], c.values["tied"]
    (2, 4, ['c'])
    """
    v = np.round(np.asarray(values, dtype=float), decimals)
    lab = np.asarray(labels, dtype=object)
    if v.shape != lab.shape or v.ndim != 1:
        raise ValueError("position: labels and values must be two 1-D arrays of one length")
    if not np.isfinite(v).all():
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        raise ValueError(f"position: {lab[i]} has no value; leave units without data out")
    if len(set(lab.tolist())) != len(lab):
        raise ValueError("position: a label appears twice")
    method = "1 + units strictly better" + ("" if higher_is_better else " (lower is better)")
    hit = np.flatnonzero(lab == target)
    if hit.size == 0:
        return Claim("position", "not_ranked", {"n": int(len(v))}, method)
    x = v[hit[0]]
    better = v > x if higher_is_better else v < x
    same = (v == x) & (lab != target)
    n_better, n = int(better.sum()), int(len(v))
    return Claim("position", "ranked", {
        "rank": n_better + 1, "n": n, "value": float(x), "tied": [str(s) for s in lab[same]],
        "n_better": n_better, "n_worse": int(n - n_better - 1 - same.sum()),
        "share_better": n_better / n}, method, ("ties_included",) if same.any() else ())


def _ranks(key: pd.Series, by: pd.Series | None, *, ascending: bool) -> pd.Series:
    """Rank 1 = best, ties share the smallest rank (the rule of :func:`position_claim`)."""
    k = key.round(TIE_DECIMALS)
    if by is None:
        return k.rank(method="min", ascending=ascending).astype(int)
    return k.groupby(by).rank(method="min", ascending=ascending).astype(int)


def _pair_frame(panel: Panel, pair: Pair) -> pd.DataFrame:
    """Every country-year with both sides: region_code, year, urban, rural, gap, abs_gap."""
    u, r = f"{pair.base}_urban", f"{pair.base}_rural"
    d = panel.data
    w = d[d["indicator"].isin([u, r])].pivot_table(
        index=["region_code", "year"], columns="indicator", values="value", aggfunc="first")
    w = w.reindex(columns=[u, r]).dropna().reset_index()
    w.columns = ["region_code", "year", "urban", "rural"]
    sign = 1.0 if pair.higher_is_better else -1.0
    w["gap"] = sign * (w["urban"] - w["rural"])
    w["abs_gap"] = w["gap"].abs()
    w["year"] = w["year"].astype(int)
    return w


def _with_ranks(both: pd.DataFrame, by_year: bool) -> pd.DataFrame:
    by = both["year"] if by_year else None
    out = both.assign(rank=_ranks(both["abs_gap"], by, ascending=True))
    out["n_ranked"] = out.groupby("year")["rank"].transform("size") if by_year else len(out)
    out["share_smaller"] = (out["rank"] - 1) / out["n_ranked"]
    return out


def _labels(panel: Panel, codes: pd.Series) -> tuple[list[str], list[str]]:
    return ([panel.region_label(c, "zh") for c in codes],
            [panel.region_label(c, "en") for c in codes])


def _claims_table(claims: dict[str, Claim]) -> pd.DataFrame:
    rows = []
    for key, c in claims.items():
        row = c.to_frame().assign(key=key)
        if c.kind == "position":
            row["tied"] = ", ".join(c.values.get("tied", []))
        rows.append(row)
    t = pd.concat(rows, ignore_index=True)
    first = ["key", "kind", "verdict", "method", "notes"]
    return t[first + [c for c in t.columns if c not in first]]


def _gap_part(ctx: RunContext, panel: Panel, pairs: list[Pair]
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Claim], dict]:
    """Tables 1 and 2 and their claims."""
    latest_rows, rank_rows, traj, claims, facts = [], [], [], {}, {}
    for pair in pairs:
        both = _pair_frame(panel, pair)
        chn = both[both.region_code == CHINA].sort_values("year")
        if pair.one_survey:  # each country's latest survey, whatever its year
            cross = both.sort_values("year").groupby("region_code").tail(1)
            basis_zh, basis_en = "各国最近一次调查", "each country's latest survey"
        else:
            ref = int(chn.year.max()) if len(chn) else int(both.year.max())
            cross = both[both.year == ref]
            basis_zh, basis_en = "同一年份", "same year"
        cross = _with_ranks(cross.reset_index(drop=True), by_year=False)
        cross = cross.sort_values(["rank", "region_code"], ignore_index=True)
        zh, en = _labels(panel, cross.region_code)
        latest_rows.append(cross.assign(indicator=pair.key, name_zh=pair.name_zh,
                                        name_en=pair.name_en, country_zh=zh, country_en=en,
                                        basis_en=basis_en))
        pos = position_claim(cross.region_code.tolist(), cross.abs_gap.to_numpy(), CHINA,
                             higher_is_better=False)
        median = float(cross.abs_gap.median())
        me = cross[cross.region_code == CHINA]
        cmp = (compare_claim(float(me.abs_gap.iloc[0]), median) if len(me) else None)
        trend = gap_trend_claim(chn.year.to_numpy(), chn.abs_gap.to_numpy(),
                                alpha=ctx.spec.options.alpha)
        claims[f"rank_{pair.key}"] = pos
        claims[f"gap_trend_{pair.key}"] = trend
        if cmp is not None:
            claims[f"vs_median_{pair.key}"] = cmp
        rank_rows.append({
            "indicator": pair.key, "name_zh": pair.name_zh, "name_en": pair.name_en,
            "gap_zh": pair.gap_zh, "gap_en": pair.gap_en, "basis_zh": basis_zh,
            "basis_en": basis_en,
            "year": float(me.year.iloc[0]) if len(me) else float(cross.year.max()),
            "urban": float(me.urban.iloc[0]) if len(me) else np.nan,
            "rural": float(me.rural.iloc[0]) if len(me) else np.nan,
            "gap": float(me.gap.iloc[0]) if len(me) else np.nan,
            "abs_gap": float(me.abs_gap.iloc[0]) if len(me) else np.nan,
            "rank": float(pos.values["rank"]) if pos.verdict == "ranked" else np.nan,
            "n_ranked": float(pos.values["n"]),
            "n_tied": float(len(pos.values.get("tied", []))) if pos.verdict == "ranked"
            else np.nan,
            "share_smaller": pos.values.get("share_better", np.nan),
            "median_abs_gap": median,
            "first_survey_year": float(cross.year.min()),
            "last_survey_year": float(cross.year.max()),
            "china_years": float(len(chn))})
        tied = pos.values.get("tied", [])
        facts[pair.key] = {"tied_zh": [panel.region_label(c, "zh") for c in tied],
                           "tied_en": [panel.region_label(c, "en") for c in tied]}
        if not pair.one_survey:
            ranked = _with_ranks(both, by_year=True)
            med = ranked.groupby("year").abs_gap.median().rename("median_abs_gap")
            n = ranked.groupby("year").size().rename("n_ranked")
            mine = ranked[ranked.region_code == CHINA].set_index("year")[
                ["urban", "rural", "gap", "abs_gap", "rank", "share_smaller"]]
            t = pd.concat([mine, n, med], axis=1).sort_index()
            t.columns = [f"{pair.key}_{c}" for c in t.columns]
            traj.append(t)
            if len(mine) >= 2:
                claims[f"rank_change_{pair.key}"] = change_claim(
                    mine.index.to_numpy(), mine.share_smaller.to_numpy())
    latest = pd.concat(latest_rows, ignore_index=True)[
        ["indicator", "name_zh", "name_en", "basis_en", "region_code", "country_zh",
         "country_en", "year", "urban", "rural", "gap", "abs_gap", "rank", "n_ranked"]]
    rank = pd.DataFrame(rank_rows)
    trajectory = pd.concat(traj, axis=1).sort_index() if traj else pd.DataFrame()
    trajectory = trajectory.rename_axis("year").reset_index()
    return latest, rank, trajectory, claims, facts


def _services_part(ctx: RunContext, name: str) -> dict | Note:
    """Table 3 (the framework's subsystems, Wang coupling and China's rank by D) and claims,
    or a :class:`Note` saying why the framework gives none on these data."""
    fw = ctx.framework(name)  # a bad framework file is an error, not a skipped part
    systems = list((fw.coupling or {}).get("systems", []))
    if systems != ["urban", "rural"]:
        return Note(f"世界比较框架“{fw.name_zh}”没有“城镇、农村”两个耦合子系统，本部分略去。",
                    f"The world framework “{fw.name_en}” does not couple an urban and a rural "
                    "subsystem, so this part is left out.")
    try:
        idx = ctx.index(name, role="world_data")
    except DataError as exc:  # the data lack the framework's indicators: say so, go on
        return Note(f"世界比较框架“{fw.name_zh}”无法在所给数据上计算（缺少其指标或覆盖不足），"
                    "本部分略去。",
                    f"The world framework “{fw.name_en}” cannot be computed on the data given "
                    f"({exc}), so this part is left out.")
    if "coupling" not in idx.tables:
        return Note(f"世界比较框架“{fw.name_zh}”的子系统不足两个，未计算耦合协调度，本部分略去。",
                    f"The world framework “{fw.name_en}” has fewer than two subsystems on these "
                    "data, so no coupling was computed and this part is left out.")
    ct = idx.tables["coupling"]
    cols = [f"U_{s}" for s in systems]
    d = ct[["region_code", "region_zh", "region_en", "year", *cols, "C", "T", "D", "grade_zh",
            "grade_en"]].copy()
    d["rank_D"] = _ranks(d["D"], d["year"], ascending=False)
    d["n_scored"] = d.groupby("year")["D"].transform("size")
    d["median_D"] = d.groupby("year")["D"].transform("median")
    d["U_gap"] = d[cols[0]] - d[cols[1]]
    mine = d[d.region_code == CHINA].sort_values("year", ignore_index=True)
    china = mine[["year", *cols, "U_gap", "C", "T", "D", "grade_zh", "grade_en", "rank_D",
                  "n_scored", "median_D"]].reset_index(drop=True)
    last = int(d.year.max())
    latest = d[d.year == last].sort_values(["rank_D", "region_code"], ignore_index=True)[
        ["region_code", "region_zh", "region_en", "year", *cols, "C", "T", "D", "grade_zh",
         "grade_en", "rank_D", "n_scored"]].rename(columns={"region_zh": "country_zh",
                                                           "region_en": "country_en"})
    # the case for the corrected form: the standard C barely moves across country-years
    U = d[cols].to_numpy()
    forms = []
    for form in ("standard", "wang"):
        cc = coupling_coordination(U, form=form)
        forms.append({"form": form, "n_country_years": float(len(U)),
                      "min_C": float(cc.C.min()), "median_C": float(np.median(cc.C)),
                      "C_threshold": C_CROWDED,
                      "share_C_above_threshold": float((cc.C > C_CROWDED).mean()),
                      "min_D": float(cc.D.min()), "median_D": float(np.median(cc.D))})
    claims: dict[str, Claim] = {}
    alpha = ctx.spec.options.alpha
    if len(mine):
        claims["services_D_trend"] = trend_claim(mine.year.to_numpy(), mine.D.to_numpy(),
                                                 alpha=alpha)
        claims["services_gap_trend"] = gap_trend_claim(mine.year.to_numpy(),
                                                       mine.U_gap.abs().to_numpy(), alpha=alpha)
        me = latest[latest.region_code == CHINA]
        if len(me):
            claims["services_vs_median"] = compare_claim(float(me.D.iloc[0]),
                                                         float(latest.D.median()))
    claims["services_comparability"] = comparability_claim(
        fw.normalization.get("mode", "pooled"))
    claims["services_rank"] = position_claim(latest.region_code.tolist(), latest.D.to_numpy(),
                                             CHINA, higher_is_better=True)
    unavailable = idx.tables.get("unavailable", pd.DataFrame())
    return {"china": china, "latest": latest, "forms": pd.DataFrame(forms), "claims": claims,
            "systems": systems, "form": fw.coupling.get("form", "standard"),
            "normalization": fw.normalization.get("mode", "pooled"),
            "unavailable": unavailable}


def run(ctx: RunContext) -> SectionResult:
    """The world section: tables, claims and notes (see the module docstring for the rules)."""
    world = ctx.world()
    if world is None:
        return skipped("world", "未提供世界数据（world_data），本节略去。",
                       "No world data (world_data) were given, so this section is left out.")
    ids = set(world.indicator_ids)
    pairs = [p for p in PAIRS if {f"{p.base}_urban", f"{p.base}_rural"} <= ids]
    if not pairs or CHINA not in world.regions:
        return skipped("world", "世界数据中没有中国或没有成对的城乡指标，本节略去。",
                       "The world data hold no China or no paired urban and rural "
                       "indicators, so this section is left out.")
    notes: list[Note] = []
    missing = [p for p in PAIRS if p not in pairs]
    for p in missing:
        notes.append(Note(f"数据中没有{p.name_zh}的城乡成对指标（{p.base}_urban / _rural），未作比较。",
                          f"The data hold no urban and rural pair for {p.name_en} "
                          f"({p.base}_urban / _rural); it is not compared."))
    latest, rank, trajectory, claims, pair_facts = _gap_part(ctx, world, pairs)
    tables = [
        Table("world_china_rank", "中国城乡差距的世界排名（最近年份）",
              "China's urban–rural gaps ranked among countries (latest year)", rank,
              {"urban": "%", "rural": "%", "gap": "百分点 pp", "abs_gap": "百分点 pp",
               "median_abs_gap": "百分点 pp"},
              {**RANK_LABELS, "gap_zh": "差距定义（中文）", "gap_en": "差距定义（英文）"}),
        Table("world_china_gaps", "中国城乡差距、排名与世界中位数（逐年）",
              "China's urban–rural gaps, ranks and the world median, by year", trajectory,
              labels=RANK_LABELS),
        Table("world_gap_latest", "各国城乡差距（最近年份，按差距大小排序）",
              "Urban–rural gaps of every country (latest year, by size of gap)", latest,
              {"urban": "%", "rural": "%", "gap": "百分点 pp", "abs_gap": "百分点 pp"},
              {"rank": "按城乡差距绝对值的位次", "n_ranked": "参与排名的国家数"}),
    ]
    fw_name = ctx.spec.world_framework
    services = _services_part(ctx, fw_name) if fw_name else None
    if isinstance(services, Note):
        notes.append(services)
        services = None
    options = {"world_data": ctx.spec.world_data, "world_framework": fw_name,
               "alpha": ctx.spec.options.alpha, "tie_decimals": TIE_DECIMALS,
               "rank_rule": "|gap| ascending; ties share the smallest rank",
               "pairs": [p.key for p in pairs]}
    if not fw_name:
        notes.append(Note("分析设定中没有世界比较框架（world_framework），未计算耦合协调度。",
                          "The analysis sets no world framework (world_framework), so no "
                          "coupling coordination is computed."))
    if services is not None:
        claims.update(services["claims"])
        options.update({"coupling_form": services["form"],
                        "normalization": services["normalization"]})
        tables += [
            Table("world_services_china", "中国城乡基本服务子系统与耦合协调度（逐年）",
                  "China's urban and rural basic-services subsystems and coordination, by "
                  "year", services["china"],
                  labels={**COUPLING_LABELS, "rank_D": "中国按耦合协调度的位次",
                          "n_scored": "有得分的国家数", "median_D": "各国耦合协调度中位数"}),
            Table("world_services_latest", "各国城乡基本服务耦合协调度（最近年份）",
                  "Basic-services coupling coordination of every country (latest year)",
                  services["latest"],
                  labels={**COUPLING_LABELS, "rank_D": "按耦合协调度的位次",
                          "n_scored": "有得分的国家数"}),
            Table("world_coupling_forms", "标准与修正耦合度模型的区分度",
                  "How well the standard and the corrected coupling degree tell "
                  "country-years apart", services["forms"],
                  {"share_C_above_threshold": "占比 0–1"},
                  {**COUPLING_LABELS, "C_threshold": "高耦合阈值（耦合度）",
                   "share_C_above_threshold": "耦合度高于阈值的国家-年份占比"}),
        ]
        # the index's reasons are English and carry uncited numbers: say which rule applied
        sources = {lf.id: lf.source for lf in ctx.framework(fw_name).indicators()}
        un = services["unavailable"]
        if len(un):
            in_data = un.indicator.map(sources).isin(ids).to_numpy()
            for mask, zh_why, en_why in (
                    (in_data, "覆盖的国家-年份少于框架规定的最低比例",
                     "cover fewer country-years than the framework's minimum coverage"),
                    (~in_data, "不在数据中", "are not in the data")):
                if mask.any():
                    notes.append(Note(
                        "框架指标" + "".join(f"“{n}”" for n in un.name_zh[mask]) +
                        f"{zh_why}，未纳入指数。",
                        "Framework indicators " + ", ".join(f"“{n}”" for n in un.name_en[mask])
                        + f" {en_why} and are left out of the index."))
    claim_table = _claims_table(claims)
    tables.append(Table("world_claims", "本节各项判断及其检验", "The readings of this section "
                        "and the tests behind them", claim_table,
                        labels={"n_better": "优于中国的单位数", "n_worse": "劣于中国的单位数",
                                "share_better": "优于中国的单位占比", "tied": "与中国并列的单位",
                                "rank": "中国的位次"}))
    facts = {"pairs": [p.key for p in pairs], "claims": claims,
             "claim_rows": {k: i for i, k in enumerate(claim_table.key)},
             "rank_rows": {k: i for i, k in enumerate(rank.indicator)},
             "ties": pair_facts, "services": services is not None,
             "coupling_form": services["form"] if services else None,
             # pairs with a China series to chart (hygiene: JMP has no estimate for China)
             "series_pairs": [p.key for p in pairs if not p.one_survey
                              and f"{p.key}_gap" in trajectory.columns
                              and trajectory[f"{p.key}_gap"].notna().any()]}
    _, _, zh, en = SECTIONS["world"]
    return SectionResult("world", zh, en, tuple(tables), facts, options, tuple(notes))
