"""The report sections, in order. Adding a section is one runner module here, one template in
``outputs/templates/sections/``, and one line in :data:`SECTIONS`.

A section that takes settings defines a frozen dataclass ``Settings`` in its module (each
field with a default, validated in ``__post_init__``); the spec reads and records them under
``settings: {section: {...}}`` (:func:`section_settings_class`). Keep heavy imports of a
section module inside its functions: the spec imports the module to find ``Settings``.

A runner takes a :class:`~urbanrural.pipeline.context.RunContext` and returns a
:class:`~urbanrural.pipeline.sections.base.SectionResult`. Runners are imported when a run
needs them, so ``import urbanrural`` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .base import Note, SectionResult, Table, sheet_name

__all__ = ["SECTIONS", "SECTION_NAMES", "runner", "section_settings_class", "Note", "SectionResult", "Table",
           "sheet_name"]

# name → (module in this package, function, title_zh, title_en)
SECTIONS: dict[str, tuple[str, str, str, str]] = {
    "coverage": ("coverage", "run", "数据覆盖与局限", "Data coverage and limits"),
    "national": ("national", "run", "全国城乡关系（1978年以来）",
                 "The national urban–rural relationship since 1978"),
    "provinces": ("provinces", "run", "各省城镇化与城乡差距", "Provinces: urbanisation and gaps"),
    "disparity": ("disparity", "run", "区域差距", "Regional disparity"),
    "convergence": ("convergence", "run", "收敛与空间格局", "Convergence and spatial pattern"),
    "world": ("world", "run", "世界中的中国：城乡基本服务", "China among the world: basic services"),
    "robustness": ("robustness", "run", "稳健性", "Robustness"),
    "paths": ("paths", "run", "通往2035年的路径", "Paths to 2035"),
    "simulation": ("simulation", "run", "情景模拟", "Scenario simulation"),
    "evaluation": ("evaluation", "run", "政策评估", "Policy evaluation"),
    "methods": ("methods", "run", "方法与数据来源", "Methods and sources"),
}
SECTION_NAMES = tuple(SECTIONS)


def runner(name: str) -> Callable:
    """The runner function of a section (imported on first use)."""
    module, func, _, _ = SECTIONS[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), func)


def section_settings_class(name: str) -> type | None:
    """The ``Settings`` dataclass of a section, or ``None`` when it takes no settings."""
    module, _, _, _ = SECTIONS[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), "Settings", None)
