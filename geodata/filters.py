"""Filtering the joined frame: the same code serves the CLI, the dashboard and exports.

A :class:`ViewFilter` is an immutable description of what the user asked for; the
functions here are pure and vectorised (no Python loops over rows), so a slider step
over a million events stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date

import numpy as np
import pandas as pd

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

    def describe(self) -> list[str]:
        """The active filters in words, for captions and notices."""
        words = []
        if self.event_types:
            words.append("Event type: " + ", ".join(self.event_types))
        if self.sides:
            words.append("Side: " + ", ".join(self.sides))
        if self.municipalities:
            words.append("Municipality: " + ", ".join(self.municipalities))
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


def filter_mask(frame: pd.DataFrame, view: ViewFilter) -> np.ndarray:
    """Boolean mask of the selected rows (the vectorised core of :func:`apply_filter`)."""
    mask = np.ones(len(frame), dtype=bool)
    if view.start is not None:
        mask &= (frame["date_end"] >= pd.Timestamp(view.start)).to_numpy()
    if view.end is not None:
        mask &= (frame["date_start"] <= pd.Timestamp(view.end)).to_numpy()
    if view.event_types:
        mask &= frame["event_type"].isin(view.event_types).to_numpy()
    if view.place_kinds:
        mask &= frame["place_kind"].isin(view.place_kinds).to_numpy()
    if view.municipalities:
        mask &= _municipality_mask(frame, view.municipalities)
    if view.sides:
        mask &= _sides_mask(frame["sides"], view.sides)
    if view.casualties_only:
        casualties = frame["fatalities"].fillna(0) + frame["injured"].fillna(0)
        mask &= (casualties > 0).to_numpy()
    if view.text:
        mask &= _text_mask(frame, view.text)
    return mask


def _municipality_mask(frame: pd.DataFrame, wanted: tuple[str, ...]) -> np.ndarray:
    mask = frame["municipality"].isin([w for w in wanted if w != NORTH_KOSOVO_GROUP]).to_numpy()
    if NORTH_KOSOVO_GROUP in wanted:
        mask = mask | frame["north_kosovo"].to_numpy(dtype=bool)  # not in place: pandas arrays are read-only
    return mask


def _sides_mask(sides: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    """Rows naming any wanted side. Works on the categories, not on every row."""
    wanted_set = set(wanted)
    if isinstance(sides.dtype, pd.CategoricalDtype):
        hits = [bool(wanted_set & set(str(c).split(SIDE_SEPARATOR))) for c in sides.cat.categories]
        return np.asarray([*hits, False], dtype=bool)[sides.cat.codes.to_numpy()]  # code -1 is NaN
    return sides.fillna("").map(lambda s: bool(wanted_set & set(s.split(SIDE_SEPARATOR)))).to_numpy()


def _text_mask(frame: pd.DataFrame, text: str) -> np.ndarray:
    """Case-insensitive literal search in the description, actors and place name."""
    pattern = re.escape(text.strip())
    mask = np.zeros(len(frame), dtype=bool)
    for column in ("description", "actor1", "actor2", "place_name"):
        if column in frame.columns:
            mask |= (
                frame[column]
                .astype("string")
                .str.contains(pattern, case=False, regex=True, na=False)
                .to_numpy(dtype=bool)
            )
    return mask


def facet_counts(frame: pd.DataFrame, view: ViewFilter, facet: str) -> dict[str, int]:
    """For each option of ``facet``, how many incidents it gives under the *other* filters."""
    base = apply_filter(frame, view.without(facet))
    if facet == "event_types":
        return _value_counts(base["event_type"])
    if facet == "place_kinds":
        return _value_counts(base["place_kind"])
    if facet == "municipalities":
        counts = _value_counts(base["municipality"])
        counts[NORTH_KOSOVO_GROUP] = int(base["north_kosovo"].sum())
        return counts
    if facet == "sides":
        # Count each distinct combination once, then share it out: fast for a million rows.
        counts: dict[str, int] = {}
        for combination, count in base["sides"].value_counts().items():
            for side in str(combination).split(SIDE_SEPARATOR):
                if side and count:
                    counts[side] = counts.get(side, 0) + int(count)
        return counts
    raise ValueError(f"unknown facet {facet!r}; expected one of {FACETS}")


def _value_counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts(dropna=True)
    return {str(k): int(v) for k, v in counts.items() if v > 0}
