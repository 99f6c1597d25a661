"""The production start: gunicorn with two workers, two browsers at once, and the load test.

The server runs as a user would start it (``python -m dashboard --workers 2``), on loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.common.keys import Keys

from benchmarks.load import (
    HOST,
    UpdateCallback,
    find_component,
    free_port,
    get_json,
    start_server,
    wait_ready,
)
from dashboard.app import create_app
from dashboard.production import close_job_connections, create_server, finish_setup
from tests.browser import app_errors, count_in_view, settled, wait_map_loaded, wait_until
from tests.conftest import pytest_setup_options

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gunicorn_server(boundaries_dir):
    """``unrest-map serve --workers 2`` on a free loopback port; stopped after the module."""
    port = free_port()
    server = start_server(port, workers=2, threads=4, data=None)
    try:
        wait_ready(port, server, timeout_s=90)
        yield port, server
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        assert "Traceback" not in output, output  # the server logged no exception


def _script_paths(dataset) -> list[str]:
    """The component-suite URLs a page loads; fingerprints depend on the install only, not the server."""
    page = create_app(dataset).server.test_client().get("/").get_data(as_text=True)
    return re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)


def _status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    connection.request("GET", path)
    return connection.getresponse().status


def _first_requests_at_once(server: Flask, path: str, count: int = 16) -> list[int]:
    """Statuses of ``count`` requests for ``path`` released together on their own threads."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def request() -> None:
        client = server.test_client()
        barrier.wait()
        statuses.append(client.get(path).status_code)

    threads = [threading.Thread(target=request) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_dash_setup_is_finished_before_the_first_request(boundaries_dir, dataset):
    """Concurrent first requests to a fresh app all get their script.

    Dash's first-request setup marks itself done before it registers the script bundles
    (plotly/dash#3971): without ``finish_setup`` most of these requests answer 500.
    """
    script = _script_paths(dataset)[0]
    for server in (finish_setup(create_app(dataset).server), create_server()):
        assert _first_requests_at_once(server, script) == [200] * 16


def test_first_page_load_on_a_fresh_gunicorn_worker(boundaries_dir, dataset):
    """The same through gunicorn: a browser's first page load asks for the index and its scripts at once."""
    paths = ["/"] + _script_paths(dataset) * 4
    port = free_port()
    server = start_server(port, workers=2, threads=8, data=None)
    try:
        # Wait for the listening socket only: any HTTP request would do Dash's setup for us.
        deadline = time.monotonic() + 90
        while socket.socket().connect_ex((HOST, port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        with ThreadPoolExecutor(max_workers=len(paths)) as pool:
            statuses = list(pool.map(lambda path: _status(port, path), paths))
        assert [path for path, status in zip(paths, statuses, strict=True) if status != 200] == []
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def _view_request(port: int, callback: UpdateCallback, values: dict, changed: str) -> dict:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    connection.request(
        "POST",
        "/_dash-update-component",
        callback.body(values, changed),
        {"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 200
    return json.loads(response.read())["response"]


def test_job_cache_built_before_a_fork_works_on_both_sides(boundaries_dir, dataset, tmp_path):
    """``serve --workers`` builds the app, job cache included, in the master: after
    ``close_job_connections`` a forked worker and the master each use the cache through their own
    connection, and each sees what the other wrote."""
    app = create_app(dataset, jobs_dir=tmp_path / "jobs")
    [cache] = [m.handle for m in app._background_managers()]
    cache.set("before", 1)
    close_job_connections(app)
    child = os.fork()
    if child == 0:  # the worker: write, read what the master wrote, report through the exit code
        code = 1
        try:
            cache.set("worker", os.getpid())
            code = 0 if cache.get("before") == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("worker") == child
    cache.set("after", 2)
    assert cache.get("after") == 2


def test_gunicorn_runs_two_workers_that_answer_the_same(gunicorn_server, incidents):
    port, server = gunicorn_server
    # The app is built before the fork, so the first worker can answer before gunicorn has forked
    # the second (it waits up to 0.1 s between forks).
    deadline = time.monotonic() + 30
    while len(_worker_pids(server.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_worker_pids(server.pid)) == 2
    layout = get_json(port, "/_dash-layout")
    callback = UpdateCallback.from_dependencies(get_json(port, "/_dash-dependencies"), layout)
    last_day = int(find_component(layout, "date-range")["max"])
    values = {f"{i['id']}.{i['property']}": None for i in callback.inputs}
    values |= {
        "date-range.value": [0, last_day],
        "filter-event-type.value": ["Riots"],
        "filter-text.value": "",
    }
    # 40 requests at once: whichever worker answers, the answer is the same.
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(lambda _: _view_request(port, callback, values, "filter-event-type.value"), range(40))
        )
    riots = int((incidents["event_type"] == "Riots").sum())
    for answer in answers:
        count = answer["incident-count"]["children"][0]["props"]["children"]
        assert count == str(riots)
        assert len(answer["incident-table"]["data"]) == riots


def _browser() -> webdriver.Chrome:
    return webdriver.Chrome(options=pytest_setup_options())


@pytest.mark.browser
def test_two_browsers_keep_their_own_views(gunicorn_server, incidents):
    port, _ = gunicorn_server
    url = f"http://{HOST}:{port}/"
    riots = int((incidents["event_type"] == "Riots").sum())
    first, second = _browser(), _browser()
    try:
        first.get(url + "?" + urlencode({"type": "Riots"}))
        second.get(url)
        first_view, second_view = _Page(first), _Page(second)
        wait_until(first_view, lambda: count_in_view(first_view) == riots, 30)
        wait_until(second_view, lambda: count_in_view(second_view) == len(incidents), 30)
        # The second user narrows the window with the keyboard, step by step (one callback each).
        # The count is in the page as served; the slider comes with its lazily loaded component.
        handles = "#date-range [role=slider]"
        wait_until(second_view, lambda: len(second.find_elements("css selector", handles)) == 2, 30)
        handle = second.find_elements("css selector", handles)[1]
        handle.click()
        for _ in range(60):
            handle.send_keys(Keys.ARROW_LEFT)
        wait_until(second_view, lambda: count_in_view(second_view) < len(incidents), 30)
        # Sixty key presses are sixty callbacks: take the count once the last one has answered.
        narrowed = settled(second_view, lambda: count_in_view(second_view))
        # The first user's next callbacks answer for the first user's view only.
        first.find_element("css selector", "#shade-toggle input").click()
        wait_until(first_view, lambda: "shade=1" in first.current_url, 30)
        assert count_in_view(first_view) == riots
        first.refresh()
        wait_until(first_view, lambda: count_in_view(first_view) == riots, 30)
        assert "type=Riots" in first.current_url and "start=" not in first.current_url
        assert count_in_view(second_view) == narrowed
        for page in (first_view, second_view):
            wait_map_loaded(page)
            assert app_errors(page) == []
    finally:
        first.quit()
        second.quit()


class _Page:
    """The little of dash_duo's interface that tests.browser's helpers use, over a plain driver."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def find_element(self, selector: str):
        return self.driver.find_element("css selector", selector)

    def get_logs(self) -> list[dict]:
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]


def test_load_script_runs_on_loopback_without_errors(boundaries_dir):
    """A short run of benchmarks/load.py: it starts its own server, stops by itself, counts right."""
    result = subprocess.run(
        [sys.executable, "benchmarks/load.py", "--users", "6", "--duration", "4", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["errors"] == 0 and summary["requests"] > 0
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    assert summary["requests_per_s"] == pytest.approx(summary["requests"] / summary["duration_s"], rel=0.05)


def test_large_blocks_are_given_back_in_a_served_process():
    """``serve --workers`` fixes the C library's mmap threshold (see ``return_large_blocks``): a freed
    block of 8 MB goes back to the system at once, where glibc's raised threshold kept it in the heap."""
    script = (
        "import sys, numpy as np\n"
        "from dashboard.production import return_large_blocks\n"
        "fixed = sys.argv[1] == 'fixed' and return_large_blocks()\n"
        "def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "np.ones(8_000_000 // 8).sum()  # freed: glibc raises its threshold past 8 MB\n"
        "pin = [np.ones(1_000) for _ in range(5)]\n"
        "before = rss()\n"
        "blocks = [np.ones(8_000_000 // 8) for _ in range(6)]\n"
        "pin.append(np.ones(1_000))  # above them on the heap: the heap's top cannot shrink\n"
        "del blocks\n"
        "print(fixed, (rss() - before) // 1_000_000)\n"
    )
    found = {}
    for mode in ("fixed", "default"):
        out = subprocess.run(
            [sys.executable, "-c", script, mode], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        found[mode] = (out[0], int(out[1]))
    assert found["fixed"][0] == "True"
    assert found["fixed"][1] < 8  # MB kept after freeing 48 MB
    assert found["default"][1] >= 40  # the same with glibc's default: kept
