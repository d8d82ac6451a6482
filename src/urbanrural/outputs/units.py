"""Units in both languages: the panel stores units as the NBS prints them (元, 万人, …); the
English view shows them in English."""

from __future__ import annotations

__all__ = ["UNITS_EN", "unit_en"]

UNITS_EN = {
    "元": "yuan", "万元": "10,000 yuan", "亿元": "100 million yuan", "元/人": "yuan per person",
    "人": "persons", "万人": "10,000 persons", "户": "households", "万户": "10,000 households",
    "%": "%", "‰": "‰", "倍": "times", "百分点": "percentage points", "比值": "ratio",
    "学生/教师": "pupils per teacher", "张": "beds", "千公顷": "1,000 hectares",
    "万吨": "10,000 tonnes", "亿千瓦小时": "100 million kWh", "千瓦时/人": "kWh per person",
    "0–1": "0–1", "年": "years", "公里": "km", "得分": "score",
}


def unit_en(unit: str) -> str:
    """The English of an NBS unit; a unit not listed is shown as it is."""
    return UNITS_EN.get(str(unit), str(unit))
