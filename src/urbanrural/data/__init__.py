"""Data layer: panel model, region registry, readers/writers, validation, bundled datasets."""

from .breaks import DOCUMENTED_BREAKS, scan_breaks, split_series_breaks
from .catalog import CATALOG, canonicalise, canonicalize
from .datasets import DATASETS, dataset_breaks, load_dataset
from .errors import DataError, Issue, ReadReport, RegionError
from .panel import Indicator, Panel, PanelArray
from .readers import LIMITS, ReadLimits, read
from .registry import NATIONAL_CODE, RegionRegistry, china, world
from .writers import to_layout, write

__all__ = [
    "CATALOG", "DATASETS", "LIMITS", "ReadLimits", "DOCUMENTED_BREAKS", "dataset_breaks", "scan_breaks",
    "split_series_breaks", "NATIONAL_CODE", "DataError", "Indicator", "Issue", "Panel",
    "PanelArray", "ReadReport", "RegionError", "RegionRegistry", "canonicalise", "canonicalize",
    "china", "load_dataset", "read", "to_layout", "world", "write",
]
