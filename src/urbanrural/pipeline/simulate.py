"""One simulation run from a national panel: calibration, out-of-sample validation, the
scenario ensemble and its readings — shared by the report section and ``urbanrural simulate``.

Scenario files are YAML (``scenarios: {key: {name_zh, name_en, levers: [...]}}``); the
built-in ones are ``pipeline/scenarios/simulation_builtin.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..data import Panel
from ..data.errors import DataError, Issue
from ..data.registry import NATIONAL_CODE
from ..methods.claims import Claim
from ..methods.simulate.calibrate import (
    BOUNDS,
    Calibration,
    Validation,
    calibrate,
    profile,
    targets_from_wide,
    validate,
)
from ..methods.simulate.ensemble import OUTPUTS, Ensemble, run_ensemble
from ..methods.simulate.model import ASSUMPTIONS, CALIBRATED, Params
from ..methods.simulate.readings import (
    AT_LEAST_AS_GOOD,
    LEVER_PARAMETERS,
    READING_LABELS,
    effect_claim,
    friction_band_claim,
    identification_claim,
    largest_narrowing_claim,
    validation_claim,
)
from ..methods.simulate.scenarios import LEVER_LABELS, Scenario, scenarios_from_dict

__all__ = ["BUILTIN_SCENARIOS", "EFFECT_TOLERANCE", "HAO_2020_FRICTION_FALL", "SimulationRun",
           "load_scenarios",
           "run_simulation", "VALIDATED_BY"]

BUILTIN_SCENARIOS = Path(__file__).parent / "scenarios" / "simulation_builtin.yaml"

#: Hao, Sun, Tombe & Zhu (2020), J. Monetary Econ. 113: migration costs fell by about 45 %
#: from 2000 to 2015 (the figure quoted in issue 14).
HAO_2020_FRICTION_FALL = -45.0

#: the validation row that decides whether an output is shown (model ≥ naive out of sample)
#: (every vintage of a quantity must pass: the vintage sensitivity of the referee's report)
VALIDATED_BY = {"income_ratio": ("income_ratio",),
                "urbanisation": ("urbanisation", "urbanisation_2016_vintage"),
                "rural_pop": ("population_rural", "population_rural_2016_vintage"),
                "mean_income": ("urban_disposable_income_new_survey", "rural_disposable_income")}

#: effects smaller than these (the whole 90 % band inside ±) are read as negligible: a stated
#: choice — a hundredth of the ratio, a tenth of a point of urbanisation, half a million
#: rural residents, 100 yuan a head
EFFECT_TOLERANCE = {"income_ratio": 0.01, "urbanisation": 0.1, "rural_pop": 50.0,
                    "mean_income": 100.0}

PARAMETER_NAMES = {
    "mu": ("迁移速度", "migration speed"),
    "tau0": ("初始迁移成本τ（2000年）", "migration cost τ in the first year"),
    "tau_trend": ("迁移成本的年对数变化", "log change of the migration cost per year"),
    "g_urban": ("城镇名义全要素生产率增长", "urban nominal TFP growth"),
    "g_rural": ("农村名义全要素生产率增长", "rural nominal TFP growth"),
    "n0": ("初始人口自然增长率", "natural growth rate of the population, first year"),
    "n1": ("人口自然增长率的年变化", "change of the natural growth rate per year"),
}


def load_scenarios(*, path: str | Path | None = None) -> tuple[Scenario, ...]:
    """Scenarios from a YAML file (default: the built-in ones); bad files are clear errors.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A YAML file ``scenarios: {key: {name_zh, name_en, levers: [...]}}`` (see
        :func:`~urbanrural.methods.simulate.scenarios_from_dict`); default
        :data:`BUILTIN_SCENARIOS`.

    Returns
    -------
    tuple of Scenario
        Baseline first. An unreadable file or a bad entry is a
        :class:`~urbanrural.data.errors.DataError` naming the file.

    Examples
    --------
    >>> sc = load_scenarios()
    >>> [s.key for s in sc], sc[0].settings
    (['baseline', 'hukou_reform', 'rural_investment', 'combined'], ())
    """
    p = Path(path) if path is not None else BUILTIN_SCENARIOS
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(Issue(f"cannot read the scenario file: {exc} / 无法读取情景文件",
                              file=str(p))) from exc
    return scenarios_from_dict(raw, source=str(p))


def national_wide(panel: Panel) -> pd.DataFrame:
    d = panel.data
    d = d[d.region_code == NATIONAL_CODE] if NATIONAL_CODE in set(d.region_code) else d
    return d.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")


@dataclass(frozen=True)
class SimulationRun:
    """Everything one simulation computed (see :func:`run_simulation`)."""

    calibration: Calibration
    validation: Validation
    ensemble: Ensemble
    tables: dict[str, pd.DataFrame]
    facts: dict
    options: dict

    def to_frame(self) -> pd.DataFrame:
        return self.tables["bands"]


def _parameter_table(cal: Calibration) -> pd.DataFrame:
    t = cal.to_frame()
    t.insert(1, "name_zh", [PARAMETER_NAMES[p][0] for p in CALIBRATED])
    t.insert(2, "name_en", [PARAMETER_NAMES[p][1] for p in CALIBRATED])
    lo, hi = np.array([BOUNDS[k] for k in CALIBRATED]).T
    est = t.estimate.to_numpy()
    # a Laplace band means little for a parameter at its bound: say which
    t["at_bound"] = np.isclose(est, lo, rtol=0, atol=1e-6) | np.isclose(est, hi, rtol=0, atol=1e-6)
    t["kind"] = "calibrated"
    t["source"] = "本模型最小二乘校准，拉普拉斯90%区间 / least-squares fit here, Laplace 90 % interval"
    fixed = pd.DataFrame({"parameter": list(ASSUMPTIONS),
                          "name_zh": ["资本产出弹性", "初始产出资本比", "净投资率（1985—2007年值）",
                                      "净投资率（2008—2014年值）", "净投资率（2015—2020年值）",
                                      "净投资率（2021—2030年值，其后保持）"],
                          "name_en": ["capital elasticity", "initial output–capital ratio",
                                      "net investment rate (1985–2007 value)",
                                      "net investment rate (2008–2014 value)",
                                      "net investment rate (2015–2020 value)",
                                      "net investment rate (2021–2030 value, held after)"],
                          "estimate": [v for v, _ in ASSUMPTIONS.values()],
                          "kind": "assumption", "source": [s for _, s in ASSUMPTIONS.values()]})
    fixed["at_bound"] = False
    out = pd.concat([t, fixed], ignore_index=True)
    out["kind_zh"] = np.where(out.kind == "assumption", "设定值（非估计）",
                              np.where(out.at_bound, "校准值（位于取值边界）", "校准值"))
    out["kind_en"] = np.where(out.kind == "assumption", "assumption (not an estimate)",
                              np.where(out.at_bound, "calibrated (at its bound)", "calibrated"))
    return out


CONTRIBUTION_KINDS = {"one_at_a_time": ("单一杠杆", "one lever at a time"),
                      "combined": ("组合杠杆", "levers combined"),
                      "interaction": ("交互作用（组合减各单一之和）",
                                      "interaction (combined minus the sum of the single levers)")}


def _contributions(ens: Ensemble, year: int) -> pd.DataFrame:
    """Effect of each scenario on each output in ``year`` (paired with the baseline), and the
    interaction of every multi-lever scenario: its effect minus the sum of the effects of the
    single-lever scenarios that make it up (when all of them were run)."""
    singles = {sc.lever_names[0]: sc.key for sc in ens.scenarios[1:] if len(sc.lever_names) == 1}
    rows = []
    for q in OUTPUTS:
        for sc in ens.scenarios[1:]:
            eff = ens.difference(q, sc.key, "baseline", year)
            kind = "one_at_a_time" if len(sc.lever_names) == 1 else "combined"
            parts = [(kind, eff)]
            if kind == "combined" and all(lv in singles for lv in sc.lever_names):
                summed = sum(ens.difference(q, singles[lv], "baseline", year) for lv in sc.lever_names)
                parts.append(("interaction", eff - summed))
            for k, arr in parts:
                lo, med, hi = np.quantile(arr, [0.05, 0.5, 0.95])
                rows.append({"quantity": q, "scenario": sc.key, "name_zh": sc.name_zh,
                             "name_en": sc.name_en, "kind": k, "kind_zh": CONTRIBUTION_KINDS[k][0],
                             "kind_en": CONTRIBUTION_KINDS[k][1],
                             "levers": ", ".join(sc.lever_names), "year": year, "p05": lo,
                             "median": med, "p95": hi})
    return pd.DataFrame(rows)


def _observed(wide: pd.DataFrame) -> pd.DataFrame:
    """The observed counterparts of the outputs, each concept and vintage on its own."""
    specs = [("urbanisation", "population_urban", "population_total", "current vintage"),
             ("urbanisation", "population_urban_2016_vintage", "population_total_2016_vintage",
              "2016 vintage"),
             ("income_ratio", "urban_disposable_income_new_survey", "rural_disposable_income",
              "integrated survey"),
             ("income_ratio", "urban_disposable_income", "rural_net_income", "old survey"),
             ("rural_pop", "population_rural", None, "current vintage"),
             ("rural_pop", "population_rural_2016_vintage", None, "2016 vintage")]
    rows = []
    for q, a, b, concept in specs:
        if a not in wide or (b is not None and b not in wide):
            continue
        s = wide[a] if b is None else wide[a] / wide[b]
        s = (100 * s if q == "urbanisation" else s).dropna()
        rows.append(pd.DataFrame({"quantity": q, "series": a, "concept": concept,
                                  "year": s.index.astype(int), "value": s.to_numpy()}))
    return pd.concat(rows, ignore_index=True)


READABLE = ("identified", "interior")

#: the points of the friction trend's profile: λ at the fit, and λ* = ln(1 − 0.45)/15, the
#: trend of Hao et al.'s −45 % over 2000–2015 (both bounds are added for an interior fit)
PROFILE_POINTS_ZH = {"calibrated": "校准值", "published": "已发表的−45%（Hao等，2020）",
                     "lower_bound": "取值下界", "upper_bound": "取值上界"}
PROFILE_POINTS_EN = {"calibrated": "calibrated", "published": "published −45 % (Hao et al. 2020)",
                     "lower_bound": "lower bound", "upper_bound": "upper bound"}


def _lever_profile(cal: Calibration, targets, initial, scenarios, *, until: int,
                   ratio_scale: float) -> tuple[pd.DataFrame, dict]:
    """The effect in ``until`` of every scenario that cuts the migration friction, with the
    other parameters refitted at each point of the profile of ``tau_trend`` (point
    estimates), and the identification claim of every parameter a lever runs through."""
    lo, hi = BOUNDS["tau_trend"]
    est = float(cal.params.tau_trend[0])
    points = {"calibrated": est, "published": float(np.log1p(HAO_2020_FRICTION_FALL / 100) / 15)}
    if lo + 1e-6 < est < hi - 1e-6:  # an interior fit: is its 95 % region closed by the bounds?
        points.update({"lower_bound": lo, "upper_bound": hi})
    used = {lv for sc in scenarios[1:] for lv in sc.lever_names}
    if not any("tau_trend" in LEVER_PARAMETERS[lv] for lv in used):  # nothing rests on it
        return pd.DataFrame(), {p: identification_claim(p, float(cal.params.matrix()[0, CALIBRATED.index(p)]),
                                                        bounds=BOUNDS[p])
                                for lv in used for p in LEVER_PARAMETERS[lv]}
    prof = _cached(("profile", "tau_trend", tuple(points.values())), targets, initial,
                   lambda: profile(cal, "tau_trend", list(points.values())))
    identification = {}
    for lv in used:
        for p in LEVER_PARAMETERS[lv]:
            j = CALIBRATED.index(p)
            if p == "tau_trend":
                identification[p] = identification_claim(
                    p, est, bounds=BOUNDS[p], profile_values=prof.value.to_numpy(),
                    profile_delta=prof.delta_rss_over_s2.to_numpy())
            else:
                identification[p] = identification_claim(p, float(cal.params.matrix()[0, j]),
                                                         bounds=BOUNDS[p])
    friction_sc = [sc for sc in scenarios[1:] if "friction_cut" in sc.lever_names]
    rows = []
    if friction_sc:
        theta = prof[[f"fit_{k}" for k in CALIBRATED]].to_numpy()
        # every profile point under the baseline and the friction scenarios in one run
        ens = run_ensemble(Params.from_matrix(theta), initial, (scenarios[0], *friction_sc),
                           until=until, ratio_scale=ratio_scale)
        for i, (key, r) in enumerate(zip(points, prof.itertuples(), strict=True)):
            for sc in friction_sc:
                rows.append({"point": key, "point_zh": PROFILE_POINTS_ZH[key],
                             "point_en": PROFILE_POINTS_EN[key], "tau_trend": r.value,
                             "fall_2000_2015_pct": 100 * (float(np.exp(15 * r.value)) - 1),
                             "rss": r.rss, "delta_rss_over_s2": r.delta_rss_over_s2,
                             "inside_95": r.inside_95, "mu": r.fit_mu, "tau0": r.fit_tau0,
                             "scenario": sc.key, "name_zh": sc.name_zh, "name_en": sc.name_en,
                             "year": until,
                             **{f"effect_{q}": float(ens.difference(q, sc.key, "baseline", until)[i])
                                for q in ("urbanisation", "income_ratio")}})
    return pd.DataFrame(rows), identification


def _identification_table(identification: dict) -> pd.DataFrame:
    return pd.DataFrame([{"parameter": p, "name_zh": PARAMETER_NAMES[p][0],
                          "name_en": PARAMETER_NAMES[p][1], "estimate": c.values["estimate"],
                          "lower_bound": c.values["lower"], "upper_bound": c.values["upper"],
                          "verdict": c.verdict, "verdict_zh": READING_LABELS[c.verdict][0],
                          "verdict_en": READING_LABELS[c.verdict][1],
                          "readable": c.verdict in READABLE}
                         for p, c in sorted(identification.items())],
                        columns=["parameter", "name_zh", "name_en", "estimate", "lower_bound",
                                 "upper_bound", "verdict", "verdict_zh", "verdict_en", "readable"])


_FITS: dict = {}


def _cached(kind: tuple, targets, initial, fit):
    """A fit computed once per process for the same data (the report, the command and the
    web app calibrate the same embedded series); at most 8 fits are kept."""
    key = (kind, initial, tuple((s.id, y.tobytes(), v.tobytes()) for s, y, v in targets.series))
    if key not in _FITS:
        if len(_FITS) >= 8:
            _FITS.pop(next(iter(_FITS)))
        _FITS[key] = fit()
    return _FITS[key]


def run_simulation(panel: Panel, *, scenarios: tuple[Scenario, ...] | None = None,
                   first_year: int = 2000, validation_end: int = 2010, until: int = 2035,
                   draws: int = 1000, seed: int = 12345, client=None, chunks: int = 1
                   ) -> SimulationRun:
    """Calibrate, validate, and simulate every scenario to ``until`` with ``draws`` parameter
    draws (seeded). ``client`` (a ``distributed.Client``) runs the ensemble on a cluster.

    The dual economy (Lewis 1954; Harris & Todaro 1970) is calibrated to the national series
    from ``first_year`` (:func:`~urbanrural.methods.simulate.calibrate`), validated out of
    sample after ``validation_end`` against a random walk with drift
    (:func:`~urbanrural.methods.simulate.validate`), and its posterior draws are run under
    every scenario (:func:`~urbanrural.methods.simulate.run_ensemble`); an output is shown
    only where the model did at least as well as the random walk (:data:`VALIDATED_BY`).

    Parameters
    ----------
    panel : Panel
        National urban and rural series (the rows of the national region when it is present,
        otherwise every row).
    scenarios : tuple of Scenario, optional
        Baseline first (default: :func:`load_scenarios`, the built-in ones).
    first_year : int, default 2000
        The year the model starts from.
    validation_end : int, default 2010
        The last year of the validation's calibration window.
    until : int, default 2035
        The last simulated year (not before the last observed one).
    draws : int, default 1000
        Posterior parameter draws.
    seed : int, default 12345
        Seed of the draws.
    client : distributed.Client, optional
        Runs the ensemble on a Dask cluster (the same numbers as in process).
    chunks : int, default 1
        Blocks of draws (one task each on a cluster).

    Returns
    -------
    SimulationRun
        The calibration, validation and ensemble, the report's tables, the claims (facts)
        and the options used.

    Examples
    --------
    The settings are checked against the data before anything is fitted: the bundled national
    series run to 2024, so a simulation cannot stop in 2020.

    >>> from urbanrural.data.datasets import load_dataset
    >>> from urbanrural.data.errors import DataError
    >>> try:
    ...     run_simulation(load_dataset("china_national"), until=2020)
    ... except DataError as exc:
    ...     print(str(exc).splitlines()[-1].strip())
    value '2020': until: 2020 is before the last observed year 2024 / 终止年份早于最后观测年份

    A full run (two calibrations, about 0.4 s, too slow for the doctest budget; the report
    section and ``urbanrural simulate`` run it in ``tests/test_simulate.py``) is
    ``run_simulation(load_dataset("china_national"), draws=1000)``; its
    ``ensemble.values["income_ratio"]`` then has the shape (scenarios, years, draws).
    """
    scenarios = scenarios or load_scenarios()
    wide = national_wide(panel)
    targets, initial = targets_from_wide(wide, first_year=first_year)
    if until < targets.last_year:
        raise DataError(Issue(f"until: {until} is before the last observed year "
                              f"{targets.last_year} / 终止年份早于最后观测年份", value=str(until)))
    if not first_year < validation_end < targets.last_year:
        raise DataError(Issue(f"validation_end: {validation_end} must lie between {first_year} and "
                              f"{targets.last_year} / 检验分界年份无效", value=str(validation_end)))
    val = _cached(("validate", validation_end), targets, initial,
                  lambda: validate(targets, initial, end=validation_end))
    cal = _cached(("calibrate",), targets, initial, lambda: calibrate(targets, initial))
    scale_u = cal.log_scales.get("urban_disposable_income_new_survey")
    scale_r = cal.log_scales.get("rural_disposable_income")
    ratio_scale = float(np.exp(scale_u - scale_r)) if None not in (scale_u, scale_r) else 1.0
    params, sampling = cal.sample(draws, seed=seed)
    ens = run_ensemble(params, initial, scenarios, until=until, ratio_scale=ratio_scale,
                       client=client, chunks=chunks)
    vt = val.table.copy()
    vt["verdict_zh"] = [READING_LABELS[v][0] for v in vt.verdict]
    vt["verdict_en"] = [READING_LABELS[v][1] for v in vt.verdict]
    claims = {sid: validation_claim(e.model_error_log, e.naive_error_log)
              for sid, e in val.errors.groupby("series", sort=False)}
    shown = {q: all(s in claims and claims[s].verdict in AT_LEAST_AS_GOOD for s in ids)
             for q, ids in VALIDATED_BY.items()}
    lever_profile, identification = _lever_profile(cal, targets, initial, scenarios, until=until,
                                                   ratio_scale=ratio_scale)
    readable = {sc.key: all(identification[p].verdict in READABLE
                            for lv in sc.lever_names for p in LEVER_PARAMETERS[lv])
                for sc in scenarios[1:]}
    effects = ens.effects(until)
    effect_claims = {}
    for r in effects.itertuples():
        if r.scenario == "baseline":
            continue
        c = effect_claim(ens.difference(r.quantity, r.scenario, "baseline", until),
                         tolerance=EFFECT_TOLERANCE[r.quantity])
        if not readable[r.scenario]:  # its mechanism rests on a parameter at a bound / unidentified
            c = Claim("effect", "no_reading", {**c.values, "band_verdict": c.verdict},
                      "no reading: a parameter of the lever's mechanism is at its bound or not "
                      "identified (profile likelihood)")
        effect_claims[(r.scenario, r.quantity)] = c
    ratio_effects = {sc.key: ens.difference("income_ratio", sc.key, "baseline", until)
                     for sc in scenarios[1:] if readable[sc.key]}
    largest = largest_narrowing_claim(ratio_effects) if ratio_effects else None
    if largest is not None:
        largest.values["excluded"] = [k for k, ok in readable.items() if not ok]
    # the migration cost's fall 2000–2015 (τ_2015/τ_2000 − 1 = e^{15 λ} − 1), estimate and draws
    fall = 100 * (np.exp(15 * params.tau_trend) - 1)
    friction = pd.DataFrame([{
        "from_year": 2000, "to_year": 2015,
        "model_fall_pct": 100 * (float(np.exp(15 * cal.params.tau_trend[0])) - 1),
        "p05": float(np.quantile(fall, 0.05)), "p95": float(np.quantile(fall, 0.95)),
        "published_fall_pct": HAO_2020_FRICTION_FALL,
        "published_source": "Hao, Sun, Tombe & Zhu (2020), J. Monetary Econ. 113"}])
    band = friction_band_claim(float(friction.p05[0]), float(friction.p95[0]),
                               HAO_2020_FRICTION_FALL)
    friction["band_covers_published"] = band.verdict != "excludes"
    friction["band_verdict"] = band.verdict
    levers = pd.DataFrame([{"scenario": sc.key, "name_zh": sc.name_zh, "name_en": sc.name_en,
                            "lever": lv, "lever_zh": LEVER_LABELS[lv][0],
                            "lever_en": LEVER_LABELS[lv][1], "from_year": lo,
                            "to_year": hi if hi is not None else until, "value": v}
                           for sc in scenarios for lv, lo, hi, v in sc.settings],
                          columns=["scenario", "name_zh", "name_en", "lever", "lever_zh",
                                   "lever_en", "from_year", "to_year", "value"])
    par = _parameter_table(cal)
    post = np.quantile(params.matrix(), [0.05, 0.5, 0.95], axis=0)
    k = len(CALIBRATED)
    for j, col in enumerate(("posterior_p05", "posterior_median", "posterior_p95")):
        par[col] = np.concatenate([post[j], np.full(len(par) - k, np.nan)])
    tables = {"parameters": par, "fit": cal.fit_table(),
              "validation": vt, "validation_parameters": val.calibration.to_frame(),
              "friction": friction, "sampling": pd.DataFrame([{**sampling, "seed": seed}]),
              "lever_profile": lever_profile,
              "identification": _identification_table(identification),
              "scenarios": levers,
              "target": effects, "contributions": _contributions(ens, until),
              "bands": ens.bands(), "observed": _observed(wide)}
    facts = {"validation": claims, "shown": shown, "effects": effect_claims,
             "largest": largest, "ratio_scale": ratio_scale, "identification": identification,
             "readable": readable}
    options = {"first_year": first_year, "validation_end": validation_end, "until": until,
               "draws": draws, "seed": seed, "scenarios": [s.key for s in scenarios],
               "last_observed_year": targets.last_year, "calibration_success": cal.success,
               "uncertainty": "Laplace approximation (flat prior), 90 % bands",
               "naive_benchmark": "random walk with drift in logs"}
    return SimulationRun(cal, val, ens, tables, facts, options)
