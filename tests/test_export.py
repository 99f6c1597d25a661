"""Exports: open every file and check it (size, format, pixels, text, frames)."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageSequence
from pypdf import PdfReader

from dashboard import style
from dashboard.export import (
    MAX_FRAMES,
    ExportBusyError,
    ExportError,
    ExportOptions,
    ImageRenderer,
    animation_windows,
    caption_lines,
    export_animation,
    export_figure,
    file_name,
)
from dashboard.viewstate import ViewState
from geodata.filters import ViewFilter

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


def test_svg_and_pdf_carry_title_and_dates(dataset, renderer):
    lines = caption_lines(dataset, MARCH, 2)
    assert lines[0] == "2008 unrest in Kosovo: 1 March 2008 – 31 March 2008"
    svg_options = ExportOptions(format="svg")
    svg = renderer.render(export_figure(dataset, MARCH, svg_options), svg_options).decode("utf-8")
    assert svg.lstrip().startswith("<svg") and "1 March 2008 – 31 March 2008" in svg
    assert "OpenStreetMap contributors" in svg and "Event type: Riots" in svg
    pdf_options = ExportOptions(format="pdf")
    pdf = renderer.render(export_figure(dataset, MARCH, pdf_options), pdf_options)
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "2008 unrest in Kosovo" in text and "31 March 2008" in text


def test_caption_and_legend_can_be_left_out(dataset, renderer):
    bare = export_figure(dataset, MARCH, ExportOptions(caption=False, legend=False))
    texts = [a.text for a in bare.layout.annotations]
    assert len(texts) == 1 and "OpenStreetMap" in texts[0]  # attribution always stays
    assert not bare.layout.showlegend


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


def test_gif_has_a_frame_per_step_and_the_dates_change(dataset, renderer):
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
    # The caption (dates) and the markers differ from frame to frame.
    assert all((a != b).any() for a, b in itertools.pairwise(frames))


def test_too_many_frames_refused_before_rendering(dataset):
    from dataclasses import replace

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
