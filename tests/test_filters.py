"""The shared filtering code, on the joined 2008 data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from geodata.filters import (
    NORTH_KOSOVO_GROUP,
    ViewFilter,
    apply_filter,
    facet_counts,
    fold,
    fold_series,
    fold_text,
)
from geodata.gazetteer import load_gazetteer, normalise_name


def ids(frame):
    return set(frame["id"])


def test_default_filter_keeps_everything(incidents):
    assert len(apply_filter(incidents, ViewFilter())) == len(incidents)


def test_date_window_keeps_overlapping_ranges(incidents):
    day = apply_filter(incidents, ViewFilter(start=date(2008, 3, 17), end=date(2008, 3, 17)))
    assert {"KOS-2008-13", "KOS-2008-14", "KOS-2008-15"} <= ids(day)
    assert "KOS-2008-20" in ids(day)  # known only as the whole period
    assert "KOS-2008-12" not in ids(day)  # 14 March
    may = apply_filter(incidents, ViewFilter(start=date(2008, 5, 10), end=date(2008, 5, 10)))
    assert "KOS-2008-24" in ids(may)  # month precision


def test_facets(incidents):
    riots = apply_filter(incidents, ViewFilter(event_types=("Riots",)))
    assert set(riots["event_type"]) == {"Riots"}
    kfor = apply_filter(incidents, ViewFilter(sides=("KFOR",)))
    assert ids(kfor) == {"KOS-2008-13", "KOS-2008-14", "KOS-2008-15", "KOS-2008-16"}
    north = apply_filter(incidents, ViewFilter(municipalities=(NORTH_KOSOVO_GROUP,)))
    assert north["north_kosovo"].all() and len(north) == incidents["north_kosovo"].sum()
    both = apply_filter(incidents, ViewFilter(municipalities=(NORTH_KOSOVO_GROUP, "Kamenica")))
    # The two Borivojce incidents, and the Gjilan-region record, which covers Kamenica.
    kamenica = incidents["municipalities"].astype(str).str.split(";").map(lambda names: "Kamenica" in names)
    assert len(both) == len(north) + int((kamenica & ~incidents["north_kosovo"]).sum())
    assert {"KOS-2008-18", "KOS-2008-19", "KOS-2008-21"} <= ids(both)
    crossings = apply_filter(incidents, ViewFilter(place_kinds=("border crossing",)))
    assert ids(crossings) == {"KOS-2008-03", "KOS-2008-04", "KOS-2008-05"}


def test_casualties_only_treats_unknown_as_not_known(incidents):
    hurt = apply_filter(incidents, ViewFilter(casualties_only=True))
    assert ids(hurt) == {"KOS-2008-05", "KOS-2008-14", "KOS-2008-19"}


def test_text_search_is_literal_and_case_insensitive(incidents):
    assert ids(apply_filter(incidents, ViewFilter(text="BULLDOZER"))) == {"KOS-2008-03"}
    assert len(apply_filter(incidents, ViewFilter(text=".*"))) == 0  # not a regular expression


def test_facet_counts_ignore_their_own_facet(incidents):
    view = ViewFilter(event_types=("Riots",), sides=("KFOR",))
    sides = facet_counts(incidents, view, "sides")
    assert sides["KFOR"] == 1  # riots with KFOR: the 17 March clashes
    types = facet_counts(incidents, view, "event_types")
    assert types == {"Riots": 1, "Strategic developments": 3}
    assert facet_counts(incidents, ViewFilter(), "municipalities")[NORTH_KOSOVO_GROUP] == int(
        incidents["north_kosovo"].sum()
    )


def test_describe_in_words():
    words = ViewFilter(event_types=("Riots",), casualties_only=True, text="court").describe()
    assert words == ["Event type: Riots", "With casualties only", "Text: “court”"]


# --- Search (issue 11): case- and accent-insensitive, over descriptions, names, municipalities, actors ----


def _found(incidents, text):
    return ids(apply_filter(incidents, ViewFilter(text=text)))


def test_search_ignores_case_accents_and_script(incidents):
    strpce = set(incidents.loc[incidents["place"] == "strpce", "id"])
    assert strpce and "Štrpce" in " ".join(incidents.loc[incidents["place"] == "strpce", "description"])
    for spelling in ("Strpce", "štrpce", "shtërpcë", "SHTERPCE", "Штрпце"):
        assert strpce <= _found(incidents, spelling), spelling


def test_search_finds_places_in_every_language_and_alias(incidents):
    mitrovica = set(
        incidents.loc[
            incidents["place_name"].astype(str).str.contains("Mitrovica")
            | incidents["municipality"].isin(["Mitrovica", "North Mitrovica"]),
            "id",
        ]
    )
    assert len(mitrovica) > 5
    assert mitrovica <= _found(incidents, "mitrovica")
    assert _found(incidents, "Mitrovicë") == _found(incidents, "mitrovice")
    gazetteer = load_gazetteer()
    aliases = [a for a in gazetteer.places.loc["koshuteve", "aliases"].split(";") if a]
    koshuteve = set(incidents.loc[incidents["place"] == "koshuteve", "id"])
    for name in [*aliases, gazetteer.places.loc["koshuteve", "name_sr"]]:
        assert koshuteve <= _found(incidents, name), name


def test_search_finds_municipalities_and_the_regions_covering_them(incidents):
    covering = set(incidents.loc[incidents["municipalities"].astype(str).str.contains("Zubin Potok"), "id"])
    assert set(incidents.loc[incidents["place"] == "north_kosovo", "id"]) <= covering
    assert covering <= _found(incidents, "zubin potok")
    kamenica = set(incidents.loc[incidents["municipalities"].astype(str).str.contains("Kamenica"), "id"])
    assert kamenica <= _found(incidents, "Kamenicë")  # the Albanian form of the layer's name


def test_search_finds_actors(incidents):
    for column in ("actor1", "actor2"):
        actor = incidents[column].dropna().astype(str)
        actor = actor[actor.str.len() > 8].iloc[0]
        expected = set(incidents.loc[incidents[column] == actor, "id"])
        assert expected <= _found(incidents, actor.upper())
    mayor = incidents.loc[incidents["actor1"].astype(str).str.contains("Jakovljević"), "id"]
    assert set(mayor) and set(mayor) <= _found(incidents, "jakovljevic")


def test_search_is_literal_on_a_frame_without_search_columns(dataset):
    raw = dataset.read.records.copy()  # not joined: folded on the spot
    raw.loc[raw.index[0], "description"] = "A (bracketed) remark, a|b and 50% [sic]"
    for literal in ("(bracketed)", "a|b", "50%", "[sic]"):
        assert ids(apply_filter(raw, ViewFilter(text=literal))) == {raw["id"].iloc[0]}, literal
    assert len(apply_filter(raw, ViewFilter(text="   "))) == len(raw)  # blank: no restriction


def test_fold_matches_the_gazetteers_folding():
    gazetteer = load_gazetteer()
    names = [n for row in gazetteer.places.itertuples() for n in (row.name_en, row.name_sq, row.name_sr) if n]
    assert names and all(fold(n) == normalise_name(n) for n in names)
    column = pd.Series([*names, None])
    assert fold_series(column).tolist() == [fold_text(n) for n in names] + [""]


def test_date_window_by_binary_search_equals_comparing_every_row():
    from datetime import date, timedelta

    from geodata.filters import component_masks, date_order, window_mask

    rng = np.random.default_rng(11)
    n = 3_000
    start = pd.Timestamp("2008-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 400, n)), unit="D")
    start = (start + pd.to_timedelta(rng.integers(0, 24, n), unit="h")).sort_values()  # times of day too
    length = np.where(rng.random(n) < 0.2, rng.integers(0, 90, n), 0)
    frame = pd.DataFrame({"date_start": start, "date_end": start + pd.to_timedelta(length, unit="D")})
    order = date_order(frame)
    assert order is not None
    first = date(2007, 12, 1)
    for _ in range(300):
        low, high = sorted(rng.integers(0, 500, 2))
        begin, finish = first + timedelta(days=int(low)), first + timedelta(days=int(high))
        for view in (ViewFilter(start=begin, end=finish), ViewFilter(start=begin), ViewFilter(end=finish)):
            expected = component_masks(frame, view)["dates"]
            assert window_mask(order, view.start, view.end).tolist() == expected.tolist(), view
    shuffled = frame.sample(frac=1, random_state=1)
    assert date_order(shuffled) is None  # not sorted: rows are compared
    backwards = frame.assign(date_end=frame["date_start"] - pd.Timedelta(days=1))
    assert date_order(backwards) is None


def test_every_row_is_checked_exactly_across_chunks():
    from geodata.filters import _EVERY_ROW_CHUNK, _every_row

    n = 2 * _EVERY_ROW_CHUNK + 5  # more than one chunk, the last one short
    assert _every_row(np.arange(n), n)
    assert _every_row(np.arange(n, dtype=np.int32), n)
    for position in (1, _EVERY_ROW_CHUNK, _EVERY_ROW_CHUNK + 1, n - 2):  # one swap anywhere is found
        rows = np.arange(n)
        rows[[position, position + 1]] = rows[[position + 1, position]]
        assert not _every_row(rows, n)
    assert not _every_row(np.arange(n - 1), n) and not _every_row(np.arange(n), n + 1)
    assert not _every_row(np.arange(0), 0)
