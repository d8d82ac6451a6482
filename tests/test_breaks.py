"""Series breaks are data: documented breaks get their own ids, and a scan of every bundled
indicator finds no unexplained level jump at a documented break year."""

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data import (
    DOCUMENTED_BREAKS,
    DataError,
    dataset_breaks,
    scan_breaks,
    split_series_breaks,
)
from urbanrural.data.breaks import split_frame_breaks

from .conftest import DATA


def _v(panel, region, year, ind):
    d = panel.data
    return d[(d.region_code == region) & (d.year == year) & (d.indicator == ind)].value.iloc[0]


@pytest.mark.parametrize("name", ["china_provinces", "china_national", "world_countries"])
def test_no_bundled_indicator_jumps_at_a_documented_break_year(name):
    scan = scan_breaks(ur.load_dataset(name).data, years=sorted({b.year for b in
                                                                 DOCUMENTED_BREAKS}))
    assert len(scan) > 0, "the scan must have tested something"
    assert scan[scan.flagged].indicator.tolist() == []


def test_the_scan_finds_the_urban_unit_employment_break_when_the_ids_are_joined_again():
    # the data as they were before the split (one id across 2013): the scan must flag it
    d = ur.load_dataset("china_provinces").data
    d["indicator"] = d.indicator.replace({"employment_urban_units_2013on": "employment_urban_units"})
    scan = scan_breaks(d).set_index("indicator")
    assert bool(scan.loc["employment_urban_units", "flagged"])
    assert scan.loc["employment_urban_units", "n_regions"] == 31
    # median 2012→2013 change across the 31 provinces, by hand: about +12 %
    e = d[d.indicator == "employment_urban_units"].pivot(index="region_code", columns="year",
                                                         values="value")
    by_hand = np.median(np.log(e[2013] / e[2012]))
    assert scan.loc["employment_urban_units", "median_change"] == pytest.approx(by_hand)
    assert np.exp(by_hand) - 1 == pytest.approx(0.12, abs=0.01)
    # and nothing else of the provincial data is flagged
    assert scan[scan.flagged].index.tolist() == ["employment_urban_units"]


def test_provincial_breaks_are_split_with_the_values_unchanged():
    prov = ur.load_dataset("china_provinces")
    assert _v(prov, "320000", 2012, "employment_urban_units") == 830.9  # Jiangsu
    assert _v(prov, "320000", 2013, "employment_urban_units_2013on") == 1503.3
    emp = prov.select(indicators=["employment_urban_units"])
    assert emp.years == [2008, 2009, 2010, 2011, 2012]
    assert prov.select(indicators=["employment_urban_units_2013on"]).years[0] == 2013
    assert max(prov.select(indicators=["urban_disposable_income"]).years) == 2012
    assert min(prov.select(indicators=["urban_disposable_income_new_survey"]).years) == 2013
    assert max(prov.select(indicators=["urban_consumption_old_survey"]).years) == 2012
    assert min(prov.select(indicators=["urban_consumption"]).years) == 2013
    for ind in ("employment_urban_units_2013on", "urban_disposable_income_new_survey",
                "urban_consumption_old_survey"):
        meta = prov.indicators[ind]
        assert "2013" in meta.notes and meta.name_zh and meta.name_en and meta.source


def test_the_break_table_of_each_dataset():
    b = dataset_breaks("china_provinces").set_index("indicator")
    assert b.loc["employment_urban_units", ["n_before", "n_after"]].tolist() == [155, 372]
    assert b.loc["urban_disposable_income", "years_after"] == "2013–2023"
    assert all(b.reason_zh.str.len() > 0) and all(b.reason_en.str.len() > 0)
    # national income and consumption were published under separate ids already
    assert dataset_breaks("china_national").empty
    with pytest.raises(DataError, match="china_provinces"):
        dataset_breaks("china_province")


def test_a_users_export_across_2013_is_split():
    p = ur.read(DATA / "portal" / "province_urban_unit_employment_gbk_crlf.csv")
    assert p.indicator_ids == ["employment_urban_units"]
    split, applied = split_series_breaks(p)
    assert sorted(split.indicator_ids) == ["employment_urban_units",
                                           "employment_urban_units_2013on"]
    assert len(split) == len(p)  # nothing lost
    assert applied.n_before.iloc[0] + applied.n_after.iloc[0] == len(p)
    assert max(split.select(indicators=["employment_urban_units"]).years) == 2012
    # the portal file's Beijing 2024 value moves with its id, unchanged
    assert _v(split, "110000", 2024, "employment_urban_units_2013on") == 763.6


def test_a_split_that_collides_with_existing_values_is_an_error():
    d = pd.DataFrame({"region_code": ["110000"] * 2, "year": [2013, 2013],
                      "indicator": ["employment_urban_units", "employment_urban_units_2013on"],
                      "value": [1.0, 2.0]})
    with pytest.raises(DataError, match="employment_urban_units_2013on"):
        split_frame_breaks(d)


def test_scan_by_hand():
    years = np.arange(2005, 2020)
    smooth = 100 * 1.05 ** (years - 2005)
    d = pd.DataFrame({"region_code": "A", "year": years, "indicator": "smooth", "value": smooth})
    jump = d.assign(indicator="jump", value=smooth * np.where(years >= 2013, 1.3, 1.0))
    s = scan_breaks(pd.concat([d, jump])).set_index("indicator")
    assert not s.loc["smooth", "flagged"] and s.loc["jump", "flagged"]
    # the jump's log change at 2013 is ln 1.05 + ln 1.3, its usual change ln 1.05; the spread
    # of the other changes is 0, floored at 0.005: z = ln 1.3 / 0.005
    assert s.loc["jump", "median_change"] == pytest.approx(np.log(1.05 * 1.3))
    assert s.loc["jump", "usual_change"] == pytest.approx(np.log(1.05))
    assert s.loc["jump", "median_z"] == pytest.approx(np.log(1.3) / 0.005)
    # too little history: not tested at all rather than "not flagged"
    short = d[d.year.between(2011, 2014)]
    assert scan_breaks(short).empty
