"""Exports: open every file and check it (size, format, pixels, text, frames)."""

from __future__ import annotations

import base64
import io
import itertools
import subprocess
import sys
from dataclasses import replace
from datetime import date
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageSequence
from pypdf import PdfReader

from dashboard import figures, style
from dashboard.export import (
    MAX_FRAMES,
    ExportBusyError,
    ExportError,
    ExportOptions,
    ImageRenderer,
    _rgba,
    animation_frames,
    animation_windows,
    camera_extent,
    caption_lines,
    draw,
    export_animation,
    export_figure,
    file_name,
    frame_count,
    screen_sized,
)
from dashboard.viewstate import ViewState
from geodata.filters import ViewFilter, apply_filter
from tests.views import drawn_layer

MARCH = ViewState(
    filter=ViewFilter(start=date(2008, 3, 1), end=date(2008, 3, 31), event_types=("Riots",)),
    selected="KOS-2008-14",
)


def colour_present(image: Image.Image, hex_colour: str, tolerance: int = 12) -> int:
    """How many pixels are within ``tolerance`` of a colour."""
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels - target).max(axis=-1) <= tolerance).sum())


def test_png_has_requested_size_and_marker_colours(dataset, renderer):
    options = ExportOptions(width=900, height=700, scale=2)
    png = renderer.render(export_figure(dataset, MARCH, options), options)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1800, 1400)
    assert len(np.unique(np.asarray(image.convert("L")))) > 50  # not blank
    assert colour_present(image, style.EVENT_COLOURS["Riots"]) > 100
    assert colour_present(image, style.EVENT_COLOURS["Battles"]) < 20  # filtered out


def test_caption_in_words(dataset):
    lines = caption_lines(dataset, MARCH, 2)
    assert lines == [
        "2008 unrest in Kosovo",
        "1 March 2008 – 31 March 2008",
        "Filters: Event type: Riots",
        "2 incidents shown; highlighted: KOS-2008-14",
    ]


def test_export_draws_the_dashboards_own_traces(dataset):
    """Same incidents, sizes, colours, rings and selection as the map on screen."""
    visible = apply_filter(dataset.incidents, MARCH.filter)
    screen = figures.map_figure(dataset, visible, MARCH.selected).data[figures.TRACE_INDEX["incidents"]]
    layers = {layer.name: layer for layer in export_figure(dataset, MARCH).content.layers}
    colours = dict(zip(figures.MARK_LAYERS, figures.mark_colours(), strict=True))
    for name in figures.MARK_LAYERS:
        points = drawn_layer(screen.marker.color, name)
        lon, lat = np.asarray(screen.lon, float)[points], np.asarray(screen.lat, float)[points]
        assert np.allclose(np.asarray(layers[name].lon, float), lon, atol=1e-5), name
        assert np.allclose(np.asarray(layers[name].lat, float), lat, atol=1e-5), name
        if len(points):
            sizes = np.broadcast_to(np.asarray(layers[name].sizes), (len(points),))
            assert list(sizes) == list(np.asarray(screen.marker.size)[points]), name
        if name in figures.EVENT_TRACES:
            assert colours[name] == style.with_alpha(layers[name].colour, layers[name].alpha)
    assert len(layers["selected"].lon) == 1 and len(layers["Riots"].lon) > 0
    assert len(layers["Battles"].lon) == 0  # filtered out, as on screen


def test_svg_map_is_vector(dataset, renderer):
    svg = renderer.render(export_figure(dataset, MARCH, ExportOptions(format="svg"))).decode("utf-8")
    root = ElementTree.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg", "xlink": "http://www.w3.org/1999/xlink"}
    for image in root.iter("{http://www.w3.org/2000/svg}image"):
        href = image.get("{http://www.w3.org/1999/xlink}href") or image.get("href") or ""
        assert len(href) < 10_000, "a raster image over 10 kB in the SVG"
    groups = {g.get("id"): g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id")}
    municipalities = groups["map-municipalities"].findall(".//svg:path", ns)
    assert len(municipalities) == len(dataset.boundaries.municipalities)
    assert all(len(p.get("d", "")) > 100 for p in municipalities)  # real outlines, not boxes
    assert groups["map-outline"].findall(".//svg:path", ns)
    riots = groups["map-markers-Riots"]
    assert riots.findall(".//svg:use", ns) or riots.findall(".//svg:path", ns)
    labels = [
        g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id", "").startswith("map-label")
    ]
    # Names as glyph outlines; one that would overlap a name already placed is left out (issue 12).
    assert len(dataset.boundaries.municipalities) - 4 <= len(labels) <= len(dataset.boundaries.municipalities)
    assert "2008 unrest in Kosovo" in svg and "OpenStreetMap contributors" in svg  # text comments


def test_pdf_has_no_raster_map_and_carries_metadata(dataset, renderer):
    pdf = renderer.render(export_figure(dataset, MARCH, ExportOptions(format="pdf", width=1123, height=794)))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert not page.images, "the PDF holds a raster image"
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 596)  # A4
    meta = reader.metadata
    assert meta.title == "2008 unrest in Kosovo: 1 March 2008 – 31 March 2008"
    assert "Event type: Riots" in meta.subject and "highlighted: KOS-2008-14" in meta.subject
    assert meta.creator == "unrest-map"
    text = page.extract_text()
    assert "2008 unrest in Kosovo" in text and "OpenStreetMap contributors" in text
    assert text.count("OpenStreetMap contributors") == 1  # attribution once


def _extreme_points(dataset) -> list[tuple[float, float]]:
    """The westmost, eastmost, southmost and northmost vertices of the country outline."""
    xy = np.vstack(
        [
            np.asarray(part.exterior.coords)
            for g in dataset.boundaries.country.geometry
            for part in getattr(g, "geoms", [g])
        ]
    )
    return [
        tuple(xy[i]) for i in (xy[:, 0].argmin(), xy[:, 0].argmax(), xy[:, 1].argmin(), xy[:, 1].argmax())
    ]


@pytest.mark.parametrize(
    "size", [(1200, 800), (1200, 900), (939, 560), (794, 1123), (1123, 794), (600, 400), (1600, 900)]
)
def test_png_shows_the_whole_country_above_the_caption(dataset, renderer, size):
    """At each extreme point of Kosovo's outline the PNG shows the outline colour, inside the map."""
    options = ExportOptions(width=size[0], height=size[1])
    spec = export_figure(dataset, MARCH, options)
    drawing = renderer.draw(spec)
    image = np.asarray(Image.open(io.BytesIO(renderer.render(spec))).convert("RGB"), dtype=int)
    box = drawing.map_box
    line = np.array([int(style.COUNTRY_LINE[i : i + 2], 16) for i in (1, 3, 5)])
    for lon, lat in _extreme_points(dataset):
        x, y = drawing.to_pixels(lon, lat)
        assert box.x + 2 <= x <= box.x + box.width - 2 and box.y + 2 <= y <= box.bottom - 2, (lon, lat)
        near = image[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3]
        assert (np.abs(near - line).max(axis=-1) <= 40).any(), f"no outline drawn at {lon}, {lat}"
    for name, caption in drawing.boxes.items():
        assert not caption.overlaps(box), f"{name} is over the map"
        assert caption.bottom <= size[1] and caption.x + caption.width <= size[0] + 1, f"{name} off the page"
    # No empty band: the map fills the width, and the room between header and footer.
    assert box.width >= size[0] - 2 * 0.05 * size[0]


def test_png_draws_the_count_badges_of_the_screen(dataset, renderer):
    """Each spot holding several incidents carries the screen's dark disc (a number in white on it)."""
    state = ViewState(filter=ViewFilter(event_types=("Riots", "Protests"), end=date(2008, 3, 31)))
    visible = apply_filter(dataset.incidents, state.filter)
    spec = export_figure(dataset, state, ExportOptions(width=1000, height=750, fit="incidents"))
    badges = figures.badges(visible)
    assert spec.content.badges == badges and badges["count"]
    drawing = renderer.draw(spec)
    image = np.asarray(Image.open(io.BytesIO(renderer.render(spec))).convert("RGB"), dtype=int)
    fill = np.array(_rgba(style.BADGE_FILL)[:3]) * 255
    for lon, lat in zip(badges["lon"], badges["lat"], strict=True):
        x, y = (round(v) for v in drawing.to_pixels(lon, lat))
        disc = image[y - 7 : y + 8, x - 7 : x + 8].reshape(-1, 3)
        assert (np.abs(disc - fill).max(axis=-1) <= 40).sum() > 40, (lon, lat)  # the dark disc
        assert (disc.min(axis=-1) >= 200).any(), (lon, lat)  # and the white number on it
    svg = renderer.render(export_figure(dataset, state, ExportOptions(format="svg", fit="incidents")))
    assert b'id="map-badges"' in svg


def test_north_kosovo_keeps_its_outline_when_shaded(dataset, renderer):
    """As on screen: shading changes the fills, and North Kosovo's heavier outline stays."""
    state = ViewState(filter=ViewFilter(), shade=True)
    spec = export_figure(dataset, state, ExportOptions(width=1000, height=750))
    north = dataset.boundaries.municipalities["north_kosovo"].to_numpy(dtype=bool)
    assert [o == (style.NORTH_OUTLINE, style.NORTH_WIDTH) for o in spec.content.outlines] == list(north)
    image = np.asarray(Image.open(io.BytesIO(renderer.render(spec))).convert("RGB"), dtype=int)
    outline = np.array(_rgba(style.NORTH_OUTLINE)[:3]) * 255
    assert (np.abs(image - outline).max(axis=-1) <= 30).sum() > 200  # drawn, not only listed
    svg = renderer.render(export_figure(dataset, state, ExportOptions(format="svg")))
    assert b'id="map-north-outline"' in svg


def test_fit_to_incidents_frames_only_them(dataset, renderer):
    state = ViewState(filter=ViewFilter(start=date(2008, 3, 14), end=date(2008, 3, 20)))
    visible = apply_filter(dataset.incidents, state.filter)
    whole = renderer.draw(export_figure(dataset, state, ExportOptions()))
    fitted = renderer.draw(export_figure(dataset, state, ExportOptions(fit="incidents")))
    span = lambda e: (e[2] - e[0]) * (e[3] - e[1])  # noqa: E731
    assert span(fitted.extent) < 0.7 * span(whole.extent)
    for row in visible.itertuples():
        x, y = fitted.to_pixels(row.lon, row.lat)
        box = fitted.map_box
        assert box.x < x < box.x + box.width and box.y < y < box.bottom, row.id


def test_a_view_with_no_camera_frames_the_country_with_a_margin_whoever_renders_it(dataset, renderer):
    """The command line renders a copied URL with its own options ("as on screen"): with no camera in
    the URL the map frames the country, and the renderer once took the caller's framing back, which
    left the country touching the map's frame (trial)."""
    state = ViewState(filter=ViewFilter(event_types=("Riots",)))
    on_screen = ExportOptions(fit="screen")
    spec = export_figure(dataset, state, on_screen)
    image = np.asarray(Image.open(io.BytesIO(renderer.render(spec, on_screen))).convert("L"), dtype=int)
    country = np.asarray(Image.open(io.BytesIO(renderer.render(spec))).convert("L"), dtype=int)
    assert np.array_equal(image, country)
    box = renderer.draw(spec).map_box
    inside = image[round(box.y) + 2 : round(box.bottom) - 2, round(box.x) + 2 : round(box.x + box.width) - 2]
    outline = np.flatnonzero((inside < 90).any(axis=1))  # the country's dark outline, row by row
    assert outline[0] >= 0.02 * box.height and outline[-1] <= len(inside) - 0.02 * box.height


NORTH = ViewFilter(municipalities=("North Mitrovica", "Zveçan", "Leposaviq", "Zubin Potok"))


@pytest.mark.parametrize(
    ("view", "size", "lang", "scale"),
    [
        (NORTH, (900, 650), "sr", 1),
        (ViewFilter(event_types=("Riots",)), (600, 450), "sq", 2),
        (ViewFilter(start=date(2008, 3, 14), end=date(2008, 3, 20)), (400, 300), "en", 1),
    ],
)
def test_labels_of_a_fitted_export_stay_whole_inside_the_map(dataset, renderer, view, size, lang, scale):
    """Names at the edge of a framing fitted to the incidents are nudged in, never cut by the map's edge
    (the new-user trial saw cut ones); a municipality whose point falls just off the map keeps its name."""
    options = ExportOptions(width=size[0], height=size[1], scale=scale, fit="incidents")
    drawing = renderer.draw(export_figure(dataset, ViewState(filter=view, lang=lang), options))
    figure = drawing.figure
    figure.set_dpi(96 * scale)
    figure.canvas.draw()
    drawn = figure.canvas.get_renderer()
    edge = next(a for a in figure.axes if a.patch.get_gid() == "map-area").get_window_extent(drawn)
    labels = figure.findobj(lambda a: hasattr(a, "get_gid") and a.get_gid() == "map-label")
    assert len(labels) >= 4
    # The glyphs' box as drawn, grown by half the halo's stroke (a path effect is not in the box).
    halos = figure.findobj(lambda a: hasattr(a, "get_gid") and a.get_gid() == "halo-map-label")
    stroke_pt = max(halo.get_path_effects()[0]._gc["linewidth"] for halo in halos)
    halo = stroke_pt / 2 * figure.dpi / 72
    for label in labels:
        box = label.get_window_extent(drawn)
        inside = (
            box.x0 - halo >= edge.x0,
            box.x1 + halo <= edge.x1,
            box.y0 - halo >= edge.y0,
            box.y1 + halo <= edge.y1,
        )
        assert all(inside), f"{label.get_text()!r} crosses the map's edge: {box} in {edge}"
    if view == NORTH:
        # Its label point lies just below this framing: the name stands on the map's bottom edge when
        # the municipality has room for it at this scale (figures.name_min_zoom), else it is left out.
        from dashboard.export import names_zoom, text_unit

        lon0, _, lon1, _ = drawing.extent
        zoom = names_zoom(drawing.map_box.width, lon1 - lon0, text_unit(*size))
        labels_sr = figures.municipality_labels(dataset, "sr").set_index("text")
        has_room = labels_sr.loc["Severna Mitrovica", "min_zoom"] <= zoom
        assert ("Severna Mitrovica" in {label.get_text() for label in labels}) == has_room


@pytest.mark.parametrize("lang", ["en", "sq", "sr"])
@pytest.mark.parametrize("size", [(1000, 750), (800, 600)])
def test_names_stand_clear_of_the_count_badges_and_markers(dataset, renderer, lang, size):
    """No name under a count badge (drawn over the names, it hid part of Zvečan) nor, at the README's
    example size, on a marker (Kosovska Mitrovica stood on the Koshutevë one), in any language."""
    spec = export_figure(dataset, ViewState(lang=lang), ExportOptions(width=size[0], height=size[1]))
    drawing = renderer.draw(spec)
    drawn, height, labels = _drawn_names(drawing.figure)
    badges, dots = _badge_and_dot_discs(drawing, spec)
    assert len(labels) >= _names_with_room(dataset, drawing, lang, size) - 3
    for label in labels:
        box = label.get_window_extent(drawn)
        top, bottom = height - box.y1, height - box.y0  # from the top, as the drawing's pixels
        for x, y, radius in badges + (dots if size == (1000, 750) else []):
            gap = np.hypot(max(box.x0 - x, 0, x - box.x1), max(top - y, 0, y - bottom))
            assert gap >= radius, (label.get_text(), (x, y, radius), box)


@pytest.mark.parametrize(("lang", "size"), [("en", (1200, 900)), ("sq", (800, 600))])
def test_no_name_is_crossed_by_the_country_outline(dataset, renderer, lang, size):
    """Pixels: no part of the country's thick outline inside a name's box (it ran through "Hani i
    Elezit", a name wider than its municipality at the border, between the letters' halos)."""
    from matplotlib.colors import to_rgb

    spec = export_figure(dataset, ViewState(lang=lang), ExportOptions(width=size[0], height=size[1]))
    figure = renderer.draw(spec).figure
    drawn, height, labels = _drawn_names(figure)
    pixels = np.asarray(figure.canvas.buffer_rgba())[:, :, :3].astype(int)
    line = np.round(np.array(to_rgb(style.COUNTRY_LINE)) * 255).astype(int)
    outline = np.abs(pixels - line).max(axis=2) < 8  # the line's own colour (its core, not its blur)
    assert outline.sum() > 1000  # the test sees the outline where it is drawn
    assert len(labels) >= 30
    crossed = []
    for label in labels:
        box = label.get_window_extent(drawn)
        rows = slice(int(height - box.y1), int(np.ceil(height - box.y0)))
        columns = slice(int(box.x0), int(np.ceil(box.x1)))
        if outline[rows, columns].any():
            crossed.append((label.get_text(), int(outline[rows, columns].sum())))
    assert crossed == []


def test_screen_framing_shows_what_the_map_on_screen_showed(dataset, renderer):
    """The dialog's default: the view's centre and zoom over the map's size on screen (the trial's
    export showed the whole country while the screen was zoomed to the incidents)."""
    camera = {"lat": 42.88, "lon": 20.87, "zoom": 10.2}
    state = replace(MARCH, **camera)
    options = ExportOptions(width=1200, height=900, fit="screen", screen=(900, 640))
    seen = camera_extent(camera["lat"], camera["lon"], camera["zoom"], 900, 640)
    drawn = renderer.draw(export_figure(dataset, state, options)).extent
    # Everything seen is drawn; the drawn box only grows along one side, to the export map's shape.
    assert drawn[0] <= seen[0] + 1e-9 and drawn[1] <= seen[1] + 1e-9
    assert drawn[2] >= seen[2] - 1e-9 and drawn[3] >= seen[3] - 1e-9
    lon_ratio = (drawn[2] - drawn[0]) / (seen[2] - seen[0])
    lat_ratio = (drawn[3] - drawn[1]) / (seen[3] - seen[1])
    assert min(lon_ratio, lat_ratio) == pytest.approx(1.0, abs=1e-6) and max(lon_ratio, lat_ratio) < 1.6
    assert (drawn[0] + drawn[2]) / 2 == pytest.approx(camera["lon"], abs=1e-6)
    # Zoom 10.2 over 900 px is about 0.3 degrees of longitude, not the country's 2.
    assert seen[2] - seen[0] == pytest.approx(900 / (512 * 2**10.2) * 360)
    country = renderer.draw(export_figure(dataset, state, replace(options, fit="country"))).extent
    assert (drawn[2] - drawn[0]) < 0.25 * (country[2] - country[0])
    # A view with no camera (a URL without one) keeps the whole country.
    no_camera = export_figure(dataset, MARCH, options)
    assert no_camera.extent == export_figure(dataset, MARCH, replace(options, fit="country")).extent
    assert no_camera.options.fit == "country"


@pytest.mark.parametrize("screen", [(900, 640), (392, 520)])
def test_as_on_screen_keeps_the_map_at_its_size_on_screen(dataset, renderer, screen):
    """'As on screen' drew the map on a canvas of the map's size on screen, with the caption and the
    legend in it: the map came out at about two thirds of its size. The canvas grows round it now."""
    from dashboard.export_panel import SCREEN, export_options

    camera = {"lat": 42.88, "lon": 20.87, "zoom": 9.0}
    state = replace(MARCH, **camera)
    request = {"screen": list(screen)}
    options = export_options(request, "png", SCREEN, None, None, 1, ["caption", "legend"], "screen")
    assert (options.width, options.height) == screen
    shrunk = renderer.draw(export_figure(dataset, state, options)).map_box
    assert shrunk.height < 0.8 * screen[1]  # the old drawing
    spec = screen_sized(export_figure(dataset, state, options), renderer.draw)
    drawing = renderer.draw(spec)
    assert drawing.map_box.width == pytest.approx(screen[0], abs=1)
    assert drawing.map_box.height == pytest.approx(screen[1], abs=1)
    # At the screen's scale: the camera's extent over the screen's size, no more, no less.
    seen = camera_extent(camera["lat"], camera["lon"], camera["zoom"], *screen)
    assert drawing.extent == pytest.approx(seen, abs=0.01 * (seen[2] - seen[0]))
    png = Image.open(io.BytesIO(renderer.render(spec)))
    assert png.size == (spec.options.width, spec.options.height)
    assert png.size[0] > screen[0] and png.size[1] > screen[1]
    # Without caption and legend the canvas is the map's own size, as before.
    bare = replace(options, caption=False, legend=False)
    assert screen_sized(export_figure(dataset, state, bare), renderer.draw).options == bare


def test_camera_extent_is_web_mercator():
    lon0, lat0, lon1, lat1 = camera_extent(0.0, 0.0, 1.0, 1024, 1024)  # the whole world at zoom 1
    assert (lon0, lon1) == pytest.approx((-180, 180)) and (lat0, lat1) == pytest.approx((-85.0511, 85.0511))
    lon0, lat0, lon1, lat1 = camera_extent(42.6, 20.9, 8.0, 512, 512)
    assert lon1 - lon0 == pytest.approx(360 / 256)
    assert lat1 - 42.6 < 42.6 - lat0  # Mercator stretches northward: fewer degrees north of the centre


def test_a_bad_screen_size_is_refused():
    with pytest.raises(ExportError, match="size on screen"):
        ExportOptions(fit="screen", screen=(0, 700)).validated()


def test_incidents_outside_the_boundary_layer_are_listed(dataset):
    outside = dataset.incidents[dataset.incidents["outside_boundaries"]]
    assert len(outside)  # the built-in data has one (Belgrade)
    row = outside.iloc[0]
    day = row["date_start"].date()
    spec = export_figure(dataset, ViewState(filter=ViewFilter(start=day, end=day)))
    assert row["id"] in spec.outside and row["place_name"] in spec.outside and "off the map" in spec.outside
    assert export_figure(dataset, MARCH).outside == ""


def test_caption_and_legend_can_be_left_out(dataset, renderer):
    drawing = renderer.draw(export_figure(dataset, MARCH, ExportOptions(caption=False, legend=False)))
    assert set(drawing.boxes) == {"attribution"}  # attribution always stays
    full = renderer.draw(export_figure(dataset, MARCH, ExportOptions()))
    assert {"title", "dates", "filters"} <= set(full.boxes) and any(
        k.startswith("legend") for k in full.boxes
    )
    assert drawing.map_box.height > full.map_box.height


@pytest.mark.parametrize(
    "options",
    [
        ExportOptions(width=0),
        ExportOptions(height=-5),
        ExportOptions(width=5000),
        ExportOptions(scale=0),
        ExportOptions(scale=5),
        ExportOptions(width=4000, height=4000, scale=4),
        ExportOptions(format="bmp"),
    ],
)
def test_limits_refused_before_rendering(dataset, options):
    never_started = ImageRenderer()
    with pytest.raises(ExportError):
        never_started.render(export_figure(dataset, ViewState(), ExportOptions()), options)
    assert not never_started._started


def test_busy_renderer_refuses_instead_of_queueing_forever(dataset):
    renderer = ImageRenderer(max_waiting=0)
    assert renderer._slots.acquire(blocking=False)  # someone else is rendering
    with pytest.raises(ExportBusyError):
        renderer.render(export_figure(dataset, ViewState(), ExportOptions()), ExportOptions())


def test_file_name_describes_the_view(dataset):
    name = file_name(dataset, MARCH, "png")
    assert name == "2008-unrest-in-Kosovo_2008-03-01_to_2008-03-31_Riots.png"
    hostile = ViewState(filter=ViewFilter(text="../../etc/passwd <img>"))
    assert "/" not in file_name(dataset, hostile, "png") and "<" not in file_name(dataset, hostile, "png")


def test_animation_windows():
    windows = list(animation_windows(date(2008, 3, 1), date(2008, 3, 10), 3, 7))
    assert windows[0] == (date(2008, 3, 1), date(2008, 3, 7))
    assert windows[-1][1] == date(2008, 3, 10)
    cumulative = list(animation_windows(date(2008, 3, 1), date(2008, 3, 5), 1, None))
    assert cumulative == [(date(2008, 3, 1), date(2008, 3, d)) for d in range(1, 6)]


def test_gif_frames_differ_and_share_one_legend(dataset, renderer):
    state = ViewState(filter=ViewFilter(start=date(2008, 3, 14), end=date(2008, 3, 19)))
    options = ExportOptions(width=480, height=400)
    seen = []
    gif = export_animation(
        dataset,
        state,
        renderer,
        options,
        step_days=2,
        window_days=2,
        fps=5,
        progress=lambda done, total: seen.append((done, total)),
    )
    image = Image.open(io.BytesIO(gif))
    frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    assert image.format == "GIF" and len(frames) == 3 and seen[-1] == (3, 3)
    assert image.size == (480, 400)
    # The layout of the whole range: the frames keep its legend and framing.
    layout = renderer.draw(export_figure(dataset, state, options))
    map_top, map_bottom = int(layout.map_box.y) + 2, int(layout.map_box.bottom) - 2
    for a, b in itertools.pairwise(frames):
        assert (a[map_top:map_bottom] != b[map_top:map_bottom]).any()  # markers move
        assert (a[: map_top - 4] != b[: map_top - 4]).any()  # the date stamp changes
        assert (a[map_bottom + 3 :] == b[map_bottom + 3 :]).all()  # one legend, unchanged
    legend = [k for k in layout.boxes if k.startswith("legend")]
    assert legend and all(layout.boxes[k].y >= layout.map_box.bottom for k in legend)


@pytest.mark.parametrize(("lang", "size"), [("en", (1200, 900)), ("sr", (1000, 750))])
def test_every_name_stands_in_the_country(dataset, renderer, lang, size):
    """A name moved off a marker or off the outline stays on Kosovo: a spot far below its point put
    "Hani i Elezit" outside the country."""
    import shapely

    spec = export_figure(dataset, ViewState(lang=lang), ExportOptions(width=size[0], height=size[1]))
    drawing = renderer.draw(spec)
    rendered, height, labels = _drawn_names(drawing.figure)
    country = shapely.union_all(list(dataset.boundaries.country.geometry))
    lon0, lat0, lon1, lat1 = drawing.extent
    box = drawing.map_box
    assert len(labels) >= _names_with_room(dataset, drawing, lang, size) - 3
    for label in labels:
        extent = label.get_window_extent(rendered)
        x, y = (extent.x0 + extent.x1) / 2, height - (extent.y0 + extent.y1) / 2
        lon = lon0 + (x - box.x) / box.width * (lon1 - lon0)
        lat = lat1 - (y - box.y) / box.height * (lat1 - lat0)
        assert country.contains(shapely.Point(lon, lat)), label.get_text()


def test_an_animations_names_stay_clear_of_every_frames_markers(dataset):
    """The names of an animation are placed once, with its first frame: they were placed clear of
    that frame's markers only, and in README's GIF Mitrovica's riots (from the 15th) ran through
    "North Mitrovica". They keep clear of the markers and badges of every frame now."""
    state = ViewState(filter=ViewFilter(start=date(2008, 3, 10), end=date(2008, 3, 23)))
    options = ExportOptions(width=800, height=600)
    count, specs, obstacles = animation_frames(dataset, state, options, window_days=3)
    specs = list(specs)
    assert count == len(specs) == 12
    drawing = draw(specs[0], animated=True, obstacles=obstacles)  # as ImageRenderer.frames draws it
    rendered, height, labels = _drawn_names(drawing.figure)
    # Names beside Mitrovica's riots (North Mitrovica's own is too wide for it at this scale).
    assert {"Mitrovica", "Zubin Potok"} <= {label.get_text() for label in labels}
    boxes = [(label.get_text(), label.get_window_extent(rendered)) for label in labels]
    clashes = set()
    for index, spec in enumerate(specs):
        badges, dots = _badge_and_dot_discs(drawing, spec)
        discs = badges + dots
        for text, box in boxes:
            top, bottom = height - box.y1, height - box.y0
            for x, y, radius in discs:
                if np.hypot(max(box.x0 - x, 0, x - box.x1), max(top - y, 0, y - bottom)) < radius:
                    clashes.add((text, index))
    assert clashes == set()


def test_mp4_has_a_frame_per_step(dataset, renderer, tmp_path):
    import imageio_ffmpeg

    state = ViewState(filter=ViewFilter(start=date(2008, 3, 10), end=date(2008, 3, 23)))
    video = export_animation(
        dataset, state, renderer, ExportOptions(width=641, height=480), window_days=3, fps=7, video="mp4"
    )
    assert video[4:8] == b"ftyp"
    path = tmp_path / "a.mp4"
    path.write_bytes(video)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == frame_count(dataset, state, 1, 3) == 12  # 3-day windows ending 12 to 23 March
    assert seconds == pytest.approx(12 / 7, abs=0.2)


def test_too_many_frames_refused_before_rendering(dataset):

    longer = dataset.incidents.copy()
    longer.loc[longer.index[-1], "date_end"] = longer["date_end"].max() + pd.Timedelta(days=MAX_FRAMES)
    never_started = ImageRenderer()
    with pytest.raises(ExportError, match="frames is over the limit"):
        export_animation(
            replace(dataset, incidents=longer),
            ViewState(),
            never_started,
            ExportOptions(),
            step_days=1,
            window_days=None,
        )
    assert not never_started._started


def test_cli_export_image_from_view_url(tmp_path, boundaries_dir):
    out = tmp_path / "view.png"
    url = "http://127.0.0.1:8050/?start=2008-03-01&end=2008-03-31&type=Riots&sel=KOS-2008-14"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "export-image",
            "--view-url",
            url,
            "--width",
            "800",
            "--height",
            "600",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    image = Image.open(out)
    assert image.size == (800, 600)
    assert colour_present(image, style.EVENT_COLOURS["Riots"]) > 50


def test_cli_refuses_bad_size_before_rendering(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "export-image",
            "--width",
            "-1",
            "-o",
            str(tmp_path / "x.png"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "width must be" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_cli_paper_pdf_is_exactly_a4(tmp_path, boundaries_dir):
    out = tmp_path / "view.pdf"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "export-image",
            "--paper",
            "a4-portrait",
            "--start",
            "2008-03-01",
            "--end",
            "2008-03-31",
            "--fit",
            "incidents",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    page = PdfReader(out).pages[0]
    # 210 × 297 mm in points, to the point (pixels at 96 per inch round to a whole pixel).
    assert abs(float(page.mediabox.width) - 595.3) < 1 and abs(float(page.mediabox.height) - 841.9) < 1


def test_export_without_a_boundary_layer_frames_the_incidents(dataset, renderer):

    bare = replace(dataset, boundaries=None)
    spec = export_figure(bare, ViewState(), ExportOptions(width=800, height=600))
    drawing = renderer.draw(spec)
    for row in dataset.incidents.itertuples():
        x, y = drawing.to_pixels(row.lon, row.lat)
        box = drawing.map_box
        assert box.x < x < box.x + box.width and box.y < y < box.bottom, row.id
    assert "No boundary layer" in spec.attribution
    assert spec.outside.startswith("Municipal boundaries not loaded")  # not "outside the boundary layer"
    image = Image.open(io.BytesIO(renderer.render(spec)))
    assert image.size == (800, 600)


@pytest.mark.parametrize("image_format", ["png", "svg", "pdf"])
def test_the_dialog_says_the_resolution_only_for_a_png(dataset, image_format):
    """After an SVG or PDF download the status said "(600×400 at 2x)": a vector file has no pixels to
    multiply. Asked as the browser asks it, through the app's own callback."""
    from dashboard.app import create_app

    app = create_app(dataset)
    states = {
        "export-format.value": image_format,
        "export-aspect.value": "Custom size",
        "export-width.value": 600,
        "export-height.value": 400,
        "export-scale.value": 2,
        "export-include.value": ["caption", "legend"],
        "export-framing.value": "country",
    }
    body = {
        "output": "..export-file.data...export-status.children..",
        "outputs": [
            {"id": "export-file", "property": "data"},
            {"id": "export-status", "property": "children"},
        ],
        "inputs": [{"id": "export-request", "property": "data", "value": {"query": "start=2008-03-01"}}],
        "changedPropIds": ["export-request.data"],
        "state": [
            {"id": key.split(".")[0], "property": key.split(".")[1], "value": value}
            for key, value in states.items()
        ],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.text
    response = answer.get_json()["response"]
    status = response["export-status"]["children"]
    sent = response["export-file"]["data"]
    assert sent["filename"].endswith(f".{image_format}")
    assert (
        base64.b64decode(sent["content"])[:4]
        == {"png": b"\x89PNG", "svg": b"<?xm", "pdf": b"%PDF"}[image_format]
    )
    if image_format == "png":
        assert status.endswith("(600×400 at 2x)"), status
    else:
        assert status.endswith("(600×400)") and " at " not in status, status


def _drawn_names(figure) -> tuple:
    """``figure`` drawn at 96 dpi: its canvas renderer, its height in pixels and its name labels."""
    figure.set_dpi(96)
    figure.canvas.draw()
    labels = figure.findobj(lambda a: hasattr(a, "get_gid") and a.get_gid() == "map-label")
    return figure.canvas.get_renderer(), figure.bbox.height, labels


def _names_with_room(dataset, drawing, lang: str, size: tuple[int, int]) -> int:
    """How many municipalities are wide enough for their names at the drawing's scale
    (figures.name_min_zoom): the names an export can hold, a few of which may find no free spot."""
    from dashboard.export import names_zoom, text_unit
    from dashboard.figures import municipality_labels

    lon0, _, lon1, _ = drawing.extent
    zoom = names_zoom(drawing.map_box.width, lon1 - lon0, text_unit(*size))
    return int((municipality_labels(dataset, lang)["min_zoom"] <= zoom).sum())


def _badge_and_dot_discs(drawing, spec) -> tuple[list, list]:
    """(x, y, radius) in the drawing's pixels of the count badges and of the markers (not the faint
    approximate-location rings, which may lie under a name)."""
    badges = [
        (*drawing.to_pixels(lon, lat), style.BADGE_SIZE / 2)
        for lon, lat in zip(spec.content.badges["lon"], spec.content.badges["lat"], strict=True)
    ]
    dots = [
        (*drawing.to_pixels(lon, lat), radius)
        for layer in spec.content.layers
        if layer.name != "approximate"
        for lon, lat, radius in zip(
            layer.lon,
            layer.lat,
            np.broadcast_to(np.asarray(layer.sizes, float) / 2, len(layer.lon)),
            strict=True,
        )
    ]
    return badges, dots
