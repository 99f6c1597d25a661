"""Pure figure builders: filtered frame in, Plotly figure (or Patch) out.

The map has a fixed list of traces (:data:`MAP_TRACES`). The static ones (municipal
polygons) are sent once with the first figure; a slider step or a
filter change sends a ``dash.Patch`` that replaces only the data of the dynamic
traces, so the boundary GeoJSON never travels again (see :func:`map_patch`).

The municipality names are a layout layer (:data:`LABEL_LAYER`), not a trace: Plotly sets every
trace's data again on each update, and a text trace set again makes MapLibre lay out and place
all map text afresh (more than half of a slider step in software WebGL); a layout layer whose
source has not changed is left alone. The count badges change with the view, and a layout layer
whose source changes is taken off the map and laid out again (0.4 s a step): they travel in
``layout.meta.badges`` and ``assets/unrest_map_labels.js`` draws them as HTML over the map.
"""

from __future__ import annotations

import base64
import html
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.ops import polylabel

from dashboard import offline, style
from geodata.dataset import Dataset
from geodata.filters import incident_position
from geodata.names import DEFAULT_LANGUAGE, municipality_names, place_names, read_municipality_names
from geodata.schema import EVENT_TYPES

if TYPE_CHECKING:  # dash is imported where a Patch is made: the CLI's exports start 0.5 s sooner
    from dash import Patch

#: The map's traces: the municipalities, an anchor and every incident mark in one trace.
#: Plotly sets every map trace's data again on each update and MapLibre then lays out each
#: trace's source afresh, so each trace costs a slider step its own round through MapLibre's
#: worker (ten traces were 70% of a step in software WebGL): the halos, the selection ring,
#: the markers of every event type and the unknown-casualties marks are packed into the one
#: ``"incidents"`` trace (:func:`packed_marks`). ``"anchor"`` draws nothing: its layers hold the
#: names (a layout layer) above the markers (see :func:`below_of`).
MAP_TRACES = ("municipalities", "anchor", "incidents")
TRACE_INDEX = {name: index for index, name in enumerate(MAP_TRACES)}
EVENT_TRACES = tuple(EVENT_TYPES)
#: The marks of the incidents trace, bottom to top: the export draws them as layers of these names.
MARK_LAYERS = ("approximate", "selected", *EVENT_TRACES, "unknown_casualties")

#: Opens framed on North Kosovo; the southern incidents are one zoom step away.
DEFAULT_CENTER = {"lat": 42.86, "lon": 20.95}
DEFAULT_ZOOM = 8.2
#: Above this many visible incidents the map shows municipality totals instead of markers:
#: software WebGL and hover over more points stops being useful. Filtering or clicking a
#: municipality brings the individual incidents back.
POINT_LIMIT = 20_000
#: Up to this many, markers also carry hover text, halos and the unknown-casualties mark.
DETAIL_LIMIT = 2_000
#: Positions in ``layout.map.layers``: the country outline, the municipality names over the markers
#: (one under a marker cannot be read).
COUNTRY_LAYER, LABEL_LAYER = 0, 1
#: Each trace's ``uid`` (fixed, so its MapLibre layer ids are known: see :func:`below_of`).
TRACE_UID = {name: f"unrest-{index}" for index, name in enumerate(MAP_TRACES)}


def trace_layer(trace: str, kind: str = "fill") -> str:
    """MapLibre id of a trace's layer (Plotly adds ``fill``, ``line``, ``circle``, ``symbol``)."""
    return f"plotly-trace-layer-{TRACE_UID[trace]}-{kind}"


def below_of(trace: str, basemap: str) -> str | None:
    """The trace's ``below``. Plotly moves every map trace and layout layer that shares a ``below``
    with another one off the map and back on at each update (a new layout of all of them in
    MapLibre), so each gets its own: the MapLibre layer just above where it belongs, one that
    exists when Plotly adds it (traces in data order, choropleths first, then layout layers).

    The choropleth goes under the incidents (added first, it finds no incidents layer yet and
    goes on top of the style, which is the same place); on an online basemap it keeps Plotly's
    default (under the basemap's labels). The anchor goes on top, the incidents under it, the
    layout layers between the anchor's own (empty) layers.
    """
    if trace == "municipalities":
        return None if basemap in ONLINE_BASEMAPS else trace_layer("incidents")
    return "" if trace == "anchor" else trace_layer("anchor")


ONLINE_BASEMAPS = ("open-street-map", "carto-positron", "carto-darkmatter", "carto-voyager")


def date_labels(frame: pd.DataFrame) -> pd.Series:
    """'17 Mar 2008'; '17 Feb – 13 Mar 2008 (range)'; 'May 2008 (month)'."""
    precision = frame["date_precision"].astype(str).to_numpy()
    start = _formatted(frame["date_start"], "%-d %b %Y")
    labels = start.copy()
    ranged, monthly = precision == "range", precision == "month"
    if ranged.any():
        end = _formatted(frame["date_end"], "%-d %b %Y")
        labels[ranged] = start[ranged] + " – " + end[ranged] + " (range)"
    if monthly.any():
        labels[monthly] = _formatted(frame["date_start"], "%B %Y")[monthly] + " (month)"
    return pd.Series(labels, index=frame.index, dtype=object)


def _formatted(dates: pd.Series, pattern: str) -> np.ndarray:
    """``strftime`` on the distinct days only (a view holds few), spread back to every row."""
    codes, distinct = pd.factorize(dates)
    return np.asarray(pd.DatetimeIndex(distinct).strftime(pattern), dtype=object)[codes]


def casualties(frame: pd.DataFrame) -> pd.Series:
    """Dead plus injured; NA when both are unknown (unknown is not zero)."""
    return pd.Series(casualty_totals(frame), index=frame.index, dtype="Float64")


def casualty_totals(frame: pd.DataFrame) -> np.ndarray:
    """:func:`casualties` as a float array, NaN for unknown."""
    dead = frame["fatalities"].to_numpy(dtype=float, na_value=np.nan)
    injured = frame["injured"].to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(dead) & np.isnan(injured), np.nan, np.nan_to_num(dead) + np.nan_to_num(injured))


def hover_text(frame: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> np.ndarray:
    """'KOS-2008-14 · 17 Mar 2008 · UN courthouse in Mitrovica' (the place in ``lang``), escaped:
    data text shows as text."""
    places = place_names(frame, lang).tolist()
    parts = zip(frame["id"].tolist(), date_labels(frame).tolist(), places, strict=True)
    # Plain Python: only up to DETAIL_LIMIT rows get hover text, where pandas' per-call cost dominates.
    return np.array([html.escape(f"{i} · {d} · {p}") for i, d, p in parts], dtype=object)


def hover_template(title: str) -> str:
    return f"<b>{html.escape(title)}</b><br>%{{text}}<extra></extra>"


def typed_array(values: np.ndarray, dtype: str) -> dict:
    """A Plotly typed-array spec (base64): compact, and decoded by plotly.js without JSON lists."""
    numpy_type = {"f4": "<f4", "f8": "<f8", "u1": "u1", "u2": "<u2", "i4": "<i4"}[dtype]
    data = np.ascontiguousarray(values, dtype=numpy_type)
    return {"dtype": dtype, "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def _compact(value: object) -> object:
    """Numeric arrays as typed arrays (a dict of numpy arrays would become JSON lists)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return typed_array(value, "f4")  # float32: about a metre at these latitudes
    if isinstance(value, np.ndarray) and value.dtype == np.uint8:
        return typed_array(value, "u1")
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return value


def is_aggregated(visible: pd.DataFrame) -> bool:
    return len(visible) > POINT_LIMIT


MARKER_COLUMNS = (
    "id",
    "lat",
    "lon",
    "event_type",
    "date_start",
    "date_end",
    "date_precision",
    "place_name",
    "place_name_sq",
    "place_name_sr",
    "fatalities",
    "injured",
    "location_precision",
)


def trace_masks(visible: pd.DataFrame) -> dict[str, np.ndarray]:
    """Which visible incidents each marker trace draws, in drawing order (clicks are mapped back
    through this, so no per-point id travels to the browser)."""
    none = np.zeros(len(visible), dtype=bool)
    if is_aggregated(visible):
        return dict.fromkeys((*EVENT_TRACES, "unknown_casualties"), none)
    kinds = visible["event_type"]
    if isinstance(kinds.dtype, pd.CategoricalDtype):  # compare small codes, not strings
        codes = kinds.cat.codes.to_numpy()
        code_of = {str(c): i for i, c in enumerate(kinds.cat.categories)}
        masks = {t: codes == code_of[t] if t in code_of else none for t in EVENT_TRACES}
    else:
        masks = {t: (kinds == t).to_numpy(dtype=bool) for t in EVENT_TRACES}
    unknown = len(visible) <= DETAIL_LIMIT
    masks["unknown_casualties"] = (
        (visible["fatalities"].isna() & visible["injured"].isna()).to_numpy(dtype=bool) if unknown else none
    )
    return masks


def marker_sizes(visible: pd.DataFrame) -> np.ndarray:
    """Marker diameter per incident (uint8 pixels), from dead plus injured (unknown: smallest)."""
    return np.round(style.marker_sizes(np.nan_to_num(casualty_totals(visible)))).astype(np.uint8)


def halo_sizes(visible: pd.DataFrame) -> np.ndarray:
    """Approximate-location ring diameter per incident (uint8 pixels; 0: an exact place, no ring)."""
    sizes = visible["location_precision"].astype(str).map(style.HALO_SIZE).fillna(0)
    return sizes.to_numpy(dtype=np.uint8)


#: Incidents in one grid cell of this many degrees (about 500 m) count as one spot on the map.
SPOT_DEGREES = 0.005


def spot_keys(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The grid cell (:data:`SPOT_DEGREES`) of each point, as one integer."""
    return np.floor(lat / SPOT_DEGREES).astype(np.int64) * 1_000_003 + np.floor(lon / SPOT_DEGREES).astype(
        np.int64
    )


def co_located(visible: pd.DataFrame) -> dict[str, np.ndarray]:
    """One badge per spot holding two or more visible incidents: where (the spot's first incident)
    and how many, so a marker hiding others says so. Clicking there lists them all (details)."""
    lat = visible["lat"].to_numpy(np.float64)
    lon = visible["lon"].to_numpy(np.float64)
    if not len(visible):
        return {"lat": lat, "lon": lon, "count": np.zeros(0, dtype=np.int64)}
    _, first, counts = np.unique(spot_keys(lat, lon), return_index=True, return_counts=True)
    crowded = counts > 1
    return {"lat": lat[first[crowded]], "lon": lon[first[crowded]], "count": counts[crowded]}


def badges(visible: pd.DataFrame) -> dict[str, list]:
    """The count badges (:func:`co_located`): ``lon``, ``lat``, ``count``; only in the detailed
    view, like the other per-incident marks. A dark disc with the number, drawn over the map in
    HTML (``assets/unrest_map_labels.js``); a click goes through it to the incidents under it."""
    if len(visible) > DETAIL_LIMIT:
        visible = visible.iloc[:0]
    spots = co_located(visible)
    return {
        "lon": np.round(spots["lon"], 5).tolist(),
        "lat": np.round(spots["lat"], 5).tolist(),
        "count": spots["count"].tolist(),
    }


#: Names avoid the markers and badges of a dataset of at most this many incidents (the detailed view
#: only: above it the map may show municipality totals, and there are no badges).
COLLIDER_LIMIT = DETAIL_LIMIT
#: A count badge's width (``assets/style.css`` ``.map-badge``): style.BADGE_SIZE for one digit, then
#: 8 px of padding and about 7 px a digit.
BADGE_PADDING, BADGE_DIGIT = 8, 7


def name_collider(incidents: pd.DataFrame) -> dict[str, list]:
    """Where the municipality names must not go: ``lon``, ``lat`` and ``size`` (pixels, a square's
    side) of every incident's marker, and of the count badge at every incident of a spot that holds
    more than one. Sent once, with the whole map (``layout.meta.collider``), for the whole dataset,
    not the view: ``assets/unrest_map_labels.js`` lays it over the names as an invisible MapLibre
    layer that takes part in their collision (placed first, so the names give way to it), and a layer
    whose data changed on every slider step would be laid out again on every step (names jumping as
    the markers come and go). Empty above :data:`COLLIDER_LIMIT` incidents."""
    empty: dict[str, list] = {"lon": [], "lat": [], "size": []}
    if len(incidents) > COLLIDER_LIMIT or not len(incidents):
        return empty
    lon = incidents["lon"].to_numpy(np.float64)
    lat = incidents["lat"].to_numpy(np.float64)
    keep = np.isfinite(lon) & np.isfinite(lat)  # an incident with no place draws nothing
    lon, lat = lon[keep], lat[keep]
    size = marker_sizes(incidents).astype(np.float64)[keep]
    _, spot, counts = np.unique(spot_keys(lat, lon), return_inverse=True, return_counts=True)
    count = counts[spot]
    digits = np.floor(np.log10(count)) + 1
    badge = np.where(count > 1, np.maximum(style.BADGE_SIZE, BADGE_PADDING + BADGE_DIGIT * digits), 0)
    size = np.maximum(size, badge)
    # One square per place (the largest of the incidents drawn there).
    places = pd.DataFrame({"lon": np.round(lon, 5), "lat": np.round(lat, 5), "size": size})
    places = places.groupby(["lon", "lat"], sort=True, as_index=False)["size"].max()
    return {
        "lon": places["lon"].tolist(),
        "lat": places["lat"].tolist(),
        "size": places["size"].round(1).tolist(),
    }


def titled_hover_text(frame: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> np.ndarray:
    """:func:`hover_text` under the incident's event type in bold (every mark of an incident says it)."""
    titles = frame["event_type"].astype(str).map(lambda t: f"<b>{html.escape(t)}</b><br>").to_numpy(object)
    return titles + hover_text(frame, lang)


def marker_layers(
    dataset: Dataset,
    visible: pd.DataFrame,
    selected_id: str | None,
    lang: str = DEFAULT_LANGUAGE,
    hover: bool = True,
) -> dict[str, dict]:
    """What the map draws for the incidents, by layer (:data:`MARK_LAYERS`): ``lat``, ``lon``,
    ``marker`` (``size``, ``color``), ``text`` (hover, places in ``lang``) and ``ids``. The export
    draws these layers; the screen packs them into one trace (:func:`packed_marks`).

    Up to :data:`DETAIL_LIMIT` incidents get hover text, approximate-location halos and the
    unknown-casualties mark; above it only coordinates and sizes travel (about 12 bytes a point).
    ``hover=False``: no hover text (where only the points' order is wanted).
    """
    detailed = len(visible) <= DETAIL_LIMIT
    if is_aggregated(visible):  # no marker is drawn (municipality totals): nothing per row to compute
        visible = visible.iloc[:0]
    lat = visible["lat"].to_numpy(np.float32)
    lon = visible["lon"].to_numpy(np.float32)
    ids = visible["id"].to_numpy(object)
    sizes = marker_sizes(visible)
    texts = titled_hover_text(visible, lang) if detailed and hover else None

    def layer(mask: np.ndarray, size: Any, colour: str) -> dict:
        return {
            "lat": lat[mask],
            "lon": lon[mask],
            "marker": {"size": size, "color": colour},
            "text": None if texts is None else texts[mask],
            "ids": ids[mask],
        }

    updates: dict[str, dict] = {}
    # Halos only in the detailed view: a ring per point is noise at thousands of points.
    rings = halo_sizes(visible) if detailed else np.zeros(len(visible), dtype=np.uint8)
    updates["approximate"] = layer(rings > 0, rings[rings > 0], style.APPROXIMATE_HALO)
    # The selection ring only around an incident the view shows: the map, the count and the table
    # list the same incidents (the details panel still says a filtered-out selection is out of view).
    in_view = selected_id is not None and bool((ids == selected_id).any())
    chosen = incident_position(dataset.incidents, selected_id) if in_view else None
    picked = [] if chosen is None else [chosen]
    selected = dataset.incidents.iloc[picked]
    updates["selected"] = {
        "lat": selected["lat"].to_numpy(np.float32),
        "lon": selected["lon"].to_numpy(np.float32),
        "marker": {"size": style.SELECTED_SIZE, "color": style.SELECTED_FILL},
        "text": titled_hover_text(selected, lang) if detailed and hover else None,
        "ids": selected["id"].to_numpy(object),
    }
    masks = trace_masks(visible)
    for event_type in EVENT_TRACES:
        mask = masks[event_type]
        updates[event_type] = layer(mask, sizes[mask], style.EVENT_COLOURS[event_type])
    updates["unknown_casualties"] = layer(masks["unknown_casualties"], style.UNKNOWN_MARK_SIZE, "#ffffff")
    return {name: updates[name] for name in MARK_LAYERS}


def mark_colours() -> list[str]:
    """The colour of each of :data:`MARK_LAYERS` (markers with their opacity folded in)."""
    colours = {
        "approximate": style.APPROXIMATE_HALO,
        "selected": style.SELECTED_FILL,
        **{t: style.with_alpha(style.EVENT_COLOURS[t], style.MARKER_OPACITY) for t in EVENT_TRACES},
        "unknown_casualties": "#ffffff",
    }
    return [colours[name] for name in MARK_LAYERS]


def packed_marks(layers: dict[str, dict]) -> dict:
    """The incidents trace's data: every layer's points, bottom layer first (MapLibre draws a
    source's circles in order), each point's colour the index of its layer in a stepped scale."""
    order = [layers[name] for name in MARK_LAYERS]
    counts = [len(layer["lat"]) for layer in order]
    sizes = [
        np.broadcast_to(np.asarray(layer["marker"]["size"], np.uint8), (n,))
        for layer, n in zip(order, counts, strict=True)
    ]
    texts = [layer["text"] for layer in order]
    return {
        "lat": np.concatenate([np.asarray(layer["lat"], np.float32) for layer in order]),
        "lon": np.concatenate([np.asarray(layer["lon"], np.float32) for layer in order]),
        "marker": {
            "size": np.concatenate(sizes),
            "color": np.repeat(np.arange(len(order), dtype=np.uint8), counts),
        },
        "text": None if any(t is None for t in texts) else np.concatenate(texts),
    }


def point_ids(dataset: Dataset, visible: pd.DataFrame, selected_id: str | None) -> np.ndarray:
    """The incident id of each point of the incidents trace, in its order (a click on the map
    names a point by its index: no id travels to the browser)."""
    layers = marker_layers(dataset, visible, selected_id, hover=False)
    return np.concatenate([layers[name]["ids"] for name in MARK_LAYERS])


def municipality_shading(
    dataset: Dataset, visible: pd.DataFrame, shade_by_count: bool, largest: int | None = None
) -> dict:
    """Choropleth data: incident counts in discrete classes when shading is on (the HTML legend
    shows the scale, so no colour bar takes room from the map), else North Kosovo filled.

    North Kosovo keeps a heavier outline either way; ``customdata`` is each municipality's count.
    ``largest`` fixes the classes (an animation keeps one scale); by default the largest count.
    """
    municipalities = dataset.boundaries.municipalities if dataset.boundaries else None
    if municipalities is None:
        return {"z": []}
    # The hover always tells the real count in view, whatever the shading shows.
    counts = municipalities["name"].map(visible["municipality"].value_counts()).fillna(0).to_numpy(float)
    north = municipalities["north_kosovo"].to_numpy(dtype=bool)
    line = {
        "color": np.where(north, style.NORTH_OUTLINE, style.BOUNDARY_LINE).tolist(),
        "width": np.where(north, style.NORTH_WIDTH, style.BOUNDARY_WIDTH).tolist(),
    }
    if shade_by_count or is_aggregated(visible):
        classes = style.count_classes(int(counts.max(initial=0)) if largest is None else largest)
        colours = style.class_colours(len(classes))
        return {
            "z": style.count_class(counts, classes).astype(float),
            "zmin": -0.5,
            "zmax": len(classes) - 0.5,
            "colorscale": stepped_colorscale(colours),
            "showscale": False,
            "customdata": counts,
            "marker": {"opacity": 0.8, "line": line},
        }
    return {
        "z": north.astype(float),
        "zmin": 0,
        "zmax": 1,
        "colorscale": [[0, style.MUNICIPALITY_FILL], [1, style.NORTH_FILL]],
        "showscale": False,
        "customdata": counts,
        "marker": {"opacity": 0.9, "line": line},
    }


def stepped_colorscale(colours: list[str]) -> list[list]:
    """A Plotly colour scale with one flat band per colour (class ``i`` spans ``[i, i+1) / n``)."""
    n = len(colours)
    scale: list[list] = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _label_order(layer: pd.DataFrame) -> np.ndarray:
    """Placement priority of the municipality names: North Kosovo first (the four small
    municipalities where most incidents are), then by area, so where names must give way at a
    small scale the large ones stay."""
    area = shapely.area(layer.geometry.to_numpy())  # square degrees: enough to rank within one country
    north = layer["north_kosovo"].to_numpy(dtype=bool)
    return np.lexsort((-area, ~north))


#: A municipality is named once it is at least this share of its name's width across: a narrower
#: one's name stands mostly on its neighbours (North Mitrovica's read over Zubin Potok at the opening
#: view). Its average glyph width, in ems of the label size, estimates a name's width.
NAME_ROOM, GLYPH_EMS = 0.4, 0.6
#: MapLibre's world width in pixels at zoom 0 (512-pixel tiles): the scale a map zoom stands for
#: (the screen's names and the exports' framing alike).
WORLD_PX_AT_ZOOM_0 = 512


def name_min_zoom(width_degrees: float, text: str) -> float:
    """The zoom from which a municipality ``width_degrees`` across (longitude) has room for ``text``
    (:data:`NAME_ROOM`); the screen's names layer and the exports both apply it."""
    text_px = max(len(text), 1) * GLYPH_EMS * style.LABEL_SIZE
    return float(np.log2(NAME_ROOM * text_px * 360 / (WORLD_PX_AT_ZOOM_0 * max(width_degrees, 1e-9))))


def municipality_labels(dataset: Dataset, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Where each municipality's name stands and what it says in ``lang``: ``name`` (the layer's),
    ``text``, ``lon``, ``lat``, and ``min_zoom`` (:func:`name_min_zoom`), in placement priority (the
    screen map and the exports both read it).

    The position is the name table's ``label_lon``/``label_lat`` where given and inside the polygon
    (a spot clear of the built-in incidents), else the polygon's pole of inaccessibility: always in
    the municipality's own polygon, so that the name is not read as a neighbour's.
    """
    if dataset.boundaries is None:
        return pd.DataFrame({"name": [], "text": [], "lon": [], "lat": [], "min_zoom": []})
    layer = dataset.boundaries.municipalities
    shapes = layer.geometry.to_numpy()
    inner = [_inner_point(shape) for shape in shapes]
    table = read_municipality_names().reindex(layer["name"])
    given = shapely.points(table["label_lon"].to_numpy(dtype=float), table["label_lat"].to_numpy(dtype=float))
    use = table["label_lon"].notna().to_numpy() & shapely.contains(shapes, given)
    lon = np.where(use, table["label_lon"], [point.x for point in inner])
    lat = np.where(use, table["label_lat"], [point.y for point in inner])
    texts = municipality_names(layer["name"], lang)
    bounds = shapely.bounds(shapes)
    labels = pd.DataFrame(
        {
            "name": layer["name"].to_numpy(),
            "text": texts,
            "lon": lon.astype(float),
            "lat": lat.astype(float),
            # Rounded as the names layer's points carry it, so that the screen and an export agree.
            "min_zoom": [
                round(name_min_zoom(x1 - x0, t), 2) for (x0, _, x1, _), t in zip(bounds, texts, strict=True)
            ],
        }
    )
    return labels.iloc[_label_order(layer)].reset_index(drop=True)


def _inner_point(shape: Any) -> shapely.Point:
    """The point of ``shape`` (of its largest part) farthest from its edge: where a name has most
    room round it (a representative point can lie next to the boundary: North Mitrovica's is 100 m
    from it, on the town's markers)."""
    largest = max(getattr(shape, "geoms", [shape]), key=lambda part: part.area)
    return polylabel(largest, tolerance=0.001)  # degrees (about 100 m): a few milliseconds for 38 shapes


def hover_names(dataset: Dataset, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """The municipalities' hover names in ``lang`` (in the layer's order, escaped)."""
    if dataset.boundaries is None:
        return []
    return [html.escape(n) for n in municipality_names(dataset.boundaries.municipalities["name"], lang)]


#: Where the screen's names layer tries each name, in order (MapLibre's text-variable-anchor-offset:
#: the text's anchor, and its offset in ems): at its point, then beside it, then a little further,
#: clear of a marker or badge on the point (``assets/unrest_map_labels.js`` reads each point's own).
NEAR_EMS, FAR_EMS = 0.6, 1.5
NAME_ANCHORS: tuple[tuple[str, tuple[float, float]], ...] = (
    ("center", (0, 0)),
    ("top", (0, NEAR_EMS)),
    ("bottom", (0, -NEAR_EMS)),
    ("left", (NEAR_EMS, 0)),
    ("right", (-NEAR_EMS, 0)),
    ("top-left", (NEAR_EMS, NEAR_EMS)),
    ("top-right", (-NEAR_EMS, NEAR_EMS)),
    ("bottom-left", (NEAR_EMS, -NEAR_EMS)),
    ("bottom-right", (-NEAR_EMS, -NEAR_EMS)),
    ("top", (0, FAR_EMS)),
    ("bottom", (0, -FAR_EMS)),
    ("left", (FAR_EMS, 0)),
    ("right", (-FAR_EMS, 0)),
)
#: The zoom the anchors are checked at (at least): the whole country framed in a 1280x720 window or on
#: a phone is about 7.1.
ANCHOR_ZOOM = 7.0
#: A name's box is its characters at about this many ems each (Open Sans at the label size), one line
#: (1.2 ems) high; an anchor that puts more than this share of it outside the country is not tried.
ANCHOR_GLYPH_EMS, ANCHOR_OUTSIDE = 0.5, 0.5


def _mercator_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """MapLibre's pixel coordinates at ``zoom`` (Web Mercator, 512-pixel tiles; y grows southwards)."""
    scale = WORLD_PX_AT_ZOOM_0 * 2.0**zoom
    x = (np.asarray(lon, dtype=float) + 180) / 360 * scale
    phi = np.radians(np.asarray(lat, dtype=float))
    y = (1 - np.log(np.tan(phi) + 1 / np.cos(phi)) / np.pi) / 2 * scale
    return x, y


def name_anchors(country: Any, labels: pd.DataFrame) -> list[list]:
    """Per name of ``labels`` (:func:`municipality_labels`), the :data:`NAME_ANCHORS` it may take, as
    MapLibre reads them (``[anchor, [x, y], ...]``): those that keep it in ``country``, at the zoom
    it is first named at or :data:`ANCHOR_ZOOM`, whichever is larger. Its own point always stays. At
    the opening view of a 1280x720 window, Zubin Potok's name, pushed off its point by the markers
    round it, took the next free anchor, half beyond the border, as if naming a place in Serbia;
    now it waits for a zoom at which it has a place in the country."""
    every = [part for anchor, offset in NAME_ANCHORS for part in (anchor, list(offset))]
    if country is None:
        return [list(every) for _ in range(len(labels))]
    size = style.LABEL_SIZE
    height = 1.2 * size
    shapes: dict[float, Any] = {}  # the country in pixels, per zoom (most names are checked at one)
    boxes, countries = [], []
    for text, lon, lat, min_zoom in zip(
        labels["text"], labels["lon"], labels["lat"], labels["min_zoom"], strict=True
    ):
        zoom = max(float(min_zoom), ANCHOR_ZOOM)
        if zoom not in shapes:
            shapes[zoom] = shapely.transform(
                country, lambda xy, z=zoom: np.column_stack(_mercator_px(xy[:, 0], xy[:, 1], z))
            )
            shapely.prepare(shapes[zoom])
        x, y = _mercator_px(lon, lat, zoom)
        width = len(text) * ANCHOR_GLYPH_EMS * size
        for anchor, (dx, dy) in NAME_ANCHORS:
            # The box's centre: the anchor names the side of the text at the point, the offset moves it.
            cx = x + dx * size + (width / 2 if "left" in anchor else -width / 2 if "right" in anchor else 0)
            cy = y + dy * size + (height / 2 if "top" in anchor else -height / 2 if "bottom" in anchor else 0)
            boxes.append(shapely.box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2))
            countries.append(shapes[zoom])
    # Every box at once; the share outside measured only for those not wholly inside (most are).
    box_array, country_array = np.array(boxes, dtype=object), np.array(countries, dtype=object)
    outside = np.zeros(len(boxes))
    cut = ~shapely.contains(country_array, box_array)
    outside[cut] = shapely.area(shapely.difference(box_array[cut], country_array[cut]))
    keep = (outside <= ANCHOR_OUTSIDE * shapely.area(box_array)).reshape(len(labels), len(NAME_ANCHORS))
    keep[:, 0] = True  # its own point always stays
    return [
        [
            part
            for (anchor, offset), kept in zip(NAME_ANCHORS, row, strict=True)
            if kept
            for part in (anchor, list(offset))
        ]
        for row in keep
    ]


def label_points(dataset: Dataset, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The municipality names in ``lang`` as a GeoJSON FeatureCollection of points (properties
    ``label``, ``min_zoom`` and ``anchors``, which the names layer reads: :func:`name_anchors`), in
    placement priority: MapLibre places earlier features first."""
    labels = municipality_labels(dataset, lang)
    country = None
    if dataset.boundaries is not None and len(dataset.boundaries.country):
        country = shapely.union_all(dataset.boundaries.country.geometry.to_numpy())
    anchors = name_anchors(country, labels)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"label": text, "min_zoom": min_zoom, "anchors": kept},
                "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
            }
            for text, lon, lat, min_zoom, kept in zip(
                labels["text"], labels["lon"], labels["lat"], labels["min_zoom"], anchors, strict=True
            )
        ],
    }


def label_layer(dataset: Dataset, lang: str = DEFAULT_LANGUAGE, name_points: dict | None = None) -> dict:
    """The municipality names: a symbol layer over the markers (``name_points``: :func:`label_points`
    of ``lang`` when already derived). ``assets/unrest_map_labels.js`` adds the halo and the
    fallback anchors."""
    return {
        "sourcetype": "geojson",
        "source": label_points(dataset, lang) if name_points is None else name_points,
        "type": "symbol",
        "below": trace_layer("anchor", "line"),  # over the incidents (see below_of)
        "symbol": {
            "text": "{label}",  # MapLibre token: each point's own name
            "icon": "",
            "placement": "point",
            "textposition": "middle center",
            "textfont": {"size": style.LABEL_SIZE, "color": style.LABEL_COLOUR},
        },
    }


def _base_style(basemap: str, glyphs: str) -> Any:
    """An online basemap by name, else a style that asks no other host (background, local glyphs)."""
    if basemap in ONLINE_BASEMAPS:
        return basemap
    return offline.offline_style(style.BACKGROUND, glyphs)


def map_layers(dataset: Dataset, lang: str, name_points: dict | None = None) -> list[dict]:
    """``layout.map.layers``: the country outline and the names (:data:`COUNTRY_LAYER`,
    :data:`LABEL_LAYER`); none without boundaries."""
    if dataset.boundaries is None:
        return []
    country = json.loads(dataset.boundaries.country.to_json())
    return [
        {
            "sourcetype": "geojson",
            "source": country,
            "type": "line",
            "color": style.COUNTRY_LINE,
            "line": {"width": style.COUNTRY_WIDTH},
            "below": "traces",
            "sourceattribution": dataset.boundaries.attribution,
        },
        label_layer(dataset, lang, name_points),
    ]


def map_figure(
    dataset: Dataset,
    visible: pd.DataFrame,
    selected_id: str | None = None,
    shade_by_count: bool = False,
    basemap: str = "none",
    center: dict | None = None,
    zoom: float | None = None,
    glyphs: str = offline.PAGE_GLYPHS,
    lang: str = DEFAULT_LANGUAGE,
    name_points: dict | None = None,
) -> go.Figure:
    """The whole map figure (first load and exports); place and municipality names in ``lang``.

    ``glyphs`` is the label glyph URL of the offline style (see :mod:`dashboard.offline`):
    relative to the dashboard page by default; exports pass a ``file://`` one. ``name_points``:
    :func:`label_points` of ``lang`` when already derived (the view context has them).
    """
    fig = go.Figure()
    municipalities = dataset.boundaries.municipalities if dataset.boundaries is not None else None
    if municipalities is not None:
        geojson = json.loads(municipalities[["name", "geometry"]].to_json())
    else:
        geojson = {"type": "FeatureCollection", "features": []}
    colours = mark_colours()
    traces = {
        "municipalities": go.Choroplethmap(
            name="Municipalities",
            geojson=geojson,
            featureidkey="properties.name",
            locations=[] if municipalities is None else municipalities["name"].tolist(),
            text=hover_names(dataset, lang),
            hovertemplate="<b>%{text}</b><br>Incidents in view: %{customdata}<extra></extra>",
            marker={"line": {"color": style.BOUNDARY_LINE, "width": style.BOUNDARY_WIDTH}},
            colorbar={"title": {"text": "Incidents"}, "thickness": 12, "len": 0.5, "x": 0.99},
            showlegend=False,
        ),
        # One invisible point: Plotly drops a trace without points and puts its layers where
        # it likes, which gave it the municipalities' `below`, and two traces sharing one are
        # taken off the map and put back on every update (the polygons laid out again each step).
        "anchor": go.Scattermap(
            name="Anchor",
            mode="markers",
            lat=[DEFAULT_CENTER["lat"]],
            lon=[DEFAULT_CENTER["lon"]],
            marker={"size": 1, "opacity": 0},
            hoverinfo="skip",
            showlegend=False,
        ),
        "incidents": go.Scattermap(
            name="Incidents",
            mode="markers",
            # Every mark of an incident (its halo, ring and centre too) names it on hover.
            hovertemplate="%{text}<extra></extra>",
            marker={
                "colorscale": stepped_colorscale(colours),
                "cmin": -0.5,
                "cmax": len(colours) - 0.5,
                "showscale": False,
            },
            showlegend=False,
        ),
    }
    for name in MAP_TRACES:
        fig.add_trace(traces[name].update(uid=TRACE_UID[name], below=below_of(name, basemap)))
    apply_dynamic(fig, dataset, visible, selected_id, shade_by_count, lang)
    fig.update_layout(
        map={
            "style": _base_style(basemap, glyphs),
            "center": center or DEFAULT_CENTER,
            "zoom": DEFAULT_ZOOM if zoom is None else zoom,
            "layers": map_layers(dataset, lang, name_points),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=style.BACKGROUND,
        # The legend is HTML beside the map (dashboard/legend.py): on the map it hid incidents.
        showlegend=False,
        legend={
            "x": 0.01,
            "y": 0.01,
            "yanchor": "bottom",
            # Not white: the unknown-casualties entry is a white dot and must show against it.
            "bgcolor": "rgba(228,225,216,0.92)",
            "font": {"size": 11},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        clickmode="event",
        hovermode="closest",
        hoverlabel={"bgcolor": "white", "font": {"size": 12}},
        # Keep the user's pan and zoom when a patch arrives.
        uirevision="map",
        meta={"badges": badges(visible), "collider": name_collider(dataset.incidents)},
    )
    return fig


def apply_dynamic(
    fig: go.Figure,
    dataset: Dataset,
    visible: pd.DataFrame,
    selected_id: str | None,
    shade_by_count: bool,
    lang: str = DEFAULT_LANGUAGE,
) -> None:
    marks = packed_marks(marker_layers(dataset, visible, selected_id, lang))
    fig.data[TRACE_INDEX["incidents"]].update(marks)
    fig.data[TRACE_INDEX["municipalities"]].update(municipality_shading(dataset, visible, shade_by_count))


def map_patch(
    dataset: Dataset,
    visible: pd.DataFrame,
    selected_id: str | None,
    shade_by_count: bool,
    lang: str = DEFAULT_LANGUAGE,
    names: bool = False,
    name_points: dict | None = None,
) -> Patch:
    """Only what a slider step or filter change alters: marker data and the shading; with ``names``
    also the municipality names in ``lang`` (the first figure has them in English): ``name_points``,
    :func:`label_points` of ``lang`` when already derived."""
    from dash import Patch

    patch = Patch()
    if names and dataset.boundaries is not None:
        patch["data"][TRACE_INDEX["municipalities"]]["text"] = hover_names(dataset, lang)
        points = label_points(dataset, lang) if name_points is None else name_points
        patch["layout"]["map"]["layers"][LABEL_LAYER]["source"] = points
    marks = packed_marks(marker_layers(dataset, visible, selected_id, lang))
    incidents = patch["data"][TRACE_INDEX["incidents"]]
    incidents["lat"], incidents["lon"], incidents["text"] = (
        _compact(marks[k]) for k in ("lat", "lon", "text")
    )
    incidents["marker"]["size"] = _compact(marks["marker"]["size"])
    incidents["marker"]["color"] = _compact(marks["marker"]["color"])
    for key, value in municipality_shading(dataset, visible, shade_by_count).items():
        patch["data"][TRACE_INDEX["municipalities"]][key] = _compact(value)
    patch["layout"]["meta"]["badges"] = badges(visible)
    return patch


#: The columns :func:`daily_counts` reads.
TIMELINE_COLUMNS = ("date_start", "date_end", "date_precision", "event_type")


def daily_counts(frame: pd.DataFrame, days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Incidents per day by event type; a range or month incident is spread over its days."""
    day_precise = (frame["date_precision"] == "day").to_numpy(dtype=bool)
    first = np.datetime64(days[0].date(), "D")
    start = day_numbers(frame["date_start"], first)
    end = day_numbers(frame["date_end"], first)
    event_type = frame["event_type"]
    if isinstance(event_type.dtype, pd.CategoricalDtype):  # recode the categories, not every row
        kind = event_type.cat.set_categories(list(EVENT_TRACES)).cat.codes.to_numpy()
    else:
        kind = pd.Categorical(event_type.astype(str), categories=EVENT_TRACES).codes
    inside = day_precise & (kind >= 0) & (start >= 0) & (start < len(days))
    per_day = np.bincount(
        kind[inside].astype(np.int64) * len(days) + start[inside], minlength=len(EVENT_TRACES) * len(days)
    )
    per_day = per_day.reshape(len(EVENT_TRACES), len(days)).astype(float)
    counts = {event_type: per_day[i] for i, event_type in enumerate(EVENT_TRACES)}
    # A ranged incident adds 1/len to each of its days: a difference array, no Python loop.
    ranged = ~day_precise
    low = np.clip(start[ranged], 0, len(days))
    high = np.clip(end[ranged] + 1, 0, len(days))
    keep = high > low
    weight = 1.0 / np.maximum(end[ranged][keep] - start[ranged][keep] + 1, 1)
    difference = np.zeros(len(days) + 1)
    np.add.at(difference, low[keep], weight)
    np.add.at(difference, high[keep], -weight)
    counts["spread"] = np.cumsum(difference)[:-1]
    return counts


def day_numbers(dates: pd.Series, first: np.datetime64) -> np.ndarray:
    """Whole days since ``first`` (numpy's day unit floors, as normalising would)."""
    return (dates.to_numpy().astype("datetime64[D]") - first).astype(np.int64)


#: At most this many steps across the timeline: about one per pixel of a wide screen's
#: timeline, however long the period (longer periods are summed into bins of several days).
TIMELINE_BINS = 720


def timeline_bins(days: pd.DatetimeIndex) -> tuple[int, pd.DatetimeIndex]:
    """Days per bin and each bin's first day, plus the day after the last bin (where its step ends)."""
    width = max(1, -(-len(days) // TIMELINE_BINS))
    starts = days[::width]
    return width, starts.append(pd.DatetimeIndex([days[-1] + pd.Timedelta(days=1)]))


def binned_counts(frame: pd.DataFrame, days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """:func:`daily_counts` summed into :func:`timeline_bins` bins, the last value repeated for the
    end of the last step (float32: what the chart needs, half the bytes)."""
    return bin_daily(daily_counts(frame, days), days)


def bin_daily(daily: dict[str, np.ndarray], days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """:func:`daily_counts`' output summed into :func:`timeline_bins` bins (see :func:`binned_counts`)."""
    width, _ = timeline_bins(days)
    counts = {}
    for key, per_day in daily.items():
        padded = np.zeros(-(-len(per_day) // width) * width)
        padded[: len(per_day)] = per_day
        sums = padded.reshape(-1, width).sum(axis=1)
        counts[key] = np.append(sums, sums[-1:]).astype(np.float32)
    return counts


def timeline_figure(
    frame: pd.DataFrame,
    days: pd.DatetimeIndex,
    counts: dict[str, np.ndarray] | None = None,
) -> go.Figure:
    """Incidents over time as stacked areas by event type.

    Areas, not bars: one SVG path per event type whatever the length of the period (bars
    drew one path per day and type, 20,000 at eight years, redrawn on every filter change).
    Long periods are summed into bins of a few days (:data:`TIMELINE_BINS`). ``counts``: the
    frame's :func:`binned_counts`, when already at hand. The background is transparent: the
    selected window is shaded by a box behind the plot (:func:`dashboard.timeaxis.window_style`).
    """
    fig = go.Figure()
    width, starts = timeline_bins(days)
    counts = binned_counts(frame, days) if counts is None else counts
    per = "day" if width == 1 else f"{width} days from"
    colours = {**style.EVENT_COLOURS, "spread": "#bdb8ab"}
    names = {**{t: t for t in EVENT_TRACES}, "spread": "Date range or month (spread over its days)"}
    for key in [*EVENT_TRACES, "spread"]:
        label = "(spread)" if key == "spread" else key
        fig.add_trace(
            go.Scatter(
                # Evenly spaced: a first day and a step (ms) instead of a date per point and trace.
                x0=starts[0],
                dx=width * 86_400_000,
                y=counts[key],
                name=names[key],
                mode="lines",
                line={"width": 0, "shape": "hv", "color": colours[key]},
                fillcolor=colours[key],
                stackgroup="events",
                hovertemplate=f"{per} %{{x|%d %b %Y}}: %{{y:.4~g}} {label}<extra></extra>",
            )
        )
    fig.update_layout(
        height=150,
        margin={"l": 30, "r": 10, "t": 6, "b": 24},
        showlegend=False,
        dragmode="select",
        selectdirection="h",
        hovermode="closest",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={
            "type": "date",
            # Whole days (the page shares the slider's span instead: timeaxis.share_time_axis).
            "range": [days[0], days[-1] + pd.Timedelta(days=1)],
            "fixedrange": True,
            "showgrid": False,  # white day lines would cross the window box behind the plot
        },
        yaxis={"fixedrange": True, "gridcolor": "#eee", "rangemode": "tozero", **count_axis(counts)},
    )
    return fig


#: Below this many incidents at the timeline's highest step, its axis is ticked by whole incidents.
FEW_INCIDENTS = 5


def count_axis(counts: dict[str, np.ndarray]) -> dict:
    """The count axis: automatic, but never under one incident, and ticked by whole incidents while
    the highest step holds few (Plotly put 0, 0.5 and 1 on an axis of one or two). An incident
    known only to a range is spread over its days (0.002 a day over a year and a half): alone, it
    would put ticks like 0.001 and 0.002 on an axis of incidents."""
    stacked = np.sum([values for values in counts.values()], axis=0) if counts else np.zeros(1)
    highest = float(np.max(stacked, initial=0))
    if highest < 1:
        return {"autorange": False, "range": [0, 1], "dtick": 1}
    return {"autorange": True, "range": None, "dtick": 1 if highest < FEW_INCIDENTS else None}


def timeline_patch(
    frame: pd.DataFrame | None,
    days: pd.DatetimeIndex,
    counts: dict[str, np.ndarray] | None = None,
) -> Patch:
    """The timeline's areas for ``frame`` (or its :func:`binned_counts` ``counts``)."""
    from dash import Patch

    patch = Patch()
    counts = binned_counts(frame, days) if counts is None else counts
    for index, key in enumerate([*EVENT_TRACES, "spread"]):
        patch["data"][index]["y"] = typed_array(counts[key], "f4")
    for key, value in count_axis(counts).items():
        patch["layout"]["yaxis"][key] = value
    return patch
