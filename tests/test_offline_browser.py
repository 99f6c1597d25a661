"""Offline means offline: the dashboard page asks no host but its own server for anything.

Chromium's performance log lists every request the page makes (``Network.requestWillBeSent``),
including ones that fail offline, so a request to a third party shows even with no network.
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.common.keys import Keys

from dashboard import figures, offline
from dashboard.app import create_app
from tests.browser import click_map_at, count_in_view, settled, wait_map_loaded, wait_until
from tests.conftest import pytest_setup_options

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class RecordingPage:
    """A Chromium page that keeps every network event and console entry (the helpers' dash_duo API)."""

    def __init__(self) -> None:
        options = pytest_setup_options()
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(options=options)
        self.network: list[dict] = []
        self.console: list[dict] = []

    def find_element(self, selector: str):
        return self.driver.find_element("css selector", selector)

    def find_elements(self, selector: str):
        return self.driver.find_elements("css selector", selector)

    def get_logs(self) -> list[dict]:
        """SEVERE console entries so far."""
        self.collect()
        return [entry for entry in self.console if entry.get("level") == "SEVERE"]

    def collect(self) -> None:
        """Drain Chromium's logs (each read empties them) into this page's lists."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"].startswith("Network."):
                self.network.append(message)
        self.console.extend(self.driver.get_log("browser"))

    def requested_urls(self) -> list[str]:
        self.collect()
        return [
            m["params"]["request"]["url"] for m in self.network if m["method"] == "Network.requestWillBeSent"
        ]

    def statuses(self) -> dict[str, int]:
        """Response status by URL (the last response for a URL asked twice)."""
        self.collect()
        return {
            m["params"]["response"]["url"]: m["params"]["response"]["status"]
            for m in self.network
            if m["method"] == "Network.responseReceived"
        }

    def quit(self) -> None:
        self.driver.quit()


def outside_requests(urls: list[str], server_url: str) -> list[str]:
    """Requests to anything but the app's own server (``data:`` and ``blob:`` URLs stay in the page)."""
    own = urlsplit(server_url)
    outside = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            continue
        if parts.hostname not in LOCAL_HOSTS or parts.port != own.port:
            outside.append(url)
    return outside


@pytest.fixture
def page():
    recording = RecordingPage()
    yield recording
    recording.quit()


def _place(incidents, incident_id: str) -> tuple[float, float]:
    row = incidents[incidents["id"] == incident_id].iloc[0]
    return float(row["lon"]), float(row["lat"])


def _open(page: RecordingPage, url: str, total: int) -> None:
    page.driver.get(url)
    wait_until(page, lambda: count_in_view(page) == total, 30, "incident count never shown")
    wait_map_loaded(page, 30)


def test_page_requests_nothing_from_other_hosts(dash_thread_server, page, dataset, incidents):
    dash_thread_server(create_app(dataset))
    server = dash_thread_server.url
    _open(page, server, len(incidents))
    # The municipality names need glyphs: wait until the map has asked for them (from wherever).
    wait_until(
        page,
        lambda: any(urlsplit(u).path.endswith(".pbf") for u in page.requested_urls()),
        20,
        "the map never asked for label glyphs",
    )
    # Use it a little: click a marker, move the slider with the keyboard.
    click_map_at(page, *_place(incidents, "KOS-2008-05"))
    wait_until(page, lambda: "KOS-2008-05" in page.find_element("#incident-details").text, 15)
    handle = page.find_elements("#date-range [role=slider]")[1]
    handle.click()
    for _ in range(30):
        handle.send_keys(Keys.ARROW_LEFT)
    wait_until(page, lambda: count_in_view(page) < len(incidents), 20, "the slider changed nothing")
    settled(page, lambda: count_in_view(page))
    wait_map_loaded(page)

    urls = page.requested_urls()
    assert len(urls) > 10  # the recorder saw the page's own scripts and callbacks
    assert outside_requests(urls, server) == []
    # ... and the app served them.
    glyphs = {unquote(u): s for u, s in page.statuses().items() if urlsplit(u).path.endswith(".pbf")}
    assert any(f"/{offline.LABEL_FONT}/0-255.pbf" in u for u in glyphs), glyphs
    assert set(glyphs.values()) == {200}, glyphs
    assert page.get_logs() == []


def test_recorder_catches_plotly_glyph_host(dash_thread_server, page, dataset, incidents, monkeypatch):
    """The same check against Plotly's own offline style: its glyph URL is a third party's, and it shows."""
    monkeypatch.setattr(figures, "_base_style", lambda basemap, glyphs: "white-bg")
    dash_thread_server(create_app(dataset))
    _open(page, dash_thread_server.url, len(incidents))
    wait_until(page, lambda: outside_requests(page.requested_urls(), dash_thread_server.url), 20)
    hosts = {urlsplit(u).hostname for u in outside_requests(page.requested_urls(), dash_thread_server.url)}
    assert hosts == {"fonts.openmaptiles.org"}
