"""Dagum Gini decomposition: published results, identities, brute force."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import urbanrural as ur

from .conftest import SHARED

XJ = SHARED / "reference" / "dagum_gini_xinjiang_tourism_ecoefficiency"


def brute_dagum(x, g, w=None):
    """Straight from Dagum (1997): pairwise O(n²) sums, groups ordered by mean."""
    x, g = np.asarray(x, float), np.asarray(g)
    w = np.ones_like(x) if w is None else np.asarray(w, float)
    labels = sorted(set(g))
    W, mu = w.sum(), np.dot(w, x) / w.sum()
    stats = {}
    for j in labels:
        s = g == j
        stats[j] = (x[s], w[s], w[s].sum(), np.dot(w[s], x[s]) / w[s].sum())
    Gw = Gnb = Gt = 0.0
    for a in labels:
        xa, wa, Wa, ma = stats[a]
        pa, sa = Wa / W, Wa * ma / (W * mu)
        Gjj = np.sum(np.outer(wa, wa) * np.abs(np.subtract.outer(xa, xa))) / (2 * Wa**2 * ma)
        Gw += Gjj * pa * sa
        for b in labels:
            if b <= a:
                continue
            xb, wb, Wb, mb = stats[b]
            pb, sb = Wb / W, Wb * mb / (W * mu)
            (xj, wj, mj), (xh, wh, mh) = ((xa, wa, ma), (xb, wb, mb)) if ma >= mb else \
                ((xb, wb, mb), (xa, wa, ma))
            diff = np.subtract.outer(xj, xh)  # y_j − y_h
            ww = np.outer(wj, wh) / (wj.sum() * wh.sum())
            d = np.sum(ww * np.where(diff > 0, diff, 0))
            p = np.sum(ww * np.where(diff < 0, -diff, 0))
            D = (d - p) / (d + p) if d + p > 0 else 0.0
            Gjh = np.sum(np.outer(wa, wb) * np.abs(np.subtract.outer(xa, xb))) / (
                Wa * Wb * (ma + mb))
            Gnb += Gjh * (pa * sb + pb * sa) * D
            Gt += Gjh * (pa * sb + pb * sa) * (1 - D)
    return Gw, Gnb, Gt


def test_xinjiang_published_table():
    """ChinaXiv 202208.00072 (干旱区地理), Table 3: Dagum Gini of tourism eco-efficiency of 14
    Xinjiang prefectures in three regions, 2005–2019. The inputs are the paper's Table 2,
    printed to three decimals while the authors used unrounded efficiencies. Moving each input
    within its rounding interval (±0.0005) moves the 2009 total over 0.4662–0.4694, so
    differences of a few 1e-4 are expected; the largest we see is 6.1e-4 (2009
    transvariation). Tolerance 1e-3; most cells agree to 2e-4."""
    d = pd.read_csv(XJ / "input_ecoefficiency_long.csv")
    published = {  # year: total, within, net between, transvariation (Table 3)
        2005: (0.4499, 0.1811, 0.0517, 0.2171), 2006: (0.4981, 0.2068, 0.0430, 0.2483),
        2007: (0.5466, 0.2025, 0.1007, 0.2434), 2008: (0.5324, 0.2140, 0.0455, 0.2729),
        2009: (0.4673, 0.1762, 0.0822, 0.2089), 2010: (0.5423, 0.2221, 0.2030, 0.1172),
        2011: (0.5179, 0.2057, 0.2365, 0.0756), 2012: (0.4406, 0.1779, 0.2018, 0.0609),
        2013: (0.5035, 0.1945, 0.2759, 0.0332), 2014: (0.5183, 0.2068, 0.2532, 0.0583),
        2015: (0.5304, 0.2021, 0.2794, 0.0489), 2016: (0.4511, 0.1576, 0.2640, 0.0295),
        2017: (0.4464, 0.1538, 0.2668, 0.0258), 2018: (0.5623, 0.1706, 0.3456, 0.0460),
        2019: (0.4030, 0.1430, 0.1819, 0.0781),
    }
    for year, expected in published.items():
        sub = d[d.year == year]
        r = ur.dagum_gini(sub.eco_efficiency, sub.region)
        got = (r.total, r.within, r.net_between, r.transvariation)
        for g, e in zip(got, expected, strict=True):
            assert g == pytest.approx(e, abs=1e-3), (year, got, expected)


def test_xinjiang_between_region_pairs():
    """The paper's text quotes between-region Ginis for 2005 and 2019. Its 北疆-南疆 and
    北疆-东疆 values are swapped relative to the grouping of its own Table 2 (Turpan and Hami
    are 东疆): the text's 北疆-南疆 0.4960/0.4438 equal our North–East pair and its 北疆-东疆
    0.5114/0.4869 our North–South pair; 南疆-东疆 (0.1631/0.3489) agrees directly."""
    d = pd.read_csv(XJ / "input_ecoefficiency_long.csv")
    pairs = {2005: (0.4960, 0.5114, 0.1631), 2019: (0.4438, 0.4869, 0.3489)}
    for year, (north_east, north_south, south_east) in pairs.items():
        sub = d[d.year == year]
        G = ur.dagum_gini(sub.eco_efficiency, sub.region).between_group
        assert G.loc["北疆 North", "东疆 East"] == pytest.approx(north_east, abs=5e-4)
        assert G.loc["北疆 North", "南疆 South"] == pytest.approx(north_south, abs=5e-4)
        assert G.loc["南疆 South", "东疆 East"] == pytest.approx(south_east, abs=5e-4)


def test_identities_net_between_and_transvariation():
    """Gnb = population-weighted Gini of the group means; Gt = Pyatt's overlap term
    G − Gw − Gnb; Dⱼₕ = (μⱼ − μₕ)/E|Yⱼ − Yₕ|."""
    rng = np.random.default_rng(3)
    x = rng.lognormal(3, 0.8, 400)
    g = rng.choice(list("abcd"), 400)
    w = rng.integers(1, 20, 400).astype(float)
    r = ur.dagum_gini(x, g, weights=w)
    grp = r.groups
    assert r.net_between == pytest.approx(ur.gini(grp["mean"], weights=grp["weight"]), rel=1e-12)
    assert r.transvariation == pytest.approx(r.total - r.within - r.net_between, abs=1e-14)
    assert r.total == pytest.approx(ur.gini(x, weights=w), rel=1e-12)
    assert r.contributions.sum() == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.1, 1e4), min_size=4, max_size=30), st.data())
def test_matches_brute_force(x, data):
    g = data.draw(st.lists(st.sampled_from("xyz"), min_size=len(x), max_size=len(x)))
    if len(set(g)) < 2:
        g[0], g[1] = "x", "y"
    w = data.draw(st.lists(st.integers(1, 9), min_size=len(x), max_size=len(x)))
    r = ur.dagum_gini(x, g, weights=w)
    gw, gnb, gt = brute_dagum(x, g, w)
    assert r.within == pytest.approx(gw, rel=1e-9, abs=1e-12)
    assert r.net_between == pytest.approx(gnb, rel=1e-9, abs=1e-12)
    assert r.transvariation == pytest.approx(gt, rel=1e-9, abs=1e-12)
    assert r.within + r.net_between + r.transvariation == pytest.approx(r.total, rel=1e-12)


def test_to_frame_and_four_macro_regions():
    p = ur.load_dataset("china_provinces").derive("gdp_pc", "per_capita", "gdp",
                                                  "population_total")
    m = p.matrix(2024, ["gdp_pc", "population_total"])
    regions = ur.china().partition("macro_region").loc[m.index]
    r = ur.dagum_gini(m.gdp_pc, regions, weights=m.population_total)
    f = r.to_frame()
    assert set(f.component) == {"total", "within", "net_between", "transvariation",
                                "within_group", "between_group"}
    assert len(f[f.component == "between_group"]) == 6
    assert r.between_group.shape == (4, 4)
    # groups ordered by mean for D: east richest, so D(east, west) > 0
    assert r.relative_economic_affluence.loc["east", "west"] > 0


def test_group_of_zeros_has_zero_within_gini_by_hand():
    """x = (0, 0 | 1, 2, 3): Σᵢⱼ|xᵢ − xⱼ| = 32, μ = 1.2, G = 32/(2·25·1.2) = 8/15.
    Group a (zeros): Gaa = 0 by the limit (no differences), not 0/0. Group b: 8/(2·9·2) = 2/9.
    Gab = 12/(2·3·(0 + 2)) = 1; p = (0.4, 0.6), s = (0, 1): Gw = 2/9·0.6 = 2/15,
    Dba = (2 − 0)/E|Yb − Ya| = 2/2 = 1, so Gnb = 1·(0.4·1 + 0.6·0)·1 = 0.4 and Gt = 0."""
    r = ur.dagum_gini([0, 0, 1, 2, 3], ["a", "a", "b", "b", "b"])
    assert r.total == pytest.approx(8 / 15)
    assert r.within_group["a"] == 0 and r.within_group["b"] == pytest.approx(2 / 9)
    assert r.between_group.loc["a", "b"] == pytest.approx(1.0)
    assert r.within == pytest.approx(2 / 15)
    assert r.net_between == pytest.approx(0.4) and r.transvariation == pytest.approx(0.0)
    assert r.within + r.net_between + r.transvariation == pytest.approx(r.total, rel=1e-12)
    assert np.isfinite(r.to_frame().value).all()
    # two groups of zeros: their pair has no inequality either (Gjh = 0, not NaN)
    r2 = ur.dagum_gini([0, 0, 0, 1, 3], ["a", "a", "c", "b", "b"])
    assert r2.between_group.loc["a", "c"] == 0
    assert np.isfinite(r2.between_group.to_numpy()).all()
    assert r2.within + r2.net_between + r2.transvariation == pytest.approx(r2.total, rel=1e-12)


def test_decomposition_check_fails_on_nan():
    """NaN compares False with everything: the identity check must reject it, not let it
    through as 'not larger than the tolerance'."""
    from urbanrural.methods.inequality.dagum import dagum_from_sums

    W, S = np.array([2.0, 3.0]), np.array([2.0, 6.0])
    E = np.array([[0.0, 6.0], [6.0, 8.0]])  # x = (1, 1 | 1, 2, 3)
    assert np.isfinite(dagum_from_sums(["a", "b"], W, S, E).within)
    E[0, 1] = E[1, 0] = np.nan
    with pytest.raises(ArithmeticError, match="not finite"):
        dagum_from_sums(["a", "b"], W, S, E)


def test_group_without_weight_is_an_error():
    with pytest.raises(ur.DataError, match="no units"):
        ur.dagum_gini([1.0, 2, 3, 4], ["a", "a", "b", "b"], weights=[1, 1, 0, 0])
