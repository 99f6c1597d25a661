"""Build the Dash app for one dataset: the page (``layout.py``), the callbacks (``callbacks.py``)
over the view computation (``view.py``), and the export panel.

Data flows one way: controls -> :class:`~geodata.filters.ViewFilter` -> filtered frame -> figures.
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

from pathlib import Path

from dash import Dash

from dashboard.callbacks import register_callbacks
from dashboard.datasets import Uploaded, UploadedApps, prefix_of
from dashboard.downloads import register_download_callbacks
from dashboard.export import ImageRenderer
from dashboard.export_panel import register_export_callbacks
from dashboard.layout import build_layout
from dashboard.opening import served_context
from dashboard.plotlyjs import head_scripts
from dashboard.shared_files import share_home_files
from dashboard.upload import register_upload_callbacks, register_upload_route, upload_panel
from dashboard.view import ViewContext
from geodata.dataset import Dataset
from geodata.uploads import UploadReport

#: Dash's page template with the page language declared (screen readers pick their voice by it), and
#: plotly.js as a deferred script in the head (``plotlyjs.head_scripts``): it runs while the layout
#: is on its way, not after it.
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        PLOTLY_JS
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>
"""


def assets_folder() -> str:
    """Top-level ``assets/`` in a checkout; ``dashboard/assets`` inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "assets", here / "assets"):
        if candidate.is_dir():
            return str(candidate)
    raise FileNotFoundError("Dash assets folder not found next to the dashboard package")


def create_app(
    dataset: Dataset,
    basemap: str = "none",
    jobs_dir: str | Path | None = None,
    context: ViewContext | None = None,
    layout=None,
) -> Dash:
    """A Dash app showing ``dataset``. ``basemap`` 'none' works offline. ``context`` and ``layout``: the
    dataset's :func:`~dashboard.view.view_context` and :func:`~dashboard.layout.build_layout` when
    already built (``serve --workers`` builds both once, before the fork, for every worker).

    The same server also shows every upload in the import cache (``/?data=<sha256>``, see
    ``datasets.py``) and takes new ones (``POST /upload``, see ``upload.py``).
    """
    # One warm renderer per server process, shared by the exports of every dataset it shows.
    renderer = ImageRenderer()
    app = dataset_app(
        dataset, basemap, renderer, background_manager(jobs_dir), context=context, layout=layout
    )
    server = app.server

    def build(uploaded: Uploaded):
        from dashboard.production import finish_setup, serve_fast

        upload_app = dataset_app(
            uploaded.dataset,
            basemap,
            renderer,
            upload_jobs(jobs_dir, uploaded.sha),
            sha=uploaded.sha,
            report=uploaded.report,
            home=dataset.title,
        )
        if server.extensions.get("unrest_map_fast"):
            upload_app.server.config["UNREST_MAP_ASSETS_PATH"] = prefix_of(uploaded.sha) + "assets"
            serve_fast(upload_app.server)
        upload_app.server.config["MAX_CONTENT_LENGTH"] = server.config.get("MAX_CONTENT_LENGTH")
        share_home_files(upload_app, app)
        # Dash's one-time setup, before a user's request reaches it.
        return finish_setup(upload_app.server, prefix_of(uploaded.sha))

    uploads = UploadedApps(server.wsgi_app, build)
    server.wsgi_app = uploads  # type: ignore[method-assign]
    register_upload_route(server, uploads.get)
    return app


def dataset_app(
    dataset: Dataset,
    basemap: str,
    renderer: ImageRenderer,
    manager,
    sha: str | None = None,
    report: UploadReport | None = None,
    home: str = "",
    context: ViewContext | None = None,
    layout=None,
) -> Dash:
    """The dashboard of one dataset: the default one at ``/``, an upload under ``/d/<sha>/``."""
    app = Dash(
        __name__,
        title=f"unrest-map · {dataset.title}",
        assets_folder=assets_folder(),
        url_base_pathname=prefix_of(sha) if sha else "/",
        suppress_callback_exceptions=False,
    )
    # An upload's page takes plotly.js from the default app at "/": one URL, fetched once.
    app.index_string = INDEX_STRING.replace("PLOTLY_JS", head_scripts(app, home="/" if sha else None))
    # The dates, filter choices and labels, derived once here for the layout and every callback (what
    # counts every row read from the cache entry when it is stored there).
    context = served_context(dataset) if context is None else context
    choices = context.choices
    page = build_layout(dataset, basemap, context) if layout is None else layout
    app.layout = with_panel(page, upload_panel(sha, dataset.title, report, home))
    register_callbacks(app, dataset, context)
    register_download_callbacks(app, dataset, choices)
    register_export_callbacks(app, dataset, choices, renderer, basemap, manager)
    register_upload_callbacks(app, sha)
    return app


def with_panel(layout, panel):
    """``layout`` with the upload panel right after the notice line (under the header)."""
    children = list(layout.children)
    at = next((i for i, c in enumerate(children) if getattr(c, "id", None) == "url-notice"), 0)
    layout.children = [*children[: at + 1], panel, *children[at + 1 :]]
    return layout


def upload_jobs(jobs_dir: str | Path | None, sha: str):
    """An upload's background jobs: always on disk, in a folder of its own.

    Dash keys a job by its callback's code and arguments, which are the same in every dataset's
    app: a shared store could hand one dataset's GIF to another. (A Celery worker started with
    ``unrest-map worker`` knows only its own dataset, so uploads never send jobs there.)
    """
    import tempfile

    import diskcache
    from dash import DiskcacheManager

    from dashboard.production import JOB_EXPIRE_S

    folder = Path(jobs_dir) if jobs_dir else Path(tempfile.gettempdir()) / "unrest-map-jobs"
    return DiskcacheManager(diskcache.Cache(str(folder / "uploads" / sha[:16])), expire=JOB_EXPIRE_S)


def background_manager(jobs_dir: str | Path | None):
    """Dash background jobs (GIF export): Celery on Redis with ``$UNREST_MAP_JOBS``, else a disk
    cache that every worker process of this host can see."""
    from dashboard.production import background_manager as manager

    return manager(jobs_dir)
