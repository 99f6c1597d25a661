"""Scale benchmark: a synthetic ACLED file of N events over Kosovo, measured end to end.

    python benchmarks/scale.py --events 1000000 [--json] [--keep DIR] [--cache DIR]

Measures in one run: first import and join (CSV -> joined frame -> cache), in a child process
with its own peak memory (a one-off: a server only ever loads the cache; skipped when
``--cache`` names a folder already holding the entry), load from the cache, one slider step
on the server (the view update's and the legend's callbacks, as Dash encodes their outputs;
median over windows), a filter change, table paging and sorting over everything in view
(the first sort by each column in the process timed on its own: its order is mapped from the cache
entry, or computed and kept when the entry has none), bytes of map payload per
visible point, the serving process's peak memory, and the same step done the naive way
(plotly.express.scatter_map on the filtered frame) for a ratio. Times are wall clock, with the
process's CPU time beside the main ones (a shared machine inflates the first, not the second).
With --json the last line is one JSON object. The synthetic file is written by a child process
so its memory does not count."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

EVENT_TYPES = [
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
]
SUB_TYPES = [
    "Armed clash",
    "Remote explosive/landmine/IED",
    "Attack",
    "Peaceful protest",
    "Violent demonstration",
    "Other",
]


def generate(path: Path, events: int, seed: int = 2008) -> None:
    """Write a synthetic ACLED-format CSV with points inside Kosovo's municipalities."""
    import shapely

    from geodata.boundaries import load_kosovo_boundaries

    rng = np.random.default_rng(seed)
    municipalities = load_kosovo_boundaries().municipalities
    country = shapely.union_all(municipalities.geometry.values)
    shapely.prepare(country)
    minx, miny, maxx, maxy = country.bounds
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < events:
        x = rng.uniform(minx, maxx, events)
        y = rng.uniform(miny, maxy, events)
        inside = shapely.contains_xy(country, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    lon, lat = lon[:events], lat[:events]
    kinds = rng.integers(0, 6, events)
    days = rng.integers(0, 8 * 365, events)
    dates = (pd.Timestamp("2008-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    fatalities = rng.poisson(0.6, events).astype(object)
    fatalities[rng.random(events) < 0.2] = ""  # unknown, not zero
    frame = pd.DataFrame(
        {
            "event_id_cnty": [f"XKX{i}" for i in range(events)],
            "event_date": dates,
            "year": dates.str.slice(0, 4),
            "time_precision": rng.choice(["1", "1", "1", "2", "3"], events),
            "disorder_type": "Political violence",
            "event_type": np.array(EVENT_TYPES)[kinds],
            "sub_event_type": np.array(SUB_TYPES)[kinds],
            "actor1": rng.choice(
                ["Rioters (Kosovo)", "Police Forces of Kosovo", "Protesters (Kosovo)"], events
            ),
            "assoc_actor_1": "",
            "inter1": rng.choice(["1", "5", "6"], events),
            "actor2": rng.choice(["", "Civilians (Kosovo)", "KFOR"], events),
            "assoc_actor_2": "",
            "inter2": rng.choice(["0", "7", "8"], events),
            "interaction": "50",
            "civilian_targeting": "",
            "iso": "0",
            "region": "Europe",
            "country": "Kosovo",
            "admin1": "",
            "admin2": "",
            "admin3": "",
            "location": rng.choice(["Mitrovica", "Pristina", "Gjilan", "Prizren", "Peja"], events),
            "latitude": lat.round(4),
            "longitude": lon.round(4),
            "geo_precision": rng.choice(["1", "1", "2", "3"], events),
            "source": "Synthetic",
            "source_scale": "National",
            "notes": "Synthetic event for the scale benchmark.",
            "fatalities": fatalities,
            "tags": "",
            "timestamp": "1600000000",
        }
    )
    frame.to_csv(path, index=False)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def slider_step(context, low: int, high: int, dates_only: bool = True) -> int:
    """What the dashboard's update callback computes and Dash encodes for one slider position
    (the callback's own pure body, ``view_outputs``, the legend's outputs included since they
    come with the view update). Returns the map payload's bytes.

    ``dates_only=False`` is a filter change: the histogram's bars are recomputed too.
    """
    from plotly.io.json import to_json_plotly

    from dashboard.view import view_outputs

    outputs = view_outputs(context, [low, high], [], [], [], [], [], "", [], None, dates_only=dates_only)
    map_payload = to_json_plotly(outputs[0])
    rest = to_json_plotly(list(outputs[1:]))
    assert rest  # encoded like the map payload, so its cost is in the timing
    return len(map_payload)


def visible_count(dataset, days, low: int, high: int) -> int:
    from geodata.filters import ViewFilter, filter_mask

    view = ViewFilter(start=days[low].date(), end=days[high].date())
    return int(filter_mask(dataset.incidents, view).sum())


def map_step(dataset, days, low: int, high: int) -> None:
    """Only what the naive step does too: filter, then the map markers encoded."""
    from plotly.io.json import to_json_plotly

    from dashboard import figures
    from geodata.filters import ViewFilter, apply_filter

    visible = apply_filter(dataset.incidents, ViewFilter(start=days[low].date(), end=days[high].date()))
    to_json_plotly(figures.map_patch(dataset, visible, None, False))


def naive_step(dataset, days, low: int, high: int) -> None:
    """The common Dash example: plotly.express on the filtered frame, whole figure as JSON."""
    import plotly.express as px

    incidents = dataset.incidents
    window = incidents[(incidents["date_end"] >= days[low]) & (incidents["date_start"] <= days[high])]
    # Plain columns, as a typical example would have them (px cannot mix datetime and floats in hover).
    window = pd.DataFrame(
        {
            "lat": window["lat"],
            "lon": window["lon"],
            "event_type": window["event_type"].astype(str),
            "place_name": window["place_name"].astype(str),
            "date": window["date_start"].dt.strftime("%Y-%m-%d"),
            "fatalities": window["fatalities"].astype(float),
        }
    )
    fig = px.scatter_map(
        window,
        lat="lat",
        lon="lon",
        color="event_type",
        hover_name="place_name",
        hover_data=["date", "fatalities"],
        map_style="white-bg",
    )
    fig.to_json()


def table_ms(context, sort_by: list[dict] | None, page: int, lang: str = "en") -> float:
    """One table answer over every incident in view: the page's positions, then its rows."""
    from dashboard.view import TABLE_COLUMNS, table_page, table_rows
    from geodata.filters import take_rows

    incidents = context.dataset.incidents
    rows = np.arange(len(incidents))
    started = time.perf_counter()
    table_rows(
        take_rows(incidents, table_page(incidents, rows, page, sort_by, lang, context.orders), TABLE_COLUMNS),
        lang,
    )
    return (time.perf_counter() - started) * 1000


def cold_import(csv_path: Path, cache: Path) -> dict:
    """The first import in a child process: seconds and that process's peak memory."""
    script = (
        "import json, os, resource, sys, time\n"
        "os.environ['UNREST_MAP_CACHE'] = sys.argv[2]\n"
        "from geodata.dataset import load_dataset\n"
        "started = time.perf_counter()\n"
        "dataset = load_dataset(sys.argv[1], strict=False)\n"
        "assert not dataset.from_cache\n"
        "print(json.dumps({'s': time.perf_counter() - started,\n"
        "  'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(csv_path), str(cache)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--window-days", type=int, default=30, help="slider window (default 30 days)")
    parser.add_argument("--steps", type=int, default=15, help="slider positions to time (default 15)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated file and cache here")
    parser.add_argument(
        "--cache",
        metavar="DIR",
        help="reuse this import cache: the first import is run (and timed) only when it holds no entry",
    )
    parser.add_argument("--generate-only", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        generate(Path(args.generate_only), args.events)
        return

    from dashboard.view import view_context
    from geodata.dataset import load_dataset

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="unrest-map-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"acled_synthetic_{args.events}.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--events", str(args.events), "--generate-only", str(csv_path)],
            check=True,
        )
        megabytes = csv_path.stat().st_size / 1e6
        print(f"generated {csv_path} ({megabytes:.0f} MB) in {time.perf_counter() - started:.1f} s")
    cache = Path(args.cache) if args.cache else work / f"cache-{time.time_ns()}"  # cold unless --cache
    warm = args.cache and any(cache.glob("*.json"))
    first_import = None if warm else cold_import(csv_path, cache)
    os.environ["UNREST_MAP_CACHE"] = str(cache)
    started, cpu = time.perf_counter(), time.process_time()
    dataset = load_dataset(csv_path, strict=False)
    cache_load_s, cache_load_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    assert dataset.from_cache

    context = view_context(dataset)
    days = context.days
    rng = np.random.default_rng(1)
    lows = rng.integers(0, len(days) - args.window_days, args.steps)
    step_ms, full_ms, naive_ms, map_ms, payload, points = [], [], [], [], 0, 0
    step_cpu_ms, full_cpu_ms = [], []  # CPU time of this process: what a busy shared machine cannot inflate
    slider_step(context, int(lows[0]), int(lows[0]) + args.window_days, dates_only=False)  # warm-up
    for low in lows:
        high = int(low) + args.window_days
        started, cpu = time.perf_counter(), time.process_time()
        payload += slider_step(context, int(low), high)
        step_ms.append((time.perf_counter() - started) * 1000)
        step_cpu_ms.append((time.process_time() - cpu) * 1000)
        points += visible_count(dataset, days, int(low), high)
        started, cpu = time.perf_counter(), time.process_time()
        slider_step(context, int(low), high, dates_only=False)
        full_ms.append((time.perf_counter() - started) * 1000)
        full_cpu_ms.append((time.process_time() - cpu) * 1000)
        started = time.perf_counter()
        map_step(dataset, days, int(low), high)
        map_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        naive_step(dataset, days, int(low), high)
        naive_ms.append((time.perf_counter() - started) * 1000)

    pages = {"table_page_ms_p50": [table_ms(context, None, page) for page in (0, 1, 250, 5000)]}
    first_sorts = {}
    for name, column, direction, lang in (
        ("date_desc", "date", "desc", "en"),
        ("place", "place", "asc", "en"),
        ("fatalities", "fatalities", "desc", "en"),
        ("municipality", "municipality", "asc", "en"),
        ("place_sr", "place", "desc", "sr"),  # the names in another language: a column of their own
        ("municipality_sq", "municipality", "desc", "sq"),
        ("description", "description", "asc", "en"),
    ):
        sort_by = [{"column_id": column, "direction": direction}]
        # The first sort by a column in a process (its order mapped from the cache entry, or computed
        # and kept when the entry has none): timed on its own, then later pages.
        cpu = time.process_time()
        first_sorts[f"table_first_sort_{name}_ms"] = round(table_ms(context, sort_by, 0, lang), 1)
        first_sorts[f"table_first_sort_{name}_cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
        pages[f"table_sort_{name}_ms_p50"] = [
            table_ms(context, sort_by, page, lang) for page in (0, 1, 3, 250)
        ]
    result = {
        "events": len(dataset.incidents),
        "import_join_s": round(first_import["s"], 2) if first_import else None,  # None: --cache was warm
        "import_peak_rss_mb": round(first_import["peak_mb"]) if first_import else None,
        "cache_load_s": round(cache_load_s, 2),
        "cache_load_cpu_s": round(cache_load_cpu_s, 2),
        "filter_figure_ms_p50": round(statistics.median(step_ms), 1),
        "filter_figure_cpu_ms_p50": round(statistics.median(step_cpu_ms), 1),
        "naive_filter_figure_ms_p50": round(statistics.median(naive_ms), 1),
        "filter_change_ms_p50": round(statistics.median(full_ms), 1),
        "filter_change_cpu_ms_p50": round(statistics.median(full_cpu_ms), 1),
        "map_only_ms_p50": round(statistics.median(map_ms), 1),
        "bytes_per_point": round(payload / max(points, 1), 2),
        **{key: round(statistics.median(values), 1) for key, values in pages.items()},
        **first_sorts,
        "table_first_sort_max_ms": max(v for k, v in first_sorts.items() if not k.endswith("_cpu_ms")),
        "peak_rss_mb": round(peak_rss_mb(), 0),  # the serving side: cache load, steps, table
        "load_average_1min": round(os.getloadavg()[0], 1),  # other work on the machine during the run
    }
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(
        f"rows read {dataset.read.rows_read:,}, accepted {dataset.read.rows_accepted:,}, "
        f"rejected {dataset.read.rows_rejected:,}"
    )
    print(f"visible points per step: median {points / len(lows):,.0f} ({args.window_days}-day window)")
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    naive = result["naive_filter_figure_ms_p50"]
    print(f"{'naive / ours (whole step)':>28}: {naive / result['filter_figure_ms_p50']:.1f}x")
    print(f"{'naive / ours (map only)':>28}: {naive / result['map_only_ms_p50']:.1f}x")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
