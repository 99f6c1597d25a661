"""The details panel for one incident: plain Dash components, text shown as text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from dash import html

from dashboard.figures import date_labels, spot_keys
from geodata.filters import NORTH_KOSOVO_GROUP, ViewFilter, all_facet_counts
from geodata.names import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    PLACE_COLUMNS,
    display_name,
    place_names,
)

PRECISION_WORDS = {
    "day": "exact day",
    "range": "somewhere in this range",
    "month": "month only",
    "site": "exact site",
    "town": "town or village",
    "region": "region only",
}


def _count(value: object) -> str:
    return "unknown" if value is None or pd.isna(value) else f"{int(value):,}"


def _present(value: object) -> bool:
    return value is not None and not pd.isna(value) and str(value) != ""


def _row(label: str, *value: object) -> html.Tr:
    return html.Tr([html.Th(label), html.Td(list(value))])


def details_panel(
    incident: pd.Series | None,
    reactions: pd.DataFrame,
    same_place: pd.DataFrame | None,
    position: tuple[int, int] | None,
    originals: dict[str, str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    layer: bool = True,
) -> list:
    """Components for the details panel; ``position`` is (index, total) in the current view.

    ``same_place``: the visible incidents at or next to this one (None: not looked up).
    Place and municipality names are in ``lang``; the place's other names follow it.
    ``layer``: the dataset has a boundary layer (without one no incident is outside it)."""
    if incident is None:
        return [html.P("Click an incident on the map or in the table to see its details.", className="hint")]
    names = place_names_of(incident)
    place = names.get(lang) or names["en"]
    others = " · ".join(
        f"{LANGUAGE_NAMES[k]}: {v}" for k, v in names.items() if k != lang and v and v != place
    )
    if not layer:
        where = "not known (municipal boundaries not loaded)"
    elif incident.get("outside_boundaries"):
        where = "outside the boundary layer"
    else:
        where = municipality_words(incident, lang)
    flags = []
    if incident.get("north_kosovo"):
        flags.append("North Kosovo")
    if incident.get("snapped"):
        flags.append(f"snapped {incident.get('snap_distance_m'):.0f} m to the nearest municipality")
    date_text = date_labels(
        incident.to_frame().T.astype({"date_start": "datetime64[us]", "date_end": "datetime64[us]"})
    ).iloc[0]
    sides = str(incident["sides"]) if _present(incident["sides"]) else ""
    facts = [
        (
            "Date",
            date_text,
            html.Span(f" ({PRECISION_WORDS.get(str(incident['date_precision']), '')})", className="muted"),
        ),
        ("Place", place),
        ("Also called", others),
        ("Location", PRECISION_WORDS.get(str(incident["location_precision"]), "")),
        ("Municipality", where + (f" ({', '.join(flags)})" if flags else "")),
        ("District", str(incident.get("district")) if _present(incident.get("district")) else ""),
        ("Actors", " — ".join(str(a) for a in (incident["actor1"], incident["actor2"]) if _present(a))),
        ("Sides", ", ".join(side for side in sides.split(";") if side)),
        ("Fatalities", _count(incident["fatalities"])),
        ("Injured", _count(incident["injured"])),
        ("Arrested", _count(incident["arrested"])),
        ("Participants", _count(incident["participants"])),
        ("Source", str(incident["source_section"]) if _present(incident["source_section"]) else ""),
    ]
    # A fact the record does not give is left out, not shown as an empty row (an upload often has
    # no actors or source); a count the source does not give says "unknown".
    rows = [_row(label, value, *more) for label, value, *more in facts if str(value).strip()]
    header = [
        html.Div(
            [
                html.Span(str(incident["event_type"]), className="badge"),
                html.Span(
                    ["Sub-type: ", str(incident["sub_event_type"])]
                    if _present(incident["sub_event_type"])
                    else "",
                    className="muted sub-type",
                ),
                html.Span(
                    f"{position[0] + 1} of {position[1]}" if position else "not in the current view",
                    className="muted position",
                ),
            ],
            className="details-head",
        ),
        html.H3(str(incident["id"]), className="incident-id"),
        html.P(str(incident["description"] or ""), className="description"),
        html.Table(html.Tbody(rows), className="facts"),
    ]
    if incident.get("notes") and not pd.isna(incident.get("notes")):
        header.append(html.P(["Coding note: ", str(incident["notes"])], className="note"))
    linked = reactions[reactions["incident_id"] == incident["id"]]
    if len(linked):
        header.append(html.H4(f"Reactions ({len(linked)})"))
        header.append(
            html.Ul(
                [
                    html.Li(
                        [
                            html.B(str(r.speaker)),
                            f" ({r.role}, {r.affiliation})" if r.role else f" ({r.affiliation})",
                            ": ",
                            str(r.summary),
                        ]
                    )
                    for r in linked.itertuples()
                ],
                className="reactions",
            )
        )
    if originals:
        header.append(
            html.Details(
                [
                    html.Summary(f"Original columns ({len(originals)})"),
                    html.Table(
                        html.Tbody([_row(k, v) for k, v in originals.items()]), className="facts originals"
                    ),
                ],
                open=False,
            )
        )
    others = same_place[same_place["id"] != incident["id"]] if same_place is not None else None
    if others is not None and len(others):
        # The spot's others first, as many as its badge counts besides this one (trial: a badge of 8
        # led to "Also at or near (8)", nine incidents with this one); then the markers beside it.
        here = spot_keys(others["lat"].to_numpy(float), others["lon"].to_numpy(float)) == spot_keys(
            np.array([float(incident["lat"])]), np.array([float(incident["lon"])])
        )
        for title, part in (
            (f"Also on this spot in this view ({int(here.sum())})", others[here]),
            (f"Beside it in this view ({int((~here).sum())})", others[~here]),
        ):
            if len(part):
                header.extend([html.H4(title), _incident_buttons(part)])
    return header


def _incident_buttons(incidents: pd.DataFrame) -> html.Div:
    """One button per incident (id, date, type), each selecting it."""
    return html.Div(
        [
            html.Button(
                f"{incident_id} · {label} · {event_type}",
                className="link-button",
                # Selects it in the browser (assets/unrest_map.js), no callback per redraw.
                **{"data-incident": str(incident_id)},
            )
            for incident_id, label, event_type in zip(
                incidents["id"], date_labels(incidents), incidents["event_type"], strict=True
            )
        ],
        className="same-place",
    )


def place_names_of(incident: pd.Series) -> dict[str, str]:
    """The incident's place in each language, from its ``place_name*`` fields ('' where unknown)."""
    return {
        lang: ""
        if not _present(incident.get(PLACE_COLUMNS[lang]))
        else str(incident.get(PLACE_COLUMNS[lang]))
        for lang in LANGUAGES
    }


def municipality_words(incident: pd.Series, lang: str) -> str:
    """The municipality in ``lang``; for a region record, 'region: ' and the ones it covers."""
    name = incident.get("municipality")
    if _present(name):
        return display_name(str(name), lang)
    covered = [m for m in str(incident.get("municipalities") or "").split(";") if m]
    if covered:
        return "region: " + ", ".join(display_name(m, lang) for m in covered)
    return "region, no municipality" if incident.get("regional") else "—"


def value_counts(column: pd.Series) -> pd.Series:
    """``column.dropna().astype(str).value_counts()``: known values as text, most frequent first, ties
    in order of first appearance. A categorical is counted by its codes and a text column by Arrow,
    so no text is made per row (at five million rows the text copies took seconds at start)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        counts = np.bincount(codes + 1, minlength=len(column.cat.categories) + 1)[1:]  # -1 (missing) dropped
        used = np.flatnonzero(counts)
        first = np.zeros(len(counts), dtype=np.int64)
        values, repeats = np.unique(counts[used], return_counts=True)
        tied = used[np.isin(counts[used], values[repeats > 1])]
        for code in tied:  # only equal counts need the row where each first appears
            first[code] = int(np.argmax(codes == code))
        used = used[np.lexsort((first[used], -counts[used]))]
        return pd.Series(counts[used], index=[str(c) for c in column.cat.categories[used]], name="count")
    if isinstance(column.dtype, pd.StringDtype):  # str values already; NA left out by value_counts
        return column.value_counts()
    return column.dropna().astype(str).value_counts()


def place_counts(incidents: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.Series:
    """``value_counts(place_names(incidents, lang))``, counted by Arrow when the names are Arrow text:
    no Python string is made per row (at five million rows those took 1.7 CPU-s of the server's start).
    Whether a name in ``lang`` is blank is decided once per distinct name, by Python's ``str.strip``."""
    english = incidents["place_name"]
    column = PLACE_COLUMNS[lang]
    in_lang = lang != DEFAULT_LANGUAGE and column in incidents
    if not all(_arrow_text(c) for c in ([english, incidents[column]] if in_lang else [english])):
        return value_counts(place_names(incidents, lang))
    import pyarrow as pa
    import pyarrow.compute as pc

    chosen = pa.chunked_array(english.array._pa_array)
    if in_lang:  # the name in ``lang`` where it is given, else the English one (as place_names)
        names = pa.chunked_array(incidents[column].array._pa_array)
        encoded = pc.dictionary_encode(names).combine_chunks()
        blank = np.array([not name.strip() for name in encoded.dictionary.to_pylist()] + [True])
        index = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy(zero_copy_only=False)
        chosen = pc.if_else(pa.array(blank[index]), chosen, names)
    counted = pc.value_counts(chosen)  # in order of first appearance, as pandas counts
    values, counts = counted.field("values"), counted.field("counts")
    known = pc.is_valid(values)
    found = pd.Series(
        counts.filter(known).to_numpy(), index=values.filter(known).to_pylist(), name="count", dtype=np.int64
    )
    return found.sort_values(ascending=False, kind="stable")


def _arrow_text(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"


@dataclass(frozen=True)
class SummaryCounts:
    """What :func:`dataset_summary` counts over every incident (the opening data stores it with the
    cache entry, ``opening.py``): the period, incidents by event type, the busiest municipalities
    (layer names) and places with several incidents (named in the language it was counted in)."""

    first: pd.Timestamp
    last: pd.Timestamp
    incidents: int
    types: tuple[tuple[str, int], ...]
    municipalities: tuple[tuple[str, int], ...]
    places: tuple[tuple[str, int], ...]


def summary_counts(
    incidents: pd.DataFrame,
    busiest: int = 5,
    lang: str = DEFAULT_LANGUAGE,
    listed: dict[str, int] | None = None,
) -> SummaryCounts:
    """:class:`SummaryCounts` of ``incidents`` (not empty). The municipalities are counted as the
    municipality filter counts them (its options show the same numbers): a region-level record
    counts in each municipality it includes. ``listed``: those counts (the unfiltered view's
    ``all_facet_counts(...)["municipalities"]``), when at hand."""
    if listed is None:
        listed = all_facet_counts(incidents, ViewFilter())["municipalities"]
    named = [(str(m), int(n)) for m, n in listed.items() if n and m != NORTH_KOSOVO_GROUP]
    municipalities = sorted(named, key=lambda item: (-item[1], item[0]))[:busiest]
    places = place_counts(incidents, lang)
    places = places[places > 1].head(busiest)
    return SummaryCounts(
        first=incidents["date_start"].min(),
        last=incidents["date_end"].max(),
        incidents=len(incidents),
        types=tuple((str(t), int(n)) for t, n in value_counts(incidents["event_type"]).items()),
        municipalities=tuple(municipalities),
        places=tuple((str(p), int(n)) for p, n in places.items()),
    )


def dataset_summary(
    incidents: pd.DataFrame,
    title: str,
    busiest: int = 5,
    lang: str = DEFAULT_LANGUAGE,
    counts: SummaryCounts | None = None,
    listed: dict[str, int] | None = None,
) -> html.Div:
    """The details column before anything is selected: what the dataset holds, in brief.

    Period, incidents by event type, and the busiest municipalities and places (named in ``lang``).
    ``counts``: :func:`summary_counts` of ``incidents`` for ``busiest`` and ``lang``, when at hand;
    else ``listed`` is handed to it.
    """
    if incidents.empty:
        return html.Div(
            [html.H3(title), html.P("This dataset holds no incidents.")], className="dataset-summary"
        )
    counts = summary_counts(incidents, busiest, lang, listed) if counts is None else counts
    first, last = counts.first, counts.last
    types = counts.types
    municipalities = [(display_name(m, lang), n) for m, n in counts.municipalities]
    places = counts.places
    blocks = [
        html.H3(title),
        html.P(
            [
                "The whole dataset, before any filter: ",
                html.B(f"{counts.incidents:,} incidents"),
                f" from {first:%-d %b %Y} to {last:%-d %b %Y}.",
            ]
        ),
        html.H4("By event type"),
        html.Table(html.Tbody([_row(str(t), f"{n:,}") for t, n in types]), className="facts"),
    ]
    # Three counts can name one town (its place, its municipality, the filter's option): each says
    # what it counts, and the municipalities' equal the filter's.
    if municipalities:  # none without a boundary layer: no empty heading
        blocks += [
            html.H4("Busiest municipalities"),
            html.P(
                "As the municipality filter counts them: a region-level record (such as one for "
                "North Kosovo) counts in each municipality it includes.",
                className="summary-note",
            ),
            html.Ol([html.Li(f"{m} ({n:,})") for m, n in municipalities]),
        ]
    if len(places):
        blocks += [
            html.H4("Places with several incidents"),
            html.P("Incidents recorded at the place itself.", className="summary-note"),
            html.Ol([html.Li(f"{p} ({n:,})") for p, n in places]),
        ]
    blocks.append(
        html.P("Click an incident on the map or in the table to see its details.", className="hint")
    )
    return html.Div(blocks, className="dataset-summary", id="dataset-summary")
