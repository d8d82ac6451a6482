"""Synthetic DiD, SC and DiD on California's Proposition 99 against Arkhangelsky et al. (2021).

Published values: Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021), "Synthetic
difference-in-differences", AER 111(12), Table 1: SDID −15.6, SC −19.6, DID −27.3 packs per
capita; the reference implementation (R ``synthdid``, vignette ``synthdid.Rmd`` and
``paper-results.Rmd``) prints −15.60, −19.62 and −27.35. The placebo standard errors of the
paper (8.4, 9.9, 17.7) are random (Algorithm 4 with random subsets), so they are checked for
their order of magnitude only; the batched replications are checked against one-at-a-time
refits, which must agree exactly.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from urbanrural.data.datasets import load_dataset
from urbanrural.data.errors import DataError
from urbanrural.methods.evaluate.sdid import panel_matrices, sdid

sdid_module = importlib.import_module("urbanrural.methods.evaluate.sdid")

REF = Path(__file__).parent / "data" / "sdid_sc_did_california_prop99"
COLS = dict(unit="State", time="Year", outcome="PacksPerCapita", treated="treated")


@pytest.fixture(scope="module")
def prop99() -> pd.DataFrame:
    return pd.read_csv(REF / "california_prop99.csv", sep=";")


@pytest.fixture(scope="module")
def fits(prop99):
    return {e: sdid(prop99, **COLS, estimator=e, se=None) for e in ("sdid", "sc", "did")}


def test_bundled_prop99_is_the_reference_file(prop99):
    pd.testing.assert_frame_equal(load_dataset("prop99"), prop99)


@pytest.mark.parametrize("estimator,paper,package", [("sdid", -15.6, -15.60), ("sc", -19.6, -19.62),
                                                      ("did", -27.3, -27.35)])
def test_estimates_as_published(fits, estimator, paper, package):
    est = fits[estimator].estimate
    assert round(est, 1) == paper or abs(est - paper) < 0.06     # Table 1 rounds to 0.1
    assert round(est, 2) == package


def test_did_is_the_plain_two_by_two(prop99, fits):
    d = prop99.assign(cal=prop99.State == "California", post=prop99.Year >= 1989)
    m = d.groupby(["cal", "post"])["PacksPerCapita"].mean()
    hand = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    assert fits["did"].estimate == pytest.approx(hand, abs=1e-10)


def test_weights_are_on_the_simplex_and_sparse(fits):
    w, lam = fits["sdid"].unit_weights, fits["sdid"].time_weights
    assert w.sum() == pytest.approx(1) and (w >= 0).all() and len(w) == 38
    assert lam.sum() == pytest.approx(1) and len(lam) == 19
    # SDID's time weights sit on the last pre-treatment years (1986–1988 in the paper's Fig. 1)
    assert set(lam[lam > 0].index) == {1986, 1987, 1988}
    assert fits["sc"].time_weights.sum() == 0
    # the estimate is the mean of the effect curve
    assert fits["sdid"].curve.mean() == pytest.approx(fits["sdid"].estimate, abs=1e-10)
    assert fits["sdid"].noise_level > 0
    assert fits["sdid"].zeta_omega == pytest.approx((1 * 12) ** 0.25 * fits["sdid"].noise_level)


def test_batched_placebo_equals_one_at_a_time(prop99, fits):
    # replications solved together must equal the same replications solved one by one
    Y, n0, t0, _, _ = panel_matrices(prop99, **COLS)
    r = fits["sdid"]
    om, lam = r.unit_weights.to_numpy(), r.time_weights.to_numpy()
    opts = dict(estimator="sdid", zeta_omega=r.zeta_omega, zeta_lambda=r.zeta_lambda,
                min_decrease=1e-5 * r.noise_level, max_iter=10_000)
    batch = sdid_module._placebo(Y, n0, t0, om, lam, replications=2, seed=11, **opts)
    perm = np.argsort(np.random.default_rng(11).random((2, n0)), axis=1)
    for k in range(2):
        order = perm[k]
        Yp = Y[order]                         # n0 − 1 placebo controls, the last one "treated"
        keep = om[order[:-1]]
        w0 = keep / keep.sum()
        o, l_ = sdid_module._fit_weights(sdid_module._collapsed(Yp, n0 - 1, t0), n0 - 1, t0,
                                         omega0=w0, lambda0=lam, **opts)
        assert batch[k] == pytest.approx(sdid_module._estimate(Yp, n0 - 1, t0, o, l_), abs=1e-8)


def test_placebo_se_order_of_magnitude(prop99):
    r = sdid(prop99, **COLS, estimator="did", se="placebo", replications=200, seed=1)
    assert 8.85 < r.se < 35.4                  # within a factor of two of the paper's 17.7
    again = sdid(prop99, **COLS, estimator="did", se="placebo", replications=200, seed=1)
    assert again.se == r.se


def test_jackknife(prop99, fits):
    # one treated unit: undefined, as in synthdid
    assert np.isnan(sdid(prop99, **COLS, estimator="did", se="jackknife").se)
    # two treated units: the closed form equals brute-force leave-one-out refits (fixed weights)
    two = prop99.copy()
    two.loc[(two.State == "Nevada") & (two.Year >= 1989), "treated"] = 1
    r = sdid(two, **COLS, estimator="did", se="jackknife")
    Y, n0, t0, _, _ = panel_matrices(two, **COLS)
    om, lam = r.unit_weights.to_numpy(), r.time_weights.to_numpy()
    u = []
    for i in range(Y.shape[0]):
        keep = np.delete(np.arange(Y.shape[0]), i)
        n0_i = n0 - (i < n0)
        w = np.delete(om, i) if i < n0 else om
        u.append(sdid_module._estimate(Y[keep], n0_i, t0, w / w.sum(), lam))
    u = np.array(u)
    n = len(u)
    assert r.se == pytest.approx(np.sqrt((n - 1) / n * (n - 1) * np.var(u, ddof=1)), rel=1e-10)


def test_staggered_or_switching_treatment_is_refused(prop99):
    bad = prop99.copy()
    bad.loc[(bad.State == "Nevada") & (bad.Year >= 1995), "treated"] = 1
    with pytest.raises(DataError, match="block design"):
        sdid(bad, **COLS)
    off = prop99.copy()
    off.loc[(off.State == "California") & (off.Year == 2000), "treated"] = 0
    with pytest.raises(DataError, match="switches off"):
        sdid(off, **COLS)


def test_one_treated_unit_enumerates_every_placebo(prop99):
    # N1 = 1: the N0 = 38 placebos are enumerated (each control treated once), so the placebo
    # SE is exact. DID by hand: control j's placebo estimate is the 2×2 DiD of j against the
    # mean of the other 37 controls; se = √((R−1)/R)·sd = the population sd over the 38
    r = sdid(prop99, **COLS, estimator="did")
    assert r.replications == 38 and len(r.placebo_estimates) == 38
    wide = prop99[prop99.State != "California"].pivot(index="State", columns="Year",
                                                      values="PacksPerCapita")
    change = wide.loc[:, 1989:].mean(axis=1) - wide.loc[:, :1988].mean(axis=1)
    hand = change - (change.sum() - change) / 37
    assert np.sort(r.placebo_estimates) == pytest.approx(np.sort(hand.to_numpy()), abs=1e-9)
    assert r.se == pytest.approx(np.std(hand.to_numpy(), ddof=0), rel=1e-12)
    # the paper's DID placebo SE 17.7 (200 random draws) against the exact 17.29
    assert r.se == pytest.approx(17.7, rel=0.05)
    # no randomness: the seed and the replication count do not matter
    assert sdid(prop99, **COLS, estimator="did", replications=50, seed=9).se == r.se
    drawn = sdid(prop99, **COLS, estimator="did", exhaustive=False, replications=50, seed=9)
    assert drawn.replications == 50 and drawn.se != r.se


@pytest.mark.parametrize("estimator,j", [("sdid", 7)])   # ("sc", j) passes too; kept light
def test_enumerated_placebos_equal_one_at_a_time_refits(prop99, estimator, j):
    # 10 controls and California (a real sub-panel keeps the refits light): the batched,
    # enumerated placebo of control j equals the estimator refitted with j as the treated unit
    states = sorted(set(prop99.State) - {"California"})[:10] + ["California"]
    small = prop99[prop99.State.isin(states)]
    r = sdid(small, **COLS, estimator=estimator)
    Y, n0, t0, _, _ = panel_matrices(small, **COLS)
    om, lam = r.unit_weights.to_numpy(), r.time_weights.to_numpy()
    opts = dict(estimator=estimator, zeta_omega=r.zeta_omega, zeta_lambda=r.zeta_lambda,
                min_decrease=1e-5 * r.noise_level, max_iter=10_000)
    assert r.replications == n0 == 10
    order = np.r_[np.delete(np.arange(n0), j), j]      # control j is the pseudo-treated
    Yp = Y[order]
    keep = om[order[:-1]]
    w0 = keep / keep.sum() if keep.sum() > 0 else np.full(n0 - 1, 1 / (n0 - 1))
    o, l_ = sdid_module._fit_weights(sdid_module._collapsed(Yp, n0 - 1, t0), n0 - 1, t0,
                                     omega0=w0, lambda0=lam, **opts)
    one = sdid_module._estimate(Yp, n0 - 1, t0, o, l_)
    assert r.placebo_estimates[j] == pytest.approx(one, abs=1e-8)
    assert r.se == pytest.approx(np.std(r.placebo_estimates, ddof=0), rel=1e-12)


def test_joint_placebo_standard_errors_equal_separate_ones(prop99):
    # the pipeline solves the three variants' placebo problems in one batch: the same numbers
    states = sorted(set(prop99.State) - {"California"})[:10] + ["California"]
    small = prop99[prop99.State.isin(states)]
    fits = [sdid(small, **COLS, estimator=e, se=None) for e in ("sdid", "sc", "did")]
    joint = sdid_module.placebo_standard_errors(small, fits, **COLS)
    for f, j in zip(fits, joint, strict=True):
        alone = sdid(small, **COLS, estimator=f.estimator)
        assert j.estimate == alone.estimate and j.replications == alone.replications == 10
        np.testing.assert_allclose(j.placebo_estimates, alone.placebo_estimates, atol=1e-8)
        assert j.se == pytest.approx(alone.se, rel=1e-9)
    with pytest.raises(DataError, match="not of this panel"):
        sdid_module.placebo_standard_errors(prop99, fits, **COLS)
