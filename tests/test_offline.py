"""The offline map style and its bundled glyphs, without a browser (see test_offline_browser.py)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from dashboard import figures, offline
from dashboard.app import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_default_map_style_names_no_other_host(dataset, incidents):
    fig = figures.map_figure(dataset, incidents)
    map_style = fig.layout.map.style
    assert map_style["glyphs"] == offline.PAGE_GLYPHS
    assert "://" not in json.dumps(map_style)
    labels = fig.data[figures.TRACE_INDEX["municipality_names"]]
    assert labels.mode == "text" and labels.textfont.family == offline.LABEL_FONT
    assert offline.LABEL_FONT in offline.bundled_fonts()
    # Every trace that draws text (names, count badges) asks for a shipped font, never Plotly's default.
    texts = [trace for trace in fig.data if "text" in (getattr(trace, "mode", None) or "")]
    assert len(texts) >= 2 and {trace.textfont.family for trace in texts} == {offline.LABEL_FONT}


def test_online_basemap_keeps_its_named_style(dataset, incidents):
    fig = figures.map_figure(dataset, incidents, basemap="carto-positron")
    assert fig.layout.map.style == "carto-positron"
    # Its glyph server has Plotly's default font, not necessarily the bundled one.
    assert fig.data[figures.TRACE_INDEX["municipality_names"]].textfont.family is None


def test_every_font_ships_every_range_and_the_licence():
    folder = offline.fonts_folder()
    assert set(offline.bundled_fonts()) == {"Noto Sans Regular", "Noto Sans Medium"}
    for font in offline.bundled_fonts():
        shipped = {p.stem for p in (folder / font).glob("*.pbf")}
        assert shipped == set(offline.GLYPH_RANGES), font
    assert "SIL OPEN FONT LICENSE" in (folder / "OFL.txt").read_text().upper()


def test_wheel_declares_the_glyphs_and_licence():
    """The package data patterns cover every bundled file, so a wheel carries them (test_packaging.py
    builds one)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"]["package-data"]
    assets = ROOT / "assets"
    declared = {
        p
        for package, folder in (("dashboard.assets", assets), ("dashboard.assets.fonts", assets / "fonts"))
        for pattern in package_data.get(package, [])
        for p in folder.glob(pattern)
    }
    bundled = {p for p in (assets / "fonts").rglob("*") if p.is_file()}
    assert bundled and bundled <= declared


def test_style_needs_a_templated_glyph_url():
    with pytest.raises(ValueError, match="fontstack"):
        offline.offline_style("#fff", "assets/fonts/0-255.pbf")


def test_app_serves_shipped_glyph_ranges_and_404s_the_rest(dataset):
    client = create_app(dataset).server.test_client()
    url = "/" + offline.PAGE_GLYPHS.split("?")[0]
    shipped = client.get(url.format(fontstack=offline.LABEL_FONT, range="0-255"))
    assert shipped.status_code == 200 and len(shipped.data) > 10_000
    # CJK is not shipped; nor is Plotly's default font: a 404, never a redirect elsewhere.
    for fontstack, glyph_range in ((offline.LABEL_FONT, "19968-20223"), ("Open Sans Regular", "0-255")):
        missing = client.get(url.format(fontstack=fontstack, range=glyph_range))
        assert missing.status_code == 404 and "Location" not in missing.headers
