"""The gazetteer against GeoNames: coordinates, alternate names, the fixes of issue 10."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point

from geodata import geonames
from geodata.boundaries import load_kosovo_boundaries
from geodata.gazetteer import load_gazetteer, normalise_name

GEOD = Geod(ellps="WGS84")


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="module")
def features(geonames_frame):
    return geonames_frame.set_index("geonameid")


@pytest.fixture(scope="module")
def boundaries(boundaries_dir):
    return load_kosovo_boundaries()


def linked(gazetteer) -> pd.DataFrame:
    places = gazetteer.places
    return places[places["geonames_id"] != ""]


def test_the_dump_parses_into_nineteen_typed_columns(geonames_frame):
    assert geonames_frame.shape == (5699, 19)
    assert list(geonames_frame.columns) == list(geonames.COLUMNS)
    assert geonames_frame["geonameid"].dtype == "int64" and geonames_frame["latitude"].dtype == "float64"
    assert geonames_frame["geonameid"].is_unique
    berivojce = geonames_frame.set_index("geonameid").loc[792663]
    assert (berivojce["name"], berivojce["latitude"], berivojce["longitude"]) == (
        "Berivojce",
        42.56722,
        21.58639,
    )
    assert (berivojce["feature_class"], berivojce["feature_code"]) == ("P", "PPL")
    assert "Berivojcë" in geonames.names_of(berivojce) and "Беривојце" in geonames.names_of(berivojce)
    assert (geonames_frame["feature_class"] == "P").sum() == 2503  # the README's "about 2,500" settlements


def test_a_file_with_a_broken_row_is_refused_with_its_name(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_text("1\tA\tA\t\t42.0\t21.0\tP\tPPL\n", encoding="utf-8")  # 8 of 19 columns
    with pytest.raises(geonames.GeoNamesDataError, match=r"broken\.txt: not a GeoNames dump"):
        geonames.read_geonames(path)


def test_villages_and_towns_take_their_coordinates_from_geonames(gazetteer, features):
    places = linked(gazetteer)
    assert len(places) >= 11
    for key, place in places.iterrows():
        feature = features.loc[int(place["geonames_id"])]
        assert feature["feature_class"] == geonames.SETTLEMENT_CLASS, key
        assert km(place["lat"], place["lon"], feature["latitude"], feature["longitude"]) < 1.0, key


def test_a_settlement_without_geonames_says_why(gazetteer):
    places = gazetteer.places
    settlements = places[places["kind"].isin(["city", "town", "village"]) & (places["geonames_id"] == "")]
    assert set(settlements.index) == {"mitrovica_north", "belgrade"}
    for key, place in settlements.iterrows():
        assert "GeoNames" in place["note"], key


def test_every_geonames_name_of_a_place_resolves_to_it(gazetteer, features):
    checked = 0
    for key, place in linked(gazetteer).iterrows():
        for name in geonames.names_of(features.loc[int(place["geonames_id"])]):
            assert gazetteer.resolve(name) == key, (name, key)
            checked += 1
    assert checked > 80


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("Berivojcë", "borivojce"),
        ("Беривојце", "borivojce"),
        ("BERIVOJCE", "borivojce"),
        ("Кошутово", "koshuteve"),
        ("Koshutovë", "koshuteve"),
        ("Podujevë", "podujeve"),
        ("Besianë", "podujeve"),
        ("Подујево", "podujeve"),  # not in GeoNames' list: Cyrillic folds to the Serbian Latin spelling
        ("Приштина", "pristina"),
        ("Лепосавић", "leposavic"),
    ],
)
def test_albanian_serbian_and_cyrillic_spellings(gazetteer, spelling, key):
    assert gazetteer.resolve(spelling) == key


def test_boriviq_is_not_a_name_of_berivojce(gazetteer):
    assert "Boriviq" not in gazetteer
    place = gazetteer.places.loc["borivojce"]
    assert (place["name_sq"], place["geonames_id"]) == ("Berivojcë", "792663")
    assert km(place["lat"], place["lon"], 42.56722, 21.58639) < 0.05


def test_cyrillic_and_eth_fold_like_serbian_latin():
    assert (
        normalise_name("Ђурђевик") == normalise_name("Đurđevik") == normalise_name("Ðurđevik") == "djurdjevik"
    )
    assert normalise_name("Шtrpce") == normalise_name("Štrpce") == "strpce"  # mixed scripts too


def test_crossings_stand_on_the_boundary_line(gazetteer, boundaries):
    line = gpd.GeoSeries([boundaries.country.geometry.iloc[0].boundary], crs=4326).to_crs(32634).iloc[0]
    for key in ("jarinje", "brnjak", "mutivoda"):
        place = gazetteer.places.loc[key]
        point = gpd.GeoSeries([Point(place["lon"], place["lat"])], crs=4326).to_crs(32634).iloc[0]
        assert point.distance(line) < 300, key


def test_brnjak_moved_east_onto_the_crossing(gazetteer):
    place = gazetteer.places.loc["brnjak"]
    assert 3.5 < km(place["lat"], place["lon"], 42.9554, 20.4993) < 4.5  # the old point, ~4 km west
    assert place["lon"] > 20.54


def test_mutivoda_is_placed_from_the_wire_report_and_says_it_is_approximate(gazetteer):
    place = gazetteer.places.loc["mutivoda"]
    assert place["location_precision"] == "town"  # approximate: not a site
    pristina = gazetteer.places.loc["pristina"]
    distance = km(pristina["lat"], pristina["lon"], place["lat"], place["lon"])
    bearing = GEOD.inv(pristina["lon"], pristina["lat"], place["lon"], place["lat"])[0]
    assert 28 < distance <= 36 and 30 < bearing < 60  # "35 km north-east of Pristina"
    assert "Approximate" in place["note"] and "35 km north-east" in place["note"]


def test_precision_defaults_from_the_kind(gazetteer):
    places = gazetteer.places
    assert places.loc["jarinje", "location_precision"] == "site"
    assert places.loc["north_kosovo", "location_precision"] == "region"
    assert places.loc["kamenica", "location_precision"] == "town"


def test_municipalities_come_from_the_boundary_layer_not_geonames_admin_codes(incidents):
    # GeoNames' admin1 for Košutovo 789194 is 12 (pre-2013 Leposavić); the join must agree by geometry.
    koshuteve = incidents[incidents["place"] == "koshuteve"].iloc[0]
    assert koshuteve["municipality"] == "Leposaviq" and koshuteve["north_kosovo"]
    assert km(koshuteve["lat"], koshuteve["lon"], 43.00861, 20.84361) < 1.0
    borivojce = incidents[incidents["place"] == "borivojce"]
    assert set(borivojce["municipality"]) == {"Kamenica"}


def test_the_builtin_dataset_credits_geonames(dataset):
    assert "GeoNames (geonames.org), CC BY 4.0" in dataset.source_attribution
