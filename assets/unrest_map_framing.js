/* The map's camera, in the browser (loaded after unrest_map.js).

   The server sends what to frame (map-frame: [west, south, east, north] of Kosovo, or of the
   incidents a filter leaves) and where the selected incident is (map-focus). Only the browser
   knows how big the map is, so the fitting happens here, with MapLibre's own fitBounds:
   on first load, when the filters change the frame, on Reset, and on resize while the
   camera is still the automatic one. A camera the user set (pan, zoom, or one a URL carries)
   is kept until a filter change or Reset frames again. */
(function () {
  "use strict";
  const PADDING = 24;
  const MAX_ZOOM = 12;
  // Moves we make carry this as their originalEvent: Plotly then records the camera as a
  // user edit (kept across figure patches by uirevision), and we can tell them from the user's.
  const FIT_EVENT = { type: "unrest-fit", unrestFit: true };

  const initial = new URLSearchParams(window.location.search);
  // A link that carries a valid zoom (with or without a centre) keeps its camera; the server
  // ignores an invalid one (viewstate.parse_query), and so does the framing.
  const within = (text, low, high) => text !== null && isFinite(Number(text)) && Number(text) >= low && Number(text) <= high;
  const urlCamera = within(initial.get("zoom"), 0, 22)
    ? {
        lat: within(initial.get("lat"), -85, 85) ? initial.get("lat") : null,
        lon: within(initial.get("lon"), -180, 180) ? initial.get("lon") : null,
        zoom: initial.get("zoom"),
      }
    : null;

  /* A query's filter part, comparable however it was written (order, encoding; no camera). */
  function filterPart(query) {
    const params = new URLSearchParams(query || "");
    ["lat", "lon", "zoom"].forEach((key) => params.delete(key));
    return Array.from(params.entries())
      .map(([key, value]) => key + "=" + value)
      .sort()
      .join("&");
  }
  const urlFilters = filterPart(window.location.search);

  const state = {
    // A URL camera wins over the frames sent while the URL's view is being restored; once the
    // server's view equals the URL's, later filter changes frame as usual.
    keepFirst: urlCamera !== null,
    userCamera: urlCamera !== null, // the camera is the user's (resize does not refit)
    urlCamera: urlCamera, // the URL's own numbers, until the user moves the map
    bounds: null, // the last frame the server sent
    fittedKey: null, // JSON of the bounds last fitted
    fittedSize: [0, 0], // the map's size then
    focus: null, // {id, lonlat} of the selected incident
    shownFocus: null, // the id last brought into view
    fitting: false, // true while a move of ours is being made
  };
  const watched = new WeakSet();

  function mapObject() {
    const gd = document.querySelector("#map .js-plotly-plot");
    const layout = gd && gd._fullLayout && gd._fullLayout.map;
    return layout && layout._subplot && layout._subplot.map ? layout._subplot.map : null;
  }

  /* Run fn(map) once Plotly has created the MapLibre map (it may not exist yet on first load). */
  function withMap(fn, tries) {
    const map = mapObject();
    if (map) {
      watch(map);
      fn(map);
    } else if ((tries || 0) < 400) {
      setTimeout(() => withMap(fn, (tries || 0) + 1), 50);
    }
  }

  function userMoved() {
    state.keepFirst = false;
    state.userCamera = true;
    state.urlCamera = null;
  }

  /* A camera edit in Plotly's relayout event ({"map.zoom": ...}, {"map.center": ...}, ...). */
  function movesCamera(edit) {
    return Object.keys(edit || {}).some((key) => key === "map" || /^map\.(center|zoom)/.test(key));
  }

  function watch(map) {
    if (watched.has(map)) return;
    watched.add(map);
    map.on("movestart", (event) => {
      const original = event && event.originalEvent;
      if (original && !original.unrestFit) userMoved();
    });
    // Zooms that are no drag (the + and - buttons, the scroll wheel, a double click) reach MapLibre
    // without an originalEvent; Plotly reports each as a relayout. So does every move of ours,
    // but those happen inside ours() (fitBounds without animation moves at once). Plotly tells
    // its listeners in order, Dash's first: the URL is written in a callback run later, with
    // the camera already counted as the user's.
    const gd = document.querySelector("#map .js-plotly-plot");
    if (gd && typeof gd.on === "function" && !watched.has(gd)) {
      watched.add(gd);
      gd.on("plotly_relayout", (edit) => {
        if (!state.fitting && movesCamera(edit)) userMoved();
      });
    }
    // Plotly resizes the map with the window ("responsive"); the automatic camera follows.
    // Plotly also calls resize() when nothing changed size: then the camera stays as it is.
    map.on("resize", () => {
      const [width, height] = size(map);
      const changed = width !== state.fittedSize[0] || height !== state.fittedSize[1];
      if (changed && !state.userCamera && state.bounds) fit(map, state.bounds);
    });
  }

  /* Make a move of ours: its relayout event is not the user's. */
  function ours(move) {
    state.fitting = true;
    try {
      move();
    } finally {
      state.fitting = false;
    }
  }

  function size(map) {
    const box = map.getContainer();
    return [box.clientWidth, box.clientHeight];
  }

  function padding(map) {
    const [width, height] = size(map);
    return Math.max(4, Math.min(PADDING, Math.floor(Math.min(width, height) / 12)));
  }

  /* Padding that keeps the framed bounds clear of the legend (drawn over the map's bottom-left
     corner): room beside it or above it, whichever leaves the bigger map; plain padding when
     neither fits. */
  function paddingFor(map, box) {
    const base = padding(map);
    const plain = { top: base, right: base, bottom: base, left: base };
    const gd = document.querySelector("#map .js-plotly-plot");
    const legend = gd && gd.querySelector(".legend");
    if (!legend) return plain;
    const rect = legend.getBoundingClientRect();
    if (!rect.width || !rect.height) return plain;
    let best = null;
    [
      Object.assign({}, plain, { left: base + rect.width }),
      Object.assign({}, plain, { bottom: base + rect.height }),
    ].forEach((option) => {
      const camera = map.cameraForBounds(box, { padding: option, maxZoom: MAX_ZOOM });
      if (camera && (!best || camera.zoom > best.zoom)) best = { zoom: camera.zoom, padding: option };
    });
    return best ? best.padding : plain;
  }

  function fit(map, bounds) {
    const [width, height] = size(map);
    if (!width || !height) return;
    const [west, south, east, north] = bounds;
    const box = [
      [west, south],
      [east, north],
    ];
    const options = { padding: paddingFor(map, box), animate: false, maxZoom: MAX_ZOOM };
    ours(() => map.fitBounds(box, options, { originalEvent: FIT_EVENT }));
    state.fittedKey = JSON.stringify(bounds);
    state.fittedSize = [width, height];
  }

  /* Move just enough to show the selected incident, when it is not already in view. */
  function bringIntoView(map, focus) {
    const [lon, lat] = focus.lonlat;
    const view = map.getBounds();
    const inset = 0.08;
    const west = view.getWest(), east = view.getEast(), south = view.getSouth(), north = view.getNorth();
    const dx = (east - west) * inset, dy = (north - south) * inset;
    if (lon > west + dx && lon < east - dx && lat > south + dy && lat < north - dy) return;
    const box = [
      [Math.min(west, lon), Math.min(south, lat)],
      [Math.max(east, lon), Math.max(north, lat)],
    ];
    const options = { padding: padding(map), animate: false, maxZoom: map.getZoom() };
    ours(() => map.fitBounds(box, options, { originalEvent: FIT_EVENT }));
  }

  Object.assign(window.unrestMap, {
    /* map-frame or Reset -> fit. A frame equal to the one fitted is left alone (a selection or
       a page change re-sends it), so a camera the user set survives everything but a filter change. */
    fitFrame: function (frame, _reset, home, query) {
      const triggered = window.dash_clientside.callback_context.triggered.map((t) => t.prop_id);
      const reset = triggered.includes("reset-button.n_clicks");
      if (frame) state.bounds = frame;
      if (reset) {
        state.keepFirst = false;
        state.userCamera = false;
        state.urlCamera = null;
        if (home) state.bounds = home;
      } else if (state.keepFirst) {
        withMap(() => {}); // no fit, but the user's moves from the URL's camera are watched
        if (filterPart(query) === urlFilters) state.keepFirst = false; // the URL's view is restored
        state.fittedKey = JSON.stringify(state.bounds);
        return window.dash_clientside.no_update;
      } else if (!state.bounds || (state.userCamera && JSON.stringify(state.bounds) === state.fittedKey)) {
        return window.dash_clientside.no_update;
      }
      const bounds = state.bounds;
      withMap((map) => {
        state.userCamera = false;
        state.urlCamera = null;
        fit(map, bounds);
        if (state.focus && state.shownFocus !== state.focus.id) {
          state.shownFocus = state.focus.id;
          bringIntoView(map, state.focus);
        }
      });
      return JSON.stringify(bounds);
    },

    /* map-focus -> pan/zoom out just enough to show the newly selected incident. */
    focusIncident: function (focus) {
      state.focus = focus;
      if (!focus || focus.id === state.shownFocus) return window.dash_clientside.no_update;
      withMap((map) => {
        state.shownFocus = focus.id;
        bringIntoView(map, focus);
      });
      return focus.id;
    },

    /* The camera for the address bar: only one the user chose (or the URL carried). */
    cameraParams: function () {
      if (!state.userCamera) return null;
      if (state.urlCamera && state.urlCamera.lat && state.urlCamera.lon) return state.urlCamera;
      const map = mapObject();
      if (!map) return null;
      const center = map.getCenter();
      return { lat: center.lat.toFixed(4), lon: center.lng.toFixed(4), zoom: map.getZoom().toFixed(2) };
    },
  });
})();
