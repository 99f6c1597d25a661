"""Time image export: cold (browser start) and warm export, and one animation frame.

    python benchmarks/export.py [--json]

Prints seconds per step; with --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date

from dashboard.export import ExportOptions, ImageRenderer, export_animation, export_figure
from dashboard.viewstate import ViewState
from geodata.dataset import load_dataset
from geodata.filters import ViewFilter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()

    dataset = load_dataset()
    state = ViewState(
        filter=ViewFilter(start=date(2008, 3, 1), end=date(2008, 3, 31)), selected="KOS-2008-14"
    )
    options = ExportOptions(width=1200, height=900)
    renderer = ImageRenderer()
    figures = {}

    started = time.perf_counter()
    renderer.render(export_figure(dataset, state, options), options)
    figures["cold_png_s"] = time.perf_counter() - started

    warm = []
    for _ in range(3):
        started = time.perf_counter()
        renderer.render(export_figure(dataset, state, options), options)
        warm.append(time.perf_counter() - started)
    figures["warm_png_s"] = sorted(warm)[1]

    frames = 5
    started = time.perf_counter()
    export_animation(
        dataset,
        ViewState(filter=ViewFilter(start=date(2008, 3, 13), end=date(2008, 3, 17))),
        renderer,
        ExportOptions(width=800, height=600),
        step_days=1,
        window_days=3,
        fps=4,
    )
    figures["animation_frame_s"] = (time.perf_counter() - started) / frames
    renderer.close()

    for name, seconds in figures.items():
        print(f"{name:>20}: {seconds:6.2f} s")
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
