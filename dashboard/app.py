"""Build the Dash app for one dataset: layout plus thin callbacks over pure functions.

Data flows one way: controls -> :class:`ViewFilter` -> filtered frame -> figures.
The dataset is read-only and captured by the callbacks; there is no per-user state
on the server: everything a user has chosen lives in the browser (component values
and the URL).

Update strategy, so scrubbing stays smooth:
- The map and the timeline are built once; later changes go out as ``Patch``
  objects carrying only the dynamic traces (markers, shading), never the boundaries.
- The map follows the slider while its handle moves: drawn in the browser from points
  sent once when they are few enough (``scrub.py``), else each step goes to the server.
- Play, the URL bar and the keyboard shortcuts are clientside callbacks
  (``assets/unrest_map.js``): no server round trip per tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from dash import ALL, Dash, Input, Output, Patch, State, ctx, dash_table, dcc, html, no_update

from dashboard import figures
from dashboard.choices import choices_of
from dashboard.details import details_panel
from dashboard.export import ImageRenderer
from dashboard.export_panel import export_panel, register_export_callbacks
from dashboard.scrub import CLIENT_LIMIT, scrub_points
from dashboard.viewstate import Choices, ViewState, parse_query, to_query
from geodata.dataset import Dataset, original_columns
from geodata.filters import (
    NORTH_KOSOVO_GROUP,
    ViewFilter,
    all_facet_counts,
    apply_filter,
    combine,
    component_masks,
    incident_position,
    take_rows,
)
from geodata.schema import EVENT_TYPES, PLACE_KINDS

#: Table rows per page. Paging and sorting happen on the server, over every visible incident.
TABLE_PAGE_SIZE = 50
#: Table column -> frame column it sorts by.
TABLE_SORT_COLUMNS = {
    "date": "date_start",
    "event_type": "event_type",
    "place": "place_name",
    "municipality": "municipality",
    "fatalities": "fatalities",
    "injured": "injured",
    "description": "description",
}
SPEEDS = {"Slow": 1200, "Normal": 600, "Fast": 250}


def assets_folder() -> str:
    """Top-level ``assets/`` in a checkout; ``dashboard/assets`` inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "assets", here / "assets"):
        if candidate.is_dir():
            return str(candidate)
    raise FileNotFoundError("Dash assets folder not found next to the dashboard package")


def days_of(dataset: Dataset) -> pd.DatetimeIndex:
    incidents = dataset.incidents
    return pd.date_range(incidents["date_start"].min().normalize(), incidents["date_end"].max().normalize())


def view_from_controls(
    days: pd.DatetimeIndex, window, event_types, sides, municipalities, place_kinds, casualties, text
) -> ViewFilter:
    """The filter the controls describe. Slider values are day offsets from the first day."""
    low, high = _window(days, window)
    return ViewFilter(
        start=None if low == 0 else days[low].date(),
        end=None if high == len(days) - 1 else days[high].date(),
        event_types=tuple(event_types or ()),
        sides=tuple(sides or ()),
        municipalities=tuple(municipalities or ()),
        place_kinds=tuple(place_kinds or ()),
        casualties_only=bool(casualties),
        text=(text or "").strip()[:200],
    )


def _window(days: pd.DatetimeIndex, window) -> tuple[int, int]:
    last = len(days) - 1
    try:
        low, high = (int(v) for v in window)
    except (TypeError, ValueError):
        return 0, last
    low, high = max(0, min(low, last)), max(0, min(high, last))
    return min(low, high), max(low, high)


def _offset(days: pd.DatetimeIndex, day: date | None, default: int) -> int:
    return default if day is None else int((pd.Timestamp(day) - days[0]).days)


def _options(values: list[str], counts: dict[str, int], labels: dict[str, str] | None = None) -> list[dict]:
    labels = labels or {}
    return [{"label": f"{labels.get(v, v)} ({counts.get(v, 0)})", "value": v} for v in values]


#: Incidents closer than this (degrees, about 1 km here) overlap on the map at town zoom.
NEAR_DEGREES = 0.012


def incident_by_id(incidents: pd.DataFrame, incident_id: str | None) -> pd.Series | None:
    """The incident with this id, or None (no id, or not in the data)."""
    position = incident_position(incidents, incident_id)
    return None if position is None else incidents.iloc[position]


def near(visible: pd.DataFrame, incident: pd.Series) -> pd.DataFrame:
    """Visible incidents drawn on or next to ``incident``: markers a click cannot tell apart."""
    close = ((visible["lat"] - incident["lat"]).abs() < NEAR_DEGREES) & (
        (visible["lon"] - incident["lon"]).abs() < NEAR_DEGREES * 1.4
    )
    return visible[close]


def table_page(
    incidents: pd.DataFrame, rows: np.ndarray, page: int | None, sort_by: list[dict] | None
) -> np.ndarray:
    """Positions of the table's current page: ``rows`` sorted as asked (unknown values last),
    then the page's slice (a page past the end shows the last one)."""
    from dashboard.table import table_page as page_by_selection

    return page_by_selection(incidents, rows, page, sort_by, TABLE_SORT_COLUMNS, TABLE_PAGE_SIZE)


#: The frame columns the table shows.
TABLE_COLUMNS = (
    "id",
    "date_start",
    "event_type",
    "place_name",
    "municipality",
    "fatalities",
    "injured",
    "description",
)


def table_rows(shown: pd.DataFrame) -> list[dict]:
    """Rows for the incidents table (one page: plain Python over a few dozen rows is quickest).

    Unknown counts stay None (JSON null), never 0.
    """
    columns = zip(*(shown[column].tolist() for column in TABLE_COLUMNS), strict=True)
    return [
        {
            "id": str(incident_id),
            "date": start.strftime("%Y-%m-%d"),
            "event_type": str(kind),
            "place": str(place),
            "municipality": "—" if _missing(municipality) else str(municipality),
            "fatalities": None if _missing(dead) else float(dead),
            "injured": None if _missing(injured) else float(injured),
            "description": "" if _missing(description) else str(description),
        }
        for incident_id, start, kind, place, municipality, dead, injured, description in columns
    ]


def _missing(value: object) -> bool:
    """None, pd.NA or NaN (pd.isna per cell costs more than the rest of a table row)."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def municipality_choices(dataset: Dataset) -> tuple[list[str], dict[str, str]]:
    """Municipality filter values (North Kosovo group first) and their bilingual labels."""
    labels = {NORTH_KOSOVO_GROUP: "North Kosovo (4 municipalities)"}
    values = [NORTH_KOSOVO_GROUP] if NORTH_KOSOVO_GROUP in choices_of(dataset).municipalities else []
    if dataset.boundaries is not None:
        names = dataset.boundaries.municipalities.sort_values("name")
        labels |= dict(zip(names["name"], names["display_name"], strict=True))
        values += names["name"].tolist()
    return values, labels


#: The columns a view update needs of every visible incident (markers, shading, details).
VIEW_COLUMNS = (*figures.MARKER_COLUMNS, "municipality")


@dataclass(frozen=True)
class ViewContext:
    """What every view update reads besides the controls, derived once per dataset."""

    dataset: Dataset
    days: pd.DatetimeIndex
    choices: Choices
    municipality_values: list[str]
    municipality_labels: dict[str, str]


def view_context(dataset: Dataset) -> ViewContext:
    values, labels = municipality_choices(dataset)
    return ViewContext(dataset, days_of(dataset), choices_of(dataset), values, labels)


def view_outputs(
    context: ViewContext,
    window,
    event_types,
    sides,
    municipalities,
    place_kinds,
    casualties,
    text,
    shade,
    selected_id: str | None,
    page: int | None = 0,
    sort_by: list[dict] | None = None,
    dates_only: bool = False,
) -> tuple:
    """Everything one view update sends, from the control values (the update callback's body).

    ``dates_only`` (only the slider moved): the histogram's bars are kept, since they show
    the other filters over the whole period; only its shaded window moves.
    """
    dataset, days, choices = context.dataset, context.days, context.choices
    incidents = dataset.incidents
    view = view_from_controls(days, window, event_types, sides, municipalities, place_kinds, casualties, text)
    # One mask per filter, reused for the view, the histogram and every facet count.
    masks = component_masks(incidents, view)
    rows = np.flatnonzero(combine(masks, length=len(incidents)))
    visible = take_rows(incidents, rows, VIEW_COLUMNS)
    low, high = _window(days, window)
    shown_window = (days[low].date(), days[high].date())
    if dates_only:
        timeline, scrub = figures.timeline_window_patch(shown_window), no_update
    else:  # the histogram shows the other filters over the whole period, with the window shaded
        counted = np.flatnonzero(combine(masks, leave_out="dates", length=len(incidents)))
        # The same incidents go to the browser for slider drags, when few enough.
        small = len(counted) <= CLIENT_LIMIT
        undated = take_rows(incidents, counted, VIEW_COLUMNS if small else figures.TIMELINE_COLUMNS)
        timeline = figures.timeline_patch(undated, days, shown_window)
        scrub = scrub_points(dataset, undated, days) if small else None
    counts = all_facet_counts(incidents, view, masks)
    incident = incident_by_id(incidents, selected_id)
    where = np.flatnonzero((visible["id"] == selected_id).to_numpy()) if incident is not None else []
    position = (int(where[0]), len(visible)) if len(where) else None
    same_place = near(visible, incident) if incident is not None else None
    state = ViewState(filter=view, selected=selected_id if incident is not None else None, shade=bool(shade))
    aggregate_note = html.Span(
        f" · over {figures.POINT_LIMIT:,}: the map shows municipality totals; filter or "
        "click a municipality for single incidents",
        className="aggregate-note",
    )
    return (
        figures.map_patch(dataset, visible, selected_id, bool(shade)),
        timeline,
        [html.B(f"{len(visible):,}"), f" of {len(incidents):,} incidents in view"]
        + ([aggregate_note] if figures.is_aggregated(visible) else []),
        f"{days[low]:%-d %b %Y} – {days[high]:%-d %b %Y}",
        _options(list(EVENT_TYPES), counts["event_types"]),
        _options(sorted(choices.sides), counts["sides"]),
        _options(context.municipality_values, counts["municipalities"], context.municipality_labels),
        _options(list(PLACE_KINDS), counts["place_kinds"]),
        table_rows(take_rows(incidents, table_page(incidents, rows, page, sort_by), TABLE_COLUMNS)),
        max(1, -(-len(rows) // TABLE_PAGE_SIZE)),
        _highlight(selected_id),
        details_panel(
            incident,
            dataset.reactions,
            same_place,
            position,
            original_columns(dataset, selected_id) if incident is not None else None,
        ),
        to_query(state, choices),
        scrub,
    )


def build_layout(dataset: Dataset, basemap: str) -> html.Div:
    days = days_of(dataset)
    choices = choices_of(dataset)
    sides = sorted(choices.sides)
    municipality_values, municipality_labels = municipality_choices(dataset)
    month_starts = [d for d in days if d.day == 1]
    marks = {
        int((d - days[0]).days): {"label": d.strftime("%-d %b")} for d in [days[0], *month_starts, days[-1]]
    }
    everything = dataset.incidents
    map_fig = figures.map_figure(dataset, everything, basemap=basemap)
    timeline = figures.timeline_figure(everything, days, (days[0].date(), days[-1].date()))
    notices = [dataset.boundary_notice] if dataset.boundary_notice else []
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="selected-id", data=None),
            dcc.Store(id="view-query", data=""),
            dcc.Store(id="scrub-points", data=None),
            dcc.Store(id="url-written"),
            dcc.Interval(id="play-timer", interval=SPEEDS["Normal"], disabled=True),
            html.Header(
                [
                    html.H1(["unrest-map ", html.Span(dataset.title, className="dataset-title")]),
                    html.Div(id="incident-count", className="count", **{"aria-live": "polite"}),
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
                                ],
                                className="aside-head",
                            ),
                            html.Label("Search descriptions", htmlFor="filter-text"),
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
                                options=_options(list(EVENT_TYPES), {}),
                                value=[],
                                className="checklist",
                            ),
                            html.H3("Side / actor"),
                            dcc.Checklist(
                                id="filter-side",
                                options=_options(sides, {}),
                                value=[],
                                className="checklist",
                            ),
                            html.H3("Municipality"),
                            dcc.Dropdown(
                                id="filter-municipality",
                                options=_options(municipality_values, {}, municipality_labels),
                                value=[],
                                multi=True,
                                placeholder="All municipalities",
                            ),
                            html.H3("Place kind"),
                            dcc.Checklist(
                                id="filter-place-kind",
                                options=_options(list(PLACE_KINDS), {}),
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
                                options=[{"label": "Shade municipalities by incidents", "value": "yes"}],
                                value=[],
                                className="checklist single",
                            ),
                        ],
                        className="sidebar",
                    ),
                    html.Main(
                        [
                            dcc.Graph(
                                id="map",
                                figure=map_fig,
                                className="map",
                                style={"height": "560px"},
                                config={
                                    "responsive": True,
                                    "scrollZoom": True,
                                    "displaylogo": False,
                                    "modeBarButtonsToRemove": ["toImage"],
                                },
                            ),
                            dcc.Graph(
                                id="timeline",
                                figure=timeline,
                                className="timeline",
                                config={"displayModeBar": False},
                            ),
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
                                        tooltip={"always_visible": False, "placement": "bottom"},
                                    ),
                                ],
                                className="slider-row",
                            ),
                            html.Div(
                                [
                                    html.Button("▶ Play", id="play-button", className="play"),
                                    dcc.RadioItems(
                                        id="play-mode",
                                        options=[
                                            {"label": "Moving window", "value": "window"},
                                            {"label": "Cumulative", "value": "cumulative"},
                                        ],
                                        value="window",
                                        inline=True,
                                    ),
                                    dcc.Dropdown(
                                        id="play-speed",
                                        options=list(SPEEDS),
                                        value="Normal",
                                        clearable=False,
                                        className="speed",
                                    ),
                                    html.Span(id="date-range-label", className="range-label"),
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
                            html.Div(id="incident-details", className="details"),
                        ],
                        className="details-column",
                    ),
                ],
                className="body",
            ),
            html.H2("Incidents in view", className="table-title"),
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
                data=[],
                sort_action="custom",
                sort_mode="single",
                sort_by=[],
                page_action="custom",
                page_current=0,
                page_size=TABLE_PAGE_SIZE,
                page_count=1,
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
                    for column, width in (("date", "100px"), ("fatalities", "90px"), ("injured", "90px"))
                ],
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


def create_app(dataset: Dataset, basemap: str = "none", jobs_dir: str | Path | None = None) -> Dash:
    """A Dash app showing ``dataset``. ``basemap`` 'none' works offline."""
    app = Dash(
        __name__,
        title=f"unrest-map · {dataset.title}",
        assets_folder=assets_folder(),
        suppress_callback_exceptions=False,
    )
    app.layout = build_layout(dataset, basemap)
    register_callbacks(app, dataset)
    # One warm browser per server process, shared by this app's exports.
    register_export_callbacks(
        app, dataset, choices_of(dataset), ImageRenderer(), basemap, background_manager(jobs_dir)
    )
    return app


def background_manager(jobs_dir: str | Path | None):
    """Dash background jobs (GIF export): Celery on Redis with ``$UNREST_MAP_JOBS``, else a disk
    cache that every worker process of this host can see."""
    from dashboard.production import background_manager as manager

    return manager(jobs_dir)


#: Everything a user sets that the URL restores and Reset clears, in callback output order.
VIEW_CONTROLS = (
    ("date-range", "value"),
    ("filter-event-type", "value"),
    ("filter-side", "value"),
    ("filter-municipality", "value"),
    ("filter-place-kind", "value"),
    ("filter-casualties", "value"),
    ("filter-text", "value"),
    ("shade-toggle", "value"),
    ("selected-id", "data"),
)

FILTER_INPUTS = [
    Input("date-range", "value"),
    Input("filter-event-type", "value"),
    Input("filter-side", "value"),
    Input("filter-municipality", "value"),
    Input("filter-place-kind", "value"),
    Input("filter-casualties", "value"),
    Input("filter-text", "value"),
]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]


def register_callbacks(app: Dash, dataset: Dataset) -> None:
    context = view_context(dataset)
    days, choices, incidents = context.days, context.choices, dataset.incidents

    @app.callback(
        *[Output(component, prop) for component, prop in VIEW_CONTROLS],
        Output("url-notice", "children"),
        Output("url-notice", "className"),
        Output("map", "figure"),
        Input("url", "search"),
    )
    def restore_from_url(search: str | None):
        """Open the view the URL describes (first load, back/forward)."""
        state, notices = parse_query(search, choices)
        view = state.filter
        notices = ([dataset.boundary_notice] if dataset.boundary_notice else []) + notices
        camera = Patch()
        if state.lat is not None and state.lon is not None:
            camera["layout"]["map"]["center"] = {"lat": state.lat, "lon": state.lon}
        if state.zoom is not None:
            camera["layout"]["map"]["zoom"] = state.zoom
        return (
            [_offset(days, view.start, 0), _offset(days, view.end, len(days) - 1)],
            list(view.event_types),
            list(view.sides),
            list(view.municipalities),
            list(view.place_kinds),
            ["yes"] if view.casualties_only else [],
            view.text,
            ["yes"] if state.shade else [],
            state.selected,
            [html.P(n) for n in notices],
            "notice" if notices else "notice hidden",
            camera,
        )

    @app.callback(
        Output("map", "figure", allow_duplicate=True),
        Output("timeline", "figure"),
        Output("incident-count", "children"),
        Output("date-range-label", "children"),
        Output("filter-event-type", "options"),
        Output("filter-side", "options"),
        Output("filter-municipality", "options"),
        Output("filter-place-kind", "options"),
        Output("incident-table", "data"),
        Output("incident-table", "page_count"),
        Output("incident-table", "style_data_conditional"),
        Output("incident-details", "children"),
        Output("view-query", "data"),
        Output("scrub-points", "data"),
        *FILTER_INPUTS,
        Input("shade-toggle", "value"),
        Input("selected-id", "data"),
        Input("incident-table", "page_current"),
        Input("incident-table", "sort_by"),
        prevent_initial_call="initial_duplicate",
    )
    def update_view(*controls):
        # A slider step alone leaves the histogram's bars as they are: only its shading moves.
        dates_only = set(ctx.triggered_prop_ids) == {"date-range.value"}
        return view_outputs(context, *controls, dates_only=dates_only)

    @app.callback(
        Output("selected-id", "data", allow_duplicate=True),
        Output("filter-municipality", "value", allow_duplicate=True),
        Input("map", "clickData"),
        Input("incident-table", "active_cell"),
        Input("prev-button", "n_clicks"),
        Input("next-button", "n_clicks"),
        Input({"type": "place-incident", "id": ALL}, "n_clicks"),
        State("selected-id", "data"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )
    def select(click, active_cell, _prev, _next, _place_clicks, selected_id, *controls):
        """Which incident is selected; a click on a municipality toggles its filter."""
        trigger = ctx.triggered_id
        municipalities = controls[3]
        if trigger == "map":
            point = (click or {}).get("points", [{}])[0]
            if point.get("curveNumber") == figures.TRACE_INDEX["municipalities"]:
                name = point.get("location")
                current = list(municipalities or [])
                toggled = [m for m in current if m != name] if name in current else [*current, name]
                return no_update, toggled
            # The browser holds no ids: map the clicked point back through the same view.
            trace = (
                figures.MAP_TRACES[point["curveNumber"]]
                if 0 <= point.get("curveNumber", -1) < len(figures.MAP_TRACES)
                else None
            )
            index = point.get("pointIndex", point.get("pointNumber"))
            if trace is None or not isinstance(index, int):
                return no_update, no_update
            visible = apply_filter(incidents, view_from_controls(days, *controls))
            rows = figures.trace_rows(visible, trace)
            return (
                (str(rows["id"].iloc[index]), no_update) if 0 <= index < len(rows) else (no_update, no_update)
            )
        if trigger == "incident-table":
            row_id = (active_cell or {}).get("row_id")
            return (str(row_id), no_update) if row_id in choices.ids else (no_update, no_update)
        if trigger in ("prev-button", "next-button"):
            visible_ids = (
                apply_filter(incidents, view_from_controls(days, *controls))["id"].astype(str).tolist()
            )
            if not visible_ids:
                return no_update, no_update
            step = -1 if trigger == "prev-button" else 1
            if selected_id in visible_ids:
                index = min(max(visible_ids.index(selected_id) + step, 0), len(visible_ids) - 1)
            else:
                index = 0 if step > 0 else len(visible_ids) - 1
            return visible_ids[index], no_update
        if isinstance(trigger, dict) and ctx.triggered[0]["value"]:
            chosen = trigger.get("id")
            return (chosen, no_update) if chosen in choices.ids else (no_update, no_update)
        return no_update, no_update

    @app.callback(
        Output("date-range", "value", allow_duplicate=True),
        Input("timeline", "selectedData"),
        prevent_initial_call=True,
    )
    def window_from_histogram(selection):
        """Dragging across the histogram selects that date range."""
        x_range = ((selection or {}).get("range") or {}).get("x")
        if not x_range:
            return no_update
        first, last = (pd.Timestamp(x) + pd.Timedelta(hours=12) for x in sorted(x_range))
        low = int((first.normalize() - days[0]).days)
        high = int((last.normalize() - days[0]).days)
        return list(_window(days, [low, high]))

    @app.callback(
        *[Output(component, prop, allow_duplicate=True) for component, prop in VIEW_CONTROLS],
        Input("reset-button", "n_clicks"),
        prevent_initial_call=True,
    )
    def reset(_clicks):
        return [0, len(days) - 1], [], [], [], [], [], "", [], None

    app.clientside_callback(
        "window.unrestMap.togglePlay",
        Output("play-timer", "disabled"),
        Output("play-button", "children"),
        Output("play-timer", "interval"),
        Input("play-button", "n_clicks"),
        Input("play-speed", "value"),
        State("play-timer", "disabled"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "window.unrestMap.playStep",
        Output("date-range", "value", allow_duplicate=True),
        Output("play-timer", "disabled", allow_duplicate=True),
        Output("play-button", "children", allow_duplicate=True),
        Input("play-timer", "n_intervals"),
        State("date-range", "value"),
        State("date-range", "max"),
        State("play-mode", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "window.unrestMap.scrub",
        Output("date-range", "value", allow_duplicate=True),
        Output("date-range-label", "children", allow_duplicate=True),
        Output("incident-count", "children", allow_duplicate=True),
        Input("date-range", "drag_value"),
        State("date-range", "value"),
        State("scrub-points", "data"),
        State("shade-toggle", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "window.unrestMap.writeUrl",
        Output("url-written", "data"),
        Input("view-query", "data"),
        Input("map", "relayoutData"),
    )


def _highlight(selected_id: str | None) -> list[dict]:
    base = [{"if": {"state": "active"}, "backgroundColor": "#fff7d6", "border": "1px solid #e0c060"}]
    if selected_id and all(ch not in selected_id for ch in "\"'\\{}"):
        base.append(
            {
                "if": {"filter_query": f'{{id}} = "{selected_id}"'},
                "backgroundColor": "#fff1b8",
                "fontWeight": "600",
            }
        )
    return base
