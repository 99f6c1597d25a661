"""Download the view: the incidents the table lists, as CSV or GeoJSON, from buttons beside the table.

The browser sends the view as its URL query (the same text the address bar carries); the server
parses it with the URL parser, filters with the shared filter code and writes the file with
``geodata.output`` (the ``unrest-map data`` writer): the downloaded rows are the table's rows, and
place and municipality names are in the view's language (``lang``), as on screen.
"""

from __future__ import annotations

import io

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard.export import file_name
from dashboard.viewstate import Choices, ViewState, parse_query
from geodata.dataset import Dataset
from geodata.filters import apply_filter
from geodata.names import LANGUAGE_NAMES
from geodata.output import write_csv, write_geojson

#: Rows a download may hold: beyond this a file is too large for a browser download to be useful.
MAX_DOWNLOAD_ROWS = 250_000
FORMATS = {"csv": ("Download CSV", "text/csv"), "geojson": ("Download GeoJSON", "application/geo+json")}


def download_controls() -> html.Div:
    """The two buttons, the download target and a status line (for refusals)."""
    return html.Div(
        [
            *[
                html.Button(
                    label,
                    id=f"download-{kind}",
                    className="small",
                    title=f"The incidents in view ({kind.upper()}), with the filters written in the file",
                )
                for kind, (label, _) in FORMATS.items()
            ],
            html.Span(id="download-status", className="download-status", role="status"),
            dcc.Download(id="download-view"),
        ],
        className="download-row",
    )


def describe_view(dataset: Dataset, state: ViewState, choices: Choices, rows: int) -> dict[str, str]:
    """What a downloaded file holds, in words: dataset, period, filters, row count, sources."""
    view = state.filter
    start = view.start or choices.first_day
    end = view.end or choices.last_day
    described = {
        "dataset": dataset.title,
        "period": f"{start.isoformat()} to {end.isoformat()}",
        "filters": "; ".join(view.describe(state.lang)) or "none",
        "incidents": str(rows),
        "names": f"{LANGUAGE_NAMES[state.lang]} (the boundary layer's in the *_layer_name* columns)",
        "records": dataset.source_attribution,
    }
    if dataset.boundaries is not None:
        described["boundaries"] = dataset.boundaries.attribution
    return described


def view_file(dataset: Dataset, query: str | None, choices: Choices, kind: str) -> tuple[str, str]:
    """The file's text and name for the view ``query`` describes. Raises ValueError when too large."""
    state, _notices = parse_query(query, choices)
    selected = apply_filter(dataset.incidents, state.filter)
    if len(selected) > MAX_DOWNLOAD_ROWS:
        raise ValueError(
            f"{len(selected):,} incidents are in view; a download holds at most {MAX_DOWNLOAD_ROWS:,}. "
            "Narrow the view, or use `unrest-map data` for the whole file."
        )
    described = describe_view(dataset, state, choices, len(selected))
    out = io.StringIO()
    if kind == "geojson":
        write_geojson(selected, out, dataset.reactions, about=described, lang=state.lang)
    else:
        comments = [f"{key}: {value}" for key, value in described.items()]
        write_csv(selected, out, comments=comments, lang=state.lang)
    return out.getvalue(), file_name(dataset, state, kind)


def register_download_callbacks(app: Dash, dataset: Dataset, choices: Choices) -> None:
    @app.callback(
        Output("download-view", "data"),
        Output("download-status", "children"),
        Input("download-csv", "n_clicks"),
        Input("download-geojson", "n_clicks"),
        State("view-query", "data"),
        prevent_initial_call=True,
    )
    def download(_csv, _geojson, query):
        kind = "geojson" if ctx.triggered_id == "download-geojson" else "csv"
        try:
            text, name = view_file(dataset, query, choices, kind)
        except ValueError as error:
            return no_update, str(error)
        return {"content": text, "filename": name, "type": FORMATS[kind][1]}, ""
