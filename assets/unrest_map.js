/* Clientside parts of unrest-map: play/pause, the URL bar, keyboard shortcuts.
   They run in the browser so a play tick or a map pan costs no server round trip. */
(function () {
  "use strict";
  const SPEEDS = { Slow: 1200, Normal: 600, Fast: 250 };
  const noUpdate = () => window.dash_clientside.no_update;

  function mapDiv() {
    const el = document.getElementById("map");
    return el ? el.querySelector(".js-plotly-plot") : null;
  }

  window.unrestMap = {
    /* Play button and speed choice -> timer on/off, button label, interval. */
    togglePlay: function (nClicks, speed, disabled) {
      const triggered = window.dash_clientside.callback_context.triggered.map((t) => t.prop_id);
      const interval = SPEEDS[speed] || SPEEDS.Normal;
      if (triggered.includes("play-speed.value")) {
        return [noUpdate(), noUpdate(), interval];
      }
      const playing = disabled; // it was stopped, so now it plays
      return [!playing, playing ? "❚❚ Pause" : "▶ Play", interval];
    },

    /* One tick: move the window one day (moving window) or grow it (cumulative). */
    playStep: function (nIntervals, value, max, mode) {
      let [low, high] = value || [0, max];
      if (high >= max) {
        return [noUpdate(), true, "▶ Play"];
      }
      if (mode === "cumulative") {
        high = high + 1;
      } else {
        low = low + 1;
        high = high + 1;
      }
      const done = high >= max;
      return [[low, high], done, done ? "▶ Play" : "❚❚ Pause"];
    },

    /* Keep the address bar equal to the view (filters from the server, camera from the map).
       replaceState: no reload, no history entry per slider step. */
    writeUrl: function (query, relayout) {
      const params = new URLSearchParams(query || "");
      const gd = mapDiv();
      const camera = gd && gd._fullLayout && gd._fullLayout.map;
      if (camera && camera.center) {
        params.set("lat", Number(camera.center.lat).toFixed(4));
        params.set("lon", Number(camera.center.lon).toFixed(4));
        params.set("zoom", Number(camera.zoom).toFixed(2));
      }
      const search = params.toString();
      const url = window.location.pathname + (search ? "?" + search : "");
      if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(null, "", url);
      }
      return search;
    },
  };

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
    return {
      n: nClicks,
      query: window.location.search.replace(/^\?/, ""),
      screen: [Math.round(box.width), Math.round(box.height)],
    };
  };
})();
