"""results.xlsx (issue 11.5): every header of every sheet bilingual, with its unit, unique in
its sheet, and the letters that mean different things in different tables (D: coupling
coordination degree vs Dagum's relative economic affluence) labelled by their table."""

import re

import openpyxl
import pandas as pd
import pytest

from urbanrural.outputs.bundle import table_labels, write_analysis
from urbanrural.outputs.tables import header_for, write_tables

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def run(default_result, default_report):
    result = default_result
    wb = openpyxl.load_workbook(default_report / "results.xlsx", read_only=True)
    heads = {name: [c.value for c in next(wb[name].iter_rows(max_row=1))]
             for name in wb.sheetnames}
    wb.close()
    return result, heads


def test_every_header_is_bilingual_and_unique_in_its_sheet(run):
    _, heads = run
    assert len(heads) >= 40
    not_bilingual = [(sheet, h) for sheet, hs in heads.items() for h in hs
                     if not (HAN.search(str(h)) and LATIN.search(str(h)))]
    assert not_bilingual == []
    repeated = {sheet: sorted({h for h in hs if hs.count(h) > 1}) for sheet, hs in heads.items()}
    assert {s: r for s, r in repeated.items() if r} == {}


def test_headers_are_those_of_header_for_with_the_tables_labels(run):
    result, heads = run
    for _, t in result.tables():
        assert heads[t.key] == [header_for(c, table_labels(t), units=t.units)
                                for c in t.frame.columns], t.key


def test_d_is_labelled_by_its_table(run):
    result, heads = run
    coupling = dict(zip([c for c in result.section("world").table("world_services_china")
                         .frame.columns], heads["world_services_china"], strict=True))
    assert "协调度" in coupling["D"] and "相对经济影响力" not in coupling["D"]
    assert coupling["C"].startswith("耦合度 ") and coupling["T"].startswith("综合发展指数 ")
    assert "耦合协调度" in coupling["median_D"] and "耦合协调度" in coupling["rank_D"]
    pairs = result.section("disparity").table("dagum_pairs_gdp_pc").frame.columns
    dagum = dict(zip(pairs, heads["dagum_pairs_gdp_pc"], strict=True))
    assert "相对经济影响力" in dagum["D"] and "协调" not in dagum["D"]
    assert header_for("D") == "D"  # no context-free reading of D


def test_sheet_names_unique_and_fit_excel(run):
    _, heads = run
    names = list(heads)
    assert len({n.lower() for n in names}) == len(names)
    assert all(0 < len(n) <= 31 for n in names)


def test_units_and_systematic_names():
    assert header_for("half_life") == "半衰期（年） half life (years)"
    assert header_for("between_share") == "组间贡献率（占比） between share (0–1)"
    assert header_for("p_value") == "p值（概率） p value (0–1)"
    assert header_for("theil_between_share_w") == \
        "人口加权泰尔指数组间贡献率（占比） Theil between share weighted (0–1)"
    assert header_for("gini_u_ci_low") == "不加权基尼系数置信区间下限 Gini unweighted CI low"
    assert header_for("region_en") == "地区（英文） region (English)"
    assert header_for("water_gap") == "基本及以上饮用水服务：城乡差距（百分点） water gap (pp)"
    assert header_for("open_defecation_urban") == "露天排便率：城镇（%） open defecation urban (%)"
    assert header_for("p_to_3") == "转移到第3类的概率 p to class 3"
    assert header_for("min_D", {"D": "耦合协调度"}) == "耦合协调度最小值 min D"
    # a table's unit wins; "中文 / english" and a bare NBS unit are read too
    assert header_for("change", units={"change": "百分点 / points"}) == \
        "变化量（百分点） change (points)"
    assert header_for("population_urban", units={"population_urban": "万人"}) == \
        "城镇人口（万人） urban population (10,000 persons)"
    # a name nobody labelled (a user's column) keeps its header: nothing invented
    assert header_for("my_indicator") == "my_indicator" and header_for("=1+1") == "=1+1"


def test_write_tables_takes_per_table_labels(tmp_path):
    frame = pd.DataFrame({"year": [2020], "D": [0.5]})
    write_tables({"coupling": frame, "dagum": frame}, tmp_path, workbook="t.xlsx", csv=False,
                 labels={"coupling": {"D": "耦合协调度"}, "dagum": {"D": "相对经济影响力"}})
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx", read_only=True)
    got = {n: [c.value for c in next(wb[n].iter_rows(max_row=1))] for n in wb.sheetnames}
    wb.close()
    assert got == {"coupling": ["年份 year", "耦合协调度 D"], "dagum": ["年份 year", "相对经济影响力 D"]}


def test_the_first_sheet_names_every_other_sheet_in_both_languages(run, tmp_path):
    import openpyxl

    result, heads = run
    assert list(heads)[0] == "contents"
    keys = [t.key for _, t in result.tables()]
    assert list(heads)[1:] == keys
    out = tmp_path / "w"
    write_analysis(result, out)
    c = pd.read_excel(out / "results.xlsx", sheet_name="contents", engine="calamine")
    assert c.iloc[:, 0].tolist() == keys
    first = result.tables()[0]
    assert c.iloc[0].tolist()[1:5] == [first[0].title_zh, first[0].title_en, first[1].title_zh,
                                       first[1].title_en]
    assert c.iloc[0, 5] == len(first[1].frame)
    wb = openpyxl.load_workbook(out / "results.xlsx", read_only=True)
    assert wb.sheetnames[0] == "contents"
