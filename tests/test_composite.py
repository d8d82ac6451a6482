"""Composite-index methods against published examples, hand computations and properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import urbanrural as ur
from urbanrural.data import DataError

from .conftest import SHARED

MCDA = SHARED / "reference" / "mcda_weights_entropy_critic_cv_topsis_literature"


def matrix(name):
    return pd.read_csv(MCDA / name).set_index("alternative").to_numpy(float)


# --------------------------------------------------------------- published weights (pyrepo-mcda)
def test_entropy_weights_published():
    """Raw values turned into proportions (normalization="none"), as in the papers, whose
    results pyrepo-mcda's test suite transcribes."""
    cases = {
        "input_xu2004.csv": ([0.4630, 0.3992, 0.1378, 0.0000], 4),  # Xu 2004, EJOR 156
        "input_zavadskas_podvezko2016.csv": ([0.1146, 0.1981, 0.4185, 0.2689], 4),
        "input_ersoy2021.csv": ([0.405, 0.221, 0.134, 0.199, 0.007, 0.034], 3),
        "input_lee_chang2018.csv": ([0.026, 0.154, 0.089, 0.199, 0.115, 0.04, 0.08, 0.123,
                                     0.172, 0.002], 3),
    }
    for name, (published, dec) in cases.items():
        w = ur.entropy_weights(matrix(name), normalization="none")
        np.testing.assert_array_equal(np.round(w, dec), published, err_msg=name)


def test_critic_weights_published():
    """Tuş & Aytaç Adalı (2019), Opsearch 56: [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]. The
    published weights are reproduced with every criterion min-max normalised as a benefit;
    reversing C1 as a cost flips the sign of its correlations and gives other weights — the
    direction matters for CRITIC, so it is a parameter."""
    X = matrix("input_tus_aytac_adali2019.csv")
    np.testing.assert_array_equal(np.round(ur.critic_weights(X), 3),
                                  [0.157, 0.249, 0.168, 0.121, 0.154, 0.151])
    as_cost = ur.critic_weights(X, directions=[-1, 1, 1, 1, 1, 1])
    assert not np.allclose(as_cost, ur.critic_weights(X))


def test_cv_and_std_weights_published():
    # Shuai et al. (2012) CCDC, CV weights of Xu's matrix; Sałabun et al. (2020) SD weights
    np.testing.assert_array_equal(np.round(ur.cv_weights(matrix("input_xu2004.csv")), 4),
                                  [0.4258, 0.3610, 0.2121, 0.0011])
    np.testing.assert_array_equal(
        np.round(ur.std_weights(matrix("input_salabun2020.csv"), normalization="none"), 3),
        [0.217, 0.294, 0.488])


def test_topsis_published_ersoy():
    """Ersoy (2021), LogForum 17(3): entropy-TOPSIS closeness with vector normalisation."""
    X = matrix("input_ersoy2021.csv")
    c = ur.topsis(X, [0.405, 0.221, 0.134, 0.199, 0.007, 0.034], directions=[1, 1, 1, 1, -1, -1],
                  normalization="vector")
    np.testing.assert_array_equal(np.round(c, 2), np.round([0.308, 0.254, 0.327, 0.263, 0.857,
                                                            0.192], 2))


def test_topsis_equals_pymcdm():
    pymcdm = pytest.importorskip("pymcdm")
    rng = np.random.default_rng(5)
    X = rng.uniform(1, 100, (30, 6))
    w = rng.dirichlet(np.ones(6))
    types = np.array([1, -1, 1, 1, -1, 1])
    ours = ur.topsis(X, w, directions=types, normalization="minmax")
    theirs = pymcdm.methods.TOPSIS()(X, w, types)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    vec = pymcdm.methods.TOPSIS(pymcdm.normalizations.vector_normalization)(X, w, types)
    np.testing.assert_allclose(ur.topsis(X, w, directions=types, normalization="vector"), vec,
                               rtol=1e-12)


@pytest.mark.parametrize("normalization", ["vector", "minmax"])
def test_topsis_global_pools_normalisation_and_ideals(normalization):
    """ideal='global' is one TOPSIS over every unit-year: the same as the pooled 2-D matrix,
    equal values in two years score equally, and a year's scores depend on the other years.
    per_slice scores of a year depend on that year only."""
    rng = np.random.default_rng(11)
    X = rng.uniform(1, 50, (3, 6, 4))  # years × units × indicators (a test input, not data)
    X[2, 0] = X[0, 0]  # unit 0 has the same values in years 0 and 2
    w, d = np.array([0.4, 0.3, 0.2, 0.1]), [1, -1, 1, 1]
    g = ur.topsis(X, w, directions=d, normalization=normalization, ideal="global")
    pooled = ur.topsis(X.reshape(-1, 4), w, directions=d, normalization=normalization).reshape(3, 6)
    np.testing.assert_allclose(g, pooled, rtol=1e-12)
    assert g[2, 0] == pytest.approx(g[0, 0], rel=1e-12)
    # by hand for unit 0 of year 0 (vector): r = x/‖x‖ over all 18 unit-years, v = w·r,
    # ideals over all unit-years (max for benefit, min for cost)
    if normalization == "vector":
        V = w * X / np.sqrt((X.reshape(-1, 4) ** 2).sum(axis=0))
        flat = V.reshape(-1, 4)
        best = np.where(np.array(d) > 0, flat.max(axis=0), flat.min(axis=0))
        worst = np.where(np.array(d) > 0, flat.min(axis=0), flat.max(axis=0))
        dp, dm = np.linalg.norm(V[0, 0] - best), np.linalg.norm(V[0, 0] - worst)
        assert g[0, 0] == pytest.approx(dm / (dp + dm), rel=1e-12)
    per = ur.topsis(X, w, directions=d, normalization=normalization)
    Y = X.copy()
    Y[1] *= rng.uniform(0.5, 2.0, Y[1].shape)  # change year 1 only
    kw = {"directions": d, "normalization": normalization}
    np.testing.assert_allclose(ur.topsis(Y, w, **kw)[[0, 2]], per[[0, 2]], rtol=1e-12)
    assert not np.allclose(ur.topsis(Y, w, **kw, ideal="global")[0], g[0])
    with pytest.raises(ValueError, match="ideal"):
        ur.topsis(X, w, directions=d, normalization=normalization, ideal="yearly")


# --------------------------------------------------------------- hand computations
def test_entropy_by_hand():
    # two units, minmax: indicator a = (0, 1) → p = (0, 1), e = 0 (0·ln0 = 0), d = 1;
    # indicator b = (1, 3) → normalised (0, 1): same. Equal weights.
    assert np.allclose(ur.entropy_weights([[1, 1], [2, 3]]), [0.5, 0.5])
    # three units, raw proportions: a = (1, 1, 2): p = (.25, .25, .5),
    # e_a = −(2·.25 ln .25 + .5 ln .5)/ln 3 ≈ 0.9464; b = (1, 1, 2) too; c = (1, 1, 1): e = 1
    X = np.array([[1, 1, 1], [1, 1, 1], [2, 2, 1.0]])
    e_a = -(0.5 * np.log(0.25) + 0.5 * np.log(0.5)) / np.log(3)
    assert e_a == pytest.approx(0.946395, abs=1e-6)
    w = ur.entropy_weights(X, normalization="none")
    assert w == pytest.approx([0.5, 0.5, 0.0])  # (1 − e) ∝ (0.0536, 0.0536, 0)
    Y = np.array([[1, 1], [1, 2], [2, 4.0]])  # b: p = (1/7, 2/7, 4/7)
    p = np.array([1, 2, 4]) / 7
    e_b = -(p * np.log(p)).sum() / np.log(3)
    w = ur.entropy_weights(Y, normalization="none")
    assert w[1] / w[0] == pytest.approx((1 - e_b) / (1 - e_a))


def test_entropy_constant_k_uses_units():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 10, (31, 4))
    Z = ur.normalize(X)
    P = Z / Z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.nansum(np.where(P > 0, P * np.log(P), 0), axis=0) / np.log(31)  # k = 1/ln(m)
    np.testing.assert_allclose(ur.entropy_weights(X), (1 - e) / (1 - e).sum(), rtol=1e-12)


def test_entropy_shift_is_explicit_and_changes_weights():
    rng = np.random.default_rng(1)
    X = rng.lognormal(0, 1, (31, 3))
    a = ur.entropy_weights(X)
    b = ur.entropy_weights(X, shift=0.1)
    assert not np.allclose(a, b)
    with pytest.raises(DataError, match="never abs"):
        ur.entropy_weights(np.array([[-1.0, 2], [3, 4]]), normalization="none")


def test_ahp_saaty_example():
    """Classic 3 × 3 example: eigenvector weights (0.637, 0.258, 0.105), λmax 3.039,
    CR 0.033 with Saaty's RI(3) = 0.58."""
    A = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    r = ur.ahp_weights(A)
    np.testing.assert_allclose(r.weights, [0.6370, 0.2583, 0.1047], atol=1e-4)
    assert r.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert r.cr == pytest.approx(0.0332, abs=1e-3) and r.consistent
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(DataError, match="CR"):
        ur.ahp_weights(bad)
    assert ur.ahp_weights(bad, accept_inconsistent=True).cr > 0.1
    with pytest.raises(DataError, match="reciprocal|aᵢⱼ"):
        ur.ahp_weights([[1, 2], [2, 1]])


def test_combinations():
    w1, w2 = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    assert ur.combine_weights(w1, w2) == pytest.approx(np.array([0.1, 0.09, 0.1]) / 0.29)
    assert ur.combine_weights(w1, w2, method="linear", alpha=[0.25, 0.75]) == pytest.approx(
        0.25 * w1 + 0.75 * w2)
    g = ur.combine_weights(w1, w2, method="game")
    assert g.sum() == pytest.approx(1) and (g > 0).all()
    # symmetric inputs: the game-theoretic optimum weights both equally
    assert g == pytest.approx(0.5 * w1 + 0.5 * w2)


def test_grey_relational_by_hand():
    Z = np.array([[1, 0], [0, 1], [0.5, 0.5]])
    g = ur.grey_relational(Z, normalization=None)
    np.testing.assert_allclose(g, [2 / 3, 2 / 3, 0.5])


def test_coupling_standard_and_wang_by_hand():
    r = ur.coupling_coordination([[0.2, 0.8]])
    assert r.C[0] == pytest.approx(0.8)  # 2√(0.16)/1.0
    assert r.D[0] == pytest.approx(np.sqrt(0.8 * 0.5))
    w = ur.coupling_coordination([[0.2, 0.8]], form="wang")
    assert w.C[0] == pytest.approx(np.sqrt((1 - 0.6) * 0.25))
    s3 = ur.coupling_coordination([[0.2, 0.4, 0.6]])
    assert s3.C[0] == pytest.approx(0.75 ** (1 / 3))
    w3 = ur.coupling_coordination([[0.2, 0.4, 0.6]], form="wang")
    assert w3.C[0] == pytest.approx(np.sqrt((1 - 0.8 / 3) * np.sqrt(1 / 3 * 2 / 3)))
    assert w3.lagging[0] == "U1"


def test_coupling_lanzhou_published():
    """ChinaXiv 202208.00078 (干旱区地理), Tables 4–5: Lanzhou 2010–2019. The paper prints
    C = [f·g/(f + g)²]^½ — the 'lost coefficient' misuse listed by Wang Shujia et al. (2021),
    which would give C ≤ 0.5 — but its Table 5 values are those of the standard form
    2√(fg)/(f + g), which we reproduce (D with α = β = 0.5)."""
    d = pd.read_csv(SHARED / "reference" / "coupling_coordination_lanzhou_formula_check" /
                    "input_subsystem_indices.csv")
    r = ur.coupling_coordination(d[["f_ecological_environment", "g_high_quality_development"]])
    C_pub = [0.9293, 0.9941, 0.9999, 0.9747, 0.9972, 0.9994, 0.9680, 0.9954, 0.9867, 0.9927]
    D_pub = [0.3567, 0.2225, 0.2046, 0.2494, 0.2913, 0.3249, 0.3475, 0.3499, 0.3393, 0.3890]
    np.testing.assert_allclose(r.C, C_pub, atol=1.5e-4)
    np.testing.assert_allclose(r.D, D_pub, atol=1.5e-4)
    f, g = d.iloc[:, 1], d.iloc[:, 2]
    printed_formula = np.sqrt(f * g / (f + g) ** 2)
    assert printed_formula.max() <= 0.5 < min(C_pub)
    # the corrected form discriminates where the standard one crowds near 1
    w = ur.coupling_coordination(d.iloc[:, 1:], form="wang")
    assert np.ptp(w.C) > np.ptp(r.C)


def test_coupling_grades_and_errors():
    r = ur.coupling_coordination([[0.95, 0.97], [0.001, 0.002]])
    assert list(r.grade_zh) == ["优质协调", "极度失调"]
    assert r.grade_en[0] == "high-quality coordination"
    custom = [(0.5, "低", "low"), (1.01, "高", "high")]
    assert list(ur.coupling_coordination([[0.9, 0.9]], grades=custom).grade_en) == ["high"]
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        ur.coupling_coordination([[1.5, 0.2]])


def test_obstacle_degree_by_hand_and_sum():
    O = ur.obstacle_degree([[0.5, 1.0], [0.0, 0.0], [1.0, 1.0]], [0.6, 0.4])
    np.testing.assert_allclose(O[0], [100, 0])
    np.testing.assert_allclose(O[1], [60, 40])
    np.testing.assert_allclose(O[2], [0, 0])  # best everywhere: no obstacle, reported as 0


# --------------------------------------------------------------- properties
mats = st.integers(3, 12).flatmap(lambda n: st.lists(
    st.lists(st.floats(0.1, 1e4, allow_nan=False), min_size=4, max_size=4),
    min_size=n, max_size=n))


@settings(max_examples=50, deadline=None)
@given(mats, st.floats(0.01, 1000))
def test_weights_sum_to_one_and_ignore_rescaling(rows, scale):
    X = np.array(rows)
    if (np.ptp(X, axis=0) < 1e-6 * np.abs(X).max()).any():
        return
    for f in (ur.entropy_weights, ur.critic_weights, ur.cv_weights, ur.std_weights):
        if f is ur.critic_weights and (np.corrcoef(X.T) > 1 - 1e-9).all():
            # perfectly correlated columns carry no CRITIC information: a clear error
            with pytest.raises(DataError, match="perfectly correlated"):
                f(X)
            continue
        w = f(X)
        assert w.sum() == pytest.approx(1) and (w >= -1e-12).all()
        Y = X.copy()
        Y[:, 1] *= scale
        np.testing.assert_allclose(f(Y), w, rtol=1e-7, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=3, max_size=3), min_size=1, max_size=20))
def test_coupling_bounds(rows):
    for form in ("standard", "wang"):
        r = ur.coupling_coordination(rows, form=form)
        assert ((r.C >= 0) & (r.C <= 1)).all() and ((r.D >= 0) & (r.D <= 1)).all()


@settings(max_examples=50, deadline=None)
@given(mats)
def test_obstacles_sum_to_100(rows):
    X = np.array(rows)
    if (np.ptp(X, axis=0) == 0).any():
        return
    Z = ur.normalize(X)
    O = ur.obstacle_degree(Z, ur.entropy_weights(X))
    tot = O.sum(axis=1)
    assert np.allclose(tot[tot > 0], 100)


def test_per_year_versus_pooled_normalisation():
    """Every region grows by the same 10 % a year. Per-year min-max scores stay identical from
    year to year (the growth is invisible); pooled scores rise with it — the documented
    difference."""
    base = np.array([[1.0, 5.0], [2.0, 3.0], [4.0, 1.0]])
    panel = np.stack([base * 1.1**t for t in range(3)])  # years × regions × indicators
    per_year = ur.normalize(panel)
    assert np.allclose(per_year[0], per_year[2])
    pooled = ur.normalize(panel.reshape(-1, 2)).reshape(panel.shape)
    assert (pooled[2] >= pooled[0]).all() and (pooled[2] > pooled[0]).any()
    # per-year entropy weights are computed per year too: (years, indicators)
    assert ur.entropy_weights(panel).shape == (3, 2)


def test_direction_choices_differ():
    X = np.array([[1.0], [2.0], [4.0]])
    rev = ur.normalize(X, directions=[-1])
    rec = ur.normalize(X, directions=[-1], cost="reciprocal")
    np.testing.assert_allclose(rev[:, 0], [1, 2 / 3, 0])
    np.testing.assert_allclose(rec[:, 0], [1, 1 / 3, 0])


def test_normalisation_errors_and_goalposts():
    with pytest.raises(DataError, match="constant"):
        ur.normalize([[1, 2], [1, 3]], names=["a", "b"])
    with pytest.raises(DataError, match="missing"):
        ur.normalize([[1, np.nan], [2, 3]])
    gp = ur.normalize([[50.0], [120.0]], method="goalposts", goalposts=(0, 100))
    np.testing.assert_allclose(gp[:, 0], [0.5, 1.0])
    b = ur.normalize([[1.0], [3.0]], bounds=(1, 100))
    np.testing.assert_allclose(b[:, 0], [1, 100])
    with pytest.raises(DataError, match="exact zeros"):
        ur.weighted_geometric(ur.normalize([[1.0, 2], [3, 1]]), [0.5, 0.5])


def test_coupling_kubuqi_published():
    """ChinaXiv 202101.00006 (Kubuqi desert eco-economic coupling), Tables 2–4 and text.

    * Table 3 (min-max normalised values, cost indicators reversed) is reproduced by
      :func:`normalize` to the four printed decimals.
    * With the paper's composite weights (Table 4, which sum to 1.0001 by rounding and are
      rescaled to 1 here) the subsystem indices match the text: f(x) = 0.0288 and g(y) =
      0.0267 in 2008, both 1.0000 in 2017.
    * The paper's C values (0.6020 in 2009, 0.9969 in 2011) are those of
      C = {f·g/[(f + g)/2]²}^k with an adjustment coefficient k = 2, not of the standard
      form (exponent 1/2, which gives 0.8808 in 2009); ``k=2`` reproduces them, and D with
      α = β = 0.5 follows (0.1662, 0.3002, 0.5007, 0.6775 in 2008, 2009, 2011, 2012; the
      last digit differs where the paper rounded its inputs)."""
    R = SHARED / "reference" / "coupling_coordination_kubuqi_eco_economic"
    meta = pd.read_csv(R / "input_indicator_meta.csv")
    X = pd.read_csv(R / "input_raw_indicators.csv").set_index("indicator").T.astype(float)
    d = np.where(meta.direction == "+", 1, -1)
    Z = ur.normalize(X[meta.indicator], directions=d)
    assert Z.loc["2008", "B1"] == pytest.approx(0.2536, abs=5e-5)
    assert Z.loc["2008", "B12"] == pytest.approx(0.0617, abs=5e-5)  # cost: (max − x)/range
    assert Z.loc["2011", "B10"] == pytest.approx(0.0, abs=5e-5)
    assert Z.loc["2015", "B16"] == pytest.approx(0.7549, abs=5e-5)
    eco = (meta.system == "ecological").to_numpy()
    we = meta.weight_composite[eco].to_numpy()
    ws = meta.weight_composite[~eco].to_numpy()
    f = Z.loc[:, meta.indicator[eco].to_numpy()] @ (we / we.sum())
    g = Z.loc[:, meta.indicator[~eco].to_numpy()] @ (ws / ws.sum())
    assert f["2008"] == pytest.approx(0.0288, abs=5e-5)
    assert g["2008"] == pytest.approx(0.0267, abs=5e-5)
    U = np.column_stack([f, g])
    paper = ur.coupling_coordination(U, k=2)
    C = pd.Series(paper.C, index=f.index)
    D = pd.Series(paper.D, index=f.index)
    assert C["2009"] == pytest.approx(0.6020, abs=1e-3)
    assert C["2011"] == pytest.approx(0.9969, abs=3e-4)
    for year, pub in (("2008", 0.1662), ("2009", 0.3002), ("2011", 0.5007), ("2012", 0.6775)):
        assert D[year] == pytest.approx(pub, abs=1e-3), year
    standard = ur.coupling_coordination(U)
    assert standard.C[1] == pytest.approx(0.8808, abs=1e-4)


def test_coupling_degree_is_coupling_coordinations_d_to_the_bit():
    from urbanrural.methods.composite.coupling import coupling_coordination, coupling_degree

    rng = np.random.default_rng(8)
    U = rng.random((500, 3))
    U[:5, 1] = 0.0  # a zero subsystem: C = 0
    for kw in ({}, {"form": "wang"}, {"alpha": [0.5, 0.3, 0.2]}, {"k": 2.0}):
        np.testing.assert_array_equal(coupling_degree(U, **kw),
                                      coupling_coordination(U, **kw).D, strict=True)
    assert (coupling_degree(U)[:5] == 0).all()
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        coupling_degree(U + 1)
