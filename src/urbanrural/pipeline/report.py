"""The default analysis behind ``urbanrural report``: one spec in, one bundle of tables and
plain-language readings out. The outputs layer turns the bundle into HTML, Excel and figures.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .. import __version__
from ..data import DATASETS, Panel, load_dataset, read
from ..data.errors import DataError, Issue
from ..data.registry import NATIONAL_CODE
from .dynamics import run_dynamics
from .framework import load_framework
from .gaps import run_gaps
from .index import run_index

__all__ = ["DEFAULT_SPEC", "DAGUM_SHARES", "ReportBundle", "build_report", "load_spec",
           "table_key"]

# the three Dagum components as shares, with their labels, in the order papers print them
DAGUM_SHARES = (("within_share", "区域内", "Within"),
                ("net_between_share", "区域间", "Net between"),
                ("transvariation_share", "超变密度", "Transvariation"))


def table_key(fw, what: str) -> str:
    """Name of a framework's table in the bundle (and sheet of results.xlsx)."""
    return f"{fw.id[:12]}_{what}"

DEFAULT_SPEC: dict = {
    "version": 1,
    "data": "china_provinces",
    "national_data": "china_national",
    "frameworks": ["urban_rural_integration", "common_prosperity"],
    "partition": "macro_region",
    "dynamics_indicator": "index:urban_rural_integration",
    "options": {"markov_k": 4, "permutations": 999, "seed": 12345,
                "hainan_link": "guangdong", "bootstrap": 0},
}


@dataclass
class ReportBundle:
    """Tables (name → DataFrame, exactly as written to results.xlsx), section readings and
    metadata for the outputs layer."""

    spec: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    panel: Panel | None = None
    frameworks: list = field(default_factory=list)

    def scored_frameworks(self):
        """(framework, scores table name, scores, latest year) for every framework that ran."""
        for fw in self.frameworks:
            key = table_key(fw, "scores")
            if key in self.tables:
                sc = self.tables[key]
                yield fw, key, sc, int(sc.year.max())

    def headline_dagum(self) -> pd.DataFrame:
        """Dagum rows of the first (headline) indicator, original row numbers kept."""
        d = self.tables["dagum"]
        return d[d.indicator == d.indicator.iloc[0]]

    def add(self, name: str, frame: pd.DataFrame, zh: str, en: str) -> None:
        self.tables[name] = frame.reset_index(drop=True)
        self.titles[name] = (zh, en)


def _open(source: str) -> Panel:
    if source in DATASETS:
        return load_dataset(source)
    p = Path(source)
    if not p.exists():
        raise DataError(Issue("neither a bundled dataset nor an existing file", value=source))
    return read(p)


def load_spec(path: str | Path) -> dict:
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(Issue(f"cannot read the analysis spec: {exc}", file=str(path))) from exc
    if not isinstance(spec, dict) or "data" not in spec:
        raise DataError(Issue("an analysis spec needs at least 'data'", file=str(path)))
    return spec


def build_report(spec: dict | None = None, *, progress: Callable[[str], None] | None = None
                 ) -> ReportBundle:
    """Run the whole analysis described by ``spec`` (default: :data:`DEFAULT_SPEC`)."""
    spec = copy.deepcopy(spec or DEFAULT_SPEC)
    opts = {**DEFAULT_SPEC["options"], **spec.get("options", {})}
    spec["options"] = opts
    step = progress or (lambda _msg: None)
    b = ReportBundle(spec)

    step("data")
    panel = _open(spec["data"])
    expected = spec.get("fingerprints", {})
    fps = {"data": panel.fingerprint()}
    national = None
    if spec.get("national_data"):
        national = _open(spec["national_data"])
        fps["national_data"] = national.fingerprint()
    elif NATIONAL_CODE in panel.regions:
        national = panel.select(regions=NATIONAL_CODE)
    for key, fp in fps.items():
        if key in expected and expected[key] != fp:
            raise DataError(Issue(f"the {key} changed since this analysis was written "
                                  f"(fingerprint {fp[:12]}… ≠ {expected[key][:12]}…); the "
                                  "analysis cannot be reproduced from it", value=spec[key]))
    spec["fingerprints"] = fps
    spec["urbanrural_version"] = __version__
    b.panel = panel
    cov = panel.coverage().reset_index()
    b.add("coverage", cov[["indicator", "name_zh", "name_en", "unit", "first_year",
                           "last_year", "n_years", "n_regions", "n_values", "complete",
                           "missing_years"]], "数据覆盖", "Data coverage")
    b.add("sources", panel.indicator_table().reset_index()[
        ["id", "name_zh", "name_en", "unit", "source", "licence", "notes"]],
        "数据来源", "Data sources")
    b.facts["data"] = {"name": panel.name, "n_regions": len(panel.regions),
                       "first_year": panel.years[0], "last_year": panel.years[-1],
                       "n_indicators": len(panel.indicator_ids), "n_values": len(panel)}

    step("urban–rural gaps")
    if national is not None:
        g = run_gaps(national)
        if "urban_rural_gaps" in g.tables:
            t = g.tables["urban_rural_gaps"]
            b.add("national_gaps", t[t.region_code == NATIONAL_CODE], "全国城乡差距",
                  "National urban–rural gaps")
        if "urban_rural_theil" in g.tables:
            t = g.tables["urban_rural_theil"]
            b.add("national_ur_theil", t[t.region_code == NATIONAL_CODE], "全国城乡泰尔指数",
                  "National urban–rural Theil index")
    else:
        b.notes.append("no national series in the data: the national urban–rural gap section "
                       "is empty")

    for fw_name in spec.get("frameworks", []):
        step(f"index {fw_name}")
        fw = load_framework(fw_name)
        res = run_index(panel, fw)
        b.frameworks.append(fw)
        labels = {"scores": ("得分与排名", "scores and ranks"),
                  "weights": ("权重", "weights"),
                  "coupling": ("耦合协调", "coupling coordination"),
                  "dimension_obstacles": ("维度障碍度", "obstacles by dimension"),
                  "top_obstacles": ("主要障碍因子", "main obstacles"),
                  "unavailable": ("无法计算的指标", "indicators not computable"),
                  "excluded": ("剔除的地区年份", "region-years left out"),
                  "indicators": ("指标体系", "indicator framework")}
        for key, (zh, en) in labels.items():
            if key in res.tables:
                b.add(table_key(fw, key), res.tables[key], f"{fw.name_zh}：{zh}",
                      f"{fw.name_en}: {en}")

    step("regional disparity")
    if len([r for r in panel.regions if r != NATIONAL_CODE]) >= 3:
        g = run_gaps(panel, partition=spec.get("partition", "macro_region"),
                     bootstrap=int(opts.get("bootstrap", 0)), seed=int(opts["seed"]))
        for key, zh, en in (("regional_inequality", "区域不平等", "Regional inequality"),
                            ("theil_decomposition", "泰尔指数分解", "Theil decomposition"),
                            ("dagum", "Dagum基尼系数分解", "Dagum Gini decomposition"),
                            ("dagum_pairs", "Dagum区域内与区域间基尼系数",
                             "Dagum within- and between-region Gini")):
            if key in g.tables:
                b.add(key, g.tables[key], zh, en)
        b.notes.extend(g.notes)

    step("dynamics")
    ind = spec.get("dynamics_indicator")
    if ind:  # any indicator of the data, or index:FRAMEWORK
        try:
            d = run_dynamics(panel, ind, k=int(opts["markov_k"]),
                             permutations=int(opts["permutations"]),
                             seed=int(opts["seed"]), hainan_link=opts.get("hainan_link"))
            names = {"kde_density": ("核密度", "kernel density"),
                     "kde_summary": ("核密度特征", "kernel density summary"),
                     "sigma_convergence": ("σ收敛", "sigma convergence"),
                     "beta_convergence": ("β收敛", "beta convergence"),
                     "club_convergence": ("俱乐部收敛", "convergence clubs"),
                     "markov": ("马尔可夫转移矩阵", "Markov transitions"),
                     "markov_summary": ("马尔可夫稳态", "Markov steady state"),
                     "spatial_markov": ("空间马尔可夫", "spatial Markov"),
                     "spatial_markov_tests": ("空间马尔可夫检验", "spatial Markov tests"),
                     "morans_i": ("全局莫兰指数", "global Moran's I"),
                     "lisa": ("局部莫兰指数", "local Moran (LISA)"),
                     "geodetector": ("地理探测器", "GeoDetector"),
                     "geodetector_interaction": ("地理探测器交互作用",
                                                 "GeoDetector interactions"),
                     "gravity_centre": ("重心与标准差椭圆",
                                        "gravity centre and ellipse")}
            for key, (zh, en) in names.items():
                if key in d.tables:
                    b.add(key, d.tables[key], zh, en)
            b.notes.extend(d.notes)
        except DataError as exc:
            b.notes.append(f"dynamics skipped: {exc}")
    _facts(b)
    return b


def _facts(b: ReportBundle) -> None:
    """Numbers the readings quote, each with the table and row it comes from."""
    t = b.tables
    f = b.facts
    if "national_gaps" in t:
        g = t["national_gaps"]
        for key, ind in (("income_old", "urban_disposable_income"),
                         ("income_new", "urban_disposable_income_new_survey")):
            sub = g[(g.urban_indicator == ind) & g.rural_indicator.str.contains("income")]
            if len(sub):
                first, last = sub.index[0], sub.index[-1]
                peak = sub.ratio.idxmax()
                f[key] = {"first": first, "last": last, "peak": peak}
    for fw in b.frameworks:
        key = table_key(fw, "scores")
        if key in t:
            sc = t[key]
            year = int(sc.year.max())
            latest = sc[sc.year == year].sort_values("rank")
            first_year = int(sc.year.min())
            means = sc.groupby("year").total.mean()
            ob = t.get(table_key(fw, "dimension_obstacles"))
            top_dim = None
            if ob is not None and len(ob):
                last_ob = ob[ob.year == year]
                idx = last_ob.groupby("region_code").obstacle.idxmax()
                counts = last_ob.loc[idx, "dimension"].value_counts()
                top_dim = (counts.index[0], int(counts.iloc[0]), int(len(idx)))
            f[fw.id] = {"year": year, "first_year": first_year, "top": list(latest.index[:3]),
                        "bottom": list(latest.index[-3:]), "mean_first": float(means.iloc[0]),
                        "mean_last": float(means.iloc[-1]), "top_dimension": top_dim}
    if "dagum" in t:
        d = b.headline_dagum()
        f["dagum"] = {"first": d.index[0], "last": d.index[-1]}
    if "morans_i" in t and len(t["morans_i"]):
        f["moran"] = {"last": t["morans_i"].index[-1]}
    if "beta_convergence" in t:
        f["beta"] = {"row": 0}
