/* Clientside parts of unrest-map: slider drags, play/pause, the URL bar, keyboard shortcuts.
   They run in the browser so a drag step, a play tick or a map pan costs no server round trip. */
(function () {
  "use strict";
  // Days per second (layout.SPEEDS): one tick is one day.
  const SPEEDS = { Slow: 1, Normal: 3, Fast: 6 };
  const PLAY_WINDOW_DAYS = 7; // the moving window Play starts with from the full period
  // A slider key's preview holds the server's request until the map has drawn, this long at most.
  const PREVIEW_WAIT_MS = 1000;
  // ... and until the server has answered the previous key's request, this long at most.
  const ANSWER_WAIT_MS = 3000;
  const noUpdate = () => window.dash_clientside.no_update;

  function mapDiv() {
    const el = document.getElementById("map");
    return el ? el.querySelector(".js-plotly-plot") : null;
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const DAY_MS = 86400000;
  const POINT_FIELDS = [
    "day_start", "day_end", "trace", "lat", "lon", "size", "halo", "unknown", "municipality", "north",
  ];
  const NO_MUNICIPALITY = 65535;
  let decoded = { source: null }; // the last scrub-points store, decoded once per store

  /* A Plotly typed-array spec {dtype, bdata} as a JS typed array. */
  function decode(spec) {
    const binary = atob(spec.bdata);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const Type = { f4: Float32Array, u1: Uint8Array, u2: Uint16Array, i4: Int32Array }[spec.dtype];
    return new Type(bytes.buffer);
  }

  function pointsOf(store) {
    if (decoded.source !== store) {
      decoded = { source: store };
      POINT_FIELDS.forEach((key) => (decoded[key] = decode(store[key])));
    }
    return decoded;
  }

  function dayTime(firstDay, offset) {
    const [y, m, d] = firstDay.split("-").map(Number);
    return Date.UTC(y, m - 1, d) + offset * DAY_MS;
  }

  /* '17 Feb 2008', as the server writes it. */
  function dayLabel(firstDay, offset) {
    const date = new Date(dayTime(firstDay, offset));
    return date.getUTCDate() + " " + MONTHS[date.getUTCMonth()] + " " + date.getUTCFullYear();
  }

  /* The view sentence for the incidents at `rows` in days low..high, as legend.view_summary writes
     it: written with the label and the count, so the three never show two windows. */
  function viewSummary(store, points, rows, low, high) {
    if (!rows.length) return "No incidents match the filters.";
    const first = new Date(dayTime(store.first_day, low));
    const last = new Date(dayTime(store.first_day, high));
    let span = dayLabel(store.first_day, low) + " – " + dayLabel(store.first_day, high);
    if (low === high) span = dayLabel(store.first_day, low);
    else if (first.getUTCFullYear() === last.getUTCFullYear()) {
      span = first.getUTCDate() + " " + MONTHS[first.getUTCMonth()] + " – " + dayLabel(store.first_day, high);
    }
    const n = rows.length;
    let text = n.toLocaleString("en-US") + " incident" + (n !== 1 ? "s" : "") + ", " + span;
    if (store.has_north) {
      const north = rows.reduce((sum, i) => sum + points.north[i], 0);
      text += ", " + north.toLocaleString("en-US") + " in North Kosovo";
    }
    return text;
  }

  /* The incidents trace for the incidents at `rows`, packed as figures.packed_marks packs
     figures.marker_layers: halos, the selection ring (kept as drawn), the markers by event
     type, the unknown-casualties marks; each point's colour is its layer's index. */
  function markerTraces(data, store, points, rows) {
    const index = store.trace_index.incidents;
    const trace = data[index];
    const detailed = rows.length <= store.detail_limit;
    const text = detailed && store.text ? store.text : null;
    const layer = (name) => store.mark_layers.indexOf(name);
    const lat = [], lon = [], size = [], colour = [], hover = [];
    const add = (subset, code, sizeOf) => {
      subset.forEach((i) => {
        lat.push(points.lat[i]);
        lon.push(points.lon[i]);
        size.push(sizeOf(i));
        colour.push(code);
        hover.push(text ? text[i] : null);
      });
    };
    add(detailed ? rows.filter((i) => points.halo[i] > 0) : [], layer("approximate"), (i) => points.halo[i]);
    // The selection ring stays as the server drew it (the selected incident may lie outside the rows).
    const gd = mapDiv();
    const drawn = ((gd && gd._fullData) || [])[index] || {}; // decoded arrays, as drawn
    const marker = drawn.marker || {};
    const old = { lat: drawn.lat || [], lon: drawn.lon || [], size: marker.size || [],
                  colour: marker.color || [], text: drawn.text || [] };
    const ring = layer("selected");
    for (let k = 0; k < old.colour.length; k++) {
      if (old.colour[k] !== ring) continue;
      lat.push(old.lat[k]);
      lon.push(old.lon[k]);
      size.push(old.size[k]);
      colour.push(ring);
      hover.push(text ? old.text[k] : null);
    }
    store.event_traces.forEach((name, code) => {
      add(rows.filter((i) => points.trace[i] === code), layer(name), (i) => points.size[i]);
    });
    add(detailed ? rows.filter((i) => points.unknown[i]) : [], layer("unknown_casualties"), () => store.unknown_size);
    data[index] = Object.assign({}, trace, {
      lat: lat,
      lon: lon,
      text: text ? hover : null,
      marker: Object.assign({}, trace.marker, { size: size, color: colour }),
    });
  }

  /* The count badges, as figures.badges computes them: spots holding two or more incidents. */
  function badges(store, points, rows) {
    const cell = store.spot_degrees;
    const spots = new Map();
    rows.forEach((i) => {
      const key = Math.floor(points.lat[i] / cell) + "," + Math.floor(points.lon[i] / cell);
      const spot = spots.get(key);
      if (spot) spot.n += 1;
      else spots.set(key, { i: i, n: 1 });
    });
    const crowded = Array.from(spots.values()).filter((spot) => spot.n > 1);
    return {
      lon: crowded.map((spot) => points.lon[spot.i]),
      lat: crowded.map((spot) => points.lat[spot.i]),
      count: crowded.map((spot) => spot.n),
    };
  }

  /* A server answer for a window the slider has already left is not drawn: keys pressed
     faster than the server answers would otherwise see the map step back to the previous
     window over the newer preview. The newer window's own answer follows (every change of the
     value asks the server). */
  let committedWindow = null;
  let previewSteps = 0; // previews started: a slow one resolving late writes nothing
  let requestOut = false; // a preview's view request is on its way, until its answer
  let previewText = null; // the window, label and count the last preview wrote, by component id
  let answerWaiters = [];
  const answered = () => (requestOut ? new Promise((resolve) => answerWaiters.push(resolve)) : Promise.resolve());
  function noteAnswer() {
    requestOut = false;
    answerWaiters.splice(0).forEach((resolve) => resolve());
  }
  function skipStaleAnswers(Plotly) {
    if (Plotly.unrestStaleGuard) return;
    const react = Plotly.react;
    Plotly.react = function (gd, ...args) {
      // Dash's Graph passes one figure {data, layout, config}; a caller may pass data, layout.
      const layout = Array.isArray(args[0]) ? args[1] : args[0] && args[0].layout;
      // The server tags its map with its window; a preview's layout is marked previewed.
      const meta = (layout && layout.meta) || {};
      const tagged = !meta.previewed && meta.window;
      const stale =
        gd === mapDiv() && tagged && committedWindow &&
        (tagged[0] !== committedWindow[0] || tagged[1] !== committedWindow[1]);
      if (gd === mapDiv() && tagged) noteAnswer();
      if (!stale) return react.call(this, gd, ...args);
      // The same answer set the window, label and count for its window: the preview's come back.
      if (previewText) setTimeout(() => previewText.forEach((props, id) => window.dash_clientside.set_props(id, props)));
      return Promise.resolve(gd);
    };
    Plotly.unrestStaleGuard = true;
  }
  window.unrestWhenPlotly(skipStaleAnswers); // dashboard/plotlyjs.py: as plotly.js is assigned

  /* The histogram's shaded window over days low..high, as dashboard/timeaxis.py window_style
     places it: a box behind the plot area (moving a Plotly shape recomputes the whole figure). */
  function windowStyle(dayCount, low, high) {
    if (dayCount <= 1) return { left: "0.000%", width: "100.000%" };
    const clamp = (x) => Math.min(Math.max(x, 0), 1);
    const left = clamp((low - 0.5) / (dayCount - 1));
    const right = clamp((high + 0.5) / (dayCount - 1));
    return { left: (left * 100).toFixed(3) + "%", width: (Math.max(right - left, 0) * 100).toFixed(3) + "%" };
  }

  /* A copy of the map's layout with the camera the app gave it, not the one the framing or the
     user moved it to. Plotly keeps a moved camera across updates (uirevision) only while each
     update brings the app's own camera: gd.layout holds the moved one, and handing that back
     made Plotly forget the move, so the server's next answer put its default camera back (the
     first slider step after a load zoomed the framed country in to 8.2). */
  function appLayout(gd) {
    const layout = Object.assign({}, gd.layout);
    // Plotly's record of the values before the move: {"map.center.lat": 42.86, "map.zoom": 8.2, ...}
    // (null where the app gave none).
    const before = (gd._fullLayout && gd._fullLayout._preGUI) || {};
    const keys = Object.keys(before).filter((key) => key.startsWith("map."));
    if (!keys.length) return layout;
    layout.map = Object.assign({}, gd.layout.map, { center: Object.assign({}, (gd.layout.map || {}).center) });
    keys.forEach((key) => {
      const path = key.split(".").slice(1);
      const holder = path.length === 2 ? layout.map[path[0]] : layout.map;
      const name = path[path.length - 1];
      if (before[key] === null || before[key] === undefined) delete holder[name];
      else holder[name] = before[key];
    });
    return layout;
  }

  /* Municipality counts at `rows`: always for the hover, as the shading when the toggle is on. */
  function shadeByCount(data, store, points, rows, shade) {
    const index = store.trace_index.municipalities;
    const choropleth = data[index];
    const count = (choropleth.locations || []).length;
    if (!count) return;
    const z = new Array(count).fill(0);
    rows.forEach((i) => {
      const m = points.municipality[i];
      if (m !== NO_MUNICIPALITY && m < count) z[m] += 1;
    });
    data[index] = Object.assign(
      {},
      choropleth,
      { customdata: z.slice() },
      shade ? { z: z, zmin: 0, zmax: Math.max(1, ...z) } : {}
    );
  }

  window.unrestMap = {
    /* A step of the date slider: a drag, or a key press on a handle. With the points in the
       browser (scrub.py) the map, count, label, view sentence and histogram window follow here at
       once, with no server round trip; the value commits (on release, or at once for a key) and the
       server answers as for any change, confirming the preview. Without them, a drag step is
       sent to the server as a value.

       A key press commits at once: its preview resolves once the map has drawn it and the
       previous key's request has its answer, and only then writes map-previewed, which the
       server's view update takes as an input: Dash sends that request after the map is on
       screen, and one at a time, so no answer lands over a newer window (keys pressed faster
       than the server answers skip to the latest window). */
    scrub: function (dragValue, value, store, shade) {
      const none = [noUpdate(), noUpdate(), noUpdate(), noUpdate()];
      committedWindow = value;
      const triggered = window.dash_clientside.callback_context.triggered.map((t) => t.prop_id);
      if (!triggered.includes("date-range.drag_value")) {
        // The value alone: from a key on a handle (it has the focus) it is previewed like a drag
        // step; from Play, the URL or a reset (other filters may change with it) it is not.
        const focus = document.activeElement;
        if (!(focus && focus.closest && focus.closest("#date-range"))) return none;
        dragValue = value;
      }
      if (!dragValue || dragValue.length !== 2) return none;
      const committed = value && value[0] === dragValue[0] && value[1] === dragValue[1];
      if (!store) {
        if (committed) return none;
        committedWindow = dragValue; // sent as the value (Dash does not call this again for it)
        return [dragValue, noUpdate(), noUpdate(), noUpdate()];
      }
      const [low, high] = dragValue;
      const gd = mapDiv();
      // Drawn already: the release of a drag whose last step this preview drew, or the server's map.
      const meta = (gd && gd.layout && gd.layout.meta) || {};
      const shown = meta.previewed || meta.window;
      if (committed && shown && shown[0] === low && shown[1] === high) return none;
      const points = pointsOf(store);
      const rows = [];
      for (let i = 0; i < store.count; i++) {
        if (points.day_end[i] >= low && points.day_start[i] <= high) rows.push(i);
      }
      let drawn = Promise.resolve();
      if (gd && gd.data && window.Plotly) {
        const data = gd.data.slice();
        markerTraces(data, store, points, rows);
        shadeByCount(data, store, points, rows, Boolean(shade && shade.length));
        const detailed = rows.length <= store.detail_limit;
        const previewMeta = Object.assign({}, meta, {
          badges: badges(store, points, detailed ? rows : []),
          previewed: [low, high],
        });
        drawn = window.Plotly.react(gd, data, Object.assign(appLayout(gd), { meta: previewMeta }));
      }
      const count = [
        { type: "B", namespace: "dash_html_components", props: { children: rows.length.toLocaleString("en-US") } },
        " of " + store.total.toLocaleString("en-US") + " incidents in view",
      ];
      const label = dayLabel(store.first_day, low) + " – " + dayLabel(store.first_day, high);
      const shaded = { style: windowStyle(store.day_count, low, high) };
      const summary = viewSummary(store, points, rows, low, high);
      if (!committed) {
        window.dash_clientside.set_props("timeline-window", shaded);
        window.dash_clientside.set_props("view-summary", { children: summary });
        return [noUpdate(), label, count, noUpdate()];
      }
      const step = ++previewSteps;
      const later = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      // The map first: the histogram's window, the label and the count follow it on screen.
      const show = () => {
        if (step !== previewSteps) return; // a newer step has drawn (or is drawing) its own
        previewText = new Map([
          ["timeline-window", shaded],
          ["date-range-label", { children: label }],
          ["incident-count", { children: count }],
          ["view-summary", { children: summary }],
        ]);
        previewText.forEach((props, id) => window.dash_clientside.set_props(id, props));
      };
      // Then the request, one at a time: answers arrive in order, none over a newer window's.
      return Promise.race([Promise.resolve(drawn), later(PREVIEW_WAIT_MS)])
        .then(show, show)
        .then(() => Promise.race([answered(), later(ANSWER_WAIT_MS)]))
        .then(() => {
          if (step !== previewSteps) return none;
          requestOut = true;
          return [noUpdate(), noUpdate(), noUpdate(), [low, high]];
        });
    },


    /* Play button and speed choice -> timer on/off, button label, interval, and where to start.
       From the full period Play starts a 7-day window (or, cumulative, the first day) at the
       first day; at the end it starts again from the beginning. */
    togglePlay: function (nClicks, speed, disabled, value, max, mode) {
      const triggered = window.dash_clientside.callback_context.triggered.map((t) => t.prop_id);
      const interval = Math.round(1000 / (SPEEDS[speed] || SPEEDS.Normal));
      if (triggered.includes("play-speed.value")) {
        return [noUpdate(), noUpdate(), interval, noUpdate()];
      }
      if (!disabled) return [true, "▶ Play", interval, noUpdate()]; // playing: pause
      let [low, high] = value || [0, max];
      let start = noUpdate();
      const cumulative = mode === "cumulative";
      if (low === 0 && high >= max) {
        start = cumulative ? [0, 0] : [0, Math.min(PLAY_WINDOW_DAYS - 1, max)];
      } else if (high >= max) {
        start = cumulative ? [0, 0] : [0, high - low];
      }
      return [false, "❚❚ Pause", interval, start];
    },

    /* One tick: move the window one day (moving window) or grow it (cumulative), but only once
       the map has drawn the current window (the server tags its map update with it, and
       MapLibre has finished): every day is shown, none skipped, and the map never runs ahead
       of or behind the count, the facets and the table. A slow machine plays slower. */
    playStep: function (nIntervals, value, max, mode) {
      let [low, high] = value || [0, max];
      if (high >= max) {
        return [noUpdate(), true, "▶ Play"];
      }
      const gd = mapDiv();
      const drawn = gd && gd.layout && gd.layout.meta && gd.layout.meta.window;
      const subplot = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      const busy = subplot && subplot.map && !subplot.map.loaded();
      if (!drawn || drawn[0] !== low || drawn[1] !== high || busy) {
        return [noUpdate(), noUpdate(), noUpdate()];
      }
      if (mode === "cumulative") {
        high = high + 1;
      } else {
        low = low + 1;
        high = high + 1;
      }
      return [[low, high], noUpdate(), noUpdate()];
    },

    /* Keep the address bar equal to the view (filters from the server, camera from the map).
       replaceState: no reload, no history entry per slider step. */
    writeUrl: function (query, relayout) {
      // The dataset (an upload's content hash) stays first in the URL: the view is of that data.
      const data = new URLSearchParams(window.location.search).get("data");
      const params = new URLSearchParams(data ? [["data", data]] : []);
      new URLSearchParams(query || "").forEach(function (value, key) {
        if (key !== "data") params.append(key, value);
      });
      // Only a camera the user chose: the automatic framing depends on the window's size.
      const camera = window.unrestMap.cameraParams ? window.unrestMap.cameraParams() : null;
      if (camera) {
        params.set("lat", camera.lat);
        params.set("lon", camera.lon);
        params.set("zoom", camera.zoom);
      }
      const search = params.toString();
      const url = window.location.pathname + (search ? "?" + search : "");
      if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(null, "", url);
      }
      return search;
    },
  };

  /* Buttons that name an incident (the header's "outside the map" note, "Also at or near" in
     the details) select it: one store update, no server callback for the buttons themselves. */
  document.addEventListener("click", function (event) {
    const link = event.target && event.target.closest && event.target.closest("[data-incident]");
    if (link && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("selected-id", { data: link.getAttribute("data-incident") });
    }
  });

  /* Arrow keys step through incidents, unless the user is typing or on a slider. */
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const typing = target && (target.closest("input, textarea, select, [role=slider], .dash-dropdown, .dash-spreadsheet"));
    if (typing) return;
    const id = event.key === "ArrowLeft" ? "prev-button" : event.key === "ArrowRight" ? "next-button" : null;
    const button = id && document.getElementById(id);
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();

/* Export panel: show/hide, and the request the server renders (view as URL query + map size). */
(function () {
  "use strict";
  window.unrestMap.toggleExportPanel = function (nClicks, className) {
    return className.includes("hidden") ? "export-panel" : "export-panel hidden";
  };
  window.unrestMap.exportRequest = function (nClicks) {
    const map = document.getElementById("map");
    const box = map ? map.getBoundingClientRect() : { width: 1200, height: 900 };
    // The camera on screen as the user left it, also when it is the automatic framing (which the URL
    // leaves out) or a fit after the URL's camera: the export's framing "As on screen" follows it.
    const params = new URLSearchParams(window.location.search);
    const gd = map && map.querySelector(".js-plotly-plot");
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    if (sub && sub.map) {
      const center = sub.map.getCenter();
      params.set("lat", center.lat.toFixed(4));
      params.set("lon", center.lng.toFixed(4));
      params.set("zoom", sub.map.getZoom().toFixed(2));
    }
    return {
      n: nClicks,
      query: params.toString(),
      screen: [Math.round(box.width), Math.round(box.height)],
    };
  };
})();
