"""Write result tables as CSV files and one Excel workbook with bilingual headers."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

__all__ = ["COLUMN_LABELS", "bilingual_columns", "write_tables"]

# column name → Chinese label; the English label is the column name made readable
COLUMN_LABELS: dict[str, str] = {
    "region_code": "地区代码", "region": "地区", "region_zh": "地区", "region_en": "Region",
    "year": "年份", "indicator": "指标", "value": "数值", "unit": "单位", "measure": "指标",
    "measure_zh": "指标名称", "measure_en": "Measure", "n": "地区数", "missing": "缺失地区",
    "ci_low": "置信区间下限", "ci_high": "置信区间上限", "total": "总体", "between": "组间",
    "within": "组内", "between_share": "组间贡献率", "net_between": "区域间净差异",
    "transvariation": "超变密度", "within_share": "区域内贡献率",
    "net_between_share": "区域间贡献率", "transvariation_share": "超变密度贡献率",
    "group_a": "区域A", "group_b": "区域B", "kind": "类型", "gini": "基尼系数",
    "D": "相对经济影响力D", "pair": "城乡指标对", "pair_zh": "城乡指标对", "pair_en": "Pair",
    "urban": "城镇", "rural": "农村", "ratio": "城乡比", "difference": "城乡差",
    "urban_indicator": "城镇指标", "rural_indicator": "农村指标",
    "urban_rural_theil": "城乡泰尔指数", "population_source": "人口数据来源",
    "partition": "区域划分", "weights": "权重", "score": "得分", "rank": "排名",
    "component": "分解项", "share": "占比", "contribution": "贡献", "group": "组别",
    "weight": "权重", "name_zh": "中文名称", "name_en": "English name", "source": "来源",
    "notes": "说明", "first_year": "起始年", "last_year": "结束年", "n_years": "年数",
    "n_regions": "地区数", "n_values": "数值个数", "complete": "是否完整",
}


def _english(col: str) -> str:
    return re.sub(r"_", " ", col).strip()


def bilingual_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Same table with headers like ``年份 year`` (Chinese label first, then the English)."""
    out = frame.copy()
    out.columns = [f"{COLUMN_LABELS[c]} {_english(c)}" if c in COLUMN_LABELS else c
                   for c in frame.columns]
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path, *,
                 workbook: str = "tables.xlsx",
                 sheet_titles: dict[str, str] | None = None, csv: bool = True) -> list[Path]:
    """One CSV per table (UTF-8 with BOM, machine-readable headers) and one Excel workbook
    with a sheet per table and bilingual headers. Returns the files written.

    Everything is written to a temporary name first and renamed at the end, so a failure
    leaves no partial output behind.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pending: list[tuple[Path, Path]] = []
    for name, frame in (tables.items() if csv else ()):
        tmp = out / f".{name}.csv.tmp"
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        pending.append((tmp, out / f"{name}.csv"))
    tmp_xlsx = out / f".{workbook}.tmp"
    with pd.ExcelWriter(tmp_xlsx, engine="openpyxl") as xw:
        for name, frame in tables.items():
            sheet = (sheet_titles or {}).get(name, name)[:31]
            bilingual_columns(frame).to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 48)
            ws.freeze_panes = "A2"
    pending.append((tmp_xlsx, out / workbook))
    for tmp, final in pending:
        tmp.replace(final)
        written.append(final)
    return written
