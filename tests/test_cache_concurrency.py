"""The import cache shared by several processes (gunicorn workers, servers on one folder)."""

from __future__ import annotations

import os
import subprocess
import sys

from benchmarks.scale import generate
from geodata.cache import CACHE_ENV_VAR

COUNT = (
    "import sys; from geodata.dataset import load_dataset;"
    " print(len(load_dataset(sys.argv[1], strict=False).incidents))"
)


def test_four_processes_importing_one_file_at_once_all_succeed(tmp_path):
    """Each writer writes under a name of its own and renames it into place: none fails on
    another's rename (two of them wrote the same '.partial' name before), none reads half a file."""
    events = tmp_path / "events.csv"
    generate(events, 20_000)  # big enough that the writes overlap
    env = {**os.environ, CACHE_ENV_VAR: str(tmp_path / "cache")}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT, str(events)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], [err[-2000:] for _, err in results]
    assert len({out for out, _ in results}) == 1  # the same incidents, whoever wrote the cache
    assert not list((tmp_path / "cache").rglob("*.partial"))
    assert list((tmp_path / "cache").rglob("*.json"))
