"""One view update for tests: the update callback's body over named controls."""

from __future__ import annotations

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
