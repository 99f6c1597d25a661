"""The language switch in the browser: picking Shqip renames the map's labels, the municipality
options and the table's places, and the URL gains lang=sq (one server, waits on state)."""

from __future__ import annotations

import pytest

from dashboard import figures
from dashboard.app import create_app
from tests.browser import MAP_JS, wait_map_loaded, wait_until

pytestmark = pytest.mark.browser

#: The municipality names the map's label layer holds (figures.LABEL_LAYER), as Plotly drew it.
LABELS = (
    MAP_JS
    + "return gd._fullLayout.map.layers[arguments[0]].source.features.map(f => f.properties.label).join('|');"
)


def test_shqip_renames_map_labels_options_and_table(dash_duo, dataset):
    dash_duo.start_server(create_app(dataset))
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(dataset.incidents)), timeout=20)
    wait_map_loaded(dash_duo)
    driver = dash_duo.driver
    assert "North Mitrovica" in driver.execute_script(LABELS, figures.LABEL_LAYER).split("|")
    # The names' halo and fallback anchors (assets/unrest_map_labels.js, set as the layer is added):
    # each point's own (figures.name_anchors), which the layer's data carries.
    tuned = driver.execute_script(
        MAP_JS + "const m = gd._fullLayout.map._subplot.map; const suffix = '-' + arguments[0];"
        "const id = m.getStyle().layers.map((l) => l.id)"
        "  .find((i) => i.startsWith('plotly-layout-layer-') && i.endsWith(suffix));"
        "return [m.getLayoutProperty(id, 'text-variable-anchor-offset'),"
        "        m.getPaintProperty(id, 'text-halo-width')];",
        figures.LABEL_LAYER,
    )
    assert tuned[0][:3] == ["case", ["has", "anchors"], ["get", "anchors"]] and tuned[1] > 0, tuned
    anchors = driver.execute_script(
        MAP_JS + "return gd._fullLayout.map.layers[arguments[0]].source.features"
        ".map(f => f.properties.anchors);",
        figures.LABEL_LAYER,
    )
    assert anchors and all(a[:2] == ["center", [0, 0]] for a in anchors), anchors[:3]
    assert max(len(a) for a in anchors) == 2 * len(figures.NAME_ANCHORS)  # inland: every spot
    table = dash_duo.find_element("#incident-table")
    wait_until(dash_duo, lambda: "UN courthouse in Mitrovica" in table.text)

    shqip = dash_duo.find_element("#lang-switch input[value='sq']")
    shqip.find_element("xpath", "..").click()
    wait_until(
        dash_duo,
        lambda: "Mitrovicë e Veriut" in driver.execute_script(LABELS, figures.LABEL_LAYER).split("|"),
        timeout=20,
    )
    labels = driver.execute_script(LABELS, figures.LABEL_LAYER).split("|")
    assert "Prishtinë" in labels and "North Mitrovica" not in labels and "Pristina" not in labels
    # The label layer really draws them (MapLibre's rendered features, not only the layer data).
    drawn_js = (
        MAP_JS + "const m = gd._fullLayout.map._subplot.map;"
        "return m.queryRenderedFeatures().map(f => f.properties && f.properties.label).filter(Boolean);"
    )
    wait_map_loaded(dash_duo)
    assert "Prishtinë" in driver.execute_script(drawn_js)
    # Zveçan, between two count badges, gives way to them at the opening zoom (a name is never drawn
    # over a badge: tests/test_names_browser.py), and shows zoomed into the north.
    driver.execute_script(
        MAP_JS + "gd._fullLayout.map._subplot.map.jumpTo({center: [20.8, 42.95], zoom: 9.5});"
    )
    wait_map_loaded(dash_duo)
    wait_until(dash_duo, lambda: "Zveçan" in driver.execute_script(drawn_js), timeout=10)

    wait_until(dash_duo, lambda: "Gjykata e Mitrovicës" in table.text)
    assert "lang=sq" in driver.current_url
    assert driver.execute_script("return new URLSearchParams(location.search).get('lang')") == "sq"

    dash_duo.find_element("#filter-municipality").click()
    option = dash_duo.find_element(".dash-dropdown-option input[value='North Mitrovica']")
    assert option.find_element("xpath", "../..").text.startswith("Mitrovicë e Veriut (")
