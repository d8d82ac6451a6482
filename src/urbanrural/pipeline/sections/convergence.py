"""Convergence and spatial pattern of provincial GDP per capita and the urbanisation rate.

Convergence is run only on variables with a scale of their own (GDP per capita in 元/人 at
current prices — the bundled data carry no deflator —, the urbanisation rate in %), never on a
composite index: σ, β and the log t test of a min–max index change with the rescaling
I → a + bI.

For each variable: σ-convergence (standard deviation of logs; the CV too for the urbanisation
rate), β-convergence (cross-section over the whole window with speed and half-life; two-way
fixed effects with the short-T warning), the Phillips–Sul log t test and convergence clubs (R
ConvergenceClubs convention, Phillips & Sul 2009 merging, the unmerged clubs kept), read
together by :func:`~urbanrural.methods.claims.convergence_claim`.

The log t test as published runs on logs, and on logs it depends on the unit of measurement:
the relative transition path h = log y / mean log y changes when log y is shifted by ln c (GDP
per capita in 万元 instead of 元). The section therefore also runs the test in a second unit
and on the levels (h = y / mean y, unchanged by y → c·y); :func:`log_t_unit_claim` says
whether the reading depends on the unit, and the reading that enters the convergence claim is
the one on levels, so that no reading of the section changes when a variable is multiplied by
a constant.

Spatial pattern of the latest year of GDP per capita: global Moran's I and LISA clusters
(``options.lisa_correction``: FDR by default, ``none`` → two-sided permutation p; regions not
tested are "no data"), and classical and spatial Markov chains of relative GDP per capita that
share one :func:`~urbanrural.methods.dynamics.markov.markov_classes` definition.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import Panel
from ...data.errors import DataError, Issue
from ...data.registry import NATIONAL_CODE
from ...methods.claims import Claim, convergence_claim, trend_claim
from ...methods.dynamics.clubs import CRITICAL_T, convergence_clubs, hp_trend, log_t_test
from ...methods.dynamics.convergence import beta_convergence, sigma_convergence
from ...methods.dynamics.markov import markov, markov_classes, spatial_markov
from ...methods.spatial.autocorrelation import QUADRANTS, local_morans, morans_i
from ...methods.spatial.weights import spatial_weights
from ..context import RunContext
from . import SECTIONS
from .base import Note, SectionResult, Table

__all__ = ["run", "VARIABLES", "Variable", "log_t_unit_claim", "moran_claim",
           "homogeneity_claim", "LISA_SIGNIFICANCE", "LOCAL_LABELS"]


@dataclass(frozen=True)
class Variable:
    """A variable the section tests for convergence.

    ``derive`` is the :meth:`~urbanrural.data.Panel.derive` recipe (kind, numerator,
    denominator) used when the panel does not already hold ``id``; ``sigma_measures`` the
    dispersion measures; ``unit`` the unit the data state for it; ``alt_scale`` and
    ``alt_unit_zh`` / ``alt_unit_en`` the multiplier and name of the second unit in which the
    log t test is repeated (to show whether its reading depends on the unit).
    """

    key: str
    id: str
    derive: tuple[str, str, str]
    name_zh: str
    name_en: str
    sigma_measures: tuple[str, ...]
    unit: str
    alt_scale: float
    alt_unit_zh: str
    alt_unit_en: str

    def alt_unit(self, unit: str) -> tuple[str, str]:
        """Names of the second unit, for data in ``unit`` (the stated one, or a user's)."""
        if unit == self.unit:
            return self.alt_unit_zh, self.alt_unit_en
        return f"{unit} × {self.alt_scale:g}", f"{UNITS_EN.get(unit, unit)} × {self.alt_scale:g}"


VARIABLES: tuple[Variable, ...] = (
    Variable("gdp_pc", "gdp_per_capita", ("per_capita", "gdp", "population_total"),
             "人均地区生产总值（当年价）", "GDP per capita (current prices)", ("sd_log",),
             "元/人", 1e-4, "万元/人", "10,000 yuan per person"),
    Variable("urban", "urbanisation_rate", ("share", "population_urban", "population_total"),
             "城镇化率", "urbanisation rate", ("sd_log", "cv"),
             "%", 0.01, "比例（0—1）", "share (0–1)"),
)
UNITS_EN = {"元/人": "yuan per person", "%": "%"}
MEASURES = {"sd_log": ("对数标准差", "standard deviation of logs"),
            "cv": ("变异系数", "coefficient of variation")}
# spec option lisa_correction → local_morans(significance=…)
LISA_SIGNIFICANCE = {"fdr": "fdr", "bonferroni": "bonferroni", "none": "two_sided"}
# log t versions: how the series enters the test
LOG_T_VERSIONS = {
    "logs": ("对数（原单位，按已发表惯例）", "logs in the data's unit (as published)"),
    "logs_alt_unit": ("对数（另一计量单位）", "logs in another unit"),
    "levels": ("水平值（不随计量单位变化）", "levels (unit-free)"),
}
CLUB_VERSIONS = ("logs", "levels")
RECENT_YEARS = 10  # σ is also read over the last ten years alone
# labels of the verdicts of this module's own claims (the others are in claims.VERDICT_LABELS)
LOCAL_LABELS = {
    "log_t_unit_free": ("各种形式的log t检验结论一致", "every form of the log t test reads the same"),
    "log_t_unit_dependent": ("取对数后的log t检验结论随计量单位改变",
                             "on logs, the reading of the log t test changes with the unit"),
    "positive_autocorrelation": ("显著正空间自相关", "significant positive spatial autocorrelation"),
    "negative_autocorrelation": ("显著负空间自相关", "significant negative spatial autocorrelation"),
    "no_significant_autocorrelation": ("无显著空间自相关", "no significant spatial autocorrelation"),
    "spatially_conditioned": ("转移概率随邻域类别显著不同",
                              "transition probabilities differ significantly by the "
                              "neighbours' class"),
    "not_spatially_conditioned": ("转移概率与邻域类别无显著关系",
                                  "no significant difference by the neighbours' class"),
    "homogeneity_tests_differ": ("两种检验结论不一致，不判断转移概率是否随邻域类别不同",
                                 "the two tests differ, so no difference by the neighbours' "
                                 "class is claimed"),
}


# ------------------------------------------------------------------------ claims
def _log_t_reading(t: float) -> str:
    return "log_t_convergence" if t > CRITICAL_T else "log_t_rejects"


def log_t_unit_claim(t_by_version: Mapping[str, float]) -> Claim:
    """Does the reading of the Phillips–Sul log t test depend on how the series enters it?

    Each t statistic is read by the test's rule (t > −1.65: convergence not rejected). The
    verdict is ``"log_t_unit_free"`` when every version reads the same, else
    ``"log_t_unit_dependent"``. ``values`` hold each t and each reading (``reading_<version>``).

    On logs the test depends on the unit: with X = log y the relative transition path is
    h = X / mean X, and y → c·y shifts X by ln c, which changes h; on levels h = y / mean y
    does not change.

    Examples
    --------
    >>> log_t_unit_claim({"logs": -36.9, "logs_alt_unit": 65.3, "levels": -210.1}).verdict
    'log_t_unit_dependent'
    >>> log_t_unit_claim({"logs": 4.6, "levels": 4.3}).verdict
    'log_t_unit_free'
    """
    t = {k: float(v) for k, v in t_by_version.items()}
    if not t or not all(np.isfinite(v) for v in t.values()):
        raise DataError(Issue("log t unit claim: every version needs a finite t statistic"))
    readings = {f"reading_{k}": _log_t_reading(v) for k, v in t.items()}
    verdict = "log_t_unit_free" if len(set(readings.values())) == 1 else "log_t_unit_dependent"
    return Claim("log_t_units", verdict, {**{f"t_{k}": v for k, v in t.items()}, **readings},
                 "Phillips–Sul log t, convergence rejected when t ≤ −1.65, in each version")


def moran_claim(I: float, EI: float, p: float, *, alpha: float = 0.05,
                p_source: str = "permutation") -> Claim:
    """Global spatial autocorrelation: significant when p < α, positive when I > E[I].

    Examples
    --------
    >>> moran_claim(0.42, -1 / 30, 0.001).verdict
    'positive_autocorrelation'
    >>> moran_claim(0.05, -1 / 30, 0.2).verdict
    'no_significant_autocorrelation'
    """
    if not (np.isfinite(I) and np.isfinite(p)):
        raise DataError(Issue("Moran claim: I and p must be finite"))
    verdict = "no_significant_autocorrelation"
    if p < alpha:
        verdict = "positive_autocorrelation" if I > EI else "negative_autocorrelation"
    return Claim("moran", verdict, {"I": float(I), "EI": float(EI), "p_value": float(p),
                                    "alpha": alpha, "p_source": p_source},
                 f"global Moran's I, {p_source} p < α")


def homogeneity_claim(Q: float, Q_p: float, LR: float, LR_p: float, *,
                      alpha: float = 0.05) -> Claim:
    """Bickenbach–Bode tests of the spatial Markov chain, read together: the transition
    probabilities depend on the neighbours' class when both the Q (χ²) and the likelihood-ratio
    test have p < α, they do not when neither has, and ``"homogeneity_tests_differ"`` when one
    test rejects and the other does not (then no difference is claimed).

    Examples
    --------
    >>> homogeneity_claim(40.2, 0.003, 41.0, 0.002).verdict
    'spatially_conditioned'
    >>> homogeneity_claim(27.3, 0.073, 30.0, 0.038).verdict
    'homogeneity_tests_differ'
    """
    if not all(np.isfinite(v) for v in (Q, Q_p, LR, LR_p)):
        raise DataError(Issue("homogeneity claim: Q, LR and their p-values must be finite"))
    rejects = (Q_p < alpha, LR_p < alpha)
    verdict = ("spatially_conditioned" if all(rejects) else
               "not_spatially_conditioned" if not any(rejects) else "homogeneity_tests_differ")
    return Claim("markov_homogeneity", verdict, {"Q": float(Q), "Q_p_value": float(Q_p),
                                                 "LR": float(LR), "LR_p_value": float(LR_p),
                                                 "alpha": alpha},
                 "Bickenbach–Bode Q and LR tests, each p < α")


# ------------------------------------------------------------------------ data
def _series(panel: Panel, var: Variable) -> tuple[pd.DataFrame, str] | None:
    """Regions × years of a variable (derived when the panel lacks it) and its unit, or
    ``None`` when an input is missing."""
    kind, a, b = var.derive
    if var.id not in panel.indicators:
        if not {a, b} <= set(panel.indicators):
            return None
        panel = panel.derive(var.id, kind, a, b, name_zh=var.name_zh, name_en=var.name_en)
    wide = panel.wide(var.id).drop(index=[NATIONAL_CODE], errors="ignore")
    wide = wide.dropna(axis=1, how="all").sort_index(axis=1)
    return wide, panel.indicators[var.id].unit


def _labels(panel: Panel, codes) -> tuple[list[str], list[str]]:
    codes = [str(c) for c in codes]
    return [panel.region_label(c) for c in codes], [panel.region_label(c, "en") for c in codes]


def _hainan_link(option: str) -> str | None:
    return None if option.strip().lower() in ("none", "") else option


# ------------------------------------------------------------------------ the runner
def run(ctx: RunContext) -> SectionResult:
    from ..analysis import skipped

    spec = ctx.spec
    opts = spec.options
    panel = ctx.panel()
    alpha = float(opts.alpha)
    tables: list[Table] = []
    notes: list[Note] = []
    facts: dict = {"variables": [], "alpha": alpha}

    series: dict[str, tuple[Variable, pd.DataFrame, str, pd.DataFrame]] = {}
    for var in VARIABLES:
        got = _series(panel, var)
        if got is None:
            a, b = var.derive[1:]
            notes.append(Note(f"{var.name_zh}：数据缺少{a}或{b}，未作收敛分析",
                              f"{var.name_en}: the data lack {a} or {b}; no convergence tests"))
            continue
        wide, unit = got
        balanced = wide.dropna()
        dropped = sorted(set(wide.index) - set(balanced.index))
        if dropped:
            zh, en = _labels(panel, dropped)
            notes.append(Note(
                f"{var.name_zh}：{len(dropped)}个地区并非每年都有数据，未纳入检验（各年比较同一组地区）："
                f"{'、'.join(zh)}",
                f"{var.name_en}: {len(dropped)} region(s) without every year are left out, so "
                f"that every year compares the same regions: {', '.join(en)}"))
        if balanced.shape[0] < 5 or balanced.shape[1] < 5:
            notes.append(Note(f"{var.name_zh}：地区或年份过少（至少需5个地区、5年），未作收敛分析",
                              f"{var.name_en}: too few regions or years (at least 5 of each "
                              "are needed); no convergence tests"))
            continue
        if (balanced.to_numpy() <= 0).any():
            notes.append(Note(f"{var.name_zh}：存在零或负值，无法取对数，未作收敛分析",
                              f"{var.name_en}: zero or negative values cannot be logged; no "
                              "convergence tests"))
            continue
        series[var.key] = (var, balanced, unit, wide)
    if not series:  # the notes say why, variable by variable
        return skipped("convergence", "；".join(n.zh for n in notes),
                       "; ".join(n.en for n in notes))

    ctx.progress("convergence")
    rows: dict[str, list] = {k: [] for k in ("sigma", "recent", "beta", "log_t", "claims",
                                              "clubs", "summary")}
    for var, Y, unit, _ in series.values():
        facts["variables"].append(_convergence(var, Y, unit, panel, alpha, rows,
                                               merge=opts.club_merge))
    sigma_rows, beta_rows, logt_rows, claim_rows = (rows[k] for k in ("sigma", "beta", "log_t",
                                                                     "claims"))
    club_rows, summary_rows = rows["clubs"], rows["summary"]
    tables += [
        Table("conv_sigma", "σ收敛：各年省际离散度（人均地区生产总值为当年价）",
              "σ-convergence: dispersion across provinces by year (GDP per capita at current "
              "prices)", pd.DataFrame(sigma_rows)),
        Table("conv_sigma_recent", "近十年离散度的趋势（Mann–Kendall检验；人均地区生产总值为当年价）",
              "Trend of dispersion over the last ten years (Mann–Kendall test; GDP per capita at "
              "current prices)", pd.DataFrame(rows["recent"])),
        Table("conv_beta", "β收敛：截面与双向固定效应（人均地区生产总值为当年价）",
              "β-convergence: cross-section and two-way fixed effects (GDP per capita at current "
              "prices)", pd.DataFrame(beta_rows)),
        Table("conv_log_t", "Phillips–Sul log t检验：对数与水平值（人均地区生产总值为当年价）",
              "Phillips–Sul log t test on logs and levels (GDP per capita at current prices)",
              pd.DataFrame(logt_rows),
              labels={"b": "log t回归系数b", "se": "b的标准误", "t": "log t统计量t"}),
        Table("conv_claims", "σ、β与log t的综合判断（人均地区生产总值为当年价）",
              "σ, β and log t read together (GDP per capita at current prices)",
              pd.DataFrame(claim_rows)),
        Table("conv_clubs", "收敛俱乐部成员（PS 2009合并；人均地区生产总值为当年价）",
              "Convergence club members (PS 2009 merging; GDP per capita at current prices)",
              pd.concat(club_rows, ignore_index=True)),
        Table("conv_club_summary", "收敛俱乐部概况（人均地区生产总值为当年价）",
              "Convergence clubs in brief (GDP per capita at current prices)",
              pd.DataFrame(summary_rows)),
    ]
    facts["spatial"] = None
    if "gdp_pc" in series:
        var, Y, unit, wide = series["gdp_pc"]
        if _has_neighbours(wide.index, opts):
            ctx.progress("spatial pattern")
            sp_tables, sp_facts, sp_notes = _spatial(var, Y, wide, panel, opts, alpha)
            tables += sp_tables
            facts["spatial"] = sp_facts
            notes += sp_notes
        else:
            notes.append(Note("这些地区在地区库中没有相邻关系（如县级数据），莫兰指数、LISA 与空间马尔可夫"
                              "从略；可提供自己的空间权重。",
                              "These regions have no adjacency in the registry (e.g. counties): "
                              "Moran's I, LISA and the spatial Markov chain are left out; supply "
                              "spatial weights of your own to compute them."))
    windows = {v.key: [int(Y.columns[0]), int(Y.columns[-1])] for v, Y, _, _ in series.values()}
    clubs = facts["variables"][0]["club_settings"]  # the same for every variable
    options = {"windows": windows, "permutations": opts.permutations, "seed": opts.seed,
               "alpha": alpha, "lisa_correction": opts.lisa_correction,
               "lisa_significance": LISA_SIGNIFICANCE[opts.lisa_correction],
               "markov_k": opts.markov_k, "hainan_link": opts.hainan_link,
               "contiguity": "queen", "prices": "current", "log_t_r": clubs["r"],
               "log_t_convention": clubs["convention"], "hp_lambda": clubs["hp_lambda"],
               "cstar": clubs["cstar"], "club_merge": clubs["merge"]}
    tables.append(Table("conv_settings", "本节的设定（人均地区生产总值为当年价）",
                        "Settings of this section (GDP per capita at current prices)",
                        _settings_frame(options)))
    notes.append(Note(
        "人均地区生产总值为当年价（地区生产总值/年末常住人口），数据中没有各省价格指数，未作平减；"
        "增长率含价格变动。",
        "GDP per capita is at current prices (gross regional product / year-end resident "
        "population): the data carry no provincial deflator, so growth includes price changes."))
    notes.append(Note(
        "本节不对综合指数作收敛检验：最小–最大标准化指数的σ、β与log t结论随重标度I → a + bI改变"
        "（β半衰期的长短、log t的正负号都会变）；用于指数的只能是对仿射变换不变的量（如各年排名之间的"
        "Spearman相关）。",
        "No convergence test is run on a composite index: σ, β and the log t reading of a "
        "min–max index change under the rescaling I → a + bI (the length of the β half-life and "
        "the sign of log t both move); on an index only measures invariant to affine rescaling "
        "(such as the Spearman correlation between the ranks of two years) are meaningful."))
    _, _, zh, en = SECTIONS["convergence"]
    return SectionResult("convergence", zh, en, tuple(tables), facts, options, tuple(notes))


def _settings_frame(options: dict) -> pd.DataFrame:
    meaning = {
        "windows": ("各变量的年份范围", "years of each variable"),
        "permutations": ("Moran's I与LISA的置换次数", "permutations of Moran's I and LISA"),
        "seed": ("置换的随机种子", "seed of the permutations"),
        "alpha": ("显著性水平", "significance level"),
        "lisa_correction": ("LISA的多重检验校正（分析设定）", "LISA multiple-testing correction "
                            "(analysis spec)"),
        "lisa_significance": ("LISA实际采用的显著性规则", "LISA significance rule applied"),
        "markov_k": ("马尔可夫类别数", "number of Markov classes"),
        "hainan_link": ("海南在邻接权重中连接的省份", "province Hainan is linked to in the "
                        "contiguity weights"),
        "contiguity": ("空间权重", "spatial weights"),
        "prices": ("人均地区生产总值的价格", "prices of GDP per capita"),
        "log_t_r": ("log t检验舍弃的前期比例r", "share r of first periods the log t test drops"),
        "log_t_convention": ("log t检验与俱乐部的实现惯例", "convention of the log t test and "
                             "clubs"),
        "hp_lambda": ("HP滤波平滑参数", "HP filter smoothing parameter"),
        "cstar": ("俱乐部筛选阈值c*", "club sieve threshold c*"),
        "club_merge": ("相邻俱乐部合并方法", "merging of adjacent clubs"),
    }
    return pd.DataFrame({"setting": list(options), "value": [str(v) for v in options.values()],
                         "meaning_zh": [meaning[k][0] for k in options],
                         "meaning_en": [meaning[k][1] for k in options]})


def _convergence(var: Variable, Y: pd.DataFrame, unit: str, panel: Panel, alpha: float,
                 rows: dict[str, list], *, merge: str = "PS2009") -> dict:
    """σ, β, log t and clubs of one variable: appends the rows of each table to ``rows`` and
    returns its facts (row positions in each table, the claims)."""
    sigma_rows, recent_rows, beta_rows, logt_rows, claim_rows, club_rows, summary_rows = (
        rows[k] for k in ("sigma", "recent", "beta", "log_t", "claims", "clubs", "summary"))
    unit_en = UNITS_EN.get(unit, unit)
    base = {"variable": var.key, "name_zh": var.name_zh, "name_en": var.name_en, "unit": unit}
    t0, t1 = Y.columns[0], Y.columns[-1]
    alt_zh, alt_en = var.alt_unit(unit)
    f: dict = {"key": var.key, "name_zh": var.name_zh, "name_en": var.name_en, "unit": unit,
               "unit_en": unit_en, "alt_unit_zh": alt_zh, "alt_unit_en": alt_en,
               "measures": list(var.sigma_measures), "start": int(t0), "end": int(t1),
               "sigma_rows": {}, "claims": {},
               "claim_rows": {}}
    # σ: one block of rows per measure, years in order
    sig = {}
    f["recent_rows"], f["recent"] = {}, {}
    for m in var.sigma_measures:
        s = sigma_convergence(Y, measure=m)
        start = len(sigma_rows)
        sigma_rows.extend({**base, **r} for r in s.to_dict("records"))
        f["sigma_rows"][m] = (start, len(sigma_rows) - 1)
        sig[m] = s
        # the last RECENT_YEARS years on their own (Mann–Kendall), so that a whole-window slope
        # does not hide a slowdown
        tail = s.tail(RECENT_YEARS)
        tc = trend_claim(tail.year, tail.value, alpha=alpha)
        f["recent"][m] = tc
        f["recent_rows"][m] = len(recent_rows)
        recent_rows.append({**base, "measure": m, "start": int(tail.year.iloc[0]),
                            "end": int(tail.year.iloc[-1]), **tc.to_frame().iloc[0].to_dict()})
    # β: cross-section over the whole window, then two-way fixed effects
    xs = beta_convergence(Y, start=t0, end=t1)
    fe = beta_convergence(Y, kind="panel")
    for key, b in (("cross_section", xs), ("panel_fe", fe)):
        if key == "cross_section":
            f["beta_row"] = len(beta_rows)
        else:
            f["panel_row"] = len(beta_rows)
        beta_rows.append({**base, "model": key, "start": int(t0), "end": int(t1),
                          "periods": b.periods, "beta": b.beta, "se": b.se, "t": b.t, "p": b.p,
                          "r2": b.r2, "n": b.n, "speed": b.speed, "half_life": b.half_life,
                          "short_t_bias": bool(b.warnings), "warnings": "; ".join(b.warnings)})
    # log t: as published (logs in the data's unit), in a second unit, and on levels. The
    # method warns when the filtered logs take both signs (logs of values below 1 in the
    # second unit); that is recorded per row (``one_sign``) instead
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*the relative transition path")
        lt = {"logs": log_t_test(Y), "logs_alt_unit": log_t_test(Y * var.alt_scale),
              "levels": log_t_test(Y, take_log=False)}
        how = None if merge == "none" else merge
        clubs = {"logs": convergence_clubs(Y, merge=how),
                 "levels": convergence_clubs(Y, take_log=False, merge=how)}
    filtered = {"logs": hp_trend(np.log(Y.to_numpy(float))),
                "logs_alt_unit": hp_trend(np.log(Y.to_numpy(float) * var.alt_scale)),
                "levels": hp_trend(Y.to_numpy(float))}
    units = {"logs": (unit, unit_en, 1.0), "logs_alt_unit": (alt_zh, alt_en, var.alt_scale),
             "levels": (unit, unit_en, 1.0)}
    f["log_t_rows"] = {}
    for version, res in lt.items():
        u_zh, u_en, scale = units[version]
        settings = clubs["logs"].attrs["settings"]
        row = {**base, "version": version, "version_zh": LOG_T_VERSIONS[version][0],
               "version_en": LOG_T_VERSIONS[version][1], "unit_zh": u_zh, "unit_en": u_en,
               "scale": scale, "take_log": version != "levels", "start": int(t0),
               "end": int(t1), "b": res.b, "se": res.se, "t": res.t, "n": res.n,
               "periods_used": res.periods_used, "discarded_periods": res.discarded_periods,
               "r": settings["r"], "hp_lambda": settings["hp_lambda"],
               "convention": settings["convention"], "critical_t": CRITICAL_T,
               "one_sign": bool((filtered[version] > 0).all() or (filtered[version] < 0).all()),
               "reading": _log_t_reading(res.t)}
        if version in clubs:
            c = clubs[version]
            row.update({"n_clubs": int(c.club[c.club > 0].nunique()),
                        "n_divergent": int((c.club == 0).sum()),
                        "n_initial_clubs": int(c.initial_club[c.initial_club > 0].nunique()),
                        "merge": c.attrs["settings"]["merge"],
                        "cstar": c.attrs["settings"]["cstar"]})
        f["log_t_rows"][version] = len(logt_rows)
        logt_rows.append(row)
    f["club_settings"] = dict(clubs["logs"].attrs["settings"])
    units_claim = log_t_unit_claim({k: v.t for k, v in lt.items()})
    f["log_t_units"] = units_claim
    # σ, β and the unit-free log t read together (one claim per dispersion measure)
    for m, s in sig.items():
        c = convergence_claim(sigma_slope=float(s.trend_slope.iloc[0]),
                              sigma_p=float(s.trend_p.iloc[0]), beta=xs.beta, beta_p=xs.p,
                              log_t=lt["levels"].t, alpha=alpha)
        f["claims"][m] = c
        f["claim_rows"][m] = len(claim_rows)
        claim_rows.append({**base, "sigma_measure": m, **c.to_frame().iloc[0].to_dict(),
                           "log_t_version": "levels", "log_t_logs": lt["logs"].t,
                           "log_t_alt_unit": lt["logs_alt_unit"].t,
                           "log_t_units": units_claim.verdict})
    # clubs: one block of rows per version, as the method orders them
    f["club_rows"], f["summary_rows"] = {}, {}
    for version, c in clubs.items():
        zh, en = _labels(panel, c.region)
        st = c.attrs["settings"]
        block = c.rename(columns={"region": "region_code"}).assign(
            variable=var.key, version=version, region_zh=zh, region_en=en, unit=unit,
            take_log=st["take_log"], r=st["r"], hp_lambda=st["hp_lambda"],
            convention=st["convention"], merge=st["merge"], cstar=st["cstar"],
            discarded_periods=st["discarded_periods"], periods_used=st["periods_used"])
        lead = ["variable", "version", "region_code", "region_zh", "region_en"]
        block = block[lead + [k for k in block.columns if k not in lead]]
        start = sum(len(b) for b in club_rows)
        club_rows.append(block)
        f["club_rows"][version] = (start, start + len(block) - 1)
        first = len(summary_rows)
        for club in [k for k in sorted(c.club.unique()) if k > 0] + \
                ([0] if (c.club == 0).any() else []):
            members = block[block.club == club]
            summary_rows.append({
                "variable": var.key, "version": version, "club": int(club),
                "n_regions": len(members),
                "members_zh": "、".join(members.region_zh), "members_en": ", ".join(
                    members.region_en),
                "club_log_t": members.club_log_t.iloc[0], "club_b": members.club_b.iloc[0],
                "initial_clubs": ", ".join(str(i) for i in sorted(members.initial_club.unique()))})
        f["summary_rows"][version] = (first, len(summary_rows) - 1)
    return f


def _has_neighbours(codes, opts) -> bool:
    """Whether the registry's contiguity links any two of these regions."""
    try:
        W = spatial_weights([str(c) for c in codes], kind="queen",
                            hainan_link=_hainan_link(opts.hainan_link))
    except (DataError, KeyError, ValueError):
        return False
    return len(W.islands) < len(codes)


def _spatial(var: Variable, Y: pd.DataFrame, wide: pd.DataFrame, panel: Panel, opts,
             alpha: float) -> tuple[list[Table], dict, list[Note]]:
    """Moran's I and LISA of the latest year (on the regions with a value that year; every
    region of the data gets a LISA row, those without a value untested), and the two Markov
    chains of relative values (on the balanced panel ``Y``)."""
    link = _hainan_link(opts.hainan_link)
    notes: list[Note] = []
    last = int(wide.columns[-1])
    y_all = wide[last]
    codes_all = [str(c) for c in wide.index]
    has = y_all.notna().to_numpy()
    codes = [c for c, h in zip(codes_all, has, strict=True) if h]
    W = spatial_weights(codes, kind="queen", hainan_link=link)
    if W.islands:
        zh, en = _labels(panel, W.islands)
        notes.append(Note(f"无邻接省份的地区（空间滞后为0，LISA未检验）：{'、'.join(zh)}",
                          f"regions without a contiguous neighbour (spatial lag 0, not tested "
                          f"by LISA): {', '.join(en)}"))
    y = y_all.to_numpy(float)[has]
    m = morans_i(y, W, permutations=opts.permutations, seed=opts.seed)
    p_source = "permutation" if m.p_sim is not None else "normal approximation"
    p = m.p_sim if m.p_sim is not None else m.p_norm
    mc = moran_claim(m.I, m.EI, p, alpha=alpha, p_source=p_source)
    moran = pd.DataFrame([{"variable": var.key, "year": last, "I": m.I, "EI": m.EI,
                           "z_norm": m.z_norm, "p_norm": m.p_norm,
                           "p_sim": np.nan if m.p_sim is None else m.p_sim,
                           "p_used": p, "p_source": p_source, "alpha": alpha,
                           "permutations": m.permutations, "seed": opts.seed, "n": m.n,
                           "contiguity": "queen", "hainan_link": link or "none",
                           "reading": mc.verdict}])
    significance = LISA_SIGNIFICANCE[opts.lisa_correction]
    W_all = spatial_weights(codes_all, kind="queen", hainan_link=link)
    lm = local_morans(y_all.to_numpy(float), W_all, permutations=opts.permutations,
                      seed=opts.seed, alpha=alpha, significance=significance)
    zh, en = _labels(panel, codes_all)
    lisa = lm.to_frame().assign(region_code=codes_all, region_zh=zh, region_en=en, year=last,
                                value=y_all.to_numpy(float), permutations=lm.permutations,
                                seed=opts.seed, n_tested=lm.n_tested)
    lead = ["region_code", "region_zh", "region_en", "year", "value"]
    lisa = lisa[lead + [c for c in lisa.columns if c not in lead]]
    counts = []
    for code in (1, 3, 2, 4, 0, -1):  # HH, LL, LH, HL, not significant, untested
        members = lisa[lisa.cluster == code]
        counts.append({"cluster": code, "cluster_zh": QUADRANTS[code][0],
                       "cluster_en": QUADRANTS[code][1], "n_regions": len(members),
                       "members_zh": "、".join(members.region_zh),
                       "members_en": ", ".join(members.region_en)})
    counts = pd.DataFrame(counts)
    counts["n_significant"] = int(lm.significant.sum())
    counts["n_tested"] = lm.n_tested
    # Markov chains of value / yearly mean: one class definition for both chains
    classes = markov_classes(Y, k=opts.markov_k, pooled=True, relative=True)
    A = Y.to_numpy(float)
    mk = markov(A, classes=classes)
    W_markov = spatial_weights([str(c) for c in Y.index], kind="queen", hainan_link=link)
    sm = spatial_markov(A, W_markov, classes=classes)
    k = classes.k
    to_cols = [f"p_to_{j}" for j in range(1, k + 1)]
    classical = pd.DataFrame(mk.P, columns=to_cols)
    classical.insert(0, "from_class", np.arange(1, k + 1))
    classical.insert(1, "n_from", mk.transitions.sum(axis=1).astype(int))
    classical["steady_state"] = mk.steady_state
    classical["sojourn_years"] = mk.sojourn
    m_lag = sm.P.shape[0]
    spatial = pd.DataFrame(sm.P.reshape(m_lag * k, k), columns=to_cols)
    spatial.insert(0, "lag_class", np.repeat(np.arange(1, m_lag + 1), k))
    spatial.insert(1, "from_class", np.tile(np.arange(1, k + 1), m_lag))
    spatial.insert(2, "n_from", sm.T.sum(axis=2).ravel().astype(int))
    bounds = pd.concat([
        classes.to_frame().assign(variable="relative", used_by="markov, spatial_markov"),
        sm.lag_classes.to_frame().assign(variable="spatial_lag",
                                         used_by="spatial_markov (lag classes)")],
        ignore_index=True)
    bounds.insert(0, "variable", bounds.pop("variable"))
    bounds["k"] = k
    bounds["description"] = np.where(bounds.variable == "relative", classes.description,
                                     sm.lag_classes.description)
    hc = homogeneity_claim(sm.Q, sm.Q_p_value, sm.LR, sm.LR_p_value, alpha=alpha)
    tests = pd.DataFrame([{"k": k, "lag_classes": m_lag, "start": int(Y.columns[0]),
                           "end": int(Y.columns[-1]), "n_regions": A.shape[0], "transitions": int(
                               mk.transitions.sum()), "Q": sm.Q, "Q_p_value": sm.Q_p_value,
                           "LR": sm.LR, "LR_p_value": sm.LR_p_value, "dof": sm.dof,
                           "alpha": alpha, "reading": hc.verdict}])
    name_zh = f"{var.name_zh}，{last}年"
    name_en = f"{var.name_en}, {last}"
    tables = [
        Table("conv_moran", f"全局Moran's I：{name_zh}", f"Global Moran's I: {name_en}", moran),
        Table("conv_lisa", f"局部Moran（LISA）集聚：{name_zh}",
              f"Local Moran (LISA) clusters: {name_en}", lisa),
        Table("conv_lisa_counts", f"LISA集聚类型计数：{name_zh}",
              f"LISA clusters counted: {name_en}", counts),
        Table("conv_markov", f"经典马尔可夫转移概率：相对{var.name_zh}",
              f"Classical Markov transition probabilities: relative {var.name_en}", classical),
        Table("conv_spatial_markov", f"空间马尔可夫转移概率（按邻域类别）：相对{var.name_zh}",
              f"Spatial Markov transition probabilities by neighbours' class: relative "
              f"{var.name_en}", spatial),
        Table("conv_markov_classes", f"马尔可夫类别界值（两种链共用）：相对{var.name_zh}",
              f"Markov class bounds (shared by both chains): relative {var.name_en}", bounds),
        Table("conv_markov_tests", f"空间马尔可夫同质性检验：相对{var.name_zh}",
              f"Spatial Markov homogeneity test: relative {var.name_en}", tests),
    ]
    facts = {"year": last, "moran": mc, "homogeneity": hc, "significance": significance,
             "k": k, "lag_classes": m_lag, "n_untested": int((~lm.tested).sum()),
             "count_rows": {int(c): i for i, c in enumerate(counts.cluster)},
             "classes_cutoffs": classes.cutoffs.tolist(),
             "spatial_cutoffs": sm.classes.cutoffs.tolist()}
    return tables, facts, notes
