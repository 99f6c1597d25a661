"""Boundaries and the spatial join, on the real geoBoundaries files."""

from __future__ import annotations

import pickle
import shutil

import pandas as pd
import pytest

from geodata.boundaries import (
    ENV_VAR,
    REGISTRY,
    BoundaryDataError,
    boundary_file,
    load_kosovo_boundaries,
)
from geodata.join import join_boundaries

# Where each place lands, checked against the ADM2 polygons by hand.
EXPECTED_MUNICIPALITY = {
    "mitrovica": ("Mitrovica", "Mitrovica", False),
    "mitrovica_north": ("North Mitrovica", "Mitrovica", True),
    "mitrovica_courthouse": ("North Mitrovica", "Mitrovica", True),
    "jarinje": ("Leposaviq", "Mitrovica", True),
    "brnjak": ("Zubin Potok", "Mitrovica", True),
    "mutivoda": ("Podujeva", "Prishtina", False),
    "koshuteve": ("Leposaviq", "Mitrovica", True),  # GeoNames 789194, north of Mitrovica (see gazetteer)
    "borivojce": ("Kamenica", "Gjilan", False),
    "strpce": ("Shtërpcë", "Ferizaj", False),
    "pristina": ("Pristina", "Prishtina", False),
}


def test_boundaries_have_the_release_contents(boundaries_dir):
    boundaries = load_kosovo_boundaries(boundaries_dir)
    assert len(boundaries.municipalities) == 38
    assert len(boundaries.districts) == 7
    north = boundaries.municipalities[boundaries.municipalities["north_kosovo"]]
    assert sorted(north["name"]) == ["Leposaviq", "North Mitrovica", "Zubin Potok", "Zveçan"]
    names = boundaries.municipalities.set_index("name")["display_name"]
    assert names["Zveçan"] == "Zveçan / Zvečan"
    assert names["Zubin Potok"] == "Zubin Potok"
    assert not boundaries.municipalities["name"].str.startswith("Municipality of").any()
    assert boundaries.municipalities["district"].notna().all()
    assert "OpenStreetMap" in boundaries.attribution and "CC BY-SA 2.0" in boundaries.attribution


@pytest.mark.parametrize(("place", "expected"), sorted(EXPECTED_MUNICIPALITY.items()))
def test_each_place_lands_in_its_municipality(incidents, place, expected):
    rows = incidents[incidents["place"] == place]
    assert len(rows), place
    for row in rows.itertuples():
        assert (row.municipality, row.district, row.north_kosovo) == expected


def test_crossings_snap_and_belgrade_stays_outside(incidents):
    by_place = incidents.drop_duplicates("place").set_index("place")
    for crossing in ("jarinje", "brnjak", "mutivoda"):
        assert pd.notna(by_place.loc[crossing, "municipality"])
        assert 0 <= by_place.loc[crossing, "snap_distance_m"] <= 2000
    # Brnjak's point is tens of metres outside the simplified municipal polygon.
    assert by_place.loc["brnjak", "snapped"] and by_place.loc["brnjak", "snap_distance_m"] > 0
    belgrade = by_place.loc["belgrade"]
    assert belgrade["outside_boundaries"] and pd.isna(belgrade["municipality"]) and not belgrade["snapped"]
    assert not by_place.loc["mitrovica", "snapped"]


def test_snapping_rule_uses_the_tolerance(dataset):
    # Brnjak's gazetteer point lies tens of metres outside the simplified line.
    brnjak = dataset.read.records[dataset.read.records["place"] == "brnjak"].head(1)
    assert join_boundaries(brnjak, dataset.boundaries, snap_tolerance_m=2000)["snapped"].item()
    strict = join_boundaries(brnjak, dataset.boundaries, snap_tolerance_m=1)
    assert strict["outside_boundaries"].item() and not strict["snapped"].item()
    with pytest.raises(ValueError):
        join_boundaries(brnjak, dataset.boundaries, snap_tolerance_m=-1)


def test_nothing_is_dropped(dataset):
    assert len(dataset.incidents) == dataset.read.rows_accepted


def test_corrupt_local_file_is_reported(tmp_path, boundaries_dir, monkeypatch):
    for file_name, _ in REGISTRY.values():
        shutil.copy(boundaries_dir / file_name, tmp_path / file_name)
    adm2 = tmp_path / REGISTRY["ADM2"][0]
    adm2.write_bytes(adm2.read_bytes()[:1000])  # a partial download
    with pytest.raises(BoundaryDataError, match="does not match the pinned") as damaged:
        boundary_file("ADM2", tmp_path)
    assert damaged.value.reason == "a file is damaged or another release"  # the header's few words
    missing = tmp_path / "empty"
    missing.mkdir()
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(BoundaryDataError, match="not found") as not_found:
        boundary_file("ADM0")
    assert not_found.value.reason == "files not found in the boundaries folder"
    copy = pickle.loads(pickle.dumps(not_found.value))
    assert (str(copy), copy.reason) == (str(not_found.value), not_found.value.reason)


def test_dataset_without_boundaries_still_loads(tmp_path):
    from geodata.dataset import load_dataset

    dataset = load_dataset(boundaries_dir=tmp_path)
    assert len(dataset.incidents) == 25
    assert "Boundary layer missing" in dataset.boundary_notice
    assert dataset.incidents["outside_boundaries"].all()
