"""Units in both languages: the panel stores units as the NBS prints them (元, 万人, …); the
English view shows them in English."""

from __future__ import annotations

from ..data.units import UNITS_EN

__all__ = ["UNITS_EN", "unit_en"]


def unit_en(unit: str) -> str:
    """The English of an NBS unit; a unit not listed is shown as it is."""
    return UNITS_EN.get(str(unit), str(unit))
