"""Inequality measures against published values, hand computations and their properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import urbanrural as ur
from urbanrural.data import DataError

from .conftest import SHARED

REAT = SHARED / "reference" / "inequality_textbook_examples_reat"
MEXICO = pd.read_csv(SHARED / "reference" / "theil_gini_mexico_states_pysal" / "input_mexico.csv")
DECADES = [f"pcgdp{d}" for d in range(1940, 2010, 10)]


def brute_gini(x, w=None):
    x = np.asarray(x, float)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    mu = np.dot(w, x) / w.sum()
    return np.sum(np.outer(w, w) * np.abs(np.subtract.outer(x, x))) / (2 * w.sum() ** 2 * mu)


# ----------------------------------------------------------------------------- Gini
def test_gini_reat_examples():
    # REAT 3.0.3 man/gini.Rd (Doersam 2004): published 0.3, standardised 0.4, weighted
    # income classes 0.5278, German Länder GDP 2015 0.5009
    sales = pd.read_csv(REAT / "input_gini_sales_doersam.csv").sales
    assert ur.gini(sales) == pytest.approx(0.3, abs=1e-12)
    assert ur.gini(sales, corr=True) == pytest.approx(0.4, abs=1e-12)
    cls = pd.read_csv(REAT / "input_gini_income_classes_doersam.csv")
    assert ur.gini(cls.income_class_mean, weights=cls.size_of_class) == pytest.approx(0.5278, abs=5e-5)
    de = pd.read_csv(REAT / "input_germany_laender_2015.csv")
    assert ur.gini(de.gdp_billion_eur_2015) == pytest.approx(0.5009, abs=5e-5)


def test_weighted_gini_sorts_weights_with_values():
    # METHODS_GUIDE: REAT 3.0.3 gives 0.327 here because it does not reorder the weights
    assert ur.gini([5, 1, 4, 2, 3], weights=[10, 1, 1, 1, 1]) == pytest.approx(0.131, abs=5e-4)
    assert ur.gini([5, 1, 4, 2, 3], weights=[10, 1, 1, 1, 1]) == pytest.approx(
        brute_gini([5, 1, 4, 2, 3], [10, 1, 1, 1, 1]), rel=1e-14)


def test_gini_pysal_mexico():
    # giddy/PySAL test: Gini of Mexican state pc GDP 1940 = 0.35372371173452849
    assert ur.gini(MEXICO.pcgdp1940) == pytest.approx(0.35372371173452849, rel=1e-12)


def test_gini_equals_pysal_inequality_on_all_decades():
    inequality = pytest.importorskip("inequality")
    for col in DECADES:
        assert ur.gini(MEXICO[col]) == pytest.approx(inequality.gini.Gini(MEXICO[col].to_numpy())
                                                     .g, rel=1e-12)


def test_gini_by_hand():
    assert ur.gini([0, 1]) == 0.5
    assert ur.gini([1, 1, 1]) == 0.0
    # (1, 2, 3): Σ|xi−xj| over ordered pairs = 8, 2 n² μ = 36 → 2/9
    assert ur.gini([1, 2, 3]) == pytest.approx(2 / 9)


def test_gini_rejects_bad_input():
    with pytest.raises(DataError, match="non-negative"):
        ur.gini([1, -1, 2])
    with pytest.raises(DataError, match="missing or infinite"):
        ur.gini([1, np.nan])
    with pytest.raises(DataError, match="all values are zero"):
        ur.gini([0, 0])
    with pytest.raises(DataError, match="weights"):
        ur.gini([1, 2], weights=[1, -1])


values = st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=2, max_size=40)


@settings(max_examples=80, deadline=None)
@given(values, st.floats(0.01, 1000))
def test_gini_properties(x, scale):
    g = ur.gini(x)
    assert 0 <= g < 1
    assert g == pytest.approx(brute_gini(x), rel=1e-9, abs=1e-12)
    assert ur.gini(np.asarray(x) * scale) == pytest.approx(g, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(values, st.data())
def test_population_replication_invariance(x, data):
    w = data.draw(st.lists(st.integers(1, 5), min_size=len(x), max_size=len(x)))
    rep = np.repeat(x, w)
    assert ur.gini(x, weights=w) == pytest.approx(ur.gini(rep), rel=1e-9, abs=1e-12)
    assert ur.theil(x, weights=w).total == pytest.approx(ur.theil(rep).total, rel=1e-9,
                                                         abs=1e-12)
    assert ur.mean_log_deviation(x, weights=w).total == pytest.approx(
        ur.mean_log_deviation(rep).total, rel=1e-9, abs=1e-12)
    assert ur.atkinson(x, 0.5, weights=w) == pytest.approx(ur.atkinson(rep, 0.5), rel=1e-9, abs=1e-12)


# ----------------------------------------------------------------------------- Theil family
def test_theil_pysal_mexico():
    # PySAL inequality tests: Theil(y).T and TheilD(y, hanson98).bg for 1940…2000
    t = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256, 0.10660832]
    bg = [0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731, 0.03635872]
    for col, t_pub, bg_pub in zip(DECADES, t, bg, strict=True):
        res = ur.theil(MEXICO[col], groups=MEXICO.hanson98)
        assert res.total == pytest.approx(t_pub, abs=5e-9)
        assert res.between == pytest.approx(bg_pub, abs=5e-9)
        assert res.between + res.within == pytest.approx(res.total, rel=1e-12)


def test_theil_zero_contributes_zero():
    # METHODS_GUIDE: ineq drops the zero and recomputes the mean (0.106); correct is 0.330
    assert ur.theil([0, 1, 2, 3, 4]).total == pytest.approx(0.3295836866, abs=1e-9)


def test_mean_log_deviation_reat_stoermann():
    # REAT man/theil.Rd (Stoermann 2009): theil(c(10,10,10,20,50)) = 0.2326302 — REAT's
    # "theil" is the mean log deviation (Theil L)
    x = pd.read_csv(REAT / "input_theil_stoermann.csv").regincome
    assert ur.mean_log_deviation(x).total == pytest.approx(0.2326302, abs=5e-8)
    with pytest.raises(DataError, match="undefined for zero"):
        ur.mean_log_deviation([0, 1, 2])


def test_theil_l_decomposition_uses_population_shares():
    x = np.array([1.0, 2, 3, 10, 20, 40])
    g = np.array(["a", "a", "a", "b", "b", "b"])
    w = np.array([3.0, 1, 1, 1, 1, 2])
    res = ur.mean_log_deviation(x, groups=g, weights=w)
    p_a, p_b = 5 / 9, 4 / 9
    la = ur.mean_log_deviation(x[:3], weights=w[:3]).total
    lb = ur.mean_log_deviation(x[3:], weights=w[3:]).total
    assert res.within == pytest.approx(p_a * la + p_b * lb, rel=1e-12)
    mu = np.dot(w, x) / w.sum()
    mu_a, mu_b = np.dot(w[:3], x[:3]) / 5, np.dot(w[3:], x[3:]) / 4
    assert res.between == pytest.approx(p_a * np.log(mu / mu_a) + p_b * np.log(mu / mu_b))
    assert res.between + res.within == pytest.approx(res.total, rel=1e-12)
    t = ur.theil(x, groups=g, weights=w)
    s_a = np.dot(w[:3], x[:3]) / np.dot(w, x)
    assert t.within == pytest.approx(
        s_a * ur.theil(x[:3], weights=w[:3]).total
        + (1 - s_a) * ur.theil(x[3:], weights=w[3:]).total, rel=1e-12)


def test_one_group_per_unit_gives_zero_within():
    x = MEXICO.pcgdp2000
    res = ur.theil(x, groups=MEXICO.State)
    assert res.within == pytest.approx(0, abs=1e-15)
    assert res.between == pytest.approx(res.total, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(values, st.data())
def test_decompositions_add_up(x, data):
    g = data.draw(st.lists(st.sampled_from("abc"), min_size=len(x), max_size=len(x)))
    for f in (ur.theil, ur.mean_log_deviation):
        r = f(x, groups=g)
        assert r.between >= -1e-12 and r.within >= -1e-12
        assert r.between + r.within == pytest.approx(r.total, rel=1e-9, abs=1e-12)
    r2 = ur.generalized_entropy(x, 2, groups=g)
    assert r2.between + r2.within == pytest.approx(r2.total, rel=1e-9, abs=1e-12)


def test_generalized_entropy_identities():
    x = MEXICO.pcgdp1970.to_numpy()
    # GE(2) = CV² / 2; GE(α) → L and T at 0 and 1
    assert ur.generalized_entropy(x, 2) == pytest.approx(
        ur.coefficient_of_variation(x) ** 2 / 2, rel=1e-12)
    assert ur.generalized_entropy(x, 1e-7) == pytest.approx(
        ur.mean_log_deviation(x).total, rel=1e-5)
    assert ur.generalized_entropy(x, 1 + 1e-7) == pytest.approx(ur.theil(x).total, rel=1e-5)


def test_atkinson_identities():
    x = MEXICO.pcgdp1980.to_numpy()
    assert ur.atkinson(x, 0) == pytest.approx(0, abs=1e-15)
    # A(1) = 1 − exp(−L)
    assert ur.atkinson(x, 1) == pytest.approx(1 - np.exp(-ur.mean_log_deviation(x).total))
    # by hand: x = (1, 4), ε = 0.5: EDE = ((1 + 2)/2)² = 2.25, μ = 2.5 → 0.1
    assert ur.atkinson([1, 4], 0.5) == pytest.approx(0.1)
    with pytest.raises(DataError):
        ur.atkinson([0, 1], 2)


def test_cv_williamson_palma_percentiles_by_hand():
    assert ur.coefficient_of_variation([1, 3]) == pytest.approx(0.5)
    # Williamson: regions y = (1, 3) with population (3, 1): ȳ = 1.5,
    # σ² = 0.75·0.25 + 0.25·2.25 = 0.75 → V = √0.75 / 1.5
    assert ur.williamson([1, 3], [3, 1]) == pytest.approx(np.sqrt(0.75) / 1.5)
    # 1..10: poorest 40 % hold 10 of 55, richest 10 % hold 10 → Palma 1
    assert ur.palma(np.arange(1, 11)) == pytest.approx(1.0)
    x = np.arange(1, 101)
    assert ur.percentile_ratio(x, upper=90, lower=10) == pytest.approx(90 / 10)
    np.testing.assert_array_equal(ur.weighted_quantile(x, [0.1, 0.5, 0.9]),
                                  np.quantile(x, [0.1, 0.5, 0.9], method="inverted_cdf"))
    assert ur.weighted_quantile([1, 2, 3], 0.5, weights=[1, 1, 8]) == 3


def test_cv_with_a_mean_that_is_not_positive_raises():
    """σ/μ is infinite for μ = 0 and negative for μ < 0: an error, not a number."""
    for x in ([-1.0, 1.0], [-3.0, -1.0], [0.0, 0.0]):
        with pytest.raises(DataError, match="positive mean"):
            ur.coefficient_of_variation(x)
    with pytest.raises(DataError, match="weighted mean is -0.5"):
        ur.coefficient_of_variation([-1.0, 1.0], weights=[3, 1])
    with pytest.raises(DataError, match="positive mean"):
        ur.williamson([-2.0, 1.0], [1, 1])
    assert ur.coefficient_of_variation([1.0, 3.0], ddof=1) == pytest.approx(np.sqrt(2) / 2)


# ----------------------------------------------------------------------------- over time
def test_over_time_panel_and_bootstrap_is_seeded():
    p = ur.load_dataset("china_provinces").derive("gdp_pc", "per_capita", "gdp",
                                                  "population_total")
    v, w = p.wide("gdp_pc"), p.wide("population_total")
    a = ur.inequality_over_time(v, weights=w, bootstrap=99, seed=7)
    b = ur.inequality_over_time(v, weights=w, bootstrap=99, seed=7)
    pd.testing.assert_frame_equal(a, b)
    row = a[(a.year == 2024) & (a.measure == "gini")].iloc[0]
    x, ww = v[2024].to_numpy(), w[2024].to_numpy()
    assert row.value == pytest.approx(ur.gini(x, weights=ww))
    assert row.n == 31 and row.missing == ""
    assert (a.ci_low <= a.value + 1e-12).all() and (a.value <= a.ci_high + 1e-12).all()


def test_over_time_lists_missing_regions():
    v = pd.DataFrame({2020: [1.0, 2.0, np.nan], 2021: [1.0, 2.0, 3.0]},
                     index=["110000", "120000", "130000"])
    out = ur.inequality_over_time(v, measures=["gini"])
    assert out.set_index("year").loc[2020, "missing"] == "130000"
    assert out.set_index("year").loc[2020, "n"] == 2


def test_optional_arguments_are_keyword_only():
    """``ur.theil(x, pop)`` once took the population as groups and returned the unweighted
    value without a word; now every optional argument must be named."""
    x, pop = [1.0, 2.0, 6.0], [5.0, 1.0, 1.0]
    for call in (lambda: ur.theil(x, pop), lambda: ur.gini(x, pop),
                 lambda: ur.mean_log_deviation(x, pop), lambda: ur.atkinson(x, 0.5, pop),
                 lambda: ur.generalized_entropy(x, 2, pop), lambda: ur.palma(x, pop),
                 lambda: ur.coefficient_of_variation(x, pop)):
        with pytest.raises(TypeError):
            call()
    assert ur.theil(x, weights=pop).total != ur.theil(x).total


def test_gini_of_equal_values_is_exactly_zero_never_negative():
    # the signed prefix-sum form Σ wₖxₖ(W_before − W_after) gave −2.08e-17 for these (a
    # hypothesis case); the gap form sums terms that are all ≥ 0
    for x in ([0.01] * 8, [1e6] * 40, [0.1, 0.1, 0.1]):
        assert ur.gini(x) == 0.0
        assert ur.gini(x, weights=np.arange(1, len(x) + 1)) == 0.0
    rng = np.random.default_rng(3)
    near = 0.3 + rng.integers(0, 2, (200, 17)) * 1e-16  # equal up to one ulp
    assert min(ur.gini(r) for r in near) >= 0.0
