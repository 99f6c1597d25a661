"""Background exports past one machine: two servers, one Celery worker, one Redis.

A real ``redis-server`` (Debian package) on a free port, two ``unrest-map serve --jobs``
processes on two ports and one ``unrest-map worker``: a GIF job is started through the
first server and polled and downloaded through the second, as a load balancer would send
the requests. The requests are the ones Dash's renderer sends (signed page token, cache
key and job handles), built from the app's own callback list.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS is None, reason="redis-server is not installed (apt-get install redis-server)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, body: dict | None = None, timeout: float = 60) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: process exited ({process.returncode}):\n{log.read_text()}")
        try:
            _request(url, timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {timeout} s:\n{log.read_text()}")


@pytest.fixture
def cluster(tmp_path, boundaries_dir):
    """Redis, two servers and a worker, all on 127.0.0.1; stopped (and their logs shown) at the end."""
    redis_port, ports = _free_port(), (_free_port(), _free_port())
    jobs = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "UNREST_MAP_JOBS": jobs,
        "UNREST_MAP_BOUNDARIES": str(boundaries_dir),
        "UNREST_MAP_CACHE": str(tmp_path / "cache"),
    }
    cli = [sys.executable, "-c", "import sys; from dashboard.cli import main; sys.exit(main(sys.argv[1:]))"]
    commands = {
        "redis": [
            REDIS,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        "server-a": [*cli, "serve", "--port", str(ports[0])],
        "server-b": [*cli, "serve", "--port", str(ports[1])],
        "worker": [*cli, "worker", "--jobs", jobs],
    }
    processes: dict[str, subprocess.Popen] = {}
    logs = {name: tmp_path / f"{name}.log" for name in commands}
    try:
        for name, command in commands.items():
            with logs[name].open("w") as log:
                processes[name] = subprocess.Popen(
                    command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
                )
            if name == "redis":
                deadline = time.monotonic() + 20
                while "Ready to accept connections" not in logs[name].read_text():
                    assert time.monotonic() < deadline and processes[name].poll() is None, logs[
                        name
                    ].read_text()
                    time.sleep(0.1)
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, name in zip(urls, ["server-a", "server-b"], strict=True):
            _wait_for(url + "/", processes[name], logs[name])
        yield urls, processes, logs
    finally:
        for process in reversed(list(processes.values())):
            process.terminate()
        for name, process in processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print(f"--- {name} log ---\n{logs[name].read_text()[-3000:]}")


def _animation_callback(base: str) -> dict:
    _, body = _request(base + "/_dash-dependencies")
    for callback in json.loads(body):
        if "animation-file.data" in callback["output"]:
            return callback
    raise AssertionError("no animation callback in /_dash-dependencies")


def test_a_job_started_on_one_server_is_polled_and_downloaded_on_the_other(cluster):
    (first, second), processes, logs = cluster
    _, page = _request(first + "/")
    config = json.loads(
        re.search(rb'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    end_id = config["end_id"]
    callback = _animation_callback(first)
    assert callback["background"], "the GIF export is a background callback"
    values = {
        "animation-request.data": {"n": 1, "query": "start=2008-03-14&end=2008-03-18", "screen": [1200, 900]},
        "animation-step.value": "1d",
        "animation-window.value": "3d",  # 3-day windows ending 16, 17 and 18 March: 3 frames
        "animation-fps.value": 4,
        "animation-format.value": "gif",
        "export-include.value": ["caption", "legend"],
        "export-framing.value": "screen",  # no camera in the query: the whole country
    }

    def entry(dependency: dict) -> dict:
        return {**dependency, "value": values[f"{dependency['id']}.{dependency['property']}"]}

    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in callback["output"].strip(".").split("...")
    ]
    body = {
        "output": callback["output"],
        "outputs": outputs,
        "inputs": [entry(d) for d in callback["inputs"]],
        "state": [entry(d) for d in callback["state"]],
        "changedPropIds": ["animation-request.data"],
    }
    status, answer = _request(f"{first}/_dash-update-component?endId={end_id}", body)
    handles = json.loads(answer)
    assert status in (200, 202) and {"cacheKey", "job"} <= handles.keys(), answer[:300]

    # Every later request goes to the other server, as a load balancer may send them.
    query = urllib.parse.urlencode({"endId": end_id, "cacheKey": handles["cacheKey"], "job": handles["job"]})
    deadline, result, progress_seen = time.monotonic() + 240, None, False
    while time.monotonic() < deadline:
        for name, process in processes.items():
            assert process.poll() is None, f"{name} died:\n{logs[name].read_text()}"
        status, answer = _request(f"{second}/_dash-update-component?{query}", body)
        reply = json.loads(answer) if answer else {}
        progress_seen |= "progress" in reply
        if "response" in reply:
            result = reply["response"]
            break
        time.sleep(0.4)
    assert result is not None, "the job did not finish through the second server"
    download = result["animation-file"]["data"]
    assert download["filename"].endswith(".gif") and "(3 frames)" in str(
        result["animation-status"]["children"]
    )
    gif = Image.open(io.BytesIO(base64.b64decode(download["content"])))
    assert gif.format == "GIF" and gif.n_frames == 3 and gif.size == (960, 720)
    assert "background_callback_" in logs["worker"].read_text() or progress_seen
