"""The dashboard's export panel: choices, a download, and the server-side render.

The browser sends the view as its URL query (the same text ``--view-url`` takes)
plus the map's size on screen; the server parses it with the URL parser, renders
with the shared :func:`~dashboard.export.export_figure` and sends the file back.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.export import (
    ASPECTS,
    MAX_SCALE,
    MAX_SIDE,
    MIN_SIDE,
    ExportBusyError,
    ExportError,
    ExportOptions,
    ImageRenderer,
    export_figure,
    file_name,
)
from dashboard.viewstate import Choices, parse_query
from geodata.dataset import Dataset

SCREEN = "As on screen"


def export_panel() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Format"),
                    dcc.RadioItems(
                        id="export-format", options=["png", "svg", "pdf"], value="png", inline=True
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label("Aspect", htmlFor="export-aspect"),
                    dcc.Dropdown(
                        id="export-aspect",
                        options=[SCREEN, *ASPECTS, "Custom size"],
                        value=SCREEN,
                        clearable=False,
                        className="aspect",
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label("Width × height (px)"),
                    dcc.Input(
                        id="export-width",
                        type="number",
                        min=MIN_SIDE,
                        max=MAX_SIDE,
                        step=1,
                        value=1200,
                        className="size-input",
                    ),
                    dcc.Input(
                        id="export-height",
                        type="number",
                        min=MIN_SIDE,
                        max=MAX_SIDE,
                        step=1,
                        value=900,
                        className="size-input",
                    ),
                ],
                title="Used with 'Custom size'",
            ),
            html.Div(
                [
                    html.Label("Resolution"),
                    dcc.RadioItems(
                        id="export-scale",
                        options=[{"label": f"{s}x", "value": s} for s in range(1, int(MAX_SCALE) + 1)],
                        value=1,
                        inline=True,
                    ),
                ]
            ),
            dcc.Checklist(
                id="export-include",
                options=[{"label": "Caption", "value": "caption"}, {"label": "Legend", "value": "legend"}],
                value=["caption", "legend"],
                inline=True,
            ),
            html.Button("Download", id="export-download", className="primary"),
            dcc.Loading(html.Div(id="export-status", className="export-status", role="status"), type="dot"),
            dcc.Store(id="export-request"),
            dcc.Download(id="export-file"),
        ],
        id="export-panel",
        className="export-panel hidden",
    )


def export_options(
    request: dict, image_format: str, aspect: str, width, height, scale, include
) -> ExportOptions:
    """Options from the panel; 'as on screen' takes the map's size in the browser."""
    if aspect == SCREEN:
        size = request.get("screen") or [1200, 900]
        width, height = (max(MIN_SIDE, min(MAX_SIDE, int(v))) for v in size)
    elif aspect in ASPECTS:
        width, height = ASPECTS[aspect]
    try:
        width, height, scale = int(width), int(height), float(scale)
    except (TypeError, ValueError):
        raise ExportError(f"width and height must be whole numbers from {MIN_SIDE} to {MAX_SIDE}") from None
    include = include or []
    return ExportOptions(
        format=image_format,
        width=width,
        height=height,
        scale=scale,
        caption="caption" in include,
        legend="legend" in include,
    ).validated()


def register_export_callbacks(
    app: Dash, dataset: Dataset, choices: Choices, renderer: ImageRenderer, basemap: str
) -> None:
    app.clientside_callback(
        "window.unrestMap.toggleExportPanel",
        Output("export-panel", "className"),
        Input("export-button", "n_clicks"),
        State("export-panel", "className"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "window.unrestMap.exportRequest",
        Output("export-request", "data"),
        Input("export-download", "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("export-file", "data"),
        Output("export-status", "children"),
        Input("export-request", "data"),
        State("export-format", "value"),
        State("export-aspect", "value"),
        State("export-width", "value"),
        State("export-height", "value"),
        State("export-scale", "value"),
        State("export-include", "value"),
        prevent_initial_call=True,
    )
    def download(request, image_format, aspect, width, height, scale, include):
        """Render the view the browser shows and send it as a file."""
        request = request or {}
        try:
            options = export_options(request, image_format, aspect, width, height, scale, include)
            state, _ = parse_query(urlsplit("?" + str(request.get("query", ""))).query, choices)
            data = renderer.render(export_figure(dataset, state, options, basemap), options)
        except (ExportError, ExportBusyError) as error:
            return no_update, f"Not exported: {error}"
        name = file_name(dataset, state, options.format)
        return dcc.send_bytes(
            data, name
        ), f"Exported {name} ({options.width}×{options.height} at {options.scale:g}x)"
