"""Browser benchmark: the dashboard as a user opens it, next to the plainest Dash map page.

    python benchmarks/browser.py [--events N ...] [--loads 3] [--repeat 20] [--json]

Drives headless Chromium (the system's, with software WebGL) against three servers started here,
side by side in the same run: the project (``python -m dashboard``, as ``unrest-map serve``
runs it), a minimal Dash page with one ``Scattermap`` of the same points, and a naive dashboard
(a date slider and one callback returning a whole ``px.scatter_map`` figure). For each dataset
(the built-in one, plus a synthetic one of N events per ``--events``, written by
benchmarks/scale.py's generator) and each page, from a fresh browser profile every time:

- bytes transferred on first load (the performance log's ``encodedDataLength``: bytes on the
  wire, after compression), requests, and any URL requested twice;
- time to the map drawn with its data (MapLibre ``loaded()`` with a marker trace holding points,
  or, where the project shows municipality totals instead of markers (over
  ``figures.POINT_LIMIT`` incidents), with those totals drawn; checked on every animation frame
  inside the page; milliseconds from navigation).

Then, for each dataset, the median of ``--repeat`` slider key presses to the map redrawn, on
the project and on the naive dashboard in four interleaved batches, and their ratio. And on the
project with the built-in data, medians of ``--repeat`` marker clicks to the details shown and
filter changes to the map redrawn. Each server
answers one throwaway page load first, as a server that has been up a while would. With
``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import HOST, free_port, wait_ready  # noqa: E402

#: Runs in every page before its own scripts: notes when the map is drawn with markers.
MAP_READY_PROBE = """
(function () {
  function check() {
    try {
      const gd = document.querySelector('#map .js-plotly-plot');
      const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      // The data drawn: markers, or (the project over figures.POINT_LIMIT incidents) the
      // municipality totals it shows instead.
      if (sub && sub.map.loaded() && !sub.map.isMoving() && gd._fullData.some(
          t => (t.type === 'scattermap' && (t.mode || '').includes('markers') && t._length > 0) ||
               (t.type === 'choroplethmap' && document.querySelector('.aggregate-note') &&
                t.z && Array.prototype.some.call(t.z, v => v > 0)))) {
        window.__mapReadyAt = performance.now();
        return;
      }
    } catch (e) {}
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();
"""


def minimal_app(data: str | None):
    """The plainest Dash page showing the same points: one Scattermap, Plotly's offline style."""
    import plotly.graph_objects as go
    from dash import Dash, dcc

    from dashboard.figures import DEFAULT_CENTER, DEFAULT_ZOOM
    from geodata.dataset import load_dataset

    incidents = load_dataset(data, strict=False).incidents
    fig = go.Figure(
        go.Scattermap(lat=incidents["lat"].to_numpy(), lon=incidents["lon"].to_numpy(), mode="markers")
    )
    fig.update_layout(
        map={"style": "white-bg", "center": DEFAULT_CENTER, "zoom": DEFAULT_ZOOM},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
    )
    app = Dash(__name__)
    app.layout = dcc.Graph(id="map", figure=fig, style={"height": "600px"})
    return app


def naive_app(data: str | None):
    """The naive dashboard (issue 14's reference): a date slider and one callback that returns a
    whole ``px.scatter_map`` figure of the incidents in the window, on every step."""
    import pandas as pd
    import plotly.express as px
    from dash import Dash, Input, Output, dcc, html

    from dashboard.figures import DEFAULT_CENTER, DEFAULT_ZOOM
    from geodata.dataset import load_dataset

    incidents = load_dataset(data, strict=False).incidents[["lat", "lon", "date_start", "date_end"]]
    first = incidents["date_start"].min().normalize()
    days = pd.date_range(first, incidents["date_end"].max().normalize())
    app = Dash(__name__)
    app.layout = html.Div(
        [
            dcc.Graph(id="map", style={"height": "600px"}),
            dcc.RangeSlider(id="date-range", min=0, max=len(days) - 1, step=1, value=[0, len(days) - 1]),
        ]
    )

    @app.callback(Output("map", "figure"), Input("date-range", "value"))
    def figure(window):
        start, end = days[window[0]], days[window[1]] + pd.Timedelta(days=1)
        shown = incidents[(incidents["date_start"] < end) & (incidents["date_end"] >= start)]
        fig = px.scatter_map(shown, lat="lat", lon="lon", center=DEFAULT_CENTER, zoom=DEFAULT_ZOOM)
        return fig.update_layout(map_style="white-bg", margin={"l": 0, "r": 0, "t": 0, "b": 0})

    return app


def start(command: list[str], log: Path) -> subprocess.Popen:
    """A server process; its output goes to ``log`` (a pipe nobody reads would fill and stop it)."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    with log.open("w") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)


def start_servers(data: str | None, folder: Path) -> dict[str, tuple[int, subprocess.Popen]]:
    """The project as ``unrest-map serve`` runs it, the minimal page and the naive dashboard,
    each on a free port."""
    extra = ["--data", data] if data else []
    commands = {
        "project": lambda port: [sys.executable, "-m", "dashboard", "--host", HOST, "--port", str(port)],
        "minimal": lambda port: [sys.executable, __file__, "--minimal-server", str(port)],
        "naive": lambda port: [sys.executable, __file__, "--naive-server", str(port)],
    }
    servers = {}
    for name, command in commands.items():
        port = free_port()
        servers[name] = (port, start([*command(port), *extra], folder / f"{name}.log"))
    for name, (port, process) in servers.items():
        log = folder / f"{name}.log"
        wait_ready(port, process, 600, lambda log=log: log.read_text()[-3000:])
    return servers


def browser():
    from selenium import webdriver

    from tests.conftest import pytest_setup_options

    options = pytest_setup_options()
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": MAP_READY_PROBE})
    return driver


def network_events(driver) -> list[dict]:
    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"].startswith("Network."):
            events.append(message)
    return events


def wait_for(condition, timeout: float, what: str, poll: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"{what} not within {timeout:.0f} s")


def first_load(port: int, timeout: float) -> dict:
    """One load from a fresh profile: time to map with markers, bytes on the wire, requests."""
    driver = browser()
    try:
        driver.get(f"http://{HOST}:{port}/")
        ready_ms = wait_for(lambda: driver.execute_script("return window.__mapReadyAt"), timeout, "map")
        events = network_events(driver)
        # Let the page's last callbacks finish: until no new network event for a second.
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 1.0:
            more = network_events(driver)
            if more:
                events += more
                quiet_since = time.monotonic()
            time.sleep(0.1)
    finally:
        driver.quit()
    sent = [e["params"] for e in events if e["method"] == "Network.requestWillBeSent"]
    finished = [e["params"] for e in events if e["method"] == "Network.loadingFinished"]
    urls = [p["request"]["url"] for p in sent if not p["request"]["url"].startswith("data:")]
    gets = [p["request"]["url"] for p in sent if p["request"]["method"] == "GET"]
    outside = sorted(
        {
            u
            for u in urls
            if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).hostname not in (HOST, "localhost")
        }
    )
    return {
        "time_to_map_ms": round(ready_ms),
        "bytes": int(sum(p["encodedDataLength"] for p in finished)),
        "requests": len(urls),
        "requested_twice": sorted({u for u in gets if gets.count(u) > 1}),
        "other_hosts": outside,
    }


def attempt(measure, *args):
    """``measure(*args)``, or the reason it failed: at a million points the reference pages'
    browser tab can crash or time out, and that is a result to report, not the end of the run."""
    from selenium.common.exceptions import WebDriverException

    try:
        return measure(*args)
    except (WebDriverException, TimeoutError) as error:
        return {"failed": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}


def compare(servers: dict, loads: int, timeout: float) -> dict:
    """First loads of both pages, interleaved so a busy moment of the machine hits both alike."""
    pages = {name: servers[name] for name in ("project", "minimal")}
    for port, _ in pages.values():  # a server that has been up a while: first-request work done
        attempt(first_load, port, timeout)
    runs: dict[str, list[dict]] = {name: [] for name in pages}
    for _ in range(loads):
        for name, (port, _) in pages.items():
            runs[name].append(attempt(first_load, port, timeout))
    summary: dict = {}
    for name, results in runs.items():
        good = [r for r in results if "failed" not in r]
        summary[name] = {
            "time_to_map_ms": statistics.median(r["time_to_map_ms"] for r in good) if good else None,
            "time_to_map_runs_ms": [r.get("time_to_map_ms", r.get("failed")) for r in results],
            "first_load_bytes": statistics.median(r["bytes"] for r in good) if good else None,
            "requests": good[-1]["requests"] if good else None,
            "requested_twice": good[-1]["requested_twice"] if good else None,
            "other_hosts": good[-1]["other_hosts"] if good else None,
        }
    times = [summary[name]["time_to_map_ms"] for name in pages]
    summary["time_ratio"] = round(times[0] / times[1], 2) if all(times) else None
    return summary


def interactions(port: int, repeat: int) -> dict:
    """Medians of ``repeat`` marker clicks and filter changes, each to its visible result (slider keys:
    :func:`compare_steps`, beside the naive dashboard)."""
    from selenium.webdriver.common.action_chains import ActionChains

    from geodata.dataset import load_dataset

    incidents = load_dataset().incidents.set_index("id")
    driver = browser()
    map_js = "const gd = document.querySelector('#map .js-plotly-plot');"
    try:
        driver.get(f"http://{HOST}:{port}/")
        wait_for(lambda: driver.execute_script("return window.__mapReadyAt"), 60, "map")
        driver.execute_script(
            map_js + "window.__draws = 0; gd.on('plotly_afterplot', () => { window.__draws += 1; });"
        )

        def redrawn(before: int) -> bool:
            return driver.execute_script(
                map_js + "return window.__draws > arguments[0] && gd._fullLayout.map._subplot.map.loaded();",
                before,
            )

        def timed(action, done) -> float:
            start = time.perf_counter()
            action()
            wait_for(done, 30, "result")
            return (time.perf_counter() - start) * 1000

        canvas = driver.find_element("css selector", "#map .maplibregl-canvas")
        clicks = []
        for i in range(repeat):
            incident = ("KOS-2008-05", "KOS-2008-01")[i % 2]  # two places alone on the map
            x, y = driver.execute_script(
                map_js + "const p = gd._fullLayout.map._subplot.map.project([arguments[0], arguments[1]]);"
                "return [p.x, p.y];",
                float(incidents.loc[incident, "lon"]),
                float(incidents.loc[incident, "lat"]),
            )
            chain = ActionChains(driver).move_to_element_with_offset(canvas, int(x), int(y))
            chain.perform()
            clicks.append(
                timed(
                    lambda: ActionChains(driver).click().perform(),
                    lambda incident=incident: driver.execute_script(
                        "const d = document.querySelector('#incident-details .incident-id');"
                        "return d && d.textContent === arguments[0];",
                        incident,
                    ),
                )
            )
        box = driver.find_element("css selector", "#filter-event-type input[value='Riots']")
        filters = []
        for _ in range(repeat):
            before = driver.execute_script("return window.__draws")
            filters.append(timed(box.click, lambda before=before: redrawn(before)))
            settle(driver)
    finally:
        driver.quit()
    return {
        "marker_click_to_details_ms": round(statistics.median(clicks)),
        "filter_change_to_redraw_ms": round(statistics.median(filters)),
        "repeat": repeat,
    }


MAP_JS = "const gd = document.querySelector('#map .js-plotly-plot');"


def settle(driver, quiet: float = 0.5, timeout: float = 30) -> None:
    """Wait until the map has not been redrawn for ``quiet`` seconds and MapLibre is idle, so a
    later redraw of this step (the project's server confirming a preview drawn in the browser,
    or a late second answer) is never counted as the next step's."""
    deadline = time.monotonic() + timeout
    draws, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = driver.execute_script(
            MAP_JS + "return gd._fullLayout.map._subplot.map.loaded() ? window.__draws : -1;"
        )
        if now != draws or now == -1:
            draws, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def slider_steps(port: int, repeat: int, timeout: float) -> list[float]:
    """Milliseconds from an arrow key on the slider's end handle to the map redrawn, ``repeat``
    times (alternately a day back and forth), on any page with ``#date-range`` and ``#map``."""
    from selenium.webdriver.common.keys import Keys

    driver = browser()
    try:
        driver.get(f"http://{HOST}:{port}/")
        wait_for(lambda: driver.execute_script("return window.__mapReadyAt"), timeout, "map")
        driver.execute_script(
            MAP_JS + "window.__draws = 0; gd.on('plotly_afterplot', () => { window.__draws += 1; });"
        )
        handle = driver.find_elements("css selector", "#date-range [role=slider]")[1]
        handle.click()
        times = []
        for i in range(repeat):
            before = driver.execute_script("return window.__draws")
            key = Keys.ARROW_LEFT if i % 2 == 0 else Keys.ARROW_RIGHT
            start = time.perf_counter()
            handle.send_keys(key)
            wait_for(
                lambda before=before: driver.execute_script(
                    MAP_JS
                    + "return window.__draws > arguments[0] && gd._fullLayout.map._subplot.map.loaded();",
                    before,
                ),
                timeout,
                "redraw",
            )
            times.append((time.perf_counter() - start) * 1000)
            settle(driver)
    finally:
        driver.quit()
    return times


def compare_steps(servers: dict, repeat: int, timeout: float, rounds: int = 4) -> dict:
    """Slider key to map redrawn: the project beside the naive dashboard (medians), in ``rounds``
    interleaved batches so a busy moment of the machine hits both alike."""
    steps: dict[str, list[float] | dict] = {"project": [], "naive": []}
    for index in range(rounds):
        batch = repeat // rounds + (1 if index < repeat % rounds else 0)
        for name in steps:
            if batch and isinstance(steps[name], list):
                runs = attempt(slider_steps, servers[name][0], batch, timeout)
                steps[name] = steps[name] + runs if isinstance(runs, list) else runs
    medians = {
        name: round(statistics.median(runs)) if isinstance(runs, list) and runs else (runs or None)
        for name, runs in steps.items()
    }
    numbers = [medians[name] for name in ("project", "naive") if isinstance(medians[name], int | float)]
    return {
        "slider_key_to_redraw_ms": medians,
        "slider_step_ratio": round(numbers[0] / numbers[1], 2) if len(numbers) == 2 else None,
    }


def synthetic(events: int, folder: Path) -> str:
    path = folder / f"synthetic_{events}.csv"
    code = (
        "import sys; from pathlib import Path; from benchmarks.scale import generate;"
        " generate(Path(sys.argv[1]), int(sys.argv[2]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(path), str(events)],
        check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, nargs="*", default=[], help="also synthetic datasets of N events"
    )
    parser.add_argument("--loads", type=int, default=3, help="first loads per page and dataset (median)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each interaction (median)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--minimal-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--naive-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.minimal_server:
        minimal_app(args.data).run(host=HOST, port=args.minimal_server, debug=False)
        return 0
    if args.naive_server:
        naive_app(args.data).run(host=HOST, port=args.naive_server, debug=False)
        return 0

    result: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "browser": "headless chromium",
        },
        "datasets": [],
    }
    with tempfile.TemporaryDirectory(prefix="unrest-map-browser-bench-") as folder:
        for events in [None, *args.events]:
            data = synthetic(events, Path(folder)) if events else None
            servers = start_servers(data, Path(folder))
            try:
                timeout = 60 if events is None else 600
                entry = {"data": "built-in" if events is None else f"synthetic {events:,}"}
                entry |= compare(servers, args.loads, timeout)
                entry |= compare_steps(servers, args.repeat, timeout)
                if events is None:
                    result["interactions"] = interactions(servers["project"][0], args.repeat)
                result["datasets"].append(entry)
                if not args.json:
                    print(json.dumps(entry, indent=2), flush=True)
            finally:
                for _, process in servers.values():
                    process.terminate()
                    process.wait(timeout=30)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result.get("interactions"), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
