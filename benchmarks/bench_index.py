"""Benchmark: normalisation + entropy weights + TOPSIS + coupling + obstacle degree, per year,
on a panel of 2,850 regions × 20 years × 40 indicators, against pymcdm computing the same
year by year, and the index at county scale with its compute and write times (issue 17.2), in
one run:

    python benchmarks/bench_index.py [--counties 2900] [--skip-pymcdm]

County scale: ``run_index`` on 2,900 real county codes × 20 years × 20 indicators (SYNTHETIC
seeded log-normal values, the panel of ``bench_report.py``), then ``write_tables`` as
``urbanrural index`` calls it (CSV files + the streamed ``index.xlsx``), each timed (wall and
CPU) separately; aim: under 30 s in total. A table over Excel's row limit is split across
sheets (see :mod:`urbanrural.outputs.tables`). Both sides of the pymcdm comparison are warmed
up once and timed as medians of several runs.

Values are SYNTHETIC (seeded log-normal), a speed test only. Both sides compute, for every
year: min-max normalisation with directions; entropy weights of the normalised matrix with an
explicit shift of 1e-4 (pymcdm's entropy sets a whole column's entropy to 0 when it holds a
single zero, so unshifted min-max data would not be comparable); TOPSIS closeness (min-max);
the coupling coordination of two subsystems (indicators 1–20 and 21–40); and the obstacle
degree of every indicator. pymcdm has no coupling or obstacle functions: its side uses the
straightforward per-year NumPy code a script would. Results are checked equal before timing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

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
        c = topsis(X[t], w, types)  # pymcdm: positional types
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


def timed(f, *a, repeat=5):
    """Median wall and CPU seconds of ``repeat`` runs after one warm-up run."""
    f(*a)
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        f(*a)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus))


def county_scale(n_counties: int) -> None:
    from urbanrural.outputs.tables import EXCEL_MAX_DATA_ROWS, write_tables
    from urbanrural.pipeline.framework import load_framework
    from urbanrural.pipeline.index import run_index

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_report import county_panel

    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    county_panel(work / "county.parquet", n=n_counties)
    from urbanrural.data.excel import ReadLimits

    # a long table of 2,900 × 20 × 20 = 1,160,000 rows: more than the default reader limit
    # (sized for spreadsheets), so the limit is raised for this known file
    panel = ur.read(work / "county.parquet", limits=ReadLimits(max_rows=5_000_000,
                                                               max_cells=50_000_000))
    ids = list(panel.indicator_ids)

    def ind(i):
        return {"id": f"i_{i}", "name_zh": f"指标{i}", "name_en": f"indicator {i}", "unit": "1",
                "direction": "benefit", "source": i}

    fw = load_framework({
        "id": "county_bench", "name_zh": "县域基准", "name_en": "County benchmark",
        "weights": "equal", "coupling": {"systems": ["a", "b"]},
        "nodes": [{"id": "a", "name_zh": "甲", "name_en": "A", "weights": "entropy",
                   "indicators": [ind(i) for i in ids[:10]]},
                  {"id": "b", "name_zh": "乙", "name_en": "B", "weights": "entropy",
                   "indicators": [ind(i) for i in ids[10:]]}]})
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_index(panel, fw)
    t_run, c_run = time.perf_counter() - t0, time.process_time() - c0
    rows = {k: len(v) for k, v in res.tables.items()}
    cells = sum(v.size for v in res.tables.values())
    out = work / "out"
    t0, c0 = time.perf_counter(), time.process_time()
    files = write_tables(res.tables, out, workbook="index.xlsx",
                         labels={"coupling": {"D": "耦合协调度"}})
    t_write, c_write = time.perf_counter() - t0, time.process_time() - c0
    size = sum(p.stat().st_size for p in files) / 1e6
    xlsx = (out / "index.xlsx").stat().st_size / 1e6
    print(f"\ncounty scale: {len(panel.regions)} counties × 20 years × {len(ids)} indicators "
          f"(synthetic values)")
    print(f"  run_index (compute):         {t_run:6.1f} s wall, {c_run:6.1f} s CPU")
    print(f"  write_tables (CSV + xlsx):   {t_write:6.1f} s wall, {c_write:6.1f} s CPU; "
          f"{len(files)} files, {size:.0f} MB (index.xlsx {xlsx:.0f} MB), {cells:,} cells")
    print(f"  total:                       {t_run + t_write:6.1f} s (aim: under 30 s)")
    big = {k: n for k, n in rows.items() if n > EXCEL_MAX_DATA_ROWS}
    print(f"  rows per table: {rows}")
    if big:
        print(f"  over Excel's {EXCEL_MAX_DATA_ROWS:,} rows, split across sheets: {big}")
    import shutil

    shutil.rmtree(work)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=2900)
    ap.add_argument("--skip-pymcdm", action="store_true")
    a = ap.parse_args()
    if not a.skip_pymcdm:
        rng = np.random.default_rng(0)
        X = rng.lognormal(2, 0.7, (T, R, K))
        types = np.where(np.arange(K) % 5 == 4, -1, 1)
        x, y = ours(X, types), with_pymcdm(X, types)
        for name, u, v in zip(("weights", "TOPSIS", "coupling D", "obstacles"), x, y, strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12, err_msg=name)
        w_ours, c_ours = timed(ours, X, types)
        w_py, c_py = timed(with_pymcdm, X, types, repeat=3)
        print(f"panel {R} regions × {T} years × {K} indicators (synthetic); results equal; "
              f"both sides warmed up, medians")
        print(f"urbanrural (vectorised over years): {w_ours:.3f} s wall, {c_ours:.3f} s CPU")
        print(f"pymcdm + per-year NumPy:            {w_py:.3f} s wall, {c_py:.3f} s CPU")
        print(f"speed-up ×{w_py / w_ours:.1f} wall, ×{c_py / c_ours:.1f} CPU")
    county_scale(a.counties)


if __name__ == "__main__":
    main()
