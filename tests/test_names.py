"""Names in the reader's language: every municipality and place in English, Albanian and Serbian."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geodata.boundaries import load_kosovo_boundaries
from geodata.gazetteer import load_gazetteer
from geodata.names import (
    LANGUAGES,
    UnknownLanguageError,
    display_name,
    municipality_list_names,
    municipality_names,
    place_names,
    read_municipality_names,
)

#: Letters of one language's alphabet that the other never writes: a name with them is in the wrong scheme.
SERBIAN_ONLY = re.compile("[čćšžđČĆŠŽĐ]")
ALBANIAN_ONLY = re.compile("[ëçËÇ]")


def test_every_municipality_of_the_layer_has_three_names(boundaries_dir):
    layer = load_kosovo_boundaries(boundaries_dir).municipalities
    assert len(layer) == 38
    for lang in LANGUAGES:
        names = municipality_names(layer["name"], lang)
        assert all(name.strip() for name in names), lang
        assert len(set(names)) == 38, f"{lang}: two municipalities share a name"
    # The table covers exactly the layer: no name falls through to the layer's own spelling unseen.
    assert set(read_municipality_names().index) == set(layer["name"])


def test_one_scheme_per_language():
    table = read_municipality_names()
    assert not [n for n in table["sq"] if SERBIAN_ONLY.search(n)]
    assert not [n for n in table["sr"] if ALBANIAN_ONLY.search(n)]
    places = load_gazetteer().places
    assert not [n for n in places["name_sq"] if SERBIAN_ONLY.search(n)]
    assert not [n for n in places["name_sr"] if ALBANIAN_ONLY.search(n)]
    # The examples of issue 12: Albanian on the map, English elsewhere, both in the dropdown.
    assert [display_name(n, "en") for n in ("Leposaviq", "Zveçan", "Pristina")] == [
        "Leposavić",
        "Zvečan",
        "Pristina",
    ]
    assert [display_name(n, "sq") for n in ("Leposaviq", "North Mitrovica", "Pristina")] == [
        "Leposaviq",
        "Mitrovicë e Veriut",
        "Prishtinë",
    ]
    assert [display_name(n, "sr") for n in ("Leposaviq", "North Mitrovica", "Drenas")] == [
        "Leposavić",
        "Severna Mitrovica",
        "Glogovac",
    ]


def test_every_gazetteer_place_has_three_names():
    places = load_gazetteer().places
    for key in places.index:
        names = [display_name(key, lang, kind="place") for lang in LANGUAGES]
        assert all(n.strip() for n in names), key
    assert display_name("belgrade", "sr", kind="place") == "Beograd"
    assert display_name("zvecan", "sq", kind="place") == "Zveçan"


def test_unknown_keys_stay_and_unknown_languages_are_refused():
    assert display_name("Some custom district", "sr") == "Some custom district"
    assert display_name("North Kosovo", "sq") == "Kosova e Veriut"
    with pytest.raises(UnknownLanguageError, match=r"'de'.*en, sq, sr"):
        display_name("Zveçan", "de")


def test_vectorised_columns_match_the_single_function():
    frame = pd.DataFrame(
        {
            "place_name": ["Zvečan", "Somewhere imported"],
            "place_name_sq": ["Zveçan", ""],
            "place_name_sr": ["Zvečan", None],
        }
    )
    assert place_names(frame, "sq").tolist() == ["Zveçan", "Somewhere imported"]
    assert place_names(frame, "sr").tolist() == ["Zvečan", "Somewhere imported"]
    cells = pd.Series(["Zveçan;North Mitrovica", None, "Zveçan;North Mitrovica", ""])
    assert municipality_list_names(cells, "sr").tolist()[:3] == [
        "Zvečan, Severna Mitrovica",
        None,
        "Zvečan, Severna Mitrovica",
    ]


def test_a_bad_name_table_names_file_row_and_field(tmp_path):
    path = tmp_path / "names.csv"
    rows = "# a note\nname,en,sq,sr,label_lon,label_lat\nA,A,,A,,\nB,B,B,B,999,42\n"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        read_municipality_names(path)
    assert f"{path}:3: sq: empty" in str(error.value)
    assert f"{path}:4: label_lon: '999' is not a number in range" in str(error.value)
