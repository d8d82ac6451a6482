"""Shared input checks of the evaluation estimators: a long panel to a balanced wide matrix.

Every problem is a :class:`~urbanrural.data.errors.DataError` naming the row (1-based, as in
the frame given), column or unit; nothing is dropped here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue

__all__ = ["require_columns", "wide_matrix", "unit_constant"]


def require_columns(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise when ``data`` is not a DataFrame or lacks one of ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(Issue(f"{what}: data must be a pandas DataFrame in long form (one row per "
                              f"unit and period), not {type(data).__name__}"))
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(Issue(f"{what}: column(s) {', '.join(map(repr, missing))} not in the data; "
                              f"columns are {', '.join(map(str, data.columns))}"))


def _numeric(data: pd.DataFrame, column: str, what: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(Issue(f"{what}: {int(bad.sum())} missing or non-numeric value(s) in "
                              f"'{column}' (first at data row {i + 1}, unit "
                              f"{data.iloc[i].to_dict()})", row=i + 1, column=column,
                              value=str(data[column].iloc[i])))
    return values


def wide_matrix(data: pd.DataFrame, *, unit: str, time: str, value: str, what: str
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(units, times, matrix)``: the values of ``value`` as a units × periods array.

    The panel must be balanced (every unit observed once in every period) and complete.
    """
    require_columns(data, [unit, time, value], what)
    if data[unit].isna().any():
        i = int(np.flatnonzero(data[unit].isna().to_numpy())[0])
        raise DataError(Issue(f"{what}: a missing unit id", row=i + 1, column=unit))
    t = _numeric(data, time, what)
    y = _numeric(data, value, what)
    dup = pd.DataFrame({"u": data[unit].to_numpy(), "t": t}).duplicated(keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(Issue(f"{what}: unit {data[unit].iloc[i]!r} appears more than once in "
                              f"period {t[i]:g}", row=i + 1, column=time))
    units, ui = np.unique(data[unit].to_numpy(), return_inverse=True)
    times, ti = np.unique(t, return_inverse=True)
    counts = np.bincount(ui, minlength=len(units))
    if (counts != len(times)).any():
        short = units[counts != len(times)]
        raise DataError(Issue(
            f"{what}: the panel is unbalanced: {len(short)} unit(s) lack some of the "
            f"{len(times)} periods (first: {short[0]!r} with {counts[counts != len(times)][0]}); "
            "the estimators need every unit in every period, so drop or complete those units "
            "explicitly", column=unit, value=str(short[0])))
    mat = np.empty((len(units), len(times)))
    mat[ui, ti] = y
    return units, times, mat


def unit_constant(data: pd.DataFrame, *, unit: str, column: str, units: np.ndarray, what: str
                  ) -> np.ndarray:
    """The value of ``column`` per unit (in the order of ``units``); it must not vary within one."""
    require_columns(data, [column], what)
    v = _numeric(data, column, what)
    frame = pd.DataFrame({"u": data[unit].to_numpy(), "v": v})
    spread = frame.groupby("u")["v"].agg(["min", "max"])
    varying = spread.index[spread["min"] != spread["max"]]
    if len(varying):
        raise DataError(Issue(f"{what}: '{column}' must be constant within a unit; unit "
                              f"{varying[0]!r} has several values", column=column,
                              value=str(varying[0])))
    return spread.loc[units, "min"].to_numpy(dtype=float)
