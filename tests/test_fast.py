"""Fast to open: compressed responses and long cache lifetimes (``production.serve_fast``)."""

from __future__ import annotations

import json
from importlib.resources import files

import brotli
import pytest

from dashboard import offline
from dashboard.app import create_app
from dashboard.production import LONG_CACHE_SECONDS, CompressedFiles, finish_setup, serve_fast

PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


@pytest.fixture(scope="module")
def fast_server(dataset):
    return finish_setup(serve_fast(create_app(dataset).server))


def test_full_plotly_is_sent_compressed_and_unchanged(fast_server):
    """Dash's full plotly.js: the page's fallback (``plotlyjs``; test_plotlyjs.py checks the bundle)."""
    client = fast_server.test_client()
    response = client.get(PLOTLY, headers=BROWSER)
    assert response.headers["Content-Encoding"] == "br"
    original = (files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    assert brotli.decompress(response.data) == original
    assert len(response.data) < len(original) / 3
    # Kept once compressed: the next user gets the same bytes without waiting for brotli.
    cache = fast_server.extensions["unrest_map_fast"].cache
    assert isinstance(cache, CompressedFiles) and any(PLOTLY in key for key in cache.bodies)


def test_callback_answers_are_compressed_afresh(fast_server):
    client = fast_server.test_client()
    layout = client.get("/_dash-layout", headers=BROWSER)
    assert layout.headers["Content-Encoding"] == "br"
    assert "map" in json.dumps(json.loads(brotli.decompress(layout.data)))
    cache = fast_server.extensions["unrest_map_fast"].cache
    assert not any("_dash-layout" in key for key in cache.bodies)  # only script files are kept
    plain = client.get("/_dash-layout")  # a client that accepts no encoding gets plain JSON
    assert "Content-Encoding" not in plain.headers and json.loads(plain.data)


def test_versioned_assets_are_cached_for_a_year_and_others_revalidate(fast_server):
    client = fast_server.test_client()
    glyphs = "/" + offline.PAGE_GLYPHS.format(fontstack=offline.LABEL_FONT, range="0-255")
    for url in (glyphs, "/assets/style.css?m=1700000000"):
        with client.get(url, headers=BROWSER) as response:  # a file, streamed: closed when read
            assert response.status_code == 200
            assert response.cache_control.max_age == LONG_CACHE_SECONDS
            assert response.cache_control.immutable and not response.cache_control.no_cache
    with client.get("/assets/style.css", headers=BROWSER) as unversioned:
        assert unversioned.cache_control.max_age != LONG_CACHE_SECONDS
    index = client.get("/", headers=BROWSER)
    assert index.cache_control.max_age is None
    # The page names its stylesheet with its version, so browsers get the long lifetime for it.
    assert "/assets/style.css?m=" in brotli.decompress(index.data).decode()


def test_serve_fast_twice_changes_nothing(dataset):
    server = create_app(dataset).server
    serve_fast(server)
    hooks = len(server.after_request_funcs[None])
    assert serve_fast(server) is server and len(server.after_request_funcs[None]) == hooks
