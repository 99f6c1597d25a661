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


def join_boundaries(
    records: pd.DataFrame, boundaries: Boundaries, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
) -> pd.DataFrame:
    """Return ``records`` with the columns of :data:`JOIN_COLUMNS` added (same rows, same order)."""
    if snap_tolerance_m < 0:
        raise ValueError(f"snap_tolerance_m must be >= 0, got {snap_tolerance_m}")
    areas = boundaries.municipalities[["name", "display_name", "district", "north_kosovo", "geometry"]]
    # Each distinct point is joined once: geocoded files repeat a few thousand places many times.
    xy = np.column_stack([records["lon"].to_numpy(dtype=float), records["lat"].to_numpy(dtype=float)])
    unique_xy, inverse = np.unique(xy, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    position, distance = _locate(unique_xy, areas, snap_tolerance_m)
    position, distance = position[inverse], distance[inverse]

    has_area = position >= 0
    take = np.where(has_area, position, 0)

    def pick(column: str, missing: object) -> pd.Series:
        values = areas[column].to_numpy()[take] if len(areas) else np.full(len(records), missing)
        return pd.Series(np.where(has_area, values, missing), index=records.index)

    joined = records.copy()
    joined["municipality"] = pick("name", None).astype("category")
    joined["municipality_display"] = pick("display_name", None).astype("category")
    joined["district"] = pick("district", None).astype("category")
    joined["north_kosovo"] = pick("north_kosovo", False).astype(bool)
    joined["snapped"] = has_area & (distance > 0)
    joined["snap_distance_m"] = np.where(has_area, distance, np.nan).round(1)
    joined["outside_boundaries"] = ~has_area
    return joined


def _locate(
    xy: np.ndarray, areas: gpd.GeoDataFrame, snap_tolerance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """For each point: the position in ``areas`` of the polygon holding it (or the nearest within
    the tolerance; -1 for none) and the snapping distance in metres (0 inside)."""
    points = gpd.GeoDataFrame(
        {"row": np.arange(len(xy))},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=4326,
    )
    inside = gpd.sjoin(points, areas, how="inner", predicate="within")
    # A point on a shared edge can match two polygons: keep the first, deterministically.
    inside = inside.drop_duplicates("row").set_index("row")

    position = np.full(len(xy), -1, dtype=np.int64)  # index into areas, -1 for none
    position[inside.index.to_numpy()] = inside["index_right"].map(areas.index.get_loc).to_numpy()
    distance = np.zeros(len(xy))

    outside_rows = np.flatnonzero(position < 0)
    if len(outside_rows):
        near = (
            gpd.sjoin_nearest(
                points.iloc[outside_rows].to_crs(METRIC_CRS),
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

    return position, distance
