/* Municipality names that read on the map: a halo in the map's background colour and a few
   anchors to try before a name gives way to another. The names are a layout layer
   (dashboard/figures.py map_layers); Plotly exposes none of these symbol properties, so they are
   set on its layer after every redraw (Plotly leaves properties it does not manage alone, and a
   value set again unchanged is skipped: the names are laid out once, not on every slider step).

   And the count badges (figures.badges, sent in layout.meta.badges): HTML discs over the map,
   placed at their points and moved with it. As a map layer they were laid out afresh whenever
   they changed, most of a slider step; as HTML they cost the map nothing.

   MapLibre keeps names apart from each other, but knows neither Plotly's circle markers nor the
   HTML badges: a name was drawn across them. So an invisible symbol layer over the names holds a
   square the size of every marker and badge (figures.name_collider, layout.meta.collider: the
   whole dataset's, so it is laid out once, not on every slider step): placed first and never
   moved, it takes its room in MapLibre's collision index, and each name tries its anchors for a
   free place or is left out, never drawn over a marker. A second one lines the map's edge, so
   that no name is cut by it (a refit to a filter's incidents left names half out of the map). */
(function () {
  "use strict";
  const HALO = "#f3f1ec"; // dashboard/style.py BACKGROUND
  // Position of the names in layout.map.layers (figures.LABEL_LAYER).
  const LABELS = 1;
  // A municipality is named from the zoom at which it has room for its name (figures.name_min_zoom,
  // each point's min_zoom): a narrower one's name would stand mostly on its neighbours.
  const LABEL_FILTER = [">=", ["zoom"], ["coalesce", ["get", "min_zoom"], -99]];
  const LABEL_LAYOUT = {
    // Places to try, in order: each point's own list (figures.NAME_ANCHORS less those that would put
    // the name outside the country, figures.name_anchors), else its point only.
    "text-variable-anchor-offset": [
      "case", ["has", "anchors"], ["get", "anchors"], ["literal", ["center", [0, 0]]],
    ],
    "text-padding": 1,
  };
  const LABEL_PAINT = { "text-halo-color": HALO, "text-halo-width": 1.4 };
  const COLLIDER = "unrest-names-collider"; // the spots' source and layer, and the image
  const EDGE = "unrest-names-edge"; // the map's edge: a row of squares along it
  const COLLIDER_PX = 16; // the image's side: icon-size scales it to each square's own
  const EDGE_PX = 12; // the edge squares' side: names keep half of it clear of the edge

  function squares(lon, lat, size) {
    return {
      type: "FeatureCollection",
      features: size.map((side, i) => ({
        type: "Feature",
        properties: { size: side },
        geometry: { type: "Point", coordinates: [lon[i], lat[i]] },
      })),
    };
  }

  function spots(gd) {
    return ((gd && gd.layout && gd.layout.meta) || {}).collider || { lon: [], lat: [], size: [] };
  }

  /* Squares centred on the map's edge, side by side all round it: a name that would run over the
     edge (cut off) finds them in its way and takes another anchor, or is left out. And squares
     over Plotly's tool bar, which sits on the map's top right corner. */
  function edgeData(map) {
    const box = map.getContainer();
    const width = box.clientWidth, height = box.clientHeight;
    const points = [];
    const sizes = [];
    const add = (x, y, side) => {
      points.push([x, y]);
      sizes.push(side);
    };
    for (let x = 0; x < width + EDGE_PX; x += EDGE_PX) add(x, 0, EDGE_PX), add(x, height, EDGE_PX);
    for (let y = EDGE_PX; y < height; y += EDGE_PX) add(0, y, EDGE_PX), add(width, y, EDGE_PX);
    const gd = box.closest(".js-plotly-plot");
    const bar = gd && gd.querySelector(".modebar");
    const rect = bar && bar.getBoundingClientRect();
    if (rect && rect.width && rect.height) {
      const origin = box.getBoundingClientRect();
      const side = Math.ceil(rect.height);
      const top = rect.top - origin.top + side / 2;
      for (let x = rect.left - origin.left + side / 2; x < rect.right - origin.left + side / 2; x += side) {
        add(x, top, side);
      }
    }
    const places = points.map((p) => map.unproject(p));
    return { lon: places.map((p) => p.lng), lat: places.map((p) => p.lat), size: sizes };
  }

  /* A collider layer on top of the map (over the names: MapLibre places the upper layer's
     symbols first), added once per style; its data set again only when it changed. */
  function collider(map, id, where) {
    const key = JSON.stringify(where);
    const data = () => squares(where.lon, where.lat, where.size);
    if (!map.hasImage(COLLIDER)) {
      const side = COLLIDER_PX;
      map.addImage(COLLIDER, { width: side, height: side, data: new Uint8Array(side * side * 4).fill(255) });
    }
    map.unrestColliders = map.unrestColliders || {};
    const source = map.getSource(id);
    if (!source) map.addSource(id, { type: "geojson", data: data() });
    else if (map.unrestColliders[id] !== key) source.setData(data());
    map.unrestColliders[id] = key;
    if (map.getLayer(id)) return;
    map.addLayer({
      id: id,
      type: "symbol",
      source: id,
      layout: {
        "icon-image": COLLIDER,
        "icon-size": ["/", ["get", "size"], COLLIDER_PX],
        "icon-padding": 0,
        "icon-allow-overlap": true, // every square stands, overlapping or not...
        "icon-ignore-placement": false, // ...and keeps its room from the names
      },
      paint: { "icon-opacity": 0 },
    });
  }

  /* The markers' and badges' squares (the whole dataset's: set again only for another dataset),
     and the edge's, which follow the camera: set again when a move ends (never on a slider step,
     which leaves the camera alone). */
  function collide(map, gd) {
    collider(map, COLLIDER, spots(gd));
    if (!map.getLayer(EDGE)) collider(map, EDGE, edgeData(map));
    if (!map.unrestEdge) {
      map.unrestEdge = true;
      const follow = () => map.getSource(EDGE) && collider(map, EDGE, edgeData(map));
      map.on("moveend", follow);
      map.on("resize", follow);
    }
  }

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

  function setFilter(map, id) {
    if (JSON.stringify(map.getFilter(id)) !== JSON.stringify(LABEL_FILTER)) map.setFilter(id, LABEL_FILTER);
  }

  function mapOf(gd) {
    const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    return sub && sub.map;
  }

  /* The badges' holder: a layer over the map's canvas that lets clicks through. */
  function badgeHolder(map) {
    const container = map.getContainer();
    let holder = container.querySelector(":scope > .map-badges");
    if (!holder) {
      holder = document.createElement("div");
      holder.className = "map-badges";
      holder.setAttribute("aria-hidden", "true"); // the view summary and table say the same in words
      container.appendChild(holder);
    }
    return holder;
  }

  function placeBadges(gd) {
    const map = mapOf(gd);
    if (!map) return;
    const holder = badgeHolder(map);
    const badges = ((gd.layout && gd.layout.meta) || {}).badges || { lon: [], lat: [], count: [] };
    while (holder.children.length > badges.count.length) holder.lastChild.remove();
    while (holder.children.length < badges.count.length) {
      const badge = document.createElement("div");
      badge.className = "map-badge";
      holder.appendChild(badge);
    }
    badges.count.forEach((count, i) => {
      const badge = holder.children[i];
      const text = String(count);
      if (badge.textContent !== text) badge.textContent = text;
      const point = map.project([badges.lon[i], badges.lat[i]]);
      badge.style.transform = "translate(" + point.x + "px, " + point.y + "px) translate(-50%, -50%)";
    });
  }

  function tune(gd) {
    const map = mapOf(gd);
    if (!map || !map.getStyle()) return;
    const labels = layoutLayer(map, LABELS);
    if (labels) {
      set(map, labels, "layout", LABEL_LAYOUT);
      set(map, labels, "paint", LABEL_PAINT);
      setFilter(map, labels);
      collide(map, gd);
    }
    if (!map.unrestBadges) {
      map.unrestBadges = true;
      map.on("move", () => placeBadges(gd));
      map.on("resize", () => placeBadges(gd));
    }
    placeBadges(gd);
  }

  /* The names laid out with their halo and anchors from the first time: set as Plotly adds the
     layer, before MapLibre's worker lays it out (set after the first draw, the names were laid
     out twice, a second round of the worker and frames before the map counted as loaded). */
  function tuneOnAdd(map) {
    if (map.unrestLabelsOnAdd) return;
    map.unrestLabelsOnAdd = true;
    const add = map.addLayer;
    map.addLayer = function (layer, ...rest) {
      const result = add.call(this, layer, ...rest);
      const id = layer && layer.id;
      if (typeof id === "string" && id.startsWith("plotly-layout-layer-") && id.endsWith("-" + LABELS)) {
        set(map, id, "layout", LABEL_LAYOUT);
        set(map, id, "paint", LABEL_PAINT);
        setFilter(map, id);
        collide(map, document.querySelector("#map .js-plotly-plot"));
      }
      return result;
    };
  }

  function attach(tries) {
    const gd = document.querySelector("#map .js-plotly-plot");
    const early = mapOf(gd || {});
    if (early) tuneOnAdd(early);
    if (!gd || !gd.on || !gd._fullLayout || !gd._fullLayout.map) {
      if ((tries || 0) < 1500) setTimeout(() => attach((tries || 0) + 1), 20);
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
