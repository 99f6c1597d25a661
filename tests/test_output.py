"""Output writers: formula neutralisation, the view's description in CSV comments and GeoJSON."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from dashboard.choices import choices_of
from dashboard.downloads import MAX_DOWNLOAD_ROWS, view_file
from geodata.dataset import load_dataset
from geodata.filters import ViewFilter, apply_filter
from geodata.output import neutralise_formulas, write_csv


def test_cells_that_start_like_a_formula_are_neutralised():
    table = pd.DataFrame(
        {
            "text": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tTab", "plain", None, "a=b"],
            "number": [-1.0, 2.0, -3.5, 0.0, 1.0, 2.0, None, 4.0],
        }
    )
    safe = neutralise_formulas(table)
    assert safe["text"].tolist()[:6] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "plain",
    ]
    assert pd.isna(safe["text"].iloc[6])
    assert safe["text"].iloc[7] == "a=b"  # only the first character counts
    assert safe["number"].tolist()[:3] == [-1.0, 2.0, -3.5]  # numbers stay numbers
    assert table["text"].iloc[0].startswith("=")  # the input is not changed


def test_a_hostile_record_downloads_harmless(tmp_path, boundaries_dir):
    records = tmp_path / "hostile.csv"
    records.write_text(
        "id,date_start,event_type,place,lat,lon,description,actor1\n"
        'H-1,2008-03-01,Riots,Mitrovica,42.89,20.87,"=cmd|\' /C calc\'!A0","@evil"\n',
        encoding="utf-8",
    )
    dataset = load_dataset(records)
    text, name = view_file(dataset, "", choices_of(dataset), "csv")
    assert name.endswith(".csv")
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert rows[0]["description"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["actor1"] == "'@evil"


def test_downloaded_view_holds_exactly_the_filtered_rows(dataset):
    choices = choices_of(dataset)
    query = "type=Riots&start=2008-03-01"
    expected = apply_filter(
        dataset.incidents, ViewFilter(event_types=("Riots",), start=pd.Timestamp("2008-03-01").date())
    )
    assert 0 < len(expected) < len(dataset.incidents)

    text, _ = view_file(dataset, query, choices, "csv")
    comments = [line for line in text.splitlines() if line.startswith("# ")]
    assert f"# incidents: {len(expected)}" in comments
    assert any("Event type: Riots" in line for line in comments)
    assert any(line.startswith("# boundaries: ") for line in comments)
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert [r["id"] for r in rows] == expected["id"].tolist()

    text, name = view_file(dataset, query, choices, "geojson")
    collection = json.loads(text)
    assert name.endswith(".geojson")
    assert [f["properties"]["id"] for f in collection["features"]] == expected["id"].tolist()
    assert collection["properties"]["incidents"] == str(len(expected))
    assert "Riots" in collection["properties"]["filters"]


def test_a_download_past_the_row_limit_is_refused_with_a_reason(dataset, monkeypatch):
    monkeypatch.setattr("dashboard.downloads.MAX_DOWNLOAD_ROWS", 3)
    try:
        view_file(dataset, "", choices_of(dataset), "csv")
    except ValueError as error:
        assert f"{len(dataset.incidents):,} incidents are in view" in str(error)
        assert "at most 3" in str(error)
    else:
        raise AssertionError("a view over the limit was written")
    assert MAX_DOWNLOAD_ROWS >= 100_000


def test_csv_comments_are_one_line_each(incidents):
    out = io.StringIO()
    write_csv(incidents.head(2), out, comments=["filters: a\nb"])
    lines = out.getvalue().splitlines()
    assert lines[0] == "# filters: a b"
    assert lines[1].startswith("id,")


def test_a_download_names_places_and_municipalities_in_the_views_language(dataset):
    """The file reads as the screen does (lang=sr); the layer's names stay beside them for joins."""
    query = "type=Riots&lang=sr"
    text, _ = view_file(dataset, query, choices_of(dataset), "csv")
    assert "# names: Srpski (the boundary layer's in the *_layer_name* columns)" in text.splitlines()
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    jarinje = next(r for r in rows if r["place"] == "jarinje")
    assert (jarinje["municipality"], jarinje["municipality_layer_name"]) == ("Leposavić", "Leposaviq")
    courthouse = next(r for r in rows if r["place"] == "mitrovica_courthouse")
    assert courthouse["place_name"] == "Sud u Kosovskoj Mitrovici"
    assert courthouse["municipalities"] == "Severna Mitrovica"
    assert courthouse["municipalities_layer_names"] == "North Mitrovica"

    collection = json.loads(view_file(dataset, query, choices_of(dataset), "geojson")[0])
    by_place = {f["properties"]["place"]: f["properties"] for f in collection["features"]}
    assert by_place["jarinje"]["municipality"] == "Leposavić"
    assert by_place["jarinje"]["municipality_layer_name"] == "Leposaviq"
    assert by_place["mutivoda"]["municipalities"] == ["Podujevo"]
    assert by_place["mutivoda"]["municipalities_layer_names"] == ["Podujeva"]
    assert collection["properties"]["names"].startswith("Srpski")


def test_every_municipality_name_written_is_the_screens_and_lists_keep_their_order(dataset):
    """Shqip: each row's names are display_name of its layer names, region lists item by item."""
    from geodata.names import display_name, place_names

    frame = dataset.incidents
    out = io.StringIO()
    write_csv(frame, out, lang="sq")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(frame)
    regional = 0
    for row, expected_place in zip(rows, place_names(frame, "sq"), strict=True):
        assert row["place_name"] == expected_place
        layer = [n for n in row["municipalities_layer_names"].split(";") if n]
        assert row["municipalities"].split(";") == [display_name(n, "sq") for n in layer] or not layer
        if row["municipality_layer_name"]:
            assert row["municipality"] == display_name(row["municipality_layer_name"], "sq")
        regional += len(layer) > 1
    assert regional > 0  # the region records' lists were checked too
    assert any(r["municipality"] != r["municipality_layer_name"] for r in rows)  # names really changed
