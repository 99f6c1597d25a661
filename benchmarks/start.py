"""Server start: time to the first answer of ``unrest-map serve``, beside the plainest Dash page.

    python benchmarks/start.py --data FILE [--workers 1 4] [--repeat 3] [--json]

With the import cache warm (the file is loaded once first), starts, one after the other:

- the naive page (``benchmarks/browser.py``'s minimal app: ``load_dataset`` from the same cache,
  one ``Scattermap`` of every point, ``app.run``), and
- ``python -m dashboard --data FILE --workers N`` (gunicorn: the dataset is loaded in the
  master, then each worker builds its app),

and times, from the process start, the first answer to ``GET /`` and to ``GET /_dash-layout``
(the page's data), and the CPU time the server's processes had used at the first answer (a busy
shared machine inflates wall time, not that). With several workers it keeps opening connections
until every worker has answered one, and gives when each first did: which process answered is
read from ``/proc`` (the worker holding the server end of the connection), so nothing is added
to the app for it. Medians over ``--repeat`` starts, the servers started in turn. With --json
the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import HOST, free_port  # noqa: E402


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def socket_owner(connection: http.client.HTTPConnection, port: int, candidates: list[int]) -> int | None:
    """The process (among ``candidates``) holding the server end of ``connection`` (IPv4 loopback)."""
    client_port = connection.sock.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in candidates:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
        except OSError:
            continue
    return None


def get(port: int, path: str, keep: bool = False):
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status}")
    if not keep:
        connection.close()
    return connection


def wait_first(port: int, process: subprocess.Popen, started: float, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            get(port, "/")
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no answer")


def measure(command: list[str], port: int, workers: int) -> dict:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        first = wait_first(port, process, started)
        # CPU time to the first answer (master and workers): what other work on the machine cannot inflate.
        first_cpu = cpu_s(process.pid) + sum(cpu_s(pid) for pid in children(process.pid))
        get(port, "/_dash-layout")
        layout = time.perf_counter() - started
        answered: dict[int, float] = {}
        held = []  # connections kept open, so the next ones go to other workers
        deadline = time.monotonic() + 300
        while workers > 1 and len(answered) < workers and time.monotonic() < deadline:
            connection = get(port, "/", keep=True)
            owner = socket_owner(connection, port, children(process.pid))
            if owner is not None and owner not in answered:
                answered[owner] = round(time.perf_counter() - started, 2)
            held.append(connection)
            if len(held) > 8:
                held.pop(0).close()
            time.sleep(0.02)
        for connection in held:
            connection.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    result = {
        "first_answer_s": round(first, 2),
        "first_answer_cpu_s": round(first_cpu, 2),
        "layout_answer_s": round(layout, 2),
    }
    if workers > 1:
        result["worker_first_answers_s"] = sorted(answered.values())
        result["last_worker_first_answer_s"] = max(answered.values()) if len(answered) == workers else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    subprocess.run(  # the cache warm, as the target has it ("with the cache present")
        [
            sys.executable,
            "-c",
            "import sys; from geodata.dataset import load_dataset; load_dataset(sys.argv[1], strict=False)",
            args.data,
        ],
        check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    runs: dict[str, list[dict]] = {}
    for _ in range(args.repeat):
        port = free_port()
        naive = [sys.executable, str(ROOT / "benchmarks" / "browser.py"), "--minimal-server", str(port)]
        runs.setdefault("naive", []).append(measure([*naive, "--data", args.data], port, 1))
        for workers in args.workers:
            port = free_port()
            serve = [
                sys.executable,
                "-m",
                "dashboard",
                "--host",
                HOST,
                "--port",
                str(port),
                "--data",
                args.data,
            ]
            runs.setdefault(f"serve_{workers}", []).append(
                measure([*serve, "--workers", str(workers)], port, workers)
            )
    result: dict = {"load_average_1min": round(os.getloadavg()[0], 1)}
    for name, measured in runs.items():
        summary = {
            key: statistics.median([m[key] for m in measured])
            for key in ("first_answer_s", "first_answer_cpu_s", "layout_answer_s")
        }
        lasts = [m.get("last_worker_first_answer_s") for m in measured if m.get("last_worker_first_answer_s")]
        if lasts:
            summary["last_worker_first_answer_s"] = statistics.median(lasts)
        summary["runs"] = measured
        result[name] = summary
    naive = result["naive"]["first_answer_s"]
    for workers in args.workers:
        ours = result[f"serve_{workers}"]
        ours["first_answer_vs_naive"] = round(ours["first_answer_s"] / naive, 2)
        ours["first_answer_cpu_vs_naive"] = round(
            ours["first_answer_cpu_s"] / result["naive"]["first_answer_cpu_s"], 2
        )
        if "last_worker_first_answer_s" in ours:
            ours["last_worker_vs_naive"] = round(ours["last_worker_first_answer_s"] / naive, 2)
    print(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
