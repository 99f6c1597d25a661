"""The dashboard's view update as a pure function: its fast paths agree with the plain ones."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from dash import no_update
from hypothesis import given, settings
from hypothesis import strategies as st
from plotly.io.json import to_json_plotly

from dashboard import figures, timeaxis
from dashboard.figures import marker_layers
from dashboard.scrub import scrub_points
from dashboard.view import (
    TABLE_PAGE_SIZE,
    VIEW_COLUMNS,
    VIEW_OUTPUTS,
    home_bounds,
    table_page,
    table_rows,
    view_context,
    view_outputs,
)
from geodata.filters import (
    FACETS,
    ViewFilter,
    all_facet_counts,
    apply_filter,
    facet_counts,
    filter_mask,
    take_rows,
)
from tests.views import decoded, view_update

#: Positions in view_outputs' tuple (the update callback's output order).
SCRUB, FRAME, FOCUS = 13, 14, 15
WINDOW = VIEW_OUTPUTS.index(("timeline-window", "style"))

VIEWS = [
    ViewFilter(),
    ViewFilter(start=date(2008, 3, 1), end=date(2008, 3, 31)),
    ViewFilter(event_types=("Riots", "Protests")),
    ViewFilter(start=date(2008, 2, 17), end=date(2008, 2, 29), sides=("KFOR",)),
    ViewFilter(municipalities=("North Kosovo",), casualties_only=True),
    ViewFilter(place_kinds=("border crossing",), text="post"),
]


@pytest.fixture(scope="module")
def context(dataset):
    return view_context(dataset)


def _operations(patch) -> list[dict]:
    return patch.to_plotly_json()["operations"]


def _outputs(context, window, selected_id=None, **controls):
    return view_update(context, window, selected_id, **controls)


@pytest.mark.parametrize("view", VIEWS)
def test_all_facet_counts_equal_one_facet_at_a_time(incidents, view):
    together = all_facet_counts(incidents, view)
    assert together == {facet: facet_counts(incidents, view, facet) for facet in FACETS}


@pytest.mark.parametrize("view", VIEWS)
def test_take_rows_equals_iloc(incidents, view):
    rows = np.flatnonzero(filter_mask(incidents, view))
    taken = take_rows(incidents, rows, VIEW_COLUMNS)
    pd.testing.assert_frame_equal(taken, incidents.iloc[rows][list(VIEW_COLUMNS)])


@given(
    start=st.dates(date(2007, 12, 1), date(2008, 8, 1)),
    length=st.integers(0, 120),
)
@settings(max_examples=200, deadline=None)
def test_date_window_on_raw_integers_equals_pandas(incidents, start, length):
    end = date.fromordinal(start.toordinal() + length)
    expected = (incidents["date_end"] >= pd.Timestamp(start)) & (incidents["date_start"] <= pd.Timestamp(end))
    got = filter_mask(incidents, ViewFilter(start=start, end=end))
    assert got.tolist() == expected.tolist()


def test_date_window_on_text_dates_falls_back_to_pandas():
    frame = pd.DataFrame(
        {"date_start": ["2008-03-01", "2008-04-01"], "date_end": ["2008-03-01", "2008-04-01"]}
    )
    frame = frame.astype("datetime64[s]").astype(object)  # not datetime64: pandas compares
    assert filter_mask(frame, ViewFilter(start=date(2008, 3, 15))).tolist() == [False, True]


def test_slider_step_moves_only_the_histogram_window(context):
    window = [10, 40]
    full = view_outputs(context, window, [], [], [], [], [], "", [], None, dates_only=False)
    moved_only = view_outputs(context, window, [], [], [], [], [], "", [], None, dates_only=True)
    # Counts, options, table, details, URL: the same either way; the browser's points stay.
    assert to_json_plotly(moved_only[2:SCRUB]) == to_json_plotly(full[2:SCRUB])
    assert moved_only[SCRUB] is no_update and full[SCRUB]["count"] == len(context.dataset.incidents)
    # The camera's frame leaves out the dates (Play never moves the camera); the focus is kept.
    assert moved_only[FRAME] is no_update and full[FRAME] == home_bounds(context.dataset)
    assert moved_only[FOCUS] == full[FOCUS]
    assert moved_only[1] is no_update  # the areas are left as they are; the window box moves
    assert moved_only[WINDOW] == full[WINDOW] == timeaxis.window_style(len(context.days), *window)
    assert {tuple(op["location"][:1]) for op in _operations(full[1])} == {("data",), ("layout",)}
    # The map changes either way; any change but the dates also drops a Box/Lasso selection's dimming.
    cleared = [op for op in _operations(full[0]) if op["location"][-1] == "selectedpoints"]
    assert len(cleared) == len(figures.TRACE_INDEX) and all(op["params"]["value"] is None for op in cleared)
    assert to_json_plotly(_operations(moved_only[0])) == to_json_plotly(
        [op for op in _operations(full[0]) if op not in cleared]
    )


def test_view_outputs_agree_with_apply_filter(context, incidents):
    days = context.days
    outputs = _outputs(context, [20, 50], event_types=["Riots", "Protests"])
    view = ViewFilter(start=days[20].date(), end=days[50].date(), event_types=("Riots", "Protests"))
    visible = apply_filter(incidents, view)
    count_text = outputs[2][0].children
    assert count_text == f"{len(visible):,}"
    table = outputs[8]
    assert [row["id"] for row in table] == visible["id"].head(TABLE_PAGE_SIZE).tolist()
    options = {o["value"]: o["label"] for o in outputs[4]}
    expected = facet_counts(incidents, view, "event_types")
    assert options["Riots"].endswith(f"({expected.get('Riots', 0)})")


def test_selected_incident_shows_in_details_and_on_the_map(context, incidents):
    chosen = incidents.iloc[7]
    outputs = _outputs(context, [0, len(context.days) - 1], selected_id=chosen["id"])
    assert chosen["id"] in str(outputs[11])
    unknown = _outputs(context, [0, len(context.days) - 1], selected_id="no-such-id")
    assert "Click an incident" in str(unknown[11])


def _rows(n: int, fatalities: list) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(
        {
            "date_start": pd.date_range("2008-02-17", periods=n),
            "fatalities": pd.array(fatalities, dtype="Int64"),
        }
    )
    return frame, np.arange(n)


def test_table_page_sorts_every_visible_row_with_unknown_last():
    frame, rows = _rows(6, [3, None, 0, 7, None, 1])
    ascending = table_page(frame, rows, 0, [{"column_id": "fatalities", "direction": "asc"}])
    descending = table_page(frame, rows, 0, [{"column_id": "fatalities", "direction": "desc"}])
    assert frame["fatalities"].take(ascending).tolist()[:4] == [0, 1, 3, 7]
    assert frame["fatalities"].take(descending).tolist()[:4] == [7, 3, 1, 0]
    assert frame["fatalities"].take(ascending).isna().tolist()[4:] == [True, True]
    assert frame["fatalities"].take(descending).isna().tolist()[4:] == [True, True]


def test_table_page_slices_and_clamps_the_page():
    count = TABLE_PAGE_SIZE * 2 + 5
    frame, rows = _rows(count, list(range(count)))
    assert table_page(frame, rows, 0, None).tolist() == list(range(TABLE_PAGE_SIZE))
    assert table_page(frame, rows, 2, None).tolist() == list(range(TABLE_PAGE_SIZE * 2, count))
    assert table_page(frame, rows, 99, None).tolist() == list(range(TABLE_PAGE_SIZE * 2, count))
    assert table_page(frame, rows, -3, None).tolist() == list(range(TABLE_PAGE_SIZE))
    unknown_column = table_page(frame, rows, 0, [{"column_id": "no-such-column", "direction": "asc"}])
    assert unknown_column.tolist() == list(range(TABLE_PAGE_SIZE))
    assert table_page(frame, rows[:0], 0, None).tolist() == []


def test_table_rows_keep_unknown_as_null_and_text_as_text(incidents):
    hostile = incidents.head(2).copy()
    hostile["description"] = pd.array(["<img src=x onerror=alert(1)>", None], dtype="string")
    hostile["fatalities"] = pd.array([None, 0], dtype="Int64")
    rows = table_rows(hostile)
    assert rows[0]["description"] == "<img src=x onerror=alert(1)>"
    assert rows[1]["description"] == ""
    assert rows[0]["fatalities"] is None and rows[1]["fatalities"] == 0


@pytest.mark.parametrize("window", [(0, 10), (25, 60), (0, 132)])
def test_browser_points_draw_what_the_server_draws(context, dataset, incidents, window):
    """The drag preview's data (scrub_points), filtered as the browser does, gives the same
    markers as the server's own map patch for that window."""
    points = scrub_points(
        dataset, take_rows(incidents, np.arange(len(incidents)), VIEW_COLUMNS), context.days
    )
    low, high = window
    day_start, day_end = decoded(points["day_start"]), decoded(points["day_end"])
    rows = np.flatnonzero((day_end >= low) & (day_start <= high))  # what scrub() in the JS does
    trace, lat, size = decoded(points["trace"]), decoded(points["lat"]), decoded(points["size"])
    days = context.days
    visible = apply_filter(incidents, ViewFilter(start=days[low].date(), end=days[high].date()))
    server = marker_layers(dataset, take_rows(visible, np.arange(len(visible)), VIEW_COLUMNS), None)
    assert len(rows) == len(visible)
    for code, name in enumerate(points["event_traces"]):
        mine = rows[trace[rows] == code]
        assert lat[mine].tolist() == server[name]["lat"].tolist()
        assert size[mine].tolist() == server[name]["marker"]["size"].tolist()
        assert [points["text"][i] for i in mine] == server[name]["text"].tolist()
    halo = decoded(points["halo"])
    assert halo[rows][halo[rows] > 0].tolist() == server["approximate"]["marker"]["size"].tolist()
    # The preview's view sentence counts North Kosovo as the server's does.
    assert points["has_north"] and int(decoded(points["north"])[rows].sum()) == int(
        visible["north_kosovo"].sum()
    )


def test_browser_points_are_withheld_above_the_limit(dataset, incidents, context, monkeypatch):
    frame = take_rows(incidents, np.arange(len(incidents)), VIEW_COLUMNS)
    assert scrub_points(dataset, frame, context.days)["count"] == len(incidents)
    monkeypatch.setattr("dashboard.scrub.CLIENT_LIMIT", len(incidents) - 1)
    monkeypatch.setattr("dashboard.view.CLIENT_LIMIT", len(incidents) - 1)
    assert scrub_points(dataset, frame, context.days) is None
    assert view_outputs(context, [0, 10], [], [], [], [], [], "", [], None)[SCRUB] is None
    riots = view_outputs(context, [0, 10], ["Riots"], [], [], [], [], "", [], None)[SCRUB]
    assert riots["count"] == int((incidents["event_type"] == "Riots").sum())  # few enough again
