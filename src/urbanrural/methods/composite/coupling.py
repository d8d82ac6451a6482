"""Coupling coordination degree of n ≥ 2 subsystems, in the standard and the corrected form
of Wang Shujia, Kong Wei et al. (2021), with graded labels and the lagging subsystem."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...data.errors import DataError

__all__ = ["CouplingResult", "coupling_coordination", "coupling_degree", "DEFAULT_GRADES"]

# The usual 10-grade scale of D (e.g. 廖重斌 1999 and the papers following it). A convention,
# not a law: pass your own thresholds and labels.
DEFAULT_GRADES = [
    (0.1, "极度失调", "extreme imbalance"),
    (0.2, "严重失调", "serious imbalance"),
    (0.3, "中度失调", "moderate imbalance"),
    (0.4, "轻度失调", "mild imbalance"),
    (0.5, "濒临失调", "on the verge of imbalance"),
    (0.6, "勉强协调", "barely coordinated"),
    (0.7, "初级协调", "primary coordination"),
    (0.8, "中级协调", "intermediate coordination"),
    (0.9, "良好协调", "good coordination"),
    (1.0 + 1e-12, "优质协调", "high-quality coordination"),
]


@dataclass(frozen=True)
class CouplingResult:
    """C (coupling), T (comprehensive development), D = √(C·T) (coordination), the grade of D
    (index into ``grades``) with Chinese and English labels, and the lagging subsystem
    (the one with the smallest U) of each unit.

    Examples
    --------
    >>> r = coupling_coordination([[0.8, 0.2]], systems=["urban", "rural"])
    >>> r.to_frame()[["D", "grade", "lagging"]].round(4).to_dict("records")
    [{'D': 0.6325, 'grade': 7, 'lagging': 'rural'}]
    """

    C: np.ndarray
    T: np.ndarray
    D: np.ndarray
    grade: np.ndarray
    grade_zh: np.ndarray
    grade_en: np.ndarray
    lagging: np.ndarray
    form: str
    systems: list[str] = field(default_factory=list)

    def to_frame(self, index=None) -> pd.DataFrame:
        return pd.DataFrame({"C": self.C, "T": self.T, "D": self.D, "grade": self.grade + 1,
                             "grade_zh": self.grade_zh, "grade_en": self.grade_en,
                             "lagging": self.lagging}, index=index)


def coupling_coordination(U, *, alpha=None, form: str = "standard", grades=None,
                          systems=None, k: float | None = None) -> CouplingResult:
    r"""Coupling coordination degree of n ≥ 2 subsystem indices U (units × n, each in [0, 1]).

    Standard form (Wang, Kong et al. 2021, eq. 1, normalised notation):

    .. math:: C = \left[\frac{\prod_i U_i}{\left(\frac{1}{n}\sum_i U_i\right)^n}\right]^{1/n}

    (for n = 2, C = 2√(U₁U₂)/(U₁ + U₂); generalising that special case with a wrong
    denominator or exponent is one of the misuses the paper lists). The standard C crowds near
    1; the corrected form of Wang Shujia et al. (2021) discriminates better:

    .. math::
        C = \sqrt{\left[1 - \frac{\sum_{i>j}|U_i - U_j|}{\sum_{m=1}^{n-1} m}\right]
            \left(\prod_i \frac{U_i}{\max_i U_i}\right)^{1/(n-1)}}

    T = Σᵢ αᵢUᵢ with Σα = 1 (equal by default), D = √(C·T).

    ``k`` replaces the exponent 1/n of the standard form: many Chinese papers write
    C = {∏Uᵢ/[(1/n)ΣUᵢ]ⁿ}^k with an "adjustment coefficient" k = 2 (or more), which pushes C
    down when the subsystems differ. It is offered only to reproduce such papers; the
    standard form (k = 1/n) keeps C in the intended scale. U must be subsystem indices on a
    common [0, 1] scale (computed per subsystem, pooled-normalised when years are compared),
    not raw indicators. Grades follow ``grades`` (upper bounds with Chinese/English labels;
    default the usual 10-grade scale).

    Reference: 王淑佳, 孔伟, 任亮, 戴彦德, 仝少杰 (2021). 国内耦合协调度模型的误区及修正.
    自然资源学报 36(3): 793–810.

    Parameters
    ----------
    U : array_like or DataFrame, shape (units, n)
        Subsystem indices in [0, 1], n ≥ 2 (a DataFrame's columns name the subsystems).
    alpha : sequence of float, optional
        Contribution of each subsystem to T, non-negative and summing to 1 (default equal).
    form : {"standard", "wang"}, default "standard"
        The standard C or the corrected C of Wang Shujia et al. (2021).
    grades : list of (upper bound, label_zh, label_en), optional
        The grading of D (default :data:`DEFAULT_GRADES`, ten grades of width 0.1).
    systems : sequence of str, optional
        Names of the subsystems (default the DataFrame's columns, or U1, U2…).
    k : float, optional
        Exponent replacing 1/n in the standard form (to reproduce papers that use k = 2).

    Returns
    -------
    CouplingResult
        C, T, D, the grade of D and the lagging subsystem per unit.

    Raises
    ------
    DataError
        For missing values, values outside [0, 1], fewer than two subsystems or bad ``alpha``.

    Examples
    --------
    For n = 2, C = 2√(U₁U₂)/(U₁ + U₂): equal subsystems couple perfectly (C = 1), and
    (0.8, 0.2) gives C = 2·0.4/1 = 0.8; with T = 0.5, D = √(C·T):

    >>> r = coupling_coordination([[0.5, 0.5], [0.8, 0.2]])
    >>> r.C.round(4).tolist(), r.D.round(4).tolist()
    ([1.0, 0.8], [0.7071, 0.6325])
    >>> r.grade_en.tolist()
    ['intermediate coordination', 'primary coordination']
    """
    A = np.asarray(U, dtype=float)
    if isinstance(U, pd.DataFrame) and systems is None:
        systems = [str(c) for c in U.columns]
    C, T, D = _coupling_values(A, alpha=alpha, form=form, k=k)
    n = A.shape[1]
    g = DEFAULT_GRADES if grades is None else grades
    bounds = np.array([b for b, _, _ in g])
    idx = np.minimum(np.searchsorted(bounds, D, side="right"), len(g) - 1)
    zh = np.array([x[1] for x in g], dtype=object)[idx]
    en = np.array([x[2] for x in g], dtype=object)[idx]
    names = list(systems) if systems is not None else [f"U{i + 1}" for i in range(n)]
    lag = np.asarray(names, dtype=object)[A.argmin(axis=1)]
    return CouplingResult(C, T, D, idx, zh, en, lag, form, names)


def _coupling_values(A: np.ndarray, *, alpha, form: str, k: float | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """C, T and D of a checked ``(units, n)`` array: the arithmetic of
    :func:`coupling_coordination`, without its grades and names."""
    if A.ndim != 2 or A.shape[1] < 2:
        raise DataError("U must be units × n subsystems with n ≥ 2")
    if not np.isfinite(A).all():
        raise DataError("subsystem indices contain missing values")
    if (A < 0).any() or (A > 1 + 1e-12).any():
        raise DataError("subsystem indices must lie in [0, 1]: compute each subsystem's "
                        "index from normalised indicators first")
    n = A.shape[1]
    a = np.full(n, 1.0 / n) if alpha is None else np.asarray(alpha, float)
    if a.shape[0] != n or not np.isclose(a.sum(), 1) or (a < 0).any():
        raise DataError("alpha must give one non-negative coefficient per subsystem, summing "
                        "to 1")
    mean = A.mean(axis=1)
    positive = (A > 0).all(axis=1)
    safe = np.where(A > 0, A, 1.0)
    if form == "standard":
        # in logs: the product of n small indices underflows long before C does
        expo = 1.0 / n if k is None else float(k)
        C = np.exp(expo * (np.log(safe).sum(axis=1)
                           - n * np.log(np.where(positive, mean, 1.0))))
        C = np.where(positive, C, 0.0)
    elif form == "wang":
        iu = np.triu_indices(n, 1)
        diff = np.abs(A[:, :, None] - A[:, None, :])[:, iu[0], iu[1]].sum(axis=1)
        m_sum = n * (n - 1) / 2
        mx = A.max(axis=1)
        ratio = np.exp((np.log(safe).sum(axis=1) - n * np.log(np.where(positive, mx, 1.0)))
                       / (n - 1))
        ratio = np.where(positive, ratio, 0.0)
        C = np.sqrt(np.clip(1 - diff / m_sum, 0, 1) * ratio)
    else:
        raise ValueError("form must be 'standard' or 'wang'")
    C = np.clip(C, 0.0, 1.0)
    T = A @ a
    return C, T, np.sqrt(C * T)


def coupling_degree(U, *, alpha=None, form: str = "standard", k: float | None = None
                    ) -> np.ndarray:
    r"""The coupling coordination degree D = √(C·T) alone, per unit: the numbers of
    :func:`coupling_coordination` (same checks, same arithmetic, the same bits) without its
    grade labels and lagging-subsystem names, for many units at once (the draws of
    :mod:`urbanrural.methods.robustness`).

    Parameters
    ----------
    U : array_like, shape (units, n)
        Subsystem indices in [0, 1], n ≥ 2.
    alpha, form, k
        As in :func:`coupling_coordination`.

    Returns
    -------
    numpy.ndarray
        D of every unit.

    Examples
    --------
    >>> coupling_degree([[0.5, 0.5], [0.8, 0.2]]).round(4).tolist()
    [0.7071, 0.6325]
    """
    return _coupling_values(np.asarray(U, dtype=float), alpha=alpha, form=form, k=k)[2]
