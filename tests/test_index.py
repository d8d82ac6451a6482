"""Framework specs and the index pipeline on the embedded data."""

import numpy as np
import pandas as pd
import pytest
import yaml

import urbanrural as ur
from urbanrural.data import DataError
from urbanrural.pipeline.framework import BUILTIN_FRAMEWORKS


def spec(**over):
    base = {
        "id": "t", "name_zh": "测试", "name_en": "Test", "weights": "equal",
        "nodes": [
            {"id": "a", "name_zh": "甲", "name_en": "A", "weights": "entropy", "indicators": [
                {"id": "urb", "name_zh": "城镇化率", "name_en": "Urbanisation", "unit": "%",
                 "direction": "benefit",
                 "formula": {"kind": "share", "a": "population_urban", "b": "population_total"}},
                {"id": "unemp", "name_zh": "失业率", "name_en": "Unemployment", "unit": "%",
                 "direction": "cost", "source": "unemployment_rate_urban_registered"}]},
            {"id": "b", "name_zh": "乙", "name_en": "B", "weights": {"gdp_pc": 1.0},
             "indicators": [
                 {"id": "gdp_pc", "name_zh": "人均GDP", "name_en": "GDP pc", "unit": "元/人",
                  "direction": "benefit",
                  "formula": {"kind": "per_capita", "a": "gdp", "b": "population_total"}}]},
        ],
        "years": [2010, 2019],
        "coupling": {"systems": ["a", "b"], "form": "wang"},
    }
    base.update(over)
    return base


@pytest.mark.parametrize("mutate,message", [
    (lambda s: s["nodes"][0]["indicators"][1].pop("direction"), "no direction"),
    (lambda s: s["nodes"][0].update(weights="magic"), "unknown weight method"),
    (lambda s: s["nodes"][1].update(weights={"gdp_pc": 0.7}), "sum to 0.7"),
    (lambda s: s["nodes"][1]["indicators"][0].update(id="urb"), "used twice"),
    (lambda s: s["nodes"][0].pop("name_en"), "missing name_en"),
    (lambda s: s["nodes"][0]["indicators"][0].update(formula={"kind": "log", "a": "x",
                                                               "b": "y"}), "formula needs"),
    (lambda s: s["nodes"][0]["indicators"][1].update(formula={"kind": "ratio", "a": "x",
                                                               "b": "y"}), "exactly one"),
    (lambda s: s.update(coupling={"systems": ["a", "zzz"]}), "coupling systems"),
])
def test_spec_validation_errors(mutate, message):
    s = spec()
    mutate(s)
    with pytest.raises(DataError, match=message):
        ur.load_framework(s)


def test_spec_from_yaml_file(tmp_path):
    f = tmp_path / "fw.yaml"
    f.write_text(yaml.safe_dump(spec(), allow_unicode=True), encoding="utf-8")
    fw = ur.load_framework(str(f))
    assert [x.id for x in fw.indicators()] == ["urb", "unemp", "gdp_pc"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(DataError, match="not valid YAML"):
        ur.load_framework(str(bad))


@pytest.fixture(scope="module")
def result():
    return ur.run_index(ur.load_dataset("china_provinces"), spec())


def test_scores_weights_and_global_weights(result):
    sc = result.tables["scores"]
    assert len(sc) == 31 * 10 and sc.total.between(0, 1).all()
    w = result.tables["weights"]
    leaves = w[w.node.isin(["urb", "unemp", "gdp_pc"])]
    assert leaves.global_weight.sum() == pytest.approx(1.0)
    # global weight = product of the local weights on the path
    a = w.set_index("node").weight
    assert leaves.set_index("node").global_weight["urb"] == pytest.approx(a["a"] * a["urb"])
    # total = Σ global weight × normalised value (linear aggregation)
    norm = result.tables["normalized"].pivot_table(index=["region_code", "year"],
                                                   columns="indicator", values="value")
    g = leaves.set_index("node").global_weight
    total = (norm[g.index] * g).sum(axis=1)
    merged = sc.set_index(["region_code", "year"]).total
    assert np.allclose(total.loc[merged.index], merged)


def test_index_matches_the_methods_called_directly(result):
    p = ur.load_dataset("china_provinces").select(years=(2010, 2019))
    p = p.derive("u", "share", "population_urban", "population_total")
    X = np.column_stack([p.wide("u").stack().sort_index(),
                         p.wide("unemployment_rate_urban_registered").stack().sort_index()])
    Z = ur.normalize(X, directions=[1, -1])
    w = ur.entropy_weights(Z, normalization="none")
    ww = result.tables["weights"].set_index("node").weight
    assert ww[["urb", "unemp"]].to_numpy() == pytest.approx(w)


def test_obstacles_sum_to_100_and_coupling_bounds(result):
    ob = result.tables["obstacles"].groupby(["region_code", "year"]).obstacle.sum()
    assert np.allclose(ob[ob > 0], 100)
    dims = result.tables["dimension_obstacles"].groupby(["region_code", "year"]).obstacle.sum()
    assert np.allclose(dims[dims > 0], 100)
    c = result.tables["coupling"]
    assert c.C.between(0, 1).all() and c.D.between(0, 1).all()
    assert set(c.lagging) <= {"a", "b"}
    top = result.tables["top_obstacles"]
    assert (top.groupby(["region_code", "year"]).size() == 3).all()


def test_builtin_frameworks_run_and_report_what_is_missing():
    for name in BUILTIN_FRAMEWORKS:
        fw = ur.load_framework(name)
        panel = ur.load_dataset(fw.dataset)
        res = ur.run_index(panel, fw)
        sc = res.tables["scores"]
        # every scored region-year is one of the data's (national frameworks: the country)
        assert len(sc) > 0 and set(sc.region_code) <= set(panel.regions)
        assert len(sc) == len(sc[["region_code", "year"]].drop_duplicates())
        for ind in fw.indicators():
            assert ind.name_zh and ind.name_en
    res = ur.run_index(ur.load_dataset("china_provinces"), "urban_rural_integration")
    un = res.tables["unavailable"].set_index("indicator").reason
    assert "cannot be filled" in un["infrastructure"]
    assert "below the framework's minimum" in un["income_ratio"]
    assert "not in the data" in un["tap_water_gap"]


def test_user_data_fills_a_missing_dimension():
    """A user's file with the missing series fills the dimension with no code change."""
    p = ur.load_dataset("china_provinces").select(years=(2013, 2024))
    gdp = p.select(indicators="gdp").data
    fakes = [ur.Panel(gdp.assign(indicator=i, value=np.linspace(lo, 99, len(gdp))),
                      [ur.Indicator(i, unit="%")])  # test inputs, not data
             for i, lo in (("water_coverage_urban", 80), ("tap_water_coverage_rural", 40))]
    merged = p.merge(fakes[0]).merge(fakes[1])
    res = ur.run_index(merged, "urban_rural_integration")
    assert "infrastructure" in res.tables["scores"].columns
    assert "tap_water_gap" not in set(res.tables["unavailable"].indicator)


def test_world_framework_gap_and_goalposts():
    res = ur.run_index(ur.load_dataset("world_countries"), "urban_rural_services")
    c = res.tables["coupling"]
    assert "gap_urban_minus_rural" in c.columns
    chn = c[(c.region_code == "CHN") & (c.year == 2020)]
    assert len(chn) == 1 and chn.gap_urban_minus_rural.iloc[0] > 0
    n = res.tables["normalized"]
    assert n.value.between(0, 1).all()


def test_index_cli(tmp_path):
    from urbanrural.cli import main

    fw = tmp_path / "fw.yaml"  # a framework with coupling the embedded data can fill
    fw.write_text(yaml.safe_dump(spec(), allow_unicode=True), encoding="utf-8")
    tmp_path = tmp_path / "out"
    assert main(["index", "--data", "china_provinces", "--framework", str(fw),
                 "--out", str(tmp_path)]) == 0
    for name in ("scores.csv", "weights.csv", "coupling.csv", "obstacles.csv", "index.xlsx",
                 "framework.yaml", "unavailable.csv", "excluded.csv"):
        assert (tmp_path / name).exists(), name
    sheet = pd.read_excel(tmp_path / "index.xlsx", sheet_name="scores", engine="calamine")
    assert "年份 year" in sheet.columns and "排名 rank" in sheet.columns


def test_ahp_weights_in_a_framework():
    s = spec()
    s["weights"] = {"ahp": [[1, 3], [1 / 3, 1]]}
    fw = ur.load_framework(s)
    assert fw.root.weights == pytest.approx({"a": 0.75, "b": 0.25})
    s["nodes"][0]["weights"] = {"ahp": [[1, 9], [1 / 9, 1], [1, 1]]}
    with pytest.raises(DataError):
        ur.load_framework(s)


def test_geometric_aggregation_from_yaml_by_hand(tmp_path):
    """``aggregation: geometric`` in a YAML framework, with the positive range it needs
    declared as normalization bounds: every level is Πⱼ zⱼ^wⱼ of its children, computed here
    by hand from the raw panel."""
    from urbanrural.data.registry import NATIONAL_CODE

    f = tmp_path / "geo.yaml"
    f.write_text(yaml.safe_dump(spec(aggregation="geometric", normalization={
        "method": "minmax", "mode": "pooled", "bounds": [1, 100]}), allow_unicode=True),
        encoding="utf-8")
    res = ur.run_index(ur.load_dataset("china_provinces"), str(f))
    p = ur.load_dataset("china_provinces").select(years=(2010, 2019))
    p = p.derive("u", "share", "population_urban", "population_total")
    p = p.derive("g", "per_capita", "gdp", "population_total")
    raw = pd.DataFrame({k: p.wide(i).drop(index=[NATIONAL_CODE], errors="ignore").stack()
                        for k, i in (("urb", "u"), ("unemp", "unemployment_rate_urban_registered"),
                                     ("gdp_pc", "g"))}).dropna()
    z = (raw - raw.min()) / (raw.max() - raw.min())
    z["unemp"] = 1 - z["unemp"]  # cost
    zb = 1 + 99 * z
    w = ur.entropy_weights(zb[["urb", "unemp"]].to_numpy(), normalization="none")
    ww = res.tables["weights"].set_index("node").weight
    assert ww[["urb", "unemp"]].to_numpy() == pytest.approx(w, rel=1e-12)
    a = zb.urb ** w[0] * zb.unemp ** w[1]
    total = a**0.5 * zb.gdp_pc**0.5  # root: equal weights over a and b
    sc = res.tables["scores"].set_index(["region_code", "year"])
    idx = pd.MultiIndex.from_tuples([(r, int(y)) for r, y in raw.index])
    np.testing.assert_allclose(sc.loc[idx, "a"], a.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(sc.loc[idx, "total"], total.to_numpy(), rtol=1e-12)
    assert len(sc) == len(raw) and sc.total.between(1, 100).all()
    # the normalised table shows what was aggregated; coupling gets scores back in [0, 1]
    assert res.tables["normalized"].value.between(1, 100).all()
    c = res.tables["coupling"]
    assert c.U_a.between(0, 1).all() and c.D.between(0, 1).all()
    np.testing.assert_allclose(c.set_index(["region_code", "year"]).loc[idx, "U_a"],
                               (a.to_numpy() - 1) / 99, rtol=1e-12)
    assert any("bounds" in n for n in res.notes)


def test_geometric_without_a_positive_range_says_how_to_fix_it():
    with pytest.raises(DataError, match=r"'urb'.*bounds: \[1, 100\]"):
        ur.run_index(ur.load_dataset("china_provinces"), spec(aggregation="geometric"))
    with pytest.raises(DataError, match="unknown aggregation 'product'"):
        ur.run_index(ur.load_dataset("china_provinces"), spec(aggregation="product"))
    with pytest.raises(DataError, match="lo < hi"):
        ur.run_index(ur.load_dataset("china_provinces"), spec(normalization={
            "method": "minmax", "bounds": [100, 1]}))
