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

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .data import DATASETS, DataError, Panel, load_dataset, read, write
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


def coverage_table(panel: Panel, lang: str = "both") -> Table:
    cov = panel.coverage()
    years = panel.years
    n_regions = len(panel.regions)
    title = panel.provenance.get("title_zh", panel.name)
    if panel.provenance.get("title_en"):
        title += f" / {panel.provenance['title_en']}"
    t = Table(title=f"{_e(title)}: {n_regions} regions, {years[0]}–{years[-1]}, "
                    f"{len(cov)} indicators, {len(panel)} values",
              caption=f"years {years[0]}→{years[-1]}: █ all {n_regions} regions  ▓ ≥ half  "
                      "░ some  · none.  complete = every region has every year in its span",
              show_lines=False, header_style="bold")
    t.add_column("indicator 指标", overflow="fold", max_width=44)
    t.add_column("unit 单位", max_width=12)
    t.add_column("years 年份")
    t.add_column("regions 地区", justify="right")
    t.add_column("values 数值", justify="right")
    t.add_column("complete 完整", justify="center")
    t.add_column("coverage by year 逐年覆盖", no_wrap=True)
    for ind, r in cov.iterrows():
        label = _e(ind)
        names = " / ".join(x for x in (r.name_zh, r.name_en) if x)
        if names:
            label = f"{_e(ind)}\n[dim]{_e(names)}[/dim]"
        span = f"{r.first_year}–{r.last_year}" if r.first_year != r.last_year else \
            str(r.first_year)
        if r.missing_years:
            span += f"\n[dim]gaps: {_e(r.missing_years)}[/dim]"
        complete = "[green]✔[/green]" if r.complete else \
            f"[yellow]{100 * r.share_present:.0f}%[/yellow]"
        t.add_row(label, _e(r.unit), span, _e(r.of_all_regions), str(r.n_values), complete,
                  _strip(panel, ind, years, n_regions))
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


def cmd_report(args) -> int:
    """The main job: the whole default analysis, written as a bilingual report."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .outputs.report import write_report
    from .pipeline.report import DEFAULT_SPEC, build_report, load_spec, table_key

    dest = OutputFolder(args.out, command="report", force=args.force)
    _notes(dest)
    if args.spec:
        spec = load_spec(args.spec)
    else:
        import copy

        spec = copy.deepcopy(DEFAULT_SPEC)
        if args.data:
            spec["data"] = args.data
            if args.data not in DATASETS:
                spec["national_data"] = None
        if args.framework:
            spec["frameworks"] = [args.framework]
            spec["dynamics_indicator"] = f"index:{args.framework}"
    t0 = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as prog:
        task = prog.add_task("report", total=None)

        def step(msg):
            prog.update(task, description=f"[bold]report[/bold] · {_e(msg)}")

        bundle = build_report(spec, progress=step)
        step("writing index.html, results.xlsx, figures, analysis.yaml")
        out = write_report(bundle, dest, lang=args.lang)
    elapsed = time.perf_counter() - t0
    t = Table(title="urbanrural report 城乡融合与共同富裕报告", header_style="bold")
    t.add_column("item 项目")
    t.add_column("value 结果")
    d = bundle.facts.get("data", {})
    t.add_row("data 数据", f"{_e(d.get('name'))}: {d.get('n_regions')} regions 地区, "
                          f"{d.get('first_year')}–{d.get('last_year')}")
    for fw in bundle.frameworks:
        key = table_key(fw, "scores")
        if key in bundle.tables:
            sc = bundle.tables[key]
            y = int(sc.year.max())
            top = sc[sc.year == y].sort_values("rank").head(3)
            t.add_row(f"{_e(fw.name_zh)}\n{_e(fw.name_en)}",
                      f"{y}: " + ", ".join(f"{_e(r.region)} {r.total:.3f}"
                                           for r in top.itertuples()))
    if "national_gaps" in bundle.tables:
        g = bundle.tables["national_gaps"]
        new = g[g.urban_indicator == "urban_disposable_income_new_survey"]
        if len(new):
            t.add_row("城乡收入比 income ratio", f"{int(new.year.iloc[0])} "
                      f"{new.ratio.iloc[0]:.2f} → {int(new.year.iloc[-1])} "
                      f"{new.ratio.iloc[-1]:.2f}")
    if "dagum" in bundle.tables:
        dg = bundle.headline_dagum()
        t.add_row(f"区域基尼 regional Gini ({_e(dg.indicator.iloc[0])})",
                  f"{int(dg.year.iloc[0])} {dg.total.iloc[0]:.3f} → "
                                         f"{int(dg.year.iloc[-1])} {dg.total.iloc[-1]:.3f}")
    t.add_row("outputs 输出", f"{_e(out['html'])}, results.xlsx ({len(bundle.tables)} tables, "
                            f"{out['cited']} numbers cited in the page), figures/, "
                            "analysis.yaml")
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
    if "regional_inequality" in res.tables:
        ri = res.tables["regional_inequality"]
        last = ri[(ri.weights == "population") & (ri.measure == "gini")]
        for ind, sub in last.groupby("indicator"):
            a, b = sub.iloc[0], sub.iloc[-1]
            trend = "narrowed 缩小" if b.value < a.value else "widened 扩大"
            console.print(f"{_e(ind)}: population-weighted Gini {a.year} {a.value:.3f} → "
                          f"{b.year} {b.value:.3f} ({trend})")
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
        write_tables(res.tables, folder, workbook="index.xlsx")
    sc = res.tables["scores"]
    year = int(sc.year.max())
    latest = sc[sc.year == year].sort_values("rank")
    t = Table(title=f"{_e(fw.name_zh)} / {_e(fw.name_en)} — {year} ranking 排名 ({_e(data)})")
    t.add_column("rank 排名", justify="right")
    t.add_column("region 地区")
    t.add_column("score 得分", justify="right")
    dims = [c for c in sc.columns if c not in ("region_code", "region", "region_en", "year",
                                               "total", "rank")]
    for d in dims:
        t.add_column(_e(d), justify="right")
    show = latest if len(latest) <= 12 else pd.concat([latest.head(8), latest.tail(4)])
    for _, r in show.iterrows():
        t.add_row(str(r["rank"]), _e(f"{r.region} {r.region_en}"), f"{r.total:.3f}",
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
              "the files this command writes (everything else is kept)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="urbanrural", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="inspect, check and convert data")
    dsub = data.add_subparsers(dest="data_command", required=True)

    def read_opts(sp):
        sp.add_argument("--indicator", help="indicator name when the file does not say")
        sp.add_argument("--unit", help="unit when the file does not say")
        sp.add_argument("--layout-in", dest="layout_in",
                        choices=["auto", "long", "wide_years", "wide_indicators", "nbs"])
        sp.add_argument("--sheet", help="Excel sheet name")
        sp.add_argument("--encoding", help="force a text encoding (default: detected)")

    info = dsub.add_parser("info", help="coverage of a dataset or file")
    info.add_argument("source", nargs="?", help="bundled dataset name or file")
    info.set_defaults(func=cmd_info)
    check = dsub.add_parser("check", help="validate a file")
    check.add_argument("file")
    read_opts(check)
    check.set_defaults(func=cmd_check)
    conv = dsub.add_parser("convert", help="convert formats and layouts")
    conv.add_argument("file")
    conv.add_argument("out")
    conv.add_argument("--layout", default="long",
                      choices=["long", "wide_years", "wide_indicators"])
    conv.add_argument("--lang", default="zh", choices=["zh", "en"])
    conv.add_argument("--force", action="store_true", help="replace OUT if it exists (never "
                                                           "the input file)")
    read_opts(conv)
    conv.set_defaults(func=cmd_convert)
    lst = dsub.add_parser("list", help="bundled datasets")
    lst.set_defaults(func=cmd_list)
    gaps = sub.add_parser("gaps", help="urban–rural gaps and inequality tables")
    gaps.add_argument("--data", default="china_provinces", help="dataset name or file")
    gaps.add_argument("--out", default="urbanrural-output/gaps")
    gaps.add_argument("--partition", default="macro_region",
                      help="registry partition for the decompositions (macro_region, "
                           "three_belts)")
    gaps.add_argument("--bootstrap", type=int, default=0, help="bootstrap resamples per year")
    gaps.add_argument("--seed", type=int, default=12345)
    gaps.add_argument("--force", action="store_true", help=FORCE_HELP)
    gaps.set_defaults(func=cmd_gaps)
    idx = sub.add_parser("index", help="composite index of a framework (CSV + Excel tables)")
    idx.add_argument("--data", default=None, help="dataset name or file (default: the "
                                                  "framework's own dataset)")
    idx.add_argument("--framework", default="urban_rural_integration",
                     help="built-in framework name or a YAML spec file")
    idx.add_argument("--out", default="urbanrural-output/index")
    idx.add_argument("--top", type=int, default=3, help="obstacles listed per region-year")
    idx.add_argument("--force", action="store_true", help=FORCE_HELP)
    idx.set_defaults(func=cmd_index)
    dyn = sub.add_parser("dynamics", help="kernel density, convergence, Markov, Moran, "
                                          "GeoDetector tables for one indicator")
    dyn.add_argument("--data", default="china_provinces")
    dyn.add_argument("--indicator", default="gdp_per_capita",
                     help="indicator id, gdp_per_capita, or index:FRAMEWORK")
    dyn.add_argument("--out", default="urbanrural-output/dynamics")
    dyn.add_argument("--k", type=int, default=4, help="Markov classes")
    dyn.add_argument("--permutations", type=int, default=999)
    dyn.add_argument("--seed", type=int, default=12345)
    dyn.add_argument("--hainan-island", action="store_true",
                     help="leave Hainan without neighbours instead of linking it to "
                          "Guangdong")
    dyn.add_argument("--force", action="store_true", help=FORCE_HELP)
    dyn.set_defaults(func=cmd_dynamics)
    rep = sub.add_parser("report", help="the main job: the bilingual report")
    rep.add_argument("--data", default=None, help="dataset name or file (default: the "
                                                  "embedded official data)")
    rep.add_argument("--framework", default=None, help="framework name or YAML spec")
    rep.add_argument("--spec", default=None, help="analysis.yaml of an earlier run, to "
                                                  "reproduce it")
    rep.add_argument("--out", default="urbanrural-report")
    rep.add_argument("--lang", default="zh", choices=["zh", "en", "both"])
    rep.add_argument("--force", action="store_true", help=FORCE_HELP)
    rep.set_defaults(func=cmd_report)
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

