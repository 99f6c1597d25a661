"""Install smoke test: what a user gets from `pip install .`, used from outside the checkout.

Run with the Python of a fresh virtual environment in which the project was installed as a wheel
(not editable). From a temporary folder it imports an ACLED file with ``unrest-map data``, starts
``unrest-map serve`` on that file, and fetches the page and every asset and script the page
references, and one of the map's label glyphs: each must answer 200. Exits non-zero, saying what failed,
on any problem.

Usage: python smoke_install.py ACLED_CSV
Only the standard library and the installed ``unrest-map`` command are used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def fail(message: str) -> None:
    print(f"smoke: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def main(acled_csv: str) -> None:
    source = Path(acled_csv).resolve()
    command = shutil.which("unrest-map")
    if command is None:
        fail("the unrest-map command is not on PATH: was the wheel installed?")
    work = Path(tempfile.mkdtemp(prefix="unrest-map-smoke-"))
    os.chdir(work)  # outside the checkout: nothing can import from the source tree
    env = {**os.environ, "UNREST_MAP_CACHE": str(work / "cache")}
    events = work / "events.csv"
    shutil.copy(source, events)

    data = subprocess.run(
        [command, "data", "--data", str(events), "--format", "geojson", "--output", "out.geojson"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if data.returncode != 0:
        fail(f"unrest-map data exited {data.returncode}:\n{data.stdout}\n{data.stderr}")
    features = json.loads((work / "out.geojson").read_text(encoding="utf-8"))["features"]
    if not features:
        fail("unrest-map data wrote no features")
    print(f"smoke: imported {len(features)} events from {events.name}")

    port = free_port()
    log = (work / "serve.log").open("w")
    server = subprocess.Popen(
        [command, "serve", "--data", str(events), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        status, page = 0, b""
        while time.monotonic() < deadline:
            if server.poll() is not None:
                fail(f"unrest-map serve exited {server.returncode}:\n{(work / 'serve.log').read_text()}")
            try:
                status, page = get(base + "/")
                break
            except OSError:
                time.sleep(0.5)
        if status != 200:
            fail(f"GET / answered {status}")
        html = page.decode("utf-8")
        pattern = r'(?:src|href)="(/(?:assets|_dash-component-suites)/[^"]+)"'
        references = sorted(set(re.findall(pattern, html)))
        if not any(r.startswith("/assets/") for r in references):
            fail("the page references no /assets/ file: the wheel lost its assets")
        bad = []
        for reference in references:
            code, body = get(base + reference)
            if code != 200 or not body:
                bad.append(f"{reference} -> {code}")
        if bad:
            fail("page references that do not load:\n  " + "\n  ".join(bad))
        print(f"smoke: page and {len(references)} referenced files answered 200")
        # The map's label glyphs (package data of dashboard.assets.fonts): MapLibre asks for them later.
        glyph = "/assets/fonts/Noto%20Sans%20Regular/0-255.pbf"
        code, body = get(base + glyph)
        if code != 200 or not body:
            fail(f"{glyph} -> {code}: the wheel lost the map's glyphs")
        print(f"smoke: a map glyph answered 200 ({len(body):,} bytes)")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print("smoke: OK")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: smoke_install.py ACLED_CSV")
    main(sys.argv[1])
