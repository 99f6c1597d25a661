"""One palette and one set of marker rules, used by the map, the timeline and exports."""

from __future__ import annotations

from typing import Final

import numpy as np

from geodata.schema import EVENT_TYPES

#: Event type -> colour (Okabe-Ito based: distinguishable with colour-blindness).
EVENT_COLOURS: Final[dict[str, str]] = {
    "Battles": "#D55E00",
    "Explosions/Remote violence": "#CC79A7",
    "Violence against civilians": "#8B0000",
    "Protests": "#0072B2",
    "Riots": "#E69F00",
    "Strategic developments": "#009E73",
}
assert set(EVENT_COLOURS) == set(EVENT_TYPES)
OTHER_COLOUR: Final = "#7f7f7f"

BACKGROUND: Final = "#f3f1ec"
MUNICIPALITY_FILL: Final = "#e4e1d8"
NORTH_FILL: Final = "#c9d6e8"
BOUNDARY_LINE: Final = "#8a8577"
COUNTRY_LINE: Final = "#3d3a33"
SELECTED_RING: Final = "#111111"
#: Faint: a ring says "somewhere around here" and must not hide the labels or markers under it.
APPROXIMATE_HALO: Final = "rgba(80, 80, 80, 0.08)"
#: The number next to a place where several incidents are drawn on one spot.
BADGE_TEXT: Final = "#ffffff"
BADGE_FILL: Final = "rgba(30, 30, 30, 0.85)"

#: Marker diameter in pixels: zero casualties is the smallest; unknown has its own look.
MIN_MARKER: Final = 9
MAX_MARKER: Final = 34
#: Halo diameter for approximate locations, by location precision.
HALO_SIZE: Final = {"town": 24, "region": 38}


def marker_size(casualties: float) -> float:
    """Marker diameter for a known number of dead plus injured (area grows with the count)."""
    return min(MAX_MARKER, MIN_MARKER + 3.0 * casualties**0.5)


def marker_sizes(casualties: np.ndarray) -> np.ndarray:
    """:func:`marker_size` over an array, without a Python call per point."""
    return np.minimum(MAX_MARKER, MIN_MARKER + 3.0 * np.sqrt(casualties))
