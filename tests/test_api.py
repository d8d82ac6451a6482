"""The public API (issue 11.4): optional arguments keyword-only, one spelling with the other as
an alias, and the registries the frameworks read."""

import inspect
import re

import numpy as np
import pytest

import urbanrural as ur

# positional parameters that are not optional but have a conventional default elsewhere
_ARRAYS = {"x", "y", "X", "Y", "U", "W", "P", "Z", "q", "lon", "lat", "weights", "groups",
           "split", "alpha", "epsilon", "panel", "framework", "values", "region_codes", "urban",
           "rural", "obstacles", "normalized", "dimension_of", "pairwise", "k", "spec"}


def _functions():
    for name in ur.__all__:
        if name.startswith("_"):
            continue
        obj = getattr(ur, name)
        if inspect.isfunction(obj):
            yield name, obj


def test_optional_arguments_of_public_functions_are_keyword_only():
    positional_defaults = []
    for name, f in _functions():
        for p in inspect.signature(f).parameters.values():
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty:
                positional_defaults.append(f"{name}({p.name}=...)")
    assert positional_defaults == []


def test_theil_with_population_passed_positionally_is_refused():
    # the bug of issue 11: ur.theil(x, pop) took pop as groups and returned the unweighted value
    x, pop = np.array([1.0, 2.0, 4.0]), np.array([5.0, 1.0, 1.0])
    with pytest.raises(TypeError):
        ur.theil(x, pop)
    assert ur.theil(x, weights=pop).total != pytest.approx(ur.theil(x).total)


@pytest.mark.parametrize("american, british", [
    ("normalize", "normalise"), ("generalized_entropy", "generalised_entropy"),
    ("gravity_center", "gravity_centre"),
])
def test_one_spelling_with_the_other_as_an_alias(american, british):
    assert getattr(ur, american) is getattr(ur, british)


def test_public_names_are_american_apart_from_the_aliases():
    aliases = {"normalise", "generalised_entropy", "gravity_centre"}
    british = [n for n in ur.__all__ if re.search(r"is(e|ation)|centre|colour|neighbour", n)
               and n not in aliases]
    assert british == []


def test_registries_list_what_the_frameworks_accept():
    from urbanrural.methods.composite.aggregate import AGGREGATIONS
    from urbanrural.methods.composite.normalize import NORMALISATIONS
    from urbanrural.methods.composite.weights import WEIGHTS
    from urbanrural.methods.inequality import MEASURES

    assert {"minmax", "zscore", "rank", "goalposts"} <= set(NORMALISATIONS)
    assert {"equal", "entropy", "critic", "pca"} <= set(WEIGHTS)
    assert {"weighted_sum", "geometric", "topsis"} <= set(AGGREGATIONS)
    assert {"gini", "theil_t", "theil_l", "cv", "palma"} <= set(MEASURES)
    # a registered measure is what inequality_over_time computes (one function, one entry)
    x = np.array([1.0, 2.0, 3.0, 10.0])
    assert MEASURES["gini"](x, None) == pytest.approx(ur.gini(x))
    assert MEASURES["theil_t"](x, None) == pytest.approx(ur.theil(x).total)
    with pytest.raises(KeyError, match="known: minmax"):
        NORMALISATIONS["min_max"]


def test_a_framework_with_an_unknown_normalisation_names_it():
    fw = {"id": "t", "name_zh": "测试", "name_en": "test", "normalization": {"method": "minmaxx"},
          "nodes": [{"id": "a", "name_zh": "甲", "name_en": "a", "indicator": "gdp"},
                    {"id": "b", "name_zh": "乙", "name_en": "b", "indicator": "population_total"}]}
    with pytest.raises(ur.DataError, match="minmaxx"):
        ur.load_framework(fw)
