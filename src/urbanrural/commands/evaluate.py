"""``urbanrural evaluate``: run every applicable policy-evaluation design (staggered DiD with
TWFE and Bacon beside it, synthetic control, synthetic DiD) on one outcome and one treatment,
and write the comparison table, the event study, the synthetic-control gaps and placebos
(CSV and Excel) and their plots (one HTML file)."""

from __future__ import annotations

from . import say

__all__ = ["add", "run"]


def add(sub, make_parser) -> None:
    sp = make_parser(sub, "evaluate", "政策评估：交错DID、合成控制与合成DID并列比较",
                     "policy evaluation: staggered DiD, synthetic control and synthetic DiD "
                     "side by side",
                     "urbanrural evaluate --data prop99 --treatment pilots.yaml "
                     "--outcome PacksPerCapita --unit State --time Year --out out/evaluate")
    sp.add_argument("--data", required=True,
                    help="data: a bundled dataset (china_provinces …, or the examples mpdta, "
                         "basque, prop99) or a file 数据：内置数据集（含示例 mpdta、basque、"
                         "prop99）或文件")
    sp.add_argument("--treatment", required=True, metavar="SPEC",
                    help="treatment file: CSV of unit and first treated year, or YAML (units + "
                         "date, or cohorts) 处理文件：单位与首次处理年份的CSV，或YAML")
    sp.add_argument("--outcome", required=True,
                    help="outcome: an indicator id, or a column with --unit/--time 结果变量："
                         "指标名，或配合 --unit/--time 的列名")
    sp.add_argument("--unit", default=None,
                    help="unit column of a plain long table 长表的单位列 (default 默认: the "
                         "panel's regions 面板的地区)")
    sp.add_argument("--time", default=None,
                    help="time column of a plain long table 长表的时间列 (default 默认: year)")
    sp.add_argument("--bootstrap", type=int, default=999,
                    help="multiplier-bootstrap draws of the event-study band 事件研究一致置信带的"
                         "乘数自助抽样次数")
    sp.add_argument("--placebo-reps", dest="placebo_reps", type=int, default=200,
                    help="placebo replications of the SDID standard errors (0: none; one "
                         "treated unit: every control once) SDID安慰剂标准误的重复次数（0：不计算；"
                         "仅一个处理单位时逐一以每个对照单位为安慰剂）")
    sp.add_argument("--seed", type=int, default=0, help="random seed 随机种子")
    sp.add_argument("--out", default="urbanrural-output/evaluate", help="output folder 输出文件夹")
    sp.add_argument("--force", action="store_true",
                    help="write into a folder that is not an earlier urbanrural output, "
                         "replacing only the files this command writes 写入非 urbanrural "
                         "输出的文件夹时只替换本命令写出的文件")
    sp.set_defaults(func=run)


# unit and time columns of the bundled example panels (used when --unit/--time are not given)
EXAMPLE_COLUMNS = {"mpdta": ("countyreal", "year"), "basque": ("regionname", "year"),
                   "prop99": ("State", "Year")}


def _frame(args):
    """The long table (unit, time, outcome) and the column names to use."""
    from pathlib import Path

    import pandas as pd

    from ..data.datasets import EXAMPLE_DATASETS, load_dataset
    from ..data.errors import DataError, Issue
    from ..pipeline.context import open_source

    if args.data in EXAMPLE_DATASETS or args.unit:
        if args.data in EXAMPLE_DATASETS:
            frame = load_dataset(args.data)
            args.unit = args.unit or EXAMPLE_COLUMNS[args.data][0]
            args.time = args.time or EXAMPLE_COLUMNS[args.data][1]
        elif Path(args.data).suffix.lower() in (".csv", ".txt"):
            frame = pd.read_csv(args.data, sep=None, engine="python")
        else:
            raise DataError(Issue("--unit/--time need a CSV long table", value=args.data))
        if not args.unit or not args.time:
            raise DataError(Issue("a plain long table needs --unit and --time / 长表需给出 "
                                  "--unit 与 --time", value=args.data))
        return frame, args.unit, args.time, args.outcome, None
    panel = open_source(args.data)
    if args.outcome not in panel.indicator_ids:
        raise DataError(Issue("--outcome: indicator not in the data / 数据中无此指标",
                              value=args.outcome))
    d = panel.data
    d = d[d.indicator == args.outcome]
    wide = d.pivot(index="region_code", columns="year", values="value")
    complete = wide.notna().all(axis=1)
    long = (wide[complete].stack().rename(args.outcome).rename_axis(["unit", "year"])
            .reset_index())
    return long, "unit", "year", args.outcome, panel


def run(args) -> int:
    import yaml

    from ..outputs.destination import OutputFolder
    from ..outputs.sections.evaluation import _event_study, _gaps
    from ..outputs.tables import write_tables
    from ..pipeline.evaluate import COMPARISON_LABELS, Treatment, evaluate_designs, read_treatment

    dest = OutputFolder(args.out, command="evaluate", force=args.force)
    for note in dest.notes:
        say(f"note: {note}")
    frame, unit, time, outcome, panel = _frame(args)
    treatment = read_treatment(args.treatment)
    if panel is not None and getattr(panel, "registry", None) is not None:
        treatment = Treatment({panel.registry.resolve(u, file=treatment.source): y
                               for u, y in treatment.first_treated.items()}, treatment.source)
    res = evaluate_designs(frame, unit=unit, time=time, outcome=outcome, treatment=treatment,
                           bootstrap=args.bootstrap, placebo_reps=args.placebo_reps,
                           seed=args.seed)
    tables = {"designs": res.comparison}
    labels = {"designs": dict(COMPARISON_LABELS, design_en="设计（英文）")}
    if res.event_study is not None:
        tables["event_study"] = res.event_study
        labels["event_study"] = {"event": "处理后期数", "att": "平均处理效应", "se": "标准误",
                                 "se_boot": "自助法标准误",
                                 "ci_low": "一致置信带下限", "ci_high": "一致置信带上限",
                                 "kind": "汇总方式"}
    if res.bacon is not None:
        tables["bacon"] = res.bacon
        labels["bacon"] = {"treated": "处理组", "control": "对照组", "kind": "比较类型",
                           "estimate": "2×2估计", "weight": "权重"}
    if res.sc_placebo is not None:
        tables["sc_placebo"] = res.sc_placebo
        labels["sc_placebo"] = {"unit": "单位", "pre_rmspe": "处理前RMSPE",
                                "post_rmspe": "处理后RMSPE", "ratio": "RMSPE之比",
                                "att": "平均差值", "treated": "是否处理单位", "rank": "排序"}
        gaps = res.sc_gaps.rename_axis("time").reset_index()
        tables["sc_gaps"] = gaps
        labels["sc_gaps"] = {"time": "时期", **{c: f"差值：{c}" for c in gaps.columns[1:]}}
    import plotly.io as pio

    parts = []
    if res.event_study is not None:
        from ..pipeline.sections.base import Table

        for fig in _event_study(Table("event", "", "", res.event_study)):
            parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=not parts))
    if res.sc_gaps is not None:
        date = next(iter(treatment.first_treated.values()))
        for fig in _gaps(res.sc_gaps, str(res.sc_gaps.columns[0]), date):
            parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=not parts))
    with dest.writing() as folder:
        write_tables(tables, folder, workbook="evaluation.xlsx", labels=labels)
        record = {"data": args.data, "treatment": args.treatment, "outcome": outcome,
                  "unit": unit, "time": time, "bootstrap": args.bootstrap,
                  "placebo_reps": args.placebo_reps, "seed": args.seed,
                  "notes": [{"zh": zh, "en": en} for zh, en in res.notes]}
        (folder / "evaluation.yaml").write_text(yaml.safe_dump(record, allow_unicode=True,
                                                               sort_keys=False), encoding="utf-8")
        if parts:
            html = ("<!doctype html><meta charset='utf-8'><title>urbanrural evaluate</title>"
                    + "".join(parts))
            (folder / "evaluation_plots.html").write_text(html, encoding="utf-8")
    for r in res.comparison.itertuples():
        say(f"{r.design_en} / {r.design_zh}: {r.estimate:.4g} (se {r.se:.3g}, p {r.p_value:.3g})"
              f" — {r.diagnostic_en} / {r.diagnostic_zh} — "
              + (f"{r.verdict_en} / {r.verdict_zh}" if r.believe
                 else "not read as an effect / 不作为效应解读"))
    for zh, en in res.notes:
        say(f"note: {en} / {zh}")
    say(f"wrote {len(dest.files)} files to {dest.path}")
    return 0
