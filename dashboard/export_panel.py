"""The dashboard's export panel: choices, a download, and the server-side render.

The browser sends the view as its URL query (the same text ``--view-url`` takes, with the
map's centre and zoom as the user left them) plus the map's size on screen; the server parses
it with the URL parser, renders with the shared :func:`~dashboard.export.export_figure` and
sends the file back. The framing follows the screen by default ("As on screen": that centre
and zoom over that size); fitting the incidents or the whole country are the other choices.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.export import (
    ASPECTS,
    FORMATS,
    MAX_SCALE,
    MAX_SIDE,
    MIN_SIDE,
    ExportBusyError,
    ExportError,
    ExportOptions,
    ImageRenderer,
    export_figure,
    file_name,
    screen_sized,
)
from dashboard.viewstate import Choices, parse_query
from geodata.dataset import Dataset

SCREEN = "As on screen"
#: The framing choices: ExportOptions.fit values with their labels, the screen's first (the default).
FRAMINGS = {"screen": "As on screen", "incidents": "Fit to incidents", "country": "Whole country"}


def export_panel() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H2("Export this view", id="export-title"),
                    html.Button("×", id="export-close", className="dialog-close", **{"aria-label": "Close"}),
                ],
                className="dialog-head",
            ),
            html.Div(
                [
                    html.Label("Format", id="export-format-label"),
                    dcc.RadioItems(
                        id="export-format",
                        options=[{"label": name.upper(), "value": name} for name in FORMATS],
                        value="png",
                        inline=True,
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
                    html.Label("Resolution", id="export-scale-label"),
                    dcc.RadioItems(
                        id="export-scale",
                        options=[{"label": f"{s}x", "value": s} for s in range(1, int(MAX_SCALE) + 1)],
                        value=2,  # sharp on high-density screens and in print; SVG and PDF are vector anyway
                        inline=True,
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label("Framing", id="export-framing-label"),
                    dcc.RadioItems(
                        id="export-framing",
                        options=[{"label": label, "value": fit} for fit, label in FRAMINGS.items()],
                        value="screen",
                        inline=True,  # named by its label (assets/theme.js: id + "-label")
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
            dcc.Store(id="export-sizes", data={name: list(size) for name, size in ASPECTS.items()}),
            dcc.Download(id="export-file"),
            html.Div(
                [
                    # A heading, not a label: it names the block (a label names one control), and
                    # it has room of its own above the Step control's label.
                    html.H3("Animation (GIF or MP4) of the current date range", className="animation-title"),
                    html.Div(
                        [
                            anim_choice(
                                "Step",
                                "animation-step",
                                [("1d", "1 day"), ("2d", "2 days"), ("7d", "7 days")],
                                "1d",
                            ),
                            anim_choice(
                                "Window",
                                "animation-window",
                                [
                                    ("3d", "3 days"),
                                    ("7d", "7 days"),
                                    ("14d", "14 days"),
                                    ("cumulative", "Cumulative"),
                                ],
                                "7d",
                            ),
                            anim_choice(
                                "Speed", "animation-fps", [(2, "2 fps"), (4, "4 fps"), (8, "8 fps")], 4
                            ),
                            anim_choice(
                                "Format", "animation-format", [("gif", "GIF"), ("mp4", "MP4")], "gif"
                            ),
                            html.Button("Make animation", id="animation-start"),
                            # Shown while a job runs (trial: an idle, disabled Cancel and an empty bar).
                            html.Span(
                                [
                                    html.Button("Cancel", id="animation-cancel", disabled=True),
                                    html.Progress(id="animation-progress", value="0", max="1"),
                                ],
                                id="animation-job",
                                className="animation-job hidden",
                            ),
                            html.Span(id="animation-status", className="export-status", role="status"),
                        ],
                        className="animation-row",
                    ),
                    dcc.Store(id="animation-request"),
                    dcc.Download(id="animation-file"),
                ],
                className="animation-block",
            ),
        ],
        id="export-panel",
        className="export-panel hidden",
        role="dialog",
        **{"aria-labelledby": "export-title"},
    )


def anim_choice(label: str, choice_id: str, options: list[tuple], value) -> html.Div:
    """One animation setting with its visible name (the values stay the CLI's: 1d, 7d, gif...)."""
    return html.Div(
        [
            html.Label(label, htmlFor=choice_id, className="anim-label"),
            dcc.Dropdown(
                id=choice_id,
                options=[{"label": text, "value": key} for key, text in options],
                value=value,
                clearable=False,
                searchable=False,
                className="anim-choice",
            ),
        ],
        className="anim-field",
    )


def screen_size(request: dict) -> tuple[int, int] | None:
    """The map's size on screen the browser sent (CSS pixels), or None."""
    try:
        width, height = (int(v) for v in request.get("screen") or ())
    except (TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def framing(value: str | None) -> str:
    """The framing chosen in the panel (an unknown value: the screen's)."""
    return value if value in FRAMINGS else "screen"


def export_options(
    request: dict, image_format: str, aspect: str, width, height, scale, include, fit: str | None = "screen"
) -> ExportOptions:
    """Options from the panel; 'as on screen' takes the map's size in the browser, and so does the
    framing 'as on screen' (with the view's centre and zoom)."""
    screen = screen_size(request)
    if aspect == SCREEN:
        width, height = (max(MIN_SIDE, min(MAX_SIDE, v)) for v in screen or (1200, 900))
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
        fit=framing(fit),
        screen=screen,
    ).validated()


def export_status(name: str, options: ExportOptions) -> str:
    """What the dialog says once the file is sent: its size, and for a PNG the resolution (an SVG or
    PDF has no pixels to multiply, so "at 2x" does not apply to it)."""
    size = f"{options.width}×{options.height}"
    if options.format == "png":
        return f"Exported {name} ({size} at {options.scale:g}x)"
    return f"Exported {name} ({size})"


def register_export_callbacks(
    app: Dash,
    dataset: Dataset,
    choices: Choices,
    renderer: ImageRenderer,
    basemap: str,
    background_manager: object | None = None,
) -> None:
    # The size boxes show the size each aspect gives, and take input only for 'Custom size'
    # ('As on screen' showed 1200 x 900 while the export took the map's own size).
    app.clientside_callback(
        """function (aspect, _open, sizes) {
            if (aspect === "Custom size") return [false, false, window.dash_clientside.no_update,
                                                  window.dash_clientside.no_update];
            let size = sizes[aspect];
            if (!size) {
                const map = document.getElementById("map");
                const box = map ? map.getBoundingClientRect() : { width: 1200, height: 900 };
                size = [Math.round(box.width), Math.round(box.height)];
            }
            return [true, true, size[0], size[1]];
        }""",
        Output("export-width", "disabled"),
        Output("export-height", "disabled"),
        Output("export-width", "value"),
        Output("export-height", "value"),
        Input("export-aspect", "value"),
        Input("export-button", "n_clicks"),
        State("export-sizes", "data"),
    )
    app.clientside_callback(
        "window.unrestMap.toggleExportPanel",
        Output("export-panel", "className"),
        Input("export-button", "n_clicks"),
        State("export-panel", "className"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function (n) { return 'export-panel hidden'; }",
        Output("export-panel", "className", allow_duplicate=True),
        Input("export-close", "n_clicks"),
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
        State("export-framing", "value"),
        prevent_initial_call=True,
    )
    def download(request, image_format, aspect, width, height, scale, include, fit):
        """Render the view the browser shows and send it as a file."""
        request = request or {}
        try:
            options = export_options(request, image_format, aspect, width, height, scale, include, fit)
            state, _ = parse_query(urlsplit("?" + str(request.get("query", ""))).query, choices)
            spec = export_figure(dataset, state, options, basemap)
            if aspect == SCREEN:  # the map at its size on screen, the caption and legend round it
                spec = screen_sized(spec, renderer.draw)
                options = spec.options
            data = renderer.render(spec, options)
        except (ExportError, ExportBusyError) as error:
            return no_update, f"Not exported: {error}"
        name = file_name(dataset, state, options.format)
        return dcc.send_bytes(data, name), export_status(name, options)

    if background_manager is None:
        return

    app.clientside_callback(
        "window.unrestMap.exportRequest",
        Output("animation-request", "data"),
        Input("animation-start", "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("animation-file", "data"),
        Output("animation-status", "children"),
        Input("animation-request", "data"),
        State("animation-step", "value"),
        State("animation-window", "value"),
        State("animation-fps", "value"),
        State("animation-format", "value"),
        State("export-include", "value"),
        State("export-framing", "value"),
        background=True,
        manager=background_manager,
        running=[
            (Output("animation-start", "disabled"), True, False),
            (Output("animation-cancel", "disabled"), False, True),
            (Output("animation-job", "className"), "animation-job", "animation-job hidden"),
        ],
        cancel=[Input("animation-cancel", "n_clicks")],
        progress=[Output("animation-progress", "value"), Output("animation-progress", "max")],
        progress_default=["0", "1"],
        interval=400,
        prevent_initial_call=True,
    )
    def animate(set_progress, request, step, window, fps, video, include, fit):
        """A background job (its own process): one frame per step, with progress and cancel."""
        from dashboard.export import export_animation, frame_count

        request = request or {}
        state, _ = parse_query(urlsplit("?" + str(request.get("query", ""))).query, choices)
        include = include or []
        options = ExportOptions(
            width=960,
            height=720,
            caption="caption" in include,
            legend="legend" in include,
            fit=framing(fit),
            screen=screen_size(request),
        )
        video = video if video in ("gif", "mp4") else "gif"
        step_days = int(str(step).rstrip("d"))
        window_days = None if window == "cumulative" else int(str(window).rstrip("d"))
        job_renderer = ImageRenderer(max_waiting=0)
        try:
            total = frame_count(dataset, state, step_days, window_days)
            set_progress(("0", str(total)))
            data = export_animation(
                dataset,
                state,
                job_renderer,
                options,
                step_days=step_days,
                window_days=window_days,
                fps=float(fps),
                progress=lambda done, total: set_progress((str(done), str(total))),
                video=video,
            )
        except (ExportError, ExportBusyError) as error:
            return no_update, f"Not exported: {error}"
        finally:
            job_renderer.close()
        name = file_name(dataset, state, video)
        return dcc.send_bytes(data, name), f"Exported {name} ({total} frames)"
