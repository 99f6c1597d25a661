"""The spatial filter: incidents inside a shape drawn with the map's Box or Lasso select.

The shape is a list of [lon, lat] vertices (a box becomes its four corners), kept in the
browser (the ``area-filter`` store and the URL's ``area`` parameter) like every other filter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

#: Vertices kept of a lasso (more are thinned evenly): bounds the URL and the work per view.
MAX_VERTICES = 60
#: Decimal places kept (about 10 m): short URLs, and equal shapes compare equal.
PLACES = 4

Area = list[list[float]]


def area_from_selection(selection: dict | None) -> Area | None:
    """The shape a map selection event describes (Box: ``range``, Lasso: ``lassoPoints``), or None."""
    if not isinstance(selection, dict):
        return None
    lasso = (selection.get("lassoPoints") or {}).get("map")
    box = (selection.get("range") or {}).get("map")
    if lasso:
        vertices = [list(p) for p in lasso]
    elif box and len(box) == 2:
        (lon0, lat0), (lon1, lat1) = box
        vertices = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1]]
    else:
        return None
    return clean_area(vertices)


def clean_area(vertices: object) -> Area | None:
    """Valid vertices (finite, on Earth, at least three, at most :data:`MAX_VERTICES`) or None."""
    if not isinstance(vertices, list | tuple):
        return None
    points = []
    for vertex in vertices:
        try:
            lon, lat = (float(v) for v in vertex)
        except (TypeError, ValueError):
            return None
        if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -85 <= lat <= 85):
            return None
        points.append([round(lon, PLACES), round(lat, PLACES)])
    if len(points) > MAX_VERTICES:
        keep = np.linspace(0, len(points) - 1, MAX_VERTICES).round().astype(int)
        points = [points[i] for i in keep]
    if len({tuple(p) for p in points}) < 3:
        return None
    return points


def area_mask(incidents: pd.DataFrame, area: Area | None) -> np.ndarray | None:
    """Which incidents lie inside the shape (on its edge counts), or None when there is no shape."""
    area = clean_area(area) if area is not None else None
    if area is None:
        return None
    shape = Polygon(area)
    if not shape.is_valid:  # a lasso that crosses itself: keep what it encloses
        shape = shapely.make_valid(shape)
    lon = incidents["lon"].to_numpy(float)
    lat = incidents["lat"].to_numpy(float)
    return shapely.intersects_xy(shape, lon, lat)


def area_to_param(area: Area | None) -> str | None:
    """'lon,lat;lon,lat;...' for the URL (None: no shape)."""
    if not area:
        return None
    return ";".join(f"{lon:.{PLACES}f},{lat:.{PLACES}f}" for lon, lat in area)


def area_from_param(text: str | None) -> tuple[Area | None, str | None]:
    """The shape a URL parameter describes, and a notice when it could not be read."""
    if text is None:
        return None, None
    try:
        vertices = [[float(v) for v in pair.split(",")] for pair in text.split(";")]
        if any(len(v) != 2 for v in vertices):
            raise ValueError
    except ValueError:
        return None, "'area' must be lon,lat pairs separated by ';'; ignored."
    area = clean_area(vertices)
    if area is None:
        return None, "'area' needs at least three distinct points on Earth; ignored."
    return area, None
