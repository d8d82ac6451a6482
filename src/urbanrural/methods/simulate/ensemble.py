"""The scenario ensemble: parameter draws × scenarios advanced together as arrays, in process
or on a Dask cluster (the same seed gives the same numbers either way), with quantile bands
and the effect of each scenario against the baseline on the same draws.

Effects are *paired*: a draw's path under a scenario minus the same draw's path under the
baseline, so the band of an effect is the band of the difference, not of two levels.

Examples
--------
>>> import numpy as np
>>> from urbanrural.methods.simulate.model import Initial, Params
>>> from urbanrural.methods.simulate.scenarios import Scenario
>>> theta = Params.single(mu=0.03, tau0=0.3, tau_trend=-0.05, g_urban=0.05, g_rural=0.03,
...                       n0=0.006, n1=0.0).repeat(4)
>>> init = Initial(year=2000, urban_pop=45906.0, rural_pop=80837.0, urban_income=6280.0,
...                rural_income=2253.4)
>>> sc = (Scenario("baseline", "基准", "Baseline"),
...       Scenario("hukou", "户籍改革", "Hukou", (("friction_cut", 2001, None, 1.0),)))
>>> ens = run_ensemble(theta, init, sc, until=2010)
>>> ens.values["urbanisation"].shape
(2, 11, 4)
>>> bool((ens.values["urbanisation"][1, -1] > ens.values["urbanisation"][0, -1]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue
from .model import Initial, Levers, Params, simulate
from .scenarios import Scenario

__all__ = ["OUTPUTS", "Ensemble", "run_ensemble", "simulate_chunk"]

# quantity → (Chinese, English, unit)
OUTPUTS = {
    "income_ratio": ("城乡居民收入比", "urban–rural income ratio", "倍 times"),
    "urbanisation": ("城镇化率", "urbanisation rate", "%"),
    "rural_pop": ("乡村人口", "rural population", "万人 10,000 persons"),
    "mean_income": ("人均收入（城乡加权）", "per-capita income (population-weighted)", "元 yuan"),
}
QUANTILES = (0.05, 0.5, 0.95)


def simulate_chunk(theta: np.ndarray, initial: Initial, years: int, levers: dict[str, np.ndarray],
                   ratio_scale: float) -> dict[str, np.ndarray]:
    """Simulate one block of draws (columns of ``levers``) and return the outputs, each
    ``(years + 1, draws)``. A pure function of its inputs: a worker computes exactly what the
    client would."""
    path = simulate(Params.from_matrix(theta), initial, years=years, levers=Levers(**levers))
    return {"income_ratio": path.income_ratio * ratio_scale, "urbanisation": path.urbanisation,
            "rural_pop": path.rural_pop, "mean_income": path.mean_income}


@dataclass(frozen=True)
class Ensemble:
    """Outputs of every scenario and draw.

    Attributes
    ----------
    years : simulated years.
    scenarios : the scenarios, baseline first.
    values : quantity → array ``(scenarios, years, draws)``.
    """

    years: np.ndarray
    scenarios: tuple[Scenario, ...]
    values: dict[str, np.ndarray]

    @property
    def draws(self) -> int:
        return next(iter(self.values.values())).shape[2]

    def bands(self, *, since: int | None = None) -> pd.DataFrame:
        """Median and 90 % band of every quantity, scenario and year."""
        keep = self.years >= (since if since is not None else self.years[0])
        rows = []
        for q, arr in self.values.items():
            qs = np.quantile(arr[:, keep, :], QUANTILES, axis=2)  # (3, S, T)
            for k, sc in enumerate(self.scenarios):
                rows.append(pd.DataFrame({"scenario": sc.key, "name_zh": sc.name_zh,
                                          "name_en": sc.name_en, "quantity": q,
                                          "year": self.years[keep], "p05": qs[0, k],
                                          "median": qs[1, k], "p95": qs[2, k]}))
        return pd.concat(rows, ignore_index=True)

    def effects(self, year: int) -> pd.DataFrame:
        """Every scenario against the baseline in ``year``: level band and the paired effect
        (scenario − baseline, same draw) with its 90 % band."""
        i = int(np.searchsorted(self.years, year))
        if i >= self.years.size or self.years[i] != year:
            raise DataError(Issue(f"year {year} is not simulated ({self.years[0]}–"
                                  f"{self.years[-1]}) / 该年份不在模拟范围内", value=str(year)))
        rows = []
        for q, arr in self.values.items():
            base = arr[0, i]
            for k, sc in enumerate(self.scenarios):
                lvl = np.quantile(arr[k, i], QUANTILES)
                eff = np.quantile(arr[k, i] - base, QUANTILES)
                rows.append({"scenario": sc.key, "name_zh": sc.name_zh, "name_en": sc.name_en,
                             "quantity": q, "year": int(year), "p05": lvl[0], "median": lvl[1],
                             "p95": lvl[2], "effect_p05": eff[0], "effect_median": eff[1],
                             "effect_p95": eff[2]})
        return pd.DataFrame(rows)

    def difference(self, quantity: str, a: str, b: str, year: int) -> np.ndarray:
        """Per draw: scenario ``a`` minus scenario ``b`` in ``year``."""
        keys = [s.key for s in self.scenarios]
        i = int(np.searchsorted(self.years, year))
        arr = self.values[quantity]
        return arr[keys.index(a), i] - arr[keys.index(b), i]

    def to_frame(self) -> pd.DataFrame:
        return self.bands()


def run_ensemble(params: Params, initial: Initial, scenarios: Sequence[Scenario], *, until: int,
                 ratio_scale: float = 1.0, client=None, chunks: int = 1) -> Ensemble:
    """Every draw of ``params`` under every scenario, from the first year to ``until``.

    Parameters
    ----------
    params : parameter draws (e.g. :meth:`Calibration.draws`).
    initial : the first year's state.
    scenarios : baseline first.
    until : the last simulated year.
    ratio_scale : multiplies the model's income ratio (the integrated survey's scale).
    client : a ``distributed.Client``: the blocks are simulated on its workers (default
        ``None``: in process; the same numbers either way).
    chunks : blocks of draws (one task each on a cluster; default 1).

    Returns
    -------
    Ensemble
        Every output as an array (scenarios, years, draws), baseline first.

    Examples
    --------
    A scenario with no lever reproduces the baseline draw for draw, so its paired effect is
    exactly zero:

    >>> from urbanrural.methods.simulate.model import Initial, Params
    >>> theta = Params.single(mu=0.03, tau0=0.3, tau_trend=-0.05, g_urban=0.05, g_rural=0.03,
    ...                       n0=0.006, n1=0.0).repeat(3)
    >>> init = Initial(year=2000, urban_pop=45906.0, rural_pop=80837.0, urban_income=6280.0,
    ...                rural_income=2253.4)
    >>> sc = (Scenario("baseline", "基准", "Baseline"), Scenario("same", "同基准", "Same"))
    >>> ens = run_ensemble(theta, init, sc, until=2005)
    >>> ens.years.tolist(), ens.draws, ens.difference("income_ratio", "same", "baseline", 2005).tolist()
    ([2000, 2001, 2002, 2003, 2004, 2005], 3, [0.0, 0.0, 0.0])
    """
    if not scenarios:
        raise DataError(Issue("no scenario to simulate / 没有情景", value="scenarios"))
    if until <= initial.year:
        raise DataError(Issue(f"until: {until} must be after the first year {initial.year} / "
                              "终止年份须晚于起始年份", value=str(until)))
    years = until - initial.year
    cal = np.arange(initial.year, until + 1)
    d, s = params.draws, len(scenarios)
    stacked = Levers.stack([sc.levers(cal) for sc in scenarios], years, d)
    theta = params.repeat(s).matrix()
    edges = np.linspace(0, s * d, max(1, min(int(chunks), s * d)) + 1).astype(int)
    blocks = [(theta[a:b], {k: getattr(stacked, k)[:, a:b] for k in stacked.__dataclass_fields__})
              for a, b in zip(edges[:-1], edges[1:], strict=True)]
    if client is None:
        parts = [simulate_chunk(th, initial, years, lv, ratio_scale) for th, lv in blocks]
    else:
        futures = [client.submit(simulate_chunk, th, initial, years, lv, ratio_scale, pure=False)
                   for th, lv in blocks]
        parts = client.gather(futures)
    values = {q: np.concatenate([p[q] for p in parts], axis=1).reshape(years + 1, s, d)
              .transpose(1, 0, 2) for q in OUTPUTS}
    return Ensemble(cal, tuple(scenarios), values)
