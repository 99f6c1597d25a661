"""The view computation: control values -> filtered frame -> everything one update sends.

Pure functions over the read-only dataset; the callbacks (``callbacks.py``) call them and
nothing else, so every rule here is testable without a browser.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
from dash import html, no_update

from dashboard import figures, timeaxis
from dashboard.area import area_mask, area_to_param, clean_area
from dashboard.choices import choices_of
from dashboard.details import details_panel
from dashboard.legend import legend_outputs
from dashboard.municipality import municipality_card
from dashboard.opening import OpeningData
from dashboard.scrub import CLIENT_LIMIT, scrub_points
from dashboard.table import SortOrders
from dashboard.table import table_page as page_by_selection
from dashboard.timecounts import TimelineRows, timeline_rows
from dashboard.viewstate import Choices, ViewState, to_query
from geodata.dataset import Dataset, original_columns
from geodata.filters import (
    NORTH_KOSOVO_GROUP,
    DateOrder,
    ViewFilter,
    all_facet_counts,
    combine,
    component_masks,
    date_order,
    incident_position,
    take_rows,
)
from geodata.gazetteer import normalise_name
from geodata.names import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    NORTH_KOSOVO_NAMES,
    PLACE_COLUMNS,
    municipality_list_names,
    municipality_names,
    place_names,
)
from geodata.schema import EVENT_TYPES, PLACE_KINDS

#: Table rows per page. Paging and sorting happen on the server, over every visible incident.
TABLE_PAGE_SIZE = 50
#: Table column -> frame column it sorts by.
TABLE_SORT_COLUMNS = {
    "date": "date_start",
    "event_type": "event_type",
    "place": "place_name",
    "municipality": "municipality",
    "fatalities": "fatalities",
    "injured": "injured",
    "description": "description",
}


def days_of(dataset: Dataset) -> pd.DatetimeIndex:
    incidents = dataset.incidents
    return pd.date_range(incidents["date_start"].min().normalize(), incidents["date_end"].max().normalize())


def view_from_controls(
    days: pd.DatetimeIndex, window, event_types, sides, municipalities, place_kinds, casualties, text
) -> ViewFilter:
    """The filter the controls describe. Slider values are day offsets from the first day."""
    low, high = window_bounds(days, window)
    return ViewFilter(
        start=None if low == 0 else days[low].date(),
        end=None if high == len(days) - 1 else days[high].date(),
        event_types=tuple(event_types or ()),
        sides=tuple(sides or ()),
        municipalities=tuple(municipalities or ()),
        place_kinds=tuple(place_kinds or ()),
        casualties_only=bool(casualties),
        text=(text or "").strip()[:200],
    )


def view_masks(
    incidents: pd.DataFrame, view: ViewFilter, area: list | None, dates: DateOrder | None = None
) -> dict[str, np.ndarray]:
    """One mask per active filter, the drawn area (under 'area') included. ``dates``: the incidents'
    :func:`~geodata.filters.date_order` (the context keeps it)."""
    masks = component_masks(incidents, view, dates)
    inside = area_mask(incidents, area)
    if inside is not None:
        masks["area"] = inside
    return masks


def visible_incidents(context: ViewContext, controls: tuple, area: list | None) -> pd.DataFrame:
    """The incidents in view (the columns a view update reads, :data:`VIEW_COLUMNS`) for the filter
    controls, in the FILTER_INPUTS order, and the drawn area: what clicks and Previous/Next map back
    through. Only those columns are taken: every column of millions of rows took seconds."""
    incidents = context.dataset.incidents
    view = view_from_controls(context.days, *controls)
    rows = np.flatnonzero(combine(view_masks(incidents, view, area, context.dates), length=len(incidents)))
    return take_rows(incidents, rows, VIEW_COLUMNS)


def window_bounds(days: pd.DatetimeIndex, window) -> tuple[int, int]:
    last = len(days) - 1
    try:
        low, high = (int(v) for v in window)
    except (TypeError, ValueError):
        return 0, last
    low, high = max(0, min(low, last)), max(0, min(high, last))
    return min(low, high), max(low, high)


def day_offset(days: pd.DatetimeIndex, day: date | None, default: int) -> int:
    return default if day is None else int((pd.Timestamp(day) - days[0]).days)


def facet_options(
    values: list[str], counts: dict[str, int], labels: dict[str, str] | None = None
) -> list[dict]:
    """Checklist/dropdown options labelled with how many incidents each would give."""
    labels = labels or {}
    return [{"label": f"{labels.get(v, v)} ({counts.get(v, 0)})", "value": v} for v in values]


#: Incidents closer than this (degrees, about 1 km here) overlap on the map at town zoom.
NEAR_DEGREES = 0.012


def incident_by_id(incidents: pd.DataFrame, incident_id: str | None) -> pd.Series | None:
    """The incident with this id, or None (no id, or not in the data)."""
    position = incident_position(incidents, incident_id)
    return None if position is None else incidents.iloc[position]


def near(visible: pd.DataFrame, incident: pd.Series) -> pd.DataFrame:
    """Visible incidents drawn on or next to ``incident``: markers a click cannot tell apart."""
    close = ((visible["lat"] - incident["lat"]).abs() < NEAR_DEGREES) & (
        (visible["lon"] - incident["lon"]).abs() < NEAR_DEGREES * 1.4
    )
    return visible[close]


def table_page(
    incidents: pd.DataFrame,
    rows: np.ndarray,
    page: int | None,
    sort_by: list[dict] | None,
    lang: str = DEFAULT_LANGUAGE,
    orders: SortOrders | None = None,
) -> np.ndarray:
    """Positions of the table's current page: ``rows`` sorted as asked (unknown values last),
    then the page's slice (a page past the end shows the last one). Places sort by their
    name in ``lang``, as the column shows them. ``orders``: the context's kept sort orders of
    ``incidents`` (see :class:`~dashboard.table.SortOrders`)."""
    if (sort_by or [{}])[0].get("column_id") == "municipality":
        column = incidents["municipality"]
        if orders is not None and isinstance(column.dtype, pd.CategoricalDtype):
            # The kept order by category, regrouped by the names in ``lang`` (no sort per request).
            ranks = {"municipality": municipality_ranks(column.cat.categories, lang)}
            return page_by_selection(
                incidents, rows, page, sort_by, TABLE_SORT_COLUMNS, TABLE_PAGE_SIZE, orders, ranks
            )
        # Ordered by the names in ``lang``: a column of its own, sorted afresh (38 categories).
        frame = pd.DataFrame({"municipality": municipality_sort_column(incidents["municipality"], lang)})
        return page_by_selection(frame, rows, page, sort_by, TABLE_SORT_COLUMNS, TABLE_PAGE_SIZE)
    place_column = PLACE_COLUMNS[lang] if PLACE_COLUMNS[lang] in incidents else "place_name"
    columns = {**TABLE_SORT_COLUMNS, "place": place_column}
    return page_by_selection(incidents, rows, page, sort_by, columns, TABLE_PAGE_SIZE, orders)


def municipality_ranks(categories: pd.Index, lang: str) -> np.ndarray:
    """The place of each municipality category in :func:`municipality_sort_column`'s order."""
    names = municipality_names(categories, lang)
    if len(set(names)) != len(names):  # as there: the layer's order
        return np.arange(len(names))
    ranks = np.empty(len(names), dtype=np.intp)
    ranks[sorted(range(len(names)), key=lambda i: folded(names[i], lang))] = np.arange(len(names))
    return ranks


def municipality_sort_column(column: pd.Series, lang: str) -> pd.Series:
    """The municipality column with its categories renamed into ``lang`` and ordered by those
    names (only the few categories change; the codes per row are kept)."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column
    names = municipality_names(column.cat.categories, lang)
    if len(set(names)) != len(names):  # two layer names with one translation: keep the layer's
        return column
    renamed = column.cat.rename_categories(names)
    return renamed.cat.reorder_categories(sorted(names, key=lambda name: folded(name, lang)))


#: The frame columns the table shows.
TABLE_COLUMNS = (
    "id",
    "date_start",
    "date_end",
    "date_precision",
    "event_type",
    "place_name",
    "place_name_sq",
    "place_name_sr",
    "municipalities",  # a region record lists the municipalities it covers
    "fatalities",
    "injured",
    "description",
)


def table_rows(shown: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """Rows for the incidents table (one page: plain Python over a few dozen rows is quickest),
    place and municipality names in ``lang``.

    Unknown counts stay None (JSON null), never 0.
    """
    named = shown.assign(
        place_name=place_names(shown, lang),
        municipalities=municipality_list_names(shown["municipalities"], lang, join=";"),
    )
    plain = [c for c in TABLE_COLUMNS if c not in ("place_name_sq", "place_name_sr")]
    columns = zip(*(named[column].tolist() for column in plain), strict=True)
    return [
        {
            "id": str(incident_id),
            "date": table_date(start, end, str(precision)),
            "event_type": str(kind),
            "place": str(place),
            "municipality": "—"
            if _missing(municipality) or not municipality
            else str(municipality).replace(";", ", "),
            "fatalities": None if _missing(dead) else float(dead),
            "injured": None if _missing(injured) else float(injured),
            "description": "" if _missing(description) else str(description),
        }
        for incident_id, start, end, precision, kind, place, municipality, dead, injured, description in (
            columns
        )
    ]


def table_date(start: pd.Timestamp, end: pd.Timestamp, precision: str) -> str:
    """'2008-02-17'; a range as '2008-02-17 – 2008-03-13'; a month as '2008-05 (month)'."""
    if precision == "month":
        return f"{start:%Y-%m} (month)"
    if precision == "range" and end.normalize() != start.normalize():
        return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    return start.strftime("%Y-%m-%d")


def _missing(value: object) -> bool:
    """None, pd.NA or NaN (pd.isna per cell costs more than the rest of a table row)."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def municipality_choices(
    dataset: Dataset, lang: str = DEFAULT_LANGUAGE, choices: Choices | None = None
) -> tuple[list[str], dict[str, str]]:
    """Municipality filter values (North Kosovo group first, then by name in ``lang``) and
    their labels in ``lang``. Values stay the layer's names, whatever the language.

    ``choices``: the dataset's :func:`choices_of`, when already at hand.
    """
    labels = {NORTH_KOSOVO_GROUP: f"{NORTH_KOSOVO_NAMES[lang]} (4 municipalities)"}
    choices = choices_of(dataset) if choices is None else choices
    values = [NORTH_KOSOVO_GROUP] if NORTH_KOSOVO_GROUP in choices.municipalities else []
    if dataset.boundaries is not None:
        names = dataset.boundaries.municipalities["name"].tolist()
        shown = dict(zip(names, municipality_names(names, lang), strict=True))
        labels |= shown
        values += sorted(names, key=lambda n: folded(shown[n], lang))
    return values, labels


#: The Latin alphabets of Serbian and Albanian in their own order, digraphs as the letters they are
#: (Serbian files Đ after D and Dž, Č and Ć after C, Š after S; Albanian Ç after C, Sh after S...).
ALPHABETS: Final = MappingProxyType(
    {
        "sr": "a b c č ć d dž đ e f g h i j k l lj m n nj o p r s š t u v z ž",
        "sq": "a b c ç d dh e ë f g gj h i j k l ll m n nj o p q r rr s sh t th u v x xh y z zh",
    }
)
#: Each alphabet's letters by their place in it (built once: ``folded`` runs for every name sorted).
LETTER_RANKS: Final = MappingProxyType(
    {lang: {letter: i for i, letter in enumerate(letters.split())} for lang, letters in ALPHABETS.items()}
)


def folded(name: str, lang: str = DEFAULT_LANGUAGE) -> tuple:
    """A sort key for names in ``lang``: Serbian and Albanian by their alphabets (letter by letter,
    digraphs as one); English files Č with C and Ë with E, as a reader of English looks for them. Any
    other character counts as its folded form, after the alphabet's letters; ties go by the folded name."""
    if lang not in LETTER_RANKS:
        return (normalise_name(name),)
    rank = LETTER_RANKS[lang]
    text = unicodedata.normalize("NFC", name).lower()
    key, i = [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in rank:
            key.append((rank[pair], ""))
            i += 2
            continue
        char = text[i]
        if char in rank:
            key.append((rank[char], ""))
        else:  # a space or hyphen before any letter, anything else after the alphabet
            key.append((-1, "") if char in " -" else (len(rank), normalise_name(char)))
        i += 1
    return (tuple(key), normalise_name(name))


#: The columns a view update needs of every visible incident (markers, shading, details, legend).
VIEW_COLUMNS = (*figures.MARKER_COLUMNS, "municipality", "north_kosovo")


@dataclass(frozen=True)
class ViewContext:
    """What every view update reads besides the controls, derived once per dataset."""

    dataset: Dataset
    days: pd.DatetimeIndex
    choices: Choices
    #: Per language: the municipality filter's values in that language's order, and their labels.
    municipality_choices: dict[str, tuple[list[str], dict[str, str]]]
    #: The table's sort orders: stored with the cache entry, else each computed on its column's first
    #: sort and kept.
    orders: SortOrders | None = None
    #: What the timeline counts of each incident, derived once (see :mod:`dashboard.timecounts`).
    timeline: TimelineRows | None = None
    #: The incidents' dates as kept ticks: the date window by binary search (None: rows compared).
    dates: DateOrder | None = None
    #: What the opening view counts over every row, stored with the cache entry (``opening.py``).
    opening: OpeningData | None = None
    #: Per language: the names layer's points (figures.label_points), derived once: every view update
    #: in another language than the first figure's sends them (12 ms each to derive).
    name_points: dict[str, dict] | None = None
    #: Without a boundary layer: which incidents the map's frame leaves out (:func:`strays_of`).
    strays: np.ndarray | None = None

    @property
    def municipality_values(self) -> list[str]:
        """The municipality filter's values (the layer's names), in English order."""
        return self.municipality_choices[DEFAULT_LANGUAGE][0]

    @property
    def municipality_labels(self) -> dict[str, str]:
        return self.municipality_choices[DEFAULT_LANGUAGE][1]


def view_context(dataset: Dataset, opening: OpeningData | None = None) -> ViewContext:
    """Derived once per app (:func:`dashboard.app.create_app`) and handed to the layout and callbacks.
    ``opening``: the dataset's :class:`~dashboard.opening.OpeningData` (read from its cache entry),
    which holds what would otherwise be derived here from every row."""
    if opening is None:
        choices = choices_of(dataset)
        days = days_of(dataset)
        timeline, dates = timeline_rows(dataset.incidents, days), date_order(dataset.incidents)
    else:
        choices, days = choices_of(dataset, opening.present), opening.days
        timeline, dates = opening.timeline, opening.dates
    return ViewContext(
        dataset,
        days,
        choices,
        {lang: municipality_choices(dataset, lang, choices) for lang in LANGUAGES},
        SortOrders(dataset.incidents, dataset.sort_orders),
        timeline,
        dates,
        opening,
        {lang: figures.label_points(dataset, lang) for lang in LANGUAGES},
        strays_of(dataset),
    )


#: What one view update sets, in the order :func:`view_outputs` returns it: the update callback
#: declares these, and the page is built with the opening view's values (:func:`opening_view`).
VIEW_OUTPUTS = (
    ("map", "figure"),
    ("timeline", "figure"),
    ("incident-count", "children"),
    ("date-range-label", "children"),
    ("filter-event-type", "options"),
    ("filter-side", "options"),
    ("filter-municipality", "options"),
    ("filter-place-kind", "options"),
    ("incident-table", "data"),
    ("incident-table", "page_count"),
    ("incident-table", "style_data_conditional"),
    ("incident-details", "children"),
    ("view-query", "data"),
    ("scrub-points", "data"),
    ("map-frame", "data"),
    ("map-focus", "data"),
    ("outside-note", "children"),
    ("municipality-details", "children"),
    ("timeline-window", "style"),
)


def opening_view(context: ViewContext) -> dict[tuple[str, str], object]:
    """The view with no filter set, by output: the page is built with it, so a first load of
    the plain address draws the map without waiting for any server callback. (The legend part
    is the legend's own opening state, ``legend.legend_panel``.)"""
    last = len(context.days) - 1
    values = view_outputs(context, [0, last], [], [], [], [], [], "", [], None, for_page=True)
    return dict(zip(VIEW_OUTPUTS, values, strict=True))


def view_outputs(
    context: ViewContext,
    window,
    event_types,
    sides,
    municipalities,
    place_kinds,
    casualties,
    text,
    shade,
    selected_id: str | None,
    page: int | None = 0,
    sort_by: list[dict] | None = None,
    area: list | None = None,
    lang: str | None = DEFAULT_LANGUAGE,
    dates_only: bool = False,
    lang_changed: bool = False,
    clicked: str | None = None,
    for_page: bool = False,
) -> tuple:
    """Everything one view update sends, from the control values (the update callback's body):
    :data:`VIEW_OUTPUTS`, then ``legend.LEGEND_OUTPUTS``, all from one filtered frame.

    ``lang``: the language of place and municipality names (a value not in
    :data:`~geodata.names.LANGUAGES`, which only a forged request sends, counts as the default);
    ``lang_changed``: it has just changed, so the map's names are sent again.

    ``dates_only`` (only the slider moved): the histogram's bars are kept, since they show
    the other filters over the whole period; only its shaded window moves. ``clicked``: the
    municipality whose card is open; its count in view follows the view. ``for_page``: the values
    the page is built with (:func:`opening_view`), which draws the map and the timeline as whole
    figures and the legend from its own state: their patches are None and the legend's are left out
    (at five million rows they cost a tenth of a second of every server start).
    """
    dataset, days, choices = context.dataset, context.days, context.choices
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    incidents = dataset.incidents
    view = view_from_controls(days, window, event_types, sides, municipalities, place_kinds, casualties, text)
    # One mask per filter, reused for the view, the histogram and every facet count.
    masks = view_masks(incidents, view, area, context.dates)
    rows = np.flatnonzero(combine(masks, length=len(incidents)))
    visible = take_rows(incidents, rows, VIEW_COLUMNS)
    low, high = window_bounds(days, window)
    if dates_only:  # the histogram's areas stay; only the window box moves
        timeline, scrub = no_update, no_update
        frame = no_update  # the map frames the other filters only: Play does not move the camera
    else:  # the histogram shows the other filters over the whole period, with the window shaded
        kept = combine(masks, leave_out="dates", length=len(incidents))
        counted = np.flatnonzero(kept)
        # A drawn area does not move the camera: it was drawn on what the user sees.
        frame = frame_bounds(dataset, counted, narrowed=any(name not in ("dates", "area") for name in masks))
        # The same incidents go to the browser for slider drags, when few enough.
        small = len(counted) <= CLIENT_LIMIT
        if for_page:
            timeline = None
        elif context.timeline is not None:  # counted from the numbers kept per row
            counts = context.timeline.binned(None if len(counted) == len(incidents) else kept)
            timeline = figures.timeline_patch(None, days, counts)
        else:
            timeline = figures.timeline_patch(take_rows(incidents, counted, figures.TIMELINE_COLUMNS), days)
        scrub = (
            scrub_points(dataset, take_rows(incidents, counted, VIEW_COLUMNS), days, lang) if small else None
        )
    opening = context.opening
    # The page's view counts every row: its counts were stored with the cache entry (opening.py).
    counts = (
        opening.facets if for_page and opening and not masks else all_facet_counts(incidents, view, masks)
    )
    page_rows = table_page(incidents, rows, page, sort_by, lang, context.orders)
    incident = incident_by_id(incidents, selected_id)
    where = np.flatnonzero((visible["id"] == selected_id).to_numpy()) if incident is not None else []
    position = (int(where[0]), len(visible)) if len(where) else None
    same_place = near(visible, incident) if incident is not None else None
    area = clean_area(area) if area else None
    state = ViewState(
        filter=view,
        selected=selected_id if incident is not None else None,
        shade=bool(shade),
        area=tuple((lon, lat) for lon, lat in area or ()),
        lang=lang,
    )
    aggregate_note = html.Span(
        f" · over {figures.POINT_LIMIT:,}: the map shows municipality totals; filter or "
        "click a municipality and 'Show only' it for single incidents",
        className="aggregate-note",
    )
    # The names go out when the language changes and with every view in another language than the
    # first figure's (a page opened on ?lang=sq); English views send none (no per-update text).
    names = lang_changed or lang != DEFAULT_LANGUAGE
    map_patch = (
        None
        if for_page
        else figures.map_patch(
            dataset,
            visible,
            selected_id,
            bool(shade),
            lang,
            names,
            context.name_points[lang] if context.name_points else None,
        )
    )
    if map_patch is not None:
        # The map says which window it has drawn: Play steps on only once it has (unrest_map.js).
        map_patch["layout"]["meta"]["window"] = [low, high]
        # A new drawn area (or none) drops the selection outline and dimming: the filter replaces them.
        map_patch["layout"]["selectionrevision"] = area_to_param(area) or "none"
        map_patch["layout"]["selections"] = []
        if not dates_only:
            # Plotly writes a Box/Lasso selection into the figure's own traces (selectedpoints), and a
            # patch keeps it: the points, now filtered, would stay dimmed by indices into the old ones
            # (and after Clear or Reset, everything outside the old box). Not on slider steps: the
            # change would send every source to the map's worker again.
            for index in figures.TRACE_INDEX.values():
                map_patch["data"][index]["selectedpoints"] = None
    return (
        map_patch,
        timeline,
        [html.B(f"{len(visible):,}"), f" of {len(incidents):,} incidents in view"]
        + ([aggregate_note] if figures.is_aggregated(visible) else []),
        f"{days[low]:%-d %b %Y} – {days[high]:%-d %b %Y}",
        facet_options(list(EVENT_TYPES), counts["event_types"]),
        facet_options(sorted(choices.sides), counts["sides"]),
        facet_options(*_with_counts(context.municipality_choices[lang], counts["municipalities"])),
        facet_options(list(PLACE_KINDS), counts["place_kinds"]),
        table_rows(take_rows(incidents, page_rows, TABLE_COLUMNS), lang),
        max(1, -(-len(rows) // TABLE_PAGE_SIZE)),
        table_highlight(selected_id),
        details_panel(
            incident,
            dataset.reactions,
            same_place,
            position,
            original_columns(dataset, selected_id) if incident is not None else None,
            lang,
            layer=dataset.boundaries is not None,
        ),
        to_query(state, choices),
        scrub,
        frame,
        focus_of(incident),
        # Apart from the count, which a slider drag redraws in the browser: the note's buttons
        # then stay put (a pattern-matching Input would fire on every drag step otherwise).
        outside_note(
            visible,
            incidents,
            rows,
            lang,
            (dataset.boundary_reason or "no boundary layer given") if dataset.boundaries is None else "",
            context.strays,
        ),
        municipality_card(
            dataset, clicked, view, int((visible["municipality"] == clicked).sum()), lang, masks
        )
        if clicked
        else [],
        timeaxis.window_style(len(days), low, high),
        *(
            ()
            if for_page
            else legend_outputs(
                dataset,
                view,
                visible,
                bool(shade),
                context.municipality_choices[lang][1],
                days,
                area="area" in masks,
            )
        ),
    )


def _with_counts(choices: tuple[list[str], dict[str, str]], counts: dict[str, int]) -> tuple:
    values, labels = choices
    return values, counts, labels


#: The map opens on these bounds when there is no boundary layer and no incident.
WORLD_BOUNDS = (-180.0, -85.0, 180.0, 85.0)


def _bounds_of(lon: np.ndarray, lat: np.ndarray) -> list[float] | None:
    keep = np.isfinite(lon) & np.isfinite(lat)
    if not keep.any():
        return None
    return [float(lon[keep].min()), float(lat[keep].min()), float(lon[keep].max()), float(lat[keep].max())]


#: Without a boundary layer, incidents farther than this many times the typical (75th percentile)
#: distance from the incidents' median point are left out of the frame, when they are at most
#: :data:`STRAY_SHARE` of them: the region is where most of them are.
STRAY_DISTANCE = 4.0
STRAY_SHARE = 0.1


def _dense_bounds(lon: np.ndarray, lat: np.ndarray) -> list[float] | None:
    """Bounds of the points less a few strays far from all the others (the built-in data's one
    incident in Belgrade, 200 km north of Kosovo's others, put Kosovo in a corner of the map)."""
    keep = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[keep], lat[keep]
    if len(lon) < 3:
        return _bounds_of(lon, lat)
    centre_lon, centre_lat = np.median(lon), np.median(lat)
    # Degrees of longitude shrink with latitude: distances in degrees of latitude.
    distance = np.hypot((lon - centre_lon) * np.cos(np.radians(centre_lat)), lat - centre_lat)
    typical = np.quantile(distance, 0.75)
    near = distance <= STRAY_DISTANCE * typical
    if typical > 0 and (~near).sum() <= STRAY_SHARE * len(lon):
        lon, lat = lon[near], lat[near]
    return _bounds_of(lon, lat)


def home_bounds(dataset: Dataset) -> list[float]:
    """[west, south, east, north] of the whole boundary layer (else of the incidents, less a few
    strays far from the rest: :func:`_dense_bounds`)."""
    if dataset.boundaries is not None and len(dataset.boundaries.country):
        return [float(v) for v in dataset.boundaries.country.total_bounds]
    incidents = dataset.incidents
    found = _dense_bounds(incidents["lon"].to_numpy(float), incidents["lat"].to_numpy(float))
    return found or list(WORLD_BOUNDS)


def strays_of(dataset: Dataset) -> np.ndarray | None:
    """Without a boundary layer, per incident: it lies outside the frame the map opens on (a stray
    far from the rest, such as the built-in data's one in Belgrade: :func:`home_bounds`). The header
    names them as it names the incidents outside a layer. None with a layer: its flag says that."""
    if dataset.boundaries is not None:
        return None
    west, south, east, north = home_bounds(dataset)
    lon = dataset.incidents["lon"].to_numpy(float)
    lat = dataset.incidents["lat"].to_numpy(float)
    # An incident without coordinates is on no map: not "outside" it either.
    placed = np.isfinite(lon) & np.isfinite(lat)
    return placed & ((lon < west) | (lon > east) | (lat < south) | (lat > north))


def frame_bounds(dataset: Dataset, rows: np.ndarray, narrowed: bool) -> list[float]:
    """What the map fits: the whole boundary layer, or the incidents at ``rows`` when a filter
    other than the dates narrows them (the date window is left out so Play does not jump
    the camera every day). Incidents outside the boundary layer only count when nothing
    else is left; they are reached through the header's "outside the map" note instead.
    Without a layer, a few strays far from the rest are left out (:func:`_dense_bounds`)."""
    if not narrowed or not len(rows):
        return home_bounds(dataset)
    chosen = take_rows(dataset.incidents, rows, ("lon", "lat", "outside_boundaries"))
    inside = ~chosen["outside_boundaries"].to_numpy(dtype=bool)
    if inside.any():
        chosen = chosen[inside]
    # Without a layer every incident counts as outside it: the strays are left out instead.
    bounds_of = _bounds_of if dataset.boundaries is not None else _dense_bounds
    found = bounds_of(chosen["lon"].to_numpy(float), chosen["lat"].to_numpy(float))
    return _at_least(found, MIN_FRAME_DEGREES) if found else home_bounds(dataset)


#: The smallest box the map fits to (about 30 km here): one incident keeps its surroundings in view.
MIN_FRAME_DEGREES = 0.35


def _at_least(bounds: list[float], span: float) -> list[float]:
    """``bounds`` grown about its centre to at least ``span`` degrees each way."""
    west, south, east, north = bounds
    half_x, half_y = max((east - west) / 2, span / 2), max((north - south) / 2, span / 2)
    centre_x, centre_y = (west + east) / 2, (south + north) / 2
    return [centre_x - half_x, centre_y - half_y, centre_x + half_x, centre_y + half_y]


#: The header names at most this many incidents outside the map (the rest are counted).
OUTSIDE_NAMED = 3


def outside_note(
    visible: pd.DataFrame,
    incidents: pd.DataFrame,
    rows: np.ndarray,
    lang: str = DEFAULT_LANGUAGE,
    missing: str = "",
    strays: np.ndarray | None = None,
) -> list:
    """'including 1 outside the map: Belgrade, 6 Mar 2008' (the place in ``lang``), each name a
    button that selects it. ``missing``: why the dataset has no boundary layer, in a few words
    (its ``boundary_reason``); then every incident is flagged outside a layer that is not there:
    the note counts the ``strays`` instead (:func:`strays_of`: those the map's frame leaves out),
    and says that the boundaries are not loaded, and why."""
    if missing:
        # Briefly: the notice under the header has the whole reason, with its URL and paths, which
        # on one line made the page wider than the screen.
        reason = [
            f"Municipal boundaries not loaded: {missing}.",
            " Incidents are drawn at their coordinates, with no municipality.",
        ]
        off_map = _off_map_note(visible, strays[rows], lang) if strays is not None else []
        return [*off_map, ". ", *reason] if off_map else reason
    return _off_map_note(visible, incidents["outside_boundaries"].to_numpy(dtype=bool)[rows], lang)


def _off_map_note(visible: pd.DataFrame, outside: np.ndarray, lang: str) -> list:
    """The part of :func:`outside_note` that names the ``visible`` incidents flagged ``outside``."""
    if not outside.any():
        return []
    shown = visible[outside]
    shown = shown.assign(place_name=place_names(shown, lang))
    labels = figures.date_labels(shown.head(OUTSIDE_NAMED))
    count = len(shown)
    buttons: list = []
    for (incident_id, place), label in zip(
        shown.head(OUTSIDE_NAMED)[["id", "place_name"]].itertuples(index=False), labels, strict=True
    ):
        if buttons:
            buttons.append(", ")
        buttons.append(
            html.Button(
                f"{place}, {label}",
                className="link-button outside-link",
                **incident_link(incident_id),
                title="Select it and move the map to it",
            )
        )
    more = [f" and {count - OUTSIDE_NAMED:,} more"] if count > OUTSIDE_NAMED else []
    # "including": they are in the header's count too, only drawn beyond the boundary layer.
    return [f"including {count:,} outside the map: ", *buttons, *more]


def incident_link(incident_id: object) -> dict[str, str]:
    """Attributes of a button that selects an incident (``assets/unrest_map.js`` handles the
    click in the browser). Not a pattern-matching Input: those fire a server round trip each
    time a view update redraws the buttons, on every slider step."""
    return {"data-incident": str(incident_id)}


def focus_of(incident: pd.Series | None) -> dict | None:
    """Where the selected incident is, so the browser can bring it into view."""
    if incident is None or pd.isna(incident["lat"]) or pd.isna(incident["lon"]):
        return None
    return {"id": str(incident["id"]), "lonlat": [float(incident["lon"]), float(incident["lat"])]}


def table_highlight(selected_id: str | None) -> list[dict]:
    base = [{"if": {"state": "active"}, "backgroundColor": "#fff7d6", "border": "1px solid #e0c060"}]
    if selected_id and all(ch not in selected_id for ch in "\"'\\{}"):
        base.append(
            {
                "if": {"filter_query": f'{{id}} = "{selected_id}"'},
                "backgroundColor": "#fff1b8",
                "fontWeight": "600",
            }
        )
    return base
