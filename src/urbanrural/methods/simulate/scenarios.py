"""Scenarios as data: named policy levers by period, turned into the lever arrays of
:func:`~urbanrural.methods.simulate.model.simulate`.

A scenario is a name (both languages) and a list of settings ``{lever, from, to, value}``: the
lever takes ``value`` in every year from ``from`` to ``to`` (inclusive; ``to`` defaults to the
last simulated year) and is zero outside; settings of one lever add up. The lever values of
the built-in scenarios are choices for illustration, not estimates.

Examples
--------
>>> s = Scenario.from_dict("hukou", {"name_zh": "户籍改革", "name_en": "Hukou reform",
...     "levers": [{"lever": "friction_cut", "from": 2002, "value": 0.5}]})
>>> s.levers(np.arange(2000, 2004)).friction_cut.tolist()
[0.0, 0.0, 0.5, 0.5]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...data.errors import DataError, Issue
from .model import LEVERS, Levers

__all__ = ["LEVER_LABELS", "LEVER_RANGES", "Scenario", "scenarios_from_dict"]

LEVER_LABELS = {
    "friction_cut": ("户籍与迁移成本下降比例", "share of the migration friction removed (hukou reform)"),
    "rural_tfp": ("农村全要素生产率额外年增长（基础设施与数字化）",
                  "extra rural TFP growth per year (infrastructure and digital access)"),
    "rural_investment": ("投资中流向农村的额外比重", "extra rural share of investment"),
    "land_transfer": ("土地流转带来的农村产出提高（比例）", "rural output gain from land transfer (share)"),
    "public_transfer": ("城镇产出中转移给农村公共服务的比重",
                        "share of urban output transferred to rural public services"),
}
LEVER_RANGES = {"friction_cut": (0.0, 1.0), "rural_tfp": (-0.05, 0.05),
                "rural_investment": (-0.5, 0.5), "land_transfer": (0.0, 1.0),
                "public_transfer": (0.0, 0.3)}


@dataclass(frozen=True)
class Scenario:
    """A named set of lever settings: ``settings`` are ``(lever, from, to, value)`` tuples
    (``to`` is ``None`` for "to the end"); settings of one lever add up.

    Examples
    --------
    Half the friction removed from 2002, another quarter in 2003 only:

    >>> s = Scenario("hukou", "户籍改革", "Hukou reform",
    ...              (("friction_cut", 2002, None, 0.5), ("friction_cut", 2003, 2003, 0.25)))
    >>> s.levers(np.arange(2000, 2005)).friction_cut.tolist(), s.lever_names
    ([0.0, 0.0, 0.5, 0.75, 0.5], ('friction_cut',))
    """

    key: str
    name_zh: str
    name_en: str
    settings: tuple[tuple[str, int, int | None, float], ...] = ()

    def levers(self, years: np.ndarray) -> Levers:
        """The lever arrays for the simulated ``years`` (row 0 the first year)."""
        years = np.asarray(years)
        out = {name: np.zeros(years.size) for name in LEVERS}
        for lever, lo, hi, value in self.settings:
            on = (years >= lo) & (years <= (hi if hi is not None else years.max()))
            out[lever] = out[lever] + np.where(on, value, 0.0)
        return Levers(**out)

    @property
    def lever_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s[0] for s in self.settings))

    @classmethod
    def from_dict(cls, key: str, d: Any, *, source: str = "scenarios") -> Scenario:
        where = f"{source}.{key}"
        if not isinstance(d, dict):
            raise DataError(Issue(f"{where}: a scenario is a mapping with name_zh, name_en and "
                                  "levers / 情景须为映射", value=key))
        unknown = sorted(set(d) - {"name_zh", "name_en", "levers"})
        if unknown:
            raise DataError(Issue(f"{where}: unknown key(s) {', '.join(unknown)}; known: "
                                  "name_zh, name_en, levers / 未知的键", value=key))
        settings, issues = [], []
        for i, item in enumerate(d.get("levers") or []):
            at = f"{where}.levers[{i}]"
            if not isinstance(item, dict) or set(item) - {"lever", "from", "to", "value"}:
                issues.append(Issue(f"{at}: a lever setting has the keys lever, from, to, value "
                                    "/ 杠杆设定的键为 lever、from、to、value", value=key))
                continue
            lever, lo, hi, value = item.get("lever"), item.get("from"), item.get("to"), \
                item.get("value")
            if lever not in LEVERS:
                issues.append(Issue(f"{at}.lever: {lever!r} is not one of {', '.join(LEVERS)} "
                                    "/ 未知的政策杠杆", value=str(lever)))
                continue
            if not isinstance(lo, int) or (hi is not None and (not isinstance(hi, int) or hi < lo)):
                issues.append(Issue(f"{at}: from and to must be years with from ≤ to / 起止年份无效",
                                    value=f"{lo}–{hi}"))
                continue
            low, high = LEVER_RANGES[lever]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not low <= value <= high:
                issues.append(Issue(f"{at}.value: {value!r} must be a number from {low} to {high} "
                                    f"for {lever} / 取值超出范围", value=str(value)))
                continue
            settings.append((lever, int(lo), None if hi is None else int(hi), float(value)))
        if issues:
            raise DataError(issues)
        return cls(key, str(d.get("name_zh") or key), str(d.get("name_en") or key), tuple(settings))


def scenarios_from_dict(d: Any, *, source: str = "scenarios") -> tuple[Scenario, ...]:
    """Scenarios from a mapping ``{scenarios: {key: {...}}}`` (a YAML file read); the first
    must be ``baseline`` with no levers, so every effect is measured against it.

    Parameters
    ----------
    d : mapping
        ``{"scenarios": {key: {"name_zh": ..., "name_en": ..., "levers": [{"lever", "from",
        "to", "value"}, ...]}}}``; levers are those of
        :data:`~urbanrural.methods.simulate.model.LEVERS`, values within
        :data:`LEVER_RANGES`.
    source : str, default "scenarios"
        Where the mapping came from (a file name), named in every error.

    Returns
    -------
    tuple of Scenario
        In the order given, baseline first. Every bad entry is reported in one
        :class:`~urbanrural.data.errors.DataError` naming its key and position.

    Examples
    --------
    >>> sc = scenarios_from_dict({"scenarios": {"baseline": {"name_zh": "基准", "name_en": "Baseline"}}})
    >>> [s.key for s in sc]
    ['baseline']
    """
    if not isinstance(d, dict) or not isinstance(d.get("scenarios"), dict) or not d["scenarios"]:
        raise DataError(Issue(f"{source}: expected a mapping 'scenarios: {{name: {{...}}}}' / "
                              "情景文件须包含 scenarios 映射", file=source))
    out = tuple(Scenario.from_dict(str(k), v, source=source) for k, v in d["scenarios"].items())
    if out[0].key != "baseline" or out[0].settings:
        raise DataError(Issue(f"{source}: the first scenario must be 'baseline' with no levers "
                              "(effects are measured against it) / 第一个情景须为无杠杆的 baseline",
                              file=source, value=out[0].key))
    return out
