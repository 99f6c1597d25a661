"""Which plotly.js the page runs, and how it waits for it.

plotly.js is the page's largest script and the longest task of a first load: the full bundle
(4.8 MB) takes about 0.9 s to run in this browser before anything is drawn. The page draws three
trace types (``scattermap`` and ``choroplethmap`` on the map, ``scatter`` for the timeline), all in
plotly.js's official ``map`` partial bundle (``choroplethmap``, ``densitymap``, ``scatter``,
``scattermap``: 3.0 MB, about 0.3 s). It is shipped in ``dashboard/vendor/`` (see its README) and
used when its version is the one the installed plotly package builds figures for; otherwise the
page falls back to the full bundle that Dash serves.

The bundle is a deferred script in the page's head (:data:`PLACEHOLDER_JS` and
:func:`head_scripts`): it runs while the layout is on its way, not after it. Dash's graph component
loads its own copy (``window._dashPlotlyJSURL``, the full bundle) when it mounts and finds no
``window.Plotly``: until the bundle has run, ``window.Plotly`` is a promise of it, which the
component waits for. Page scripts that wrap Plotly's functions register with
``window.unrestWhenPlotly(fn)`` and get the real object.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from dash import Dash
from dash.fingerprint import build_fingerprint

log = logging.getLogger(__name__)

#: The partial bundle, relative to the ``dashboard`` package (served as a Dash component-suite file).
VENDORED_BUNDLE = "vendor/plotly-map.min.js"
#: The trace types the bundle holds; every figure the page draws must use only these.
BUNDLE_TRACES = frozenset({"choroplethmap", "densitymap", "scatter", "scattermap"})
#: Dash's own copy of the full bundle (dash-renderer's rule for ``serve_locally``).
FULL_BUNDLE_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"

#: Runs first in the page's head: ``window.Plotly`` is a promise of plotly.js until the deferred
#: bundle assigns the real one (Dash's graph component adopts it: ``Promise.resolve(window.Plotly)``),
#: and ``window.unrestWhenPlotly(fn)`` calls ``fn(Plotly)`` once it is there, before any plot.
PLACEHOLDER_JS = """(function () {
  var plotly = null, waiting = [], hooks = [];
  var pending = { then: function (resolve) { waiting.push(resolve); } };
  Object.defineProperty(window, "Plotly", {
    configurable: true, enumerable: true,
    get: function () { return plotly || pending; },
    set: function (value) {
      Object.defineProperty(window, "Plotly", {
        value: value, writable: true, configurable: true, enumerable: true
      });
      plotly = value;
      hooks.splice(0).forEach(function (hook) { hook(value); });
      waiting.splice(0).forEach(function (resolve) { resolve(value); });
    }
  });
  window.unrestWhenPlotly = function (hook) { if (plotly) hook(plotly); else hooks.push(hook); };
})();"""


def bundle_version(path: Path) -> str | None:
    """The plotly.js version a bundle's header names (``plotly.js (map - minified) v4.1.1``)."""
    with path.open("rb") as bundle:
        head = bundle.read(400).decode("utf-8", "replace")
    found = re.search(r"plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+\S*)", head)
    return found.group(1) if found else None


def vendored_bundle() -> Path:
    return Path(__file__).resolve().parent / VENDORED_BUNDLE


def bundle_matches(bundle: Path, wanted: str) -> bool:
    """Whether ``bundle`` is plotly.js ``wanted`` (the installed plotly's); says why not in the log."""
    found = bundle_version(bundle) if bundle.is_file() else None
    if found != wanted:
        log.warning(
            "plotly.js %s expected, %s is %s: the page loads the full plotly.js",
            wanted,
            bundle.name,
            found or "missing",
        )
    return found == wanted


def plotly_js_url(app: Dash, home: str | None = None) -> str:
    """The URL of the plotly.js the page runs: the vendored map bundle when it is the installed
    plotly's plotly.js, fingerprinted (cached for a year); else Dash's full bundle.

    The bundle is registered with ``app``'s Dash (served by its component-suite route: its
    compression and caching apply). ``home``: the path prefix of the app that serves it instead,
    for an uploaded dataset's app under ``/d/<sha256>/``, so that every dataset's page names the
    same URL and the browser fetches the bundle once, not once per dataset.
    """
    from plotly.offline import get_plotlyjs_version

    prefix = app.config.requests_pathname_prefix or "/"
    bundle = vendored_bundle()
    version = get_plotlyjs_version()
    if not bundle_matches(bundle, version):
        return prefix + FULL_BUNDLE_PATH
    # Registered at once (not when Dash first renders the page): a first visitor may open an
    # upload's page, whose bundle the home app serves, before the home page.
    app.registered_paths["dashboard"].add(VENDORED_BUNDLE)
    fingerprint = build_fingerprint(VENDORED_BUNDLE, version, int(bundle.stat().st_mtime))
    return f"{prefix if home is None else home}_dash-component-suites/dashboard/{fingerprint}"


def head_scripts(app: Dash, home: str | None = None) -> str:
    """The page head's two scripts: the placeholder, then the deferred bundle (see :func:`plotly_js_url`)."""
    return (
        f'<script>{PLACEHOLDER_JS}</script>\n        <script defer src="{plotly_js_url(app, home)}"></script>'
    )
