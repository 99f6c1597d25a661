"""Load test: simulated users scrubbing and filtering against the gunicorn setup, on loopback only.

    python benchmarks/load.py [--users 50] [--duration 60] [--workers 2] [--threads 4] [--data FILE] [--json]

Starts ``unrest-map serve --workers N`` on 127.0.0.1 (a free port, never another host),
waits for it, then runs ``--users`` simulated users for ``--duration`` seconds. Each user
keeps a view of its own and sends what the browser sends for it: the view-update callback
(``POST /_dash-update-component``, the same body the Dash renderer posts) for each slider
step of a drag (bursts of 4-10 steps about 0.1 s apart), a filter toggle, a table sort or a
click on an incident, then pauses 0.5-3 s to look at the result. Drag steps are posted one by
one, as for arrow keys or data too large to preview in the browser (a mouse drag over small
data is drawn in the browser and posts only its final value): heavier than real use.
It stops by itself, stops the server and prints requests per second, latency percentiles
and the error count (a non-200 answer, a connection error or an answer without the incident
count). With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"  # loopback only: this script never sends a request anywhere else
MAX_USERS = 500
MAX_DURATION_S = 600
EVENT_TYPES = ("Protests", "Riots", "Violence against civilians", "Strategic developments")
SORTABLE = ("date", "fatalities", "place", "event_type")
ACTIONS = (("slider", 0.6), ("filter", 0.2), ("select", 0.1), ("table", 0.1))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, threads: int, data: str | None) -> subprocess.Popen:
    command = [sys.executable, "-m", "dashboard", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    command += ["--data", data] if data else []
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_ready(
    port: int, server: subprocess.Popen, timeout_s: float = 180, log: Callable[[], str] | None = None
) -> None:
    """Until the server answers its layout; a server that exits first raises with its output
    (``log``: where to read it when it does not go to ``server.stdout``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log() if log else server.stdout.read()
            raise RuntimeError(f"server exited with {server.returncode}:\n{output}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/_dash-layout")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} not ready after {timeout_s:.0f} s")


def get_json(port: int, path: str) -> object:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    return json.loads(response.read())


def find_component(layout: object, component_id: str) -> dict | None:
    """The props of the component with this id, searched through the layout JSON."""
    if isinstance(layout, dict):
        props = layout.get("props", {})
        if props.get("id") == component_id:
            return props
        for value in [*props.values(), *layout.values()]:
            if isinstance(value, (dict, list)) and (found := find_component(value, component_id)):
                return found
    elif isinstance(layout, list):
        for item in layout:
            if found := find_component(item, component_id):
                return found
    return None


def pattern_ids(layout: object, pattern: dict) -> list[dict]:
    """The ids in the layout that a pattern-matching id (``{"type": ..., "id": ["ALL"]}``) matches."""
    found: list[dict] = []

    def visit(node: object) -> None:
        if isinstance(node, dict):
            component_id = node.get("props", {}).get("id")
            if (
                isinstance(component_id, dict)
                and component_id.keys() == pattern.keys()
                and all(value == ["ALL"] or component_id[key] == value for key, value in pattern.items())
            ):
                found.append(component_id)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(layout)
    return found


@dataclass(frozen=True)
class UpdateCallback:
    """The view-update callback as the server declares it (``/_dash-dependencies``), with its
    pattern-matching outputs (the legend's six types) spelled out from the layout."""

    output: str
    outputs: list
    inputs: list[dict]
    state: list[dict]

    @classmethod
    def from_dependencies(cls, dependencies: list[dict], layout: object) -> UpdateCallback:
        spec = next(d for d in dependencies if "incident-count.children" in d["output"])
        outputs: list = []
        for part in spec["output"][2:-2].split("..."):  # '..a.b...c.d..' (several outputs)
            component, prop = part.rsplit(".", 1)
            if component.startswith("{"):  # a pattern: every matching component, in layout order
                matches = pattern_ids(layout, json.loads(component))
                outputs.append([{"id": match, "property": prop} for match in matches])
            else:
                outputs.append({"id": component, "property": prop})
        return cls(spec["output"], outputs, spec["inputs"], spec.get("state", []))

    def body(self, values: dict[str, object], changed: str) -> bytes:
        def given(spec: dict) -> dict:
            return {**spec, "value": values.get(f"{spec['id']}.{spec['property']}")}

        payload = {
            "output": self.output,
            "outputs": self.outputs,
            "inputs": [given(i) for i in self.inputs],
            "changedPropIds": [changed],
            "state": [given(s) for s in self.state],
        }
        return json.dumps(payload).encode()


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_action: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reconnect(self) -> None:
        with self.lock:
            self.reconnects += 1

    def add(self, action: str, latency_ms: float, error: str | None) -> None:
        with self.lock:
            self.latencies_ms.append(latency_ms)
            self.by_action[action] = self.by_action.get(action, 0) + 1
            if error:
                self.errors.append(f"{action}: {error}")


class User:
    """One simulated person: a view of its own, changed a little at a time."""

    def __init__(self, port: int, callback: UpdateCallback, last_day: int, ids: list[str], seed: int):
        self.port, self.callback, self.last_day, self.ids = port, callback, last_day, ids
        self.random = random.Random(seed)
        width = self.random.randint(7, 40)
        low = self.random.randint(0, max(0, last_day - width))
        self.values: dict[str, object] = {
            "date-range.value": [low, min(last_day, low + width)],
            "filter-event-type.value": [],
            "filter-side.value": [],
            "filter-municipality.value": [],
            "filter-place-kind.value": [],
            "filter-casualties.value": [],
            "filter-text.value": "",
            "shade-toggle.value": [],
            "selected-id.data": None,
            "incident-table.page_current": 0,
            "incident-table.sort_by": [],
            "area-filter.data": None,  # no Box/Lasso area drawn
        }

    def next_action(self) -> str:
        choice = self.random.random()
        for action, share in ACTIONS:
            if choice < share:
                return action
            choice -= share
        return ACTIONS[0][0]

    def change(self, action: str) -> str:
        """Change this user's view as ``action`` would; returns the changed property id."""
        if action == "slider":  # a drag step: the window moves by a day or a few
            low, high = self.values["date-range.value"]
            step = self.random.choice((-3, -1, 1, 1, 2, 5))
            step = max(-low, min(step, self.last_day - high))
            self.values["date-range.value"] = [low + step, high + step]
            return "date-range.value"
        if action == "filter":
            chosen = self.random.choice(EVENT_TYPES)
            current = list(self.values["filter-event-type.value"])
            self.values["filter-event-type.value"] = (
                [c for c in current if c != chosen] if chosen in current else [*current, chosen]
            )
            return "filter-event-type.value"
        if action == "select":
            self.values["selected-id.data"] = self.random.choice(self.ids) if self.ids else None
            return "selected-id.data"
        direction = self.random.choice(("asc", "desc"))
        self.values["incident-table.sort_by"] = [
            {"column_id": self.random.choice(SORTABLE), "direction": direction}
        ]
        return "incident-table.sort_by"

    def run(self, stop_at: float, results: Results) -> None:
        """Act until ``stop_at``: a drag is a burst of slider steps about 0.1 s apart (what the
        slider sends while its handle moves); every action ends with a pause to look at the map."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        while time.monotonic() < stop_at:
            action = self.next_action()
            for _ in range(self.random.randint(4, 10) if action == "slider" else 1):
                if time.monotonic() >= stop_at:
                    break
                connection = self.send(connection, action, results)
                time.sleep(self.random.uniform(0.08, 0.15))
            time.sleep(self.random.uniform(0.5, 3.0))
        connection.close()

    def send(
        self, connection: http.client.HTTPConnection, action: str, results: Results
    ) -> http.client.HTTPConnection:
        """One callback request for ``action``; returns the connection to use next.

        Like a browser, a kept-alive connection that the server closed while idle is
        reopened and the request sent again once; that is counted as a reconnect, not an error.
        """
        body = self.callback.body(self.values, self.change(action))
        started = time.perf_counter()
        error = None
        for attempt in (1, 2):
            try:
                connection.request(
                    "POST", "/_dash-update-component", body, {"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200:
                    error = f"HTTP {response.status}: {answer[:200]!r}"
                elif b"incident-count" not in answer:
                    error = f"answer without the incident count: {answer[:200]!r}"
                break
            except (OSError, http.client.HTTPException) as failure:
                connection.close()
                connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                stale = isinstance(
                    failure, (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)
                )
                if attempt == 1 and stale:
                    results.reconnect()
                    continue
                error = f"{type(failure).__name__}: {failure}"
        results.add(action, (time.perf_counter() - started) * 1000, error)
        return connection


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--users", type=int, default=50, help=f"simulated users (default 50, at most {MAX_USERS})"
    )
    parser.add_argument(
        "--duration", type=float, default=60, help=f"seconds (default 60, at most {MAX_DURATION_S})"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--data", help="records file (default: the built-in 2008 dataset)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    if not (1 <= args.users <= MAX_USERS and 0 < args.duration <= MAX_DURATION_S):
        parser.error(f"--users must be 1..{MAX_USERS} and --duration 0..{MAX_DURATION_S} seconds")

    port = free_port()
    server = start_server(port, args.workers, args.threads, args.data)
    try:
        wait_ready(port, server)
        layout = get_json(port, "/_dash-layout")
        callback = UpdateCallback.from_dependencies(get_json(port, "/_dash-dependencies"), layout)
        last_day = int(find_component(layout, "date-range")["max"])
        whole_period = User(port, callback, last_day, [], seed=0).values | {"date-range.value": [0, last_day]}
        ids = sample_ids(port, callback, whole_period)
        results = Results()
        stop_at = time.monotonic() + args.duration
        users = [User(port, callback, last_day, ids, seed=n) for n in range(args.users)]
        threads = [threading.Thread(target=u.run, args=(stop_at, results), daemon=True) for u in users]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.duration + 120)  # a request in flight may finish late; never hang
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # The gunicorn master has reaped its workers, and this process the master: their CPU time.
    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = resource.getrusage(resource.RUSAGE_SELF)

    latencies = results.latencies_ms
    summary = {
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "workers": args.workers,
        "threads": args.threads,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "errors": len(results.errors),
        "reconnects": results.reconnects,
        "server_cpu_ms_per_request": round(
            (server_cpu.ru_utime + server_cpu.ru_stime) * 1000 / max(len(latencies), 1), 1
        ),
        "client_cpu_s": round(client_cpu.ru_utime + client_cpu.ru_stime, 1),
    }
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"dataset: {args.data or 'built-in 2008'}; actions: {results.by_action}")
    for key, value in summary.items():
        print(f"{key:>16}: {value}")
    for error in results.errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    return 1 if results.errors else 0


def sample_ids(port: int, callback: UpdateCallback, values: dict[str, object]) -> list[str]:
    """Incident ids from the first table page of the whole period (what a user can click)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    connection.request(
        "POST",
        "/_dash-update-component",
        callback.body(values, "date-range.value"),
        {"Content-Type": "application/json"},
    )
    answer = json.loads(connection.getresponse().read())
    return [row["id"] for row in answer["response"]["incident-table"]["data"]]


if __name__ == "__main__":
    sys.exit(main())
