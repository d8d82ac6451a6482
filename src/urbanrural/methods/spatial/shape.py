"""Spatial shape of a distribution: weighted gravity centre and standard deviational ellipse
per year (Lefever 1926; the ArcGIS "Directional Distribution" definition)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.errors import DataError

__all__ = ["gravity_centre", "standard_deviational_ellipse"]

KM_PER_DEG = 111.32


def gravity_centre(lon, lat, weights) -> tuple[float, float]:
    """Weighted mean centre (x̄ = Σwᵢxᵢ/Σwᵢ) of region centroids, e.g. the centre of GDP or of
    population. Planar in degrees, adequate at the scale of a country."""
    w = np.asarray(weights, float)
    if (w < 0).any() or w.sum() <= 0 or not np.isfinite(w).all():
        raise DataError("weights must be non-negative, finite and not all zero")
    return float(np.dot(w, lon) / w.sum()), float(np.dot(w, lat) / w.sum())


def standard_deviational_ellipse(lon, lat, weights) -> dict:
    r"""Weighted standard deviational ellipse.

    Coordinates are projected to km around the centre (equirectangular); the rotation θ
    (clockwise from north, degrees) satisfies
    tan θ = [(Σwx̃² − Σwỹ²) + √((Σwx̃² − Σwỹ²)² + 4(Σwx̃ỹ)²)] / (2Σwx̃ỹ),
    and the axes are σₓ = √(2Σw(x̃cosθ − ỹsinθ)²/Σw), σᵧ = √(2Σw(x̃sinθ + ỹcosθ)²/Σw)
    (the √2 factor as in ArcGIS, so the ellipse covers about 63 % of the weight for a normal
    distribution). Returns centre, axes (km), rotation and area (km²).
    """
    w = np.asarray(weights, float)
    cx, cy = gravity_centre(lon, lat, w)
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


def shape_over_time(values: pd.DataFrame, centroids: pd.DataFrame) -> pd.DataFrame:
    """Gravity centre, its move from the previous year, and the ellipse, per year of a
    regions × years table of weights (e.g. GDP)."""
    rows = []
    prev = None
    for year in values.columns:
        v = values[year].dropna()
        v = v[v.index.isin(centroids.index)]
        if len(v) < 3:
            continue
        c = centroids.loc[v.index]
        e = standard_deviational_ellipse(c.lon, c.lat, v.to_numpy())
        e["year"] = int(year)
        if prev is not None:
            dx = (e["centre_lon"] - prev[0]) * KM_PER_DEG * np.cos(np.radians(e["centre_lat"]))
            dy = (e["centre_lat"] - prev[1]) * KM_PER_DEG
            e["move_km"] = float(np.hypot(dx, dy))
            e["move_bearing_deg"] = float(np.degrees(np.arctan2(dx, dy)) % 360)
        prev = (e["centre_lon"], e["centre_lat"])
        rows.append(e)
    return pd.DataFrame(rows)
