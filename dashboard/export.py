"""Print-ready export of a view: PNG, SVG and PDF, and the timeline as a GIF or MP4.

:func:`export_figure` turns a view into an :class:`ExportSpec`: plain data (the same
marker traces and municipality shading the dashboard's map draws, from
:mod:`dashboard.figures`, the captions in words, the framing). :class:`ImageRenderer`
lays it out and draws it with matplotlib: the map is vector (polygons, outlines,
markers and labels as paths) in SVG and PDF, and the PNG is the same drawing
rasterised. The dashboard, ``unrest-map export-image`` and ``export-animation`` all
go through these two steps, so they cannot drift apart.

Why matplotlib and not Plotly's ``geo`` subplot through kaleido: both draw vector maps,
but kaleido starts a browser (about 3 s cold) and spends about 0.5 s a frame warm, while
matplotlib draws a frame in about 0.1 s with no browser, and measures text, so the
caption wraps and nothing overlaps (see the README for the figures).
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import shapely

from dashboard import figures, style
from dashboard.viewstate import ViewState
from geodata.dataset import Dataset
from geodata.filters import apply_filter
from geodata.names import place_names

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS: Final = ("png", "svg", "pdf")
ANIMATION_FORMATS: Final = ("gif", "mp4")
#: Framings: the whole boundary layer, the visible incidents' extent, or the map as on screen (the
#: view's centre and zoom over the map's size on screen).
FITS: Final = ("country", "incidents", "screen")
#: Upper limits, checked before any rendering starts.
MAX_SIDE: Final = 4000
MIN_SIDE: Final = 200
MAX_SCALE: Final = 4.0
MAX_PIXELS: Final = 40_000_000  # width × height × scale², about 160 MB of RGBA
MAX_FRAMES: Final = 400
MAX_FPS: Final = 30
#: CSS pixels per inch: a size in pixels at 1x is a paper size at this density.
PX_PER_INCH: Final = 96
PT_PER_PX: Final = 72 / PX_PER_INCH
#: Paper sizes in pixels at 1x (96 per inch); the PDF page is the exact paper size.
PAPER: Final = {
    "A4 landscape": (1123, 794),
    "A4 portrait": (794, 1123),
    "Letter landscape": (1056, 816),
    "Letter portrait": (816, 1056),
}
#: Size choices offered by the dashboard and the CLI's --paper: (width, height) at 1x.
ASPECTS: Final = {**PAPER, "4:3": (1200, 900), "16:9": (1600, 900)}
CREATOR: Final = "unrest-map"
#: matplotlib is not thread-safe: one drawing at a time in a process, whichever renderer asks.
_DRAWING: Final = threading.Lock()


class ExportError(ValueError):
    """An export request that is refused before rendering; the message says why."""


class ExportBusyError(RuntimeError):
    """Too many exports are queued; try again shortly."""


@dataclass(frozen=True)
class ExportOptions:
    format: str = "png"
    width: int = 1200
    height: int = 900
    scale: float = 1.0
    caption: bool = True
    legend: bool = True
    #: "country": the whole boundary layer; "incidents": the visible incidents' extent; "screen": what the
    #: map on screen shows (the view's centre and zoom; the whole layer when the view has none).
    fit: str = "country"
    #: The map's size on screen in CSS pixels, for fit="screen" (None: the export's own width and height).
    screen: tuple[int, int] | None = None

    def validated(self) -> ExportOptions:
        """These options, or :class:`ExportError` naming the first value out of bounds."""
        if self.format not in FORMATS:
            raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.fit not in FITS:
            raise ExportError(f"fit must be one of {', '.join(FITS)}, not {self.fit!r}")
        if self.screen is not None and not (
            len(self.screen) == 2 and all(isinstance(v, int) and 0 < v <= 100_000 for v in self.screen)
        ):
            raise ExportError(
                f"the map's size on screen must be two whole numbers of pixels, not {self.screen!r}"
            )
        for name in ("width", "height"):
            value = getattr(self, name)
            if not isinstance(value, int) or not MIN_SIDE <= value <= MAX_SIDE:
                raise ExportError(
                    f"{name} must be a whole number from {MIN_SIDE} to {MAX_SIDE} pixels, not {value!r}"
                )
        if not (0 < self.scale <= MAX_SCALE):
            raise ExportError(f"scale must be above 0 and at most {MAX_SCALE:g}, not {self.scale!r}")
        if self.width * self.height * self.scale**2 > MAX_PIXELS:
            raise ExportError(
                f"{self.width}×{self.height} at scale {self.scale:g} is over the limit of "
                f"{MAX_PIXELS:,} pixels"
            )
        return self


def _window(dataset: Dataset, state: ViewState) -> tuple[date, date]:
    incidents = dataset.incidents
    first = incidents["date_start"].min().date()
    last = incidents["date_end"].max().date()
    return state.filter.start or first, state.filter.end or last


def date_range_words(start: date, end: date) -> str:
    return f"{start:%-d %B %Y}" if start == end else f"{start:%-d %B %Y} – {end:%-d %B %Y}"


def caption_lines(dataset: Dataset, state: ViewState, count: int, basemap: str = "none") -> list[str]:
    """The caption in words: title, dates, filters, count (also used for metadata and tests)."""
    start, end = _window(dataset, state)
    filters = state.filter.describe(state.lang)
    lines = [
        dataset.title,
        date_range_words(start, end),
        ("Filters: " + "; ".join(filters)) if filters else "All incidents (no filters)",
        f"{count:,} incident{'s' if count != 1 else ''} shown",
    ]
    if state.selected:
        lines[3] += f"; highlighted: {state.selected}"
    if state.shade:
        lines[2] += "; municipalities shaded by incident count"
    if basemap in figures.ONLINE_BASEMAPS:
        lines[2] += f"; the online basemap '{basemap}' is not drawn in exports"
    return lines


def attribution(dataset: Dataset) -> str:
    """Every source once: boundaries, GeoNames when places came from it, the records."""
    parts = [dataset.boundaries.attribution if dataset.boundaries is not None else "No boundary layer"]
    sources = dataset.incidents.get("location_source")
    if sources is not None and sources.astype(str).str.contains("geonames", case=False).any():
        parts.append("Places: GeoNames (geonames.org), CC BY 4.0")
    parts.append(dataset.source_attribution)
    parts.append("Made with unrest-map")
    return " · ".join(parts)


# --- The spec: everything to draw, as plain data ---------------------------------------------


@dataclass(frozen=True)
class MarkerLayer:
    """One drawn marker trace: lon/lat, diameters in pixels at 1x, a colour."""

    name: str
    lon: np.ndarray
    lat: np.ndarray
    sizes: np.ndarray | float
    colour: str
    alpha: float = 1.0


@dataclass(frozen=True)
class FrameContent:
    """What changes from one animation frame to the next."""

    layers: tuple[MarkerLayer, ...]
    #: The count badges as the screen shows them (figures.badges): lon, lat, count.
    badges: dict[str, list]
    fills: tuple[str, ...]  # one colour per municipality
    #: Each municipality's outline (colour, width in pixels), as on screen: North Kosovo's heavier.
    outlines: tuple[tuple[str, float], ...]
    fill_alpha: float
    dates: str
    count: str
    shade_max: float  # top of the shading scale (0: North Kosovo fill instead)


@dataclass(frozen=True)
class ExportSpec:
    """A view ready to draw: content, captions, legend entries and the framed extent (lon/lat)."""

    options: ExportOptions
    content: FrameContent
    title: str
    filters: str
    attribution: str
    outside: str  # incidents outside the boundary layer, in words ("" if none)
    event_types: tuple[str, ...]  # legend entries, fixed across animation frames
    selected: bool
    north: bool  # the layer marks North Kosovo (the built-in one does; a custom layer need not)
    extent: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1
    municipalities: Any = None  # GeoDataFrame (name, geometry) or None
    country: Any = None  # GeoSeries of the outline or None
    #: Municipality names to draw, in placement priority: figures.municipality_labels (name, text, lon,
    #: lat, min_zoom).
    labels: Any = None
    metadata: dict[str, str] = field(default_factory=dict)


def _rgba(colour: str) -> tuple[float, float, float, float]:
    """A CSS colour ('#rrggbb' or 'rgba(r, g, b, a)') as matplotlib's 0-1 tuple."""
    if colour.startswith("#"):
        return (*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)), 1.0)  # type: ignore[return-value]
    numbers = [float(v) for v in re.findall(r"[\d.]+", colour)]
    alpha = numbers[3] if len(numbers) > 3 else 1.0
    return numbers[0] / 255, numbers[1] / 255, numbers[2] / 255, alpha


def _scale_colour(colorscale: list, value: float) -> str:
    """The colour of ``value`` (0-1) on a Plotly colour scale, as the dashboard's choropleth does."""
    stops = [float(s) for s, _ in colorscale]
    colours = np.array([_rgba(c)[:3] for _, c in colorscale])
    rgb = [np.interp(value, stops, colours[:, i]) for i in range(3)]
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def frame_content(
    dataset: Dataset, state: ViewState, visible: pd.DataFrame, shade_max: float | None = None
) -> FrameContent:
    """The dashboard's own marker traces and shading (:mod:`dashboard.figures`) for a view.

    ``shade_max`` fixes the top of the count shading (an animation keeps one scale).
    """
    traces = figures.marker_layers(dataset, visible, state.selected)
    layers = []
    halo = traces["approximate"]
    layers.append(
        MarkerLayer("approximate", halo["lon"], halo["lat"], halo["marker"]["size"], style.APPROXIMATE_HALO)
    )
    chosen = traces["selected"]
    layers.append(
        MarkerLayer("selected", chosen["lon"], chosen["lat"], style.SELECTED_SIZE, style.SELECTED_FILL)
    )
    for event_type in figures.EVENT_TRACES:
        trace = traces[event_type]
        layers.append(
            MarkerLayer(
                event_type,
                trace["lon"],
                trace["lat"],
                trace["marker"]["size"],
                trace["marker"]["color"],
                style.MARKER_OPACITY,
            )
        )
    unknown = traces["unknown_casualties"]
    layers.append(
        MarkerLayer("unknown_casualties", unknown["lon"], unknown["lat"], style.UNKNOWN_MARK_SIZE, "#ffffff")
    )
    shaded = (state.shade or figures.is_aggregated(visible)) and dataset.boundaries is not None
    largest = None if shade_max is None else int(shade_max)
    shading = figures.municipality_shading(dataset, visible, state.shade, largest)
    z = np.asarray(shading["z"], dtype=float)
    span = float(shading.get("zmax", 1)) - float(shading.get("zmin", 0)) or 1.0
    fills = (
        tuple(_scale_colour(shading["colorscale"], (v - shading["zmin"]) / span) for v in z) if len(z) else ()
    )
    counts = np.asarray(shading.get("customdata", []), dtype=float)
    line = shading.get("marker", {}).get("line", {"color": [], "width": []})
    start, end = _window(dataset, state)
    lines = caption_lines(dataset, state, len(visible))
    return FrameContent(
        layers=tuple(layers),
        badges=figures.badges(visible),
        fills=fills,
        outlines=tuple(zip(line["color"], line["width"], strict=True)),
        fill_alpha=float(shading.get("marker", {}).get("opacity", 1.0)),
        dates=date_range_words(start, end),
        count=lines[3],
        # The classes' top count (at least 1, so a shaded view with no incident still says "shaded").
        shade_max=max(1.0, float(counts.max(initial=0)) if shade_max is None else shade_max)
        if shaded
        else 0.0,
    )


def camera_extent(
    lat: float, lon: float, zoom: float, width: float, height: float
) -> tuple[float, float, float, float]:
    """The lon/lat box a web map (MapLibre, Web Mercator) shows at centre ``lat``, ``lon`` and ``zoom``
    over ``width`` × ``height`` CSS pixels: lon0, lat0, lon1, lat1.

    >>> [round(v, 3) for v in camera_extent(0, 0, 0, 512, 512)]
    [-180.0, -85.051, 180.0, 85.051]
    """
    world = figures.WORLD_PX_AT_ZOOM_0 * 2.0**zoom
    half_lon = width / 2 / world * 360
    # Mercator y of the centre, 0 (north edge) to 1, then half the height either way.
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2
    north, south = (
        math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * v))))
        for v in (y - height / 2 / world, y + height / 2 / world)
    )
    return lon - half_lon, south, lon + half_lon, north


def has_camera(state: ViewState) -> bool:
    """The view names its map centre and zoom (the dashboard always sends the camera on screen)."""
    return state.lat is not None and state.lon is not None and state.zoom is not None


def _extent(
    dataset: Dataset, visible: pd.DataFrame, options: ExportOptions, state: ViewState
) -> tuple[float, float, float, float]:
    """The lon/lat box to show: the boundary layer, the visible incidents when asked to fit them, or
    the map as on screen (the view's camera over the map's size on screen)."""
    if options.fit == "screen" and has_camera(state):
        width, height = options.screen or (options.width, options.height)
        return camera_extent(state.lat, state.lon, state.zoom, width, height)  # type: ignore[arg-type]
    fit = options.fit
    country = dataset.boundaries.country if dataset.boundaries is not None else None
    if (fit == "incidents" and len(visible)) or country is None:
        points = visible if len(visible) else dataset.incidents
        lon0, lon1 = float(points["lon"].min()), float(points["lon"].max())
        lat0, lat1 = float(points["lat"].min()), float(points["lat"].max())
        # At least about 12 km across, so one incident is not a blown-up dot.
        half = 0.055
        mid_lon, mid_lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
        lon0, lon1 = (
            min(lon0, mid_lon - half / math.cos(math.radians(mid_lat))),
            max(lon1, mid_lon + half / math.cos(math.radians(mid_lat))),
        )
        lat0, lat1 = min(lat0, mid_lat - half), max(lat1, mid_lat + half)
        return lon0, lat0, lon1, lat1
    lon0, lat0, lon1, lat1 = (float(v) for v in country.total_bounds)
    return lon0, lat0, lon1, lat1


def _outside_words(visible: pd.DataFrame, extent: tuple[float, float, float, float]) -> str:
    if "outside_boundaries" not in visible or not visible["outside_boundaries"].any():
        return ""
    rows = visible[visible["outside_boundaries"].to_numpy(dtype=bool)]
    lon0, lat0, lon1, lat1 = extent
    items = []
    for row in rows.itertuples():
        shown = lon0 <= row.lon <= lon1 and lat0 <= row.lat <= lat1
        items.append(f"{row.id} ({row.place_name}{'' if shown else ', off the map'})")
    noun = "incident" if len(items) == 1 else "incidents"
    return f"Outside the boundary layer: {len(items)} {noun}: " + ", ".join(items)


def export_figure(
    dataset: Dataset,
    state: ViewState,
    options: ExportOptions = ExportOptions(),
    basemap: str = "none",
    *,
    legend_types: tuple[str, ...] | None = None,
    extent: tuple[float, float, float, float] | None = None,
    shade_max: float | None = None,
) -> ExportSpec:
    """Everything an export of this view draws (the renderer lays it out and draws it).

    ``legend_types``, ``extent`` and ``shade_max`` fix the legend, framing and shading scale,
    as an animation does across its frames; by default they come from this view.
    """
    options = options.validated()
    if options.fit == "screen" and not has_camera(state):
        options = replace(options, fit="country")  # no camera to follow: the map's opening framing
    visible = apply_filter(dataset.incidents, state.filter)
    extent = extent or _extent(dataset, visible, options, state)
    lines = caption_lines(dataset, state, len(visible), basemap)
    if legend_types is None:
        present = set(visible["event_type"].astype(str))
        legend_types = tuple(t for t in figures.EVENT_TRACES if t in present)
    boundaries = dataset.boundaries
    subject = f"{lines[1]}; {lines[2]}; {lines[3]}"
    return ExportSpec(
        options=options,
        content=frame_content(dataset, state, visible, shade_max),
        title=lines[0],
        filters=lines[2],
        attribution=attribution(dataset),
        outside=_outside_words(visible.assign(place_name=place_names(visible, state.lang)), extent)
        if boundaries is not None
        # With no layer every incident is flagged outside it: say what is true instead.
        else "Municipal boundaries not loaded: incidents are drawn at their coordinates.",
        event_types=legend_types,
        selected=state.selected is not None,
        north=boundaries is not None and bool(boundaries.municipalities["north_kosovo"].any()),
        extent=extent,
        municipalities=None if boundaries is None else boundaries.municipalities[["name", "geometry"]],
        labels=None if boundaries is None else figures.municipality_labels(dataset, state.lang),
        country=None if boundaries is None else boundaries.country.geometry,
        metadata={"Title": f"{lines[0]}: {lines[1]}", "Subject": subject, "Creator": CREATOR},
    )


# --- Layout and drawing (matplotlib) -------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels at 1x, from the top-left corner."""

    x: float
    y: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        return not (
            self.x + self.width <= other.x
            or other.x + other.width <= self.x
            or self.bottom <= other.y
            or other.bottom <= self.y
        )


@dataclass
class Drawing:
    """A drawn export: the figure, the map's box and lon/lat -> pixel (1x) projection."""

    figure: Figure
    map_box: Box
    extent: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1 actually shown
    boxes: dict[str, Box]  # every caption element, by name
    dynamic: list = field(default_factory=list)  # marker artists, replaced per animation frame
    animated: list = field(default_factory=list)  # artists an animation redraws over the background
    texts: dict[str, Any] = field(default_factory=dict)
    municipality_artist: Any = None

    def to_pixels(self, lon: float, lat: float) -> tuple[float, float]:
        lon0, lat0, lon1, lat1 = self.extent
        x = self.map_box.x + (lon - lon0) / (lon1 - lon0) * self.map_box.width
        y = self.map_box.y + (lat1 - lat) / (lat1 - lat0) * self.map_box.height
        return x, y


FONT: Final = "DejaVu Sans"


def text_unit(width: int, height: int) -> float:
    """The drawing's type size against the screen's: it grows a little with the page, within
    readable bounds."""
    return min(max(math.sqrt(width * height) / 1000, 0.8), 1.5)


def names_zoom(map_width_px: float, lon_span: float, unit: float) -> float:
    """The map zoom a drawing's names are chosen at (figures.name_min_zoom): MapLibre's zoom of
    the map's scale with the type at ``unit`` times the screen's, at whole zooms as the screen's
    names layer filters."""
    return float(np.floor(np.log2(map_width_px / unit / lon_span * 360 / figures.WORLD_PX_AT_ZOOM_0)))


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size_px: float, bold: bool) -> float:
    """Width of one line of text in pixels, as drawn.

    The larger of two measures: the PNG's hinted glyphs and the SVG's outlines differ by up
    to about 8% (either way, depending on the size), and the text must fit in both.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family=FONT, size=size_px, weight="bold" if bold else "normal")
    hinted, _, _ = _measuring_renderer().get_text_width_height_descent(text, prop, ismath=False)
    outline, _, _ = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return float(max(hinted, outline))


@functools.lru_cache(maxsize=1)
def _measuring_renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, 72)  # at 72 dpi a point is a pixel: sizes given in px measure in px


def wrap(text: str, size_px: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` pixels (a word longer than the line is broken)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if _text_width(candidate, size_px, bold) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while _text_width(line, size_px, bold) > width and len(line) > 1:
                cut = max(1, int(len(line) * width / _text_width(line, size_px, bold)) - 1)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


SIZE_LEGEND: Final = tuple((label, float(count)) for count, label in style.SIZE_EXAMPLES)


def _nice_km(max_km: float) -> float:
    for value in (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1):
        if value <= max_km:
            return value
    return 0.1


def screen_sized(spec: ExportSpec, draw_spec: Callable[[ExportSpec], Drawing] | None = None) -> ExportSpec:
    """``spec`` on a canvas grown round a map of the screen's size (``options.screen``): the caption
    and legend are added to the map, where they took a third of a canvas of the screen's size and
    the map was drawn at two thirds of its size on screen. The map's box is measured on trial
    drawings (``draw_spec``, :func:`draw` by default; the type grows a little with the canvas, so a
    second one checks the first); the canvas stays within the size limits."""
    screen = spec.options.screen
    if screen is None or not (spec.options.caption or spec.options.legend):
        return spec
    draw_spec = draw_spec or draw
    for _ in range(3):
        box = draw_spec(spec).map_box
        grow_x, grow_y = screen[0] - box.width, screen[1] - box.height
        if abs(grow_x) < 1 and abs(grow_y) < 1:
            break
        options = spec.options
        width = min(MAX_SIDE, max(MIN_SIDE, round(options.width + grow_x)))
        height = min(MAX_SIDE, max(MIN_SIDE, round(options.height + grow_y)))
        try:
            grown = replace(options, width=width, height=height).validated()
        except ExportError:
            break  # over the pixel limit at this scale: the map stays a little smaller
        if grown == options:
            break
        spec = replace(spec, options=grown)
    return spec


def draw(spec: ExportSpec, animated: bool = False, obstacles: FrameContent | None = None) -> Drawing:
    """Lay out and draw an export. Sizes are pixels at 1x; the output's dpi applies the scale.

    ``animated`` marks what changes between frames (markers, dates, count shading) so an
    animation draws everything else once and blits it. ``obstacles``: the markers and badges the
    names keep clear of, when not ``spec``'s own (an animation's names are placed once, clear of
    every frame's).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    options = spec.options
    width, height = options.width, options.height
    unit = text_unit(width, height)
    margin = round(16 * unit)
    inner = width - 2 * margin
    fig = Figure(figsize=(width / PX_PER_INCH, height / PX_PER_INCH), dpi=PX_PER_INCH)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    # One overlay in pixel units (y down) for the caption; the map is its own axes below it.
    overlay = fig.add_axes((0, 0, 1, 1), zorder=3)
    overlay.set_xlim(0, width)
    overlay.set_ylim(height, 0)
    overlay.set_axis_off()
    boxes: dict[str, Box] = {}
    texts: dict[str, Any] = {}

    def text(name: str, lines: list[str], x: float, y: float, size: float, colour: str, bold=False) -> float:
        """Draw lines top-down from (x, y); return the y below them."""
        line_height = size * 1.28
        artist = overlay.text(
            x,
            y,
            "\n".join(lines),
            fontsize=size * PT_PER_PX,
            fontfamily=FONT,
            fontweight="bold" if bold else "normal",
            color=colour,
            va="top",
            ha="left",
            linespacing=1.28,
        )
        artist.set_gid(f"caption-{name}")
        texts[name] = artist
        block = line_height * len(lines)
        boxes[name] = Box(x, y, max(_text_width(line, size, bold) for line in lines), block)
        return y + block

    y = margin
    title_size, body_size, small = 21 * unit, 13 * unit, 10.5 * unit
    if options.caption:
        y = text(
            "title", wrap(spec.title, title_size, inner, bold=True), margin, y, title_size, "#1a1a1a", True
        )
        y += 2 * unit
        dates = f"{spec.content.dates} · {spec.content.count}"
        y = text("dates", wrap(dates, body_size, inner), margin, y, body_size, "#1a1a1a", True)
        y = text("filters", wrap(spec.filters, body_size, inner), margin, y, body_size, "#444444")
        y += 8 * unit
    map_top = y

    # The footer is laid out bottom-up: attribution, the outside-the-layer note, the legend.
    bottom = height - margin * 0.6
    footer: list[tuple[str, list[str], float, str]] = [
        ("attribution", wrap(spec.attribution, small, inner), small, "#555555")
    ]
    if options.caption and spec.outside:
        footer.append(("outside", wrap(spec.outside, small, inner), small, "#333333"))
    for name, lines, size, colour in footer:
        bottom -= size * 1.28 * len(lines)
        text(name, lines, margin, bottom, size, colour)
        bottom -= 4 * unit

    # The map keeps the framed extent's shape: it takes the room left and the extent grows to fill it.
    lon0, lat0, lon1, lat1 = spec.extent
    mid_lat = (lat0 + lat1) / 2
    k = math.cos(math.radians(mid_lat))
    legend_items = _legend_items(spec) if options.legend else []
    legend_height = _legend_height(legend_items, inner, body_size * 0.92, unit)
    bottom -= legend_height + (6 * unit if legend_items else 0)
    map_box = Box(margin, map_top, inner, max(40.0, bottom - map_top))
    # Room for the largest ring around an incident at the edge when framing the incidents; none around
    # the screen's framing, which is exactly what the user saw.
    pad = {"country": 0.03, "incidents": 0.12, "screen": 0.0}[spec.options.fit]
    x0, x1, y0, y1 = lon0 * k, lon1 * k, lat0, lat1
    dx, dy = (x1 - x0) * (1 + 2 * pad) or 0.01, (y1 - y0) * (1 + 2 * pad) or 0.01
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    aspect = map_box.width / map_box.height
    if dx / dy > aspect:
        dy = dx / aspect
    else:
        dx = dy * aspect
    shown = ((cx - dx / 2) / k, cy - dy / 2, (cx + dx / 2) / k, cy + dy / 2)

    ax = fig.add_axes(
        (map_box.x / width, 1 - map_box.bottom / height, map_box.width / width, map_box.height / height),
        zorder=1,
    )
    ax.set_xlim(cx - dx / 2, cx + dx / 2)
    ax.set_ylim(cy - dy / 2, cy + dy / 2)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#bbbbbb")
        spine.set_linewidth(0.75)
    ax.patch.set_facecolor(style.BACKGROUND)
    ax.patch.set_gid("map-area")
    municipality_artist = None
    if spec.municipalities is not None:
        paths = [_geometry_path(geometry, k) for geometry in spec.municipalities.geometry]
        municipality_artist = PathCollection(
            paths,
            facecolors=[(*_rgba(c)[:3], spec.content.fill_alpha) for c in spec.content.fills],
            edgecolors=style.BOUNDARY_LINE,
            linewidths=style.BOUNDARY_WIDTH * PT_PER_PX,
            zorder=1,
        )
        municipality_artist.set_gid("map-municipalities")
        ax.add_collection(municipality_artist)
        # The heavier outlines (North Kosovo) over every thin one, whatever the fills show.
        heavy = [
            (p, o) for p, o in zip(paths, spec.content.outlines, strict=True) if o[1] > style.BOUNDARY_WIDTH
        ]
        if heavy:
            heavy_artist = PathCollection(
                [p for p, _ in heavy],
                facecolors="none",
                edgecolors=[colour for _, (colour, _) in heavy],
                linewidths=[width * PT_PER_PX for _, (_, width) in heavy],
                zorder=1.5,
            )
            heavy_artist.set_gid("map-north-outline")
            ax.add_collection(heavy_artist)
        outline = PathCollection(
            [_geometry_path(g, k) for g in spec.country],
            facecolors="none",
            edgecolors=style.COUNTRY_LINE,
            linewidths=style.COUNTRY_WIDTH * PT_PER_PX,
            zorder=2,
        )
        outline.set_gid("map-outline")
        ax.add_collection(outline)
    drawing_box = (map_box, shown, k)
    placing = spec if obstacles is None else replace(spec, content=obstacles)
    label_artists = _draw_labels(ax, placing, drawing_box, unit) if spec.labels is not None else []
    drawing = Drawing(fig, map_box, shown, boxes, texts=texts, municipality_artist=municipality_artist)
    drawing.dynamic = _draw_markers(ax, spec.content, k)
    if animated:
        # Shading by count changes the fills, so the map layers above them are redrawn too.
        boundaries = ("map-municipalities", "map-north-outline", "map-outline")
        map_layers = (
            [c for c in ax.collections if c.get_gid() in boundaries] + label_artists
            if spec.content.shade_max > 0
            else []
        )
        drawing.animated = [*map_layers, *([texts["dates"]] if "dates" in texts else [])]
        for artist in [*drawing.animated, *drawing.dynamic]:
            artist.set_animated(True)

    if legend_items:
        legend_box = Box(margin, bottom + 6 * unit, inner, legend_height)
        _draw_legend(
            overlay, legend_items, legend_box, body_size * 0.92, unit, boxes, spec, dx / map_box.width / k
        )
    return drawing


def _draw_labels(ax, spec: ExportSpec, drawing_box: tuple, unit: float) -> list:
    """The municipality names, above the markers with a halo in the map's colour, placed in
    priority order (figures.municipality_labels): at its point, or above, below, beside or diagonally
    off it, taking the first spot clear of the markers, the count badges and the country's outline,
    else the one the badges (drawn over the names) reach least into; a name left on the outline gets
    a box in the map's colour for a halo, so the line stops at it. A name whose box (halo included)
    would cross the map's edge is nudged inside when its point is on the map or within two lines of
    it (else it stands on the part of its municipality that is on the map, when that can hold it), so
    nothing is cut and the municipality at the edge of a framing keeps its name; a name that would
    overlap one already placed, or that does not fit, is left out (a small export cannot hold 38
    names, and overlapping ones read as neither)."""
    from matplotlib import patheffects

    map_box, shown, k = drawing_box
    lon0, lat0, lon1, lat1 = shown
    size = style.LABEL_SIZE * unit
    height = size * 1.25
    halo_width = 2.4 * unit  # points, the halo's stroke: half of it lies outside the glyphs
    edge = halo_width / 2 / PT_PER_PX  # room kept between a name's box and the map's edge, in pixels
    left, top = map_box.x + edge, map_box.y + edge
    right, bottom = map_box.x + map_box.width - edge, map_box.bottom - edge
    near = 2 * height  # a point this close to the map still names the part of its municipality on it

    def on_map(box: Box) -> bool:
        return box.x >= left and box.x + box.width <= right and box.y >= top and box.bottom <= bottom

    def nudged(box: Box) -> Box:
        """``box`` moved the least way inside the map (unchanged when it is inside already)."""
        x = min(max(box.x, left), right - box.width)
        y = min(max(box.y, top), bottom - box.height)
        return Box(x, y, box.width, box.height)

    def to_px(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = map_box.x + (np.asarray(lon, float) - lon0) / (lon1 - lon0) * map_box.width
        y = map_box.y + (lat1 - np.asarray(lat, float)) / (lat1 - lat0) * map_box.height
        return x, y

    # Each dot by its own size (the faint approximate-location rings may lie under a name), and the
    # count badges, which are drawn over the names and would hide one: x, y, radius as arrays (a view
    # may hold 20,000 dots, and each name tries a dozen spots).
    dots = [layer for layer in spec.content.layers if layer.name not in ("approximate",) and len(layer.lon)]
    points = [to_px(layer.lon, layer.lat) for layer in dots]
    radii = [np.broadcast_to(np.asarray(layer.sizes, float) / 2, len(layer.lon)) for layer in dots]
    none = [np.empty(0)]
    markers = (
        np.concatenate([x for x, _ in points] + none),
        np.concatenate([y for _, y in points] + none),
        np.maximum(np.concatenate(radii + none), 2.0),
    )
    badges = spec.content.badges
    badge_x, badge_y = to_px(badges["lon"], badges["lat"])
    badge_discs = (badge_x, badge_y, np.full(len(badge_x), style.BADGE_SIZE / 2))

    # The country's outline in pixels: a thick dark line, which the halo does not hide between the
    # letters (it ran through "Hani i Elezit", a name wider than its municipality at the border).
    outline = None
    if spec.country is not None and len(spec.country):
        rings = shapely.get_parts(shapely.boundary(np.asarray(spec.country, dtype=object)))
        outline = shapely.transform(
            shapely.multilinestrings(rings),
            lambda xy: np.column_stack(to_px(xy[:, 0], xy[:, 1])),
        )
        shapely.prepare(outline)

    def crosses_outline(box: Box) -> bool:
        return outline is not None and bool(
            outline.intersects(shapely.box(box.x, box.y, box.x + box.width, box.bottom))
        )

    def covered(box: Box, discs: tuple) -> float:
        """How deep the deepest of ``discs`` reaches into ``box`` (pixels; 0: clear of them all)."""
        x, y, r = discs
        dx = np.maximum(np.maximum(box.x - x, x - box.x - box.width), 0)
        dy = np.maximum(np.maximum(box.y - y, y - box.bottom), 0)
        return float(np.max(r - np.hypot(dx, dy), initial=0.0))  # no disc at all: clear

    layer = spec.municipalities
    shapes = {} if layer is None else dict(zip(layer["name"], layer.geometry, strict=True))
    view = shapely.box(lon0, lat0, lon1, lat1)
    px2_per_degree2 = map_box.width / (lon1 - lon0) * map_box.height / (lat1 - lat0)

    def visible_point(name: str, room: float) -> tuple[float, float] | None:
        """A point of the municipality's part on the map, if that part has ``room`` (pixels²)."""
        shape = shapes.get(name)
        part = None if shape is None else shape.intersection(view)
        if part is None or part.is_empty or part.area * px2_per_degree2 < room:
            return None
        point = part.representative_point()
        return tuple(float(v) for v in to_px(point.x, point.y))  # type: ignore[return-value]

    placed: list[Box] = []
    artists = []
    xs, ys = to_px(spec.labels["lon"], spec.labels["lat"])
    # A municipality too narrow for its name at this scale is not named (figures.NAME_ROOM).
    zoom = names_zoom(map_box.width, lon1 - lon0, unit)
    labels = spec.labels
    for name, text, x, y, min_zoom in zip(
        labels["name"], labels["text"], xs, ys, labels["min_zoom"], strict=True
    ):
        if min_zoom > zoom:
            continue
        width = _text_width(text, size, False) + 2
        shifts = (0.0, -height * 0.9, height * 0.9)
        beside = width / 2 + 0.4 * size  # left or right of its point, as the screen's fallback anchors
        anchors = [(x, y)]
        if not (left <= x <= right and top <= y <= bottom):
            # Its point is off the map: a point of the part that is on it (if that part can hold the name).
            anchors += [p for p in [visible_point(name, width * height)] if p is not None]
        candidates = []
        for ax_, ay_ in anchors:
            spots = [Box(ax_ - width / 2, ay_ + dy - height / 2, width, height) for dy in shifts]
            spots += [
                Box(ax_ + dx - width / 2, ay_ + dy - height / 2, width, height)
                for dx, dy in (
                    (-beside, 0.0),
                    (beside, 0.0),
                    (0.0, -height * 1.8),
                    (0.0, height * 1.8),
                    *((dx, dy) for dx in (-beside, beside) for dy in (-height * 0.9, height * 0.9)),
                )
            ]
            candidates += spots
            if left - near <= ax_ <= right + near and top - near <= ay_ <= bottom + near:
                # The point is on the map or just off it: the spots nudged off the edge come next.
                candidates += [nudged(b) for b in spots]
        inside = [b for b in candidates if on_map(b) and not any(b.overlaps(other) for other in placed)]
        if not inside:
            continue
        # The first spot clear of every mark and of the country's outline, else the one the badges
        # (drawn over the names, so they would hide part of one) and then the dots reach least into,
        # and then one off the outline.
        ranked = []
        clear = (0.0, False, False)
        for spot in inside:
            rank = (covered(spot, badge_discs), covered(spot, markers) > 0, crosses_outline(spot))
            if rank == clear:
                break  # most names find their own point clear: no other spot is measured
            ranked.append((rank, len(ranked), spot))
        box = spot if rank == clear else min(ranked)[2]
        if rank != clear and min(ranked)[0][:2] != (0.0, False):
            # Every spot is on a mark: a little further off its point, above or below, if that is clear
            # of them (a small municipality's point is on its town's big marker, North Mitrovica's, and
            # the nearer spots may be taken by its neighbours' names). Not for the outline alone: a
            # spot that far can be outside the country (Hani i Elezit's was).
            for dy in (-height * 2.7, height * 2.7):
                spot = Box(x - width / 2, y + dy - height / 2, width, height)
                if not on_map(spot) or any(spot.overlaps(other) for other in placed):
                    continue
                if covered(spot, badge_discs) == 0.0 and covered(spot, markers) == 0.0:
                    box = spot
                    break
        placed.append(box)
        centre_lon = lon0 + (box.x + box.width / 2 - map_box.x) / map_box.width * (lon1 - lon0)
        centre_lat = lat1 - (box.y + box.height / 2 - map_box.y) / map_box.height * (lat1 - lat0)
        common = {
            "fontsize": size * PT_PER_PX,
            "fontfamily": FONT,
            "ha": "center",
            "va": "center",
            "clip_on": True,
        }
        # x is longitude scaled by cos(latitude), as the outlines. The halo is its own text under the
        # name, so the name itself stays text (an SVG keeps it as a comment, a PDF as searchable text).
        halo = ax.text(centre_lon * k, centre_lat, text, color=style.BACKGROUND, zorder=30, **common)
        halo.set_path_effects([patheffects.withStroke(linewidth=halo_width, foreground=style.BACKGROUND)])
        if crosses_outline(box):
            # No spot off the outline (a name wider than its municipality at the border): the halo
            # becomes a box in the map's colour, and the line stops at the name instead of crossing it.
            pad = halo_width / 2 / (size * PT_PER_PX)  # in the box style's unit, the font size
            halo.set_bbox(
                {"boxstyle": f"round,pad={pad:.3f}", "facecolor": style.BACKGROUND, "edgecolor": "none"}
            )
        halo.set_gid("halo-map-label")
        label = ax.text(centre_lon * k, centre_lat, text, color=style.LABEL_COLOUR, zorder=31, **common)
        label.set_gid("map-label")  # above every marker layer (zorder 4 + trace order)
        artists += [halo, label]
    return artists


def _geometry_path(geometry, k: float):
    """A matplotlib Path for a (multi)polygon or line in the map's projection (holes kept)."""
    from matplotlib.path import Path

    rings = []
    for part in getattr(geometry, "geoms", [geometry]):
        if part.geom_type == "Polygon":
            rings += [part.exterior, *part.interiors]
        else:  # a boundary line
            rings.append(part)
    vertices, codes = [], []
    for ring in rings:
        xy = np.asarray(ring.coords)[:, :2].copy()
        xy[:, 0] *= k
        vertices.append(xy)
        ring_codes = np.full(len(xy), Path.LINETO, dtype=np.uint8)
        ring_codes[0] = Path.MOVETO
        codes.append(ring_codes)
    return Path(np.concatenate(vertices), np.concatenate(codes))


def _draw_markers(ax, content: FrameContent, k: float) -> list:
    """The frame's markers in the dashboard's trace order (halos under dots, unknown marks on top)."""
    artists = []
    for order, layer in enumerate(content.layers):
        if len(layer.lon) == 0:
            continue
        sizes = np.asarray(layer.sizes, dtype=float) * PT_PER_PX
        artist = ax.scatter(
            np.asarray(layer.lon, dtype=float) * k,
            np.asarray(layer.lat, dtype=float),
            s=sizes**2,
            c=[(*_rgba(layer.colour)[:3], _rgba(layer.colour)[3] * layer.alpha)],
            linewidths=0,
            zorder=4 + order,
        )
        artist.set_gid(f"map-markers-{layer.name}")
        artists.append(artist)
    return artists + _draw_badges(ax, content.badges, k)


def _draw_badges(ax, badges: dict[str, list], k: float) -> list:
    """The count badges, as on screen: a dark disc with the number of incidents on the spot, over
    the markers and the names (zorder above both)."""
    if not badges["count"]:
        return []
    lon = np.asarray(badges["lon"], dtype=float) * k
    lat = np.asarray(badges["lat"], dtype=float)
    discs = ax.scatter(
        lon, lat, s=(style.BADGE_SIZE * PT_PER_PX) ** 2, c=[_rgba(style.BADGE_FILL)], linewidths=0, zorder=40
    )
    discs.set_gid("map-badges")
    numbers = [
        ax.text(
            x,
            y,
            str(count),
            color=style.BADGE_TEXT,
            fontsize=style.BADGE_TEXT_SIZE * PT_PER_PX,
            fontfamily=FONT,
            ha="center",
            va="center_baseline",
            zorder=41,
        )
        for x, y, count in zip(lon, lat, badges["count"], strict=True)
    ]
    return [discs, *numbers]


@dataclass(frozen=True)
class LegendItem:
    kind: str  # "event", "sizes", "unknown", "ring", "selected", "fill", "label", "scale"
    label: str
    colour: str = ""
    width: float = 0.0  # symbol width in px at 1x (before the label)


def _legend_items(spec: ExportSpec) -> list[LegendItem]:
    items = [LegendItem("event", t, style.EVENT_COLOURS[t], 14) for t in spec.event_types]
    sizes = [style.marker_size(v) for _, v in SIZE_LEGEND]
    items.append(LegendItem("sizes", style.SIZE_MEANING, width=sum(sizes) + 26 * len(sizes)))
    items.append(LegendItem("unknown", "Casualties unknown", width=14))
    items.append(LegendItem("ring", "Approximate location", width=style.HALO_SIZE["town"]))
    if spec.selected:
        items.append(LegendItem("selected", "Highlighted incident", width=style.SELECTED_SIZE * 0.6))
    if spec.content.shade_max > 0:  # the screen legend's classes, one swatch each
        items.append(LegendItem("label", "Incidents per municipality:"))
        items += [
            LegendItem("fill", label, colour, 18)
            for label, colour in style.shading_legend(int(spec.content.shade_max))
        ]
    elif spec.municipalities is not None and spec.north:
        items.append(LegendItem("fill", "North Kosovo", style.NORTH_FILL, 18))
        items.append(LegendItem("fill", "Other municipalities", style.MUNICIPALITY_FILL, 18))
    elif spec.municipalities is not None:
        items.append(LegendItem("fill", "Boundary layer", style.MUNICIPALITY_FILL, 18))
    items.append(LegendItem("scale", "", width=0))
    return items


SCALE_BAR_PX: Final = 110


def _item_width(item: LegendItem, size: float, unit: float) -> float:
    if item.kind == "scale":
        return SCALE_BAR_PX * unit + _text_width("000 km", size, False) + 6 * unit
    label = item.label + (":" if item.kind == "sizes" else "")
    return item.width * unit + 6 * unit + _text_width(label, size, False)


def _legend_rows(items: list[LegendItem], width: float, size: float, unit: float) -> list[list[LegendItem]]:
    rows: list[list[LegendItem]] = [[]]
    used = 0.0
    gap = 18 * unit
    for item in items:
        need = _item_width(item, size, unit)
        if rows[-1] and used + gap + need > width:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0) + need
        rows[-1].append(item)
    return rows


def _row_height(row: list[LegendItem], size: float, unit: float) -> float:
    tallest = max([style.MAX_MARKER if i.kind == "sizes" else 0 for i in row] + [size * 1.4])
    if any(i.kind == "ring" for i in row):
        tallest = max(tallest, style.HALO_SIZE["town"])
    if any(i.kind == "selected" for i in row):
        tallest = max(tallest, style.SELECTED_SIZE * 0.6)
    return tallest * unit + 4 * unit


def _legend_height(items: list[LegendItem], width: float, size: float, unit: float) -> float:
    if not items:
        return 0.0
    return sum(_row_height(row, size, unit) for row in _legend_rows(items, width, size, unit))


def _draw_legend(
    overlay, items, box: Box, size: float, unit: float, boxes, spec: ExportSpec, deg_per_px: float
):
    """The legend in flowing rows; each entry is one group (``legend-N``) in SVG."""
    gap = 18 * unit
    y = box.y
    number = 0
    for row in _legend_rows(items, box.width, size, unit):
        row_height = _row_height(row, size, unit)
        middle = y + row_height / 2
        x = box.x
        for item in row:
            start = x
            artists: list = []

            def dot(px, diameter, colour, alpha=1.0, edge="none", middle=middle):
                d = diameter * unit * PT_PER_PX
                colour_rgba = _rgba(colour)
                return overlay.scatter(
                    [px],
                    [middle],
                    s=d**2,
                    c=[(*colour_rgba[:3], colour_rgba[3] * alpha)],
                    edgecolors=edge,
                    linewidths=0.6 if edge != "none" else 0,
                )

            def label(px, words, middle=middle):
                return overlay.text(
                    px,
                    middle,
                    words,
                    fontsize=size * PT_PER_PX,
                    fontfamily=FONT,
                    color="#222222",
                    va="center_baseline",
                    ha="left",
                )

            if item.kind == "event":
                artists.append(dot(x + 7 * unit, 12, item.colour, style.MARKER_OPACITY))
                x += item.width * unit + 6 * unit
                artists.append(label(x, item.label))
                x += _text_width(item.label, size, False)
            elif item.kind == "sizes":
                artists.append(label(x, item.label + ":"))
                x += _text_width(item.label + ":", size, False) + 6 * unit
                for words, value in SIZE_LEGEND:
                    diameter = style.marker_size(value)
                    artists.append(dot(x + diameter * unit / 2, diameter, "#8c8c8c"))
                    x += diameter * unit + 3 * unit
                    artists.append(label(x, words))
                    x += 23 * unit
            elif item.kind == "unknown":
                artists.append(dot(x + 7 * unit, 12, "#8c8c8c"))
                artists.append(dot(x + 7 * unit, style.UNKNOWN_MARK_SIZE, "#ffffff"))
                x += item.width * unit + 6 * unit
                artists.append(label(x, item.label))
                x += _text_width(item.label, size, False)
            elif item.kind == "ring":
                centre = x + item.width * unit / 2
                artists.append(dot(centre, style.HALO_SIZE["town"], style.APPROXIMATE_HALO))
                artists.append(dot(centre, 10, "#8c8c8c"))
                x += item.width * unit + 6 * unit
                artists.append(label(x, item.label))
                x += _text_width(item.label, size, False)
            elif item.kind == "selected":
                centre = x + item.width * unit / 2
                artists.append(dot(centre, style.SELECTED_SIZE * 0.6, style.SELECTED_FILL))
                artists.append(dot(centre, 10, "#8c8c8c"))
                x += item.width * unit + 6 * unit
                artists.append(label(x, item.label))
                x += _text_width(item.label, size, False)
            elif item.kind == "fill":
                from matplotlib.patches import Rectangle

                patch = Rectangle(
                    (x, middle - 6 * unit),
                    18 * unit,
                    12 * unit,
                    facecolor=item.colour,
                    edgecolor=style.BOUNDARY_LINE,
                    linewidth=0.6,
                )
                overlay.add_patch(patch)
                artists.append(patch)
                x += item.width * unit + 6 * unit
                artists.append(label(x, item.label))
                x += _text_width(item.label, size, False)
            elif item.kind == "label":
                artists.append(label(x, item.label))
                x += _text_width(item.label, size, False)
            elif item.kind == "scale":
                km_per_px = deg_per_px * 111.32
                km = _nice_km(SCALE_BAR_PX * unit * km_per_px)
                length = km / km_per_px
                (bar,) = overlay.plot(
                    [x, x, x + length, x + length],
                    [middle - 4 * unit, middle + 3 * unit, middle + 3 * unit, middle - 4 * unit],
                    color="#222222",
                    linewidth=1.2,
                    solid_joinstyle="miter",
                )
                artists.append(bar)
                x += length + 6 * unit
                artists.append(label(x, f"{km:g} km"))
                x += _text_width(f"{km:g} km", size, False)
            for artist in artists:
                artist.set_gid(f"legend-{number}-{item.kind}-{len(boxes)}-{id(artist) % 10_000}")
            boxes[f"legend-{number}"] = Box(start, middle - row_height / 2, x - start, row_height)
            number += 1
            x += gap
        y += row_height


# --- Rendering ------------------------------------------------------------------------------------


def save(drawing: Drawing, spec: ExportSpec, image_format: str, scale: float) -> bytes:
    """The drawing as PNG, SVG or PDF bytes, with title, subject and creator in the metadata."""
    import matplotlib

    buffer = io.BytesIO()
    meta = spec.metadata
    if image_format == "pdf":
        metadata: dict[str, str | None] = {**meta, "Producer": None}
    elif image_format == "svg":
        metadata = {"Title": meta["Title"], "Description": meta["Subject"], "Creator": CREATOR, "Date": None}
    else:
        metadata = {"Title": meta["Title"], "Description": meta["Subject"], "Software": CREATOR}
    # Text as outlines in SVG: it looks the same without the fonts. PDF: Type 3 fonts (vector, searchable;
    # four times quicker to write than TrueType subsets).
    with matplotlib.rc_context({"svg.fonttype": "path", "pdf.fonttype": 3, "svg.hashsalt": "unrest-map"}):
        drawing.figure.savefig(
            buffer,
            format=image_format,
            dpi=PX_PER_INCH * scale,
            metadata=metadata,
            facecolor="white",
        )
    return buffer.getvalue()


class ImageRenderer:
    """Draws exports one at a time, with a bounded queue.

    ``max_waiting`` exports may wait; one more is refused with :class:`ExportBusyError`
    instead of piling up memory. The first export imports matplotlib and loads the font
    (the "cold" cost); later ones reuse both.
    """

    def __init__(self, max_waiting: int = 4) -> None:
        self._slots = threading.BoundedSemaphore(max_waiting + 1)
        self._started = False

    def _ensure_started(self) -> None:
        if not self._started:
            import matplotlib

            matplotlib.use("Agg", force=False)
            _text_width("warm up", 12.0, False)
            self._started = True

    def _acquire(self) -> None:
        if not self._slots.acquire(blocking=False):
            raise ExportBusyError("the server is busy with other exports; try again in a few seconds")

    def draw(self, spec: ExportSpec) -> Drawing:
        """The laid-out drawing (for tests and tools that need the map's box)."""
        self._acquire()
        try:
            with _DRAWING:
                self._ensure_started()
                return draw(spec)
        finally:
            self._slots.release()

    def render(self, spec: ExportSpec, options: ExportOptions | None = None) -> bytes:
        # The framing was settled with the spec's extent (a "screen" fit with no camera frames the
        # country): taking the caller's back left the country with no margin, touching the frame.
        options = replace((options or spec.options).validated(), fit=spec.options.fit)
        if options != spec.options:
            spec = replace(spec, options=options)
        self._acquire()
        try:
            with _DRAWING:
                self._ensure_started()
                drawing = draw(spec)
                return save(drawing, spec, options.format, options.scale)
        finally:
            self._slots.release()

    def frames(
        self,
        specs: Iterator[ExportSpec],
        cancelled: Callable[[], bool] = lambda: False,
        obstacles: FrameContent | None = None,
    ) -> Iterator[np.ndarray]:
        """RGB frames of an animation: the layout is drawn once, each frame redraws what moves;
        ``obstacles``: what the names, placed with the first frame, keep clear of (see :func:`draw`)."""
        self._acquire()
        try:
            with _DRAWING:
                self._ensure_started()
                drawing: Drawing | None = None
                background = None
                for spec in specs:
                    if cancelled():
                        raise ExportError("cancelled")
                    if drawing is None:
                        drawing = draw(spec, animated=True, obstacles=obstacles)
                        drawing.figure.set_dpi(PX_PER_INCH * spec.options.scale)
                        canvas = drawing.figure.canvas
                        canvas.draw()  # everything but the animated artists
                        background = canvas.copy_from_bbox(drawing.figure.bbox)
                    else:
                        _update_frame(drawing, spec)
                    canvas.restore_region(background)
                    for artist in sorted([*drawing.animated, *drawing.dynamic], key=lambda a: a.zorder):
                        drawing.figure.draw_artist(artist)
                    yield np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
        finally:
            self._slots.release()

    def close(self) -> None:
        self._started = False


def _update_frame(drawing: Drawing, spec: ExportSpec) -> None:
    """Swap in a frame's markers, fills, dates and count; everything else stays where it is."""
    for artist in drawing.dynamic:
        artist.remove()
    ax = drawing.figure.axes[1]
    k = math.cos(math.radians((drawing.extent[1] + drawing.extent[3]) / 2))
    drawing.dynamic = _draw_markers(ax, spec.content, k)
    for artist in drawing.dynamic:
        artist.set_animated(True)
    if drawing.municipality_artist is not None:
        drawing.municipality_artist.set_facecolor(
            [(*_rgba(c)[:3], spec.content.fill_alpha) for c in spec.content.fills]
        )
    if "dates" in drawing.texts:
        drawing.texts["dates"].set_text(f"{spec.content.dates} · {spec.content.count}")


# --- Animation ------------------------------------------------------------------------------------


def animation_windows(
    first: date, last: date, step_days: int, window_days: int | None
) -> Iterator[tuple[date, date]]:
    """The date window of each frame; ``window_days`` None means cumulative from ``first``."""
    if step_days < 1:
        raise ExportError(f"step must be at least 1 day, not {step_days}")
    if window_days is not None and window_days < 1:
        raise ExportError(f"window must be at least 1 day, not {window_days}")
    end = first + timedelta(days=(window_days or 1) - 1)
    while True:
        end = min(end, last)
        start = first if window_days is None else max(first, end - timedelta(days=window_days - 1))
        yield start, end
        if end >= last:
            return
        end += timedelta(days=step_days)


def animation_frames(
    dataset: Dataset,
    state: ViewState,
    options: ExportOptions,
    step_days: int = 1,
    window_days: int | None = 7,
) -> tuple[int, Iterator[ExportSpec], FrameContent]:
    """An animation's frames: their number; their specs, one per window, made as they are drawn (each
    with the legend, framing and shading scale of the whole range); and what the names, placed once,
    keep clear of: the markers and badges of the whole range, which hold every frame's."""
    first, last = _window(dataset, state)
    windows = list(animation_windows(first, last, step_days, window_days))
    if len(windows) > MAX_FRAMES:
        raise ExportError(f"{len(windows)} frames is over the limit of {MAX_FRAMES}: use a larger --step")
    whole = apply_filter(dataset.incidents, replace(state.filter, start=first, end=last))
    present = set(whole["event_type"].astype(str))
    legend_types = tuple(t for t in figures.EVENT_TRACES if t in present)
    if options.fit == "screen" and not has_camera(state):
        options = replace(options, fit="country")
    extent = _extent(dataset, whole, options, state)
    # One shading scale for every frame: the most any municipality has in any window.
    shade_max = None
    if state.shade and dataset.boundaries is not None:
        shade_max = 1.0
        for start, end in windows:
            counts = apply_filter(whole, replace(state.filter, start=start, end=end))["municipality"]
            shade_max = max(shade_max, float(counts.value_counts().max()) if len(counts) else 0.0)

    def specs() -> Iterator[ExportSpec]:
        for start, end in windows:
            frame_state = replace(state, filter=replace(state.filter, start=start, end=end))
            yield export_figure(
                dataset, frame_state, options, legend_types=legend_types, extent=extent, shade_max=shade_max
            )

    # The names are placed once, with the first frame: clear of the markers and badges of the whole
    # range (a superset of every frame's), or a later frame's marker ran through one (Mitrovica's
    # riots through "North Mitrovica").
    everything = replace(state, filter=replace(state.filter, start=first, end=last))
    obstacles = export_figure(
        dataset, everything, options, legend_types=legend_types, extent=extent, shade_max=shade_max
    ).content
    return len(windows), specs(), obstacles


def export_animation(
    dataset: Dataset,
    state: ViewState,
    renderer: ImageRenderer,
    options: ExportOptions,
    step_days: int = 1,
    window_days: int | None = 7,
    fps: float = 4,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    video: str = "gif",
) -> bytes:
    """An animated GIF or an MP4: one frame per step, each with its dates; legend and framing fixed.

    The legend lists every event type seen in the whole range and the framing covers the
    whole range, so nothing jumps from frame to frame.
    """
    if video not in ANIMATION_FORMATS:
        raise ExportError(f"animation format must be one of {', '.join(ANIMATION_FORMATS)}, not {video!r}")
    if not 0 < fps <= MAX_FPS:
        raise ExportError(f"fps must be above 0 and at most {MAX_FPS}, not {fps}")
    options = replace(options, format="png").validated()
    count, specs, obstacles = animation_frames(dataset, state, options, step_days, window_days)
    frames = []
    for index, frame in enumerate(renderer.frames(specs, cancelled, obstacles)):
        frames.append(frame)
        if progress:
            progress(index + 1, count)
    if video == "mp4":
        return _mp4(frames, fps)
    return _gif(frames, fps)


def _gif(frames: list[np.ndarray], fps: float) -> bytes:
    from PIL import Image

    # One palette for every frame, taken from all of them: colours (and the legend) do not
    # flicker, and a colour that appears late is still in it.
    sample = np.concatenate([f[::3, ::3] for f in frames[:: max(1, len(frames) // 24)]])
    # The style's colours get rows of their own: a small legend dot must not lose its hue.
    key = [_rgba(c)[:3] for c in (*style.EVENT_COLOURS.values(), style.NORTH_FILL, style.MUNICIPALITY_FILL)]
    swatches = np.repeat(np.round(np.array(key) * 255).astype(np.uint8)[:, None, :], sample.shape[1], axis=1)
    sample = np.concatenate([sample, *[swatches] * 8])
    palette = Image.fromarray(sample).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0
    )
    return buffer.getvalue()


def _mp4(frames: list[np.ndarray], fps: float) -> bytes:
    """H.264 in MP4 via imageio-ffmpeg (its own ffmpeg, or IMAGEIO_FFMPEG_EXE)."""
    import imageio_ffmpeg

    height, width = frames[0].shape[:2]
    # yuv420p needs even sides: pad one white pixel rather than resize.
    even_h, even_w = height + height % 2, width + width % 2
    with tempfile.TemporaryDirectory(prefix="unrest-map-") as folder:
        path = os.path.join(folder, "animation.mp4")
        writer = imageio_ffmpeg.write_frames(
            path,
            (even_w, even_h),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            macro_block_size=1,
            quality=7,
            ffmpeg_log_level="error",
            output_params=["-movflags", "+faststart"],
        )
        writer.send(None)
        for frame in frames:
            if (even_h, even_w) != (height, width):
                padded = np.full((even_h, even_w, 3), 255, dtype=np.uint8)
                padded[:height, :width] = frame
                frame = padded
            writer.send(np.ascontiguousarray(frame))
        writer.close()
        with open(path, "rb") as handle:
            return handle.read()


def frame_count(dataset: Dataset, state: ViewState, step_days: int, window_days: int | None) -> int:
    first, last = _window(dataset, state)
    return sum(1 for _ in animation_windows(first, last, step_days, window_days))


def file_name(dataset: Dataset, state: ViewState, extension: str) -> str:
    """A descriptive, filesystem-safe name: dataset, dates, filters."""
    start, end = _window(dataset, state)
    parts = [dataset.title, f"{start:%Y-%m-%d}_to_{end:%Y-%m-%d}"]
    view = state.filter
    for values in (view.event_types, view.sides, view.municipalities, view.place_kinds):
        if values:
            parts.append("+".join(values))
    if view.casualties_only:
        parts.append("casualties")
    if view.text:
        parts.append(f"text-{view.text}")
    slug = re.sub(r"[^A-Za-z0-9._+-]+", "-", "_".join(parts)).strip("-_")[:150]
    return f"{slug or 'unrest-map'}.{extension}"
