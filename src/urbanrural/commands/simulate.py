"""``urbanrural simulate``: calibrate the dual economy to the national data, validate it out of
sample, and simulate scenarios to a target year with uncertainty bands (CSV and Excel tables),
in process or on a Dask cluster (``--dask ADDRESS``; the same seed gives the same numbers)."""

from __future__ import annotations

from . import say

__all__ = ["add", "run"]


def add(sub, make_parser) -> None:
    sp = make_parser(sub, "simulate", "情景模拟：校准的二元经济模型（样本外检验、情景与不确定性区间）",
                     "scenario simulation: a calibrated dual-economy model (out-of-sample "
                     "validation, scenarios, uncertainty bands)",
                     "urbanrural simulate --until 2035 --out out/simulate")
    sp.add_argument("--scenarios", default=None, metavar="FILE",
                    help="scenario YAML file 情景文件 (default 默认: the built-in scenarios "
                         "内置情景)")
    sp.add_argument("--until", type=int, default=2035, help="last simulated year 模拟终止年份")
    sp.add_argument("--data", default="china_national",
                    help="national data: a bundled dataset or a file 全国数据：内置数据集或文件")
    sp.add_argument("--draws", type=int, default=1000, help="parameter draws 参数抽样次数")
    sp.add_argument("--seed", type=int, default=12345, help="random seed 随机种子")
    sp.add_argument("--dask", default=None, metavar="ADDRESS",
                    help="run the ensemble on the Dask scheduler at ADDRESS 在该地址的 Dask "
                         "集群上运行")
    sp.add_argument("--chunks", type=int, default=None,
                    help="blocks of draws (tasks) 抽样分块数 (default 默认: 1, or 2 per "
                         "worker with --dask 使用 --dask 时每个工作进程2块)")
    sp.add_argument("--out", default="urbanrural-output/simulate", help="output folder 输出文件夹")
    sp.add_argument("--force", action="store_true",
                    help="write into a folder that is not an earlier urbanrural output, "
                         "replacing only the files this command writes 写入非 urbanrural "
                         "输出的文件夹时只替换本命令写出的文件")
    sp.set_defaults(func=run)


def run(args) -> int:
    import yaml

    from ..data.errors import DataError, Issue
    from ..methods.simulate.ensemble import OUTPUTS
    from ..outputs.destination import OutputFolder
    from ..outputs.tables import write_tables
    from ..pipeline.context import open_source
    from ..pipeline.sections.simulation import TABLES, Settings
    from ..pipeline.simulate import load_scenarios, run_simulation

    Settings(draws=args.draws, seed=args.seed, until=args.until, scenarios=args.scenarios)
    dest = OutputFolder(args.out, command="simulate", force=args.force)
    for note in dest.notes:
        say(f"note: {note}")
    scenarios = load_scenarios(path=args.scenarios)
    panel = open_source(args.data)
    client, chunks = None, args.chunks or 1
    if args.dask:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - the dask extra is not installed
            raise DataError(Issue("--dask needs the dask extra: pip install "
                                  "'urbanrural[dask]' / 需要安装 dask 扩展", value=args.dask)) from exc
        try:
            client = Client(args.dask, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DataError(Issue(f"cannot reach the Dask scheduler: {exc} / 无法连接 Dask 调度器",
                                  value=args.dask)) from exc
        chunks = args.chunks or 2 * max(1, len(client.scheduler_info()["workers"]))
    try:
        sim = run_simulation(panel, scenarios=scenarios, until=args.until, draws=args.draws,
                             seed=args.seed, client=client, chunks=chunks)
    finally:
        if client is not None:
            client.close()
    tables = {TABLES[k][0]: frame for k, frame in sim.tables.items()}
    labels = {TABLES[k][0]: TABLES[k][3] for k in sim.tables}
    with dest.writing() as folder:
        write_tables(tables, folder, workbook="simulation.xlsx", labels=labels)
        record = {"options": {**sim.options, "scenario_file": args.scenarios or "built-in",
                              "data": args.data, "dask": bool(args.dask)},
                  "scenarios": {s.key: {"name_zh": s.name_zh, "name_en": s.name_en,
                                        "levers": [{"lever": lv, "from": lo, "to": hi, "value": v}
                                                   for lv, lo, hi, v in s.settings]}
                                for s in scenarios}}
        (folder / "simulation.yaml").write_text(yaml.safe_dump(record, allow_unicode=True,
                                                               sort_keys=False), encoding="utf-8")
    t = sim.tables["target"]
    say(f"{args.until}: median [90 % band] 中位数 [90%区间]")
    for r in t.itertuples():
        zh, en, unit = OUTPUTS[r.quantity]
        say(f"  {r.name_en} / {r.name_zh} — {en} {zh} ({unit}): {r.median:.3f} "
              f"[{r.p05:.3f}, {r.p95:.3f}]")
    worse = [q for q, ok in sim.facts["shown"].items() if not ok]
    if worse:
        say("out of sample the naive benchmark was significantly better (Diebold–Mariano, 5 %) "
              "or the test years too few, on at least one vintage 样本外检验未通过（朴素基准显著更优或"
              "检验年数不足）: " + ", ".join(f"{OUTPUTS[q][1]} {OUTPUTS[q][0]}" for q in worse))
    unread = [k for k, ok in sim.facts["readable"].items() if not ok]
    if unread:
        say("no reading of these scenarios: a parameter of their mechanism is at its bound or not "
              "identified 不作判断的情景（机制所依赖参数位于边界或未被识别）: " + ", ".join(unread))
    say(f"wrote {len(dest.files)} files to {dest.path}")
    return 0
