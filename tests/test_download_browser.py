"""Download the view from the button beside the table: the file holds what the map and the count show,
with the names in the language on screen."""

from __future__ import annotations

import csv

import pytest

from dashboard.app import create_app
from tests.browser import (
    allow_downloads,
    count_in_view,
    downloaded,
    visible_marker_ids,
    wait_map_loaded,
    wait_until,
)
from tests.conftest import DOWNLOAD_DIR

pytestmark = pytest.mark.browser


def test_download_csv_of_the_view_matches_map_and_count(dash_duo, dataset):
    incidents = dataset.incidents
    riots = set(incidents[incidents["event_type"] == "Riots"]["id"])
    dash_duo.start_server(create_app(dataset))
    allow_downloads(dash_duo, DOWNLOAD_DIR, ".csv")
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(incidents)), timeout=20)
    dash_duo.find_element("#filter-event-type input[value='Riots']").click()
    wait_until(dash_duo, lambda: count_in_view(dash_duo) == len(riots))
    wait_map_loaded(dash_duo)
    wait_until(dash_duo, lambda: visible_marker_ids(dash_duo) == riots)
    # Names in Serbian on screen, so in the file too (the layer's own names stay in their columns).
    dash_duo.find_element("#lang-switch input[value='sr']").find_element("xpath", "..").click()
    table = dash_duo.find_element("#incident-table")
    wait_until(dash_duo, lambda: "Sud u Kosovskoj Mitrovici" in table.text)

    dash_duo.find_element("#download-csv").click()
    csv_file = downloaded(dash_duo, DOWNLOAD_DIR, ".csv")
    text = csv_file.read_text(encoding="utf-8")
    assert "Riots" in csv_file.name
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert "# filters: Event type: Riots" in comments
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    # The file, the map and the header count are one set.
    assert {row["id"] for row in rows} == visible_marker_ids(dash_duo) == riots
    assert len(rows) == count_in_view(dash_duo)
    by_place = {row["place"]: row for row in rows}
    assert by_place["mitrovica_courthouse"]["place_name"] == "Sud u Kosovskoj Mitrovici"
    assert by_place["jarinje"]["municipality"] == "Leposavić"
    assert by_place["jarinje"]["municipality_layer_name"] == "Leposaviq"
    assert "# names: Srpski (the boundary layer's in the *_layer_name* columns)" in comments
    assert dash_duo.find_element("#download-status").text == ""
