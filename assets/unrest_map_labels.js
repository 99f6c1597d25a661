/* Municipality names that read on the map: a halo in the map's background colour, a few anchors
   to try before a name gives way to another, and the on-one-spot badges' counts never hiding a
   name (MapLibre places the top layer's symbols first, so the badges used to push out Zvečan and
   North Mitrovica). Plotly exposes none of these symbol properties; they are set on its layers
   after every redraw (Plotly leaves properties it does not manage alone). */
(function () {
  "use strict";
  const HALO = "#f3f1ec"; // dashboard/style.py BACKGROUND
  const LABELS = "Municipality names"; // trace names in dashboard/figures.py
  const BADGES = "Incidents on one spot";
  const LABEL_LAYOUT = {
    "text-variable-anchor": ["center", "top", "bottom", "left", "right"],
    "text-radial-offset": 0.4,
    "text-padding": 1,
  };
  const LABEL_PAINT = { "text-halo-color": HALO, "text-halo-width": 1.4 };
  const BADGE_LAYOUT = { "text-allow-overlap": true, "text-ignore-placement": true };

  function symbolLayer(map, gd, name) {
    const trace = (gd._fullData || []).find((t) => t.name === name);
    const id = trace && "plotly-trace-layer-" + trace.uid + "-symbol";
    return id && map.getLayer(id) ? id : null;
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
    const labels = symbolLayer(map, gd, LABELS);
    const badges = symbolLayer(map, gd, BADGES);
    if (labels) {
      set(map, labels, "layout", LABEL_LAYOUT);
      set(map, labels, "paint", LABEL_PAINT);
    }
    if (badges) set(map, badges, "layout", BADGE_LAYOUT);
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
