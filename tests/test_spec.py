"""The analysis spec: one validated record; unknown keys and bad values name the key; flags
override a file and the run says which."""

import pytest
import yaml

from urbanrural.data import DataError
from urbanrural.pipeline.spec import AnalysisSpec, Options


def test_defaults_round_trip_through_yaml(tmp_path):
    spec = AnalysisSpec()
    path = tmp_path / "analysis.yaml"
    path.write_text(spec.to_yaml(), encoding="utf-8")
    again = AnalysisSpec.from_yaml(path)
    assert again == spec
    d = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert d["lang"] == "zh" and d["options"]["permutations"] == 999


def test_lang_and_options_are_recorded():
    spec = AnalysisSpec.from_dict({"data": "china_provinces", "lang": "en",
                                   "options": {"permutations": 99, "lisa_correction": "none"}})
    assert spec.lang == "en" and spec.options.permutations == 99
    assert yaml.safe_load(spec.to_yaml())["options"]["lisa_correction"] == "none"


@pytest.mark.parametrize("bad, key", [
    ({"data": "x", "colour": "red"}, "colour"),
    ({"data": "x", "options": {"permutation": 9}}, "options.permutation"),
    ({"data": "x", "lang": "fr"}, "lang"),
    ({"data": "x", "partition": "provinces"}, "partition"),
    ({"data": "x", "sections": ["coverage", "nonsense"]}, "sections"),
    ({"data": "x", "options": {"alpha": 2}}, "alpha"),
    ({"data": "x", "options": {"permutations": -1}}, "permutations"),
    ({"data": "x", "frameworks": [1, 2]}, "frameworks"),
])
def test_bad_specs_name_the_key(bad, key):
    with pytest.raises(DataError) as e:
        AnalysisSpec.from_dict(bad)
    assert key in str(e.value)


def test_flags_override_and_are_reported():
    spec = AnalysisSpec.from_dict({"data": "china_provinces", "lang": "zh"})
    new, changed = spec.with_overrides(lang="en", data=None, permutations=199,
                                       frameworks="urban_rural_services")
    assert new.lang == "en" and new.options.permutations == 199
    assert new.frameworks == ("urban_rural_services",) and new.data == "china_provinces"
    assert changed == ["frameworks", "lang", "options.permutations"]
    same, none = spec.with_overrides(lang="zh")
    assert same == spec and none == []
    with pytest.raises(DataError, match="unknown setting"):
        spec.with_overrides(colour="red")


def test_options_validate_on_their_own():
    with pytest.raises(DataError, match="markov_k"):
        Options(markov_k=1)


def test_a_spec_that_is_not_yaml_is_a_clear_error(tmp_path):
    p = tmp_path / "analysis.yaml"
    p.write_text("data: [unclosed", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read the analysis spec"):
        AnalysisSpec.from_yaml(p)
    p.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(DataError, match="mapping"):
        AnalysisSpec.from_yaml(p)


# ---------------------------------------------------------------- per-section settings
from dataclasses import dataclass  # noqa: E402

import urbanrural.pipeline.sections as sections_registry  # noqa: E402


@dataclass(frozen=True)
class _FakeSettings:
    draws: int = 100
    targets: tuple[float, ...] = (2.0, 1.8)

    def __post_init__(self):
        if self.draws < 1:
            raise DataError("settings.coverage.draws: at least 1")


@pytest.fixture
def coverage_takes_settings(monkeypatch):
    real = sections_registry.section_settings_class
    monkeypatch.setattr(sections_registry, "section_settings_class",
                        lambda name: _FakeSettings if name == "coverage" else real(name))


def test_section_settings_round_trip_and_defaults_are_recorded(coverage_takes_settings, tmp_path):
    spec = AnalysisSpec.from_dict({"sections": ["coverage"],
                                   "settings": {"coverage": {"targets": [2.2]}}})
    assert spec.setting("coverage") == _FakeSettings(targets=(2.2,))
    path = tmp_path / "analysis.yaml"
    path.write_text(spec.to_yaml(), encoding="utf-8")
    assert AnalysisSpec.from_yaml(path) == spec
    assert yaml.safe_load(path.read_text())["settings"] == {"coverage": {"draws": 100,
                                                                         "targets": [2.2]}}
    bare = AnalysisSpec(sections=("coverage",))
    assert bare.settings == ()
    assert bare.with_section_defaults().settings == (("coverage", _FakeSettings()),)
    new, changed = bare.with_settings("coverage", draws=5, targets=None)
    assert new.setting("coverage").draws == 5 and changed == ["settings.coverage.draws"]


@pytest.mark.parametrize("raw, key", [
    ({"coverage": {"drawz": 3}}, "settings.coverage.drawz"),
    ({"national": {"draws": 3}}, "settings.national"),
    ({"nosuch": {}}, "settings.nosuch"),
])
def test_bad_section_settings_name_the_key(coverage_takes_settings, raw, key):
    with pytest.raises(DataError) as e:
        AnalysisSpec.from_dict({"settings": raw})
    assert key in str(e.value)
    with pytest.raises(DataError, match="settings.coverage.draws"):
        AnalysisSpec.from_dict({"settings": {"coverage": {"draws": 0}}})


def test_a_spec_with_yaml_aliases_is_refused(tmp_path):
    # anchors and aliases let 1 KB of YAML expand to billions of nodes; a spec needs neither
    path = tmp_path / "analysis.yaml"
    path.write_text("a: &x [1, 2]\nsections: *x\n", encoding="utf-8")
    with pytest.raises(DataError, match="alias"):
        AnalysisSpec.from_yaml(path)


def test_years_cut_every_panel_and_are_recorded(tmp_path):
    from urbanrural.pipeline.analysis import run_analysis

    spec = AnalysisSpec.from_dict({"sections": ["coverage"], "years": [2010, 2015]})
    assert spec.years == (2010, 2015)
    r = run_analysis(spec)
    cov = r.section("coverage")
    assert (cov.facts["first_year"], cov.facts["last_year"]) == (2010, 2015)
    assert cov.facts["national_years"] == (2010, 2015)
    assert yaml.safe_load(r.spec.to_yaml())["years"] == [2010, 2015]
    # the fingerprint is of the whole data: the same as a run over every year
    full = run_analysis(AnalysisSpec(sections=("coverage",)))
    assert dict(r.spec.fingerprints)["data"] == dict(full.spec.fingerprints)["data"]
    for bad in ([2015, 2010], [2010], ["2010", 2015], [1800, 2010]):
        with pytest.raises(DataError, match="years"):
            AnalysisSpec.from_dict({"years": bad})
    with pytest.raises(DataError, match="no year in 1950–1960"):
        run_analysis(AnalysisSpec(sections=("coverage",), years=(1950, 1960)))


def test_years_flag_of_the_report_command(tmp_path, capsys):
    from urbanrural.cli import main

    out = tmp_path / "r"
    assert main(["report", "--sections", "coverage", "--years", "2012-2014", "--out",
                 str(out)]) == 0
    assert AnalysisSpec.from_yaml(out / "analysis.yaml").years == (2012, 2014)
    assert main(["report", "--sections", "coverage", "--years", "2012", "--out",
                 str(tmp_path / "bad")]) == 1
    assert "--years" in capsys.readouterr().out
