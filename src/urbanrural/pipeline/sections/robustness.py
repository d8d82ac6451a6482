"""Robustness: how far each index's ranks move under the choices the index is built from.

For every index the report scores and publishes (its framework's minimum met; see
:meth:`~urbanrural.pipeline.context.RunContext.scored`) — the provincial frameworks, the world
comparison (countries ranked within each year) and the national index — the section draws
alternative indices (normalisation, weighting, aggregation, one indicator left out, noisy
weights) on Saltelli's design and reports, for the last year: each unit's nominal rank with
its 5–95 % band over the draws, which ranks are not robust (:mod:`~urbanrural.methods.
robustness.claims`), the choice that moves each of them most (a total Sobol' index whose
bootstrap interval clears the others'; "not determined at N = …" otherwise), and the Sobol'
indices of every choice on the mean absolute rank shift. A framework that couples systems
(the world comparison) is ranked, as the report ranks it, by the coupling coordination degree
D, recomputed in every draw from the systems' scores.

The national index covers one region, China, over years: it ranks no regions. What its draws
can test is whether the years keep their order — the rank of each year among the years of
its period under every choice — and that is what the section reports for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...data.errors import DataError, Issue
from ..context import RunContext
from .base import Note, SectionResult, Table

__all__ = ["run", "Settings", "ROLES"]

ROLES = ("provinces", "world", "national")


@dataclass(frozen=True)
class Settings:
    """Settings of the robustness section.

    Attributes
    ----------
    n : draws asked for per index (Saltelli's design runs N·(D + 2) ≤ n, N a power of two;
        1024 gives N = 128 with five factors, 1.3–1.5 s for the world index. Sobol' indices
        then carry bootstrap 95 % half-widths of 0.02–0.24 on the countries' ranks (10–90 %,
        median 0.10; at n = 256, N = 32: 0.05–0.50, median 0.19), so the reading names a
        choice where its interval clears the others' — for 16 of the 150 countries of 2020
        on the bundled data; use the ``robustness`` command with a larger n for more).
    seed : seed of the design and of the noisy weights.
    top_k : k of the top-k and bottom-k shares.
    weight_noise : ε of the weight multipliers U(1 − ε, 1 + ε).
    robust_share : a rank is robust when its 5–95 % band spans at most this share of the
        units ranked (at least one place).
    include : which indices to analyse: ``provinces``, ``world``, ``national``.
    """

    n: int = 1024
    seed: int = 0
    top_k: int = 3
    weight_noise: float = 0.25
    robust_share: float = 0.1
    include: tuple[str, ...] = ROLES

    def __post_init__(self) -> None:
        checks = {
            "n": isinstance(self.n, int) and not isinstance(self.n, bool) and 16 <= self.n
            <= 1_000_000,
            "seed": isinstance(self.seed, int) and not isinstance(self.seed, bool)
            and self.seed >= 0,
            "top_k": isinstance(self.top_k, int) and not isinstance(self.top_k, bool)
            and 1 <= self.top_k <= 50,
            "weight_noise": isinstance(self.weight_noise, (int, float))
            and 0 <= self.weight_noise < 1,
            "robust_share": isinstance(self.robust_share, (int, float))
            and 0 < self.robust_share < 1,
            "include": isinstance(self.include, tuple) and set(self.include) <= set(ROLES),
        }
        rules = {"n": "a whole number from 16 to 1,000,000", "seed": "a whole number ≥ 0",
                 "top_k": "a whole number from 1 to 50", "weight_noise": "a number in [0, 1)",
                 "robust_share": "a number in (0, 1)",
                 "include": f"a list of {', '.join(ROLES)}"}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError([Issue(f"settings.robustness.{k}: bad value {getattr(self, k)!r} "
                                   f"({rules[k]}) / 稳健性设置 {k} 的取值无效",
                                   value=f"settings.robustness.{k}") for k in bad])


_RANK_LABELS = {
    "region_zh": "地区", "region_en": "地区（英文）", "region_code": "地区代码", "year": "年份",
    "score": "名义得分", "rank": "名义排名", "rank_q05": "排名5%分位数",
    "rank_median": "排名中位数", "rank_q95": "排名95%分位数", "top_share": "位列前k的比例",
    "bottom_share": "位列后k的比例", "units_ranked": "参与排名的单位数",
    "interval_width": "排名区间宽度", "allowed_width": "稳健所允许的宽度",
    "robust": "排名是否稳健", "moved_most": "影响最大的选择", "moved_most_ST": "其总效应指数",
    "moved_share": "排名变动的抽样比例", "robust_zh": "排名是否稳健（中文）",
    "robust_en": "排名是否稳健（英文）", "moved_most_zh": "影响最大的选择（中文）",
    "moved_most_en": "影响最大的选择（英文）", "sampling_error": "Sobol估计是否超出[0, 1]（抽样误差）",
    "rank_D": "按耦合协调度D的名义排名",
}
VERDICT_LABELS = {"robust": ("稳健", "robust"), "not_robust": ("不稳健", "not robust")}


def _moved_label(verdict: str, base_n: int, lang: int) -> str:
    """The words of a :func:`~urbanrural.methods.robustness.claims.dominant_factor_claim`
    verdict (0: Chinese, 1: English)."""
    from ..robustness import FACTOR_LABELS

    if verdict in FACTOR_LABELS:
        return FACTOR_LABELS[verdict][lang]
    return {"not_determined": (f"在N = {base_n}时无法确定", f"not determined at N = {base_n}"),
            "rank_does_not_move": ("排名几乎不变（变动的抽样不足5%）",
                                   "the rank moves in fewer than 5 % of the draws"),
            "no_dominant_factor": ("没有单独起主导作用的选择", "no single dominant choice"),
            }[verdict][lang]
_SOBOL_LABELS = {"factor": "因素", "name_zh": "因素（中文）", "name_en": "因素（英文）",
                 "levels": "水平数", "varies": "是否变化", "S1": "一阶Sobol指数",
                 "S1_conf": "一阶指数95%置信半宽", "ST": "总效应Sobol指数",
                 "ST_conf": "总效应指数95%置信半宽",
                 "sampling_error": "估计是否超出[0, 1]（抽样误差）"}
_REV_LABELS = {"year": "年份", "upper_code": "名义排名靠前者代码", "upper_zh": "名义排名靠前者",
               "upper_en": "名义排名靠前者（英文）", "upper_rank": "其名义排名",
               "lower_code": "名义排名靠后者代码", "lower_zh": "名义排名靠后者",
               "lower_en": "名义排名靠后者（英文）", "lower_rank": "其名义排名",
               "upper_year": "靠前者的年份", "lower_year": "靠后者的年份",
               "reversal_share": "次序颠倒的抽样比例"}
_CHOICE_LABELS = {"framework": "框架", "factor": "因素", "name_zh": "因素（中文）",
                  "name_en": "因素（英文）", "level": "水平序号", "choice": "选项",
                  "nominal": "是否为名义选择"}


def _targets(ctx: RunContext, include: tuple[str, ...]):
    """(code, role, framework name, result, status) of every index the report scores."""
    spec = ctx.spec
    out = []
    if "provinces" in include:
        for j, name in enumerate(spec.frameworks, start=1):
            out.append((f"prov{j}", "data", name))
    if "world" in include and spec.world_data and spec.world_framework:
        out.append(("world", "world_data", spec.world_framework))
    if "national" in include and spec.national_data:
        for j, name in enumerate(spec.national_frameworks, start=1):
            out.append((f"nat{j}", "national_data", name))
    return out


def run(ctx: RunContext) -> SectionResult:
    """Uncertainty and Sobol' sensitivity of the ranks of every published index."""
    import numpy as np
    import pandas as pd

    from ...methods.robustness.claims import dominant_factor_claim, rank_robustness_claim
    from ..analysis import skipped
    from ..robustness import FACTOR_LABELS, UncertaintyChoices, index_uncertainty
    from . import SECTIONS

    st_: Settings = ctx.spec.setting("robustness")
    tables: list[Table] = []
    notes: list[Note] = []
    analysed: list[dict[str, Any]] = []
    not_scored: list[dict[str, str]] = []
    choice_frames = []
    for code, role, name in _targets(ctx, st_.include):
        res, status = ctx.scored(name, role=role)
        if res is None or not status.computable:
            fw = ctx.framework(name)
            not_scored.append({"framework": name, "name_zh": status.name_zh,
                               "name_en": status.name_en, "k_dimensions": status.k_dimensions,
                               "n_dimensions": status.n_dimensions,
                               "min_dimensions": fw.min_dimensions,
                               "why_not": "share" if status.n_dimensions and status.k_dimensions /
                               status.n_dimensions < fw.min_dimensions else "other",
                               "reason_zh": status.reason_zh, "reason_en": status.reason_en})
            continue
        panel = {"data": ctx.panel, "national_data": ctx.national, "world_data": ctx.world}[role]()
        ctx.progress(f"robustness {name}")
        u = index_uncertainty(panel, ctx.framework(name), result=res, n=st_.n, seed=st_.seed,
                              top_k=st_.top_k, choices=UncertaintyChoices(weight_noise=st_.weight_noise))
        notes.extend(Note(f"{status.name_zh}：{zh}", f"{status.name_en}: {en}")
                     for zh, en in u.notes)
        ranks = u.tables["ranks"]
        last_year = int(ranks.year.max())
        # the band of the last year: regions of that year, or (one region) every year
        rows = np.flatnonzero(ranks.year.to_numpy() == last_year) \
            if u.ranked_over == "regions" else np.arange(len(ranks))
        rows = rows[np.argsort(ranks["rank"].to_numpy()[rows], kind="stable")]
        shown = ranks.iloc[rows].reset_index(drop=True)
        factors = list(u.result.varying)
        sr = u.tables["sobol_ranks"]
        keys = pd.MultiIndex.from_arrays([shown.region_code, shown.year])

        if factors:  # one column per factor, the regions shown
            piv = sr.pivot_table(index=["region_code", "year"], columns="factor",
                                 values=["ST", "ST_conf", "S1"], observed=True,
                                 dropna=False).reindex(keys)
            st_wide, conf_wide, s1_wide = (piv[c][factors].to_numpy() for c in ("ST", "ST_conf", "S1"))
        else:
            st_wide = conf_wide = s1_wide = np.zeros((len(shown), 0))
        robust, moved, moved_st, sampling = [], [], [], []
        for i, r in enumerate(shown.itertuples()):  # one claim per region shown
            c = rank_robustness_claim(r.rank_q05, r.rank_q95, r.units_ranked,
                                      share=st_.robust_share)
            robust.append(c.verdict)
            d = dominant_factor_claim(st_wide[i], factors, conf=conf_wide[i], first=s1_wide[i],
                                      moved_share=r.moved_share, base_n=u.result.base_n)
            moved.append(d.verdict)
            # the total index is printed only with the factor it singles out
            moved_st.append(d.values["ST"] if d.verdict in factors else np.nan)
            sampling.append(d.values["sampling_error"])
        shown["allowed_width"] = [rank_robustness_claim(0, 0, k, share=st_.robust_share)
                                  .values["allowed"] for k in shown.units_ranked]
        shown["robust"] = robust
        shown["robust_zh"] = [VERDICT_LABELS[v][0] for v in robust]
        shown["robust_en"] = [VERDICT_LABELS[v][1] for v in robust]
        shown["moved_most"] = moved
        shown["moved_most_zh"] = [_moved_label(v, u.result.base_n, 0) for v in moved]
        shown["moved_most_en"] = [_moved_label(v, u.result.base_n, 1) for v in moved]
        shown["moved_most_ST"] = moved_st
        shown["sampling_error"] = sampling
        # a coupled framework ranked by T (rank_by="total"): give the report's rank by D too
        coupled = "coupling" in res.tables and u.ranked_over == "regions" and \
            u.ranked_score == "T"
        if coupled:  # the rank the report gives by the coupling coordination degree D
            ct = res.tables["coupling"]
            rank_d = ct.groupby("year")["D"].rank(ascending=False, method="min")
            shown["rank_D"] = pd.Series(rank_d.to_numpy(), index=pd.MultiIndex.from_arrays(
                [ct.region_code, ct.year])).reindex(keys).to_numpy()
        sob = u.tables["sobol"]
        vary = np.flatnonzero(sob.varies.to_numpy())  # fixed factors have no estimate to test
        dom = dominant_factor_claim(sob.ST.to_numpy()[vary], tuple(sob.factor.iloc[vary]),
                                    conf=sob.ST_conf.to_numpy()[vary],
                                    first=sob.S1.to_numpy()[vary], base_n=u.result.base_n)
        key = f"robust_{code}"
        what = ("各年", "years") if u.ranked_over == "years" else (f"{last_year}年", str(last_year))
        tables.append(Table(f"{key}_ranks", f"{status.name_zh}：{what[0]}的名义排名与抽样排名区间",
                            f"{status.name_en}: nominal rank and rank band over the draws, "
                            f"{what[1]}", shown, labels=_RANK_LABELS,
                            units={"top_share": "比例 share", "bottom_share": "比例 share"}))
        tables.append(Table(f"{key}_sobol", f"{status.name_zh}：各选择对平均排名变动的Sobol指数",
                            f"{status.name_en}: Sobol' indices of each choice on the mean "
                            "absolute rank shift", sob, labels=_SOBOL_LABELS))
        shown_keys = pd.MultiIndex.from_arrays([shown.region_code, shown.year])
        sr_shown = sr[pd.MultiIndex.from_arrays([sr.region_code, sr.year]).isin(shown_keys)]
        tables.append(Table(f"{key}_sobol_ranks",
                            f"{status.name_zh}：各选择对每个单位排名的Sobol指数（{what[0]}）",
                            f"{status.name_en}: Sobol' indices of each choice on each unit's "
                            f"rank, {what[1]}", sr_shown, labels={
                                "region_code": "地区代码", "region_zh": "地区",
                                "region_en": "地区（英文）", "year": "年份", "factor": "因素",
                                "S1": "一阶Sobol指数", "ST": "总效应Sobol指数",
                                "ST_conf": "总效应指数95%置信半宽"}))
        rev = u.tables["reversals"]
        tables.append(Table(f"{key}_reversals", f"{status.name_zh}：多数抽样中次序颠倒的排名对",
                            f"{status.name_en}: pairs whose order reverses in most draws", rev,
                            labels=_REV_LABELS, units={"reversal_share": "比例 share"}))
        choice_frames.append(u.tables["choices"].assign(framework=name))
        nr = [i for i, v in enumerate(robust) if v == "not_robust"]
        nr.sort(key=lambda i: -float(shown.interval_width.iloc[i]))
        china = [i for i, c in enumerate(shown.region_code) if c == "CHN"]
        analysed.append({
            "code": code, "framework": name, "name_zh": status.name_zh,
            "name_en": status.name_en, "ranked_over": u.ranked_over, "year": last_year,
            "ranks_key": f"{key}_ranks", "sobol_key": f"{key}_sobol",
            "reversals_key": f"{key}_reversals", "n_shown": len(shown),
            "not_robust_rows": nr, "n_not_robust": len(nr), "n_robust": len(shown) - len(nr),
            "china_row": china[0] if china else None, "dominant": dom,
            "dominant_row": int(vary[dom.values["factor_index"]]) if dom.verdict in factors
            else None, "draws": u.result.draws, "base_n": u.result.base_n,
            "n_reversals": len(rev), "factors": factors, "coupled": coupled,
            "ranked_score": u.ranked_score,
            "allowed": int(shown.allowed_width.iloc[0]) if len(shown) else 0})
    if not analysed:
        why_zh = "；".join(f"{s['name_zh']}：{s['reason_zh']}" for s in not_scored) or \
            "分析设定中没有可计算的指数"
        why_en = "; ".join(f"{s['name_en']}: {s['reason_en']}" for s in not_scored) or \
            "the analysis spec scores no index"
        return skipped("robustness", f"没有一个指数达到其框架规定的最低要求，无法分析稳健性（{why_zh}）。",
                       f"No index meets its framework's minimum, so there is no ranking to test "
                       f"({why_en}).")
    summary = pd.DataFrame([{
        "code": a["code"], "framework": a["framework"], "name_zh": a["name_zh"],
        "name_en": a["name_en"], "year": a["year"], "units": a["n_shown"],
        "draws": a["draws"], "base_n": a["base_n"], "allowed_width": a["allowed"],
        "not_robust": a["n_not_robust"], "robust": a["n_robust"],
        "reversals": a["n_reversals"], "dominant_factor": a["dominant"].verdict,
        "dominant_zh": _moved_label(a["dominant"].verdict, a["base_n"], 0),
        "dominant_en": _moved_label(a["dominant"].verdict, a["base_n"], 1),
        "dominant_ST": a["dominant"].values["ST"] if a["dominant_row"] is not None else np.nan,
        "ranked_score": a["ranked_score"]} for a in analysed])
    for i, a in enumerate(analysed):
        a["summary_row"] = i
    tables.insert(0, Table("robust_summary", "各指数排名稳健性概览", "Robustness of each index at a glance",
                           summary, labels={
                               "code": "代号", "framework": "框架", "name_zh": "指数（中文）",
                               "name_en": "指数（英文）", "year": "年份", "units": "排名单位数",
                               "draws": "抽样次数", "base_n": "Saltelli基础样本量N",
                               "allowed_width": "稳健所允许的区间宽度",
                               "not_robust": "排名不稳健的单位数", "robust": "排名稳健的单位数",
                               "reversals": "多数抽样中颠倒的排名对数",
                               "dominant_factor": "对平均排名变动影响最大的选择",
                               "dominant_zh": "影响最大的选择（中文）",
                               "dominant_en": "影响最大的选择（英文）",
                               "dominant_ST": "其总效应指数",
                               "ranked_score": "排名所依据的得分"}))
    if not_scored:
        tables.append(Table("robust_not_scored", "未达到框架最低要求、未作稳健性分析的指数",
                            "Indices below their framework's minimum, not analysed",
                            pd.DataFrame(not_scored), labels={
                                "framework": "框架", "name_zh": "指数（中文）",
                                "name_en": "指数（英文）", "k_dimensions": "数据覆盖的维度数",
                                "n_dimensions": "框架的维度数",
                                "min_dimensions": "最低维度比例", "why_not": "原因代码",
                                "reason_zh": "原因（中文）", "reason_en": "原因（英文）"},
                            units={"min_dimensions": "比例 share"}))
    tables.append(Table("robust_choices", "各指数的备选方案（第0个水平为名义选择）",
                        "Choices of each index (level 0 is the nominal one)",
                        pd.concat(choice_frames, ignore_index=True), labels=_CHOICE_LABELS))
    settings = pd.DataFrame([{"setting": "n", "value": float(st_.n)},
                             {"setting": "seed", "value": float(st_.seed)},
                             {"setting": "top_k", "value": float(st_.top_k)},
                             {"setting": "weight_noise", "value": float(st_.weight_noise)},
                             {"setting": "robust_share", "value": float(st_.robust_share)}]
                            + [{"setting": f"draws_{a['code']}", "value": float(a["draws"])}
                               for a in analysed]
                            + [{"setting": f"base_n_{a['code']}", "value": float(a["base_n"])}
                               for a in analysed])
    tables.append(Table("robust_settings", "本节的设定", "Settings of this section", settings,
                        labels={"setting": "设定", "value": "取值"}))
    _, _, tzh, ten = SECTIONS["robustness"]
    return SectionResult(
        "robustness", tzh, ten, tables=tuple(tables),
        facts={"analysed": analysed, "not_scored": not_scored,
               "factor_labels": FACTOR_LABELS, "settings_rows": {
                   r: i for i, r in enumerate(settings.setting)}},
        options={"n": st_.n, "seed": st_.seed, "top_k": st_.top_k,
                 "weight_noise": st_.weight_noise, "robust_share": st_.robust_share,
                 "include": list(st_.include)},
        notes=tuple(notes))
