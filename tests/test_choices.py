"""Filter choices from a dataset's columns: the same answer as the plain per-row computation."""

from __future__ import annotations

import pandas as pd

from dashboard.choices import IdSet, choices_of
from geodata.filters import NORTH_KOSOVO_GROUP


def test_choices_match_the_plain_computation(dataset, incidents):
    choices = choices_of(dataset)
    sides = {s for cell in incidents["sides"].dropna().astype(str) for s in cell.split(";") if s}
    assert choices.sides == frozenset(sides)
    municipalities = set(incidents["municipality"].dropna().astype(str))
    municipalities |= set(dataset.boundaries.municipalities["name"]) | {NORTH_KOSOVO_GROUP}
    assert choices.municipalities == frozenset(municipalities)
    assert choices.first_day == incidents["date_start"].min().date()
    assert choices.last_day == incidents["date_end"].max().date()
    assert set(choices.ids) == set(incidents["id"].astype(str)) and len(choices.ids) == len(incidents)


def test_id_set_answers_in_without_copying_the_ids(incidents):
    ids = IdSet(incidents["id"])
    first = str(incidents["id"].iloc[0])
    assert first in ids and "no-such-id" not in ids and None not in ids and 3 not in ids
    plain = IdSet(pd.Series(["a", "b"], dtype=object))
    assert "a" in plain and "c" not in plain
