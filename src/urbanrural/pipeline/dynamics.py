"""The dynamics analysis of one indicator (or index) over a regional panel: kernel densities,
σ- and β-convergence (cross-section, panel, spatial), classical and spatial Markov chains,
Moran's I / Geary's C per year and LISA clusters, GeoDetector, gravity centre and ellipse."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import Panel
from ..data.errors import DataError, Issue
from ..data.registry import NATIONAL_CODE
from ..methods.dynamics.clubs import convergence_clubs, log_t_test
from ..methods.dynamics.convergence import beta_convergence, sigma_convergence
from ..methods.dynamics.kde import kernel_density
from ..methods.dynamics.markov import markov, spatial_markov
from ..methods.spatial.autocorrelation import gearys_c, local_morans, morans_i
from ..methods.spatial.geodetector import discretize, geodetector
from ..methods.spatial.shape import shape_over_time
from ..methods.spatial.weights import spatial_weights

__all__ = ["DynamicsResult", "run_dynamics", "indicator_table"]


@dataclass
class DynamicsResult:
    indicator: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def indicator_table(panel: Panel, indicator: str) -> tuple[pd.DataFrame, str, str]:
    """Regions × years values of an indicator id, of ``gdp_per_capita`` (derived), or of a
    framework's index (``index:NAME``). Returns the table and its Chinese/English names."""
    if indicator.startswith("index:"):
        from .index import run_index

        res = run_index(panel, indicator.split(":", 1)[1])
        sc = res.tables["scores"]
        wide = sc.pivot(index="region_code", columns="year", values="total")
        return wide, res.framework.name_zh, res.framework.name_en
    if indicator == "gdp_per_capita" and indicator not in panel.indicators:
        panel = panel.derive("gdp_per_capita", "per_capita", "gdp", "population_total",
                             name_zh="人均地区生产总值", name_en="GDP per capita")
    if indicator not in panel.indicators:
        panel._check_indicators([indicator])
    meta = panel.indicators[indicator]
    wide = panel.wide(indicator)
    wide = wide.drop(index=[NATIONAL_CODE], errors="ignore")
    return wide, meta.name_zh or indicator, meta.name_en or indicator


def run_dynamics(panel: Panel, indicator: str, *, k: int = 4, permutations: int = 999,
                 seed: int = 12345, hainan_link: str | None = "guangdong",
                 contiguity: str = "queen") -> DynamicsResult:
    """All dynamics tables for one indicator. Markov chains use the balanced part of the
    panel (regions with every year); the spatial statistics use the queen contiguity of the
    provinces with Hainan linked to Guangdong by default (say ``hainan_link=None`` to keep it
    an island; islands are reported either way)."""
    wide, name_zh, name_en = indicator_table(panel, indicator)
    res = DynamicsResult(indicator)
    wide = wide.dropna(axis=1, how="all")
    if wide.shape[0] < 5 or wide.shape[1] < 2:
        raise DataError(Issue("dynamics need at least 5 regions and 2 years", value=indicator))
    bounded = bool(wide.min().min() >= 0 and wide.max().max() <= 1)
    kde = kernel_density(wide, bounds=(0.0, 1.0) if bounded else None)
    res.tables["kde_density"] = kde.density
    res.tables["kde_summary"] = kde.summary
    positive = bool((wide.dropna().to_numpy() > 0).all())
    res.tables["sigma_convergence"] = pd.concat(
        [sigma_convergence(wide, m) for m in (("sd_log", "cv") if positive else ("cv",))],
        ignore_index=True)
    balanced = wide.dropna()
    dropped = sorted(set(wide.index) - set(balanced.index))
    if dropped:
        res.notes.append(f"regions without every year, left out of convergence and Markov: "
                         f"{', '.join(map(str, dropped))}")
    W = spatial_weights(balanced.index, contiguity, hainan_link=hainan_link)
    res.notes.extend(W.notes)
    beta_rows = []
    if positive and balanced.shape[1] >= 2:
        t0, t1 = balanced.columns[0], balanced.columns[-1]
        beta_rows.append(beta_convergence(balanced, start=t0, end=t1).to_frame())
        if balanced.shape[1] >= 3:
            beta_rows.append(beta_convergence(balanced, kind="panel").to_frame())
        with contextlib.redirect_stdout(io.StringIO()):
            for model in ("lag", "error", "durbin"):
                try:
                    beta_rows.append(beta_convergence(balanced, start=t0, end=t1, W=W,
                                                      spatial=model).to_frame())
                except Exception as exc:  # a model that does not converge is reported
                    res.notes.append(f"spatial {model} model failed: {exc}")
        bt = pd.concat(beta_rows, ignore_index=True)
        bt.insert(0, "start", t0)
        bt.insert(1, "end", t1)
        res.tables["beta_convergence"] = bt
    # Phillips–Sul log t test and convergence clubs (needs a longer balanced panel)
    if positive and balanced.shape[1] >= 10:
        lt = log_t_test(balanced)
        clubs = convergence_clubs(balanced)
        clubs.insert(1, "region_zh", [panel.region_label(c) for c in clubs.region])
        clubs.insert(2, "region_en", [panel.region_label(c, "en") for c in clubs.region])
        res.tables["club_convergence"] = clubs.rename(columns={"region": "region_code"})
        res.notes.append(f"log t test over all regions: b = {lt.b:.3f}, t = {lt.t:.2f} "
                         f"({'convergence' if lt.converges else 'no overall convergence'} at "
                         "5 %); clubs by Phillips & Sul (2007), adjacent clubs not merged")
    # Markov chains
    if balanced.shape[1] >= 3:
        mk = markov(balanced.to_numpy(), k=k, fixed=False)
        t = mk.to_frame()
        t.insert(0, "classes", "per-year quantiles of value / yearly mean")
        res.tables["markov"] = t
        res.tables["markov_summary"] = pd.DataFrame({
            "class": np.arange(1, mk.k + 1), "steady_state": mk.steady_state,
            "sojourn_years": mk.sojourn, "observed_from": mk.transitions.sum(axis=1)})
        sm = spatial_markov(balanced.to_numpy(), W, k=k, m=k, fixed=True)
        res.tables["spatial_markov"] = sm.to_frame()
        res.tables["spatial_markov_tests"] = pd.DataFrame([{
            "Q": sm.Q, "Q_p_value": sm.Q_p_value, "LR": sm.LR, "LR_p_value": sm.LR_p_value,
            "dof": sm.dof}])
    # spatial autocorrelation per year (same W every year)
    mor = []
    for year in wide.columns:
        v = wide[year].reindex(balanced.index)
        if v.isna().any():
            continue
        m = morans_i(v.to_numpy(), W, permutations=permutations, seed=seed)
        g = gearys_c(v.to_numpy(), W, permutations=permutations, seed=seed)
        mor.append({"year": int(year), "I": m.I, "EI": m.EI, "z_norm": m.z_norm,
                    "p_norm": m.p_norm, "p_sim": m.p_sim, "geary_C": g.C,
                    "geary_p_sim": g.p_sim})
    res.tables["morans_i"] = pd.DataFrame(mor)
    last = balanced.columns[-1]
    lm = local_morans(balanced[last].to_numpy(), W, permutations=permutations, seed=seed)
    lisa = lm.to_frame(balanced.index)
    lisa.insert(0, "year", int(last))
    lisa.insert(0, "region", [panel.region_label(c) for c in lisa.index])
    res.tables["lisa"] = lisa.reset_index(names="region_code")
    # GeoDetector: which regional partitions and structural factors stratify the indicator
    if panel.registry is not None and "macro_region" in panel.registry.partitions:
        y = balanced[last]
        X = pd.DataFrame({"macro_region": panel.registry.partition("macro_region",
                                                                   y.index).to_numpy(),
                          "three_belts": panel.registry.partition("three_belts",
                                                                  y.index).to_numpy()},
                         index=y.index)
        if {"population_urban", "population_total"} <= set(panel.indicators):
            u = panel.wide("population_urban").get(last)
            tot = panel.wide("population_total").get(last)
            if u is not None and tot is not None:
                share = (u / tot).reindex(y.index)
                if share.notna().all():
                    X["urbanisation_quartile"] = discretize(share, "quantile", 4)
        gd = geodetector(y.to_numpy(), X)
        res.tables["geodetector"] = gd.to_frame().reset_index(names="factor").assign(
            year=int(last))
        res.tables["geodetector_interaction"] = gd.interaction
    # gravity centre and standard deviational ellipse (weights: the indicator's values)
    if panel.registry is not None:
        try:
            cen = panel.registry.centroids()
            res.tables["gravity_centre"] = shape_over_time(wide, cen)
        except ValueError:
            res.notes.append("no centroids in the registry: gravity centre skipped")
    for t in res.tables.values():
        if "indicator" not in t.columns:
            t.insert(0, "indicator", indicator)
    res.notes.insert(0, f"{indicator}: {name_zh} / {name_en}")
    return res
