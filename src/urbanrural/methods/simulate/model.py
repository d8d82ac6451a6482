r"""A two-sector dual economy (rural/agricultural and urban/non-agricultural), annual steps,
vectorised over parameter draws.

Every state variable is an array with one entry per draw; thousands of draws advance together
and the only loop is over years. Sector ``s`` is ``U`` (urban) or ``R`` (rural); ``t`` is a
year.

Equations (one step, year ``t`` to ``t + 1``)
---------------------------------------------
1. **Production** (Cobb–Douglas in each sector, as in the two-sector model of Hao, Sun, Tombe &
   Zhu 2020, J. Monetary Econ. 113; Lewis 1954's capitalist and subsistence sectors):

   .. math:: Y_{s,t} = A_{s,t} K_{s,t}^{\alpha} N_{s,t}^{1-\alpha}, \qquad y_{s,t} = Y_{s,t}/N_{s,t}

   Labour is proportional to the resident population of each area (a constant participation
   rate cancels from per-capita terms).
2. **Transfers to rural public services** (a lever; zero in the calibrated baseline, whose
   measured incomes already contain the transfers of their time): a share :math:`\sigma_t` of
   urban output is paid to rural residents,

   .. math:: x_{U,t} = (1-\sigma_t) Y_{U,t}/N_{U,t}, \qquad x_{R,t} = (Y_{R,t} + \sigma_t Y_{U,t})/N_{R,t}

   Rural income is the average product (Lewis 1954: surplus labour shares the family farm's
   output), so :math:`x_R` is per-capita rural income.
3. **Urban employment** (Harris & Todaro 1970, AER 60(1)): with a market-clearing
   urban labour market the urban employment rate is :math:`e_t = 1`; with a fixed minimum urban
   wage :math:`\bar w`, firms hire where the marginal product equals it,
   :math:`E_t = K_{U,t}\,((1-\alpha) A_{U,t}/\bar w)^{1/\alpha}`, and
   :math:`e_t = \min(1, E_t/N_{U,t})`, the expected urban income being :math:`e_t \bar w`.
4. **Migration** (Harris & Todaro 1970: migration responds to the expected urban–rural
   income differential; here in logs, :math:`G_t = \ln(e_t x_{U,t}) - \ln x_{R,t}`, net of a
   migration friction :math:`f_t = \ln(1+\tau_t)` that stands for hukou and the cost of moving
   to a city, the wedge of Hao et al. 2020). The friction is a cost of moving *to* the city: it
   stops migration when the gap is below it but never drives anyone back; people return only
   when the expected urban income is below the rural one:

   .. math:: M_t = \mu\, N_{R,t} \max(G_t - f_t, 0) + \mu\, N_{U,t} \min(G_t, 0)

   bounded to half the population of the sending area in a year (a numerical safeguard). At
   :math:`f = 0` the flow stops only at :math:`G = 0`, the Harris–Todaro equilibrium
   :math:`x_R = e\,\bar w`.
5. **Migration friction** (the cost whose fall Hao et al. 2020 estimate, about −45 % in
   2000–2015): :math:`\tau_t = \tau_0 e^{\lambda (t - t_0)} (1 - h_t)`, :math:`f_t = \ln(1+\tau_t)`,
   with :math:`h_t` the hukou-reform lever; the model's fall over 2000–2015 is
   :math:`1 - e^{15\lambda}`.
6. **Natural change by area** (a common natural growth rate in both areas, an assumption: the
   bundled data have no vital rates by area): :math:`n_t = n_0 + n_1 (t - t_0)` and
   :math:`N_{U,t+1} = (N_{U,t} + M_t)(1+n_t)`, :math:`N_{R,t+1} = (N_{R,t} - M_t)(1+n_t)`.
7. **Capital** (a rural share of investment; the stock kept at a constant multiple of output,
   :math:`K_t = \kappa Y_t`, the balanced-growth closure of Kaldor 1961, because incomes are in
   current prices and an unrevalued nominal stock would drift): investment
   :math:`I_t = s_t Y_t` decides the rural share :math:`\psi` of the stock,

   .. math:: \psi_{t+1} = \frac{\psi_t K_t + \phi_t I_t}{K_t + I_t}, \qquad
             \phi_t = Y_{R,t}/Y_t + \Delta\phi_t,

   and with :math:`K_{s} = \psi_s K`, output solves
   :math:`Y = (\kappa^{\alpha} B)^{1/(1-\alpha)}`,
   :math:`B = A_U (1-\psi)^{\alpha} N_U^{1-\alpha} + A_R \psi^{\alpha} N_R^{1-\alpha}`.
   :math:`\phi = Y_R/Y` keeps the returns to capital equal in the two sectors (capital flows
   freely, labour does not: the premise of Hao et al. 2020); :math:`\Delta\phi_t` is the lever
   "capital flowing to the countryside". In the Harris–Todaro regime (a minimum urban wage)
   capital is fixed, as in Harris & Todaro 1970, and urban output uses the employed
   :math:`e N_U`.
8. **TFP** (exogenous growth, a common device of the calibrated dual-economy literature):
   :math:`A_{U,t+1} = A_{U,t} e^{g_U}`, :math:`A_{R,t+1} = A_{R,t} e^{g_R + \gamma_t}` with the
   rural-TFP lever :math:`\gamma_t` (infrastructure and digital access); land transfer
   :math:`\ell_t` multiplies rural output by :math:`1+\ell_t` (consolidated farms; a level
   lever).

Incomes are in current prices (the bundled data carry no price deflator), so :math:`g_s`
absorbs price change and is called *nominal* TFP growth.

Fixed parameters (assumptions, not estimates): :math:`\alpha = 0.55`, the net investment rates
:math:`s_t` by period and the output–capital ratio :math:`1/\kappa = 0.53`, from Liu's
growth-accounting scenarios for China (ChinaXiv 201711.00212, Table 1, as printed; see
:data:`ASSUMPTIONS`). They mix the table's rows: :math:`\alpha` is the 2008–2014 row's,
:math:`1/\kappa` the 1985–2007 row's (the row of the first year, 2000), and the net
investment rates of 2015–2020 and 2021–2030 are Liu's *scenario* values, used here as history
for the observed years 2015–2024 as well as for the projection (a stated simplification, not
data). The first year's stock is split so that returns to capital are equal.

Examples
--------
>>> import numpy as np
>>> p = Params.single(mu=0.1, tau0=1.5, tau_trend=-0.04, g_urban=0.1, g_rural=0.1, n0=0.006,
...                   n1=0.0)
>>> init = Initial(year=2000, urban_pop=45906.0, rural_pop=80837.0, urban_income=6280.0,
...                rural_income=2253.4)
>>> path = simulate(p, init, years=3)
>>> path.years.tolist(), round(float(path.urban_income[0, 0]), 1)
([2000, 2001, 2002, 2003], 6280.0)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue

__all__ = ["ASSUMPTIONS", "CALIBRATED", "Initial", "Levers", "Params", "Path", "investment_rate",
           "migration", "production", "simulate", "harris_todaro_employment"]

#: Fixed parameters: value, source. Liu, growth-accounting scenarios for China to 2030,
#: ChinaXiv 201711.00212 (2017), Table 1 (scenario "labour input growth"), as printed; copied
#: in tests/data/simulate/liu_2017_table1.csv.
ASSUMPTIONS: dict[str, tuple[float, str]] = {
    "capital_elasticity": (0.55, "刘（2017）表1，2008—2014年一行（与产出资本比取自不同行）/ "
                           "Liu (2017) ChinaXiv 201711.00212, Table 1, row 2008–2014 "
                           "(a different row from Y/K: the rows are mixed)"),
    "output_capital_ratio_initial": (0.53, "刘（2017）表1，1985—2007年一行（起始年2000年所在时期）/ "
                                     "Liu (2017) Table 1, row 1985–2007 (Y/K), the period of "
                                     "the first year 2000"),
    "investment_rate_1985_2007": (0.2132, "刘（2017）表1，净投资率21.32% / Liu (2017) Table 1, "
                                  "net investment rate 21.32 %"),
    "investment_rate_2008_2014": (0.3338, "刘（2017）表1，净投资率33.38% / Liu (2017) Table 1, "
                                  "net investment rate 33.38 %"),
    "investment_rate_2015_2020": (0.20, "刘（2017）表1，情景值20%，此处当作2015—2020年的历史值 / "
                                  "Liu (2017) Table 1, scenario value 20 %, used here as the "
                                  "history of 2015–2020"),
    "investment_rate_2021_2030": (0.20, "刘（2017）表1，情景值20%，此处亦当作2021—2024年的历史值，"
                                  "2030年后保持（本模型的设定）/ Liu (2017) Table 1, scenario value "
                                  "20 %, used here also as the history of 2021–2024; held after "
                                  "2030 (an assumption of this model)"),
}

#: The calibrated parameters, in the order of :class:`Params`.
CALIBRATED = ("mu", "tau0", "tau_trend", "g_urban", "g_rural", "n0", "n1")

MIGRATION_BOUND = 0.5  # at most half of the sending area moves in one year (safeguard)


def investment_rate(years: np.ndarray) -> np.ndarray:
    """Net investment rate :math:`s_t` by year: Liu (2017, Table 1) period values.

    Examples
    --------
    >>> investment_rate(np.array([2000, 2010, 2018, 2035])).tolist()
    [0.2132, 0.3338, 0.2, 0.2]
    """
    y = np.asarray(years)
    a = ASSUMPTIONS
    return np.select([y <= 2007, y <= 2014, y <= 2020],
                     [a["investment_rate_1985_2007"][0], a["investment_rate_2008_2014"][0],
                      a["investment_rate_2015_2020"][0]], a["investment_rate_2021_2030"][0])


@dataclass(frozen=True)
class Params:
    """Calibrated parameters, one entry per draw (arrays of equal length).

    Attributes
    ----------
    mu : migration speed (share of the rural population per unit log-income gap per year).
    tau0 : migration cost :math:`\\tau` in the first year (a wedge on the urban income).
    tau_trend : log change of the migration cost per year.
    g_urban, g_rural : nominal TFP growth of each sector (log points per year).
    n0, n1 : natural growth rate of the population in the first year and its change per year.
    """

    mu: np.ndarray
    tau0: np.ndarray
    tau_trend: np.ndarray
    g_urban: np.ndarray
    g_rural: np.ndarray
    n0: np.ndarray
    n1: np.ndarray

    def __post_init__(self) -> None:
        arrays = [np.atleast_1d(np.asarray(getattr(self, f.name), dtype=float)) for f in fields(self)]
        size = max(a.size for a in arrays)
        for f, a in zip(fields(self), arrays, strict=True):
            if a.ndim != 1 or a.size not in (1, size):
                raise DataError(Issue(f"params.{f.name}: expected one value per draw ({size}), "
                                      f"got shape {a.shape}", value=f.name))
            if not np.all(np.isfinite(a)):
                raise DataError(Issue(f"params.{f.name}: a value is not finite", value=f.name))
            object.__setattr__(self, f.name, np.broadcast_to(a, (size,)).copy())

    @classmethod
    def single(cls, **values: float) -> Params:
        return cls(**{k: np.array([v], dtype=float) for k, v in values.items()})

    @classmethod
    def from_matrix(cls, theta: np.ndarray) -> Params:
        """From a ``(draws, 7)`` matrix whose columns follow :data:`CALIBRATED`."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        return cls(**{name: theta[:, j] for j, name in enumerate(CALIBRATED)})

    def matrix(self) -> np.ndarray:
        return np.column_stack([getattr(self, n) for n in CALIBRATED])

    @property
    def draws(self) -> int:
        return self.mu.size

    def repeat(self, k: int) -> Params:
        """Each draw repeated for ``k`` scenarios (scenario-major blocks)."""
        return Params.from_matrix(np.tile(self.matrix(), (k, 1)))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.matrix(), columns=list(CALIBRATED))


@dataclass(frozen=True)
class Initial:
    """The observed state of the first year: population (万人) and per-capita income (yuan,
    the survey concept of that year) of each area."""

    year: int
    urban_pop: float
    rural_pop: float
    urban_income: float
    rural_income: float

    def __post_init__(self) -> None:
        for name in ("urban_pop", "rural_pop", "urban_income", "rural_income"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise DataError(Issue(f"initial.{name}: {v!r} in {self.year} must be a positive "
                                      "number / 初始值须为正数", value=name))


LEVERS = ("friction_cut", "rural_tfp", "rural_investment", "land_transfer", "public_transfer")


@dataclass(frozen=True)
class Levers:
    """Policy levers by year: numbers, or arrays of shape ``(years + 1,)`` or
    ``(years + 1, draws)`` (row 0 is the first year); zero is the baseline.

    Attributes
    ----------
    friction_cut : :math:`h_t`, the share of the migration friction removed (hukou reform).
    rural_tfp : :math:`\\gamma_t`, extra rural TFP growth per year (infrastructure, digital).
    rural_investment : :math:`\\Delta\\phi_t`, extra rural share of investment.
    land_transfer : :math:`\\ell_t`, the rural output gain from land transfer (a level).
    public_transfer : :math:`\\sigma_t`, share of urban output paid to rural public services.
    """

    friction_cut: np.ndarray | float = 0.0
    rural_tfp: np.ndarray | float = 0.0
    rural_investment: np.ndarray | float = 0.0
    land_transfer: np.ndarray | float = 0.0
    public_transfer: np.ndarray | float = 0.0

    @classmethod
    def stack(cls, levers: list[Levers], years: int, draws: int) -> Levers:
        """Scenario-major ``(years + 1, len(levers) * draws)`` arrays, matching
        :meth:`Params.repeat`: each lever value is a number or one value per year."""
        out = {}
        for name in LEVERS:
            blocks = []
            for lv in levers:
                v = np.asarray(getattr(lv, name), dtype=float)
                v = v.reshape(-1, 1) if v.ndim == 1 else v
                blocks.append(np.broadcast_to(v, (years + 1, draws)))
            out[name] = np.concatenate(blocks, axis=1)
        return cls(**out)


def production(tfp, capital, labour, *, alpha: float):
    r"""Cobb–Douglas output :math:`Y = A K^{\alpha} N^{1-\alpha}` (Hao et al. 2020).

    Examples
    --------
    >>> round(float(production(2.0, 8.0, 1.0, alpha=1/3)), 12)
    4.0
    """
    return tfp * np.power(capital, alpha) * np.power(labour, 1.0 - alpha)


def harris_todaro_employment(tfp, capital, urban_pop, *, alpha: float, min_wage: float):
    r"""Urban employment rate under a fixed minimum wage (Harris & Todaro 1970):
    jobs where the marginal product equals :math:`\bar w`,
    :math:`E = K((1-\alpha)A/\bar w)^{1/\alpha}`, and :math:`e = \min(1, E/N_U)`.

    Examples
    --------
    >>> round(float(harris_todaro_employment(1.0, 100.0, 200.0, alpha=0.5, min_wage=0.5)), 6)
    0.5
    """
    jobs = capital * np.power((1.0 - alpha) * tfp / min_wage, 1.0 / alpha)
    return np.minimum(1.0, jobs / urban_pop)


def migration(rural_pop, urban_pop, expected_urban_income, rural_income, friction, *, mu):
    r"""Net rural-to-urban migration (Harris & Todaro 1970, in logs, net of the
    friction :math:`f = \ln(1+\tau)` of Hao et al. 2020): with :math:`G = \ln(e x_U) - \ln x_R`,
    :math:`M = \mu N_R \max(G - f, 0) + \mu N_U \min(G, 0)`, bounded to half the sending area.

    Examples
    --------
    >>> round(float(migration(100.0, 50.0, np.e * 2.0, 2.0, 0.5, mu=0.1)), 12)  # 0.1·100·(1 − 0.5)
    5.0
    >>> float(migration(100.0, 50.0, np.e * 2.0, 2.0, 1.5, mu=0.1))  # gap below the friction
    0.0
    >>> round(float(migration(100.0, 50.0, 2.0, np.e * 2.0, 0.5, mu=0.1)), 12)  # 0.1·50·(−1)
    -5.0
    """
    gap = np.log(expected_urban_income) - np.log(rural_income)
    flow = mu * (rural_pop * np.maximum(gap - friction, 0.0) + urban_pop * np.minimum(gap, 0.0))
    return np.clip(flow, -MIGRATION_BOUND * urban_pop, MIGRATION_BOUND * rural_pop)


@dataclass(frozen=True)
class Path:
    """Simulated paths: arrays of shape ``(years + 1, draws)``; row 0 is the first year.

    Incomes are per capita after transfers (yuan, current prices, on the scale of the
    survey concept of the first year).
    """

    years: np.ndarray
    urban_pop: np.ndarray
    rural_pop: np.ndarray
    urban_income: np.ndarray
    rural_income: np.ndarray
    friction: np.ndarray  # f = ln(1 + tau)
    migration: np.ndarray
    employment_rate: np.ndarray

    @property
    def urbanisation(self) -> np.ndarray:
        """Urban share of the resident population (%)."""
        return 100.0 * self.urban_pop / (self.urban_pop + self.rural_pop)

    @property
    def income_ratio(self) -> np.ndarray:
        return self.urban_income / self.rural_income

    @property
    def mean_income(self) -> np.ndarray:
        """Population-weighted per-capita income (yuan)."""
        return (self.urban_income * self.urban_pop + self.rural_income * self.rural_pop) / \
            (self.urban_pop + self.rural_pop)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per year and draw."""
        t, d = self.urban_pop.shape
        out = pd.DataFrame({"year": np.repeat(self.years, d), "draw": np.tile(np.arange(d), t)})
        for name in ("urban_pop", "rural_pop", "urban_income", "rural_income", "friction",
                     "migration", "employment_rate", "urbanisation", "income_ratio"):
            out[name] = getattr(self, name).ravel()
        return out


def simulate(params: Params, initial: Initial, *, years: int, levers: Levers | None = None,
             min_wage: float | np.ndarray | None = None, alpha: float | None = None,
             invest_rate: float | None = None) -> Path:
    """Advance the dual economy ``years`` steps from ``initial``, all draws at once.

    Parameters
    ----------
    params : calibrated parameters, one entry per draw.
    initial : the observed first year.
    years : number of annual steps.
    levers : policy levers by year (default: none, the baseline).
    min_wage : a fixed minimum urban wage (yuan) for the Harris–Todaro regime; ``None`` (the
        default, and the calibrated model) clears the urban labour market (``e = 1``).
    alpha : capital elasticity (default :data:`ASSUMPTIONS` ``capital_elasticity``).
    invest_rate : a constant net investment rate instead of Liu's period values (``0``
        freezes capital, as the Harris–Todaro limit test does).

    Returns
    -------
    Path
        The paths of the first year and the ``years`` years after it.

    Examples
    --------
    >>> p = Params.single(mu=0.0, tau0=1.0, tau_trend=0.0, g_urban=0.0, g_rural=0.0, n0=0.01, n1=0.0)
    >>> init = Initial(year=2000, urban_pop=100.0, rural_pop=100.0, urban_income=3.0,
    ...                rural_income=1.0)
    >>> path = simulate(p, init, years=1)
    >>> round(float(path.urban_pop[1, 0]), 6)   # no migration: natural growth only
    101.0
    """
    if not (isinstance(years, (int, np.integer)) and 0 <= years <= 500):
        raise DataError(Issue(f"years: {years!r} must be a whole number from 0 to 500",
                              value="years"))
    levers = levers or Levers()
    alpha = ASSUMPTIONS["capital_elasticity"][0] if alpha is None else float(alpha)
    d = params.draws
    t0 = initial.year
    cal = np.arange(t0, t0 + years + 1)
    s_rate = investment_rate(cal) if invest_rate is None else np.full(cal.size, float(invest_rate))
    shape = (years + 1, d)
    out = {k: np.empty(shape) for k in ("urban_pop", "rural_pop", "urban_income", "rural_income",
                                        "friction", "migration", "employment_rate")}
    n_u = np.full(d, initial.urban_pop)
    n_r = np.full(d, initial.rural_pop)
    y_u0, y_r0 = initial.urban_income, initial.rural_income
    output0 = y_u0 * initial.urban_pop + y_r0 * initial.rural_pop
    kappa = 1.0 / ASSUMPTIONS["output_capital_ratio_initial"][0]  # K / Y
    # equal returns to capital in the first year: K_R / K = Y_R / Y
    psi = np.full(d, y_r0 * initial.rural_pop / output0)
    k_u = (1.0 - psi) * kappa * output0
    k_r = psi * kappa * output0
    a_u0 = y_u0 * initial.urban_pop / production(1.0, k_u, n_u, alpha=alpha)
    a_r0 = y_r0 * initial.rural_pop / production(1.0, k_r, n_r, alpha=alpha)
    # the paths that do not depend on the state are computed for all years at once
    shape_t = (years + 1, d)

    def lever(name):
        v = np.asarray(getattr(levers, name), float)
        return np.broadcast_to(v.reshape(-1, 1) if v.ndim == 1 else v, shape_t)

    step = np.arange(years + 1, dtype=float)[:, None]  # years since the first year
    tau = params.tau0 * np.exp(params.tau_trend * step) * (1.0 - lever("friction_cut"))
    out["friction"][:] = np.log1p(tau)
    n_rate = params.n0 + params.n1 * step
    extra = np.vstack([np.zeros((1, d)), np.cumsum(lever("rural_tfp"), axis=0)[:-1]])
    a_u_path = a_u0 * np.exp(params.g_urban * step)
    a_r_path = a_r0 * np.exp(params.g_rural * step + extra) * (1.0 + lever("land_transfer"))
    sigma_path = lever("public_transfer")
    phi_extra = lever("rural_investment")
    out["employment_rate"][:] = 1.0
    one_minus_alpha = 1.0 - alpha
    for i in range(years + 1):
        a_u, a_r, sigma = a_u_path[i], a_r_path[i], sigma_path[i]
        if min_wage is None:
            # K = κ Y and Y = Σ A_s (ψ_s K)^α N_s^(1-α) give Y = (κ^α B)^(1/(1-α))
            b = a_u * (1.0 - psi) ** alpha * n_u ** one_minus_alpha + \
                a_r * psi ** alpha * n_r ** one_minus_alpha
            capital = kappa * (kappa ** alpha * b) ** (1.0 / one_minus_alpha)
            k_u, k_r = (1.0 - psi) * capital, psi * capital
            out_u = a_u * k_u ** alpha * n_u ** one_minus_alpha
            expected = None
        else:  # Harris–Todaro: fixed capital, jobs where the marginal product is the wage
            e = harris_todaro_employment(a_u, k_u, n_u, alpha=alpha, min_wage=min_wage)
            out["employment_rate"][i] = e
            out_u = a_u * k_u ** alpha * (e * n_u) ** one_minus_alpha
            expected = e * min_wage
        out_r = a_r * k_r ** alpha * n_r ** one_minus_alpha  # (land transfer is in a_r_path)
        x_u = (1.0 - sigma) * out_u / n_u
        x_r = (out_r + sigma * out_u) / n_r
        m = migration(n_r, n_u, x_u if expected is None else expected, x_r, out["friction"][i],
                      mu=params.mu)
        out["urban_pop"][i], out["rural_pop"][i] = n_u, n_r
        out["urban_income"][i], out["rural_income"][i], out["migration"][i] = x_u, x_r, m
        if i == years:
            break
        if min_wage is None:
            total = out_u + out_r
            phi = np.clip(out_r / total + phi_extra[i], 0.0, 1.0)
            invest = s_rate[i] * total
            psi = (k_r + phi * invest) / (k_u + k_r + invest)
        growth = 1.0 + n_rate[i]
        n_u = (n_u + m) * growth
        n_r = (n_r - m) * growth
    return Path(years=cal, **out)
