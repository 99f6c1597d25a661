"""Filtering the joined frame: the same code serves the CLI, the dashboard and exports.

A :class:`ViewFilter` is an immutable description of what the user asked for; the
functions here are pure and vectorised (no Python loops over rows), so a slider step
over a million events stays cheap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date

import numpy as np
import pandas as pd

from geodata.names import DEFAULT_LANGUAGE, display_name
from geodata.schema import SIDE_SEPARATOR

#: A municipality filter value that stands for the four northern municipalities.
NORTH_KOSOVO_GROUP = "North Kosovo"

FACETS = ("event_types", "sides", "municipalities", "place_kinds")


@dataclass(frozen=True)
class ViewFilter:
    """What to show. Empty tuples mean 'no restriction'. Dates are inclusive.

    An incident is in the date window when its date range overlaps the window, so an
    incident known only to a month or a range is not silently lost.
    """

    start: date | None = None
    end: date | None = None
    event_types: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    place_kinds: tuple[str, ...] = ()
    casualties_only: bool = False
    text: str = ""

    def without(self, facet: str) -> ViewFilter:
        """The same filter with one facet cleared (for 'how many would this give' counts)."""
        empty = False if facet == "casualties_only" else "" if facet == "text" else ()
        return replace(self, **{facet: empty})

    def describe(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """The active filters in words, for captions and notices (municipalities named in ``lang``)."""
        words = []
        if self.event_types:
            words.append("Event type: " + ", ".join(self.event_types))
        if self.sides:
            words.append("Side: " + ", ".join(self.sides))
        if self.municipalities:
            words.append("Municipality: " + ", ".join(display_name(m, lang) for m in self.municipalities))
        if self.place_kinds:
            words.append("Place kind: " + ", ".join(self.place_kinds))
        if self.casualties_only:
            words.append("With casualties only")
        if self.text:
            words.append(f"Text: “{self.text}”")
        return words

    def is_default(self) -> bool:
        return all(getattr(self, f.name) == f.default for f in fields(self))


def apply_filter(frame: pd.DataFrame, view: ViewFilter) -> pd.DataFrame:
    """The rows of ``frame`` that ``view`` selects, in their original order."""
    return frame[filter_mask(frame, view)]


def take_rows(frame: pd.DataFrame, rows: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """``frame.iloc[rows]`` restricted to ``columns``, taken column by column.

    On a wide imported frame this is several times cheaper than ``frame[mask]``, which
    copies every column (long text ones included) for every selected row.
    """
    present = [c for c in columns if c in frame.columns]
    if _every_row(rows, len(frame)):  # nothing filtered out: the columns as they are (at 5M a take costs 1 s)
        return pd.DataFrame({c: frame[c] for c in present}, index=frame.index, copy=False)
    return pd.DataFrame({c: frame[c].array.take(rows) for c in present}, index=frame.index[rows], copy=False)


#: Rows compared at a time by :func:`_every_row`.
_EVERY_ROW_CHUNK = 1 << 16


def _every_row(rows: np.ndarray, length: int) -> bool:
    """``rows`` is ``0, 1, ..., length - 1``: each row once, in order.

    Compared a chunk at a time: ``np.diff`` over five million rows made two fresh arrays (45 MB, their
    page faults most of its 25-70 ms, twice in every server start)."""
    if len(rows) != length or length == 0 or rows[0] != 0 or rows[-1] != length - 1:
        return False
    expected = np.arange(min(_EVERY_ROW_CHUNK, length), dtype=np.int64)
    for start in range(0, length, _EVERY_ROW_CHUNK):
        chunk = rows[start : start + _EVERY_ROW_CHUNK]
        if not np.array_equal(chunk, expected[: len(chunk)] + start):
            return False
    return True


def incident_position(frame: pd.DataFrame, incident_id: str | None) -> int | None:
    """Row position of the incident with this id, or None (no id given, or not in ``frame``).

    A position, not a slice: even an empty slice of a wide frame costs a millisecond.
    """
    if not incident_id:
        return None
    found = np.flatnonzero((frame["id"] == incident_id).to_numpy(dtype=bool))
    return int(found[0]) if len(found) else None


@dataclass(frozen=True)
class DateOrder:
    """A frame's dates as raw ticks, for a frame sorted by start date whose incidents each end on or
    after they start (the dataset's frames): the date window is then a range lookup, not a
    comparison of every row (see :func:`window_mask`). Made by :func:`date_order`."""

    start: np.ndarray  # int64 ticks of date_start, ascending
    end: np.ndarray  # int64 ticks of date_end
    unit: str
    longest: int  # the longest incident, end minus start, in ticks


def date_order(frame: pd.DataFrame) -> DateOrder | None:
    """:class:`DateOrder` of ``frame``, or None when its dates are not like that (then rows are compared)."""
    if not {"date_start", "date_end"} <= set(frame.columns):
        return None
    start, end = frame["date_start"].to_numpy(), frame["date_end"].to_numpy()
    if start.dtype.kind != "M" or end.dtype != start.dtype or np.isnat(start).any() or np.isnat(end).any():
        return None
    start_ticks, end_ticks = start.view("i8"), end.view("i8")
    if len(start_ticks) and (
        bool(np.any(start_ticks[1:] < start_ticks[:-1])) or bool(np.any(end_ticks < start_ticks))
    ):
        return None
    longest = int((end_ticks - start_ticks).max()) if len(start_ticks) else 0
    return DateOrder(start_ticks, end_ticks, np.datetime_data(start.dtype)[0], longest)


def window_mask(order: DateOrder, start: date | None, end: date | None) -> np.ndarray:
    """``date_end >= start & date_start <= end`` (the date filter of :func:`component_masks`), from
    :class:`DateOrder`: rows starting in the window form one range found by binary search; of the rows
    starting before it, only those within the longest incident's length of it can reach into it."""
    count = len(order.start)
    high = count if end is None else int(np.searchsorted(order.start, _ticks(end, order.unit), "right"))
    mask = np.zeros(count, dtype=bool)
    if start is None:
        mask[:high] = True
        return mask
    bound = _ticks(start, order.unit)
    low = int(np.searchsorted(order.start, bound, "left"))
    reach = int(np.searchsorted(order.start, bound - order.longest, "left"))
    if high > low:
        mask[low:high] = True
    top = min(low, high)
    if top > reach:
        mask[reach:top] = order.end[reach:top] >= bound
    return mask


def _ticks(day: date, unit: str) -> int:
    return int(np.datetime64(day, "D").astype(f"datetime64[{unit}]").astype("i8"))


def filter_mask(frame: pd.DataFrame, view: ViewFilter, dates: DateOrder | None = None) -> np.ndarray:
    """Boolean mask of the selected rows (the vectorised core of :func:`apply_filter`); ``dates``:
    the frame's :func:`date_order`, when at hand."""
    return combine(component_masks(frame, view, dates), length=len(frame))


def component_masks(
    frame: pd.DataFrame, view: ViewFilter, dates: DateOrder | None = None
) -> dict[str, np.ndarray]:
    """One mask per active filter, keyed by the :class:`ViewFilter` field (dates under 'dates').

    Facet counts and the timeline reuse these instead of filtering again. ``dates``: the frame's
    :func:`date_order` (kept by the caller), which makes the date window a range lookup.
    """
    masks: dict[str, np.ndarray] = {}
    if dates is not None and (view.start is not None or view.end is not None):
        masks["dates"] = window_mask(dates, view.start, view.end)
    elif view.start is not None or view.end is not None:
        dates = np.ones(len(frame), dtype=bool)
        if view.start is not None:
            dates &= _day_compare(frame["date_end"], view.start, ">=")
        if view.end is not None:
            dates &= _day_compare(frame["date_start"], view.end, "<=")
        masks["dates"] = dates
    if view.event_types:
        masks["event_types"] = _category_mask(frame["event_type"], view.event_types)
    if view.place_kinds:
        masks["place_kinds"] = _category_mask(frame["place_kind"], view.place_kinds)
    if view.municipalities:
        masks["municipalities"] = _municipality_mask(frame, view.municipalities)
    if view.sides:
        masks["sides"] = _sides_mask(frame["sides"], view.sides)
    if view.casualties_only:
        casualties = frame["fatalities"].fillna(0) + frame["injured"].fillna(0)
        masks["casualties_only"] = (casualties > 0).to_numpy()
    if view.text:
        masks["text"] = _text_mask(frame, view.text)
    return masks


def combine(
    masks: dict[str, np.ndarray], *, leave_out: str | None = None, length: int | None = None
) -> np.ndarray:
    """AND of the masks, optionally without one of them."""
    chosen = [m for name, m in masks.items() if name != leave_out]
    if not chosen:
        return np.ones(length if length is not None else _length(masks), dtype=bool)
    result = chosen[0].copy()
    for mask in chosen[1:]:
        result &= mask
    return result


def _length(masks: dict[str, np.ndarray]) -> int:
    return len(next(iter(masks.values()))) if masks else 0


def _day_compare(dates: pd.Series, day: date, operator: str) -> np.ndarray:
    """``dates >= day`` or ``dates <= day`` on the raw integers: a tenth of pandas' time at 1M rows."""
    values = dates.to_numpy()
    if values.dtype.kind != "M":  # not datetime64: let pandas coerce and compare
        bound = pd.Timestamp(day)
        return (dates >= bound if operator == ">=" else dates <= bound).to_numpy(dtype=bool)
    unit = np.datetime_data(values.dtype)[0]
    ticks = values.view("i8")
    bound_ticks = np.datetime64(day, "D").astype(f"datetime64[{unit}]").astype("i8")
    return ticks >= bound_ticks if operator == ">=" else ticks <= bound_ticks


def _category_mask(values: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype):
        hits = np.asarray([*[str(c) in wanted for c in values.cat.categories], False])
        return hits[values.cat.codes.to_numpy()]
    return values.isin(wanted).to_numpy()


def _municipality_mask(frame: pd.DataFrame, wanted: tuple[str, ...]) -> np.ndarray:
    """Rows in (or, for a region record, covering) any wanted municipality; the group adds the north.

    Reads ``municipalities`` (see :mod:`geodata.join`): per category, not per row.
    """
    names = {w for w in wanted if w != NORTH_KOSOVO_GROUP}
    if "municipalities" in frame.columns:
        mask = _list_mask(frame["municipalities"], names)
    else:  # a frame joined before the region rule existed
        mask = frame["municipality"].isin(list(names)).to_numpy()
    if NORTH_KOSOVO_GROUP in wanted:
        mask = mask | frame["north_kosovo"].to_numpy(dtype=bool)  # not in place: pandas arrays are read-only
    return mask


def _list_mask(values: pd.Series, wanted: set[str]) -> np.ndarray:
    """Rows whose ``;``-separated list names any of ``wanted``, decided once per distinct list."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        hits = [bool(wanted & set(str(c).split(SIDE_SEPARATOR))) for c in values.cat.categories]
        return np.asarray([*hits, False], dtype=bool)[values.cat.codes.to_numpy()]  # code -1 is NaN
    return values.fillna("").map(lambda s: bool(wanted & set(s.split(SIDE_SEPARATOR)))).to_numpy(dtype=bool)


def _sides_mask(sides: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    """Rows naming any wanted side. Works on the categories, not on every row."""
    return _list_mask(sides, set(wanted))


#: Letters Unicode decomposition leaves alone, and Serbian Cyrillic, spelt as the folded Latin
#: forms (the same folding as :func:`geodata.gazetteer.normalise_name`, plus Cyrillic).
_EXTRA_FOLDS: dict[int, str] = str.maketrans(
    {
        "đ": "dj", "Đ": "dj", "ł": "l", "ß": "ss", "ø": "o", "æ": "ae",
        **dict(zip("абвгдежзијклмнопрстуфхцчш", "abvgdezzijklmnoprstufhccs", strict=True)),
        "ђ": "dj", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz",
        **dict(zip("АБВГДЕЖЗИЈКЛМНОПРСТУФХЦЧШ", "abvgdezzijklmnoprstufhccs", strict=True)),
        "Ђ": "dj", "Љ": "lj", "Њ": "nj", "Ћ": "c", "Џ": "dz",
    }
)  # fmt: skip
#: The columns :func:`search_columns` adds.
SEARCH_COLUMNS = ("search_text", "search_place")
#: Separates the folded parts of a search text, so a search never matches across two of them.
_PART = " | "
#: Characters with a meaning in an RE2 pattern.
_RE2_SPECIAL = frozenset("\\.^$|?*+()[]{}")
#: Characters that need more than lower-casing and NFKD to fold (see :data:`_EXTRA_FOLDS`).
_NEEDS_TRANSLATION = "[đĐłßøæ\u0400-\u04ff]"


def fold_text(text: str) -> str:
    """Fold text as :func:`fold_series` folds a search column: lower case, no diacritics,
    Cyrillic as Latin. Spacing and hyphens stay as written.

    >>> fold_text("Štrpce"), fold_text("Shtërpcë"), fold_text("Штрпце"), fold_text("Đeneral pre-dawn")
    ('strpce', 'shterpce', 'strpce', 'djeneral pre-dawn')
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold(text: str) -> str:
    """:func:`fold_text`, then hyphens as spaces and single spaces: how names are matched, as
    :func:`geodata.gazetteer.normalise_name` matches them.

    >>> fold("  Kosovska-Mitrovicë ")
    'kosovska mitrovice'
    """
    return " ".join(fold_text(text).replace("-", " ").split())


def fold_series(*columns: pd.Series) -> pd.Series:
    """:func:`fold_text` of the columns joined with " | " (missing -> empty), in pyarrow.

    Lower-cases everything in one pass; only the rows that are not ASCII then are decomposed and
    stripped of marks, and only those with Cyrillic or a letter NFKD leaves alone go through Python.
    """
    from geodata.distinct import mostly_repeated, per_distinct

    if mostly_repeated(*columns):  # elementwise: each distinct combination of texts folded once
        return per_distinct(_fold_rows, *columns)
    return _fold_rows(*columns)


def _fold_rows(*columns: pd.Series) -> pd.Series:
    """:func:`fold_series`, row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [pc.fill_null(pa.array(_as_text(c), type=pa.large_string()), "") for c in columns]
    separator = pa.scalar(_PART, type=pa.large_string())
    text = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, separator)
    if isinstance(text, pa.ChunkedArray):  # replace_with_mask below takes arrays, not chunks
        text = text.combine_chunks()
    text = pc.utf8_lower(text)
    rows = np.flatnonzero(~pc.string_is_ascii(text).to_numpy(zero_copy_only=False))
    if len(rows):
        accented = pc.utf8_normalize(text.take(rows), "NFKD")
        accented = pc.replace_substring_regex(accented, r"\p{Mn}", "")
        special = np.flatnonzero(
            pc.match_substring_regex(accented, _NEEDS_TRANSLATION).to_numpy(zero_copy_only=False)
        )
        if len(special):
            folded = accented.to_pylist()
            for i in special:
                folded[i] = fold_text(folded[i])
            accented = pa.array(folded, type=pa.large_string())
        mask = np.zeros(len(text), dtype=bool)
        mask[rows] = True
        text = pc.replace_with_mask(text, pa.array(mask), accented)
    return pd.Series(pd.arrays.ArrowExtensionArray(text), index=columns[0].index)


def _as_text(values: pd.Series) -> object:
    """The column as something pyarrow reads without a Python loop where it can."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(object)
    return values.array if isinstance(values.dtype, pd.StringDtype | pd.ArrowDtype) else values.astype(object)


def search_text(frame: pd.DataFrame, repeated_as_categories: bool = False) -> pd.Series:
    """The ``search_text`` column of :func:`search_columns` (each row's from its own values only).

    ``repeated_as_categories``: when the rows repeat few combinations of description and actors (a
    UCDP export's conflict and dyad names, a synthetic file), a categorical column, each distinct
    folded text once and the rows as codes, instead of a copy of the text in every row: an import's
    cache entry then holds it once. :func:`_text_mask` searches either the same way.
    """
    from geodata.distinct import distinct_rows, mostly_repeated

    columns = [frame[c] for c in ("description", "actor1", "actor2") if c in frame.columns]
    if not columns:
        return pd.Series("", index=frame.index)
    if repeated_as_categories and mostly_repeated(*columns):
        first, which = distinct_rows(*columns)
        if len(first) <= len(which) // 2:
            folded = _fold_rows(*(_plain(column.iloc[first]) for column in columns))
            codes, texts = pd.factorize(folded.astype("str"))  # two combinations may fold to one text
            return pd.Series(pd.Categorical.from_codes(codes[which], categories=texts), index=frame.index)
    return fold_series(*columns)


def _plain(values: pd.Series) -> pd.Series:
    """A categorical column as its values; any other as it is."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(values.cat.categories.dtype)
    return values


def search_columns(frame: pd.DataFrame, gazetteer=None, boundaries=None, text: bool = True) -> pd.DataFrame:
    """``frame`` with :data:`SEARCH_COLUMNS` added: the text search's folded haystacks, built once.

    ``search_text`` (one per row): description and actors. ``search_place`` (a category per
    distinct place and municipality list): the place's names in English, Albanian and Serbian,
    with every spelling ``gazetteer`` knows for it (aliases included), and the names of the
    municipalities the record is in or covers, in every form ``boundaries`` gives. Folding the
    few distinct places, not the rows, keeps it cheap on a million events. ``text=False`` leaves
    ``search_text`` out (see :func:`search_text`): an import adds it after its sort, so the
    folded text is made once in its final order instead of made and then sorted.
    """
    out = frame.copy(deep=False)  # new columns only: the input frame is left as it is
    if text:
        out["search_text"] = search_text(frame)
    place = frame["place"].astype("category") if "place" in frame.columns else None
    covered = _municipality_list(frame)
    place_codes = place.cat.codes.to_numpy() if place is not None else np.zeros(len(frame), dtype=np.int64)
    combo = place_codes.astype(np.int64) * (len(covered.cat.categories) + 1) + covered.cat.codes.to_numpy()
    # np.unique(combo, return_inverse=True), by hashing: no sort of a million values
    codes, unique = pd.factorize(combo)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[np.argsort(unique)] = np.arange(len(unique))
    unique, inverse = np.sort(unique), rank[codes]
    first = np.zeros(len(unique), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(combo))[::-1]  # a row standing for each distinct combination
    forms = _municipality_forms(boundaries)
    name_columns = [c for c in ("place", "place_name", "place_name_sq", "place_name_sr") if c in frame]
    owners, raw = [], []  # every name of every distinct combination, folded below in one go
    for position, row in enumerate(first):
        names = [frame[c].iat[row] for c in name_columns]
        names += [
            form for m in str(covered.iat[row]).split(SIDE_SEPARATOR) if m for form in forms.get(m, (m,))
        ]
        if "municipality_display" in frame.columns:
            names.append(frame["municipality_display"].iat[row])
        kept = [str(n) for n in names if isinstance(n, str) and n.strip()]
        owners += [position] * len(kept)
        raw += kept
    folded = [fold(name) for name in raw]  # names: few, folded as the gazetteer folds them
    spellings_of: dict[str, list[str]] = {}
    if gazetteer is not None:
        for spelling, key in gazetteer.spellings.items():
            spellings_of.setdefault(key, []).append(spelling)
    per_combination: list[list[str]] = [[] for _ in first]
    for owner, name in zip(owners, folded, strict=True):
        per_combination[owner].append(name)
    texts = []
    for names in per_combination:
        if gazetteer is not None:  # the place's every known spelling: aliases, other languages
            for key in dict.fromkeys(gazetteer.spellings.get(n) for n in names[:2]):
                names += spellings_of.get(key, []) if key else []
        texts.append(_PART.join(dict.fromkeys(names)))
    out["search_place"] = pd.Categorical.from_codes(inverse, categories=_unique_texts(texts))
    return out


def _unique_texts(texts: list[str]) -> pd.Index:
    # Two combinations can fold to the same text; categories must be unique, so suffix repeats
    # invisibly (a search never contains the NUL byte).
    seen: dict[str, int] = {}
    unique = []
    for text in texts:
        count = seen.get(text, 0)
        seen[text] = count + 1
        unique.append(text if count == 0 else f"{text}\x00{count}")
    return pd.Index(unique)


def _municipality_list(frame: pd.DataFrame) -> pd.Series:
    if "municipalities" in frame.columns:
        return frame["municipalities"].astype("category")
    if "municipality" in frame.columns:
        return frame["municipality"].astype("category")
    return pd.Series(pd.Categorical([""] * len(frame)), index=frame.index)


def _municipality_forms(boundaries) -> dict[str, tuple[str, ...]]:
    """Each municipality's names in the layer (name, Albanian, Serbian, display)."""
    if boundaries is None:
        return {}
    layer = boundaries.municipalities
    columns = [c for c in ("name", "name_sq", "name_sr", "display_name") if c in layer.columns]
    return {
        str(row[0]): tuple(str(v) for v in row if isinstance(v, str) and v)
        for row in layer[columns].itertuples(index=False)
    }


def _text_mask(frame: pd.DataFrame, text: str) -> np.ndarray:
    """Literal search, case- and accent-insensitive (Štrpce = Strpce = Shtërpcë), over descriptions,
    actors, place names in three languages with their aliases, and municipalities.

    Reads the folded columns of :func:`search_columns` when the frame has them (the dataset's
    frames do), so a query folds only itself; another frame is folded on the spot.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    needle, name = fold_text(text.strip()), fold(text)
    if not name:
        return np.ones(len(frame), dtype=bool)
    if not set(SEARCH_COLUMNS) <= set(frame.columns):
        frame = search_columns(frame)
    texts = frame["search_text"]
    # A literal as an RE2 pattern: RE2 scans with memchr, several times faster than match_substring.
    pattern = "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in needle)
    if isinstance(texts.dtype, pd.CategoricalDtype):  # each distinct text searched once
        found = pc.match_substring_regex(pa.array(texts.cat.categories.astype("str")), pattern)
        hit = np.append(np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool), False)
        mask = hit[texts.cat.codes.to_numpy()]
    else:
        mask = pc.match_substring_regex(pa.array(texts.array), pattern).to_numpy(zero_copy_only=False)
    places = frame["search_place"]
    hits = np.asarray([name in str(c) for c in places.cat.categories] + [False], dtype=bool)
    return np.asarray(mask, dtype=bool) | hits[places.cat.codes.to_numpy()]


def facet_counts(
    frame: pd.DataFrame, view: ViewFilter, facet: str, masks: dict[str, np.ndarray] | None = None
) -> dict[str, int]:
    """For each option of ``facet``, how many incidents it gives under the *other* filters.

    Pass ``masks`` from :func:`component_masks` to count several facets without filtering again.
    """
    if facet not in FACETS:
        raise ValueError(f"unknown facet {facet!r}; expected one of {FACETS}")
    masks = component_masks(frame, view) if masks is None else masks
    return _facet_counts(frame, facet, combine(masks, leave_out=facet, length=len(frame)))


def all_facet_counts(
    frame: pd.DataFrame, view: ViewFilter, masks: dict[str, np.ndarray] | None = None
) -> dict[str, dict[str, int]]:
    """:func:`facet_counts` for every facet at once.

    A facet with no filter of its own counts over the selected rows, found once; only a
    filtered facet needs its own pass over the whole frame.
    """
    masks = component_masks(frame, view) if masks is None else masks
    selected = np.flatnonzero(combine(masks, length=len(frame)))
    return {
        facet: _facet_counts(
            frame, facet, combine(masks, leave_out=facet, length=len(frame)) if facet in masks else selected
        )
        for facet in FACETS
    }


def _facet_counts(frame: pd.DataFrame, facet: str, base: np.ndarray) -> dict[str, int]:
    """Counts of ``facet``'s options over ``base``, a boolean mask or an array of row positions."""
    if facet == "event_types":
        return _value_counts(frame["event_type"], base)
    if facet == "place_kinds":
        return _value_counts(frame["place_kind"], base)
    if facet == "municipalities":
        if "municipalities" in frame.columns:  # a region record counts under each municipality it covers
            counts = _list_counts(frame["municipalities"], base)
        else:
            counts = _value_counts(frame["municipality"], base)
        counts[NORTH_KOSOVO_GROUP] = int(frame["north_kosovo"].to_numpy(dtype=bool)[base].sum())
        return counts
    return _list_counts(frame["sides"], base)


def _list_counts(values: pd.Series, base: np.ndarray) -> dict[str, int]:
    """Counts per name of a ``;``-separated list column: each distinct list counted once, then shared."""
    counts: dict[str, int] = {}
    for combination, count in _value_counts(values, base).items():
        for name in combination.split(SIDE_SEPARATOR):
            if name:
                counts[name] = counts.get(name, 0) + count
    return counts


def _value_counts(values: pd.Series, mask: np.ndarray) -> dict[str, int]:
    """Counts of the values at ``mask`` (boolean or positions): bincount over category codes when it can."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[mask]
        counts = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories))
        return {str(c): int(n) for c, n in zip(values.cat.categories, counts, strict=True) if n > 0}
    counted = values.iloc[mask].value_counts(dropna=True)  # iloc takes a mask or positions
    return {str(k): int(v) for k, v in counted.items() if v > 0}
