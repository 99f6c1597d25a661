"""Join incidents to the municipality and district they fall in.

Points inside a municipality take it. Border crossings sit on the boundary line, and
a simplified boundary can leave them a little outside every polygon: such a point
takes the nearest municipality when it lies within ``snap_tolerance_m`` metres
(measured in UTM 34N) and is flagged ``snapped``. A point further away (Belgrade)
is kept, with no municipality, and flagged ``outside_boundaries``. Nothing is dropped.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.boundaries import METRIC_CRS, Boundaries

#: Large enough for a crossing on a simplified line, small enough to keep Belgrade out.
DEFAULT_SNAP_TOLERANCE_M = 2_000.0

JOIN_COLUMNS = (
    "municipality",
    "municipality_display",
    "district",
    "north_kosovo",
    "snapped",
    "snap_distance_m",
    "outside_boundaries",
)


def inside_positions(lon: np.ndarray, lat: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """For each point, the position of the first polygon whose interior holds it, or -1.

    The same answer as a spatial join with ``within`` (a point on an edge is in neither
    polygon; of overlapping polygons the first wins), at a cost that grows with the points
    near each polygon: a bounding-box test in NumPy picks the candidates, shapely's prepared
    ``contains_xy`` decides them.
    """
    import shapely

    position = np.full(len(lon), -1, dtype=np.int64)
    for index, polygon in enumerate(polygons):
        if polygon is None or polygon.is_empty:
            continue
        minx, miny, maxx, maxy = polygon.bounds
        candidates = np.flatnonzero((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
        candidates = candidates[position[candidates] < 0]
        if not len(candidates):
            continue
        shapely.prepare(polygon)
        position[candidates[shapely.contains_xy(polygon, lon[candidates], lat[candidates])]] = index
    return position


def join_boundaries(
    records: pd.DataFrame, boundaries: Boundaries, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
) -> pd.DataFrame:
    """Return ``records`` with the columns of :data:`JOIN_COLUMNS` added (same rows, same order)."""
    if snap_tolerance_m < 0:
        raise ValueError(f"snap_tolerance_m must be >= 0, got {snap_tolerance_m}")
    areas = boundaries.municipalities[["name", "display_name", "district", "north_kosovo", "geometry"]]
    lon, lat = records["lon"].to_numpy(dtype=float), records["lat"].to_numpy(dtype=float)
    position = inside_positions(lon, lat, areas.geometry.to_numpy())  # index into areas, -1 for none
    distance = np.zeros(len(records))

    outside_rows = np.flatnonzero(position < 0)
    if len(outside_rows):
        points = gpd.GeoDataFrame(
            {"row": outside_rows},
            geometry=gpd.points_from_xy(lon[outside_rows], lat[outside_rows]),
            crs=4326,
        )
        near = (
            gpd.sjoin_nearest(
                points.to_crs(METRIC_CRS),
                areas.to_crs(METRIC_CRS),
                how="left",
                max_distance=snap_tolerance_m,
                distance_col="snap_distance_m",
            )
            .drop_duplicates("row")
            .set_index("row")
        )
        found = near["index_right"].notna()
        rows = near.index[found].to_numpy()
        position[rows] = near.loc[found, "index_right"].map(areas.index.get_loc).to_numpy()
        distance[rows] = near.loc[found, "snap_distance_m"].to_numpy()

    has_area = position >= 0
    take = np.where(has_area, position, 0)

    def pick(column: str, missing: object) -> pd.Series:
        values = areas[column].to_numpy()[take] if len(areas) else np.full(len(records), missing)
        return pd.Series(np.where(has_area, values, missing), index=records.index)

    def pick_category(column: str) -> pd.Series:
        """``pick(column, None).astype("category")`` from codes, without a million Python strings."""
        values = pd.Series(areas[column].to_numpy(), dtype=object)
        used = np.unique(take[has_area])
        categories = pd.Index(sorted(set(values.iloc[used].dropna())))  # as astype("category") orders them
        per_area = categories.get_indexer(values) if len(areas) else np.zeros(0, dtype=np.intp)
        codes = np.where(has_area, per_area[take] if len(areas) else -1, -1)
        return pd.Series(
            pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories)), index=records.index
        )

    joined = records.copy(deep=False)  # new columns only: the records' own arrays are shared
    joined["municipality"] = pick_category("name")
    joined["municipality_display"] = pick_category("display_name")
    joined["district"] = pick_category("district")
    joined["north_kosovo"] = pick("north_kosovo", False).astype(bool)
    joined["snapped"] = has_area & (distance > 0)
    joined["snap_distance_m"] = np.where(has_area, distance, np.nan).round(1)
    joined["outside_boundaries"] = ~has_area
    return joined
