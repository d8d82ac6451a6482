"""Spatial weights from the region registry (contiguity, k-nearest neighbours, distance bands)
or from any matrix, with islands reported and row standardisation explicit."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...data.errors import DataError, Issue

__all__ = ["SpatialWeights", "spatial_weights", "as_sparse_weights", "great_circle_km"]


@dataclass
class SpatialWeights:
    """Binary (or given) spatial weights over ``ids``; ``matrix`` is scipy.sparse CSR.

    ``islands`` lists units without neighbours (kept, reported; their spatial lag is 0).
    """

    ids: list[str]
    matrix: sp.csr_matrix
    kind: str
    islands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.ids)

    def transformed(self, transform: str = "r") -> sp.csr_matrix:
        """``r``: row-standardised (rows sum to 1; islands stay 0); ``b``: binary as given."""
        W = self.matrix.astype(float).tocsr()
        if transform.lower() == "b":
            return W
        if transform.lower() != "r":
            raise ValueError("transform must be 'r' or 'b'")
        rs = np.asarray(W.sum(axis=1)).ravel()
        inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
        return sp.diags(inv) @ W

    def to_libpysal(self):
        """The same weights as a ``libpysal.weights.W`` (binary; transform with ``.transform``)."""
        from libpysal.weights import WSP

        return WSP(self.matrix.tocsr(), id_order=list(self.ids)).to_W(silence_warnings=True)

    def neighbours(self) -> pd.DataFrame:
        coo = self.matrix.tocoo()
        return pd.DataFrame({"id": np.asarray(self.ids)[coo.row],
                             "neighbour": np.asarray(self.ids)[coo.col], "weight": coo.data})


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine distance in km on a sphere of radius 6,371 km."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * \
        np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def spatial_weights(region_codes, *, kind: str = "queen", k: int = 4,
                    threshold_km: float | None = None, hainan_link: str | None = None,
                    registry=None) -> SpatialWeights:
    """Spatial weights for regions of the registry (default: China's provinces).

    ``kind``: ``queen`` / ``rook`` contiguity (from the province polygons), ``knn`` (k nearest
    centroids, great-circle distance; not symmetric in general) or ``distance`` (centroids
    within ``threshold_km``; default the smallest threshold that leaves no island). Hainan has
    no contiguous neighbour unless ``hainan_link`` names one (e.g. ``"guangdong"``).

    Queen contiguity: wᵢⱼ = 1 when the polygons of i and j share at least one point, rook when
    they share an edge; distances are great-circle (haversine) between centroids (Anselin
    1988, ch. 3). The weights are binary; transform with ``SpatialWeights.transformed("r")``.

    Parameters
    ----------
    region_codes : sequence of str
        Region codes or names the registry resolves (``"北京"``, ``"Beijing"``, ``"110000"``).
    kind : {"queen", "rook", "knn", "distance"}, default "queen"
        The neighbour rule.
    k : int, default 4
        Number of neighbours for ``knn``.
    threshold_km : float, optional
        Distance band for ``distance`` (default: the smallest that leaves no island).
    hainan_link : str, optional
        A region to make Hainan's neighbour in contiguity weights.
    registry : RegionRegistry, optional
        The registry the codes belong to (default :func:`urbanrural.data.china`).

    Returns
    -------
    SpatialWeights
        Codes, the binary CSR matrix, the kind, islands and notes.

    Raises
    ------
    RegionError
        For a region the registry does not know.

    Examples
    --------
    >>> w = spatial_weights(["北京", "天津", "河北", "海南"])
    >>> w.ids
    ['110000', '120000', '130000', '460000']
    >>> w.matrix.toarray().astype(int).tolist()
    [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    >>> w.islands  # Hainan has no land border
    ['460000']
    """
    from ...data.registry import china

    reg = registry or china()
    codes = [reg.resolve(c) for c in region_codes]
    notes = []
    if kind in ("queen", "rook"):
        A = reg.adjacency(kind, codes=codes, hainan_link=hainan_link).to_numpy(float)
        W = sp.csr_matrix(A)
        if hainan_link:
            notes.append(f"Hainan linked to {reg.label(reg.resolve(hainan_link), 'en')} by "
                         "choice (hainan_link)")
    elif kind in ("knn", "distance"):
        cen = reg.centroids().reindex(codes)
        if cen.isna().any().any():
            missing = cen.index[cen.isna().any(axis=1)].tolist()
            raise DataError([Issue("no centroid for this region", value=c) for c in missing])
        lon, lat = cen.lon.to_numpy(), cen.lat.to_numpy()
        D = great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
        np.fill_diagonal(D, np.inf)
        if kind == "knn":
            if not 1 <= k < len(codes):
                raise ValueError("k must be between 1 and n − 1")
            nn = np.argsort(D, axis=1)[:, :k]
            rows = np.repeat(np.arange(len(codes)), k)
            W = sp.csr_matrix((np.ones(rows.size), (rows, nn.ravel())),
                              shape=(len(codes), len(codes)))
        else:
            if threshold_km is None:
                threshold_km = float(np.max(D.min(axis=1)))
                notes.append(f"distance band {threshold_km:.0f} km: the smallest that leaves "
                             "no region without a neighbour")
            W = sp.csr_matrix((threshold_km >= D).astype(float))
    else:
        raise ValueError("kind must be queen, rook, knn or distance")
    rs = np.asarray(W.sum(axis=1)).ravel()
    islands = [codes[i] for i in np.flatnonzero(rs == 0)]
    if islands:
        notes.append("islands (no neighbour, spatial lag 0): " + ", ".join(
            f"{c} {reg.label(c)}" for c in islands))
    return SpatialWeights(codes, W.tocsr(), kind, islands, notes)


def as_sparse_weights(W, n: int | None = None, transform: str = "r") -> sp.csr_matrix:
    """Accept a dense array, a scipy.sparse matrix, a libpysal W or :class:`SpatialWeights`;
    return CSR, transformed (``r`` row-standardised by default, ``b`` as given)."""
    if isinstance(W, SpatialWeights):
        M = W.transformed(transform)
    else:
        if hasattr(W, "sparse") and hasattr(W, "neighbors"):  # libpysal W
            M = W.sparse.astype(float).tocsr()
        elif sp.issparse(W):
            M = W.astype(float).tocsr()
        else:
            M = sp.csr_matrix(np.asarray(W, dtype=float))
        M = SpatialWeights([str(i) for i in range(M.shape[0])], M, "given").transformed(
            transform)
    if M.shape[0] != M.shape[1] or (n is not None and M.shape[0] != n):
        raise DataError(f"weights are {M.shape[0]}×{M.shape[1]} for {n} observations")
    return M.tocsr()
