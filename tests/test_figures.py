"""Figure builders: fast checks without a browser."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import shapely

from dashboard import offline, style
from dashboard.figures import (
    COUNTRY_LAYER,
    MARK_LAYERS,
    NAME_ANCHORS,
    TRACE_INDEX,
    casualties,
    daily_counts,
    date_labels,
    label_points,
    map_figure,
    map_patch,
    mark_colours,
    marker_layers,
    municipality_labels,
    name_anchors,
    point_ids,
    timeline_figure,
    timeline_patch,
)
from geodata.filters import ViewFilter, apply_filter
from tests.views import drawn_layer


def test_map_figure_draws_every_incident_in_its_event_types_colour(dataset, incidents):
    fig = map_figure(dataset, incidents, selected_id="KOS-2008-14")
    trace = fig.data[TRACE_INDEX["incidents"]]
    colours = dict(zip(MARK_LAYERS, mark_colours(), strict=True))
    for event_type, colour in style.EVENT_COLOURS.items():
        points = drawn_layer(trace.marker.color, event_type)
        expected = incidents[incidents["event_type"] == event_type]
        assert [trace.text[i].split("<br>")[1].split(" · ")[0] for i in points] == expected["id"].tolist()
        assert all(trace.text[i].startswith(f"<b>{event_type}</b>") for i in points)
        assert colours[event_type] == style.with_alpha(colour, style.MARKER_OPACITY)
    # The stepped scale gives each layer's code its own colour.
    scale = trace.marker.colorscale
    for code, colour in enumerate(mark_colours()):
        position = (code + 0.5) / len(MARK_LAYERS)
        assert [c for low, c in scale[::2] if low <= position][-1] == colour
    selected = drawn_layer(trace.marker.color, "selected")
    assert [trace.lat[i] for i in selected] == [
        np.float32(incidents.set_index("id").loc["KOS-2008-14", "lat"])
    ]
    assert fig.layout.map.style["glyphs"] == offline.PAGE_GLYPHS  # offline by default
    assert "OpenStreetMap" in json.dumps(fig.layout.map.layers[COUNTRY_LAYER].sourceattribution)


def test_a_click_names_the_incident_under_any_of_its_marks(dataset, incidents):
    fig = map_figure(dataset, incidents, selected_id="KOS-2008-14")
    trace = fig.data[TRACE_INDEX["incidents"]]
    ids = point_ids(dataset, incidents, "KOS-2008-14")
    assert len(ids) == len(trace.lat)
    assert [text.split("<br>")[1].split(" · ")[0] for text in trace.text] == list(ids)


def test_the_selection_ring_only_marks_an_incident_in_view(dataset, incidents):
    """Found by the new-user trial: a filtered-out selected incident kept its ring, so the map drew
    one incident more than the count and the table listed."""
    riots = apply_filter(incidents, ViewFilter(event_types=("Riots",)))
    inside, outside = riots["id"].iloc[0], incidents.loc[incidents["event_type"] != "Riots", "id"].iloc[0]
    for selected, expected in ((inside, 1), (outside, 0)):
        layers = marker_layers(dataset, riots, selected)
        assert len(layers["selected"]["lat"]) == expected
        assert list(layers["selected"]["ids"]) == ([selected] if expected else [])


def test_unknown_casualties_are_drawn_apart_from_zero(dataset, incidents):
    fig = map_figure(dataset, incidents)
    trace = fig.data[TRACE_INDEX["incidents"]]
    marks = drawn_layer(trace.marker.color, "unknown_casualties")
    unknown_ids = {trace.text[i].split("<br>")[1].split(" · ")[0] for i in marks}
    assert "KOS-2008-12" in unknown_ids  # no figures given
    assert "KOS-2008-02" not in unknown_ids  # 'no injuries': zero, known
    totals = casualties(incidents.set_index("id"))
    assert pd.isna(totals["KOS-2008-12"]) and totals["KOS-2008-02"] == 0 and totals["KOS-2008-14"] == 132


def test_approximate_locations_get_halos(dataset, incidents):
    fig = map_figure(dataset, incidents)
    trace = fig.data[TRACE_INDEX["incidents"]]
    halos = drawn_layer(trace.marker.color, "approximate")
    assert len(halos) == int(incidents["location_precision"].isin(["town", "region"]).sum())
    assert {trace.marker.size[i] for i in halos} == set(style.HALO_SIZE.values())
    assert halos.max() < drawn_layer(trace.marker.color, "Riots").min()  # under the markers


def test_patch_carries_markers_not_boundaries(dataset, incidents):
    visible = apply_filter(incidents, ViewFilter(event_types=("Riots",)))
    patch = map_patch(dataset, visible, None, shade_by_count=True)
    encoded = pio.to_json(patch.to_plotly_json(), validate=False)
    # Only points travel (markers, the count badges): no polygon of the boundaries.
    assert "geojson" not in encoded and "Polygon" not in encoded
    assert len(encoded) < 20_000
    full = pio.to_json(map_figure(dataset, visible), validate=False)
    assert len(full) > 10 * len(encoded)


def test_shading_counts_incidents_per_municipality(dataset, incidents):
    fig = map_figure(dataset, incidents, shade_by_count=True)
    shading = fig.data[TRACE_INDEX["municipalities"]]
    counts = dict(zip(shading.locations, shading.customdata, strict=True))
    assert counts["North Mitrovica"] == int((incidents["municipality"] == "North Mitrovica").sum())
    assert counts["Prizren"] == 0
    # Discrete classes: z is the class, and each class holds the counts its label says.
    classes = style.count_classes(int(max(counts.values())))
    for name, z in zip(shading.locations, shading.z, strict=True):
        low, high = classes[int(z)]
        assert low <= counts[name] <= high
    # The scale is in the HTML legend: no colour bar takes width from the map.
    assert not shading.showscale
    # North Kosovo stays outlined while shading.
    north = dict(zip(shading.locations, shading.marker.line.width, strict=True))
    assert north["Zubin Potok"] > north["Prizren"]


def test_count_classes_cover_every_count_without_gaps():
    for largest in (0, 1, 3, 4, 5, 14, 25, 999, 1_000_000):
        classes = style.count_classes(largest)
        assert classes[0] == (0, 0) and classes[-1][1] == max(largest, 1) and len(classes) <= 5
        for (_, high), (low, _) in itertools.pairwise(classes):
            assert low == high + 1
        assert len(style.class_colours(len(classes))) == len(classes)


def test_timeline_counts_days_and_spreads_ranges(incidents):
    days = pd.date_range("2008-02-17", "2008-06-28")
    counts = daily_counts(incidents, days)
    on_17_march = days.get_loc(pd.Timestamp("2008-03-17"))
    assert counts["Riots"][on_17_march] == 1  # the clashes; the withdrawal after them is a 17-18 March range
    exact = incidents[(incidents["date_precision"] == "day") & (incidents["date_start"] == days[on_17_march])]
    for event_type, number in exact["event_type"].value_counts().items():
        assert counts[event_type][on_17_march] == number
    ranged = (incidents["date_precision"] != "day").sum()
    assert counts["spread"].sum() == pytest_approx(ranged)
    fig = timeline_figure(incidents, days)
    # Transparent, with no shape: the window is a box behind the plot (timeaxis.window_style).
    assert not fig.layout.shapes and fig.layout.plot_bgcolor == fig.layout.paper_bgcolor == "rgba(0,0,0,0)"


def pytest_approx(value):
    import pytest

    return pytest.approx(float(value))


def test_date_labels_say_their_precision(incidents):
    labels = dict(zip(incidents["id"], date_labels(incidents), strict=True))
    assert labels["KOS-2008-14"] == "17 Mar 2008"
    assert labels["KOS-2008-11"] == "17 Feb 2008 – 13 Mar 2008 (range)"
    assert labels["KOS-2008-24"] == "1 May 2008 – 28 Jun 2008 (range)"
    # No built-in record is known only to its month: make one.
    month = incidents.head(1).astype({"date_precision": object})
    month[["date_start", "date_end", "date_precision"]] = [
        pd.Timestamp("2008-05-01"),
        pd.Timestamp("2008-05-31"),
        "month",
    ]
    assert list(date_labels(month)) == ["May 2008 (month)"]


def _many(incidents, copies: int):
    frame = pd.concat([incidents] * copies, ignore_index=True)
    frame["id"] = [f"X{i}" for i in range(len(frame))]
    return frame


def test_large_views_send_only_typed_coordinates_and_sizes(dataset, incidents):
    from dashboard.figures import DETAIL_LIMIT

    visible = _many(incidents, DETAIL_LIMIT // len(incidents) + 1)
    patch = pio.to_json(map_patch(dataset, visible, None, False).to_plotly_json(), validate=False)
    assert '"bdata"' in patch and '"f4"' in patch and '"u1"' in patch
    assert "KOS-2008" not in patch and "Mitrovica" not in patch  # no per-point text
    assert len(patch) / len(visible) < 16


def test_above_the_point_limit_the_map_shows_municipality_totals(dataset, incidents):
    from dashboard.figures import POINT_LIMIT, is_aggregated, marker_layers, municipality_shading

    visible = _many(incidents, POINT_LIMIT // len(incidents) + 1)
    visible["municipality"] = visible["municipality"].astype(str)
    assert is_aggregated(visible)
    assert all(len(t["lat"]) == 0 for name, t in marker_layers(dataset, visible, None).items())
    shading = municipality_shading(dataset, visible, shade_by_count=False)
    assert shading["customdata"].max() > 0 and shading["z"].max() > 0


def test_timeline_stays_small_at_any_length_of_period(incidents):
    from dashboard.figures import TIMELINE_BINS, binned_counts

    long_days = pd.date_range("2008-01-01", "2015-12-31")  # eight years: 2,922 days
    fig = timeline_figure(incidents, long_days)
    assert len(fig.data) == 7 and all(t.type == "scatter" and t.stackgroup for t in fig.data)
    assert all(len(t.y) <= TIMELINE_BINS + 1 and t.dx == 5 * 86_400_000 for t in fig.data)
    # Binning loses no incident: each series sums (less the repeated end point) to its daily total.
    daily = daily_counts(incidents, long_days)
    for key, values in binned_counts(incidents, long_days).items():
        assert values[:-1].sum() == pytest_approx(daily[key].sum())
    assert len(fig.to_json()) < 40_000  # bars: 842 kB at a million events
    short = pd.date_range("2008-02-17", "2008-06-28")  # short periods keep one step per day
    daily_steps = timeline_figure(incidents, short).data[0]
    assert len(daily_steps.y) == len(short) + 1 and daily_steps.dx == 86_400_000


def test_count_axis_never_shows_fractions_of_one_incident(incidents):
    """One incident known to a range is spread thin over its days; the axis still counts incidents."""
    days = pd.date_range(incidents["date_start"].min().normalize(), incidents["date_end"].max().normalize())
    ranged = incidents[incidents["date_precision"].astype(str) == "range"]
    spread = ranged[(ranged["date_end"] - ranged["date_start"]).dt.days > 10].head(1)
    alone = timeline_figure(spread, days).layout.yaxis
    assert (alone.autorange, list(alone.range), alone.dtick) == (False, [0, 1], 1)
    everything = timeline_figure(incidents, days).layout.yaxis
    assert everything.autorange is True and everything.range is None
    # A day or two of one or two incidents: whole incidents on the axis, not 0, 0.5 and 1.
    two = timeline_figure(incidents.head(2), days).layout.yaxis
    assert two.autorange is True and two.dtick == 1
    # A filter change carries the axis with the counts (the figure is patched, not rebuilt).
    patched = timeline_patch(spread, days).to_plotly_json()["operations"]
    axis = {
        op["location"][-1]: op["params"]["value"]
        for op in patched
        if op["location"][:2] == ["layout", "yaxis"]
    }
    assert axis == {"autorange": False, "range": [0, 1], "dtick": 1}


def test_window_box_covers_whole_days_of_the_plot_area():
    from dashboard.timeaxis import window_style

    # 121 days: the plot area runs from day 0 to day 120; a window is half a day wider each side.
    assert window_style(121, 0, 120) == {"left": "0.000%", "width": "100.000%"}  # cut at the edges
    assert window_style(121, 10, 40) == {"left": f"{9.5 / 120 * 100:.3f}%", "width": f"{31 / 120 * 100:.3f}%"}
    assert window_style(121, 120, 120) == {
        "left": f"{119.5 / 120 * 100:.3f}%",
        "width": f"{0.5 / 120 * 100:.3f}%",
    }
    assert window_style(1, 0, 0) == {"left": "0.000%", "width": "100.000%"}


def test_histogram_labels_sit_on_the_slider_marks():
    from dashboard.timeaxis import share_time_axis, slider_marks, tick_days

    for first, last, labels in [
        ("2008-02-17", "2008-06-28", ["1 Mar", "1 Apr", "1 May", "1 Jun"]),
        ("2008-01-01", "2009-12-31", ["Jan 2008", "Apr 2008", "Jul 2008", "Oct 2008"]),
        ("2000-01-01", "2020-12-31", ["2000", "2002", "2004", "2006"]),
    ]:
        days = pd.date_range(first, last)
        axis = share_time_axis(go.Figure(), days).layout.xaxis
        assert list(axis.ticktext[:4]) == labels and len(axis.tickvals) <= 12
        # Each label's day is a slider mark, and each mark a label's day; each sits at its day's middle.
        marks = {days[0] + pd.Timedelta(days=offset) for offset in slider_marks(days)}
        middles = {pd.Timestamp(value) - pd.Timedelta(hours=12) for value in axis.tickvals}
        assert marks == middles == set(tick_days(days))


def test_a_period_of_days_has_dates_on_its_axis():
    """An upload of ten days had no month start to label: its axis showed no date at all."""
    from dashboard.timeaxis import share_time_axis, slider_marks

    days = pd.date_range("2024-03-01", "2024-03-10")
    axis = share_time_axis(go.Figure(), days).layout.xaxis
    assert list(axis.ticktext) == [
        "1 Mar",
        "2 Mar",
        "3 Mar",
        "4 Mar",
        "5 Mar",
        "6 Mar",
        "7 Mar",
        "8 Mar",
        "9 Mar",
        "10 Mar",
    ]
    assert len(slider_marks(days)) == len(axis.tickvals)
    # Across the new year, a week apart, still day and month (not "Dec 2023").
    across = share_time_axis(go.Figure(), pd.date_range("2023-12-26", "2024-01-20")).layout.xaxis
    assert list(across.ticktext) == ["26 Dec", "2 Jan", "9 Jan", "16 Jan"]


def test_every_day_with_incidents_is_drawn_inside_the_timeline(incidents):
    """Each day's step is inside the plot area the page shows, the last day's too (its step, from
    its midnight on, lay wholly past the right edge: an upload's incidents on its last day were
    counted everywhere but drawn nowhere)."""
    from dashboard.timeaxis import share_time_axis

    for frame in (incidents, incidents[incidents["date_start"] <= "2008-03-10"]):
        days = pd.date_range(frame["date_start"].min().normalize(), frame["date_end"].max().normalize())
        fig = share_time_axis(timeline_figure(frame, days), days)
        low, high = (pd.Timestamp(edge) for edge in fig.layout.xaxis.range)
        stacked = np.sum([np.asarray(trace.y) for trace in fig.data], axis=0)
        for step, height in enumerate(stacked[:-1]):  # the last value only ends the last step
            start = pd.Timestamp(fig.data[0].x0) + pd.Timedelta(milliseconds=step * fig.data[0].dx)
            end = start + pd.Timedelta(milliseconds=fig.data[0].dx)
            if height > 0:
                assert min(end, high) - max(start, low) >= pd.Timedelta(hours=12), start


def test_every_municipality_name_stands_inside_its_own_polygon(dataset):
    # North Mitrovica's stood south of the river, in Mitrovica: hovering there named the neighbour.
    labels = municipality_labels(dataset)
    layer = dataset.boundaries.municipalities
    assert sorted(labels["name"]) == sorted(layer["name"])  # one name each
    shapes = dict(zip(layer["name"], layer.geometry, strict=True))
    for name, lon, lat in labels[["name", "lon", "lat"]].itertuples(index=False):
        point = shapely.Point(lon, lat)
        assert shapes[name].contains(point), name
        assert shapes[name].boundary.distance(point) > 0.003, name  # not on its edge: room all round
    # The layer sent to the map carries these points.
    features = label_points(dataset)["features"]
    assert [f["geometry"]["coordinates"] for f in features] == [
        [round(lon, 5), round(lat, 5)] for lon, lat in zip(labels["lon"], labels["lat"], strict=True)
    ]


def test_a_name_is_offered_no_place_mostly_outside_the_country(dataset):
    """Each name's anchors (figures.name_anchors) start at its point; Zubin Potok, on the western
    border, is offered none that puts it west of its point (it stood half in Serbia), an inland name
    all of them."""
    every = [part for anchor, offset in NAME_ANCHORS for part in (anchor, list(offset))]
    anchors = {
        f["properties"]["label"]: f["properties"]["anchors"] for f in label_points(dataset)["features"]
    }
    assert all(kept[:2] == ["center", [0, 0]] for kept in anchors.values())
    westward = [anchors["Zubin Potok"][i] for i in range(0, len(anchors["Zubin Potok"]), 2)]
    assert not {"right", "top-right", "bottom-right"} & set(westward), westward
    assert anchors["Malisheva"] == every  # in the middle of the country
    # Without a country outline (no boundary layer), nothing to keep a name in: every anchor.
    assert name_anchors(None, municipality_labels(dataset)) == [every] * len(anchors)
