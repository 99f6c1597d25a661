"""One view update for tests: the update callback's body over named controls."""

from __future__ import annotations

import base64

import numpy as np

from dashboard.figures import MARK_LAYERS
from dashboard.view import ViewContext, view_outputs


def view_update(context: ViewContext, window=None, selected: str | None = None, **controls) -> tuple:
    """:func:`~dashboard.view.view_outputs` for these controls; the rest as on a new page (no
    filter, the whole period, nothing selected)."""
    values = {
        "event_types": [],
        "sides": [],
        "municipalities": [],
        "place_kinds": [],
        "casualties": [],
        "text": "",
        "shade": [],
    } | controls
    window = window or [0, len(context.days) - 1]
    return view_outputs(context, window, *values.values(), selected)


def decoded(value) -> np.ndarray:
    """A Plotly typed-array spec (or a list, or an array) as a numpy array."""
    if isinstance(value, dict) and "bdata" in value:
        dtype = {"f4": "<f4", "f8": "<f8", "u1": "u1", "u2": "<u2", "i4": "<i4"}[value["dtype"]]
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)
    return np.asarray(value)


def drawn_layer(colours, layer: str) -> np.ndarray:
    """Which points of the incidents trace belong to ``layer`` (their colour is its index)."""
    return np.flatnonzero(decoded(colours) == MARK_LAYERS.index(layer))
