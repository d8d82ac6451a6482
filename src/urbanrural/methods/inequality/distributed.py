r"""Out-of-core and cluster versions of the inequality measures, on Dask.

The public functions (:func:`~urbanrural.methods.inequality.gini`, ``theil``,
``mean_log_deviation``, ``dagum_gini``) send Dask input here (a dask DataFrame column, e.g.
from ``dask.dataframe.read_parquet``, or a dask array). The numbers are those of the
in-memory functions (equal to 1e-12 relative; tested), because the same kernels are used:

* entropy measures are sums (Σw, Σwx, Σwx·ln x, Σw·ln x per group), reduced over partitions;
* the Gini and Dagum pairwise sums E[j, h] = Σᵢ Σᵣ wᵢwᵣ|xᵢ − xᵣ| (i in group j, r in group h)
  are computed by a **two-pass bucket scheme** (a sample sort, as in parallel sorting by
  regular sampling, Shi & Schaeffer 1992, J. Parallel Distrib. Comput. 14: 361–372):

  1. *pass 1* — each partition returns its size, its group labels and ``s`` values at
     regular ranks of its sorted values. Their weighted quantiles give B − 1 cut points
     b₀ < b₁ < … (B buckets).
  2. *pass 2* — every record goes to the open bucket (b_{k−1}, b_k) it falls in, or to the
     *tie bucket* of the cut point it equals. Each partition sums Σw and Σwx per bucket and
     group (a few numbers) and writes the records of the open buckets, ordered by bucket,
     to a spill folder (one file per partition and column). A task per bucket then reads
     its slice of every file (memory-mapped), sorts the bucket on its own and computes its
     within-bucket pairwise sums with the prefix-sum kernels of ``_core``.

  Every value of a lower bucket is below every value of a higher one, so the pairs between
  buckets need no sort: for buckets c < c′ they add W_c S_c′ − S_c W_c′ (per group pair).
  Records equal to a cut point differ by zero from each other. Hence E is exact, and no
  task ever holds more than one partition or one bucket. The spill folder must be
  reachable by every worker (``spill_dir``; a local cluster shares this machine's
  temporary folder).

**Memory bound.** With B buckets (default: the number of partitions) and s = 4B sample
points per partition, the regular-sampling argument bounds a bucket by N/B + N/s records,
i.e. 1.25× the mean partition for equal partitions; ties cannot enlarge a bucket because a
value holding more than a bucket's share of records becomes a cut point with its own tie
bucket. A task holds one partition or one bucket plus, while sorting, the sorted copies and
the order, and (reading Parquet) the decoded columns with group labels as Python objects:
measured, a worker's peak memory rose above its idle level by at most **12× the bytes of its
largest partition** counted as 24 bytes a record (value, weight, group code): 283 MB for
partitions of 10⁶ records (24 MB) in ``benchmarks/bench_out_of_core.py``, 10⁸ records on 2
workers × 1 GB, whatever the number of partitions. That is :data:`MEMORY_MULTIPLE`, the
documented bound for partitions of 10⁵ records or more; below that a fixed few MB of
Dask's own bookkeeping dominate (``tests/test_dask.py``: 1.4 MB for chunks of 0.48 MB).
Partitions are released once their sums and spilled records are out.

Computation runs on whatever Dask scheduler is active: a ``distributed.Client`` made by
:func:`dask_client` (a local cluster, or the address of an existing one), or Dask's default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from ._core import cross_abs_sum, sorted_with_weights, within_abs_sum

__all__ = ["dask_client", "gini_dask", "entropy_sums_dask", "dagum_sums_dask",
           "pairwise_sums_dask", "MEMORY_MULTIPLE"]

# peak bytes added to a worker ≤ MEMORY_MULTIPLE × 24 bytes × records of its largest partition
# (measured; see the module docstring)
MEMORY_MULTIPLE = 12
# sample points per partition, per bucket: s = SAMPLES_PER_BUCKET × B bounds a bucket by
# (1 + 1/SAMPLES_PER_BUCKET) × the mean partition
SAMPLES_PER_BUCKET = 4


def dask_client(*, address: str | None = None, n_workers: int = 2, threads_per_worker: int = 1,
                **cluster_options):
    r"""A ``distributed.Client``: connected to ``address`` (e.g. ``"tcp://10.0.0.5:8786"``), or
    to a new local cluster of ``n_workers`` processes when no address is given. While it is
    open, the Dask versions of the measures run on it.

    Parameters
    ----------
    address : str, optional
        The scheduler of an existing cluster; None (default) starts a local cluster.
    n_workers : int, default 2
        Worker processes of the local cluster.
    threads_per_worker : int, default 1
        Threads per worker process.
    **cluster_options
        Passed to ``distributed.LocalCluster`` (e.g. ``memory_limit="1GB"``,
        ``host="127.0.0.1"``). With a ``memory_limit``, the buffers of Dask's P2P shuffle
        are set to 1/8 (in flight) and 1/16 (before spilling to disk) of it.

    Returns
    -------
    distributed.Client
        Use it as a context manager so that the local cluster is closed.

    Examples
    --------
    Starting worker processes takes seconds, so the example does not run in the test suite;
    while the client is open, the measures given Dask input run on its cluster:

    >>> import dask.array as da
    >>> from urbanrural.methods.inequality import gini
    >>> with dask_client(n_workers=1) as client:  # doctest: +SKIP
    ...     g = gini(da.from_array([1.0, 2.0, 3.0, 4.0], chunks=2))
    """
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


def _one_frame(x, groups, weights):
    """x, weights and groups as columns of one dask DataFrame when they are columns of one
    (so a partition is read once, not once per column, and the three stay aligned)."""
    if not (hasattr(x, "npartitions") and hasattr(x, "to_frame")):
        return None
    try:
        frame = x.to_frame(name="x")
        extra = {name: col for name, col in (("w", weights), ("g", groups)) if col is not None}
        if extra:
            frame = frame.assign(**extra)
        frame.npartitions  # noqa: B018 — raises here when the columns are not co-aligned
    except (ValueError, TypeError, NotImplementedError):
        return None
    return frame


def _split(frame, has_w: bool, has_g: bool):
    return (frame["x"].to_numpy(), frame["g"].to_numpy() if has_g else None,
            frame["w"].to_numpy() if has_w else None)


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


def _checked(x, w, part: int):
    """Values and weights of partition ``part`` as float arrays; bad ones are an error
    naming the partition and the first positions in it."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        pos = np.flatnonzero(bad)[:10].tolist()
        raise DataError(Issue(f"{int(bad.sum())} value(s) missing, infinite or negative in "
                              f"partition {part} (positions {pos} within it)"))
    if w is None:
        return x, np.ones_like(x)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.shape[0] != x.shape[0]:
        raise DataError(Issue(f"partition {part}: {w.shape[0]} weights for {x.shape[0]} "
                              "values", column="weights"))
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        pos = np.flatnonzero(bad)[:10].tolist()
        raise DataError(Issue(f"weights must be finite and non-negative; bad in partition "
                              f"{part} at positions {pos} within it", column="weights"))
    return x, w


def _codes(g, labels, n: int, part: int) -> np.ndarray:
    if g is None:
        return np.zeros(n, dtype=np.int64)
    codes = pd.Index(labels).get_indexer(np.asarray(g).reshape(-1))
    if (codes < 0).any():
        raise DataError(Issue(f"some units have no group (missing label) in partition {part}",
                              column="groups"))
    return codes


# ------------------------------------------------------------------------------ pass 1
def _sample(x, g, w, part: int, samples: int):
    """Size, group labels and ``samples`` values at regular ranks of the sorted values."""
    x, _ = _checked(x, w, part)
    labels = [] if g is None else pd.unique(pd.Series(np.asarray(g).reshape(-1)).dropna()).tolist()
    if x.size == 0:
        return 0, labels, np.empty(0)
    ranks = np.linspace(0, x.size - 1, min(samples, x.size)).round().astype(np.int64)
    return x.size, labels, np.partition(x, ranks)[ranks]


def _cut_points(samples, n_buckets: int) -> np.ndarray:
    """B − 1 cut points: quantiles of the pooled samples, each weighted by the records it
    stands for (partition size / its number of samples)."""
    vals = np.concatenate([s for n, _, s in samples if n])
    wts = np.concatenate([np.full(s.size, n / s.size) for n, _, s in samples if n])
    order = np.argsort(vals, kind="stable")
    vals, cum = vals[order], np.cumsum(wts[order])
    targets = cum[-1] * np.arange(1, n_buckets) / n_buckets
    return np.unique(vals[np.searchsorted(cum, targets, side="left").clip(0, vals.size - 1)])


# ------------------------------------------------------------------------------ pass 2
def _bucket_ids(x, cuts):
    """Bucket id c of each value: 2k for the open bucket (b_{k−1}, b_k), 2k + 1 for a value
    equal to b_k. Ids increase with the values."""
    k = np.searchsorted(cuts, x, side="left")
    tie = np.zeros(x.shape[0], dtype=bool)
    inside = k < cuts.shape[0]
    tie[inside] = x[inside] == cuts[k[inside]]
    return 2 * k + tie


def _assign(x, g, w, part: int, labels, cuts, folder: str):
    """Per partition: Σw and Σwx per (bucket, group), and the records of the open buckets
    (the only ones whose within-bucket differences are not all zero) written to ``folder``
    ordered by bucket, with the offset of each bucket. Only the sums and offsets stay in
    memory; the partition is released when the task ends."""
    from pathlib import Path

    x, w = _checked(x, w, part)
    codes = _codes(g, labels, x.shape[0], part)
    c = _bucket_ids(x, cuts)
    k, n_ids = len(labels), 2 * cuts.shape[0] + 1
    cell = c * k + codes
    W = np.bincount(cell, weights=w, minlength=n_ids * k).reshape(n_ids, k)
    S = np.bincount(cell, weights=w * x, minlength=n_ids * k).reshape(n_ids, k)
    open_ = np.flatnonzero((c % 2) == 0)
    bucket = (c[open_] // 2).astype(np.uint16 if n_ids < 2**17 else np.int64)
    perm = np.argsort(bucket, kind="stable")  # a radix sort for 16-bit ids
    order = open_[perm]
    base = Path(folder) / f"part{part:06d}"
    np.save(f"{base}.x.npy", x[order])
    np.save(f"{base}.w.npy", w[order])
    np.save(f"{base}.g.npy", codes[order].astype(np.int32))
    offsets = np.searchsorted(bucket[perm], np.arange(cuts.shape[0] + 2))
    return np.stack([W, S]), offsets


def _bucket_records(folder: str, bucket: int, offsets: list[np.ndarray]):
    """The records of one open bucket, gathered from every partition's file (memory-mapped:
    only this bucket's slice is read)."""
    from pathlib import Path

    cols = {"x": [], "w": [], "g": []}
    for part, off in enumerate(offsets):
        lo, hi = int(off[bucket]), int(off[bucket + 1])
        if hi <= lo:
            continue
        base = Path(folder) / f"part{part:06d}"
        for col in cols:
            cols[col].append(np.array(np.load(f"{base}.{col}.npy", mmap_mode="r")[lo:hi]))
    if not cols["x"]:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int32)
    return tuple(np.concatenate(cols[c]) for c in ("x", "w", "g"))


def _bucket_sums(folder: str, bucket: int, offsets, k: int) -> np.ndarray:
    """E within one open bucket."""
    x, w, g = _bucket_records(folder, bucket, offsets)
    if not x.size:
        return np.zeros((k, k))
    return _group_pair_sums(x, w, g, k)


def _group_pair_sums(x, w, g, k: int) -> np.ndarray:
    """E[j, h] over the records given (all in one bucket): each group sorted once."""
    summary = [sorted_with_weights(x[g == j], w[g == j]) for j in range(k)]
    E = np.zeros((k, k))
    for j in range(k):  # loops over groups (k ≤ a few dozen), never over units
        xs, ws = summary[j]
        if not xs.size:
            continue
        E[j, j] = within_abs_sum(xs, ws)
        for h in range(j + 1, k):
            xh, wh = summary[h]
            if xh.size:
                E[j, h] = E[h, j] = cross_abs_sum(xs, ws, xh, wh)
    return E


def _between_buckets(W: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Pairs in different buckets, from the (bucket, group) sums alone. For c < c′ every value
    of c is below every value of c′, so Σ wᵢwᵣ|xᵢ − xᵣ| = W_c S_c′ − S_c W_c′; A[j, h] sums
    this with i (group j) in the lower bucket; E gets A + Aᵀ (both orders of a pair)."""
    CW = np.cumsum(W, axis=0) - W  # Σ over lower buckets
    CS = np.cumsum(S, axis=0) - S
    A = np.einsum("cj,ch->jh", CW, S) - np.einsum("cj,ch->jh", CS, W)
    return A + A.T


def _on_frame(fn, frame, has_w: bool, has_g: bool, *args):
    x, g, w = _split(frame, has_w, has_g)
    return fn(x, g, w, *args)


def _partition_tasks(x, groups, weights):
    """Number of partitions and a function making the delayed call ``fn(x, g, w, *args)``
    on partition i (one read of a DataFrame partition when the inputs are its columns)."""
    import dask

    frame = _one_frame(x, groups, weights)
    if frame is not None:
        fparts = frame.to_delayed()
        has_w, has_g = weights is not None, groups is not None

        def task(fn, i, *args, nout=None):
            return dask.delayed(_on_frame, nout=nout)(fn, fparts[i], has_w, has_g, *args)

        return len(fparts), task
    xp, gp, wp = _aligned(x, groups, weights)

    def task(fn, i, *args, nout=None):
        return dask.delayed(fn, nout=nout)(xp[i], None if gp is None else gp[i],
                                           None if wp is None else wp[i], *args)

    return len(xp), task


def pairwise_sums_dask(x, groups=None, weights=None, *, labels=None, buckets: int | None = None,
                       spill_dir: str | None = None):
    r"""Group labels and the per-group sums W = Σw, S = Σwx and the matrix
    E[j, h] = Σᵢ Σᵣ wᵢwᵣ|xᵢ − xᵣ| (i in group j, r in group h) of dask data, out of core.

    Two passes over the data (see the module docstring): exact, with the memory of a worker
    bounded by :data:`MEMORY_MULTIPLE` × its largest partition's bytes. Between the passes each
    partition's records are written once to ``spill_dir``, ordered by bucket, and each bucket
    task reads its slice of every file (memory-mapped).

    Parameters
    ----------
    x : non-negative values, a dask Series (a DataFrame column) or a 1-D dask array.
    groups : group labels partitioned like ``x`` (None: one group).
    weights : non-negative weights partitioned like ``x`` (None: all 1).
    labels : the group labels, if known (else read in pass 1); sorted order is used.
    buckets : number of buckets B (default: the number of partitions, so a bucket is about
        one partition).
    spill_dir : where the records are written between the passes (about 20 bytes a record;
        removed at the end). Default: a temporary folder of this machine, which the workers of
        a local cluster share; on a cluster of several machines give a folder all of them
        can read and write.

    Returns
    -------
    (labels, W, S, E)

    Examples
    --------
    >>> import dask, dask.array as da, numpy as np
    >>> x = da.from_array(np.array([1.0, 2.0, 3.0, 4.0, 10.0]), chunks=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     labels, W, S, E = pairwise_sums_dask(x)
    >>> float(W[0]), float(S[0]), float(E[0, 0])  # Σ|xᵢ − xⱼ| over ordered pairs: 2 × 40
    (5.0, 20.0, 80.0)
    """
    import tempfile

    import dask

    P, task = _partition_tasks(x, groups, weights)
    B = max(1, int(buckets) if buckets else P)
    samples = dask.compute(*[task(_sample, i, i, SAMPLES_PER_BUCKET * B) for i in range(P)])
    if labels is None:
        labels = [0] if groups is None else \
            sorted(set().union(*(set(lab) for _, lab, _ in samples)))
    if sum(n for n, _, _ in samples) == 0:
        raise DataError(Issue("no values"))
    cuts = _cut_points(samples, B)
    k, n_open = len(labels), cuts.shape[0] + 1
    with tempfile.TemporaryDirectory(prefix="urbanrural-spill-", dir=spill_dir) as folder:
        second = [task(_assign, i, i, labels, cuts, folder, nout=2) for i in range(P)]
        offsets = dask.delayed(list)([s[1] for s in second])  # one node for all buckets
        within = [dask.delayed(_bucket_sums)(folder, b, offsets, k) for b in range(n_open)]
        within_v, sums_v = dask.compute(within, [s[0] for s in second])
    WS = np.sum(sums_v, axis=0)
    W_cell, S_cell = WS[0], WS[1]
    E = np.sum(within_v, axis=0) + _between_buckets(W_cell, S_cell)
    return list(labels), W_cell.sum(axis=0), S_cell.sum(axis=0), E


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
def gini_dask(x, *, weights=None, corr: bool = False, buckets: int | None = None,
              spill_dir: str | None = None) -> float:
    r"""Gini coefficient of dask data, out of core:
    G = Σᵢ Σⱼ wᵢwⱼ|xᵢ − xⱼ| / (2 W² μ), the pairwise sum from :func:`pairwise_sums_dask`.

    Parameters
    ----------
    x : non-negative values (dask Series or 1-D dask array).
    weights : optional weights partitioned like ``x``.
    corr : the small-sample correction n/(n − 1) (unweighted only).
    buckets, spill_dir : see :func:`pairwise_sums_dask`.

    Returns
    -------
    float

    Examples
    --------
    >>> import dask, dask.array as da, numpy as np
    >>> with dask.config.set(scheduler="synchronous"):
    ...     g = gini_dask(da.from_array(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), chunks=2))
    >>> round(g, 12)  # Σ|xᵢ − xⱼ| = 40, n = 5, μ = 2: 40 / (2 · 25 · 2)
    0.4
    """
    if corr and weights is not None:
        raise ValueError("corr=True is defined for unweighted data only")
    _, W, S, E = pairwise_sums_dask(x, None, weights, labels=[0], buckets=buckets,
                                    spill_dir=spill_dir)
    if S.sum() <= 0:
        raise DataError("the Gini coefficient is undefined when all values are zero")
    mu = S.sum() / W.sum()
    g = float(E.sum() / (2.0 * W.sum() ** 2 * mu))
    if corr:
        n = W.sum()
        g *= n / (n - 1)
    return g


def dagum_sums_dask(x, groups, weights=None, *, buckets: int | None = None,
                    spill_dir: str | None = None):
    """The group labels and the weight, value and pairwise sums a Dagum decomposition needs,
    from the partitions, out of core (dagum.py builds the result: this module imports no
    sibling)."""
    if groups is None:
        raise DataError("the Dagum decomposition needs groups")
    out = pairwise_sums_dask(x, groups, weights, buckets=buckets, spill_dir=spill_dir)
    if len(out[0]) < 2:
        raise DataError("the Dagum decomposition needs at least two groups")
    return out


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
    partitions (entropy.py builds the Theil T or L result from them). One pass; each task
    holds one partition and returns 4 × (number of groups) numbers, so it runs out of core as
    it is."""
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
