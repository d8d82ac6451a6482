"""Every malformed input stops with a clear error naming the row, column, value and reason."""

import csv

import pytest

import urbanrural as ur
from urbanrural.data import DataError

from .conftest import DATA

MALFORMED = DATA / "malformed"
with open(MALFORMED / "cases.csv", encoding="utf-8") as fh:
    CASES = list(csv.DictReader(fh))


def test_at_least_twenty_cases():
    assert len(CASES) >= 20
    assert {c["file"] for c in CASES} == {p.name for p in MALFORMED.iterdir()} - {"cases.csv"}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_malformed_input_gets_its_error(case):
    with pytest.raises(DataError) as info:
        ur.read(MALFORMED / case["file"])
    err = info.value
    text = str(err)
    assert case["reason"] in text, text
    issue = next(i for i in err.issues if case["reason"] in str(i))
    if case["row"]:
        assert issue.row == int(case["row"]), str(issue)
    if case["column"]:
        assert issue.column == case["column"], str(issue)
    # the message names the file so a person can find it
    if issue.row is not None:
        assert case["file"] in text


def test_unknown_region_lists_closest_matches():
    with pytest.raises(DataError) as info:
        ur.read(MALFORMED / "unknown_region.csv")
    assert "北京市 / Beijing (110000)" in str(info.value)


def test_all_problems_are_reported_not_only_the_first(tmp_path):
    f = tmp_path / "many.csv"
    f.write_text("地区,年份,指标,数值\nBejing,2020,x,1\nShangai,2020,x,abc\n天津,1800,x,2\n",
                 encoding="utf-8")
    with pytest.raises(DataError) as info:
        ur.read(f)
    reasons = " | ".join(str(i) for i in info.value.issues)
    assert "not a number" in reasons
    assert "outside the plausible range" in reasons
    assert "Bejing" in reasons and "Shangai" in reasons
