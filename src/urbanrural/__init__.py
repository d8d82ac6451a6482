"""urbanrural: measure, diagnose, explain and simulate urban–rural integration and common
prosperity (城乡融合与共同富裕的测度、诊断、解释与模拟)."""

from .data import (
    DataError,
    Indicator,
    Panel,
    PanelArray,
    RegionError,
    china,
    load_dataset,
    read,
    world,
    write,
)

__version__ = "0.1.0"

__all__ = [
    "DataError", "Indicator", "Panel", "PanelArray", "RegionError", "china", "load_dataset",
    "read", "world", "write", "__version__",
]
