/* Map data not sent twice. Plotly sets every map trace's GeoJSON again on each update, changed
   or not, and MapLibre cuts each one into tiles again in its one worker before the map may
   draw. For the 38 municipal polygons (6,400 vertices) that was most of a slider step, though
   on a step they do not change: the counts reach the hover through the trace's customdata,
   which Plotly keeps in the page, not in the GeoJSON. So a small collection equal to the one
   this source was last given is not given again. Large ones (the incidents at thousands of
   points) change on a step anyway, and comparing them would cost more than it saves. */
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

  function attach(tries) {
    const gd = document.querySelector("#map .js-plotly-plot");
    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    const map = sub && sub.map;
    const style = map && map.getStyle && map.getStyle();
    const ids = style ? Object.keys(style.sources || {}) : [];
    const source = ids.map((id) => map.getSource(id)).find((s) => s && s.type === "geojson");
    if (source) guard(source);
    else if ((tries || 0) < 600) setTimeout(() => attach((tries || 0) + 1), 50);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attach(0));
  else attach(0);
})();
