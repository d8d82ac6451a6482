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


def _giddy():
    """giddy, imported by the tests that compare with it (its import pulls in matplotlib and
    quantecon, 2.8 s: at module level every test process paid it while collecting)."""
    return pytest.importorskip("giddy")


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
    # esda without permutations (its permutation kernel is numba-compiled, ~20 s on first
    # call): the statistics and quadrants must be equal
    ref = esda.Moran_Local(y, w, permutations=0)
    np.testing.assert_allclose(ours.Is, ref.Is, rtol=1e-10)
    np.testing.assert_array_equal(ours.q, ref.q)
    # the conditional permutation p-values against a brute-force loop written here (esda's
    # definition: each region's value fixed, the others permuted; p = (larger + 1)/(n + 1),
    # larger counted on the side of the observed I); different random streams, so close only
    wd = w.full()[0]
    wd = wd / wd.sum(axis=1, keepdims=True)
    z = (y - y.mean()) / y.std()
    rng = np.random.default_rng(7)
    p_ref = np.empty(len(y))
    for i in range(len(y)):
        others = np.delete(np.arange(len(y)), i)
        draws = np.array([rng.permutation(others) for _ in range(999)])
        nb = np.flatnonzero(wd[i])
        lag = (wd[i, nb][None, :] * z[draws[:, :len(nb)]]).sum(axis=1)
        sims = z[i] * lag * (len(y) - 1) / (z ** 2).sum()
        larger = (sims >= ours.Is[i]).sum()
        larger = min(larger, 999 - larger)
        p_ref[i] = (larger + 1) / 1000
    assert np.corrcoef(ours.p_sim, p_ref)[0, 1] > 0.98
    # the default is FDR in esda's convention: significant ⇔ p_sim < esda.fdr(p_sim, α)
    assert ours.significance == "fdr" and ours.tested.all()
    np.testing.assert_array_equal(ours.significant, ours.p_sim < esda.fdr(ours.p_sim, 0.05))
    one = ur.local_morans(y, w, seed=1, significance="one_sided")
    np.testing.assert_array_equal(one.significant, one.p_sim <= 0.05)
    assert ours.significant.sum() < one.significant.sum()
    two = ur.local_morans(y, w, seed=1, significance="two_sided")
    np.testing.assert_allclose(two.p_two_sided, np.minimum(1, 2 * two.p_sim))
    np.testing.assert_array_equal(two.significant, two.p_two_sided <= 0.05)
    bon = ur.local_morans(y, w, seed=1, significance="bonferroni")
    assert bon.p_threshold == pytest.approx(0.05 / len(y))
    np.testing.assert_array_equal(bon.significant, bon.p_sim <= 0.05 / len(y))
    # esda's cluster labels at the same criterion
    ref_lab = esda.moran._get_cluster_labels(ours, esda.fdr(ours.p_sim, 0.05))
    np.testing.assert_array_equal(np.where(ours.significant, ours.q, 0) > 0,
                                  ref_lab != "Insignificant")


def test_fdr_threshold_by_hand_and_equal_to_esda():
    from urbanrural.methods.spatial.autocorrelation import fdr_threshold

    # p sorted 0.01, 0.02, 0.03, 0.2; α = 0.05, n = 4: criteria kα/n = .0125 .025 .0375 .05;
    # the largest k with p(k) < kα/n is 3, so the criterion is 0.0375 (esda returns kα/n)
    assert fdr_threshold([0.2, 0.01, 0.03, 0.02]) == pytest.approx(0.0375)
    # nothing passes: the Bonferroni bound α/n, below every p-value
    assert fdr_threshold([0.3, 0.5, 0.9]) == pytest.approx(0.05 / 3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.beta(0.3, 2, 31)
        assert fdr_threshold(p, alpha=0.1) == pytest.approx(esda.fdr(p, 0.1))


def test_local_morans_leaves_missing_regions_untested(stl):
    """A region without a value is untested ("no data"), never "not significant"; the others
    are tested on the weights restricted to the regions with a value."""
    y, w = stl
    y_nan = y.copy()
    y_nan[[0, 5]] = np.nan
    res = ur.local_morans(y_nan, w, seed=2)
    assert not res.tested[[0, 5]].any() and res.tested.sum() == len(y) - 2
    assert (res.cluster[[0, 5]] == -1).all() and np.isnan(res.p_sim[[0, 5]]).all()
    f = res.to_frame()
    assert (f.cluster_en.iloc[[0, 5]] == "No data (untested)").all()
    assert (f.untested_reason.iloc[[0, 5]] == "no value").all()
    assert not (f.cluster_en.iloc[[0, 5]] == "Not significant").any()
    keep = np.setdiff1d(np.arange(len(y)), [0, 5])
    sub = w.full()[0][np.ix_(keep, keep)]
    direct = ur.local_morans(y[keep], sub, permutations=0)
    np.testing.assert_allclose(res.Is[keep], direct.Is, rtol=1e-12)
    assert "false discovery rate" in res.method("en") and "错误发现率" in res.method("zh")
    assert f"{len(y) - 2} regions tested" in res.method("en")
    # no permutations: nothing is tested, so nothing is called "not significant"
    none = ur.local_morans(y, w, permutations=0)
    assert not none.tested.any() and (none.cluster == -1).all()


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
    ref = _giddy().markov.Markov(q5, summary=False)
    np.testing.assert_allclose(m.P, ref.p)
    np.testing.assert_allclose(m.steady_state, ref.steady_state, rtol=1e-8)
    np.testing.assert_allclose(m.sojourn, ref.sojourn_time, rtol=1e-10)


def test_spatial_markov_equals_giddy(usjoin):
    Y, w = usjoin
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _giddy().markov.Spatial_Markov(Y / Y.mean(axis=0), w, fixed=True, k=5, m=5)
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
    h = ur.methods.dynamics.kde.bandwidth(x, rule="silverman")
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
    W = ur.spatial_weights(Y.index, kind="queen", hainan_link="guangdong")
    lag = ur.beta_convergence(Y, start=2006, end=2024, W=W, spatial="lag")
    imp = lag.impacts
    assert imp["direct"] + imp["indirect"] == pytest.approx(imp["total"])
    assert imp["total"] == pytest.approx(lag.beta / (1 - lag.spatial_param), rel=1e-8)


def test_spatial_weights_kinds_and_islands():
    codes = ur.china().codes("province")
    q = ur.spatial_weights(codes, kind="queen")
    assert q.islands == ["460000"] and any("islands" in n for n in q.notes)
    assert ur.spatial_weights(codes, kind="queen", hainan_link="广东").islands == []
    knn = ur.spatial_weights(codes, kind="knn", k=4)
    assert (np.asarray(knn.matrix.sum(axis=1)).ravel() == 4).all()
    d = ur.spatial_weights(codes, kind="distance")
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
    _giddy()  # skips when giddy is absent
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


# ------------------------------------------- the report's dynamics run on the embedded data
@pytest.fixture(scope="module")
def report_dynamics():
    """The dynamics tables with the report's default options (``Options()``)."""
    from urbanrural.pipeline.dynamics import run_dynamics
    from urbanrural.pipeline.spec import Options

    opts = Options()  # the report's defaults: k = 4, 999 permutations, seed 12345, Guangdong
    panel = ur.load_dataset("china_provinces")
    return panel, run_dynamics(panel, "index:urban_rural_integration", k=opts.markov_k,
                               permutations=opts.permutations, seed=opts.seed,
                               hainan_link=opts.hainan_link)


@pytest.fixture(scope="module")
def entering_dynamics():
    """Embedded data where a region enters: the urban registered unemployment rate has no
    value for Tibet before 2009, so over 2008–2021 Tibet is missing in the first year only
    (the situation of the report's index before the frameworks were rebuilt)."""
    from urbanrural.pipeline.dynamics import run_dynamics

    panel = ur.load_dataset("china_provinces").select(years=(2008, 2021))
    ind = "unemployment_rate_urban_registered"
    return panel, ind, run_dynamics(panel, ind, permutations=199, seed=12345)


def test_report_lisa_is_fdr_and_writes_its_method(report_dynamics):
    """One-sided p ≤ 0.05 over the provinces flags clusters that the FDR correction does not
    keep; the report's default is the FDR result and the table says which rule it used."""
    _, d = report_dynamics
    li = d.tables["lisa"].set_index("region_code")
    tested = li[li.tested]
    assert (li.significance == "fdr").all() and len(li) == 31
    crit = esda.fdr(tested.p_sim.to_numpy(), 0.05)
    np.testing.assert_array_equal(tested.significant, tested.p_sim < crit)
    assert li.p_threshold.iloc[0] == pytest.approx(crit)
    assert (tested.p_sim <= 0.05).sum() > tested.significant.sum()  # what one-sided would say
    assert "false discovery rate" in li.method_en.iloc[0]
    assert "错误发现率" in li.method_zh.iloc[0]
    assert set(li.cluster[li.tested]) <= {0, 1, 2, 3, 4}


def test_lisa_region_outside_the_balanced_panel_is_untested(entering_dynamics):
    """Tibet (not in every year, so not in the spatial statistics) is 'no data', not 'not
    significant', and still has its row."""
    _, _, d = entering_dynamics
    li = d.tables["lisa"].set_index("region_code")
    assert len(li) == 31 and li.tested.sum() == 30
    tibet = li.loc["540000"]
    assert not tibet.tested and tibet.cluster == -1 and not tibet.significant
    assert tibet.cluster_en == "No data (untested)" and "every year" in tibet.untested_reason
    assert any("540000" in n and "LISA" in n for n in d.notes)


def test_report_markov_chains_share_one_class_definition(report_dynamics):
    """The classical matrix and the spatial chain summed over lag classes count the same
    transitions only if both use the same class bounds."""
    _, d = report_dynamics
    mk = d.tables["markov"]
    sm = d.tables["spatial_markov"]
    glob = sm.groupby(["from_class", "to_class"])["count"].sum()
    np.testing.assert_array_equal(mk.set_index(["from_class", "to_class"])["count"]
                                  .loc[glob.index], glob)
    assert mk.classes.iloc[0] == sm.classes.iloc[0]
    cl = d.tables["markov_classes"]
    val = cl[cl.variable == "value"]
    assert len(val) == 4 and val.pooled.all() and val.relative.all()


def test_gravity_move_compares_the_same_regions(entering_dynamics):
    """2008→2009: Tibet enters the data in 2009. By hand, on the regions present in both
    years (Σwᵢxᵢ/Σwᵢ of the centroids, km = Δ° × 111.32, longitude × cos of the new
    latitude), the move differs from the one that Tibet's entry makes; the pipeline reports
    the like-for-like move."""
    panel, ind, d = entering_dynamics
    from urbanrural.pipeline.dynamics import indicator_table

    wide, _, _ = indicator_table(panel, ind)
    cen = panel.registry.centroids()

    def centre(v):
        c = cen.loc[v.index]
        return (c.lon * v).sum() / v.sum(), (c.lat * v).sum() / v.sum()

    def km(a, b):
        return np.hypot((b[0] - a[0]) * 111.32 * np.cos(np.radians(b[1])), (b[1] - a[1]) * 111.32)

    both = wide[[2008, 2009]].dropna()
    assert sorted(set(wide.index) - set(both.index)) == ["540000"]
    balanced_move = km(centre(both[2008]), centre(both[2009]))
    entry_move = km(centre(wide[2008].dropna()), centre(wide[2009].dropna()))
    g = d.tables["gravity_centre"].set_index("year")
    assert g.loc[2009, "move_km"] == pytest.approx(balanced_move, rel=1e-9)
    assert g.loc[2009, "move_regions"] == 30 and (g.n_regions == 30).all()
    assert abs(balanced_move - entry_move) > 10  # km: Tibet's entry alone moves the centre
    assert any("540000" in n and "gravity centre" in n for n in d.notes)


def test_shape_over_time_refuses_or_balances_an_unbalanced_pair():
    from urbanrural.methods.spatial.shape import shape_over_time

    cen = pd.DataFrame({"lon": [100.0, 110, 120, 90], "lat": [30.0, 30, 40, 35]},
                       index=["a", "b", "c", "d"])
    vals = pd.DataFrame({2000: [1.0, 1, 1, np.nan], 2001: [1.0, 1, 2, 5]}, index=cen.index)
    with pytest.raises(DataError, match="2000→2001.*d"):
        shape_over_time(vals, cen)
    t = shape_over_time(vals, cen, unbalanced="common").set_index("year")
    # on a, b, c: centre (110, 33.33) → (112.5, 35); move by hand
    dx = 2.5 * 111.32 * np.cos(np.radians(35.0))
    dy = (35.0 - 100 / 3) * 111.32
    assert t.loc[2001, "move_km"] == pytest.approx(np.hypot(dx, dy))
    assert t.loc[2001, "move_regions"] == 3 and t.loc[2001, "move_left_out"] == "d"
    assert t.loc[2001, "n_regions"] == 4
    with pytest.raises(DataError, match="no centroid"):
        shape_over_time(vals.rename(index={"d": "zz"}), cen, unbalanced="common")


def test_report_geodetector_flags_factors_inside_the_index(report_dynamics):
    """The urbanisation rate is an indicator of the integration index: stratifying the index
    by it is circular, and the table says so."""
    _, d = report_dynamics
    gd = d.tables["geodetector"].set_index("factor")
    assert gd.circular.to_dict() == {"macro_region": False, "three_belts": False,
                                     "urbanisation_quartile": True}
    assert any("circular" in n for n in d.notes)


def test_geodetector_components_argument():
    rng = np.random.default_rng(3)
    g, h = rng.integers(0, 3, 60), rng.integers(0, 2, 60)
    y = g + rng.normal(0, 0.5, 60)
    r = ur.geodetector(y, pd.DataFrame({"g": g, "h": h}), components=["g"])
    assert r.circular.to_dict() == {"g": True, "h": False}
    assert r.to_frame().circular.tolist() == [True, False]
    plain = ur.geodetector(y, pd.DataFrame({"g": g, "h": h}))
    assert r.q.equals(plain.q) and not plain.to_frame().circular.any()
    with pytest.raises(DataError, match="not a factor"):
        ur.geodetector(y, pd.DataFrame({"g": g}), components=["zz"])


def test_circular_factor_rules():
    from urbanrural.pipeline.dynamics import _Explained, circular_factors

    empty = pd.DataFrame()
    idx = _Explained(empty, "", "", frozenset({("per_capita", "gdp", "population_total")}),
                     frozenset({"gdp", "population_total"}), True)
    assert circular_factors(idx) == []  # a shared denominator alone is not circular
    one = _Explained(empty, "", "", frozenset(), frozenset({"population_urban"}), False)
    assert circular_factors(one) == ["urbanisation_quartile"]


def test_markov_classes_shared_by_classical_and_spatial(usjoin):
    from urbanrural.methods.dynamics.markov import markov_classes, markov_time_homogeneity

    Y, w = usjoin
    w.transform = "r"
    for pooled in (True, False):
        c = markov_classes(Y, k=5, pooled=pooled)
        m = ur.markov(Y, classes=c)
        s = ur.spatial_markov(Y, w, classes=c)
        np.testing.assert_array_equal(s.transitions, m.transitions)
        assert s.classes is c and m.classes is c
        assert markov_time_homogeneity(Y, 40, classes=c)["classes"] is c
    # per-year quintiles reproduce giddy's published classical matrix
    np.testing.assert_array_equal(m.transitions[0], [729, 71, 1, 0, 0])
    # pooled cut points passed to giddy as cutoffs / lag_cutoffs give the same counts
    c = markov_classes(Y, k=5)
    s = ur.spatial_markov(Y, w, classes=c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _giddy().markov.Spatial_Markov(Y / Y.mean(axis=0), w, cutoffs=c.cutoffs,
                                          lag_cutoffs=s.lag_classes.cutoffs)
    np.testing.assert_array_equal(s.T, ref.T)
    np.testing.assert_allclose(c.cutoffs, np.percentile(Y / Y.mean(axis=0), [20, 40, 60, 80]))
    with pytest.raises(ValueError, match="contradicts"):
        ur.markov(Y, k=4, classes=c)
    # given cut points; a value equal to a bound belongs to the lower class
    g = markov_classes(np.array([[1.0, 2], [3, 4]]), cutoffs=[2.0], relative=False)
    np.testing.assert_array_equal(g.assign(np.array([[1.0, 2], [3, 4]])), [[0, 0], [1, 1]])


def test_steady_state_first_passage_and_homogeneity_equal_giddy():
    """NumPy replacements of giddy's ergodic and homogeneity functions (giddy and quantecon
    cost seconds of numba compilation at import): equal on random chains and on chains with
    an empty class."""
    _giddy()  # skips when giddy is absent
    from giddy.ergodic import mfpt as g_mfpt
    from giddy.ergodic import steady_state as g_ss
    from giddy.markov import homogeneity as g_h

    from urbanrural.methods.dynamics.markov import (
        homogeneity_test,
        mean_first_passage,
        steady_state,
    )

    rng = np.random.default_rng(3)
    for _ in range(20):
        P = rng.random((4, 4)) + 0.05
        P /= P.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(steady_state(P), g_ss(P), atol=1e-12)
        np.testing.assert_allclose(mean_first_passage(P), g_mfpt(P), rtol=1e-10)
        counts = rng.integers(0, 30, size=(3, 4, 4)).astype(float)
        counts[1, 2, :] = 0  # a class that chain 2 never leaves from
        counts[:, 3, 1] = 0  # a transition nobody makes
        ours, ref = homogeneity_test(counts), g_h(counts)
        assert ours["dof"] == ref.dof
        assert ours["Q"] == pytest.approx(ref.Q) and ours["LR"] == pytest.approx(ref.LR)
        assert ours["Q_p_value"] == pytest.approx(ref.Q_p_value, abs=1e-12)
    # a reducible chain has no unique steady state
    R = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert np.isnan(steady_state(R)).all() and np.isnan(mean_first_passage(R)).all()
