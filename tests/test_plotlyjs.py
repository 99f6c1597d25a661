"""The page runs plotly.js's map bundle from dashboard/vendor (``dashboard.plotlyjs``), once."""

from __future__ import annotations

import hashlib
import re

import brotli
import plotly.graph_objects as go
import pytest
from dash import dcc
from plotly.offline import get_plotlyjs_version

from dashboard.app import create_app
from dashboard.plotlyjs import (
    BUNDLE_TRACES,
    bundle_matches,
    bundle_version,
    vendored_bundle,
)
from dashboard.production import LONG_CACHE_SECONDS, finish_setup, serve_fast
from tests.browser import count_in_view, wait_map_loaded, wait_until

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


@pytest.fixture(scope="module")
def fast_server(dataset):
    return finish_setup(serve_fast(create_app(dataset).server))


def _head_scripts(html: str) -> list[str]:
    head = html.split("</head>")[0]
    return re.findall(r"<script[^>]*>", head)


def test_vendored_bundle_is_the_file_its_readme_names():
    readme = (vendored_bundle().parent / "README.md").read_text()
    digest = hashlib.sha256(vendored_bundle().read_bytes()).hexdigest()
    assert f"| sha256 | `{digest}` |" in readme
    assert f"| version | plotly.js {bundle_version(vendored_bundle())} " in readme
    # The installed plotly builds figures for this plotly.js: the page uses the bundle, not a fallback.
    assert bundle_version(vendored_bundle()) == get_plotlyjs_version()


def test_page_loads_the_map_bundle_deferred_after_the_placeholder(fast_server):
    client = fast_server.test_client()
    html = brotli.decompress(client.get("/", headers=BROWSER).data).decode()
    scripts = _head_scripts(html)
    assert scripts[0] == "<script>"  # window.Plotly's placeholder runs before anything else
    (bundle,) = [s for s in scripts if "src=" in s]
    assert "defer" in bundle and "/_dash-component-suites/dashboard/vendor/plotly-map.v" in bundle
    assert "plotly.min.js" not in html  # the full bundle is not in the page at all
    url = re.search(r'src="([^"]+)"', bundle).group(1)
    response = client.get(url, headers=BROWSER)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.data) == vendored_bundle().read_bytes()
    assert response.cache_control.max_age == LONG_CACHE_SECONDS  # fingerprinted: a year
    assert len(response.data) < 900_000  # the full bundle is 1.3 MB so compressed
    # Compressed at start-up, like Dash's own scripts: the first user does not wait for brotli.
    cache = fast_server.extensions["unrest_map_fast"].cache
    assert any("vendor/plotly-map" in key for key in cache.bodies)


def test_every_trace_the_page_draws_is_in_the_bundle(dataset):
    """The page's figures: the map and the timeline (later updates are patches of these traces)."""
    app = create_app(dataset)
    graphs = [c for c in app.layout._traverse() if isinstance(c, dcc.Graph) and c.figure is not None]
    types = {trace.type for graph in graphs for trace in go.Figure(graph.figure).data}
    assert {"scattermap", "choroplethmap", "scatter"} <= types  # the map and the timeline were found
    assert types <= BUNDLE_TRACES


def test_only_a_bundle_of_the_installed_plotly_js_is_used(tmp_path, caplog):
    wanted = get_plotlyjs_version()
    assert bundle_matches(vendored_bundle(), wanted) and not caplog.text
    other = tmp_path / "plotly-map.min.js"
    other.write_text("/**\n* plotly.js (map - minified) v0.0.1\n*/\nwindow.Plotly = {};\n")
    assert bundle_version(other) == "0.0.1"
    assert not bundle_matches(other, wanted)
    assert f"plotly.js {wanted} expected, plotly-map.min.js is 0.0.1" in caplog.text
    assert not bundle_matches(tmp_path / "missing.js", wanted)


@pytest.mark.browser
def test_browser_runs_plotly_once_from_the_map_bundle(dash_thread_server, dataset, incidents):
    from tests.test_offline_browser import RecordingPage

    page = RecordingPage()
    try:
        dash_thread_server(create_app(dataset))
        page.driver.get(dash_thread_server.url)
        wait_until(page, lambda: count_in_view(page) == len(incidents), 30, "incident count never shown")
        wait_map_loaded(page, 30)
        plotly = [u for u in page.requested_urls() if "plotly" in u]
        assert len(plotly) == 1 and "/vendor/plotly-map.v" in plotly[0], plotly
        version, traces = page.driver.execute_script(
            "return [Plotly.version, Object.keys(Plotly.PlotSchema.get().traces)];"
        )
        assert version == get_plotlyjs_version() and set(traces) == BUNDLE_TRACES
        # The page's wrappers went on the real Plotly, before the map's first call.
        assert page.driver.execute_script("return Plotly.unrestStyleHold && Plotly.unrestStaleGuard") is True
        assert page.get_logs() == []
    finally:
        page.quit()


@pytest.mark.browser
def test_map_waits_for_a_late_bundle_instead_of_loading_a_second_plotly(
    dash_thread_server, dataset, incidents
):
    """The bundle answered after the layout: Dash's graph mounts first and, without the placeholder,
    loads the full plotly.js as well (4.8 MB, a second to run, and a Plotly without the page's wrappers)."""
    import time

    from flask import request

    from tests.test_offline_browser import RecordingPage

    app = create_app(dataset)

    @app.server.before_request
    def hold_the_bundle():
        if "/vendor/plotly-map" in request.path:
            time.sleep(2.0)

    page = RecordingPage()
    try:
        dash_thread_server(app)
        page.driver.get(dash_thread_server.url)
        wait_until(page, lambda: count_in_view(page) == len(incidents), 30, "incident count never shown")
        wait_map_loaded(page, 30)
        plotly = [u for u in page.requested_urls() if "plotly" in u]
        assert len(plotly) == 1 and "/vendor/plotly-map.v" in plotly[0], plotly
        assert page.driver.execute_script("return Plotly.unrestStyleHold && Plotly.unrestStaleGuard") is True
        assert page.get_logs() == []
    finally:
        page.quit()
