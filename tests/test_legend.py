"""The legend, view summary, empty state and dataset summary, as pure functions over the real data."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.details import dataset_summary
from dashboard.legend import LEGEND_OUTPUTS, active_filters, view_summary
from dashboard.view import VIEW_OUTPUTS, days_of, municipality_choices, table_rows, view_context, view_outputs
from geodata.filters import ViewFilter
from geodata.schema import EVENT_TYPES


def _controls(days, event_types=(), text="", window=None):
    return (window or [0, len(days) - 1], list(event_types), [], [], [], [], text)


def legend_outputs(dataset, days, labels, controls, shade, area=None):
    """The legend part of the view update the callback sends (after the view's own outputs)."""
    outputs = view_outputs(view_context(dataset), *controls, shade, None, 0, [], area)
    assert len(outputs) == len(VIEW_OUTPUTS) + len(LEGEND_OUTPUTS)
    return outputs[len(VIEW_OUTPUTS) :]


def test_legend_lists_all_six_types_with_view_counts(dataset, incidents):
    days = days_of(dataset)
    _, labels = municipality_choices(dataset)
    counts, classes, pressed, *_ = legend_outputs(dataset, days, labels, _controls(days, ["Riots"]), [])
    assert len(counts) == len(classes) == len(pressed) == len(EVENT_TYPES) == 6
    riots = list(EVENT_TYPES).index("Riots")
    assert counts[riots] == f"{int((incidents['event_type'] == 'Riots').sum()):,}"
    assert pressed[riots] == "true" and pressed.count("true") == 1
    # The other types are filtered out: zero in view, greyed and marked off, but still listed.
    for i, event_type in enumerate(EVENT_TYPES):
        if event_type != "Riots":
            assert counts[i] == "0" and "is-zero" in classes[i] and "is-off" in classes[i]


def test_shading_legend_labels_classes_that_cover_the_busiest_municipality(dataset, incidents):
    days = days_of(dataset)
    _, labels = municipality_choices(dataset)
    fill = legend_outputs(dataset, days, labels, _controls(days), ["yes"])[3]
    text = " ".join(str(part) for part in fill[0].to_plotly_json()["props"]["children"][1:])
    busiest = int(incidents["municipality"].value_counts().max())
    assert f"–{busiest}" in text or f"'{busiest}'" in text
    assert "North Kosovo" in str(fill[1].to_plotly_json())  # still explained (outline) while shading


def test_summary_says_count_period_and_north_kosovo(incidents):
    text = view_summary(incidents)
    north = int(incidents["north_kosovo"].sum())
    assert text == f"{len(incidents)} incidents, 17 Feb – 28 Jun 2008, {north} in North Kosovo"
    assert view_summary(incidents.head(0)) == "No incidents match the filters."
    # While Play or the slider narrows the dates, the sentence names that window, not the incidents' span.
    week = (date(2008, 2, 18), date(2008, 2, 24))
    assert view_summary(incidents, week).startswith(f"{len(incidents)} incidents, 18 Feb – 24 Feb 2008,")


def test_empty_state_names_every_active_filter(dataset, incidents):
    days = days_of(dataset)
    _, labels = municipality_choices(dataset)
    controls = _controls(days, ["Battles"], text="no such words anywhere")
    outputs = legend_outputs(dataset, days, labels, controls, [])
    assert outputs[-1] == "empty-state" and outputs[4] == "No incidents match the filters."
    words = [li.children for li in outputs[5]]
    assert words == ["Event type: Battles", "Description contains “no such words anywhere”"]
    view = ViewFilter(start=days[3].date(), municipalities=("North Kosovo",), casualties_only=True)
    listed = active_filters(view, labels, days[0].date(), days[-1].date())
    assert listed[0].startswith("Dates: 20 Feb 2008 – 28 Jun 2008")
    assert "Municipality: North Kosovo (4 municipalities)" in listed
    assert outputs_hidden(dataset, days, labels)


def outputs_hidden(dataset, days, labels) -> bool:
    return legend_outputs(dataset, days, labels, _controls(days), [])[-1] == "empty-state hidden"


def test_table_shows_the_whole_range_of_range_dated_incidents(incidents):
    ranged = incidents[incidents["date_precision"] == "range"].head(3)
    rows = table_rows(ranged)
    for row, (_, incident) in zip(rows, ranged.iterrows(), strict=True):
        start, end = pd.Timestamp(incident["date_start"]), pd.Timestamp(incident["date_end"])
        if start.normalize() != end.normalize():
            assert row["date"] == f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    day = incidents[incidents["date_precision"] == "day"].head(1)
    assert table_rows(day)[0]["date"] == f"{day['date_start'].iloc[0]:%Y-%m-%d}"


def test_dataset_summary_gives_period_types_and_busiest_places(dataset, incidents):
    text = str(dataset_summary(incidents, "2008 unrest in Kosovo").to_plotly_json())
    assert f"{len(incidents)} incidents" in text and "17 Feb 2008" in text and "28 Jun 2008" in text
    for event_type in incidents["event_type"].astype(str).unique():
        assert event_type in text
    # The busiest municipalities carry the municipality filter's own numbers (its options' counts),
    # and each list says what it counts.
    options = view_outputs(view_context(dataset), *_controls(days_of(dataset)), [], None)[
        VIEW_OUTPUTS.index(("filter-municipality", "options"))
    ]
    offered = dict(option["label"].rsplit(" (", 1) for option in options)  # name -> "13)"
    blocks = dataset_summary(incidents, "t").children
    heading = [getattr(b, "children", None) for b in blocks].index("Busiest municipalities")
    listed = blocks[heading + 2].children  # after the note that says what is counted
    assert len(listed) == 5
    for item in listed:
        name, count = item.children.rsplit(" (", 1)
        assert offered[name] == count, (item.children, offered[name])
    assert "As the municipality filter counts them" in text and "recorded at the place itself" in text


def test_legend_counts_what_the_map_draws_inside_a_drawn_area(dataset, incidents):
    """The legend, the header and the map come from one filtered frame: a drawn area counts too."""
    days = days_of(dataset)
    _, labels = municipality_choices(dataset)
    north = incidents[incidents["north_kosovo"].fillna(False).astype(bool)]
    lon, lat = float(north["lon"].iloc[0]), float(north["lat"].iloc[0])
    area = [
        [lon - 0.01, lat - 0.01],
        [lon + 0.01, lat - 0.01],
        [lon + 0.01, lat + 0.01],
        [lon - 0.01, lat + 0.01],
    ]
    outputs = view_outputs(view_context(dataset), *_controls(days), [], None, 0, [], area)
    header_count = int(
        outputs[VIEW_OUTPUTS.index(("incident-count", "children"))][0].children.replace(",", "")
    )
    counts = [int(c.replace(",", "")) for c in outputs[len(VIEW_OUTPUTS)]]
    assert 0 < header_count < len(incidents)
    assert sum(counts) == header_count
    # A type the area has none of empties the view: the empty state names the area among the filters.
    absent = next(t for t, n in zip(EVENT_TYPES, counts, strict=True) if n == 0)
    empty = legend_outputs(dataset, days, labels, _controls(days, [absent]), [], area=area)
    assert empty[-1] == "empty-state"
    assert [li.children for li in empty[5]] == [f"Event type: {absent}", "Map area: inside the drawn shape"]


def test_summary_counts_equal_pandas_text_counts_ties_included():
    import numpy as np

    from dashboard.details import value_counts

    rng = np.random.default_rng(0)
    for _ in range(200):
        values = rng.choice(["a", "b", "c", None, "d"], int(rng.integers(0, 60)))
        for column in (
            pd.Series(pd.Categorical(values, categories=["d", "c", "b", "a", "zz"])),
            pd.Series(values, dtype="str"),
        ):
            expected = column.dropna().astype(str).value_counts()
            got = value_counts(column)
            assert got.index.tolist() == expected.index.tolist() and got.tolist() == expected.tolist()
