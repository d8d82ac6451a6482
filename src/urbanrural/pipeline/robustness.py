"""Robustness of a framework's index: every region's rank under the choices the index is built
from (normalisation, weighting, aggregation, an indicator left out, noisy weights), and the
Sobol' sensitivity of the ranks to each choice.

The index is prepared exactly as :func:`~urbanrural.pipeline.index.run_index` prepares it (the
same region-years, indicators and pruned tree; the nominal scores and ranks are run_index's,
checked at every call), then handed as arrays to
:func:`urbanrural.methods.robustness.uncertainty.rank_uncertainty`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from ..data import Panel
from ..data.errors import DataError, Issue
from ..methods.composite.aggregate import AGGREGATIONS
from ..methods.composite.normalize import normalize
from ..methods.composite.weights import WEIGHTS
from ..methods.robustness.engine import FRAMEWORK, IndexTree, UndefinedWeightsError, noisy_multipliers
from ..methods.robustness.uncertainty import FACTOR_ORDER, RankUncertainty, rank_uncertainty
from .framework import Framework, Node, load_framework
from .index import IndexResult, _bounds, _prune, _resolve_indicators, run_index

__all__ = ["UncertaintyChoices", "IndexUncertainty", "index_uncertainty", "NORMALISATIONS",
           "FACTOR_LABELS", "LEVEL_LABELS"]

# normalisation levels: [0, 1] methods, and z-scores on COINr's sensitivity scale (mean 10,
# sd 2: positive, so that entropy weights and geometric means are defined; COINr vignette
# "Sensitivity analysis", norm_alts with n_zscore m_sd = c(10, 2))
NORMALISATIONS = ("minmax", "zscore", "rank", "goalposts")
ZSCORE_MEAN, ZSCORE_SD = 10.0, 2.0
# a geometric mean of [0, 1] values would be zero wherever one indicator is at its minimum:
# such draws read the values mapped to [1, 100] (COINr's n_minmax l_u = c(1, 100))
GEOMETRIC_RANGE = (1.0, 100.0)
DEFAULT_NOISE = 0.25  # COINr get_noisy_weights example: ±25 % of each weight
NOISE_SETS = 100

FACTOR_LABELS = {
    "normalisation": ("标准化方法", "Normalisation"),
    "weighting": ("赋权方法", "Weighting"),
    "aggregation": ("合成方法", "Aggregation"),
    "leave_out": ("剔除一个指标", "Indicator left out"),
    "weight_noise": ("权重扰动", "Weight noise"),
}
LEVEL_LABELS = {
    "minmax": ("极差标准化", "min–max"), "zscore": ("Z分数", "z-score"),
    "rank": ("秩次", "rank"), "goalposts": ("固定阈值", "goalposts"),
    FRAMEWORK: ("框架自身的权重", "the framework's own weights"),
    "none": ("无", "none"),
}


@dataclass(frozen=True)
class UncertaintyChoices:
    """The levels of each factor. ``None`` takes the default; the framework's own choice is
    always level 0 (added when not listed), so the nominal index is one of the draws' levels.

    Attributes
    ----------
    normalisation : of :data:`NORMALISATIONS` (default: all; goalposts only when the
        framework gives goalposts for every indicator).
    weighting : ``"framework"`` and registered weight methods (default: framework, equal,
        entropy, critic, pca).
    aggregation : registered aggregations (default: weighted_sum, geometric, topsis).
    leave_out : indicator ids that may be left out one at a time (default: every indicator,
        when there are at least two); ``()`` for none.
    weight_noise : ε of the multipliers U(1 − ε, 1 + ε) (0: no noise).
    noise_sets : number of noisy weight sets the weight-noise factor picks from.

    Examples
    --------
    >>> c = UncertaintyChoices.single()
    >>> c.weighting, c.weight_noise
    ((), 0.0)
    >>> UncertaintyChoices.coerce({"aggregation": ["weighted_sum", "geometric"]}).aggregation
    ('weighted_sum', 'geometric')
    """

    normalisation: tuple[str, ...] | None = None
    weighting: tuple[str, ...] | None = None
    aggregation: tuple[str, ...] | None = None
    leave_out: tuple[str, ...] | None = None
    weight_noise: float = DEFAULT_NOISE
    noise_sets: int = NOISE_SETS

    @classmethod
    def single(cls) -> UncertaintyChoices:
        """Only the framework's own choice of every factor (no uncertainty at all)."""
        return cls(normalisation=(), weighting=(), aggregation=(), leave_out=(),
                   weight_noise=0.0)

    @classmethod
    def coerce(cls, value: UncertaintyChoices | Mapping | None) -> UncertaintyChoices:
        if value is None:
            return cls()
        if isinstance(value, UncertaintyChoices):
            return value
        unknown = sorted(set(value) - set(FACTOR_ORDER) - {"noise_sets"})
        if unknown:
            raise DataError([Issue(f"unknown factor {k!r}; known: {', '.join(FACTOR_ORDER)}",
                                   value=f"choices.{k}") for k in unknown])
        kw = {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in value.items()}
        return cls(**kw)


@dataclass(frozen=True)
class IndexUncertainty:
    """The robustness of one framework's index.

    Attributes
    ----------
    framework : the framework id; ``name_zh``/``name_en`` its names.
    ranked_over : ``"regions"`` (regions ranked within each year) or ``"years"`` (one region:
        its years ranked against each other, e.g. the national index).
    tables : ``ranks`` (one row per region-year: nominal score and rank, score and rank
        quantiles, top/bottom-k shares, share of draws that move the rank), ``sobol`` (first
        and total index of each factor on the mean absolute rank shift, with bootstrap 95 %
        half-widths and a ``sampling_error`` flag for S1 < 0 or ST > 1), ``sobol_ranks``
        (each factor's indices on each region-year's rank; ST half-widths for the last
        year), ``reversals`` (pairs of the last year whose order reverses in more than half
        of the draws, with the years of both) and ``choices`` (every factor's levels).
    result : the arrays (:class:`~urbanrural.methods.robustness.uncertainty.RankUncertainty`).
    notes : (zh, en) notes on default levels left out, and why.
    ranked_score : ``"T"`` (the composite score) or ``"D"`` (the coupling coordination
        degree), the score whose ranks the draws compare (see ``rank_by``).

    Examples
    --------
    With one level of every factor, every draw is the nominal index:

    >>> import urbanrural as ur
    >>> u = index_uncertainty(ur.load_dataset("world_countries"), "urban_rural_services",
    ...                       choices=UncertaintyChoices.single(), n=8, sobol=False)
    >>> u.ranked_over, sorted(u.tables)[:3]
    ('regions', ['choices', 'ranks', 'reversals'])
    """

    framework: str
    name_zh: str
    name_en: str
    ranked_over: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    result: RankUncertainty | None = None
    notes: tuple[tuple[str, str], ...] = ()
    ranked_score: str = "T"

    def to_frame(self, name: str = "ranks") -> pd.DataFrame:
        return self.tables[name]


def _tree(node: Node, column: dict[str, int]) -> IndexTree:
    if node.is_leaf:
        return IndexTree(node.id, column=column[node.id])
    w = node.weights
    weights = tuple(float(w[c.id]) for c in node.children) if isinstance(w, dict) else str(w)
    return IndexTree(node.id, tuple(_tree(c, column) for c in node.children), weights)


def _levels(given, default: tuple[str, ...], own: str) -> tuple[str, ...]:
    levels = default if given is None else tuple(given)
    return tuple(dict.fromkeys((own, *levels)))


def _prepare(panel: Panel, fw: Framework, res: IndexResult):
    """Raw matrix of the region-years run_index scored (in its row order), directions,
    goalposts and the pruned tree, exactly as run_index builds them."""
    panel, _ = _resolve_indicators(panel, fw)
    ind = res.tables["indicators"]
    leaf_ids = ind.indicator.tolist()
    by_id = {lf.id: lf for lf in fw.indicators()}
    sources = [by_id[i].source or i for i in leaf_ids]
    sc = res.tables["scores"]
    regions = list(dict.fromkeys(sc.region_code.astype(str)))
    years = sorted(int(y) for y in sc.year.unique())
    cube = panel.to_array(regions=regions, years=years, indicators=sources)
    r_pos = {r: i for i, r in enumerate(regions)}
    y_pos = {y: i for i, y in enumerate(years)}
    X = cube.values[[r_pos[r] for r in sc.region_code.astype(str)],
                    [y_pos[int(y)] for y in sc.year]]
    root = _prune(fw.root, set(leaf_ids), [])
    tree = _tree(root, {i: j for j, i in enumerate(leaf_ids)})
    directions = np.array([by_id[i].direction for i in leaf_ids], dtype=float)
    gp = fw.normalization.get("goalposts", {}) or {}
    goalposts = None
    if all(i in gp for i in leaf_ids):
        goalposts = np.array([gp[i] for i in leaf_ids], dtype=float).T
    return X, directions, goalposts, tree, leaf_ids


def _per_year(normalise, X, years):
    """``normalise(X)`` of a pooled framework, or of each year's rows on their own."""
    if years is None:
        return normalise(X)
    Z = np.empty_like(X, dtype=float)
    for y in np.unique(years):  # a loop over years, as run_index normalises them
        rows = np.flatnonzero(years == y)
        Z[rows] = normalise(X[rows])
    return Z


def _normalised(X, directions, goalposts, leaf_ids, method: str, bounds, *, years=None
                ) -> tuple[np.ndarray, np.ndarray]:
    """A normalisation level on the aggregation scale and on the positive scale (each year on
    its own when ``years`` are given, except goalposts, which are absolute)."""
    if method == "zscore":
        Z = ZSCORE_MEAN + ZSCORE_SD * _per_year(lambda x: normalize(
            x, directions=directions, method="zscore", names=leaf_ids), X, years)
        return Z, Z
    if method == "goalposts":
        Z = normalize(X, directions=directions, method="goalposts", goalposts=goalposts,
                      names=leaf_ids)
    else:
        Z = _per_year(lambda x: normalize(x, directions=directions, method=method,
                                          names=leaf_ids), X, years)
    if bounds is not None:
        Z = bounds[0] + (bounds[1] - bounds[0]) * Z
        return Z, Z
    lo, hi = GEOMETRIC_RANGE
    return Z, lo + (hi - lo) * Z


def index_uncertainty(panel: Panel, framework: str | Framework | dict, *,
                      choices: UncertaintyChoices | Mapping | None = None, n: int = 1000, seed: int = 0,
                      sobol: bool = True, top_k: int = 3, dask_client=None,
                      chunk_draws: int = 256, result: IndexResult | None = None,
                      rank_by: str = "auto", threads: int = 1
                      ) -> IndexUncertainty:
    r"""Uncertainty and sensitivity analysis of a framework's index (Saisana, Saltelli &
    Tarantola 2005; OECD/JRC Handbook 2008, steps 7; COINr ``get_sensitivity``).

    Each draw builds the index with one level of every factor — normalisation, weighting (at
    every node), aggregation (at every node), one indicator left out (fixed sibling weights
    renormalised, as run_index prunes), noisy weights (each × U(1 − ε, 1 + ε), renormalised)
    — and ranks the regions within each year. With ``sobol`` the draws follow Saltelli's
    design and first-order and total Sobol' indices of every factor are estimated on the
    mean absolute rank shift and on each region-year's rank (SALib).

    A framework normalised per year (``normalization: {mode: per_year}``) keeps its mode in
    every draw: each year's region-years are normalised, weighted (entropy, CRITIC, PCA) and
    aggregated (TOPSIS's ideal points) among themselves, as run_index does. Its goalposts
    level is the one exception to the normalisation: goalposts are absolute, the same in
    every year, but the weights and aggregation of that level still see one year at a time.

    Parameters
    ----------
    panel : Panel
        The data the framework is computed on.
    framework : str, dict or Framework
        A built-in framework name, a YAML path, a mapping or a loaded Framework.
    choices : UncertaintyChoices or mapping, optional
        The levels of every factor (default: ``UncertaintyChoices()``, every level).
    n : int, default 1000
        Draws asked for (with ``sobol``: N·(D + 2) ≤ n draws, N a power of two).
    seed : int, default 0
        Seed of the design, the noisy weights and the bootstrap.
    sobol : bool, default True
        Saltelli's design and Sobol' indices; ``False`` draws the factors at random.
    top_k : int, default 3
        The k of the top-k and bottom-k shares.
    dask_client : distributed.Client, optional
        A client whose workers run the tasks: one per chunk of draws (scores, ranks, sums),
        then one per block of units (rank bands, Sobol' indices). They are the same tasks on
        the same pieces as in process, so the result is identical for the same seed. Dask's
        nanny starts workers with ``MALLOC_TRIM_THRESHOLD_`` set, which doubles the time of
        each worker here (a warning says so); start the cluster after
        ``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
        None})`` and ``os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)`` (a LocalCluster
        started before leaves the variable in the environment later workers inherit).
    chunk_draws : int, default 256
        Draws evaluated together as one array batch (bounds memory).
    threads : int, default 1
        Threads running the same tasks in process (NumPy releases the GIL); the result is
        the same for any number of threads.
    result : IndexResult, optional
        run_index's result for this panel and framework, when already computed.
    rank_by : {"auto", "total", "coupling"}, default "auto"
        The score ranked in every draw: the composite score T (``"total"``) or the coupling
        coordination degree D = √(C·T) of the framework's coupled systems (``"coupling"``,
        Wang Shujia et al. 2021), computed per draw from the systems' scores mapped to
        [0, 1]; ``"auto"`` ranks D when the framework couples systems and ranks regions (as
        the report ranks such an index), T otherwise. D needs [0, 1] system scores, so
        z-scores are not a level then.

    Returns
    -------
    IndexUncertainty
        Its ``tables``: ``ranks``, ``sobol``, ``sobol_ranks``, ``reversals`` and ``choices``.

    Examples
    --------
    >>> import urbanrural as ur
    >>> u = index_uncertainty(ur.load_dataset("world_countries"), "urban_rural_services",
    ...                       choices=UncertaintyChoices.single(), n=8, sobol=False)
    >>> t = u.to_frame()
    >>> bool((t["rank_q05"] == t["rank"]).all() and (t["rank_q95"] == t["rank"]).all())
    True
    """
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    ch = UncertaintyChoices.coerce(choices)
    mode = fw.normalization.get("mode", "pooled")
    res = result if result is not None else run_index(panel, fw)
    X, directions, goalposts, tree, leaf_ids = _prepare(panel, fw, res)
    # a framework normalised per year: every level normalised, weighted and aggregated within
    # each year, as run_index does (goalposts are absolute: the same in any year)
    years = res.tables["scores"].year.to_numpy() if mode == "per_year" else None
    bounds = _bounds(fw)
    own_norm = "goalposts" if mode == "goalposts" else fw.normalization.get("method", "minmax")
    default_norm = tuple(m for m in NORMALISATIONS if m != "goalposts" or goalposts is not None)
    norms = _levels(ch.normalisation, default_norm, own_norm)
    for m in norms:
        if m not in NORMALISATIONS and m != own_norm:
            raise DataError(Issue(f"unknown normalisation {m!r}; use {', '.join(NORMALISATIONS)}",
                                  value="choices.normalisation"))
        if m == "goalposts" and goalposts is None:
            raise DataError(Issue("goalposts normalisation needs goalposts for every indicator "
                                  "in the framework", value="choices.normalisation"))
    all_equal = all(n_.weights == "equal" for n_, _, _ in fw.root.walk() if not n_.is_leaf)
    default_w = tuple(w for w in ("equal", "entropy", "critic", "pca")
                      if not (w == "equal" and all_equal))
    weighting = _levels(ch.weighting, default_w, FRAMEWORK)
    own_agg = fw.spec.get("aggregation", "weighted_sum")
    aggregation = _levels(ch.aggregation, ("weighted_sum", "geometric", "topsis"), own_agg)
    for name, levels, reg in (("weighting", weighting[1:], WEIGHTS),
                              ("aggregation", aggregation, AGGREGATIONS)):
        bad = [v for v in levels if v not in reg]
        if bad:
            raise DataError([Issue(f"unknown {name} method {v!r}; known: {', '.join(reg)}",
                                   value=f"choices.{name}") for v in bad])
    leave = tuple(leaf_ids) if ch.leave_out is None and len(leaf_ids) > 1 else (
        () if ch.leave_out is None else tuple(ch.leave_out))
    bad = [i for i in leave if i not in leaf_ids]
    if bad:
        raise DataError([Issue(f"indicator {i!r} is not one of the index's indicators "
                               f"({', '.join(leaf_ids)})", value="choices.leave_out")
                         for i in bad])
    levels = {m: (_normalised(X, directions, goalposts, leaf_ids, m, bounds, years=years)
                  if m != own_norm else _own(X, directions, goalposts, leaf_ids, fw, bounds,
                                             years=years))
              for m in norms}
    notes: list[tuple[str, str]] = []
    if ch.normalisation is None and "zscore" in levels and own_norm != "zscore" and \
            (levels["zscore"][0] <= 0).any():
        # a default level must combine with every other factor: drop it and say why
        by_id = {lf.id: lf for lf in fw.indicators()}
        bad = [by_id[leaf_ids[j]] for j in np.flatnonzero((levels["zscore"][0] <= 0).any(axis=0))]
        del levels["zscore"]
        norms = tuple(m for m in norms if m != "zscore")
        notes.append((f"Z分数未纳入：指标{'、'.join(lf.name_zh for lf in bad)}有低于均值5个标准差"
                      "以上的值，在COINr的尺度（10 + 2z）上不为正，熵权法和几何平均无法使用",
                      f"z-scores left out: {', '.join(lf.name_en for lf in bad)} have values "
                      "more than 5 standard "
                      "deviations below the mean, not positive on COINr's scale (10 + 2z), "
                      "which entropy weights and the geometric mean need"))
    sc = res.tables["scores"]
    single_region = sc.region_code.nunique() == 1
    if rank_by not in ("auto", "total", "coupling"):
        raise DataError(Issue(f"rank_by must be auto, total or coupling, not {rank_by!r}",
                              value="rank_by"))
    couple = rank_by == "coupling" or (rank_by == "auto" and "coupling" in res.tables
                                       and not single_region)
    if couple and "coupling" not in res.tables:
        raise DataError(Issue("rank_by='coupling' needs a framework that couples two or more "
                              "systems", value=fw.id))
    if couple and "zscore" in norms:
        if ch.normalisation is not None:
            raise DataError(Issue("the coupling coordination degree needs system scores in "
                                  "[0, 1], which z-scores do not give: leave z-scores out or "
                                  "rank the total (rank_by='total')", value="choices.normalisation"))
        levels.pop("zscore", None)
        norms = tuple(m for m in norms if m != "zscore")
        notes.append(("Z分数未纳入：耦合协调度需要[0, 1]上的子系统得分，Z分数不在此尺度上",
                      "z-scores left out: the coupling coordination degree needs system scores "
                      "in [0, 1], which z-scores do not give"))
    Zs, Zps = zip(*(levels[m] for m in norms), strict=True)
    Z, Zp = np.stack(Zs), np.stack(Zps)
    positive = tuple(a == "geometric" for a in aggregation)
    if any(positive) and (Zp <= 0).any():
        lv, _, col = np.nonzero(Zp <= 0)
        raise DataError([Issue(f"the geometric mean needs positive values, but {norms[a]} "
                               "normalisation gives values ≤ 0", column=leaf_ids[c])
                         for a, c in sorted(set(zip(lv, col, strict=True)))])
    tree_n = tree.numbered()
    mult = None
    if ch.weight_noise > 0:
        mult = noisy_multipliers(ch.noise_sets, tree_n.n_edges(), ch.weight_noise, seed=seed)
    score = None
    if couple:
        systems = [s_ for s_ in fw.coupling["systems"]
                   if any(k.id == s_ for k in tree_n.children)]
        # each aggregation's scale, mapped back to [0, 1] as run_index does for coupling
        scale = np.array([(0.0, 1.0) if a == "topsis" else bounds if bounds is not None
                          else GEOMETRIC_RANGE if p else (0.0, 1.0)
                          for a, p in zip(aggregation, positive, strict=True)], dtype=float)
        score = (tuple(next(k for k in tree_n.children if k.id == s_) for s_ in systems),
                 partial(_coupling_degree, scale=scale, alpha=fw.coupling.get("alpha"),
                         form=fw.coupling.get("form", "standard")))
    groups = np.zeros(len(sc), dtype=int) if single_region else sc.year.to_numpy()
    while True:
        try:
            r = rank_uncertainty(Z, Zp, tree_n, groups, normalisation=norms,
                                 weighting=weighting, aggregation=aggregation,
                                 positive=positive,
                                 leave_out=tuple(leaf_ids.index(i) for i in leave),
                                 column_names=leaf_ids, multipliers=mult, n=n, seed=seed,
                                 sobol=sobol, top_k=top_k, chunk_draws=chunk_draws,
                                 dask_client=dask_client, threads=threads, unit_names=[
                                     f"{c} {y}" for c, y in zip(sc.region_code, sc.year,
                                                                strict=True)], score=score,
                                 weight_groups=years)
            break
        except UndefinedWeightsError as exc:
            # a default weighting method the data cannot define in some draw (CRITIC of
            # perfectly correlated indicators, ...) is left out and said; a method the user
            # asked for, or the framework's own, is an error
            if ch.weighting is not None or exc.level == 0:
                raise
            w = weighting[exc.level]
            # an issue reads "weights of 'node': English reason / 中文原因" (or English only)
            nodes = "、".join(dict.fromkeys(i.reason.split("'")[1] for i in exc.issues
                                             if i.reason.count("'") >= 2))
            zh = "；".join(dict.fromkeys(i.reason.rsplit(" / ", 1)[1] for i in exc.issues
                                        if " / " in i.reason)) or "权重在部分抽样中无法计算"
            en = "; ".join(i.reason.rsplit(" / ", 1)[0] for i in exc.issues)
            notes.append((f"{WEIGHTS[w].label_zh}未纳入（在部分备选方案下无定义；节点{nodes}）：{zh}",
                          f"{WEIGHTS[w].label_en} left out (undefined under some choices): "
                          f"{en}"))
            weighting = tuple(x for x in weighting if x != w)
    nominal_rank = sc["rank"].to_numpy() if not single_region else None
    want = sc.total.to_numpy()
    if couple:  # run_index's D in the order of its scores table, ranked within years
        ct = res.tables["coupling"]
        want = pd.Series(ct.D.to_numpy(), index=pd.MultiIndex.from_arrays(
            [ct.region_code, ct.year])).reindex(pd.MultiIndex.from_arrays(
                [sc.region_code, sc.year])).to_numpy()
        nominal_rank = pd.Series(want).groupby(sc.year.to_numpy()).rank(
            ascending=False, method="min").astype(int).to_numpy()
    if nominal_rank is not None and not np.array_equal(r.nominal_rank, nominal_rank):
        raise DataError(Issue("the uncertainty engine does not reproduce run_index's ranks "
                              "(a bug: please report it)", value=fw.id))
    if not np.allclose(r.nominal_score, want, rtol=1e-12, atol=1e-12):
        raise DataError(Issue("the uncertainty engine does not reproduce run_index's scores "
                              "(a bug: please report it)", value=fw.id))
    return IndexUncertainty(fw.id, fw.name_zh, fw.name_en,
                            "years" if single_region else "regions",
                            _tables(r, sc, ch), r, tuple(notes), "D" if couple else "T")


def _coupling_degree(U: np.ndarray, plan, *, scale: np.ndarray, alpha, form: str
                     ) -> np.ndarray:
    """D of every draw and unit from the systems' scores ``U`` (draws, units, systems), each
    draw's scores mapped from its aggregation's scale to [0, 1] (module level for Dask)."""
    from ..methods.composite.coupling import coupling_degree

    lo, hi = scale[plan.aggregation, 0], scale[plan.aggregation, 1]
    U01 = (U - lo[:, None, None]) / (hi - lo)[:, None, None]
    # rounding of the affine maps only: a value off [0, 1] by more is a real error
    U01 = np.where((U01 < 0) & (U01 > -1e-12), 0.0, U01)
    # D alone: no grade labels or lagging-system names for every draw and unit
    D = coupling_degree(U01.reshape(-1, U.shape[-1]), alpha=alpha, form=form)
    return D.reshape(U.shape[:2])


def _own(X, directions, goalposts, leaf_ids, fw: Framework, bounds, *, years=None):
    """The framework's own normalisation, as run_index computes it (per year when
    ``years`` are given)."""
    mode = fw.normalization.get("mode", "pooled")
    if mode == "goalposts":
        Z = normalize(X, directions=directions, method="goalposts", goalposts=goalposts,
                      names=leaf_ids)
    else:
        Z = _per_year(lambda x: normalize(x, directions=directions, method=fw.normalization.get(
            "method", "minmax"), names=leaf_ids), X, years)
    if bounds is not None:
        Z = bounds[0] + (bounds[1] - bounds[0]) * Z
        return Z, Z
    lo, hi = GEOMETRIC_RANGE
    return Z, lo + (hi - lo) * Z


def _tables(r: RankUncertainty, sc: pd.DataFrame, ch: UncertaintyChoices) -> dict[str, pd.DataFrame]:
    ident = sc[["region_code", "region_zh", "region_en", "year"]].reset_index(drop=True)
    ranks = pd.concat([ident, r.to_frame()], axis=1)
    ranks["interval_width"] = ranks.rank_q95 - ranks.rank_q05
    tables = {"ranks": ranks}
    rows = []
    for f in r.factors:
        zh, en = FACTOR_LABELS[f.name]
        j = r.varying.index(f.name) if f.name in r.varying else None
        s = r.sobol_shift
        rows.append({"factor": f.name, "name_zh": zh, "name_en": en, "levels": len(f.levels),
                     "varies": f.varies,
                     "S1": float(s.first[j, 0]) if s is not None and j is not None else
                     (0.0 if not f.varies else np.nan),
                     "S1_conf": float(s.first_conf[j, 0]) if s is not None and j is not None
                     else np.nan,
                     "ST": float(s.total[j, 0]) if s is not None and j is not None else
                     (0.0 if not f.varies else np.nan),
                     "ST_conf": float(s.total_conf[j, 0]) if s is not None and j is not None
                     else np.nan})
    sob = pd.DataFrame(rows)
    # an index outside [0, 1] is an estimate's sampling error, not a property of the index
    sob["sampling_error"] = (sob.S1 < 0) | (sob.ST > 1)
    tables["sobol"] = sob
    if r.sobol_rank is not None:
        parts = []
        for j, name in enumerate(r.varying):
            parts.append(ident.assign(factor=name, S1=r.sobol_rank.first[j],
                                      ST=r.sobol_rank.total[j],
                                      ST_conf=r.sobol_rank.total_conf[j]))
        tables["sobol_ranks"] = pd.concat(parts, ignore_index=True)
    else:
        tables["sobol_ranks"] = ident.iloc[:0].assign(factor=pd.Series(dtype=str),
                                                     S1=pd.Series(dtype=float),
                                                     ST=pd.Series(dtype=float),
                                                     ST_conf=pd.Series(dtype=float))
    rv = r.reversals
    tables["reversals"] = pd.DataFrame({
        "year": sc.year.to_numpy()[rv.upper] if len(rv) else pd.Series(dtype=int),
        "upper_code": ident.region_code.to_numpy()[rv.upper],
        "upper_zh": ident.region_zh.to_numpy()[rv.upper],
        "upper_en": ident.region_en.to_numpy()[rv.upper],
        "upper_rank": r.nominal_rank[rv.upper],
        "upper_year": sc.year.to_numpy()[rv.upper],
        "lower_code": ident.region_code.to_numpy()[rv.lower],
        "lower_zh": ident.region_zh.to_numpy()[rv.lower],
        "lower_en": ident.region_en.to_numpy()[rv.lower],
        "lower_rank": r.nominal_rank[rv.lower],
        "lower_year": sc.year.to_numpy()[rv.lower],
        "reversal_share": rv.reversal_share.to_numpy()})
    tables["choices"] = pd.DataFrame([
        {"factor": f.name, "name_zh": FACTOR_LABELS[f.name][0],
         "name_en": FACTOR_LABELS[f.name][1], "level": i, "choice": lv,
         "nominal": i == 0 if f.name not in ("leave_out", "weight_noise") else lv == "none"}
        for f in r.factors for i, lv in enumerate(
            f.levels if f.name != "weight_noise" else (
                (f"{len(f.levels)} × U(1−{ch.weight_noise:g}, 1+{ch.weight_noise:g})",)
                if f.varies else ("none",)))])
    return tables
