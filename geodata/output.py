"""Write joined records as CSV or GeoJSON (the ``unrest-map data`` output)."""

from __future__ import annotations

import json
from typing import TextIO

import numpy as np
import pandas as pd

from geodata.schema import RECORD_FIELDS

#: Columns written, in order: the record fields, then where they were placed.
OUTPUT_COLUMNS = (
    *RECORD_FIELDS,
    "place_name",
    "place_kind",
    "lat",
    "lon",
    "municipality",
    "district",
    "north_kosovo",
    "snapped",
    "outside_boundaries",
)


def output_table(frame: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The columns written, in order; ``extra`` columns (e.g. the geocoder's) follow."""
    columns = [*OUTPUT_COLUMNS, *(c for c in extra if c not in OUTPUT_COLUMNS)]
    table = frame.reindex(columns=columns).copy()
    for column in ("date_start", "date_end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    return table


def write_csv(frame: pd.DataFrame, out: TextIO, extra: tuple[str, ...] = ()) -> None:
    output_table(frame, extra).to_csv(out, index=False, lineterminator="\n")


def to_geojson(frame: pd.DataFrame, extra: tuple[str, ...] = ()) -> dict:
    table = output_table(frame, extra)
    features = []
    for row in table.to_dict(orient="records"):
        properties = {k: _plain(v) for k, v in row.items() if k not in ("lat", "lon")}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_geojson(frame: pd.DataFrame, out: TextIO, extra: tuple[str, ...] = ()) -> None:
    json.dump(to_geojson(frame, extra), out, ensure_ascii=False, indent=1)
    out.write("\n")


def _plain(value: object) -> object:
    """JSON-friendly scalars: pandas NA and NaN become null, numpy numbers plain numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
