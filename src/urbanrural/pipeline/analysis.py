"""Run an analysis spec: every section's runner over the data, once, in registry order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ..data.errors import DataError, Issue
from .context import RunContext
from .sections import SECTIONS, runner
from .sections.base import Note, SectionResult, Table
from .spec import AnalysisSpec

__all__ = ["AnalysisResult", "run_analysis"]


@dataclass(frozen=True)
class AnalysisResult:
    """The spec as run (with data fingerprints and version) and each section's result."""

    spec: AnalysisSpec
    sections: tuple[SectionResult, ...]

    def section(self, name: str) -> SectionResult:
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(name)

    def tables(self) -> list[tuple[SectionResult, Table]]:
        """Every table of the run, section by section (the sheets of ``results.xlsx``)."""
        return [(s, t) for s in self.sections for t in s.tables]


def run_analysis(spec: AnalysisSpec, *,
                 progress: Callable[[str], None] | None = None) -> AnalysisResult:
    """Run every section of ``spec``.

    A section whose data are missing returns a result with ``skipped`` set rather than
    failing the run; bad input (a data error) stops the run with the error.

    Parameters
    ----------
    spec : AnalysisSpec
        What to run: data, frameworks, partition, sections and their settings.
    progress : callable, optional
        Called with each section's title as it starts (e.g. ``print``).

    Returns
    -------
    AnalysisResult
        The spec as run (with data fingerprints and the package version) and one
        :class:`SectionResult` per section, in order.

    Raises
    ------
    DataError
        For bad input, or when two sections' tables share a key.

    Examples
    --------
    >>> from urbanrural.pipeline.spec import AnalysisSpec
    >>> r = run_analysis(AnalysisSpec(sections=("coverage",)))
    >>> r.sections[0].name
    'coverage'
    """
    from .._version import __version__

    spec = spec.with_section_defaults()
    ctx = RunContext(spec, progress=progress)
    results = []
    for name in spec.sections:
        ctx.progress(SECTIONS[name][3])
        res = runner(name)(ctx)
        if not isinstance(res, SectionResult) or res.name != name:
            raise TypeError(f"section runner {name!r} must return its SectionResult")
        results.append(res)
    keys = [t.key for r in results for t in r.tables]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise DataError(Issue(f"two report tables share the key(s) {', '.join(dup)}"))
    done = dataclasses.replace(spec, fingerprints=tuple(sorted(ctx.fingerprints.items())),
                               urbanrural_version=__version__)
    return AnalysisResult(done, tuple(results))


def skipped(name: str, zh: str, en: str) -> SectionResult:
    """A section that could not run on the data given, with the reason in both languages."""
    _, _, tzh, ten = SECTIONS[name]
    return SectionResult(name, tzh, ten, skipped=Note(zh, en))
