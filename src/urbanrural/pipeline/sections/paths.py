"""通往2035年的路径 / Paths to 2035: the national urban–rural income ratio (integrated-survey
series only) and the urbanisation rate forecast to the target year with 80/95 % fans, the
rolling-origin backtest of every method against Naive2, the rural growth a ratio target
needs, the year and probability of meeting it, scenario paths beside the fan, and a published
ex-ante projection scored against what happened."""

from __future__ import annotations

from dataclasses import dataclass

from ...data.errors import DataError, Issue
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    """Settings of the paths section.

    Attributes
    ----------
    until : the last forecast year (the target year of the probabilities).
    targets : urban–rural income ratio targets.
    levels : central interval levels of the fans (per cent).
    draws : simulated paths for the probabilities.
    seed : seed of the simulated paths.
    scenarios : a scenario YAML file (``None``: the packaged ``paths_default.yaml``).
    """

    until: int = 2035
    targets: tuple[float, ...] = (2.2, 2.0, 1.8)
    levels: tuple[int, ...] = (80, 95)
    draws: int = 2000
    seed: int = 12
    scenarios: str | None = None

    def __post_init__(self) -> None:
        checks = {
            "until": isinstance(self.until, int) and 2025 <= self.until <= 2060,
            "targets": isinstance(self.targets, tuple) and len(self.targets) >= 1 and all(
                isinstance(t, (int, float)) and not isinstance(t, bool) and 1 <= t <= 10
                for t in self.targets),
            "levels": isinstance(self.levels, tuple) and len(self.levels) >= 1 and all(
                isinstance(v, int) and 50 <= v <= 99 for v in self.levels),
            "draws": isinstance(self.draws, int) and 100 <= self.draws <= 100_000,
            "seed": isinstance(self.seed, int) and self.seed >= 0,
            "scenarios": self.scenarios is None or (isinstance(self.scenarios, str) and
                                                    bool(self.scenarios)),
        }
        rules = {"until": "a year from 2025 to 2060",
                 "targets": "a list of ratios from 1 to 10", "levels": "a list of whole "
                 "per cents from 50 to 99", "draws": "a whole number from 100 to 100,000",
                 "seed": "a whole number ≥ 0", "scenarios": "a path to a scenario YAML file"}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError([Issue(f"settings.paths.{k}: bad value {getattr(self, k)!r} "
                                   f"({rules[k]}) / 路径章节设置 {k} 的取值无效",
                                   value=f"settings.paths.{k}") for k in bad])


LABELS = {
    "series": "序列", "year": "年份", "value": "数值", "method": "方法", "mean": "点预测",
    "lower_80": "80%区间下限", "upper_80": "80%区间上限", "lower_95": "95%区间下限",
    "upper_95": "95%区间上限", "method_zh": "方法", "method_en": "方法（英文）",
    "smape": "对称平均绝对百分比误差sMAPE", "mase": "平均绝对标度误差MASE", "n": "评估点数",
    "coverage_80": "80%区间覆盖率",
    "coverage_95": "95%区间覆盖率", "relative_smape": "sMAPE相对Naive2",
    "relative_mase": "MASE相对Naive2", "verdict": "判断（代码）", "max_horizon": "最长评估步长（年）",
    "origins": "滚动起点数", "target": "目标值", "target_year": "目标年份",
    "start_year": "起始年份", "start_value": "起始值", "years": "年数",
    "urban_growth_pct": "城镇收入年增长率（%，观测）",
    "required_rural_growth_pct": "所需农村收入年增长率（%）",
    "growth_gap_pp": "所需增速差（百分点）", "year_met": "预测路径达标年份",
    "forecast_method": "预测方法", "probability": "目标年份当年达标的概率",
    "path_method": "模拟路径所用方法", "verdict_year": "达标年份判断",
    "verdict_probability": "概率判断", "scenario": "情景", "label_zh": "情景名称",
    "label_en": "情景名称（英文）", "from": "起始年", "to": "终止年", "assumption": "假设项",
    "basis": "依据", "projection": "预测来源", "made_in": "预测年份", "horizon": "预测步长（年）",
    "projected": "预测值", "actual": "实际值", "error": "误差（预测减实际）",
    "verdict_zh": "判断", "verdict_en": "判断（英文）", "verdict_gap": "增速差判断（代码）",
    "verdict_gap_zh": "增速差判断", "verdict_gap_en": "增速差判断（英文）",
    "verdict_year_zh": "达标年份判断（中文）", "verdict_year_en": "达标年份判断（英文）",
    "verdict_probability_zh": "概率判断（中文）", "verdict_probability_en": "概率判断（英文）",
    "probability_by": "不晚于目标年份达标的概率",
    "basis_zh": "依据（中文）", "basis_en": "依据（英文）",
    "projected_change": "预测的自基期变化", "actual_change": "实际的自基期变化",
    "change_error": "变化误差（预测减实际）", "verdict_change": "变化判断（代码）",
    "verdict_change_zh": "变化判断", "verdict_change_en": "变化判断（英文）",
}


def _table(key, zh, en, frame, units=None) -> Table:
    return Table(key, zh, en, frame, units=units or {},
                 labels={c: LABELS[c] for c in frame.columns if c in LABELS})


def run(ctx: RunContext) -> SectionResult:
    import pandas as pd

    from ...methods.forecast.claims import MIN_SCORED_ERRORS, path_label
    from ...methods.forecast.models import DEFAULT_POOL, SELECTION_RULE, SINGLE_MODEL_MARGIN
    from .. import paths as P  # noqa: N812 - the paths pipeline, named apart from this module

    _, _, title_zh, title_en = SECTIONS["paths"]
    st: Settings = ctx.spec.setting("paths")
    nat = ctx.national()
    if nat is None:
        from ..analysis import skipped

        return skipped("paths", "分析设定未给出全国城乡数据（national_data）",
                       "the spec names no national urban and rural data (national_data)")
    d = nat.data
    wide = d.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
    series = {}
    for spec in P.NATIONAL_SERIES:
        try:
            series[spec.id] = (spec, *P.series_from_wide(wide, spec))
        except DataError:
            continue
    if "income_ratio" not in series or len(series["income_ratio"][1]) < 6:
        from ..analysis import skipped

        return skipped("paths", "全国数据缺少城乡一体化住户调查的城乡收入（至少6年）",
                       "the national data lack the integrated-survey urban and rural incomes "
                       "(at least 6 years)")
    runs = {sid: P.run_series(spec, yrs, vals, until=st.until, level=st.levels, draws=st.draws,
                              seed=st.seed)
            for sid, (spec, yrs, vals) in series.items() if len(vals) >= 6}
    history = pd.concat([pd.DataFrame({"series": sid, "year": r.years, "value": r.values})
                         for sid, r in runs.items()], ignore_index=True)
    fc = pd.concat([r.forecast_frame() for r in runs.values()], ignore_index=True)
    bt = pd.concat([r.backtest_frame() for r in runs.values()], ignore_index=True)
    # observed growth of urban incomes 2013–last year: the urban side of the target formula
    ir = runs["income_ratio"]
    urban = wide["urban_disposable_income_new_survey"].dropna()
    uyrs, uvals = urban.index.to_numpy(int), urban.to_numpy(float)
    g_u = P.observed_growth(uyrs, uvals, (int(ir.years[0]), int(ir.years[-1])), kind="growth",
                            what="urban income")
    targets = P.target_table(ir, st.targets, target_year=st.until, urban_growth_pct=g_u)
    data_for = {"urban_income_growth": (uyrs, uvals)}
    rural = wide["rural_disposable_income"].dropna()
    data_for["rural_income_growth"] = (rural.index.to_numpy(int), rural.to_numpy(float))
    if "urbanisation" in series:
        data_for["urbanisation_change"] = series["urbanisation"][1:]
        pop = wide["population_total"].dropna()
        data_for["population_growth"] = (pop.index.to_numpy(int), pop.to_numpy(float))
    notes = [Note(
        f"城乡收入比只用城乡一体化住户调查（{int(ir.years[0])}—{int(ir.years[-1])}年，仅"
        f"{len(ir.years)}个年度观测），不与2012年以前的分城乡调查序列拼接；如此短的序列上，"
        "回测只有少数滚动起点，方法排序的不确定性很大。",
        f"The income ratio uses the integrated household survey only ({int(ir.years[0])}–"
        f"{int(ir.years[-1])}: just {len(ir.years)} annual points), never spliced with the separate "
        "surveys before 2013; on a series this short the backtest has few rolling origins and "
        "the ranking of methods is very uncertain."),
        Note("扇形图的区间是模拟路径的分位数，达标概率取自同一批模拟路径；组合预测的每条模拟路径"
             "是有误差模型的成员（不含灰色模型）模拟路径的中位数。灰色模型没有概率模型，不给区间；"
             f"仅当其回测判断为“样本外优于Naive2”（MASE低于Naive2的0.95倍，且至少"
             f"{MIN_SCORED_ERRORS}个回测误差；GM(1,1)还须通过级比检验）时才进入组合，且只用于回测"
             "评分过的步长——灰色曲线的远期预测不可靠，不用于更远的年份。ARIMA（statsforecast）因其"
             "numba编译耗时数秒，不在报告的方法池中，可在Python接口中使用（forecast(y, h, "
             "method=\"arima\")）。",
             "The fans are quantiles of simulated paths, and the probabilities come from the same "
             "paths; a simulated path of the combination is the median of the paths of its members "
             "that have an error model (not the grey ones). Grey models have no probability model "
             "and give no interval; one enters the combination only with the verdict “beats "
             "Naive2 out of sample” (MASE below 0.95 × Naive2's on at least "
             f"{MIN_SCORED_ERRORS} backtest errors; GM(1,1) must also pass the level-ratio "
             "test), and only over the horizons the backtest scored — grey curves are not "
             "trusted at long horizons and are not used further out. ARIMA (statsforecast) is "
             "left out of the report's pool for its numba compilation (seconds); it is "
             "available from the Python API (forecast(y, h, method=\"arima\")).")]
    scen_rows = assumptions = None
    if "urbanisation" in runs:
        try:
            scen = P.load_scenarios(st.scenarios)
            scen_rows, assumptions = P.scenario_paths(
                scen, data=data_for, ratio=(ir.years, ir.values),
                urbanisation=(runs["urbanisation"].years, runs["urbanisation"].values),
                until=st.until)
        except DataError as exc:
            notes.append(Note(f"情景未计算：{exc}", f"Scenarios were not computed: {exc}"))
    exante = P.score_projections(P.load_projections(),
                                 {sid: (r.years, r.values) for sid, r in runs.items()})
    units = {"smape": "%", "urban_growth_pct": "%", "required_rural_growth_pct": "%",
             "growth_gap_pp": "百分点 pp"}
    tables = [
        _table("paths_history", "预测所用的观测序列", "The observed series forecast", history),
        _table("paths_forecast", "预测至目标年份（自动选择的方法，80%与95%区间）",
               "Forecasts to the target year (automatically chosen method, 80 % and 95 % "
               "intervals)", fc),
        _table("paths_backtest", "滚动起点回测：各方法相对Naive2的sMAPE与MASE",
               "Rolling-origin backtest: sMAPE and MASE of every method against Naive2", bt,
               units),
        _table("paths_targets", "城乡收入比目标：所需增速、达标年份与概率",
               "Income ratio targets: growth needed, year met and probability", targets, units),
    ]
    if scen_rows is not None:
        tables += [_table("paths_scenarios", "情景路径（与预测扇形图并列）",
                          "Scenario paths (shown beside the forecast fans)", scen_rows),
                   _table("paths_assumptions", "情景假设（由数据计算）",
                          "Scenario assumptions (computed from the data)", assumptions)]
    if len(exante):
        tables.append(_table("paths_exante", "事前预测与实际结果的比较",
                             "Published ex-ante projections scored against the outcome", exante))
    facts: dict = {"series": {}, "targets": [], "labels": {}}
    for sid, r in runs.items():
        rows = bt.index[bt.series == sid]
        first = fc.index[fc.series == sid]
        best = int(bt.index[(bt.series == sid) & (bt.method == r.forecast.method)][0])
        naive_row = int(bt.index[(bt.series == sid) & (bt.method == "naive2")][0])
        facts["series"][sid] = {
            "n": len(r.years), "first_year": int(r.years[0]), "last_year": int(r.years[-1]),
            "last_row": int(history.index[history.series == sid][-1]),
            "end_row": int(first[-1]), "method": r.forecast.method,
            "method_zh": P.METHOD_LABELS[r.forecast.method][0],
            "method_en": P.METHOD_LABELS[r.forecast.method][1],
            "best_row": best, "naive_row": naive_row,
            "best_verdict": bt.verdict[best],
            "beating": int((bt.verdict[rows] == "beats_naive2").sum()),
            "methods": len(rows), "bt_rows": [int(i) for i in rows],
            "max_horizon": int(bt.max_horizon[best]), "origins": int(bt.origins[best])}
    for i, row in targets.iterrows():
        facts["targets"].append({"row": int(i), "year_met": row.year_met,
                                 "verdict_year": row.verdict_year, "verdict_gap": row.verdict_gap,
                                 "verdict_probability": row.verdict_probability})
    if len(exante):
        last = exante.index[-1]
        facts["exante"] = {"last_row": int(last), "first_row": int(exante.index[0]),
                           "verdict": exante.verdict[last],
                           "under": int((exante.verdict == "underestimated").sum()),
                           "n": len(exante), "verdict_change": exante.verdict_change[last],
                           "change_counts": {c: int((exante.verdict_change == c).sum()) for c in
                                             ("underestimated", "on_target", "overestimated")}}
        pr = P.load_projections()[0]
        facts["exante"].update({"label_zh": pr["label_zh"], "label_en": pr["label_en"],
                                "caveat_zh": pr["caveat_zh"], "caveat_en": pr["caveat_en"]})
    if scen_rows is not None:
        facts["scenarios"] = []
        for _, sub in scen_rows.groupby("scenario", sort=False):
            end = sub[sub.year == st.until]
            facts["scenarios"].append({
                "label_zh": sub.label_zh.iloc[0], "label_en": sub.label_en.iloc[0],
                "rows": {r.series: int(i) for i, r in end.iterrows()}})
    codes = (set(bt.verdict) | set(targets.verdict_year) | set(targets.verdict_probability)
             | set(targets.verdict_gap) | {"underestimated", "on_target", "overestimated"} | (
                 set(exante.verdict) | set(exante.verdict_change) if len(exante) else set()))
    facts["labels"] = {c: (path_label(c, "zh"), path_label(c, "en")) for c in codes}
    facts["urban_growth_pct"] = g_u
    facts["path_method_zh"], facts["path_method_en"] = P.METHOD_LABELS[ir.path_method]
    options = {"until": st.until, "targets": list(st.targets), "levels": list(st.levels),
               "draws": st.draws, "seed": st.seed,
               "scenarios": st.scenarios or "paths_default.yaml",
               "selection": SELECTION_RULE.format(1 - SINGLE_MODEL_MARGIN),
               "minimum_scored_errors": MIN_SCORED_ERRORS,
               "pool": list(DEFAULT_POOL), "series": list(runs),
               "backtest_horizons": {sid: int(r.backtest.summary.horizon.max())
                                     for sid, r in runs.items()}}
    return SectionResult("paths", title_zh, title_en, tuple(tables), facts, options, tuple(notes))
