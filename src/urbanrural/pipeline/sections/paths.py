"""通往2035年的路径 / Paths to 2035: the national urban–rural income ratio (integrated-survey
series only) and the urbanisation rate forecast to the target year with 80/95 % fans, the
rolling-origin backtest of every method against Naive2, the rural growth a ratio target
needs, the year and probability of meeting it, scenario paths beside the fan, and a published
ex-ante projection scored against what happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...data.errors import DataError, Issue
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

if TYPE_CHECKING:  # numpy, pandas and the claims load only when a run needs them
    import numpy as np

    from ...methods.claims import Claim

__all__ = ["Settings", "run", "met_band", "band_label", "regions_target_claim", "REGION_LABELS"]


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
    region_draws : simulated paths per province (fewer than ``draws``: 31 provinces must run in
        a few seconds; the probabilities then carry a Monte Carlo error of about
        ``0.5 / sqrt(region_draws)``, ±0.022 at 500).
    regions_minimum : the fewest provinces with the integrated-survey urban and rural incomes
        (at least 6 consecutive years each) for the per-province part to run; two, so that it
        compares provinces.
    map_target : the ratio target of the province map (``None``: 2.0 when it is among
        ``targets``, else the middle target).
    """

    until: int = 2035
    targets: tuple[float, ...] = (2.2, 2.0, 1.8)
    levels: tuple[int, ...] = (80, 95)
    draws: int = 2000
    seed: int = 12
    scenarios: str | None = None
    region_draws: int = 500
    regions_minimum: int = 2
    map_target: float | None = None

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
            "region_draws": isinstance(self.region_draws, int) and not isinstance(
                self.region_draws, bool) and 100 <= self.region_draws <= 100_000,
            "regions_minimum": isinstance(self.regions_minimum, int) and not isinstance(
                self.regions_minimum, bool) and 1 <= self.regions_minimum <= 100,
            "map_target": self.map_target is None or (
                isinstance(self.map_target, (int, float)) and not isinstance(self.map_target, bool)
                and isinstance(self.targets, tuple) and self.map_target in self.targets),
        }
        rules = {"until": "a year from 2025 to 2060",
                 "targets": "a list of ratios from 1 to 10", "levels": "a list of whole "
                 "per cents from 50 to 99", "draws": "a whole number from 100 to 100,000",
                 "seed": "a whole number ≥ 0", "scenarios": "a path to a scenario YAML file",
                 "region_draws": "a whole number from 100 to 100,000",
                 "regions_minimum": "a whole number from 1 to 100",
                 "map_target": "one of the targets"}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError([Issue(f"settings.paths.{k}: bad value {getattr(self, k)!r} "
                                   f"({rules[k]}) / 路径章节设置 {k} 的取值无效",
                                   value=f"settings.paths.{k}") for k in bad])

    def target_for_map(self) -> float:
        """The ratio target the province map shows (see ``map_target``)."""
        if self.map_target is not None:
            return float(self.map_target)
        if 2.0 in self.targets:
            return 2.0
        return float(sorted(self.targets)[len(self.targets) // 2])


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
    "region_code": "地区代码", "region_zh": "地区", "region_en": "地区（英文）",
    "last_year": "最后观测年份", "last_value": "最后观测的城乡收入比",
    "met_band": "达标时段（代码）", "met_band_zh": "达标时段", "met_band_en": "达标时段（英文）",
    "reason_zh": "未预测的原因", "reason_en": "未预测的原因（英文）",
}

# the readings of regions_target_claim
REGION_LABELS: dict[str, tuple[str, str]] = {
    "all_meet": (
        "所有省份的预测路径都不晚于目标年份达标",
        "every province's forecast path meets it by the target year"),
    "some_meet": (
        "部分省份的预测路径不晚于目标年份达标", "some provinces' forecast paths meet it by the target year"),
    "none_meet": (
        "没有省份的预测路径在目标年份或之前达标", "no province's forecast path meets it by the target year"),
}


def met_band(year_met: np.ndarray | list[float], *, first_year: int, target_year: int,
             width: int = 5) -> np.ndarray:
    """Class of the year a forecast path meets a target, for the province map.

    ``0`` is "not by the target year" (never met on the path, or met after it); classes
    ``1 … K`` are spans of ``width`` years counted back from the target year, the first one cut
    at ``first_year`` (the first forecast year): class ``k`` holds the years
    ``target_year − width·(K − k + 1) + 1 … target_year − width·(K − k)``, with
    ``K = ceil((target_year − first_year + 1) / width)``.

    Parameters
    ----------
    year_met : first year on each point path at the target (NaN: not met within the horizon).
    first_year : the earliest first forecast year of the provinces.
    target_year : the year the target is set for.
    width : years per class.

    Returns
    -------
    numpy.ndarray of int, one class per province.

    Examples
    --------
    >>> met_band([2021.0, 2025, 2026, 2035, float("nan"), 2036], first_year=2021,
    ...          target_year=2035).tolist()
    [1, 1, 2, 3, 0, 0]
    """
    import numpy as np

    y = np.asarray(year_met, dtype=float)
    n_bands = -(-(target_year - first_year + 1) // width)
    met = np.isfinite(y) & (y <= target_year)
    band = n_bands - np.floor((target_year - np.where(met, y, target_year)) / width)
    return np.where(met, np.maximum(band, 1), 0).astype(int)


def band_label(code: int, *, first_year: int, target_year: int, width: int = 5
               ) -> tuple[str, str]:
    """Words of a :func:`met_band` class in Chinese and English.

    Parameters
    ----------
    code : the class (0: not met by ``target_year``).
    first_year, target_year, width : as given to :func:`met_band`.

    Returns
    -------
    (str, str) : the Chinese and the English words.

    Examples
    --------
    >>> band_label(1, first_year=2021, target_year=2035)
    ('2021—2025年达标', 'met in 2021–2025')
    >>> band_label(0, first_year=2021, target_year=2035)[1]
    'not met by 2035'
    """
    if code == 0:
        return f"到{target_year}年未达标", f"not met by {target_year}"
    n_bands = -(-(target_year - first_year + 1) // width)
    hi = target_year - width * (n_bands - code)
    lo = max(hi - width + 1, first_year)
    return f"{lo}—{hi}年达标", f"met in {lo}–{hi}"


def regions_target_claim(codes, year_met, verdict_probability, *, target: float,
                         target_year: int) -> Claim:
    """How many provinces' point paths meet a ratio target by the target year, which meet it
    first and last, and how many are likely, about even or unlikely to meet it by then.

    A province meets it when its first year at the target (``year_met``, from
    :func:`~urbanrural.methods.forecast.targets.year_target_met`) is finite and ≤
    ``target_year``; the earliest and latest are those with the smallest and largest such
    year (every province tied at it is named). ``verdict_probability`` are the codes of
    :func:`~urbanrural.methods.forecast.claims.likelihood_claim` on the probability by the
    target year.

    Parameters
    ----------
    codes : region codes, one per province.
    year_met : first year on each province's point path at the target (NaN: not met).
    verdict_probability : likelihood codes, one per province.
    target : the ratio target.
    target_year : the year it is set for.

    Returns
    -------
    Claim
        ``kind="regions_target"``, verdict ``all_meet`` / ``some_meet`` / ``none_meet`` (words
        in :data:`REGION_LABELS`); values ``n``, ``n_met``, ``n_not_met``, ``earliest`` and
        ``latest`` (tuples of codes), ``earliest_year``, ``latest_year`` (NaN when none meets
        it), ``n_likely``, ``n_about_even``, ``n_unlikely``.

    Raises
    ------
    DataError
        when the three inputs are empty or of different lengths.

    Examples
    --------
    >>> c = regions_target_claim(["A", "B", "C"], [2030.0, float("nan"), 2033.0],
    ...                          ["likely", "unlikely", "about_even"], target=2.0, target_year=2035)
    >>> c.verdict, c.values["n_met"], c.values["earliest"], c.values["latest"]
    ('some_meet', 2, ('A',), ('C',))
    """
    import numpy as np

    from ...methods.claims import Claim

    codes = np.asarray(codes, dtype=object)
    y = np.asarray(year_met, dtype=float)
    vp = np.asarray(verdict_probability, dtype=object)
    if not (len(codes) == len(y) == len(vp)) or not len(codes):
        raise DataError(Issue("regions_target_claim: codes, year_met and verdict_probability "
                              "must be non-empty and of one length"))
    met = np.isfinite(y) & (y <= target_year)
    n, k = len(codes), int(met.sum())
    verdict = "all_meet" if k == n else "none_meet" if k == 0 else "some_meet"
    values: dict = {"target": float(target), "target_year": int(target_year), "n": n,
                    "n_met": k, "n_not_met": n - k,
                    "n_likely": int((vp == "likely").sum()),
                    "n_about_even": int((vp == "about_even").sum()),
                    "n_unlikely": int((vp == "unlikely").sum()),
                    "earliest": (), "latest": (), "earliest_year": float("nan"),
                    "latest_year": float("nan")}
    if k:
        first, last = float(y[met].min()), float(y[met].max())
        values.update(earliest=tuple(codes[met & (y == first)]), earliest_year=first,
                      latest=tuple(codes[met & (y == last)]), latest_year=last)
    return Claim("regions_target", verdict, values,
                 "first year on each province's point path at or below the target")


def _table(key, zh, en, frame, units=None) -> Table:
    return Table(key, zh, en, frame, units=units or {},
                 labels={c: LABELS[c] for c in frame.columns if c in LABELS})


# the fewest consecutive years of a province's ratio: the national series needs as many for a
# rolling-origin backtest (run_series)
REGION_MIN_YEARS = 6

# what a user adds to run the per-province part (the phrasing of the frameworks' ``needs``)
REGION_SERIES_NEEDED = ("国家统计局 分省年度数据 › 人民生活 › 城镇居民人均可支配收入、农村居民人均可支配收入"
                        "（2013年起，城乡一体化住户调查）",
                        "NBS 分省年度数据 (Annual by Province) › 人民生活 (People's Living Conditions) "
                        "› 城镇居民人均可支配收入 (per-capita disposable income of urban residents) and "
                        "农村居民人均可支配收入 (of rural residents), 2013 onwards (integrated "
                        "household survey)")


def _skip_reason(reason: str, minimum: int, until: int) -> tuple[str, str]:
    """The reason ``run_regions`` gives for a province, in both languages."""
    import re

    en = reason.strip().splitlines()[-1].strip().removeprefix("paths: ")
    if "needs indicators" in en:
        return ("缺少城乡一体化住户调查的城镇或农村居民人均可支配收入",
                "lacks the integrated-survey urban or rural disposable income")
    if m := re.match(r"(\d+) consecutive years", en):
        return (f"城镇与农村收入都有数据的连续年份只有{m.group(1)}年（至少需要{minimum}年）",
                f"only {m.group(1)} consecutive years with both urban and rural income (at "
                f"least {minimum} are needed)")
    if m := re.search(r"gap after (\d+)", en):
        return (f"序列在{m.group(1)}年之后有缺失年份（预测需要连续年份）",
                f"the series has a gap after {m.group(1)} (forecasts need consecutive years)")
    if "already reach" in en:
        return f"数据已到达{until}年", f"the data already reach {until}"
    return f"无法预测：{en}", f"not forecast: {en}"


def _regions(ctx: RunContext, st: Settings, spec, minimum: int):
    """The per-province part: ``(tables, facts, notes, options)``."""
    import numpy as np
    import pandas as pd

    from .. import paths as P  # noqa: N812 - the paths pipeline, named apart from this module

    panel = ctx.panel()
    d = panel.data
    d = d[d.indicator.astype(str).isin([spec.numerator, spec.denominator])].astype(
        {"region_code": str, "indicator": str})
    # provinces holding both incomes in ≥ minimum consecutive years (counted before running, so
    # that the bundled data, which hold too few, cost no forecasting)
    both = d.pivot_table(index=["region_code", "year"], columns="indicator", values="value",
                         aggfunc="first").dropna().reset_index()
    if spec.numerator in both and spec.denominator in both:
        span = both.groupby("region_code").year.agg(["min", "max", "count"])
    else:
        span = pd.DataFrame(columns=["min", "max", "count"])
    consecutive = span[(span["count"] >= minimum) & (span["max"] - span["min"] + 1 == span["count"])]
    options = {"region_draws": st.region_draws, "regions_minimum": st.regions_minimum,
               "region_minimum_years": minimum, "map_target": st.target_for_map()}
    held = [{"region_code": c, "region_zh": panel.region_label(c),
             "region_en": panel.region_label(c, "en"), "first_year": int(r["min"]),
             "last_year": int(r["max"]), "years": int(r["count"])}
            for c, r in span.iterrows()]
    facts: dict = {"ran": False, "eligible": [h for h in held if h["region_code"] in
                                                consecutive.index],
                   "held": held, "minimum": st.regions_minimum, "minimum_years": minimum,
                   "needed_zh": REGION_SERIES_NEEDED[0], "needed_en": REGION_SERIES_NEEDED[1],
                   "draws": st.region_draws}
    if len(consecutive) < st.regions_minimum:
        return [], facts, [], options
    targets = [(st.until, float(t)) for t in st.targets]
    res = P.run_regions(d, spec, until=st.until, targets=targets, level=st.levels,
                        draws=st.region_draws, seed=st.seed, minimum=minimum)
    tg = res["targets"]
    names_zh = {c: panel.region_label(c) for c in panel.regions}
    names_en = {c: panel.region_label(c, "en") for c in panel.regions}
    first = int(res["forecast"].year.min())
    band = met_band(tg.year_met.to_numpy(float), first_year=first, target_year=st.until)
    words = [band_label(int(b), first_year=first, target_year=st.until) for b in band]
    lead = pd.DataFrame({"region_code": tg.region_code.astype(str),
                         "region_zh": tg.region_code.astype(str).map(names_zh),
                         "region_en": tg.region_code.astype(str).map(names_en)})
    table = pd.concat([lead, tg.drop(columns=["region_code"])], axis=1)
    table = table.assign(met_band=band, met_band_zh=[w[0] for w in words],
                         met_band_en=[w[1] for w in words])
    cols = ["region_code", "region_zh", "region_en", "target", "target_year", "last_year",
            "last_value", "forecast_method", "year_met", "verdict_year", "verdict_year_zh",
            "verdict_year_en", "probability_by", "probability", "verdict_probability",
            "verdict_probability_zh", "verdict_probability_en", "path_method", "met_band",
            "met_band_zh", "met_band_en"]
    table = table[cols].sort_values(["target", "region_code"], ascending=[False, True],
                                    kind="stable").reset_index(drop=True)
    # every province of the data (and of the registry) not forecast, with its reason
    ran = set(table.region_code)
    skipped = res["skipped"].astype({"region_code": str})
    listed = set(skipped.region_code) | ran
    absent = sorted(set(map(str, panel.regions)) - listed)
    reasons = [_skip_reason(r, minimum, st.until) for r in skipped.reason]
    sk = pd.DataFrame({"region_code": [*skipped.region_code, *absent],
                       "reason_zh": [z for z, _ in reasons] + ["数据中没有城乡一体化住户调查的城镇或农村"
                                                               "居民人均可支配收入"] * len(absent),
                       "reason_en": [e for _, e in reasons] + [
                           "the data hold no integrated-survey urban or rural disposable "
                           "income"] * len(absent)})
    sk.insert(1, "region_zh", sk.region_code.map(names_zh))
    sk.insert(2, "region_en", sk.region_code.map(names_en))
    sk = sk.sort_values("region_code", kind="stable").reset_index(drop=True)
    fc = res["forecast"].astype({"region_code": str})
    fc = fc[["region_code", *[c for c in fc.columns if c not in ("region_code", "series")]]]
    tables = [
        _table("paths_regions", "各省城乡收入比目标：预测路径达标年份与概率",
               "Income ratio targets by province: year met on the forecast path and probability",
               table, {"last_value": "倍 times"}),
        _table("paths_regions_forecast", "各省城乡收入比预测（80%与95%区间）",
               "Income ratio forecasts by province (80 % and 95 % intervals)", fc,
               {c: "倍 times" for c in fc.columns if c == "mean" or c.startswith(("lower_", "upper_"))}),
    ]
    if len(sk):  # every province forecast: no empty table
        tables.append(_table("paths_regions_skipped", "未作预测的省份及原因",
                             "Provinces not forecast, and why", sk))
    mt = st.target_for_map()
    claims = {}
    for tv in st.targets:
        rows = table[table.target == float(tv)]
        c = regions_target_claim(rows.region_code.to_numpy(object), rows.year_met.to_numpy(float),
                                 rows.verdict_probability.to_numpy(object), target=float(tv),
                                 target_year=st.until)
        v = c.values
        row_of = {code: int(i) for i, code in zip(rows.index, rows.region_code, strict=True)}
        claims[float(tv)] = {
            "target": float(tv), "verdict": c.verdict, "n": v["n"], "n_met": v["n_met"],
            "n_not_met": v["n_not_met"], "n_likely": v["n_likely"],
            "n_about_even": v["n_about_even"], "n_unlikely": v["n_unlikely"],
            "first_row": int(rows.index[0]),
            "earliest_rows": [row_of[x] for x in v["earliest"]],
            "latest_rows": [row_of[x] for x in v["latest"]],
            "same_year": bool(v["n_met"]) and v["earliest_year"] == v["latest_year"]}
    classes = sorted(set(range(1, int(met_band([st.until], first_year=first,
                                                  target_year=st.until)[0]) + 1)) | {0})
    facts.update(ran=True, claims=[claims[float(t)] for t in st.targets],
                 map_claim=claims[mt], map_target=mt, first_forecast_year=first,
                 n_forecast=len(ran), n_skipped=len(sk),
                 labels={c: REGION_LABELS[c] for c in REGION_LABELS},
                 map_classes={int(k): band_label(int(k), first_year=first, target_year=st.until)
                              for k in classes})
    notes = [Note(
        f"各省的达标概率来自每省{st.region_draws}条模拟路径（全国为{st.draws}条），蒙特卡罗误差最多约"
        f"±{0.5 / np.sqrt(st.region_draws):.3f}；各省序列很短（至少{minimum}个连续年份），回测起点很少，"
        "方法选择与区间的不确定性都很大。",
        f"The provinces' probabilities come from {st.region_draws} simulated paths each "
        f"({st.draws} for the nation), a Monte Carlo error of at most about "
        f"±{0.5 / np.sqrt(st.region_draws):.3f}; the provincial series are very short (at least "
        f"{minimum} consecutive years) with few backtest origins, so both the choice of method "
        "and the intervals are very uncertain.")]
    return tables, facts, notes, options


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
                   _table("paths_assumptions", "情景假设（由数据计算或由情景文件给定）",
                          "Scenario assumptions (computed from the data or given by the "
                          "scenario file)", assumptions)]
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
        # how many assumptions a scenario file typed in rather than had computed from the data
        facts["scenarios_given"] = int((assumptions.basis == "given").sum())
        for _, sub in scen_rows.groupby("scenario", sort=False):
            end = sub[sub.year == st.until]
            facts["scenarios"].append({
                "label_zh": sub.label_zh.iloc[0], "label_en": sub.label_en.iloc[0],
                "rows": {r.series: int(i) for i, r in end.iterrows()}})
    codes = (set(bt.verdict) | set(targets.verdict_year) | set(targets.verdict_probability)
             | set(targets.verdict_gap) | {"underestimated", "on_target", "overestimated"} | (
                 set(exante.verdict) | set(exante.verdict_change) if len(exante) else set()))
    facts["labels"] = {c: (path_label(c, "zh"), path_label(c, "en")) for c in codes}
    reg_tables, facts["regions"], reg_notes, reg_options = _regions(
        ctx, st, series["income_ratio"][0], REGION_MIN_YEARS)
    tables += reg_tables
    notes += reg_notes
    facts["urban_growth_pct"] = g_u
    facts["path_method_zh"], facts["path_method_en"] = P.METHOD_LABELS[ir.path_method]
    options = {"until": st.until, "targets": list(st.targets), "levels": list(st.levels),
               "draws": st.draws, "seed": st.seed,
               "scenarios": st.scenarios or "paths_default.yaml",
               "selection": SELECTION_RULE.format(1 - SINGLE_MODEL_MARGIN),
               "minimum_scored_errors": MIN_SCORED_ERRORS,
               "pool": list(DEFAULT_POOL), "series": list(runs),
               "backtest_horizons": {sid: int(r.backtest.summary.horizon.max())
                                     for sid, r in runs.items()},
               **reg_options}
    return SectionResult("paths", title_zh, title_en, tuple(tables), facts, options, tuple(notes))
