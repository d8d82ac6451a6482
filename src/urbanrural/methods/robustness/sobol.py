"""Variance-based sensitivity: Saltelli's design and the Sobol' first-order and total
estimators, through SALib, vectorised over many model outputs at once.

The design is SALib's Saltelli extension of the Sobol' sequence (``calc_second_order=False``:
``N·(D + 2)`` rows in blocks ``A, AB₁ … AB_D, B``); the estimators are SALib's
(Saltelli et al. 2010 for the first-order index, Jansen 1999 for the total index), applied to
an ``(N, outputs)`` array so that one call serves every region's rank. Outputs are centred and
scaled as :func:`SALib.analyze.sobol.analyze` does before estimating.

Examples
--------
>>> import numpy as np
>>> res = sobol_analysis(ishigami, [(-np.pi, np.pi)] * 3, 1024, seed=1)
>>> np.round(res.first[:, 0], 1).tolist(), np.round(res.total[:, 0], 1).tolist()
([0.3, 0.4, 0.0], [0.6, 0.4, 0.2])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue

__all__ = ["SobolIndices", "saltelli_design", "sobol_estimates", "sobol_analysis", "ishigami",
           "ISHIGAMI_ANALYTIC"]


@dataclass(frozen=True)
class SobolIndices:
    """First-order and total Sobol' indices, ``(factors, outputs)`` each.

    Attributes
    ----------
    factors : factor names, in design order.
    first, total : the estimates (Saltelli et al. 2010; Jansen 1999).
    first_conf, total_conf : half-widths of the bootstrap ``conf_level`` intervals
        (NaN where not computed: they are computed for at most ``conf_outputs`` outputs).
    base_n : N, the base sample size (the design has ``N·(D + 2)`` rows).
    """

    factors: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_conf: np.ndarray
    total_conf: np.ndarray
    base_n: int

    def to_frame(self, output: int = 0) -> pd.DataFrame:
        """One output's indices, one row per factor."""
        return pd.DataFrame({"factor": list(self.factors), "S1": self.first[:, output],
                             "S1_conf": self.first_conf[:, output], "ST": self.total[:, output],
                             "ST_conf": self.total_conf[:, output]})


def saltelli_design(n_factors: int, base_n: int, *, seed: int = 0) -> np.ndarray:
    r"""Saltelli's design on the unit cube: ``(base_n·(D + 2), D)`` points in [0, 1).

    SALib's :func:`SALib.sample.sobol.sample` (scrambled Sobol' sequence, no second-order
    blocks). ``base_n`` must be a power of two (the balance of the Sobol' sequence).

    Examples
    --------
    >>> saltelli_design(2, 8, seed=0).shape
    (32, 2)
    """
    from SALib.sample import sobol as sobol_sample

    if n_factors < 1:
        raise DataError(Issue("a Sobol' design needs at least one varying factor",
                              value=str(n_factors)))
    if base_n < 2 or base_n & (base_n - 1):
        raise DataError(Issue(f"the base sample size of a Sobol' design must be a power of two "
                              f"≥ 2, not {base_n}", value=str(base_n)))
    problem = {"num_vars": n_factors, "names": [f"x{j}" for j in range(n_factors)],
               "bounds": [[0.0, 1.0]] * n_factors}
    return sobol_sample.sample(problem, base_n, calc_second_order=False, seed=seed)


_BOOTSTRAP_CELLS = 4_000_000  # values per bootstrap array of one block of outputs


def _output_blocks(cols: np.ndarray, size: int) -> list[np.ndarray]:
    """``cols`` cut into blocks of ``size`` (≥ 2) outputs, a last block of one output merged
    into the one before: NumPy sums a reduction axis pairwise when it is the only axis left
    (one output), and in order otherwise, so only blocks of at least two outputs give the
    bits of one pass over all of them. No outputs: no blocks."""
    if cols.size == 0:
        return []
    starts = list(range(0, cols.size, size))
    if len(starts) > 1 and cols.size - starts[-1] == 1:
        starts.pop()
    return [cols[a:b] for a, b in zip(starts, starts[1:] + [cols.size], strict=True)]


def sobol_estimates(Y: np.ndarray, n_factors: int, *, factors: Sequence[str] | None = None,
                    conf_level: float = 0.95, num_resamples: int = 100,
                    conf_outputs: int | Sequence[int] = 1, seed: int = 0) -> SobolIndices:
    r"""Sobol' indices of every output column of ``Y`` from a :func:`saltelli_design` run.

    .. math::
        S_j = \frac{\frac1N\sum_i f(B)_i\,(f(A_B^{(j)})_i - f(A)_i)}{V},\qquad
        S_{Tj} = \frac{\frac1{2N}\sum_i (f(A)_i - f(A_B^{(j)})_i)^2}{V}

    (SALib's ``first_order`` and ``total_order``; V the variance of f over A and B). A
    constant output gives indices 0. Bootstrap intervals as SALib's (``num_resamples``
    resamples of the N rows) for the first ``conf_outputs`` outputs (or the output columns it
    lists), all of them in one array operation.

    Examples
    --------
    >>> X = saltelli_design(2, 64, seed=3)
    >>> r = sobol_estimates((X[:, 0] * 10)[:, None], 2)
    >>> np.round(r.total[:, 0], 3).tolist()
    [1.0, 0.0]
    """
    from SALib.analyze.sobol import first_order, total_order

    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    step = n_factors + 2
    if Y.shape[0] % step:
        raise DataError(Issue(f"{Y.shape[0]} model runs do not form a Saltelli design of "
                              f"{n_factors} factors (a multiple of {step} is needed)"))
    n = Y.shape[0] // step
    sd = Y.std(axis=0)
    # (Y − mean)/sd, 0 for a constant output: in place, one array instead of two
    Y = Y - Y.mean(axis=0)
    np.divide(Y, sd, out=Y, where=sd > 0)
    Y[:, ~(sd > 0)] = 0.0
    blocks = Y.reshape(n, step, Y.shape[1])
    A, B = blocks[:, 0], blocks[:, -1]
    first = np.empty((n_factors, Y.shape[1]))
    total = np.empty_like(first)
    first_conf = np.full_like(first, np.nan)
    total_conf = np.full_like(first, np.nan)
    from scipy.stats import norm

    z = norm.ppf(0.5 + conf_level / 2)
    resample = np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    conf_cols = np.arange(min(conf_outputs, Y.shape[1])) if np.isscalar(conf_outputs) \
        else np.asarray(conf_outputs, dtype=int)
    with warnings.catch_warnings():  # a constant output is expected (a rank no choice moves)
        warnings.simplefilter("ignore", UserWarning)
        for j in range(n_factors):  # a loop over factors; every output at once
            AB = blocks[:, j + 1]
            first[j] = first_order(A, AB, B)
            total[j] = total_order(A, AB, B)
        # bootstrap, (N, resamples, outputs) arrays: every output of a block of outputs at once.
        # Blocks bound the memory (N·resamples·block values per array) and keep the arrays
        # in cache; every output's estimate depends on its own column only, and the
        # reductions run over the leading axis, so blocks give the numbers of one pass (see
        # _output_blocks for the one exception, a block of a single output).
        for cols in _output_blocks(conf_cols, max(2, _BOOTSTRAP_CELLS // max(1, n * num_resamples))):
            a, b = A[:, cols][resample], B[:, cols][resample]  # the same for every factor
            for j in range(n_factors):
                ab = blocks[:, j + 1][:, cols][resample]
                first_conf[j, cols] = z * first_order(a, ab, b).std(axis=0, ddof=1)
                total_conf[j, cols] = z * total_order(a, ab, b).std(axis=0, ddof=1)
    names = tuple(factors) if factors is not None else tuple(f"x{j}" for j in range(n_factors))
    return SobolIndices(names, first, total, first_conf, total_conf, n)


def sobol_analysis(model: Callable[[np.ndarray], np.ndarray], bounds: Sequence[tuple[float, float]],
                   base_n: int, *, seed: int = 0, factors: Sequence[str] | None = None
                   ) -> SobolIndices:
    r"""Design, run and estimate: ``model`` maps an ``(runs, D)`` array of factor values
    (scaled from the unit cube to ``bounds``) to ``(runs,)`` or ``(runs, outputs)``.

    The same two steps (:func:`saltelli_design`, :func:`sobol_estimates`) serve the index
    factors of :mod:`urbanrural.methods.robustness.engine`.

    Examples
    --------
    >>> r = sobol_analysis(lambda x: x[:, 0] + 0 * x[:, 1], [(0, 1), (0, 1)], 64)
    >>> round(float(r.first[0, 0]), 2), round(float(r.total[1, 0]), 2)
    (1.0, 0.0)
    """
    lo, hi = np.asarray(bounds, dtype=float).T
    U = saltelli_design(len(bounds), base_n, seed=seed)
    return sobol_estimates(model(lo + (hi - lo) * U), len(bounds), factors=factors, seed=seed)


def ishigami(X: np.ndarray, *, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    r"""The Ishigami function f = sin x₁ + a sin² x₂ + b x₃⁴ sin x₁ (Ishigami & Homma 1990),
    x ∈ [−π, π]³: the standard test of Sobol' estimators.

    Examples
    --------
    >>> ishigami(np.array([[np.pi / 2, np.pi / 2, 0.0]])).round(12).tolist()
    [8.0]
    """
    X = np.asarray(X, dtype=float)
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def _ishigami_analytic(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    r"""Analytic indices of :func:`ishigami` (Saltelli et al. 2008, *Global Sensitivity
    Analysis: The Primer*, §4.7; Sobol' & Levitan 1999): V₁ = ½(1 + bπ⁴/5)², V₂ = a²/8,
    V₁₃ = b²π⁸(1/18 − 1/50), V = a²/8 + bπ⁴/5 + b²π⁸/18 + ½."""
    pi4 = np.pi ** 4
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    v = a ** 2 / 8 + b * pi4 / 5 + b ** 2 * np.pi ** 8 / 18 + 0.5
    return {"first": np.array([v1, v2, 0.0]) / v, "total": np.array([v1 + v13, v2, v13]) / v}


ISHIGAMI_ANALYTIC = _ishigami_analytic()
