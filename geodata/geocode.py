"""Geocode a spreadsheet of incidents by place name: GeoNames for Kosovo plus the built-in gazetteer.

Input: a CSV or XLSX file with a date column and a place column (names matched
case-insensitively, with synonyms: ``event_date``, ``location``, ``village``...), optionally
``event_type``, ``sub_event_type``, ``description``, ``actor1``, ``actor2``, ``fatalities``,
``injured``, ``arrested``, ``participants``, ``source``, ``id``, ``date_end``, ``lat``/``lon``
(a row with coordinates keeps them) and ``municipality`` as a hint.

Matching (each distinct place name and hint is matched once, however many rows share it):

- names fold before comparing: Serbian Cyrillic to Latin, case, diacritics (Albanian ë/ç,
  Serbian č/ć/š/ž, đ as "dj"), hyphens and spaces (:func:`geodata.gazetteer.normalise_name`);
- every name GeoNames lists for a feature, and the gazetteer's names and aliases, are candidates;
  a gazetteer place with a GeoNames id is that feature;
- settlements rank above sites (crossings, stations), which rank above regions, localities,
  streams and hills; among settlements a municipal seat (GeoNames PPLA/PPLC, or a gazetteer
  city or town) ranks above villages of the same name, and the row says so;
- a name no candidate has exactly is matched fuzzily (rapidfuzz ratio >= :data:`FUZZY_CUTOFF`),
  and the row says ``fuzzy`` with its score;
- two or more candidates of the best rank make the name **ambiguous**: the row is not placed
  and the report names the candidates with their municipalities; a ``municipality`` hint in the
  row picks among them (match kind ``hint``);
- an unknown name is reported with the nearest names; an impossible date is reported.

Rows read = rows placed + rows reported, always. Each placed row carries its coordinates,
``matched_name``, ``geonames_id`` or ``gazetteer_key``, ``match_kind`` (coordinates, exact,
alias, fuzzy, hint), ``match_score`` and ``location_precision`` (a settlement is ``town``, a
crossing or site ``site``); the municipality comes afterwards from the boundary join, as for
any record.

Licence of the place data: GeoNames (geonames.org), CC BY 4.0 (:data:`geodata.geonames.ATTRIBUTION`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final

import cyrtranslit
import numpy as np
import pandas as pd

from geodata import geonames
from geodata.gazetteer import Gazetteer, load_gazetteer, normalise_name
from geodata.records import FIRST_DATA_ROW, Problem, ReadResult, empty_frame, typed_frame
from geodata.schema import EVENT_TYPES

if TYPE_CHECKING:
    from geodata.boundaries import Boundaries

#: The file format name of a place-name spreadsheet (``--input-format places``).
FORMAT: Final = "places"
#: Bump when matching changes, so cached imports are geocoded again.
GEOCODER_VERSION: Final = 2
#: The lowest rapidfuzz ratio (0-100) that places a name that matches nothing exactly.
FUZZY_CUTOFF: Final = 85.0
#: How many nearest names an unknown name's report lists.
SUGGESTIONS: Final = 3

#: Our column -> the header names that mean it (folded: lower case, no accents, '_' for spaces).
COLUMN_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "date": ("date", "event_date", "date_start", "start_date", "day", "datum", "data"),
    "date_end": ("date_end", "end_date"),
    "place": (
        "place",
        "location",
        "village",
        "town",
        "city",
        "settlement",
        "place_name",
        "locality",
        "site",
        "vendi",
        "vendbanimi",
        "fshati",
        "mesto",
        "selo",
    ),
    "municipality": ("municipality", "municipality_hint", "komuna", "opstina", "commune", "admin2"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "id": ("id", "event_id", "incident_id"),
    "event_type": ("event_type", "type"),
    "sub_event_type": ("sub_event_type", "subtype", "sub_type"),
    "description": ("description", "notes", "summary", "text"),
    "actor1": ("actor1", "actor_1", "actor"),
    "actor2": ("actor2", "actor_2"),
    "fatalities": ("fatalities", "deaths", "killed", "dead"),
    "injured": ("injured", "wounded", "injuries"),
    "arrested": ("arrested", "arrests"),
    "participants": ("participants", "crowd_size", "crowd"),
    "source": ("source", "sources", "source_url"),
}
COUNT_COLUMNS: Final = ("fatalities", "injured", "arrested", "participants")

#: Candidate ranks, best first.
SEAT, SETTLEMENT, SITE, REGION, OTHER = range(5)
_RANK_WORDS = {SEAT: "town", SETTLEMENT: "settlement", SITE: "site", REGION: "region", OTHER: "feature"}
_KIND_RANK = {"city": SEAT, "town": SEAT, "village": SETTLEMENT, "border crossing": SITE, "site": SITE}
_KIND_OF_RANK = {SEAT: "town", SETTLEMENT: "village", SITE: "site", REGION: "region", OTHER: "site"}


def _fold_header(name: str) -> str:
    return normalise_name(name).replace(" ", "_")


def map_columns(header: list[str]) -> dict[str, str]:
    """Our column name -> the file's header name, for every column the header has (first wins)."""
    folded = {}
    for name in header:
        folded.setdefault(_fold_header(name), name)
    found = {}
    for ours, synonyms in COLUMN_SYNONYMS.items():
        for synonym in synonyms:
            if synonym in folded and folded[synonym] not in found.values():
                found[ours] = folded[synonym]
                break
    return found


def detect_input_format(header: list[str]) -> str | None:
    """'acled', 'ucdp', 'unrest-map' or 'places' from a header; None when it is none of them."""
    from geodata.importers import detect_format

    detected = detect_format(header)
    if detected != "unrest-map":
        return detected
    names = {c.strip().lower() for c in header}
    if {"id", "date_start", "event_type", "place"} <= names:
        return "unrest-map"
    columns = map_columns(header)
    return FORMAT if {"date", "place"} <= columns.keys() else None


# --- the index of candidate places ------------------------------------------------------------


@dataclass(frozen=True)
class PlaceIndex:
    """Every candidate place, and every folded name pointing at them.

    ``places`` has one row per place: ``name``, ``name_sq``, ``name_sr``, ``lat``, ``lon``,
    ``geonames_id`` (0 for none), ``key`` ('' for none), ``rank``, ``precision``, ``kind``,
    ``municipality`` (boundary join; '' outside or without boundaries).
    """

    places: pd.DataFrame
    ranks: np.ndarray  # places["rank"] as a plain array: read once per distinct name
    municipality_of: np.ndarray  # places["municipality"] as a plain object array
    labels: np.ndarray  # how the reports name each place
    names: dict[str, dict[int, str]]  # folded name -> {place position: "exact" | "alias"}
    choices: list[str]  # the folded names, for fuzzy matching
    municipalities: dict[str, str]  # folded municipality name (any language) -> layer name
    has_boundaries: bool


def build_index(
    gazetteer: Gazetteer | None = None,
    features: pd.DataFrame | None = None,
    boundaries: Boundaries | None = None,
) -> PlaceIndex:
    """The candidates from GeoNames (``features``, default the verified XK dump) and the gazetteer
    (default the built-in one); municipalities from ``boundaries`` (a
    :class:`geodata.boundaries.Boundaries`; None: no hints, no municipalities in the report)."""
    gazetteer = gazetteer or load_gazetteer()
    features = geonames.load_geonames() if features is None else features
    code = features["feature_code"].astype(str)
    klass = features["feature_class"].astype(str)
    rank = np.select(
        [code.str.startswith("PPLA") | (code == "PPLC"), klass == "P", klass == "S", klass == "A"],
        [SEAT, SETTLEMENT, SITE, REGION],
        OTHER,
    )
    forms = [
        _language_forms(name, str(alternates))
        for name, alternates in zip(features["name"].astype(str), features["alternatenames"], strict=True)
    ]
    places = pd.DataFrame(
        {
            "name": features["name"].astype(str).to_numpy(),
            "name_sq": [albanian for albanian, _ in forms],
            "name_sr": [serbian for _, serbian in forms],
            "lat": features["latitude"].to_numpy(),
            "lon": features["longitude"].to_numpy(),
            "geonames_id": features["geonameid"].to_numpy(),
            "key": "",
            "rank": rank,
        }
    )
    places["precision"] = np.where(rank == SITE, "site", np.where(rank == REGION, "region", "town"))
    places["kind"] = [_KIND_OF_RANK[r] for r in rank]
    names: list[tuple[str, int, str]] = []
    for position, (name, ascii_name, alternates) in enumerate(
        zip(features["name"], features["asciiname"], features["alternatenames"], strict=True)
    ):
        names.append((name, position, "exact"))
        names.append((ascii_name, position, "exact"))
        names.extend((alt, position, "alias") for alt in str(alternates).split(",") if alt)

    position_of_id = {int(g): i for i, g in enumerate(places["geonames_id"])}
    extra = []
    for key, row in gazetteer.places.iterrows():
        gid = int(row["geonames_id"]) if row["geonames_id"] else 0
        position = position_of_id.get(gid)
        rank_here = REGION if row["kind"] == "region" else _KIND_RANK.get(row["kind"], SETTLEMENT)
        if position is None:
            position = len(places) + len(extra)
            extra.append(
                {
                    "name": row["name_en"],
                    "lat": row["lat"],
                    "lon": row["lon"],
                    "geonames_id": gid,
                    "rank": rank_here,
                    "kind": row["kind"],
                }
            )
        else:  # the gazetteer's place is this GeoNames feature: one candidate, with its key
            places.loc[position, ["rank", "kind"]] = [
                min(rank_here, places.at[position, "rank"]),
                row["kind"],
            ]
        # The gazetteer names its places in the three languages, GeoNames' own name included (which
        # is often the Albanian or the Serbian form): an upload's place then reads as a built-in one.
        extra_or_place = {
            "key": str(key),
            "name": row["name_en"],
            "name_sq": row["name_sq"],
            "name_sr": row["name_sr"],
        }
        extra_or_place["precision"] = row["location_precision"]
        if position < len(places):
            for column, value in extra_or_place.items():
                places.at[position, column] = value
        else:
            extra[-1].update(extra_or_place)
        for name in (str(key), row["name_en"], row["name_sq"], row["name_sr"]):
            names.append((name, position, "exact"))
        names.extend((a, position, "alias") for a in str(row["aliases"]).split(";") if a.strip())
    if extra:
        places = pd.concat([places, pd.DataFrame(extra)], ignore_index=True)
    places["geonames_id"] = places["geonames_id"].astype("int64")
    places["rank"] = places["rank"].astype("int64")

    index: dict[str, dict[int, str]] = {}
    folded_cache: dict[str, str] = {}
    for name, position, kind in names:
        folded = folded_cache.get(name)
        if folded is None:
            folded = folded_cache[name] = normalise_name(name)
        if not folded:
            continue
        entry = index.setdefault(folded, {})
        if entry.get(position) != "exact":  # an exact name beats the same spelling as an alias
            entry[position] = kind

    municipalities: dict[str, str] = {}
    if boundaries is not None:
        from geodata.join import join_boundaries

        joined = join_boundaries(places[["lat", "lon"]], boundaries)
        places["municipality"] = joined["municipality"].astype(object).fillna("").astype(str).to_numpy()
        layer = boundaries.municipalities
        for column in ("name", "name_sq", "name_sr", "display_name"):
            for form, name in zip(layer[column].astype(str), layer["name"].astype(str), strict=True):
                municipalities.setdefault(normalise_name(form), name)
    else:
        places["municipality"] = ""
    return PlaceIndex(
        places=places,
        ranks=places["rank"].to_numpy(),
        municipality_of=places["municipality"].to_numpy(dtype=object),
        labels=_labels(places, boundaries is not None),
        names=index,
        choices=list(index),
        municipalities=municipalities,
        has_boundaries=boundaries is not None,
    )


# --- matching one name ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """The outcome for one distinct (place name, municipality hint)."""

    position: int = -1  # into PlaceIndex.places; -1: not placed
    kind: str = ""  # exact, alias, fuzzy, hint
    score: float = 0.0
    note: str = ""
    problem: str = ""  # why it was not placed (ambiguous, unknown)
    problem_kind: str = ""  # "ambiguous" or "unknown"
    candidates: tuple[int, ...] = ()  # ambiguous: the positions; unknown: nearest places


def _describe(index: PlaceIndex, position: int) -> str:
    return str(index.labels[position])


#: Cyrillic letters Serbian does not use (Russian, Ukrainian, Bulgarian, Macedonian).
_NOT_SERBIAN_CYRILLIC = re.compile("[ыэяюйёщъьєіїґѓќѕ]", re.IGNORECASE)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_SERBIAN_LATIN = re.compile("[čćšžđ]", re.IGNORECASE)
_ALBANIAN_LETTERS = re.compile("[ëç]", re.IGNORECASE)


def _language_forms(name: str, alternates: str) -> tuple[str, str]:
    """A GeoNames feature's Albanian and Serbian (Latin) names as far as its names tell, '' where they
    do not (the name switch then shows ``name``). The dump tags no language, but a Serbian Cyrillic
    alternate is the Serbian name; an alternate with ë or ç is the Albanian one where it only adds
    those marks to ``name`` or ``name`` is spelt the Serbian way (č, ć, š, ž, đ).

    >>> _language_forms("Zvečan", "Zaccan,Zvecan,Zveçan,Zvečan,Звечан")
    ('Zveçan', 'Zvečan')
    >>> _language_forms("Vushtrri", "Vucitrn,Vushtrri,Vuçitërn,Vučitrn,Вучитрн")
    ('', 'Vučitrn')
    """
    names = [n for n in alternates.split(",") if n]
    serbian = next((n for n in names if _CYRILLIC.search(n) and not _NOT_SERBIAN_CYRILLIC.search(n)), "")
    serbian_spelling = bool(_SERBIAN_LATIN.search(name))
    albanian = next(
        (
            n
            for n in names
            if _ALBANIAN_LETTERS.search(n)
            and not _CYRILLIC.search(n)
            and (serbian_spelling or normalise_name(n) == normalise_name(name))
        ),
        "",
    )
    return albanian, cyrtranslit.to_latin(serbian, "sr") if serbian else ""


def _labels(places: pd.DataFrame, has_boundaries: bool) -> np.ndarray:
    """'Banjska (GeoNames 792910, settlement, Zvečan)' for every place, for the reports: the
    municipality by its English name, as the dashboard names it (the layer's is 'Zveçan')."""
    from geodata.names import display_name

    unknown = "outside the boundaries" if has_boundaries else "municipality unknown"
    columns = (places[c] for c in ("name", "geonames_id", "key", "rank", "municipality"))
    return np.array(
        [
            f"{name} ({f'GeoNames {gid}' if gid else f'gazetteer {key}'}, {_RANK_WORDS[int(rank)]}, "
            f"{display_name(municipality) if municipality else unknown})"
            for name, gid, key, rank, municipality in zip(*columns, strict=True)
        ],
        dtype=object,
    )


def match_name(index: PlaceIndex, name: str, hint: str = "") -> Match:
    """Match one place name (with an optional municipality hint) against the index."""
    folded = normalise_name(name)
    if not folded:
        return Match(problem="empty, and no lat/lon given", problem_kind="empty")
    score = 100.0
    found = index.names.get(folded)
    if found:
        candidates = dict(found)
    else:
        from rapidfuzz import fuzz, process

        near = process.extract(folded, index.choices, scorer=fuzz.ratio, limit=20, score_cutoff=50)
        good = [(choice, s) for choice, s, _ in near if s >= FUZZY_CUTOFF]
        if not good:
            nearest = list(dict.fromkeys(p for choice, _, _ in near for p in index.names[choice]))
            names = list(dict.fromkeys(index.places.at[p, "name"] for p in nearest))[:SUGGESTIONS]
            hint_text = f"; nearest names: {', '.join(names)}" if names else "; no name is close"
            return Match(
                problem=f"unknown place {name!r}{hint_text}",
                problem_kind="unknown",
                candidates=tuple(nearest[:SUGGESTIONS]),
            )
        score = round(float(good[0][1]), 1)
        candidates = {}
        for choice, s in good:
            if s == good[0][1]:
                candidates.update(dict.fromkeys(index.names[choice], "fuzzy"))
    return _choose(index, name, hint, candidates, score)


def _choose(index: PlaceIndex, name: str, hint: str, candidates: dict[int, str], score: float) -> Match:
    ranks, municipality_of = index.ranks, index.municipality_of
    positions = list(candidates)
    hinted = ""
    note = ""
    if hint:
        wanted = index.municipalities.get(normalise_name(hint))
        if wanted is None:
            note = f"municipality hint {hint!r} is not a municipality of the boundary layer"
        else:
            inside = [p for p in positions if municipality_of[p] == wanted]
            if inside and len(inside) < len(positions):
                positions, hinted = inside, wanted
            elif not inside and len(positions) == 1:
                found_in = municipality_of[positions[0]]
                note = f"municipality hint {hint!r}, but the boundary join puts it in {found_in}"
            elif not inside:
                described = "; ".join(_describe(index, p) for p in positions[:10])
                return Match(
                    problem=f"{name!r}: no place of that name in {wanted}; candidates: {described}",
                    problem_kind="ambiguous",
                    candidates=tuple(positions),
                )
    best_rank = min(ranks[p] for p in positions)
    best = [p for p in positions if ranks[p] == best_rank]
    if len(best) > 1:
        described = "; ".join(_describe(index, p) for p in best[:10])
        more = f" and {len(best) - 10} more" if len(best) > 10 else ""
        return Match(
            problem=f"{name!r} is ambiguous: {described}{more}. Add a municipality column to choose",
            problem_kind="ambiguous",
            candidates=tuple(best),
        )
    chosen = best[0]
    below = [p for p in positions if p != chosen and ranks[p] <= SETTLEMENT]
    if below and best_rank == SEAT:
        note = (
            f"a town ranks above {len(below)} village(s) of this name; add a municipality column "
            "to choose one of them"
        )
    kind = "hint" if hinted else candidates[chosen]
    return Match(position=chosen, kind=kind, score=score, note=note)


# --- whole tables -------------------------------------------------------------------------------


@dataclass
class GeocodeReport:
    """What happened to every row: ``read`` holds the placed rows and a problem per reported row."""

    read: ReadResult
    source: str
    kinds: Counter = field(default_factory=Counter)  # match kind -> rows placed
    reported: Counter = field(default_factory=Counter)  # reason -> rows reported

    @property
    def placed(self) -> int:
        return self.read.rows_accepted

    def fuzzy_matches(self) -> list[str]:
        """One line per row placed by a close misspelling, the ones worth checking by eye:
        file, row, the name given, the place it was taken as and the score."""
        return [
            f"{self.source}: row {row}: place: '{given}' taken as {name} (fuzzy match, score {score:.0f})"
            for row, given, name, score in fuzzy_rows(self.read.records)
        ]

    def summary(self) -> str:
        read = self.read
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items()))
        reasons = ", ".join(f"{k} {n}" for k, n in sorted(self.reported.items()))
        counts = f"{read.rows_read} rows read = {self.placed} placed + {read.rows_rejected} reported"
        return (
            f"{self.source}: {counts}"
            + (f"; placed by {kinds}" if kinds else "")
            + (f"; reported: {reasons}" if reasons else "")
        )


def _per_distinct(text: pd.Series, convert) -> pd.Series:
    """``convert`` applied to each distinct value once (a file has far fewer dates, types and
    names than rows), spread back to the rows."""
    codes, uniques = pd.factorize(text)
    converted = convert(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    values = converted.to_numpy()
    return pd.Series(values[codes] if len(values) else values[:0], index=text.index, dtype=converted.dtype)


def _dates(text: pd.Series) -> pd.Series:
    """ISO dates (also with a time), '19 February 2008', 19.02.2008 and 19/02/2008 (day first)."""
    from geodata.importers import _dates as iso_or_long

    def parse(values: pd.Series) -> pd.Series:
        parsed = iso_or_long(values.astype(str))
        for form in ("%d.%m.%Y", "%d/%m/%Y"):
            missing = parsed.isna()
            if not missing.any():
                break
            parsed = parsed.fillna(pd.to_datetime(values.where(missing), format=form, errors="coerce"))
        return parsed

    return _per_distinct(text, parse)


def _event_types(raw: pd.DataFrame, columns: dict[str, str], check) -> tuple[pd.Series, pd.Series, pd.Series]:
    """ACLED event and sub-event types, matched case-insensitively; a row with none is
    'Strategic developments' / 'Other' and its notes say so."""
    blank = pd.Series("", index=raw.index)
    given = raw[columns["event_type"]] if "event_type" in columns else blank
    sub = raw[columns["sub_event_type"]] if "sub_event_type" in columns else blank
    by_folded = {t.casefold(): t for t in EVENT_TYPES}
    owner = {s.casefold(): t for t, subs in EVENT_TYPES.items() for s in subs}
    spelled = {s.casefold(): s for subs in EVENT_TYPES.values() for s in subs}
    given_folded = _per_distinct(given, lambda v: v.str.casefold())
    sub_folded = _per_distinct(sub, lambda v: v.str.casefold())
    event = _per_distinct(given_folded, lambda v: v.map(by_folded))
    event = event.fillna(_per_distinct(sub_folded, lambda v: v.map(owner)).where(given == "")).fillna("")
    bad = (given != "") & ~given_folded.isin(list(by_folded))
    check.flag(
        bad,
        columns.get("event_type", "event_type"),
        (f"{v!r} is not an ACLED event type ({', '.join(EVENT_TYPES)})" for v in given[bad]),
    )
    sub_type = _per_distinct(sub_folded, lambda v: v.map(spelled)).fillna(sub)
    none_given = event == ""
    event = event.where(~none_given, "Strategic developments")
    sub_type = sub_type.where(~none_given | (sub != ""), "Other")
    notes = pd.Series(np.where(none_given, "event type not given in the file", ""), index=raw.index)
    return event, sub_type, notes


def geocode_table(raw: pd.DataFrame, source: str, index: PlaceIndex) -> GeocodeReport:
    """Geocode a table of text cells (index = spreadsheet row numbers) into the common frame."""
    from geodata.importers import _Checker, _counts, _number

    columns = map_columns(list(raw.columns))
    missing = [c for c in ("date", "place") if c not in columns]
    if missing:
        problem = Problem(
            source,
            1,
            ",".join(missing),
            f"required column missing (a {' and a '.join(missing)} column; header: {list(raw.columns)})",
        )
        report = GeocodeReport(ReadResult(typed_frame(empty_frame()), [problem], rows_read=len(raw)), source)
        report.reported["missing column"] = len(raw)
        return report
    check = _Checker(source)
    col = {ours: raw[theirs] for ours, theirs in columns.items()}
    blank = pd.Series("", index=raw.index)

    start = _dates(col["date"])
    check.flag(
        start.isna(),
        columns["date"],
        (
            "empty" if v == "" else f"{v!r} is not a real date (YYYY-MM-DD, DD.MM.YYYY or '19 February 2008')"
            for v in col["date"][start.isna()]
        ),
    )
    given_end = _dates(col["date_end"]) if "date_end" in col else start
    end = given_end.fillna(start)
    end = end.where(~(end < start), start)
    if "date_end" in col:
        check.flag(given_end < start, columns["date_end"], "before the start date")
        bad_end = (col["date_end"] != "") & given_end.isna()
        check.flag(
            bad_end, columns["date_end"], (f"{v!r} is not a real date" for v in col["date_end"][bad_end])
        )

    counts = {}
    for name in COUNT_COLUMNS:
        if name in columns:
            counts[name] = _counts(raw, columns[name], check)
        else:
            counts[name] = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    event, sub_event, notes = _event_types(raw, columns, check)

    # Coordinates given in the file are kept (both or neither).
    lat = pd.Series(np.nan, index=raw.index)
    lon = pd.Series(np.nan, index=raw.index)
    has_coordinates = pd.Series(False, index=raw.index)
    if "lat" in col and "lon" in col:
        given = (col["lat"] != "") | (col["lon"] != "")
        lat_given, lon_given = _number(col["lat"]), _number(col["lon"])
        bad_lat = given & ~lat_given.between(-90, 90)
        bad_lon = given & ~lon_given.between(-180, 180)
        check.flag(bad_lat, columns["lat"], (f"{v!r} is not a latitude" for v in col["lat"][bad_lat]))
        check.flag(bad_lon, columns["lon"], (f"{v!r} is not a longitude" for v in col["lon"][bad_lon]))
        has_coordinates = given & ~bad_lat & ~bad_lon
        lat, lon = lat_given.where(has_coordinates), lon_given.where(has_coordinates)

    # Match each distinct (place, hint) once.
    place_text = col["place"]
    hint_text = col.get("municipality", blank)
    needs = ~has_coordinates
    pairs = place_text.where(needs, "") + "\x1f" + hint_text.where(needs, "")
    codes, uniques = pd.factorize(pairs)
    matches = [match_name(index, *pair.split("\x1f", 1)) for pair in uniques]  # an empty name is reported
    # Per distinct name, then spread to the rows by their codes (no Python loop over rows).
    position = np.array([m.position for m in matches], dtype=np.int64)[codes]
    per_row = {
        attribute: np.array([getattr(m, attribute) for m in matches], dtype=object)[codes]
        for attribute in ("kind", "note", "problem", "problem_kind")
    }
    scores = np.array([m.score for m in matches], dtype=np.float64)[codes]
    reported = Counter()
    failed = np.flatnonzero(needs.to_numpy() & (per_row["problem"] != ""))
    for i in failed:
        check.problems.append(Problem(source, int(raw.index[i]), columns["place"], per_row["problem"][i]))
    reported.update(per_row["problem_kind"][failed].tolist())

    places = index.places
    take = np.where(position >= 0, position, 0)
    placed = position >= 0

    def from_places(column: str, fallback: object) -> np.ndarray:
        return np.where(placed, places[column].to_numpy()[take], fallback)

    lat = lat.where(has_coordinates, pd.Series(from_places("lat", np.nan), index=raw.index))
    lon = lon.where(has_coordinates, pd.Series(from_places("lon", np.nan), index=raw.index))
    kind = pd.Series(per_row["kind"], index=raw.index).where(~has_coordinates, "coordinates")
    score = pd.Series(scores, index=raw.index)
    match_note = pd.Series(per_row["note"], index=raw.index).astype(str)
    matched_name = pd.Series(from_places("name", ""), index=raw.index).where(~has_coordinates, "")
    geonames_id = pd.Series(from_places("geonames_id", 0), index=raw.index).where(~has_coordinates, 0)
    key = pd.Series(from_places("key", ""), index=raw.index).where(~has_coordinates, "")
    precision = pd.Series(from_places("precision", "town"), index=raw.index).where(~has_coordinates, "site")
    place_kind = pd.Series(from_places("kind", "town"), index=raw.index).where(~has_coordinates, "site")
    identifier = col["id"].where(col["id"] != "", "row-" + raw.index.astype(str)) if "id" in col else None
    if identifier is None:
        identifier = pd.Series("row-" + raw.index.astype(str), index=raw.index)
    actor1, actor2 = col.get("actor1", blank), col.get("actor2", blank)
    notes = (notes + np.where(match_note != "", "; " + match_note, "")).str.strip("; ")
    used = set(columns.values())
    frame = pd.DataFrame(
        {
            "id": identifier.astype("string"),
            "date_start": start,
            "date_end": end,
            "date_precision": np.where(start == end, "day", "range"),
            "event_type": event,
            "sub_event_type": sub_event,
            "actor1": actor1.astype("string"),
            "actor2": actor2.astype("string"),
            "sides": (actor1 + ";" + actor2).str.strip(";"),
            # A stable place id, whatever spelling the row used: the gazetteer key or the GeoNames id.
            "place": key.where(
                key != "", ("geonames:" + geonames_id.astype(str)).where(geonames_id > 0, place_text)
            ),
            "place_name": matched_name.where(matched_name != "", place_text),
            "place_name_sq": pd.Series(from_places("name_sq", ""), index=raw.index),
            "place_name_sr": pd.Series(from_places("name_sr", ""), index=raw.index),
            "place_kind": place_kind,
            "lat": lat,
            "lon": lon,
            **counts,
            "description": col.get("description", blank).astype("string"),
            "source_section": col.get("source", blank).astype("string"),
            "notes": notes.astype("string"),
            "location_precision": precision,
            "place_given": place_text.astype("string"),
            "matched_name": matched_name.astype("string"),
            "geonames_id": geonames_id.astype("int64"),
            "gazetteer_key": key.astype("string"),
            "match_kind": kind.astype("string"),
            "match_score": score.where(kind == "fuzzy").astype("float64"),
            **{f"src_{c}": raw[c].astype("string") for c in raw.columns if c not in used},
        },
        index=raw.index,
    )
    rejected = check.rejected(frame.index)
    # Every kept row has a point: one from the file, or a place matched.
    assert not (frame["lat"].isna() & ~rejected).any(), (
        "a row without a point was neither placed nor reported"
    )
    bad_rows = {p.row for p in check.problems if p.field != columns["place"]}
    place_rows = {p.row for p in check.problems if p.field == columns["place"]}
    date_fields = {columns["date"], columns.get("date_end")}
    for row in bad_rows - place_rows:
        fields = {p.field for p in check.problems if p.row == row}
        reported["bad date" if fields & date_fields else "bad field"] += 1
    frame = typed_frame(frame[~rejected].reset_index(names="source_row"))
    check.problems.sort(key=lambda p: (p.row, p.field))
    read = ReadResult(frame, check.problems, rows_read=len(raw))
    report = GeocodeReport(
        read, source, kinds=Counter(frame["match_kind"].value_counts().to_dict()), reported=reported
    )
    assert read.rows_read == read.rows_accepted + read.rows_rejected  # nothing is lost silently
    return report


# --- files ----------------------------------------------------------------------------------------


def read_xlsx(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """The first sheet of an XLSX workbook as text cells, index = spreadsheet row numbers.

    Formulas are not evaluated: a cell shows the value the workbook saved (never a formula).
    Dates become YYYY-MM-DD. Blank rows are skipped but keep the numbering.
    """
    import datetime as dt

    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        width = len(header)
        data, numbers, problems = [], [], []
        for number, values in enumerate(rows, start=FIRST_DATA_ROW):
            cells = ["" if v is None else _cell_text(v, dt) for v in values]
            if len(cells) > width and any(cells[width:]):
                problems.append(
                    Problem(str(path), number, "(row)", f"{len(cells)} cells, but the header has {width}")
                )
                continue
            cells = (cells + [""] * width)[:width]
            if any(cells):
                data.append(cells)
                numbers.append(number)
    finally:
        workbook.close()
    frame = pd.DataFrame(data, columns=_unique_names(header), index=pd.Index(numbers), dtype=object)
    return frame.astype(str) if len(frame) else frame, problems


def _cell_text(value: object, dt) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _unique_names(names: list[str]) -> list[str]:
    seen: Counter = Counter()
    unique = []
    for name in names:
        unique.append(name if not seen[name] else f"{name}.{seen[name]}")
        seen[name] += 1
    return unique


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


def read_table_any(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """CSV or XLSX as text cells (index = spreadsheet row numbers), plus unreadable rows."""
    if is_xlsx(path):
        return read_xlsx(path)
    from geodata.importers import read_table

    return read_table(path)


def geocode_file(
    path: str | Path, index: PlaceIndex | None = None, file_format: str | None = None
) -> tuple[GeocodeReport, str]:
    """Read and geocode a place-name spreadsheet (CSV or XLSX); ACLED, UCDP and our records
    format (which bring their own coordinates or gazetteer keys) are read as they are.

    Returns the report (``report.read`` holds the placed rows, not yet joined) and the format.
    """
    from geodata.importers import acled_frame, read_events, ucdp_frame
    from geodata.records import with_unread_rows

    path = Path(path)
    source = str(path)
    try:
        raw, unread = read_table_any(path)
    except Exception as error:  # openpyxl and pandas raise many types for a file that is not a table
        problem = Problem(source, 1, "(file)", f"not readable as CSV or XLSX: {error}")
        return GeocodeReport(ReadResult(typed_frame(empty_frame()), [problem]), source), "unknown"
    detected = file_format or detect_input_format(list(raw.columns))
    if detected in (None, FORMAT):
        report = geocode_table(raw, source, index or build_index(boundaries=_boundaries_or_none()))
        report.read = with_unread_rows(report.read, unread)
        if unread:
            report.reported["unreadable row"] += len(unread)
        return report, FORMAT
    if is_xlsx(path):
        reader = {"acled": acled_frame, "ucdp": ucdp_frame}.get(detected)
        if reader is None:
            problem = Problem(source, 1, "(file)", f"the {detected} format is read from CSV only")
            return GeocodeReport(ReadResult(typed_frame(empty_frame()), [problem]), source), detected
        read = with_unread_rows(reader(raw, source), unread)
    else:
        read, detected = read_events(path, detected)
    report = GeocodeReport(read, source, kinds=Counter({"coordinates": read.rows_accepted}))
    return report, detected


def _boundaries_or_none() -> Boundaries | None:
    from geodata.boundaries import BoundaryDataError, load_kosovo_boundaries

    try:
        return load_kosovo_boundaries()
    except BoundaryDataError:
        return None


def identity() -> str:
    """What a cached geocoded import depends on besides the file: the geocoder, GeoNames and the
    built-in gazetteer (part of the import cache key)."""
    gazetteer = (resources.files("geodata.data") / "gazetteer.csv").read_bytes()
    return f"geocode{GEOCODER_VERSION}:{geonames.SHA256[:16]}:{hashlib.sha256(gazetteer).hexdigest()[:16]}"


def fuzzy_rows(records: pd.DataFrame) -> list[tuple[int, str, str, float]]:
    """The rows placed by a close misspelling, in file order: (source row, name given, place taken
    as, score 0-100). Empty when ``records`` lacks the geocoder's columns (another format's)."""
    needed = {"match_kind", "source_row", "place_given", "matched_name", "match_score"}
    if not needed <= set(records.columns):
        return []
    fuzzy = records[records["match_kind"].astype("string") == "fuzzy"].sort_values("source_row")
    columns = (fuzzy[name] for name in ("source_row", "place_given", "matched_name", "match_score"))
    return [
        (int(row), str(given), str(name), float(score))
        for row, given, name, score in zip(*columns, strict=True)
    ]


#: Columns a geocoded output adds to the ``unrest-map data`` columns.
GEOCODE_COLUMNS: Final = (
    "place_given",
    "matched_name",
    "geonames_id",
    "gazetteer_key",
    "match_kind",
    "match_score",
    "location_precision",
)
