"""Paths to 2035 on real series: forecasts with fans, rolling-origin backtests, the growth a
ratio target needs, the year and probability of meeting it, scenario paths read from YAML, and
published ex-ante projections scored against what happened.

The national series are built from ``china_national`` exactly as the national section builds
them: the urban–rural disposable income ratio of the integrated household survey (2013 on,
``urban_disposable_income_new_survey / rural_disposable_income``) — never spliced with the
old survey's ratio — and the urbanisation rate of the current data vintage
(``population_urban / population_total``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.errors import DataError, Issue
from ..methods.forecast.backtest import Backtest
from ..methods.forecast.claims import (
    benchmark_claim,
    growth_gap_claim,
    likelihood_claim,
    path_label,
    projection_claim,
    target_claim,
)
from ..methods.forecast.models import METHOD_LABELS, forecast_pool
from ..methods.forecast.targets import (
    SIMULABLE,
    fan_from_paths,
    probability_target_met,
    required_growth,
    simulate_combination,
    simulate_paths,
    year_target_met,
)

__all__ = ["SeriesSpec", "NATIONAL_SERIES", "series_from_wide", "PathRun", "run_series", "run_regions",
           "series_spec", "observed_growth",
           "load_scenarios", "scenario_paths", "load_projections", "score_projections",
           "target_table", "resolve_assumption", "with_verdict_words"]


def with_verdict_words(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``<col>_zh`` and ``<col>_en`` after each verdict-code column: the words
    of :func:`~urbanrural.methods.forecast.claims.path_label`, so that a workbook reader
    never meets a bare code."""
    out = frame.copy()
    for c in columns:
        if c not in out:
            continue
        at = out.columns.get_loc(c) + 1
        out.insert(at, f"{c}_en", [path_label(v, "en") for v in out[c]])
        out.insert(at, f"{c}_zh", [path_label(v, "zh") for v in out[c]])
    return out


@dataclass(frozen=True)
class SeriesSpec:
    """A series the paths section forecasts: ``numerator / denominator × scale``."""

    id: str
    numerator: str
    denominator: str
    scale: float
    name_zh: str
    name_en: str
    unit: str
    direction: str  # which way a target is met: "below" (a ratio) or "above"


NATIONAL_SERIES = (
    SeriesSpec("income_ratio", "urban_disposable_income_new_survey", "rural_disposable_income",
               1.0, "城乡居民人均可支配收入比（城乡一体化住户调查）",
               "Urban–rural disposable income ratio (integrated household survey)", "倍 times",
               "below"),
    SeriesSpec("urbanisation", "population_urban", "population_total", 100.0,
               "常住人口城镇化率（现行数据版本）", "Urbanisation rate (current data vintage)", "%",
               "above"),
)


def series_from_wide(wide: pd.DataFrame, spec: SeriesSpec) -> tuple[np.ndarray, np.ndarray]:
    """Years and values of ``spec`` from a year × indicator frame; the years must be
    consecutive (a gap is an error naming it: a forecast never bridges one silently)."""
    if spec.numerator not in wide or spec.denominator not in wide:
        raise DataError(Issue(f"paths: series {spec.id} needs indicators {spec.numerator} and "
                              f"{spec.denominator}"))
    both = wide[[spec.numerator, spec.denominator]].dropna()
    years = both.index.to_numpy(dtype=int)
    if len(years) and (np.diff(years) != 1).any():
        gap = int(years[np.flatnonzero(np.diff(years) != 1)[0]])
        raise DataError(Issue(f"paths: series {spec.id} has a gap after {gap}; forecasts need "
                              "consecutive years"))
    return years, (spec.scale * both[spec.numerator] / both[spec.denominator]).to_numpy(float)


@dataclass(frozen=True)
class PathRun:
    """Forecast, backtest and simulated paths of one series."""

    spec: SeriesSpec
    years: np.ndarray
    values: np.ndarray
    future_years: np.ndarray
    forecast: object
    backtest: Backtest
    path_method: str
    paths: np.ndarray

    def forecast_frame(self) -> pd.DataFrame:
        f = self.forecast
        out = pd.DataFrame({"series": self.spec.id, "year": self.future_years,
                            "method": f.method, "mean": f.mean})
        for lv in f.levels:
            out[f"lower_{lv}"] = f.lower[lv]
            out[f"upper_{lv}"] = f.upper[lv]
        return out

    def backtest_frame(self) -> pd.DataFrame:
        ov = self.backtest.overall.copy()
        ov.insert(0, "series", self.spec.id)
        ov.insert(2, "method_zh", ov.method.map(lambda m: METHOD_LABELS[m][0]))
        ov.insert(3, "method_en", ov.method.map(lambda m: METHOD_LABELS[m][1]))
        ov["verdict"] = [benchmark_claim(r, n=n).verdict for r, n in zip(ov.relative_mase, ov.n,
                                                                          strict=True)]
        ov["max_horizon"] = int(self.backtest.summary.horizon.max())
        ov["origins"] = int(self.backtest.errors.n_train.nunique())
        return with_verdict_words(ov, ["verdict"])


def run_series(spec: SeriesSpec, years: np.ndarray, values: np.ndarray, *, until: int,
               level: Sequence[int], draws: int, seed: int) -> PathRun:
    """Forecast to ``until`` with ``method="auto"`` (chosen by rolling-origin error), and
    simulate ``draws`` paths of the chosen forecast: the combination's paths
    (:func:`~urbanrural.methods.forecast.targets.simulate_combination`, its members with an
    error model), a model's own, or — for a grey model, which has no probability model —
    those of the best-ranked model that has one. The fan's bounds are the quantiles of these
    paths, so that the fan and the probabilities read from the paths agree."""
    h = int(until - years[-1])
    if h < 1:
        raise DataError(Issue(f"paths: series {spec.id} already reaches {years[-1]}, past {until}"))
    pool = forecast_pool(values, h, level=tuple(level))
    f, comb = pool["auto"], pool["combination"]
    bt = f.backtest
    if f.method == "combination":
        path_method = "combination"
        sims = simulate_combination(values, h, comb.members, draws=draws, seed=seed)
    else:
        # a grey model has no probability model: the best-ranked model that has one
        path_method = next(m for m in (f.method, *f.members) if m in SIMULABLE)
        sims = simulate_paths(values, h, path_method, draws=draws, seed=seed)
    lo, hi = fan_from_paths(sims, f.levels)
    f = replace(f, lower=lo, upper=hi)
    return PathRun(spec, years, values, np.arange(years[-1] + 1, until + 1), f, bt, path_method,
                   sims)


def observed_growth(years: np.ndarray, values: np.ndarray, span: Sequence[int], *,
                    kind: str, what: str) -> float:
    """Compound annual growth (per cent, ``kind="growth"``) or mean annual change
    (``kind="change"``) of a series between the two years of ``span``."""
    y0, y1 = int(span[0]), int(span[1])
    pos = {int(y): i for i, y in enumerate(years)}
    if y0 not in pos or y1 not in pos or y1 <= y0:
        raise DataError(Issue(f"scenario: {what}: observed years {y0}–{y1} are not both in the "
                              f"data ({int(years[0])}–{int(years[-1])})"))
    a, b = values[pos[y0]], values[pos[y1]]
    if kind == "growth":
        return float(100 * ((b / a) ** (1 / (y1 - y0)) - 1))
    return float((b - a) / (y1 - y0))


def resolve_assumption(value, *, data: Mapping[str, tuple[np.ndarray, np.ndarray]], field: str,
                       where: str) -> tuple[float, str]:
    """A number (per cent or points a year) or ``{observed: [y0, y1]}`` computed from
    ``data[field]``; returns the value and where it came from."""
    kinds = {"urban_income_growth": "growth", "rural_income_growth": "growth",
             "population_growth": "growth", "urbanisation_change": "change"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), "given"
    if isinstance(value, Mapping) and set(value) == {"observed"}:
        span = value["observed"]
        if not (isinstance(span, (list, tuple)) and len(span) == 2):
            raise DataError(Issue(f"{where}.{field}: observed must be [first year, last year]"))
        if field not in data:
            raise DataError(Issue(f"{where}.{field}: no data to observe it from"))
        yrs, vals = data[field]
        return (observed_growth(yrs, vals, span, kind=kinds[field], what=f"{where}.{field}"),
                f"observed {int(span[0])}–{int(span[1])}")
    raise DataError(Issue(f"{where}.{field}: {value!r} is neither a number nor "
                          "{observed: [y0, y1]}"))


_FIELDS = ("urban_income_growth", "rural_income_growth", "urbanisation_change", "population_growth")


def load_scenarios(path: str | Path | None = None) -> list[dict]:
    """The scenarios of a YAML file (default: the packaged ``paths_default.yaml``), checked:
    each has a name, labels in both languages and periods with ``from``/``to`` and the four
    assumptions."""
    import yaml

    if path is None:
        text = resources.files("urbanrural.pipeline").joinpath(
            "scenarios", "paths_default.yaml").read_text(encoding="utf-8")
        where = "paths_default.yaml"
    else:
        p = Path(path)
        if not p.is_file():
            raise DataError(Issue(f"scenarios: file {p} not found"))
        text, where = p.read_text(encoding="utf-8"), str(p)
    doc = yaml.safe_load(text)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("scenarios"), list):
        raise DataError(Issue(f"{where}: expected a mapping with a list under 'scenarios'"))
    out = []
    for i, sc in enumerate(doc["scenarios"]):
        w = f"{where}: scenarios[{i}]"
        if not isinstance(sc, Mapping):
            raise DataError(Issue(f"{w}: not a mapping"))
        for key in ("name", "label_zh", "label_en", "periods"):
            if key not in sc:
                raise DataError(Issue(f"{w}: missing {key!r}"))
        for j, per in enumerate(sc["periods"]):
            pw = f"{w}.periods[{j}]"
            missing = [k for k in ("from", "to", *_FIELDS) if k not in per]
            if missing:
                raise DataError(Issue(f"{pw}: missing {', '.join(missing)}"))
            if int(per["to"]) < int(per["from"]):
                raise DataError(Issue(f"{pw}: 'to' {per['to']} is before 'from' {per['from']}"))
        out.append(dict(sc))
    return out


def scenario_paths(scenarios: list[dict], *, data: Mapping[str, tuple[np.ndarray, np.ndarray]],
                   ratio: tuple[np.ndarray, np.ndarray], urbanisation: tuple[np.ndarray, np.ndarray],
                   until: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scenario paths of the income ratio (``r_t = r_{t−1}(1 + g_u)/(1 + g_r)``), the
    urbanisation rate (``u_t = u_{t−1} + Δu``, kept within 0–100) and the population index
    from the last observed year of each to ``until``; and the table of resolved assumptions.
    A year without an assumption is an error naming the scenario and year."""
    rows, assumptions = [], []
    for sc in scenarios:
        per_year: dict[int, dict] = {}
        for j, per in enumerate(sc["periods"]):
            where = f"scenario {sc['name']}.periods[{j}]"
            vals = {}
            for fld in _FIELDS:
                v, src = resolve_assumption(per[fld], data=data, field=fld, where=where)
                vals[fld] = v
                basis_zh = "给定" if src == "given" else src.replace("observed ", "观测 ").replace("–", "—")
                assumptions.append({"scenario": sc["name"], "label_zh": sc["label_zh"],
                                    "label_en": sc["label_en"], "from": int(per["from"]),
                                    "to": int(per["to"]), "assumption": fld, "value": v,
                                    "basis": src, "basis_zh": basis_zh, "basis_en": src})
            for yr in range(int(per["from"]), int(per["to"]) + 1):
                per_year[yr] = vals
        for sid, (yrs, vals), step in (("income_ratio", ratio, "ratio"),
                                       ("urbanisation", urbanisation, "change")):
            level, year = float(vals[-1]), int(yrs[-1])
            for yr in range(year + 1, until + 1):
                if yr not in per_year:
                    raise DataError(Issue(f"scenario {sc['name']}: no assumptions for {yr} "
                                          f"(the {sid} path runs {year + 1}–{until})"))
                a = per_year[yr]
                if step == "ratio":
                    level *= (1 + a["urban_income_growth"] / 100) / (1 + a["rural_income_growth"] / 100)
                else:
                    level = min(100.0, max(0.0, level + a["urbanisation_change"]))
                rows.append({"scenario": sc["name"], "label_zh": sc["label_zh"],
                             "label_en": sc["label_en"], "series": sid, "year": yr, "value": level})
    return pd.DataFrame(rows), pd.DataFrame(assumptions)


def load_projections() -> list[dict]:
    """The packaged ex-ante projections (``paths_exante.yaml``)."""
    import yaml

    text = resources.files("urbanrural.pipeline").joinpath(
        "scenarios", "paths_exante.yaml").read_text(encoding="utf-8")
    return list(yaml.safe_load(text)["projections"])


def score_projections(projections: list[dict], observed: Mapping[str, tuple[np.ndarray, np.ndarray]]
                      ) -> pd.DataFrame:
    """Each projected year after the year the projection was made that has an outcome:
    projected, actual, error (projected − actual) and the verdict of
    :func:`~urbanrural.methods.forecast.claims.projection_claim`; and the same for the change
    since the base year ``made_in`` (projected − projected base vs actual − actual base), which
    takes out a revision of the base data (UN 2018: 59.152 % for 2018 against NBS's revised
    61.50 %)."""
    rows = []
    for pr in projections:
        if pr["series"] not in observed:
            continue
        yrs, vals = observed[pr["series"]]
        actual = dict(zip(yrs.tolist(), vals.tolist(), strict=True))
        for yr, v in sorted(pr["values"].items()):
            yr = int(yr)
            if yr <= int(pr["made_in"]) or yr not in actual:
                continue
            c = projection_claim(float(v), actual[yr])
            base = int(pr["made_in"])
            if base not in actual or base not in pr["values"]:
                raise DataError(Issue(f"projection {pr['id']}: base year {base} needs both a "
                                      "projected and an observed value to score the change"))
            pc, ac = float(v) - float(pr["values"][base]), actual[yr] - actual[base]
            cc = projection_claim(pc, ac)
            rows.append({"projection": pr["id"], "series": pr["series"], "made_in": base,
                         "year": yr, "horizon": yr - base, "projected": float(v),
                         "actual": actual[yr], "error": c.values["error"], "verdict": c.verdict,
                         "projected_change": pc, "actual_change": ac,
                         "change_error": cc.values["error"], "verdict_change": cc.verdict})
    out = pd.DataFrame(rows, columns=["projection", "series", "made_in", "year", "horizon",
                                      "projected", "actual", "error", "verdict",
                                      "projected_change", "actual_change", "change_error",
                                      "verdict_change"])
    return with_verdict_words(out, ["verdict", "verdict_change"])


def target_table(run: PathRun, targets: Sequence[float], *, target_year: int,
                 urban_growth_pct: float) -> pd.DataFrame:
    """Per ratio target: the rural growth needed by ``target_year`` given urban growth
    ``urban_growth_pct`` (the observed rate), the growth gap in points, the first year the
    point forecast meets it, and the shares of simulated paths meeting it in the target year
    (``probability``) and by it (``probability_by``: in any year up to it; the verdict
    ``verdict_probability`` reads this one)."""
    r0, y0 = float(run.values[-1]), int(run.years[-1])
    T = target_year - y0
    rows = []
    for tv in targets:
        gr = float(required_growth(r0, tv, T, urban_growth_pct / 100)) * 100
        ym = year_target_met(run.future_years, run.forecast.mean, tv, direction=run.spec.direction)
        p = probability_target_met(run.future_years, run.paths, tv, target_year,
                                   direction=run.spec.direction)
        p_by = probability_target_met(run.future_years, run.paths, tv, target_year,
                                      direction=run.spec.direction, by=True)
        rows.append({"series": run.spec.id, "target": float(tv), "target_year": target_year,
                     "start_year": y0, "start_value": r0, "years": T,
                     "urban_growth_pct": urban_growth_pct, "required_rural_growth_pct": gr,
                     "growth_gap_pp": gr - urban_growth_pct,
                     "verdict_gap": growth_gap_claim(gr - urban_growth_pct).verdict, "year_met": ym,
                     "forecast_method": run.forecast.method, "probability": p,
                     "probability_by": p_by, "path_method": run.path_method,
                     "verdict_year": target_claim(ym, target_year, int(run.future_years[-1])).verdict,
                     "verdict_probability": likelihood_claim(p_by).verdict})
    return with_verdict_words(pd.DataFrame(rows),
                              ["verdict_gap", "verdict_year", "verdict_probability"])


def series_spec(indicator: str) -> SeriesSpec:
    """The named national series (``income_ratio``, ``urbanisation``) or a raw indicator of
    the data (its values as they are; a target on it is met from above)."""
    for spec in NATIONAL_SERIES:
        if spec.id == indicator:
            return spec
    return SeriesSpec(indicator, indicator, "", 1.0, indicator, indicator, "", "above")


def _region_series(wide: pd.DataFrame, spec: SeriesSpec) -> tuple[np.ndarray, np.ndarray]:
    if spec.denominator:
        return series_from_wide(wide, spec)
    if spec.numerator not in wide:
        raise DataError(Issue(f"paths: the data have no indicator {spec.numerator!r}"))
    s = wide[spec.numerator].dropna()
    years = s.index.to_numpy(dtype=int)
    if len(years) and (np.diff(years) != 1).any():
        gap = int(years[np.flatnonzero(np.diff(years) != 1)[0]])
        raise DataError(Issue(f"paths: series {spec.id} has a gap after {gap}; forecasts need "
                              "consecutive years"))
    return years, s.to_numpy(float)


def run_regions(data: pd.DataFrame, spec: SeriesSpec, *, until: int,
                targets: Sequence[tuple[int, float]], level: Sequence[int] = (80, 95),
                draws: int = 2000, seed: int = 12, direction: str | None = None,
                minimum: int = 6) -> dict[str, pd.DataFrame]:
    """Forecast ``spec`` for every region of a long panel frame (region_code, year,
    indicator, value) to ``until``: forecasts, backtests, and per target (year, value) the
    year the forecast path meets it and the probabilities of meeting it in and by the target
    year.

    A region whose series is shorter than ``minimum`` consecutive years, or has a gap, is
    listed in ``skipped`` with the reason — never dropped silently."""
    if direction is not None:
        spec = replace(spec, direction=direction)
    fc, bt, tg, hist, skipped = [], [], [], [], []
    for code, sub in data.groupby("region_code", sort=True):
        wide = sub.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
        try:
            years, values = _region_series(wide, spec)
        except DataError as exc:
            skipped.append({"region_code": code, "reason": str(exc)})
            continue
        if len(values) < minimum:
            skipped.append({"region_code": code, "reason": f"{len(values)} consecutive years; "
                            f"at least {minimum} are needed"})
            continue
        if years[-1] >= until:
            skipped.append({"region_code": code, "reason": f"the data already reach {until}"})
            continue
        r = run_series(spec, years, values, until=until, level=level, draws=draws, seed=seed)
        hist.append(pd.DataFrame({"region_code": code, "year": years, "value": values}))
        fc.append(r.forecast_frame().assign(region_code=code))
        bt.append(r.backtest_frame().assign(region_code=code))
        for ty, tv in targets:
            if ty not in set(r.future_years.tolist()):
                raise DataError(Issue(f"paths: target year {ty} is outside the forecast "
                                      f"{int(r.future_years[0])}–{int(r.future_years[-1])}"))
            ym = year_target_met(r.future_years, r.forecast.mean, tv, direction=spec.direction)
            p = probability_target_met(r.future_years, r.paths, tv, ty, direction=spec.direction)
            p_by = probability_target_met(r.future_years, r.paths, tv, ty,
                                          direction=spec.direction, by=True)
            tg.append({"region_code": code, "series": spec.id, "target_year": ty, "target": tv,
                       "direction": spec.direction, "last_year": int(years[-1]),
                       "last_value": float(values[-1]), "forecast_method": r.forecast.method,
                       "year_met": ym, "probability": p, "probability_by": p_by,
                       "path_method": r.path_method,
                       "verdict_year": target_claim(ym, ty, until).verdict,
                       "verdict_probability": likelihood_claim(p_by).verdict})
    def cat(rows, cols=None):
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    return {"history": cat(hist, ["region_code", "year", "value"]),
            "forecast": cat(fc), "backtest": cat(bt),
            "targets": with_verdict_words(pd.DataFrame(tg), ["verdict_year", "verdict_probability"]),
            "skipped": pd.DataFrame(skipped, columns=["region_code", "reason"])}
