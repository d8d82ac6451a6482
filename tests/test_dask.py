"""Dask inputs give the in-memory numbers, on a two-worker local cluster over loopback, and
the Gini and Dagum sums run out of core: a worker's memory grows by less than its limit,
which is below the size of the data."""

import resource

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

# the memory limit of each worker (Dask's ``memory_limit``). The Python interpreter of a
# worker alone takes more than this (about 130 MB with numpy, pandas and dask), so Dask's
# pause and terminate thresholds, which compare the whole process with the limit, are off;
# the test checks instead that the computation itself adds less than LIMIT to a worker's
# peak memory while the data are larger than LIMIT.
LIMIT = 6 * 2**20


@pytest.fixture(scope="module")
def client():
    import dask

    with dask.config.set({"distributed.worker.memory.pause": False,
                          "distributed.worker.memory.terminate": False,
                          "distributed.worker.memory.target": 0.5,
                          "distributed.worker.memory.spill": False}):
        c = ur.dask_client(n_workers=2, host="127.0.0.1", memory_limit=LIMIT)
    yield c
    c.close()
    c.cluster.close()


@pytest.fixture(scope="module")
def micro():
    # synthetic micro-data: group means differ as regional incomes do. (With groups drawn at
    # random the between-group Theil is ~1e-6, a difference of near-equal logs, and no two
    # summation orders agree on it to 12 relative digits — a conditioning limit, not a bug.)
    rng = np.random.default_rng(2024)
    n = 120_000
    groups = rng.choice(["east", "central", "west", "northeast"], n, p=[.4, .25, .25, .1])
    shift = pd.Series({"east": 0.5, "central": 0.1, "west": 0.0, "northeast": 0.2})
    return pd.DataFrame({
        "income": rng.lognormal(10, 0.9, n) * np.exp(shift[groups].to_numpy()),
        "group": groups,
        "weight": rng.integers(1, 50, n).astype(float),
    })


def test_dask_equals_in_memory_on_a_cluster(client, micro, tmp_path_factory):
    assert len(client.scheduler_info()["workers"]) == 2
    assert all(a.startswith("tcp://127.0.0.1") for a in client.scheduler_info()["workers"])
    # read from Parquet files, as out-of-core micro-data would be: workers load partitions
    folder = tmp_path_factory.mktemp("micro")
    for i, chunk in enumerate(np.array_split(np.arange(len(micro)), 6)):
        micro.iloc[chunk].to_parquet(folder / f"part{i}.parquet", index=False)
    ddf = dd.read_parquet(folder)
    assert ddf.npartitions == 6
    rel = dict(rel=1e-12, abs=0)
    assert ur.gini(ddf.income, weights=ddf.weight) == pytest.approx(
        ur.gini(micro.income, weights=micro.weight), **rel)
    assert ur.gini(ddf.income) == pytest.approx(ur.gini(micro.income), **rel)
    for f in (ur.theil, ur.mean_log_deviation):
        a = f(ddf.income, groups=ddf.group, weights=ddf.weight)
        b = f(micro.income, groups=micro.group, weights=micro.weight)
        assert a.total == pytest.approx(b.total, **rel)
        assert a.between == pytest.approx(b.between, **rel)
        assert a.within == pytest.approx(b.within, **rel)
    a = ur.dagum_gini(ddf.income, ddf.group, weights=ddf.weight)
    b = ur.dagum_gini(micro.income, micro.group, weights=micro.weight)
    for part in ("total", "within", "net_between", "transvariation"):
        assert getattr(a, part) == pytest.approx(getattr(b, part), **rel)
    np.testing.assert_allclose(a.between_group.to_numpy(), b.between_group.to_numpy(),
                               rtol=1e-12)


def _memory():
    """(current RSS, peak RSS) of this worker process, in bytes."""
    import psutil

    return psutil.Process().memory_info().rss, \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_gini_and_dagum_out_of_core_within_the_worker_limit(client):
    import dask

    # 320,000 records in 16 partitions, each generated on a worker from its own seed (the
    # client never sends them): value, weight and group code are 24 bytes a record, 7.7 MB,
    # more than LIMIT per worker; zeros and ties included
    n_parts, m = 16, 20_000

    def chunk(i):  # sent by value (a local function): workers need not import this module
        rng = np.random.default_rng([17, i])
        codes = rng.integers(0, 4, m)
        x = np.round(rng.lognormal(10, 0.9, m) * np.exp(0.2 * codes), -2)
        x[rng.random(m) < 0.02] = 0.0
        return pd.DataFrame({"x": x, "w": rng.integers(1, 50, m).astype(float), "g": codes})

    meta = chunk(0).iloc[:0]
    ddf = dd.from_delayed([dask.delayed(chunk)(i) for i in range(n_parts)], meta=meta)
    assert 24 * n_parts * m > LIMIT
    small = dd.from_delayed([dask.delayed(chunk)(0)], meta=meta)
    ur.gini(small.x, weights=small.w)  # warm-up: modules loaded on the workers
    before = client.run(_memory)
    g = ur.gini(ddf.x, weights=ddf.w)
    d = ur.dagum_gini(ddf.x, ddf.g, weights=ddf.w)
    after = client.run(_memory)
    grown = {a: after[a][1] - max(before[a]) for a in after}
    assert max(grown.values()) < LIMIT, grown
    # the same numbers in memory (the partitions made here, in this process)
    full = pd.concat([chunk(i) for i in range(n_parts)], ignore_index=True)
    assert g == pytest.approx(ur.gini(full.x, weights=full.w), rel=1e-12, abs=0)
    ref = ur.dagum_gini(full.x, full.g, weights=full.w)
    for part in ("total", "within", "net_between", "transvariation"):
        assert getattr(d, part) == pytest.approx(getattr(ref, part), rel=1e-12, abs=0)
    np.testing.assert_allclose(d.between_group.to_numpy(), ref.between_group.to_numpy(),
                               rtol=1e-12)


def test_buckets_are_bounded_by_the_partitions():
    """Regular sampling: no open bucket holds more than (1 + 1/SAMPLES_PER_BUCKET) × the mean
    partition; a value held by 40 % of the records gets its own tie bucket (no open bucket
    grows with it)."""
    from urbanrural.methods.inequality.distributed import (
        SAMPLES_PER_BUCKET,
        _bucket_ids,
        _cut_points,
        _sample,
    )

    rng = np.random.default_rng(3)
    parts = [rng.lognormal(3, 1, m) for m in (30_000, 50_000, 10_000, 40_000)]
    parts[1][:30_000] = parts[3][:22_000] = 20.0  # heavy ties: 52,000 of 130,000 records
    B = len(parts)
    cuts = _cut_points([_sample(p, None, None, i, SAMPLES_PER_BUCKET * B)
                        for i, p in enumerate(parts)], B)
    ids = np.concatenate([_bucket_ids(p, cuts) for p in parts])
    sizes = np.bincount(ids)
    mean_part = sum(p.size for p in parts) / B
    assert sizes[::2].max() <= (1 + 1 / SAMPLES_PER_BUCKET) * mean_part
    assert 20.0 in cuts and sizes[2 * np.searchsorted(cuts, 20.0) + 1] >= 52_000
    # ids increase with the values: every value of a lower bucket is below every higher one
    values = np.concatenate(parts)
    order = np.argsort(ids, kind="stable")
    assert np.all(np.diff(values[order])[np.diff(ids[order]) > 0] > 0)


def test_dask_array_input(client):
    x = np.random.default_rng(1).pareto(3, 50_000) + 1
    assert ur.gini(da.from_array(x, chunks=7_000)) == pytest.approx(ur.gini(x), rel=1e-12)


def test_dask_bad_values_are_reported(client):
    ddf = dd.from_pandas(pd.DataFrame({"x": [1.0, -2.0, 3.0, 4.0]}), npartitions=2)
    with pytest.raises(ur.DataError, match="negative in partition 0"):
        ur.gini(ddf.x)
