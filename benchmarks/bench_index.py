"""Benchmark: normalisation + entropy weights + TOPSIS + coupling + obstacle degree, per year,
on a panel of 2,850 regions × 20 years × 40 indicators, against pymcdm computing the same
year by year, in one run:

    python benchmarks/bench_index.py

Values are SYNTHETIC (seeded log-normal), a speed test only. Both sides compute, for every
year: min-max normalisation with directions; entropy weights of the normalised matrix with an
explicit shift of 1e-4 (pymcdm's entropy sets a whole column's entropy to 0 when it holds a
single zero, so unshifted min-max data would not be comparable); TOPSIS closeness (min-max);
the coupling coordination of two subsystems (indicators 1–20 and 21–40); and the obstacle
degree of every indicator. pymcdm has no coupling or obstacle functions: its side uses the
straightforward per-year NumPy code a script would. Results are checked equal before timing.
"""

from __future__ import annotations

import time

import numpy as np

import urbanrural as ur

R, T, K = 2850, 20, 40
SHIFT = 1e-4


def ours(X, types):
    Z = ur.normalize(X, directions=types)                                   # (T, R, K), per year
    w = ur.entropy_weights(Z, normalization="none", shift=SHIFT)  # (T, K)
    c = ur.topsis(X, w, directions=types, normalization="minmax")           # (T, R)
    h = K // 2
    w1 = w[:, :h] / w[:, :h].sum(axis=1, keepdims=True)
    w2 = w[:, h:] / w[:, h:].sum(axis=1, keepdims=True)
    u1 = np.einsum("trk,tk->tr", Z[..., :h], w1)
    u2 = np.einsum("trk,tk->tr", Z[..., h:], w2)
    cc = ur.coupling_coordination(np.column_stack([u1.ravel(), u2.ravel()]))
    gap = w[:, None, :] * (1 - Z)
    ob = 100 * gap / gap.sum(axis=-1, keepdims=True)
    return w, c, cc.D.reshape(T, R), ob


def with_pymcdm(X, types):
    from pymcdm.helpers import normalize_matrix
    from pymcdm.methods import TOPSIS
    from pymcdm.normalizations import minmax_normalization
    from pymcdm.weights import entropy_weights

    ws, cs, ds, obs = [], [], [], []
    topsis = TOPSIS()
    h = K // 2
    for t in range(T):
        Z = normalize_matrix(X[t], minmax_normalization, types)
        w = entropy_weights(Z + SHIFT)
        c = topsis(X[t], w, directions=types)
        u1 = Z[:, :h] @ (w[:h] / w[:h].sum())
        u2 = Z[:, h:] @ (w[h:] / w[h:].sum())
        C = 2 * np.sqrt(u1 * u2) / (u1 + u2)
        D = np.sqrt(C * (u1 + u2) / 2)
        gap = w * (1 - Z)
        ob = 100 * gap / gap.sum(axis=1, keepdims=True)
        ws.append(w)
        cs.append(c)
        ds.append(D)
        obs.append(ob)
    return np.array(ws), np.array(cs), np.array(ds), np.array(obs)


def best(f, *a, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(*a)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.lognormal(2, 0.7, (T, R, K))
    types = np.where(np.arange(K) % 5 == 4, -1, 1)
    a, b = ours(X, types), with_pymcdm(X, types)
    for name, x, y in zip(("weights", "TOPSIS", "coupling D", "obstacles"), a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, err_msg=name)
    t_ours = best(ours, X, types)
    t_py = best(with_pymcdm, X, types, repeat=3)
    print(f"panel {R} regions × {T} years × {K} indicators (synthetic); results equal")
    print(f"urbanrural (vectorised over years): {t_ours:.3f} s")
    print(f"pymcdm + per-year NumPy:           {t_py:.3f} s")
    print(f"speed-up ×{t_py / t_ours:.1f}")


if __name__ == "__main__":
    main()
