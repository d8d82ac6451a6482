"""Bundled datasets: values equal the shared official files; vintages and concepts kept apart."""

import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data import DataError

from .conftest import SHARED


def _v(panel, region, year, ind):
    d = panel.data
    return float(d[(d.region_code == region) & (d.year == year) & (d.indicator == ind)]
                 .value.iloc[0])


@pytest.fixture(scope="module")
def prov():
    return ur.load_dataset("china_provinces")


@pytest.fixture(scope="module")
def nat():
    return ur.load_dataset("china_national")


def test_every_indicator_has_bilingual_names_unit_and_source():
    for name in ("china_provinces", "china_national", "world_countries"):
        p = ur.load_dataset(name)
        for ind in p.indicators.values():
            assert ind.name_zh and ind.name_en and ind.unit and ind.source and ind.licence, ind


def test_provinces_equal_the_raw_files(prov):
    raw = pd.read_csv(SHARED / "raw" / "province_population_education_unemployment__kabuto44.subset.csv",
                      dtype={"region_code": str})
    for src, dst in (("population_urban", "population_urban"),
                     ("population_rural", "population_rural"),
                     ("urban_registered_unemployment_rate",
                      "unemployment_rate_urban_registered")):
        want = raw[raw.indicator == src].set_index(["region_code", "year"]).value
        d = prov.data
        got = d[d.indicator == dst].set_index(["region_code", "year"]).value
        pd.testing.assert_series_equal(got.sort_index(), want.sort_index(),
                                       check_names=False)
    gdp = pd.read_csv(SHARED / "raw" / "province_gdp_2006_2024__RenJiyi163.csv",
                      dtype={"region_code": str})
    assert len(prov.select(indicators="gdp")) == len(gdp)
    assert _v(prov, "110000", 2024, "gdp") == 49670.2
    assert _v(prov, "120000", 2017, "gdp") == 12468.2  # latest vintage, not 18,549.19


def test_population_total_joins_two_exports_of_one_vintage(prov):
    assert prov.select(indicators="population_total").years == list(range(2000, 2025))
    assert _v(prov, "440000", 2018, "population_total") == 12348  # post-2020-census vintage
    assert _v(prov, "110000", 2024, "population_total") == 2183
    assert len(prov.select(indicators="population_total")) == 31 * 25


def test_urban_plus_rural_equals_total_within_rounding(prov):
    w = prov.to_array(indicators=["population_urban", "population_rural", "population_total"],
                      years=range(2005, 2023))
    diff = w.values[:, :, 0] + w.values[:, :, 1] - w.values[:, :, 2]
    assert abs(diff).max() <= 1


def test_rural_income_concepts_are_never_spliced(prov, nat):
    for p in (prov, nat):
        assert "rural_net_income" in p.indicators and "rural_disposable_income" in p.indicators
    assert nat.select(indicators="rural_net_income").years[-1] == 2012
    assert nat.select(indicators="rural_disposable_income").years[0] == 2013
    assert _v(nat, "000000", 1978, "rural_net_income") == 133.57
    assert _v(nat, "000000", 2013, "rural_disposable_income") == pytest.approx(9429.59383948)
    assert _v(nat, "000000", 2020, "rural_disposable_income") == 17131


def test_engel_series_and_population_vintages_are_separate(nat):
    assert _v(nat, "000000", 2012, "urban_engel") == pytest.approx(36.2, abs=0.05)
    assert _v(nat, "000000", 2012, "urban_engel_current_series") == pytest.approx(32.0, abs=0.05)
    assert _v(nat, "000000", 2014, "population_urban") == 76738
    assert _v(nat, "000000", 2014, "population_urban_2016_vintage") == 74916


def test_world_dataset(prov):
    w = ur.load_dataset("world_countries")
    assert len(w.select(indicators="water_basic_or_better_rural", years=2015).regions) >= 160
    assert w.years[0] == 2000 and w.years[-1] == 2020
    assert "population_urban_projected" in w.indicators
    assert w.select(indicators="population_urban").years[-1] == 2018
    jmp = pd.read_csv(SHARED / "world" / "jmp_wash_2021_percent.AFG.csv")
    row = jmp[(jmp.iso3 == "AFG") & (jmp.year == 2005) & (jmp.indicator == "hygiene_basic")
              & (jmp.area == "urban")]
    assert _v(w, "AFG", 2005, "hygiene_basic_urban") == row.value.iloc[0] == 63.65
    assert w.region_label("CHN", "zh") == "中国"


def test_unknown_dataset_suggests():
    with pytest.raises(DataError, match="china_provinces"):
        ur.load_dataset("china_province")
