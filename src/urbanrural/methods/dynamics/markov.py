"""Classical and spatial Markov chains of regional (relative) values, as in PySAL ``giddy``
(tested equal), with counting vectorised and empty classes kept visible."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError
from ..spatial.weights import as_sparse_weights

__all__ = ["MarkovClasses", "MarkovResult", "SpatialMarkovResult", "markov_classes", "markov",
           "spatial_markov", "quantile_classes", "markov_time_homogeneity"]


def _matrix(Y) -> tuple[np.ndarray, list, list]:
    if isinstance(Y, pd.DataFrame):
        return Y.to_numpy(float), list(Y.index), list(Y.columns)
    A = np.asarray(Y, dtype=float)
    if A.ndim != 2:
        raise DataError("Y must be regions × years")
    return A, list(range(A.shape[0])), list(range(A.shape[1]))


def _require_complete(A: np.ndarray) -> None:
    if not np.isfinite(A).all():
        raise DataError("Markov chains need every region in every year (missing values "
                        "found); select a balanced panel first")


def _relative(A: np.ndarray) -> np.ndarray:
    mean = A.mean(axis=0, keepdims=True)
    if (mean <= 0).any():
        bad = np.flatnonzero(mean.ravel() <= 0).tolist()
        raise DataError(f"values relative to the yearly mean need a positive mean; the mean is "
                        f"zero or negative in period(s) {bad}: use relative=False")
    return A / mean


def _values(Y, relative: bool) -> np.ndarray:
    A, _, _ = _matrix(Y)
    _require_complete(A)
    return _relative(A) if relative else A


def _inner_quantiles(v: np.ndarray, k: int, axis=None) -> np.ndarray:
    """The k − 1 inner k-quantiles (numpy's linear interpolation, as mapclassify)."""
    return np.percentile(v, np.linspace(100.0 / k, 100.0, k)[:-1], axis=axis)


@dataclass(frozen=True)
class MarkovClasses:
    """One definition of Markov value classes, computed once and shared by the classical and
    the spatial chain (and the time-homogeneity test) so that their matrices compare.

    Attributes
    ----------
    k : number of classes.
    cutoffs : upper bounds of classes 1 … k − 1 (class k is open above): shape (k − 1,) when
        ``pooled``, (periods, k − 1) when the bounds are recomputed in every period. A value
        equal to a bound belongs to the lower class (mapclassify's convention).
    pooled : one set of bounds for all periods (giddy ``fixed=True``) or one per period.
    relative : values are divided by their period's cross-regional mean before classifying
        (relative income, Quah 1993).
    rule : how the bounds were obtained (``"quantiles"`` or ``"given"``).
    """

    k: int
    cutoffs: np.ndarray
    pooled: bool
    relative: bool
    rule: str = "quantiles"

    def __post_init__(self):
        c = np.asarray(self.cutoffs, dtype=float)
        if c.shape[-1] != self.k - 1 or c.ndim != (1 if self.pooled else 2):
            raise DataError(f"{self.k} classes need {self.k - 1} cut points "
                            f"{'' if self.pooled else 'per period '}(got shape {c.shape})")
        if (np.diff(c, axis=-1) < 0).any():
            raise DataError("Markov class cut points must be non-decreasing")
        object.__setattr__(self, "cutoffs", c)

    def values(self, Y) -> np.ndarray:
        """The values that are classified: ``Y`` itself, or ``Y`` / yearly mean."""
        return _values(Y, self.relative)

    def classify(self, A: np.ndarray) -> np.ndarray:
        """Class (0 … k − 1) of every cell of already-transformed values ``A``."""
        if self.pooled:
            return np.searchsorted(self.cutoffs, A, side="left")
        if A.shape[1] != self.cutoffs.shape[0]:
            raise DataError(f"per-period cut points for {self.cutoffs.shape[0]} periods, data "
                            f"have {A.shape[1]}")
        # one vectorised comparison against each period's bounds: class = bounds below value
        return (A.T[:, :, None] > self.cutoffs[:, None, :]).sum(axis=-1).T

    def assign(self, Y) -> np.ndarray:
        """Class of every region and period of raw values ``Y`` (regions × periods)."""
        return self.classify(self.values(Y))

    @property
    def description(self) -> str:
        what = "value / yearly mean" if self.relative else "value"
        how = "pooled over all years" if self.pooled else "recomputed every year"
        rule = f"{self.k} quantile classes" if self.rule == "quantiles" else \
            f"{self.k} classes with given cut points"
        return f"{rule} of {what}, {how}"

    def to_frame(self, periods=None) -> pd.DataFrame:
        """Lower and upper bound of every class (per period when not pooled)."""
        c = np.atleast_2d(self.cutoffs)
        lo = np.column_stack([np.full(c.shape[0], -np.inf), c])
        hi = np.column_stack([c, np.full(c.shape[0], np.inf)])
        per = np.arange(c.shape[0]) if periods is None else np.asarray(periods)
        out = pd.DataFrame({"class": np.tile(np.arange(1, self.k + 1), c.shape[0]),
                            "lower": lo.ravel(), "upper": hi.ravel()})
        if not self.pooled:
            out.insert(0, "period", np.repeat(per, self.k))
        out["relative"] = self.relative
        out["pooled"] = self.pooled
        return out


def markov_classes(Y, *, k: int = 5, pooled: bool = True, relative: bool = True,
                   cutoffs=None) -> MarkovClasses:
    """Compute the class definition once, for :func:`markov` and :func:`spatial_markov`.

    Parameters
    ----------
    Y : regions × periods values (DataFrame or array), complete.
    k : number of classes (4 or 5 in most studies).
    pooled : quantiles of all periods pooled (default; giddy ``fixed=True``), or quantiles
        recomputed in every period (each period then has about n/k regions per class).
    relative : classify value / period mean (default) or the raw values.
    cutoffs : the k − 1 upper bounds to use instead of quantiles (pooled).

    Notes
    -----
    Quantiles use numpy's linear interpolation (as mapclassify's ``Quantiles``). When ties make
    two quantiles equal, the class between them is empty and kept visible: class j always means
    the j-th quantile group. mapclassify instead merges such classes and renumbers the rest;
    the two agree whenever the cut points are distinct.

    Returns
    -------
    MarkovClasses
        k, the cut points, and how they were obtained.

    Examples
    --------
    Two classes split at the pooled median, 2 (a value equal to a cut point is in the lower
    class):

    >>> y = [[1.0, 1.0, 3.0], [3.0, 3.0, 1.0]]
    >>> c = markov_classes(y, k=2, relative=False)
    >>> c.cutoffs.tolist(), c.assign(y).tolist()
    ([2.0], [[0, 0, 1], [1, 1, 0]])
    """
    if cutoffs is not None:
        c = np.asarray(cutoffs, dtype=float).ravel()
        return MarkovClasses(c.shape[0] + 1, c, True, relative, rule="given")
    if k < 2:
        raise DataError("Markov chains need at least two classes")
    A = _values(Y, relative)
    cut = _inner_quantiles(A.ravel(), k) if pooled else _inner_quantiles(A, k, axis=0).T
    return MarkovClasses(k, cut, pooled, relative)


def quantile_classes(Y: np.ndarray, k: int, fixed: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Class of each cell: quantiles pooled over all years (``fixed=True``) or computed year by
    year (``fixed=False``), of the values as given. Returns the class ids and the pooled cut
    points (``None`` per year; see :func:`markov_classes` for the full definition)."""
    c = markov_classes(Y, k=k, pooled=fixed, relative=False)
    return c.assign(Y), (c.cutoffs if fixed else None)


def _resolve(Y, classes, k, fixed, relative, default_k=5) -> MarkovClasses:
    if classes is not None:
        given = {"k": (k, classes.k), "fixed": (fixed, classes.pooled),
                 "relative": (relative, classes.relative)}
        clash = [f"{n}={a!r}" for n, (a, b) in given.items() if a is not None and a != b]
        if clash:
            raise ValueError(f"{', '.join(clash)} contradicts the class definition passed as "
                             f"classes= ({classes.description}); pass one or the other")
        return classes
    return markov_classes(Y, k=default_k if k is None else k,
                          pooled=True if fixed is None else bool(fixed),
                          relative=True if relative is None else bool(relative))


def _probabilities(T: np.ndarray) -> np.ndarray:
    rows = T.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, T / rows, np.nan)  # empty rows stay visible as NaN


def steady_state(P: np.ndarray) -> np.ndarray:
    r"""The stationary distribution π of an irreducible chain: πP = π, Σπ = 1.

    Solved as the least-squares system :math:`[(I - P)^\top; \mathbf 1^\top]\,\pi =
    [0; 1]`. A chain with more than one communication class (strongly connected component of
    the transition graph) has no unique steady state: NaN everywhere. Equal to giddy's
    ``steady_state`` (which uses quantecon) on irreducible chains.

    Examples
    --------
    >>> steady_state(np.array([[.5, .25, .25], [.5, 0, .5], [.25, .25, .5]])).round(3)
    array([0.4, 0.2, 0.4])
    """
    from scipy.sparse.csgraph import connected_components

    P = np.asarray(P, dtype=float)
    k = P.shape[0]
    n_classes, _ = connected_components(P > 0, directed=True, connection="strong")
    if n_classes != 1:
        return np.full(k, np.nan)
    A = np.vstack([(np.eye(k) - P).T, np.ones((1, k))])
    b = np.zeros(k + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    return pi / pi.sum()


def mean_first_passage(P: np.ndarray, *, pi: np.ndarray | None = None) -> np.ndarray:
    r"""Mean first passage times of an ergodic chain (Kemeny & Snell 1976):

    .. math:: M = (I - Z + E Z_{dg}) D, \quad Z = (I - P + \mathbf 1\pi)^{-1},
              \quad D = \mathrm{diag}(1/\pi)

    (the diagonal holds the mean recurrence times 1/πᵢ). NaN when the chain has no unique
    steady state. Equal to giddy's ``mfpt`` on ergodic chains.
    """
    P = np.asarray(P, dtype=float)
    pi = steady_state(P) if pi is None else pi
    k = P.shape[0]
    if not np.isfinite(pi).all() or (pi <= 0).any():
        return np.full((k, k), np.nan)
    W = np.tile(pi, (k, 1))
    Z = np.linalg.inv(np.eye(k) - P + W)
    return (np.eye(k) - Z + np.ones((k, k)) @ np.diag(np.diag(Z))) @ np.diag(1.0 / pi)


def _ergodic(P: np.ndarray):
    """Steady state, mean first passage times and sojourn; empty rows are filled with an
    absorbing diagonal for this step only (as giddy's fill_empty_classes)."""
    Pf = np.where(np.isnan(P), 0.0, P)
    empty = np.isnan(P).all(axis=1)
    Pf[empty, empty] = 1.0
    with np.errstate(all="ignore"):
        ss = steady_state(Pf)
        fp = mean_first_passage(Pf, pi=ss)
        soj = 1.0 / (1.0 - np.diag(Pf))
    return ss, fp, soj


def homogeneity_test(counts: np.ndarray) -> dict:
    r"""Bickenbach & Bode (2003) tests that m chains share one transition matrix.

    ``counts`` is m × k × k transition counts. With :math:`\hat p_{ij}` the pooled and
    :math:`\hat p_{ij}(l)` the chain-l probabilities,

    .. math:: Q = \sum_l \sum_i n_i(l) \sum_j \frac{(\hat p_{ij}(l) - \hat p_{ij})^2}
              {\hat p_{ij}}, \qquad
              LR = 2\sum_l\sum_{i,j} n_{ij}(l) \ln\frac{\hat p_{ij}(l)}{\hat p_{ij}}

    (terms with a zero count or a zero pooled probability left out), both χ² with
    :math:`\sum_i (b_i - 1)(a_i - 1)` degrees of freedom, where :math:`b_i` counts the chains
    that leave state i and :math:`a_i` the non-zero pooled transitions out of it (empty rows
    add nothing). Equal to giddy's ``homogeneity``.
    """
    from scipy import stats

    M = np.asarray(counts, dtype=float)
    T = M.sum(axis=0)
    n_i = T.sum(axis=1)
    p = T / np.where(n_i > 0, n_i, 1.0)[:, None]
    n_il = M.sum(axis=2)  # m × k
    p_l = M / np.where(n_il > 0, n_il, 1.0)[:, :, None]
    den = np.where(p > 0, p, 1.0)
    Q = float((n_il[:, :, None] * (p_l - p[None]) ** 2 / den[None]).sum())
    use = (M > 0) & (p[None] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        LR = 2.0 * float(np.where(use, M * np.log(np.where(use, p_l, 1.0) / den[None]), 0.0)
                         .sum())
    b = (n_il > 0).sum(axis=0)
    a = (T > 0).sum(axis=1)
    dof = int(((b - 1) * (a - 1)).sum())
    return {"Q": Q, "Q_p_value": float(stats.chi2.sf(Q, dof)), "LR": LR,
            "LR_p_value": float(stats.chi2.sf(LR, dof)), "dof": dof}


@dataclass(frozen=True)
class MarkovResult:
    """Transition counts, probabilities P (NaN rows = classes never observed), steady state,
    mean first passage times, sojourn times (1/(1 − pᵢᵢ)), class ids, and the class
    definition used (``classes``; ``cutoffs``, ``fixed`` and ``relative`` repeat it)."""

    transitions: np.ndarray
    P: np.ndarray
    steady_state: np.ndarray
    mean_first_passage: np.ndarray
    sojourn: np.ndarray
    class_ids: np.ndarray
    cutoffs: np.ndarray
    k: int
    fixed: bool
    relative: bool
    step: int
    classes: MarkovClasses

    def to_frame(self) -> pd.DataFrame:
        i, j = np.divmod(np.arange(self.k * self.k), self.k)
        return pd.DataFrame({"from_class": i + 1, "to_class": j + 1,
                             "count": self.transitions.ravel().astype(int),
                             "probability": self.P.ravel()})


def _counts(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(a * k + b, minlength=k * k).reshape(k, k).astype(float)


def markov(Y, *, k: int | None = None, fixed: bool | None = None, relative: bool | None = None,
           step: int = 1, classes: MarkovClasses | None = None) -> MarkovResult:
    r"""Classical Markov chain of regions × years values (Quah 1993; as PySAL giddy's
    ``Markov``).

    .. math:: p_{ij} = \frac{n_{ij}}{\sum_k n_{ik}}

    with nᵢⱼ the number of region-years in class i at t and class j at t + ``step``. The
    steady state π solves πP = π, Σπ = 1; the sojourn time of class i is 1/(1 − pᵢᵢ).

    Parameters
    ----------
    Y : regions × years values (complete).
    k, fixed, relative : build the classes here: ``k`` quantile classes (default 5) of the
        values divided by each year's cross-regional mean (``relative``, default True; Quah
        1993), pooled over all years (``fixed``, default True, giddy's default) or recomputed
        every year (``fixed=False``).
    step : transitions are counted from year t to t + ``step``.
    classes : a :class:`MarkovClasses` from :func:`markov_classes`, to share one definition
        with :func:`spatial_markov`; then leave ``k``, ``fixed`` and ``relative`` unset.

    Returns
    -------
    MarkovResult
        Counts, P, steady state, mean first passage and sojourn times, class ids and the
        class definition.

    Examples
    --------
    Classes "≤ 2" and "> 2". Region a stays low twice then rises, b stays high, c rises,
    stays and falls: counts low→(low, high) = (2, 2) and high→(low, high) = (1, 4). The
    steady state solves 0.5 π_low = 0.2 π_high, i.e. (2/7, 5/7):

    >>> y = [[1, 1, 1, 3], [3, 3, 3, 3], [1, 3, 3, 1]]
    >>> m = markov(y, classes=markov_classes(y, cutoffs=[2], relative=False))
    >>> m.transitions.tolist()
    [[2.0, 2.0], [1.0, 4.0]]
    >>> m.P.tolist()
    [[0.5, 0.5], [0.2, 0.8]]
    >>> m.steady_state.round(4).tolist(), m.sojourn.round(4).tolist()
    ([0.2857, 0.7143], [2.0, 5.0])
    """
    A, _, _ = _matrix(Y)
    c = _resolve(A, classes, k, fixed, relative)
    ids = c.assign(A)
    if not 1 <= step < A.shape[1]:
        raise DataError(f"step must be between 1 and {A.shape[1] - 1} (the number of years − 1)")
    T = _counts(ids[:, :-step].ravel(), ids[:, step:].ravel(), c.k)
    P = _probabilities(T)
    ss, fp, soj = _ergodic(P)
    return MarkovResult(T, P, ss, fp, soj, ids, c.cutoffs, c.k, c.pooled, c.relative, step, c)


@dataclass(frozen=True)
class SpatialMarkovResult:
    """Transition counts ``T`` and probabilities ``P`` conditioned on the class of the spatial
    lag (m × k × k), the global chain ``p`` (its counts ``transitions`` equal the classical
    chain's with the same ``classes``), steady states per lag class, the Bickenbach–Bode
    homogeneity tests (Q and LR, degrees of freedom ignoring empty rows, as giddy), and the
    class definitions of the values (``classes``) and of the spatial lag (``lag_classes``)."""

    T: np.ndarray
    P: np.ndarray
    p: np.ndarray
    transitions: np.ndarray
    S: np.ndarray
    class_ids: np.ndarray
    lag_class_ids: np.ndarray
    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int
    classes: MarkovClasses
    lag_classes: MarkovClasses

    def to_frame(self) -> pd.DataFrame:
        m, k, _ = self.T.shape
        l, i, j = np.meshgrid(np.arange(m), np.arange(k), np.arange(k), indexing="ij")
        return pd.DataFrame({"lag_class": l.ravel() + 1, "from_class": i.ravel() + 1,
                             "to_class": j.ravel() + 1, "count": self.T.ravel().astype(int),
                             "probability": self.P.ravel()})


def spatial_markov(Y, W, *, k: int | None = None, m: int | None = None, fixed: bool | None = None,
                   relative: bool | None = None, transform: str = "r",
                   classes: MarkovClasses | None = None,
                   lag_classes: MarkovClasses | None = None) -> SpatialMarkovResult:
    r"""Spatial Markov chain (Rey 2001): transitions conditioned on the class of each region's
    spatial lag in the starting year.

    The value classes come from ``classes`` (a :class:`MarkovClasses`, the same object given
    to :func:`markov` so that both chains use the same bounds) or are built from ``k``,
    ``fixed`` and ``relative`` with :func:`markov_classes`' defaults (5 pooled quantile classes
    of value / yearly mean). The lag is computed from the classified values (relative ones if
    ``relative``); its classes are ``lag_classes`` or ``m`` (default: as many as the value
    classes) quantiles of the lag, pooled or per year as the value classes. Same classes and
    counts as ``giddy.markov.Spatial_Markov`` with the same ``fixed`` choice (giddy's
    ``cutoffs=`` and ``lag_cutoffs=`` correspond to given cut points).

    .. math:: p_{ij}(l) = \frac{n_{ij}(l)}{\sum_k n_{ik}(l)}

    with nᵢⱼ(l) the transitions i → j of regions whose spatial lag (Σⱼ wᵢⱼ yⱼ, row-standardised
    W by default) is in class l in the starting year.

    Parameters
    ----------
    Y : DataFrame or array_like
        Regions × years values, complete.
    W : SpatialWeights, array_like, scipy.sparse matrix or libpysal W
        Spatial weights between the regions, in the order of ``Y``'s rows.
    k : int, optional
        Number of value classes (default 5), when ``classes`` is not given.
    m : int, optional
        Number of lag classes (default as many as value classes), when ``lag_classes`` is
        not given.
    fixed : bool, optional
        Quantiles pooled over all years (default True) or recomputed every year.
    relative : bool, optional
        Classify value / yearly mean (default True) or the raw values.
    transform : {"r", "b"}, default "r"
        Row-standardise the weights, or use them as given.
    classes : MarkovClasses, optional
        The value classes (shared with :func:`markov`).
    lag_classes : MarkovClasses, optional
        The classes of the spatial lag.

    Returns
    -------
    SpatialMarkovResult
        Counts and probabilities per lag class, the global chain, steady states, the
        homogeneity tests and both class definitions.

    Examples
    --------
    Three regions in a row (a – b – c). Summed over the lag classes, the counts are the
    classical chain's:

    >>> y = [[1, 1, 1, 3], [3, 3, 3, 3], [1, 3, 3, 1]]
    >>> w = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> c = markov_classes(y, cutoffs=[2], relative=False)
    >>> s = spatial_markov(y, w, classes=c, lag_classes=c)
    >>> s.T.shape
    (2, 2, 2)
    >>> bool((s.transitions == markov(y, classes=c).transitions).all())
    True
    """
    A, _, _ = _matrix(Y)
    c = _resolve(A, classes, k, fixed, relative)
    X = c.values(A)
    ids = c.classify(X)
    Wt = as_sparse_weights(W, A.shape[0], transform)
    lag = np.asarray(Wt @ X)
    if lag_classes is None:
        lc = markov_classes(lag, k=c.k if m is None else m, pooled=c.pooled, relative=False)
    elif m is not None and m != lag_classes.k:
        raise ValueError(f"m={m} contradicts lag_classes ({lag_classes.k} classes)")
    else:
        lc = lag_classes
    lids = lc.assign(lag)
    kk, mm = c.k, lc.k
    a, b, g = ids[:, :-1].ravel(), ids[:, 1:].ravel(), lids[:, :-1].ravel()
    T = np.bincount((g * kk + a) * kk + b, minlength=mm * kk * kk).reshape(mm, kk, kk)
    T = T.astype(float)
    P = _probabilities(T)
    glob = T.sum(axis=0)
    S = np.array([_ergodic(P[i])[0] for i in range(mm)])
    h = homogeneity_test(T)
    return SpatialMarkovResult(T, P, _probabilities(glob), glob, S, ids, lids, h["Q"],
                               h["Q_p_value"], h["LR"], h["LR_p_value"], h["dof"], c, lc)


def markov_time_homogeneity(Y, split: int, *, k: int | None = None, fixed: bool | None = None,
                            relative: bool | None = None,
                            classes: MarkovClasses | None = None) -> dict:
    """Is the chain the same before and after column ``split``? Bickenbach & Bode (2003) Q and
    LR tests on the two periods' transition counts (as giddy; degrees of freedom ignore
    empty rows). Classes are defined once over the whole panel (``classes``, or built as in
    :func:`markov`) so the periods compare."""
    A, _, _ = _matrix(Y)
    c = _resolve(A, classes, k, fixed, relative)
    ids = c.assign(A)
    if not 1 <= split < A.shape[1] - 1:
        raise DataError("split must leave at least one transition in each period")
    mats = [_counts(part[:, :-1].ravel(), part[:, 1:].ravel(), c.k)
            for part in (ids[:, : split + 1], ids[:, split:])]
    h = homogeneity_test(np.array(mats))
    return {**h, "transitions_before": mats[0], "transitions_after": mats[1], "classes": c}
