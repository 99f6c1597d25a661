"""Geocoding benchmark: a synthetic spreadsheet of place names, geocoded and joined.

    python benchmarks/geocode.py [--rows 100000] [--names 1000] [--repeat 3]

Builds a CSV of ``--rows`` incidents naming ``--names`` distinct places, drawn from the GeoNames
dump itself (seeded, so every run is the same file): settlements by their own names, their
Serbian Cyrillic and Albanian spellings, names in upper case, a few with one letter dropped
(fuzzy), a few shared by two villages (ambiguous) and a few made up (unknown); a quarter of
the rows carry a municipality hint. Then it times, best of ``--repeat``: reading the CSV,
geocoding it (each distinct name matched once) and the boundary join, and, once, building the
place index (GeoNames + gazetteer + the municipality of every candidate). Prints one JSON object.

Needs the GeoNames dump and the boundary files: ``$UNREST_MAP_GEONAMES`` and
``$UNREST_MAP_BOUNDARIES`` (or the user cache; nothing is downloaded when they are set).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from geodata.boundaries import load_kosovo_boundaries
from geodata.geocode import build_index, geocode_table, read_table_any
from geodata.geonames import load_geonames
from geodata.join import join_boundaries


def names_for(features: pd.DataFrame, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` distinct (place, municipality hint) pairs of every kind the geocoder meets."""
    settlements = features[features["feature_class"] == "P"]
    spellings: list[tuple[str, str]] = []
    for _, row in settlements.sample(frac=1.0, random_state=7).iterrows():
        alternates = [a for a in str(row["alternatenames"]).split(",") if a]
        cyrillic = [a for a in alternates if any("\u0400" <= ch <= "\u04ff" for ch in a)]
        albanian = [a for a in alternates if "ë" in a or "ç" in a]
        spellings.append((row["name"], ""))
        if cyrillic:
            spellings.append((cyrillic[0], ""))
        if albanian:
            spellings.append((albanian[0], ""))
        spellings.append((row["name"].upper(), ""))
        name = row["name"]
        if len(name) > 7:
            cut = rng.randrange(2, len(name) - 2)
            spellings.append((name[:cut] + name[cut + 1 :], ""))  # one letter dropped: fuzzy
    picked = list(dict.fromkeys(spellings))
    rng.shuffle(picked)
    picked = picked[: count - 30]
    picked += [("Banjska", ""), ("Košutovo", ""), ("Banjska", "Vushtrri"), ("Košutovo", "Leposaviq")] * 3
    picked += [(f"Nowhere {i}", "") for i in range(count - len(picked))]
    return list(dict.fromkeys(picked))[:count]


def write_file(path: Path, pairs: list[tuple[str, str]], rows: int, rng: random.Random) -> None:
    chosen = [pairs[i % len(pairs)] if i < len(pairs) else rng.choice(pairs) for i in range(rows)]
    days = pd.date_range("2008-02-17", "2008-06-28").strftime("%Y-%m-%d").tolist()
    pd.DataFrame(
        {
            "date": [rng.choice(days) for _ in range(rows)],
            "location": [p for p, _ in chosen],
            "municipality": [h for _, h in chosen],
            "event_type": [rng.choice(["Protests", "Riots", ""]) for _ in range(rows)],
            "injured": [rng.choice(["", "0", "3"]) for _ in range(rows)],
        }
    ).to_csv(path, index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--names", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = random.Random(2008)

    started = time.perf_counter()
    features = load_geonames()
    boundaries = load_kosovo_boundaries()
    loaded = time.perf_counter()
    index = build_index(features=features, boundaries=boundaries)
    indexed = time.perf_counter()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incidents.csv"
        write_file(path, names_for(features, args.names, rng), args.rows, rng)
        timings: dict[str, list[float]] = {"read_s": [], "geocode_s": [], "join_s": [], "total_s": []}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            raw, _ = read_table_any(path)
            t1 = time.perf_counter()
            report = geocode_table(raw, str(path), index)
            t2 = time.perf_counter()
            joined = join_boundaries(report.read.records, boundaries)
            t3 = time.perf_counter()
            for name, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                value_list = timings[name]
                value_list.append(value)
        distinct = raw["location"].nunique()
    read = report.read
    result = {
        "rows": read.rows_read,
        "distinct_names": int(distinct),
        "placed": read.rows_accepted,
        "reported": read.rows_rejected,
        "placed_by": dict(Counter(joined["match_kind"].astype(str))),
        "reported_by": dict(report.reported),
        **{name: round(min(values), 3) for name, values in timings.items()},
        "load_geonames_and_boundaries_s": round(loaded - started, 3),
        "build_index_s": round(indexed - loaded, 3),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    assert read.rows_read == read.rows_accepted + read.rows_rejected
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
