"""Upload a spreadsheet of place names, resolve its ambiguous row by picking a candidate, see the
markers, and download the view: the whole way through the running dashboard."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.app import create_app
from dashboard.datasets import load_uploaded
from geodata.cache import CACHE_ENV_VAR
from tests.browser import (
    allow_downloads,
    app_errors,
    count_in_view,
    downloaded,
    visible_marker_ids,
    wait_map_loaded,
    wait_until,
)
from tests.conftest import DOWNLOAD_DIR

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "data" / "upload_places.csv"


def shown_data(dash_duo) -> str:
    return parse_qs(urlsplit(dash_duo.driver.current_url).query).get("data", [""])[0]


def test_upload_resolve_and_download(dash_duo, dataset, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))
    dash_duo.start_server(create_app(dataset))
    allow_downloads(dash_duo, DOWNLOAD_DIR, ".csv")
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(dataset.incidents)), timeout=20)

    # The file input is in the page but hidden behind its label: send it the file's path.
    dash_duo.find_element("#upload-file").send_keys(str(FIXTURE))
    wait_until(dash_duo, lambda: len(shown_data(dash_duo)) == 64, timeout=30, message="no ?data=<hash>")
    first = shown_data(dash_duo)
    # The report opens by itself (rows were reported) and names the ambiguous row's candidates.
    dash_duo.wait_for_text_to_equal("#upload-placed", "2", timeout=20)
    report = dash_duo.find_element("#upload-report").text
    assert "upload_places.csv, row 2, place: “Banjska” is one of:" in report
    assert "“<img src=x onerror=alert(1)>” not found" in report  # the cell's text, not an element
    assert not dash_duo.driver.find_elements("css selector", "#upload-report img")
    assert "upload_places.csv, row 6, date:" in report
    assert count_in_view(dash_duo) == 2
    assert "hidden" in dash_duo.find_element("#url-notice").get_attribute("class")  # 'data' is no stray

    # Zvečan (the layer's Zveçan): a municipality whose name is not ASCII (its button once did
    # nothing), named as the page names it.
    zvecan = wait_until(
        dash_duo,
        lambda: [b for b in dash_duo.find_elements(".upload-candidate") if "Zvečan" in b.text],
    )
    zvecan[0].click()
    wait_until(dash_duo, lambda: shown_data(dash_duo) not in ("", first), timeout=30, message="not resolved")
    dash_duo.wait_for_text_to_equal("#upload-placed", "3", timeout=20)
    assert not dash_duo.find_elements(".upload-candidate")  # nothing left to pick

    resolved = load_uploaded(shown_data(dash_duo)).dataset.incidents
    wait_until(dash_duo, lambda: count_in_view(dash_duo) == len(resolved) == 3)
    wait_map_loaded(dash_duo)
    wait_until(dash_duo, lambda: visible_marker_ids(dash_duo) == set(resolved["id"]))

    dash_duo.find_element("#download-csv").click()
    text = downloaded(dash_duo, DOWNLOAD_DIR, ".csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert {row["id"] for row in rows} == set(resolved["id"])
    banjska = [row for row in rows if row["place_name"] == "Banjska"]
    # The page is in English, so is the file; the boundary layer's name stays beside it (the join key).
    assert len(banjska) == 1 and banjska[0]["municipality"] == "Zvečan"
    assert banjska[0]["municipality_layer_name"] == "Zveçan"
    assert app_errors(dash_duo) == []
