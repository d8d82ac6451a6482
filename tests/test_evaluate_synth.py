"""Synthetic control on the Basque example (Abadie & Gardeazabal 2003) against R's Synth.

Published values used:
* donor weights Cataluña 0.8508, Madrid 0.1492, all other regions 0 — Abadie & Gardeazabal
  (2003, AER 93(1), section II); R ``Synth``'s ``synth()`` on the package's ``basque``
  example gives 0.850816306 / 0.149183694 (transcribed in sdfordham/pysyncon
  ``tests/test_synth_basque.py``, which reproduces it within 0.025);
* ``Synth``'s MSPE (LOSS V) 0.0089 over 1960–1969 and the gap (Basque − synthetic) peaking at
  −1.04 (thousand 1986 USD) in 1989, mean post-1970 gap −0.580 — the R run published in
  C. Mendez, "Basic synthetic control with R: the Basque Country case study"
  (carlos-mendez.org/post/r_basic_synthetic_control, tables "Diagnostic" and the gap plot).

V is not identified (Kuosmanen et al. 2021) and a single Nelder–Mead run stops early on the
flat ridge (loss 0.0088891, W 0.8564/0.1436); restarted until the loss stops falling it
reaches loss 0.0088645 and R's W to 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from urbanrural.data.datasets import load_dataset
from urbanrural.data.errors import DataError
from urbanrural.methods.evaluate.synth import (
    convex_hull_claim,
    simplex_weights,
    synthetic_control,
)

REF = Path(__file__).parent / "data" / "synthetic_control_basque_abadie2003"
BASQUE = "Basque Country (Pais Vasco)"
SPEC = dict(
    unit="regionname", time="year", outcome="gdpcap", treated=BASQUE, treatment_time=1970,
    predictors=["school.illit", "school.prim", "school.med", "school.high", "school.post.high",
                "invest"],
    predictor_window=range(1964, 1970),
    special_predictors=[("gdpcap", range(1960, 1970), "mean")]
    + [(c, range(1961, 1970, 2), "mean") for c in
       ("sec.agriculture", "sec.energy", "sec.industry", "sec.construction",
        "sec.services.venta", "sec.services.nonventa")]
    + [("popdens", [1969], "mean")],
    optimize_window=range(1960, 1970))


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    b = pd.read_csv(REF / "basque.csv")
    # R's example: controls.identifier = c(2:16, 18) — Spain as a whole (regionno 1) is not a donor
    return b[b.regionno != 1]


@pytest.fixture(scope="module")
def fit(regions):
    return synthetic_control(regions, **SPEC)


def test_bundled_basque_is_the_reference_file():
    pd.testing.assert_frame_equal(load_dataset("basque"), pd.read_csv(REF / "basque.csv"))


def test_weights_as_published(fit):
    w = fit.weights
    # R Synth: 0.850816306 / 0.149183694 (an optimiser stopping early gave 0.8564 / 0.1436)
    assert w["Cataluna"] == pytest.approx(0.850816306, abs=1e-3)
    assert w["Madrid (Comunidad De)"] == pytest.approx(0.149183694, abs=1e-3)
    assert w.drop(["Cataluna", "Madrid (Comunidad De)"]).max() < 1e-3
    assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w >= 0).all()
    assert len(w) == 16 and fit.v.sum() == pytest.approx(1.0)


def test_loss_and_gaps_as_r_synth(fit):
    assert fit.loss_v == pytest.approx(0.0089, abs=0.0001)
    assert fit.loss_v <= 0.00887                  # R's optimum, not the early stop 0.0088891
    gaps = fit.gaps
    assert gaps.loc[1989] == pytest.approx(-1.04, abs=0.01)
    assert gaps.loc[1970:].idxmin() == 1989
    assert fit.att == pytest.approx(-0.580, abs=0.005)
    # pre-period MSPE over the optimisation window equals loss_v by definition
    pre = gaps.loc[1960:1969].to_numpy()
    assert np.mean(pre**2) == pytest.approx(fit.loss_v, rel=1e-12)
    assert fit.pre_rmspe == pytest.approx(np.sqrt(np.mean(gaps.loc[:1969] ** 2)))


def test_predictor_balance_by_hand(regions, fit):
    bal = fit.balance.set_index("predictor")
    basque = regions[regions.regionname == BASQUE].set_index("year")
    assert bal.loc["special.gdpcap.1960.1969", "treated"] == pytest.approx(
        basque.loc[1960:1969, "gdpcap"].mean(), rel=1e-12)
    assert bal.loc["invest", "treated"] == pytest.approx(basque.loc[1964:1969, "invest"].mean())
    # the synthetic value is the weighted donor mean of the same predictor
    cat = regions[regions.regionname == "Cataluna"].set_index("year")
    mad = regions[regions.regionname == "Madrid (Comunidad De)"].set_index("year")
    w = fit.weights
    hand = (w["Cataluna"] * cat.loc[1969, "popdens"]
            + w["Madrid (Comunidad De)"] * mad.loc[1969, "popdens"])
    assert bal.loc["special.popdens.1969", "synthetic"] == pytest.approx(hand, rel=1e-3)


def test_simplex_solver_kkt():
    rng = np.random.default_rng(3)
    A, b = rng.normal(size=(8, 5)), rng.normal(size=8)
    w = simplex_weights(A, b)
    assert w.sum() == pytest.approx(1) and (w >= 0).all()
    grad = A.T @ (A @ w - b)
    s = w > 1e-9
    # KKT: equal gradient on the support, no smaller off it
    assert np.ptp(grad[s]) < 1e-8 and (grad[~s] >= grad[s].min() - 1e-8).all()


def test_convex_hull_check_fires_above_every_donor(regions, fit):
    assert fit.hull().verdict == "inside_hull"
    lifted = regions.copy()
    top = lifted.groupby("year")["gdpcap"].transform("max")
    is_b = lifted.regionname == BASQUE
    lifted.loc[is_b, "gdpcap"] = top[is_b] + 2.0         # above every donor in every year
    sc = synthetic_control(lifted, unit="regionname", time="year", outcome="gdpcap",
                           treated=BASQUE, treatment_time=1970)
    claim = sc.hull()
    assert claim.verdict == "outside_hull" and claim.values["share_above"] == 1.0
    donors = np.array([[1.0, 2.0]] * 4)
    assert convex_hull_claim(np.full(4, 1.5), donors, pre_rmspe=0.4, att=0.5).verdict == "poor_fit"


def test_placebos(regions, fit):
    fixed = synthetic_control(regions, **{**SPEC, "v": fit.v.to_numpy()})
    assert fixed.weights.to_numpy() == pytest.approx(fit.weights.to_numpy(), abs=1e-8)
    space = fixed.placebo_in_space()
    t = space.table
    assert len(t) == 17 and t.treated.sum() == 1
    ratio = t.loc[t.treated, "ratio"].iloc[0]
    assert space.p_value == pytest.approx((t.ratio >= ratio).sum() / 17)
    assert np.isclose(t.ratio, t.post_rmspe / t.pre_rmspe).all()
    loo = fixed.leave_one_out()
    assert len(loo.table) == 3          # the fit and one run without each of the two donors
    lags = synthetic_control(regions, unit="regionname", time="year", outcome="gdpcap",
                             treated=BASQUE, treatment_time=1970)
    early = lags.placebo_in_time(1965)
    assert early.path.time.max() == 1969 and early.treatment_time == 1965
    # the placebo fit only sees outcomes before the fake date
    assert max(int(name.split(".")[-1]) for name in early.v.index) == 1964


def test_bad_input_is_named(regions):
    with pytest.raises(DataError, match="treated unit"):
        synthetic_control(regions, **{**SPEC, "treated": "Atlantis"})
    holes = regions.copy()
    holes.loc[(holes.regionname == "Cataluna") & (holes.year == 1980), "gdpcap"] = np.nan
    with pytest.raises(DataError, match="gdpcap"):
        synthetic_control(holes, **SPEC)
    with pytest.raises(DataError, match="no value for"):
        synthetic_control(regions, **{**SPEC, "predictor_window": [1955]})


def test_predictor_matrices_equal_pysyncon_dataprep(regions, fit):
    # pysyncon (MIT) ports R's dataprep(): the predictor matrices must be the same numbers
    pysyncon = pytest.importorskip("pysyncon")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dp = pysyncon.Dataprep(
            foo=regions, predictors=SPEC["predictors"], predictors_op="mean",
            time_predictors_prior=range(1964, 1970),
            special_predictors=[(c, list(y), op) for c, y, op in SPEC["special_predictors"]],
            dependent="gdpcap", unit_variable="regionname", time_variable="year",
            treatment_identifier=BASQUE, time_optimize_ssr=range(1960, 1970),
            controls_identifier=[u for u in regions.regionname.unique() if u != BASQUE])
        X0, X1 = dp.make_covariate_mats()
    np.testing.assert_allclose(fit.balance["treated"], X1.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fit.balance["donor_mean"], X0.mean(axis=1).to_numpy(),
                               rtol=1e-12)
