"""Series breaks: a change of survey, coverage or definition inside one published series.

A break inside one indicator id silently moves every index, weight, obstacle degree and
convergence test that uses it. So a documented break is turned into data: the years on each
side of it get their own indicator id, and the split is recorded (and listed in the report's
coverage section). :func:`scan_breaks` looks for level jumps at candidate break years that a
series' usual year-on-year changes do not explain, so a test can check every bundled indicator.

Documented breaks (:data:`DOCUMENTED_BREAKS`):

* **2013 household survey.** From 2013 NBS runs one integrated urban–rural household survey
  (城乡一体化住户收支与生活状况调查); NBS's own note says its scope, method and indicator
  definitions differ from the separate urban and rural surveys before it. Urban disposable
  income and urban consumption keep their names but change basis; rural net income (纯收入) and
  rural living expenditure (生活消费支出) already carry ids of their own.
* **2013 urban-unit employment.** 城镇单位就业人员 jumps in most provinces between 2012 and 2013
  (median +12 %; Jiangsu 830.9 → 1,503.3, in 10,000 persons); the portal export's
  notes do not explain it (they note a new industry classification from 2012), so it is a
  statistical break, not growth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, Issue

__all__ = ["SeriesBreak", "DOCUMENTED_BREAKS", "split_series_breaks", "split_frame_breaks",
           "scan_breaks"]

SURVEY_NOTE = ("NBS: 从2013年起开展城乡一体化住户收支与生活状况调查，与2013年前分城镇和农村住户调查的"
               "调查范围、调查方法、指标口径有所不同")


@dataclass(frozen=True)
class SeriesBreak:
    """One documented break: ``indicator`` changes basis in ``year``.

    Values before ``year`` get ``before_id``, values from ``year`` on get ``after_id`` (one of
    the two is usually ``indicator`` itself). ``suffix_*`` is appended to the names of the id
    that is new.
    """

    indicator: str
    year: int
    before_id: str
    after_id: str
    reason_zh: str
    reason_en: str
    source: str
    suffix_zh: str
    suffix_en: str

    def new_id(self) -> str:
        return self.after_id if self.before_id == self.indicator else self.before_id


DOCUMENTED_BREAKS: tuple[SeriesBreak, ...] = (
    SeriesBreak(
        "urban_disposable_income", 2013, "urban_disposable_income",
        "urban_disposable_income_new_survey",
        "2013年起城镇居民收入来自城乡一体化住户调查，与此前城镇住户调查口径不同",
        "from 2013 urban income comes from the integrated household survey, whose scope, "
        "method and definitions differ from the earlier urban household survey",
        SURVEY_NOTE, "（一体化调查）", " (integrated survey, 2013+)"),
    SeriesBreak(
        "urban_consumption", 2013, "urban_consumption_old_survey", "urban_consumption",
        "2013年前为城镇住户调查的人均消费性支出，2013年起为一体化调查的人均消费支出",
        "before 2013: consumption expenditure (消费性支出) of the urban household survey; from "
        "2013: consumption expenditure (消费支出) of the integrated survey",
        SURVEY_NOTE, "（旧城镇住户调查，消费性支出）", " (old urban survey, to 2012)"),
    SeriesBreak(
        "employment_urban_units", 2013, "employment_urban_units",
        "employment_urban_units_2013on",
        "2012→2013年多数省份城镇单位就业人员水平跳升（各省中位数约+12%，江苏+81%），数据注释未说明，"
        "按统计口径断点处理，不作为增长",
        "a level jump from 2012 to 2013 in most provinces (median about +12 %, Jiangsu +81 %) "
        "that the export's notes do not explain: treated as a statistical break, not growth",
        "NBS data portal 分省年度数据 城镇单位就业人员; export notes: 2012年行业采用新的分类标准",
        "（2013年起）", " (2013 onwards)"),
)


def _check_no_overlap(data: pd.DataFrame, brk: SeriesBreak) -> None:
    key = ["region_code", "year", "indicator"]
    dup = data.duplicated(key, keep=False)
    if dup.any():
        r = data[dup].iloc[0]
        raise DataError(Issue(
            f"splitting {brk.indicator!r} at its {brk.year} break gives {r.indicator!r} for "
            f"{r.region_code} {int(r.year)}, which the data already hold: remove one of the two "
            f"/ 在{brk.year}年断点拆分“{brk.indicator}”时与已有的“{r.indicator}”重复",
            column="indicator", value=str(r.indicator)))


def split_frame_breaks(data: pd.DataFrame, *,
                       breaks: Iterable[SeriesBreak] = DOCUMENTED_BREAKS) -> tuple[pd.DataFrame,
                                                                                   pd.DataFrame]:
    """Give the years on each side of every documented break their own indicator id.

    Parameters
    ----------
    data : long table with ``region_code``, ``year``, ``indicator`` and ``value``.
    breaks : the breaks to apply (default :data:`DOCUMENTED_BREAKS`).

    Returns
    -------
    (data, applied) : a new long table, and one row per break that touched the data, with the
        number of values given to each id (``n_before``, ``n_after``), the years each side
        covers and the reason in both languages. A series that lies wholly on the side that
        keeps the original id is not listed.

    Raises
    ------
    DataError
        when a split id already holds a value for the same region and year.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"region_code": "110000", "year": [2012, 2013],
    ...                   "indicator": "employment_urban_units", "value": [1.0, 2.0]})
    >>> out, applied = split_frame_breaks(d)
    >>> list(out.indicator)
    ['employment_urban_units', 'employment_urban_units_2013on']
    """
    out = data.copy()
    out["indicator"] = out["indicator"].astype(str)
    rows = []
    for brk in breaks:
        hit = (out["indicator"] == brk.indicator).to_numpy()
        if not hit.any():
            continue
        years = out["year"].to_numpy()
        before, after = hit & (years < brk.year), hit & (years >= brk.year)
        out.loc[before, "indicator"] = brk.before_id
        out.loc[after, "indicator"] = brk.after_id
        _check_no_overlap(out, brk)
        moved = before if brk.before_id != brk.indicator else after
        if not moved.any():
            continue  # every value is on the side that keeps the id: nothing was split
        yb, ya = years[before], years[after]
        rows.append({
            "indicator": brk.indicator, "break_year": brk.year,
            "before_id": brk.before_id, "after_id": brk.after_id,
            "n_before": int(before.sum()), "n_after": int(after.sum()),
            "years_before": f"{yb.min()}–{yb.max()}" if len(yb) else "",
            "years_after": f"{ya.min()}–{ya.max()}" if len(ya) else "",
            "reason_zh": brk.reason_zh, "reason_en": brk.reason_en, "source": brk.source,
        })
    cols = ["indicator", "break_year", "before_id", "after_id", "n_before", "n_after",
            "years_before", "years_after", "reason_zh", "reason_en", "source"]
    return out, pd.DataFrame(rows, columns=cols)


def split_series_breaks(panel, *, breaks: Iterable[SeriesBreak] = DOCUMENTED_BREAKS):
    """Split every documented break of a :class:`~urbanrural.data.panel.Panel`.

    The new ids get the metadata of the original with the break's name suffix and reason in
    their notes. Returns ``(panel, applied)`` as :func:`split_frame_breaks` does; a panel
    without any broken series comes back unchanged (``applied`` is empty).

    Parameters
    ----------
    panel : Panel
        The panel to split.
    breaks : iterable of SeriesBreak, default DOCUMENTED_BREAKS
        The breaks to apply (the 2013 household survey and urban-unit employment breaks).

    Returns
    -------
    (Panel, DataFrame)
        The panel with every broken series split into two ids, and one row per break applied
        (indicator, break year, the ids before and after, the values and years each side
        holds, the reason in both languages and its source).

    Examples
    --------
    >>> import urbanrural as ur
    >>> p, applied = split_series_breaks(ur.load_dataset("china_provinces"))
    >>> applied.empty  # the bundled data are already split when the dataset is built
    True
    """
    breaks = tuple(breaks)
    data, applied = split_frame_breaks(panel.data, breaks=breaks)
    if applied.empty:
        return panel, applied
    meta = dict(panel.indicators)
    meta.update(break_metadata(meta, breaks, applied))
    for brk in breaks:
        # an id emptied by the split keeps no metadata row
        if brk.indicator not in set(data["indicator"]):
            meta.pop(brk.indicator, None)
    from .panel import Panel

    new = Panel(data, {k: v for k, v in meta.items() if k in set(data["indicator"])},
                registry=panel.registry, region_names=panel.region_names, name=panel.name,
                provenance=panel.provenance, report=panel.report)
    return new, applied


def break_metadata(meta: Mapping, breaks: Iterable[SeriesBreak], applied: pd.DataFrame) -> dict:
    """Metadata (``Indicator`` objects) for the ids a split created, from their parent's."""
    from dataclasses import replace

    from .panel import Indicator

    out = {}
    done = set(applied["indicator"]) if len(applied) else set()
    for brk in breaks:
        if brk.indicator not in done:
            continue
        base = meta.get(brk.indicator) or Indicator(id=brk.indicator)
        note = f"Series break at {brk.year}: {brk.reason_en}. / {brk.year}年口径断点：{brk.reason_zh}。"
        new = brk.new_id()
        if new in meta:
            raise DataError(Issue(f"the id {new!r} of the {brk.year} break of {brk.indicator!r} "
                                  "already has metadata of its own", column="indicator",
                                  value=new))
        out[new] = replace(base, id=new, name_zh=(base.name_zh or brk.indicator) + brk.suffix_zh,
                           name_en=(base.name_en or brk.indicator) + brk.suffix_en,
                           notes=(base.notes + " " + note).strip())
        out[brk.indicator] = replace(base, notes=(base.notes + " " + note).strip())
    return out


def scan_breaks(data: pd.DataFrame, *, years: Iterable[int] = (2013,), threshold: float = 2.5,
                min_history: int = 4) -> pd.DataFrame:
    """Level jumps at candidate break years that a series' usual changes do not explain.

    For every indicator and region with values in both ``year − 1`` and ``year``, the log
    change :math:`\\Delta_{r} = \\ln x_{r,t} - \\ln x_{r,t-1}` is compared with that region's
    own log changes in the other years: :math:`z_r = (\\Delta_r - m_r)/s`, where :math:`m_r` is
    the region's median change and :math:`s` the robust spread (1.4826 × median absolute
    deviation) of all regions' changes around their own medians (floored at 0.005, half a
    percentage point). An indicator is flagged when the median of :math:`z_r` over regions
    exceeds ``threshold`` in absolute value. Regions with fewer than ``min_history`` other
    changes, and non-positive values, are left out of the comparison.

    Parameters
    ----------
    data : long table (``region_code``, ``year``, ``indicator``, ``value``).
    years : candidate break years (the first year of a new basis).
    threshold : flag when ``|median z| > threshold``.
    min_history : other year-on-year changes a region needs to be compared.

    Returns
    -------
    DataFrame with one row per indicator and candidate year that could be tested:
    ``indicator, year, n_regions, median_change, usual_change, spread, median_z, flagged``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> years = np.arange(2005, 2020)
    >>> level = 100 * 1.05 ** (years - 2005) * np.where(years >= 2013, 1.3, 1.0)
    >>> d = pd.DataFrame({"region_code": "1", "year": years, "indicator": "x", "value": level})
    >>> bool(scan_breaks(d).flagged.iloc[0])
    True
    """
    cols = ["indicator", "year", "n_regions", "median_change", "usual_change", "spread",
            "median_z", "flagged"]
    d = data[["region_code", "year", "indicator", "value"]].copy()
    d["indicator"] = d["indicator"].astype(str)
    d["region_code"] = d["region_code"].astype(str)
    d = d.sort_values(["indicator", "region_code", "year"])
    g = d.groupby(["indicator", "region_code"], sort=False)
    prev_year, prev = g["year"].shift(), g["value"].shift()
    ok = ((d["year"] - prev_year) == 1) & (prev > 0) & (d["value"] > 0)
    d = d[ok].assign(change=np.log(d["value"][ok] / prev[ok]))
    rows = []
    for year in years:
        at = d[d["year"] == year]
        if at.empty:
            continue
        other = d[(d["year"] != year) & d["indicator"].isin(at["indicator"].unique())]
        key = ["indicator", "region_code"]
        stats = other.groupby(key)["change"].agg(median="median", n="size")
        dev = (other.set_index(key)["change"] - stats["median"].reindex(
            pd.MultiIndex.from_frame(other[key]))).abs()
        spread = (dev.groupby(level="indicator").median() * 1.4826).clip(lower=0.005)
        j = at.set_index(key)[["change"]].join(stats, how="inner")
        j = j[j["n"] >= min_history]
        if j.empty:
            continue
        j["z"] = (j["change"] - j["median"]) / spread.reindex(
            j.index.get_level_values("indicator")).to_numpy()
        s = j.groupby(level="indicator").agg(n_regions=("z", "size"),
                                             median_change=("change", "median"),
                                             usual_change=("median", "median"),
                                             median_z=("z", "median"))
        s["spread"] = spread.reindex(s.index)
        s["year"] = year
        rows.append(s.reset_index())
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out["flagged"] = out["median_z"].abs() > threshold
    return out[cols].sort_values(["flagged", "median_z"], ascending=[False, False],
                                 key=lambda s: s.abs() if s.name == "median_z" else s,
                                 ignore_index=True)
