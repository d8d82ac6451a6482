"""Callaway–Sant'Anna ATT(g,t), aggregations and pre-test against R's ``did`` on ``mpdta``;
TWFE against statsmodels; the Goodman-Bacon identity; the TWFE warning.

Reference values: ``tests/data/staggered_did_mpdta_callaway_santanna/r_did_*.csv``, printed by
R ``did`` (``att_gt(..., bstrap=FALSE, cband=FALSE)`` and ``aggte(..., bstrap=FALSE)``) in
d2cml-ai/csdid ``csdid/test_csdid/r_ref/`` (script ``generate_reference.R``, MIT), see the
folder's PROVENANCE.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from urbanrural.data.datasets import load_dataset
from urbanrural.data.errors import DataError
from urbanrural.methods.evaluate.claims import pretrend_claim, twfe_agreement_claim
from urbanrural.methods.evaluate.did import (
    att_gt,
    bacon_decomposition,
    multiplier_bootstrap,
    twfe,
)

REF = Path(__file__).parent / "data" / "staggered_did_mpdta_callaway_santanna"
COLS = dict(y="lemp", time="year", unit="countyreal", cohort="first.treat")
SCENARIOS = {
    "mpdta_nev_dr": {},
    "mpdta_nyt_dr": {"control": "notyet"},
    "mpdta_nev_reg_cov": {"method": "reg", "covariates": ["lpop"]},
    "mpdta_nev_ipw": {"method": "ipw"},
}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(REF / "mpdta.csv")


@pytest.fixture(scope="module")
def fits(mpdta):
    return {k: att_gt(mpdta, **COLS, bootstrap=0, **kw) for k, kw in SCENARIOS.items()}


def test_bundled_mpdta_is_the_reference_file(mpdta):
    pd.testing.assert_frame_equal(load_dataset("mpdta"), mpdta)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_att_gt_equals_r_did(fits, scenario):
    ref = pd.read_csv(REF / "r_did_attgt.csv").query("scenario == @scenario")
    got = fits[scenario].to_frame()
    assert got[["cohort", "time"]].to_numpy().tolist() == ref[["group", "t"]].to_numpy().tolist()
    np.testing.assert_allclose(got["att"], ref["att"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-9)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations_equal_r_aggte(fits, scenario, kind):
    ref = pd.read_csv(REF / "r_did_aggte.csv").query("scenario == @scenario and type == @kind")
    agg = fits[scenario].aggregate(kind)
    assert agg.att == pytest.approx(ref["overall_att"].iloc[0], abs=1e-12)
    assert agg.se == pytest.approx(ref["overall_se"].iloc[0], rel=1e-9)
    if kind != "simple":
        key = {"group": "cohort", "dynamic": "event", "calendar": "time"}[kind]
        assert agg.table[key].tolist() == ref["egt"].astype(int).tolist()
        np.testing.assert_allclose(agg.table["att"], ref["att_egt"], atol=1e-12)
        np.testing.assert_allclose(agg.table["se"], ref["se_egt"], rtol=1e-9)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_pretest_equals_r_did(fits, scenario):
    ref = pd.read_csv(REF / "r_did_pretest.csv").set_index("scenario").loc[scenario]
    r = fits[scenario]
    assert r.pretest_stat == pytest.approx(ref["W"], rel=1e-9)
    assert r.pretest_df == 5
    assert round(r.pretest_p, 5) == ref["Wpval"]          # R rounds Wpval to 5 digits
    assert pretrend_claim(r.pretest_p).verdict == "pretrends_not_rejected"


def test_dr_and_ipw_with_covariate_equal_csdid(mpdta):
    # R's did printouts above have the covariate with "reg" only; for "dr" and "ipw" with
    # lpop the values of csdid (MIT; its own suite checks it against R did) are stored in
    # tests/data (PROVENANCE.md), and compared live as well when csdid is installed
    ref = pd.read_csv(REF / "csdid_covariate_lpop.csv")
    for method in ("dr", "ipw"):
        want = ref[ref.method == method]
        mine = att_gt(mpdta, **COLS, method=method, covariates=["lpop"], bootstrap=0)
        got = mine.to_frame()
        assert len(got) == len(want) == 12
        np.testing.assert_allclose(mine.att, want.att.to_numpy(), atol=1e-10)
        np.testing.assert_allclose(mine.se, want.se.to_numpy(), rtol=1e-8)
    try:
        from csdid.att_gt import ATTgt
    except ImportError:
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                  data=mpdta, xformla="lemp~lpop").fit(est_method="dr", bstrap=False)
    np.testing.assert_allclose(ref[ref.method == "dr"].att.to_numpy(),
                               np.asarray(o.results["att"], float), atol=1e-12)


def test_dr_ipw_with_covariate_differ_from_unconditional(mpdta, fits):
    # lpop changes the comparison: the conditional estimates move, all three stay close
    dr = att_gt(mpdta, **COLS, covariates=["lpop"], bootstrap=0)
    ipw = att_gt(mpdta, **COLS, method="ipw", covariates=["lpop"], bootstrap=0)
    reg = fits["mpdta_nev_reg_cov"]
    assert not np.allclose(dr.att, fits["mpdta_nev_dr"].att, atol=1e-4)
    assert np.max(np.abs(dr.att - reg.att)) < 0.01 and np.max(np.abs(ipw.att - dr.att)) < 0.01


def test_multiplier_bootstrap_band(mpdta, fits):
    r = att_gt(mpdta, **COLS, bootstrap=999, seed=7)
    analytic = fits["mpdta_nev_dr"].se
    # bootstrap se estimate the same variance: within 12 % at 999 draws
    assert np.all(np.abs(r.bootstrap_se / analytic - 1) < 0.12)
    # a uniform band over 12 estimates: wider than pointwise, narrower than Bonferroni
    from scipy import stats
    assert stats.norm.ppf(0.975) < r.crit < stats.norm.ppf(1 - 0.025 / 12)
    again = att_gt(mpdta, **COLS, bootstrap=999, seed=7)
    assert again.crit == r.crit
    se, crit = multiplier_bootstrap(r.influence[:, :1], draws=200, seed=1)
    assert se.shape == (1,) and crit > 0


def test_twfe_equals_dummy_regression(mpdta):
    sm = pytest.importorskip("statsmodels.formula.api")
    # every 10th county keeps the dummy regression small (50 units, all four cohorts)
    mpdta = mpdta[mpdta.countyreal.isin(np.unique(mpdta.countyreal)[::10])]
    d = mpdta.assign(D=((mpdta["first.treat"] > 0) & (mpdta.year >= mpdta["first.treat"]))
                     .astype(float))
    ols = sm.ols("lemp ~ D + C(countyreal) + C(year)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": d.countyreal})
    tw = twfe(mpdta, **COLS)
    assert tw.estimate == pytest.approx(ols.params["D"], abs=1e-12)
    # statsmodels' cluster correction G/(G−1)·(N−1)/(N−K) counts K = all 1 + 49 + 4 + 1
    # dummies; ours counts D, the 5 period effects and no unit effect (fixest's nested default)
    n = len(d)
    to_nested = np.sqrt((n - ols.df_model - 1) / (n - 6))
    assert tw.se == pytest.approx(ols.bse["D"] * to_nested, rel=1e-6)


def test_twfe_cluster_se_counts_nested_k_as_fixest(mpdta):
    # fixest's default ssc(fixef.K = "nested"): the 500 unit effects nested in the clusters
    # count as 1 (fixest R/VCOV.R: K − (Σ nested sizes − #nested)), so K = D + 5 periods = 6
    # (the ssc() help's own example: "K = 1 + 5 (i.e. x + fe2)"). The same count in
    # statsmodels: y and [D, 4 period dummies] with the unit means removed (Frisch–Waugh–
    # Lovell) plus a constant: 6 columns, the same residuals and β as the dummy regression
    sm = pytest.importorskip("statsmodels.api")
    d = mpdta.assign(D=((mpdta["first.treat"] > 0) & (mpdta.year >= mpdta["first.treat"]))
                     .astype(float))
    X = pd.concat([d[["D"]], pd.get_dummies(d.year, drop_first=True, dtype=float)], axis=1)
    Xw = (X - X.groupby(d.countyreal).transform("mean")).assign(const=1.0)
    yw = d.lemp - d.groupby("countyreal")["lemp"].transform("mean")
    ols = sm.OLS(yw.to_numpy(), Xw.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": d.countyreal.to_numpy()})
    tw = twfe(mpdta, **COLS)
    assert tw.estimate == pytest.approx(ols.params[0], abs=1e-12)
    assert tw.se == pytest.approx(ols.bse[0], rel=1e-9)
    # the referee's figures: 0.01483 with all 505 parameters counted, 0.01327 nested (K = 6)
    assert round(tw.se, 5) == 0.01327


def test_bacon_decomposition_identity(mpdta):
    b = bacon_decomposition(mpdta, **COLS)
    assert b.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (b.table["weight"] * b.table["estimate"]).sum() == pytest.approx(b.twfe, abs=1e-12)
    assert b.twfe == pytest.approx(twfe(mpdta, **COLS).estimate, abs=1e-12)
    # the 2004-vs-never 2×2 by hand: (post − pre mean) of 2004 minus that of never treated
    w = mpdta.assign(post=mpdta.year >= 2004)
    means = w.groupby(["first.treat", "post"])["lemp"].mean()
    hand = (means[2004, True] - means[2004, False]) - (means[0, True] - means[0, False])
    row = b.table.query("treated == 2004 and control == 0")
    assert row["estimate"].iloc[0] == pytest.approx(hand, abs=1e-12)
    assert 0 < b.forbidden_weight < 0.1


def _staggered_growing_effects() -> pd.DataFrame:
    # deterministic staggered design: effects grow by 2 per period of exposure; early cohort
    # (t=3) and late cohort (t=7), two never-treated units, a small fixed wiggle
    rows = []
    for grp, n, g in (("e", 6, 3), ("l", 6, 7), ("n", 2, 0)):
        for i in range(n):
            for t in range(1, 9):
                effect = 2.0 * (t - g + 1) if g and t >= g else 0.0
                rows.append({"u": f"{grp}{i}", "t": t, "g": g,
                             "y": 0.3 * i + (grp == "l") + 0.1 * t + effect
                             + 0.05 * ((i * 7 + t * 3) % 5 - 2)})
    return pd.DataFrame(rows)


def test_twfe_warning_fires_on_heterogeneous_staggered_effects():
    df = _staggered_growing_effects()
    cols = dict(y="y", time="t", unit="u", cohort="g")
    tw = twfe(df, **cols)
    cs = att_gt(df, **cols, bootstrap=0)
    # CS recovers the true average post-treatment effect up to the unit-time wiggle of the
    # outcome (0.05 × a pattern in −2…2): measured 5.9948 against 6.0
    true = np.mean([2.0 * (t - g + 1) for g, n in ((3, 6), (7, 6)) for t in range(g, 9)
                    for _ in range(n)])
    simple = cs.aggregate("simple")
    assert simple.att == pytest.approx(true, abs=0.01)
    claim = twfe_agreement_claim(tw.estimate, tw.se, simple.att, simple.se)
    assert claim.verdict == "disagree" and "beyond_se" in claim.notes
    assert tw.estimate < simple.att / 2                   # TWFE badly attenuated
    b = bacon_decomposition(df, **cols)
    assert b.table.query("kind == 'late_vs_early'")["estimate"].min() < 0
    # on mpdta the two agree
    mp = load_dataset("mpdta")
    t2, s2 = twfe(mp, **COLS), att_gt(mp, **COLS, bootstrap=0).aggregate("simple")
    assert twfe_agreement_claim(t2.estimate, t2.se, s2.att, s2.se).verdict == "agree"


def test_bad_input_is_named(mpdta):
    with pytest.raises(DataError, match="unbalanced"):
        att_gt(mpdta.iloc[1:], **COLS)
    bad = mpdta.copy()
    bad.loc[5, "lemp"] = np.nan
    with pytest.raises(DataError, match="row 6"):
        att_gt(bad, **COLS)
    moving = mpdta.copy()
    moving.loc[0, "first.treat"] = 2006
    with pytest.raises(DataError, match="constant within a unit"):
        att_gt(moving, **COLS)
    with pytest.raises(DataError, match="control"):
        att_gt(mpdta, **COLS, control="all")


def test_units_treated_in_first_period_are_set_aside_not_silently(mpdta):
    d = mpdta.copy()
    d.loc[d.countyreal == 8001, "first.treat"] = 2003
    r = att_gt(d, **COLS, bootstrap=0)
    assert r.dropped_units == (8001,) and r.n_units == 499


def test_reg_without_covariates_is_the_unconditional_did(mpdta, fits):
    # R did, est_method = "reg", xformla = ~1 prints the same ATT(g,t) as dr (rpubs.com
    # 736765: 2004 2004 −0.0105, 2004 2006 −0.1373, 2007 2004 0.0305 …)
    reg = att_gt(mpdta, **COLS, method="reg", bootstrap=0)
    np.testing.assert_allclose(reg.att, fits["mpdta_nev_dr"].att, atol=1e-12)
    np.testing.assert_allclose(reg.se, fits["mpdta_nev_dr"].se, rtol=1e-9)
    assert [round(v, 4) for v in reg.att[[0, 2, 8]]] == [-0.0105, -0.1373, 0.0305]


def test_universal_base_and_anticipation_by_hand(mpdta, fits):
    uni = att_gt(mpdta, **COLS, base_period="universal", bootstrap=0).to_frame()
    var = fits["mpdta_nev_dr"].to_frame()
    # post-treatment rows use g − 1 under both conventions; the base row itself is 0 with no se
    post = var[var.post]
    merged = post.merge(uni, on=["cohort", "time"], suffixes=("", "_u"))
    np.testing.assert_allclose(merged["att"], merged["att_u"], atol=1e-12)
    base = uni[(uni.cohort == 2006) & (uni.time == 2005)]
    assert base["att"].iloc[0] == 0 and np.isnan(base["se"].iloc[0])
    # anticipation = 1: ATT(2006, 2006) compares 2006 with 2004, by hand from the means
    ant = att_gt(mpdta, **COLS, anticipation=1, bootstrap=0).to_frame()
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first()
    change = wide[2006] - wide[2004]
    hand = change[g == 2006].mean() - change[g == 0].mean()
    got = ant.query("cohort == 2006 and time == 2006")["att"].iloc[0]
    assert got == pytest.approx(hand, abs=1e-12)


def test_pretest_with_anticipation_uses_r_did_cells(mpdta, fits):
    # R did tests pre <- which(group > tt): every cell with t < g, whatever the anticipation
    # (the anticipation window g − 1 is tested too; t < g − anticipation kept only 3 cells)
    ant = att_gt(mpdta, **COLS, anticipation=1, bootstrap=0)
    f = ant.to_frame()
    cells = set(zip(f.cohort[f.time < f.cohort], f.time[f.time < f.cohort], strict=True))
    assert cells == {(2006, 2004), (2006, 2005), (2007, 2004), (2007, 2005), (2007, 2006)}
    assert ant.pretest_df == 5
    # those five cells are short differences, the same ATT(g,t) as without anticipation, so
    # the Wald statistic is R's printed W of the anticipation-0 run (r_did_pretest.csv)
    base = fits["mpdta_nev_dr"].to_frame().set_index(["cohort", "time"])["att"]
    np.testing.assert_allclose(f.set_index(["cohort", "time"])["att"].loc[sorted(cells)],
                               base.loc[sorted(cells)], atol=1e-12)
    ref = pd.read_csv(REF / "r_did_pretest.csv").set_index("scenario").loc["mpdta_nev_dr"]
    assert ant.pretest_stat == pytest.approx(ref["W"], rel=1e-9)


def test_uniform_band_uses_bootstrap_standard_errors(mpdta):
    # R's did: with bstrap = TRUE the band is att ± crit·(bootstrap se), not crit·(analytic se)
    r = att_gt(mpdta, **COLS, bootstrap=199, seed=4)
    f = r.to_frame()
    np.testing.assert_allclose(f.ci_high - f.att, r.crit * r.bootstrap_se, rtol=1e-12)
    dyn = r.aggregate("dynamic", bootstrap=199, seed=4).table
    np.testing.assert_allclose(dyn.ci_high - dyn.att, (dyn.ci_high - dyn.ci_low) / 2)
    crit = ((dyn.ci_high - dyn.att) / dyn.se_boot).to_numpy()
    assert np.ptp(crit) < 1e-12 and 2.0 < crit[0] < 3.5      # one uniform critical value
    # the bootstrap SEs estimate the analytic ones (199 draws: within 25 %)
    assert np.all(np.abs(dyn.se_boot / dyn.se - 1) < 0.25)
    assert not np.allclose(dyn.ci_high - dyn.att, crit[0] * dyn.se, rtol=1e-6)
