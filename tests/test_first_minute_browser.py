"""The first minute of a new user, at three window sizes: the map frames Kosovo, a click on empty
land filters nothing, Play plays from the default view, and what is drawn is what is counted."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from dashboard.app import create_app
from tests.browser import (
    MAP_JS,
    app_errors,
    click_map_at,
    count_in_view,
    event_markers,
    settled,
    wait_map_loaded,
    wait_until,
)

pytestmark = pytest.mark.browser

SIZES = [(1600, 1000), (1280, 720), (412, 915)]
#: Screenshots land here for a person to look at (not compared).
SHOTS = Path(os.environ.get("UNREST_MAP_SHOTS", "/tmp/unrest-map-shots"))


def start_at(dash_duo, dataset, size: tuple[int, int], path: str = "/") -> None:
    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(create_app(dataset))
    if path != "/":
        dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element("#incident-count b", timeout=45)
    wait_map_loaded(dash_duo, timeout=45)


def corners_on_canvas(dash_duo, bounds) -> tuple[list[tuple[float, float]], tuple[int, int]]:
    """The bounding box's corners projected with the map's own project(), and the canvas size."""
    west, south, east, north = bounds
    return dash_duo.driver.execute_script(
        MAP_JS + "const map = gd._fullLayout.map._subplot.map; const box = map.getContainer();"
        "const corners = arguments[0].map(c => { const p = map.project(c); return [p.x, p.y]; });"
        "return [corners, [box.clientWidth, box.clientHeight]];",
        [[west, south], [west, north], [east, south], [east, north]],
    )


def fully_inside(dash_duo, bounds) -> bool:
    corners, (width, height) = corners_on_canvas(dash_duo, bounds)
    return all(0 <= x <= width and 0 <= y <= height for x, y in corners)


def fills_canvas(dash_duo, bounds, share: float = 0.6) -> bool:
    """The box spans most of the canvas in at least one direction (fitted, not just zoomed out)."""
    corners, (width, height) = corners_on_canvas(dash_duo, bounds)
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (max(xs) - min(xs)) >= share * width or (max(ys) - min(ys)) >= share * height


def kosovo(dataset) -> list[float]:
    return [float(v) for v in dataset.boundaries.country.total_bounds]


def played_window(label: str) -> int:
    """Days the 7-day window has moved from the first day (-1: not a 7-day window)."""
    start, end = (datetime.strptime(part.strip(), "%d %b %Y") for part in label.split("–"))
    return (start - datetime(2008, 2, 17)).days if (end - start).days == 6 else -1


def drawn_count(dash_duo) -> int:
    """Incident markers drawn now, read from the decoded data Plotly drew (gd._fullData)."""
    return event_markers(dash_duo)["count"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_map_frames_kosovo_at_any_size(dash_duo, dataset, size):
    start_at(dash_duo, dataset, size)
    box = kosovo(dataset)
    wait_until(
        dash_duo,
        lambda: fully_inside(dash_duo, box) and fills_canvas(dash_duo, box),
        15,
        "Kosovo is not framed on first load",
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.execute_script("document.getElementById('map').scrollIntoView({block: 'start'});")
    dash_duo.driver.save_screenshot(str(SHOTS / f"first-load-{size[0]}x{size[1]}.png"))
    # The automatic camera leaves the address bar alone: a reload at another size frames again.
    assert "zoom=" not in dash_duo.driver.current_url

    # A click on empty land (Klina has no incident) shows the municipality and filters nothing.
    total = count_in_view(dash_duo)
    klina = (
        dataset.boundaries.municipalities.set_index("name").loc["Klina", "geometry"].representative_point()
    )
    click_map_at(dash_duo, klina.x, klina.y)
    dash_duo.wait_for_contains_text("#municipality-details", "Klina", timeout=10)
    assert "0 incidents in view" in dash_duo.find_element("#municipality-details").text
    assert count_in_view(dash_duo) == total
    # Read from the page itself: on a phone the filters sit in a closed drawer (not displayed).
    chosen = dash_duo.driver.execute_script(
        "return document.querySelector('#filter-municipality').textContent"
    )
    assert chosen.strip().startswith("All municipalities")

    # Play from the default view (the full period) plays a 7-day window from the first day.
    full = dash_duo.find_element("#date-range-label").text
    dash_duo.find_element("#play-button").click()
    wait_until(
        dash_duo,
        lambda: played_window(dash_duo.find_element("#date-range-label").text) >= 1,
        30,
        "Play did not move the window from the default view",
    )
    dash_duo.find_element("#play-button").click()  # pause
    # The label follows the click in a clientside callback: on a busy machine, a frame or two later.
    dash_duo.wait_for_text_to_equal("#play-button", "▶ Play", timeout=10)
    assert dash_duo.find_element("#date-range-label").text != full
    shown = settled(dash_duo, lambda: count_in_view(dash_duo))
    wait_until(
        dash_duo,
        lambda: drawn_count(dash_duo) == count_in_view(dash_duo),
        10,
        "markers drawn differ from the count shown",
    )
    assert drawn_count(dash_duo) == shown
    assert app_errors(dash_duo) == []


def test_resize_and_reset_frame_kosovo_again(dash_duo, dataset):
    start_at(dash_duo, dataset, (1600, 1000))
    box = kosovo(dataset)
    wait_until(dash_duo, lambda: fully_inside(dash_duo, box), 15)
    dash_duo.driver.set_window_size(412, 915)
    wait_until(
        dash_duo,
        lambda: fully_inside(dash_duo, box) and fills_canvas(dash_duo, box),
        15,
        "not refitted after a resize",
    )
    # The user zooms in: their camera is kept (and written to the URL) until Reset.
    dash_duo.driver.execute_script(
        MAP_JS
        + "gd._fullLayout.map._subplot.map.zoomTo(11, {animate: false}, {originalEvent: {type: 'wheel'}});"
    )
    wait_until(dash_duo, lambda: not fully_inside(dash_duo, box), 10)
    wait_until(dash_duo, lambda: "zoom=11.00" in dash_duo.driver.current_url, 10, "user camera not in URL")
    if not dash_duo.find_element("#reset-button").is_displayed():  # a phone: Reset is in the drawer
        dash_duo.find_element("#filters-open").click()
        wait_until(dash_duo, lambda: dash_duo.find_element("#reset-button").is_displayed(), 5)
    dash_duo.find_element("#reset-button").click()
    wait_until(
        dash_duo,
        lambda: fully_inside(dash_duo, box) and fills_canvas(dash_duo, box),
        15,
        "Reset did not frame Kosovo",
    )


def map_zoom(dash_duo) -> float:
    return dash_duo.driver.execute_script(MAP_JS + "return gd._fullLayout.map._subplot.map.getZoom();")


def url_zoom(dash_duo) -> str | None:
    return parse_qs(urlsplit(dash_duo.driver.current_url).query).get("zoom", [None])[0]


def press_zoom_button(dash_duo, direction: str) -> None:
    """Click the map's own + or - button (Plotly's mode bar, shown while the pointer is on the map)."""
    button = dash_duo.find_element(f"#map .modebar-btn[data-attr='zoom'][data-val='{direction}']")
    ActionChains(dash_duo.driver).move_to_element(dash_duo.find_element("#map")).pause(0.2).click(
        button
    ).perform()
    wait_map_loaded(dash_duo)


def test_url_camera_is_kept(dash_duo, dataset):
    start_at(dash_duo, dataset, (1280, 720), "/?lat=42.8900&lon=20.8700&zoom=11.00")
    wait_map_loaded(dash_duo)
    assert map_zoom(dash_duo) == pytest.approx(11, abs=0.01)
    assert "zoom=11.00" in dash_duo.driver.current_url
    # Zoomed out from the URL's camera: the address bar follows (it kept the URL's numbers).
    press_zoom_button(dash_duo, "out")
    zoom = map_zoom(dash_duo)
    assert zoom < 10.99
    wait_until(dash_duo, lambda: url_zoom(dash_duo) == f"{zoom:.2f}", 10, "the - button's zoom not in URL")


def test_zooms_without_a_pan_write_the_camera(dash_duo, dataset):
    """The + button and the scroll wheel reach MapLibre without a pointer event (trial: a user zoomed
    with +, copied the URL, and the link opened at the automatic framing)."""
    start_at(dash_duo, dataset, (1280, 720))
    assert url_zoom(dash_duo) is None
    before = map_zoom(dash_duo)
    press_zoom_button(dash_duo, "in")
    zoom = map_zoom(dash_duo)
    assert zoom > before + 0.1
    wait_until(dash_duo, lambda: url_zoom(dash_duo) == f"{zoom:.2f}", 10, "the + button's zoom not in URL")
    # The wheel, as MapLibre's scroll zoom receives it.
    dash_duo.driver.execute_script(
        "const c = document.querySelector('#map .maplibregl-canvas'), r = c.getBoundingClientRect();"
        "c.dispatchEvent(new WheelEvent('wheel', {deltaY: -300, clientX: r.left + r.width / 2,"
        " clientY: r.top + r.height / 2, bubbles: true, cancelable: true}));"
    )
    wait_until(dash_duo, lambda: map_zoom(dash_duo) > zoom + 0.01, 10, "the wheel did not zoom")
    wait_map_loaded(dash_duo)
    wheeled = map_zoom(dash_duo)
    wait_until(dash_duo, lambda: url_zoom(dash_duo) == f"{wheeled:.2f}", 10, "the wheel's zoom not in URL")
    assert app_errors(dash_duo) == []


def test_a_filter_frames_its_incidents_and_selection_comes_into_view(dash_duo, dataset, incidents):
    start_at(dash_duo, dataset, (1280, 720))
    dash_duo.find_element("#filter-event-type input[value='Riots']").click()
    riots = incidents[(incidents["event_type"] == "Riots") & ~incidents["outside_boundaries"]]
    box = [riots["lon"].min(), riots["lat"].min(), riots["lon"].max(), riots["lat"].max()]
    wait_until(dash_duo, lambda: fully_inside(dash_duo, box) and fills_canvas(dash_duo, box, 0.4), 15)
    dash_duo.find_element("#reset-button").click()
    wait_until(dash_duo, lambda: fully_inside(dash_duo, kosovo(dataset)), 15)
    # The Belgrade incident is outside the boundary layer: named in the header, one click away.
    outside = incidents[incidents["outside_boundaries"]].iloc[0]
    link = dash_duo.find_element("#outside-note .outside-link")
    assert outside["place_name"] in link.text
    link.click()
    dash_duo.wait_for_text_to_equal("#incident-details .incident-id", outside["id"], timeout=10)
    point = [outside["lon"], outside["lat"], outside["lon"], outside["lat"]]
    wait_until(dash_duo, lambda: fully_inside(dash_duo, point), 10, "Belgrade not brought into view")


#: Each count badge drawn over the map: its number, its centre, and where the map puts its point.
BADGES_JS = (
    MAP_JS
    + """const map = gd._fullLayout.map._subplot.map;
const box = map.getContainer().getBoundingClientRect();
const meta = gd.layout.meta.badges;
return Array.from(document.querySelectorAll('#map .map-badge')).map((el, i) => {
  const r = el.getBoundingClientRect();
  // Between an update's meta and its badges the counts may differ: not on a spot, wait on.
  const p = i < meta.lon.length ? map.project([meta.lon[i], meta.lat[i]]) : {x: NaN, y: NaN};
  return {text: el.textContent, x: r.left + r.width / 2 - box.left, y: r.top + r.height / 2 - box.top,
          px: p.x, py: p.y};
});"""
)


def test_count_badges_sit_on_their_spots_and_follow_the_view(dash_duo, dataset, incidents):
    from dashboard.figures import badges

    start_at(dash_duo, dataset, (1280, 720))

    def drawn() -> list[dict]:
        return dash_duo.driver.execute_script(BADGES_JS)

    def on_their_points(expected: list[int]) -> bool:
        shown = drawn()
        return sorted(int(b["text"]) for b in shown) == sorted(expected) and all(
            abs(b["x"] - b["px"]) < 1.5 and abs(b["y"] - b["py"]) < 1.5 for b in shown
        )

    everything = badges(incidents)["count"]
    assert len(everything) >= 2
    wait_until(dash_duo, lambda: on_their_points(everything), 15, "badges not drawn on their spots")
    # A filter changes them; a zoom moves them with the map.
    dash_duo.find_element("#filter-event-type input[value='Riots']").click()
    riots = badges(incidents[incidents["event_type"] == "Riots"])["count"]
    wait_until(dash_duo, lambda: on_their_points(riots), 15, "badges did not follow the filter")
    dash_duo.driver.execute_script(MAP_JS + "gd._fullLayout.map._subplot.map.zoomTo(10, {duration: 0});")
    wait_until(dash_duo, lambda: on_their_points(riots), 15, "badges did not follow the map")
    assert app_errors(dash_duo) == []
