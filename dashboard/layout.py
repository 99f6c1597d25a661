"""The page: controls, map, timeline, details, table and attribution, for one dataset.

Pure: builds components from the dataset; no callbacks here (``callbacks.py``).
"""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dash_table, dcc, html

from dashboard import figures, timeaxis
from dashboard.details import dataset_summary
from dashboard.downloads import download_controls
from dashboard.export_panel import export_panel
from dashboard.legend import empty_state, has_north, legend_panel, type_counts, view_summary
from dashboard.view import (
    TABLE_PAGE_SIZE,
    ViewContext,
    home_bounds,
    opening_view,
    view_context,
)
from geodata.dataset import Dataset
from geodata.names import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES

#: Play speeds in days per second: one step is one day (the same table is in unrest_map.js).
SPEEDS = {"Slow": 1, "Normal": 3, "Fast": 6}


def speed_options() -> list[dict]:
    """The play speeds, each labelled with its rate ("Normal · 3 days/s")."""
    return [
        {"label": f"{name} · {rate} day{'s' if rate > 1 else ''}/s", "value": name}
        for name, rate in SPEEDS.items()
    ]


#: Days in the moving window Play starts with from the full period.
PLAY_WINDOW_DAYS = 7


def language_switch() -> html.Div:
    """English / Shqip / Srpski: the language of place and municipality names (the interface
    text stays English). Its value travels with the view (view.py, the URL's ``lang``)."""
    return html.Div(
        [
            html.Span("Place names", id="lang-switch-label", className="lang-label"),
            dcc.RadioItems(
                id="lang-switch",
                options=[{"label": LANGUAGE_NAMES[lang], "value": lang} for lang in LANGUAGES],
                value=DEFAULT_LANGUAGE,
                inline=True,
                className="lang-switch",
            ),
        ],
        className="lang-field",
    )


def filter_section(heading: html.H3, control) -> html.Div:
    """A filter's heading and control, hidden when the dataset offers nothing to choose: an upload
    without actor columns names no side, a dataset without a boundary layer no municipality. The
    choices are the dataset's (a view's filters change only their counts), so this holds for the page.
    The control stays in the page: the view update reads its value."""
    return html.Div([heading, control], className="filter-section", hidden=not control.options)


def build_layout(dataset: Dataset, basemap: str, context: ViewContext | None = None) -> html.Div:
    """The page; ``context``: the dataset's :func:`~dashboard.view.view_context`, when already at hand."""
    context = view_context(dataset) if context is None else context
    days = context.days
    # The page opens on the unfiltered view, built here: a plain first load needs no callback.
    opening = opening_view(context)
    marks = timeaxis.slider_marks(days)  # one time axis: the histogram labels it, slider ticks under it
    everything = dataset.incidents
    # The names' points, derived once per dataset with the view context (figures.label_points).
    points = context.name_points[DEFAULT_LANGUAGE] if context.name_points else None
    map_fig = figures.map_figure(dataset, everything, basemap=basemap, name_points=points)
    # As an update tags it: Play steps on once the map has drawn this window (unrest_map.js).
    map_fig.update_layout(
        meta={**map_fig.layout.meta, "window": [0, len(days) - 1]}, selectionrevision="none"
    )
    counts = context.timeline.everything if context.timeline is not None else None
    timeline = figures.timeline_figure(everything, days, counts)
    timeline = timeaxis.share_time_axis(timeline, days)
    notices = [dataset.boundary_notice] if dataset.boundary_notice else []
    summary = context.opening.summary if context.opening is not None else None  # stored, else counted
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            # Stores that open empty have no data at all: a Store given None announces it as a
            # change when it mounts (dcc.Store compares it with its empty memory), which would
            # send the server callbacks listening to it on every first load.
            dcc.Store(id="selected-id"),
            dcc.Store(id="view-query", data=opening["view-query", "data"]),
            dcc.Store(id="scrub-points", data=opening["scrub-points", "data"]),
            # The window a slider key's preview has drawn (unrest_map.js scrub): an input of the
            # view update, so its request waits until the map shows the new window.
            dcc.Store(id="map-previewed"),
            dcc.Store(id="url-written"),
            # The camera: bounds to fit and the selected incident's place (view.py); JS fits.
            dcc.Store(id="map-frame", data=opening["map-frame", "data"]),
            dcc.Store(id="map-home", data=home_bounds(dataset)),
            dcc.Store(id="map-focus"),
            dcc.Store(id="clicked-municipality"),
            dcc.Store(id="area-filter"),
            dcc.Store(id="map-framed"),
            dcc.Interval(id="play-timer", interval=1000 // SPEEDS["Normal"], disabled=True),
            html.Header(
                [
                    html.H1(["unrest-map ", html.Span(dataset.title, className="dataset-title")]),
                    # opens the filter drawer on small screens (assets/theme.js)
                    html.Button(
                        "Filters",
                        id="filters-open",
                        className="drawer-open-button",
                        **{"aria-controls": "filters", "aria-expanded": "false"},
                    ),
                    language_switch(),
                    html.Div(
                        [
                            html.Div(
                                opening["incident-count", "children"],
                                id="incident-count",
                                className="count",
                                **{"aria-live": "polite"},
                            ),
                            # Incidents outside the boundary layer, named, one click each (view.py).
                            html.Div(
                                opening["outside-note", "children"],
                                id="outside-note",
                                className="outside-note",
                            ),
                        ],
                        className="counts",
                    ),
                ],
                className="topbar",
            ),
            html.Div(
                [html.P(n) for n in notices],
                id="url-notice",
                className="notice" if notices else "notice hidden",
                role="status",
            ),
            html.Div(
                [
                    html.Aside(
                        [
                            html.Div(
                                [
                                    html.H2("Filters"),
                                    html.Button("Reset", id="reset-button", className="small"),
                                    # closes the drawer on small screens
                                    html.Button(
                                        "Show map",
                                        id="filters-close",
                                        className="small drawer-close-button",
                                        **{"aria-controls": "filters"},
                                    ),
                                ],
                                className="aside-head",
                            ),
                            # The Box/Lasso spatial filter, shown with the others (area.py).
                            html.Div(
                                [
                                    html.Span(id="area-filter-text"),
                                    html.Button(
                                        "✕ Clear",
                                        id="area-clear",
                                        className="small",
                                        title="Remove the map-area filter",
                                    ),
                                ],
                                id="area-filter-chip",
                                className="area-chip hidden",
                            ),
                            html.Label("Search (descriptions, places, actors)", htmlFor="filter-text"),
                            dcc.Input(
                                id="filter-text",
                                type="search",
                                debounce=0.4,
                                placeholder="e.g. courthouse",
                                maxLength=200,
                                className="text-input",
                            ),
                            html.H3("Event type"),
                            dcc.Checklist(
                                id="filter-event-type",
                                options=opening["filter-event-type", "options"],
                                value=[],
                                className="checklist",
                            ),
                            filter_section(
                                html.H3("Side / actor"),
                                dcc.Checklist(
                                    id="filter-side",
                                    options=opening["filter-side", "options"],
                                    value=[],
                                    className="checklist",
                                ),
                            ),
                            filter_section(
                                html.H3("Municipality", id="municipality-label"),
                                dcc.Dropdown(
                                    id="filter-municipality",
                                    options=opening["filter-municipality", "options"],
                                    value=[],
                                    multi=True,
                                    placeholder="All municipalities",
                                ),
                            ),
                            html.H3("Place kind"),
                            dcc.Checklist(
                                id="filter-place-kind",
                                options=opening["filter-place-kind", "options"],
                                value=[],
                                className="checklist",
                            ),
                            dcc.Checklist(
                                id="filter-casualties",
                                options=[{"label": "Only incidents with dead or injured", "value": "yes"}],
                                value=[],
                                className="checklist single",
                            ),
                            html.H3("Map"),
                            dcc.Checklist(
                                id="shade-toggle",
                                # Without a boundary layer there are no municipalities to shade.
                                options=[
                                    {
                                        "label": "Shade municipalities by incidents",
                                        "value": "yes",
                                        "disabled": dataset.boundaries is None,
                                    }
                                ],
                                value=[],
                                className="checklist single",
                            ),
                        ],
                        className="sidebar",
                        id="filters",
                        **{"aria-label": "Filters"},
                    ),
                    html.Main(
                        [
                            # live summary of the view, read out on change
                            html.P(
                                view_summary(everything, north=has_north(dataset)),
                                id="view-summary",
                                className="view-summary",
                                role="status",
                                **{"aria-live": "polite"},
                            ),
                            dcc.Graph(
                                id="map",
                                figure=map_fig,
                                className="map",
                                # Never taller than the window: the framed country stays on screen.
                                style={"height": "clamp(300px, calc(100vh - 150px), 560px)"},
                                config={
                                    "responsive": True,
                                    "scrollZoom": True,
                                    "displaylogo": False,
                                    # Only what works here: zoom, pan, box/lasso filter.
                                    # No cloud upload; the camera reset is the Reset button's.
                                    "showSendToCloud": False,
                                    "modeBarButtonsToRemove": ["toImage", "sendChartToCloud", "resetViewMap"],
                                },
                            ),
                            # empty state over the map, legend under it
                            empty_state(),
                            legend_panel(dataset, type_counts(everything)),
                            timeline_frame(timeline, opening["timeline-window", "style"]),
                            html.Div(
                                [
                                    dcc.RangeSlider(
                                        id="date-range",
                                        min=0,
                                        max=len(days) - 1,
                                        step=1,
                                        value=[0, len(days) - 1],
                                        marks=marks,
                                        allowCross=False,
                                        # Values commit on release; drag steps are previewed
                                        # in the browser (scrub.py) or sent as values (JS).
                                        updatemode="mouseup",
                                        pushable=0,
                                        allow_direct_input=False,
                                    ),
                                ],
                                className="slider-row",
                            ),
                            html.Div(
                                [
                                    html.Button("▶ Play", id="play-button", className="play"),
                                    # labelled group for the play mode
                                    html.Span("Play as", id="play-mode-label", className="sr-only"),
                                    dcc.RadioItems(
                                        id="play-mode",
                                        options=[
                                            {"label": "Moving window", "value": "window"},
                                            {"label": "Cumulative", "value": "cumulative"},
                                        ],
                                        value="window",
                                        inline=True,
                                    ),
                                    # the speed's name stays beside it when the row wraps
                                    html.Span(
                                        [
                                            html.Label(
                                                "Speed", id="play-speed-label", className="play-speed-label"
                                            ),
                                            dcc.Dropdown(
                                                id="play-speed",
                                                options=speed_options(),
                                                value="Normal",
                                                clearable=False,
                                                className="speed",
                                            ),
                                        ],
                                        className="speed-field",
                                    ),
                                    html.Span(
                                        opening["date-range-label", "children"],
                                        id="date-range-label",
                                        className="range-label",
                                    ),
                                    html.Button(
                                        "Export image",
                                        id="export-button",
                                        className="export",
                                        title="Export this view as PNG, SVG or PDF",
                                    ),
                                ],
                                className="play-row",
                            ),
                            export_panel(),
                        ],
                        className="centre",
                    ),
                    html.Section(
                        [
                            html.Div(
                                [
                                    html.H2("Incident"),
                                    html.Div(
                                        [
                                            html.Button("◀ Previous", id="prev-button", className="small"),
                                            html.Button("Next ▶", id="next-button", className="small"),
                                        ]
                                    ),
                                ],
                                className="aside-head",
                            ),
                            # What a click on a municipality shows (municipality.py).
                            html.Div(id="municipality-details", className="municipality-card"),
                            html.Div(
                                opening["incident-details", "children"],
                                id="incident-details",
                                className="details",
                            ),
                            # the opening state, shown while nothing is selected (theme.css)
                            dataset_summary(everything, dataset.title, counts=summary),
                        ],
                        className="details-column",
                    ),
                ],
                className="body",
            ),
            html.Div(
                [html.H2("Incidents in view", className="table-title"), download_controls()],
                className="table-head",
            ),
            dash_table.DataTable(
                id="incident-table",
                columns=[
                    {"name": "Date", "id": "date"},
                    {"name": "Event type", "id": "event_type"},
                    {"name": "Place", "id": "place"},
                    {"name": "Municipality", "id": "municipality"},
                    {"name": "Fatalities", "id": "fatalities", "type": "numeric"},
                    {"name": "Injured", "id": "injured", "type": "numeric"},
                    {"name": "Description", "id": "description"},
                ],
                data=opening["incident-table", "data"],
                sort_action="custom",
                sort_mode="single",
                sort_by=[],
                page_action="custom",
                page_current=0,
                page_size=TABLE_PAGE_SIZE,
                page_count=opening["incident-table", "page_count"],
                style_data_conditional=opening["incident-table", "style_data_conditional"],
                fixed_rows={"headers": True},
                style_table={"maxHeight": "360px", "overflowY": "auto"},
                style_cell={
                    "textAlign": "left",
                    "whiteSpace": "normal",
                    "height": "auto",
                    "fontFamily": "inherit",
                    "fontSize": "13px",
                    "maxWidth": "420px",
                },
                style_header={"fontWeight": "600"},
                # Room for the numeric headers: long descriptions otherwise squeeze them to a letter.
                style_cell_conditional=[
                    {"if": {"column_id": column}, "minWidth": width, "width": width}
                    for column, width in (("date", "110px"), ("fatalities", "90px"), ("injured", "90px"))
                ]
                # And for the description: an upload without one squeezed its header to "De".
                + [{"if": {"column_id": "description"}, "minWidth": "240px"}],
            ),
            html.Footer(
                [
                    html.Span(
                        dataset.boundaries.attribution
                        if dataset.boundaries is not None
                        else "Boundary layer missing"
                    ),
                    " · ",
                    html.Span(dataset.source_attribution),
                    " · Municipalities are the 2017 ones: North Mitrovica was split from Mitrovica in 2013.",
                ],
                className="attribution",
                id="attribution",
            ),
        ],
        className="app",
    )


def timeline_frame(timeline: go.Figure, window_style: dict[str, str]) -> html.Div:
    """The histogram with the selected window shaded behind its plot area: a box inset by the
    figure's margins (so its percentages are of the plot area), under the transparent figure."""
    margin = timeline.layout.margin
    return html.Div(
        [
            html.Div(
                html.Div(id="timeline-window", className="timeline-window", style=window_style),
                className="timeline-track",
                style={"left": margin.l, "right": margin.r, "top": margin.t, "bottom": margin.b},
            ),
            dcc.Graph(id="timeline", figure=timeline, className="timeline", config={"displayModeBar": False}),
        ],
        className="timeline-frame",
    )
