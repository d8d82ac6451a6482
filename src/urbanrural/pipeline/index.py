"""Run a composite-index framework over a panel: indicators → normalisation → weights at every
level → scores → coupling coordination → obstacle degrees, with every intermediate table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import Panel
from ..data.errors import DataError, Issue
from ..data.registry import NATIONAL_CODE
from ..methods.composite.aggregate import AGGREGATIONS
from ..methods.composite.coupling import coupling_coordination
from ..methods.composite.normalize import normalize
from ..methods.composite.obstacle import obstacle_degree
from ..methods.composite.weights import WEIGHTS
from .framework import Framework, Node, load_framework

__all__ = ["IndexResult", "run_index"]


@dataclass
class IndexResult:
    """Everything a framework run produced. ``tables`` maps a name to a tidy DataFrame:

    scores (total and every node, per region-year, with rank), weights (local and global per
    node), normalized (per indicator), coupling, obstacles (per indicator and per top-level
    dimension, in %), top_obstacles, excluded (region-years left out, and why) and unavailable
    (indicators and dimensions the data cannot fill). ``framework`` carries the spec.
    """

    framework: Framework
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self, name: str = "scores") -> pd.DataFrame:
        return self.tables[name]


def _resolve_indicators(panel: Panel, fw: Framework) -> tuple[Panel, list[dict]]:
    unavailable = []
    for leaf in fw.indicators():
        if leaf.source is not None:
            if leaf.source not in panel.indicators:
                unavailable.append({"indicator": leaf.id, "name_zh": leaf.name_zh,
                                    "name_en": leaf.name_en,
                                    "reason": f"'{leaf.source}' is not in the data"})
            continue
        f = leaf.formula
        missing = [x for x in (f["a"], f["b"]) if x not in panel.indicators]
        if missing:
            unavailable.append({"indicator": leaf.id, "name_zh": leaf.name_zh,
                                "name_en": leaf.name_en,
                                "reason": f"needs {', '.join(missing)}, not in the data"})
            continue
        if leaf.id not in panel.indicators:
            panel = panel.derive(leaf.id, f["kind"], f["a"], f["b"], name_zh=leaf.name_zh,
                                 name_en=leaf.name_en, unit=f.get("unit"))
    return panel, unavailable


def _prune(node: Node, keep: set[str], dropped: list[dict]) -> Node | None:
    if node.is_leaf:
        return node if node.id in keep else None
    kids = [k for k in (_prune(c, keep, dropped) for c in node.children) if k is not None]
    if not kids:
        dropped.append({"indicator": node.id, "name_zh": node.name_zh, "name_en": node.name_en,
                        "reason": "dimension cannot be filled: none of its indicators is "
                                  "available"})
        return None
    w = node.weights
    if isinstance(w, dict):
        ids = [k.id for k in kids]
        sub = {k: v for k, v in w.items() if k in ids}
        tot = sum(sub.values())
        w = {k: v / tot for k, v in sub.items()} if tot > 0 else "equal"
    return Node(node.id, node.name_zh, node.name_en, kids, w, notes=node.notes)


def _weights(method, M: np.ndarray, child_ids: list[str], node_id: str) -> np.ndarray:
    if isinstance(method, dict):
        return np.array([method[c] for c in child_ids])
    if len(child_ids) == 1:
        return np.ones(1)
    try:
        return WEIGHTS[method](M, child_ids)
    except DataError as e:
        raise DataError([Issue(f"weights of '{node_id}': {i.reason}", column=i.column)
                         for i in e.issues]) from e


def _aggregate(kind: str, M: np.ndarray, w: np.ndarray, child_ids: list[str]) -> np.ndarray:
    return AGGREGATIONS[kind](M, w, child_ids)


def _bounds(fw: Framework) -> tuple[float, float] | None:
    """``normalization: {bounds: [lo, hi]}``: the normalised [0, 1] values are mapped linearly
    to [lo, hi] before weighting and aggregation (COINr's [1, 100] keeps geometric means and
    logarithms away from exact zeros)."""
    b = fw.normalization.get("bounds")
    if b is None:
        return None
    try:
        lo, hi = (float(v) for v in b)
    except (TypeError, ValueError):
        raise DataError(Issue(f"normalization bounds must be two numbers [lo, hi], not {b!r}",
                              value=fw.id)) from None
    if not (np.isfinite([lo, hi]).all() and lo < hi):
        raise DataError(Issue(f"normalization bounds must satisfy lo < hi, not {b!r}",
                              value=fw.id))
    return lo, hi


def run_index(panel: Panel, framework: str | Framework | dict, *, top_k: int = 3
              ) -> IndexResult:
    """Compute a framework's index for every region-year with complete indicators.

    Region-years missing any available indicator are left out and listed (``excluded``);
    indicators absent from the data or present for less than ``min_coverage`` of the
    region-years in the window are dropped and listed (``unavailable``), and their siblings'
    fixed weights renormalised. Nothing is imputed.

    The framework's ``aggregation`` (``weighted_sum`` by default, ``geometric``, ``topsis`` or
    ``grey_relational``) combines the children of every node. ``normalization: {bounds: [lo,
    hi]}`` maps the normalised [0, 1] values to [lo, hi] before weighting and aggregation;
    ``geometric`` needs it (min-max puts every indicator's minimum at exactly 0, which would
    make the product 0), e.g. ``bounds: [1, 100]`` as COINr. Obstacle degrees always use the
    [0, 1] values, and coupling uses the subsystem scores mapped back to [0, 1].

    Every node's score is the aggregation of its children's, S = Σⱼ wⱼ zⱼ by default (see
    :func:`~urbanrural.methods.composite.normalize`, the weight methods and
    :func:`~urbanrural.methods.composite.weighted_sum` for formulas and sources).

    Parameters
    ----------
    panel : Panel
        The data; the framework's indicators are its ``source`` ids or formulas of them.
    framework : str, Framework or dict
        A built-in name, a loaded :class:`Framework`, or a spec (see :func:`load_framework`).
    top_k : int, default 3
        Number of largest obstacles listed per region-year.

    Returns
    -------
    IndexResult
        ``tables`` (scores, weights, normalized, obstacles, top_obstacles, excluded,
        unavailable…) and notes.

    Raises
    ------
    DataError
        When no indicator of the framework is available, or none has enough coverage.

    Examples
    --------
    Three regions and two indicators: Beijing is best on both (lowest urban–rural ratio,
    highest rural income), so after min–max normalisation its score is 1 and Hebei's 0:

    >>> import pandas as pd
    >>> from urbanrural.data import Panel, china
    >>> spec = {"id": "example", "name_zh": "示例", "name_en": "Example",
    ...         "nodes": [{"id": "income", "name_zh": "收入", "name_en": "Income",
    ...                    "indicators": [
    ...                        {"id": "ratio", "name_zh": "城乡收入比", "name_en": "Income ratio",
    ...                         "direction": "cost", "source": "income_ratio"},
    ...                        {"id": "rural", "name_zh": "农村收入", "name_en": "Rural income",
    ...                         "direction": "benefit", "source": "rural_income"}]}]}
    >>> data = pd.DataFrame({"region_code": ["110000", "120000", "130000"] * 2, "year": 2020,
    ...                      "indicator": ["income_ratio"] * 3 + ["rural_income"] * 3,
    ...                      "value": [2.0, 3.0, 4.0, 3.0, 2.0, 1.0]})
    >>> r = run_index(Panel(data, registry=china()), spec)
    >>> r.tables["scores"][["region_en", "total", "rank"]].values.tolist()
    [['Beijing', 1.0, 1], ['Tianjin', 0.5, 2], ['Hebei', 0.0, 3]]
    """
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    res = IndexResult(fw)
    panel, unavailable = _resolve_indicators(panel, fw)
    leaves = [lf for lf in fw.indicators() if lf.id not in {u["indicator"] for u in unavailable}]
    ids = [lf.source if lf.source is not None else lf.id for lf in leaves]
    regions = [c for c in panel.regions if c != NATIONAL_CODE] or panel.regions
    years = panel.years
    if fw.years:
        years = [y for y in years if fw.years[0] <= y <= fw.years[1]]
    if not years or not leaves:
        raise DataError(Issue(f"framework '{fw.id}' has no available indicator in the data "
                              "for its years", value=fw.id))
    cube = panel.to_array(regions=regions, years=years, indicators=ids)
    present = ~cube.missing
    coverage = present.reshape(-1, len(ids)).mean(axis=0)
    keep_mask = coverage >= fw.min_coverage
    cov_by_id = {lf.id: float(c) for lf, c in zip(leaves, coverage, strict=True)}
    for j in np.flatnonzero(~keep_mask):
        lf = leaves[j]
        unavailable.append({"indicator": lf.id, "name_zh": lf.name_zh, "name_en": lf.name_en,
                            "reason": f"covers {coverage[j]:.0%} of the {len(regions)} regions "
                                      f"× {len(years)} years, below the framework's minimum "
                                      f"{fw.min_coverage:.0%}"})
    leaves = [lf for lf, k in zip(leaves, keep_mask, strict=True) if k]
    ids = [i for i, k in zip(ids, keep_mask, strict=True) if k]
    if not leaves:
        raise DataError(Issue(f"no indicator of '{fw.id}' has enough coverage", value=fw.id))
    dropped: list[dict] = []
    root = _prune(fw.root, {lf.id for lf in leaves}, dropped)
    unavailable.extend(dropped)
    values = cube.values[:, :, keep_mask].reshape(-1, len(ids))
    ok = np.isfinite(values).all(axis=1)
    reg_idx, yr_idx = np.divmod(np.arange(values.shape[0]), len(years))
    miss_rows = np.flatnonzero(~ok & np.isfinite(values).any(axis=1))
    res.tables["excluded"] = pd.DataFrame({
        "region_code": np.asarray(regions)[reg_idx[miss_rows]],
        "region_zh": [panel.region_label(regions[i]) for i in reg_idx[miss_rows]],
        "region_en": [panel.region_label(regions[i], "en") for i in reg_idx[miss_rows]],
        "year": np.asarray(years)[yr_idx[miss_rows]],
        "missing": [", ".join(np.asarray(ids)[~np.isfinite(values[r])]) for r in miss_rows],
    })
    X = values[ok]
    unit_region = np.asarray(regions)[reg_idx[ok]]
    unit_year = np.asarray(years)[yr_idx[ok]]
    if X.shape[0] < 2:
        raise DataError(Issue("fewer than two region-years have every available indicator",
                              value=fw.id))
    directions = np.array([lf.direction for lf in leaves], dtype=float)
    mode = fw.normalization.get("mode", "pooled")
    method = fw.normalization.get("method", "minmax")
    if mode == "goalposts":
        gp = np.array([fw.normalization.get("goalposts", {}).get(lf.id, [np.nan, np.nan])
                       for lf in leaves], dtype=float)
        if np.isnan(gp).any():
            raise DataError(Issue("goalposts mode needs goalposts for every indicator",
                                  value=fw.id))
        Z = normalize(X, directions=directions, method="goalposts", goalposts=gp.T, names=ids)
        slices = [np.arange(X.shape[0])]
    elif mode == "pooled":
        Z = normalize(X, directions=directions, method=method, names=ids)
        slices = [np.arange(X.shape[0])]
    else:  # per_year: every year normalised (and weighted) on its own
        Z = np.empty_like(X)
        slices = [np.flatnonzero(unit_year == y) for y in np.unique(unit_year)]
        for s in slices:
            Z[s] = normalize(X[s], directions=directions, method=method, names=ids)
    aggregation = fw.spec.get("aggregation", "weighted_sum")
    if aggregation not in AGGREGATIONS:
        raise DataError(Issue(f"unknown aggregation {aggregation!r}; use one of "
                              f"{', '.join(AGGREGATIONS)}", value=fw.id))
    bounds = _bounds(fw)
    # Z stays in [0, 1] for the obstacle degrees; Zagg (Z mapped to the declared bounds) is
    # what is weighted and aggregated, and what the ``normalized`` table shows
    Zagg = Z if bounds is None else bounds[0] + (bounds[1] - bounds[0]) * Z
    if aggregation == "geometric" and (Zagg <= 0).any():
        bad = np.asarray([lf.id for lf in leaves])[(Zagg <= 0).any(axis=0)]
        raise DataError([Issue(
            f"framework '{fw.id}': aggregation 'geometric' needs positive normalised values, "
            f"but {method if mode != 'goalposts' else 'goalposts'} normalisation gives "
            f"{'zeros' if bounds is None else 'values ≤ 0'} (a zero makes the whole product "
            "zero); give the normalisation a positive range in the framework, e.g. "
            "normalization: {method: minmax, mode: pooled, bounds: [1, 100]}", column=str(c))
            for c in bad])
    if bounds is not None:
        res.notes.append(f"normalised values mapped to [{bounds[0]:g}, {bounds[1]:g}] before "
                         "weighting and aggregation (normalization bounds); coupling uses "
                         "the scores mapped back to [0, 1]")
    leaf_pos = {lf.id: j for j, lf in enumerate(leaves)}
    scores = {}
    global_w = np.zeros((len(slices), len(leaves)))
    weight_rows = []

    def evaluate(node: Node, s_idx: int, rows: np.ndarray) -> np.ndarray:
        if node.is_leaf:
            return Zagg[rows, leaf_pos[node.id]]
        M = np.column_stack([evaluate(c, s_idx, rows) for c in node.children])
        w = _weights(node.weights, M, [c.id for c in node.children], node.id)
        for c, wc in zip(node.children, w, strict=True):
            weight_rows.append({"slice": s_idx, "node": c.id, "parent": node.id,
                                "method": node.weights if isinstance(node.weights, str)
                                else "fixed", "weight": float(wc)})
        score = _aggregate(aggregation, M, w, [c.id for c in node.children]) \
            if M.shape[1] > 1 else M[:, 0]
        scores.setdefault(node.id, np.full(Z.shape[0], np.nan))[rows] = score
        return score

    for s_idx, rows in enumerate(slices):
        evaluate(root, s_idx, rows)
    wt = pd.DataFrame(weight_rows)
    # global weight = product of local weights along the path (METHODS_GUIDE: obstacle degree)
    parent = {n.id: p for n, _, p in root.walk()}
    depth = {n.id: d for n, d, _ in root.walk()}
    local = wt.set_index(["slice", "node"])["weight"]
    for s_idx in range(len(slices)):
        for lf in leaves:
            g, node = 1.0, lf.id
            while parent.get(node) is not None:
                g *= float(local.loc[(s_idx, node)])
                node = parent[node]
            global_w[s_idx, leaf_pos[lf.id]] = g
    wt["level"] = wt.node.map(depth)
    gw_map = {(s, lf.id): global_w[s, leaf_pos[lf.id]] for s in range(len(slices))
              for lf in leaves}
    wt["global_weight"] = [gw_map.get((s, n), np.nan) for s, n in zip(wt.slice, wt.node,
                                                                        strict=True)]
    node_names = {n.id: (n.name_zh, n.name_en) for n, _, _ in root.walk()}
    wt.insert(2, "name_zh", wt.node.map(lambda n: node_names[n][0]))
    wt.insert(3, "name_en", wt.node.map(lambda n: node_names[n][1]))
    if mode == "per_year":
        wt.insert(0, "year", [int(np.unique(unit_year)[s]) for s in wt.slice])
    res.tables["weights"] = wt.drop(columns="slice")
    # scores
    sc = pd.DataFrame({"region_code": unit_region,
                       "region_zh": [panel.region_label(c) for c in unit_region],
                       "region_en": [panel.region_label(c, "en") for c in unit_region],
                       "year": unit_year, "total": scores[root.id]})
    for c in root.children:
        if not c.is_leaf:
            sc[c.id] = scores[c.id]
    sc["rank"] = sc.groupby("year")["total"].rank(ascending=False, method="min").astype(int)
    res.tables["scores"] = sc.sort_values(["year", "rank"], ignore_index=True)
    res.tables["normalized"] = pd.DataFrame(Zagg, columns=[lf.id for lf in leaves]).assign(
        region_code=unit_region, year=unit_year).melt(
        id_vars=["region_code", "year"], var_name="indicator", value_name="value")
    # coupling between top-level systems
    if fw.coupling:
        systems = [s for s in fw.coupling["systems"] if s in scores]
        if len(systems) >= 2:
            U = np.column_stack([scores[s] for s in systems])
            if bounds is not None:  # the coupling model needs subsystem scores in [0, 1]
                U = (U - bounds[0]) / (bounds[1] - bounds[0])
            cc = coupling_coordination(U, alpha=fw.coupling.get("alpha"),
                                       form=fw.coupling.get("form", "standard"),
                                       systems=systems)
            ct = cc.to_frame()
            ct.insert(0, "region_code", unit_region)
            ct.insert(1, "region_zh", [panel.region_label(c) for c in unit_region])
            ct.insert(2, "year", unit_year)
            for j, s in enumerate(systems):
                ct[f"U_{s}"] = U[:, j]
            ct["lagging_zh"] = ct.lagging.map(lambda s: node_names[s][0])
            ct["lagging_en"] = ct.lagging.map(lambda s: node_names[s][1])
            ct.insert(2, "region_en", [panel.region_label(c, "en") for c in unit_region])
            if len(systems) == 2:  # the gap between the two subsystems, e.g. urban − rural
                ct[f"gap_{systems[0]}_minus_{systems[1]}"] = scores[systems[0]] - \
                    scores[systems[1]]
            res.tables["coupling"] = ct
        else:
            res.notes.append("coupling skipped: fewer than two of its systems are available")
    # obstacles with global weights (per slice)
    O = np.empty_like(Z)
    for s_idx, rows in enumerate(slices):
        O[rows] = obstacle_degree(np.clip(Z[rows], 0, 1), global_w[s_idx])
    ob = pd.DataFrame(O, columns=[lf.id for lf in leaves])
    top_of = {}
    for c in root.children:
        for lf in c.leaves():
            top_of[lf.id] = c.id
    dims = ob.T.groupby(np.asarray([top_of.get(i, i) for i in ob.columns])).sum().T
    ob_long = ob.assign(region_code=unit_region, year=unit_year).melt(
        id_vars=["region_code", "year"], var_name="indicator", value_name="obstacle")
    ob_long["dimension"] = ob_long.indicator.map(top_of)
    res.tables["obstacles"] = ob_long
    dims_long = dims.assign(region_code=unit_region, year=unit_year).melt(
        id_vars=["region_code", "year"], var_name="dimension", value_name="obstacle")
    dims_long["name_zh"] = dims_long.dimension.map(lambda d: node_names[d][0])
    dims_long["name_en"] = dims_long.dimension.map(lambda d: node_names[d][1])
    res.tables["dimension_obstacles"] = dims_long
    k = min(top_k, O.shape[1])
    order = np.argsort(-O, axis=1, kind="stable")[:, :k]
    leaf_ids = np.asarray([lf.id for lf in leaves])
    reg_zh = np.asarray([panel.region_label(c) for c in unit_region], dtype=object)
    reg_en = np.asarray([panel.region_label(c, "en") for c in unit_region], dtype=object)
    res.tables["top_obstacles"] = pd.DataFrame({
        "region_code": np.repeat(unit_region, k), "region_zh": np.repeat(reg_zh, k),
        "region_en": np.repeat(reg_en, k), "year": np.repeat(unit_year, k),
        "rank": np.tile(np.arange(1, k + 1), O.shape[0]),
        "indicator": leaf_ids[order].ravel(),
        "name_zh": [node_names[i][0] for i in leaf_ids[order].ravel()],
        "name_en": [node_names[i][1] for i in leaf_ids[order].ravel()],
        "obstacle": np.take_along_axis(O, order, axis=1).ravel()})
    res.tables["unavailable"] = pd.DataFrame(unavailable, columns=["indicator", "name_zh",
                                                                   "name_en", "reason"])
    res.tables["indicators"] = pd.DataFrame([{
        "indicator": lf.id, "name_zh": lf.name_zh, "name_en": lf.name_en, "unit": lf.unit,
        "direction": "benefit" if lf.direction > 0 else "cost",
        "dimension": top_of.get(lf.id, ""),
        "source": lf.source or f"{lf.formula['kind']}({lf.formula['a']}, {lf.formula['b']})",
        "coverage": cov_by_id[lf.id],
        "literature": lf.literature} for lf in leaves])
    return res
