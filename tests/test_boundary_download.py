"""The pooch download path, against a real HTTP server on 127.0.0.1 (nothing leaves the machine).

The mirror variable points pooch at a loopback server holding the real files (or damaged
ones); XDG_CACHE_HOME gives each test an empty user cache.
"""

from __future__ import annotations

import shutil

import pytest

from dashboard.app import create_app
from geodata.boundaries import (
    ENV_VAR,
    REGISTRY,
    URL_ENV_VAR,
    BoundaryDataError,
    boundary_file,
    sha256_of,
)
from geodata.dataset import load_dataset
from tests.browser import MAP_JS, count_in_view, visible_marker_ids, wait_map_loaded, wait_until
from tests.loopback import closed_port_url

ADM2, ADM2_SHA256 = REGISTRY["ADM2"]


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    """An empty user cache, no local boundary folder: the download path is the one taken."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "unrest-map"


def test_download_lands_in_the_user_cache_and_is_verified(mirror, user_cache, boundaries_dir, monkeypatch):
    folder, url = mirror
    shutil.copy(boundaries_dir / ADM2, folder / ADM2)
    monkeypatch.setenv(URL_ENV_VAR, url)
    path = boundary_file("ADM2")
    assert path == user_cache / ADM2
    assert sha256_of(path) == ADM2_SHA256
    (folder / ADM2).unlink()  # the second call must not need the network
    assert boundary_file("ADM2") == path


def test_a_partial_cached_file_is_downloaded_again(mirror, user_cache, boundaries_dir, monkeypatch):
    folder, url = mirror
    shutil.copy(boundaries_dir / ADM2, folder / ADM2)
    user_cache.mkdir(parents=True)
    (user_cache / ADM2).write_bytes((boundaries_dir / ADM2).read_bytes()[:2000])  # an interrupted download
    monkeypatch.setenv(URL_ENV_VAR, url)
    assert sha256_of(boundary_file("ADM2")) == ADM2_SHA256


def test_a_corrupt_cached_file_offline_says_what_to_do(user_cache, boundaries_dir, monkeypatch):
    user_cache.mkdir(parents=True)
    damaged = user_cache / ADM2
    damaged.write_bytes(b'{"type": "FeatureCollection", "features": [')
    monkeypatch.setenv(URL_ENV_VAR, closed_port_url())
    with pytest.raises(BoundaryDataError) as error:
        boundary_file("ADM2")
    message = str(error.value)
    assert str(damaged) in message and "corrupt or partial" in message
    assert "Delete" in message and ENV_VAR in message
    assert error.value.reason == "could not download them (offline?)"  # what is needed is a download


def test_a_mirror_serving_a_damaged_file_is_refused(mirror, user_cache, boundaries_dir, monkeypatch):
    folder, url = mirror
    (folder / ADM2).write_bytes((boundaries_dir / ADM2).read_bytes()[:-100])
    monkeypatch.setenv(URL_ENV_VAR, url)
    with pytest.raises(BoundaryDataError, match="does not match its pinned sha256") as error:
        boundary_file("ADM2")
    assert error.value.reason == "a file is damaged or another release"
    assert not (user_cache / ADM2).exists()  # nothing damaged is kept for next time


def test_offline_without_a_cache_the_dataset_loads_with_a_notice(user_cache, monkeypatch):
    monkeypatch.setenv(URL_ENV_VAR, closed_port_url())
    dataset = load_dataset()
    assert len(dataset.incidents) == 25
    assert dataset.boundaries is None
    assert "Boundary layer missing" in dataset.boundary_notice and ENV_VAR in dataset.boundary_notice


def test_offline_the_header_says_it_briefly_and_the_notice_in_full(user_cache, monkeypatch):
    from dashboard.layout import build_layout
    from dashboard.view import view_context
    from tests.views import view_update

    url = closed_port_url()
    monkeypatch.setenv(URL_ENV_VAR, url)
    dataset = load_dataset()
    context = view_context(dataset)
    note = view_update(context)[16]  # the outside note, the header's second line
    header = str(note)
    words = "".join(part if isinstance(part, str) else part.children for part in note)
    # The URL and the cache path, one unbreakable line, made the page wider than the screen.
    assert "could not download them" in header
    assert url.split("/")[2] not in header and str(user_cache) not in header and len(words) < 300
    page = str(build_layout(dataset, "none", context))
    assert page.count(url.split("/")[2]) == 1  # the full reason once: in the notice under the header
    assert "Municipal boundaries not loaded: could not download them" in page


@pytest.mark.browser
def test_offline_dashboard_shows_incidents_and_says_how_to_add_boundaries(dash_duo, user_cache, monkeypatch):
    monkeypatch.setenv(URL_ENV_VAR, closed_port_url())
    dataset = load_dataset()
    dash_duo.start_server(create_app(dataset))
    dash_duo.wait_for_text_to_equal("#incident-count b", "25", timeout=20)
    assert count_in_view(dash_duo) == 25
    dash_duo.wait_for_contains_text("#url-notice", "Boundary layer missing", timeout=10)
    notice = dash_duo.find_element("#url-notice").text
    assert ENV_VAR in notice
    assert "Boundary layer missing" in dash_duo.find_element("#attribution").text
    assert visible_marker_ids(dash_duo) == set(dataset.incidents["id"])  # every incident is drawn
    # The header says what is true: no layer, and why (not "25 outside the map"), and which incident
    # the map's frame leaves out.
    header = dash_duo.find_element("#outside-note").text
    assert "Municipal boundaries not loaded: could not download" in header
    assert "including 1 outside the map: Belgrade, 6 Mar 2008" in header
    assert "North Kosovo" not in dash_duo.find_element("#view-summary").text  # not known without the layer
    # The map frames the region the incidents are in, not the box that also holds Belgrade (200 km
    # north), which put them in a corner: every other incident is on the map, Belgrade is not.
    belgrade = dataset.incidents["place_name"] == "Belgrade"
    assert belgrade.sum() == 1

    def on_canvas() -> list[bool]:
        wait_map_loaded(dash_duo)
        return dash_duo.driver.execute_script(
            MAP_JS + "const map = gd._fullLayout.map._subplot.map; const box = map.getContainer();"
            "return arguments[0].map(([lon, lat]) => { const p = map.project([lon, lat]);"
            "  return p.x >= 0 && p.y >= 0 && p.x <= box.clientWidth && p.y <= box.clientHeight; });",
            dataset.incidents[["lon", "lat"]].to_numpy().tolist(),
        )

    wait_until(dash_duo, lambda: on_canvas() == (~belgrade).tolist(), 15, "the map does not frame the region")
