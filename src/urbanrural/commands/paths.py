"""``urbanrural paths``: forecast a series to a target year for the nation or for every
province of a user's data — fans, rolling-origin backtest against Naive2, the year each
target is met on the forecast path and its probability — and scenario paths beside the
forecast (CSV and Excel tables, a fan chart as a self-contained HTML page)."""

from __future__ import annotations

from . import say

__all__ = ["add", "run", "parse_target"]


def parse_target(text: str) -> tuple[int, float]:
    """``"2035:2.0"`` → ``(2035, 2.0)``."""
    from ..data.errors import DataError, Issue

    try:
        year, value = text.split(":")
        return int(year), float(value)
    except ValueError:
        raise DataError(Issue(f"--target {text!r}: expected YEAR:VALUE, e.g. 2035:2.0 / "
                              "目标应写作 年份:数值", value=text)) from None


def add(sub, make_parser) -> None:
    sp = make_parser(sub, "paths", "通往目标年份的路径：预测、回测、达标年份与概率、情景",
                     "paths to a target year: forecasts, backtests, year and probability of "
                     "meeting a target, scenarios",
                     "urbanrural paths --target 2035:2.0 --out out/paths")
    sp.add_argument("--data", default="china_national",
                    help="data: a bundled dataset or a file (national or provincial) 数据：内置"
                         "数据集或文件（全国或分省）")
    sp.add_argument("--indicator", default="income_ratio",
                    help="income_ratio (integrated survey), urbanisation, or an indicator id of "
                         "the data 城乡收入比（一体化调查）、城镇化率或数据中的指标代码")
    sp.add_argument("--target", action="append", default=None, metavar="YEAR:VALUE",
                    help="a target, repeatable (default 2035:2.0 for the income ratio) 目标值，"
                         "可重复（收入比默认 2035:2.0）")
    sp.add_argument("--direction", choices=("below", "above"), default=None,
                    help="a target is met at or below / above the value (default: below for "
                         "the income ratio, above otherwise) 达标方向：不高于/不低于目标值")
    sp.add_argument("--scenarios", default=None, metavar="FILE",
                    help="scenario YAML file (national data only) 情景文件（仅全国数据） "
                         "(default 默认: paths_default.yaml)")
    sp.add_argument("--draws", type=int, default=2000, help="simulated paths 模拟路径数")
    sp.add_argument("--seed", type=int, default=12, help="random seed 随机种子")
    sp.add_argument("--out", default="urbanrural-output/paths", help="output folder 输出文件夹")
    sp.add_argument("--force", action="store_true",
                    help="write into a folder that is not an earlier urbanrural output, "
                         "replacing only the files this command writes 写入非 urbanrural "
                         "输出的文件夹时只替换本命令写出的文件")
    sp.set_defaults(func=run)


def _traces(h, f, scenarios) -> list[dict]:
    from ..methods.forecast.models import METHOD_LABELS

    x0, y0 = int(h.year.iloc[-1]), float(h.value.iloc[-1])
    m_zh, m_en = METHOD_LABELS.get(f.method.iloc[0], (f.method.iloc[0], f.method.iloc[0]))
    xs = [x0, *f.year.astype(int).tolist()]
    out: list[dict] = []
    for lv, colour in ((95, "rgba(0,114,178,0.15)"), (80, "rgba(0,114,178,0.30)")):
        if f"lower_{lv}" not in f:
            continue
        out.append({"type": "scatter", "mode": "lines", "x": xs, "y": [y0, *f[f"upper_{lv}"]],
                    "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip",
                    "name": (f"{lv}%上限", f"{lv} % upper")})
        out.append({"type": "scatter", "mode": "lines", "x": xs, "y": [y0, *f[f"lower_{lv}"]],
                    "line": {"width": 0}, "fill": "tonexty", "fillcolor": colour,
                    "name": (f"{lv}%预测区间", f"{lv} % prediction interval")})
    out.append({"type": "scatter", "mode": "lines", "x": xs, "y": [y0, *f["mean"]],
                "line": {"color": "#0072B2", "dash": "dash"},
                "name": (f"点预测（{m_zh}）", f"point forecast ({m_en})")})
    out.append({"type": "scatter", "mode": "lines+markers", "x": h.year.astype(int).tolist(),
                "y": h.value.tolist(), "line": {"color": "#222"}, "name": ("观测值", "observed")})
    if scenarios is not None:
        for _, sc in scenarios.groupby("scenario", sort=False):
            out.append({"type": "scatter", "mode": "lines", "x": [x0, *sc.year.astype(int)],
                        "y": [y0, *sc.value], "line": {"dash": "dot"},
                        "name": ("情景：" + sc.label_zh.iloc[0], "scenario: " + sc.label_en.iloc[0])})
    return out


def _fan_chart(history, forecast, scenarios, path, *, spec) -> None:
    """A self-contained HTML page (Plotly bundled, no network) with one fan chart per region,
    in Chinese and in English."""
    import html

    from ..outputs.html import script_json
    from ..outputs.page import figure
    from ..outputs.render import plotly_js

    divs, figs = [], []
    for i, code in enumerate(dict.fromkeys(forecast.region_code)):
        h = history[history.region_code == code]
        f = forecast[forecast.region_code == code]
        zh, en = figure(_traces(h, f, scenarios if scenarios is not None and len(scenarios) else None),
                        title=(f"{spec.name_zh}（{code}）：预测扇形图",
                               f"{spec.name_en} ({code}): forecast fan"), height=420)
        for lang, fig in (("zh", zh), ("en", en)):
            divs.append(f'<div class="{lang}" id="fan-{lang}-{i}"></div>')
            figs.append((f"fan-{lang}-{i}", fig))
    script = "".join(f"Plotly.newPlot({script_json(cid)}, {script_json(fig['data'])}, "
                     f"{script_json(fig['layout'])}, {{responsive: true}});" for cid, fig in figs)
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(spec.name_zh)} / {html.escape(spec.name_en)}</title>"
            f"<script>{plotly_js()}</script></head><body>{''.join(divs)}<script>{script}</script>"
            "</body></html>")
    path.write_text(page, encoding="utf-8")


# year-met classes of the map: (upper bound, colour, label zh, label en)
_MAP_CLASSES = ((2025, "#1a9850", "2025年或更早", "2025 or earlier"),
                (2030, "#91cf60", "2026—2030年", "2026–2030"),
                (2035, "#fee08b", "2031—2035年", "2031–2035"),
                (10_000, "#fc8d59", "2035年之后", "after 2035"))


def _target_map(targets, path, *, spec, target) -> bool:
    """An SVG map of China's provinces coloured by the year each meets ``target`` on its
    forecast path (grey: not met within the horizon; white: not forecast). False when the
    regions are not provinces."""
    import html

    import numpy as np

    from ..data.registry import china
    from ..outputs.render import _ring_path

    geo = china().geometry()
    codes = {str(f["properties"]["code"]) for f in geo["features"]}
    t = targets[(targets.target_year == target[0]) & (targets.target == target[1])]
    if t.empty or not set(t.region_code.astype(str)) <= codes:
        return False
    year = dict(zip(t.region_code.astype(str), t.year_met, strict=True))
    lon0, lat1, lon1, lat0, width = 73.0, 54.0, 136.0, 17.5, 640
    sx = width / (lon1 - lon0)
    height = round((lat1 - lat0) * sx * 1.15)
    shapes = []
    for f in geo["features"]:
        code = str(f["properties"]["code"])
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        d = " ".join(_ring_path(poly[0], lon0, lat1, sx) for poly in polys)
        if code not in year:
            fill, label = "#ffffff", "未预测 not forecast"
        elif not np.isfinite(year[code]):
            fill, label = "#bdbdbd", "预测期内未达到 not met within the horizon"
        else:
            fill = next(c for hi, c, _, _ in _MAP_CLASSES if year[code] <= hi)
            label = f"{year[code]:.0f}"
        shapes.append(f'<path d="{d}" fill="{fill}" stroke="#666" stroke-width="0.5">'
                      f"<title>{html.escape(code)}: {html.escape(label)}</title></path>")
    legend = [(c, f"{zh} {en}") for _, c, zh, en in _MAP_CLASSES]
    legend += [("#bdbdbd", "预测期内未达到 not met within the horizon"), ("#ffffff", "未预测 not forecast")]
    keys = "".join(f'<rect x="10" y="{height + 10 + 18 * i}" width="14" height="12" fill="{c}" '
                   f'stroke="#666"/><text x="30" y="{height + 20 + 18 * i}" font-size="12">'
                   f"{html.escape(txt)}</text>" for i, (c, txt) in enumerate(legend))
    title = (f"{spec.name_zh}：预测路径达到{target[1]:g}的年份（目标{target[0]}年） / "
             f"{spec.name_en}: year the forecast path meets {target[1]:g} (target {target[0]})")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 -24 {width} '
           f'{height + 24 + 20 + 18 * len(legend)}" font-family="sans-serif">'
           f'<text x="4" y="-8" font-size="13">{html.escape(title)}</text>{"".join(shapes)}{keys}</svg>')
    path.write_text(svg, encoding="utf-8")
    return True


def run(args) -> int:
    import yaml

    from ..data.errors import DataError, Issue
    from ..data.registry import NATIONAL_CODE
    from ..methods.forecast.claims import MIN_SCORED_ERRORS, path_label
    from ..methods.forecast.models import SELECTION_RULE, SINGLE_MODEL_MARGIN
    from ..outputs.destination import OutputFolder
    from ..outputs.tables import write_tables
    from ..pipeline import paths as P  # noqa: N812 - the paths pipeline, named apart from this module
    from ..pipeline.context import open_source
    from ..pipeline.sections.paths import LABELS, Settings

    targets = [parse_target(t) for t in (args.target or ["2035:2.0"])]
    until = max(y for y, _ in targets)
    Settings(until=max(until, 2025), draws=args.draws, seed=args.seed, scenarios=args.scenarios)
    spec = P.series_spec(args.indicator)
    dest = OutputFolder(args.out, command="paths", force=args.force)
    for note in dest.notes:
        say(f"note 提示: {note}")
    panel = open_source(args.data)
    data = panel.data
    out = P.run_regions(data, spec, until=until, targets=targets, draws=args.draws,
                        seed=args.seed, direction=args.direction)
    if out["forecast"].empty:
        reasons = "; ".join(f"{r.region_code}: {r.reason}" for r in out["skipped"].head(5).itertuples())
        raise DataError(Issue(f"paths: no region of {args.data} can be forecast for "
                              f"{args.indicator} ({reasons}) / 没有可预测的地区", value=args.indicator))
    national = set(out["forecast"].region_code) == {NATIONAL_CODE}
    scen = assumptions = None
    if national and spec.id in ("income_ratio", "urbanisation"):
        wide = data.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
        data_for = {}
        for fld, ind in (("urban_income_growth", "urban_disposable_income_new_survey"),
                         ("rural_income_growth", "rural_disposable_income"),
                         ("population_growth", "population_total")):
            if ind in wide:
                s = wide[ind].dropna()
                data_for[fld] = (s.index.to_numpy(int), s.to_numpy(float))
        try:
            ratio = P.series_from_wide(wide, P.NATIONAL_SERIES[0])
            urb = P.series_from_wide(wide, P.NATIONAL_SERIES[1])
            data_for["urbanisation_change"] = urb
            scen, assumptions = P.scenario_paths(P.load_scenarios(args.scenarios), data=data_for,
                                                 ratio=ratio, urbanisation=urb, until=until)
            scen = scen[scen.series == spec.id].assign(region_code=NATIONAL_CODE)
        except DataError as exc:
            say(f"note 提示: scenarios not computed 情景未计算: {exc}")
    elif args.scenarios:
        say("note 提示: scenarios apply to the national income ratio and urbanisation only "
              "情景仅适用于全国收入比与城镇化率")
    tables = {"forecast": out["forecast"], "backtest": out["backtest"], "targets": out["targets"],
              "history": out["history"], "skipped": out["skipped"]}
    if scen is not None:
        tables["scenarios"] = scen
        tables["assumptions"] = assumptions
    labels = {k: {c: LABELS[c] for c in t.columns if c in LABELS} | {"region_code": "地区代码",
                                                                      "reason": "原因",
                                                                      "direction": "达标方向",
                                                                      "last_year": "最后观测年份",
                                                                      "last_value": "最后观测值"}
              for k, t in tables.items()}
    with dest.writing() as folder:
        write_tables(tables, folder, workbook="paths.xlsx", labels=labels)
        _fan_chart(out["history"], out["forecast"], scen, folder / "fan_chart.html", spec=spec)
        if not national:
            for i, tgt in enumerate(targets):
                _target_map(out["targets"], folder / f"target_map_{i + 1}.svg", spec=spec,
                            target=tgt)
        record = {"data": args.data, "indicator": args.indicator, "targets":
                  [{"year": y, "value": v} for y, v in targets], "direction": spec.direction
                  if args.direction is None else args.direction, "draws": args.draws,
                  "seed": args.seed, "scenarios": args.scenarios or "paths_default.yaml",
                  "selection": SELECTION_RULE.format(1 - SINGLE_MODEL_MARGIN),
                  "minimum_scored_errors": MIN_SCORED_ERRORS}
        (folder / "paths.yaml").write_text(yaml.safe_dump(record, allow_unicode=True,
                                                          sort_keys=False), encoding="utf-8")
    for r in out["targets"].itertuples():
        met = "—" if r.year_met != r.year_met else f"{r.year_met:.0f}"
        m_zh, m_en = P.METHOD_LABELS[r.forecast_method]
        say(f"{r.region_code} {spec.id} {r.target_year}:{r.target:g} — {m_en} {m_zh}: "
              f"year met 达标年份 {met}; P(by {r.target_year} 不晚于目标年份) = {r.probability_by:.2f} "
              f"({path_label(r.verdict_probability, 'en')} / {path_label(r.verdict_probability, 'zh')}); "
              f"P(in {r.target_year} 目标年份当年) = {r.probability:.2f}")
    if len(out["skipped"]):
        say(f"{len(out['skipped'])} region(s) not forecast 未预测的地区 (see skipped.csv 见 skipped.csv)")
    say(f"wrote {len(dest.files)} files to {dest.path} 已写出 {len(dest.files)} 个文件")
    return 0
