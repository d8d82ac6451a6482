"""``urbanrural robustness``: uncertainty and Sobol' sensitivity of a framework's ranks under
the choices the index is built from (normalisation, weighting, aggregation, an indicator left
out, weight noise), in process or on a Dask cluster (``--dask ADDRESS``; the same seed gives
the same numbers)."""

from __future__ import annotations

from . import say

__all__ = ["add", "run"]

# workbook labels of the command's tables (the column name is the English part)
LABELS = {
    "ranks": {"region_code": "地区代码", "region_zh": "地区", "region_en": "地区（英文）",
              "year": "年份", "score": "名义得分", "rank": "名义排名",
              "rank_q05": "排名5%分位数", "rank_median": "排名中位数",
              "rank_q95": "排名95%分位数", "top_share": "位列前k的比例",
              "bottom_share": "位列后k的比例", "units_ranked": "参与排名的单位数",
              "interval_width": "排名区间宽度", "moved_share": "排名变动的抽样比例"},
    "sobol": {"factor": "因素", "name_zh": "因素（中文）", "name_en": "因素（英文）",
              "levels": "水平数", "varies": "是否变化", "S1": "一阶Sobol指数",
              "S1_conf": "一阶指数95%置信半宽", "ST": "总效应Sobol指数",
              "ST_conf": "总效应指数95%置信半宽",
              "sampling_error": "估计是否超出[0, 1]（抽样误差）"},
    "sobol_ranks": {"region_code": "地区代码", "region_zh": "地区", "region_en": "地区（英文）",
                    "year": "年份", "factor": "因素", "S1": "一阶Sobol指数",
                    "ST": "总效应Sobol指数", "ST_conf": "总效应指数95%置信半宽"},
    "reversals": {"year": "年份", "upper_code": "名义排名靠前者代码", "upper_zh": "名义排名靠前者",
                  "upper_en": "名义排名靠前者（英文）", "upper_rank": "其名义排名",
                  "lower_code": "名义排名靠后者代码", "lower_zh": "名义排名靠后者",
                  "lower_en": "名义排名靠后者（英文）", "lower_rank": "其名义排名",
                  "upper_year": "靠前者的年份", "lower_year": "靠后者的年份",
                  "reversal_share": "次序颠倒的抽样比例"},
    "choices": {"factor": "因素", "name_zh": "因素（中文）", "name_en": "因素（英文）",
                "level": "水平序号", "choice": "选项", "nominal": "是否为名义选择"},
}


def add(sub, make_parser) -> None:
    sp = make_parser(sub, "robustness", "指数稳健性：不确定性分析与Sobol敏感性分析",
                     "robustness of an index: uncertainty and Sobol' sensitivity analysis",
                     "urbanrural robustness --framework urban_rural_services --n 1000 "
                     "--out out/robustness")
    sp.add_argument("--framework", required=True,
                    help="a built-in framework or a YAML file 内置框架名或框架文件")
    sp.add_argument("--data", default=None,
                    help="a bundled dataset or a file 内置数据集或文件 (default 默认: the "
                         "framework's dataset 框架指定的数据集)")
    sp.add_argument("--n", type=int, default=1000,
                    help="draws asked for 抽样次数 (Saltelli: N·(D+2) ≤ n are run 实际运行 "
                         "N·(D+2) ≤ n 次)")
    sp.add_argument("--seed", type=int, default=0, help="random seed 随机种子")
    sp.add_argument("--top", type=int, default=3, help="k of the top-k shares 前k名的k")
    sp.add_argument("--no-sobol", action="store_true",
                    help="independent draws, no Sobol' indices 独立抽样，不计算Sobol指数")
    sp.add_argument("--threads", type=int, default=1,
                    help="threads evaluating the draws (same results for any number) "
                         "计算抽样的线程数（结果与线程数无关）")
    sp.add_argument("--dask", default=None, metavar="ADDRESS",
                    help="evaluate the draws on the Dask scheduler at ADDRESS 在该地址的 Dask "
                         "集群上计算")
    sp.add_argument("--out", default="urbanrural-output/robustness", help="output folder 输出文件夹")
    sp.add_argument("--force", action="store_true",
                    help="write into a folder that is not an earlier urbanrural output, "
                         "replacing only the files this command writes 写入非 urbanrural "
                         "输出的文件夹时只替换本命令写出的文件")
    sp.set_defaults(func=run)


def run(args) -> int:
    from ..data.errors import DataError, Issue
    from ..outputs.destination import OutputFolder
    from ..outputs.tables import write_tables
    from ..pipeline.context import open_source
    from ..pipeline.framework import load_framework
    from ..pipeline.robustness import index_uncertainty

    if args.n < 16:
        raise DataError(Issue("--n must be at least 16 / 抽样次数至少为16", value=str(args.n)))
    dest = OutputFolder(args.out, command="robustness", force=args.force)
    for note in dest.notes:
        say(f"note: {note}")
    fw = load_framework(args.framework)
    data = args.data or fw.dataset or "china_provinces"
    panel = open_source(data)
    client = None
    if args.dask:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise DataError(Issue("--dask needs the 'distributed' package / 需要安装 distributed",
                                  value=args.dask)) from exc
        client = Client(args.dask)
    try:
        u = index_uncertainty(panel, fw, n=args.n, seed=args.seed, sobol=not args.no_sobol,
                              top_k=args.top, dask_client=client, threads=args.threads)
    finally:
        if client is not None:
            client.close()
    with dest.writing() as folder:
        write_tables(u.tables, folder, workbook="robustness.xlsx", labels=LABELS,
                     units={"ranks": {"top_share": "比例 share", "bottom_share": "比例 share"},
                            "reversals": {"reversal_share": "比例 share"}})
    r = u.tables["ranks"]
    last = r[r.year == r.year.max()] if u.ranked_over == "regions" else r
    width = last.interval_width
    say(f"{fw.name_zh} / {fw.name_en}: {u.result.draws} draws 次抽样"
          + (f" (Saltelli N = {u.result.base_n})" if u.result.base_n else ""))
    what = f"{int(r.year.max())}" if u.ranked_over == "regions" else "years 各年"
    say(f"  {what}: median width of the 5–95% rank band 排名区间宽度中位数 "
          f"{float(width.median()):g}, widest 最宽 {float(width.max()):g}")
    sob = u.tables["sobol"]
    if args.no_sobol:
        say("  Sobol indices not computed (--no-sobol) / 未计算Sobol指数")
    for row in () if args.no_sobol else sob.itertuples():
        say(f"  {row.name_zh} / {row.name_en}: S1 = {row.S1:.2f}, ST = {row.ST:.2f}")
    for zh, en in u.notes:
        say(f"  note: {zh} / {en}")
    say(f"wrote {len(dest.files)} files to {dest.path}")
    return 0
