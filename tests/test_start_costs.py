"""What the server computes at start, made cheap at five million rows, gives the same answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.details import place_counts, value_counts
from geodata.dataset import load_dataset
from geodata.filters import take_rows
from geodata.names import LANGUAGES, place_names


@pytest.fixture(scope="module")
def places():
    """Place names as an import has them (Arrow text): ties, unknown and blank names in a language."""
    rng = np.random.default_rng(4)
    n = 3_000
    english = rng.choice(["Peja", "Gjilan", "Zveçan", "Mitrovica", None], n)
    albanian = rng.choice(["Pejë", "", "  ", "Gjilan", None, "\tZveçan"], n)
    serbian = rng.choice(["Peć", "Gnjilane", "", None], n)
    return pd.DataFrame(
        {
            "place_name": pd.Series(english, dtype="str"),
            "place_name_sq": pd.Series(albanian, dtype="str"),
            "place_name_sr": pd.Series(serbian, dtype="string[pyarrow]"),
        }
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_place_counts_equal_counting_the_names(places, lang):
    expected = value_counts(place_names(places, lang))
    got = place_counts(places, lang)
    assert list(got.items()) == list(expected.items())  # counts, names and the order of ties


@pytest.mark.parametrize("lang", LANGUAGES)
def test_place_counts_of_the_builtin_data(boundaries_dir, lang):
    incidents = load_dataset().incidents
    assert list(place_counts(incidents, lang).items()) == list(
        value_counts(place_names(incidents, lang)).items()
    )


def test_taking_every_row_gives_the_columns_as_they_are(places):
    every = np.arange(len(places))
    taken = take_rows(places, every, ["place_name", "place_name_sr", "no-such-column"])
    pd.testing.assert_frame_equal(taken, places[["place_name", "place_name_sr"]])
    backwards = take_rows(places, every[::-1].copy(), ["place_name"])  # as many rows, another order
    assert backwards["place_name"].tolist() == places["place_name"].tolist()[::-1]
    assert backwards.index.tolist() == every[::-1].tolist()
    some = take_rows(places, every[1:], ["place_name"])
    assert some["place_name"].tolist() == places["place_name"].tolist()[1:]
    assert take_rows(places.iloc[:0], every[:0], ["place_name"]).empty


def test_opening_view_is_the_unfiltered_view_but_the_figures(boundaries_dir):
    """The page is built from the opening view: the same values a view update with no filter sends,
    but for the map's and the timeline's patches (the page draws whole figures) and the legend's."""
    from plotly.io.json import to_json_plotly

    from dashboard.view import VIEW_OUTPUTS, opening_view, view_context, view_outputs

    context = view_context(load_dataset())
    opening = opening_view(context)
    update = view_outputs(context, [0, len(context.days) - 1], [], [], [], [], [], "", [], None)
    assert len(update) > len(VIEW_OUTPUTS) and set(opening) == set(VIEW_OUTPUTS)
    for key, value in zip(VIEW_OUTPUTS, update, strict=False):
        if key in (("map", "figure"), ("timeline", "figure")):
            assert opening[key] is None and value is not None
        else:
            assert to_json_plotly(opening[key]) == to_json_plotly(value), key
