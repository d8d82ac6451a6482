"""Panel model: array round trip, selection, derived indicators, coverage, merging."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import urbanrural as ur
from urbanrural.data import DataError, Indicator, Panel


def small_panel():
    data = pd.DataFrame({
        "region_code": ["110000", "110000", "120000", "110000", "120000", "120000"],
        "year": [2020, 2021, 2020, 2020, 2020, 2021],
        "indicator": ["pop_u", "pop_u", "pop_u", "pop_t", "pop_t", "pop_t"],
        "value": [1916.0, 1916.0, 1175.0, 2189.0, 1387.0, 1373.0],
    })
    meta = [Indicator("pop_u", "城镇人口", "Urban population", "万人"),
            Indicator("pop_t", "总人口", "Total population", "万人")]
    return Panel(data, meta, registry=ur.china())


def test_to_array_shape_and_mask():
    arr = small_panel().to_array()
    assert arr.shape == (2, 2, 2)
    assert arr.indicators == ["pop_t", "pop_u"] and arr.years == [2020, 2021]
    # Tianjin 2021 urban population is absent: masked, NaN
    r, t, k = arr.regions.index("120000"), 1, arr.indicators.index("pop_u")
    assert arr.missing[r, t, k] and np.isnan(arr.values[r, t, k])
    assert arr.missing.sum() == 2


def test_derive_urbanisation_rate_and_ratio():
    p = small_panel().derive("urbanisation", "share", "pop_u", "pop_t",
                             name_zh="城镇化率", name_en="Urbanisation rate")
    w = p.wide("urbanisation")
    assert w.loc["110000", 2020] == pytest.approx(100 * 1916 / 2189)
    # Beijing has no 2021 total and Tianjin no 2021 urban value: nothing derived, nothing filled
    assert list(w.columns) == [2020] and len(p.select(indicators="urbanisation")) == 2
    assert p.indicators["urbanisation"].unit == "%"
    assert "share of pop_u / pop_t" in p.indicators["urbanisation"].source
    r = small_panel().derive("ratio", "ratio", "pop_t", "pop_u")
    assert r.indicators["ratio"].unit.startswith("倍")


def test_derive_per_capita_scales_units():
    data = pd.DataFrame({"region_code": ["110000", "110000"], "year": [2024, 2024],
                         "indicator": ["gdp", "population_total"], "value": [49670.2, 2183.0]})
    p = Panel(data, [Indicator("gdp", unit="亿元"), Indicator("population_total", unit="万人")])
    q = p.derive("gdp_pc", "per_capita", "gdp", "population_total")
    assert q.indicators["gdp_pc"].unit == "元/人"
    assert q.wide("gdp_pc").iloc[0, 0] == pytest.approx(49670.2e8 / 2183e4)


def test_derive_rejects_unit_mismatch_and_zero_division():
    data = pd.DataFrame({"region_code": ["110000"] * 2, "year": [2020] * 2,
                         "indicator": ["a", "b"], "value": [1.0, 0.0]})
    p = Panel(data, [Indicator("a", unit="元"), Indicator("b", unit="万人")])
    with pytest.raises(DataError, match="different units"):
        p.derive("d", "difference", "a", "b")
    with pytest.raises(DataError, match="undefined"):
        p.derive("r", "ratio", "a", "b")


def test_select_by_names_years_and_indicators():
    p = small_panel()
    s = p.select(regions="天津", years=(2021, 2030), indicators="pop_t")
    assert len(s) == 1 and s.data.value.iloc[0] == 1373
    with pytest.raises(DataError, match="unknown indicator"):
        p.select(indicators="pop_x")


def test_coverage_counts():
    cov = small_panel().coverage()
    assert not cov.loc["pop_u", "complete"]
    assert cov.loc["pop_u", "n_values"] == 3 and cov.loc["pop_u", "expected"] == 4
    full = small_panel().select(years=2020).coverage()
    assert full["complete"].all() and (full["share_present"] == 1).all()


def test_panel_rejects_nan_and_duplicates():
    d = pd.DataFrame({"region_code": ["1"], "year": [2020], "indicator": ["x"],
                      "value": [np.nan]})
    with pytest.raises(DataError, match="missing"):
        Panel(d)
    d = pd.DataFrame({"region_code": ["1", "1"], "year": [2020, 2020], "indicator": ["x", "x"],
                      "value": [1.0, 1.0]})
    with pytest.raises(DataError, match="repeat"):
        Panel(d)


def test_merge_detects_conflicts():
    p = small_panel()
    other = Panel(pd.DataFrame({"region_code": ["110000"], "year": [2020],
                                "indicator": ["pop_u"], "value": [1.0]}),
                  [Indicator("pop_u", unit="万人")])
    with pytest.raises(DataError, match="conflicting"):
        p.merge(other)
    same = Panel(pd.DataFrame({"region_code": ["110000"], "year": [2030],
                               "indicator": ["pop_u"], "value": [1.0]}),
                 [Indicator("pop_u", unit="万人")])
    assert len(p.merge(same)) == len(p) + 1


codes = st.sampled_from(["110000", "120000", "130000", "440000", "650000"])
cells = st.lists(st.tuples(codes, st.integers(1990, 2025), st.sampled_from(["a", "b", "c"]),
                           st.floats(0, 1e9, allow_nan=False, allow_infinity=False)),
                 min_size=1, max_size=60, unique_by=lambda t: t[:3])


@settings(max_examples=60, deadline=None)
@given(cells)
def test_array_round_trip_is_lossless(rows):
    d = pd.DataFrame(rows, columns=["region_code", "year", "indicator", "value"])
    p = Panel(d)
    back = Panel.from_array(p.to_array())
    assert back.equals(p)
    assert p.to_array().missing.sum() == np.prod(p.to_array().shape) - len(p)


def test_a_bad_cell_of_a_frame_is_named_by_its_row_counting_from_one():
    import pandas as pd

    from urbanrural.data import DataError, Panel

    d = pd.DataFrame({"region_code": ["110000", "120000", "130000"], "year": [2020, 2020, 2020],
                      "indicator": ["x", "x", "x"], "value": [1.0, "n/a", 3.0]},
                     index=[10, 11, 12])
    with pytest.raises(DataError) as e:
        Panel(d)
    issue = e.value.issues[0]
    assert issue.row == 2 and issue.column == "value" and "frame index 11" in issue.reason


def test_a_unit_in_english_merges_with_its_nbs_spelling():
    import pandas as pd

    from urbanrural.data import DataError, Indicator, Panel

    def panel(unit, region, value):
        d = pd.DataFrame({"region_code": [region], "year": [2020], "indicator": ["x"],
                          "value": [value]})
        return Panel(d, {"x": Indicator("x", unit=unit)})

    both = panel("元", "110000", 1.0).merge(panel("yuan", "120000", 2.0))
    assert both.indicators["x"].unit == "元" and len(both) == 2
    with pytest.raises(DataError, match="unit"):
        panel("元", "110000", 1.0).merge(panel("万元", "120000", 2.0))
