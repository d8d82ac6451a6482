"""Writing a panel in any format and layout and reading it back loses nothing."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import urbanrural as ur
from urbanrural.data import Indicator, Panel

codes = st.sampled_from(["110000", "150000", "310000", "540000", "610000", "140000"])
values = st.floats(0, 1e7, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 4))
cells = st.lists(st.tuples(codes, st.integers(2000, 2024),
                           st.sampled_from(["城镇人口", "gdp_x", "rate"]), values),
                 min_size=1, max_size=40, unique_by=lambda t: t[:3])
META = [Indicator("城镇人口", "城镇人口", "", "万人"), Indicator("gdp_x", "", "GDP x", "亿元"),
        Indicator("rate", "", "rate", "%")]

FORMATS = [(".csv", "long"), (".csv", "wide_years"), (".csv", "wide_indicators"),
           (".xlsx", "long"), (".xlsx", "wide_years"), (".xlsx", "wide_indicators"),
           (".parquet", "long")]


@pytest.mark.parametrize("suffix,layout", FORMATS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=cells)
def test_round_trip(tmp_path, suffix, layout, rows):
    d = pd.DataFrame(rows, columns=["region_code", "year", "indicator", "value"])
    p = Panel(d, [m for m in META if m.id in set(d.indicator)], registry=ur.china())
    path = tmp_path / f"out_{layout}{suffix}"
    ur.write(p, path, layout=layout)
    back = ur.read(path, canonical=False)
    assert back.equals(p), (back.data, p.data)
    assert back.report.balanced
    for ind in p.indicator_ids:
        assert back.indicators[ind].unit == p.indicators[ind].unit


def test_bundled_dataset_round_trips_through_parquet_and_excel(tmp_path):
    p = ur.load_dataset("china_provinces")
    for suffix in (".parquet", ".xlsx"):
        ur.write(p, tmp_path / f"cp{suffix}")
        back = ur.read(tmp_path / f"cp{suffix}")
        assert back.equals(p)
        assert back.indicators["gdp"].source == p.indicators["gdp"].source
