"""Command-line interface: ``urbanrural <command>``.

Commands
--------
data info [DATASET|FILE]    coverage table (indicator × years × regions)
data check FILE             read and validate a file; exit 0 with a summary or 1 with errors
data convert FILE OUT       convert between CSV / Excel / Parquet and long / wide layouts
data list                   the bundled datasets
index --data D --framework F --out DIR   composite index tables (CSV + Excel)
dynamics --data D --indicator ID --out DIR   dynamics tables for one indicator
gaps --data D --out DIR     urban–rural gap and inequality tables (CSV + Excel)
report [--data D] [--framework F] [--spec S] [--out DIR] [--lang zh|en|both]
                            the main job: index.html, results.xlsx, figures/, analysis.yaml

Output folders (--out) are checked before anything is computed: a new or empty folder is
written, the folder of a previous urbanrural output (it holds the marker file
.urbanrural-output) is replaced once the new output is complete, and anything else is refused
with exit 2 unless --force, which replaces only the files the command writes. The current
folder, the home folder, / and a file are always refused. Exit codes: 0 done, 1 bad input,
2 refused destination or bad usage, 130 interrupted (nothing partial is left behind).
"""

from __future__ import annotations

import _thread
import argparse
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .data import DATASETS, DataError, Issue, Panel, load_dataset, read, write
from .outputs.destination import DestinationError, OutputFile, OutputFolder, discard_active

console = Console()

INTERRUPTED = "已中断，没有留下不完整的输出 / interrupted: no partial output was left behind"


def _e(value) -> str:
    """A user's label (indicator, unit, file, framework or region name) as literal text in
    rich markup: '[/]' or '[bold]' in a label is shown, not interpreted."""
    return escape(str(value))


def _notes(dest) -> None:
    for note in dest.notes:
        console.print(f"[dim]note: {_e(note)}[/dim]")


def _open(source: str, **options) -> Panel:
    if source in DATASETS:
        return load_dataset(source)
    if not Path(source).exists():
        raise DataError(f"'{source}' is neither a bundled dataset ({', '.join(DATASETS)}) "
                        "nor an existing file")
    return read(source, **options)


def _strip(panel: Panel, ind: str, years: list[int], n_regions: int) -> str:
    """One character per year: █ all regions, ▓ at least half, ░ some, · none."""
    d = panel._data
    counts = d[d.indicator == ind].groupby("year").size()
    chars = []
    for y in years:
        c = int(counts.get(y, 0))
        chars.append("█" if c >= n_regions else "▓" if c >= n_regions / 2 else
                     "░" if c > 0 else "·")
    return "".join(chars)


def coverage_table(panel: Panel, lang: str = "both", *, width: int | None = None) -> Table:
    """Coverage of a panel as a console table; below 110 columns the year strip and English
    names are left out so that it fits an 80-column terminal."""
    cov = panel.coverage()
    years = panel.years
    n_regions = len(panel.regions)
    narrow = (width or console.width) < 110
    title = panel.provenance.get("title_zh", panel.name)
    if panel.provenance.get("title_en"):
        title += f" / {panel.provenance['title_en']}"
    caption = "complete 完整 = every region has every year in its span 每个地区在其年份范围内无缺年"
    if not narrow:
        caption = (f"years 年份 {years[0]}→{years[-1]}: █ all 全部 {n_regions} regions 地区  "
                   "▓ ≥ half 过半  ░ some 部分  · none 无.  " + caption)
    t = Table(title=f"{_e(title)}: {n_regions} regions 地区, {years[0]}–{years[-1]}, "
                    f"{len(cov)} indicators 指标, {len(panel)} values 数值",
              caption=caption, show_lines=False, header_style="bold")
    heads = (("指标 id", "单位 unit", "年份 years", "地区", "数值", "完整") if narrow else
             ("indicator 指标", "unit 单位", "years 年份", "regions 地区", "values 数值",
              "complete 完整"))
    t.add_column(heads[0], overflow="fold", min_width=20, max_width=30 if narrow else 44)
    t.add_column(heads[1], max_width=8 if narrow else 12, overflow="fold")
    t.add_column(heads[2], overflow="fold", min_width=9, max_width=14 if narrow else 40)
    t.add_column(heads[3], justify="right", no_wrap=True)
    t.add_column(heads[4], justify="right", no_wrap=True)
    t.add_column(heads[5], justify="center", no_wrap=True)
    if not narrow:
        t.add_column("coverage by year 逐年覆盖", no_wrap=True)
    for ind, r in cov.iterrows():
        label = _e(ind)
        names = r.name_zh if narrow else " / ".join(x for x in (r.name_zh, r.name_en) if x)
        if names:
            label = f"{_e(ind)}\n[dim]{_e(names)}[/dim]"
        span = f"{r.first_year}–{r.last_year}" if r.first_year != r.last_year else \
            str(r.first_year)
        if r.missing_years:
            span += f"\n[dim]gaps 缺年: {_e(r.missing_years)}[/dim]"
        complete = "[green]✔[/green]" if r.complete else \
            f"[yellow]{100 * r.share_present:.0f}%[/yellow]"
        row = [label, _e(r.unit), span, _e(r.of_all_regions), str(r.n_values), complete]
        if not narrow:
            row.append(_strip(panel, ind, years, n_regions))
        t.add_row(*row)
    return t


def cmd_info(args) -> int:
    sources = [args.source] if args.source else list(DATASETS)
    for s in sources:
        panel = _open(s)
        console.print(coverage_table(panel))
        if panel.report is not None:
            console.print(panel.report.summary(), markup=False, highlight=False)
    return 0


def cmd_check(args) -> int:
    try:
        panel = read(args.file, **_read_options(args))
    except DataError as e:
        console.print(f"[bold red]✗ {_e(args.file)} cannot be used as it is[/bold red]")
        console.print(str(e), markup=False, highlight=False)
        return 1
    rep = panel.report
    console.print(f"[bold green]✓ {_e(args.file)}[/bold green]: {len(panel.regions)} regions, "
                  f"{len(panel.indicator_ids)} indicator(s), years "
                  f"{panel.years[0]}–{panel.years[-1]}")
    console.print(rep.summary(), markup=False, highlight=False)
    if not rep.balanced:  # pragma: no cover - a bug, not a user error
        console.print("[red]row accounting does not balance[/red]")
        return 2
    return 0


def cmd_convert(args) -> int:
    # checked before reading: unknown type, a folder, the input itself (also through a link),
    # an existing file without --force
    dest = OutputFile(args.out, force=args.force,
                      inputs=[args.file] if args.file not in DATASETS else [])
    try:
        panel = _open(args.file, **_read_options(args))
    except DataError as e:
        console.print(str(e), markup=False, highlight=False)
        return 1
    with dest.writing() as tmp:
        write(panel, tmp, layout=args.layout, lang=args.lang)
    console.print(f"wrote {dest.path} ({len(panel)} values, layout {args.layout})",
                  markup=False, highlight=False)
    return 0


def cmd_list(args) -> int:
    t = Table(title="bundled datasets 内置数据集")
    for c in ("name", "title 标题", "regions", "years", "indicators"):
        t.add_column(c)
    for name, (zh, en, _) in DATASETS.items():
        p = load_dataset(name)
        t.add_row(name, f"{zh}\n{en}", str(len(p.regions)), f"{p.years[0]}–{p.years[-1]}",
                  str(len(p.indicator_ids)))
    console.print(t)
    return 0


def _years(text: str | None) -> tuple[int, int] | None:
    """``2005-2020`` (or ``2005:2020``) as a pair of years; a bad value is a clear error."""
    if text is None:
        return None
    parts = text.replace(":", "-").replace("–", "-").split("-")
    try:
        first, last = (int(p) for p in parts)
    except ValueError:
        raise DataError(Issue("--years: write the first and last year, e.g. 2005-2020 / "
                              "年份范围的写法如 2005-2020", value=text)) from None
    return first, last


def cmd_report(args) -> int:
    """The main job: the whole default analysis, written as a bilingual report."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .outputs.bundle import write_report
    from .pipeline.analysis import run_analysis
    from .pipeline.spec import AnalysisSpec

    dest = OutputFolder(args.out, command="report", force=args.force)
    _notes(dest)
    spec = AnalysisSpec.from_yaml(args.spec) if args.spec else AnalysisSpec()
    flags = {"data": args.data, "lang": args.lang, "partition": args.partition,
             "years": _years(args.years),
             "permutations": args.permutations, "seed": args.seed,
             "with_data": tuple(args.with_data) if args.with_data else None,
             "frameworks": tuple(args.framework) if args.framework else None,
             "sections": tuple(x.strip() for x in args.sections.split(",") if x.strip())
             if args.sections else None}
    if args.spec and args.data is not None:
        flags["fingerprints"] = ()  # other data: the recorded fingerprints no longer apply
    spec, changed = spec.with_overrides(**flags)
    if args.treatment is not None or args.outcome is not None:
        # a treatment turns the policy-evaluation section on (before the methods section)
        spec, more = spec.with_settings("evaluation", treatment=args.treatment,
                                        outcome=args.outcome)
        changed += more
        if "evaluation" not in spec.sections:
            at = spec.sections.index("methods") if "methods" in spec.sections else \
                len(spec.sections)
            spec, _ = spec.with_overrides(
                sections=(*spec.sections[:at], "evaluation", *spec.sections[at:]))
            changed.append("sections")
    if args.spec and changed:
        console.print(f"[yellow]flags override {_e(args.spec)}: {_e(', '.join(changed))} / "
                      f"命令行参数覆盖了分析设定中的：{_e('、'.join(changed))}[/yellow]")
    t0 = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as prog:
        task = prog.add_task("report", total=None)

        def step(msg):
            prog.update(task, description=f"[bold]report 报告[/bold] · {_e(msg)}")

        result = run_analysis(spec, progress=step)
        step("index.html, results.xlsx, figures, analysis.yaml")
        out = write_report(result, dest, lang=spec.lang)
    elapsed = time.perf_counter() - t0
    t = Table(title="urbanrural report 城乡融合与共同富裕报告", header_style="bold")
    t.add_column("section 章节")
    t.add_column("result 结果")
    for s in result.sections:
        if s.skipped is not None:
            what = f"skipped 未运行: {s.skipped.zh} / {s.skipped.en}"
        else:
            what = f"{len(s.tables)} tables 张表" + (f", {len(s.notes)} notes 条说明"
                                                   if s.notes else "")
        t.add_row(f"{_e(s.title_zh)}\n{_e(s.title_en)}", _e(what))
    n_tables = sum(len(s.tables) for s in result.sections)
    t.add_row("outputs 输出", f"{_e(dest.path / 'index.html')}\nresults.xlsx ({n_tables} sheets 张表, "
                            f"{out['cited']} numbers cited 处引用), {len(out['figures']) // 2} "
                            "figures 幅图, analysis.yaml")
    t.add_row("time 用时", f"{elapsed:.1f} s")
    console.print(t)
    return 0


def cmd_gaps(args) -> int:
    from .outputs.tables import write_tables
    from .pipeline.gaps import run_gaps

    dest = OutputFolder(args.out, command="gaps", force=args.force)
    _notes(dest)
    panel = _open(args.data)
    res = run_gaps(panel, partition=args.partition, bootstrap=args.bootstrap, seed=args.seed)
    if not res.tables:
        console.print("nothing to compute: " + "; ".join(res.notes), markup=False,
                      highlight=False)
        return 1
    with dest.writing() as folder:
        write_tables(res.tables, folder, workbook="gaps.xlsx")
    t = Table(title="urban–rural gaps and regional inequality 城乡差距与区域不平等: "
                    f"{_e(panel.name)}")
    t.add_column("table 表")
    t.add_column("rows 行数", justify="right")
    for name, frame in res.tables.items():
        t.add_row(_e(name), str(len(frame)))
    console.print(t)
    from .data.registry import NATIONAL_CODE
    from .methods.claims import gap_trend_claim, label

    if "urban_rural_gaps" in res.tables:
        g = res.tables["urban_rural_gaps"]
        v = Table(title="urban–rural gaps 城乡差距 (national, or the median over regions "
                        "全国，或各地区中位数)")
        for c in ("pair 指标对", "years 年份", "ratio 城乡比", "trend 趋势 (Mann–Kendall)"):
            v.add_column(c, overflow="fold")
        for _, sub in g.groupby(["urban_indicator", "rural_indicator"], sort=False):
            nat = sub[sub.region_code == NATIONAL_CODE]
            series = (nat if len(nat) else sub).groupby("year").ratio.median().dropna()
            if series.empty:
                continue
            # the gap is the distance from parity, |ln ratio|: a ratio below 1 (e.g. Engel
            # coefficients, urban/rural) narrows as it rises towards 1
            c = gap_trend_claim(series.index.to_numpy(), np.abs(np.log(series.to_numpy())))
            v.add_row(_e(f"{sub.pair_zh.iloc[0]}\n{sub.pair_en.iloc[0]}"),
                      f"{series.index[0]}–{series.index[-1]}",
                      f"{series.iloc[0]:.2f} → {series.iloc[-1]:.2f}",
                      f"{label(c.verdict, 'zh')} / {label(c.verdict, 'en')}")
        console.print(v)
    if "regional_inequality" in res.tables:
        ri = res.tables["regional_inequality"]
        last = ri[(ri.weights == "population") & (ri.measure == "gini")]
        for ind, sub in last.groupby("indicator"):
            a, b = sub.iloc[0], sub.iloc[-1]
            c = gap_trend_claim(sub.year.to_numpy(), sub.value.to_numpy())
            console.print(f"{_e(ind)}: population-weighted Gini 人口加权基尼系数 {a.year} "
                          f"{a.value:.3f} → {b.year} {b.value:.3f} ({label(c.verdict, 'zh')} / "
                          f"{label(c.verdict, 'en')}, Mann–Kendall)")
    for note in res.notes:
        console.print(f"[dim]note: {_e(note)}[/dim]")
    console.print(f"wrote {len(dest.files)} files to {_e(dest.path)}")
    return 0


def cmd_index(args) -> int:
    from .outputs.tables import write_tables
    from .pipeline.framework import load_framework
    from .pipeline.index import run_index

    dest = OutputFolder(args.out, command="index", force=args.force)
    _notes(dest)
    fw = load_framework(args.framework)
    data = args.data or fw.dataset or "china_provinces"
    panel = _open(data)
    res = run_index(panel, fw, top_k=args.top)
    with dest.writing() as folder:
        (folder / "framework.yaml").write_text(fw.to_yaml(), encoding="utf-8")
        write_tables(res.tables, folder, workbook="index.xlsx",
                     labels={"coupling": {"D": "耦合协调度"}})
    sc = res.tables["scores"]
    year = int(sc.year.max())
    latest = sc[sc.year == year].sort_values("rank")
    t = Table(title=f"{_e(fw.name_zh)} / {_e(fw.name_en)} — {year} ranking 排名 ({_e(data)})")
    t.add_column("rank 排名", justify="right", no_wrap=True)
    t.add_column("region 地区", overflow="fold")
    t.add_column("score 得分", justify="right", no_wrap=True)
    dims = [c for c in sc.columns if c not in ("region_code", "region_zh", "region_en", "year",
                                               "total", "rank")]
    names = {n.id: n.name_zh for n in fw.root.children}
    for d in dims:  # headers fold rather than being cut to "…"
        t.add_column(_e(f"{names.get(d, d)}\n{d}"), justify="right", overflow="fold",
                     min_width=6)
    show = latest if len(latest) <= 12 else pd.concat([latest.head(8), latest.tail(4)])
    for _, r in show.iterrows():
        t.add_row(str(r["rank"]), _e(f"{r.region_zh} {r.region_en}"), f"{r.total:.3f}",
                  *[f"{r[d]:.3f}" for d in dims])
    console.print(t)
    un = res.tables["unavailable"]
    if len(un):
        console.print(f"[yellow]{len(un)} indicator(s)/dimension(s) not computable from this "
                      "data (see unavailable.csv):[/yellow] " + _e(", ".join(un.indicator)))
    ex = res.tables["excluded"]
    if len(ex):
        console.print(f"[yellow]{len(ex)} region-year(s) left out for missing indicators "
                      "(see excluded.csv)[/yellow]")
    console.print(f"wrote {len(dest.files)} files to {_e(dest.path)}")
    return 0


def cmd_dynamics(args) -> int:
    from .outputs.tables import write_tables
    from .pipeline.dynamics import run_dynamics

    dest = OutputFolder(args.out, command="dynamics", force=args.force)
    _notes(dest)
    panel = _open(args.data)
    res = run_dynamics(panel, args.indicator, k=args.k, permutations=args.permutations,
                       seed=args.seed, hainan_link=None if args.hainan_island else "guangdong")
    with dest.writing() as folder:
        write_tables(res.tables, folder, workbook="dynamics.xlsx")
    for note in res.notes:
        console.print(f"[dim]{_e(note)}[/dim]")
    if "beta_convergence" in res.tables:
        b = res.tables["beta_convergence"].iloc[0]
        console.print(f"β-convergence {b.start}–{b.end}: β = {b.beta:.4f} (p = {b.p:.3g}), "
                      f"half-life {b.half_life:.1f} years")
    mi = res.tables["morans_i"]
    if len(mi):
        r = mi.iloc[-1]
        console.print(f"Moran's I {r.year}: {r.I:.3f} (p_sim = {r.p_sim:.3f})")
    console.print(f"wrote {len(dest.files)} files to {_e(dest.path)}")
    return 0


def _read_options(args) -> dict:
    opts = {}
    for k in ("indicator", "unit", "layout_in", "sheet", "encoding"):
        v = getattr(args, k, None)
        if v is not None:
            opts["layout" if k == "layout_in" else k] = v
    return opts


FORCE_HELP = ("write into a folder that is not an earlier urbanrural output, replacing only "
              "the files this command writes (everything else is kept) 写入非 urbanrural 输出的"
              "文件夹时只替换本命令写出的文件")


PROG_HELP = """urbanrural — 城乡融合与共同富裕的测度、诊断与报告
Measure, diagnose and report urban–rural integration and common prosperity.

Output folders (--out) are checked before anything is computed: a new or empty folder is
written, a previous urbanrural output is replaced once the new one is complete, anything else
is refused unless --force. 输出文件夹在计算前检查：新建或空文件夹直接写入，已有的 urbanrural
输出在新输出完成后整体替换，其他情况拒绝（除非 --force）。
Exit codes 退出码: 0 done 完成, 1 bad input 输入有误, 2 refused destination or usage 拒绝写入或
用法错误, 130 interrupted 已中断."""


class _BilingualHelp(argparse.RawDescriptionHelpFormatter):
    """argparse's own words in both languages; every option shows its default."""

    def add_usage(self, usage, actions, groups, prefix=None):
        # argparse itself asks with prefix "" when it builds a subcommand's prog: keep that
        super().add_usage(usage, actions, groups,
                          prefix="usage 用法: " if prefix is None else prefix)

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text \
                and action.option_strings:
            text += f" (default 默认: {action.default})"
        return text


def _parser(sub, name: str, zh: str, en: str, example: str) -> argparse.ArgumentParser:
    sp = sub.add_parser(name, help=f"{en} {zh}", description=f"{en}\n{zh}",
                        epilog=f"example 示例:\n  {example}", formatter_class=_BilingualHelp,
                        add_help=False)
    _bilingual(sp)
    return sp


def _bilingual(sp: argparse.ArgumentParser) -> None:
    sp._positionals.title = "arguments 参数"
    sp._optionals.title = "options 选项"
    sp.add_argument("-h", "--help", action="help", help="show this help and exit 显示帮助并退出")


def build_parser() -> argparse.ArgumentParser:
    from .pipeline.sections import SECTION_NAMES
    from .pipeline.spec import DEFAULT_SECTIONS

    p = argparse.ArgumentParser(prog="urbanrural", description=PROG_HELP,
                                formatter_class=_BilingualHelp, add_help=False,
                                epilog="example 示例:\n  urbanrural report\n"
                                       "  urbanrural report --with 分省年度数据.csv --out my-report")
    _bilingual(p)
    sub = p.add_subparsers(dest="command", required=True, title="commands 命令",
                           metavar="COMMAND")
    data = _parser(sub, "data", "查看、检查与转换数据", "inspect, check and convert data",
                   "urbanrural data check 分省年度数据.csv")
    dsub = data.add_subparsers(dest="data_command", required=True, title="commands 命令",
                               metavar="COMMAND")

    def read_opts(sp):
        sp.add_argument("--indicator", help="indicator name when the file does not say "
                        "文件未注明时的指标名")
        sp.add_argument("--unit", help="unit when the file does not say 文件未注明时的单位")
        sp.add_argument("--layout-in", dest="layout_in",
                        choices=["auto", "long", "wide_years", "wide_indicators", "nbs"],
                        help="layout of the file 文件布局 (default 默认: detected 自动识别)")
        sp.add_argument("--sheet", help="Excel sheet name Excel 工作表名 (default 默认: the "
                        "first visible sheet 第一个可见工作表)")
        sp.add_argument("--encoding", help="text encoding 文本编码 (default 默认: detected "
                        "自动识别)")

    info = _parser(dsub, "info", "数据集或文件的覆盖情况", "coverage of a dataset or file",
                   "urbanrural data info china_provinces")
    info.add_argument("source", nargs="?", help="bundled dataset name or file 内置数据集或文件")
    info.set_defaults(func=cmd_info)
    check = _parser(dsub, "check", "检查文件：每一行或被读入，或说明原因", "validate a file: "
                    "every row is read or set aside with its reason",
                    "urbanrural data check 分省年度数据.csv")
    check.add_argument("file", help="CSV, Excel or Parquet file 文件")
    read_opts(check)
    check.set_defaults(func=cmd_check)
    conv = _parser(dsub, "convert", "转换格式与布局", "convert formats and layouts",
                   "urbanrural data convert 分省年度数据.csv out.xlsx --layout wide_years")
    conv.add_argument("file", help="input file or bundled dataset 输入")
    conv.add_argument("out", help="output file (.csv, .xlsx, .parquet) 输出文件")
    conv.add_argument("--layout", default="long",
                      choices=["long", "wide_years", "wide_indicators"],
                      help="output layout 输出布局")
    conv.add_argument("--lang", default="zh", choices=["zh", "en"],
                      help="language of names 名称语言")
    conv.add_argument("--force", action="store_true", help="replace OUT if it exists (never "
                      "the input file) 覆盖已有输出（从不覆盖输入文件）")
    read_opts(conv)
    conv.set_defaults(func=cmd_convert)
    lst = _parser(dsub, "list", "内置数据集", "bundled datasets", "urbanrural data list")
    lst.set_defaults(func=cmd_list)
    gaps = _parser(sub, "gaps", "城乡差距与不平等表", "urban–rural gaps and inequality tables",
                   "urbanrural gaps --data china_national --out out/gaps")
    gaps.add_argument("--data", default="china_provinces", help="dataset name or file 数据")
    gaps.add_argument("--out", default="urbanrural-output/gaps", help="output folder 输出文件夹")
    gaps.add_argument("--partition", default="macro_region",
                      help="regional grouping of the decompositions (macro_region, "
                           "three_belts) 分解所用的区域划分")
    gaps.add_argument("--bootstrap", type=int, default=0,
                      help="bootstrap resamples per year 每年自助抽样次数")
    gaps.add_argument("--seed", type=int, default=12345, help="random seed 随机种子")
    gaps.add_argument("--force", action="store_true", help=FORCE_HELP)
    gaps.set_defaults(func=cmd_gaps)
    idx = _parser(sub, "index", "一个指标框架的综合指数（CSV 与 Excel 表）",
                  "composite index of a framework (CSV + Excel tables)",
                  "urbanrural index --framework national_integration_old_survey --out out/idx")
    idx.add_argument("--data", default=None, help="dataset name or file 数据 (default 默认: "
                     "the framework's own dataset 框架自带的数据集)")
    idx.add_argument("--framework", default="urban_rural_integration",
                     help="built-in framework name or a YAML spec file 内置框架名或 YAML 文件")
    idx.add_argument("--out", default="urbanrural-output/index", help="output folder 输出文件夹")
    idx.add_argument("--top", type=int, default=3,
                     help="obstacles listed per region-year 每个地区年份列出的障碍因子数")
    idx.add_argument("--force", action="store_true", help=FORCE_HELP)
    idx.set_defaults(func=cmd_index)
    dyn = _parser(sub, "dynamics", "一个指标的核密度、收敛、马尔可夫、莫兰与地理探测器表",
                  "kernel density, convergence, Markov, Moran and GeoDetector tables for one "
                  "indicator", "urbanrural dynamics --indicator gdp_per_capita --out out/dyn")
    dyn.add_argument("--data", default="china_provinces", help="dataset name or file 数据")
    dyn.add_argument("--indicator", default="gdp_per_capita",
                     help="indicator id, gdp_per_capita, or index:FRAMEWORK 指标")
    dyn.add_argument("--out", default="urbanrural-output/dynamics", help="output folder 输出文件夹")
    dyn.add_argument("--k", type=int, default=4, help="Markov classes 马尔可夫类别数")
    dyn.add_argument("--permutations", type=int, default=999, help="permutations 置换次数")
    dyn.add_argument("--seed", type=int, default=12345, help="random seed 随机种子")
    dyn.add_argument("--hainan-island", action="store_true",
                     help="leave Hainan without neighbours instead of linking it to "
                          "Guangdong 海南不与广东相连")
    dyn.add_argument("--force", action="store_true", help=FORCE_HELP)
    dyn.set_defaults(func=cmd_dynamics)
    rep = _parser(sub, "report", "主任务：运行全部分析章节，写出中英双语报告（index.html、"
                  "results.xlsx、figures/、analysis.yaml）",
                  "the main job: run every section and write the bilingual report "
                  "(index.html, results.xlsx, figures/, analysis.yaml)",
                  "urbanrural report --with 分省年度数据.csv --out my-report")
    rep.add_argument("--data", default=None, help="provincial data: a bundled dataset or a "
                     "file 省级数据：内置数据集或文件 (default 默认: china_provinces)")
    rep.add_argument("--with", dest="with_data", action="append", default=None,
                     metavar="FILE", help="add a file (e.g. an NBS export) to the data; "
                     "repeatable 追加数据文件（可重复）")
    rep.add_argument("--framework", action="append", default=None,
                     help="provincial framework, built in or YAML; repeatable 指标框架（可重复） "
                          "(default 默认: urban_rural_integration, common_prosperity)")
    rep.add_argument("--spec", default=None, help="analysis.yaml of an earlier run, to re-do "
                     "it; flags given beside it override it 复现已有分析设定，命令行参数优先")
    rep.add_argument("--sections", default=None, help="comma-separated sections 章节（逗号分隔） "
                     f"(default 默认: {','.join(DEFAULT_SECTIONS)}; evaluation with --treatment; "
                     f"all 全部: {','.join(SECTION_NAMES)})")
    rep.add_argument("--partition", default=None, choices=["macro_region", "belt"],
                     help="regional grouping 区域划分 (default 默认: macro_region)")
    rep.add_argument("--permutations", type=int, default=None,
                     help="permutations of Moran's I and LISA 置换次数 (default 默认: 999)")
    rep.add_argument("--seed", type=int, default=None,
                     help="random seed 随机种子 (default 默认: 12345)")
    rep.add_argument("--years", default=None, metavar="FIRST-LAST",
                     help="cut every panel to these years, e.g. 2005-2020 只用这些年份的数据 "
                          "(default 默认: every year 全部年份)")
    rep.add_argument("--treatment", default=None, metavar="FILE",
                     help="treatment file (unit and first treated year, CSV or YAML): adds the "
                          "policy-evaluation section 处理文件（单位与首次处理年份），加入政策评估章节")
    rep.add_argument("--outcome", default=None, metavar="ID",
                     help="indicator evaluated with --treatment 政策评估的结果指标")
    rep.add_argument("--out", default="urbanrural-report", help="output folder 输出文件夹")
    rep.add_argument("--lang", default=None, choices=["zh", "en", "both"],
                     help="language the page opens in and of the figures 语言 (default 默认: zh)")
    rep.add_argument("--force", action="store_true", help=FORCE_HELP)
    rep.set_defaults(func=cmd_report)
    from .commands import add_all

    add_all(sub, _parser)
    return p


@contextmanager
def _interrupts_not_lost_in_c_callbacks():
    """A Ctrl-C that lands while C code has called back into Python (numba's compiler does,
    through ctypes) is printed by Python as "Exception ignored ... KeyboardInterrupt" with a
    traceback, and the run goes on as if nothing happened. Here such an interrupt is not
    printed but raised again, a moment later, in the main thread, where main() handles it."""
    previous = sys.unraisablehook
    timers: list[threading.Timer] = []

    def hook(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            timer = threading.Timer(0.01, _thread.interrupt_main)
            timer.daemon = True
            timers.append(timer)
            timer.start()
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous
        for timer in timers:
            timer.cancel()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (0 done, 1 bad input or a file that cannot be
    read or written, 2 refused destination or bad usage, 130 interrupted)."""
    try:
        with _interrupts_not_lost_in_c_callbacks():
            args = build_parser().parse_args(argv)
            return int(args.func(args) or 0)
    except DataError as e:
        console.print(str(e), markup=False, highlight=False)
        return 1
    except DestinationError as e:
        console.print(str(e), markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        # the staging folders/files are removed on the way up already; this catches any
        # left if the interruption came between two steps
        discard_active()
        console.print(INTERRUPTED, markup=False, highlight=False)
        return 130
    except OSError as e:  # permission denied, disk full...: the message names the file
        console.print(f"无法读写文件 / a file could not be read or written: {e}", markup=False,
                      highlight=False)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

