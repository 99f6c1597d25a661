"""Legend, empty state, phone drawer, keyboard table and an axe-core accessibility check,
driven in headless Chromium against the real app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys

from dashboard.app import create_app
from tests.browser import click_map_at, count_in_view, visible_marker_ids, wait_map_loaded, wait_until

pytestmark = pytest.mark.browser

#: axe-core, vendored (MPL-2.0, licence header kept): tests never download.
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def app_started(dash_duo, dataset):
    dash_duo.start_server(create_app(dataset))
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(dataset.incidents)), timeout=20)
    wait_map_loaded(dash_duo)
    return dash_duo


def _legend_button(dash_duo, event_type):
    for button in dash_duo.find_elements("#map-legend .legend-type"):
        if event_type in button.text:
            return button
    raise AssertionError(f"no legend entry for {event_type}")


def test_legend_entry_toggles_the_type_filter(app_started, incidents):
    dash_duo = app_started
    riots = set(incidents[incidents["event_type"] == "Riots"]["id"])
    assert len(dash_duo.find_elements("#map-legend .legend-type")) == 6
    _legend_button(dash_duo, "Riots").click()
    wait_until(dash_duo, lambda: count_in_view(dash_duo) == len(riots))
    wait_until(dash_duo, lambda: visible_marker_ids(dash_duo) == riots)
    checked = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#filter-event-type input:checked')].map(i => i.value);"
    )
    assert checked == ["Riots"]  # the same filter as the checklist
    assert _legend_button(dash_duo, "Riots").get_attribute("aria-pressed") == "true"
    battles = _legend_button(dash_duo, "Battles")
    wait_until(dash_duo, lambda: "is-zero" in battles.get_attribute("class"))  # listed, greyed
    assert battles.text.endswith("0")
    _legend_button(dash_duo, "Riots").click()
    wait_until(dash_duo, lambda: count_in_view(dash_duo) == len(incidents))
    assert _legend_button(dash_duo, "Riots").get_attribute("aria-pressed") == "false"


def test_no_match_shows_the_filters_and_clear_brings_everything_back(app_started, incidents):
    dash_duo = app_started
    assert not dash_duo.find_element("#empty-state").is_displayed()
    search = dash_duo.find_element("#filter-text")
    search.send_keys("no incident says this")
    wait_until(dash_duo, lambda: count_in_view(dash_duo) == 0)
    dash_duo.wait_for_contains_text("#empty-state", "No incidents match", timeout=10)
    assert dash_duo.find_element("#empty-state").is_displayed()
    assert "no incident says this" in dash_duo.find_element("#empty-filters").text
    assert dash_duo.find_element("#view-summary").text == "No incidents match the filters."
    dash_duo.find_element("#empty-clear").click()
    wait_until(dash_duo, lambda: count_in_view(dash_duo) == len(incidents))
    wait_until(dash_duo, lambda: not dash_duo.find_element("#empty-state").is_displayed())
    assert dash_duo.find_element("#filter-text").get_attribute("value") == ""


def _phone(dash_duo):
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True},
    )


def _box(dash_duo, selector):
    return dash_duo.driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width};",
        selector,
    )


def test_phone_shows_map_first_and_filters_in_a_drawer(app_started):
    dash_duo = app_started
    _phone(dash_duo)
    wait_until(dash_duo, lambda: dash_duo.find_element("#filters-open").is_displayed())
    # Nothing wider than the screen, once the graphs have measured their boxes (Plotly starts at 700 px).
    page_width = "return document.documentElement.scrollWidth"
    wait_until(
        dash_duo, lambda: dash_duo.driver.execute_script(page_width) <= 360, message="page scrolls sideways"
    )
    filters, map_box = _box(dash_duo, "#filters"), _box(dash_duo, "#map")
    assert filters["right"] <= 0  # drawer closed: off screen
    assert map_box["top"] < 200 and map_box["width"] >= 330
    assert _box(dash_duo, "#timeline")["top"] >= map_box["bottom"]  # the timeline under the map
    # The legend's entries never overlap one another.
    boxes = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#map-legend .legend-type')].map(b => {"
        "const r = b.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });"
    )
    for i, a in enumerate(boxes):
        assert a[2] <= 360
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    dash_duo.find_element("#filters-open").click()
    wait_until(dash_duo, lambda: _box(dash_duo, "#filters")["left"] >= 0)
    assert dash_duo.find_element("#filters-open").get_attribute("aria-expanded") == "true"
    assert dash_duo.driver.switch_to.active_element.get_attribute("id") == "filter-text"
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_until(dash_duo, lambda: _box(dash_duo, "#filters")["right"] <= 0)
    assert dash_duo.find_element("#filters-open").get_attribute("aria-expanded") == "false"
    # A tapped marker's details, under the map here, come into view (they opened off screen).
    dash_duo.driver.execute_script("document.getElementById('map').scrollIntoView()")
    wait_map_loaded(dash_duo)
    click_map_at(dash_duo, 21.167, 42.673)  # the Mutivoda crossing (at this scale beside Pristina's)
    dash_duo.wait_for_element("#incident-details .incident-id", timeout=15)
    viewport = dash_duo.driver.execute_script("return window.innerHeight")
    wait_until(
        dash_duo,
        lambda: 0 <= _box(dash_duo, ".details-column")["top"] < viewport / 2,
        message="the details stayed off screen",
    )


def test_table_is_reachable_and_operable_by_keyboard(app_started, incidents):
    dash_duo = app_started
    table = dash_duo.find_element("#incident-table .dash-spreadsheet-container")
    # Reached by Tab from the control before it.
    dash_duo.driver.execute_script("document.getElementById('export-button').focus()")
    active = dash_duo.driver.switch_to.active_element
    for _ in range(40):
        if active == table:
            break
        active.send_keys(Keys.TAB)
        active = dash_duo.driver.switch_to.active_element
    assert active == table
    active.send_keys(Keys.ENTER)
    first = dash_duo.find_elements("#incident-table tr td.dash-cell")[0]
    dash_duo.wait_for_contains_text("#incident-details .incident-id", "KOS-", timeout=10)
    assert first is not None
    sort = dash_duo.find_element("#incident-table .column-header--sort")
    assert sort.get_attribute("tabindex") == "0" and sort.get_attribute("role") == "button"


def test_axe_finds_no_serious_or_critical_violations(app_started):
    dash_duo = app_started
    assert dash_duo.driver.execute_script("return document.documentElement.lang") == "en"
    dash_duo.driver.execute_script(AXE.read_text(encoding="utf-8"))
    dash_duo.driver.set_script_timeout(60)
    result = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target)}))));"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1)


def test_play_speed_is_one_named_tab_stop_that_opens_by_keyboard(app_started):
    dash_duo = app_started
    dash_duo.driver.execute_script("document.getElementById('play-button').focus()")
    active = dash_duo.driver.switch_to.active_element
    for _ in range(6):
        active.send_keys(Keys.TAB)
        active = dash_duo.driver.switch_to.active_element
        if active.get_attribute("id") == "play-speed":
            break
    assert active.get_attribute("id") == "play-speed"
    assert active.get_attribute("aria-labelledby").split()[0] == "play-speed-label"
    active.send_keys(Keys.ENTER)
    wait_until(
        dash_duo, lambda: dash_duo.find_element("#play-speed").get_attribute("aria-expanded") == "true"
    )


#: Each text of the shading legend (its heading, every class) with the lines it is laid out on.
LEGEND_TEXT_LINES_JS = """
return [...document.querySelectorAll('.legend-scale .legend-label, .legend-scale .legend-class')]
  .flatMap(el => [...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
  .map(text => { const range = document.createRange(); range.selectNodeContents(text);
                 return [text.textContent.trim(), range.getClientRects().length]; });
"""


def test_the_shading_legend_keeps_each_label_on_one_line_on_a_phone(dash_duo, dataset):
    """At 412 px the classes squeezed beside the heading, and "1–2" broke at its dash (trial)."""
    dash_duo.driver.set_window_size(412, 915)
    dash_duo.start_server(create_app(dataset))
    dash_duo.driver.get(dash_duo.server_url + "/?shade=1")
    dash_duo.wait_for_element(".legend-scale .legend-class", timeout=20)
    lines = dash_duo.driver.execute_script(LEGEND_TEXT_LINES_JS)
    assert len(lines) >= 4 and lines[0][0].startswith("Incidents per municipality")
    assert all(count == 1 for _, count in lines), lines
    # Nothing wider than the legend either.
    legend, scale = _box(dash_duo, "#map-legend"), _box(dash_duo, ".legend-scale")
    assert scale["right"] <= legend["right"]


def filter_headings(dash_duo) -> list[str]:
    """The filter sidebar's headings laid out on the page (the phone's closed drawer lays them out too)."""
    return dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#filters h3')]"
        ".filter(h => h.getClientRects().length).map(h => h.textContent);"
    )


def test_a_filter_with_nothing_to_choose_is_not_shown(dash_duo, tmp_path, monkeypatch):
    """An upload without actor columns names no side: no empty "Side / actor" heading (trial), at
    every size; the municipalities, which it has, keep theirs."""
    from geodata.cache import CACHE_ENV_VAR
    from geodata.dataset import load_dataset

    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))
    sheet = tmp_path / "my-incidents.csv"  # a user's own few rows: no actors, no descriptions (trial)
    sheet.write_text(
        "date,place,event type,fatalities\n2024-03-01,Gračanica,Protests,0\n2024-03-02,Leposavić,Riots,1\n"
        "2024-03-05,Zvečan,Protests,\n2024-03-10,Borivojce,Battles,2\n",
        encoding="utf-8",
    )
    places = load_dataset(sheet, strict=False)
    assert set(places.incidents["sides"].astype(str)) == {""} and len(places.incidents) == 4
    assert set(places.incidents["description"].astype(str)) == {""}
    dash_duo.start_server(create_app(places))
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(places.incidents)), timeout=20)
    for width, height in ((1600, 1000), (1280, 720), (412, 915)):
        dash_duo.driver.set_window_size(width, height)
        wait_until(dash_duo, lambda width=width: dash_duo.driver.execute_script("return innerWidth") <= width)
        assert filter_headings(dash_duo) == ["Event type", "Municipality", "Place kind", "Map"], width
        if width >= 1280:  # the table's Description header, empty below it, was squeezed to "De"
            header = dash_duo.driver.execute_script(
                "const th = document.querySelector('#incident-table th[data-dash-column=\"description\"]');"
                "const box = th.getBoundingClientRect();"
                "return [box.width, box.right, innerWidth, th.innerText];"
            )
            assert header[0] >= 200 and header[1] <= header[2] and header[3].strip() == "Description", header
    # The hidden checklist is still in the page: the view update reads its value.
    assert dash_duo.find_element("#filter-side") is not None


def test_without_boundaries_nothing_is_wider_than_the_screen(dash_duo, tmp_path, monkeypatch):
    """Offline with no cache the reason names a long URL and the cache path: the header says it
    briefly and the notice wraps it, at phone and desktop sizes alike."""
    from geodata.boundaries import ENV_VAR, URL_ENV_VAR
    from geodata.dataset import load_dataset
    from tests.loopback import closed_port_url

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-user-cache-folder-with-a-long-name"))
    # As long as the real release URL (GitHub), on a port nobody listens on: fails at once.
    long_path = "wmgeolab/geoBoundariesArchive_4_0_0/raw/" + "0123456789abcdef" * 3 + "/gbOpen/XKX"
    monkeypatch.setenv(URL_ENV_VAR, closed_port_url() + long_path)
    bare = load_dataset()
    assert bare.boundaries is None and long_path in bare.boundary_notice
    dash_duo.start_server(create_app(bare))
    dash_duo.wait_for_text_to_equal("#incident-count b", "25", timeout=20)
    dash_duo.wait_for_contains_text("#url-notice", long_path, timeout=10)
    assert "could not download them" in dash_duo.find_element("#outside-note").text
    assert long_path not in dash_duo.find_element("#outside-note").text  # said once, in the notice
    overflowing = (
        "return [...document.querySelectorAll('header, header *, #url-notice, #url-notice *')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'auto')"
        ".map(e => e.id || e.className || e.tagName);"
    )
    sizes = ((360, 780, True), (412, 915, True), (1280, 720, False), (1600, 1000, False))
    for width, height, mobile in sizes:
        dash_duo.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        wait_until(
            dash_duo,
            lambda width=width: (
                dash_duo.driver.execute_script("return document.documentElement.scrollWidth") <= width
            ),
            message=f"the page scrolls sideways at {width} px",
        )
        assert dash_duo.driver.execute_script(overflowing) == [], width  # no text cut off either
        # No municipality to choose: no empty "Municipality" filter (its dropdown held nothing).
        assert filter_headings(dash_duo) == ["Event type", "Side / actor", "Place kind", "Map"], width
        if width >= 1280:  # the title keeps its line: a long note squeezed it into three
            title = _box(dash_duo, "header h1")
            assert title["bottom"] - title["top"] < 80, (width, title)
