"""The callbacks: thin wiring from component events to the pure functions of ``view.py``.

Server callbacks answer with the whole view for the controls they are given (no per-user
state on the server); play, scrubbing and the URL bar are clientside (``assets/unrest_map.js``).
"""

from __future__ import annotations

import pandas as pd
from dash import ALL, Dash, Input, Output, Patch, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import figures
from dashboard.area import area_from_selection
from dashboard.details import dataset_summary
from dashboard.ids import from_id_text
from dashboard.legend import LEGEND_OUTPUTS
from dashboard.municipality import in_view_count, municipality_card
from dashboard.view import (
    VIEW_OUTPUTS,
    ViewContext,
    day_offset,
    view_context,
    view_from_controls,
    view_masks,
    view_outputs,
    visible_incidents,
    window_bounds,
)
from dashboard.viewstate import parse_query, to_query
from geodata.dataset import Dataset
from geodata.filters import incident_position
from geodata.names import DEFAULT_LANGUAGE, LANGUAGES

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
    ("area-filter", "data"),
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


def register_callbacks(app: Dash, dataset: Dataset, context: ViewContext | None = None) -> None:
    """``context``: the dataset's :func:`~dashboard.view.view_context`, when already at hand."""
    context = view_context(dataset) if context is None else context
    days, choices = context.days, context.choices

    @app.callback(
        *[Output(component, prop) for component, prop in VIEW_CONTROLS],
        Output("url-notice", "children"),
        Output("url-notice", "className"),
        Output("map", "figure"),
        # The reader's language is restored with the view but not reset with it (Reset keeps it).
        Output("lang-switch", "value"),
        Input("url", "search"),
        State("view-query", "data"),
    )
    def restore_from_url(search: str | None, shown_query: str | None):
        """Open the view the URL describes (first load, back/forward)."""
        state, notices = parse_query(search, choices)
        camera = state.lat is not None or state.zoom is not None
        if not notices and not camera and to_query(state, choices) == shown_query:
            raise PreventUpdate  # the page already shows it (a plain first load): nothing to send
        view = state.filter
        notices = ([dataset.boundary_notice] if dataset.boundary_notice else []) + notices
        camera = Patch()
        if state.lat is not None and state.lon is not None:
            camera["layout"]["map"]["center"] = {"lat": state.lat, "lon": state.lon}
        if state.zoom is not None:
            camera["layout"]["map"]["zoom"] = state.zoom
        return (
            [day_offset(days, view.start, 0), day_offset(days, view.end, len(days) - 1)],
            list(view.event_types),
            list(view.sides),
            list(view.municipalities),
            list(view.place_kinds),
            ["yes"] if view.casualties_only else [],
            view.text,
            ["yes"] if state.shade else [],
            state.selected,
            [list(vertex) for vertex in state.area] or None,
            [html.P(n) for n in notices],
            "notice" if notices else "notice hidden",
            camera,
            state.lang,
        )

    @app.callback(
        # The map's figure is also the URL's (camera); every other output is the update's own.
        *[Output(c, p, allow_duplicate=(c, p) == ("map", "figure")) for c, p in VIEW_OUTPUTS],
        *[Output(c, p) for c, p in LEGEND_OUTPUTS],
        *FILTER_INPUTS,
        Input("shade-toggle", "value"),
        Input("selected-id", "data"),
        Input("incident-table", "page_current"),
        Input("incident-table", "sort_by"),
        Input("area-filter", "data"),
        Input("lang-switch", "value"),
        # Dash holds a callback while one of its inputs awaits another callback: a slider key's
        # request goes out once the browser has drawn its preview, not beside it (the server's
        # answer and the map's drawing then do not compete for the same two cores).
        Input("map-previewed", "data"),
        State("clicked-municipality", "data"),
        # The page is built with the opening view (layout.py): only a change asks the server.
        prevent_initial_call=True,
    )
    def update_view(*controls):
        # A slider step alone leaves the histogram's bars as they are: only its shading moves.
        dates_only = set(ctx.triggered_prop_ids) <= {"date-range.value", "map-previewed.data"}
        lang_changed = "lang-switch.value" in ctx.triggered_prop_ids
        *view_controls, _previewed, clicked = controls
        return view_outputs(
            context, *view_controls, dates_only=dates_only, lang_changed=lang_changed, clicked=clicked
        )

    @app.callback(
        Output("selected-id", "data", allow_duplicate=True),
        Output("clicked-municipality", "data"),
        Input("map", "clickData"),
        Input("incident-table", "active_cell"),
        Input("prev-button", "n_clicks"),
        Input("next-button", "n_clicks"),
        State("selected-id", "data"),
        State("area-filter", "data"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )
    def select(click, active_cell, _prev, _next, selected_id, area, *controls):
        """Which incident is selected; a click on a municipality shows its card (never filters)."""
        trigger = ctx.triggered_id
        if trigger == "map":
            point = (click or {}).get("points", [{}])[0]
            if point.get("curveNumber") == figures.TRACE_INDEX["municipalities"]:
                return no_update, point.get("location")
            # The browser holds no ids: map the clicked point back through the same view.
            index = point.get("pointIndex", point.get("pointNumber"))
            if point.get("curveNumber") != figures.TRACE_INDEX["incidents"] or not isinstance(index, int):
                return no_update, no_update
            visible = visible_incidents(context, controls, area)
            ids = figures.point_ids(context.dataset, visible, selected_id)
            return (str(ids[index]), no_update) if 0 <= index < len(ids) else (no_update, no_update)
        if trigger == "incident-table":
            row_id = (active_cell or {}).get("row_id")
            return (str(row_id), no_update) if row_id in choices.ids else (no_update, no_update)
        if trigger in ("prev-button", "next-button"):
            visible = visible_incidents(context, controls, area)
            if not len(visible):
                return no_update, no_update
            step = -1 if trigger == "prev-button" else 1
            # A position in the id column, not a Python list of millions of ids.
            where = incident_position(visible, selected_id)
            if where is not None:
                index = min(max(where + step, 0), len(visible) - 1)
            else:
                index = 0 if step > 0 else len(visible) - 1
            return str(visible["id"].iat[index]), no_update
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
        # A day's step runs from its midnight to the next (dashboard.timeaxis): the day of a time is its date.
        first, last = (pd.Timestamp(x) for x in sorted(x_range))
        low = int((first.normalize() - days[0]).days)
        high = int((last.normalize() - days[0]).days)
        return list(window_bounds(days, [low, high]))

    @app.callback(
        *[Output(component, prop, allow_duplicate=True) for component, prop in VIEW_CONTROLS],
        Output("clicked-municipality", "data", allow_duplicate=True),
        Input("reset-button", "n_clicks"),
        prevent_initial_call=True,
    )
    def reset(_clicks):
        """The whole period, no filter, no selection, no municipality card."""
        return [0, len(days) - 1], [], [], [], [], [], "", [], None, None, None

    app.clientside_callback(
        "window.unrestMap.togglePlay",
        Output("play-timer", "disabled"),
        Output("play-button", "children"),
        Output("play-timer", "interval"),
        Output("date-range", "value", allow_duplicate=True),
        Input("play-button", "n_clicks"),
        Input("play-speed", "value"),
        State("play-timer", "disabled"),
        State("date-range", "value"),
        State("date-range", "max"),
        State("play-mode", "value"),
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
        Output("map-previewed", "data"),
        Input("date-range", "drag_value"),
        # Also the value: a key press may commit it before the drag value arrives, and the view
        # update must find the preview already pending to wait for it.
        Input("date-range", "value"),
        State("scrub-points", "data"),
        State("shade-toggle", "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("dataset-summary", "children"),
        Input("lang-switch", "value"),
        prevent_initial_call=True,
    )
    def summary_names(lang):
        """The opening summary's municipalities and places in the reader's language."""
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        # The municipality filter's counts, stored with the cache entry: not counted again per switch.
        listed = context.opening.facets["municipalities"] if context.opening is not None else None
        return dataset_summary(dataset.incidents, dataset.title, lang=lang, listed=listed).children

    register_framing(app)
    register_municipality_card(app, dataset, days)
    register_area_filter(app)
    register_legend_buttons(app, len(days))
    app.clientside_callback(
        "window.unrestMap.writeUrl",
        Output("url-written", "data"),
        Input("view-query", "data"),
        Input("map", "relayoutData"),
    )


def register_framing(app: Dash) -> None:
    """The camera, in the browser: fit the frame the page opens with and each one the server sends
    to the map's own size (and again on Reset and on resize), and bring a selected incident into view."""
    app.clientside_callback(
        "window.unrestMap.fitFrame",
        Output("map-framed", "data"),
        Input("map-frame", "data"),
        Input("reset-button", "n_clicks"),
        State("map-home", "data"),
        State("view-query", "data"),
    )
    app.clientside_callback(
        "window.unrestMap.focusIncident",
        Output("map-framed", "data", allow_duplicate=True),
        Input("map-focus", "data"),
        prevent_initial_call=True,
    )


def register_municipality_card(app: Dash, dataset: Dataset, days: pd.DatetimeIndex) -> None:
    """The clicked municipality's card, its count in view, and its explicit "Show only" filter."""

    @app.callback(
        Output("municipality-details", "children", allow_duplicate=True),
        Input("clicked-municipality", "data"),
        State("area-filter", "data"),
        State("lang-switch", "value"),
        *FILTER_STATES,
        prevent_initial_call=True,  # no municipality is clicked on a new page
    )
    def card(name, area, lang, *controls):
        """The card when a municipality is clicked; every view update then keeps its count."""
        view = view_from_controls(days, *controls)
        masks = view_masks(dataset.incidents, view, area)
        count = in_view_count(dataset, view, name, masks.get("area")) if name else 0
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        return municipality_card(dataset, name, view, count, lang, masks)

    @app.callback(
        Output("filter-municipality", "value", allow_duplicate=True),
        Output("clicked-municipality", "data", allow_duplicate=True),
        Input({"type": "show-only-municipality", "name": ALL}, "n_clicks"),
        Input({"type": "municipality-close", "name": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def show_only(_show, _close):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
            return no_update, no_update
        if trigger["type"] == "municipality-close":
            return no_update, None
        return [from_id_text(trigger["name"])], no_update


def register_area_filter(app: Dash) -> None:
    """Box and Lasso select on the map become a filter (the incidents inside the shape)."""

    @app.callback(
        Output("area-filter", "data", allow_duplicate=True),
        Input("map", "selectedData"),
        Input("area-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def area_from_map(selection, _clear):
        if ctx.triggered_id == "area-clear":
            return None
        # A deselection (double click) leaves the filter: it is cleared by its own button or Reset.
        area = area_from_selection(selection)
        return area if area is not None else no_update

    @app.callback(
        Output("area-filter-chip", "className"),
        Output("area-filter-text", "children"),
        Input("area-filter", "data"),
        prevent_initial_call=True,  # the page opens with no area filter and the chip hidden
    )
    def chip(area):
        if not area:
            return "area-chip hidden", ""
        return "area-chip", f"Map area: inside the drawn shape ({len(area)} corners)"


def register_legend_buttons(app: Dash, day_count: int) -> None:
    """The legend's type buttons toggle the type filter; the empty state's button clears filters."""

    @app.callback(
        Output("filter-event-type", "value", allow_duplicate=True),
        Input({"type": "legend-type", "id": ALL}, "n_clicks"),
        State("filter-event-type", "value"),
        prevent_initial_call=True,
    )
    def toggle_type(_clicks, chosen):
        """A legend entry toggles its type in the type filter, as its checkbox does."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
            return no_update
        event_type, chosen = trigger["id"], list(chosen or [])
        return [t for t in chosen if t != event_type] if event_type in chosen else [*chosen, event_type]

    @app.callback(
        *[Output(i.component_id, i.component_property, allow_duplicate=True) for i in FILTER_INPUTS],
        Input("empty-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def clear_filters(clicks):
        """Clear every filter (the map's shading and the selection stay)."""
        if not clicks:
            return [no_update] * len(FILTER_INPUTS)
        return [0, day_count - 1], [], [], [], [], [], ""
