"""Write a Panel to CSV, Excel or Parquet, long or wide, so that :func:`read` gets it back.

* CSV is written as UTF-8 with a byte-order mark, which Excel needs to show Chinese text.
* Excel workbooks carry the data sheet plus ``indicators`` (metadata) and ``regions`` sheets.
* Parquet keeps indicator metadata and provenance in the file's schema metadata.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from .panel import Panel

__all__ = ["write", "to_layout"]

LAYOUTS = ("long", "wide_years", "wide_indicators")


def _head(ind_id: str, unit: str) -> str:
    return f"{ind_id}({unit})" if unit else ind_id


def to_layout(panel: Panel, layout: str = "long", lang: str = "zh") -> pd.DataFrame:
    """The panel as a table in one of the layouts :func:`read` understands."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    long = panel.to_frame(lang, unit=True)
    if layout == "long":
        return long
    if layout == "wide_years":
        w = long.pivot_table(index=["region_code", "region", "indicator", "unit"],
                             columns="year", values="value", aggfunc="first")
        w.columns = [str(c) for c in w.columns]
        return w.reset_index()
    units = {k: v.unit for k, v in panel.indicators.items()}
    w = long.pivot_table(index=["region_code", "region", "year"], columns="indicator",
                         values="value", aggfunc="first")
    w.columns = [_head(c, units.get(c, "")) for c in w.columns]
    return w.reset_index()


def write(panel: Panel, path: str | Path, *, layout: str = "long", lang: str = "zh") -> Path:
    """Write ``panel`` to ``path``; the format follows the suffix (.csv, .xlsx, .parquet)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(panel.to_frame(lang, unit=True), preserve_index=False)
        info = {"indicators": {k: asdict(v) for k, v in panel.indicators.items()},
                "provenance": _jsonable(panel.provenance), "name": panel.name}
        md = dict(table.schema.metadata or {})
        md[b"urbanrural"] = json.dumps(info, ensure_ascii=False).encode()
        pq.write_table(table.replace_schema_metadata(md), path, compression="zstd")
        return path
    table = to_layout(panel, layout, lang)
    if suffix == ".csv":
        table.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            table.to_excel(xw, sheet_name="data", index=False)
            panel.indicator_table().reset_index().to_excel(xw, sheet_name="indicators",
                                                           index=False)
            regs = pd.DataFrame({"region_code": panel.regions})
            regs["name_zh"] = [panel.region_label(c, "zh") for c in panel.regions]
            regs["name_en"] = [panel.region_label(c, "en") for c in panel.regions]
            regs.to_excel(xw, sheet_name="regions", index=False)
    else:
        raise ValueError(f"unsupported output type {suffix!r}; use .csv, .xlsx or .parquet")
    return path


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=str, ensure_ascii=False))
