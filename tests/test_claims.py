"""Claims are decided by tested rules: a falling series is never "rising", a non-significant
trend is never "narrowing", per-year normalisation never claims comparability over time."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import urbanrural as ur
from urbanrural.data import DataError
from urbanrural.methods.claims import (
    VERDICT_LABELS,
    between_share_claim,
    change_claim,
    comparability_claim,
    compare_claim,
    convergence_claim,
    gap_trend_claim,
    label,
    rank_claim,
    trend_claim,
)


def test_trend_by_hand():
    # a strictly falling series of six: Kendall's tau = -1; the exact two-sided p of the
    # Mann-Kendall test is 2/6! = 0.002778 (only the two monotone orders are as extreme)
    c = trend_claim(range(6), [6, 5, 4, 3, 2, 1])
    assert c.verdict == "falling"
    assert c.values["tau"] == pytest.approx(-1.0)
    assert c.values["p_value"] == pytest.approx(2 / math.factorial(6))
    assert c.values["slope"] == -1.0  # Theil-Sen: every pairwise slope is -1
    assert c.significant is True


def test_no_trend_is_not_claimed():
    c = trend_claim(range(6), [1, 3, 2, 3, 2, 3])
    assert c.verdict == "no_significant_trend" and c.significant is False
    assert trend_claim(range(4), [4, 3, 2, 1]).verdict == "too_short"
    assert trend_claim(range(6), [2] * 6).verdict == "no_significant_trend"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.1, 100, allow_nan=False), min_size=2, max_size=30, unique=True))
def test_a_falling_series_is_never_rising(xs):
    y = np.sort(np.asarray(xs))[::-1]  # strictly decreasing
    years = np.arange(2000, 2000 + len(y))
    assert trend_claim(years, y).verdict in {"falling", "too_short"}
    assert change_claim(years, y).verdict in {"fell", "unchanged"}
    assert gap_trend_claim(years, y).verdict in {"narrowing", "too_short"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=5, max_size=25),
       st.integers(0, 2**31 - 1))
def test_direction_needs_significance(xs, seed):
    y = np.asarray(xs)
    c = trend_claim(np.arange(len(y)), y)
    if c.verdict in ("rising", "falling"):
        assert c.values["p_value"] < 0.05
        assert (c.values["tau"] > 0) == (c.verdict == "rising")
    g = gap_trend_claim(np.arange(len(y)), y)
    assert (g.verdict == "narrowing") == (c.verdict == "falling")


def test_the_national_urban_rural_income_ratio():
    nat = ur.load_dataset("china_national")
    d = nat.data.pivot(index="year", columns="indicator", values="value")
    new = (d.urban_disposable_income_new_survey / d.rural_disposable_income).dropna()
    assert list(new.index) == list(range(2013, 2021))
    c = gap_trend_claim(new.index, new.to_numpy())
    assert c.verdict == "narrowing" and c.values["first"] > c.values["last"]
    assert c.values["first"] == pytest.approx(2.807, abs=1e-3)  # 26,467.0 / 9,429.6
    old = (d.urban_disposable_income / d.rural_net_income).dropna()
    ch = change_claim(old.index, old.to_numpy())
    assert (ch.values["peak_year"], round(ch.values["peak"], 2)) == (2009, 3.33)
    assert ch.verdict == "rose"  # 2.57 in 1978 -> 3.10 in 2012
    # the years after the peak are too few to call a trend
    late = old.loc[2009:]
    assert trend_claim(late.index, late.to_numpy()).verdict == "too_short"


def test_change_and_peak():
    c = change_claim([2000, 2001, 2002, 2003], [3.0, 3.4, 3.1, 3.001])
    assert c.verdict == "unchanged"  # within 0.5 % of the first value
    assert (c.values["peak_year"], c.values["peak"]) == (2001, 3.4)
    assert change_claim([2003, 2000], [1.0, 2.0]).verdict == "fell"  # sorted by year first


def test_missing_values_are_an_error_not_a_claim():
    with pytest.raises(DataError, match="position 2"):
        trend_claim([1, 2, 3, 4, 5], [1, 2, np.nan, 4, 5])
    with pytest.raises(DataError, match="twice"):
        change_claim([1, 1], [1, 2])
    with pytest.raises(DataError, match="Tibet"):
        rank_claim(["Beijing", "Tibet"], [1.0, np.nan])


def test_ranks_list_ties():
    c = rank_claim(["a", "b", "c", "d", "e"], [5, 4, 3, 3, 1], k=3)
    assert c.values["top"] == ["a", "b", "c", "d"] and "ties_included" in c.notes
    assert c.values["bottom"] == ["c", "d", "e"]
    c = rank_claim(["a", "b", "c"], [1.2, 1.5, 3.0], k=1, higher_is_better=False)
    assert c.values["top"] == ["a"] and c.values["bottom"] == ["c"]


def test_comparisons():
    assert compare_claim(0.52, 0.50, se_a=0.02, se_b=0.02).verdict == "similar"
    assert compare_claim(0.60, 0.50, se_a=0.02, se_b=0.02).verdict == "higher"
    assert compare_claim(1.0, 1.004).verdict == "similar"
    assert compare_claim(1.0, 1.1).verdict == "lower"


def test_convergence_readings_together():
    c = convergence_claim(sigma_slope=-0.01, sigma_p=0.001, beta=-0.03, beta_p=0.001,
                          log_t=0.5)
    assert c.verdict == "agree" and c.notes == ()
    c = convergence_claim(sigma_slope=-0.01, sigma_p=0.001, beta=-0.03, beta_p=0.001,
                          log_t=-25.0)
    assert c.verdict == "disagree" and "log_t_relative" in c.notes
    assert c.values["log_t"] == -25.0 and c.values["log_t_reading"] == "log_t_rejects"
    c = convergence_claim(sigma_slope=0.002, sigma_p=0.3, beta=-0.02, beta_p=0.01)
    assert c.verdict == "disagree" and c.notes == ("beta_without_sigma",)


def test_theil_and_dagum_shares_read_together():
    c = between_share_claim(0.62, 0.41)
    assert c.verdict == "disagree" and c.notes == ("dagum_overlap",)
    assert between_share_claim(0.7, 0.6).verdict == "agree"
    # the bundled 2024 case: Dagum's net share larger than Theil's, readings disagree
    c = between_share_claim(0.458, 0.642)
    assert c.verdict == "disagree" and c.notes == ("gini_linear_scale",)
    assert between_share_claim(0.7, 0.8).notes == ()  # larger but both say between dominates
    with pytest.raises(DataError):
        between_share_claim(1.2, 0.5)


def test_per_year_normalisation_is_never_comparable_over_time():
    assert comparability_claim("per_year").verdict == "not_comparable_over_time"
    assert comparability_claim("pooled").verdict == "comparable_over_time"
    assert comparability_claim("goalposts").verdict == "comparable_over_time"
    with pytest.raises(DataError, match="unknown"):
        comparability_claim("yearly")


def test_every_verdict_has_both_languages():
    for code, (zh, en) in VERDICT_LABELS.items():
        assert zh and en and zh != en, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), code
    assert label("narrowing", "en") == "narrowing significantly"
