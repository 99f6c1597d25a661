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
APPROXIMATE_HALO: Final = "rgba(80, 80, 80, 0.16)"

#: Marker diameter in pixels: zero casualties is the smallest; unknown has its own look.
MIN_MARKER: Final = 9
MAX_MARKER: Final = 34
#: Halo diameter for approximate locations, by location precision.
HALO_SIZE: Final = {"town": 30, "region": 54}


def marker_size(casualties: float) -> float:
    """Marker diameter for a known number of dead plus injured (area grows with the count)."""
    return min(MAX_MARKER, MIN_MARKER + 3.0 * casualties**0.5)


def marker_sizes(casualties: np.ndarray) -> np.ndarray:
    """:func:`marker_size` over an array, without a Python call per point."""
    return np.minimum(MAX_MARKER, MIN_MARKER + 3.0 * np.sqrt(casualties))


# Drawing details shared by the screen map (dashboard.figures) and print exports (dashboard.export).
#: The highlighted incident: a translucent dark disc under its marker (diameter in pixels).
SELECTED_SIZE: Final = 44
SELECTED_FILL: Final = "rgba(17,17,17,0.55)"
MARKER_OPACITY: Final = 0.92
#: The white centre that marks unknown casualties (diameter in pixels).
UNKNOWN_MARK_SIZE: Final = 4
#: Line widths in pixels.
BOUNDARY_WIDTH: Final = 0.8
COUNTRY_WIDTH: Final = 2.2
#: Municipality names on the map.
LABEL_SIZE: Final = 10
LABEL_COLOUR: Final = "#5b574c"
#: Municipalities shaded by incident count: a Plotly colour scale (0 stays pale).
COUNT_SCALE: Final = ((0, "#f7f4ee"), (0.001, "#fde0c5"), (1, "#b3361b"))
