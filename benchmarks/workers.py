"""Memory of ``unrest-map serve --workers N``: what N workers cost beside one.

    python benchmarks/workers.py --data FILE [--workers 4] [--json]

Starts ``serve --workers 1`` and then ``serve --workers N`` on the same file (the import
cache should be warm: run the scale benchmark with --keep first), sends every worker the
page, its layout and a few view updates (slider steps, a filter change, two table sorts), then reads each
process's PSS and RSS from ``/proc/PID/smaps_rollup``. PSS splits each shared page among the
processes sharing it, so the sum of the workers' PSS is what they cost together; set against one
worker's RSS (all the memory one worker uses, shared or not) it says how much the extra workers add.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, amount, *_ = line.split()
        values[name.rstrip(":")] = int(amount) / 1024
    private = values["Private_Clean"] + values["Private_Dirty"]
    return {"pss": round(values["Pss"], 1), "rss": round(values["Rss"], 1), "private": round(private, 1)}


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def get(url: str, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def exercise(base: str, port: int, requests: int) -> None:
    """The page and its layout, then view updates (slider steps and a filter change, posted as the
    browser posts them) through whatever worker answers: the workers read the dataset as in use."""
    from benchmarks.load import UpdateCallback, User, find_component, get_json

    layout = get_json(port, "/_dash-layout")
    callback = UpdateCallback.from_dependencies(get_json(port, "/_dash-dependencies"), layout)
    last_day = int(find_component(layout, "date-range")["max"])
    values = User(port, callback, last_day, [], seed=0).values
    for _ in range(requests):
        get(base + "/")
        get(base + "/_dash-layout")
        for low in (0, last_day // 3, last_day // 2):
            window = {"date-range.value": [low, min(last_day, low + 30)]}
            get(base + "/_dash-update-component", callback.body(values | window, "date-range.value"))
        everything = values | {"date-range.value": [0, last_day], "filter-event-type.value": ["Protests"]}
        get(base + "/_dash-update-component", callback.body(everything, "filter-event-type.value"))
        # Table sorts, as users click column headers: each column's order is read (or made) by the worker.
        for column, direction in (("place", "asc"), ("fatalities", "desc")):
            sort = everything | {"incident-table.sort_by": [{"column_id": column, "direction": direction}]}
            get(base + "/_dash-update-component", callback.body(sort, "incident-table.sort_by"))


def measure(data: str, workers: int, requests: int) -> dict:
    port = free_port()
    env = {**os.environ}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "--data", data, "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"serve --workers {workers} exited with {server.returncode}")
            try:
                get(base + "/")
                break
            except OSError:
                time.sleep(0.5)
        first_answer_s = time.perf_counter() - started
        # Each worker answers once it has built its app; wait until all of them have.
        deadline = time.time() + 300
        while len(children(server.pid)) < workers and time.time() < deadline:
            time.sleep(0.5)
        exercise(base, port, requests * workers)
        time.sleep(1)
        master = memory_mb(server.pid)
        per_worker = [memory_mb(pid) for pid in children(server.pid)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    return {
        "workers": workers,
        "first_answer_s": round(first_answer_s, 1),
        "master": master,
        "per_worker": per_worker,
        "workers_pss_sum_mb": round(sum(w["pss"] for w in per_worker), 1),
        "workers_private_sum_mb": round(sum(w["private"] for w in per_worker), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--requests", type=int, default=3, help="page + layout requests per worker")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    one = measure(args.data, 1, args.requests)
    many = measure(args.data, args.workers, args.requests)
    result = {
        "one_worker_rss_mb": one["per_worker"][0]["rss"],
        "one_worker_pss_mb": one["per_worker"][0]["pss"],
        f"workers_{args.workers}_pss_sum_mb": many["workers_pss_sum_mb"],
        f"workers_{args.workers}_master_pss_mb": many["master"]["pss"],
        f"workers_{args.workers}_private_sum_mb": many["workers_private_sum_mb"],
        "ratio_pss_sum_to_one_worker_rss": round(many["workers_pss_sum_mb"] / one["per_worker"][0]["rss"], 2),
        "first_answer_s": {"1": one["first_answer_s"], str(args.workers): many["first_answer_s"]},
        "detail": {"one": one, "many": many},
    }
    print(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
