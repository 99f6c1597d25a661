"""The map's legend, view summary and empty state: HTML beside the map, never drawn on it.

On the map a legend covered incidents and the attribution covered the legend; in HTML it can
list every event type (greyed when the view has none of them), toggle the type filter, draw
the marker symbols at a readable size and carry the attribution. The pure builders here are
called once by the layout and again with every view update (``view.view_outputs``); its two
buttons' callbacks are wired in ``callbacks.py``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from dash import ALL, html

from dashboard import style
from geodata.dataset import Dataset
from geodata.filters import ViewFilter
from geodata.schema import EVENT_TYPES


def type_id(event_type: str) -> dict:
    return {"type": "legend-type", "id": event_type}


def type_button_class(count: int, chosen: list[str], event_type: str) -> str:
    """'legend-type', plus 'is-zero' (none in view) and 'is-off' (left out by the type filter)."""
    classes = ["legend-type"]
    if count == 0:
        classes.append("is-zero")
    if chosen and event_type not in chosen:
        classes.append("is-off")
    return " ".join(classes)


def type_buttons(counts: dict[str, int], chosen: list[str]) -> list[html.Button]:
    """One toggle per event type, always all six: the type filter in legend form."""
    return [
        html.Button(
            [
                html.Span(className="swatch dot", style={"background": style.EVENT_COLOURS[event_type]}),
                html.Span(event_type, className="legend-name"),
                html.Span(f"{counts.get(event_type, 0):,}", id={"type": "legend-count", "id": event_type}),
            ],
            id=type_id(event_type),
            className=type_button_class(counts.get(event_type, 0), chosen, event_type),
            title=f"Show or hide {event_type} (the event type filter)",
            **{"aria-pressed": "true" if event_type in chosen else "false"},
        )
        for event_type in EVENT_TYPES
    ]


def _dot(diameter: float, colour: str, extra: str = "") -> html.Span:
    size = f"{diameter:.0f}px"
    return html.Span(
        className=f"swatch dot {extra}".strip(),
        style={"width": size, "height": size, "background": colour},
    )


def symbol_items() -> list[html.Span]:
    """Marker sizes, the unknown-casualties mark and the approximate-location ring, as drawn."""
    sizes = [
        html.Span([_dot(style.marker_size(n), style.OTHER_COLOUR), label], className="legend-size")
        for n, label in style.SIZE_EXAMPLES
    ]
    return [
        html.Span([f"{style.SIZE_MEANING}: ", *sizes], className="legend-item"),
        html.Span(
            [
                html.Span(html.Span(className="unknown-centre"), className="swatch dot unknown-mark"),
                "Casualties unknown",
            ],
            className="legend-item",
        ),
        html.Span(
            [_dot(22, style.APPROXIMATE_HALO, "ring"), "Approximate location (town or region)"],
            className="legend-item",
        ),
    ]


def fill_items(shade: bool, largest: int, has_north: bool) -> list[html.Span]:
    """What the municipality fill means: North Kosovo, or the discrete count scale when shading."""
    north = html.Span(
        [
            html.Span(
                className="swatch area",
                style={
                    "background": "transparent" if shade else style.NORTH_FILL,
                    "borderColor": style.NORTH_OUTLINE,
                },
            ),
            "North Kosovo (4 Serb-majority municipalities)",
        ],
        className="legend-item",
    )
    if not shade:
        return [north] if has_north else []
    scale = html.Span(
        [
            html.Span("Incidents per municipality: ", className="legend-label"),
            # One group: where the heading leaves no room for them all, they go under it together.
            html.Span(
                [
                    html.Span(
                        [html.Span(className="swatch area", style={"background": colour}), label],
                        className="legend-class",
                    )
                    for label, colour in style.shading_legend(largest)
                ],
                className="legend-classes",
            ),
        ],
        className="legend-item legend-scale",
    )
    return [scale, north] if has_north else [scale]


def legend_panel(dataset: Dataset, counts: dict[str, int]) -> html.Div:
    """The legend block under the map (first load: every incident in view, no filter)."""
    return html.Div(
        [
            html.Div(
                [html.Span("Event type", className="legend-label"), *type_buttons(counts, [])],
                className="legend-row legend-types",
                role="group",
                **{"aria-label": "Event types: press to filter"},
            ),
            html.Div(
                [*symbol_items(), html.Span(fill_items(False, 0, has_north(dataset)), id="legend-fill")],
                className="legend-row legend-symbols",
            ),
            html.P(
                [
                    "Map: ",
                    dataset.boundaries.attribution if dataset.boundaries is not None else "no boundary layer",
                ],
                className="map-attribution",
            ),
        ],
        id="map-legend",
        className="map-legend",
    )


def has_north(dataset: Dataset) -> bool:
    return dataset.boundaries is not None and bool(dataset.boundaries.municipalities["north_kosovo"].any())


def type_counts(visible: pd.DataFrame) -> dict[str, int]:
    kinds = visible["event_type"]
    if isinstance(kinds.dtype, pd.CategoricalDtype):  # a count per code, no text per row
        codes = kinds.cat.codes.to_numpy()
        per_code = np.bincount(codes[codes >= 0], minlength=len(kinds.cat.categories))
        counts = dict(zip(map(str, kinds.cat.categories), per_code.tolist(), strict=True))
    else:
        counts = kinds.astype(str).value_counts().to_dict()
    return {t: int(counts.get(t, 0)) for t in EVENT_TYPES}


def view_summary(visible: pd.DataFrame, window: tuple[date, date] | None = None, north: bool = True) -> str:
    """'25 incidents, 17 Feb – 28 Jun 2008, 14 in North Kosovo': the view in one sentence.

    The period is the date window shown when given (what Play and the slider set), else the
    span of the incidents in view. ``north``: the boundary layer has North Kosovo (:func:`has_north`);
    without it no incident is known to be there, and the sentence does not count them.
    """
    n = len(visible)
    if n == 0:
        return "No incidents match the filters."
    if window is not None:
        first, last = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    else:
        first, last = visible["date_start"].min(), visible["date_end"].max()
    span = (
        f"{first:%-d %b} – {last:%-d %b %Y}"
        if first.year == last.year
        else f"{first:%-d %b %Y} – {last:%-d %b %Y}"
    )
    if first.normalize() == last.normalize():
        span = f"{first:%-d %b %Y}"
    text = f"{n:,} incident{'s' if n != 1 else ''}, {span}"
    if not north:
        return text
    count = int(visible["north_kosovo"].fillna(False).astype(bool).sum()) if "north_kosovo" in visible else 0
    return f"{text}, {count:,} in North Kosovo"


def active_filters(view: ViewFilter, labels: dict[str, str], first: date, last: date) -> list[str]:
    """The filters a view sets, in words (for the empty state)."""
    words = []
    if view.start or view.end:
        words.append(f"Dates: {view.start or first:%-d %b %Y} – {view.end or last:%-d %b %Y}")
    for title, values in (
        ("Event type", view.event_types),
        ("Side / actor", view.sides),
        ("Municipality", tuple(labels.get(m, m) for m in view.municipalities)),
        ("Place kind", view.place_kinds),
    ):
        if values:
            words.append(f"{title}: {', '.join(values)}")
    if view.casualties_only:
        words.append("Only incidents with dead or injured")
    if view.text:
        words.append(f"Description contains “{view.text}”")
    return words


def empty_state() -> html.Div:
    """Shown over the map when no incident fits: which filters are set, and a way out."""
    return html.Div(
        html.Div(
            [
                html.H2("No incidents match"),
                html.P("No incident fits all of these filters:"),
                html.Ul(id="empty-filters"),
                html.Button("Clear filters", id="empty-clear", className="primary"),
            ],
            className="empty-card",
        ),
        id="empty-state",
        className="empty-state hidden",
        role="status",
    )


#: What the legend part of a view update sets, after ``view.VIEW_OUTPUTS`` (one callback sends
#: both, from one filtered frame: the legend counts what the map draws, drawn area included).
LEGEND_OUTPUTS = (
    ({"type": "legend-count", "id": ALL}, "children"),
    ({"type": "legend-type", "id": ALL}, "className"),
    ({"type": "legend-type", "id": ALL}, "aria-pressed"),
    ("legend-fill", "children"),
    ("view-summary", "children"),
    ("empty-filters", "children"),
    ("empty-state", "className"),
)


def legend_outputs(
    dataset: Dataset,
    view: ViewFilter,
    visible: pd.DataFrame,
    shade: bool,
    labels: dict[str, str],
    days: pd.DatetimeIndex,
    area: bool = False,
) -> tuple:
    """The legend, the view sentence and the empty state for the incidents in view (pure), in
    :data:`LEGEND_OUTPUTS` order. ``area``: a drawn map area narrows the view too."""
    counts = type_counts(visible)
    chosen = list(view.event_types)
    largest = 0
    if shade and len(visible):
        # Empty without a boundary layer (no incident has a municipality): nothing to shade.
        per_municipality = visible["municipality"].value_counts()
        largest = int(per_municipality.max()) if len(per_municipality) else 0
    empty = len(visible) == 0
    first, last = days[0].date(), days[-1].date()
    filters = active_filters(view, labels, first, last) + (
        ["Map area: inside the drawn shape"] if area else []
    )
    return (
        [f"{counts[t]:,}" for t in EVENT_TYPES],
        [type_button_class(counts[t], chosen, t) for t in EVENT_TYPES],
        ["true" if t in chosen else "false" for t in EVENT_TYPES],
        fill_items(bool(shade), largest, has_north(dataset)),
        view_summary(visible, (view.start or first, view.end or last), has_north(dataset)),
        [html.Li(w) for w in filters] if empty else [],
        "empty-state" if empty else "empty-state hidden",
    )
