"""The header vocabulary of the result workbooks: one bilingual header for every column.

A header reads ``中文标签（单位） english label (unit)``, e.g. ``半衰期（年） half life (years)``;
a column without a fixed unit has none (``基尼系数 gini``). Three sources, in this order:

1. a table's own labels (:attr:`urbanrural.pipeline.sections.base.Table.labels`, column →
   Chinese label), for a letter or a name that means one thing in one table and another
   elsewhere (``D`` is the coupling coordination degree in a coupling table and Dagum's
   relative economic affluence in a Dagum table), and its units (``Table.units``);
2. :data:`VOCABULARY`, the labels of whole column names that mean one thing wherever they
   appear;
3. the rules for systematic names: a suffix ``_zh`` / ``_en`` (the text in Chinese / English),
   ``_w`` / ``_weighted`` (population-weighted), ``_u`` / ``_unweighted`` (unweighted),
   ``_ci_low`` / ``_ci_high``; a prefix naming a world service (``water_``, ``sanitation_``,
   ``hygiene_``, ``open_defecation_``), ``n_`` (a count), ``p_to_<k>`` (a transition
   probability), ``median_`` / ``min_`` / ``max_``, ``rank_``, ``U_`` (a subsystem index).
   The part after a prefix is looked up again, table labels first, so ``min_D`` in a
   coupling table reads "耦合协调度最小值"; the base before a suffix is read from the
   vocabulary only (a table's ``mean`` may be a verdict, its ``mean_weighted`` a number).

A name none of these knows keeps its header as it is (a user's own column, e.g. an
indicator id): a header is never invented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .units import unit_en

__all__ = ["Label", "VOCABULARY", "resolve", "header", "parse_unit"]

_CJK = re.compile(r"[\u3400-\u9fff\uff08\uff09]")


@dataclass(frozen=True)
class Label:
    """The Chinese label, the English label and the unit (Chinese, English) of one column."""

    zh: str
    en: str
    unit: tuple[str, str] | None = None


# units: (Chinese, English)
PCT = ("%", "%")
PP = ("百分点", "pp")
SHARE = ("占比", "0–1")
PROB = ("概率", "0–1")
YEARS = ("年", "years")
PER_YEAR = ("每年", "per year")


def _l(zh: str, en: str, unit: tuple[str, str] | None = None) -> Label:
    return Label(zh, en, unit)


# Whole column names that mean one thing in every table of the package. Letters and names
# whose meaning depends on the table (D, a, b in some tables, top, mean…) get their label
# from the table (Table.labels) instead; the entries here are the context-free reading.
VOCABULARY: dict[str, Label] = {
    # where and when
    "region_code": _l("地区代码", "region code"), "region": _l("地区", "region"),
    "country": _l("国家", "country"), "year": _l("年份", "year"),
    "first_year": _l("起始年", "first year"), "last_year": _l("结束年", "last year"),
    "start": _l("起始年", "start year"), "end": _l("结束年", "end year"),
    "from": _l("起始年", "from year"), "to": _l("结束年", "to year"),
    "break_year": _l("口径断点年份", "break year"), "max_year": _l("省份最多的年份", "max year"),
    "peak_year": _l("峰值年份", "peak year"), "trough_year": _l("谷值年份", "trough year"),
    "first_scored": _l("首个有得分的年份", "first scored year"),
    "last_scored": _l("最后有得分的年份", "last scored year"),
    "first_survey_year": _l("最早调查年份", "first survey year"),
    "last_survey_year": _l("最近调查年份", "last survey year"),
    "years_before": _l("断点前年份", "years before"), "years_after": _l("断点后年份", "years after"),
    "missing_years": _l("缺失年份", "missing years"), "period": _l("时期", "period"),
    "periods": _l("期数", "periods"), "periods_used": _l("使用的期数", "periods used"),
    "discarded_periods": _l("舍弃的初始期数", "discarded periods"),
    "half_life": _l("半衰期", "half life", YEARS),
    "sojourn_years": _l("平均停留时间", "sojourn time", YEARS),
    "speed": _l("收敛速度λ", "convergence speed λ", PER_YEAR),
    # names, indicators, sources
    "name": _l("名称", "name"), "indicator": _l("指标", "indicator"),
    "series": _l("序列", "series"), "variable": _l("变量", "variable"),
    "dataset": _l("数据集", "dataset"), "id": _l("序列代码", "series id"),
    "before_id": _l("断点前序列代码", "series id before"),
    "after_id": _l("断点后序列代码", "series id after"),
    "urban_id": _l("城镇序列代码", "urban series id"), "rural_id": _l("农村序列代码", "rural series id"),
    "urban_indicator": _l("城镇指标", "urban indicator"),
    "rural_indicator": _l("农村指标", "rural indicator"),
    "unit": _l("单位", "unit"), "value": _l("数值", "value"), "source": _l("来源", "source"),
    "licence": _l("许可", "licence"), "notes": _l("说明", "notes"),
    "description": _l("说明", "description"), "reason": _l("原因代码", "reason code"),
    "warnings": _l("警告", "warnings"), "concept": _l("统计口径", "survey concept"),
    "basis": _l("比较基准", "basis"), "measure": _l("指标", "measure"),
    "setting": _l("设定", "setting"), "meaning": _l("含义", "meaning"),
    "version": _l("版本", "version"), "method": _l("方法", "method"),
    "test": _l("检验", "test"), "kind": _l("类型", "kind"),
    "key": _l("判断代码", "claim key"), "claim": _l("判断代码", "claim"),
    "verdict": _l("判断", "verdict"), "reading": _l("解读", "reading"),
    "population_source": _l("人口数据来源", "population source"),
    "used_by": _l("用于", "used by"),
    # coverage
    "n": _l("样本数", "n"), "n_years": _l("年数", "number of years"),
    "n_regions": _l("地区数", "number of regions"), "n_values": _l("数值个数", "number of values"),
    "n_provinces": _l("省份数", "number of provinces"), "n_total": _l("省份总数", "total provinces"),
    "n_before": _l("断点前数值个数", "values before"), "n_after": _l("断点后数值个数", "values after"),
    "n_urban_only": _l("仅有城镇数据的省份数", "provinces with urban side only"),
    "n_rural_only": _l("仅有农村数据的省份数", "provinces with rural side only"),
    "n_cross_sections": _l("截面数", "number of cross-sections"),
    "n_country_years": _l("国家-年份数", "country-years"),
    "n_dimensions": _l("维度数", "number of dimensions"),
    "k_dimensions": _l("有数据的维度数", "dimensions with data"),
    "min_dimensions": _l("最低维度比例", "minimum share of dimensions", SHARE),
    "min_provinces": _l("最少省份数", "minimum provinces"),
    "max_provinces": _l("两侧均有数据的最多省份数", "most provinces with both sides"),
    "years_with_both": _l("两侧均有数据的年数", "years with both sides"),
    "years_scored": _l("有得分的年数", "years scored"),
    "urban_in_data": _l("数据中有城镇序列", "urban series in data"),
    "rural_in_data": _l("数据中有农村序列", "rural series in data"),
    "complete": _l("是否完整", "complete"), "missing": _l("缺失项", "missing"),
    "coverage": _l("覆盖率", "coverage", SHARE), "min_coverage": _l("最低覆盖率", "minimum coverage", SHARE),
    "computable": _l("是否可计算", "computable"), "partial": _l("是否为部分指数", "partial index"),
    "kept": _l("保留的维度", "kept dimensions"), "why_not": _l("不可计算原因代码", "reason code"),
    "role": _l("指标角色", "role"), "needs": _l("所需数据", "data needed"),
    "ids_needed": _l("所需序列代码", "series ids needed"),
    "ids_missing": _l("缺少的序列代码", "series ids missing"),
    "file_names_read": _l("识别的文件名", "file names read"),
    # urban–rural comparisons
    "urban": _l("城镇", "urban"), "rural": _l("农村", "rural"), "ratio": _l("城乡比", "ratio"),
    "difference": _l("差值", "difference"), "gap": _l("城乡差距", "gap"),
    "abs_gap": _l("城乡差距绝对值", "absolute gap"),
    "median_abs_gap": _l("各国城乡差距绝对值中位数", "median absolute gap"), "pair": _l("城乡指标对", "pair"),
    "urban_rural_theil": _l("城乡泰尔指数", "urban–rural Theil"),
    "a": _l("比较值a", "a"), "b": _l("比较值b", "b"),
    "value_a": _l("指标a数值", "value of a"), "value_b": _l("指标b数值", "value of b"),
    "urbanisation": _l("常住人口城镇化率", "urbanisation rate", PCT),
    "population_total": _l("年末常住人口", "resident population", ("万人", "10,000 persons")),
    "population_urban": _l("城镇人口", "urban population", ("万人", "10,000 persons")),
    "weighted_mean": _l("人口加权平均值", "population-weighted mean"),
    # indices, frameworks, obstacles
    "framework": _l("指标体系", "framework"), "dimension": _l("维度", "dimension"),
    "total": _l("总体", "total"), "score": _l("得分", "score"), "rank": _l("排名", "rank"),
    "component": _l("分解项", "component"), "share": _l("占比", "share", SHARE),
    "contribution": _l("贡献", "contribution"), "group": _l("组别", "group"),
    "weight": _l("权重", "weight"), "weights": _l("权重", "weights"),
    "partition": _l("区域划分", "partition"),
    "obstacle": _l("障碍度", "obstacle degree", PCT),
    "mean_obstacle": _l("平均障碍度", "mean obstacle degree", PCT),
    "living_standards": _l("维度得分：城乡居民生活水平差距", "living standards"),
    "public_services": _l("维度得分：城乡基本公共服务差距", "public services"),
    "factor_flows": _l("维度得分：人口流动", "factor flows"),
    "infrastructure": _l("维度得分：城乡基础设施差距", "infrastructure"),
    "prosperity": _l("维度得分：富裕程度", "prosperity"),
    "distribution": _l("维度得分：分配均衡", "distribution"),
    "sharing": _l("维度得分：公共服务共享", "sharing"),
    # coupling coordination (Wang, Kong et al. 2021): C and T are coupling-only names here;
    # D is not, so a coupling table labels it itself
    "C": _l("耦合度", "C"), "T": _l("综合发展指数", "T"),
    "grade": _l("协调等级", "grade"), "lagging": _l("滞后子系统", "lagging subsystem"),
    "U_gap": _l("子系统评价指数差（城镇−农村）", "U gap"),
    "n_scored": _l("有得分的国家数", "countries scored"), "form": _l("耦合度模型形式", "form"),
    # inequality and its decompositions
    "gini": _l("基尼系数", "Gini"), "theil": _l("泰尔指数T", "Theil T"),
    "mean": _l("均值", "mean"), "median": _l("中位数", "median"),
    "min": _l("最小值", "minimum"), "max": _l("最大值", "maximum"),
    "mean_abs_diff": _l("平均绝对差Δ", "mean absolute difference"),
    "mean_abs_diff_ratio": _l("加权与不加权平均绝对差之比", "mean absolute difference ratio"),
    "mean_ratio": _l("加权与不加权均值之比", "mean ratio"),
    "log_diff": _l("平均绝对差对数比ln(Δw/Δu)", "log difference ratio"),
    "log_mean": _l("均值对数比ln(μw/μu)", "log mean ratio"),
    "driver": _l("主导因素", "driver"), "differences": _l("加权与不加权平均绝对差比较", "differences"),
    "between": _l("组间", "between"), "within": _l("组内", "within"),
    "between_share": _l("组间贡献率", "between share", SHARE),
    "within_share": _l("区域内差异贡献率", "within share", SHARE),
    "net_between": _l("区域间净差异", "net between"),
    "net_between_share": _l("区域间净差异贡献率", "net between share", SHARE),
    "transvariation": _l("超变密度", "transvariation"),
    "transvariation_share": _l("超变密度贡献率", "transvariation share", SHARE),
    "theil_between": _l("泰尔指数组间差异", "Theil between"),
    "theil_within": _l("泰尔指数组内差异", "Theil within"),
    "theil_between_share": _l("泰尔指数组间贡献率", "Theil between share", SHARE),
    "dagum_net_between_share": _l("达古姆区域间净差异贡献率", "Dagum net between share", SHARE),
    "dagum_vs_theil": _l("达古姆与泰尔组间份额比较", "Dagum vs Theil"),
    "group_a": _l("区域A", "group a"), "group_b": _l("区域B", "group b"),
    "weighting": _l("加权方式", "weighting"), "k": _l("类别数k", "k"),
    "count_share": _l("省份份额", "count share", SHARE),
    "population_share": _l("人口份额", "population share", SHARE),
    "provinces": _l("省份", "provinces"), "codes": _l("地区代码", "codes"),
    # tests and claims
    "alpha": _l("显著性水平α", "alpha"), "tau": _l("肯德尔τ", "Kendall tau"),
    "p_value": _l("p值", "p value", PROB), "p": _l("p值", "p", PROB),
    "trend_p": _l("趋势检验p值", "trend p", PROB), "trend_slope": _l("趋势斜率", "trend slope"),
    "slope": _l("泰尔–森斜率", "Theil–Sen slope"),
    "slope_low": _l("泰尔–森斜率置信区间下限", "slope low"),
    "slope_high": _l("泰尔–森斜率置信区间上限", "slope high"),
    "ci_low": _l("置信区间下限", "CI low"), "ci_high": _l("置信区间上限", "CI high"),
    "first": _l("首年值", "first"), "last": _l("末年值", "last"), "change": _l("变化量", "change"),
    "change_abs": _l("变化量绝对值", "absolute change"),
    "pct_change": _l("相对变化", "relative change", ("比例", "fraction")),
    "peak": _l("峰值", "peak"), "trough": _l("谷值", "trough"),
    "bound": _l("判为相同的容差", "tolerance bound"),
    "n_better": _l("排名更靠前的单位数", "units better"),
    "n_worse": _l("排名更靠后的单位数", "units worse"),
    "share_better": _l("排名更靠前的单位占比", "share better", SHARE),
    "tied": _l("并列的单位", "tied units"), "n_tied": _l("并列单位数", "units tied"),
    "n_ranked": _l("参与排名数", "number ranked"),
    "share_smaller": _l("城乡差距更小的单位占比", "share with smaller gap", SHARE),
    "china_years": _l("中国有数据的年数", "China's years"),
    "mode": _l("标准化方式", "normalisation mode"),
    # convergence
    "model": _l("模型", "model"), "beta": _l("β系数", "beta"), "se": _l("标准误", "standard error"),
    "t": _l("t统计量", "t statistic"), "r2": _l("拟合优度R²", "R²"),
    "short_t_bias": _l("短面板偏误（Nickell）", "short-T bias"),
    "sigma_measure": _l("σ收敛离散度指标", "sigma measure"),
    "sigma_slope": _l("σ收敛趋势斜率", "sigma slope"), "sigma_p": _l("σ收敛p值", "sigma p", PROB),
    "beta_p": _l("β收敛p值", "beta p", PROB),
    "sigma_reading": _l("σ收敛解读", "sigma reading"), "beta_reading": _l("β收敛解读", "beta reading"),
    "log_t": _l("log t统计量", "log t"), "log_t_reading": _l("log t解读", "log t reading"),
    "log_t_version": _l("log t所用版本", "log t version"),
    "log_t_logs": _l("log t统计量（对数）", "log t on logs"),
    "log_t_alt_unit": _l("log t统计量（对数，另一计量单位）", "log t on logs, other unit"),
    "log_t_units": _l("log t是否随计量单位变化", "log t unit dependence"),
    "scale": _l("计量单位换算系数", "unit scale"), "take_log": _l("是否取对数", "take log"),
    "r": _l("初始舍弃比例r", "discarded fraction r", SHARE),
    "hp_lambda": _l("HP滤波平滑参数λ", "HP lambda"),
    "convention": _l("log t计算惯例", "convention"), "critical_t": _l("临界t值", "critical t"),
    "one_sign": _l("各序列同号", "one sign"), "merge": _l("俱乐部合并方法", "club merging"),
    "cstar": _l("俱乐部筛选临界值c*", "c*"), "club": _l("收敛俱乐部", "club"),
    "club_log_t": _l("俱乐部log t统计量", "club log t"),
    "club_b": _l("俱乐部log t回归系数b", "club b"), "club_se": _l("俱乐部b的标准误", "club se"),
    "club_cstar": _l("俱乐部筛选临界值c*", "club c*"),
    "initial_club": _l("初始俱乐部", "initial club"), "initial_clubs": _l("初始俱乐部", "initial clubs"),
    "n_clubs": _l("收敛俱乐部数", "number of clubs"), "n_initial_clubs": _l("初始俱乐部数", "initial clubs"),
    "n_divergent": _l("发散省份数", "divergent provinces"), "members": _l("成员", "members"),
    # spatial statistics and Markov chains
    "I": _l("莫兰指数I", "Moran's I"), "EI": _l("莫兰指数期望值E(I)", "E(I)"),
    "z_norm": _l("正态近似z值", "z (normal)"), "p_norm": _l("正态近似p值", "p (normal)", PROB),
    "p_sim": _l("置换检验伪p值（单侧）", "p (permutation)", PROB),
    "p_two_sided": _l("置换检验伪p值（双侧）", "p two-sided", PROB),
    "p_used": _l("采用的p值", "p used", PROB), "p_source": _l("p值来源", "p source"),
    "p_threshold": _l("校正后的显著性阈值", "p threshold", PROB),
    "permutations": _l("置换次数", "permutations"), "seed": _l("随机数种子", "seed"),
    "contiguity": _l("空间邻接规则", "contiguity"), "hainan_link": _l("海南连接的省份", "Hainan link"),
    "q": _l("莫兰散点图象限", "quadrant q"), "tested": _l("是否检验", "tested"),
    "untested_reason": _l("未检验原因", "untested reason"),
    "significant": _l("是否显著", "significant"), "significance": _l("多重检验校正", "significance"),
    "cluster": _l("LISA集聚类型", "cluster"), "n_significant": _l("显著地区数", "significant"),
    "n_tested": _l("检验地区数", "tested"),
    "from_class": _l("期初类型", "from class"), "lag_class": _l("邻域类型", "lag class"),
    "n_from": _l("期初处于该类的观测数", "observations from"),
    "steady_state": _l("稳态分布", "steady state", SHARE),
    "class": _l("类型", "class"), "lower": _l("类别下界", "lower bound"),
    "upper": _l("类别上界", "upper bound"), "relative": _l("是否相对年均值", "relative"),
    "pooled": _l("是否合并各年分类", "pooled"), "lag_classes": _l("邻域类型数", "lag classes"),
    "transitions": _l("转移次数", "transitions"), "dof": _l("自由度", "degrees of freedom"),
    "Q": _l("同质性Q统计量", "Q"), "Q_p_value": _l("Q检验p值", "Q p value", PROB),
    "LR": _l("同质性似然比统计量", "LR"), "LR_p_value": _l("似然比检验p值", "LR p value", PROB),
}
# the top and the bottom fifth of provinces (disparity: weighting)
for _tail, _zh, _en in (("top", "最高组", "top"), ("bottom", "最低组", "bottom")):
    VOCABULARY.update({
        f"{_tail}_n": _l(f"{_zh}省份数", f"{_en} n"),
        f"{_tail}_count_share": _l(f"{_zh}省份份额", f"{_en} count share", SHARE),
        f"{_tail}_population_share": _l(f"{_zh}人口份额", f"{_en} population share", SHARE),
        f"{_tail}_min": _l(f"{_zh}最小值", f"{_en} min"),
        f"{_tail}_max": _l(f"{_zh}最大值", f"{_en} max"),
        f"{_tail}_provinces": _l(f"{_zh}省份", f"{_en} provinces"),
        f"{_tail}_codes": _l(f"{_zh}地区代码", f"{_en} codes"),
        _tail: _l(_zh, _en)})

# prefixes naming a world service (JMP), with the units of their parts in that context
SERVICES: dict[str, tuple[str, str]] = {
    "water": ("基本及以上饮用水服务", "water"), "sanitation": ("基本及以上卫生设施", "sanitation"),
    "hygiene": ("基本洗手设施", "hygiene"), "open_defecation": ("露天排便率", "open defecation")}
_SERVICE_UNITS = {"urban": PCT, "rural": PCT, "gap": PP, "abs_gap": PP, "median_abs_gap": PP}
_SERVICE_RE = re.compile(r"^(" + "|".join(sorted(SERVICES, key=len, reverse=True)) + r")_(.+)$")
_SUFFIXES = (("_zh", "（中文）", " (Chinese)", False), ("_en", "（英文）", " (English)", False),
             ("_ci_low", "置信区间下限", " CI low", True), ("_ci_high", "置信区间上限", " CI high", True))
_WEIGHTS = (("_weighted", "人口加权", "weighted"), ("_unweighted", "不加权", "unweighted"),
            ("_w", "人口加权", "weighted"), ("_u", "不加权", "unweighted"))
_STATS = {"median_": ("中位数", "median"), "min_": ("最小值", "min"), "max_": ("最大值", "max")}

def parse_unit(unit: str) -> tuple[str, str]:
    """A unit as (Chinese, English).

    ``"百分点 pp"`` and ``"百分点 / points"`` give ``("百分点", "pp")`` and
    ``("百分点", "points")``; a unit in one language only gets its English from
    :data:`urbanrural.outputs.units.UNITS_EN` (``"万人"`` → ``("万人", "10,000 persons")``).
    """
    text = str(unit).strip()
    if " / " in text:
        head, _, tail = text.partition(" / ")
        return head.strip(), tail.strip()
    head, _, tail = text.rpartition(" ")
    if head and _CJK.search(head) and not _CJK.search(tail):
        return head.strip(), tail
    return text, unit_en(text)


def resolve(column: str, labels: Mapping[str, str] | None = None) -> Label | None:
    """The label of ``column``: the table's ``labels`` first, then the vocabulary and the rules
    for systematic names (see the module docstring); ``None`` when none knows the name."""
    labels = labels or {}
    col = str(column)
    if col in labels:  # the table's meaning; the name's English and unit stay
        base = _known(col, {})
        return Label(labels[col], base.en if base else col.replace("_", " "),
                     base.unit if base else None)
    return _known(col, labels)


def _known(col: str, labels: Mapping[str, str]) -> Label | None:
    """The vocabulary's label of ``col`` or the one its rules build (parts: ``labels`` first)."""
    if col in VOCABULARY:
        return VOCABULARY[col]
    # a variant of a column (its text in one language, weighted or not, its interval) reads
    # its base from the vocabulary, not from the table: a table's "mean" may be a verdict
    # while its "mean_weighted" is a number
    for suffix, zh, en, keep_unit in _SUFFIXES:
        if col.endswith(suffix) and len(col) > len(suffix):
            base = _known(col[: -len(suffix)], {})
            if base is not None:
                return Label(base.zh + zh, base.en + en, base.unit if keep_unit else None)
    for suffix, zh, en in _WEIGHTS:
        if col.endswith(suffix) and len(col) > len(suffix):
            base = _known(col[: -len(suffix)], {})
            if base is not None:
                return Label(zh + base.zh, f"{base.en} {en}", base.unit)
    if col.endswith("_threshold"):
        base = resolve(col[: -len("_threshold")], labels)
        if base is not None:
            return Label(base.zh + "阈值", f"{base.en} threshold", base.unit)
    m = _SERVICE_RE.match(col)
    if m:
        service, rest = m.groups()
        part = resolve(rest, labels)
        if part is not None:
            zh, en = SERVICES[service]
            return Label(f"{zh}：{part.zh}", f"{en} {part.en}", _SERVICE_UNITS.get(rest, part.unit))
    m = re.fullmatch(r"p_to_(\d+)", col)
    if m:
        return Label(f"转移到第{m.group(1)}类的概率", f"p to class {m.group(1)}")
    for prefix, (zh, en) in _STATS.items():
        if col.startswith(prefix):
            part = resolve(col[len(prefix):], labels)
            if part is not None:
                return Label(part.zh + zh, f"{en} {part.en}", part.unit)
    if col.startswith("rank_"):
        part = resolve(col[5:], labels)
        if part is not None:
            return Label(f"按{part.zh}的排名", f"rank by {part.en}")
    if col.startswith("n_"):
        part = resolve(col[2:], labels)
        if part is not None:
            return Label(f"{part.zh}个数", f"number of {part.en}")
    if col.startswith("U_"):
        part = resolve(col[2:], labels)
        if part is not None:
            return Label(f"{part.zh}子系统评价指数U", f"U {part.en}")
    return None


def header(column: str, *, labels: Mapping[str, str] | None = None,
           units: Mapping[str, str] | None = None) -> str:
    """The workbook header of ``column``: ``中文（单位） english (unit)``.

    Parameters
    ----------
    column : the column name (machine-readable, as in the CSV files).
    labels : the table's own Chinese labels (column → label), which win over the vocabulary.
    units : the table's units (column → unit, ``"%"`` or ``"百分点 pp"``: Chinese, then
        English), which win over the vocabulary's unit.

    Returns
    -------
    str
        the bilingual header, or ``column`` unchanged when no label is known for it.

    Examples
    --------
    >>> header("half_life")
    '半衰期（年） half life (years)'
    >>> header("D", labels={"D": "耦合协调度"})
    '耦合协调度 D'
    >>> header("gini_w")
    '人口加权基尼系数 Gini weighted'
    >>> header("my_indicator")
    'my_indicator'
    """
    lab = resolve(column, labels)
    unit = lab.unit if lab is not None else None
    if units and column in units:
        unit = parse_unit(units[column])
    if lab is None:
        return str(column) if unit is None else f"{column} ({unit[1]})"
    zh = f"{lab.zh}（{unit[0]}）" if unit else lab.zh
    en = f"{lab.en} ({unit[1]})" if unit else lab.en
    return f"{zh} {en}"
