"""Write joined records as CSV or GeoJSON (the ``unrest-map data`` output and the dashboard's download).

``municipalities`` is ``;``-separated text in CSV and a list in GeoJSON: one name for a
point record, the covered ones for a ``regional`` record (see :mod:`geodata.join`).

Place and municipality names are written in one language (``lang``: en, sq or sr, as the dashboard's
switch; :mod:`geodata.names`), so a download reads as the screen does. The boundary layer's own names
travel beside them in ``municipality_layer_name`` and ``municipalities_layer_names``, the keys to join
the file to the layer (or to ``--municipality``); ``place`` is the gazetteer key. GeoJSON
also carries the reactions: each feature lists its linked reactions' ids, and the
collection's ``reactions`` member (a GeoJSON foreign member) holds every reaction linked to a
written incident or to none, with its ``incident_id`` (null when the source ties it to none).

CSV text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) are written with a leading apostrophe, as OWASP advises against formula
injection: the text stays readable and no cell computes. GeoJSON keeps the text as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

import numpy as np
import pandas as pd

from geodata.names import DEFAULT_LANGUAGE, check_language, municipality_list_names, place_names
from geodata.regions import MUNICIPALITY_SEPARATOR
from geodata.schema import RECORD_FIELDS

#: Columns written, in order: the record fields, then where they were placed. ``place_name``,
#: ``municipality`` and ``municipalities`` are in the chosen language; the ``*_layer_name*`` columns hold
#: the boundary layer's names (the join keys).
OUTPUT_COLUMNS = (
    *RECORD_FIELDS,
    "place_name",
    "place_kind",
    "lat",
    "lon",
    "municipality",
    "municipality_layer_name",
    "district",
    "north_kosovo",
    "snapped",
    "outside_boundaries",
    "municipalities",
    "municipalities_layer_names",
    "regional",
)
#: The named columns and where their layer names go.
LAYER_NAME_COLUMNS = {
    "municipality": "municipality_layer_name",
    "municipalities": "municipalities_layer_names",
}


def output_table(
    frame: pd.DataFrame, extra: tuple[str, ...] = (), lang: str = DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """The columns written, in order, names in ``lang``; ``extra`` columns (e.g. the geocoder's) follow.

    Raises :class:`~geodata.names.UnknownLanguageError` for a language that is not en, sq or sr.
    """
    lang = check_language(lang)
    columns = [*OUTPUT_COLUMNS, *(c for c in extra if c not in OUTPUT_COLUMNS)]
    # The layer names are the frame's own columns under a second name; only the shown ones are renamed.
    source = frame.assign(**{layer: frame.get(named) for named, layer in LAYER_NAME_COLUMNS.items()})
    table = source.reindex(columns=columns).copy()
    for column in ("date_start", "date_end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d")
    if "place_name" in frame:
        table["place_name"] = place_names(frame, lang).to_numpy()
    for column in LAYER_NAME_COLUMNS:
        if column in frame:
            # Each distinct name (list) is translated once; an empty cell stays empty.
            names = municipality_list_names(
                frame[column], lang, separator=MUNICIPALITY_SEPARATOR, join=MUNICIPALITY_SEPARATOR
            )
            table[column] = names.to_numpy()
    return table


#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell that starts like a formula prefixed by an apostrophe.

    Only text columns are touched (a negative number stays a number), vectorised per column.
    """
    safe = table.copy()
    for column in safe.columns:
        values = safe[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("string")
        risky = text.str.startswith(FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            safe[column] = text.mask(risky, "'" + text)
    return safe


def write_csv(
    frame: pd.DataFrame,
    out: TextIO,
    comments: Sequence[str] = (),
    extra: tuple[str, ...] = (),
    lang: str = DEFAULT_LANGUAGE,
) -> None:
    """CSV of the joined records, names in ``lang``; ``comments`` go first as ``# ...`` lines (what the
    file holds), ``extra`` columns (e.g. the geocoder's) after the standard ones."""
    table = neutralise_formulas(output_table(frame, extra, lang))
    for line in comments:
        out.write("# " + " ".join(str(line).split()) + "\n")
    table.to_csv(out, index=False, lineterminator="\n")


def to_geojson(
    frame: pd.DataFrame,
    reactions: pd.DataFrame | None = None,
    about: dict | None = None,
    extra: tuple[str, ...] = (),
    lang: str = DEFAULT_LANGUAGE,
) -> dict:
    """A FeatureCollection of the records, names in ``lang``; ``about`` describes the collection
    (filters, sources)."""
    table = output_table(frame, extra, lang)
    linked: dict[str, list[str]] = {}
    if reactions is not None:
        for reaction_id, incident_id in zip(reactions["id"], reactions["incident_id"], strict=True):
            if incident_id:
                linked.setdefault(str(incident_id), []).append(str(reaction_id))
    features = []
    for row in table.to_dict(orient="records"):
        properties = {k: _plain(v) for k, v in row.items() if k not in ("lat", "lon")}
        for column in ("municipalities", "municipalities_layer_names"):
            properties[column] = _names(properties[column])
        if reactions is not None:
            properties["reactions"] = linked.get(str(row["id"]), [])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": properties,
            }
        )
    collection: dict = {"type": "FeatureCollection"}
    if about:
        # A foreign member (RFC 7946 section 6.1): readers that do not know it ignore it.
        collection["properties"] = about
    collection["features"] = features
    if reactions is not None:
        written = set(table["id"].astype(str))
        collection["reactions"] = [
            {k: (v if v != "" else None) for k, v in reaction.items()}
            for reaction in reactions.to_dict(orient="records")
            if not reaction["incident_id"] or reaction["incident_id"] in written
        ]
    return collection


def write_geojson(
    frame: pd.DataFrame,
    out: TextIO,
    reactions: pd.DataFrame | None = None,
    about: dict | None = None,
    extra: tuple[str, ...] = (),
    lang: str = DEFAULT_LANGUAGE,
) -> None:
    json.dump(to_geojson(frame, reactions, about, extra, lang), out, ensure_ascii=False, indent=1)
    out.write("\n")


def _names(value: object) -> list[str]:
    return [n for n in str(value or "").split(MUNICIPALITY_SEPARATOR) if n]


def _plain(value: object) -> object:
    """JSON-friendly scalars: pandas NA and NaN become null, numpy numbers plain numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
