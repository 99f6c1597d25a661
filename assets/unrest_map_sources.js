/* Nothing sent to the map twice, and no frame drawn for nothing.

   Data. Plotly sets every map trace's GeoJSON again on each update, changed
   or not, and MapLibre cuts each one into tiles again in its one worker before the map may
   draw. For the 38 municipal polygons (6,400 vertices) that was most of a slider step, though
   on a step they do not change: the counts reach the hover through the trace's customdata,
   which Plotly keeps in the page, not in the GeoJSON. So a small collection equal to the one
   this source was last given is not given again. Large ones (the incidents at thousands of
   points) change on a step anyway, and comparing them would cost more than it saves.

   Camera. Plotly also sets the centre, zoom, bearing and pitch and resizes the map on every
   update. MapLibre takes each as a move and draws a frame, with the old data since the new is
   still in the worker: in software WebGL a frame of this map costs about 80 ms of the page's
   main thread, a third of a slider step. It sets every layer's properties too, each a frame
   asked for. A camera or property call that changes nothing is skipped.

   Frames. The same cost makes a frame drawn while data is still in the worker a waste: it shows
   the previous markers again (on a slider step), or a half-built map (on the first load, one
   frame for the background, the polygons, the markers, the names...). Such frames are not
   drawn, for at most HOLD_MS (3 s), and never while the map moves (a gesture must follow the hand)
   or with a tiled basemap (its tiles may be slow to come): the frame with everything loaded is
   drawn as always. Names appear at once instead of fading in over 300 ms (a frame each). */
(function () {
  "use strict";
  const MAX_COMPARED_FEATURES = 1000;

  /* The collection as text when it is small enough to compare, else null. */
  function fingerprint(data) {
    const small =
      data && typeof data === "object" && Array.isArray(data.features) &&
      data.features.length <= MAX_COMPARED_FEATURES;
    return small ? JSON.stringify(data) : null;
  }

  /* Wrap setData once on the prototype MapLibre's GeoJSON sources share. */
  function guard(source) {
    const proto = Object.getPrototypeOf(source);
    if (!proto || proto.unrestGuarded || typeof proto.setData !== "function") return;
    const setData = proto.setData;
    proto.setData = function (data, ...rest) {
      const text = fingerprint(data);
      // A source Plotly has just added holds its first data (given to addSource, not setData).
      if (this.unrestSent === undefined) {
        this.unrestSent = typeof this.serialize === "function" ? fingerprint(this.serialize().data) : null;
      }
      if (text !== null && text === this.unrestSent) return this;
      this.unrestSent = text;
      return setData.call(this, data, ...rest);
    };
    proto.unrestGuarded = true;
  }

  const SAME = 1e-9;

  /* Camera and layer-property calls that change nothing return at once (no event, no frame). */
  function guardCamera(map) {
    if (map.unrestCameraGuarded) return;
    map.unrestCameraGuarded = true;
    const unchanged = {
      setCenter: (center) => {
        const [lng, lat] = Array.isArray(center) ? center : [center.lng ?? center.lon, center.lat];
        const now = map.getCenter();
        return Math.abs(now.lng - lng) < SAME && Math.abs(now.lat - lat) < SAME;
      },
      setZoom: (zoom) => Math.abs(map.getZoom() - zoom) < SAME,
      setBearing: (bearing) => Math.abs(map.getBearing() - bearing) < SAME,
      setPitch: (pitch) => Math.abs(map.getPitch() - pitch) < SAME,
    };
    // Plotly's update resolves on the next frame drawn with everything loaded: when no new data
    // is on its way (nothing changed), that frame is asked for here, else the data brings it.
    // Checked once Plotly's update has made all its calls (a microtask later): by then new
    // data, if any, is in the worker and the map no longer counts as loaded, and any change
    // has asked for its frame. With neither, the map would draw the very same pixels: the
    // frame Plotly waits for is announced without drawing it.
    let checking = false;
    const skipped = () => {
      if (!checking) {
        checking = true;
        Promise.resolve().then(() => {
          checking = false;
          if (map.loaded() && !map._frameRequest) map.fire("render");
        });
      }
      return map;
    };
    Object.entries(unchanged).forEach(([name, isUnchanged]) => {
      const call = map[name];
      if (typeof call !== "function") return;
      map[name] = function (...args) {
        return args.length === 1 && isUnchanged(args[0]) ? skipped() : call.apply(map, args);
      };
    });
    // Plotly sets every layer's properties on every update; MapLibre asks for a frame on each
    // call, changed or not.
    [
      ["setLayoutProperty", "getLayoutProperty"],
      ["setPaintProperty", "getPaintProperty"],
    ].forEach(([name, getter]) => {
      const call = map[name];
      map[name] = function (id, key, value, ...rest) {
        const now = map.getLayer(id) ? map[getter](id, key) : undefined;
        const same = now !== undefined && JSON.stringify(now) === JSON.stringify(value);
        return same && !rest.length ? skipped() : call.call(map, id, key, value, ...rest);
      };
    });
    // Same size and pixel ratio: nothing to resize (with or without the window's event).
    const resize = map.resize;
    map.resize = function (...args) {
      const box = map.getContainer();
      const canvas = map.getCanvas().style; // MapLibre sizes it to the container in CSS pixels
      const same =
        canvas.width === box.clientWidth + "px" && canvas.height === box.clientHeight + "px" &&
        map.getPixelRatio() === (window.devicePixelRatio || 1);
      return same ? skipped() : resize.apply(map, args);
    };
  }

  function attach(tries) {
    const gd = document.querySelector("#map .js-plotly-plot");
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    const map = sub && sub.map;
    const style = map && map.getStyle && map.getStyle();
    const ids = style ? Object.keys(style.sources || {}) : [];
    const source = ids.map((id) => map.getSource(id)).find((s) => s && s.type === "geojson");
    if (map) guardCamera(map);
    if (source) guard(source);
    else if ((tries || 0) < 600) setTimeout(() => attach((tries || 0) + 1), 50);
  }

  /* Plotly updates a map whose style is still loading as if it were ready, and MapLibre throws
     ("Style is not done loading"): a view the URL restores can arrive that early. Such an update
     waits for the map's load. */
  function holdUntilStyleLoaded(Plotly) {
    if (Plotly.unrestStyleHold) return;
    Plotly.unrestStyleHold = true;
    const react = Plotly.react;
    Plotly.react = function (gd, ...args) {
      const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      const map = sub && sub.map;
      if (!map) {
        // The map is made by this first call (in it, or a step of it later), and draws its first
        // frame on an animation frame after: MapLibre puts its canvas in the page as it is made,
        // and the observer's callback runs before that frame.
        const result = react.call(this, gd, ...args);
        const made = () => {
          const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
          return sub && sub.map;
        };
        if (made()) wholeFrames(made());
        else if (gd instanceof Node && !gd.unrestWatched) {
          // Any plot's first call (the figure may not say yet that it holds a map); a plot
          // without one stops being watched after a few seconds.
          gd.unrestWatched = true;
          const observer = new MutationObserver(() => {
            if (!made()) return;
            observer.disconnect();
            wholeFrames(made());
          });
          observer.observe(gd, { childList: true, subtree: true });
          setTimeout(() => observer.disconnect(), 10000);
        }
        return result;
      }
      if (!map.style || map.style._loaded) return react.call(this, gd, ...args);
      return new Promise((resolve, reject) => {
        map.once("load", () => Promise.resolve(react.call(this, gd, ...args)).then(resolve, reject));
      });
    };
  }
  /* Wrapped as plotly.js is assigned (dashboard/plotlyjs.py), before the map's first Plotly.react
     (polling for it could miss that call, and the map was then made without whole frames). */
  window.unrestWhenPlotly(holdUntilStyleLoaded);

  const HOLD_MS = 3000;

  /* Draw only whole frames (see Frames above). */
  function wholeFrames(map) {
    if (map.unrestWholeFrames || !map.painter || typeof map.painter.render !== "function") return;
    map.unrestWholeFrames = true;
    map._fadeDuration = 0;
    const painter = map.painter;
    const render = painter.render;
    const tiled = () =>
      Object.values((map.style && (map.style.tileManagers || map.style.sourceCaches)) || {}).some(
        (cache) => cache.getSource().type !== "geojson"
      );
    let waitingSince = null; // when the map last stopped counting as loaded
    painter.render = function (...args) {
      if (map.loaded() || map.isMoving() || tiled()) {
        waitingSince = null;
        return render.apply(this, args);
      }
      const now = performance.now();
      if (waitingSince === null) waitingSince = now;
      if (now - waitingSince >= HOLD_MS) return render.apply(this, args);
      return undefined; // the canvas keeps its last frame; the loaded one follows
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attach(0));
  else attach(0);
})();
