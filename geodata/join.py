"""Join incidents to the municipality and district they fall in.

Points inside a municipality take it. Border crossings sit on the boundary line, and
a simplified boundary can leave them a little outside every polygon: such a point
takes the nearest municipality when it lies within ``snap_tolerance_m`` metres
(measured in UTM 34N) and is flagged ``snapped``. A point further away (Belgrade)
is kept, with no municipality, and flagged ``outside_boundaries``. Nothing is dropped.

Region rule: a record whose ``location_precision`` is ``region`` is flagged ``regional`` and
takes no single ``municipality`` from its marker. ``municipalities`` lists what it covers
(see :mod:`geodata.regions`; empty when its region has no definition, as for an imported
region-level row), ``north_kosovo`` says whether it covers a northern municipality and
``district`` is the one district all its municipalities share, if any. Every other
record's ``municipalities`` is its own ``municipality`` (or empty), so filters and counts
read one column for both kinds.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.boundaries import METRIC_CRS, Boundaries
from geodata.regions import MUNICIPALITY_SEPARATOR, region_members

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
    "municipalities",
    "regional",
)


#: Below this many points the grid of :func:`inside_positions` costs more than it saves.
GRID_MIN_POINTS = 50_000
#: Cells per side of that grid over the layer's extent.
GRID_SIDE = 128


def inside_positions(lon: np.ndarray, lat: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """For each point, the position of the first polygon whose interior holds it, or -1.

    The same answer as a spatial join with ``within`` (a point on an edge is in neither
    polygon; of overlapping polygons the first wins). Many points: a grid over the layer
    settles every point of a cell that lies wholly inside the first polygon it meets (or
    meets none) without a point-in-polygon test; only the points of cells a boundary
    crosses are tested, by :func:`_tested_positions`.
    """
    import shapely

    usable = np.flatnonzero([p is not None and not p.is_empty for p in polygons])
    if len(lon) < GRID_MIN_POINTS or not len(usable):
        return _tested_positions(lon, lat, polygons)
    shapes = np.asarray(polygons, dtype=object)[usable]
    minx, miny, maxx, maxy = shapely.total_bounds(shapes)
    side = GRID_SIDE
    width, height = (maxx - minx) / side, (maxy - miny) / side
    position = np.full(len(lon), -1, dtype=np.int64)
    rows = np.flatnonzero((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
    if width <= 0 or height <= 0 or not len(rows):
        return _tested_positions(lon, lat, polygons)
    column = np.minimum(((lon[rows] - minx) / width).astype(np.int64), side - 1)
    line = np.minimum(((lat[rows] - miny) / height).astype(np.int64), side - 1)
    # Each cell grown by far more than rounding can move a point across its edge: a point
    # counted in a cell is surely inside the grown cell.
    margin = 1e-9 * max(abs(minx), abs(maxx), abs(miny), abs(maxy), 1.0)
    left, bottom = minx + width * np.arange(side), miny + height * np.arange(side)
    cells = shapely.box(
        np.tile(left, side) - margin,
        np.repeat(bottom, side) - margin,
        np.tile(left + width, side) + margin,
        np.repeat(bottom + height, side) + margin,
    )
    cell_index, shape_index = shapely.STRtree(shapes).query(cells, predicate="intersects")
    first = np.full(len(cells), len(shapes), dtype=np.int64)
    np.minimum.at(first, cell_index, shape_index)  # the first polygon (in layer order) each cell meets
    met = np.flatnonzero(first < len(shapes))
    shapely.prepare(shapes)
    whole = shapely.contains_properly(shapes[first[met]], cells[met])
    state = np.full(len(cells), -1, dtype=np.int64)  # -1: the cell meets no polygon
    state[met] = -2  # -2: a boundary crosses it, its points are tested
    state[met[whole]] = usable[first[met[whole]]]
    position[rows] = state[line * side + column]
    tested = np.flatnonzero(position == -2)
    position[tested] = _tested_positions(lon[tested], lat[tested], polygons)
    return position


def _tested_positions(lon: np.ndarray, lat: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """:func:`inside_positions` point by point: a bounding-box test in NumPy picks each polygon's
    candidates, shapely's prepared ``contains_xy`` decides them."""
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
    records: pd.DataFrame,
    boundaries: Boundaries,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    regions: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Return ``records`` with the columns of :data:`JOIN_COLUMNS` added (same rows, same order).

    ``regions`` maps a region's place key to the municipalities it covers (default: the
    built-in definitions resolved against ``boundaries``).
    """
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

    # The areas some record falls in (counted, not sorted out of a million positions).
    used = np.flatnonzero(np.bincount(take[has_area], minlength=len(areas)))

    def pick_category(column: str) -> pd.Series:
        """``pick(column, None).astype("category")`` from codes, without a million Python strings."""
        values = pd.Series(areas[column].to_numpy(), dtype=object)
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
    return apply_region_rule(joined, boundaries, region_members(boundaries) if regions is None else regions)


def regional_rows(records: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the region-level records (by their location precision only)."""
    if "location_precision" not in records.columns:
        return np.zeros(len(records), dtype=bool)
    return (records["location_precision"] == "region").to_numpy(dtype=bool, na_value=False)


def apply_region_rule(
    joined: pd.DataFrame, boundaries: Boundaries | None, regions: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
    """Add ``municipalities`` and ``regional``; take region-level records off their marker's municipality.

    Works on category codes, once per distinct place: a million imported rows cost a few array
    operations, no Python per row.
    """
    regional = regional_rows(joined)
    joined["regional"] = regional
    rows = np.flatnonzero(regional)
    if not len(rows):  # no region records (a frame may then have no place column at all)
        joined["municipalities"] = _replace(joined["municipality"], rows, rows, [], missing="")
        return joined
    place = joined["place"].astype("category")
    place_codes = place.cat.codes.to_numpy()[rows]
    used = np.unique(place_codes)  # the distinct places of the region records
    keys = [str(place.cat.categories[c]) if c >= 0 else "" for c in used]
    which = np.searchsorted(used, place_codes)  # each region record's position in keys
    members = {key: regions.get(key, ()) for key in keys}
    attributes = _region_attributes(members, boundaries.municipalities if boundaries is not None else None)

    def per_key(values: dict[str, object]) -> list[object]:
        return [values[key] for key in keys]

    covered = [MUNICIPALITY_SEPARATOR.join(members[key]) for key in keys]
    joined["municipalities"] = _replace(joined["municipality"], rows, which, covered, missing="")
    joined["municipality"] = _replace(joined["municipality"], rows, which, [None] * len(keys))
    for column in ("municipality_display", "district"):
        joined[column] = _replace(joined[column], rows, which, per_key(attributes[column]))
    north = joined["north_kosovo"].to_numpy(dtype=bool).copy()
    north[rows] = np.asarray(per_key(attributes["north_kosovo"]), dtype=bool)[which]
    joined["north_kosovo"] = north
    snapped = joined["snapped"].to_numpy(dtype=bool).copy()
    snapped[rows] = False  # the marker of a region stands for none of its municipalities
    joined["snapped"] = snapped
    distance = joined["snap_distance_m"].to_numpy(dtype=float).copy()
    distance[rows] = np.nan
    joined["snap_distance_m"] = distance
    return joined


def _replace(
    column: pd.Series, rows: np.ndarray, which: np.ndarray, texts: list, missing: str | None = None
) -> pd.Series:
    """``column`` as a categorical with ``rows`` set to ``texts[which]`` (None: no value), and
    every other missing value set to ``missing`` when given. Done on the codes."""
    values = column.astype("category")
    categories = [str(c) for c in values.cat.categories]
    position = {c: i for i, c in enumerate(categories)}

    def code(text: str | None) -> int:
        if text is None:
            return -1
        if text not in position:
            position[text] = len(categories)
            categories.append(text)
        return position[text]

    codes = values.cat.codes.to_numpy().astype(np.int32)  # a copy, wide enough for new categories
    if missing is not None:
        codes[codes < 0] = code(missing)
    if len(rows):
        codes[rows] = np.asarray([code(t) for t in texts], dtype=np.int32)[which]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=column.index)


def _region_attributes(members: dict[str, tuple[str, ...]], layer: pd.DataFrame | None) -> dict[str, dict]:
    """Per region key: the text shown for where it is, its shared district, whether it reaches the north."""
    display, district, north = {}, {}, {}
    by_name = layer.set_index("name") if layer is not None else None
    for key, names in members.items():
        if not names or by_name is None:
            display[key], district[key], north[key] = "region, no municipality", None, False
            continue
        rows = by_name.loc[list(names)]
        display[key] = "region: " + ", ".join(rows["display_name"].astype(str))
        districts = rows["district"].dropna().unique()
        district[key] = districts[0] if len(districts) == 1 and rows["district"].notna().all() else None
        north[key] = bool(rows["north_kosovo"].astype(bool).any())
    return {"municipality_display": display, "district": district, "north_kosovo": north}
