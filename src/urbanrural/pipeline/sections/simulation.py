"""情景模拟 / Scenario simulation: the calibrated dual economy (fit, out-of-sample validation
against a random walk with drift) and the built-in scenarios to the target year with their
bands and the contribution of each lever.

The section shows a scenario output only where the model forecast its series out of sample at
least as well as the naive benchmark, and says so where it did not.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...data.errors import DataError, Issue
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    """Settings of the simulation section.

    Attributes
    ----------
    draws : parameter draws of the ensemble (Laplace posterior).
    seed : seed of the draws (``None``: the run's ``options.seed``).
    until : the last simulated year.
    first_year : the first year (the model starts from its observed state).
    validation_end : the last year of the validation calibration.
    scenarios : a scenario YAML file (``None``: the built-in scenarios).
    """

    draws: int = 1000
    seed: int | None = None
    until: int = 2035
    first_year: int = 2000
    validation_end: int = 2010
    scenarios: str | None = None

    def __post_init__(self) -> None:
        checks = {
            "draws": isinstance(self.draws, int) and 10 <= self.draws <= 200_000,
            "seed": self.seed is None or (isinstance(self.seed, int) and self.seed >= 0),
            "until": isinstance(self.until, int) and 2025 <= self.until <= 2100,
            "first_year": isinstance(self.first_year, int) and 1978 <= self.first_year <= 2010,
            "validation_end": isinstance(self.validation_end, int) and
            self.first_year + 5 <= self.validation_end <= 2020,
            "scenarios": self.scenarios is None or (isinstance(self.scenarios, str) and
                                                    bool(self.scenarios)),
        }
        rules = {"draws": "a whole number from 10 to 200,000", "seed": "a whole number ≥ 0",
                 "until": "a year from 2025 to 2100", "first_year": "a year from 1978 to 2010",
                 "validation_end": "a year at least 5 after first_year and at most 2020",
                 "scenarios": "a path to a scenario YAML file"}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError([Issue(f"settings.simulation.{k}: bad value {getattr(self, k)!r} "
                                   f"({rules[k]}) / 情景模拟设置 {k} 的取值无效",
                                   value=f"settings.simulation.{k}") for k in bad])


TABLES = {  # key in the run → (sheet key, title_zh, title_en, labels)
    "parameters": ("simulation_parameters", "模型参数：校准值（含90%区间）与设定值",
                   "Model parameters: calibrated (with 90 % intervals) and assumed",
                   {"parameter": "参数", "estimate": "取值", "std_error": "标准误",
                    "lower_90": "90%区间下限",
                    "upper_90": "90%区间上限", "kind": "类型（校准或设定）", "source": "来源",
                    "at_bound": "位于取值边界", "kind_zh": "类型", "kind_en": "类型（英文）",
                    "posterior_p05": "后验5%分位数", "posterior_median": "后验中位数",
                    "posterior_p95": "后验95%分位数"}),
    "fit": ("simulation_fit", "校准拟合（全部年份）", "Calibration fit (all years)",
            {"scale": "测量尺度系数", "rmse_log_pct": "对数均方根误差（%）",
             "bias_log_pct": "对数平均误差（%）", "n": "观测数"}),
    "validation": ("simulation_validation", "样本外检验：2010年前校准，与带漂移随机游走比较",
                   "Out-of-sample validation: calibrated to 2010, against a random walk with drift",
                   {"from_year": "起始年", "to_year": "终止年", "n": "检验年数", "anchor": "起点代码",
                    "anchor_zh": "起点", "anchor_en": "起点（英文）",
                    "model_rmse_log_pct": "模型对数均方根误差（%）",
                    "naive_rmse_log_pct": "朴素基准对数均方根误差（%）",
                    "dm_statistic": "DM统计量（HLN修正）", "dm_p_value": "DM检验p值",
                    "verdict": "判断代码", "verdict_zh": "判断", "verdict_en": "判断（英文）",
                    "model_at_least_as_good": "模型不逊于基准"}),
    "validation_parameters": ("simulation_valid_params", "检验用校准（至2010年）的参数",
                              "Parameters of the validation calibration (to 2010)",
                              {"parameter": "参数", "estimate": "取值", "std_error": "标准误",
                    "lower_90": "90%区间下限",
                               "upper_90": "90%区间上限"}),
    "friction": ("simulation_friction", "迁移成本的变化（2000—2015年）与已发表估计",
                 "Change of the migration cost 2000–2015 and the published estimate",
                 {"from_year": "起始年", "to_year": "终止年", "model_fall_pct": "模型变化（%）",
                  "p05": "5%分位数", "p95": "95%分位数",
                  "published_fall_pct": "已发表估计（%）", "published_source": "文献",
                  "band_covers_published": "区间包含已发表估计",
                  "band_verdict": "区间判断"}),
    "lever_profile": ("simulation_lever_profile", "户籍改革杠杆在迁移成本趋势剖面上的效应（点估计）",
                      "Effect of the hukou-reform lever over the profile of the migration-cost trend "
                      "(point estimates)",
                      {"point": "剖面点代码", "point_zh": "剖面点", "point_en": "剖面点（英文）",
                       "tau_trend": "迁移成本的年对数变化",
                       "fall_2000_2015_pct": "2000—2015年迁移成本变化（%）",
                       "rss": "残差平方和", "delta_rss_over_s2": "残差平方和增量除以残差方差",
                       "inside_95": "在95%剖面似然区间内", "mu": "迁移速度（重新校准）",
                       "tau0": "初始迁移成本（重新校准）", "scenario": "情景", "year": "年份",
                       "effect_urbanisation": "城镇化率效应（百分点）",
                       "effect_income_ratio": "城乡收入比效应"}),
    "identification": ("simulation_identification", "杠杆机制所依赖参数的识别检查",
                       "Identification of the parameters the levers' mechanisms run through",
                       {"parameter": "参数", "estimate": "校准值", "lower_bound": "取值下界",
                        "upper_bound": "取值上界", "verdict": "判断代码", "verdict_zh": "判断",
                        "verdict_en": "判断（英文）", "readable": "可作判断"}),
    "sampling": ("simulation_sampling", "参数抽样（拉普拉斯近似提议、重要性重抽样）",
                 "Parameter draws (Laplace proposals, importance-resampled)",
                 {"proposals": "提议抽样数", "inside_bounds": "落在取值范围内的提议数",
                  "effective_sample_size": "有效样本量（Kish）", "draws": "抽样数", "seed": "随机种子"}),
    "scenarios": ("simulation_scenarios", "情景与政策杠杆", "Scenarios and their levers",
                  {"scenario": "情景", "lever": "杠杆代码", "lever_zh": "杠杆", "lever_en": "杠杆（英文）",
                   "from_year": "起始年",
                   "to_year": "终止年", "value": "取值"}),
    "target": ("simulation_target_year", "目标年份的情景结果（中位数与90%区间，及相对基准的配对差）",
               "Scenarios in the target year (median, 90 % band, paired effect against the baseline)",
               {"scenario": "情景", "p05": "5%分位数", "median": "中位数", "p95": "95%分位数",
                "effect_p05": "效应5%分位数", "effect_median": "效应中位数",
                "effect_p95": "效应95%分位数", "quantity": "结果变量"}),
    "contributions": ("simulation_contributions", "各杠杆的贡献（单独、组合与交互）",
                      "Contribution of each lever (one at a time, combined, interaction)",
                      {"scenario": "情景", "p05": "5%分位数", "median": "中位数", "p95": "95%分位数",
                       "kind": "类型代码", "kind_zh": "类型", "kind_en": "类型（英文）",
                       "levers": "杠杆", "quantity": "结果变量"}),
    "bands": ("simulation_bands", "情景路径（中位数与90%区间）", "Scenario paths (median and 90 % band)",
              {"scenario": "情景", "p05": "5%分位数", "median": "中位数", "p95": "95%分位数",
               "quantity": "结果变量"}),
    "observed": ("simulation_observed", "对应的观测值（各口径分开）",
                 "Observed counterparts (each concept apart)",
                 {"quantity": "结果变量", "concept": "口径", "value": "数值"}),
}


def run(ctx: RunContext) -> SectionResult:
    from ...methods.simulate.readings import READING_LABELS
    from ..analysis import skipped
    from ..simulate import load_scenarios, run_simulation

    _, _, title_zh, title_en = SECTIONS["simulation"]
    nat = ctx.national()
    if nat is None:
        return skipped("simulation", "分析设定未给出全国城乡数据（national_data）",
                       "the spec names no national urban and rural data (national_data)")
    st: Settings = ctx.spec.setting("simulation")
    seed = ctx.spec.options.seed if st.seed is None else st.seed
    scenarios = load_scenarios(path=st.scenarios)
    try:
        sim = ctx.cached(("simulation", st, seed), lambda: run_simulation(
            nat, scenarios=scenarios, first_year=st.first_year, validation_end=st.validation_end,
            until=st.until, draws=st.draws, seed=seed))
    except DataError as exc:
        return skipped("simulation", f"全国数据不足以校准模型：{exc}",
                       f"the national data cannot calibrate the model: {exc}")
    tables = tuple(Table(key, zh, en, sim.tables[name], labels=labels)
                   for name, (key, zh, en, labels) in TABLES.items())
    notes = (
        Note("模型以现价计算（内置数据没有价格指数），全要素生产率增长因此包含价格变化。"
             "缺少的序列：全国国内生产总值（内置全国数据中没有）与全国就业人员总数（没有）。内置数据有"
             "农林牧渔业从业人员（employment_agriculture，1978—2012年）和乡村从业人员（rural_employment，"
             "1978—2012年），但没有全国就业总数作分母，第一产业就业比重无法计算（乡村从业人员不是全国就业，"
             "二者相除不是该比重），因此模型不以国内生产总值和第一产业就业比重校准，也不输出这两项；"
             "“人均收入”是按城乡人口加权的住户调查收入。",
             "The model is in current prices (the bundled data have no price index), so its TFP "
             "growth includes price change. Missing series: national GDP (not in the bundled "
             "national data) and total national employment (not there either). The data hold "
             "employment in farming, forestry, animal husbandry and fishery "
             "(employment_agriculture, 1978–2012) and rural employment (rural_employment, "
             "1978–2012), but with no total employment to divide by, the agricultural "
             "(primary-sector) employment share cannot be formed (rural employment is not "
             "national employment, so their ratio is not that share); the model is therefore not "
             "calibrated to GDP or to the agricultural employment share and reports neither. "
             "“Per-capita income” is household-survey income weighted by the urban and rural "
             "population."),
        Note("固定参数混用刘（2017）表1的不同行：资本产出弹性α=0.55取自2008—2014年一行，产出资本比0.53"
             "取自1985—2007年一行；2015—2020年与2021—2030年的净投资率20%是该文的情景值，此处当作"
             "2015—2024年的历史值使用（一种简化，不是数据）。",
             "The fixed parameters mix rows of Liu's (2017) Table 1: the capital elasticity α = "
             "0.55 is the 2008–2014 row's, the output–capital ratio 0.53 the 1985–2007 row's; the "
             "net investment rate of 20 % for 2015–2020 and 2021–2030 is that paper's scenario "
             "value, used here as the history of 2015–2024 (a simplification, not data)."),
        Note("全国城乡人口与收入序列难以把迁移成本τ与迁移速度μ分开识别：校准的迁移成本路径很快降至接近零，"
             "其区间很宽；参数落在取值边界时参数表中的拉普拉斯区间不可靠。Hao等（2020）用省际与部门间的"
             "迁移流量识别迁移成本；本模型没有这样的数据。杠杆机制所依赖的参数位于取值边界或未被识别"
             "（剖面似然检查）时，本页不对该杠杆作任何判断，只列出其效应在该参数剖面上的范围。",
             "National urban and rural population and income series can hardly tell the migration "
             "cost τ from the migration speed μ: the calibrated cost falls close to zero quickly and "
             "its band is wide, and the Laplace band of the parameter table is unreliable where a "
             "parameter sits at its bound. Hao et al. (2020) identify migration costs from flows "
             "between provinces and sectors; there are no such data here. Where a parameter a "
             "lever's mechanism runs through is at its bound or not identified (profile-likelihood "
             "check), this page makes no reading of that lever and shows only the range of its "
             "effect over the profile of that parameter."),
        Note("参数抽样：以拉普拉斯近似为提议分布、按后验（平坦先验、正态误差）重要性重抽样；"
             "年度残差存在自相关，区间偏窄。情景杠杆的取值是示例性设定，不是估计值。",
             "Parameter draws: Laplace proposals importance-resampled to the posterior (flat prior, "
             "Gaussian errors); annual residuals are autocorrelated, so the bands are too narrow. "
             "Scenario lever values are illustrative choices, not estimates."),
    )
    facts = dict(sim.facts)
    facts["labels"] = READING_LABELS
    options = {**sim.options, "scenario_file": st.scenarios or "built-in"}
    return SectionResult("simulation", title_zh, title_en, tables, facts, options, notes)
