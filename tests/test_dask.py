"""Dask inputs give the in-memory numbers, on a two-worker local cluster over loopback."""

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    c = ur.dask_client(n_workers=2, host="127.0.0.1")
    yield c
    c.close()
    c.cluster.close()


@pytest.fixture(scope="module")
def micro():
    # synthetic micro-data: group means differ as regional incomes do. (With groups drawn at
    # random the between-group Theil is ~1e-6, a difference of near-equal logs, and no two
    # summation orders agree on it to 12 relative digits — a conditioning limit, not a bug.)
    rng = np.random.default_rng(2024)
    n = 1_000_000
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


def test_dask_array_input(client):
    import dask.array as da

    x = np.random.default_rng(1).pareto(3, 50_000) + 1
    assert ur.gini(da.from_array(x, chunks=7_000)) == pytest.approx(ur.gini(x), rel=1e-12)


def test_dask_bad_values_are_reported(client):
    ddf = dd.from_pandas(pd.DataFrame({"x": [1.0, -2.0, 3.0, 4.0]}), npartitions=2)
    with pytest.raises(ur.DataError, match="negative"):
        ur.gini(ddf.x)
