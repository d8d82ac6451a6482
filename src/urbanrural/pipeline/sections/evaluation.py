"""Policy evaluation: every applicable design side by side, with the diagnostics that decide
which to believe (see :mod:`urbanrural.pipeline.evaluate`).

The section runs only when the spec names a treatment (``settings: {evaluation: {treatment:
pilots.csv, outcome: <indicator id>}}``); otherwise it returns a skipped result. Units are the
panel's region codes; the treatment file names them by code (or by a name the region registry
knows). Units lacking the outcome in any year of the span are left out and named in a note;
a treated unit lacking it is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...data.errors import DataError, Issue
from ..analysis import skipped
from ..context import RunContext
from .base import Note, SectionResult, Table

__all__ = ["Settings", "run", "section_result"]

NAME = "evaluation"


@dataclass(frozen=True)
class Settings:
    """Settings of the evaluation section.

    Attributes
    ----------
    treatment : a treatment file (CSV of unit and first treated year, or YAML); ``None``
        skips the section.
    outcome : the indicator id evaluated.
    bootstrap : multiplier-bootstrap draws of the event-study band.
    placebo_reps : placebo replications of the SDID standard errors (0: no standard error;
        with one treated unit every control is the placebo once, whatever the count).
    seed : seed of both.
    """

    treatment: str | None = None
    outcome: str = ""
    bootstrap: int = 199
    placebo_reps: int = 200
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "treatment": self.treatment is None or (isinstance(self.treatment, str)
                                                    and self.treatment.strip() != ""),
            "outcome": isinstance(self.outcome, str) and (self.treatment is None
                                                          or self.outcome.strip() != ""),
            "bootstrap": isinstance(self.bootstrap, int) and not isinstance(self.bootstrap, bool)
            and 0 <= self.bootstrap <= 100_000,
            "placebo_reps": isinstance(self.placebo_reps, int)
            and not isinstance(self.placebo_reps, bool)
            and (self.placebo_reps == 0 or 2 <= self.placebo_reps <= 100_000),
            "seed": isinstance(self.seed, int) and not isinstance(self.seed, bool),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError(Issue(f"settings.{NAME}.{bad[0]}: invalid value / 取值无效",
                                  value=repr(getattr(self, bad[0]))))


def _labels() -> dict[str, str]:
    from ..evaluate import COMPARISON_LABELS

    return dict(COMPARISON_LABELS, design_en="设计（英文）")


def run(ctx: RunContext) -> SectionResult:
    s: Settings = ctx.spec.setting(NAME)
    if s.treatment is None:
        return skipped(NAME, "分析设置未指定处理（试点）文件，本节不运行。",
                       "The spec names no treatment (pilot) file, so this section does not run.")
    from ..evaluate import Treatment, evaluate_designs, read_treatment

    treatment = read_treatment(s.treatment)
    panel = ctx.panel()
    registry = getattr(panel, "registry", None)
    if registry is not None:  # names, short names and codes all resolve to the panel's codes
        treatment = Treatment({registry.resolve(u, file=treatment.source): y
                               for u, y in treatment.first_treated.items()}, treatment.source)
    if s.outcome not in panel.indicator_ids:
        raise DataError(Issue(f"settings.{NAME}.outcome: indicator not in the data",
                              value=s.outcome))
    wide = panel.wide(s.outcome)
    complete = wide.notna().all(axis=1)
    years = wide.columns
    left_out = sorted(wide.index[~complete])
    bad = [u for u in treatment.first_treated if u in left_out]
    if bad:
        raise DataError(Issue(f"settings.{NAME}: treated unit {bad[0]} lacks '{s.outcome}' in "
                              "some year; complete the series or shorten it explicitly",
                              value=bad[0]))
    long = (wide.loc[complete, years].stack().rename("value").rename_axis(["unit", "year"])
            .reset_index())
    run_ = ctx.cached(("evaluation", s), lambda: evaluate_designs(
        long, unit="unit", time="year", outcome="value", treatment=treatment,
        bootstrap=s.bootstrap, placebo_reps=s.placebo_reps, seed=s.seed))
    return section_result(run_, treatment=treatment, settings=s, left_out=left_out,
                          years=[int(y) for y in years])


def _sdid_se(run_) -> dict:
    """How the SDID row's standard error was obtained, for the prose (``has``: one exists;
    ``exhaustive``: every control was the placebo once; ``reason`` when there is none)."""
    r = run_.results.get("sdid")
    if r is None:
        return {"has": False, "exhaustive": False, "reason": "not_run"}
    has = r.se_method is not None and bool(r.se == r.se)
    return {"has": has, "exhaustive": has and r.n_treated == 1,
            "reason": "" if has else ("off" if r.se_method is None else "undefined")}


def section_result(run_, *, treatment, settings: Settings, left_out=(), years=()
                   ) -> SectionResult:
    """The section's tables, facts and notes from an :class:`~urbanrural.pipeline.evaluate.
    EvaluationRun` (also used to render examples outside the provincial panel)."""
    import numpy as np

    from ...methods.evaluate.claims import EVALUATION_LABELS
    from ..evaluate import DESIGN_NAMES, FIT_LABELS
    from . import SECTIONS

    s = settings

    _, _, tzh, ten = SECTIONS[NAME]
    labels = _labels()
    tables = [Table("evaluation_designs", "各评估设计的估计与诊断",
                    "Estimates and diagnostics of every design", run_.comparison,
                    labels=labels)]
    if run_.event_study is not None:
        tables.append(Table("evaluation_event_study", "事件研究：按处理时长汇总的ATT",
                            "Event study: ATT by time since treatment", run_.event_study,
                            labels={"event": "处理后期数", "att": "平均处理效应", "se": "标准误",
                                    "se_boot": "自助法标准误",
                                    "ci_low": "一致置信带下限", "ci_high": "一致置信带上限",
                                    "kind": "汇总方式"}))
    if run_.sc_placebo is not None:
        tables.append(Table("evaluation_sc_placebo", "合成控制：空间安慰剂检验",
                            "Synthetic control: in-space placebos", run_.sc_placebo,
                            labels={"unit": "单位", "pre_rmspe": "处理前RMSPE",
                                    "post_rmspe": "处理后RMSPE", "ratio": "处理后/处理前RMSPE之比",
                                    "att": "平均差值", "treated": "是否处理单位", "rank": "排序"}))
    notes = [Note(zh, en) for zh, en in run_.notes]
    if left_out:
        notes.append(Note(f"缺少{s.outcome}某些年份数据而未纳入的单位：{'、'.join(left_out)}。",
                          f"Units left out for lacking {s.outcome} in some year: "
                          f"{', '.join(left_out)}."))
    comp = run_.comparison
    facts = {"claims": dict(run_.claims), "rows": {c: int(i) for i, c in enumerate(comp.design)},
             "designs": DESIGN_NAMES, "outcome": s.outcome,
             "n_treated": len(treatment.first_treated),
             "dates": sorted(set(treatment.first_treated.values())),
             "believe_all": bool(np.all(comp["believe"])),
             "labels": {**EVALUATION_LABELS, **FIT_LABELS},
             "sc_gaps": run_.sc_gaps, "sdid_se": _sdid_se(run_),
             "sc_treated": None if run_.sc_gaps is None else str(run_.sc_gaps.columns[0])}
    return SectionResult(NAME, tzh, ten, tables=tuple(tables), facts=facts,
                         options={"treatment": s.treatment, "outcome": s.outcome,
                                  "bootstrap": s.bootstrap, "placebo_reps": s.placebo_reps,
                                  "seed": s.seed, "years": list(years)},
                         notes=tuple(notes))
