"""The run context: each source is split at its breaks before it is merged, every result is
computed once, and changed data are caught by their fingerprint."""

import pytest

import urbanrural as ur
from urbanrural.data import DataError
from urbanrural.pipeline.context import RunContext
from urbanrural.pipeline.spec import AnalysisSpec


def test_a_users_export_across_the_2013_break_merges_with_the_bundled_data(tmp_path):
    # a user's 城镇居民人均可支配收入 export holds one id across 2013; the bundled data hold it
    # split. The same values must meet under the split ids (issue: the merge failed)
    d = ur.load_dataset("china_provinces").data
    u = d[d.indicator.isin(["urban_disposable_income", "urban_disposable_income_new_survey"])]
    u = u.assign(indicator="urban_disposable_income", unit="元")
    f = tmp_path / "export.csv"
    u[["region_code", "year", "indicator", "value", "unit"]].to_csv(f, index=False)
    ctx = RunContext(AnalysisSpec(with_data=(str(f),)))
    panel = ctx.panel()
    assert len(panel) == len(d)
    b = ctx.breaks["data"]
    assert b.indicator.tolist() == ["urban_disposable_income"]
    assert b.n_before.iloc[0] + b.n_after.iloc[0] == len(u)
    # a different number for a value the bundled data hold is an error, not a silent choice
    u2 = u.copy()
    u2.loc[u2.index[0], "value"] += 1
    f2 = tmp_path / "conflict.csv"
    u2[["region_code", "year", "indicator", "value", "unit"]].to_csv(f2, index=False)
    with pytest.raises(DataError):
        RunContext(AnalysisSpec(with_data=(str(f2),))).panel()


def test_an_index_is_computed_once():
    ctx = RunContext(AnalysisSpec())
    a = ctx.scored("national_integration_old_survey", role="national_data")
    b = ctx.scored("national_integration_old_survey", role="national_data")
    assert a is b and a[1].computable


def test_changed_data_are_caught():
    spec = AnalysisSpec(fingerprints=(("data", "0" * 64),))
    with pytest.raises(DataError, match="changed"):
        RunContext(spec).panel()
