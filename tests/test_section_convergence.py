"""The convergence section: σ, β, log t and clubs of GDP per capita and the urbanisation rate
checked by hand, the spatial statistics against esda, one class definition for both Markov
chains, readings decided by the claims, the readings unchanged when GDP per capita is
multiplied by a constant (and the log t test on logs shown not to be), and every cited number
equal to its cell in both languages."""

import re

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data import Panel
from urbanrural.methods.dynamics.clubs import convergence_clubs, log_t_test
from urbanrural.methods.dynamics.markov import markov_classes
from urbanrural.methods.spatial.weights import spatial_weights
from urbanrural.outputs.render import render_page
from urbanrural.pipeline.analysis import AnalysisResult, run_analysis
from urbanrural.pipeline.context import RunContext
from urbanrural.pipeline.sections.convergence import (
    homogeneity_claim,
    log_t_unit_claim,
    moran_claim,
    run,
)
from urbanrural.pipeline.spec import AnalysisSpec, Options

NUM = re.compile(r'<span class="num" data-sheet="([^"]+)" data-row="(\d+)" data-col="([^"]+)" '
                 r'data-digits="(\d+)" data-pct="(\d)">([^<]+)</span>')
SCALE = 7.3  # GDP multiplied by a constant: a change of unit, nothing else


@pytest.fixture(scope="module")
def result():
    """The section as a default run makes it (999 permutations, FDR, k = 4)."""
    return run_analysis(AnalysisSpec(sections=("convergence",)))


@pytest.fixture(scope="module")
def section(result):
    return result.section("convergence")


@pytest.fixture(scope="module")
def raw():
    d = ur.load_dataset("china_provinces").data
    return {k: g.pivot(index="region_code", columns="year", values="value").sort_index()
            for k, g in d[d.indicator.isin(["gdp", "population_total", "population_urban"])]
            .groupby("indicator")}


@pytest.fixture(scope="module")
def gdp_pc(raw):
    """元/人 by hand: 亿元 × 10⁸ / (万人 × 10⁴)."""
    y = raw["gdp"] * 1e4 / raw["population_total"]
    return y.dropna(axis=1, how="all").dropna()


@pytest.fixture(scope="module")
def urban(raw):
    u = 100 * raw["population_urban"] / raw["population_total"]
    return u.dropna(axis=1, how="all").dropna()


def _scaled_section(factor: float):
    """The section on the bundled panel with GDP multiplied by ``factor``."""
    spec = AnalysisSpec(sections=("convergence",))
    p = RunContext(spec).panel()
    d = p.data.copy()
    d.loc[d.indicator == "gdp", "value"] *= factor
    return run(_context(spec, Panel(d, p.indicators, registry=p.registry,
                                    region_names=p.region_names)))


def _context(spec: AnalysisSpec, panel: Panel) -> RunContext:
    """A fresh context whose provincial panel is ``panel``."""
    ctx = RunContext(spec)
    ctx.cached("panel", lambda: panel)
    assert ctx.panel() is panel
    return ctx


@pytest.fixture(scope="module")
def scaled():
    return _scaled_section(SCALE)


def _rows(section, key, **where):
    t = section.table(key).frame
    mask = np.ones(len(t), bool)
    for k, v in where.items():
        mask &= (t[k] == v).to_numpy()
    return t[mask]


# ------------------------------------------------------------------------ σ, β, log t, clubs
def test_sigma_of_logs_by_hand(section, gdp_pc, urban):
    s = _rows(section, "conv_sigma", variable="gdp_pc", measure="sd_log").set_index("year")
    assert s.loc[2024, "value"] == pytest.approx(np.std(np.log(gdp_pc[2024].to_numpy())))
    assert s.loc[2006, "value"] == pytest.approx(np.std(np.log(gdp_pc[2006].to_numpy())))
    assert list(s.index) == list(range(2006, 2025))
    assert s.loc[2024, "n"] == 31
    # the trend slope is OLS of the measure on the year
    slope = np.polyfit(s.index.to_numpy(float), s.value.to_numpy(), 1)[0]
    assert s.trend_slope.iloc[0] == pytest.approx(slope)
    # the last ten years on their own: Mann–Kendall on the same σ of logs
    from scipy import stats

    rec = _rows(section, "conv_sigma_recent", variable="gdp_pc", measure="sd_log").iloc[0]
    years = np.arange(2015, 2025)
    sd = [np.std(np.log(gdp_pc[y].to_numpy())) for y in years]
    tau, p = stats.kendalltau(years, sd)
    assert (rec.start, rec.end, rec.n) == (2015, 2024, 10)
    assert rec.tau == pytest.approx(tau) and rec.p_value == pytest.approx(p)
    assert rec.slope == pytest.approx(stats.theilslopes(sd, years)[0])
    assert rec.verdict == ("falling" if p < 0.05 and tau < 0 else
                           "rising" if p < 0.05 else "no_significant_trend")
    cv = _rows(section, "conv_sigma", variable="urban", measure="cv").set_index("year")
    x = urban[2022].to_numpy()
    assert cv.loc[2022, "value"] == pytest.approx(x.std() / x.mean())
    assert list(cv.index) == list(range(2005, 2023))


def test_beta_and_half_life_by_hand(section, gdp_pc):
    b = _rows(section, "conv_beta", variable="gdp_pc", model="cross_section").iloc[0]
    T = 2024 - 2006
    g = np.log(gdp_pc[2024] / gdp_pc[2006]).to_numpy() / T
    X = np.column_stack([np.ones(31), np.log(gdp_pc[2006].to_numpy())])
    coef, *_ = np.linalg.lstsq(X, g, rcond=None)
    assert b.beta == pytest.approx(coef[1])
    assert (b.start, b.end, b.periods) == (2006, 2024, T)
    lam = -np.log(1 + T * coef[1]) / T
    assert b.speed == pytest.approx(lam)
    assert b.half_life == pytest.approx(np.log(2) / lam)
    assert b.half_life == pytest.approx(29.04, abs=0.01)


def test_panel_beta_by_hand_with_its_warning(section, gdp_pc):
    b = _rows(section, "conv_beta", variable="gdp_pc", model="panel_fe").iloc[0]
    lnA = np.log(gdp_pc.to_numpy())
    g, x = (lnA[:, 1:] - lnA[:, :-1]).ravel(), lnA[:, :-1].ravel()
    n, T = lnA.shape[0], lnA.shape[1] - 1
    region = np.repeat(np.arange(n), T)
    year = np.tile(np.arange(T), n)
    D = np.column_stack([x, np.eye(n)[region], np.eye(T)[year][:, 1:]])  # LSDV, two-way
    coef, *_ = np.linalg.lstsq(D, g, rcond=None)
    assert b.beta == pytest.approx(coef[0])
    assert bool(b.short_t_bias) and "Nickell" in b.warnings and b.periods == 18


def test_log_t_and_clubs_equal_the_method_called_directly(section, gdp_pc, urban):
    for key, Y in (("gdp_pc", gdp_pc), ("urban", urban)):
        lt = _rows(section, "conv_log_t", variable=key).set_index("version")
        assert lt.loc["logs", "t"] == pytest.approx(log_t_test(Y).t)
        assert lt.loc["levels", "t"] == pytest.approx(log_t_test(Y, take_log=False).t)
        assert lt.loc["logs", "r"] == pytest.approx(1 / 3)
        assert lt.loc["logs", "hp_lambda"] == 400
        for version, kw in (("logs", {}), ("levels", {"take_log": False})):
            direct = convergence_clubs(Y, merge="PS2009", **kw).set_index("region")
            mine = _rows(section, "conv_clubs", variable=key, version=version).set_index(
                "region_code")
            assert (mine.club == direct.club.reindex(mine.index)).all()
            assert (mine.initial_club == direct.initial_club.reindex(mine.index)).all()
            assert (mine["merge"] == "PS2009").all() and (mine["cstar"] == 0).all()
    # merging kept the unmerged clubs: four initial clubs become three on logs of GDP pc
    lt = _rows(section, "conv_log_t", variable="gdp_pc").set_index("version")
    assert (lt.loc["logs", "n_initial_clubs"], lt.loc["logs", "n_clubs"],
            lt.loc["logs", "n_divergent"]) == (4, 3, 2)


def test_convergence_claim_follows_signs_and_p_values(section):
    ct = section.table("conv_claims").frame
    alpha = section.options["alpha"]
    for _, c in ct.iterrows():
        sig = c.sigma_slope < 0 and c.sigma_p < alpha
        assert (c.sigma_reading == "sigma_convergence") == sig
        assert (c.beta_reading == "beta_convergence") == (c.beta < 0 and c.beta_p < alpha)
        assert (c.log_t_reading == "log_t_convergence") == (c.log_t > -1.65)
        directions = {c.sigma_reading == "sigma_convergence", c.beta_reading ==
                      "beta_convergence", c.log_t_reading == "log_t_convergence"}
        assert (c.verdict == "agree") == (len(directions) == 1)
    g = ct[ct.variable == "gdp_pc"].iloc[0]
    # σ and β say convergence, the unit-free log t rejects: read together with the reason
    assert (g.sigma_reading, g.beta_reading, g.log_t_reading) == (
        "sigma_convergence", "beta_convergence", "log_t_rejects")
    assert g.verdict == "disagree" and g.notes == "log_t_relative"
    assert g.log_t == pytest.approx(_rows(section, "conv_log_t", variable="gdp_pc",
                                          version="levels").t.iloc[0])
    facts = {x["key"]: x for x in section.facts["variables"]}
    assert facts["gdp_pc"]["claims"]["sd_log"].verdict == "disagree"


# ------------------------------------------------------------------------ units
def test_readings_do_not_change_with_the_unit_of_gdp(section, scaled):
    """GDP × 7.3 changes no reading: σ of logs, β, the unit-free log t and clubs, Moran's I,
    LISA and the Markov chains are scale-invariant."""
    log_form = ["log_t_logs", "log_t_alt_unit", "log_t_units"]  # on logs: unit-dependent
    pd.testing.assert_frame_equal(section.table("conv_claims").frame.drop(columns=log_form),
                                  scaled.table("conv_claims").frame.drop(columns=log_form),
                                  check_exact=False, rtol=1e-9)
    # the scaled run did see other numbers
    assert scaled.table("conv_lisa").frame.value.to_numpy() == pytest.approx(
        SCALE * section.table("conv_lisa").frame.value.to_numpy())
    for key in ("conv_sigma", "conv_beta", "conv_moran", "conv_lisa", "conv_markov",
                "conv_spatial_markov", "conv_markov_classes", "conv_markov_tests"):
        a, b = section.table(key).frame, scaled.table(key).frame
        if key == "conv_lisa":
            a, b = a.drop(columns="value"), b.drop(columns="value")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12, obj=key)
    a = _rows(section, "conv_clubs", version="levels")
    b = _rows(scaled, "conv_clubs", version="levels")
    assert (a.club.to_numpy() == b.club.to_numpy()).all()
    va = {x["key"]: x for x in section.facts["variables"]}
    vb = {x["key"]: x for x in scaled.facts["variables"]}
    for k in va:
        for m, c in va[k]["claims"].items():
            assert (c.verdict, c.notes) == (vb[k]["claims"][m].verdict, vb[k]["claims"][m].notes)
    assert section.facts["spatial"]["moran"].verdict == scaled.facts["spatial"]["moran"].verdict


def test_log_t_on_logs_depends_on_the_unit(section, scaled, gdp_pc, urban):
    """Why the joint reading uses the levels: on logs h = log y / mean log y changes when y is
    multiplied by a constant, and here the reading flips."""
    a = _rows(section, "conv_log_t", variable="gdp_pc").set_index("version")
    b = _rows(scaled, "conv_log_t", variable="gdp_pc").set_index("version")
    assert a.loc["levels", "t"] == pytest.approx(b.loc["levels", "t"], rel=1e-9)
    assert abs(a.loc["logs", "t"] - b.loc["logs", "t"]) > 1
    assert a.loc["logs", "t"] == pytest.approx(log_t_test(gdp_pc).t)
    with pytest.warns(UserWarning, match="one sign"):  # the method says so itself
        assert a.loc["logs_alt_unit", "t"] == pytest.approx(log_t_test(gdp_pc * 1e-4).t)
    # 元/人 rejects convergence, 万元/人 does not; % does not, a share (0–1) does
    assert (a.loc["logs", "reading"], a.loc["logs_alt_unit", "reading"]) == (
        "log_t_rejects", "log_t_convergence")
    assert not a.loc["logs_alt_unit", "one_sign"]  # logs of values below 1 万元 are negative
    u = _rows(section, "conv_log_t", variable="urban").set_index("version")
    assert (u.loc["logs", "reading"], u.loc["logs_alt_unit", "reading"]) == (
        "log_t_convergence", "log_t_rejects")
    assert u.loc["logs_alt_unit", "one_sign"]  # a clean flip: every log of a share is < 0
    assert u.loc["logs_alt_unit", "t"] == pytest.approx(log_t_test(urban / 100).t)
    facts = {x["key"]: x for x in section.facts["variables"]}
    assert facts["gdp_pc"]["log_t_units"].verdict == "log_t_unit_dependent"
    assert facts["urban"]["log_t_units"].verdict == "log_t_unit_dependent"


def test_local_claims():
    c = log_t_unit_claim({"logs": -36.9, "logs_alt_unit": 65.3, "levels": -210.1})
    assert c.verdict == "log_t_unit_dependent"
    assert c.values["reading_logs_alt_unit"] == "log_t_convergence"
    assert log_t_unit_claim({"logs": -1.64, "levels": 3.0}).verdict == "log_t_unit_free"
    assert log_t_unit_claim({"logs": -1.65, "levels": 3.0}).verdict == "log_t_unit_dependent"
    with pytest.raises(ur.DataError):
        log_t_unit_claim({"logs": float("nan")})
    assert moran_claim(0.3, -1 / 30, 0.049).verdict == "positive_autocorrelation"
    assert moran_claim(-0.3, -1 / 30, 0.01).verdict == "negative_autocorrelation"
    assert moran_claim(0.3, -1 / 30, 0.05).verdict == "no_significant_autocorrelation"
    assert homogeneity_claim(1.0, 0.01, 1.0, 0.02).verdict == "spatially_conditioned"
    assert homogeneity_claim(1.0, 0.2, 1.0, 0.3).verdict == "not_spatially_conditioned"
    assert homogeneity_claim(1.0, 0.073, 1.0, 0.038).verdict == "homogeneity_tests_differ"


# ------------------------------------------------------------------------ spatial pattern
def test_moran_and_lisa_against_esda(section, gdp_pc):
    from esda import fdr
    from esda.moran import Moran

    W = spatial_weights(list(gdp_pc.index), kind="queen", hainan_link="guangdong")
    w = W.to_libpysal()
    w.transform = "r"
    y = gdp_pc[2024].to_numpy()
    mo = section.table("conv_moran").frame.iloc[0]
    assert mo["I"] == pytest.approx(Moran(y, w, permutations=0).I)
    assert (mo.permutations, mo.seed, mo.year, mo.hainan_link) == (999, 12345, 2024, "guangdong")
    lisa = section.table("conv_lisa").frame
    assert (lisa.significance == "fdr").all() and lisa.tested.all()
    assert (lisa.value.to_numpy() == pytest.approx(y))
    thr = fdr(lisa.p_sim.to_numpy(), 0.05)
    assert lisa.p_threshold.iloc[0] == pytest.approx(thr)
    assert int(lisa.significant.sum()) == int((lisa.p_sim < thr).sum())
    counts = section.table("conv_lisa_counts").frame.set_index("cluster")
    assert counts.n_regions.sum() == 31
    assert counts.loc[0, "n_regions"] == int((lisa.cluster == 0).sum())
    assert counts.n_significant.iloc[0] == int(lisa.significant.sum())
    assert section.options["lisa_correction"] == "fdr"


def test_two_sided_lisa_when_no_correction_is_asked(gdp_pc):
    spec = AnalysisSpec(sections=("convergence",),
                        options=Options(permutations=199, seed=7, lisa_correction="none"))
    r = run_analysis(spec)
    s = r.section("convergence")
    lisa = s.table("conv_lisa").frame
    assert (lisa.significance == "two_sided").all() and (lisa.permutations == 199).all()
    assert int(lisa.significant.sum()) == int((np.minimum(1, 2 * lisa.p_sim) <= 0.05).sum())
    assert int(lisa.significant.sum()) > 0  # a cluster map with clusters on it
    assert (lisa.cluster[lisa.significant] == lisa.q[lisa.significant]).all()
    html, _ = render_page(r)
    sec = html[html.index('id="convergence"'):]
    assert "未作多重检验校正" in sec and "no multiple-testing correction" in sec
    assert "Benjamini" not in sec
    # the permutations printed are the run's, cited from the LISA table
    cells = [m for m in NUM.findall(sec) if m[0] == "conv_lisa" and m[2] == "permutations"]
    assert cells and all(m[5] == "199" for m in cells)


def test_untested_regions_are_no_data(gdp_pc, raw):
    """A province without the latest value is untested (cluster −1), never not significant,
    and is left off the LISA map so that it is painted "no data"."""
    spec = AnalysisSpec(sections=("convergence",), options=Options(permutations=99))
    p = RunContext(spec).panel()
    d = p.data
    d = d[~((d.indicator == "gdp") & (d.region_code == "540000") & (d.year == 2024))]
    s = run(_context(spec, Panel(d, p.indicators, registry=p.registry,
                                 region_names=p.region_names)))
    # Tibet lacks 2024: left out of the tests over time (said in a note), untested by LISA
    assert any("西藏" in n.zh and "Tibet" in n.en for n in s.notes)
    lisa = s.table("conv_lisa").frame.set_index("region_code")
    assert len(lisa) == 31 and lisa.loc["540000", "cluster"] == -1
    assert lisa.loc["540000", "untested_reason"] == "no value"
    assert not lisa.loc["540000", "tested"] and lisa.tested.sum() == 30
    assert s.table("conv_moran").frame.n.iloc[0] == 30
    counts = s.table("conv_lisa_counts").frame.set_index("cluster")
    assert counts.loc[-1, "n_regions"] == 1 and counts.loc[-1, "members_en"] == "Tibet"
    assert s.table("conv_markov_tests").frame.n_regions.iloc[0] == 30
    html, page = render_page(AnalysisResult(AnalysisSpec(sections=("convergence",)), (s,)))
    lisa_map = [m for m in page.maps if "lisa" in m.id][0]
    assert set(lisa_map.values[lisa_map.years[0]]) == set(lisa.index[lisa.tested.astype(bool)])


def test_markov_chains_share_one_class_definition(section, gdp_pc):
    k = section.options["markov_k"]
    classes = markov_classes(gdp_pc, k=k, pooled=True, relative=True)
    bounds = section.table("conv_markov_classes").frame
    rel = bounds[bounds.variable == "relative"]
    assert rel.upper.to_numpy()[:-1] == pytest.approx(classes.cutoffs)
    assert section.facts["spatial"]["classes_cutoffs"] == section.facts["spatial"][
        "spatial_cutoffs"] == pytest.approx(list(classes.cutoffs))
    # classes by hand: relative value = value / yearly mean, pooled quantiles
    A = (gdp_pc / gdp_pc.mean()).to_numpy()
    assert classes.cutoffs == pytest.approx(np.percentile(A.ravel(), [25, 50, 75]))
    # same classes ⇒ the spatial chain's counts add up to the classical chain's, row by row
    mk = section.table("conv_markov").frame
    smk = section.table("conv_spatial_markov").frame
    assert (smk.groupby("from_class").n_from.sum().to_numpy() == mk.n_from.to_numpy()).all()
    ids = np.searchsorted(classes.cutoffs, A, side="left")
    counts = np.bincount(ids[:, :-1].ravel() * k + ids[:, 1:].ravel(), minlength=k * k)
    assert (mk.n_from.to_numpy() == counts.reshape(k, k).sum(axis=1)).all()
    probs = mk[[f"p_to_{j}" for j in range(1, k + 1)]].to_numpy()
    counts = counts.reshape(k, k)
    assert probs == pytest.approx(counts / counts.sum(axis=1, keepdims=True))


def test_options_and_keys(section):
    o = section.options
    assert (o["permutations"], o["seed"], o["lisa_correction"], o["markov_k"],
            o["hainan_link"]) == (999, 12345, "fdr", 4, "guangdong")
    assert o["windows"] == {"gdp_pc": [2006, 2024], "urban": [2005, 2022]}
    for t in section.tables:
        assert len(t.key) <= 31 and t.title_zh and t.title_en
        assert "当年价" in t.title_zh and "current prices" in t.title_en  # GDP pc is nominal
    assert all(t.key.startswith("conv_") for t in section.tables)


# ------------------------------------------------------------------------ rendering
def test_every_number_in_the_page_is_its_cell(result):
    for lang in ("zh", "en"):
        html, page = render_page(result, lang=lang)
        sheets = {t.key: t.frame for _, t in result.tables()}
        spans = NUM.findall(html)
        assert len(spans) == page.cited > 100
        for sheet, row, col, digits, pct, shown in spans:
            v = float(sheets[sheet].iloc[int(row)][col])
            v = 100 * v if pct == "1" else v
            assert float(shown.replace(",", "").rstrip("%")) == pytest.approx(
                round(v, int(digits)), abs=1e-9), (sheet, row, col)
        assert f'data-lang="{lang}"' in html
    # both languages, the reading of σ, β and log t together with its reason
    assert "结论不一致" in html and "the readings differ" in html
    assert "log t检验针对去除周期后的相对收敛" in html and "a different question from β and σ" in html
    assert "取对数后的log t检验结论随计量单位改变" in html
    assert "On logs, the reading of the log t test changes with the unit" in html
    # the LISA method comes from the result: FDR, α and permutations cited from conv_lisa
    assert "Benjamini" in html and "错误发现率" in html
    cols = {m[2] for m in NUM.findall(html) if m[0] == "conv_lisa"}
    assert {"alpha", "p_threshold", "permutations", "seed"} <= cols
    # maps: two club maps of GDP per capita (the urbanisation rate is one club), the LISA map
    ids = [m.id for m in page.maps]
    assert len(ids) == 3 and any("lisa" in i for i in ids)
    lisa = [m for m in page.maps if "lisa" in m.id][0]
    assert set(lisa.categorical) == {0, 1, 2, 3, 4}


def test_without_gdp_the_urbanisation_rate_is_still_read():
    spec = AnalysisSpec(sections=("convergence",), options=Options(permutations=99))
    p = RunContext(spec).panel()
    d = p.data[p.data.indicator != "gdp"]
    ind = {k: v for k, v in p.indicators.items() if k != "gdp"}
    s = run(_context(spec, Panel(d, ind, registry=p.registry, region_names=p.region_names)))
    assert s.skipped is None and s.facts["spatial"] is None
    assert [x["key"] for x in s.facts["variables"]] == ["urban"]
    assert any("gdp" in n.en and "gdp" in n.zh for n in s.notes)
    assert not s.has("conv_lisa") and s.has("conv_claims")
    html, page = render_page(AnalysisResult(spec, (s,)))
    assert "Moran" not in html and not page.maps  # one club of every province: no map
    d = d[d.indicator != "population_urban"]
    ind = {k: v for k, v in ind.items() if k != "population_urban"}
    s = run(_context(spec, Panel(d, ind, registry=p.registry, region_names=p.region_names)))
    assert s.skipped is not None and "population_urban" in s.skipped.en


def test_club_merging_is_a_spec_option_and_the_page_says_which(gdp_pc):
    # without merging, the clubs are the four of the clustering itself (the merged default
    # has three: see test_log_t_and_clubs_equal_the_method_called_directly)
    r = run_analysis(AnalysisSpec(sections=("convergence",),
                                  options=Options(permutations=9, club_merge="none")))
    s = r.section("convergence")
    lt = _rows(s, "conv_log_t", variable="gdp_pc").set_index("version")
    assert (lt.loc["logs", "n_initial_clubs"], lt.loc["logs", "n_clubs"]) == (4, 4)
    direct = convergence_clubs(gdp_pc).set_index("region")
    mine = _rows(s, "conv_clubs", variable="gdp_pc", version="logs").set_index("region_code")
    assert (mine.club == direct.club.reindex(mine.index)).all()
    html, _ = render_page(r)
    sec = html[html.index('id="convergence"'):]
    assert "未合并相邻俱乐部" in sec and "adjacent clubs not merged" in sec
    assert "merged as in Phillips–Sul 2009" not in sec
    with pytest.raises(ur.DataError, match="club_merge"):
        Options(club_merge="PS2007")
