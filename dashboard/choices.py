"""What a dataset allows the controls to hold, computed from its columns without a Python loop per row.

At a million incidents the filter choices used to cost seconds per call (a set of a million
ids, every ``sides`` cell split in Python), and an app computed them five times at start.
Here every step works on the distinct values of a categorical column or on Arrow arrays;
the ids are not copied at all: :class:`IdSet` answers ``in`` from the incidents' own column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.viewstate import Choices
from geodata.dataset import Dataset
from geodata.filters import NORTH_KOSOVO_GROUP
from geodata.schema import EVENT_TYPES, PLACE_KINDS, SIDE_SEPARATOR


class IdSet:
    """The incident ids as a read-only set: ``in``, ``len`` and iteration, backed by the id column.

    Membership is one vectorised comparison (a few milliseconds at a million ids, asked only
    when a user selects an incident); nothing is built at start and nothing is copied, so
    the column stays shared between forked workers.
    """

    def __init__(self, ids: pd.Series) -> None:
        self._ids = ids

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        array = self._ids.array
        if isinstance(array, pd.arrays.ArrowStringArray):
            import pyarrow.compute as pc

            return bool(pc.any(pc.equal(array._pa_array, value)).as_py())
        return bool((self._ids.to_numpy(dtype=object) == value).any())

    def __len__(self) -> int:
        return int(self._ids.nunique())

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids.dropna().astype(str).unique())


def present_values(column: pd.Series) -> list[str]:
    """The distinct non-missing values of a column, as text; for a categorical, from its codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        # One flag per category, set through the codes (code -1, missing, lands on the extra last flag):
        # linear, and no copy of the codes (np.unique sorted them, np.bincount widened them).
        seen = np.zeros(len(column.cat.categories) + 1, dtype=bool)
        seen[codes] = True
        return [str(v) for v in column.cat.categories[np.flatnonzero(seen[:-1])]]
    return [str(v) for v in column.dropna().unique()]


def all_sides(incidents: pd.DataFrame) -> list[str]:
    """Every side named in the ``;``-separated ``sides`` column, sorted (each distinct cell split once)."""
    names = {
        side
        for cell in present_values(incidents["sides"])
        for side in cell.split(SIDE_SEPARATOR)
        if side != ""
    }
    return sorted(names)


@dataclass(frozen=True)
class PresentValues:
    """What :func:`choices_of` reads from every row: the first and last day, the sides named and the
    municipalities incidents fall in (the opening data stores it with the cache entry, ``opening.py``)."""

    first_day: date
    last_day: date
    sides: tuple[str, ...]
    municipalities: tuple[str, ...]


def present_in(incidents: pd.DataFrame) -> PresentValues:
    """:class:`PresentValues` of ``incidents``."""
    return PresentValues(
        first_day=incidents["date_start"].min().normalize().date(),
        last_day=incidents["date_end"].max().normalize().date(),
        sides=tuple(all_sides(incidents)),
        municipalities=tuple(present_values(incidents["municipality"])),
    )


def choices_of(dataset: Dataset, present: PresentValues | None = None) -> Choices:
    """The dates, event types, sides, municipalities, place kinds and ids the dataset holds.
    ``present``: :func:`present_in` of its incidents, when already at hand."""
    incidents = dataset.incidents
    present = present_in(incidents) if present is None else present
    municipalities = set(present.municipalities)
    if dataset.boundaries is not None:
        municipalities |= set(dataset.boundaries.municipalities["name"])
        if dataset.boundaries.municipalities["north_kosovo"].any():
            municipalities.add(NORTH_KOSOVO_GROUP)
    return Choices(
        first_day=present.first_day,
        last_day=present.last_day,
        event_types=frozenset(EVENT_TYPES),
        sides=frozenset(present.sides),
        municipalities=frozenset(municipalities),
        place_kinds=frozenset(PLACE_KINDS),
        ids=IdSet(incidents["id"]),  # type: ignore[arg-type]
    )
