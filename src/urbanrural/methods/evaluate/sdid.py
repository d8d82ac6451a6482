"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021),
with synthetic control and DiD in the same frame, following the reference implementation
(R package ``synthdid``, version of 2024-01) in every tuning choice:

* Y is units × periods, controls first (sorted by name), the N₁ treated units last; the
  treated block starts in period T₀ + 1 for every treated unit (block design).
* noise level σ̂ = standard deviation (n − 1) of the first differences of the controls'
  pre-treatment outcomes; ζ_ω = (N₁T₁)^¼ σ̂ for the unit weights, ζ_λ = 10⁻⁶ σ̂ for the
  time weights; the solver stops when an iteration lowers the objective by less than
  (10⁻⁵ σ̂)², or after 10⁴ iterations.
* The weights solve ridge-penalised simplex least squares on the collapsed matrix (controls'
  post-period means, treated units' mean) by **Frank–Wolfe with exact line search**; with an
  intercept the rows (ω) or columns (λ) are demeaned first. The solver runs 100 iterations,
  *sparsifies* (weights ≤ max/4 set to 0, renormalised) and runs again from there to the
  stopping rule. Objective: ζ²‖x‖² + ‖A x − b‖²/rows.
* ``estimator="sc"``: ω without intercept and ζ_ω = 10⁻⁶ σ̂, λ = 0 (no time weights);
  ``"did"``: uniform ω = 1/N₀, λ = 1/T₀.
* τ̂ = (−ω, 1/N₁)′ Y (−λ, 1/T₁).
* Standard errors: ``"placebo"`` (Algorithm 4: N₁ controls drawn without replacement as
  pseudo-treated, the estimator rerun with the original ζ and stopping rule, starting from
  the original weights renormalised; se = √((R−1)/R)·sd; with N₁ = 1 the N₀ distinct
  placebos are enumerated instead, R = N₀) and ``"jackknife"`` (Algorithm 3,
  weights fixed; undefined with one treated unit). The placebo replications are solved
  together: one batched Frank–Wolfe over all R replications, no loop over replications.

The SC figure depends on the solver: Frank–Wolfe stopped by this rule gives −19.6 packs for
California, while an exact quadratic-programming solution of the same problem (Stata
``sdid``, ``synth``) gives about −19.5.

Examples
--------
>>> from urbanrural.data.datasets import load_dataset
>>> p99 = load_dataset("prop99")
>>> round(sdid(p99, unit="State", time="Year", outcome="PacksPerCapita",
...            treated="treated", se=None).estimate, 2)
-15.6
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from ._panel import require_columns, wide_matrix

__all__ = ["SDID", "sdid", "panel_matrices", "frank_wolfe", "placebo_standard_errors"]

_ESTIMATORS = ("sdid", "sc", "did")
_HANDOFF = 2   # replications left when the batch hands over to the 1-D loop


def panel_matrices(data: pd.DataFrame, *, unit: str, time: str, outcome: str, treated: str
                   ) -> tuple[np.ndarray, int, int, np.ndarray, np.ndarray]:
    """``(Y, N0, T0, units, times)`` with controls first and the treated block last.

    Examples
    --------
    >>> from urbanrural.data.datasets import load_dataset
    >>> Y, n0, t0, units, times = panel_matrices(load_dataset("prop99"), unit="State",
    ...     time="Year", outcome="PacksPerCapita", treated="treated")
    >>> Y.shape, n0, t0, units[-1], int(times[t0])
    ((39, 31), 38, 19, 'California', 1989)
    """
    require_columns(data, [unit, time, outcome, treated], "sdid")
    units, times, Y = wide_matrix(data, unit=unit, time=time, value=outcome, what="sdid")
    _, _, treat_mat = wide_matrix(data, unit=unit, time=time, value=treated, what="sdid")
    if not np.isin(treat_mat, (0, 1)).all():
        raise DataError(Issue("sdid: the treatment column must be 0 or 1", column=treated))
    ever = treat_mat.any(axis=1)
    if not ever.any() or ever.all():
        raise DataError(Issue("sdid: need both treated and never-treated units", column=treated))
    first = np.argmax(treat_mat[ever], axis=1)
    if len(np.unique(first)) > 1:
        raise DataError(Issue("sdid: every treated unit must start treatment in the same period "
                              "(block design); use att_gt for staggered adoption",
                              column=treated))
    t0 = int(first[0])
    block = np.zeros_like(treat_mat)
    block[ever, t0:] = 1
    if not np.array_equal(treat_mat, block):
        bad = units[np.flatnonzero((treat_mat != block).any(axis=1))[0]]
        raise DataError(Issue("sdid: treatment must stay on once it starts (unit "
                              f"{bad!r} switches off)", column=treated, value=str(bad)))
    if t0 < 2:
        raise DataError(Issue("sdid: need at least two pre-treatment periods", column=treated))
    order = np.argsort(ever, kind="stable")
    return Y[order], int((~ever).sum()), t0, units[order], times


def _sparsify(x: np.ndarray) -> np.ndarray:
    x = np.where(x <= x.max(axis=-1, keepdims=True) / 4, 0.0, x)
    return x / x.sum(axis=-1, keepdims=True)


def frank_wolfe(A: np.ndarray, b: np.ndarray, *, zeta: float, x0: np.ndarray,
                min_decrease: float, max_iter: int, allowed: np.ndarray | None = None,
                rows: np.ndarray | None = None) -> np.ndarray:
    """Batched Frank–Wolfe with exact line search for min ζ²‖x‖² + ‖Ax − b‖²/p on the simplex.

    ``A`` is p × m (shared) or R × p × m, ``b`` R × p, ``x0`` R × m; ``allowed`` (R × m)
    masks the coordinates a replication may use; ``rows`` (R) counts its active rows p (rows
    outside are zero in A and b). Each replication stops on its own once an iteration lowers
    its objective by less than ``min_decrease²``; the loop runs over iterations, the
    replications are one array.

    Examples
    --------
    >>> A = np.eye(2)
    >>> x = frank_wolfe(A, np.array([[0.3, 0.7]]), zeta=0.0, x0=np.array([[0.5, 0.5]]),
    ...                 min_decrease=1e-9, max_iter=1000)
    >>> x.round(4).tolist()
    [[0.3, 0.7]]
    """
    x = np.array(x0, dtype=float)
    R, m = x.shape
    b = np.asarray(b, float)
    shared = A.ndim == 2
    if R == 1 and shared and allowed is None and rows is None:
        return _fw_one(A, b[0], float(np.ravel(zeta)[0]), x[0], min_decrease, max_iter)[None, :]
    p = np.full(R, A.shape[-2], float) if rows is None else np.asarray(rows, float)
    zeta2 = np.broadcast_to(np.asarray(zeta, float) ** 2, (R,)).copy()   # ζ² per replication
    eta = p * zeta2
    # Gram form: every quantity of a step is O(m) per replication once G = A′A and c = A′b
    # are known; G·x is carried along (x moves to (1 − s)x + s·e_i, so Gx to (1 − s)Gx + s·G_i)
    if shared:
        gram = A.T @ A
        c = b @ A
    else:
        gram = np.matmul(A.transpose(0, 2, 1), A)
        c = np.matmul(A.transpose(0, 2, 1), b[:, :, None])[:, :, 0]
    bb = np.einsum("rp,rp->r", b, b)
    gdiag = np.diagonal(gram, axis1=-2, axis2=-1)
    masked = allowed is not None and not np.all(allowed)
    live = np.arange(R)
    xa = x.copy()
    gx = xa @ gram if shared else np.matmul(gram, xa[:, :, None])[:, :, 0]
    ca, bba, pa, ea = c, bb, p, eta
    ga, gd = gram, gdiag
    alw = allowed if masked else None
    last = np.full(R, np.inf)
    # per iteration only the R × m arrays half_grad, x and Gx are touched; x′Gx and x′x are
    # carried from the end of one iteration to the start of the next (the same numbers)
    vdot = np.vecdot
    xgx, xx, cx = vdot(xa, gx), vdot(xa, xa), vdot(ca, xa)
    pen = None if alw is None else np.where(alw, 0.0, np.inf)
    # c with +∞ on the masked coordinates: the gradient there is −∞ away from the argmin
    cpen = ca if pen is None else ca - pen
    e_col = ea[:, None]
    r_idx = np.arange(R)
    md2 = min_decrease**2
    for it in range(max_iter):
        if len(live) <= _HANDOFF:
            # the few slowest replications left run on in the 1-D loop (less overhead per
            # iteration), each on its allowed coordinates, from where the batch left them
            for k in range(len(live)):
                s = np.arange(m) if pen is None else np.flatnonzero(pen[k] == 0)
                g_k = ga if shared else ga[k]
                xk = _fw_tail(g_k[np.ix_(s, s)], ca[k, s], float(bba[k]), float(pa[k]),
                              float(zeta2[k]), xa[k, s].copy(), float(last[k]), min_decrease,
                              max_iter - it)
                x[live[k]] = 0.0
                x[live[k], s] = xk
            live, xa = live[:0], xa[:0]
            break
        half_grad = gx - cpen + e_col * xa          # +∞ where masked
        i = np.argmin(half_grad, axis=1)
        xi = xa[r_idx, i]
        g_ii = gd[i] if shared else gd[r_idx, i]
        derr2 = g_ii - 2 * gx[r_idx, i] + xgx
        dx2 = 1 - 2 * xi + xx
        num = (xgx - cx + ea * xx) - half_grad[r_idx, i]     # half_grad′x − half_grad_i
        denom = derr2 + ea * dx2
        step = np.minimum(np.maximum(
            np.divide(num, denom, out=np.zeros_like(num), where=denom > 0), 0.0), 1.0)
        keep = (1 - step)[:, None]
        xa = keep * xa
        xa[r_idx, i] += step
        g_col = ga[i] if shared else ga[r_idx, i]
        gx = keep * gx + step[:, None] * g_col
        xgx, xx, cx = vdot(xa, gx), vdot(xa, xa), vdot(ca, xa)
        val = zeta2 * xx + (xgx - 2 * cx + bba) / pa
        prev, last = last, val
        if it >= 1:
            go_on = prev - last > md2
            if not go_on.all():
                x[live[~go_on]] = xa[~go_on]
                live, xa, gx, ca, cpen, bba, pa, ea, last, xgx, xx, cx, zeta2 = (
                    live[go_on], xa[go_on], gx[go_on], ca[go_on], cpen[go_on], bba[go_on],
                    pa[go_on], ea[go_on], last[go_on], xgx[go_on], xx[go_on], cx[go_on],
                    zeta2[go_on])
                r_idx, e_col = np.arange(len(live)), ea[:, None]
                if not shared:
                    ga, gd = ga[go_on], gd[go_on]
                if pen is not None:
                    pen = pen[go_on]
                if len(live) == 0:
                    break
    x[live] = xa
    return x


def _fw_one(A: np.ndarray, b: np.ndarray, zeta: float, x: np.ndarray, min_decrease: float,
            max_iter: int) -> np.ndarray:
    """:func:`frank_wolfe` for one problem: the same steps on 1-D arrays (less overhead)."""
    gram = A.T @ A
    c = A.T @ b
    # the steps of _fw_tail from the start (last = ∞ never stops the first step)
    return _fw_tail(gram, c, float(b @ b), A.shape[0], zeta**2, x.copy(), np.inf,
                    min_decrease, max_iter)


def _fw_tail(gram: np.ndarray, c: np.ndarray, bb: float, p: float, zeta2: float, x: np.ndarray,
             last: float, min_decrease: float, max_iter: int) -> np.ndarray:
    """The 1-D Frank–Wolfe steps of :func:`_fw_one` in Gram form, continuing a replication of
    the batch from its weights ``x`` and last objective ``last`` (∞ at the start)."""
    gdiag = np.diagonal(gram).copy()
    eta = p * zeta2
    gx = gram @ x
    dot = np.dot
    for _ in range(max_iter):
        half_grad = gx - c + eta * x
        i = int(np.argmin(half_grad))
        xgx = dot(x, gx)
        xx = dot(x, x)
        num = -(half_grad[i] - dot(half_grad, x))
        denom = gdiag[i] - 2 * gx[i] + xgx + eta * (1 - 2 * x[i] + xx)
        step = min(1.0, max(0.0, num / denom)) if denom > 0 else 0.0
        x *= 1 - step
        x[i] += step
        gx *= 1 - step
        gx += step * gram[i]
        val = zeta2 * dot(x, x) + (dot(x, gx) - 2 * dot(c, x) + bb) / p
        prev, last = last, val
        if not prev - last > min_decrease**2:
            break
    return x


@dataclass(frozen=True)
class SDID:
    """A synthetic DiD (or SC, or DiD) estimate on a block design.

    Attributes
    ----------
    estimator : ``"sdid"``, ``"sc"`` or ``"did"``.
    estimate : τ̂, the average effect on the treated units in the treated periods.
    se : standard error (``nan`` when not computed or undefined), by ``se_method``.
    unit_weights : ω by control unit; time_weights : λ by pre-treatment period.
    curve : per post-treatment period, the treated-minus-weighted-control difference less its
        λ-weighted pre-period value (``synthdid_effect_curve``); τ̂ is its mean.
    noise_level, zeta_omega, zeta_lambda : the regularisation used.
    se_method : ``"placebo"``, ``"jackknife"`` or ``None``.
    n_treated, treated_units : N₁ and the treated units.
    replications, placebo_estimates : the placebo replications (0 and ``None`` without).

    Examples
    --------
    With ``estimator="did"`` the weights are uniform and τ̂ is the plain DiD: unit a is treated
    in period 3 (y = 1, 2, 6), b and c are controls (1, 2, 3 and 2, 3, 4), so
    τ̂ = (6 − 1.5) − (3.5 − 2) = 3:

    >>> df = pd.DataFrame({"u": list("aaabbbccc"), "t": [1, 2, 3] * 3,
    ...                    "y": [1.0, 2, 6, 1, 2, 3, 2, 3, 4], "d": [0, 0, 1] + [0] * 6})
    >>> r = sdid(df, unit="u", time="t", outcome="y", treated="d", estimator="did", se=None)
    >>> round(r.estimate, 4), r.unit_weights.tolist(), r.time_weights.tolist(), r.treated_units
    (3.0, [0.5, 0.5], [0.5, 0.5], ('a',))
    """

    estimator: str
    estimate: float
    se: float
    se_method: str | None
    unit_weights: pd.Series
    time_weights: pd.Series
    curve: pd.Series
    n_treated: int
    treated_units: tuple
    noise_level: float
    zeta_omega: float
    zeta_lambda: float
    replications: int = 0
    placebo_estimates: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row: estimator, estimate, se, its method, N₁ and the regularisation."""
        return pd.DataFrame([{"estimator": self.estimator, "estimate": self.estimate,
                              "se": self.se, "se_method": self.se_method or "",
                              "n_treated": self.n_treated, "noise_level": self.noise_level,
                              "zeta_omega": self.zeta_omega, "zeta_lambda": self.zeta_lambda}])


def _collapsed(Y: np.ndarray, n0: int, t0: int) -> np.ndarray:
    top = np.column_stack([Y[:n0, :t0], Y[:n0, t0:].mean(axis=1)])
    bottom = np.append(Y[n0:, :t0].mean(axis=0), Y[n0:, t0:].mean())
    return np.vstack([top, bottom])


def _fit_weights(Yc: np.ndarray, n0: int, t0: int, *, estimator: str, zeta_omega: float,
                 zeta_lambda: float, min_decrease: float, max_iter: int,
                 omega0: np.ndarray | None = None, lambda0: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """ω and λ of one problem (the batched solver with one replication)."""
    if estimator == "did":
        return np.full(n0, 1 / n0), np.full(t0, 1 / t0)
    if estimator == "sdid":
        lam_y = Yc[:n0] - Yc[:n0].mean(axis=0)
        A, b = lam_y[:, :t0], lam_y[:, t0][None, :]
        start = (np.full(t0, 1 / t0) if lambda0 is None else lambda0)[None, :]
        lam = frank_wolfe(A, b, zeta=zeta_lambda, x0=start, min_decrease=min_decrease,
                          max_iter=100)
        lam = frank_wolfe(A, b, zeta=zeta_lambda, x0=_sparsify(lam), min_decrease=min_decrease,
                          max_iter=max_iter)[0]
    else:
        lam = np.zeros(t0)
    om_y = Yc[:, :t0].T
    if estimator == "sdid":
        om_y = om_y - om_y.mean(axis=0)
    A, b = om_y[:, :n0], om_y[:, n0][None, :]
    start = (np.full(n0, 1 / n0) if omega0 is None else omega0)[None, :]
    om = frank_wolfe(A, b, zeta=zeta_omega, x0=start, min_decrease=min_decrease, max_iter=100)
    om = frank_wolfe(A, b, zeta=zeta_omega, x0=_sparsify(om), min_decrease=min_decrease,
                     max_iter=max_iter)[0]
    return om, lam


def _estimate(Y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray) -> float:
    n1, t1 = Y.shape[0] - n0, Y.shape[1] - t0
    return float(np.concatenate([-omega, np.full(n1, 1 / n1)])
                 @ Y @ np.concatenate([-lam, np.full(t1, 1 / t1)]))


def _placebo(Y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray, *,
             estimator: str, zeta_omega: float, zeta_lambda: float, min_decrease: float,
             max_iter: int, replications: int, seed: int | None, exhaustive: bool = False
             ) -> np.ndarray:
    """Algorithm 4 for all replications at once (batched Frank–Wolfe).

    ``exhaustive`` (one treated unit): every control is the pseudo-treated unit once, so the
    N₀ replications are the whole placebo distribution (``replications``, ``seed`` unused).
    """
    return _placebo_joint(Y, n0, t0, [(estimator, omega, lam, zeta_omega, zeta_lambda)],
                          min_decrease=min_decrease, max_iter=max_iter,
                          replications=replications, seed=seed, exhaustive=exhaustive)[0]


def _placebo_joint(Y: np.ndarray, n0: int, t0: int, fits: list, *, min_decrease: float,
                   max_iter: int, replications: int, seed: int | None, exhaustive: bool = False
                   ) -> list[np.ndarray]:
    """Algorithm 4 for several estimators on the same placebo draws.

    ``fits``: ``(estimator, ω, λ, ζ_ω, ζ_λ)`` per estimator. Every replication of every
    estimator is one row of the same batched Frank–Wolfe for ω (each with its own ζ_ω), so
    the per-iteration overhead is paid once for all of them.
    """
    n1 = Y.shape[0] - n0
    m = n0 - n1                                     # placebo controls per replication
    if exhaustive and n1 == 1:
        # row j: every control but j in order, then j (the pseudo-treated)
        perm = np.argsort(np.eye(n0), axis=1, kind="stable")
        replications = n0
    else:
        rng = np.random.default_rng(seed)
        perm = np.argsort(rng.random((replications, n0)), axis=1)
    ctrl, fake = perm[:, :m], perm[:, m:]
    R = replications
    in_ctrl = np.zeros((R, n0), bool)
    in_ctrl[np.arange(R)[:, None], ctrl] = True
    post = Y[:n0, t0:].mean(axis=1)                  # controls' post means
    pre = Y[:n0, :t0]
    fake_pre = pre[fake].mean(axis=1)                # R × t0
    fake_post = Y[:n0, t0:][fake].mean(axis=(1, 2))  # R
    weights: list = [None] * len(fits)
    problems = []                                    # (k, A, b, start, ζ_ω)
    for k, (estimator, omega, lam, zeta_omega, zeta_lambda) in enumerate(fits):
        if estimator == "did":
            weights[k] = (in_ctrl / m, np.full((R, t0), 1 / t0))
            continue
        if estimator == "sdid":
            full = np.column_stack([pre, post])          # n0 × (t0+1)
            mean_r = (in_ctrl[:, :, None] * full[None]).sum(axis=1) / m   # R × (t0+1)
            lam_y = (full[None] - mean_r[:, None, :]) * in_ctrl[:, :, None]
            A, b = lam_y[:, :, :t0], lam_y[:, :, t0]
            rows = np.full(R, m)
            lam_r = frank_wolfe(A, b, zeta=zeta_lambda, x0=np.tile(lam, (R, 1)),
                                min_decrease=min_decrease, max_iter=100, rows=rows)
            lam_r = frank_wolfe(A, b, zeta=zeta_lambda, x0=_sparsify(lam_r),
                                min_decrease=min_decrease, max_iter=max_iter, rows=rows)
        else:
            lam_r = np.zeros((R, t0))
        om_y = pre.T                                     # t0 × n0
        fb = fake_pre
        if estimator == "sdid":
            om_y = om_y - om_y.mean(axis=0)
            fb = fb - fb.mean(axis=1, keepdims=True)
        start = np.where(in_ctrl, omega[None, :], 0.0)
        sums = start.sum(axis=1, keepdims=True)
        start = np.where(sums > 0, start / np.where(sums > 0, sums, 1), in_ctrl / m)
        weights[k] = (None, lam_r)
        problems.append((k, om_y, fb, start, zeta_omega))
    if problems:
        if len(problems) == 1:
            A = problems[0][1]                           # one design matrix shared by all
        else:
            A = np.concatenate([np.broadcast_to(q[1], (R, *q[1].shape)) for q in problems])
        b = np.concatenate([q[2] for q in problems])
        x0 = np.concatenate([q[3] for q in problems])
        zeta = np.repeat([q[4] for q in problems], R)
        allowed = np.tile(in_ctrl, (len(problems), 1))
        om = frank_wolfe(A, b, zeta=zeta, x0=x0, min_decrease=min_decrease, max_iter=100,
                         allowed=allowed)
        om = np.where(allowed, om, 0.0)
        om = frank_wolfe(A, b, zeta=zeta, x0=_sparsify(om), min_decrease=min_decrease,
                         max_iter=max_iter, allowed=allowed)
        for j, q in enumerate(problems):
            weights[q[0]] = (om[j * R:(j + 1) * R], weights[q[0]][1])
    draws = []
    for om, lam in weights:
        # τ̂_r = (fake post − fake pre·λ) − (ω′post − ω′pre λ)
        ctrl_post = om @ post
        ctrl_pre = np.einsum("rn,nt,rt->r", om, pre, lam)
        draws.append((fake_post - np.sum(fake_pre * lam, axis=1)) - (ctrl_post - ctrl_pre))
    return draws


def _jackknife(Y: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray) -> float:
    """Fixed-weights jackknife (Algorithm 3), every leave-one-out estimate in closed form."""
    n1, t1 = Y.shape[0] - n0, Y.shape[1] - t0
    if n1 == 1 or np.count_nonzero(omega) <= 1:
        return float("nan")
    lw = np.concatenate([-lam, np.full(t1, 1 / t1)])
    d = Y @ lw                                       # each unit's post − λ-pre difference
    treated_mean, ctrl = d[n0:].mean(), omega @ d[:n0]
    # leave out control j: ω renormalised without j
    w_rest = 1 - omega
    ctrl_wo = np.where(w_rest > 0, (ctrl - omega * d[:n0]) / np.where(w_rest > 0, w_rest, 1),
                       np.nan)
    est_c = treated_mean - ctrl_wo
    est_t = (treated_mean * n1 - d[n0:]) / (n1 - 1) - ctrl
    u = np.concatenate([est_c, est_t])
    u = u[np.isfinite(u)]
    n = len(u)
    return float(np.sqrt((n - 1) / n * (n - 1) * np.var(u, ddof=1)))


def sdid(data: pd.DataFrame, *, unit: str, time: str, outcome: str, treated: str,
         estimator: str = "sdid", se: str | None = "placebo", replications: int = 200,
         seed: int | None = 0, exhaustive: bool | None = None) -> SDID:
    """Synthetic DiD, synthetic control or DiD on a block design, as ``synthdid`` computes it.

    τ̂ = argmin Σ (Y_it − μ − α_i − β_t − W_it τ)² ω̂_i λ̂_t, which equals
    (−ω̂, 1/N₁)′ Y (−λ̂, 1/T₁) (Arkhangelsky et al. 2021, eq. 1–4).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per unit and period.
    unit, time, outcome : str
        Column names of the unit, the period and the outcome.
    treated : str
        The 0/1 column, 1 for treated units in treated periods (a block design: every treated
        unit starts in the same period).
    estimator : {"sdid", "sc", "did"}, default "sdid"
        Synthetic DiD, synthetic control, or DiD with uniform weights.
    se : {"placebo", "jackknife", None}, default "placebo"
        The standard error (``None``: not computed).
    replications : int, default 200
        Placebo replications (random subsets of N₁ controls).
    seed : int or None, default 0
        Seed of the placebo draws.
    exhaustive : bool or None, default None
        Enumerate the placebos instead of drawing them: with one treated unit there are only
        N₀ distinct placebos, each control treated once, and the standard error
        √((N₀−1)/N₀)·sd over them is the limit of the random draws as R → ∞ (no randomness;
        ``replications`` and ``seed`` unused). ``None``: enumerate when N₁ = 1.

    Returns
    -------
    SDID

    Examples
    --------
    >>> from urbanrural.data.datasets import load_dataset
    >>> r = sdid(load_dataset("prop99"), unit="State", time="Year", outcome="PacksPerCapita",
    ...          treated="treated", estimator="did", se=None)
    >>> round(r.estimate, 2)
    -27.35
    """
    if estimator not in _ESTIMATORS:
        raise DataError(Issue(f"sdid: estimator must be one of {', '.join(_ESTIMATORS)}",
                              value=str(estimator)))
    if se not in (None, "placebo", "jackknife"):
        raise DataError(Issue("sdid: se must be 'placebo', 'jackknife' or None", value=str(se)))
    Y, n0, t0, units, times = panel_matrices(data, unit=unit, time=time, outcome=outcome,
                                             treated=treated)
    n1, t1 = Y.shape[0] - n0, Y.shape[1] - t0
    noise = float(np.std(np.diff(Y[:n0, :t0], axis=1), ddof=1))
    eta_omega = 1e-6 if estimator == "sc" else (n1 * t1) ** 0.25
    zeta_omega, zeta_lambda = eta_omega * noise, 1e-6 * noise
    min_decrease, max_iter = 1e-5 * noise, 10_000
    Yc = _collapsed(Y, n0, t0)
    omega, lam = _fit_weights(Yc, n0, t0, estimator=estimator, zeta_omega=zeta_omega,
                              zeta_lambda=zeta_lambda, min_decrease=min_decrease,
                              max_iter=max_iter)
    est = _estimate(Y, n0, t0, omega, lam)
    diff = np.concatenate([-omega, np.full(n1, 1 / n1)]) @ Y
    curve = pd.Series(diff[t0:] - diff[:t0] @ lam, index=times[t0:], name="effect")
    se_value, draws = float("nan"), None
    if se == "placebo":
        if n0 <= n1:
            raise DataError(Issue("sdid: the placebo standard error needs more controls than "
                                  "treated units", column=treated))
        exhaustive = n1 == 1 if exhaustive is None else bool(exhaustive) and n1 == 1
        draws = _placebo(Y, n0, t0, omega, lam, estimator=estimator, zeta_omega=zeta_omega,
                         zeta_lambda=zeta_lambda, min_decrease=min_decrease, max_iter=max_iter,
                         replications=int(replications), seed=seed, exhaustive=exhaustive)
        replications = len(draws)
        se_value = float(np.sqrt((replications - 1) / replications) * np.std(draws, ddof=1))
    elif se == "jackknife":
        se_value = _jackknife(Y, n0, t0, omega, lam)
    return SDID(estimator, est, se_value, se, pd.Series(omega, index=units[:n0], name="omega"),
                pd.Series(lam, index=times[:t0], name="lambda"), curve, n1,
                tuple(units[n0:].tolist()), noise, zeta_omega, zeta_lambda,
                int(replications) if se == "placebo" else 0, draws)


def placebo_standard_errors(data: pd.DataFrame, fits, *, unit: str, time: str, outcome: str,
                            treated: str, replications: int = 200, seed: int | None = 0,
                            exhaustive: bool | None = None) -> tuple[SDID, ...]:
    """Placebo standard errors of several :func:`sdid` fits of one panel, solved together.

    The same as ``sdid(..., se="placebo")`` for each fit (the same draws, or with one treated
    unit every control once), but the unit-weight problems of all the fits and replications
    are one batched Frank–Wolfe, so its per-iteration cost is paid once.

    Parameters
    ----------
    data, unit, time, outcome, treated : the panel and columns the fits were made on.
    fits : sequence of SDID
        Fits of that panel (``se=None`` is enough).
    replications, seed, exhaustive : as in :func:`sdid`.

    Returns
    -------
    tuple of SDID
        The fits with ``se``, ``se_method="placebo"``, ``replications`` and
        ``placebo_estimates`` filled in.

    Examples
    --------
    >>> from urbanrural.data.datasets import load_dataset
    >>> p = load_dataset("prop99")
    >>> cols = dict(unit="State", time="Year", outcome="PacksPerCapita", treated="treated")
    >>> (did,) = placebo_standard_errors(p, [sdid(p, **cols, estimator="did", se=None)], **cols)
    >>> did.replications, round(did.se, 2)
    (38, 17.29)
    """
    from dataclasses import replace

    Y, n0, t0, _, _ = panel_matrices(data, unit=unit, time=time, outcome=outcome,
                                     treated=treated)
    n1 = Y.shape[0] - n0
    if n0 <= n1:
        raise DataError(Issue("sdid: the placebo standard error needs more controls than "
                              "treated units", column=treated))
    fits = list(fits)
    if any(len(f.unit_weights) != n0 or len(f.time_weights) != t0 for f in fits):
        raise DataError(Issue("placebo_standard_errors: a fit is not of this panel",
                              column=treated))
    noise = float(np.std(np.diff(Y[:n0, :t0], axis=1), ddof=1))
    exhaustive = n1 == 1 if exhaustive is None else bool(exhaustive) and n1 == 1
    draws = _placebo_joint(Y, n0, t0, [(f.estimator, f.unit_weights.to_numpy(),
                                        f.time_weights.to_numpy(), f.zeta_omega, f.zeta_lambda)
                                       for f in fits],
                           min_decrease=1e-5 * noise, max_iter=10_000,
                           replications=int(replications), seed=seed, exhaustive=exhaustive)
    out = []
    for f, d in zip(fits, draws, strict=True):
        r = len(d)
        out.append(replace(f, se=float(np.sqrt((r - 1) / r) * np.std(d, ddof=1)),
                           se_method="placebo", replications=r, placebo_estimates=d))
    return tuple(out)
