"""Dynamics and spatial statistics: equal to PySAL where PySAL has the method, published
examples otherwise."""

import warnings

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data import DataError

from .conftest import SHARED

REF = SHARED / "reference"
libpysal = pytest.importorskip("libpysal")
esda = pytest.importorskip("esda")
giddy = pytest.importorskip("giddy")


@pytest.fixture(scope="module")
def stl():
    d = pd.read_csv(REF / "morans_i_stl_homicide_pysal" / "input_stl_hom.csv")
    w = libpysal.io.open(str(REF / "morans_i_stl_homicide_pysal" / "input_stl_queen.gal")).read()
    return d.HR8893.to_numpy(), w


@pytest.fixture(scope="module")
def usjoin():
    d = pd.read_csv(REF / "markov_spatial_markov_us_income_pysal" / "input_usjoin.csv")
    Y = d[[str(y) for y in range(1929, 2010)]].to_numpy(float)
    w = libpysal.io.open(str(REF / "markov_spatial_markov_us_income_pysal" /
                             "input_states48.gal")).read()
    return Y, w


def test_morans_i_equals_esda_and_published(stl):
    y, w = stl
    ours = ur.morans_i(y, w, seed=1)
    ref = esda.Moran(y, w)
    # esda documentation: St Louis homicide rates 1988–93, queen, I = 0.2437
    assert pytest.approx(0.24365582621771659, rel=1e-12) == ours.I
    for a in ("I", "EI", "VI_norm", "z_norm", "p_norm"):
        assert getattr(ours, a) == pytest.approx(getattr(ref, a), rel=1e-10), a
    assert 0 < ours.p_sim < 0.01  # strongly clustered; permutation p agrees with esda's order
    # the same W given as a dense matrix, scipy.sparse, or spatial_weights-like gives the same
    assert pytest.approx(ours.I) == ur.morans_i(y, w.full()[0], permutations=0).I
    assert pytest.approx(ours.I) == ur.morans_i(y, w.sparse, permutations=0).I


def test_permutations_are_seeded(stl):
    y, w = stl
    assert ur.morans_i(y, w, seed=3).p_sim == ur.morans_i(y, w, seed=3).p_sim
    a, b = ur.local_morans(y, w, seed=3), ur.local_morans(y, w, seed=3)
    np.testing.assert_array_equal(a.p_sim, b.p_sim)


def test_gearys_c_equals_esda(stl):
    y, w = stl
    ours, ref = ur.gearys_c(y, w, seed=1), esda.Geary(y, w)
    for a in ("C", "EC", "VC_norm", "z_norm", "p_norm"):
        assert getattr(ours, a) == pytest.approx(getattr(ref, a), rel=1e-10), a


def test_local_morans_equals_esda(stl):
    y, w = stl
    ours = ur.local_morans(y, w, seed=1)
    ref = esda.Moran_Local(y, w, seed=1)
    np.testing.assert_allclose(ours.Is, ref.Is, rtol=1e-10)
    np.testing.assert_array_equal(ours.q, ref.q)
    # different random streams: pseudo p-values agree closely, not exactly
    assert np.corrcoef(ours.p_sim, ref.p_sim)[0, 1] > 0.98
    fdr = ur.local_morans(y, w, seed=1, fdr=True)
    assert fdr.significant.sum() <= ours.significant.sum()


def test_fdr_threshold_by_hand():
    from urbanrural.methods.spatial.autocorrelation import fdr_threshold

    # p sorted 0.01, 0.02, 0.03, 0.2; α = 0.05, n = 4: thresholds .0125 .025 .0375 .05
    assert fdr_threshold([0.2, 0.01, 0.03, 0.02]) == 0.03


def test_markov_equals_giddy_published(usjoin):
    """giddy's documented example: relative per-capita incomes of 48 US states 1929–2009,
    quintiles per year, transitions [[729, 71, 1, 0, 0], [72, 567, 80, 3, 0], …]."""
    Y, _ = usjoin
    m = ur.markov(Y, k=5, fixed=False)
    np.testing.assert_array_equal(m.transitions[0], [729, 71, 1, 0, 0])
    np.testing.assert_array_equal(m.transitions[1], [72, 567, 80, 3, 0])
    import mapclassify as mc

    rel = Y / Y.mean(axis=0)
    q5 = np.array([mc.Quantiles(rel[:, i], k=5).yb for i in range(rel.shape[1])]).T
    ref = giddy.markov.Markov(q5, summary=False)
    np.testing.assert_allclose(m.P, ref.p)
    np.testing.assert_allclose(m.steady_state, ref.steady_state, rtol=1e-8)
    np.testing.assert_allclose(m.sojourn, ref.sojourn_time, rtol=1e-10)


def test_spatial_markov_equals_giddy(usjoin):
    Y, w = usjoin
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = giddy.markov.Spatial_Markov(Y / Y.mean(axis=0), w, fixed=True, k=5, m=5)
    ours = ur.spatial_markov(Y, w, k=5, m=5, fixed=True)
    np.testing.assert_array_equal(ours.T, ref.T)
    np.testing.assert_allclose(np.nan_to_num(ours.P), ref.P)
    assert pytest.approx(ref.Q) == ours.Q and pytest.approx(ref.LR) == ours.LR
    assert ours.dof == ref.dof_hom
    # giddy docs: P for the poorest lag class starts [0.963, 0.030, 0.006, 0, 0]
    np.testing.assert_allclose(ours.P[0, 0], [0.96341463, 0.0304878, 0.00609756, 0, 0],
                               atol=1e-8)


def test_empty_markov_rows_stay_visible():
    # pooled quartiles of 1…8: the two classes only reached in the last year are never left,
    # so their rows are empty — shown as NaN, not silently filled
    Y = np.array([[1.0, 5], [2, 6], [3, 7], [4, 8]])
    m = ur.markov(Y, k=4, fixed=True, relative=False)
    assert m.transitions.sum() == 4
    assert np.isnan(m.P[2:]).all() and not np.isnan(m.P[:2]).any()
    assert np.isnan(m.steady_state).all()  # reducible: no unique steady state


def test_geodetector_published_ntd_example():
    """R geodetector 1.0-5 CollectData (Wang et al. 2010, neural tube defects, Heshun):
    q = 0.6377737 (watershed), 0.6067087 (elevation), 0.3857168 (soil type), as printed by the
    gdverse 'consistency' vignette for gdverse, GD and geodetector alike. Their p-values
    differ only by σ² in the non-centrality λ: population variance (GD, gdverse: 0.000128803,
    0.043382244, 0.372145486) or sample variance (geodetector: 0.0001169914, 0.04080407,
    0.3632363)."""
    d = pd.read_csv(REF / "geodetector_ntd_heshun_r_package" / "input_collectdata.csv")
    X = d[["watershed", "elevation", "soiltype"]]
    r = ur.geodetector(d.incidence, X)
    np.testing.assert_allclose(r.q, [0.6377737, 0.6067087, 0.3857168], atol=5e-8)
    np.testing.assert_allclose(r.p, [0.000128803, 0.043382244, 0.372145486], rtol=1e-5)
    s = ur.geodetector(d.incidence, X, variance="sample")
    np.testing.assert_allclose(s.p, [0.0001169914, 0.04080407, 0.3632363], rtol=1e-5)
    inter = r.interaction.set_index(["factor_a", "factor_b"])
    assert (inter.q_ab >= inter[["q_a", "q_b"]].max(axis=1)).all()
    assert set(r.interaction.type_en) <= {"enhance, bi-", "enhance, nonlinear"}
    assert len(r.risk) == 9 * 8 / 2 + 7 * 6 / 2 + 5 * 4 / 2


def test_geodetector_q_is_anova_eta_squared():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 4, 200)
    y = g * 1.0 + rng.normal(0, 1, 200)
    q = ur.geodetector(y, pd.DataFrame({"g": g})).q["g"]
    ss_t = ((y - y.mean()) ** 2).sum()
    ss_b = sum((g == h).sum() * (y[g == h].mean() - y.mean()) ** 2 for h in range(4))
    assert q == pytest.approx(ss_b / ss_t)


def test_kde_integrates_to_one_with_reflection():
    rng = np.random.default_rng(1)
    vals = pd.DataFrame({2020: rng.beta(2, 5, 200), 2021: rng.beta(2, 4, 200)})
    plain = ur.kernel_density(vals, grid=np.linspace(0, 1, 2001))
    refl = ur.kernel_density(vals, bounds=(0, 1), grid_size=2001)
    for res in (plain, refl):
        d = res.density[res.density.year == 2020]
        area = np.trapezoid(d.density, d.x)
        if res is refl:
            assert area == pytest.approx(1.0, abs=2e-3)
        else:
            assert area < 0.99  # mass lost below 0 without the correction
    from scipy.stats import gaussian_kde

    x = vals[2021].to_numpy()
    h = ur.methods.dynamics.kde.bandwidth(x, "silverman")
    ref = gaussian_kde(x, bw_method=h / x.std(ddof=1))
    grid = np.linspace(0, 1, 50)
    ours = ur.kernel_density(pd.DataFrame({1: x}), grid=grid).density.density
    np.testing.assert_allclose(ours, ref(grid), rtol=1e-10)
    sd, iqr = x.std(ddof=1), np.subtract(*np.percentile(x, [75, 25]))
    assert h == pytest.approx(0.9 * min(sd, iqr / 1.34) * 200 ** -0.2)


def test_convergence_by_hand_and_against_spreg():
    spreg = pytest.importorskip("spreg")
    p = ur.load_dataset("china_provinces").derive("g", "per_capita", "gdp", "population_total")
    Y = p.wide("g")
    b = ur.beta_convergence(Y, start=2006, end=2024)
    g = np.log(Y[2024] / Y[2006]) / 18
    o = spreg.OLS(g.to_numpy().reshape(-1, 1), np.log(Y[2006]).to_numpy().reshape(-1, 1))
    assert b.beta == pytest.approx(o.betas[1, 0], rel=1e-10)
    assert b.se == pytest.approx(o.std_err[1], rel=1e-10)
    lam = -np.log(1 + 18 * b.beta) / 18
    assert b.speed == pytest.approx(lam) and b.half_life == pytest.approx(np.log(2) / lam)
    s = ur.sigma_convergence(Y)
    # population standard deviation of the logs (stated in the docstring)
    assert s[s.year == 2024].value.iloc[0] == pytest.approx(np.std(np.log(Y[2024].to_numpy())))
    panel = ur.beta_convergence(Y, kind="panel")
    assert panel.warnings and "Nickell" in panel.warnings[0]


def test_spatial_beta_impacts_add_up():
    p = ur.load_dataset("china_provinces").derive("g", "per_capita", "gdp", "population_total")
    Y = p.wide("g")
    W = ur.spatial_weights(Y.index, "queen", hainan_link="guangdong")
    lag = ur.beta_convergence(Y, start=2006, end=2024, W=W, spatial="lag")
    imp = lag.impacts
    assert imp["direct"] + imp["indirect"] == pytest.approx(imp["total"])
    assert imp["total"] == pytest.approx(lag.beta / (1 - lag.spatial_param), rel=1e-8)


def test_spatial_weights_kinds_and_islands():
    codes = ur.china().codes("province")
    q = ur.spatial_weights(codes, "queen")
    assert q.islands == ["460000"] and any("islands" in n for n in q.notes)
    assert ur.spatial_weights(codes, "queen", hainan_link="广东").islands == []
    knn = ur.spatial_weights(codes, "knn", k=4)
    assert (np.asarray(knn.matrix.sum(axis=1)).ravel() == 4).all()
    d = ur.spatial_weights(codes, "distance")
    assert d.islands == []
    R = q.transformed("r")
    rows = np.asarray(R.sum(axis=1)).ravel()
    assert np.allclose(rows[rows > 0], 1)
    lib = q.to_libpysal()
    assert lib.n == 31


def test_gravity_centre_and_ellipse_by_hand():
    assert ur.gravity_centre([100, 110], [30, 30], [1, 3]) == (107.5, 30.0)
    e = ur.standard_deviational_ellipse([100, 101, 102, 101], [30, 30, 30, 30.0001],
                                        [1, 1, 1, 1])
    assert e["rotation_deg"] == pytest.approx(90, abs=1)  # points along an east–west line
    with pytest.raises(DataError):
        ur.gravity_centre([1, 2], [1, 2], [0, 0])


def test_dynamics_cli_on_embedded_data(tmp_path):
    from urbanrural.cli import main

    assert main(["dynamics", "--indicator", "gdp_per_capita", "--out", str(tmp_path),
                 "--permutations", "99"]) == 0
    for name in ("kde_density", "sigma_convergence", "beta_convergence", "markov",
                 "spatial_markov", "morans_i", "lisa", "geodetector", "gravity_centre"):
        assert (tmp_path / f"{name}.csv").exists(), name


def test_markov_time_homogeneity(usjoin):
    from urbanrural.methods.dynamics.markov import markov_time_homogeneity

    Y, _ = usjoin
    h = markov_time_homogeneity(Y, split=40, k=5)
    assert h["transitions_before"].sum() + h["transitions_after"].sum() == 48 * 80
    from giddy.markov import homogeneity

    ref = homogeneity(np.array([h["transitions_before"], h["transitions_after"]]))
    assert h["Q"] == pytest.approx(ref.Q) and h["dof"] == ref.dof


def test_phillips_sul_clubs_recover_two_synthetic_clubs():
    """Two groups of 8 series converging to different levels (log y = level + a_i/t^0.7 +
    small noise; a test input, not data): the whole panel fails the log t test, each group
    passes it, and the clustering finds exactly the two groups."""
    rng = np.random.default_rng(0)
    T = 30
    t = np.arange(1, T + 1)
    rows = [np.exp(level + rng.normal(0, 1.0) / t**0.7 + rng.normal(0, 0.002, T))
            for level in (10.0, 9.0) for _ in range(8)]
    Y = pd.DataFrame(rows, index=[f"r{i}" for i in range(16)], columns=range(2000, 2000 + T))
    assert not ur.log_t_test(Y).converges
    assert ur.log_t_test(Y.iloc[:8]).converges and ur.log_t_test(Y.iloc[8:]).converges
    clubs = ur.convergence_clubs(Y).set_index("region").club
    assert set(clubs[[f"r{i}" for i in range(8)]]) == {1}
    assert set(clubs[[f"r{i}" for i in range(8, 16)]]) == {2}


def test_hp_trend_keeps_a_line_and_smooths():
    from urbanrural.methods.dynamics.clubs import hp_trend

    x = np.arange(12.0)
    np.testing.assert_allclose(hp_trend(x)[0], x, atol=1e-9)
    noisy = x + np.tile([1.0, -1.0], 6)
    assert np.abs(np.diff(hp_trend(noisy)[0], 2)).max() < 0.1
