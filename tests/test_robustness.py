"""Robustness of indices: Sobol' estimators on the Ishigami function through the index code
path, exact reproduction of run_index, collapse of every band with one choice per factor, a
factor that changes nothing, leave-one-out against run_index on the reduced framework, and
the same numbers on a two-worker Dask cluster."""

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data.errors import DataError
from urbanrural.methods.composite.weights import critic_weights, pca_weights
from urbanrural.methods.robustness.claims import (
    allowed_width,
    dominant_factor_claim,
    rank_robustness_claim,
)
from urbanrural.methods.robustness.engine import (
    DrawPlan,
    IndexTree,
    _critic_batched,
    _pca_batched,
    evaluate,
)
from urbanrural.methods.robustness.sobol import (
    ISHIGAMI_ANALYTIC,
    ishigami,
    saltelli_design,
    sobol_analysis,
    sobol_estimates,
)
from urbanrural.methods.robustness.uncertainty import rank_uncertainty, ranks_within
from urbanrural.pipeline.robustness import UncertaintyChoices, _own, _prepare, index_uncertainty


@pytest.fixture(scope="module")
def national():
    return ur.load_dataset("china_national")


@pytest.fixture(scope="module")
def world():
    return ur.load_dataset("world_countries")


@pytest.fixture(scope="module")
def world_index(world):
    return ur.run_index(world, "urban_rural_services")


# ------------------------------------------------------------------ Sobol' estimators
def test_ishigami_indices_match_the_analytic_values_within_sampling_error():
    # analytic values (Saltelli et al. 2008, The Primer, §4.7): S = 0.3139, 0.4424, 0;
    # ST = 0.5576, 0.4424, 0.2437 for a = 7, b = 0.1
    np.testing.assert_allclose(ISHIGAMI_ANALYTIC["first"], [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(ISHIGAMI_ANALYTIC["total"], [0.5576, 0.4424, 0.2437], atol=1e-4)
    r = sobol_analysis(ishigami, [(-np.pi, np.pi)] * 3, 1024, seed=1)
    # each estimate inside its own 95 % bootstrap interval around the true value
    assert (np.abs(r.first[:, 0] - ISHIGAMI_ANALYTIC["first"]) <= r.first_conf[:, 0]).all()
    assert (np.abs(r.total[:, 0] - ISHIGAMI_ANALYTIC["total"]) <= r.total_conf[:, 0]).all()
    assert (r.first_conf[:, 0] < 0.1).all()  # the intervals are informative, not wide open


def test_vectorised_estimates_equal_salib_analyze_column_by_column():
    from SALib.analyze import sobol as salib_sobol

    U = saltelli_design(3, 256, seed=4)
    X = -np.pi + 2 * np.pi * U
    Y = np.column_stack([ishigami(X), ishigami(X, a=2.0, b=0.5)])
    r = sobol_estimates(Y, 3)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    for o in range(2):
        ref = salib_sobol.analyze(problem, Y[:, o], calc_second_order=False, seed=4)
        np.testing.assert_allclose(r.first[:, o], ref["S1"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(r.total[:, o], ref["ST"], rtol=1e-12, atol=1e-14)


def test_the_design_must_be_a_power_of_two():
    with pytest.raises(DataError, match="power of two"):
        saltelli_design(2, 100)


# ------------------------------------------------------------------ engine
def test_ranks_follow_run_index_convention_ties_share_the_best_rank():
    s = np.array([[0.5, 0.9, 0.5, 0.1, 0.7, 0.7]])
    g = np.array([2019, 2019, 2019, 2019, 2020, 2020])
    assert ranks_within(s, g).tolist() == [[2, 1, 2, 4, 1, 1]]


def test_batched_pca_and_critic_equal_the_registry_slice_by_slice():
    rng = np.random.default_rng(7)
    M = rng.random((5, 40, 4)) + np.linspace(0, 1, 40)[None, :, None]  # correlated columns
    names = ["a", "b", "c", "d"]
    W, C = _pca_batched(M, names), _critic_batched(M, names)
    for b in range(5):
        np.testing.assert_allclose(W[b], pca_weights(M[b], names=names), rtol=1e-10)
        np.testing.assert_allclose(C[b], critic_weights(M[b], normalization="none",
                                                        names=names), rtol=1e-10)
    with pytest.raises(DataError, match="perfectly correlated"):
        _critic_batched(np.stack([M[0], np.repeat(M[0][:, :1], 4, axis=1) * [1, 2, 3, 4]]),
                        names)


def test_weighted_sum_and_noise_by_hand():
    # two units, weights 0.75/0.25; a noise set multiplying them by (1.2, 0.8) gives
    # 0.9/0.2 → 0.818181…/0.181818…
    tree = IndexTree("i", (IndexTree("a", column=0), IndexTree("b", column=1)),
                     (0.75, 0.25)).numbered()
    Z = np.array([[[0.2, 1.0], [1.0, 0.0]]])
    plan = DrawPlan(np.zeros(2, int), np.zeros(2, int), np.zeros(2, int), np.full(2, -1),
                    np.array([-1, 0]), np.array([[1.2, 0.8]]))
    out = evaluate(Z, Z, tree, plan, weighting=("framework",), aggregation=("weighted_sum",))
    np.testing.assert_allclose(out[0], [0.75 * 0.2 + 0.25, 0.75])
    w = np.array([0.9, 0.2]) / 1.1
    np.testing.assert_allclose(out[1], [w[0] * 0.2 + w[1], w[0]])


# ------------------------------------------------------------------ index path
def test_nominal_scores_and_ranks_are_run_index_s(world, world_index):
    u = index_uncertainty(world, "urban_rural_services", n=32, sobol=False,
                          result=world_index)
    sc = world_index.tables["scores"]
    t = u.to_frame()
    assert np.array_equal(t["rank"].to_numpy(), sc["rank"].to_numpy())
    np.testing.assert_allclose(t["score"].to_numpy(), sc.total.to_numpy(), rtol=1e-12)
    assert t.rank_q05.le(t.rank_median).all() and t.rank_median.le(t.rank_q95).all()
    assert t.top_share.between(0, 1).all() and (t.units_ranked == t.groupby(
        "year").year.transform("size")).all()


def test_nominal_reproduced_for_fixed_weights_entropy_and_geometric(world):
    # a framework of its own choices: fixed top weights, entropy in one subsystem, geometric
    # aggregation on [1, 100] (run_index's bounds): the engine reproduces run_index exactly
    spec = ur.load_framework("urban_rural_services").spec.copy()
    spec.update({"id": "services_variant", "weights": {"urban": 0.6, "rural": 0.4},
                 "aggregation": "geometric", "coupling": None,
                 "normalization": {**spec["normalization"], "bounds": [1, 100]}})
    spec["nodes"] = [dict(spec["nodes"][0], weights="entropy"), spec["nodes"][1]]
    res = ur.run_index(world, spec)
    u = index_uncertainty(world, spec, n=16, sobol=False, result=res,
                          choices=UncertaintyChoices.single())
    assert np.array_equal(u.to_frame()["rank"].to_numpy(), res.tables["scores"]["rank"])
    np.testing.assert_allclose(u.to_frame()["score"], res.tables["scores"].total, rtol=1e-12)


def test_one_choice_per_factor_collapses_every_band(national):
    u = index_uncertainty(national, "national_integration_old_survey",
                          choices=UncertaintyChoices.single(), n=40)
    t = u.to_frame()
    assert u.ranked_over == "years" and u.result.varying == ()
    for c in ("rank_q05", "rank_median", "rank_q95"):
        assert (t[c] == t["rank"]).all()
    assert (u.result.mean_shift == 0).all() and len(u.tables["reversals"]) == 0
    assert (u.tables["sobol"].ST == 0).all()


def test_a_factor_that_changes_nothing_has_total_index_zero(national):
    # every node of the framework is equal-weighted, so "framework" and "equal" are the same
    # weighting: that factor varies in the design but cannot change any rank
    u = index_uncertainty(national, "national_integration_old_survey", n=64,
                          choices={"weighting": ("equal",), "aggregation": (),
                                   "leave_out": (), "weight_noise": 0.0})
    sob = u.tables["sobol"].set_index("factor")
    assert u.result.varying == ("normalisation", "weighting")
    assert sob.loc["weighting", "ST"] == pytest.approx(0, abs=1e-12)
    assert sob.loc["normalisation", "ST"] > 0.5  # the one factor that moves the years
    assert np.abs(u.result.sobol_rank.total[1]).max() < 1e-12


def test_leaving_an_indicator_out_is_run_index_on_the_reduced_framework(world, world_index):
    # goalposts make each score independent of the other units, so the reduced framework's
    # scores compare unit by unit on the region-years both cover
    fw = ur.load_framework("urban_rural_services")
    X, d, gp, tree, ids = _prepare(world, fw, world_index)
    Z, Zp = _own(X, d, gp, ids, fw, None)
    j = ids.index("urban_water")
    plan = DrawPlan(np.zeros(1, int), np.zeros(1, int), np.zeros(1, int), np.array([j]),
                    np.full(1, -1))
    got = evaluate(Z[None], Zp[None], tree.numbered(), plan, weighting=("framework",),
                   aggregation=("weighted_sum",))[0]
    spec = fw.spec.copy()
    spec["nodes"] = [dict(spec["nodes"][0], indicators=[
        i for i in spec["nodes"][0]["indicators"] if i["id"] != "urban_water"]),
        spec["nodes"][1]]
    ref = ur.run_index(world, spec).tables["scores"].set_index(["region_code", "year"]).total
    sc = world_index.tables["scores"]
    mine = pd.Series(got, index=pd.MultiIndex.from_arrays([sc.region_code, sc.year]))
    common = mine.index.intersection(ref.index)
    assert len(common) > 3000
    np.testing.assert_allclose(mine[common].to_numpy(), ref[common].to_numpy(), rtol=1e-12)


def test_unknown_choices_are_errors_naming_the_factor(national):
    name = "national_integration_old_survey"
    res = ur.run_index(national, name)
    with pytest.raises(DataError, match="choices.weighting"):
        index_uncertainty(national, name, n=16, result=res,
                          choices={"weighting": ("astrology",)})
    with pytest.raises(DataError, match="choices.leave_out"):
        index_uncertainty(national, name, n=16, result=res, choices={"leave_out": ("gdp",)})
    with pytest.raises(DataError, match="unknown factor"):
        index_uncertainty(national, name, n=16, result=res, choices={"colour": ("red",)})


def test_same_seed_same_result_in_process_and_on_two_dask_workers(national):
    distributed = pytest.importorskip("distributed")
    kw = dict(n=96, seed=3, chunk_draws=16)
    a = index_uncertainty(national, "national_integration_old_survey", **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        b = index_uncertainty(national, "national_integration_old_survey", dask_client=client,
                              **kw)
    assert a.result.draws == b.result.draws == 8 * (5 + 2)  # N = 8, D = 5 factors
    np.testing.assert_array_equal(a.result.mean_shift, b.result.mean_shift)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    pd.testing.assert_frame_equal(a.tables["sobol"], b.tables["sobol"], check_exact=True)
    c = index_uncertainty(national, "national_integration_old_survey", **{**kw, "seed": 4})
    assert not np.array_equal(a.result.mean_shift, c.result.mean_shift)


def test_rank_uncertainty_by_hand_three_units():
    # units a = (0, 1), b = (0.6, 0.6), c = (1, 0), equal weights: nominal 0.5, 0.6, 0.5 →
    # ranks 2, 1, 2; leaving out the 1st indicator ranks a first (1, 0.6, 0), the 2nd c
    tree = IndexTree("i", (IndexTree("x", column=0), IndexTree("y", column=1)), "equal")
    Z = np.array([[[0.0, 1.0], [0.6, 0.6], [1.0, 0.0]]])
    r = rank_uncertainty(Z, Z, tree, np.zeros(3), normalisation=("minmax",),
                         weighting=("framework",), aggregation=("weighted_sum",),
                         positive=(False,), leave_out=(0, 1), column_names=("x", "y"), n=64,
                         top_k=1)
    assert r.nominal_rank.tolist() == [2, 1, 2] and r.varying == ("leave_out",)
    assert r.rank_q05.min() == 1 and r.rank_q95.max() == 3
    # b is 2nd whenever an indicator is left out (2/3 of the levels): its top-1 share is the
    # share of draws with no indicator left out
    lv = np.minimum((saltelli_design(1, r.base_n, seed=0)[:, 0] * 3).astype(int), 2)
    assert r.top_share[1] == pytest.approx(np.mean(lv == 0)) and 0 < r.top_share[1] < 1
    assert r.top_share[0] == pytest.approx(np.mean(lv == 1))  # a is first with x left out
    assert r.top_share[2] == pytest.approx(np.mean(lv == 2))  # c is first with y left out



# ------------------------------------------------------------------ claims
def test_rank_robustness_claim_by_hand():
    assert allowed_width(31) == 3 and allowed_width(150) == 15 and allowed_width(8) == 1
    assert rank_robustness_claim(4, 7, 31).verdict == "robust"  # width 3 = allowed
    c = rank_robustness_claim(4, 7.5, 31)
    assert c.verdict == "not_robust" and c.values["width"] == 3.5
    assert rank_robustness_claim(59, 80, 150).verdict == "not_robust"  # China 2020: 21 > 15
    with pytest.raises(DataError):
        rank_robustness_claim(5, 3, 31)


def test_dominant_factor_claim_by_hand():
    assert dominant_factor_claim([0.2, 0.5, 0.1], ("a", "b", "c")).verdict == "b"
    assert dominant_factor_claim([0.09, 0.02], ("a", "b")).verdict == "no_dominant_factor"
    assert dominant_factor_claim([], ()).verdict == "no_dominant_factor"
