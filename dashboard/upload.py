"""Upload your own incidents: the panel, its callbacks and the upload route.

- ``POST /upload`` (a plain Flask route, multipart): the file is streamed to a temporary file
  while hashed, refused over :data:`~geodata.uploads.MAX_UPLOAD_BYTES` (before reading a byte when
  the request says its size) or :data:`~geodata.uploads.MAX_UPLOAD_ROWS`, then read, geocoded and
  joined by the same code as ``unrest-map serve --data`` and kept in the import cache under its
  sha256. The answer names the hash; the page (``assets/upload.js``) then opens ``?data=<sha256>``.
  A file of which no row can be placed is not kept: the answer lists its problems instead.
- The panel shows an uploaded dataset's report: rows read = placed + reported; ambiguous rows with
  a button per candidate, unknown places with the nearest names, bad rows with file, row and field.
  Picking a candidate stores a new upload (the candidate's municipality written into the row as its
  hint, or its coordinates when another candidate shares the municipality) and opens its hash.

Every text from a file reaches the page as a component's text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable

from dash import ALL, Dash, Input, Output, ctx, dcc, html, no_update
from flask import Flask, jsonify, request

from dashboard.ids import from_id_text, id_text
from geodata.names import display_name
from geodata.uploads import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    ReportedRow,
    UploadError,
    UploadReport,
    is_dataset_hash,
    resolution_of,
    resolve_rows,
    store_upload,
    upload_path,
    uploads_folder,
)

#: Problems an upload's refusal lists (the rest are counted).
PROBLEMS_LISTED = 20
#: Rows of each kind the panel lists (the rest are counted; the CLI's ``validate`` lists them all).
ROWS_LISTED = 50
#: Multipart framing around the file: the request may be this much larger than the file.
MULTIPART_SLACK = 64 * 1024


#: Characters of a cell or a reason the panel shows: a huge cell is cut, with its length said.
TEXT_SHOWN = 200


def short(text: str, limit: int = TEXT_SHOWN) -> str:
    """``text``, or its start and how long it is when longer than ``limit``."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def limits_text() -> str:
    return (
        f"CSV or XLSX up to {MAX_UPLOAD_BYTES // 2**20} MB and {MAX_UPLOAD_ROWS:,} rows: a date and a "
        "place column (place names are geocoded), or an ACLED, UCDP GED or unrest-map records file."
    )


def upload_panel(
    sha: str | None = None,
    title: str = "",
    report: UploadReport | None = None,
    home: str = "the default data",
) -> html.Details:
    """The panel under the header: the drop zone, and the report of the dataset shown (if uploaded);
    ``home`` names the server's own dataset, which the panel links back to."""
    has_problems = report is not None and report.reported > 0
    summary = "Your data: upload a CSV or XLSX" if report is None else f"Uploaded: {title}"
    if report is not None:
        summary += (
            f" · {report.rows_read:,} rows read = {report.placed:,} placed + {report.reported:,} reported"
        )
    return html.Details(
        [
            html.Summary(summary, id="upload-summary"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Span("Drop a file here, or "),
                            # The file input itself is added by upload.js (Dash has no file input
                            # that streams; dcc.Upload would send the file base64 in a callback).
                            html.Div(
                                id="upload-input-slot",
                                className="upload-input-slot",
                                **{"data-max-bytes": str(MAX_UPLOAD_BYTES)},
                            ),
                            html.P(limits_text(), className="upload-limits"),
                        ],
                        id="upload-drop",
                        className="upload-drop",
                    ),
                    html.P(id="upload-notice", className="upload-notice", role="status"),
                    *([report_view(sha, report)] if report is not None and sha else []),
                    html.A(f"Back to {home}", href="/", className="upload-home") if sha else None,
                ],
                className="upload-body",
            ),
            dcc.Store(id="upload-go"),
            dcc.Store(id="upload-went"),
            dcc.Store(id="upload-wanted"),
        ],
        id="upload-panel",
        className="upload-panel",
        open=has_problems,
    )


def report_view(sha: str, report: UploadReport) -> html.Div:
    """The report: counts, then ambiguous (pick one), unknown (nearest names) and bad rows."""
    history = resolution_of(sha)
    parts: list = [html.P(history, className="upload-history")] if history else []
    parts += [
        html.P(
            [
                html.B(f"{report.rows_read:,}"),
                " rows read = ",
                html.B(f"{report.placed:,}", id="upload-placed"),
                " placed + ",
                html.B(f"{report.reported:,}", id="upload-reported"),
                " reported",
            ],
            className="upload-counts",
        )
    ]
    if report.guessed:
        parts.append(html.H3(f"Placed by a close spelling ({len(report.guessed):,}): check them"))
        parts.append(
            html.Ul(
                [
                    html.Li(
                        [
                            # Where, as every other reported line says it (trial: "Row 5:" stood alone).
                            html.Span(f"{row.file}, row {row.row}, place: ", className="upload-where"),
                            f"'{row.given}' taken as {row.taken_as} (score {row.score:.0f} of 100)",
                        ]
                    )
                    for row in report.guessed[:ROWS_LISTED]
                ],
                id="upload-guessed",
            )
        )
    if report.ambiguous:
        parts.append(html.H3(f"Ambiguous place ({len(report.ambiguous):,}): pick the one meant"))
        parts.append(html.Ul([_ambiguous_item(row) for row in report.ambiguous[:ROWS_LISTED]]))
    if report.unknown:
        parts.append(html.H3(f"Unknown place ({len(report.unknown):,})"))
        parts.append(
            html.Ul(
                [
                    html.Li(
                        [
                            _where(row),
                            f"“{short(row.place)}” not found",
                            f"; nearest: {', '.join(row.nearest)}" if row.nearest else "; no name is close",
                        ]
                    )
                    for row in report.unknown[:ROWS_LISTED]
                ]
            )
        )
    if report.bad:
        parts.append(html.H3(f"Other problems ({len(report.bad):,})"))
        parts.append(html.Ul([html.Li([_where(row), short(row.reason)]) for row in report.bad[:ROWS_LISTED]]))
    shown = max(len(report.ambiguous), len(report.unknown), len(report.bad))
    if shown > ROWS_LISTED:
        parts.append(
            html.P(f"Lists stop at {ROWS_LISTED} rows each; `unrest-map validate FILE` lists every one.")
        )
    return html.Div(parts, id="upload-report", className="upload-report")


def _where(row: ReportedRow) -> html.Span:
    return html.Span(f"{row.file}, row {row.row}, {row.field}: ", className="upload-where")


def _ambiguous_item(row: ReportedRow) -> html.Li:
    buttons = []
    for candidate in row.candidates:
        hint = candidate.hint(row.candidates)
        how = (
            f"municipality {display_name(hint['municipality'])}"
            if "municipality" in hint
            else f"coordinates {hint['lat']}, {hint['lon']}"
        )
        buttons.append(
            html.Button(
                candidate.label,
                # Every key of the pattern is in each id; the id carries the whole choice
                # (the municipality encoded: see dashboard/ids.py).
                id={
                    "type": "upload-resolve",
                    "row": row.row,
                    "municipality": id_text(hint.get("municipality", "")),
                    "lonlat": f"{hint['lon']},{hint['lat']}" if "lon" in hint else "",
                },
                className="small upload-candidate",
                title=f"Place row {row.row} here (the row gets {how})",
            )
        )
    return html.Li(
        [_where(row), f"“{short(row.place)}” is one of: ", html.Span(buttons, className="upload-candidates")],
        className="upload-ambiguous",
    )


def register_upload_callbacks(app: Dash, sha: str | None) -> None:
    """The panel's callbacks on the app of the dataset ``sha`` (None: the default dataset)."""

    if sha is None:
        # Only a URL that names a dataset asks the server: a plain first load sends nothing.
        app.clientside_callback(
            "function (search) { const wanted = new URLSearchParams(search || '').get('data');"
            " return wanted ? wanted : window.dash_clientside.no_update; }",
            Output("upload-wanted", "data"),
            Input("url", "search"),
        )

        @app.callback(
            Output("upload-notice", "children"),
            Output("upload-panel", "open"),
            Input("upload-wanted", "data"),
            prevent_initial_call=True,
        )
        def notice(wanted: str | None):
            """On the default app, a ``data`` in the URL is a hash no upload has (or a broken
            one): the panel opens to say so."""
            if not wanted:
                return "", no_update
            return unknown_dataset_notice(str(wanted)), True

    @app.callback(
        Output("upload-go", "data"),
        Output("upload-notice", "children", allow_duplicate=True),
        Input({"type": "upload-resolve", "row": ALL, "municipality": ALL, "lonlat": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def resolve(_clicks):
        picked = ctx.triggered_id
        if sha is None or not isinstance(picked, dict) or not ctx.triggered[0]["value"]:
            return no_update, no_update
        row = int(picked["row"])
        if picked.get("municipality"):
            municipality = from_id_text(picked["municipality"])
            hint, where = {"municipality": municipality}, municipality
        else:
            lon, lat = str(picked.get("lonlat", "")).split(",")
            hint, where = {"lat": lat, "lon": lon}, f"{lat}, {lon}"
        try:
            new_sha = resolve_rows(sha, {row: hint})
        except (UploadError, OSError, ValueError) as error:
            return no_update, f"Could not resolve row {row}: {error}"
        return f"?data={new_sha}", f"Row {row} placed at {where}; opening…"

    app.clientside_callback(
        "function (url) { if (url) { window.location.assign(url); } return url; }",
        Output("upload-went", "data"),
        Input("upload-go", "data"),
        prevent_initial_call=True,
    )


def unknown_dataset_notice(wanted: str) -> str:
    shown = wanted if len(wanted) <= 20 else wanted[:16] + "…"
    if not is_dataset_hash(wanted):
        return f"“{shown}” is not a dataset name (64 hex digits); showing this server's own data."
    if upload_path(wanted) is not None:
        return f"Dataset {shown} is in the cache but could not be shown; showing this server's own data."
    return (
        f"Dataset {shown} is not in this server's import cache (removed, or the link was cut); "
        "showing this server's own data. Upload the file again to see it."
    )


def register_upload_route(server: Flask, warm: Callable[[str], Flask | None]) -> None:
    """``POST /upload`` on the default app's server. ``warm(sha)`` builds the dataset's app (or
    returns None when none of its rows can be shown)."""
    server.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES + MULTIPART_SLACK

    @server.errorhandler(413)
    def too_large(_error):
        return _refused(f"larger than the limit of {MAX_UPLOAD_BYTES // 2**20} MB", 413)

    @server.post("/upload")
    def upload():
        # Refused before reading the body when the request says how big it is.
        if (request.content_length or 0) > MAX_UPLOAD_BYTES + MULTIPART_SLACK:
            return _refused(f"larger than the limit of {MAX_UPLOAD_BYTES // 2**20} MB", 413)
        given = request.files.get("file")
        if given is None or not given.filename:
            return _refused("no file in the request (send it as the multipart field 'file')", 400)
        try:
            sha, path = store_upload(given.stream, given.filename)
        except UploadError as error:
            return _refused(str(error), error.status)
        if warm(sha) is None:
            return _not_shown(sha, path)
        return jsonify({"data": sha, "url": f"?data={sha}", "name": path.name})


def _refused(message: str, status: int):
    return jsonify({"error": message}), status


def _not_shown(sha: str, path):
    """No row could be placed: list the problems (file, row, field) and keep nothing."""
    import shutil

    from geodata.dataset import load_dataset

    try:
        read = load_dataset(path, strict=False).read
        problems = [f"{path.name}: row {p.row}: {p.field}: {short(p.reason)}" for p in read.problems]
        error = (
            f"{path.name}: no row could be shown ({read.rows_read:,} rows read, {len(problems):,} problems)"
        )
    except Exception as failure:  # a reader that gave up on this file: say so rather than fail the request
        problems, error = [], f"{path.name}: not readable: {short(str(failure))}"
    finally:
        shutil.rmtree(uploads_folder() / sha, ignore_errors=True)
    more = len(problems) - PROBLEMS_LISTED
    return jsonify(
        {
            "error": error,
            "problems": problems[:PROBLEMS_LISTED] + ([f"… and {more:,} more"] if more > 0 else []),
        }
    ), 422
