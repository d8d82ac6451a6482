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
from ..methods.dynamics.markov import markov, markov_classes, spatial_markov
from ..methods.spatial.autocorrelation import gearys_c, local_morans, morans_i
from ..methods.spatial.geodetector import discretize, geodetector
from ..methods.spatial.shape import shape_over_time
from ..methods.spatial.weights import spatial_weights

__all__ = ["DynamicsResult", "run_dynamics", "indicator_table", "circular_factors",
           "STRUCTURAL_FACTORS"]


@dataclass
class DynamicsResult:
    indicator: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self, name: str) -> pd.DataFrame:
        return self.tables[name]


# structural factors of the GeoDetector, each defined as a formula over panel indicators
# (kind, numerator, denominator), so that it can be matched against the explained variable
STRUCTURAL_FACTORS = {"urbanisation_quartile": ("share", "population_urban", "population_total")}


@dataclass(frozen=True)
class _Explained:
    """The explained variable: values, names, and what it is built from (formulas as
    (kind, a, b) and panel indicator ids), to recognise circular GeoDetector factors."""

    wide: pd.DataFrame
    name_zh: str
    name_en: str
    formulas: frozenset = frozenset()
    inputs: frozenset = frozenset()
    is_index: bool = False


def _explained(panel: Panel, indicator: str) -> _Explained:
    if indicator.startswith("index:"):
        from .index import run_index

        res = run_index(panel, indicator.split(":", 1)[1])
        sc = res.tables["scores"]
        wide = sc.pivot(index="region_code", columns="year", values="total")
        used = set(res.tables["indicators"].indicator)
        leaves = [lf for lf in res.framework.indicators() if lf.id in used]
        formulas = {(lf.formula["kind"], lf.formula["a"], lf.formula["b"]) for lf in leaves
                    if lf.formula}
        inputs = {x for lf in leaves for x in ((lf.source,) if lf.source else
                                               (lf.formula["a"], lf.formula["b"]))}
        return _Explained(wide, res.framework.name_zh, res.framework.name_en,
                          frozenset(formulas), frozenset(inputs), True)
    formulas, inputs = set(), {indicator}
    if indicator == "gdp_per_capita" and indicator not in panel.indicators:
        panel = panel.derive("gdp_per_capita", "per_capita", "gdp", "population_total",
                             name_zh="人均地区生产总值", name_en="GDP per capita")
        formulas, inputs = {("per_capita", "gdp", "population_total")}, {"gdp",
                                                                          "population_total"}
    if indicator not in panel.indicators:
        panel._check_indicators([indicator])
    meta = panel.indicators[indicator]
    wide = panel.wide(indicator)
    wide = wide.drop(index=[NATIONAL_CODE], errors="ignore")
    return _Explained(wide, meta.name_zh or indicator, meta.name_en or indicator,
                      frozenset(formulas), frozenset(inputs))


def indicator_table(panel: Panel, indicator: str) -> tuple[pd.DataFrame, str, str]:
    """Regions × years values of an indicator id, of ``gdp_per_capita`` (derived), or of a
    framework's index (``index:NAME``). Returns the table and its Chinese/English names."""
    e = _explained(panel, indicator)
    return e.wide, e.name_zh, e.name_en


def circular_factors(explained: _Explained, factors=STRUCTURAL_FACTORS) -> list[str]:
    """Factors that are components of the explained variable: the same formula as one of the
    index's indicators, a numerator that is one of its inputs, or (for a single indicator)
    built from that indicator. A shared denominator alone (population in every per-capita
    indicator) does not make a factor circular."""
    out = []
    for name, (kind, a, b) in factors.items():
        same = (kind, a, b) in explained.formulas or a in explained.inputs
        if not explained.is_index:
            same = same or bool({a, b} & explained.inputs)
        if same:
            out.append(name)
    return out


def run_dynamics(panel: Panel, indicator: str, *, k: int = 4, permutations: int = 999,
                 seed: int = 12345, hainan_link: str | None = "guangdong",
                 contiguity: str = "queen", alpha: float = 0.05,
                 lisa_significance: str = "fdr") -> DynamicsResult:
    """All dynamics tables for one indicator.

    β-convergence, Markov chains, Moran's I, LISA, GeoDetector and the gravity centre use the
    balanced part of the panel (regions with every year), so that every year compares the same
    regions; the regions left out are listed in the notes, and appear in the LISA table as
    untested. Both Markov chains share one class definition (pooled quartiles — ``k`` classes
    — of value / yearly mean; table ``markov_classes``). The spatial statistics use the queen
    contiguity of the provinces with Hainan linked to Guangdong by default (say
    ``hainan_link=None`` to keep it an island; islands are reported either way). LISA clusters
    are significant under ``lisa_significance`` (``fdr`` by default; see
    :func:`~urbanrural.methods.spatial.autocorrelation.local_morans`) at ``alpha``.
    GeoDetector factors that are components of the explained index are flagged ``circular``.
    """
    explained = _explained(panel, indicator)
    wide, name_zh, name_en = explained.wide, explained.name_zh, explained.name_en
    res = DynamicsResult(indicator)
    wide = wide.dropna(axis=1, how="all")
    if wide.shape[0] < 5 or wide.shape[1] < 2:
        raise DataError(Issue("dynamics need at least 5 regions and 2 years", value=indicator))
    bounded = bool(wide.min().min() >= 0 and wide.max().max() <= 1)
    kde = kernel_density(wide, bounds=(0.0, 1.0) if bounded else None)
    res.tables["kde_density"] = kde.density
    res.tables["kde_summary"] = kde.summary
    positive = bool((wide.dropna().to_numpy() > 0).all())
    measures = ["sd_log"] if positive else []
    if (wide.mean() > 0).all():  # σ/μ is meaningless for a mean ≤ 0 (e.g. z-scores)
        measures.append("cv")
    else:
        res.notes.append("σ-convergence by CV skipped: the yearly mean is not positive in "
                         "every year")
    if measures:
        res.tables["sigma_convergence"] = pd.concat(
            [sigma_convergence(wide, measure=m) for m in measures], ignore_index=True)
    balanced = wide.dropna()
    dropped = sorted(set(wide.index) - set(balanced.index))
    if dropped:
        res.notes.append(
            f"{len(dropped)} region(s) without every year, left out of β-convergence, Markov "
            f"chains, Moran's I, LISA (shown as untested), GeoDetector and the gravity centre, "
            f"so that every year compares the same {len(balanced)} regions: "
            f"{', '.join(f'{c} {panel.region_label(c)}' for c in dropped)}")
    W = spatial_weights(balanced.index, kind=contiguity, hainan_link=hainan_link)
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
    # Markov chains: one class definition, computed once, for the classical and the spatial
    # chain, so that their matrices share bounds (pooled quantiles, giddy's fixed=True)
    if balanced.shape[1] >= 3:
        relative = bool((balanced.mean() > 0).all())
        classes = markov_classes(balanced, k=k, pooled=True, relative=relative)
        if not relative:
            res.notes.append("Markov classes on the values themselves: the yearly mean is not "
                             "positive in every year, so value / mean is undefined")
        mk = markov(balanced.to_numpy(), classes=classes)
        t = mk.to_frame()
        t.insert(0, "classes", classes.description)
        res.tables["markov"] = t
        res.tables["markov_summary"] = pd.DataFrame({
            "class": np.arange(1, mk.k + 1), "steady_state": mk.steady_state,
            "sojourn_years": mk.sojourn, "observed_from": mk.transitions.sum(axis=1)})
        sm = spatial_markov(balanced.to_numpy(), W, classes=classes)
        st = sm.to_frame()
        st.insert(0, "classes", classes.description)
        res.tables["spatial_markov"] = st
        res.tables["markov_classes"] = pd.concat(
            [classes.to_frame().assign(variable="value", used_by="markov, spatial_markov"),
             sm.lag_classes.to_frame().assign(variable="spatial lag",
                                              used_by="spatial_markov (lag classes)")],
            ignore_index=True)
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
    # LISA on the same regions as Moran's I; every region of the data gets a row, and those
    # outside the balanced panel are untested ("no data"), never "not significant"
    W_all = spatial_weights(wide.index, kind=contiguity, hainan_link=hainan_link)
    y_last = balanced[last].reindex(wide.index)
    lm = local_morans(y_last.to_numpy(), W_all, permutations=permutations, seed=seed,
                      alpha=alpha, significance=lisa_significance)
    lisa = lm.to_frame(wide.index)
    outside = ~wide.index.isin(balanced.index)
    lisa.loc[outside, "untested_reason"] = np.where(
        wide[last][outside].notna(), "not in every year (the spatial statistics use the regions "
        "with every year)", "no value")
    lisa.insert(0, "year", int(last))
    lisa.insert(0, "region_en", [panel.region_label(c, "en") for c in lisa.index])
    lisa.insert(0, "region_zh", [panel.region_label(c) for c in lisa.index])
    res.tables["lisa"] = lisa.reset_index(names="region_code")
    res.notes.append(f"LISA {int(last)}: {lm.method('en')}; "
                     f"{int(lm.significant.sum())} significant cluster(s); "
                     f"{int((~lm.tested).sum())} region(s) untested")
    # GeoDetector: which regional partitions and structural factors stratify the indicator
    if panel.registry is not None and "macro_region" in panel.registry.partitions:
        y = balanced[last]
        X = pd.DataFrame({"macro_region": panel.registry.partition("macro_region",
                                                                   y.index).to_numpy(),
                          "three_belts": panel.registry.partition("three_belts",
                                                                  y.index).to_numpy()},
                         index=y.index)
        _, num, den = STRUCTURAL_FACTORS["urbanisation_quartile"]
        if {num, den} <= set(panel.indicators):
            u, tot = panel.wide(num).get(last), panel.wide(den).get(last)
            if u is not None and tot is not None:
                share = (u / tot).reindex(y.index)
                if share.notna().all():
                    X["urbanisation_quartile"] = discretize(share, method="quantile", k=4)
        circular = [f for f in circular_factors(explained) if f in X.columns]
        gd = geodetector(y.to_numpy(), X, components=circular)
        res.tables["geodetector"] = gd.to_frame().reset_index(names="factor").assign(
            year=int(last))
        if circular:
            res.notes.append(f"GeoDetector: {', '.join(circular)} is a component of "
                             f"{indicator} (circular: its q is high by construction, not "
                             "evidence of a driver)")
        res.tables["geodetector_interaction"] = gd.interaction
    # gravity centre and standard deviational ellipse (weights: the indicator's values), on
    # the balanced panel: a region entering the data would move the centre by itself
    if panel.registry is not None:
        try:
            cen = panel.registry.centroids()
        except ValueError:
            res.notes.append("no centroids in the registry: gravity centre skipped")
        else:
            if (balanced.to_numpy() >= 0).all():
                res.tables["gravity_centre"] = shape_over_time(balanced, cen)
            else:
                res.notes.append("gravity centre skipped: it needs non-negative weights")
    for t in res.tables.values():
        if "indicator" not in t.columns:
            t.insert(0, "indicator", indicator)
    res.notes.insert(0, f"{indicator}: {name_zh} / {name_en}")
    return res
