"""Time the text search and the region rule on N rows (the built-in records repeated).

    python benchmarks/search.py [--rows 1000000] [--json]

Each repeated description gets its own suffix, so no two rows share a text. Measures: building
the folded search columns once (``geodata.filters.search_columns``), one query (median of three,
for a rare, a common and an absent word), the region rule at load (``geodata.join.apply_region_rule``)
and the municipality filter and facet counts over the region-aware column. With --json the last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import pandas as pd

from geodata.dataset import load_dataset
from geodata.filters import SEARCH_COLUMNS, ViewFilter, all_facet_counts, component_masks, search_columns
from geodata.gazetteer import load_gazetteer
from geodata.join import apply_region_rule
from geodata.regions import region_members


def timed(step, repeat: int = 3) -> float:
    """Median milliseconds of ``step()``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()

    dataset = load_dataset()
    base = dataset.incidents
    big = base.iloc[np.arange(args.rows) % len(base)].reset_index(drop=True)
    big["description"] = (
        big["description"].astype(str) + " #" + pd.Series(np.arange(args.rows)).astype(str)
    ).astype("string")
    raw = big.drop(columns=list(SEARCH_COLUMNS))
    gazetteer = load_gazetteer()
    started = time.perf_counter()
    searchable = search_columns(raw, gazetteer, dataset.boundaries)
    build_s = time.perf_counter() - started
    result = {
        "rows": args.rows,
        "non_ascii_share": round(float((~raw["description"].astype(str).map(str.isascii)).mean()), 2),
        "search_build_s": round(build_s, 2),
        "search_text_bytes_per_row": round(searchable["search_text"].array._pa_array.nbytes / args.rows, 1),
    }
    for word in ("Strpce", "mitrovica", "zzzz"):
        view = ViewFilter(text=word)
        result[f"query_ms_{word.lower()}"] = round(timed(lambda v=view: component_masks(searchable, v)), 1)
    members = region_members(dataset.boundaries)
    unjoined = big.drop(columns=["municipalities", "regional"])
    result["region_rule_ms"] = round(
        timed(lambda: apply_region_rule(unjoined.copy(deep=False), dataset.boundaries, members)), 1
    )
    view = ViewFilter(municipalities=("Zveçan", "North Kosovo"))
    result["municipality_mask_ms"] = round(timed(lambda: component_masks(big, view)), 1)
    result["facet_counts_ms"] = round(timed(lambda: all_facet_counts(big, view)), 1)
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, load average {load:.1f}"
    )
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    if args.json:
        print(json.dumps({**result, "load_average": round(load, 1)}))


if __name__ == "__main__":
    main()
