"""Helpers for browser tests: wait on the map's own loaded state, click map features."""

from __future__ import annotations

import time
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.figures import MARK_LAYERS
from geodata.schema import EVENT_TYPES

MAP_JS = "const gd = document.querySelector('#map .js-plotly-plot');"


def wait_map_loaded(dash_duo, timeout: float = 20) -> None:
    """Until MapLibre reports the map drawn (never a fixed sleep)."""
    script = (
        MAP_JS + "return !!(gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot"
        " && gd._fullLayout.map._subplot.map.loaded() && !gd._fullLayout.map._subplot.map.isMoving());"
    )
    WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.1).until(lambda d: d.execute_script(script))


def project(dash_duo, lon: float, lat: float) -> tuple[float, float]:
    x, y = dash_duo.driver.execute_script(
        MAP_JS + "const p = gd._fullLayout.map._subplot.map.project([arguments[0], arguments[1]]);"
        "return [p.x, p.y];",
        lon,
        lat,
    )
    return x, y


def click_map_at(dash_duo, lon: float, lat: float) -> None:
    """Click the map canvas where (lon, lat) is drawn. Selenium 4.2 offsets from the top-left corner."""
    wait_map_loaded(dash_duo)
    canvas = dash_duo.find_element("#map .maplibregl-canvas")
    x, y = project(dash_duo, lon, lat)
    ActionChains(dash_duo.driver).move_to_element_with_offset(canvas, int(x), int(y)).pause(
        0.3
    ).click().perform()


def wait_until(dash_duo, condition, timeout: float = 15, message: str = ""):
    """Poll ``condition``; an element re-rendered mid-read is just read again."""
    wait = WebDriverWait(
        dash_duo.driver,
        timeout,
        poll_frequency=0.1,
        ignored_exceptions=(StaleElementReferenceException, NoSuchElementException),
    )
    return wait.until(lambda d: condition(), message)


def allow_downloads(dash_duo, folder: Path, suffix: str) -> None:
    """The page's downloads go to ``folder``, emptied first of earlier ``suffix`` files."""
    for old in folder.glob(f"*{suffix}"):
        old.unlink()
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )


def downloaded(dash_duo, folder: Path, suffix: str, timeout: float = 20) -> Path:
    """The finished download in ``folder`` (Chromium writes '.crdownload' until it is whole)."""
    files = wait_until(
        dash_duo,
        lambda: [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")],
        timeout=timeout,
    )
    return files[0]


def count_in_view(dash_duo) -> int:
    """The incident count shown, read in one script call so a re-render mid-read cannot make it stale."""
    text = dash_duo.driver.execute_script(
        "const b = document.querySelector('#incident-count b'); return b ? b.textContent : null;"
    )
    if text is None:
        raise NoSuchElementException("#incident-count b")
    return int(text.replace(",", ""))


def settled(dash_duo, read, quiet: float = 1.0, timeout: float = 30):
    """``read()`` once it has kept one value for ``quiet`` seconds, e.g. after a burst of callbacks."""
    start = time.monotonic()
    last, since = None, time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            value = read()
        except (StaleElementReferenceException, NoSuchElementException):
            value = None
        now = time.monotonic()
        if value != last:
            last, since = value, now
        elif value is not None and now - since >= quiet:
            return value
        time.sleep(0.1)
    raise AssertionError(f"value still changing after {timeout} s (last {last!r})")


#: The event markers the map holds now, from the decoded data Plotly drew (gd._fullData): points
#: of the incidents trace whose colour is an event type's layer (``arguments[0]``: their codes),
#: counted in ``markerCount``, their ids in ``markerIds`` where hover text is sent. A script body,
#: after MAP_JS, for scripts that read more in the same call.
EVENT_MARKERS_BODY = """
const markerCodes = arguments[0], markerIds = [];
let markerCount = 0;
const marks = gd._fullData.find(d => d.name === 'Incidents');
if (marks && marks.visible !== false && marks.lat) {
  for (let i = 0; i < marks.lat.length; i++) {
    if (!markerCodes.includes(marks.marker.color[i])) continue;
    markerCount += 1;
    if (marks.text) markerIds.push(marks.text[i].split('<br>')[1].split(' · ')[0]);
  }
}
"""
EVENT_MARKERS_JS = MAP_JS + EVENT_MARKERS_BODY + "return {count: markerCount, ids: markerIds};"
#: The ``arguments[0]`` those scripts take.
EVENT_MARKER_CODES = [MARK_LAYERS.index(t) for t in EVENT_TYPES]


def event_markers(dash_duo) -> dict:
    """``count`` and ``ids`` of the event markers drawn now (see :data:`EVENT_MARKERS_JS`)."""
    return dash_duo.driver.execute_script(EVENT_MARKERS_JS, EVENT_MARKER_CODES)


def visible_marker_ids(dash_duo) -> set[str]:
    """Incident ids drawn as event markers on the map now."""
    return set(event_markers(dash_duo)["ids"])


def app_errors(dash_duo) -> list[dict]:
    """Browser console errors (SEVERE entries). The page asks no other host, so none are expected."""
    return list(dash_duo.get_logs() or [])
