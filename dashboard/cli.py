"""The ``unrest-map`` command line: data, validate, geocode, serve, export."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import date
from pathlib import Path

from geodata.boundaries import ENV_VAR
from geodata.filters import NORTH_KOSOVO_GROUP, ViewFilter
from geodata.names import DEFAULT_LANGUAGE, LANGUAGES

#: File formats: our records, ACLED, UCDP GED, and a spreadsheet of place names to geocode.
INPUT_FORMATS = ("unrest-map", "acled", "ucdp", "places")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="FILE",
        help="records, ACLED or UCDP GED CSV file, or a CSV/XLSX of place names to geocode "
        "(default: the built-in 2008 records)",
    )
    parser.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="format of --data (default: detected from the header)",
    )
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
        action="extend",  # repeated, it adds values (the last one used to win alone)
        default=[],
        metavar="T",
        help="keep these ACLED event types (e.g. Riots 'Strategic developments')",
    )
    parser.add_argument(
        "--side",
        nargs="+",
        action="extend",
        default=[],
        metavar="S",
        help="keep incidents involving any of these sides (e.g. KFOR 'Kosovo Serbs')",
    )
    parser.add_argument(
        "--municipality",
        nargs="+",
        action="extend",
        default=[],
        metavar="M",
        help=f"keep these municipalities (named in English, Shqip or Srpski, or '{NORTH_KOSOVO_GROUP}')",
    )
    parser.add_argument(
        "--place-kind",
        nargs="+",
        action="extend",
        default=[],
        metavar="K",
        help="keep these place kinds (city, town, village, border crossing, site, region)",
    )
    parser.add_argument("--casualties-only", action="store_true", help="keep incidents with dead or injured")
    parser.add_argument(
        "--text", default="", help="keep incidents whose description, actors or place contain TEXT"
    )


def _pixel_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text)
    if not match or not all(int(v) > 0 for v in match.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in pixels such as 1280x720")
    return int(match[1]), int(match[2])


def _days(text: str) -> int:
    match = re.fullmatch(r"(\d{1,4})([dw])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 1d, 7d or 2w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--view-url",
        metavar="URL",
        help="a URL copied from the dashboard: export exactly that view (filters, dates, "
        "selection, centre, zoom, shading); overrides the filter options",
    )
    parser.add_argument("--width", type=int, default=1200, help="width in pixels (default 1200)")
    parser.add_argument("--height", type=int, default=900, help="height in pixels (default 900)")
    parser.add_argument(
        "--paper",
        choices=("a4-landscape", "a4-portrait", "letter-landscape", "letter-portrait"),
        help="paper size instead of --width/--height (the PDF page is exactly that paper)",
    )
    parser.add_argument(
        "--fit",
        choices=("country", "incidents", "screen"),
        help="framing: the whole boundary layer, the visible incidents' extent, or 'screen': the centre and "
        "zoom of --view-url over the map's size (--screen). Default: screen when --view-url has a centre "
        "and zoom, else country",
    )
    parser.add_argument(
        "--screen",
        type=_pixel_size,
        metavar="WxH",
        help="the map's size on screen in pixels, for --fit screen (default: the image's --width x --height)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="resolution multiplier, up to 4 (default 1)")
    parser.add_argument("--no-caption", action="store_true", help="leave out title, filters and count")
    parser.add_argument("--no-legend", action="store_true", help="leave out the legends")
    parser.add_argument("--shade", action="store_true", help="shade municipalities by incidents")
    parser.add_argument(
        "--lang",
        choices=("en", "sq", "sr"),
        help="language of place and municipality names: en (English, default), sq (Shqip), "
        "sr (Srpski, Latin script); overrides a lang in --view-url",
    )
    parser.add_argument("--output", "-o", required=True, metavar="FILE", help="file to write")


def view_filter_from_args(args: argparse.Namespace, dataset=None) -> ViewFilter:
    """The filter the options ask for; with ``dataset``, each value is matched to the data's own
    (see :func:`matched_values`), so 'riots' or 'Mitrovicë e Veriut' find what they name."""
    values = {
        "event_type": tuple(args.event_type),
        "side": tuple(args.side),
        "municipality": tuple(args.municipality),
        "place_kind": tuple(args.place_kind),
    }
    if dataset is not None:
        values = matched_values(values, dataset)
    return ViewFilter(
        start=args.start,
        end=args.end,
        event_types=values["event_type"],
        sides=values["side"],
        municipalities=values["municipality"],
        place_kinds=values["place_kind"],
        casualties_only=args.casualties_only,
        text=args.text,
    )


def matched_values(values: dict[str, tuple[str, ...]], dataset) -> dict[str, tuple[str, ...]]:
    """Each filter option's values as the data spells them, whatever their case and accents (and,
    for municipalities, in any of the three languages). A value that matches nothing is an error
    that names the option and what it may be: an empty result would look like an answer."""
    from dashboard.choices import choices_of
    from geodata.gazetteer import normalise_name
    from geodata.names import display_name

    choices = choices_of(dataset)
    allowed = {
        "event_type": sorted(choices.event_types),
        "side": sorted(choices.sides),
        "municipality": sorted(choices.municipalities),
        "place_kind": sorted(choices.place_kinds),
    }
    matched = {}
    for option, given in values.items():
        by_name = {normalise_name(value): value for value in allowed[option]}
        if option == "municipality":
            for value in allowed[option]:
                by_name |= {normalise_name(display_name(value, lang)): value for lang in LANGUAGES}
        found = []
        for value in given:
            if normalise_name(value) not in by_name:
                raise CliError(
                    f"--{option.replace('_', '-')} {value!r} matches nothing in this data; "
                    f"it may be one of: {', '.join(allowed[option])}"
                )
            found.append(by_name[normalise_name(value)])
        matched[option] = tuple(found)
    return matched


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
    data.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of place and municipality names: en (English, default), sq (Shqip), "
        "sr (Srpski, Latin script); the boundary layer's names stay in the *_layer_name* columns",
    )

    validate = commands.add_parser(
        "validate",
        help="check a records file and report every problem",
        description="Report every problem in a records file with its row and field; exit 1 if there is any.",
    )
    validate.add_argument(
        "file", help="records, ACLED or UCDP GED file, or a CSV/XLSX of place names (geocoded) to check"
    )
    validate.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="format of FILE (default: detected from the header)",
    )

    image = commands.add_parser(
        "export-image",
        help="render a view as PNG, SVG or PDF",
        description="Render a filtered view (or a URL copied from the dashboard) with its caption, "
        "legend and attribution. Sizes are in pixels; limits: sides 200-4000, scale up to 4.",
    )
    _add_data_options(image)
    _add_filter_options(image)
    _add_export_options(image)
    image.add_argument(
        "--format",
        choices=("png", "svg", "pdf"),
        help="image format (default: from the --output extension, else png)",
    )

    animation = commands.add_parser(
        "export-animation",
        help="render the timeline as an animated GIF or an MP4 video",
        description="One frame per step through the date range, each with its dates in the caption; "
        "legend and framing stay fixed. The format comes from the --output extension (.gif or .mp4).",
    )
    _add_data_options(animation)
    _add_filter_options(animation)
    _add_export_options(animation)
    animation.add_argument(
        "--step", default="1d", type=_days, help="step between frames: Nd or Nw (default 1d)"
    )
    animation.add_argument(
        "--window", default="7d", help="window shown in each frame: Nd, Nw or 'cumulative' (default 7d)"
    )
    animation.add_argument("--fps", type=float, default=4, help="frames per second, up to 30 (default 4)")

    geocode = commands.add_parser(
        "geocode",
        help="place a CSV/XLSX of incidents by place name (GeoNames for Kosovo + the gazetteer)",
        description="Geocode a spreadsheet with a date and a place column (Albanian, Serbian Latin or "
        "Cyrillic names; an optional municipality column picks among places sharing a name), join the "
        "placed rows to the municipalities and write them. The report (rows read = placed + reported, "
        "each reported row with its reason) goes to stderr. Exit status 1 when any row was reported.",
    )
    geocode.add_argument("file", help="CSV or XLSX file (ACLED, UCDP and records files keep their places)")
    geocode.add_argument(
        "--output", "-o", required=True, metavar="FILE", help="OUT.csv or OUT.geojson (- for CSV on stdout)"
    )
    geocode.add_argument(
        "--input-format", choices=INPUT_FORMATS, help="format of FILE (default: detected from the header)"
    )
    geocode.add_argument(
        "--boundaries-dir",
        metavar="DIR",
        help=f"folder with the geoBoundaries XKX files (default: ${ENV_VAR}, else download once)",
    )

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
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="serve with gunicorn and N worker processes (production); without it, Flask's "
        "single-process development server",
    )
    serve.add_argument(
        "--threads", type=int, default=4, metavar="N", help="threads per gunicorn worker (default 4)"
    )
    _add_jobs_option(serve)

    worker = commands.add_parser(
        "worker",
        help="run background exports for servers started with --jobs",
        description="Start a Celery worker that runs the dashboard's background exports (GIF) "
        "queued in Redis by `unrest-map serve --jobs URL`. Give it the same data options as the servers.",
    )
    _add_data_options(worker)
    _add_jobs_option(worker)
    worker.add_argument(
        "--concurrency", type=int, default=1, metavar="N", help="jobs run at once (default 1)"
    )
    return parser


def _add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        metavar="URL",
        help="Redis URL (redis://HOST:PORT/N) for background jobs run by `unrest-map worker` "
        "on any machine (default: $UNREST_MAP_JOBS, else a disk cache on this host)",
    )


class CliError(ValueError):
    """An option the data cannot honour: printed as 'unrest-map COMMAND: ...', exit status 2."""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except CliError as error:
        print(f"unrest-map {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `unrest-map data | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    except OSError as error:
        if error.filename is None:
            raise
        # A file that cannot be written or read (a folder, no permission): one line naming it.
        print(f"unrest-map {args.command}: {error.filename}: {error.strerror or error}", file=sys.stderr)
        return 2


def output_file(path: str) -> Path:
    """``path`` with its folder created: README's commands write into docs/, which a folder outside
    the checkout does not have (that was a traceback). A folder that cannot be made is a
    :class:`CliError` naming it."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or error
        raise CliError(f"{path}: cannot create its folder {target.parent} ({reason})") from error
    return target


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return run_validate(args.file, args.input_format)
    if args.command == "data":
        return run_data(args)
    if args.command == "geocode":
        return run_geocode(args)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "worker":
        return run_worker(args)
    if args.command in ("export-image", "export-animation"):
        return run_export(args)
    raise AssertionError(args.command)


def run_validate(path: str, file_format: str | None = None) -> int:
    from geodata.importers import read_events

    if not Path(path).is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    result, detected = read_events(path, file_format)
    print(f"{path}: read as {detected}", file=sys.stderr)
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
        file_format_override=args.input_format,
    )


def _report_read(dataset, source: str) -> None:
    for problem in dataset.read.problems:
        print(problem, file=sys.stderr)
    if dataset.read.problems or dataset.file_format != "unrest-map":
        cached = " (from cache)" if dataset.from_cache else ""
        print(f"{dataset.read.summary(source)}; format {dataset.file_format}{cached}", file=sys.stderr)
    if dataset.boundary_notice:
        print(dataset.boundary_notice, file=sys.stderr)


def run_geocode(args: argparse.Namespace) -> int:
    from geodata.boundaries import BoundaryDataError, load_kosovo_boundaries
    from geodata.dataset import _join
    from geodata.geocode import GEOCODE_COLUMNS, build_index, geocode_file
    from geodata.geonames import GeoNamesDataError
    from geodata.join import DEFAULT_SNAP_TOLERANCE_M
    from geodata.output import write_csv, write_geojson

    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    suffix = Path(args.output).suffix.lower()
    if args.output != "-" and suffix not in (".csv", ".geojson", ".json"):
        print(f"{args.output}: name the output .csv or .geojson", file=sys.stderr)
        return 2
    output = sys.stdout if args.output == "-" else output_file(args.output)  # its folder, before the work
    try:
        boundaries = load_kosovo_boundaries(args.boundaries_dir)
    except BoundaryDataError as error:
        boundaries = None
        print(f"Boundary layer missing (no municipalities, no hints): {error}", file=sys.stderr)
    try:
        index = build_index(boundaries=boundaries) if args.input_format in (None, "places") else None
    except GeoNamesDataError as error:
        print(f"unrest-map geocode: {error}", file=sys.stderr)
        return 2
    report, detected = geocode_file(path, index, args.input_format)
    joined = _join(report.read.records, boundaries, DEFAULT_SNAP_TOLERANCE_M)
    for problem in report.read.problems:
        print(problem, file=sys.stderr)
    for line in report.fuzzy_matches():  # placed, but by a guess: named so they can be checked
        print(line, file=sys.stderr)
    print(f"{report.summary()}; format {detected}", file=sys.stderr)
    extra = GEOCODE_COLUMNS if detected == "places" else ()
    if suffix in (".geojson", ".json"):
        with open(output, "w", encoding="utf-8", newline="") as handle:
            write_geojson(joined, handle, extra=extra)
    elif args.output == "-":
        write_csv(joined, sys.stdout, extra=extra)
    else:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            write_csv(joined, handle, extra=extra)
    return 1 if report.read.problems else 0


def run_data(args: argparse.Namespace) -> int:
    from geodata.filters import apply_filter
    from geodata.output import write_csv, write_geojson

    output = None if args.output == "-" else output_file(args.output)  # its folder, before the work
    dataset = _load(args, strict=False)
    _report_read(dataset, args.data or "built-in records")
    selected = apply_filter(dataset.incidents, view_filter_from_args(args, dataset))

    def write(frame, out) -> None:
        if args.format == "geojson":
            # The reactions and their links travel along.
            write_geojson(frame, out, dataset.reactions, lang=args.lang)
        else:
            write_csv(frame, out, lang=args.lang)

    if output is None:
        write(selected, sys.stdout)
    else:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            write(selected, handle)
    return 0


def _use_jobs(args: argparse.Namespace) -> bool:
    """Put ``--jobs`` where the app (and gunicorn's workers, after the fork) read it; False if invalid."""
    from dashboard.production import JOBS_ENV, jobs_url

    try:
        url = jobs_url(args.jobs)
    except ValueError as error:
        print(error, file=sys.stderr)
        return False
    if url:
        os.environ[JOBS_ENV] = url
    return True


def run_worker(args: argparse.Namespace) -> int:
    from dashboard.app import create_app
    from dashboard.production import JOBS_ENV
    from dashboard.production import run_worker as run_celery_worker
    from geodata.dataset import DataLoadError

    if not _use_jobs(args):
        return 2
    if not os.environ.get(JOBS_ENV):
        print(f"worker: give --jobs redis://HOST:PORT/N or set {JOBS_ENV}", file=sys.stderr)
        return 2
    try:
        dataset = _load(args, strict=False)
    except DataLoadError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"unrest-map: worker for {dataset.title} on {os.environ[JOBS_ENV]}", flush=True)
    # The same app as the servers': its callbacks name the Celery tasks this worker runs.
    run_celery_worker(create_app(dataset), concurrency=args.concurrency)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import gc

    if args.workers:
        # What the start makes (modules, dataset, app) lives as long as the server: collections during it
        # only scan it again and again (0.06 CPU-s of the app's build alone at 5M). serve_with_gunicorn
        # freezes it all before the fork and turns collection back on.
        gc.disable()
    from dashboard.app import create_app
    from dashboard.layout import build_layout
    from dashboard.opening import served_context
    from dashboard.production import (
        finish_setup,
        gunicorn_options,
        return_large_blocks,
        serve_fast,
        serve_with_gunicorn,
    )
    from geodata.dataset import DataLoadError

    if not _use_jobs(args):
        return 2
    if args.workers:
        return_large_blocks()  # before the dataset is loaded: its heap is the one the workers inherit

    try:
        dataset = _load(args, strict=False)  # bad rows are reported and skipped; none left is an error
    except DataLoadError as error:
        print(error, file=sys.stderr)
        return 1
    _report_read(dataset, args.data or "built-in records")
    if dataset.incidents.empty:
        print(f"{args.data}: no valid records to show", file=sys.stderr)
        return 1
    print(
        f"unrest-map: serving {dataset.title} ({len(dataset.incidents)} incidents) at "
        f"http://{args.host}:{args.port}/"
        + (f" with {args.workers} gunicorn workers" if args.workers else ""),
        flush=True,
    )
    if args.workers:
        try:
            options = gunicorn_options(args.host, args.port, args.workers, args.threads)
        except ValueError as error:
            print(f"--workers/--threads: {error}", file=sys.stderr)
            return 2
        # The dataset is already loaded here, in the master, with what the views derive from it once
        # (choices, the timeline's per-row numbers), the page and the Dash app: the workers share them
        # after the fork.
        context = served_context(dataset)
        layout = build_layout(dataset, args.basemap, context)
        serve_with_gunicorn(
            lambda: create_app(dataset, basemap=args.basemap, context=context, layout=layout), options
        )
        return 0
    app = create_app(dataset, basemap=args.basemap)
    finish_setup(serve_fast(app.server))  # the development server is threaded too
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def _export_state(args: argparse.Namespace, dataset):
    """The view to export: from --view-url when given, else from the filter options; names in --lang."""
    from dataclasses import replace

    from dashboard.viewstate import ViewState

    if args.view_url:
        from urllib.parse import urlsplit

        # Only here: the view module brings dash, half a second a plain export need not pay.
        from dashboard.choices import choices_of
        from dashboard.viewstate import parse_query

        state, notices = parse_query(urlsplit(args.view_url).query, choices_of(dataset))
        for notice in notices:
            print(f"view-url: {notice}", file=sys.stderr)
        return replace(state, lang=args.lang) if args.lang else state
    return ViewState(filter=view_filter_from_args(args, dataset), shade=args.shade, lang=args.lang or "en")


def run_export(args: argparse.Namespace) -> int:
    from dashboard.export import (
        PAPER,
        ExportError,
        ExportOptions,
        ImageRenderer,
        export_animation,
        export_figure,
    )

    extension = Path(args.output).suffix.lower().lstrip(".")
    if args.command == "export-image":
        image_format = args.format or (extension if extension in ("png", "svg", "pdf") else "png")
    else:
        image_format = "png"
        if extension not in ("gif", "mp4"):
            print(
                f"{args.output}: export-animation writes GIF or MP4; name the file .gif or .mp4",
                file=sys.stderr,
            )
            return 2
    width, height = args.width, args.height
    if args.paper:
        width, height = PAPER[args.paper.replace("-", " ").replace("a4", "A4").replace("letter", "Letter")]
    options = ExportOptions(
        format=image_format,
        width=width,
        height=height,
        scale=args.scale,
        caption=not args.no_caption,
        legend=not args.no_legend,
        # Without --fit, a URL's camera is followed, as the dashboard's "As on screen" does.
        fit=args.fit or ("screen" if args.view_url else "country"),
        screen=args.screen,
    )
    renderer = ImageRenderer()
    if args.view_url and not args.data:
        args.data = _upload_named_by(args.view_url)
    try:
        options.validated()  # refuse bad sizes before loading anything
        output = output_file(args.output)  # its folder, before the rendering
        dataset = _load(args, strict=False)
        _report_read(dataset, args.data or "built-in records")
        state = _export_state(args, dataset)
        if args.command == "export-image":
            data = renderer.render(export_figure(dataset, state, options), options)
        else:
            window = None if args.window == "cumulative" else _days(args.window)
            data = export_animation(
                dataset,
                state,
                renderer,
                options,
                step_days=args.step,
                window_days=window,
                fps=args.fps,
                progress=_progress_bar,
                video=extension,
            )
            print(file=sys.stderr)
    except (ExportError, argparse.ArgumentTypeError) as error:
        print(f"unrest-map {args.command}: {error}", file=sys.stderr)
        return 2
    finally:
        renderer.close()
    output.write_bytes(data)
    print(f"wrote {args.output} ({len(data):,} bytes)", file=sys.stderr)
    return 0


def _upload_named_by(url: str) -> str | None:
    """The uploaded file a dashboard URL names (``?data=<sha256>``), if this import cache has it."""
    from urllib.parse import parse_qs, urlsplit

    from geodata.uploads import upload_path

    wanted = parse_qs(urlsplit(url).query).get("data", [""])[0]
    if not wanted:
        return None
    path = upload_path(wanted)
    if path is None:
        print(
            f"view-url: dataset {wanted[:16]}… is not in this import cache; using the built-in data",
            file=sys.stderr,
        )
    return str(path) if path else None


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total)
    print(
        f"\rframe {done}/{total} [{'#' * filled}{' ' * (width - filled)}]",
        end="",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
