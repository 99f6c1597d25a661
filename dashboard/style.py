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
#: The badge's disc diameter and its number's size, in pixels.
BADGE_SIZE: Final = 17
BADGE_TEXT_SIZE: Final = 11

#: Marker diameter in pixels: zero casualties is the smallest; unknown has its own look.
MIN_MARKER: Final = 9
MAX_MARKER: Final = 34
#: Halo diameter for approximate locations, by location precision.
HALO_SIZE: Final = {"town": 24, "region": 38}


#: Marker sizes the legends show, screen and export alike: (dead plus injured, label). The last is
#: where the size stops growing: MIN_MARKER + 3 * sqrt(70) passes MAX_MARKER.
SIZE_EXAMPLES: Final = ((0, "0"), (10, "10"), (70, "70+"))
#: What the marker size stands for, in the legends.
SIZE_MEANING: Final = "Dead + injured"


def with_alpha(colour: str, alpha: float) -> str:
    """``"#rrggbb"`` as ``"rgba(r, g, b, alpha)"``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


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

#: The one accent colour of every control (CSS ``--accent`` in assets/theme.css says the same).
ACCENT: Final = "#0072b2"

#: Shading by incident count: a discrete scale, one colour per class (the first is "none").
SHADE_COLOURS: Final = ("#f3f1ec", "#fdd9b5", "#f6a66e", "#de6b3a", "#b3361b")
NORTH_OUTLINE: Final = "#2f5d95"
#: North Kosovo's outline width in pixels, on screen and in exports, shaded or not.
NORTH_WIDTH: Final = 2.2


def count_classes(largest: int) -> list[tuple[int, int]]:
    """Whole-count classes for shading: ``(low, high)`` inclusive, the first always ``(0, 0)``.

    Up to four classes above zero. Their upper bounds are round numbers (1, 2, 5, 10, 20 ...)
    spaced evenly on a log scale up to ``largest``, so a few busy places do not wash out the rest.
    """
    largest = max(int(largest), 1)
    if largest <= 4:
        return [(0, 0), *[(n, n) for n in range(1, largest + 1)]]
    uppers: list[int] = []
    for k in (1, 2, 3):
        bound = _round_number(largest ** (k / 4))
        if (not uppers or bound > uppers[-1]) and bound < largest:
            uppers.append(bound)
    classes, low = [(0, 0)], 1
    for upper in [*uppers, largest]:
        classes.append((low, upper))
        low = upper + 1
    return classes


def _round_number(value: float) -> int:
    """The nearest (on a log scale) of 1, 2, 5, 10, 20, 50 ..."""
    candidates = [m * 10**e for e in range(0, 10) for m in (1, 2, 5)]
    return min(candidates, key=lambda c: abs(np.log(c / value)))


def count_class(counts: np.ndarray, classes: list[tuple[int, int]]) -> np.ndarray:
    """Index into ``classes`` of every count."""
    highs = np.array([high for _, high in classes])
    return np.searchsorted(highs, np.asarray(counts, dtype=float), side="left")


def class_colours(n_classes: int) -> list[str]:
    """Colours for ``n_classes`` count classes: "none" first, then the darkest ones that are needed."""
    above = max(n_classes - 1, 0)
    return [SHADE_COLOURS[0], *SHADE_COLOURS[len(SHADE_COLOURS) - above :]][:n_classes]


def shading_legend(largest: int) -> list[tuple[str, str]]:
    """(label, colour) of every shading class up to ``largest``: the screen's and the exports' legend."""
    classes = count_classes(largest)
    return [
        (f"{low:,}" if low == high else f"{low:,}–{high:,}", colour)
        for (low, high), colour in zip(classes, class_colours(len(classes)), strict=True)
    ]
