"""The panel: regions × years × indicators, stored long, with indicator and region metadata.

A :class:`Panel` holds one tidy table (``region_code, year, indicator, value``) in which a
missing value is simply an absent row: nothing is ever stored as NaN and nothing is filled.
:meth:`Panel.to_array` gives the dense ``regions × years × indicators`` cube with a boolean
``missing`` mask, and :meth:`Panel.from_array` turns it back without loss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from .errors import DataError, Issue, ReadReport
from .registry import RegionRegistry

__all__ = ["Indicator", "Panel", "PanelArray", "UNIT_SCALES"]

# Multipliers of common NBS units to a base unit, so that derived per-capita indicators carry a
# correct unit (亿元 / 万人 = 10^4 元/人). Only what the bundled data use; others stay symbolic.
UNIT_SCALES: dict[str, tuple[float, str]] = {
    "元": (1.0, "元"), "yuan": (1.0, "元"), "万元": (1e4, "元"), "亿元": (1e8, "元"),
    "100 million yuan": (1e8, "元"),
    "人": (1.0, "人"), "persons": (1.0, "人"), "万人": (1e4, "人"), "10000 persons": (1e4, "人"),
    "people": (1.0, "人"), "户": (1.0, "户"), "万户": (1e4, "户"),
}


@dataclass(frozen=True)
class Indicator:
    """Metadata of one indicator: what it is, in which unit, and where it comes from.

    Examples
    --------
    >>> ind = Indicator("rural_disposable_income", name_zh="农村居民人均可支配收入",
    ...                 name_en="Rural per-capita disposable income", unit="元")
    >>> ind.label("zh"), ind.label("en")
    ('农村居民人均可支配收入', 'Rural per-capita disposable income')
    >>> Indicator("gdp").label("en")  # no name: the id
    'gdp'
    """

    id: str
    name_zh: str = ""
    name_en: str = ""
    unit: str = ""
    source: str = ""
    licence: str = ""
    notes: str = ""

    def label(self, lang: str = "zh") -> str:
        name = self.name_zh if lang == "zh" else self.name_en
        return name or self.name_en or self.name_zh or self.id


@dataclass
class PanelArray:
    """Dense cube of a panel: ``values[r, t, k]`` with ``missing[r, t, k]`` True where the
    panel holds no value (``values`` is NaN there).

    Examples
    --------
    >>> import pandas as pd
    >>> p = Panel(pd.DataFrame({"region_code": ["110000", "110000", "120000"],
    ...                         "year": [2020, 2021, 2020], "indicator": "x",
    ...                         "value": [1.0, 2.0, 3.0]}))
    >>> a = p.to_array()
    >>> a.shape, a.regions, a.years
    ((2, 2, 1), ['110000', '120000'], [2020, 2021])
    >>> a.missing[:, :, 0].tolist()  # 120000 has no 2021 value
    [[False, False], [False, True]]
    >>> Panel.from_array(a).equals(p)
    True
    """

    values: np.ndarray
    missing: np.ndarray
    regions: list[str]
    years: list[int]
    indicators: list[str]

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.values.shape


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, (str, int, np.integer)):
        return [x]
    return list(x)


class Panel:
    """Regions × years × indicators with metadata.

    Parameters
    ----------
    data : long DataFrame with columns ``region_code``, ``year``, ``indicator``, ``value``.
        Rows with a missing value are rejected: missing means *absent*.
    indicators : metadata per indicator id (``Indicator`` objects or dicts). Ids without
        metadata get a bare entry (id only), so nothing is lost.
    registry : the region registry the codes belong to (names for display), or None.
    region_names : optional ``{code: (name_zh, name_en)}`` for regions outside the registry.
    name, provenance : a label and free-form provenance (sources, vintages, licence).

    Examples
    --------
    China's per-capita disposable income in 2013, the first year of the integrated household
    survey (NBS, whole yuan; the bundled ``china_national`` dataset):

    >>> import pandas as pd
    >>> from urbanrural.data import china
    >>> long = pd.DataFrame({"region_code": "000000", "year": 2013,
    ...                      "indicator": ["urban_income", "rural_income"],
    ...                      "value": [26467.0, 9430.0]})
    >>> p = Panel(long, [Indicator("urban_income", unit="元"), Indicator("rural_income", unit="元")],
    ...           registry=china())
    >>> p
    <Panel  1 regions × 2013–2013 × 2 indicators, 2 values>
    >>> r = p.derive("income_ratio", "ratio", "urban_income", "rural_income")
    >>> round(float(r.wide("income_ratio").loc["000000", 2013]), 2)
    2.81

    A missing value is an absent row, never a NaN:

    >>> from urbanrural.data import DataError
    >>> try:
    ...     Panel(long.assign(value=[26467.0, None]))
    ... except DataError as e:
    ...     print(e.issues[0].row, e.issues[0].column, "|", e.issues[0].reason)
    2 value | value is missing or not a number; leave missing values out of a panel instead (frame index 1)
    """

    _COLS = ["region_code", "year", "indicator", "value"]

    def __init__(
        self,
        data: pd.DataFrame,
        indicators: Mapping[str, Indicator | dict] | Iterable[Indicator] | None = None,
        *,
        registry: RegionRegistry | None = None,
        region_names: Mapping[str, tuple[str, str]] | None = None,
        name: str = "",
        provenance: Mapping | None = None,
        report: ReadReport | None = None,
        _trusted: bool | str = False,
    ):
        if not _trusted:
            data = self._clean(data)
        # "normalised": the reader already built sorted rows and used-only categoricals
        self._data = data if _trusted == "normalised" else _normalise(data)
        self.registry = registry
        self.name = name
        self.provenance = dict(provenance or {})
        self.report = report
        meta: dict[str, Indicator] = {}
        if indicators is not None:
            items = indicators.values() if isinstance(indicators, Mapping) else indicators
            for ind in items:
                ind = Indicator(**ind) if isinstance(ind, dict) else ind
                meta[ind.id] = ind
        for i in self.indicator_ids:
            meta.setdefault(i, Indicator(id=i))
        self.indicators: dict[str, Indicator] = meta
        self.region_names = dict(region_names or {})

    # ----------------------------------------------------------------- checks
    @classmethod
    def _clean(cls, data: pd.DataFrame) -> pd.DataFrame:
        missing_cols = [c for c in cls._COLS if c not in data.columns]
        if missing_cols:
            raise DataError(f"panel data lacks column(s) {missing_cols}; "
                            f"expected {cls._COLS}")
        d = data[cls._COLS].copy()
        d["region_code"] = d["region_code"].astype(str)
        d["indicator"] = d["indicator"].astype(str)
        years = pd.to_numeric(d["year"], errors="coerce")
        bad = years.isna() | (years != np.floor(years))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            # Issue rows count from 1, as lines of a file do; the frame's own label is named too
            raise DataError(Issue(f"year is not a whole number (frame index {d.index[i]})",
                                  row=i + 1, column="year", value=str(d["year"].iloc[i])))
        d["year"] = years.astype(np.int64)
        vals = pd.to_numeric(d["value"], errors="coerce")
        bad = vals.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(Issue("value is missing or not a number; leave missing values out "
                                  f"of a panel instead (frame index {d.index[i]})", row=i + 1,
                                  column="value", value=str(d["value"].iloc[i])))
        d["value"] = vals.astype(np.float64)
        dup = d.duplicated(["region_code", "year", "indicator"], keep=False)
        if dup.any():
            first = d[dup].iloc[0]
            raise DataError(Issue(
                f"{int(dup.sum())} rows repeat a region-year-indicator, e.g. "
                f"{first.region_code} {first.year} {first.indicator}"))
        return d

    # ------------------------------------------------------------- accessors
    @property
    def data(self) -> pd.DataFrame:
        """The long table (a copy): region_code, year, indicator, value (codes as text)."""
        return self._data.astype({"region_code": str, "indicator": str})

    @property
    def indicator_ids(self) -> list[str]:
        return list(self._data["indicator"].cat.categories)

    @property
    def regions(self) -> list[str]:
        return list(self._data["region_code"].cat.categories)

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self._data["year"].unique())

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        yrs = self.years
        span = f"{yrs[0]}–{yrs[-1]}" if yrs else "no years"
        return (f"<Panel {self.name or ''} {len(self.regions)} regions × {span} × "
                f"{len(self.indicator_ids)} indicators, {len(self)} values>")

    def region_label(self, code: str, lang: str = "zh") -> str:
        if code in self.region_names:
            zh, en = self.region_names[code]
            return (zh or en) if lang == "zh" else (en or zh)
        if self.registry is not None and code in self.registry:
            return self.registry.label(code, lang)
        return code

    def _like(self, data: pd.DataFrame, indicators: Mapping[str, Indicator] | None = None,
              trusted: bool = True) -> Panel:
        ind = dict(indicators if indicators is not None else self.indicators)
        keep = {str(x) for x in data["indicator"].unique()}
        ind = {k: v for k, v in ind.items() if k in keep}
        return Panel(data, ind, registry=self.registry, region_names=self.region_names,
                     name=self.name, provenance=self.provenance, _trusted=trusted)

    # ------------------------------------------------------------ conversion
    def to_frame(self, lang: str = "zh", *, unit: bool = False) -> pd.DataFrame:
        """Long DataFrame: region_code, region, year, indicator, value (and unit if asked),
        sorted by indicator, region and year."""
        d = _sorted(self._data)
        cats = d["region_code"].cat.categories
        names = np.asarray([self.region_label(c, lang) for c in cats], dtype=object)
        out = pd.DataFrame({
            "region_code": d["region_code"].to_numpy(),
            "region": names[d["region_code"].cat.codes.to_numpy()],
            "year": d["year"].to_numpy(),
            "indicator": d["indicator"].to_numpy(),
            "value": d["value"].to_numpy(),
        })
        if unit:
            units = {k: v.unit for k, v in self.indicators.items()}
            out["unit"] = out["indicator"].map(units)
        return out

    def to_array(self, *, regions: Iterable[str] | None = None, years: Iterable[int] | None = None,
                 indicators: Iterable[str] | None = None) -> PanelArray:
        """Dense cube with a missing-value mask, axes sorted (or in the order given)."""
        reg = list(regions) if regions is not None else self.regions
        yrs = [int(y) for y in years] if years is not None else self.years
        ind = list(indicators) if indicators is not None else self.indicator_ids
        d = self._data
        ri = pd.Index(reg).get_indexer(d["region_code"].cat.categories)[
            d["region_code"].cat.codes.to_numpy()]
        ti = pd.Index(yrs).get_indexer(d["year"])
        ki = pd.Index(ind).get_indexer(d["indicator"].cat.categories)[
            d["indicator"].cat.codes.to_numpy()]
        ok = (ri >= 0) & (ti >= 0) & (ki >= 0)
        values = np.full((len(reg), len(yrs), len(ind)), np.nan)
        values[ri[ok], ti[ok], ki[ok]] = d["value"].to_numpy()[ok]
        missing = np.ones(values.shape, dtype=bool)
        missing[ri[ok], ti[ok], ki[ok]] = False
        return PanelArray(values, missing, reg, yrs, ind)

    @classmethod
    def from_array(cls, array: PanelArray, indicators=None, **kwargs) -> Panel:
        """Inverse of :meth:`to_array`: cells flagged missing become absent rows."""
        r, t, k = np.nonzero(~array.missing)
        data = pd.DataFrame({
            "region_code": np.asarray(array.regions, dtype=object)[r],
            "year": np.asarray(array.years, dtype=np.int64)[t],
            "indicator": np.asarray(array.indicators, dtype=object)[k],
            "value": array.values[r, t, k],
        })
        return cls(data, indicators, **kwargs)

    def wide(self, indicator: str, lang: str | None = None) -> pd.DataFrame:
        """One indicator as a regions × years DataFrame (NaN where missing)."""
        self._check_indicators([indicator])
        d = self._data[self._data["indicator"] == indicator]
        w = d.assign(region_code=d["region_code"].astype(str)).pivot(
            index="region_code", columns="year", values="value")
        if lang:
            w.index = [self.region_label(c, lang) for c in w.index]
        return w

    def matrix(self, year: int, indicators: Iterable[str] | None = None) -> pd.DataFrame:
        """One year as a regions × indicators DataFrame (NaN where missing)."""
        d = self._data[self._data["year"] == int(year)]
        w = d.assign(region_code=d["region_code"].astype(str),
                     indicator=d["indicator"].astype(str)).pivot(
            index="region_code", columns="indicator", values="value")
        if indicators is not None:
            ind = list(indicators)
            self._check_indicators(ind)
            w = w.reindex(columns=ind)
        return w

    # -------------------------------------------------------------- selection
    def _check_indicators(self, ids: Iterable[str]) -> None:
        unknown = [i for i in ids if i not in self.indicators]
        if unknown:
            import difflib

            issues = []
            for u in unknown:
                close = difflib.get_close_matches(u, list(self.indicators), n=3, cutoff=0.4)
                hint = f"; closest: {', '.join(close)}" if close else ""
                issues.append(Issue(f"unknown indicator{hint}", value=u))
            raise DataError(issues)

    def select(self, regions=None, years=None, indicators=None) -> Panel:
        """Subset by regions (names or codes), years (int, list, range or (first, last)) and
        indicator ids."""
        d = self._data
        mask = np.ones(len(d), dtype=bool)
        if regions is not None:
            reg = _as_list(regions)
            if self.registry is not None:
                reg = [self.registry.resolve(r) for r in reg]
            mask &= d["region_code"].isin([str(r) for r in reg]).to_numpy()
        if years is not None:
            if isinstance(years, tuple) and len(years) == 2:
                lo, hi = years
                mask &= ((d["year"] >= lo) & (d["year"] <= hi)).to_numpy()
            else:
                mask &= d["year"].isin([int(y) for y in _as_list(years)]).to_numpy()
        if indicators is not None:
            ind = _as_list(indicators)
            self._check_indicators(ind)
            mask &= d["indicator"].isin(ind).to_numpy()
        return self._like(d[mask].reset_index(drop=True))

    # ---------------------------------------------------------------- derive
    def derive(self, id: str, kind: str, a: str, b: str, *, name_zh: str = "",
               name_en: str = "", unit: str | None = None, scale: float | None = None,
               notes: str = "") -> Panel:
        """Add an indicator computed cell by cell from two others; returns a new Panel.

        ``kind``: ``ratio`` (a / b), ``difference`` (a − b, same unit required), ``share``
        (100 · a / b in %, same unit required) or ``per_capita`` (a / b, with the unit scale
        worked out from the units, e.g. 亿元 / 万人 → ×10⁴ 元/人). A value exists only where both
        inputs exist; nothing is filled.
        """
        self._check_indicators([a, b])
        if id in self.indicators:
            raise DataError(Issue("indicator id already exists", value=id))
        ua, ub = self.indicators[a].unit, self.indicators[b].unit
        factor = 1.0
        if kind == "ratio":
            out_unit = unit if unit is not None else (
                "倍 (ratio)" if ua == ub else f"{ua}/{ub}")
        elif kind in ("difference", "share"):
            if ua != ub:
                raise DataError(Issue(
                    f"cannot take a {kind} of indicators in different units "
                    f"({a}: {ua!r}, {b}: {ub!r})", value=id))
            out_unit = unit if unit is not None else (ua if kind == "difference" else "%")
            factor = 100.0 if kind == "share" else 1.0
        elif kind == "per_capita":
            sa, sb = UNIT_SCALES.get(ua), UNIT_SCALES.get(ub)
            if unit is None and sa and sb:
                factor = sa[0] / sb[0]
                out_unit = f"{sa[1]}/{sb[1]}"
            else:
                out_unit = unit if unit is not None else f"{ua}/{ub}"
        else:
            raise ValueError("kind must be ratio, difference, share or per_capita")
        if scale is not None:
            factor = scale
        d = self._data.assign(region_code=self._data["region_code"].astype(str))
        wa = d[d.indicator == a].set_index(["region_code", "year"])["value"]
        wb = d[d.indicator == b].set_index(["region_code", "year"])["value"]
        both = wa.index.intersection(wb.index)
        va, vb = wa.loc[both].to_numpy(), wb.loc[both].to_numpy()
        if kind == "difference":
            v = va - vb
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = factor * va / vb
        finite = np.isfinite(v)
        if not finite.all():
            bad = both[~finite][0]
            raise DataError(Issue(f"{b} is zero, so {id} = {a}/{b} is undefined",
                                  value=f"{bad[0]} {bad[1]}"))
        new = pd.DataFrame({"region_code": both.get_level_values(0),
                            "year": both.get_level_values(1), "indicator": id, "value": v})
        meta = dict(self.indicators)
        op = {"ratio": "/", "difference": "−", "share": "/", "per_capita": "/"}[kind]
        meta[id] = Indicator(
            id=id, name_zh=name_zh, name_en=name_en, unit=out_unit,
            source=f"derived: {kind} of {a} {op} {b}"
            + (f" × {factor:g}" if factor != 1.0 else ""),
            notes=notes)
        return self._like(pd.concat([self._data, new], ignore_index=True), meta)

    def merge(self, other: Panel) -> Panel:
        """Combine two panels. Same region-year-indicator with different values is an error;
        the same indicator id with different units is an error (元 and yuan are one unit: the
        first panel's spelling is kept)."""
        from .units import same_unit

        issues = []
        for k, v in other.indicators.items():
            mine = self.indicators.get(k)
            if mine is not None and mine.unit and v.unit and not same_unit(mine.unit, v.unit):
                issues.append(Issue(f"indicator has unit {mine.unit!r} in one panel and "
                                    f"{v.unit!r} in the other", value=k))
        if issues:
            raise DataError(issues)
        both = pd.concat([self._data, other._data], ignore_index=True)
        both = both.astype({"region_code": str, "indicator": str})
        key = ["region_code", "year", "indicator"]
        dup = both.duplicated(key, keep=False)
        conflicts = both[dup].groupby(key)["value"].nunique()
        conflicts = conflicts[conflicts > 1]
        if len(conflicts):
            issues = [Issue("conflicting values for the same region, year and indicator",
                            value=f"{r} {y} {i}") for r, y, i in conflicts.index[:20]]
            raise DataError(issues)
        both = both.drop_duplicates(key)
        meta = {**other.indicators, **self.indicators}
        names = {**other.region_names, **self.region_names}
        return Panel(both, meta, registry=self.registry or other.registry, region_names=names,
                     name=self.name or other.name,
                     provenance={**other.provenance, **self.provenance})

    def with_indicators(self, **updates: Indicator | dict) -> Panel:
        """Replace or complete the metadata of indicators."""
        meta = dict(self.indicators)
        for k, v in updates.items():
            meta[k] = replace(meta[k], **v) if isinstance(v, dict) else v
        return self._like(self._data, meta)

    # -------------------------------------------------------------- coverage
    def coverage(self) -> pd.DataFrame:
        """One row per indicator: years, regions, values present and whether the
        regions × years rectangle it spans is complete."""
        d = self._data
        g = d.groupby("indicator", observed=True)
        all_regions = d["region_code"].nunique()
        out = pd.DataFrame({
            "first_year": g["year"].min(),
            "last_year": g["year"].max(),
            "n_years": g["year"].nunique(),
            "n_regions": g["region_code"].nunique(),
            "n_values": g.size(),
        })
        span = out["last_year"] - out["first_year"] + 1
        # complete means every region of the panel has a value in every year of the span
        out["expected"] = span * all_regions
        out["complete"] = out["n_values"] == out["expected"]
        out["share_present"] = np.floor(1000 * out["n_values"] / out["expected"]) / 1000
        out["of_all_regions"] = out["n_regions"].astype(str) + f"/{all_regions}"
        gaps = []
        for _, sub in g:
            yrs = sorted(sub["year"].unique())
            missing_years = sorted(set(range(yrs[0], yrs[-1] + 1)) - set(yrs))
            gaps.append(_compress_years(missing_years))
        out["missing_years"] = gaps
        out.insert(0, "name_zh", [self.indicators[i].name_zh for i in out.index])
        out.insert(1, "name_en", [self.indicators[i].name_en for i in out.index])
        out.insert(2, "unit", [self.indicators[i].unit for i in out.index])
        out.index.name = "indicator"
        return out

    def indicator_table(self) -> pd.DataFrame:
        """Metadata of every indicator as a table."""
        return pd.DataFrame([asdict(v) for v in self.indicators.values()]).set_index("id")

    def fingerprint(self) -> str:
        """SHA-256 of the sorted long table (codes, years, indicators, values to 12 digits)."""
        d = _sorted(self._data)
        h = hashlib.sha256()
        for col in ("region_code", "indicator"):
            h.update("\x1f".join(d[col].astype(str)).encode())
        h.update(d["year"].to_numpy(np.int64).tobytes())
        h.update(np.round(d["value"].to_numpy(), 12).tobytes())
        return h.hexdigest()

    def equals(self, other: Panel) -> bool:
        """Same values for the same keys (metadata not compared)."""
        if len(self) != len(other):
            return False
        a, b = _sorted(self._data), _sorted(other._data)
        return (len(a) == len(b) and a[["region_code", "year", "indicator"]].equals(
            b[["region_code", "year", "indicator"]]) and np.array_equal(
            a["value"].to_numpy(), b["value"].to_numpy()))


def _compress_years(years: list[int]) -> str:
    if not years:
        return ""
    parts, start, prev = [], years[0], years[0]
    for y in years[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)



def _normalise(data: pd.DataFrame) -> pd.DataFrame:
    """Region codes and indicator ids as categoricals with sorted categories (only those
    present). Row order is free: methods that need an order sort on demand."""
    d = data.reset_index(drop=True)
    for col in ("region_code", "indicator"):
        c = d[col]
        if isinstance(c.dtype, pd.CategoricalDtype):
            used = np.bincount(c.cat.codes.to_numpy(np.int64) + 1,
                               minlength=len(c.cat.categories) + 1)[1:]
            if (used == 0).any():
                c = c.cat.remove_unused_categories()
            cats = [str(x) for x in c.cat.categories]
            if cats != sorted(cats) or any(not isinstance(x, str) for x in c.cat.categories):
                c = c.cat.rename_categories(cats).cat.reorder_categories(sorted(cats))
        else:
            c = pd.Categorical(c.astype(str))
            c = pd.Series(c, index=d.index)
        d[col] = c
    return d


def _sorted(data: pd.DataFrame) -> pd.DataFrame:
    """Rows in (indicator, region, year) order; the panel itself keeps input order."""
    ind = data["indicator"].cat.codes.to_numpy(np.int64)
    reg = data["region_code"].cat.codes.to_numpy(np.int64)
    return data.iloc[np.lexsort((data["year"].to_numpy(), reg, ind))].reset_index(drop=True)
