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
from dashboard.downloads import register_download_callbacks
from dashboard.export import ImageRenderer
from dashboard.export_panel import register_export_callbacks
from dashboard.layout import build_layout
from dashboard.legend import register_legend_callbacks
from dashboard.view import ViewContext, view_context
from geodata.dataset import Dataset

#: Dash's page template with the page language declared (screen readers pick their voice by it).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
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
    already built (``serve --workers`` builds both once, before the fork, for every worker)."""
    app = Dash(
        __name__,
        title=f"unrest-map · {dataset.title}",
        assets_folder=assets_folder(),
        suppress_callback_exceptions=False,
    )
    app.index_string = INDEX_STRING
    # The dates, filter choices and labels, derived once here for the layout and every callback.
    context = view_context(dataset) if context is None else context
    choices = context.choices
    app.layout = build_layout(dataset, basemap, context) if layout is None else layout
    register_callbacks(app, dataset, context)
    register_download_callbacks(app, dataset, choices)
    register_legend_callbacks(app, dataset, context.days, context.municipality_labels, context.dates)
    # One warm browser per server process, shared by this app's exports.
    register_export_callbacks(app, dataset, choices, ImageRenderer(), basemap, background_manager(jobs_dir))
    return app


def background_manager(jobs_dir: str | Path | None):
    """Dash background jobs (GIF export): Celery on Redis with ``$UNREST_MAP_JOBS``, else a disk
    cache that every worker process of this host can see."""
    from dashboard.production import background_manager as manager

    return manager(jobs_dir)
