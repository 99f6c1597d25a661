"""The offline map style: a plain background and label glyphs served by the app itself.

Plotly's named map styles (``"white-bg"`` too) set MapLibre's ``glyphs`` URL to
fonts.openmaptiles.org, and any ``mode="text"`` trace (the municipality names) then fetches
glyphs from there on every page load. :func:`offline_style` is a MapLibre style dict whose
``glyphs`` URL points at the Noto Sans glyph files bundled in ``assets/fonts`` (Dash serves
that folder at ``assets/``; a range not shipped is a 404), whatever font a layer asks for.

The page URL is relative: MapLibre fetches glyphs from the page's own thread, so it resolves
against the page's address, whatever host, port or path prefix the app is served under.
Exports are drawn by matplotlib (``dashboard/export.py``) and need no glyphs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: The font stack that map text traces use (``textfont.family``); its glyphs are bundled.
LABEL_FONT: Final = "Noto Sans Regular"
#: Version of the bundled glyphs (the source commit): in their URL, so browsers may cache them for good.
GLYPHS_VERSION: Final = "f12391e9"
#: Glyph URL for the dashboard page, relative to the page (Dash serves ``assets/`` there). Every font
#: stack is answered with :data:`LABEL_FONT`: the stack goes in the query, which the static file
#: ignores. Plotly names no font for its layout layers (the municipality names, the count badges),
#: so MapLibre asks for its default stack, which is not shipped.
PAGE_GLYPHS: Final = f"assets/fonts/{LABEL_FONT}/{{range}}.pbf?v={GLYPHS_VERSION}&fontstack={{fontstack}}"
#: The Unicode ranges bundled for every font (MapLibre asks in blocks of 256 code points).
GLYPH_RANGES: Final = ("0-255", "256-511", "512-767", "1024-1279", "7680-7935", "8192-8447")


def fonts_folder() -> Path:
    """The bundled glyph folder: ``assets/fonts`` in a checkout, ``dashboard/assets/fonts`` in a wheel.

    Raises
    ------
    FileNotFoundError
        If neither exists (a broken install).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "assets" / "fonts", here / "assets" / "fonts"):
        if (candidate / LABEL_FONT).is_dir():
            return candidate
    raise FileNotFoundError(f"map label glyphs ({LABEL_FONT}) not found in assets/fonts next to {here}")


def bundled_fonts() -> tuple[str, ...]:
    """Names of the font stacks shipped (folder names), sorted."""
    return tuple(sorted(p.name for p in fonts_folder().iterdir() if p.is_dir()))


def offline_style(background: str, glyphs: str = PAGE_GLYPHS) -> dict:
    """A MapLibre style that needs no other host: one background colour and local glyphs.

    Parameters
    ----------
    background
        CSS colour of the map's ground.
    glyphs
        URL template with ``{fontstack}`` and ``{range}``: :data:`PAGE_GLYPHS` in the dashboard,
        :func:`file_glyphs_url` for exports.
    """
    if "{fontstack}" not in glyphs or "{range}" not in glyphs:
        raise ValueError(f"glyphs URL must contain {{fontstack}} and {{range}}, got {glyphs!r}")
    return {
        "version": 8,
        "name": "unrest-map offline",
        "glyphs": glyphs,
        # Not empty: Plotly prunes an empty ``sources`` on the next update, then hands MapLibre a
        # style without it ("missing required property sources", a Map error per update).
        "sources": {
            "unrest-map-none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}
        },
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": background}}],
    }
