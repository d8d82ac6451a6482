"""Standard indicator ids: names in Chinese and English, units, and the texts NBS uses for them.

Bundled datasets use these ids, and :func:`canonicalize` maps a user's file onto them (an NBS
export of 年末常住人口 becomes ``population_total``) so that frameworks written against the
bundled data run on a user's download with no code change. Every mapping made is reported.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import DataError, Issue
from .panel import Indicator, Panel

__all__ = ["CATALOG", "canonicalize", "canonicalise", "ALIASES", "standard_id"]

# id: (name_zh, name_en, unit, aliases as written in NBS exports, Chinese and English)
_ENTRIES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # population
    "population_total": ("年末常住人口", "Year-end resident population", "万人",
                         ("年末常住人口", "常住人口", "年末总人口", "Population at Year-end",
                          "Total Population", "Year-end Population")),
    "population_urban": ("城镇人口", "Urban population", "万人",
                         ("城镇人口", "Urban Population", "城镇常住人口")),
    "population_rural": ("乡村人口", "Rural population", "万人",
                         ("乡村人口", "Rural Population", "农村人口")),
    "population_male": ("男性人口", "Male population", "万人", ("男性人口",)),
    "population_female": ("女性人口", "Female population", "万人", ("女性人口",)),
    # output
    "gdp": ("地区生产总值", "Gross regional product", "亿元",
            ("地区生产总值", "Gross Regional Product", "GRP")),
    # labour
    "unemployment_rate_urban_registered": (
        "城镇登记失业率", "Urban registered unemployment rate", "%",
        ("城镇登记失业率", "Registered Unemployment Rate in Urban Areas",
         "Urban Registered Unemployment Rate")),
    "employment_urban_units": ("城镇单位就业人员", "Employed persons in urban units", "万人",
                               ("城镇单位就业人员", "Number of Employed Persons in Urban Units")),
    "employment_private_individual": (
        "私营企业和个体就业人员", "Employed in private enterprises and self-employed", "万人",
        ("私营企业和个体就业人员",)),
    "rural_households": ("乡村户数", "Rural households", "万户",
                         ("乡村户数", "Number of Rural Households")),
    # public services
    "student_teacher_ratio_primary": ("小学生师比", "Pupil–teacher ratio, primary schools",
                                      "学生/教师", ("小学生师比",)),
    "student_teacher_ratio_junior_secondary": (
        "初中生师比", "Pupil–teacher ratio, junior secondary schools", "学生/教师", ("初中生师比",)),
    # income and consumption
    "disposable_income_all": ("全体居民人均可支配收入", "Per-capita disposable income, all residents",
                              "元", ("居民人均可支配收入", "全体居民人均可支配收入",
                                    "Per Capita Disposable Income Nationwide")),
    "urban_disposable_income": ("城镇居民人均可支配收入", "Urban per-capita disposable income", "元",
                                ("城镇居民人均可支配收入", "城镇居民家庭人均可支配收入",
                                 "Per Capita Disposable Income of Urban Households")),
    "rural_net_income": ("农村居民人均纯收入", "Rural per-capita net income (pre-2013 survey)", "元",
                         ("农村居民人均纯收入", "农村居民家庭人均纯收入",
                          "Per Capita Net Income of Rural Households")),
    "rural_disposable_income": ("农村居民人均可支配收入",
                                "Rural per-capita disposable income (integrated survey, 2013+)",
                                "元", ("农村居民人均可支配收入",)),
    "consumption_all": ("全体居民人均消费支出", "Per-capita consumption expenditure, all residents",
                        "元", ("居民人均消费支出", "全体居民人均消费支出")),
    "urban_consumption": ("城镇居民人均消费支出", "Urban per-capita consumption expenditure", "元",
                          ("城镇居民人均消费支出", "城镇居民人均消费性支出")),
    "rural_consumption": ("农村居民人均消费支出",
                          "Rural per-capita consumption expenditure (integrated survey, 2013+)",
                          "元", ("农村居民人均消费支出",)),
    "rural_living_expenditure": ("农村居民人均生活消费支出",
                                 "Rural per-capita living expenditure (pre-2013 survey)", "元",
                                 ("农村居民人均生活消费支出",)),
    "urban_engel": ("城镇居民恩格尔系数", "Urban Engel coefficient", "%",
                    ("城镇居民恩格尔系数", "城镇居民家庭恩格尔系数")),
    "rural_engel": ("农村居民恩格尔系数", "Rural Engel coefficient", "%",
                    ("农村居民恩格尔系数", "农村居民家庭恩格尔系数")),
    "engel_all": ("居民恩格尔系数", "Engel coefficient, all residents", "%", ("居民恩格尔系数",)),
    "gini_national": ("全国居民人均可支配收入基尼系数", "National Gini coefficient of income",
                      "0–1", ()),
    # sectors (yearbook vintage)
    "employment_total": ("就业人员", "Employed persons", "万人", ("就业人员",)),
    "employment_primary": ("第一产业就业人员", "Employed persons, primary industry", "万人",
                           ("第一产业就业人员",)),
    "employment_secondary": ("第二产业就业人员", "Employed persons, secondary industry", "万人",
                             ("第二产业就业人员",)),
    "employment_tertiary": ("第三产业就业人员", "Employed persons, tertiary industry", "万人",
                            ("第三产业就业人员",)),
    "gdp_primary": ("第一产业增加值", "Value added, primary industry", "亿元", ("第一产业增加值",)),
    "gdp_secondary": ("第二产业增加值", "Value added, secondary industry", "亿元",
                      ("第二产业增加值",)),
    "gdp_tertiary": ("第三产业增加值", "Value added, tertiary industry", "亿元", ("第三产业增加值",)),
    # health, infrastructure (national)
    "beds_per_10k_urban": ("城市每万人医疗机构床位数", "Hospital beds per 10,000 people, urban",
                           "张", ("城市每万人医疗机构床位数",)),
    "beds_per_10k_rural": ("农村每万人医疗机构床位数", "Hospital beds per 10,000 people, rural",
                           "张", ("农村每万人医疗机构床位数",)),
    "health_workers_per_10k_urban": ("每万人拥有城市卫生技术人员数",
                                     "Health technicians per 10,000 people, urban", "人",
                                     ("每万人拥有城市卫生技术人员数",)),
    "health_workers_per_10k_rural": ("每万人拥有农村卫生技术人员数",
                                     "Health technicians per 10,000 people, rural", "人",
                                     ("每万人拥有农村卫生技术人员数",)),
    "doctors_per_10k_urban": ("每万人拥有城市执业(助理)医师数",
                              "Licensed doctors per 10,000 people, urban", "人",
                              ("每万人拥有城市执业(助理)医师数",)),
    "doctors_per_10k_rural": ("每万人拥有农村执业(助理)医师数",
                              "Licensed doctors per 10,000 people, rural", "人",
                              ("每万人拥有农村执业(助理)医师数",)),
    "rural_electricity": ("农村用电量", "Rural electricity consumption", "亿千瓦小时",
                          ("农村用电量",)),
    "irrigated_area": ("有效灌溉面积", "Effective irrigated area", "千公顷", ("有效灌溉面积",)),
    "fertiliser_use": ("农用化肥施用折纯量", "Chemical fertiliser use (pure nutrient)", "万吨",
                       ("农用化肥施用折纯量",)),
    "rural_employment": ("乡村从业人员", "Rural employed persons", "万人", ("乡村从业人员",)),
    "employment_agriculture": ("农林牧渔业从业人员",
                               "Employed in farming, forestry, animal husbandry and fishery",
                               "万人", ("农林牧渔业从业人员",)),
}

CATALOG: dict[str, Indicator] = {
    k: Indicator(id=k, name_zh=v[0], name_en=v[1], unit=v[2]) for k, v in _ENTRIES.items()
}


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower()


ALIASES: dict[str, str] = {}
for _id, (_zh, _en, _u, _al) in _ENTRIES.items():
    for _a in (_id, _zh, _en, *_al):
        ALIASES.setdefault(_norm(_a), _id)


def standard_id(name: str, unit: str = "") -> str | None:
    """The standard id a file's indicator name stands for, or None.

    Parameters
    ----------
    name : the indicator name as written in the file (e.g. ``年末常住人口``).
    unit : the unit the file states for it; an alias is accepted only when this unit is the
        standard unit (Chinese or English form) or empty, so 城镇人口 in persons is never
        taken for the standard 万人.

    Returns
    -------
    The catalogue id (``population_total``), or None when the name is unknown, already the
    standard id, or given in another unit.
    """
    target = ALIASES.get(_norm(name))
    if target is None or target == name:
        return None
    std = CATALOG[target]
    if unit and _norm(unit) not in {_norm(std.unit), _norm(_EN_UNITS.get(std.unit, std.unit))}:
        return None
    return target


def canonicalize(panel: Panel) -> Panel:
    """Rename indicators whose name is a known NBS text to the standard id.

    The unit of the file is kept: an alias is accepted only when the file's unit equals the
    standard unit (or the file states none), so 城镇人口 in persons is never taken for 万人.
    Two names of one indicator (年末常住人口 and 常住人口, or an alias next to the standard id)
    are merged: the same region and year must then carry the same value.

    Raises
    ------
    DataError
        when two names of one indicator give different values for one region and year.
    """
    renames: dict[str, str] = {}
    for ind_id, meta in panel.indicators.items():
        target = standard_id(ind_id, meta.unit)
        if target is not None:
            renames[ind_id] = target
    if not renames:
        return panel
    data = panel._data.astype({"indicator": str})
    data["indicator"] = data["indicator"].map(lambda c: renames.get(c, c))
    key = ["region_code", "year", "indicator"]
    dup = data.duplicated(key, keep=False)
    merged = 0
    if dup.any():
        # an alias and another name of the same indicator meet on one region-year
        original = panel._data["indicator"].astype(str)
        groups = data[dup].assign(name=original[dup]).groupby(key, observed=True)
        spread = groups["value"].nunique()
        bad = spread[spread > 1]
        if len(bad):
            issues = []
            for r, y, i in bad.index[:20]:
                rows = groups.get_group((r, y, i))
                given = ", ".join(f"{v:g} as '{n}'" for n, v in zip(rows["name"], rows["value"],
                                                                    strict=True))
                issues.append(Issue(f"conflicting values for {r} {y} '{i}' under two names of "
                                    f"the same indicator: {given}", value=f"{r} {y} {i}"))
            raise DataError(issues)
        first = ~data.duplicated(key, keep="first")
        merged = int((~first).sum())
        if panel.report is not None:
            for name, value in zip(original[~first], data["value"][~first], strict=True):
                panel.report.set_aside.append(Issue(
                    "identical value under another name of the same indicator (merged)",
                    column=name, value=f"{value:g}"))
            panel.report.rows_used -= merged
        data = data[first]
    meta = {}
    for k, v in panel.indicators.items():
        if k in renames or k in renames.values():
            target = renames.get(k, k)
            names = sorted(n for n, t in renames.items() if t == target)
            std = CATALOG[target]
            note = "read as " + " and ".join(f"'{n}'" for n in names)
            meta[target] = replace(std, source=v.source, notes=note + (
                f"; {v.notes}" if v.notes and k == target else ""))
        else:
            meta[k] = v
    out = Panel(data.reset_index(drop=True), meta, registry=panel.registry,
                region_names=panel.region_names, name=panel.name,
                provenance=panel.provenance, report=panel.report)
    if panel.report is not None:
        for k, v in renames.items():
            panel.report.notices.append(f"indicator '{k}' recognised as standard id '{v}'")
        if merged:
            panel.report.notices.append(f"{merged} identical value(s) given under two names of "
                                        "one indicator merged")
    return out


_EN_UNITS = {"万人": "10000 persons", "亿元": "100 million yuan", "元": "yuan", "万户": "10000 households"}


#: British spelling of :func:`canonicalize`.
canonicalise = canonicalize
