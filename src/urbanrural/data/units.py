"""Units as the NBS prints them (元, 万人, …) and their English, and when two spellings of a
unit are the same unit (元 and yuan), for merging a user's file with the bundled data."""

from __future__ import annotations

__all__ = ["UNITS_EN", "same_unit"]

UNITS_EN = {
    "元": "yuan", "万元": "10,000 yuan", "亿元": "100 million yuan", "元/人": "yuan per person",
    "人": "persons", "万人": "10,000 persons", "户": "households", "万户": "10,000 households",
    "%": "%", "‰": "‰", "倍": "times", "百分点": "percentage points", "比值": "ratio",
    "学生/教师": "pupils per teacher", "张": "beds", "千公顷": "1,000 hectares",
    "万吨": "10,000 tonnes", "亿千瓦小时": "100 million kWh", "千瓦时/人": "kWh per person",
    "0–1": "0–1", "年": "years", "公里": "km", "得分": "score",
}


def _norm(unit: str) -> str:
    return str(unit).strip().lower().replace(",", "").replace(" ", "")


def same_unit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one unit: equal, or one is the other's English.

    Examples
    --------
    >>> same_unit("元", "yuan"), same_unit("万人", "10000 persons"), same_unit("元", "万元")
    (True, True, False)
    """
    if _norm(a) == _norm(b):
        return True
    en = {_norm(k): _norm(v) for k, v in UNITS_EN.items()}
    return en.get(_norm(a)) == _norm(b) or en.get(_norm(b)) == _norm(a)
