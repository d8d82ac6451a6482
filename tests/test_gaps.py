"""Urban–rural gap measures by hand and their decomposition."""

import numpy as np
import pytest

import urbanrural as ur


def test_urban_rural_theil_by_hand():
    # urban income 3 for 1 person, rural 1 for 1 person: I = 4, shares 0.75 / 0.25, P shares ½
    t = 0.75 * np.log(0.75 / 0.5) + 0.25 * np.log(0.25 / 0.5)
    assert ur.urban_rural_theil(3, 1, 1, 1) == pytest.approx(t)
    assert ur.urban_rural_theil(2, 2, 5, 9) == pytest.approx(0)
    # equals the population-weighted Theil T of the two groups
    assert ur.urban_rural_theil(43834, 16021, 92071, 49104) == pytest.approx(
        ur.theil([43834, 16021], weights=[92071, 49104]).total)


def test_national_decomposition_adds_up():
    yu = np.array([50000.0, 30000, 25000])
    yr = np.array([20000.0, 12000, 9000])
    pu = np.array([1000.0, 3000, 2000])
    pr = np.array([300.0, 2000, 2500])
    d = ur.urban_rural_theil_decomposition(yu, yr, pu, pr, regions=["a", "b", "c"])
    assert d.between_regions + d.within_regions == pytest.approx(d.total, rel=1e-12)
    per = ur.urban_rural_theil(yu, yr, pu, pr)
    share = (yu * pu + yr * pr) / np.sum(yu * pu + yr * pr)
    assert d.within_regions == pytest.approx(np.sum(share * per), rel=1e-12)
    assert d.total == pytest.approx(ur.theil(np.r_[yu, yr], weights=np.r_[pu, pr]).total)


def test_dual_structure_by_hand():
    # primary sector: 10 % of output, 40 % of employment
    # B = (0.1/0.4) / (0.9/0.6) = 1/6; R = |0.1 − 0.4| = 0.3
    assert ur.dual_contrast_coefficient(10, 100, 40, 100) == pytest.approx(1 / 6)
    assert ur.dual_contrast_index(10, 100, 40, 100) == pytest.approx(0.3)
    np.testing.assert_allclose(ur.dual_contrast_index([10, 20], [100, 100], [40, 20], [100, 100]),
                               [0.3, 0.0])


def test_gaps_pipeline_on_national_data():
    from urbanrural.pipeline.gaps import run_gaps

    res = run_gaps(ur.load_dataset("china_national"))
    g = res.tables["urban_rural_gaps"].set_index(["urban_indicator", "year"])
    # NBS: urban–rural income ratio 3.10 in 2012 (old surveys) and 2.56 in 2020 (integrated)
    assert g.loc[("urban_disposable_income", 2012), "ratio"] == pytest.approx(3.10, abs=0.005)
    assert g.loc[("urban_disposable_income_new_survey", 2020), "ratio"] == pytest.approx(
        43834 / 17131)
    # the two rural income concepts are never put side by side across the 2013 break
    old = g.loc["urban_disposable_income"]
    assert old.index.max() == 2012
    assert not any(p.startswith("population") for p in
                   res.tables["urban_rural_gaps"].urban_indicator)
    t = res.tables["urban_rural_theil"]
    row = t[(t.year == 2020) & (t.population_source == "current vintage")
            & t.pair_en.str.contains("integrated") & t.pair_en.str.contains("income")].iloc[0]
    nat = ur.load_dataset("china_national").data.set_index(["indicator", "year"]).value
    assert row.urban_rural_theil == pytest.approx(ur.urban_rural_theil(
        43834, 17131, nat[("population_urban", 2020)], nat[("population_rural", 2020)]))


def test_gaps_cli_writes_tables(tmp_path):
    from urbanrural.cli import main

    assert main(["gaps", "--data", "china_provinces", "--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"gaps.xlsx", "regional_inequality.csv", "dagum.csv", "theil_decomposition.csv",
            "dagum_pairs.csv", "urban_rural_gaps.csv"} <= names
    import pandas as pd

    dag = pd.read_csv(tmp_path / "dagum.csv")
    ri = pd.read_csv(tmp_path / "regional_inequality.csv")
    gini_2024 = ri[(ri.indicator == "gdp_per_capita") & (ri.year == 2024)
                   & (ri.weights == "population") & (ri.measure == "gini")].value.iloc[0]
    d24 = dag[(dag.indicator == "gdp_per_capita") & (dag.year == 2024)].iloc[0]
    assert d24.total == pytest.approx(gini_2024, rel=1e-12)
    assert d24.within + d24.net_between + d24.transvariation == pytest.approx(d24.total)
    sheet = pd.read_excel(tmp_path / "gaps.xlsx", sheet_name="dagum", engine="calamine")
    assert "年份 year" in sheet.columns and "超变密度 transvariation" in sheet.columns


def test_dual_structure_in_the_gaps_pipeline():
    """Yearbook 2007 sector output is not in the bundled panel, so give the pipeline a panel
    that has both; the table appears and matches the formula."""
    import pandas as pd

    from urbanrural.pipeline.gaps import run_gaps

    rows = [("110000", 2007, "gdp_primary", 10.0), ("110000", 2007, "gdp", 100.0),
            ("110000", 2007, "employment_primary", 40.0),
            ("110000", 2007, "employment_total", 100.0)]  # test inputs, not data
    p = ur.Panel(pd.DataFrame(rows, columns=["region_code", "year", "indicator", "value"]),
                 registry=ur.china())
    t = run_gaps(p).tables["dual_structure"]
    assert t.dual_contrast_coefficient.iloc[0] == pytest.approx(1 / 6)
