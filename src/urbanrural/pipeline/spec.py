"""The analysis spec: one frozen, validated record of everything a run uses.

``analysis.yaml`` is read into an :class:`AnalysisSpec` and written back from one, so a run can
be re-done from its record. The spec is the one place command-line flags meet a spec file:
:meth:`AnalysisSpec.with_overrides` applies flags over a file and says which keys it changed.
Unknown keys and bad values are errors that name the key.

Examples
--------
>>> spec = AnalysisSpec.from_dict({"data": "china_provinces", "options": {"permutations": 99}})
>>> spec.options.permutations, spec.lang
(99, 'zh')
>>> spec2, changed = spec.with_overrides(lang="en")
>>> changed
['lang']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..data.errors import DataError, Issue
from .framework import _NoAliasLoader

__all__ = ["AnalysisSpec", "Options", "SPEC_VERSION", "DEFAULT_SECTIONS", "LANGS",
           "PARTITIONS"]

SPEC_VERSION = 2
LANGS = ("zh", "en", "both")
PARTITIONS = ("macro_region", "belt")
# the policy-evaluation section runs when a treatment is named (report --treatment), so it is
# not among the defaults
DEFAULT_SECTIONS = ("coverage", "national", "provinces", "disparity", "convergence", "world",
                    "robustness", "paths", "simulation", "methods")


@dataclass(frozen=True)
class Options:
    """Method options of a run (each recorded, each with a stated default).

    Attributes
    ----------
    permutations : permutations of Moran's I and LISA (999, as esda).
    seed : seed of every random draw (permutations, bootstrap).
    alpha : significance level of every test the readings quote.
    lisa_correction : ``"fdr"`` (Benjamini–Hochberg, default), ``"bonferroni"`` or ``"none"``.
    markov_k : number of Markov classes.
    hainan_link : the mainland province Hainan is linked to in contiguity weights (an island
        has no neighbour; the link is a stated choice), or ``"none"``.
    bootstrap : bootstrap replications of inequality measures (0: none).
    club_merge : merging of adjacent convergence clubs after Phillips & Sul (2007)
        clustering: ``"PS2009"`` (Phillips & Sul 2009, default), ``"vLT2017"`` (von Lyncker &
        Thoennessen 2017) or ``"none"`` (the clubs as clustered, R's findClubs alone). The
        clubs before merging are always kept beside the merged ones.
    """

    permutations: int = 999
    seed: int = 12345
    alpha: float = 0.05
    lisa_correction: str = "fdr"
    markov_k: int = 4
    hainan_link: str = "guangdong"
    bootstrap: int = 0
    club_merge: str = "PS2009"

    def __post_init__(self) -> None:
        checks = {
            "permutations": isinstance(self.permutations, int) and 0 <= self.permutations <= 99999,
            "seed": isinstance(self.seed, int) and self.seed >= 0,
            "alpha": isinstance(self.alpha, (int, float)) and 0 < self.alpha < 0.5,
            "lisa_correction": self.lisa_correction in ("fdr", "bonferroni", "none"),
            "markov_k": isinstance(self.markov_k, int) and 2 <= self.markov_k <= 10,
            "hainan_link": isinstance(self.hainan_link, str) and bool(self.hainan_link),
            "bootstrap": isinstance(self.bootstrap, int) and 0 <= self.bootstrap <= 100000,
            "club_merge": self.club_merge in ("PS2009", "vLT2017", "none"),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError([Issue(f"options.{k}: bad value {getattr(self, k)!r} "
                                   f"({_OPTION_RULES[k]}) / 选项 {k} 的取值无效", value=k)
                             for k in bad])


_OPTION_RULES = {
    "permutations": "a whole number from 0 to 99,999",
    "seed": "a whole number ≥ 0",
    "alpha": "a number between 0 and 0.5",
    "lisa_correction": "one of fdr, bonferroni, none",
    "markov_k": "a whole number from 2 to 10",
    "hainan_link": "a province name or code, or none",
    "bootstrap": "a whole number from 0 to 100,000",
    "club_merge": "one of PS2009, vLT2017, none",
}


@dataclass(frozen=True)
class AnalysisSpec:
    r"""Everything a report run uses.

    Attributes
    ----------
    data : the provincial panel: a bundled dataset name or a file path.
    with_data : further datasets or files merged into ``data`` (a user's NBS exports beside
        the bundled data); a value present in both with different numbers is an error.
    national_data : national urban and rural series (or ``None``).
    world_data : the world urban/rural panel (or ``None``).
    frameworks : provincial frameworks (built-in names or YAML paths).
    national_frameworks : frameworks of the national index, in period order.
    world_framework : the framework of the world comparison (or ``None``).
    years : ``(first, last)``, inclusive: the years every panel of the run is cut to before any
        section reads it (``None``: every year of the data). The fingerprints stay those of
        the whole data, so the record says which data and which years.
    partition : regional grouping of the disparity section (``macro_region``: NBS four
        regions; ``belt``: three belts).
    sections : report sections in order (names from the section registry).
    lang : ``zh``, ``en`` or ``both`` (the page shows both with a switch either way; this is
        the language it opens in and the language of figures).
    options : :class:`Options`.
    settings : per-section settings, ``(section name, Settings instance)`` pairs. A section
        module that takes settings defines a frozen dataclass ``Settings`` (validated in its
        ``__post_init__``); in ``analysis.yaml`` they are written ``settings: {section: {...}}``
        and unknown keys are errors naming ``settings.<section>.<key>``. A run records the
        settings of every section it ran, defaults included (:meth:`with_section_defaults`).
    fingerprints : data fingerprints recorded by a run; a re-run checks them.
    urbanrural_version : the package version that wrote the spec.

    Examples
    --------
    >>> spec = AnalysisSpec(sections=("coverage",), lang="en")
    >>> spec.data, spec.partition
    ('china_provinces', 'macro_region')

    Flags override a spec and say what they changed; a spec survives the round trip through
    its dict (and YAML) form:

    >>> new, changed = spec.with_overrides(partition="belt", lang="en")
    >>> new.partition, changed
    ('belt', ['partition'])
    >>> AnalysisSpec.from_dict(spec.to_dict()) == spec
    True

    Unknown keys and bad values are errors that name the key:

    >>> from urbanrural.data import DataError
    >>> try:
    ...     AnalysisSpec.from_dict({"sectoins": ["coverage"]})
    ... except DataError as e:
    ...     print(e.issues[0].value)
    sectoins
    """

    data: str = "china_provinces"
    with_data: tuple[str, ...] = ()
    national_data: str | None = "china_national"
    world_data: str | None = "world_countries"
    frameworks: tuple[str, ...] = ("urban_rural_integration", "common_prosperity")
    national_frameworks: tuple[str, ...] = ("national_integration_old_survey",
                                            "national_integration_integrated_survey")
    world_framework: str | None = "urban_rural_services"
    years: tuple[int, int] | None = None
    partition: str = "macro_region"
    sections: tuple[str, ...] = DEFAULT_SECTIONS
    lang: str = "zh"
    options: Options = field(default_factory=Options)
    settings: tuple[tuple[str, Any], ...] = ()
    fingerprints: tuple[tuple[str, str], ...] = ()
    urbanrural_version: str = ""
    version: int = SPEC_VERSION

    def __post_init__(self) -> None:
        issues = []
        if not isinstance(self.data, str) or not self.data:
            issues.append(Issue("data: a bundled dataset name or a file path is required",
                                value="data"))
        if self.lang not in LANGS:
            issues.append(Issue(f"lang: {self.lang!r} is not one of {', '.join(LANGS)}",
                                value="lang"))
        if self.years is not None and not (
                isinstance(self.years, tuple) and len(self.years) == 2
                and all(isinstance(y, int) and not isinstance(y, bool) and 1900 <= y <= 2100
                        for y in self.years) and self.years[0] <= self.years[1]):
            issues.append(Issue(f"years: {self.years!r} is not two years first ≤ last (e.g. "
                                "[2005, 2020]) / 年份范围应为起止两年", value="years"))
        if self.partition not in PARTITIONS:
            issues.append(Issue(f"partition: {self.partition!r} is not one of "
                                f"{', '.join(PARTITIONS)}", value="partition"))
        from .sections import SECTION_NAMES, section_settings_class  # read lazily

        unknown = [s for s in self.sections if s not in SECTION_NAMES]
        if unknown:
            issues.append(Issue(f"sections: unknown section(s) {', '.join(map(str, unknown))}; "
                                f"known: {', '.join(SECTION_NAMES)}", value="sections"))
        if len(set(self.sections)) != len(self.sections):
            issues.append(Issue("sections: a section is listed twice", value="sections"))
        names = [n for n, _ in self.settings]
        for name, value in self.settings:
            cls = section_settings_class(name) if name in SECTION_NAMES else None
            if cls is None:
                issues.append(Issue(f"settings.{name}: no section named {name!r} takes "
                                    "settings / 该章节没有可设置项", value=f"settings.{name}"))
            elif not isinstance(value, cls):
                issues.append(Issue(f"settings.{name}: expected {cls.__name__}",
                                    value=f"settings.{name}"))
        if len(set(names)) != len(names):
            issues.append(Issue("settings: a section is listed twice", value="settings"))
        if self.version != SPEC_VERSION:
            issues.append(Issue(f"version: this urbanrural reads analysis specs of version "
                                f"{SPEC_VERSION}, not {self.version!r}", value="version"))
        if issues:
            raise DataError(issues)

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_dict(cls, d: dict[str, Any], *, source: str = "") -> AnalysisSpec:
        """Validate a mapping (as read from YAML). Unknown keys are errors that name the key."""
        if not isinstance(d, dict):
            raise DataError(Issue("an analysis spec is a mapping of keys to values",
                                  file=source or None))
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        issues = [Issue(f"unknown key {k!r} in the analysis spec; known keys: "
                        f"{', '.join(sorted(names))} / 分析设定中有未知的键", value=k,
                        file=source or None) for k in unknown]
        opts = d.get("options") or {}
        if not isinstance(opts, dict):
            issues.append(Issue("options must be a mapping", value="options", file=source or None))
            opts = {}
        onames = {f.name for f in fields(Options)}
        issues += [Issue(f"unknown key 'options.{k}'; known options: "
                         f"{', '.join(sorted(onames))}", value=f"options.{k}",
                         file=source or None) for k in sorted(set(opts) - onames)]
        if issues:
            raise DataError(issues)
        kw = dict(d)
        kw["options"] = Options(**opts)
        if "settings" in kw:
            kw["settings"] = _settings_from_dict(kw["settings"], source)
        for key in ("with_data", "frameworks", "national_frameworks", "sections"):
            if key in kw:
                kw[key] = _as_tuple(kw[key], key)
        if "fingerprints" in kw:
            fp = kw["fingerprints"] or {}
            if not isinstance(fp, dict):
                raise DataError(Issue("fingerprints must be a mapping", value="fingerprints"))
            kw["fingerprints"] = tuple(sorted((str(k), str(v)) for k, v in fp.items()))
        for key in ("national_data", "world_data", "world_framework"):
            if key in kw and kw[key] in ("", "none", "None"):
                kw[key] = None
        if isinstance(kw.get("years"), list):
            kw["years"] = tuple(kw["years"])
        return cls(**kw)

    @classmethod
    def from_yaml(cls, path: str | Path) -> AnalysisSpec:
        """Read ``analysis.yaml``; a file that is not YAML or not a spec is a clear error."""
        p = Path(path)
        try:
            # aliases refused, as in framework files: an 800-byte alias bomb expands to millions
            d = yaml.load(p.read_text(encoding="utf-8"), Loader=_NoAliasLoader)  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise DataError(Issue(f"cannot read the analysis spec: {exc}",
                                  file=str(path))) from exc
        return cls.from_dict(d, source=str(path))

    # ------------------------------------------------------------------ writing
    def to_dict(self) -> dict[str, Any]:
        """A plain mapping (lists, not tuples) that :meth:`from_dict` reads back equal."""
        d = dataclasses.asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        d["fingerprints"] = dict(self.fingerprints)
        d["settings"] = {name: _plain(dataclasses.asdict(value)) for name, value in self.settings}
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    # ------------------------------------------------------------------ flags
    def with_overrides(self, **flags: Any) -> tuple[AnalysisSpec, list[str]]:
        """Apply command-line flags over this spec.

        A flag given as ``None`` is not set. Returns the new spec and the keys whose value
        changed (the run prints them, so a flag never silently wins or loses).
        """
        changes: dict[str, Any] = {}
        opt_changes: dict[str, Any] = {}
        onames = {f.name for f in fields(Options)}
        names = {f.name for f in fields(self)}
        for k, v in flags.items():
            if v is None:
                continue
            if k in onames:
                if getattr(self.options, k) != v:
                    opt_changes[k] = v
                continue
            if k not in names:
                raise DataError(Issue(f"unknown setting {k!r}", value=k))
            if k != "years" and isinstance(getattr(self, k), tuple) and not isinstance(v, tuple):
                v = _as_tuple(v, k)
            if getattr(self, k) != v:
                changes[k] = v
        if opt_changes:
            changes["options"] = dataclasses.replace(self.options, **opt_changes)
        changed = sorted([k for k in changes if k != "options"] +
                         [f"options.{k}" for k in opt_changes])
        return dataclasses.replace(self, **changes), changed

    def setting(self, section: str) -> Any:
        """The settings of ``section``: those given, else the section's defaults."""
        from .sections import section_settings_class

        for name, value in self.settings:
            if name == section:
                return value
        cls = section_settings_class(section)
        if cls is None:
            raise KeyError(f"section {section!r} takes no settings")
        return cls()

    def with_settings(self, section: str, **values: Any) -> tuple[AnalysisSpec, list[str]]:
        """Change some settings of one section; returns the new spec and the keys changed
        (``settings.<section>.<key>``). A value given as ``None`` is not set."""
        current = self.setting(section)
        new = {k: v for k, v in values.items() if v is not None}
        known = {f.name for f in fields(current)}
        bad = sorted(set(new) - known)
        if bad:
            raise DataError([Issue(f"unknown key 'settings.{section}.{k}'; known: "
                                   f"{', '.join(sorted(known))}", value=f"settings.{section}.{k}")
                             for k in bad])
        changed = sorted(f"settings.{section}.{k}" for k, v in new.items()
                         if getattr(current, k) != v)
        updated = dataclasses.replace(current, **new)
        rest = tuple((n, v) for n, v in self.settings if n != section)
        return dataclasses.replace(self, settings=(*rest, (section, updated))), changed

    def with_section_defaults(self) -> AnalysisSpec:
        """The spec with the settings of every section it runs written out, defaults
        included, so the record says every value a run used."""
        from .sections import section_settings_class

        have = {n for n, _ in self.settings}
        extra = tuple((name, cls()) for name in self.sections
                      if name not in have and (cls := section_settings_class(name)) is not None)
        return dataclasses.replace(self, settings=self.settings + extra) if extra else self

    def fingerprint_of(self, key: str) -> str | None:
        return dict(self.fingerprints).get(key)


def _plain(value: Any) -> Any:
    """Tuples as lists, recursively, for YAML."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _settings_from_dict(raw: Any, source: str) -> tuple[tuple[str, Any], ...]:
    """``settings: {section: {key: value}}`` into typed Settings objects, naming bad keys."""
    from .sections import SECTION_NAMES, section_settings_class

    if raw in (None, {}):
        return ()
    if not isinstance(raw, dict):
        raise DataError(Issue("settings must be a mapping of section names to mappings",
                              value="settings", file=source or None))
    out, issues = [], []
    for name, values in raw.items():
        cls = section_settings_class(name) if name in SECTION_NAMES else None
        if cls is None:
            issues.append(Issue(f"settings.{name}: no section named {name!r} takes settings / "
                                "该章节没有可设置项", value=f"settings.{name}",
                                file=source or None))
            continue
        values = values or {}
        if not isinstance(values, dict):
            issues.append(Issue(f"settings.{name} must be a mapping", value=f"settings.{name}",
                                file=source or None))
            continue
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            issues += [Issue(f"unknown key 'settings.{name}.{k}'; known: "
                             f"{', '.join(sorted(known))}", value=f"settings.{name}.{k}",
                             file=source or None) for k in unknown]
            continue
        # YAML has lists, the Settings have tuples
        kw = {k: tuple(_tuple(x) for x in v) if isinstance(v, list) else v
              for k, v in values.items()}
        out.append((name, cls(**kw)))
    if issues:
        raise DataError(issues)
    return tuple(out)


def _tuple(v: Any) -> Any:
    return tuple(_tuple(x) for x in v) if isinstance(v, list) else v


def _as_tuple(v: Any, key: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
        return tuple(v)
    raise DataError(Issue(f"{key}: a name or a list of names", value=key))


