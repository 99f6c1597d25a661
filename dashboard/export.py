"""Export a view as an image (PNG, SVG, PDF) or the timeline as an animated GIF.

One function, :func:`export_figure`, turns a view into a finished figure (map plus a
caption: title, date range, filters in words, count, legends, attribution). The
dashboard, ``unrest-map export-image`` and ``export-animation`` all call it, so they
cannot drift apart. Rendering uses kaleido with the system's Chromium, kept warm
by an :class:`ImageRenderer` so the second export is fast.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

import plotly.graph_objects as go

from dashboard import figures, offline, style
from dashboard.viewstate import ViewState
from geodata.dataset import Dataset
from geodata.filters import apply_filter

FORMATS: Final = ("png", "svg", "pdf")
#: Upper limits, checked before any rendering starts.
MAX_SIDE: Final = 4000
MIN_SIDE: Final = 200
MAX_SCALE: Final = 4.0
MAX_PIXELS: Final = 40_000_000  # width × height × scale², about 160 MB of RGBA
MAX_FRAMES: Final = 400
MAX_FPS: Final = 30
#: Aspect choices offered by the dashboard: (width, height) at 1x.
ASPECTS: Final = {"4:3": (1200, 900), "16:9": (1600, 900), "A4 landscape": (1403, 992)}
CAPTION_HEIGHT_PX: Final = 200


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

    def validated(self) -> ExportOptions:
        """These options, or :class:`ExportError` naming the first value out of bounds."""
        if self.format not in FORMATS:
            raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
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


def caption_lines(dataset: Dataset, state: ViewState, count: int, basemap: str = "none") -> list[str]:
    """The caption in words (also used for file names and tests)."""
    start, end = _window(dataset, state)
    filters = state.filter.describe()
    lines = [
        f"{dataset.title}: {start:%-d %B %Y} – {end:%-d %B %Y}",
        ("Filters: " + "; ".join(filters)) if filters else "All incidents (no filters)",
        f"{count:,} incident{'s' if count != 1 else ''} shown",
    ]
    if state.selected:
        lines[2] += f"; highlighted: {state.selected}"
    if basemap in figures.ONLINE_BASEMAPS:
        lines.append(f"Basemap '{basemap}' is online-only and is not drawn in exports.")
    return lines


def export_figure(
    dataset: Dataset, state: ViewState, options: ExportOptions = ExportOptions(), basemap: str = "none"
) -> go.Figure:
    """The finished figure for a view: the map as the dashboard shows it, plus caption and legends."""
    options = options.validated()
    visible = apply_filter(dataset.incidents, state.filter)
    center = {"lat": state.lat, "lon": state.lon} if state.lat is not None and state.lon is not None else None
    # Exports never depend on tile servers: always the offline style, its label glyphs read from
    # disk (kaleido's page is a file:// one, and its Chromium may read local files).
    fig = figures.map_figure(
        dataset,
        visible,
        state.selected,
        state.shade,
        "none",
        center,
        state.zoom,
        glyphs=offline.file_glyphs_url(),
    )
    caption_px = CAPTION_HEIGHT_PX if options.caption else 28
    bottom = caption_px / options.height
    fig.update_layout(
        width=options.width,
        height=options.height,
        map_domain={"x": [0, 1], "y": [bottom, 1]},
        showlegend=options.legend,
        # In the caption band, below the map, so it never hides incidents or the map's attribution.
        legend={
            "x": 1,
            "xanchor": "right",
            "y": bottom - 0.004,
            "yanchor": "top",
            "bgcolor": "rgba(0,0,0,0)",
            "tracegroupgap": 0,
            "font": {"size": 11},
        },
        paper_bgcolor="white",
        font={"family": "DejaVu Sans, Arial, sans-serif"},
    )
    attribution = f"{dataset.boundaries.attribution if dataset.boundaries else 'No boundary layer'} · " + (
        dataset.source_attribution
    )
    annotations = [_text(attribution, 0.005, 0.004, 10, "#555", yanchor="bottom")]
    if options.caption:
        lines = caption_lines(dataset, state, len(visible), basemap)
        top = bottom - 0.01
        annotations.append(_text(f"<b>{_escape(lines[0])}</b>", 0.01, top, 18, style.COUNTRY_LINE))
        for index, line in enumerate(lines[1:], start=1):
            annotations.append(
                _text(_escape(line), 0.01, top - index * 24 / options.height - 0.012, 13, "#333")
            )
        if options.legend:
            fig.update_layout(shapes=[*fig.layout.shapes, *_size_legend(options, bottom)])
            annotations += _size_legend_labels(options, bottom)
    fig.update_layout(annotations=annotations)
    return fig


def _escape(text: str) -> str:
    # Plotly annotations understand a few HTML tags; data text must show literally.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(text: str, x: float, y: float, size: int, colour: str, yanchor: str = "top") -> dict:
    return {
        "text": text,
        "x": x,
        "y": y,
        "xref": "paper",
        "yref": "paper",
        "xanchor": "left",
        "yanchor": yanchor,
        "showarrow": False,
        "align": "left",
        "font": {"size": size, "color": colour},
    }


SIZE_LEGEND: Final = (("0", 0.0), ("10", 10.0), ("100", 100.0))


def _size_legend(options: ExportOptions, bottom: float) -> list[dict]:
    """Circles showing marker size for 0, 10 and 100 dead + injured (drawn in pixels)."""
    shapes = []
    x_px = options.width * 0.52
    y_px = options.height * bottom * 0.55
    for _, value in SIZE_LEGEND:
        radius = style.marker_size(value) / 2
        shapes.append(
            {
                "type": "circle",
                "xref": "paper",
                "yref": "paper",
                "x0": (x_px - radius) / options.width,
                "x1": (x_px + radius) / options.width,
                "y0": (y_px - radius) / options.height,
                "y1": (y_px + radius) / options.height,
                "fillcolor": "#999",
                "line": {"color": "#555", "width": 1},
            }
        )
        x_px += 2 * radius + 40
    return shapes


def _size_legend_labels(options: ExportOptions, bottom: float) -> list[dict]:
    labels = [_text("Marker size: dead + injured", 0.52 - 10 / options.width, bottom * 0.95, 11, "#333")]
    x_px = options.width * 0.52
    for text, value in SIZE_LEGEND:
        radius = style.marker_size(value) / 2
        labels.append(
            _text(text, (x_px + radius + 3) / options.width, bottom * 0.55 + 6 / options.height, 11, "#333")
        )
        x_px += 2 * radius + 40
    return labels


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


def find_browser() -> str:
    """The Chrome or Chromium kaleido will use; nothing is ever downloaded."""
    candidates = [os.environ.get("BROWSER_PATH", "")]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome", "chrome")]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate
    raise ExportError(
        "image export needs Chrome or Chromium and none was found: install it "
        "(Debian/Ubuntu: apt-get install chromium) or set BROWSER_PATH to its executable"
    )


class ImageRenderer:
    """One warm kaleido browser for many exports, with a bounded queue.

    ``max_waiting`` exports may wait for the browser; one more is refused with
    :class:`ExportBusyError` instead of piling up memory.
    """

    def __init__(self, max_waiting: int = 4) -> None:
        self._slots = threading.BoundedSemaphore(max_waiting + 1)
        self._render_lock = threading.Lock()
        self._started = False

    def _ensure_started(self) -> None:
        if not self._started:
            import kaleido
            from kaleido._sync_server import GlobalKaleidoServer

            server = GlobalKaleidoServer()
            thread = getattr(server, "_thread", None)
            if server.is_running() and thread is not None and not thread.is_alive():
                # A background job forked from a process whose server was running: the flag
                # came along, the thread did not. Start a fresh server in this process.
                server._initialized = False
            os.environ.setdefault("BROWSER_PATH", find_browser())
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
            self._started = True

    def render(self, fig: go.Figure, options: ExportOptions) -> bytes:
        options = options.validated()
        if not self._slots.acquire(blocking=False):
            raise ExportBusyError("the server is busy with other exports; try again in a few seconds")
        try:
            with self._render_lock:
                self._ensure_started()
                import warnings

                import plotly.io as pio

                with warnings.catch_warnings():  # plotly warns that kaleido's server ignores its options
                    warnings.filterwarnings("ignore", message="The kopts argument is ignored")
                    return pio.to_image(
                        fig,
                        format=options.format,
                        width=options.width,
                        height=options.height,
                        scale=options.scale,
                        validate=False,
                    )
        finally:
            self._slots.release()

    def close(self) -> None:
        if self._started:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            self._started = False


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
) -> bytes:
    """An animated GIF: one frame per step, each with its dates in the caption."""
    from PIL import Image

    if not 0 < fps <= MAX_FPS:
        raise ExportError(f"fps must be above 0 and at most {MAX_FPS}, not {fps}")
    options = replace(options, format="png").validated()
    first, last = _window(dataset, state)
    windows = list(animation_windows(first, last, step_days, window_days))
    if len(windows) > MAX_FRAMES:
        raise ExportError(f"{len(windows)} frames is over the limit of {MAX_FRAMES}: use a larger --step")
    frames = []
    for index, (start, end) in enumerate(windows):
        if cancelled():
            raise ExportError("cancelled")
        frame_state = replace(state, filter=replace(state.filter, start=start, end=end))
        png = renderer.render(export_figure(dataset, frame_state, options), options)
        frames.append(
            Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=255, dither=Image.Dither.NONE)
        )
        if progress:
            progress(index + 1, len(windows))
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(1000 / fps),
        loop=0,
        optimize=False,
    )
    return buffer.getvalue()


def frame_count(dataset: Dataset, state: ViewState, step_days: int, window_days: int | None) -> int:
    first, last = _window(dataset, state)
    return sum(1 for _ in animation_windows(first, last, step_days, window_days))
