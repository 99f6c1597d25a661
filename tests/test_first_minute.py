"""The first minute without a browser: framing, clicks and the view's invariant over view_outputs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.area import area_mask
from dashboard.figures import TRACE_INDEX
from dashboard.view import (
    MIN_FRAME_DEGREES,
    frame_bounds,
    home_bounds,
    view_context,
    view_from_controls,
    view_outputs,
)
from geodata.filters import ViewFilter, apply_filter, filter_mask
from geodata.schema import EVENT_TYPES, PLACE_KINDS
from tests.views import drawn_layer, view_update

#: Positions in view_outputs' tuple (the update callback's output order).
COUNT, FRAME, FOCUS, OUTSIDE = 2, 14, 15, 16


@pytest.fixture(scope="module")
def context(dataset):
    return view_context(dataset)


def test_default_view_frames_the_boundary_layer(context, dataset):
    west, south, east, north = home_bounds(dataset)
    assert 19.9 < west < 20.1 and 21.7 < east < 21.9 and 41.8 < south < 41.9 and 43.2 < north < 43.3
    assert view_update(context)[FRAME] == home_bounds(dataset)
    # The date window alone does not narrow the frame: Play keeps the camera still.
    assert view_update(context, window=[20, 30])[FRAME] == home_bounds(dataset)


def test_a_filter_frames_its_incidents_inside_the_boundary_layer(context, incidents):
    riots = incidents[(incidents["event_type"] == "Riots") & ~incidents["outside_boundaries"]]
    frame = view_update(context, event_types=["Riots"])[FRAME]
    assert frame == pytest.approx(
        [riots["lon"].min(), riots["lat"].min(), riots["lon"].max(), riots["lat"].max()]
    )


def test_only_outside_incidents_are_framed_themselves(context, dataset, incidents):
    outside = incidents[incidents["outside_boundaries"]]
    rows = outside.index.to_numpy()
    lon, lat = float(outside["lon"].iloc[0]), float(outside["lat"].iloc[0])
    half = MIN_FRAME_DEGREES / 2  # one point keeps its surroundings in view
    assert frame_bounds(dataset, rows, narrowed=True) == pytest.approx(
        [lon - half, lat - half, lon + half, lat + half]
    )


def test_incidents_outside_the_map_are_named_and_one_click_away(context, incidents):
    outside = incidents[incidents["outside_boundaries"]]
    assert len(outside) == 1  # Belgrade
    header = str(view_update(context)[OUTSIDE])
    assert "including 1 outside the map" in header and "Belgrade, 6 Mar 2008" in header
    assert f"data-incident='{outside['id'].iloc[0]}'" in header  # a button that selects it
    march = view_update(context, window=[30, 60])[OUTSIDE]  # Belgrade is not in this window
    assert "outside the map" not in str(march)


def test_without_boundaries_the_frame_is_still_the_region_not_belgrade(tmp_path, dataset, incidents):
    from geodata.dataset import load_dataset

    bare = load_dataset(boundaries_dir=tmp_path)  # an empty folder: no layer
    assert bare.boundaries is None
    kosovo = home_bounds(dataset)  # the boundary layer's box
    belgrade = incidents[incidents["outside_boundaries"]]
    inside = incidents[~incidents["outside_boundaries"]]
    west, south, east, north = home_bounds(bare)
    # Every incident in Kosovo is framed, the one in Belgrade (200 km north) is not...
    assert [west, south, east, north] == pytest.approx(
        [inside["lon"].min(), inside["lat"].min(), inside["lon"].max(), inside["lat"].max()]
    )
    assert kosovo[0] <= west and east <= kosovo[2] and kosovo[1] <= south and north <= kosovo[3]
    assert north < float(belgrade["lat"].iloc[0])
    # ...as on first load and under a filter, while Belgrade alone is framed when chosen alone.
    bare_context = view_context(bare)
    assert view_update(bare_context)[FRAME] == [west, south, east, north]
    kinds = sorted(incidents["event_type"].unique())
    assert view_update(bare_context, event_types=kinds)[FRAME] == pytest.approx([west, south, east, north])
    rows = np.flatnonzero(
        bare.incidents["outside_boundaries"] & (bare.incidents["id"] == belgrade["id"].iloc[0])
    )
    lon, lat = float(belgrade["lon"].iloc[0]), float(belgrade["lat"].iloc[0])
    half = MIN_FRAME_DEGREES / 2
    assert frame_bounds(bare, rows, narrowed=True) == pytest.approx(
        [lon - half, lat - half, lon + half, lat + half]
    )


def test_a_custom_layer_that_cannot_be_used_is_named_in_the_header_with_its_reason(tmp_path):
    """The header's few words come from the error where it is raised (they were read out of its
    message, and a custom layer without polygons read 'see the notice below')."""
    from geodata.boundaries import REASON_UNUSABLE
    from geodata.dataset import load_dataset

    layer = tmp_path / "points.geojson"
    layer.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"shapeName": "X"},'
        ' "geometry": {"type": "Point", "coordinates": [20.9, 42.9]}}]}',
        encoding="utf-8",
    )
    dataset = load_dataset(boundaries_file=layer)
    assert dataset.boundaries is None and dataset.boundary_reason == REASON_UNUSABLE
    header = str(view_update(view_context(dataset))[OUTSIDE])
    assert f"Municipal boundaries not loaded: {REASON_UNUSABLE}." in header
    assert str(layer) not in header  # the path is in the notice under it, not on the header's line


def test_without_boundaries_the_header_says_they_are_not_loaded_and_why(tmp_path):
    from dashboard.details import details_panel, summary_counts
    from dashboard.layout import build_layout
    from dashboard.legend import view_summary
    from geodata.dataset import load_dataset

    bare = load_dataset(boundaries_dir=tmp_path)  # an empty folder: no layer
    bare_context = view_context(bare)
    update = view_update(bare_context)
    header = str(update[OUTSIDE])
    assert "Municipal boundaries not loaded" in header and "not found" in header
    # The frame leaves Belgrade out (trial: nothing said so): named as with a layer, one click away.
    belgrade = bare.incidents[bare.incidents["place_name"] == "Belgrade"]
    assert len(belgrade) == 1
    assert "including 1 outside the map" in header and "Belgrade, 6 Mar 2008" in header
    assert f"data-incident='{belgrade['id'].iloc[0]}'" in header
    assert header.count("outside-link") == 1  # every other incident is in the frame
    assert "outside the map" not in str(view_update(bare_context, window=[30, 60])[OUTSIDE])
    assert "25" in str(update[COUNT])  # the incidents still show
    page = str(build_layout(bare, "none", bare_context))
    assert "Municipal boundaries not loaded" in page and "including 1 outside the map" in page
    assert "Busiest municipalities" not in page  # no empty heading
    assert "North Kosovo" not in view_summary(bare.incidents, north=False)
    details = str(details_panel(bare.incidents.iloc[0], bare.reactions, None, None, layer=False))
    assert "outside the boundary layer" not in details and "boundaries not loaded" in details
    assert summary_counts(bare.incidents).municipalities == ()
    # Nothing to shade: the toggle is off limits, and a forged or restored shade=1 still answers
    # (it raised, and every later update of the page failed with it).
    toggle = re.search(r"Checklist\(options=\[\{'label': 'Shade municipalities[^]]*\]", page)
    assert toggle and "'disabled': True" in toggle.group(0)
    shaded = view_update(bare_context, shade=["yes"], event_types=["Riots"])
    assert "6" in str(shaded[COUNT])


def test_the_selected_incident_is_focused(context, incidents):
    chosen = incidents.iloc[4]
    focus = view_update(context, selected=chosen["id"])[FOCUS]
    assert focus == {"id": chosen["id"], "lonlat": [float(chosen["lon"]), float(chosen["lat"])]}
    assert view_update(context)[FOCUS] is None


def test_municipality_hover_counts_the_incidents_in_view(context, dataset, incidents):
    from dashboard.figures import municipality_shading

    names = dataset.boundaries.municipalities["name"].tolist()
    for window in ([0, len(context.days) - 1], [0, 20]):
        view = ViewFilter(start=context.days[window[0]].date(), end=context.days[window[1]].date())
        visible = apply_filter(incidents, view)
        for shade in (False, True):
            counts = municipality_shading(dataset, visible, shade)["customdata"]
            assert counts[names.index("Kamenica")] == int((visible["municipality"] == "Kamenica").sum())
            assert counts.sum() == visible["municipality"].notna().sum()
    assert municipality_shading(dataset, incidents, False)["customdata"][names.index("Kamenica")] == 2


def test_municipality_card_counts_in_view_and_offers_the_filter(context, dataset, incidents):
    from dashboard.municipality import in_view_count, municipality_card

    riots = ViewFilter(event_types=("Riots",))
    expected = int(
        ((incidents["municipality"] == "North Mitrovica") & (incidents["event_type"] == "Riots")).sum()
    )
    count = in_view_count(dataset, riots, "North Mitrovica")
    assert count == expected
    card = str(municipality_card(dataset, "North Mitrovica", riots, count))
    assert "Show only North Mitrovica" in card and f"{expected}" in card
    assert municipality_card(dataset, "Atlantis", riots, 0) == []
    # Prizren has no incident: its card offers no filter that would empty the view (trial).
    assert in_view_count(dataset, ViewFilter(), "Prizren") == 0
    show = municipality_card(dataset, "Prizren", ViewFilter(), 0)[-1]
    assert show.children == "Show only Prizren" and show.disabled
    assert not municipality_card(dataset, "North Mitrovica", riots, count)[-1].disabled


def test_municipality_card_says_what_show_only_will_list(dataset, incidents):
    """Region-level records that name a municipality are not located in it: the card gives both
    counts, and the second is what "Show only" then shows (the trial saw 2 on the card, 7 after)."""
    from dashboard.municipality import in_view_count, municipality_card, show_only_count

    view = ViewFilter()
    located = in_view_count(dataset, view, "Leposaviq")
    listed = show_only_count(dataset, "Leposaviq", {})
    assert listed == len(apply_filter(incidents, ViewFilter(municipalities=("Leposaviq",))))
    assert listed > located
    text = " ".join(str(municipality_card(dataset, "Leposaviq", view, located)).split())
    assert f"{located}" in text and f"{listed}" in text and "region-level" in text
    # Where the two agree, the card does not mention it.
    riots = ViewFilter(event_types=("Riots",))
    count = in_view_count(dataset, riots, "North Mitrovica")
    from geodata.filters import component_masks

    assert show_only_count(dataset, "North Mitrovica", component_masks(incidents, riots)) == count
    assert "region-level" not in str(municipality_card(dataset, "North Mitrovica", riots, count))


def test_incidents_on_one_spot_get_a_count_badge(dataset, incidents):
    from dashboard.figures import badges, co_located

    spots = co_located(incidents)
    # Every incident on a crowded spot is counted once, and the counts add up.
    keys = (
        (incidents["lat"] // 0.005).astype(int).astype(str)
        + ","
        + (incidents["lon"] // 0.005).astype(int).astype(str)
    )
    crowded = keys.value_counts()
    crowded = crowded[crowded > 1]
    assert sorted(spots["count"].tolist()) == sorted(crowded.tolist())
    assert max(spots["count"]) >= 6  # the courthouse and North Mitrovica
    assert badges(incidents)["count"] == spots["count"].tolist()
    single = incidents[incidents["id"] == "KOS-2008-05"]
    assert badges(single) == {"lon": [], "lat": [], "count": []}
    # The page draws them in HTML with the style spec's colours and sizes.
    from pathlib import Path

    from dashboard import style

    css = (Path(__file__).resolve().parents[1] / "assets" / "style.css").read_text()
    assert style.BADGE_FILL in css and f"height: {style.BADGE_SIZE}px" in css
    assert f"font: {style.BADGE_TEXT_SIZE}px" in css and f"color: {style.BADGE_TEXT}" in css


def test_names_collider_covers_every_marker_and_badge_of_the_dataset(incidents):
    from dashboard import style
    from dashboard.figures import COLLIDER_LIMIT, co_located, marker_sizes, name_collider

    collider = name_collider(incidents)
    squares = pd.DataFrame(collider).set_index(["lon", "lat"])["size"]
    assert squares.index.is_unique
    # Every incident's marker has a square at least its size where it is drawn...
    placed = list(zip(incidents["lon"].round(5), incidents["lat"].round(5), strict=True))
    for place, size in zip(placed, marker_sizes(incidents), strict=True):
        assert squares[place] >= size
    # ...and every incident that can carry a count badge, one at least the badge's size.
    spots = co_located(incidents)
    for lon, lat in zip(spots["lon"].round(5), spots["lat"].round(5), strict=True):
        assert squares[(lon, lat)] >= style.BADGE_SIZE
    lonely = incidents[incidents["id"] == "KOS-2008-05"]
    assert name_collider(lonely)["size"] == [float(marker_sizes(lonely)[0])]
    # A dataset too big for the detailed view has none (no badges, maybe no markers).
    many = pd.concat([incidents] * (COLLIDER_LIMIT // len(incidents) + 1))
    assert name_collider(many) == {"lon": [], "lat": [], "size": []}


def test_hover_names_event_type_place_and_date(dataset, incidents):
    from dashboard.figures import TRACE_INDEX, map_figure

    fig = map_figure(dataset, incidents)
    trace = fig.data[TRACE_INDEX["incidents"]]
    riots = drawn_layer(trace.marker.color, "Riots")
    text = trace.text[riots[0]]
    assert text.startswith("<b>Riots</b>") and trace.hovertemplate == "%{text}<extra></extra>"
    first = incidents[incidents["event_type"] == "Riots"].iloc[0]
    assert first["place_name"] in text and first["date_start"].strftime("%-d %b %Y") in text


def test_box_and_lasso_become_an_area(incidents):
    from dashboard.area import area_from_selection, area_mask

    box = area_from_selection({"range": {"map": [[20.8, 42.95], [20.95, 42.85]]}})
    assert box == [[20.8, 42.95], [20.95, 42.95], [20.95, 42.85], [20.8, 42.85]]
    inside = area_mask(incidents, box)
    expected = incidents["lon"].between(20.8, 20.95) & incidents["lat"].between(42.85, 42.95)
    assert inside.tolist() == expected.tolist() and 0 < inside.sum() < len(incidents)
    # A triangle over southern Mitrovica only: the town point, not the northern ones.
    lasso = area_from_selection({"lassoPoints": {"map": [[20.82, 42.86], [20.92, 42.86], [20.87, 42.89]]}})
    in_lasso = area_mask(incidents, lasso)
    assert len(lasso) == 3 and 0 < in_lasso.sum() < inside.sum() and not (in_lasso & ~inside).any()
    assert area_from_selection(None) is None and area_from_selection({"points": []}) is None
    assert area_from_selection({"lassoPoints": {"map": [[1, 1], [1, 1], [1, 1]]}}) is None
    assert area_from_selection({"range": {"map": [["x", 1], [2, 2]]}}) is None


def test_area_travels_in_the_url_and_bad_areas_are_refused(context):
    from dashboard.viewstate import ViewState, parse_query, to_query

    area = ((20.8, 42.95), (20.95, 42.95), (20.95, 42.85))
    query = to_query(ViewState(area=area), context.choices)
    state, notices = parse_query(query, context.choices)
    assert state.area == area and notices == []
    for bad in ("area=1,2;3", "area=abc", "area=1,2;1,2;1,2", "area=500,2;3,4;5,6"):
        state, notices = parse_query(bad, context.choices)
        assert state.area == () and len(notices) == 1 and "area" in notices[0]


def test_area_filters_the_view_counts_facets_and_url(context, incidents):
    from dashboard.area import area_mask

    box = [[20.8, 42.95], [20.95, 42.95], [20.95, 42.85], [20.8, 42.85]]
    outputs = view_outputs(
        context, [0, len(context.days) - 1], [], [], [], [], [], "", [], None, 0, None, box
    )
    inside = incidents[area_mask(incidents, box)]
    assert outputs[COUNT][0].children == str(len(inside))
    facets = {o["value"]: o["label"] for o in outputs[4]}  # event types counted inside the area
    for kind, n in inside["event_type"].value_counts().items():
        assert facets[kind].endswith(f"({n})")
    assert "area=20.8000%2C42.9500" in outputs[12]
    assert {row["id"] for row in outputs[8]} == set(inside["id"])


# --- The invariant, without a browser: every part of one view update shows the same set. ---


def _assigned(patch) -> dict:
    """(trace index, key, ...) -> value of a map Patch's assignments to trace data."""
    found = {}
    for op in patch.to_plotly_json()["operations"]:
        location = op["location"]
        if op["operation"] == "Assign" and location[0] == "data":
            found[tuple(location[1:])] = op["params"]["value"]
    return found


@st.composite
def _controls(draw, context):
    days = len(context.days)
    low = draw(st.integers(0, days - 1))
    high = draw(st.integers(low, days - 1))
    subset = lambda values: draw(st.lists(st.sampled_from(sorted(values)), unique=True, max_size=3))  # noqa: E731
    area = None
    if draw(st.booleans()):
        lon0, lat0 = draw(st.floats(20.0, 21.6)), draw(st.floats(41.9, 43.1))
        width, height = draw(st.floats(0.01, 0.8)), draw(st.floats(0.01, 0.6))
        area = [[lon0, lat0], [lon0 + width, lat0], [lon0 + width, lat0 + height], [lon0, lat0 + height]]
    return {
        "window": [low, high],
        "event_types": subset(EVENT_TYPES),
        "sides": subset(context.choices.sides),
        "municipalities": subset(context.municipality_values),
        "place_kinds": subset(PLACE_KINDS),
        "casualties": draw(st.sampled_from([[], ["yes"]])),
        "text": draw(st.sampled_from(["", "police", "bulldozer", "Mitrovica", "zzz"])),
        "shade": draw(st.sampled_from([[], ["yes"]])),
        "selected": draw(st.sampled_from([None, *sorted(context.choices.ids)])),
        "area": area,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_markers_count_facets_and_table_show_the_same_set(context, incidents, data):
    """After any combination of controls, the map's markers, the header count, the facet counts
    and the table describe one and the same set of incidents (the browser test checks the same
    after random event sequences, in the browser)."""
    c = data.draw(_controls(context))
    # The filter controls, in the order view_outputs and view_from_controls both take them.
    names = ("window", "event_types", "sides", "municipalities", "place_kinds", "casualties", "text")
    filters = [c[name] for name in names]
    outputs = view_outputs(context, *filters, c["shade"], c["selected"], 0, None, c["area"])
    view = view_from_controls(context.days, *filters)
    mask = filter_mask(incidents, view)
    if c["area"] is not None:
        mask &= area_mask(incidents, c["area"])
    expected = incidents[mask]
    ids = set(expected["id"])
    # Header.
    assert outputs[COUNT][0].children == f"{len(expected):,}"
    # Map: every visible incident is one marker in its event type's colour, hover text names it.
    assigned = _assigned(outputs[0])
    index = TRACE_INDEX["incidents"]
    colours = assigned[(index, "marker", "color")]
    texts = assigned[(index, "text")]
    drawn: set[str] = set()
    total = 0
    for kind in EVENT_TYPES:
        points = drawn_layer(colours, kind)
        total += len(points)
        drawn |= {texts[i].split("<br>")[1].split(" · ")[0] for i in points}
        assert all(texts[i].startswith(f"<b>{kind}</b>") for i in points)
    assert total == len(expected) and drawn == ids
    meta = [
        op["params"]["value"]
        for op in outputs[0].to_plotly_json()["operations"]
        if op["location"] == ["layout", "meta", "window"]
    ]
    assert meta == [sorted(c["window"])]  # the map says which window it drew
    # Facets: the event-type and place-kind counts add up to the count (single-valued facets).
    for position, facet, chosen in ((4, "event_type", c["event_types"]), (7, "place_kind", c["place_kinds"])):
        counts = {o["value"]: int(o["label"].rsplit("(", 1)[1].rstrip(")")) for o in outputs[position]}
        summed = sum(counts[v] for v in (chosen or counts))
        assert summed == len(expected), facet
    # Table: the first page of the same set, and enough pages for all of it.
    table_ids = {row["id"] for row in outputs[8]}
    assert table_ids <= ids and len(table_ids) == min(len(ids), 50)
    assert outputs[9] == max(1, -(-len(ids) // 50))
