"""The whole view as URL query parameters, and back.

``to_query(view)`` and ``parse_query(text, choices)`` are inverse for every valid
view. Parsing never raises: an invalid or hostile parameter is dropped or clamped,
the rest of the view is kept, and each correction becomes a notice for the user.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import parse_qs, urlencode

from dashboard.area import area_from_param, area_to_param
from geodata.filters import ViewFilter
from geodata.names import DEFAULT_LANGUAGE, LANGUAGES

#: Longest query string we look at; anything longer is hostile or broken.
MAX_QUERY_LENGTH = 8_000
MAX_TEXT_LENGTH = 200
MAX_VALUES = 100


@dataclass(frozen=True)
class ViewState:
    """Filters plus what the map shows: selection, centre, zoom and shading."""

    filter: ViewFilter = field(default_factory=ViewFilter)
    selected: str | None = None
    lat: float | None = None
    lon: float | None = None
    zoom: float | None = None
    shade: bool = False
    #: A shape drawn with Box or Lasso select: [lon, lat] vertices (dashboard/area.py).
    area: tuple[tuple[float, float], ...] = ()
    #: The language of place and municipality names (geodata.names); the interface stays English.
    lang: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Choices:
    """What the data allows: parameters outside these are corrected."""

    first_day: date
    last_day: date
    event_types: frozenset[str]
    sides: frozenset[str]
    municipalities: frozenset[str]
    place_kinds: frozenset[str]
    ids: frozenset[str]


_LIST_PARAMS = {"type": "event_types", "side": "sides", "muni": "municipalities", "kind": "place_kinds"}


def to_query(state: ViewState, choices: Choices) -> str:
    """A query string (without '?') that carries only what differs from the default view."""
    view = state.filter
    pairs: list[tuple[str, str]] = []
    if view.start and view.start != choices.first_day:
        pairs.append(("start", view.start.isoformat()))
    if view.end and view.end != choices.last_day:
        pairs.append(("end", view.end.isoformat()))
    for param, attribute in _LIST_PARAMS.items():
        pairs.extend((param, value) for value in getattr(view, attribute))
    if view.casualties_only:
        pairs.append(("casualties", "1"))
    if view.text:
        pairs.append(("q", view.text))
    if state.selected:
        pairs.append(("sel", state.selected))
    if state.lat is not None and state.lon is not None:
        pairs += [("lat", f"{state.lat:.4f}"), ("lon", f"{state.lon:.4f}")]
    if state.zoom is not None:
        pairs.append(("zoom", f"{state.zoom:.2f}"))
    if state.shade:
        pairs.append(("shade", "1"))
    area = area_to_param([list(v) for v in state.area])
    if area:
        pairs.append(("area", area))
    if state.lang != DEFAULT_LANGUAGE:
        pairs.append(("lang", state.lang))
    return urlencode(pairs)


def parse_query(text: str | None, choices: Choices) -> tuple[ViewState, list[str]]:
    """The view a query string asks for, and a notice for each thing that was corrected."""
    notices: list[str] = []
    text = (text or "").lstrip("?")
    if len(text) > MAX_QUERY_LENGTH:
        return ViewState(), [f"The link is too long ({len(text)} characters); showing the default view."]
    try:
        params = parse_qs(text, keep_blank_values=False, max_num_fields=4 * MAX_VALUES)
    except ValueError as error:
        return ViewState(), [f"The link could not be read ({error}); showing the default view."]

    def single(name: str) -> str | None:
        values = params.get(name, [])
        if len(values) > 1:
            notices.append(f"'{name}' was given {len(values)} times; using the first.")
        return values[0] if values else None

    start = _parse_day(single("start"), "start", choices, notices)
    end = _parse_day(single("end"), "end", choices, notices)
    if start and end and end < start:
        notices.append("The end date was before the start date; showing the whole period.")
        start = end = None
    lists = {}
    allowed = {
        "event_types": choices.event_types,
        "sides": choices.sides,
        "municipalities": choices.municipalities,
        "place_kinds": choices.place_kinds,
    }
    for param, attribute in _LIST_PARAMS.items():
        values = list(dict.fromkeys(params.get(param, [])))[:MAX_VALUES]
        known = tuple(v for v in values if v in allowed[attribute])
        unknown = [v for v in values if v not in allowed[attribute]]
        if unknown:
            notices.append(f"Unknown {param} value(s) ignored: {', '.join(_short(v) for v in unknown[:5])}.")
        lists[attribute] = known
    casualties = single("casualties")
    if casualties not in (None, "0", "1"):
        notices.append(f"'casualties' must be 0 or 1, not {_short(casualties)}; ignored.")
    query_text = single("q") or ""
    if len(query_text) > MAX_TEXT_LENGTH:
        notices.append(f"The search text was cut to {MAX_TEXT_LENGTH} characters.")
        query_text = query_text[:MAX_TEXT_LENGTH]
    selected = single("sel")
    if selected is not None and selected not in choices.ids:
        notices.append(f"Unknown incident {_short(selected)}; nothing selected.")
        selected = None
    lat = _parse_number(single("lat"), "lat", -85, 85, notices)
    lon = _parse_number(single("lon"), "lon", -180, 180, notices)
    if (lat is None) != (lon is None):
        lat = lon = None
    zoom = _parse_number(single("zoom"), "zoom", 0, 22, notices)
    shade = single("shade")
    if shade not in (None, "0", "1"):
        notices.append(f"'shade' must be 0 or 1, not {_short(shade)}; ignored.")
    area, area_notice = area_from_param(single("area"))
    if area_notice:
        notices.append(area_notice)
    lang = single("lang") or DEFAULT_LANGUAGE
    if lang not in LANGUAGES:
        notices.append(
            f"Unknown language {_short(lang)} for place names; showing English (use {', '.join(LANGUAGES)})."
        )
        lang = DEFAULT_LANGUAGE
    known_params = {
        "start",
        "end",
        "casualties",
        "q",
        "sel",
        "lat",
        "lon",
        "zoom",
        "shade",
        "area",
        "data",  # which dataset (an upload's hash): chosen by the server before the view (datasets.py)
        "lang",
        *_LIST_PARAMS,
    }
    extra = [name for name in params if name not in known_params]
    if extra:
        notices.append(f"Unknown parameter(s) ignored: {', '.join(_short(n) for n in extra[:5])}.")
    view = ViewFilter(
        start=start,
        end=end,
        casualties_only=casualties == "1",
        text=query_text.strip(),
        **lists,
    )
    state = ViewState(
        filter=view,
        selected=selected,
        lat=lat,
        lon=lon,
        zoom=zoom,
        shade=shade == "1",
        area=tuple((lon_, lat_) for lon_, lat_ in area or ()),
        lang=lang,
    )
    return state, notices


def with_filter(state: ViewState, view: ViewFilter) -> ViewState:
    return replace(state, filter=view)


def _short(value: str, limit: int = 40) -> str:
    """A value safe and short enough to echo back in a notice."""
    printable = "".join(ch if ch.isprintable() else "?" for ch in value)
    return repr(printable if len(printable) <= limit else printable[:limit] + "…")


def _parse_day(value: str | None, name: str, choices: Choices, notices: list[str]) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        notices.append(f"'{name}' is not a date (YYYY-MM-DD): {_short(value)}; ignored.")
        return None
    if not choices.first_day <= day <= choices.last_day:
        clamped = min(max(day, choices.first_day), choices.last_day)
        notices.append(
            f"'{name}' {day} is outside the data ({choices.first_day} to {choices.last_day}); "
            f"using {clamped}."
        )
        return clamped
    return day


def _parse_number(value: str | None, name: str, low: float, high: float, notices: list[str]) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        notices.append(f"'{name}' is not a number: {_short(value)}; ignored.")
        return None
    if not math.isfinite(number) or not low <= number <= high:
        notices.append(f"'{name}' must be between {low} and {high}; ignored.")
        return None
    return number
