"""Out-of-core and cluster versions of the inequality measures, on Dask.

The public functions (:func:`~urbanrural.methods.inequality.gini`, ``theil``,
``mean_log_deviation``, ``dagum_gini``) send Dask input here. The numbers are the same as in
memory because the same kernels are used:

* entropy measures are sums (Σw, Σwx, Σwx·ln x, Σw·ln x per group), reduced over partitions;
* the Gini and Dagum pairwise sums Σᵢ Σⱼ wᵢwⱼ|xᵢ − xⱼ| split over partitions p, q into
  within-partition sums and cross-partition sums, each computed by sorting and prefix sums.
  A task holds at most two partitions in memory, so data larger than memory work, and the
  P(P − 1)/2 cross tasks spread over the workers of a cluster.

Computation runs on whatever Dask scheduler is active: a ``distributed.Client`` made by
:func:`dask_client` (a local cluster, or the address of an existing one), or Dask's default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from ._core import cross_abs_sum, sorted_with_weights, within_abs_sum

__all__ = ["dask_client", "gini_dask", "entropy_sums_dask", "dagum_sums_dask"]


def dask_client(address: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1,
                **cluster_options):
    """A ``distributed.Client``: connected to ``address`` (e.g. ``"tcp://10.0.0.5:8786"``), or
    to a new local cluster of ``n_workers`` processes when no address is given. While it is
    open, the Dask versions of the measures run on it."""
    from distributed import Client, LocalCluster

    if address:
        return Client(address)
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                           processes=True, dashboard_address=None, **cluster_options)
    return Client(cluster)


# ------------------------------------------------------------------------------ inputs
def _parts(obj):
    """Delayed partitions of a dask Series / DataFrame column / array (1-D)."""
    if obj is None:
        return None
    if hasattr(obj, "to_delayed") and hasattr(obj, "npartitions"):
        return list(obj.to_delayed())
    if hasattr(obj, "to_delayed"):  # dask array
        return list(np.asarray(obj.to_delayed()).ravel())
    raise TypeError(f"expected a dask collection, got {type(obj).__name__}")


def _aligned(x, groups, weights):
    xp = _parts(x)
    gp = _parts(groups) if groups is not None and _is_dask(groups) else None
    wp = _parts(weights) if weights is not None and _is_dask(weights) else None
    for name, other, raw in (("groups", gp, groups), ("weights", wp, weights)):
        if raw is not None and other is None:
            raise TypeError(f"{name} must be a dask collection partitioned like the values")
        if other is not None and len(other) != len(xp):
            raise DataError(Issue(f"{name} have {len(other)} partitions, the values "
                                  f"{len(xp)}; take both from one dask DataFrame"))
    return xp, gp, wp


def _partition_summary(x, g, w, labels):
    """Per partition: check, split by group, sort each group with its weights."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        raise DataError(Issue(f"{int(bad.sum())} value(s) missing, infinite or negative in a "
                              "partition"))
    if w is not None:
        w = np.asarray(w, dtype=np.float64).reshape(-1)
        if (~np.isfinite(w) | (w < 0)).any():
            raise DataError(Issue("weights must be finite and non-negative", column="weights"))
    if g is None:
        codes = np.zeros(x.shape[0], dtype=np.int64)
    else:
        g = np.asarray(g).reshape(-1)
        codes = pd.Index(labels).get_indexer(g)
        if (codes < 0).any():
            raise DataError(Issue("some units have no group (missing label)", column="groups"))
    out = []
    for j in range(len(labels)):
        sel = codes == j
        xs, ws = sorted_with_weights(x[sel], None if w is None else w[sel])
        out.append((xs, ws))
    return out


def _sums(summary):
    W = np.array([xs.shape[0] if ws is None else ws.sum() for xs, ws in summary])
    S = np.array([xs.sum() if ws is None else np.dot(ws, xs) for xs, ws in summary])
    return W, S


def _within_partition(summary):
    k = len(summary)
    E = np.zeros((k, k))
    for j in range(k):
        xs, ws = summary[j]
        if xs.size:
            E[j, j] = within_abs_sum(xs, ws)
        for h in range(j + 1, k):
            xh, wh = summary[h]
            if xs.size and xh.size:
                E[j, h] = E[h, j] = cross_abs_sum(xs, ws, xh, wh)
    return E


def _cross_partition(sa, sb):
    """Both orders of every group pair between two partitions (E[j,h] + E[h,j] halves)."""
    k = len(sa)
    E = np.zeros((k, k))
    for j in range(k):
        xa, wa = sa[j]
        if not xa.size:
            continue
        for h in range(k):
            xb, wb = sb[h]
            if xb.size:
                E[j, h] = cross_abs_sum(xa, wa, xb, wb)
    return E + E.T


def _pairwise(x, groups, weights, labels):
    import dask

    xp, gp, wp = _aligned(x, groups, weights)
    summ = [dask.delayed(_partition_summary)(xp[i], None if gp is None else gp[i],
                                             None if wp is None else wp[i], labels)
            for i in range(len(xp))]
    sums = [dask.delayed(_sums)(s) for s in summ]
    within = [dask.delayed(_within_partition)(s) for s in summ]
    cross = [dask.delayed(_cross_partition)(summ[i], summ[j])
             for i in range(len(summ)) for j in range(i + 1, len(summ))]
    sums_v, within_v, cross_v = dask.compute(sums, within, cross)
    W = np.sum([s[0] for s in sums_v], axis=0)
    S = np.sum([s[1] for s in sums_v], axis=0)
    E = np.sum(within_v, axis=0) + (np.sum(cross_v, axis=0) if cross_v else 0.0)
    return W, S, E


def _labels(groups) -> list:
    if groups is None:
        return [0]
    uniq = groups.unique() if hasattr(groups, "unique") else None
    if uniq is None:
        import dask.array as da

        uniq = da.unique(groups)
    vals = uniq.compute()
    return sorted(pd.Series(np.asarray(vals)).dropna().tolist())


# ------------------------------------------------------------------------------ measures
def gini_dask(x, *, weights=None, corr: bool = False) -> float:
    W, S, E = _pairwise(x, None, weights, [0])
    if S.sum() <= 0:
        raise DataError("the Gini coefficient is undefined when all values are zero")
    mu = S.sum() / W.sum()
    g = float(E.sum() / (2.0 * W.sum() ** 2 * mu))
    if corr:
        if weights is not None:
            raise ValueError("corr=True is defined for unweighted data only")
        n = W.sum()
        g *= n / (n - 1)
    return g


def dagum_sums_dask(x, groups, weights=None):
    """The group labels and the weight, value and pairwise sums a Dagum decomposition needs,
    from the partitions (dagum.py builds the result: this module imports no sibling)."""
    labels = _labels(groups)
    if len(labels) < 2:
        raise DataError("the Dagum decomposition needs at least two groups")
    W, S, E = _pairwise(x, groups, weights, labels)
    return labels, W, S, E


def _entropy_partition(x, g, w, labels, alpha):
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if (~np.isfinite(x) | (x < 0)).any():
        raise DataError(Issue("values missing, infinite or negative in a partition"))
    if alpha == 0 and (x <= 0).any():
        raise DataError(Issue("the mean log deviation (Theil L) is undefined for zero values"))
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64).reshape(-1)
    codes = np.zeros(x.shape[0], dtype=np.int64) if g is None else \
        pd.Index(labels).get_indexer(np.asarray(g).reshape(-1))
    if (codes < 0).any():
        raise DataError(Issue("some units have no group (missing label)", column="groups"))
    k = len(labels)
    with np.errstate(divide="ignore", invalid="ignore"):
        xlnx = np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0)), 0.0)
        lnx = np.log(x) if alpha == 0 else np.zeros_like(x)
    return np.vstack([np.bincount(codes, weights=w, minlength=k),
                      np.bincount(codes, weights=w * x, minlength=k),
                      np.bincount(codes, weights=w * xlnx, minlength=k),
                      np.bincount(codes, weights=w * lnx, minlength=k)])


def entropy_sums_dask(x, groups, weights, *, alpha: int):
    """Group labels and the per-group sums W, S = Σwx, A = Σwx ln x, B = Σw ln x from the
    partitions (entropy.py builds the Theil T or L result from them)."""
    import dask

    labels = _labels(groups) if groups is not None else [0]
    xp, gp, wp = _aligned(x, groups, weights)
    parts = [dask.delayed(_entropy_partition)(xp[i], None if gp is None else gp[i],
                                              None if wp is None else wp[i], labels, alpha)
             for i in range(len(xp))]
    W, S, A, B = np.sum(dask.compute(*parts), axis=0)
    return labels, W, S, A, B


def _is_dask(obj) -> bool:
    return obj is not None and type(obj).__module__.startswith("dask")
