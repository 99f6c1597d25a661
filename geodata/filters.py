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
    return combine(component_masks(frame, view), length=len(frame))


def component_masks(frame: pd.DataFrame, view: ViewFilter) -> dict[str, np.ndarray]:
    """One mask per active filter, keyed by the :class:`ViewFilter` field (dates under 'dates').

    Facet counts and the timeline reuse these instead of filtering again.
    """
    masks: dict[str, np.ndarray] = {}
    if view.start is not None or view.end is not None:
        dates = np.ones(len(frame), dtype=bool)
        if view.start is not None:
            dates &= (frame["date_end"] >= pd.Timestamp(view.start)).to_numpy()
        if view.end is not None:
            dates &= (frame["date_start"] <= pd.Timestamp(view.end)).to_numpy()
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


def _category_mask(values: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype):
        hits = np.asarray([*[str(c) in wanted for c in values.cat.categories], False])
        return hits[values.cat.codes.to_numpy()]
    return values.isin(wanted).to_numpy()


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


def facet_counts(
    frame: pd.DataFrame, view: ViewFilter, facet: str, masks: dict[str, np.ndarray] | None = None
) -> dict[str, int]:
    """For each option of ``facet``, how many incidents it gives under the *other* filters.

    Pass ``masks`` from :func:`component_masks` to count several facets without filtering again.
    """
    if facet not in FACETS:
        raise ValueError(f"unknown facet {facet!r}; expected one of {FACETS}")
    masks = component_masks(frame, view) if masks is None else masks
    base = combine(masks, leave_out=facet, length=len(frame))
    if facet == "event_types":
        return _value_counts(frame["event_type"], base)
    if facet == "place_kinds":
        return _value_counts(frame["place_kind"], base)
    if facet == "municipalities":
        counts = _value_counts(frame["municipality"], base)
        counts[NORTH_KOSOVO_GROUP] = int(frame["north_kosovo"].to_numpy(dtype=bool)[base].sum())
        return counts
    # Sides: count each distinct combination once, then share it out.
    counts: dict[str, int] = {}
    for combination, count in _value_counts(frame["sides"], base).items():
        for side in combination.split(SIDE_SEPARATOR):
            if side:
                counts[side] = counts.get(side, 0) + count
    return counts


def _value_counts(values: pd.Series, mask: np.ndarray) -> dict[str, int]:
    """Counts of the values where ``mask`` holds: bincount over category codes when it can."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[mask]
        counts = np.bincount(codes[codes >= 0], minlength=len(values.cat.categories))
        return {str(c): int(n) for c, n in zip(values.cat.categories, counts, strict=True) if n > 0}
    counted = values[mask].value_counts(dropna=True)
    return {str(k): int(v) for k, v in counted.items() if v > 0}
