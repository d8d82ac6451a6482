"""Spatial shape of a distribution: weighted gravity centre and standard deviational ellipse
per year (Lefever 1926; the ArcGIS "Directional Distribution" definition)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError, Issue

__all__ = ["gravity_center", "gravity_centre", "standard_deviational_ellipse", "shape_over_time"]

KM_PER_DEG = 111.32


def gravity_center(lon, lat, weights) -> tuple[float, float]:
    r"""Weighted mean centre of region centroids, e.g. the centre of GDP or of population
    (the mean centre of spatial statistics; Lefever 1926). Planar in degrees, adequate at
    the scale of a country.

    .. math:: \bar x = \frac{\sum_i w_i x_i}{\sum_i w_i}, \qquad
              \bar y = \frac{\sum_i w_i y_i}{\sum_i w_i}

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude (degrees) of each region's centroid.
    weights : array_like
        Non-negative weight of each region (e.g. GDP), not all zero.

    Returns
    -------
    (float, float)
        Longitude and latitude of the centre.

    Raises
    ------
    DataError
        For negative, missing or all-zero weights.

    Examples
    --------
    Three quarters of the weight at (110, 40):

    >>> gravity_center([100.0, 110.0], [30.0, 40.0], [1, 3])
    (107.5, 37.5)
    """
    w = np.asarray(weights, float)
    if (w < 0).any() or w.sum() <= 0 or not np.isfinite(w).all():
        raise DataError("weights must be non-negative, finite and not all zero")
    return float(np.dot(w, lon) / w.sum()), float(np.dot(w, lat) / w.sum())


#: British spelling of :func:`gravity_center` (the package's names are American).
gravity_centre = gravity_center


def standard_deviational_ellipse(lon, lat, weights) -> dict:
    r"""Weighted standard deviational ellipse.

    Coordinates are projected to km around the centre (equirectangular); the rotation θ
    (clockwise from north, degrees) satisfies
    tan θ = [(Σwx̃² − Σwỹ²) + √((Σwx̃² − Σwỹ²)² + 4(Σwx̃ỹ)²)] / (2Σwx̃ỹ),
    and the axes are σₓ = √(2Σw(x̃cosθ − ỹsinθ)²/Σw), σᵧ = √(2Σw(x̃sinθ + ỹcosθ)²/Σw)
    (the √2 factor as in ArcGIS, so the ellipse covers about 63 % of the weight for a normal
    distribution). Returns centre, axes (km), rotation and area (km²).

    .. math::
        \tan\theta = \frac{\left(\sum w\tilde x^2 - \sum w\tilde y^2\right)
        + \sqrt{\left(\sum w\tilde x^2 - \sum w\tilde y^2\right)^2
        + 4\left(\sum w\tilde x\tilde y\right)^2}}{2\sum w\tilde x\tilde y}

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude (degrees) of each region's centroid.
    weights : array_like
        Non-negative weight of each region (e.g. GDP), not all zero.

    Returns
    -------
    dict
        ``centre_lon``, ``centre_lat``, ``sigma_x_km``, ``sigma_y_km``, ``rotation_deg``
        (of the σᵧ axis, clockwise from north), ``area_km2`` (π σₓ σᵧ) and ``flattening``
        (1 − minor/major).

    Examples
    --------
    Three equally weighted points on an east–west line at 30° N, 2° of longitude apart: the
    σᵧ axis points east (rotation 90°) and σᵧ = √(2 · ⅔ · (2 · 111.32 · cos 30°)²) =
    2 · 111.32 km, while σₓ is 0:

    >>> e = standard_deviational_ellipse([100.0, 102.0, 104.0], [30.0, 30.0, 30.0], [1, 1, 1])
    >>> e["centre_lon"], e["rotation_deg"], round(e["sigma_y_km"], 2), round(e["sigma_x_km"], 6)
    (102.0, 90.0, 222.64, 0.0)
    """
    w = np.asarray(weights, float)
    cx, cy = gravity_center(lon, lat, w)
    x = (np.asarray(lon, float) - cx) * KM_PER_DEG * np.cos(np.radians(cy))
    y = (np.asarray(lat, float) - cy) * KM_PER_DEG
    a = np.dot(w, x * x) - np.dot(w, y * y)
    b = np.dot(w, x * y)
    theta = np.pi / 2 if b == 0 else np.arctan((a + np.sqrt(a * a + 4 * b * b)) / (2 * b))
    c, s = np.cos(theta), np.sin(theta)
    sx = np.sqrt(2 * np.dot(w, (x * c - y * s) ** 2) / w.sum())
    sy = np.sqrt(2 * np.dot(w, (x * s + y * c) ** 2) / w.sum())
    return {"centre_lon": cx, "centre_lat": cy, "sigma_x_km": float(sx),
            "sigma_y_km": float(sy), "rotation_deg": float(np.degrees(theta) % 180),
            "area_km2": float(np.pi * sx * sy), "flattening": float(1 - min(sx, sy) /
                                                                      max(sx, sy))}


def _move(c0: tuple[float, float], c1: tuple[float, float]) -> tuple[float, float]:
    """Distance (km) and bearing (degrees clockwise from north) from centre c0 to c1."""
    dx = (c1[0] - c0[0]) * KM_PER_DEG * np.cos(np.radians(c1[1]))
    dy = (c1[1] - c0[1]) * KM_PER_DEG
    return float(np.hypot(dx, dy)), float(np.degrees(np.arctan2(dx, dy)) % 360)


def shape_over_time(values: pd.DataFrame, centroids: pd.DataFrame, *,
                    unbalanced: str = "error") -> pd.DataFrame:
    """Gravity centre, its move from the previous year, and the ellipse, per year of a
    regions × years table of weights (e.g. GDP).

    A move compares like with like only if both centres are computed on the same regions: a
    region entering the data (Tibet from 2009 in the provincial yearbooks) moves the centre by
    itself. ``unbalanced`` says what to do when two consecutive years hold different regions:

    * ``"error"`` (default): refuse, naming the years and the regions concerned (pass a
      balanced table, e.g. ``values.dropna()``);
    * ``"common"``: compute the move between the two years' centres recomputed on the regions
      present in both (the centre and ellipse columns still use every region of their year).

    Columns ``n_regions`` (regions in the year), ``move_regions`` (regions behind the move) and
    ``move_left_out`` (regions of only one of the two years) show what each number rests on.
    A region without a centroid is an error, never dropped.
    """
    if unbalanced not in ("error", "common"):
        raise ValueError("unbalanced must be 'error' or 'common'")
    no_centroid = sorted(set(values.index[values.notna().any(axis=1)]) - set(centroids.index))
    if no_centroid:
        raise DataError([Issue("no centroid for this region: the gravity centre needs one for "
                               "every region with a value", value=str(c)) for c in no_centroid])
    rows = []
    prev_year = prev_v = None
    for year in values.columns:
        v = values[year].dropna()
        if len(v) < 3:
            continue
        c = centroids.loc[v.index]
        e = standard_deviational_ellipse(c.lon, c.lat, v.to_numpy())
        e["year"] = int(year)
        e["n_regions"] = len(v)
        if prev_v is not None:
            only = sorted(set(v.index) ^ set(prev_v.index))
            if only and unbalanced == "error":
                raise DataError(Issue(
                    f"gravity-centre move {prev_year}→{year} would compare different regions "
                    f"({', '.join(map(str, only))} in only one of the two years); pass a "
                    "balanced table (the regions present in every year) or unbalanced='common'",
                    value=f"{prev_year}→{year}"))
            common = v.index.intersection(prev_v.index)
            if len(common) >= 1:
                cc = centroids.loc[common]
                c0 = gravity_center(cc.lon, cc.lat, prev_v[common].to_numpy())
                c1 = gravity_center(cc.lon, cc.lat, v[common].to_numpy())
                e["move_km"], e["move_bearing_deg"] = _move(c0, c1)
            e["move_regions"] = len(common)
            e["move_left_out"] = ", ".join(map(str, only))
        rows.append(e)
        prev_year, prev_v = year, v
    return pd.DataFrame(rows)
