"""Run every applicable evaluation design on one outcome and one treatment, side by side.

A *treatment* says which units were treated and from when: a CSV with a unit column and a
first-treated-period column, or a YAML file (``units: [...]`` with ``date: 2019``, or
``cohorts: {unit: year}``). Which designs apply follows from it:

* **Staggered DiD** (Callaway–Sant'Anna, doubly robust, never-treated controls) with the
  TWFE estimate and its Goodman-Bacon decomposition beside it — whenever some cohort has a
  pre-period and never-treated units exist.
* **Synthetic control** — when all treated units start at one date (on their average when
  there are several), on the pre-treatment outcomes (equal V), with in-space placebos and the
  convex-hull check.
* **Synthetic DiD, SC and DiD** of ``synthdid`` — when all treated units start at one date.

Nothing is read as an effect alone: the comparison table carries for every design its
estimate, standard error or p-value, its pre-treatment fit and the diagnostic that decides
whether to believe it (pre-test, TWFE agreement, convex hull).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.errors import DataError, Issue
from ..methods.claims import Claim

__all__ = ["Treatment", "EvaluationRun", "read_treatment", "treatment_from", "evaluate_designs",
           "COMPARISON_LABELS", "DESIGN_NAMES", "FIT_LABELS"]

UNIT_COLUMNS = ("unit", "region", "region_code", "code", "id", "单位", "地区")
DATE_COLUMNS = ("first_treated", "first_treated_year", "year", "date", "cohort", "首次处理年份",
                "年份")

DESIGN_NAMES: dict[str, tuple[str, str]] = {
    "cs_did": ("交错DID（Callaway–Sant'Anna，双重稳健，从未处理组为对照）",
               "Staggered DiD (Callaway–Sant'Anna, doubly robust, never-treated controls)"),
    "twfe": ("双向固定效应DID", "Two-way fixed-effects DiD"),
    "synthetic_control": ("合成控制法（Abadie等）", "Synthetic control (Abadie et al.)"),
    "sdid": ("合成双重差分（SDID）", "Synthetic DiD (SDID)"),
    "sdid_sc": ("合成控制（synthdid求解器）", "Synthetic control (synthdid solver)"),
    "sdid_did": ("双重差分（等权）", "DiD (equal weights)"),
}
FIT_LABELS: dict[str, tuple[str, str]] = {
    "pretest_p": ("平行趋势检验p值", "pre-test p"),
    "forbidden_weight": ("“禁止比较”权重", "forbidden-comparison weight"),
    "pre_rmspe": ("处理前RMSPE", "pre-treatment RMSPE"),
    "pre_rmse": ("处理前RMSE", "pre-treatment RMSE"),
    "placebo_se": ("安慰剂标准误", "placebo standard error"),
}
COMPARISON_LABELS = {"design": "设计", "design_zh": "设计（中文）", "estimate": "估计值",
                     "se": "标准误", "p_value": "p值", "pre_fit": "处理前拟合",
                     "pre_fit_kind": "处理前拟合指标", "diagnostic": "诊断",
                     "diagnostic_zh": "诊断（中文）", "diagnostic_en": "诊断（英文）",
                     "verdict": "结论", "verdict_zh": "结论（中文）", "verdict_en": "结论（英文）",
                     "believe": "可否解读为效应"}


@dataclass(frozen=True)
class Treatment:
    """Treated units and their first treated period (``first_treated``: unit → period)."""

    first_treated: Mapping[str, int]
    source: str = ""

    @property
    def single_date(self) -> bool:
        return len(set(self.first_treated.values())) == 1


def _pick(columns, names, what: str, source: str) -> str:
    low = {str(c).strip().lower(): c for c in columns}
    for n in names:
        if n in low:
            return low[n]
    raise DataError(Issue(f"treatment file: no {what} column (one of {', '.join(names)})",
                          file=source))


def treatment_from(frame: pd.DataFrame, *, source: str = "") -> Treatment:
    """A :class:`Treatment` from a table of units and first treated periods.

    Examples
    --------
    >>> treatment_from(pd.DataFrame({"unit": ["A", "B"], "year": [2019, 2021]})).first_treated
    {'A': 2019, 'B': 2021}
    """
    ucol = _pick(frame.columns, UNIT_COLUMNS, "unit", source)
    dcol = _pick(frame.columns, DATE_COLUMNS, "first-treated period", source)
    units = frame[ucol].astype(str).str.strip()
    dates = pd.to_numeric(frame[dcol], errors="coerce")
    bad = dates.isna() | (dates % 1 != 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(Issue("treatment file: the first treated period must be a whole year",
                              file=source, row=i + 2, column=str(dcol),
                              value=str(frame[dcol].iloc[i])))
    dup = units.duplicated(keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(Issue("treatment file: a unit is listed twice", file=source, row=i + 2,
                              column=str(ucol), value=units.iloc[i]))
    if units.empty:
        raise DataError(Issue("treatment file: no treated unit", file=source))
    return Treatment(dict(zip(units, dates.astype(int), strict=True)), source)


def read_treatment(path: str | Path) -> Treatment:
    """Read a treatment file: CSV (unit, first_treated) or YAML (units + date, or cohorts).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` file with a unit column (``unit``, ``region``, ``region_code``, ``code``,
        ``id``, ``单位`` or ``地区``) and a first-treated-period column (``first_treated``,
        ``first_treated_year``, ``year``, ``date``, ``cohort``, ``首次处理年份`` or ``年份``), or
        a ``.yaml``/``.yml`` file with ``units: [...]`` and ``date: year``, or
        ``cohorts: {unit: year}``.

    Returns
    -------
    Treatment
        Unit → first treated period. A missing file, a missing column, a period that is not
        a whole year or a unit listed twice is a :class:`~urbanrural.data.errors.DataError`
        naming the file and, for a bad row, its row and column.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> f = os.path.join(d, "t.yaml")
    >>> _ = open(f, "w", encoding="utf-8").write("units: [California]\\ndate: 1989\\n")
    >>> read_treatment(f).first_treated
    {'California': 1989}
    """
    p = Path(path)
    if not p.exists():
        raise DataError(Issue("treatment file not found / 处理文件不存在", file=str(p)))
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        if isinstance(doc, dict) and "cohorts" in doc and isinstance(doc["cohorts"], dict):
            frame = pd.DataFrame({"unit": list(doc["cohorts"]),
                                  "first_treated": list(doc["cohorts"].values())})
        elif isinstance(doc, dict) and "units" in doc and "date" in doc:
            units = doc["units"] if isinstance(doc["units"], list) else [doc["units"]]
            frame = pd.DataFrame({"unit": units, "first_treated": doc["date"]})
        else:
            raise DataError(Issue("treatment YAML: give 'units' with 'date', or 'cohorts' "
                                  "(unit: first treated year)", file=str(p)))
        return treatment_from(frame, source=str(p))
    return treatment_from(pd.read_csv(p, dtype=str), source=str(p))


@dataclass(frozen=True)
class EvaluationRun:
    """Every design run on one outcome and treatment.

    ``comparison``: one row per design (``design`` code, ``design_zh``/``design_en``,
    ``estimate``, ``se``, ``p_value``, ``pre_fit``, ``pre_fit_kind``, ``diagnostic``,
    ``verdict``, ``believe``). ``event_study``: the dynamic aggregation of ATT(g,t) with its
    uniform band. ``sc_gaps``: the treated gap and every placebo gap by period.
    """

    comparison: pd.DataFrame
    event_study: pd.DataFrame | None
    sc_gaps: pd.DataFrame | None
    sc_placebo: pd.DataFrame | None
    bacon: pd.DataFrame | None
    claims: Mapping[str, Claim]
    notes: tuple[tuple[str, str], ...] = ()
    results: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _pre_fit_sdid(r, Y: np.ndarray, n0: int, t0: int, level_shift: bool) -> float:
    d = Y[n0:, :t0].mean(axis=0) - r.unit_weights.to_numpy() @ Y[:n0, :t0]
    if level_shift:
        d = d - d.mean()
    return float(np.sqrt(np.mean(d**2)))


def evaluate_designs(data: pd.DataFrame, *, unit: str, time: str, outcome: str,
                     treatment: Treatment, bootstrap: int = 199, placebo_reps: int = 200,
                     seed: int = 0, alpha: float = 0.05) -> EvaluationRun:
    """Run every design the treatment allows and compare them (see the module notes).

    Staggered DiD: :func:`~urbanrural.methods.evaluate.att_gt` (Callaway & Sant'Anna 2021)
    with :func:`~urbanrural.methods.evaluate.twfe` and the Goodman-Bacon (2021) decomposition;
    with a single treatment date also :func:`~urbanrural.methods.evaluate.synthetic_control`
    (Abadie, Diamond & Hainmueller 2010) and :func:`~urbanrural.methods.evaluate.sdid`
    (Arkhangelsky et al. 2021) with its SC and DiD variants.

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per unit and period.
    unit : str
        The unit column (compared as text with the treatment's units).
    time : str
        The period column.
    outcome : str
        The outcome column.
    treatment : Treatment
        The treated units and their first treated periods (e.g. :func:`read_treatment`);
        every other unit is never treated.
    bootstrap : int, default 199
        Multiplier-bootstrap draws for the uniform band of the event study (0: pointwise).
    placebo_reps : int, default 200
        Placebo replications of the SDID standard errors (0: none). With one treated unit
        every control is the placebo once instead (exact; the count only switches them on).
    seed : int, default 0
        Seed of the bootstrap and placebo draws.
    alpha : float, default 0.05
        Significance level of tests and bands.

    Returns
    -------
    EvaluationRun
        The comparison table (one row per design run), the event study, the synthetic
        control's gaps and placebos, the Bacon decomposition and the claims behind each
        verdict.

    Examples
    --------
    >>> from urbanrural.data.datasets import load_dataset
    >>> mp = load_dataset("mpdta")
    >>> first = mp[mp["first.treat"] > 0].groupby("countyreal")["first.treat"].first()
    >>> run = evaluate_designs(mp, unit="countyreal", time="year", outcome="lemp",
    ...                        treatment=Treatment(first.to_dict()), bootstrap=0)
    >>> run.comparison.design.tolist(), run.claims["twfe_agreement"].verdict
    (['cs_did', 'twfe'], 'agree')
    """
    from ..methods.evaluate import (
        att_gt,
        bacon_decomposition,
        convex_hull_claim,
        effect_claim,
        pretrend_claim,
        sdid,
        synthetic_control,
        twfe,
        twfe_agreement_claim,
    )
    from ..methods.evaluate.claims import EVALUATION_LABELS, prefit_claim
    from ..methods.evaluate.sdid import panel_matrices, placebo_standard_errors

    d = data[[unit, time, outcome]].copy()
    d[unit] = d[unit].astype(str)
    treatment = Treatment({str(u): int(y) for u, y in treatment.first_treated.items()},
                          treatment.source)
    known = set(d[unit])
    missing = [u for u in treatment.first_treated if u not in known]
    if missing:
        raise DataError(Issue(f"treated unit {missing[0]!r} is not in the data (column "
                              f"'{unit}')", column=unit, value=missing[0]))
    times = np.sort(pd.to_numeric(d[time]).unique())
    d["_cohort"] = d[unit].map(treatment.first_treated).fillna(0).astype(int)
    d["_treated"] = ((d["_cohort"] > 0) & (pd.to_numeric(d[time]) >= d["_cohort"])).astype(int)
    rows, claims, notes, results = [], {}, [], {}
    event = gaps = placebo = bacon_t = None

    words = {**EVALUATION_LABELS, **FIT_LABELS}

    def row(code, estimate, se, p, pre_fit, kind, diagnostic, verdict, believe):
        zh, en = DESIGN_NAMES[code]
        rows.append({"design": code, "design_zh": zh, "design_en": en, "estimate": estimate,
                     "se": se, "p_value": p, "pre_fit": pre_fit, "pre_fit_kind": kind,
                     "diagnostic": diagnostic, "diagnostic_zh": words[diagnostic][0],
                     "diagnostic_en": words[diagnostic][1], "verdict": verdict,
                     "verdict_zh": words[verdict][0], "verdict_en": words[verdict][1],
                     "believe": believe})

    has_never = (d.groupby(unit)["_cohort"].first() == 0).any()
    inside = [g for g in set(treatment.first_treated.values()) if times.min() < g <= times.max()]
    if has_never and inside:
        cs = att_gt(d, y=outcome, time=time, unit=unit, cohort="_cohort", bootstrap=bootstrap,
                    seed=seed, alpha=alpha)
        simple = cs.aggregate("simple", bootstrap=0)
        dyn = cs.aggregate("dynamic")
        tw = twfe(d, y=outcome, time=time, unit=unit, cohort="_cohort")
        pre = pretrend_claim(cs.pretest_p, alpha=alpha, stat=cs.pretest_stat, df=cs.pretest_df)
        eff = effect_claim(simple.att, simple.se, alpha=alpha)
        agree = twfe_agreement_claim(tw.estimate, tw.se, simple.att, simple.se)
        claims.update(cs_effect=eff, pretrend=pre, twfe_agreement=agree,
                      twfe_effect=effect_claim(tw.estimate, tw.se, alpha=alpha))
        # one treated unit: the influence-function variance rests on a single observation
        single = len(treatment.first_treated) == 1
        cs_diag = "single_treated_unit" if single else pre.verdict
        row("cs_did", simple.att, simple.se, eff.values["p_value"], cs.pretest_p,
            "pretest_p", cs_diag, eff.verdict, not single and pre.verdict != "pretrends_rejected")
        try:
            b = bacon_decomposition(d, y=outcome, time=time, unit=unit, cohort="_cohort")
            bacon_t = b.to_frame()
            forbidden = b.forbidden_weight
        except DataError:
            forbidden = float("nan")
        row("twfe", tw.estimate, tw.se, claims["twfe_effect"].values["p_value"], forbidden,
            "forbidden_weight", "single_treated_unit" if single else agree.verdict,
            claims["twfe_effect"].verdict, not single and agree.verdict == "agree")
        event = dyn.table.assign(kind="dynamic")
        results.update(att_gt=cs, twfe=tw)
        if cs.dropped_units:
            names = [str(u) for u in cs.dropped_units]
            notes.append((f"交错DID未使用在第一期（{times.min():g}年）或之前已受处理的单位："
                          f"{'、'.join(names)}（无处理前期可比较）。",
                          f"Staggered DiD leaves out the units treated in or before the first "
                          f"period ({times.min():g}): {', '.join(names)} (no pre-treatment "
                          "period to compare)."))
        if cs.recoded_units:
            names = [str(u) for u in cs.recoded_units]
            notes.append((f"以下处理单位在数据最后一期（{times.max():g}年）之后才受处理，交错DID与"
                          f"双向固定效应将其作为从未处理的对照单位：{'、'.join(names)}。",
                          f"These treated units start after the last period of the data "
                          f"({times.max():g}); staggered DiD and TWFE use them as "
                          f"never-treated controls: {', '.join(names)}."))
    else:
        notes.append(("交错DID未运行：需要处理前期以及从未处理的对照单位。",
                      "Staggered DiD not run: it needs a pre-treatment period and never-treated "
                      "units."))
    if treatment.single_date:
        date = next(iter(treatment.first_treated.values()))
        treated_units = list(treatment.first_treated)
        sc_data = d
        sc_unit = treated_units[0]
        if len(treated_units) > 1:
            sc_unit = "treated average / 处理组均值"
            avg = (d[d[unit].isin(treated_units)].groupby(time, as_index=False)[outcome].mean()
                   .assign(**{unit: sc_unit}))
            sc_data = pd.concat([d[~d[unit].isin(treated_units)][[unit, time, outcome]], avg])
            notes.append(("合成控制以全部处理单位的均值为处理对象。",
                          "The synthetic control treats the average of the treated units."))
        sc = synthetic_control(sc_data, unit=unit, time=time, outcome=outcome, treated=sc_unit,
                               treatment_time=date)
        space = sc.placebo_in_space()
        hull = sc.hull()
        claims["sc_hull"] = hull
        claims["sc_effect"] = effect_claim(sc.att, alpha=alpha, p_value=space.p_value)
        believe = hull.verdict == "inside_hull"
        row("synthetic_control", sc.att, float("nan"), space.p_value, sc.pre_rmspe,
            "pre_rmspe", hull.verdict, claims["sc_effect"].verdict if believe else hull.verdict,
            believe)
        gaps, placebo = space.gaps, space.table
        results["synthetic_control"] = sc
        Y, n0, t0, _, _ = panel_matrices(d, unit=unit, time=time, outcome=outcome,
                                         treated="_treated")
        variants = (("sdid", "sdid"), ("sdid_sc", "sc"), ("sdid_did", "did"))
        cols = dict(unit=unit, time=time, outcome=outcome, treated="_treated")
        fits = [sdid(d, **cols, estimator=est, se=None) for _, est in variants]
        if placebo_reps and n0 > Y.shape[0] - n0:
            # the three placebo SEs on the same draws, their weight problems in one batch
            fits = placebo_standard_errors(d, fits, **cols, replications=placebo_reps,
                                           seed=seed)
        for (code, est), r in zip(variants, fits, strict=True):
            c = effect_claim(r.estimate, r.se, alpha=alpha)
            claims[f"{code}_effect"] = c
            fit = _pre_fit_sdid(r, Y, n0, t0, level_shift=est != "sc")
            if est == "sc":   # no intercept: the same convex-hull check as the synthetic control
                check = convex_hull_claim(Y[n0:, :t0].mean(axis=0), Y[:n0, :t0].T,
                                          pre_rmspe=fit, att=r.estimate)
                ok = check.verdict == "inside_hull"
            else:             # unit intercepts absorb a level gap: the misfit against the effect
                check = prefit_claim(fit, r.estimate)
                ok = check.verdict == "good_pre_fit"
            claims[f"{code}_fit"] = check
            diagnostic = check.verdict
            if est == "did" and ok and "pretrend" in claims and len(treatment.first_treated) > 1 \
                    and claims["pretrend"].verdict == "pretrends_rejected":
                diagnostic, ok = "pretrends_rejected", False   # DiD rests on parallel trends
            row(code, r.estimate, r.se, c.values["p_value"], fit, "pre_rmse", diagnostic,
                c.verdict if ok else diagnostic, ok)
            results[code] = r
    else:
        notes.append(("合成控制与SDID未运行：处理单位的起始时间不同（交错）。",
                      "Synthetic control and SDID not run: the treated units start at different "
                      "dates (staggered adoption)."))
    if not rows:
        raise DataError(Issue("no evaluation design applies to this treatment and data"))
    return EvaluationRun(pd.DataFrame(rows), event, gaps, placebo, bacon_t, claims, tuple(notes),
                         results)
