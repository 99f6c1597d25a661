"""Scrubbing in the browser: the points a drag of the date slider can show, sent once.

While a slider handle is dragged, the window changes many times a second. When the
incidents under the other filters are few enough (:data:`CLIENT_LIMIT`), the server sends
them once, with each one's day range, marker trace, position and size, and a clientside
callback (``assets/unrest_map.js``, ``scrub``) redraws the markers, the count, the date
label, the view sentence and the histogram's window for every drag step with no server round trip. When
the handle is released the slider's value changes and the server answers as for any
other change (table, facet counts, details, URL), so the browser's drawing is only ever
a preview of what the server then confirms. Above the limit there is nothing in the
browser and each drag step goes to the server, as before.

The arrays are the ones :func:`dashboard.figures.marker_layers` draws from (same layer
for each incident, same sizes and rings), packed as :func:`~dashboard.figures.packed_marks`
packs them, so the preview and the server's map agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import figures, style
from dashboard.legend import has_north
from geodata.dataset import Dataset
from geodata.names import DEFAULT_LANGUAGE

#: At most this many incidents (under the filters other than dates) are sent to the browser:
#: the same bound as the marker view, about 18 bytes each (360 kB at the limit).
CLIENT_LIMIT = figures.POINT_LIMIT
NO_MUNICIPALITY = 65535


def scrub_points(
    dataset: Dataset, frame: pd.DataFrame, days: pd.DatetimeIndex, lang: str = DEFAULT_LANGUAGE
) -> dict | None:
    """The browser's copy of ``frame`` (incidents under every filter but the dates), or None
    when it holds more than :data:`CLIENT_LIMIT` incidents; hover text names places in ``lang``."""
    if len(frame) > CLIENT_LIMIT:
        return None
    first = np.datetime64(days[0].date(), "D")
    traces = figures.trace_masks(frame)
    trace = np.full(len(frame), 255, dtype=np.uint8)
    for index, name in enumerate(figures.EVENT_TRACES):
        trace[traces[name]] = index
    unknown = np.isnan(figures.casualty_totals(frame)).astype(np.uint8)
    return {
        "count": len(frame),
        "total": len(dataset.incidents),
        "first_day": str(days[0].date()),
        "day_count": len(days),
        "trace_index": figures.TRACE_INDEX,
        "mark_layers": list(figures.MARK_LAYERS),
        "event_traces": list(figures.EVENT_TRACES),
        "unknown_size": style.UNKNOWN_MARK_SIZE,
        "detail_limit": figures.DETAIL_LIMIT,
        "spot_degrees": figures.SPOT_DEGREES,
        "day_start": figures.typed_array(figures.day_numbers(frame["date_start"], first), "i4"),
        "day_end": figures.typed_array(figures.day_numbers(frame["date_end"], first), "i4"),
        "trace": figures.typed_array(trace, "u1"),
        "lat": figures.typed_array(frame["lat"].to_numpy(np.float32), "f4"),
        "lon": figures.typed_array(frame["lon"].to_numpy(np.float32), "f4"),
        "size": figures.typed_array(figures.marker_sizes(frame), "u1"),
        "halo": figures.typed_array(figures.halo_sizes(frame), "u1"),
        "unknown": figures.typed_array(unknown, "u1"),
        "municipality": figures.typed_array(_municipality_index(dataset, frame), "u2"),
        # For the view sentence the preview writes with the label and the count (legend.view_summary).
        "north": figures.typed_array(
            frame["north_kosovo"].fillna(False).to_numpy(bool).astype(np.uint8), "u1"
        ),
        "has_north": has_north(dataset),
        # Hover text only where the detailed view could show it; otherwise it comes on release.
        "text": figures.titled_hover_text(frame, lang).tolist()
        if len(frame) <= figures.DETAIL_LIMIT
        else None,
    }


def _municipality_index(dataset: Dataset, frame: pd.DataFrame) -> np.ndarray:
    """Each incident's position in the choropleth's municipality order (for shading by count)."""
    if dataset.boundaries is None:
        return np.full(len(frame), NO_MUNICIPALITY, dtype=np.uint16)
    order = pd.Index(dataset.boundaries.municipalities["name"])
    positions = order.get_indexer(frame["municipality"].astype(object))
    return np.where(positions < 0, NO_MUNICIPALITY, positions).astype(np.uint16)
