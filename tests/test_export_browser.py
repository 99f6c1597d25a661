"""Export from the running dashboard: press the button, open the downloaded file."""

from __future__ import annotations

import io
import subprocess
import sys
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.keys import Keys

from dashboard.app import create_app
from dashboard.choices import choices_of
from dashboard.export import ExportOptions, ImageRenderer, camera_extent, export_figure
from dashboard.viewstate import parse_query
from tests.browser import wait_map_loaded, wait_until
from tests.conftest import DOWNLOAD_DIR

pytestmark = pytest.mark.browser


def _allow_downloads(dash_duo) -> None:
    """Headless Chromium saves downloads only where DevTools says it may."""
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(DOWNLOAD_DIR)}
    )


def _downloaded(suffix: str) -> list:
    return sorted(p for p in DOWNLOAD_DIR.glob(f"*{suffix}") if not p.name.endswith(".crdownload"))


def test_export_button_downloads_the_view_on_screen_matching_the_cli(dash_duo, dataset, tmp_path):
    for old in DOWNLOAD_DIR.iterdir():
        old.unlink()
    dash_duo.start_server(create_app(dataset))
    _allow_downloads(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + "/?start=2008-03-01&end=2008-03-31&type=Riots&sel=KOS-2008-14")
    dash_duo.wait_for_text_to_equal("#incident-details .incident-id", "KOS-2008-14", timeout=20)
    wait_map_loaded(dash_duo)
    # The map frames the filtered incidents by itself (issue 11); that automatic camera stays out
    # of the address bar, and the export sends the camera on screen. The CLI gets the same camera.
    camera_js = (
        "const m = document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map;"
        "const c = m.getCenter(); return [c.lat.toFixed(4), c.lng.toFixed(4), m.getZoom().toFixed(2)];"
    )
    wait_until(dash_duo, lambda: dash_duo.driver.execute_script(camera_js)[2] != "8.20")
    wait_map_loaded(dash_duo)
    assert "zoom=" not in dash_duo.driver.current_url
    lat, lon, zoom = dash_duo.driver.execute_script(camera_js)
    view_url = f"{dash_duo.driver.current_url}&lat={lat}&lon={lon}&zoom={zoom}"
    # What the map shows, and its size: the export's default framing ("As on screen") is that box.
    bounds, screen = dash_duo.driver.execute_script(
        "const m = document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map;"
        "const b = m.getBounds(); const r = document.getElementById('map').getBoundingClientRect();"
        "return [[b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], [r.width, r.height]];"
    )
    seen = camera_extent(float(lat), float(lon), float(zoom), round(screen[0]), round(screen[1]))
    span = bounds[2] - bounds[0], bounds[3] - bounds[1]
    for index, value in enumerate(seen):
        assert abs(value - bounds[index]) < 0.01 * span[index % 2], (seen, bounds)

    dash_duo.find_element("#export-button").click()
    dash_duo.find_element("#export-aspect").click()
    # 'As on screen' (the default) shows the map's own size, greyed: it is not an input then.
    width_box = dash_duo.find_element("#export-width")
    wait_until(dash_duo, lambda: width_box.get_attribute("value") != "1200")
    assert not width_box.is_enabled()
    option = dash_duo.find_element(".dash-dropdown-option input[value='4:3']")
    option.find_element("xpath", "../..").click()
    wait_until(dash_duo, lambda: width_box.get_attribute("value") == "1200")  # the size 4:3 gives
    assert dash_duo.find_element("#export-height").get_attribute("value") == "900"
    dash_duo.find_element("#export-download").click()
    dash_duo.wait_for_contains_text("#export-status", "Exported", timeout=60)
    wait_until(dash_duo, lambda: len(_downloaded(".png")) == 1, timeout=30)
    downloaded = _downloaded(".png")[0]
    assert downloaded.name == "2008-unrest-in-Kosovo_2008-03-01_to_2008-03-31_Riots.png"
    from_dashboard = Image.open(downloaded).convert("RGB")
    assert from_dashboard.size == (2400, 1800)  # 4:3 at the default 2x
    # Not the whole country (the trial's export was, while the screen showed the incidents).
    state, _ = parse_query(urlsplit(view_url).query, choices_of(dataset))
    country = export_figure(dataset, state, ExportOptions(width=1200, height=900, scale=2, fit="country"))
    whole = Image.open(io.BytesIO(ImageRenderer().render(country))).convert("RGB")
    assert np.abs(np.asarray(whole, dtype=int) - np.asarray(from_dashboard, dtype=int)).mean() > 5

    cli_file = tmp_path / "cli.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "export-image",
            "--view-url",
            view_url,
            "--scale",
            "2",
            "--screen",
            f"{round(screen[0])}x{round(screen[1])}",
            "-o",
            str(cli_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    from_cli = Image.open(cli_file).convert("RGB")
    assert from_cli.size == from_dashboard.size
    difference = np.abs(np.asarray(from_cli, dtype=int) - np.asarray(from_dashboard, dtype=int))
    assert difference.mean() < 2.0  # the same view, rendered twice
    assert urlsplit(view_url).query  # the URL carried the view


def test_export_refuses_bad_size_with_a_message(dash_duo, dataset):
    dash_duo.start_server(create_app(dataset))
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(dataset.incidents)), timeout=20)
    dash_duo.find_element("#export-button").click()
    dash_duo.find_element("#export-aspect").click()
    option = dash_duo.find_element(".dash-dropdown-option input[value='Custom size']")
    option.find_element("xpath", "../..").click()
    width = dash_duo.find_element("#export-width")
    wait_until(dash_duo, width.is_enabled)  # only 'Custom size' takes a typed size
    width.clear()
    width.send_keys("99999", Keys.TAB)  # number boxes commit on blur
    dash_duo.find_element("#export-download").click()
    dash_duo.wait_for_contains_text(
        "#export-status", "Not exported: width and height must be whole numbers from 200 to 4000", timeout=20
    )


_WATCH_PROGRESS = """
window.__progressSeen = [];
const bar = document.querySelector('#animation-progress');
const cancel = document.querySelector('#animation-cancel');
const note = () => window.__progressSeen.push(
    {max: bar.getAttribute('max'), value: bar.getAttribute('value'), cancel: !cancel.disabled});
new MutationObserver(note).observe(bar, {attributes: true});
new MutationObserver(note).observe(cancel, {attributes: true});
"""


def test_animation_job_reports_progress_and_downloads_a_gif(dash_duo, dataset, tmp_path):
    for old in DOWNLOAD_DIR.iterdir():
        old.unlink()
    dash_duo.start_server(create_app(dataset, jobs_dir=tmp_path / "jobs"))
    _allow_downloads(dash_duo)
    # Eleven 3-day windows (ending 18 to 28 March): long enough for the progress polls to see.
    dash_duo.driver.get(dash_duo.server_url + "/?start=2008-03-16&end=2008-03-28")
    dash_duo.wait_for_text_to_equal("#date-range-label", "16 Mar 2008 – 28 Mar 2008", timeout=20)
    wait_map_loaded(dash_duo)
    dash_duo.find_element("#export-button").click()
    dash_duo.find_element("#animation-window").click()
    option = dash_duo.find_element(".dash-dropdown-option input[value='3d']")
    option.find_element("xpath", "../..").click()
    # Record every state the progress bar and the cancel button pass through: a warm renderer
    # finishes three frames faster than a poll from the test would see them.
    dash_duo.driver.execute_script(_WATCH_PROGRESS)
    dash_duo.find_element("#animation-start").click()
    dash_duo.wait_for_contains_text("#animation-status", "(11 frames)", timeout=120)
    seen = dash_duo.driver.execute_script("return window.__progressSeen")
    # While the job ran: the cancel button was live and the progress bar counted the frames.
    assert any(s["max"] == "11" and s["cancel"] for s in seen), seen
    wait_until(dash_duo, lambda: len(_downloaded(".gif")) == 1, timeout=30)
    gif = Image.open(_downloaded(".gif")[0])
    assert gif.format == "GIF" and gif.n_frames == 11


_BOXES_SCRIPT = """
const boxes = {};
for (const element of document.querySelectorAll('[id^="caption-"], [id^="legend-"], #map-area')) {
    const name = element.id.startsWith('legend-') ? element.id.split('-').slice(0, 2).join('-') : element.id;
    const r = element.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const b = boxes[name];
    boxes[name] = b ? [Math.min(b[0], r.left), Math.min(b[1], r.top), Math.max(b[2], r.right),
                       Math.max(b[3], r.bottom)] : [r.left, r.top, r.right, r.bottom];
}
const page = document.documentElement.getBoundingClientRect();
return [boxes, [page.left, page.top, page.right, page.bottom]];
"""


@pytest.mark.parametrize("size", [(1200, 800), (794, 1123), (640, 480)])
def test_svg_caption_elements_do_not_overlap(dataset, tmp_path, size):
    """Chromium lays out the exported SVG; no two caption elements (or the map) share a pixel."""
    from dataclasses import replace
    from datetime import date

    from selenium import webdriver

    from dashboard.export import ExportOptions, ImageRenderer, export_figure
    from dashboard.viewstate import ViewState
    from geodata.filters import ViewFilter
    from tests.conftest import pytest_setup_options

    long_title = replace(
        dataset, title="Unrest, riots and protests after the declaration of independence " * 2
    )
    municipalities = tuple(sorted(dataset.boundaries.municipalities["name"])[:12])
    state = ViewState(
        filter=ViewFilter(start=date(2008, 2, 17), end=date(2008, 3, 31), municipalities=municipalities),
        selected="KOS-2008-14",
    )
    renderer = ImageRenderer()
    svg = renderer.render(
        export_figure(long_title, state, ExportOptions(format="svg", width=size[0], height=size[1]))
    )
    path = tmp_path / "export.svg"
    path.write_bytes(svg)
    driver = webdriver.Chrome(options=pytest_setup_options())
    try:
        driver.get(path.as_uri())
        boxes, page = driver.execute_script(_BOXES_SCRIPT)
    finally:
        driver.quit()
    assert {"caption-title", "caption-dates", "caption-filters", "caption-attribution", "map-area"} <= set(
        boxes
    )
    assert sum(name.startswith("legend-") for name in boxes) >= 8
    names = sorted(boxes)
    for index, first in enumerate(names):
        a = boxes[first]
        assert page[0] - 0.5 <= a[0] and a[2] <= page[2] + 0.5 and a[3] <= page[3] + 0.5, (
            f"{first} off the page"
        )
        for second in names[index + 1 :]:
            b = boxes[second]
            overlap = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
            assert min(overlap) <= 0.5, f"{first} overlaps {second}: {a} {b}"


def test_export_dialog_opens_in_view_and_closes(dash_duo, dataset):
    dash_duo.start_server(create_app(dataset))
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(dataset.incidents)), timeout=20)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    dash_duo.find_element("#export-button").click()
    dash_duo.wait_for_element("#export-panel:not(.hidden)", timeout=10)
    box, viewport = dash_duo.driver.execute_script(
        "const r = document.getElementById('export-panel').getBoundingClientRect();"
        "return [[r.left, r.top, r.right, r.bottom], [window.innerWidth, window.innerHeight]];"
    )
    assert box[0] >= 0 and box[1] >= 0 and box[2] <= viewport[0] and box[3] <= viewport[1], (box, viewport)
    assert dash_duo.find_element("#export-panel").get_attribute("role") == "dialog"
    # Each choice is a radio group named by its label (it read "pngsvgpdf": new-user trial).
    groups = (("export-format", "Format"), ("export-scale", "Resolution"), ("export-framing", "Framing"))
    for group, name in groups:
        named_by = dash_duo.find_element(f"#{group}").get_attribute("aria-labelledby")
        assert dash_duo.find_element(f"#{named_by}").text == name, (group, named_by)
    # At each screen size nothing in the dialog overlaps, and the animation heading stands clear of
    # the Step control under it (they touched, and read as one line, in a new-user trial).
    for width, height in ((1600, 1000), (1280, 720), (412, 915)):
        dash_duo.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        boxes = dash_duo.driver.execute_async_script(DIALOG_BOXES)
        for i, (name, a) in enumerate(boxes):
            assert a[0] >= 0 and a[2] <= width, (width, name, a)
            for other, b in boxes[i + 1 :]:
                overlap = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
                assert min(overlap) <= 0.5, (width, name, a, other, b)
        where = dict(boxes)
        assert where["h3:Animation (GIF or MP"][3] + 4 <= where["label:Step"][1], (width, boxes)
    dash_duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    dash_duo.find_element("#export-close").click()
    dash_duo.wait_for_element("#export-panel.hidden", timeout=10)


#: The export dialog's visible parts (headings, labels, fields, buttons), named, with their boxes,
#: measured after the next two frames (the layout of a new screen size).
DIALOG_BOXES = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => {
  const panel = document.getElementById('export-panel');
  const parts = [...panel.querySelectorAll('h2, h3, label, input, button, .anim-choice, progress')]
    .filter(e => !e.classList.contains('dash-dropdown-focus-target'))  // a hidden focus catcher
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
    .filter((e, _, all) => !all.some(o => o !== e && o.contains(e)));  // a radio inside its label
  done(parts.map(e => {
    const r = e.getBoundingClientRect();
    const name = e.tagName.toLowerCase() + ':' + (e.id || e.textContent.trim().slice(0, 20));
    return [name, [r.left, r.top, r.right, r.bottom]];
  }));
}));
"""
