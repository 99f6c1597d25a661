"""The shared filtering code, on the joined 2008 data."""

from __future__ import annotations

from datetime import date

from geodata.filters import NORTH_KOSOVO_GROUP, ViewFilter, apply_filter, facet_counts


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
