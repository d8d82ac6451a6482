"""The bundled official datasets: one call loads a Panel with its provenance.

============== ===================================================================
name           content
============== ===================================================================
china_provinces 31 provinces: population (total, urban, rural), GDP, employment,
               unemployment, pupil–teacher ratios, all-resident income (2013–2018), and
               scattered yearbook cross-sections of urban and rural income,
               consumption and Engel coefficients
china_national national urban and rural series, 1978–2024 (income, consumption, Engel
               coefficients in two series, population in two vintages, health, rural
               electricity, irrigation, fertiliser, employment)
world_countries countries × 2000–2020: urban and rural water, sanitation and hygiene
               (WHO/UNICEF JMP 2021), urban and rural population (UN WUP 2018), and
               multidimensional poverty (OPHI 2022)
============== ===================================================================

Published example panels of policy evaluation (returned as plain ``pandas.DataFrame``, as
published, for :mod:`urbanrural.methods.evaluate`):

======= =========================================================================
mpdta   500 US counties × 2003–2007, log teen employment and first year of a minimum-
        wage rise (Callaway & Sant'Anna 2021; R package ``did``)
basque  18 Spanish regions × 1955–1997, GDP per capita and predictors (Abadie &
        Gardeazabal 2003; R package ``Synth``)
prop99  39 US states × 1970–2000, cigarette packs per capita; California treated from
        1989 (Abadie, Diamond & Hainmueller 2010; R package ``synthdid``)
======= =========================================================================

Provenance, vintages and licences: ``files/PROVENANCE.md`` and each indicator's ``source``,
``licence`` and ``notes`` fields. Built by ``tools/build_datasets.py`` from ../shared/data.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from .errors import DataError, Issue
from .panel import Indicator, Panel
from .registry import _files, china, world

__all__ = ["load_dataset", "dataset_breaks", "DATASETS", "EXAMPLE_DATASETS"]

DATASETS = {
    "china_provinces": ("中国分省官方统计", "China: official statistics by province", "china"),
    "china_national": ("中国全国城乡官方统计", "China: national urban and rural series", "china"),
    "world_countries": ("世界各国城乡对比", "World: urban and rural pairs by country", "world"),
}

# name → (title_zh, title_en, file, read_csv options); the files are the published CSVs,
# gzip-compressed, byte-identical once decompressed (checksums in files/PROVENANCE.md)
EXAMPLE_DATASETS = {
    "mpdta": ("美国县级最低工资与青少年就业（交错DID示例）",
              "US counties: minimum wage and teen employment (staggered DiD example)",
              "example_mpdta.csv.gz", {}),
    "basque": ("西班牙各地区人均GDP（巴斯克合成控制示例）",
               "Spanish regions: GDP per capita (Basque synthetic-control example)",
               "example_basque.csv.gz", {}),
    "prop99": ("美国各州人均卷烟消费（加州99号提案示例）",
               "US states: cigarette packs per capita (California Proposition 99 example)",
               "example_prop99.csv.gz", {"sep": ";"}),
}


@cache
def _load_example(name: str) -> pd.DataFrame:
    _, _, file, options = EXAMPLE_DATASETS[name]
    return pd.read_csv(_files() / file, **options)


@cache
def _load(name: str) -> tuple[pd.DataFrame, dict[str, Indicator]]:
    f = _files()
    data = pd.read_parquet(f / f"{name}.parquet")
    data["year"] = data["year"].astype("int64")
    data["region_code"] = data["region_code"].astype(str)
    data["indicator"] = data["indicator"].astype(str)
    meta = pd.read_csv(f / f"{name}_indicators.csv", dtype=str, keep_default_na=False)
    inds = {r["id"]: Indicator(**r) for r in meta.to_dict("records")}
    return data, inds


def load_dataset(name: str) -> Panel | pd.DataFrame:
    r"""Load a bundled dataset as a :class:`Panel` (``china_provinces``, ``china_national``,
    ``world_countries``), or a published example panel as a DataFrame (``mpdta``,
    ``basque``, ``prop99``; see :data:`EXAMPLE_DATASETS`).

    Sources, tables and licences of every series are in ``data/files/PROVENANCE.md`` and in
    each indicator's metadata (``panel.indicators[id].source``); documented series breaks
    are already split into separate ids (:func:`dataset_breaks`).

    Parameters
    ----------
    name : str
        A name in :data:`DATASETS` or :data:`EXAMPLE_DATASETS`.

    Returns
    -------
    Panel or DataFrame
        A Panel (with its registry and provenance) for the official statistics; the
        published example as a DataFrame.

    Raises
    ------
    DataError
        For an unknown name, suggesting the closest known one.

    Examples
    --------
    China's per-capita urban disposable income in 2013, the first year of the integrated
    household survey (NBS):

    >>> p = load_dataset("china_national")
    >>> round(float(p.wide("urban_disposable_income_new_survey").loc["000000", 2013]))
    26467
    >>> load_dataset("prop99").shape
    (1209, 4)
    """
    if name in EXAMPLE_DATASETS:
        return _load_example(name).copy()
    if name not in DATASETS:
        import difflib

        known = [*DATASETS, *EXAMPLE_DATASETS]
        close = difflib.get_close_matches(name, known, n=2)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(Issue(f"unknown dataset{hint} Bundled datasets: "
                              f"{', '.join(known)}", value=name))
    data, inds = _load(name)
    zh, en, reg = DATASETS[name]
    registry = china() if reg == "china" else world()
    return Panel(data.copy(), inds, registry=registry, name=name, _trusted=True,
                 provenance={"dataset": name, "title_zh": zh, "title_en": en,
                             "provenance_file": "urbanrural/data/files/PROVENANCE.md",
                             "series_breaks": f"urbanrural/data/files/{name}_breaks.csv"})


def dataset_breaks(name: str) -> pd.DataFrame:
    r"""The documented series breaks split when a bundled dataset was built.

    One row per break (see :mod:`urbanrural.data.breaks`): the original id, the break year, the
    ids before and after it, how many values and which years each side holds, and the reason
    in Chinese and English.

    Parameters
    ----------
    name : str
        A name in :data:`DATASETS`.

    Returns
    -------
    DataFrame
        One row per break applied (empty when the dataset has none).

    Raises
    ------
    DataError
        For an unknown name.

    Examples
    --------
    The 2013 household survey changed the basis of urban disposable income, so the provinces'
    values from 2013 on carry an id of their own:

    >>> b = dataset_breaks("china_provinces")
    >>> row = b.set_index("indicator").loc["urban_disposable_income"]
    >>> int(row.break_year), row.after_id
    (2013, 'urban_disposable_income_new_survey')
    >>> sorted(b.after_id)[:1]
    ['employment_urban_units_2013on']
    """
    if name not in DATASETS:
        load_dataset(name)  # raises the error that names the bundled datasets
    return pd.read_csv(_files() / f"{name}_breaks.csv", dtype={"break_year": int},
                       keep_default_na=False)
