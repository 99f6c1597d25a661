"""The fixes of issue 10 section 3, pinned against the article's own words.

Each test reads the article (../shared/seed) to show the phrase a record rests on, then checks
the record; figures are the article's, never computed here. The region rule's expectations
come from the boundary layer, not from a list written in the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.figures import municipality_shading
from geodata.filters import NORTH_KOSOVO_GROUP, ViewFilter, apply_filter, facet_counts
from geodata.join import join_boundaries
from geodata.records import read_reactions, read_records
from geodata.regions import read_region_definitions, region_members

ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "2008_unrest_in_kosovo.txt"


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE.is_file():
        pytest.skip(f"the source article is not at {ARTICLE}")
    return " ".join(ARTICLE.read_text(encoding="utf-8").split())


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return read_records().records.set_index("id")


@pytest.fixture(scope="module")
def reactions() -> pd.DataFrame:
    return read_reactions().set_index("id")


def test_arrests_record_has_the_hundred_stone_throwers(article, records):
    figure = int(re.search(r"pelted with stones by around (\d+) Serbs", article).group(1))
    arrests = records.loc["KOS-2008-13"]
    assert arrests["sub_event_type"] == "Arrests"
    assert arrests["participants"] == figure
    assert arrests["arrested"] == int(re.search(r"after arresting (\d+) of the protesters", article).group(1))
    assert "around 100" in arrests["notes"] and "Riots" in arrests["notes"]  # the split is argued


def test_railway_blockade_is_against_unmik_railways(article, records):
    assert "terminated their contracts with UNMIK railways" in article
    blockade = records.loc["KOS-2008-08"]
    assert blockade["actor2"] == "UNMIK Railways"
    assert blockade["sub_event_type"] != "Non-violent transfer of territory"
    assert "UNMIK/UN police" in blockade["sides"].split(";")
    assert "Non-violent transfer of territory" in blockade["notes"]  # the codebook reasoning is kept


def test_checkpoint_shooters_are_not_given_a_side(article, records):
    assert "apparently from a semi-automatic weapon fired from the ethnic Albanian village" in article
    fire = records.loc["KOS-2008-17"]
    assert "Kosovo Albanians" not in fire["sides"].split(";")
    assert fire["actor1"].startswith("Unidentified")
    assert "apparently" in fire["notes"]


def test_announcement_after_the_may_elections_is_a_range(article, records):
    assert "after the local elections in May" in article
    announcement = records.loc["KOS-2008-24"]
    assert announcement["date_precision"] == "range"
    assert announcement["date_start"].month == 5 and announcement["date_start"].day == 1
    assert announcement["date_end"] == records["date_end"].max()  # the end of the period, 28 June
    assert announcement["date_end"] == pd.Timestamp("2008-06-28") and "June 28, 2008" in article


def test_strpce_statement_is_an_announcement_by_the_mayor(article, records):
    assert "Stanko Jakovljević, Serb mayor of Štrpce" in article
    statement = records.loc["KOS-2008-22"]
    assert "Jakovljević" in statement["actor1"]
    assert statement["sub_event_type"] == "Other"  # nothing reports the police acting on it
    assert "statement of intent" in statement["notes"] and "reaction" in statement["notes"]


@pytest.mark.parametrize(
    ("reaction", "speaker"),
    [
        ("R-06", "Daniel Fried"),
        ("R-11", "Russia"),
        ("R-13", "Bulgarian Foreign Ministry"),
        ("R-14", "Ursula Plassnik"),
    ],
)
def test_reactions_the_article_ties_to_no_incident_link_to_none(reactions, reaction, speaker):
    row = reactions.loc[reaction]
    assert row["speaker"] == speaker
    assert row["incident_id"] == "" and row["notes"]


def test_reactions_tied_to_march_17_keep_their_link(article, reactions, records):
    assert "following the clashes in Mitrovica March 17" in article  # Rice
    assert "following the clashes on March 17" in article  # Ban Ki-moon
    for reaction in ("R-07", "R-12"):
        assert reactions.loc[reaction, "incident_id"] == "KOS-2008-14"
    assert records.loc["KOS-2008-14", "date_start"] == pd.Timestamp("2008-03-17")
    linked = reactions["incident_id"][reactions["incident_id"] != ""]
    assert set(linked) <= set(records.index)


# --- The region rule -----------------------------------------------------------------------------


def test_region_definitions_resolve_against_the_layer(dataset):
    layer = dataset.boundaries.municipalities
    members = region_members(dataset.boundaries)
    assert set(members) == set(read_region_definitions()["place"])
    assert set(members["north_kosovo"]) == set(layer.loc[layer["north_kosovo"], "name"])
    assert set(members["gjilan_region"]) == set(layer.loc[layer["district"] == "Gjilan", "name"])
    assert members["central_kosovo"] == ()
    assert set(members["northern_railway"]) <= set(layer["name"]) and members["northern_railway"]


def test_region_records_are_not_credited_to_their_markers_municipality(dataset, incidents):
    members = region_members(dataset.boundaries)
    regional = incidents[incidents["regional"]]
    assert set(regional["location_precision"]) == {"region"}
    assert (incidents.loc[~incidents["regional"], "location_precision"] != "region").all()
    # Each marker does stand in a municipality: a point join alone would have credited it there.
    markers = gpd.GeoDataFrame(geometry=gpd.points_from_xy(regional["lon"], regional["lat"]), crs=4326)
    inside = gpd.sjoin(markers, dataset.boundaries.municipalities[["name", "geometry"]], predicate="within")
    assert inside.index.nunique() == len(regional)
    for row in regional.itertuples():
        assert pd.isna(row.municipality)
        assert row.municipalities == ";".join(members[row.place])
    # Every other record's list is its own municipality.
    others = incidents[~incidents["regional"]]
    assert (others["municipalities"].astype(str) == others["municipality"].astype(object).fillna("")).all()


def _covers(frame: pd.DataFrame, name: str) -> set[str]:
    return {
        i
        for i, m in zip(frame["id"], frame["municipalities"].astype(str), strict=True)
        if name in m.split(";")
    }


def test_municipality_filter_matches_regions_covering_it(dataset, incidents):
    layer = dataset.boundaries.municipalities
    for name in layer["name"]:
        chosen = apply_filter(incidents, ViewFilter(municipalities=(name,)))
        assert set(chosen["id"]) == _covers(incidents, name)
    zubin = set(apply_filter(incidents, ViewFilter(municipalities=("Zubin Potok",)))["id"])
    north_regions = set(incidents.loc[incidents["place"] == "north_kosovo", "id"])
    assert north_regions and north_regions <= zubin
    central = set(incidents.loc[incidents["place"] == "central_kosovo", "id"])
    every = apply_filter(incidents, ViewFilter(municipalities=tuple(layer["name"])))
    assert central and not central & set(every["id"])  # a region with no extent matches no municipality
    north = apply_filter(incidents, ViewFilter(municipalities=(NORTH_KOSOVO_GROUP,)))
    northern = set(layer.loc[layer["north_kosovo"], "name"])
    expected = {
        i
        for i, m in zip(incidents["id"], incidents["municipalities"].astype(str), strict=True)
        if northern & set(m.split(";"))
    }
    assert set(north["id"]) == expected


def test_municipality_counts_count_a_region_in_each_covered_municipality(dataset, incidents):
    counts = facet_counts(incidents, ViewFilter(), "municipalities")
    for name in dataset.boundaries.municipalities["name"]:
        assert counts.get(name, 0) == len(_covers(incidents, name))


def test_shading_counts_region_records_nowhere(dataset, incidents):
    shading = municipality_shading(dataset, incidents, shade_by_count=True)
    z = dict(zip(dataset.boundaries.municipalities["name"], shading["customdata"], strict=True))
    located = incidents[~incidents["regional"]]
    for name, value in z.items():
        assert value == int((located["municipality"] == name).sum())
    # Not in the municipality its marker stands in either: the total is the located records only.
    assert sum(z.values()) == located["municipality"].notna().sum()
    assert incidents["regional"].any()


def test_imported_rows_follow_their_own_precision(dataset):
    rows = dataset.read.records.head(3).copy()
    rows["location_precision"] = pd.Categorical(["town", "region", "site"])
    rows["place"] = pd.Categorical(["not a region", "not a region either", "x"])
    joined = join_boundaries(rows, dataset.boundaries)
    assert list(joined["regional"]) == [False, True, False]
    assert pd.isna(joined["municipality"].iloc[1]) and joined["municipalities"].iloc[1] == ""
    assert joined["municipality"].iloc[[0, 2]].notna().all()


def test_data_geojson_shows_every_fix(capsys, boundaries_dir):
    assert main(["data", "--format", "geojson"]) == 0
    collection = json.loads(capsys.readouterr().out)
    features = {f["properties"]["id"]: f["properties"] for f in collection["features"]}
    assert (
        features["KOS-2008-13"]["participants"]
        == read_records().records.set_index("id").loc["KOS-2008-13", "participants"]
    )
    assert features["KOS-2008-08"]["actor2"] == "UNMIK Railways"
    assert "Kosovo Albanians" not in features["KOS-2008-17"]["sides"]
    assert features["KOS-2008-24"]["date_precision"] == "range"
    railway = features["KOS-2008-08"]
    assert railway["regional"] and railway["municipality"] is None and len(railway["municipalities"]) > 1
    assert features["KOS-2008-23"]["regional"] and features["KOS-2008-23"]["municipalities"] == []
    reactions = {r["id"]: r for r in collection["reactions"]}
    assert reactions["R-14"]["incident_id"] is None and reactions["R-07"]["incident_id"] == "KOS-2008-14"
    assert "R-07" in features["KOS-2008-14"]["reactions"]
    assert np.all([isinstance(f["properties"]["municipalities"], list) for f in collection["features"]])


def test_table_lists_the_municipalities_a_region_covers(dataset, incidents):
    from dashboard.view import TABLE_COLUMNS, table_rows
    from geodata.filters import take_rows
    from geodata.names import municipality_names

    rows = {r["id"]: r for r in table_rows(take_rows(incidents, np.arange(len(incidents)), TABLE_COLUMNS))}
    members = region_members(dataset.boundaries)
    for row in incidents[incidents["regional"]].itertuples():
        shown = rows[row.id]["municipality"]
        # In the table's language (English by default: Zvečan, Leposavić; issue 12).
        assert shown == (", ".join(municipality_names(members[row.place], "en")) or "—")
