/* Municipality names that read on the map: a halo in the map's background colour, a few anchors
   to try before a name gives way to another, and the count badges' numbers never hiding a name
   (MapLibre places the top layer's symbols first, so the badges used to push out Zvečan and
   North Mitrovica). Both are layout layers (dashboard/figures.py map_layers). Plotly exposes none
   of these symbol properties; they are set on its layers after every redraw (Plotly leaves
   properties it does not manage alone, and a value set again unchanged is skipped, so the names
   are laid out once, not on every slider step). */
(function () {
  "use strict";
  const HALO = "#f3f1ec"; // dashboard/style.py BACKGROUND
  // Positions in layout.map.layers (figures.LABEL_LAYER, BADGE_COUNT_LAYER).
  const LABELS = 1;
  const BADGE_COUNTS = 3;
  const LABEL_LAYOUT = {
    "text-variable-anchor": ["center", "top", "bottom", "left", "right"],
    "text-radial-offset": 0.4,
    "text-padding": 1,
  };
  const LABEL_PAINT = { "text-halo-color": HALO, "text-halo-width": 1.4 };
  const BADGE_LAYOUT = { "text-allow-overlap": true, "text-ignore-placement": true };

  /* MapLibre id of the layout layer at `index`: Plotly names it plotly-layout-layer-<map>-<index>. */
  function layoutLayer(map, index) {
    const suffix = "-" + index;
    const layer = map
      .getStyle()
      .layers.find((l) => l.id.startsWith("plotly-layout-layer-") && l.id.endsWith(suffix));
    return layer ? layer.id : null;
  }

  function set(map, id, kind, properties) {
    Object.entries(properties).forEach(([key, value]) => {
      const now = kind === "layout" ? map.getLayoutProperty(id, key) : map.getPaintProperty(id, key);
      if (JSON.stringify(now) === JSON.stringify(value)) return; // unchanged: no re-placement
      if (kind === "layout") map.setLayoutProperty(id, key, value);
      else map.setPaintProperty(id, key, value);
    });
  }

  function tune(gd) {
    const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    const map = sub && sub.map;
    if (!map || !map.getStyle()) return;
    const labels = layoutLayer(map, LABELS);
    const counts = layoutLayer(map, BADGE_COUNTS);
    if (labels) {
      set(map, labels, "layout", LABEL_LAYOUT);
      set(map, labels, "paint", LABEL_PAINT);
    }
    if (counts) set(map, counts, "layout", BADGE_LAYOUT);
  }

  function attach(tries) {
    const gd = document.querySelector("#map .js-plotly-plot");
    if (!gd || !gd.on || !gd._fullLayout || !gd._fullLayout.map) {
      if ((tries || 0) < 600) setTimeout(() => attach((tries || 0) + 1), 50);
      return;
    }
    if (!gd.unrestLabels) {
      gd.unrestLabels = true;
      gd.on("plotly_afterplot", () => tune(gd));
    }
    tune(gd);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attach(0));
  else attach(0);
  window.unrestMapLabels = { tune: tune };
})();
