"""Server start: time to the first answer of ``unrest-map serve``, beside the plainest Dash page.

    python benchmarks/start.py --data FILE [--workers 1 4] [--repeat 3] [--json]

With the import cache warm (the file is loaded once first, and the dashboard's opening data stored
beside the entry, as the first ``serve`` of a file leaves it), starts, one after the other:

- the naive page (``benchmarks/browser.py``'s minimal app: ``load_dataset`` from the same cache,
  one ``Scattermap`` of every point, ``app.run``), and
- ``python -m dashboard --data FILE --workers N`` (gunicorn),

and times, from the process start, the first answer to ``GET /`` and to ``GET /_dash-layout``
(the page's data), and the CPU time the server's processes had used at the first answer (a busy
shared machine inflates wall time, not that). With several workers it keeps opening connections
until every worker has answered one, and gives when each first did: which process answered is
read from ``/proc`` (the worker holding the server end of the connection), so nothing is added
to the app for it. Medians over ``--repeat`` rounds, the servers started in turn in each round,
and the medians of each round's ratios to that round's naive page. ``--before DIR`` adds the serve
of another checkout to every round (code before and after a change, side by side). With --json the
last line is one JSON object.
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
from concurrent.futures import ThreadPoolExecutor
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


def probe_workers(
    port: int, master: int, workers: int, started: float, timeout: float = 300
) -> dict[int, float]:
    """When each worker first answered: bursts of ``2 x workers`` connections opened at once, every 20 ms,
    until each worker has answered one (the worker holding a connection's server end is its owner).

    All workers wait on the one listening socket and the kernel wakes them together; which one accepts
    is a race. One connection at a time, a worker ready for a second could lose that race for seconds
    (strace of ``serve --workers 4``: all four polling within 0.35 s of the first fork, while single
    probes found the last one 1.6 s after the first). A burst leaves connections for every waiting worker.
    """
    answered: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        while len(answered) < workers and time.monotonic() < deadline:
            candidates = children(master)

            def one(_: int, candidates: list[int] = candidates) -> tuple[int | None, float]:
                connection = get(port, "/", keep=True)
                at = round(time.perf_counter() - started, 2)
                try:
                    return socket_owner(connection, port, candidates), at
                finally:
                    connection.close()

            for owner, at in pool.map(one, range(2 * workers)):
                if owner is not None:
                    answered[owner] = min(answered.get(owner, at), at)
            time.sleep(0.02)
    return answered


def measure(command: list[str], port: int, workers: int, root: Path = ROOT) -> dict:
    env = os.environ | {"PYTHONPATH": str(root)}
    started = time.perf_counter()
    process = subprocess.Popen(  # run in ``root``: ``python -m`` looks in the working folder first
        command,
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        first = wait_first(port, process, started)
        # CPU time to the first answer (master and workers): what other work on the machine cannot inflate.
        first_cpu = cpu_s(process.pid) + sum(cpu_s(pid) for pid in children(process.pid))
        # The page's data as the browser asks next, while the other workers are probed (the probe
        # does not wait for a layout several megabytes long).
        with ThreadPoolExecutor(max_workers=1) as pool:
            layout_at = pool.submit(lambda: (get(port, "/_dash-layout"), time.perf_counter() - started)[1])
            answered = probe_workers(port, process.pid, workers, started) if workers > 1 else {}
            layout = layout_at.result()
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


def serve_command(port: int, data: str, workers: int) -> list[str]:
    return [sys.executable, "-m", "dashboard", "--host", HOST, "--port", str(port), "--data", data,
            "--workers", str(workers)]  # fmt: skip


#: The cache entry as the first start leaves it: imported, with the opening data beside it when the
#: code has it (dashboard/opening.py; code before it ignores the name).
WARM = """
import sys
from geodata.dataset import load_dataset
dataset = load_dataset(sys.argv[1], strict=False)
try:
    from dashboard.opening import opening_data
except ImportError:
    pass
else:
    opening_data(dataset)
"""


def warm(data: str, root: Path) -> None:
    """The import cache warm for the code at ``root``, as the target has it ("with the cache present")."""
    subprocess.run([sys.executable, "-c", WARM, data], check=True, env=os.environ | {"PYTHONPATH": str(root)})


def summarise(measured: list[dict], naive: list[dict]) -> dict:
    """Medians of ``measured`` and of each round's ratio to the naive page of the same round (on a
    shared machine the load changes from round to round; a pair measured together is fairer)."""
    summary: dict = {
        key: statistics.median([m[key] for m in measured])
        for key in ("first_answer_s", "first_answer_cpu_s", "layout_answer_s")
    }
    lasts = [m.get("last_worker_first_answer_s") for m in measured if m.get("last_worker_first_answer_s")]
    if lasts:
        summary["last_worker_first_answer_s"] = statistics.median(lasts)
    if measured is not naive:
        ratios = {
            "first_answer_vs_naive": ("first_answer_s", "first_answer_s"),
            "first_answer_cpu_vs_naive": ("first_answer_cpu_s", "first_answer_cpu_s"),
            "last_worker_vs_naive": ("last_worker_first_answer_s", "first_answer_s"),
        }
        for name, (ours, theirs) in ratios.items():
            pairs = [m[ours] / n[theirs] for m, n in zip(measured, naive, strict=True) if m.get(ours)]
            if pairs:
                summary[name] = round(statistics.median(pairs), 2)
                summary[f"{name}_per_round"] = [round(r, 2) for r in pairs]
    summary["runs"] = measured
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="another checkout of the project (e.g. `git archive` of an older commit): its serve is "
        "started in the same rounds, for a side-by-side comparison",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    roots = {"": ROOT} | ({"before_": Path(args.before).resolve()} if args.before else {})
    for root in roots.values():
        warm(args.data, root)
    runs: dict[str, list[dict]] = {}
    loads = []
    for _ in range(args.repeat):
        loads.append(round(os.getloadavg()[0], 1))
        port = free_port()
        naive = [sys.executable, str(ROOT / "benchmarks" / "browser.py"), "--minimal-server", str(port)]
        runs.setdefault("naive", []).append(measure([*naive, "--data", args.data], port, 1))
        for workers in args.workers:
            for prefix, root in roots.items():
                port = free_port()
                runs.setdefault(f"{prefix}serve_{workers}", []).append(
                    measure(serve_command(port, args.data, workers), port, workers, root)
                )
    loads.append(round(os.getloadavg()[0], 1))
    result: dict = {"load_average_1min": loads}  # at the start of each round, and at the end
    for name, measured in runs.items():
        result[name] = summarise(measured, runs["naive"])
    print(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
