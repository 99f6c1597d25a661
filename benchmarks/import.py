"""Import benchmark: the project's first import beside a lean reference pipeline, same file, same run.

    python benchmarks/import.py --events 1000000 [--repeat 3] [--keep DIR] [--json]

The project's path is ``load_dataset(file)`` with a cold cache: read and check every row of
the ACLED export, join the municipalities, sort, write the cache entry (the Arrow IPC frame,
its sort orders, the original columns' Parquet). The reference does
only what a hand-written script would: Arrow's ``read_csv`` of the columns it needs,
vectorised date parsing, shapely 2 ``contains_xy`` point-in-polygon behind bounding-box
tests, one sort, one Parquet write. It checks nothing, reports nothing and keeps none of the
export's other columns, so it is a floor, not a rival.

Each pipeline runs in a fresh child process (its peak memory is its own ``ru_maxrss``); the
two alternate, ``--repeat`` times, and the medians are compared: wall clock, CPU time (all
threads), user CPU time, the calling thread's CPU time (the critical path when a core is free
for the pipeline's other threads) and peak memory. The synthetic file comes
from ``benchmarks/scale.py``. With --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEEDED = ["event_id_cnty", "event_date", "event_type", "latitude", "longitude", "fatalities"]


def reference(csv_path: Path, out: Path) -> int:
    """The lean pipeline: needed columns, vectorised everything, one sort, one write. Returns rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import shapely
    from pyarrow import csv as arrow_csv

    from geodata.boundaries import load_kosovo_boundaries

    areas = load_kosovo_boundaries().municipalities
    table = arrow_csv.read_csv(
        csv_path,
        convert_options=arrow_csv.ConvertOptions(
            include_columns=NEEDED,
            column_types={
                "event_id_cnty": pa.string(),
                "event_date": pa.string(),  # parsed below, as a script would
                "event_type": pa.string(),
                "latitude": pa.float64(),
                "longitude": pa.float64(),
                "fatalities": pa.float64(),
            },
        ),
    )
    date = pc.strptime(table["event_date"], format="%Y-%m-%d", unit="s")
    lon, lat = table["longitude"].to_numpy(), table["latitude"].to_numpy()
    municipality = np.full(len(lon), -1, dtype=np.int32)
    for position, polygon in enumerate(areas.geometry.values):
        minx, miny, maxx, maxy = polygon.bounds
        candidates = np.flatnonzero((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
        shapely.prepare(polygon)
        hit = candidates[shapely.contains_xy(polygon, lon[candidates], lat[candidates])]
        municipality[hit[municipality[hit] < 0]] = position
    names = np.asarray(areas["name"].to_numpy(), dtype=object)
    result = pa.table(
        {
            "id": table["event_id_cnty"],
            "date_start": date,
            "event_type": pc.dictionary_encode(table["event_type"]),
            "lat": lat,
            "lon": lon,
            "fatalities": table["fatalities"],
            "municipality": pa.DictionaryArray.from_arrays(
                pa.array(municipality, mask=municipality < 0), pa.array(names.tolist())
            ),
        }
    )
    result = result.take(pc.sort_indices(result, [("date_start", "ascending"), ("id", "ascending")]))
    pq.write_table(result, out)
    return result.num_rows


def project(csv_path: Path, cache: Path) -> int:
    """The project's path: ``load_dataset`` on a cold cache (import, checks, join, sort, Parquet)."""
    os.environ["UNREST_MAP_CACHE"] = str(cache)
    from geodata.dataset import load_dataset

    dataset = load_dataset(csv_path, strict=False)
    assert not dataset.from_cache
    return len(dataset.incidents)


def run_child(which: str, csv_path: Path, work: Path) -> dict:
    """One pipeline in a fresh process: seconds (imports of the libraries excluded) and peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, str(csv_path), str(work)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(which: str, csv_path: Path, work: Path) -> None:
    # The libraries both pipelines use are imported first, outside the clock, so neither pays
    # the other's start-up.
    import geopandas  # noqa: F401
    import pyarrow.csv
    import pyarrow.parquet  # noqa: F401

    import geodata.dataset  # noqa: F401

    target = work / f"{which}-{time.time_ns()}"
    before = resource.getrusage(resource.RUSAGE_SELF)
    main_before = resource.getrusage(resource.RUSAGE_THREAD)
    started = time.perf_counter()
    rows = (
        reference(csv_path, target.with_suffix(".parquet"))
        if which == "reference"
        else project(csv_path, target)
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    main_after = resource.getrusage(resource.RUSAGE_THREAD)
    # CPU seconds (all threads): what the work costs whatever else the machine is running.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The kernel's share (page faults, file writes) swings with what else runs; user time is steadier.
    user = after.ru_utime - before.ru_utime
    # The calling thread's CPU seconds: the critical path when the machine has a core to spare for
    # the pipeline's other threads (a busy machine has none, and then the total counts).
    main = (main_after.ru_utime - main_before.ru_utime) + (main_after.ru_stime - main_before.ru_stime)
    peak = after.ru_maxrss / 1024
    # Each run writes a fresh entry (340 MB at 1M for the project): gone once measured, so repeated
    # runs do not fill a shared disk.
    shutil.rmtree(target, ignore_errors=True)
    target.with_suffix(".parquet").unlink(missing_ok=True)
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 2),
                "cpu_s": round(cpu, 2),
                "user_s": round(user, 2),
                "main_thread_cpu_s": round(main, 2),
                "peak_rss_mb": round(peak),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pipeline (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated file here (reused when present)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, csv_path, work = args.child
        child(which, Path(csv_path), Path(work))
        return

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="unrest-map-import-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"acled_synthetic_{args.events}.csv"
    if not csv_path.exists():
        scale = Path(__file__).with_name("scale.py")
        subprocess.run(
            [sys.executable, str(scale), "--events", str(args.events), "--generate-only", str(csv_path)],
            check=True,
        )
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {"project": [], "reference": []}
    for _ in range(args.repeat):
        for which in ("reference", "project"):  # alternating, so a busy moment hits both
            runs[which].append(run_child(which, csv_path, work))
            print(f"{which:>9}: {runs[which][-1]}", flush=True)

    def median(which: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[which])

    result = {
        "events": args.events,
        "file_mb": round(csv_path.stat().st_size / 1e6),
        "cpus": os.cpu_count(),
        "project_s": median("project", "seconds"),
        "reference_s": median("reference", "seconds"),
        "ratio": round(median("project", "seconds") / median("reference", "seconds"), 2),
        "project_cpu_s": median("project", "cpu_s"),
        "reference_cpu_s": median("reference", "cpu_s"),
        "cpu_ratio": round(median("project", "cpu_s") / median("reference", "cpu_s"), 2),
        "project_user_s": median("project", "user_s"),
        "reference_user_s": median("reference", "user_s"),
        "user_ratio": round(median("project", "user_s") / median("reference", "user_s"), 2),
        "project_main_thread_cpu_s": median("project", "main_thread_cpu_s"),
        "reference_main_thread_cpu_s": median("reference", "main_thread_cpu_s"),
        "project_peak_rss_mb": median("project", "peak_rss_mb"),
        "reference_peak_rss_mb": median("reference", "peak_rss_mb"),
        "project_runs_s": [r["seconds"] for r in runs["project"]],
        "reference_runs_s": [r["seconds"] for r in runs["reference"]],
        # The machine is shared: its 1-minute load average before and after the runs.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
