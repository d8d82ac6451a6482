"""Build the bundled datasets (``china_provinces``, ``china_national``, ``world_countries``)
from ``../shared/data`` into ``src/urbanrural/data/files/``.

Run from the repository root: ``python tools/build_datasets.py``. Every value is copied as
published (parsed to float); nothing is estimated, interpolated or filled. Where two source
files of the same vintage are joined, the script asserts that they agree on every overlapping
cell, and stops otherwise. Different vintages and different concepts (rural net income vs
rural disposable income; the old vs the current Engel series) get different indicator ids.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from urbanrural.data.breaks import (  # noqa: E402
    DOCUMENTED_BREAKS,
    break_metadata,
    split_frame_breaks,
)
from urbanrural.data.catalog import CATALOG  # noqa: E402
from urbanrural.data.panel import Indicator  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "urbanrural" / "data" / "files"

NBS = "National Bureau of Statistics of China (国家统计局)"
NO_LICENCE = "official statistics; the repository copy states no licence"


def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(SHARED / "raw" / name, dtype={"region_code": str, "value": str})


def _portal(name: str) -> pd.DataFrame:
    return pd.read_csv(SHARED / "nbs_portal" / name, dtype={"region_code": str, "value": str})


def _pick(df, indicator, new_id, years=None):
    d = df[df.indicator == indicator]
    if years is not None:
        d = d[d.year.between(*years)]
    assert len(d), (indicator, new_id)
    return pd.DataFrame({"region_code": d.region_code.to_numpy(), "year": d.year.astype(int),
                         "indicator": new_id, "value": d.value.astype(float).to_numpy()})


def _agree(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    m = a.merge(b, on=["region_code", "year", "indicator"])
    bad = m[(m.value_x - m.value_y).abs() > 1e-9]
    assert len(m) and not len(bad), f"{what}: {len(bad)} of {len(m)} overlapping cells differ"
    print(f"  check: {what}: {len(m)} overlapping values identical")


class Builder:
    def __init__(self, name: str):
        self.name = name
        self.parts: list[pd.DataFrame] = []
        self.meta: dict[str, dict] = {}

    def add(self, frame: pd.DataFrame, ind_id: str, source: str, licence: str, notes: str = "",
            name_zh: str | None = None, name_en: str | None = None, unit: str | None = None):
        base = CATALOG.get(ind_id)
        self.meta[ind_id] = {
            "id": ind_id,
            "name_zh": name_zh or (base.name_zh if base else ""),
            "name_en": name_en or (base.name_en if base else ""),
            "unit": unit or (base.unit if base else ""),
            "source": source, "licence": licence, "notes": notes,
        }
        assert self.meta[ind_id]["name_zh"] and self.meta[ind_id]["name_en"], ind_id
        self.parts.append(frame.assign(indicator=ind_id))

    def write(self) -> pd.DataFrame:
        data = pd.concat(self.parts, ignore_index=True)
        # documented series breaks become separate ids (urbanrural.data.breaks), recorded in
        # <name>_breaks.csv for the coverage section
        data, applied = split_frame_breaks(data)
        meta = {k: Indicator(**v) for k, v in self.meta.items()}
        meta.update(break_metadata(meta, DOCUMENTED_BREAKS, applied))
        self.meta = {k: asdict(v) for k, v in meta.items() if k in set(data.indicator)}
        applied.to_csv(OUT / f"{self.name}_breaks.csv", index=False)
        for r in applied.itertuples():
            print(f"  break: {r.indicator} at {r.break_year}: {r.n_before} values → "
                  f"{r.before_id}, {r.n_after} → {r.after_id}")
        key = ["region_code", "year", "indicator"]
        assert not data.duplicated(key).any(), data[data.duplicated(key, keep=False)]
        assert data.value.notna().all()
        data = data.sort_values(["indicator", "region_code", "year"], ignore_index=True)
        data["year"] = data.year.astype("int16")
        data.to_parquet(OUT / f"{self.name}.parquet", index=False, compression="zstd")
        pd.DataFrame(self.meta.values()).to_csv(OUT / f"{self.name}_indicators.csv",
                                                index=False)
        print(f"{self.name}: {len(data)} values, {data.indicator.nunique()} indicators, "
              f"{data.region_code.nunique()} regions, {data.year.min()}–{data.year.max()}")
        return data


def build_provinces() -> None:
    b = Builder("china_provinces")
    k44 = _raw("province_population_education_unemployment__kabuto44.csv")
    lmq = _raw("province_resident_population_2015_2024__1lmq.csv")
    pop_old = _pick(k44, "population_resident_yearend", "population_total", (2000, 2014))
    pop_new = _pick(lmq, lmq.indicator.iloc[0], "population_total")
    _agree(_pick(k44, "population_resident_yearend", "population_total", (2015, 2022)),
           pop_new, "resident population kabuto44 vs 1lmq 2015–2022 (same vintage)")
    b.add(pd.concat([pop_old, pop_new]), "population_total",
          f"{NBS}, data portal 分省年度数据 年末常住人口: 2000–2014 from the English export in "
          "kabuto44/Gaokao-Data-Analysis (commit 9781d627); 2015–2024 from the Chinese export in "
          "1lmq/FYP_QMM2_Chinese_Railways (commit b126026f)", NO_LICENCE,
          "Current vintage (revised after the 2020 census). The two exports agree on every "
          "value of 2015–2022, which the build checks. 2011–2019 differ from exports made "
          "before 2021 (older vintage).")
    for src, new in (("population_urban", "population_urban"),
                     ("population_rural", "population_rural")):
        b.add(_pick(k44, src, new), new,
              f"{NBS}, data portal English export (kabuto44/Gaokao-Data-Analysis, commit "
              "d51d49af)", NO_LICENCE,
              "Current vintage. Urban + rural = resident population for all 558 province-years "
              "(30 differ by 1 = rounding). Regional totals exclude active servicemen.")
    b.add(_pick(k44, "urban_registered_unemployment_rate", "unemployment_rate_urban_registered"),
          "unemployment_rate_urban_registered",
          f"{NBS}, data portal English export (kabuto44, commit d51d49af)", NO_LICENCE)
    for src, new in (("student_teacher_ratio_primary", "student_teacher_ratio_primary"),
                     ("student_teacher_ratio_junior_secondary",
                      "student_teacher_ratio_junior_secondary")):
        b.add(_pick(k44, src, new), new,
              f"{NBS}, data portal English export (kabuto44, commit d51d49af)", NO_LICENCE,
              "Pupils per full-time teacher.")
    gdp = _raw("province_gdp_2006_2024__RenJiyi163.csv")
    b.add(_pick(gdp, "gdp_regional", "gdp"), "gdp",
          f"{NBS}, data portal 分省年度数据 地区生产总值 (RenJiyi163/panel_data_analysis_for_thesis, "
          "commit e6d65372)", "MIT (repository)",
          "Nominal, current prices. Latest vintage: revised for 1992–2023 after the 5th "
          "national economic census. Do not splice with older exports (differences up to "
          "−33 % for Tianjin 2017).")
    inc = _raw("province_disposable_income_all_residents_2013_2018__Alphaaaaabet.csv")
    b.add(_pick(inc, inc.indicator.iloc[0], "disposable_income_all"), "disposable_income_all",
          f"{NBS}, data portal English export 'Per Capita Disposable Income Nationwide' "
          "(Alphaaaaabet/Regional-Economic-Status-and-COVID-19-Spread-Speed-in-China, commit "
          "29d7895f)", NO_LICENCE,
          "All residents (全体居民), integrated household survey, 2013 onwards only.")
    emp = _portal("01_province_urban_unit_employment.csv")
    b.add(_pick(emp, emp.indicator.iloc[0], "employment_urban_units"), "employment_urban_units",
          f"{NBS}, data portal 分省年度数据 (RenJiyi163, commit e6d65372, original_01.csv)",
          "MIT (repository)",
          "Urban units only (excludes private enterprises and the self-employed). Industry "
          "classification changed in 2012; many provinces jump between 2012 and 2013: not "
          "growth.")
    emp2 = _portal("02_province_private_and_individual_employment.csv")
    b.add(_pick(emp2, emp2.indicator.iloc[0], "employment_private_individual"),
          "employment_private_individual",
          f"{NBS}, data portal 分省年度数据 (RenJiyi163, commit e6d65372, original_02.csv)",
          "MIT (repository)")
    hh = _portal("03_province_rural_households_en.csv")
    b.add(_pick(hh, hh.indicator.iloc[0], "rural_households"), "rural_households",
          f"{NBS}, data portal English export (kabuto44, commit d51d49af, original_03.csv)",
          NO_LICENCE, "Sum of provinces equals the national figure within 0.04 for 2004–2012.")

    # Yearbook pages: scattered cross-sections, first-published vintage.
    pages = []
    for f in ("nbs_income.csv", "nbs_consumption.csv", "nbs_engel.csv", "nbs_employment.csv",
              "urban_rural_income_2011on.csv", "urban_rural_consumption_2011on.csv"):
        d = pd.read_csv(SHARED / "nbs" / f, dtype={"gb_code": str, "value": str})
        pages.append(d.assign(file=f))
    pages = pd.concat(pages, ignore_index=True)
    pages = pages[pages.gb_code.str.endswith("0000") & (pages.gb_code != "000000")]
    page_map = {
        "urban_disposable_income": "urban_disposable_income",
        "rural_net_income": "rural_net_income",
        "rural_disposable_income": "rural_disposable_income",
        "urban_consumption_expenditure": "urban_consumption",
        "urban_consumption": "urban_consumption",
        "rural_consumption": "rural_consumption",
        "rural_living_expenditure": "rural_living_expenditure",
        "urban_engel_coefficient": "urban_engel",
        "rural_engel_coefficient": "rural_engel",
        "employment_total": "employment_total",
        "employment_primary": "employment_primary",
        "employment_secondary": "employment_secondary",
        "employment_tertiary": "employment_tertiary",
    }
    sel = pages[pages.indicator.isin(page_map)].copy()
    sel["indicator"] = sel.indicator.map(page_map)
    sel["num"] = sel.value.astype(float)
    key = ["gb_code", "year", "indicator"]
    # the same value read on two pages is kept once; different values would stop the build
    nun = sel.groupby(key)["num"].nunique()
    assert (nun == 1).all(), nun[nun > 1]
    sel = sel.drop_duplicates(key)
    for new_id, sub in sel.groupby("indicator"):
        tables = "; ".join(sorted(set(sub.table_title.str.slice(0, 80))))[:600]
        frame = pd.DataFrame({"region_code": sub.gb_code.to_numpy(),
                              "year": sub.year.astype(int).to_numpy(),
                              "value": sub.num.to_numpy()})
        concept = {
            "rural_net_income": "Old rural household survey concept (纯收入); not comparable "
                                "with rural disposable income from 2013.",
            "rural_disposable_income": "Integrated survey (2013+).",
            "rural_living_expenditure": "Old rural survey concept; not the 2013+ 消费支出.",
            "urban_engel": "As published at the time (old survey series).",
            "rural_engel": "As published at the time (old survey series).",
        }.get(new_id, "")
        b.add(frame, new_id,
              f"{NBS}, statistical yearbook tables transcribed from official pages "
              f"(shared/data/nbs; every row's page address is in that folder): {tables}",
              "official statistics (public yearbook pages)",
              "Scattered years only, first-published vintage; a cross-section, not a "
              "continuous panel. " + concept)
    return b.write()


def build_national() -> None:
    b = Builder("china_national")
    f05 = _portal("05_national_population_urban_rural.csv")
    names = {"年末总人口(万人)": "population_total", "城镇人口(万人)": "population_urban",
             "乡村人口(万人)": "population_rural", "男性人口(万人)": "population_male",
             "女性人口(万人)": "population_female"}
    raw4 = _raw("national_population_urban_rural_2003_2022__576656893.csv")
    raw4 = raw4.assign(indicator=raw4.indicator.replace(
        {"population_total_yearend": "population_total"}))
    for src, new in names.items():
        cur = _pick(f05, src, new)
        _agree(cur, _pick(raw4, new, new), f"national {new}: portal 05 vs raw 576656893")
        old = _pick(raw4, new, new, (2003, 2005))
        b.add(pd.concat([old, cur]), new,
              f"{NBS}, data portal 年度数据: 2006–2024 from ruiyugao/WBS-G6-Project-2026 "
              "(original_05.xls), 2003–2005 from 576656893/--- (年度数据.csv); the two agree "
              "on all 2006–2022 values", NO_LICENCE,
              "Current vintage (after the 2020 census). Servicemen are counted in the urban "
              "population (national only).")
    f13 = _portal("13_national_population_urban_rural_1978_2014.csv")
    for src, new in (("城镇人口", "population_urban"), ("乡村人口", "population_rural"),
                     ("年末总人口", "population_total")):
        old_id = f"{new}_2016_vintage"
        base = CATALOG[new]
        b.add(_pick(f13, src, old_id), old_id,
              f"{NBS}, data portal query interface, April 2016 (yiyuezhuo/National-Data, "
              "commit bece4b18)", NO_LICENCE,
              "April-2016 vintage, 1978–2014. Equal to the current vintage for 2003–2010, "
              "different for 2011–2014 (revised after the 2020 census): kept as its own "
              "indicator, never spliced.",
              name_zh=base.name_zh + "（2016年版）", name_en=base.name_en + " (2016 vintage)",
              unit=base.unit)
    f07 = _portal("07_national_urban_rural_income_engel.csv")
    b.add(_pick(f07, "城镇居民家庭人均可支配收入", "urban_disposable_income"),
          "urban_disposable_income",
          f"{NBS}, data portal query interface (yiyuezhuo/National-Data, commit bece4b18), "
          "1978–2012; 2013 onwards see urban_disposable_income_new_survey", NO_LICENCE,
          "Old urban household survey, current prices.")
    b.add(_pick(f07, "农村居民家庭人均纯收入", "rural_net_income"), "rural_net_income",
          f"{NBS}, data portal query interface (yiyuezhuo/National-Data), 1978–2012",
          NO_LICENCE, "Old rural household survey concept (纯收入), current prices. Ends 2012.")
    b.add(_pick(f07, "农村居民家庭恩格尔系数", "rural_engel"), "rural_engel",
          f"{NBS}, data portal query interface (yiyuezhuo/National-Data), 1978–2012",
          NO_LICENCE, "Series as published at the time (old surveys).")
    b.add(_pick(f07, "城镇居民家庭恩格尔系数", "urban_engel"), "urban_engel",
          f"{NBS}, data portal query interface (yiyuezhuo/National-Data), 1978–2012",
          NO_LICENCE, "Series as published at the time (old surveys); 1979 not published.")
    f14 = _portal("14_national_engel_all_urban_rural.csv")
    for code, new, zh, en in (
            ("A0A0H01", "engel_all_current_series", "居民恩格尔系数（现行历史序列）",
             "Engel coefficient, all residents (current NBS series)"),
            ("A0A0H02", "urban_engel_current_series", "城镇居民恩格尔系数（现行历史序列）",
             "Urban Engel coefficient (current NBS series)"),
            ("A0A0H03", "rural_engel_current_series", "农村居民恩格尔系数（现行历史序列）",
             "Rural Engel coefficient (current NBS series)")):
        ind = f14.indicator[f14.indicator.str.contains(code)].iloc[0]
        b.add(_pick(f14, ind, new), new,
              f"{NBS}, data portal indicator {code} (TKTKT123/-, commit cc948a70)", NO_LICENCE,
              "The current NBS historical series, recomputed on the integrated-survey basis: "
              "lower than the series published at the time by up to 4 points by 2012. Never "
              "mix with urban_engel / rural_engel.", name_zh=zh, name_en=en, unit="%")
    f08 = _portal("08_national_urban_rural_income_consumption_new_survey.csv")
    f06 = _portal("06_national_urban_rural_income_consumption.csv")
    for src08, src06, new in (
            ("城镇居民人均可支配收入", "城镇居民人均可支配收入(元)", "urban_disposable_income_new_survey"),
            ("农村居民人均可支配收入", "农村居民人均可支配收入(元)", "rural_disposable_income"),
            ("城镇居民人均消费支出", "城镇居民人均消费支出(元)", "urban_consumption"),
            ("农村居民人均消费支出", "农村居民人均消费支出(元)", "rural_consumption"),
            ("居民人均可支配收入", "居民人均可支配收入(元)", "disposable_income_all"),
            ("居民人均消费支出", "居民人均消费支出(元)", "consumption_all")):
        full = _pick(f08, src08, new)  # 2013–2014 at full precision
        later = _pick(f06, src06, new, (2015, 2020))  # whole yuan
        base = CATALOG.get(new)
        zh = en = None
        if new == "urban_disposable_income_new_survey":
            zh, en = "城镇居民人均可支配收入（一体化调查）", \
                "Urban per-capita disposable income (integrated survey, 2013+)"
        b.add(pd.concat([full, later]), new,
              f"{NBS}, integrated household survey: 2013–2014 from the portal query interface "
              "(yiyuezhuo/National-Data) at full precision; 2015–2020 from the portal export "
              "in VasantLong/campus_DA (original_06.xls, whole yuan)", NO_LICENCE,
              "Integrated urban–rural household survey (2013+). 2013–2014 agree with the "
              "whole-yuan export after rounding.", name_zh=zh, name_en=en,
              unit=None if base else "元")
    f09 = _portal("09_national_health_beds_urban_rural.csv")
    for src, new in (("城市每万人医疗卫生机构床位数", "beds_per_10k_urban"),
                     ("农村每万人医疗卫生机构床位数", "beds_per_10k_rural")):
        cand = f09.indicator[f09.indicator.str.contains(src[:2]) &
                             f09.indicator.str.contains("每万人")].unique()
        ind = next(c for c in cand if src[:2] in c)
        b.add(_pick(f09, ind, new), new,
              f"{NBS}, data portal query interface (yiyuezhuo/National-Data), source text "
              f"'{ind}'", NO_LICENCE, "Urban = 城市, rural = 农村 as defined by the health "
                                      "statistics; 2007–2014.")
    f10 = _portal("10_national_health_workers_urban_rural.csv")
    for src, new in (("每万人拥有城市卫生技术人员数", "health_workers_per_10k_urban"),
                     ("每万人拥有农村卫生技术人员数", "health_workers_per_10k_rural"),
                     ("每万人拥有城市执业(助理)医师数", "doctors_per_10k_urban"),
                     ("每万人拥有农村执业(助理)医师数", "doctors_per_10k_rural")):
        b.add(_pick(f10, src, new), new,
              f"{NBS}, data portal query interface (yiyuezhuo/National-Data)", NO_LICENCE,
              "Scattered years 1980–2014; the source's 0.0 placeholders for 2002 were dropped.")
    f11 = _portal("11_national_rural_electricity_irrigation_fertiliser.csv")
    for src, new in (("农村用电量", "rural_electricity"), ("有效灌溉面积", "irrigated_area"),
                     ("农用化肥施用折纯量", "fertiliser_use")):
        b.add(_pick(f11, src, new), new,
              f"{NBS}, data portal query interface (yiyuezhuo/National-Data)", NO_LICENCE,
              "1978–2014; unit is the NBS standard unit (not stated in the source file).")
    f12 = _portal("12_national_rural_employment.csv")
    for src, new in (("乡村从业人员", "rural_employment"),
                     ("农林牧渔业从业人员", "employment_agriculture")):
        b.add(_pick(f12, src, new), new,
              f"{NBS}, data portal query interface (yiyuezhuo/National-Data)", NO_LICENCE,
              "1978–2012.")
    mac = _raw("national_urban_rural_income_1978_2016__macoyo2.csv")
    gini = _pick(mac, "gini_coefficient_as_published_in_file", "gini_national", (2003, 2016))
    b.add(gini, "gini_national",
          f"{NBS} via the replication data of Zhang (2021, Journal of Economic Literature), "
          "macoyo2/Income-Inequality-in-China (commit f1678477)", "none stated",
          "Official NBS Gini, 2003–2016 only (earlier values in the source file are literature "
          "estimates of unnamed origin and are not shipped).")
    return b.write()


WORLD_PAIRS = {
    "water_basic_or_better": ("基本及以上饮用水服务覆盖率", "At least basic drinking water"),
    "water_safely_managed": ("安全管理的饮用水服务覆盖率", "Safely managed drinking water"),
    "sanitation_basic_or_better": ("基本及以上卫生设施覆盖率", "At least basic sanitation"),
    "sanitation_safely_managed": ("安全管理的卫生设施覆盖率", "Safely managed sanitation"),
    "sanitation_open_defecation": ("露天排便率", "Open defecation"),
    "hygiene_basic": ("基本洗手设施覆盖率", "Basic hygiene (handwashing with soap and water)"),
    "water_surface_water": ("使用地表水比例", "Surface water as drinking source"),
}
AREA = {"urban": ("城镇", "urban"), "rural": ("农村", "rural"), "total": ("全国", "national")}


def build_world() -> None:
    b = Builder("world_countries")
    jmp = pd.read_csv(SHARED / "world" / "jmp_wash_2021_percent.csv",
                      dtype={"value": str}, keep_default_na=False)
    jmp = jmp[jmp.iso3 != ""]
    for ind, (zh, en) in WORLD_PAIRS.items():
        for area, (azh, aen) in AREA.items():
            sub = jmp[(jmp.indicator == ind) & (jmp.area == area)]
            frame = pd.DataFrame({"region_code": sub.iso3.to_numpy(),
                                  "year": sub.year.astype(int).to_numpy(),
                                  "value": sub.value.astype(float).to_numpy()})
            b.add(frame, f"{ind}_{area}",
                  "WHO/UNICEF Joint Monitoring Programme (JMP) 2021 update, via Our World in "
                  "Data owid/owid-datasets 'Water and Sanitation (WHO WASH, 2021)' (commit "
                  "c90a3dc5)", "licence not stated in the source metadata; cite JMP and OWID",
                  f"% of the {aen} population.",
                  name_zh=f"{azh}{zh}", name_en=f"{en}, {aen} (% of {aen} population)",
                  unit="%")
    wup = pd.read_csv(SHARED / "world" / "un_wup2018_population.csv", dtype={"value": str},
                      keep_default_na=False)
    wup = wup[(wup.iso3 != "") & wup.year.between(2000, 2020)]
    for area, (azh, aen) in (("urban", AREA["urban"]), ("rural", AREA["rural"])):
        for ind, zh, en, unit in (("population", "人口", "population", "people"),
                                  ("population_share", "人口比重", "population share", "%")):
            for src, suffix, note in (("un_wup_2018", "", "UN estimates, 2000–2018."),
                                      ("un_wup_2018_projection", "_projected",
                                       "UN projections made in 2018 (years after the base "
                                       "year 2018): not observations.")):
                sub = wup[(wup.indicator == ind) & (wup.area == area) & (wup.source == src)]
                frame = pd.DataFrame({"region_code": sub.iso3.to_numpy(),
                                      "year": sub.year.astype(int).to_numpy(),
                                      "value": sub.value.astype(float).to_numpy()})
                b.add(frame, f"{ind}_{area}{suffix}",
                      "UN DESA Population Division, World Urbanization Prospects: The 2018 "
                      "Revision, via Our World in Data owid/owid-datasets", "generally CC BY "
                      "3.0 IGO (not verified in the source metadata)", note,
                      name_zh=f"{azh}{zh}" + ("（预测）" if suffix else ""),
                      name_en=f"{aen.capitalize()} {en}" + (" (projection)" if suffix else ""),
                      unit="人" if unit == "people" else unit)
    mpi = pd.read_csv(SHARED / "world" / "ophi_mpi_2022.csv", dtype={"value": str},
                      keep_default_na=False)
    mpi = mpi[mpi.iso3 != ""]
    for ind, zh, en, unit in (("mpi_cme_headcount_ratio", "多维贫困发生率", "MPI headcount ratio",
                               "%"),
                              ("mpi_cme_index", "多维贫困指数", "Multidimensional Poverty Index",
                               "0–1")):
        for area, (azh, aen) in AREA.items():
            sub = mpi[(mpi.indicator == ind) & (mpi.area == area)]
            frame = pd.DataFrame({"region_code": sub.iso3.to_numpy(),
                                  "year": sub.year.astype(int).to_numpy(),
                                  "value": sub.value.astype(float).to_numpy()})
            b.add(frame, f"{ind}_{area}",
                  "OPHI global Multidimensional Poverty Index 2022 (current margin estimates), "
                  "via Our World in Data owid/owid-datasets", "licence not stated; OPHI asks "
                  "for citation", "Year = survey year; one survey per country.",
                  name_zh=f"{azh}{zh}", name_en=f"{en}, {aen}", unit=unit)
    return b.write()


if __name__ == "__main__":
    build_provinces()
    build_national()
    build_world()
