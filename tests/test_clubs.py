"""Phillips–Sul log t test and convergence clubs against R's ConvergenceClubs and Stata's psecta.

Expected values (provenance in tests/data/reference/convergence_clubs_152_countries/README.md):
* R's ConvergenceClubs 2.2.5 run by the R fixture script of the PyPI port convergence-clubs 0.1.2
  (``r_*.csv``): memberships and log t statistics on R's 152-country GDP panel and on three
  panels simulated in R;
* Sichera & Pizzuto (2019), The R Journal 11(2), 142–151: the rounded club table printed there
  (as transcribed in the port's tests/test_paper.py);
* Stata's psecta / imergeclub on Mendez's (2020) PWT panels (``psecta_mendez2020_*.csv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data.errors import DataError
from urbanrural.methods.dynamics.clubs import CRITICAL_T, hp_trend

REF = Path(__file__).parent / "data" / "reference" / "convergence_clubs_152_countries"
R_DATASETS = ["filtered_gdp", "sim1", "sim2", "sim3"]


@pytest.fixture(scope="module")
def gdp() -> pd.DataFrame:
    return pd.read_csv(REF / "gdp.csv", index_col=0)


@pytest.fixture(scope="module")
def filtered_gdp() -> pd.DataFrame:
    return pd.read_csv(REF / "filtered_gdp.csv", index_col=0)


def _panel(dataset: str) -> pd.DataFrame:
    name = "filtered_gdp.csv" if dataset == "filtered_gdp" else f"r_simulated_{dataset}.csv"
    return pd.read_csv(REF / name, index_col=0)


def _r_cases() -> list[tuple[str, str]]:
    return [(ds, case) for ds in R_DATASETS
            for case in pd.read_csv(REF / f"r_clubs_{ds}.csv", index_col=0, nrows=0).columns]


def _options(case: str) -> dict:
    """findClubs/mergeClubs arguments of an R run, from its column name."""
    words = case.split()
    opts = {"r": 1 / 3 if words[0] == "r=1/3" else float(words[0][2:]),
            "cstar": float(words[1][6:])}
    if words[2] == "incremental":  # R's cstar_method = "incremental" with its defaults
        opts.update(cstar_increment=0.1, cstar_cap=3.0)
    for w in words[3:]:
        if w.startswith("merge="):
            opts["merge"] = {"PS": "PS2009", "vLT": "vLT2017"}[w[6:]]
        elif w == "+divergent":
            opts["merge_divergent"] = True
    return opts


# --- the log t test ---------------------------------------------------------------------------


def test_hp_trend_of_log_gdp_is_rs_filtered_gdp(gdp, filtered_gdp):
    """R's filteredGDP is the HP(λ = 400) trend of log GDP (mFilter::hpfilter)."""
    trend = hp_trend(np.log(gdp.to_numpy()), lam=400)
    np.testing.assert_allclose(trend, filtered_gdp.to_numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("row", pd.read_csv(REF / "r_log_t_filtered_gdp.csv").to_dict("records"),
                         ids=lambda r: f"{r['subset']}-{float(r['time_trim']):.2f}")
def test_log_t_statistics_equal_rs_estimatemod(filtered_gdp, row):
    rows = (slice(None) if row["rows_0based"] == "all"
            else [int(i) for i in row["rows_0based"].split()])
    res = ur.log_t_test(filtered_gdp.iloc[rows], r=float(row["time_trim"]), hp_lambda=None,
                        take_log=False)
    np.testing.assert_allclose([res.b, res.se, res.t],
                               [row["beta"], row["std_err"], row["t_value"]], rtol=1e-8)


def test_whole_panel_as_printed_in_the_r_journal(gdp):
    """Sichera & Pizzuto (2019): log t over all 152 countries, b = −0.875, se = 0.005,
    t = −159.555 — here from the raw GDP levels (log and HP filter done by us)."""
    res = ur.log_t_test(gdp)
    assert (round(res.b, 3), round(res.se, 3), round(res.t, 3)) == (-0.875, 0.005, -159.555)
    assert not res.converges
    assert (res.discarded_periods, res.periods_used) == (11, 23)  # round(34/3) = 11


# --- clubs against R ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def r_models() -> pd.DataFrame:
    return pd.read_csv(REF / "r_club_models.csv")


@pytest.mark.parametrize(("dataset", "case"), _r_cases(), ids=lambda v: v.replace(" ", "_"))
def test_clubs_identical_to_rs_convergenceclubs(dataset, case, r_models):
    Y = _panel(dataset)
    expected = pd.read_csv(REF / f"r_clubs_{dataset}.csv", index_col=0)[case]
    out = ur.convergence_clubs(Y, hp_lambda=None, take_log=False, **_options(case))
    got = out.set_index("region").club.reindex(Y.index)
    pd.testing.assert_series_equal(got, expected, check_names=False)
    models = r_models[(r_models.dataset == dataset) & (r_models.case == case)].set_index("club")
    ours = out[out.club > 0].groupby("club")[["club_b", "club_se", "club_log_t"]].first()
    # a club that fell back to its core (c* past its cap) is the one case where R reports a
    # stale regression (core + rejected candidates); ours is the club's own, which converges
    stale = (models.t_value <= CRITICAL_T) & ("incremental" in case)
    assert (ours.loc[stale[stale].index, "club_log_t"] > CRITICAL_T).all()
    keep = models.index[~stale]
    np.testing.assert_allclose(ours.loc[keep].to_numpy(),
                               models.loc[keep, ["beta", "std_err", "t_value"]].to_numpy(),
                               rtol=1e-8)


def test_r_runs_exercise_every_branch():
    """The stored R runs reach the branches the GDP data alone does not (so matching them
    tests those branches): divergent units, divergent units merged into clubs, and an
    incremental c* that passed its cap."""
    sim2 = pd.read_csv(REF / "r_clubs_sim2.csv", index_col=0)
    plain, merged = "r=1/3 cstar=0 fixed merge=PS", "r=1/3 cstar=0 fixed merge=PS +divergent"
    assert (sim2[plain] == 0).sum() > (sim2[merged] == 0).sum()
    models = pd.read_csv(REF / "r_club_models.csv")
    assert (models.cstar > 3).any() and (models.cstar.between(0.05, 3)).any()


def test_clubs_from_raw_gdp_as_printed_in_the_r_journal(gdp, filtered_gdp):
    """From the raw levels (our log and HP filter, sorting on the filtered 2003 value), the
    default run gives R's memberships and the table of Sichera & Pizzuto (2019)."""
    out = ur.convergence_clubs(gdp)
    r_default = pd.read_csv(REF / "r_clubs_filtered_gdp.csv", index_col=0)["r=1/3 cstar=0 fixed"]
    pd.testing.assert_series_equal(out.set_index("region").club.reindex(gdp.index), r_default,
                                   check_names=False)
    table = out.groupby("club").agg(n=("region", "size"), b=("club_b", "first"),
                                    se=("club_se", "first"), t=("club_log_t", "first"))
    assert table.n.tolist() == [50, 30, 21, 24, 14, 11, 2]
    np.testing.assert_array_equal(table[["b", "se", "t"]].round(3).to_numpy(), [
        [0.382, 0.041, 9.282], [0.240, 0.035, 6.904], [0.110, 0.032, 3.402],
        [0.131, 0.064, 2.055], [0.190, 0.111, 1.701], [1.003, 0.166, 6.024],
        [-0.470, 0.842, -0.559]])
    # the top pair (Luxembourg, United States) fails: R drops Luxembourg from the core search,
    # starts the core at (United States, Norway), and Luxembourg joins club 1 in the sieve
    top = filtered_gdp.iloc[:, -1].sort_values(ascending=False).index[:3].tolist()
    assert top == ["Luxembourg", "United.States", "Norway"]
    assert ur.log_t_test(filtered_gdp.loc[top[:2]], hp_lambda=None, take_log=False).t < -7
    assert ur.log_t_test(filtered_gdp.loc[top[1:]], hp_lambda=None, take_log=False).converges
    assert set(out.club[out.region.isin(top)]) == {1}
    merged = ur.convergence_clubs(gdp, merge="PS2009")
    sizes = merged.groupby("club").size().tolist()
    assert sizes == [50, 30, 21, 38, 11, 2]
    club4 = merged[merged.club == 4]
    assert sorted(set(club4.initial_club)) == [4, 5]
    assert [round(club4[c].iloc[0], 3) for c in ("club_b", "club_se", "club_log_t")] == \
        [-0.044, 0.070, -0.636]


# --- psecta -------------------------------------------------------------------------------------

MENDEZ = [(s, v) for s in ("hiYes", "hiNo") for v in ("log_lp", "log_ky", "log_h", "log_tfp")]


@pytest.fixture(scope="module")
def mendez() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.read_csv(REF / "psecta_mendez2020_panels.csv"),
            pd.read_csv(REF / "psecta_mendez2020_clubs.csv"))


def _mendez_case(mendez, sample, variable):
    panels, clubs = mendez
    p = panels[panels["sample"] == sample]
    Y = p.pivot(index="country", columns="year", values=variable)
    c = clubs[clubs["sample"] == sample].set_index("country").reindex(Y.index)
    return (Y, c[f"club_{variable}"].fillna(0).astype(int),
            c[f"finalclub_{variable}"].fillna(0).astype(int))


@pytest.mark.parametrize(("sample", "variable"), MENDEZ, ids=lambda v: v)
@pytest.mark.filterwarnings("ignore:.*one sign")  # log K/Y straddles 0, as Mendez ran it
def test_psecta_convention_reproduces_psecta_and_imergeclub(mendez, sample, variable):
    Y, initial, final = _mendez_case(mendez, sample, variable)
    out = ur.convergence_clubs(Y, r=0.333, hp_lambda=None, take_log=False, convention="psecta",
                               merge="PS2009").set_index("region").reindex(Y.index)
    pd.testing.assert_series_equal(out.initial_club, initial, check_names=False)
    pd.testing.assert_series_equal(out.club, final, check_names=False)


@pytest.mark.filterwarnings("ignore:.*one sign")
def test_r_and_psecta_conventions_differ_where_their_rules_do(mendez):
    """Under R's rules (core by max |t|, c* fixed) 2 of Mendez's 8 psecta results differ."""
    differ = []
    for sample, variable in MENDEZ:
        Y, initial, _ = _mendez_case(mendez, sample, variable)
        got = ur.convergence_clubs(Y, r=0.333, hp_lambda=None, take_log=False)
        if not (got.set_index("region").club.reindex(Y.index) == initial).all():
            differ.append((sample, variable))
    assert differ == [("hiYes", "log_tfp"), ("hiNo", "log_h")]


def test_rounding_of_rt_follows_each_convention():
    """35 × 0.3 = 10.5: R rounds half to even (10 periods dropped), Stata half up (11)."""
    t = np.arange(1, 36)
    Y = pd.DataFrame([10 + d / t for d in (-0.5, -0.2, 0.1, 0.4)])
    r_res = ur.log_t_test(Y, r=0.3, hp_lambda=None, take_log=False)
    s_res = ur.log_t_test(Y, r=0.3, hp_lambda=None, take_log=False, convention="psecta")
    assert (r_res.discarded_periods, r_res.periods_used) == (10, 25)
    assert (s_res.discarded_periods, s_res.periods_used) == (11, 24)
    assert r_res.t != s_res.t


# --- the steps the old code got wrong (crafted panels; test inputs, not data) -----------------


def _crafted(rows: list[np.ndarray], T: int = 30) -> pd.DataFrame:
    return pd.DataFrame(np.exp(np.array(rows)), index=[f"u{i:02d}" for i in range(len(rows))],
                        columns=range(1, T + 1))


def test_top_unit_dropped_when_the_top_pair_fails():
    """u00 runs 0.1 above club A (u01–u07, converging to 10 as 1/t) and drifts away; club B
    (u08–u12) converges to 9; rows are in rank order. The pair (u00, u01) fails, so Phillips &
    Sul drop u00 and start the core at (u01, u02), which grows to u01–u07; u00 then fails the
    sieve (t(core + u00) ≤ c* = 0) and diverges. The old code never dropped the top unit: it
    grew prefixes from u00 and (with its Bartlett HAC) took u00–u07 as the core."""
    t = np.arange(1, 31)
    rows = [10.1 + 0.0005 * t]
    rows += [10 + d / t for d in np.linspace(0.8, -0.8, 7)]
    rows += [9 + d / t for d in np.linspace(0.5, -0.5, 5)]
    Y = _crafted(rows)
    kw = {"r": 1 / 3, "hp_lambda": None}
    assert list(Y.iloc[:, -1].sort_values(ascending=False).index) == list(Y.index)
    assert not ur.log_t_test(Y, **kw).converges
    assert ur.log_t_test(Y.iloc[:2], **kw).t <= CRITICAL_T        # the top pair fails
    assert ur.log_t_test(Y.iloc[1:3], **kw).converges             # the next pair passes
    assert ur.log_t_test(Y.iloc[1:8], **kw).converges             # the core u01–u07 …
    assert not ur.log_t_test(Y.iloc[1:9], **kw).converges         # … stops before club B
    assert ur.log_t_test(Y.iloc[:8], **kw).t <= 0                 # u00 fails the sieve
    clubs = ur.convergence_clubs(Y, **kw).set_index("region").club
    assert clubs["u00"] == 0
    assert set(clubs[[f"u{i:02d}" for i in range(1, 8)]]) == {1}
    assert set(clubs[[f"u{i:02d}" for i in range(8, 13)]]) == {2}


def test_step_4_the_remainder_as_a_whole_first():
    """Club A (u00–u05) converges to 10; the rest (u06–u14 converging to 8.5 as 1/t, and u15
    staying about 0.085 below) converges as a whole (t > −1.65), so step 4 makes it one club.
    The old code searched a core in the remainder again and left u15 divergent."""
    t = np.arange(1, 31)
    rows = [10 + d / t for d in np.linspace(-0.8, 0.8, 6)]
    rows += [8.5 + d / t for d in np.linspace(-0.5, 0.5, 9)]
    rows += [8.5 - 0.1 * t ** -0.05]
    Y = _crafted(rows)
    kw = {"r": 1 / 3, "hp_lambda": None}
    rest = ur.log_t_test(Y.iloc[6:], **kw)
    assert CRITICAL_T < rest.t < 0
    clubs = ur.convergence_clubs(Y, **kw).set_index("region").club
    assert set(clubs.iloc[:6]) == {1}
    assert set(clubs.iloc[6:]) == {2}


# --- input errors -------------------------------------------------------------------------------


def test_bad_input_is_named():
    Y = pd.DataFrame(np.exp(np.linspace(1, 2, 40)).reshape(4, 10) + 1,
                     index=["Beijing", "Tianjin", "Hebei", "Shanxi"])
    gap = Y.copy()
    gap.iloc[2, 3] = np.nan
    with pytest.raises(DataError, match="Hebei"):
        ur.convergence_clubs(gap)
    neg = Y.copy()
    neg.iloc[1, 0] = -1.0
    with pytest.raises(DataError, match="Tianjin"):
        ur.log_t_test(neg)
    with pytest.raises(DataError, match="at least 3"):
        ur.log_t_test(Y.iloc[:, :3])
    with pytest.raises(ValueError, match="convention"):
        ur.log_t_test(Y, convention="Stata")
    with pytest.raises(ValueError, match="merge"):
        ur.convergence_clubs(Y, merge="PS")


# --- the GPL port as an oracle (test only, never imported by the package) ---------------------


def test_provincial_clubs_equal_the_port_of_r_and_psecta():
    """On the embedded provincial GDP per capita, our clubs equal those of the PyPI port of
    R's ConvergenceClubs (convention "R") and of its psecta rules (convention "Stata")."""
    cc = pytest.importorskip("convergence_clubs")
    from urbanrural.pipeline.dynamics import indicator_table

    wide, _, _ = indicator_table(ur.load_dataset("china_provinces"), "gdp_per_capita")
    Y = wide.dropna(axis=1, how="all").dropna()
    X = cc.hp_filter(np.log(Y), lamb=400)
    for ours, theirs in (("R", "R"), ("psecta", "Stata")):
        mine = ur.convergence_clubs(Y, convention=ours).set_index("region").club.reindex(Y.index)
        port = cc.find_clubs(X, convention=theirs, time_trim=1 / 3).memberships().reindex(Y.index)
        port = port.map(lambda c: 0 if c == "divergent" else int(c[4:]))
        assert (mine == port).all(), ours
