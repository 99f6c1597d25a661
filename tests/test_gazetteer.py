"""Geocoding: every spelling resolves, unknown names are errors with suggestions."""

from __future__ import annotations

import pytest

from geodata.gazetteer import UnknownPlaceError, load_gazetteer, normalise_name

ALTERNATE_SPELLINGS = {
    "Mitrovicë": "mitrovica",
    "Kosovska Mitrovica": "mitrovica",
    "mitrovica": "mitrovica",
    "Severna Mitrovica": "mitrovica_north",
    "North Kosovska Mitrovica": "mitrovica_north",
    "Koshutevë": "koshuteve",
    "Koshutovë": "koshuteve",
    "Košutovo": "koshuteve",
    "Kosutovo": "koshuteve",
    "Koshtovë": "koshuteve",
    "Gate 1": "jarinje",
    "Jarinjë": "jarinje",
    "Gate 31": "brnjak",
    "Bërnjak": "brnjak",
    "Mutivode": "mutivoda",
    "Štrpce": "strpce",
    "Shtërpcë": "strpce",
    "Strpce": "strpce",
    "Zvečan": "zvecan",
    "Zveçan": "zvecan",
    "Leposaviq": "leposavic",
    "Gnjilane": "gjilan",
    "Prishtinë": "pristina",
    "Priština": "pristina",
    "Beograd": "belgrade",
    "Berivojcë": "borivojce",
    "Podujevë": "podujeve",
    "Kamenicë": "kamenica",
}


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.mark.parametrize(("spelling", "key"), sorted(ALTERNATE_SPELLINGS.items()))
def test_spellings_resolve(gazetteer, spelling, key):
    assert gazetteer.resolve(spelling) == key
    assert gazetteer.resolve(spelling.upper()) == key


def test_every_gazetteer_name_resolves_to_its_own_place(gazetteer):
    for key, row in gazetteer.places.iterrows():
        for column in ("name_en", "name_sq", "name_sr"):
            assert gazetteer.resolve(row[column]) == key


def test_unknown_place_names_suggestions(gazetteer):
    with pytest.raises(UnknownPlaceError) as error:
        gazetteer.resolve("Mitrovca")
    assert "Mitrovica" in error.value.suggestions
    assert "Mitrovca" in str(error.value)


def test_normalise_name_folds_diacritics():
    assert normalise_name("Đakovica") == "djakovica"
    assert normalise_name("  Fushë   Kosovë ") == "fushe kosove"


def test_gazetteer_rejects_bad_rows(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        "key,kind,name_en,name_sq,name_sr,lat,lon,aliases,note\n"
        "a,city,A,A,A,142.0,20.0,,\n"
        "b,castle,B,B,B,42.0,20.0,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"g.csv:2: lat/lon: out of range") as error:
        load_gazetteer(path)
    assert "g.csv:3: kind: 'castle'" in str(error.value)
