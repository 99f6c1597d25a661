"""The ``unrest-map`` command line: data, validate, serve."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from geodata.boundaries import ENV_VAR
from geodata.filters import NORTH_KOSOVO_GROUP, ViewFilter


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE", help="records file (default: the built-in 2008 records)")
    parser.add_argument(
        "--boundaries",
        metavar="FILE",
        help="polygon layer to join with instead of the Kosovo municipalities "
        "(GeoJSON, GeoPackage, Shapefile)",
    )
    parser.add_argument(
        "--boundary-name-field",
        default="shapeName",
        metavar="FIELD",
        help="name field of --boundaries (default: shapeName)",
    )
    parser.add_argument(
        "--boundaries-dir",
        metavar="DIR",
        help=f"folder with the geoBoundaries XKX files (default: ${ENV_VAR}, "
        "else download once into the user cache)",
    )


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=_iso_date, metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--end", type=_iso_date, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument(
        "--event-type",
        nargs="+",
        default=[],
        metavar="T",
        help="keep these ACLED event types (e.g. Riots 'Strategic developments')",
    )
    parser.add_argument(
        "--side",
        nargs="+",
        default=[],
        metavar="S",
        help="keep incidents involving any of these sides (e.g. KFOR 'Kosovo Serbs')",
    )
    parser.add_argument(
        "--municipality",
        nargs="+",
        default=[],
        metavar="M",
        help=f"keep these municipalities (geoBoundaries names, or '{NORTH_KOSOVO_GROUP}')",
    )
    parser.add_argument(
        "--place-kind",
        nargs="+",
        default=[],
        metavar="K",
        help="keep these place kinds (city, town, village, border crossing, site, region)",
    )
    parser.add_argument("--casualties-only", action="store_true", help="keep incidents with dead or injured")
    parser.add_argument(
        "--text", default="", help="keep incidents whose description, actors or place contain TEXT"
    )


def view_filter_from_args(args: argparse.Namespace) -> ViewFilter:
    return ViewFilter(
        start=args.start,
        end=args.end,
        event_types=tuple(args.event_type),
        sides=tuple(args.side),
        municipalities=tuple(args.municipality),
        place_kinds=tuple(args.place_kind),
        casualties_only=args.casualties_only,
        text=args.text,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="unrest-map",
        description="Conflict and unrest incidents on a map. Built-in data: the 2008 unrest in Kosovo.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser(
        "data",
        help="print the joined, filtered records as CSV or GeoJSON",
        description="Print the records joined to municipality and district, filtered.",
    )
    _add_data_options(data)
    _add_filter_options(data)
    data.add_argument(
        "--format", choices=("csv", "geojson"), default="csv", help="output format (default csv)"
    )
    data.add_argument(
        "--output", "-o", default="-", metavar="FILE", help="output file, '-' for stdout (default)"
    )

    validate = commands.add_parser(
        "validate",
        help="check a records file and report every problem",
        description="Report every problem in a records file with its row and field; exit 1 if there is any.",
    )
    validate.add_argument("file", help="records file to check")

    serve = commands.add_parser(
        "serve", help="start the dashboard", description="Start the dashboard web server and print its URL."
    )
    _add_data_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument(
        "--basemap",
        default="none",
        help="'none' (default: boundaries on a plain background, works offline) or an "
        "online tile style: open-street-map, carto-positron, carto-darkmatter",
    )
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (reloader, error pages)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:  # e.g. `unrest-map data | head`: the reader left, not an error
        sys.stderr.close()
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return run_validate(args.file)
    if args.command == "data":
        return run_data(args)
    if args.command == "serve":
        return run_serve(args)
    raise AssertionError(args.command)


def run_validate(path: str) -> int:
    from geodata.records import read_records

    if not Path(path).is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    result = read_records(path)
    for problem in result.problems:
        print(problem)
    print(result.summary(path), file=sys.stderr)
    return 1 if result.problems else 0


def _load(args: argparse.Namespace, strict: bool):  # -> Dataset, imported lazily for a fast --help
    from geodata.dataset import load_dataset

    return load_dataset(
        data=args.data,
        boundaries_file=args.boundaries,
        boundary_name_field=args.boundary_name_field,
        boundaries_dir=args.boundaries_dir,
        strict=strict,
    )


def _report_read(dataset, source: str) -> None:
    for problem in dataset.read.problems:
        print(problem, file=sys.stderr)
    if dataset.read.problems:
        print(dataset.read.summary(source), file=sys.stderr)
    if dataset.boundary_notice:
        print(dataset.boundary_notice, file=sys.stderr)


def run_data(args: argparse.Namespace) -> int:
    from geodata.filters import apply_filter
    from geodata.output import write_csv, write_geojson

    dataset = _load(args, strict=False)
    _report_read(dataset, args.data or "built-in records")
    selected = apply_filter(dataset.incidents, view_filter_from_args(args))
    write = write_geojson if args.format == "geojson" else write_csv
    if args.output == "-":
        write(selected, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            write(selected, handle)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from dashboard.app import create_app
    from geodata.dataset import DataLoadError

    try:
        dataset = _load(args, strict=args.data is None)
    except DataLoadError as error:
        print(error, file=sys.stderr)
        return 1
    _report_read(dataset, args.data or "built-in records")
    if dataset.incidents.empty:
        print(f"{args.data}: no valid records to show", file=sys.stderr)
        return 1
    app = create_app(dataset, basemap=args.basemap)
    print(
        f"unrest-map: serving {dataset.title} ({len(dataset.incidents)} incidents) at "
        f"http://{args.host}:{args.port}/",
        flush=True,
    )
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
