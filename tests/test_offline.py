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
    assert offline.LABEL_FONT in offline.bundled_fonts()
    # Whatever font a layer asks for (Plotly names none for layout layers), the shipped one answers.
    for fontstack in (offline.LABEL_FONT, "Open Sans Regular,Arial Unicode MS Regular"):
        path = offline.PAGE_GLYPHS.format(fontstack=fontstack, range="0-255").split("?")[0]
        assert path == f"assets/fonts/{offline.LABEL_FONT}/0-255.pbf"
    # Every trace that draws text asks for a shipped font, never Plotly's default.
    texts = [trace for trace in fig.data if "text" in (getattr(trace, "mode", None) or "")]
    assert {trace.textfont.family for trace in texts} <= {offline.LABEL_FONT}


def test_online_basemap_keeps_its_named_style(dataset, incidents):
    fig = figures.map_figure(dataset, incidents, basemap="carto-positron")
    assert fig.layout.map.style == "carto-positron"


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
    url = "/" + offline.PAGE_GLYPHS
    for fontstack in (offline.LABEL_FONT, "Open Sans Regular,Arial Unicode MS Regular"):
        shipped = client.get(url.format(fontstack=fontstack, range="0-255"))
        assert shipped.status_code == 200 and len(shipped.data) > 10_000
    # CJK is not shipped: a 404, never a redirect elsewhere.
    missing = client.get(url.format(fontstack=offline.LABEL_FONT, range="19968-20223"))
    assert missing.status_code == 404 and "Location" not in missing.headers
