"""URL view state: round trips, and hostile input never raises."""

from __future__ import annotations

import random
import string
from datetime import date

import pytest

from dashboard.choices import choices_of
from dashboard.viewstate import ViewState, parse_query, to_query
from geodata.filters import ViewFilter


@pytest.fixture(scope="module")
def choices(dataset):
    return choices_of(dataset)


def test_round_trip(choices):
    state = ViewState(
        filter=ViewFilter(
            start=date(2008, 3, 1),
            end=date(2008, 3, 31),
            event_types=("Riots", "Protests"),
            sides=("KFOR",),
            municipalities=("North Kosovo",),
            place_kinds=("site",),
            casualties_only=True,
            text="court & co",
        ),
        selected="KOS-2008-14",
        lat=42.89,
        lon=20.87,
        zoom=11.0,
        shade=True,
    )
    parsed, notices = parse_query(to_query(state, choices), choices)
    assert notices == []
    assert parsed == state


def test_default_view_has_empty_query(choices):
    assert to_query(ViewState(), choices) == ""
    assert parse_query("", choices) == (ViewState(), [])


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("start=2008-02-30", "not a date"),
        ("start=1999-01-01", "outside the data"),
        ("start=2008-05-01&end=2008-03-01", "before the start"),
        ("type=Picnic", "Unknown type"),
        ("sel=KOS-9999", "Unknown incident"),
        ("zoom=1e999", "between"),
        ("lat=nan&lon=20", "between"),
        ("casualties=yes", "must be 0 or 1"),
        ("evil=1", "Unknown parameter"),
        ("q=" + "x" * 500, "cut to"),
        ("x=" + "y" * 9000, "too long"),
    ],
)
def test_bad_parameters_are_corrected_with_a_notice(choices, query, words):
    state, notices = parse_query(query, choices)
    assert any(words in n for n in notices), notices
    assert isinstance(state, ViewState)


def test_random_hostile_queries_never_raise(choices):
    rng = random.Random(2008)
    alphabet = string.printable + "ëçšž<>\"'%&=;\x00"
    names = [
        "start",
        "end",
        "type",
        "side",
        "muni",
        "kind",
        "casualties",
        "q",
        "sel",
        "lat",
        "lon",
        "zoom",
        "shade",
    ]
    for _ in range(1000):
        parts = []
        for _ in range(rng.randint(0, 6)):
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
            parts.append(f"{rng.choice(names)}={value}")
        query = "&".join(parts)
        state, notices = parse_query(query, choices)
        assert isinstance(state, ViewState)
        view = state.filter
        assert set(view.event_types) <= choices.event_types
        assert view.start is None or choices.first_day <= view.start <= choices.last_day
        assert state.selected is None or state.selected in choices.ids
        assert all(isinstance(n, str) for n in notices)
