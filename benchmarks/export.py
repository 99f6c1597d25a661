"""Time exports against references measured in the same run on the same machine.

    python benchmarks/export.py [--json] [--repeat N] [--no-plotly-geo]

Measures, each as a fresh process where it says "cold" (Python start, imports, data load, render):

- ``reference_kaleido_cold_s``: a plain kaleido export of a trivial ``go.Scatter`` figure, 1200×900 PNG;
- ``cli_png_cold_s``: ``unrest-map export-image`` of March 2008, 1200×900 PNG;
- ``cli_gif_14_cold_s``: ``unrest-map export-animation`` of 14 daily frames, 1200×900 GIF;
- ``warm_png_s`` / ``warm_svg_s`` / ``warm_pdf_s``: an export in a process whose renderer already ran
  (as in the dashboard), view to bytes;
- ``plotly_geo_warm_png_s`` / ``..._svg_s``: the same view drawn with Plotly's ``geo`` subplot through a
  warm kaleido, the alternative that was measured before choosing matplotlib.

Wall times are the median of ``--repeat`` runs (default 3); the targets of issue 15 are checked on them
(``targets``). The last line with --json is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1200, 900)

KALEIDO_REFERENCE = f"""
import plotly.graph_objects as go
fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 1, 0]))
fig.write_image(__import__("sys").argv[1], width={SIZE[0]}, height={SIZE[1]})
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cold(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and CPU time (the process and what it waited for) of a fresh process."""
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_before = time.perf_counter(), _children_cpu()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
        times.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - cpu_before)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return statistics.median(times), statistics.median(cpu)


def _warm(make, repeat: int) -> tuple[float, float]:
    """Median wall and CPU time of ``make()`` after one call to warm it up."""
    make()
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_before = time.perf_counter(), time.process_time()
        make()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_before)
    return statistics.median(times), statistics.median(cpu)


def _record(figures: dict[str, float], name: str, measured: tuple[float, float]) -> None:
    figures[f"{name}_s"], figures[f"{name}_cpu_s"] = measured


def _plotly_geo_figure(dataset, visible):
    """The view as a Plotly ``geo`` figure: choropleth with the boundaries' GeoJSON plus scattergeo."""
    import plotly.graph_objects as go
    from shapely.geometry import MultiPolygon
    from shapely.geometry.polygon import orient

    from dashboard import figures, style

    municipalities = dataset.boundaries.municipalities.copy()
    # d3-geo (Plotly's geo) wants clockwise outer rings, else a polygon fills the rest of the globe.
    municipalities["geometry"] = [
        MultiPolygon([orient(p, sign=-1.0) for p in getattr(g, "geoms", [g])])
        for g in municipalities.geometry
    ]
    fig = go.Figure(
        go.Choropleth(
            geojson=json.loads(municipalities[["name", "geometry"]].to_json()),
            featureidkey="properties.name",
            locations=municipalities["name"],
            z=municipalities["north_kosovo"].astype(float),
            colorscale=[[0, style.MUNICIPALITY_FILL], [1, style.NORTH_FILL]],
            showscale=False,
            marker_line={"color": style.BOUNDARY_LINE, "width": style.BOUNDARY_WIDTH},
        )
    )
    for name, trace in figures.marker_layers(dataset, visible, None).items():
        if len(trace["lat"]):
            fig.add_trace(go.Scattergeo(lat=trace["lat"], lon=trace["lon"], mode="markers", name=name))
    fig.update_geos(fitbounds="geojson", visible=False)
    fig.update_layout(width=SIZE[0], height=SIZE[1], margin={"l": 0, "r": 0, "t": 60, "b": 120})
    return fig


async def _plotly_geo_times(fig, repeat: int) -> dict[str, float]:
    """Warm kaleido renders of the geo figure. Plotly's geo fetches a world topojson from
    cdn.plot.ly even when its base layers are off: offline, it gets an empty one from a temp folder."""
    from kaleido import Kaleido

    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="unrest-map-topojson-") as folder:
        layers = ("land", "ocean", "coastlines", "countries", "lakes", "rivers", "subunits")
        empty = {
            "type": "Topology",
            "objects": {name: {"type": "GeometryCollection", "geometries": []} for name in layers},
            "arcs": [],
        }
        (Path(folder) / "world_110m.json").write_text(json.dumps(empty))
        async with Kaleido(n=1) as kaleido:
            for image_format in ("png", "svg"):
                opts = {"format": image_format, "width": SIZE[0], "height": SIZE[1]}
                runs = []
                for _ in range(repeat + 1):  # the first warms the tab up
                    started = time.perf_counter()
                    await kaleido.calc_fig(fig, opts=opts, topojson=f"file://{folder}/")
                    runs.append(time.perf_counter() - started)
                times[f"plotly_geo_warm_{image_format}_s"] = statistics.median(runs[1:])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median; default 3)")
    parser.add_argument("--no-plotly-geo", action="store_true", help="skip the Plotly geo comparison")
    args = parser.parse_args()

    from dashboard.export import ExportOptions, ImageRenderer, export_figure
    from dashboard.viewstate import ViewState
    from geodata.dataset import load_dataset
    from geodata.filters import ViewFilter, apply_filter

    os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="unrest-map-bench-") as folder:
        out = Path(folder)
        cli = [sys.executable, "-m", "dashboard.cli"]
        size = ["--width", str(SIZE[0]), "--height", str(SIZE[1])]
        march = ["--start", "2008-03-01", "--end", "2008-03-31"]
        days14 = ["--start", "2008-03-10", "--end", "2008-03-23", "--step", "1d", "--window", "1d"]
        runs = {
            "reference_kaleido_cold": [sys.executable, "-c", KALEIDO_REFERENCE, str(out / "ref.png")],
            "cli_png_cold": [*cli, "export-image", *march, *size, "-o", str(out / "a.png")],
            "cli_gif_14_cold": [*cli, "export-animation", *days14, *size, "-o", str(out / "a.gif")],
            "cli_mp4_14_cold": [*cli, "export-animation", *days14, *size, "-o", str(out / "a.mp4")],
        }
        for name, command in runs.items():
            _record(figures, name, _cold(command, args.repeat))

    dataset = load_dataset()
    state = ViewState(
        filter=ViewFilter(start=date(2008, 3, 1), end=date(2008, 3, 31)), selected="KOS-2008-14"
    )
    renderer = ImageRenderer()
    for image_format in ("png", "svg", "pdf"):
        options = ExportOptions(format=image_format, width=SIZE[0], height=SIZE[1])
        _record(
            figures,
            f"warm_{image_format}",
            _warm(
                lambda options=options: renderer.render(export_figure(dataset, state, options)), args.repeat
            ),
        )

    if not args.no_plotly_geo:
        fig = _plotly_geo_figure(dataset, apply_filter(dataset.incidents, state.filter))
        figures.update(asyncio.run(_plotly_geo_times(fig, args.repeat)))

    def checks(suffix: str) -> dict[str, object]:
        reference, cold_png = figures[f"reference_kaleido_cold{suffix}"], figures[f"cli_png_cold{suffix}"]
        warm = max(figures[f"warm_{f}{suffix}"] for f in ("png", "svg", "pdf"))
        gif = figures[f"cli_gif_14_cold{suffix}"]
        return {
            "cli_png_cold_vs_reference": round(cold_png / reference, 2),
            "cli_png_cold_ok": cold_png <= 1.5 * reference,
            "warm_export_max_s": round(warm, 3),
            "warm_export_ok": warm <= 1.0,
            "gif_14_vs_cli_png_cold": round(gif / cold_png, 2),
            "gif_14_ok": gif <= 2 * cold_png,
        }

    # Issue 15's targets on wall time, and on CPU time: on a shared machine the load inflates wall
    # times, while CPU time says what the export itself costs.
    targets = {"wall": checks("_s"), "cpu": checks("_cpu_s")}
    for name, seconds in figures.items():
        print(f"{name:>32}: {seconds:6.2f} s")
    for kind, values in targets.items():
        for name, value in values.items():
            print(f"{kind + ' ' + name:>32}: {value}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f}, Python {platform.python_version()}"
    )
    print(f"machine: {machine}")
    if args.json:
        print(
            json.dumps(
                {**{k: round(v, 3) for k, v in figures.items()}, "targets": targets, "machine": machine}
            )
        )


if __name__ == "__main__":
    main()
