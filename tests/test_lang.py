"""The language switch without a browser: the view, the map, the URL and the exports name places in
the reader's language, through geodata.names."""

from __future__ import annotations

import json
import subprocess
import sys
from xml.etree import ElementTree

import pytest
from plotly.io.json import to_json_plotly

from dashboard import figures
from dashboard.details import details_panel
from dashboard.export import ExportOptions, ImageRenderer, caption_lines, draw, export_figure
from dashboard.municipality import municipality_card
from dashboard.view import folded, municipality_choices, view_context, view_outputs
from dashboard.viewstate import ViewState, parse_query, to_query
from geodata.filters import ViewFilter
from tests.test_export import _names_with_room

#: Positions in view_outputs' tuple (the update callback's output order).
MAP, MUNICIPALITY_OPTIONS, TABLE, DETAILS, QUERY, OUTSIDE = 0, 6, 8, 11, 12, 16


@pytest.fixture(scope="module")
def context(dataset):
    return view_context(dataset)


def outputs(context, lang, selected=None, lang_changed=True, sort_by=None):
    return view_outputs(
        context, None, [], [], [], [], [], "", [], selected, 0, sort_by, None, lang, lang_changed=lang_changed
    )


def text_of(value) -> str:
    """Components or a patch as JSON text, non-ASCII letters as themselves."""
    return json.dumps(json.loads(to_json_plotly(value)), ensure_ascii=False)


LABELS_SOURCE = ["layout", "map", "layers", figures.LABEL_LAYER, "source"]


def label_text(patch) -> list[str]:
    data = patch.to_plotly_json()["operations"]
    source = next(op["params"]["value"] for op in data if op["location"] == LABELS_SOURCE)
    return [feature["properties"]["label"] for feature in source["features"]]


def test_map_label_layer_text_changes_with_the_language(dataset):
    def labels(lang: str) -> list[str]:
        fig = figures.map_figure(dataset, dataset.incidents.iloc[:0], lang=lang)
        return [
            f["properties"]["label"] for f in fig.layout.map.layers[figures.LABEL_LAYER].source["features"]
        ]

    texts = {lang: labels(lang) for lang in ("en", "sq", "sr")}
    assert "North Mitrovica" in texts["en"] and "Pristina" in texts["en"] and "Zvečan" in texts["en"]
    assert "Mitrovicë e Veriut" in texts["sq"] and "Prishtinë" in texts["sq"] and "Zveçan" in texts["sq"]
    assert "Severna Mitrovica" in texts["sr"] and "Priština" in texts["sr"] and "Glogovac" in texts["sr"]
    assert len(set(texts["en"]) & set(texts["sq"])) < 20  # not one scheme with a few words changed
    hover = figures.map_figure(dataset, dataset.incidents.iloc[:0], lang="sq").data[0].text
    assert "Leposaviq" in hover and "Leposaviq / Leposavić" not in hover


def test_view_update_names_everything_in_the_chosen_language(context):
    sq = outputs(context, "sq", selected="KOS-2008-14")
    assert "Mitrovicë e Veriut" in label_text(sq[MAP])
    options = {o["value"]: o["label"] for o in sq[MUNICIPALITY_OPTIONS]}
    assert options["North Mitrovica"].startswith("Mitrovicë e Veriut (")
    assert options["North Kosovo"].startswith("Kosova e Veriut (4 municipalities)")
    assert "Zveçan" in options["Zveçan"] and "/" not in options["Zveçan"]
    places = {row["place"] for row in sq[TABLE]}
    assert "Gjykata e Mitrovicës" in places and "UN courthouse in Mitrovica" not in places
    assert any("Mitrovicë e Veriut" in row["municipality"] for row in sq[TABLE])
    details = text_of(sq[DETAILS])
    assert "Gjykata e Mitrovicës" in details and "Mitrovicë e Veriut" in details
    assert "lang=sq" in sq[QUERY]
    assert "Beograd" in text_of(outputs(context, "sr")[OUTSIDE])
    # Markers' hover text names the place in the language too.
    assert "Gjykata e Mitrovic" in text_of(sq[MAP].to_plotly_json())


def test_english_views_send_no_names_unless_the_language_changed(context):
    quiet = outputs(context, "en", lang_changed=False)[MAP].to_plotly_json()["operations"]
    municipalities = ["data", figures.TRACE_INDEX["municipalities"], "text"]
    assert not [op for op in quiet if op["location"] in (municipalities, LABELS_SOURCE)]
    assert "North Mitrovica" in label_text(outputs(context, "en", lang_changed=True)[MAP])


def test_a_forged_language_counts_as_english(context):
    assert "North Mitrovica" in label_text(outputs(context, "<script>", lang_changed=True)[MAP])


def test_table_sorts_places_by_their_name_in_the_language(context):
    rows = outputs(context, "sr", sort_by=[{"column_id": "place", "direction": "asc"}])[TABLE]
    names = [row["place"] for row in rows]
    assert names == sorted(names)


def test_table_sorts_municipalities_by_their_name_in_the_language(context):
    rows = outputs(context, "sr", sort_by=[{"column_id": "municipality", "direction": "asc"}])[TABLE]
    located = [
        row["municipality"] for row in rows if "," not in row["municipality"] and row["municipality"] != "—"
    ]
    assert located[0] == "Kamenica" and located.index("Leposavić") < located.index("Priština")
    assert located == sorted(located, key=lambda name: folded(name, "sr"))


@pytest.mark.parametrize(
    ("lang", "before", "after"),
    [
        ("sr", "Dragaš", "Đakovica"),  # Đ is a letter after D (it was filed as D: 'dj' < 'dr')
        ("sr", "Suva Reka", "Štimlje"),  # Š after S
        ("sq", "Suharekë", "Shtime"),  # Sh after S
        ("sq", "Graçanicë", "Gjakovë"),  # Gj after G
        ("en", "Štrpce", "Suva Reka"),  # English files Š with S
    ],
)
def test_municipality_filter_follows_the_languages_alphabet(dataset, lang, before, after):
    values, labels = municipality_choices(dataset, lang)
    shown = [labels[value] for value in values]
    assert shown.index(before) < shown.index(after), shown
    if lang == "sr":
        assert shown.index("Đeneral Janković") < shown.index("Glogovac")  # Đ before E, F, G


def test_export_caption_names_the_municipality_filter_in_the_language(dataset):
    state = ViewState(filter=ViewFilter(municipalities=("Zveçan", "North Kosovo")), lang="sr")
    assert caption_lines(dataset, state, 3)[2] == "Filters: Municipality: Zvečan, Severno Kosovo"


def test_details_and_card_follow_the_language(dataset):
    incident = dataset.incidents.set_index("id", drop=False).loc["KOS-2008-14"]
    html_sr = text_of(details_panel(incident, dataset.reactions, None, None, None, "sr"))
    assert "Sud u Kosovskoj Mitrovici" in html_sr and "Severna Mitrovica" in html_sr
    assert "English: UN courthouse in Mitrovica" in html_sr  # the other names, labelled
    card = text_of(municipality_card(dataset, "Zveçan", ViewFilter(), 1, "sr"))
    assert "Zvečan" in card and "Show only Zvečan" in card


def test_url_keeps_the_language_and_refuses_a_bad_one(context):
    state = ViewState(lang="sq")
    assert to_query(state, context.choices) == "lang=sq"
    assert parse_query("lang=sr", context.choices) == (ViewState(lang="sr"), [])
    assert to_query(ViewState(), context.choices) == ""
    state, notices = parse_query("lang=xx%3Cb%3E&start=2008-03-01", context.choices)
    assert state.lang == "en" and state.filter.start is not None
    assert notices == ["Unknown language 'xx<b>' for place names; showing English (use en, sq, sr)."]


def test_export_names_in_serbian(dataset):
    renderer = ImageRenderer()
    try:
        svg = renderer.render(export_figure(dataset, ViewState(lang="sr"), ExportOptions(format="svg")))
    finally:
        renderer.close()
    text = svg.decode("utf-8")
    # Names stay text (comments beside their glyph outlines): Serbian letters as such.
    for name in ("Zvečan", "Leposavić", "Kosovska Mitrovica", "Uroševac", "Priština"):
        assert name in text, name
    assert "Zveçan" not in text and "Leposaviq" not in text
    assert "Beograd, off the map" in text
    root = ElementTree.fromstring(svg)
    labels = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == "map-label"]
    # A name that would overlap another is left out, and one whose municipality is too narrow for it.
    options = ExportOptions(format="svg")
    drawing = draw(export_figure(dataset, ViewState(lang="sr"), options))
    assert len(labels) >= _names_with_room(dataset, drawing, "sr", (options.width, options.height)) - 3


def test_cli_export_takes_lang(tmp_path, boundaries_dir):
    out = tmp_path / "sr.svg"
    command = [sys.executable, "-m", "dashboard.cli", "export-image", "--format", "svg", "-o", str(out)]
    result = subprocess.run([*command, "--lang", "sr"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "Zvečan" in text and "Đakovica" in text and "Gjakova" not in text
    # --lang overrides the view URL's language; a bad one is refused by name.
    url = "http://127.0.0.1:8050/?lang=sq"
    result = subprocess.run([*command, "--view-url", url, "--lang", "sr"], capture_output=True, text=True)
    assert result.returncode == 0 and "Zvečan" in out.read_text(encoding="utf-8")
    result = subprocess.run([*command, "--lang", "de"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--lang: invalid choice: 'de'" in result.stderr
