"""The municipality names on the screen map: never drawn over a marker or a count badge, never cut
by the map's edge, at a desktop, a laptop and a phone size."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from tests.browser import (
    EVENT_MARKER_CODES,
    MAP_JS,
    app_errors,
    settled,
    visible_marker_ids,
    wait_map_loaded,
    wait_until,
)
from tests.test_first_minute_browser import start_at

pytestmark = pytest.mark.browser

#: The names' MapLibre layer (figures.LABEL_LAYER: Plotly names it plotly-layout-layer-<map>-1).
NAMES_JS = (
    MAP_JS + "const map = gd._fullLayout.map._subplot.map;"
    "const names = map.getStyle().layers.find("
    "  l => l.id.startsWith('plotly-layout-layer-') && l.id.endsWith('-1')).id;"
    "const canvas = map.getContainer().getBoundingClientRect();"
)

#: Every name MapLibre placed, and each one whose drawn box (MapLibre's own, from its collision
#: index, through queryRenderedFeatures) meets an event marker (where Plotly drew it: projected
#: point, marker diameter from the decoded data) or a count badge (its HTML box). The boxes are
#: taken 1 px in: the names' box has 1 px of text-padding round the glyphs.
CLASHES_JS = (
    NAMES_JS
    + """
const obstacles = [];
const marks = gd._fullData.find(d => d.name === 'Incidents');
for (let i = 0; marks && marks.lat && i < marks.lat.length; i++) {
  if (!arguments[0].includes(marks.marker.color[i])) continue;
  const p = map.project([marks.lon[i], marks.lat[i]]), r = marks.marker.size[i] / 2;
  obstacles.push({what: 'marker at ' + marks.lon[i] + ',' + marks.lat[i],
                  box: [p.x - r, p.y - r, p.x + r, p.y + r]});
}
document.querySelectorAll('#map .map-badge').forEach(b => {
  const r = b.getBoundingClientRect();
  const x = canvas.left, y = canvas.top;
  obstacles.push({what: 'badge ' + b.textContent, box: [r.left - x, r.top - y, r.right - x, r.bottom - y]});
});
const clashes = [];
let seen = 0;
obstacles.forEach(o => {
  const [x1, y1, x2, y2] = o.box;
  if (x2 < 0 || y2 < 0 || x1 > canvas.width || y1 > canvas.height) return;
  seen += 1;
  map.queryRenderedFeatures([[x1 + 1, y1 + 1], [x2 - 1, y2 - 1]], {layers: [names]})
    .forEach(f => clashes.push(f.properties.label + ' over ' + o.what));
});
const placed = map.queryRenderedFeatures({layers: [names]}).map(f => f.properties.label);
return {placed: placed, clashes: clashes, obstacles: seen,
        badges: document.querySelectorAll('#map .map-badge').length};
"""
)


#: Names MapLibre placed across the map's edge (cut off): those whose box meets a 1 px strip along
#: an edge, inside the map; and the number of names placed, and the zoom.
CUT_JS = (
    NAMES_JS
    + """
const w = canvas.width, h = canvas.height;
const strips = {top: [[0, 0], [w, 1]], bottom: [[0, h - 1], [w, h]], left: [[0, 0], [1, h]],
                right: [[w - 1, 0], [w, h]]};
const cut = [];
Object.entries(strips).forEach(([side, box]) => map.queryRenderedFeatures(box, {layers: [names]})
  .forEach(f => cut.push(f.properties.label + ' at the ' + side)));
return {cut: cut, placed: map.queryRenderedFeatures({layers: [names]}).length, zoom: map.getZoom()};
"""
)


def settled_read(dash_duo, script: str) -> dict:
    """``script``'s answer once the map has drawn and its names have kept one placement for a while."""

    def read() -> str:
        wait_map_loaded(dash_duo)
        return repr(dash_duo.driver.execute_script(script, EVENT_MARKER_CODES))

    settled(dash_duo, read, quiet=1.0)
    return dash_duo.driver.execute_script(script, EVENT_MARKER_CODES)


def clashes(dash_duo) -> dict:
    return settled_read(dash_duo, CLASHES_JS)


@pytest.mark.parametrize("size", [(1280, 720), (412, 915)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_names_are_never_drawn_over_markers_or_badges(dash_duo, dataset, size):
    start_at(dash_duo, dataset, size)
    found = clashes(dash_duo)
    # Something to test: names placed, markers and badges among them.
    assert len(found["placed"]) >= 20, found
    assert found["badges"] >= 3 and found["obstacles"] >= 20, found
    assert found["clashes"] == [], found
    # Zoomed into the crowded north, names and markers still keep apart.
    dash_duo.driver.execute_script(
        MAP_JS + "gd._fullLayout.map._subplot.map.jumpTo({center: [20.8, 42.95], zoom: 9.5});"
    )
    found = clashes(dash_duo)
    assert {"Zubin Potok", "Zvečan", "North Mitrovica"} <= set(found["placed"]), found
    assert found["clashes"] == [], found
    assert app_errors(dash_duo) == []


@pytest.mark.parametrize("size", [(1280, 720), (412, 915)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_names_stay_inside_the_map_when_a_filter_refits_it(dash_duo, dataset, size):
    # The protests lie in the north and the east: the map is fitted to them, zoomed in, and the
    # names of the municipalities round them reach the map's edges (several were cut in half).
    start_at(dash_duo, dataset, size, "/?type=Protests")
    found = wait_until(
        dash_duo,
        lambda: (r := settled_read(dash_duo, CUT_JS))["zoom"] > 8 and r,
        30,
        "the map was not refitted",
    )
    assert found["placed"] >= 5, found
    assert found["cut"] == [], found
    # The names also keep clear of the markers there.
    assert clashes(dash_duo)["clashes"] == []
    assert app_errors(dash_duo) == []


def test_slider_steps_lay_no_collider_out_again(dash_duo, dataset, incidents):
    """The colliders cost a slider step nothing: their data is the whole dataset's and the camera's,
    neither of which a step changes, so neither source is set again (each setting is a round of
    MapLibre's worker and a new placement of the names)."""
    from selenium.webdriver.common.keys import Keys

    start_at(dash_duo, dataset, (1280, 720))
    driver = dash_duo.driver
    driver.execute_script(
        MAP_JS + "const map = gd._fullLayout.map._subplot.map; window.colliderSets = {};"
        "['unrest-names-collider', 'unrest-names-edge'].forEach(id => {"
        "  const source = map.getSource(id), setData = source.setData; window.colliderSets[id] = 0;"
        "  source.setData = function (...args) { window.colliderSets[id] += 1;"
        "    return setData.apply(this, args); }; });"
    )
    low = dash_duo.find_elements("#date-range [role=slider]")[0]
    low.click()
    label = dash_duo.find_element("#date-range-label")
    for _ in range(6):
        before = label.text
        low.send_keys(Keys.ARROW_RIGHT)
        wait_until(dash_duo, lambda before=before: label.text != before)
        wait_map_loaded(dash_duo)
    assert len(settled(dash_duo, lambda: frozenset(visible_marker_ids(dash_duo)))) < len(incidents)
    sets = lambda: driver.execute_script("return window.colliderSets")  # noqa: E731
    assert sets() == {"unrest-names-collider": 0, "unrest-names-edge": 0}
    # A move sets the edge's squares again, once; the markers' stay.
    driver.execute_script(MAP_JS + "gd._fullLayout.map._subplot.map.jumpTo({zoom: 8.5});")
    wait_map_loaded(dash_duo)
    assert sets() == {"unrest-names-collider": 0, "unrest-names-edge": 1}


#: Each placed name's drawn box (MapLibre's, through queryRenderedFeatures on 1 px strips across
#: the map, every 2 px) as lon/lat corners, taken 3 px in (text padding and the strips' step); and
#: the zoom.
NAME_BOXES_JS = (
    NAMES_JS
    + """
const w = canvas.width, h = canvas.height, x = {}, y = {};
const grow = (into, label, v) => { const r = into[label] || [v, v];
  into[label] = [Math.min(r[0], v), Math.max(r[1], v)]; };
for (let i = 0; i < w; i += 2) map.queryRenderedFeatures([[i, 0], [i + 1, h]], {layers: [names]})
  .forEach(f => grow(x, f.properties.label, i));
for (let j = 0; j < h; j += 2) map.queryRenderedFeatures([[0, j], [w, j + 1]], {layers: [names]})
  .forEach(f => grow(y, f.properties.label, j));
const boxes = {};
Object.keys(x).filter(label => y[label]).forEach(label => {
  const [x1, x2] = x[label], [y1, y2] = y[label];
  boxes[label] = [[x1 + 3, y1 + 3], [x2 - 3, y1 + 3], [x2 - 3, y2 - 3], [x1 + 3, y2 - 3]]
    .map(p => map.unproject(p).toArray());
});
return {boxes: boxes, zoom: map.getZoom()};
"""
)


def test_zoomed_in_a_name_is_drawn_inside_its_own_municipality(dash_duo, dataset):
    """North Mitrovica's name stood south of the river, in Mitrovica (hovering there named it); at
    the zoom where the small municipality holds its name, the name is drawn within it."""
    import shapely

    from dashboard.figures import municipality_labels

    start_at(dash_duo, dataset, (1600, 1000), "/?lat=42.90&lon=20.86&zoom=11")
    found = wait_until(
        dash_duo,
        lambda: (r := settled_read(dash_duo, NAME_BOXES_JS))["zoom"] > 10.5 and r,
        30,
        "the map did not open at the link's zoom",
    )
    layer = dataset.boundaries.municipalities
    shapes = dict(zip(layer["name"], layer.geometry, strict=True))
    names = dict(zip(*municipality_labels(dataset)[["text", "name"]].to_numpy().T, strict=True))
    assert "North Mitrovica" in found["boxes"], found
    for text, corners in found["boxes"].items():
        outside = [c for c in corners if not shapes[names[text]].contains(shapely.Point(c))]
        assert outside == [], (text, corners)
    assert app_errors(dash_duo) == []


def test_an_uploads_town_centre_incidents_are_not_under_the_names(dash_duo, dataset, tmp_path, monkeypatch):
    """Incidents at the town centres of Zubin Potok and Prizren sat under those municipalities'
    names (before the names' collider): an upload's own app carries the collider of its incidents."""
    from urllib.parse import parse_qs, urlsplit

    from geodata.cache import CACHE_ENV_VAR

    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))
    towns = tmp_path / "towns.csv"
    towns.write_text(
        "date,place,event_type,actor1,description,injured\n"
        "2008-03-14,Zubin Potok,Protests,Kosovo Serbs,Rally in the town centre,\n"
        "2008-03-15,Prizren,Protests,Kosovo Albanians,March in the town centre,2\n",
        encoding="utf-8",
    )
    start_at(dash_duo, dataset, (1600, 1000))
    dash_duo.find_element("#upload-file").send_keys(str(towns))
    shown = lambda: parse_qs(urlsplit(dash_duo.driver.current_url).query).get("data", [""])[0]  # noqa: E731
    wait_until(dash_duo, lambda: len(shown()) == 64, timeout=30, message="no ?data=<hash>")
    dash_duo.wait_for_text_to_equal("#incident-count b", "2", timeout=30)
    wait_until(
        dash_duo,
        lambda: len(dash_duo.driver.execute_script(MAP_JS + "return gd.layout.meta.collider.lon")) == 2,
    )
    found = clashes(dash_duo)
    assert found["obstacles"] == 2, found  # both markers on the map
    assert {"Zubin Potok", "Prizren"} <= set(found["placed"]), found  # named, beside their markers
    assert found["clashes"] == [], found
    assert app_errors(dash_duo) == []


@pytest.mark.parametrize("size", [(1600, 1000), (412, 915)])
def test_a_municipality_is_named_only_where_it_has_room_for_its_name(dash_duo, dataset, size):
    """At the opening view North Mitrovica (a few pixels across, its own point under the 8 badge) had
    its name pushed aside onto Zubin Potok; a name is drawn only from the zoom at which its
    municipality is at least figures.NAME_ROOM of the name's width across (its min_zoom)."""
    from dashboard.figures import municipality_labels

    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(create_app(dataset))
    dash_duo.wait_for_text_to_equal("#incident-count b", str(len(dataset.incidents)), timeout=30)
    wait_map_loaded(dash_duo)
    read = (
        NAMES_JS + "return [map.getZoom(), map.queryRenderedFeatures({layers: [names]})"
        ".map(f => f.properties.label)];"
    )
    zoom, drawn = settled(dash_duo, lambda: dash_duo.driver.execute_script(read))
    min_zoom = municipality_labels(dataset).set_index("text")["min_zoom"]
    assert len(drawn) >= 20 and "North Mitrovica" not in drawn, drawn
    assert [n for n in drawn if min_zoom[n] > int(zoom)] == [], zoom
    # Zoomed in, it has room, and its name is drawn.
    dash_duo.driver.execute_script(
        MAP_JS + "gd._fullLayout.map._subplot.map.jumpTo({center: [20.87, 42.90], zoom: 11});"
    )
    wait_map_loaded(dash_duo)
    wait_until(dash_duo, lambda: "North Mitrovica" in dash_duo.driver.execute_script(read)[1], 10)


def test_no_name_stands_mostly_outside_the_country(dash_duo, dataset):
    """At the opening view of a 1280x720 window (zoom 7.1) Zubin Potok's name, pushed off its point
    by the markers round it, stood half beyond the western border, and in Serbian "Kosovska
    Mitrovica" beyond the north-eastern one (trial): a name now takes no place that puts most of it
    outside the country (figures.name_anchors)."""
    import shapely

    country = shapely.union_all(dataset.boundaries.country.geometry.to_numpy())
    start_at(dash_duo, dataset, (1280, 720))
    for lang in ("en", "sr"):
        if lang != "en":
            dash_duo.driver.get(dash_duo.server_url + f"/?lang={lang}")
            wait_map_loaded(dash_duo, timeout=45)
        found = settled_read(dash_duo, NAME_BOXES_JS)
        assert found["zoom"] < 7.5 and len(found["boxes"]) >= 20, found
        outside = {}
        for text, corners in found["boxes"].items():
            box = shapely.Polygon(corners)
            outside[text] = round(shapely.difference(box, country).area / box.area, 2)
        worst = sorted(outside.items(), key=lambda kv: -kv[1])[:5]
        assert max(outside.values()) <= 0.5, (lang, worst)
    assert app_errors(dash_duo) == []
