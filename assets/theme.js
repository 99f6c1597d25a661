/* unrest-map: the filter drawer on small screens, labels for controls whose markup Dash
   renders (Dash 4 components take no aria props), keyboard access to the table, and the details
   of a tapped marker brought into view where they sit under the map. */
(function () {
  "use strict";

  function setDrawer(open) {
    document.body.classList.toggle("drawer-open", open);
    const opener = document.getElementById("filters-open");
    if (opener) opener.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      const first = document.querySelector("#filters input") || document.querySelector("#filters button");
      if (first) first.focus();
    } else if (opener && opener.offsetParent !== null) {
      opener.focus();
    }
  }

  document.addEventListener("click", function (event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("#filters-open")) setDrawer(true);
    else if (target.closest("#filters-close")) setDrawer(false);
    else if (document.body.classList.contains("drawer-open") && !target.closest("#filters")) setDrawer(false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("drawer-open")) setDrawer(false);
  });

  function label(element, text) {
    if (element && !element.getAttribute("aria-label")) element.setAttribute("aria-label", text);
  }

  /* Name every control by what it sets; idempotent, run after each render. */
  function labelControls() {
    /* Dash 4 dropdowns are a button named by their value: prefix the control's name. */
    [
      ["play-speed", "play-speed-label"],
      ["filter-municipality", "municipality-label"],
    ].forEach(function (pair) {
      const button = document.getElementById(pair[0]);
      const named = button && button.getAttribute("aria-labelledby");
      if (named && !named.startsWith(pair[1])) button.setAttribute("aria-labelledby", pair[1] + " " + named);
    });
    /* Dash 4 marks checklists and radio items up as a listbox of options holding real inputs
       (nested controls, no name): make them a named group of labelled inputs instead. */
    document.querySelectorAll(".dash-checklist, .dash-radioitems").forEach(function (list) {
      if (list.getAttribute("role") === "listbox") {
        list.setAttribute("role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
      }
      if (!list.getAttribute("aria-label") && !list.getAttribute("aria-labelledby")) {
        const heading = list.previousElementSibling;
        if (list.id === "play-mode") list.setAttribute("aria-labelledby", "play-mode-label");
        else if (list.id && document.getElementById(list.id + "-label")) {
          list.setAttribute("aria-labelledby", list.id + "-label"); // e.g. the place-name language
        }
        else if (heading && heading.tagName === "H3") list.setAttribute("aria-label", heading.textContent);
        else list.setAttribute("aria-label", list.textContent.trim());
      }
    });
    document.querySelectorAll(".dash-options-list-option[role=option]").forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
    /* Dash 4 dropdowns take Tab focus on a hidden input: give it to the (named) button instead. */
    document.querySelectorAll(".dash-dropdown-focus-target[aria-hidden=true]").forEach(function (input) {
      if (input.getAttribute("tabindex") !== "-1") input.setAttribute("tabindex", "-1");
    });
    document.querySelectorAll("button.dash-dropdown[tabindex='-1']").forEach(function (button) {
      button.setAttribute("tabindex", "0");
    });
    const handles = document.querySelectorAll("#date-range [role=slider]");
    if (handles.length === 2) {
      label(handles[0], "First day shown");
      label(handles[1], "Last day shown");
    }
    const map = document.getElementById("map");
    if (map && !map.getAttribute("role")) {
      map.setAttribute("role", "region");
      map.setAttribute("aria-label", "Map of incidents (summary above, list in the table below)");
      map.setAttribute("aria-describedby", "view-summary");
    }
    const timeline = document.getElementById("timeline");
    if (timeline && !timeline.getAttribute("role")) {
      timeline.setAttribute("role", "img");
      timeline.setAttribute("aria-label", "Incidents per day; drag across it to choose dates");
    }
    /* The table: reachable by Tab; Enter or the arrow keys start at the first row. */
    const grid = document.querySelector("#incident-table .dash-spreadsheet-container");
    if (grid && grid.getAttribute("tabindex") === null) {
      grid.setAttribute("tabindex", "0");
      grid.setAttribute("aria-label", "Incidents in view: press Enter to select the first row, arrows to move");
    }
    document.querySelectorAll("#incident-table .column-header--sort").forEach(function (sort) {
      if (sort.getAttribute("tabindex") === null) {
        sort.setAttribute("tabindex", "0");
        sort.setAttribute("role", "button");
        const name = sort.closest("th") ? sort.closest("th").textContent.trim() : "column";
        sort.setAttribute("aria-label", "Sort by " + name);
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (target.classList.contains("column-header--sort") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      target.click();
      return;
    }
    if (target.matches("#incident-table .dash-spreadsheet-container") && ["Enter", "ArrowDown"].includes(event.key)) {
      const cell = target.querySelector("td.dash-cell");
      if (cell) {
        event.preventDefault();
        cell.click();
      }
    }
  });

  /* A tap on a marker (or a municipality) opens its details; where they sit under the map (a phone,
     a narrow window) they opened off screen: bring them into view once they have changed. */
  const DETAILS = ["incident-details", "municipality-details"];
  let asked = null; // the details' texts when the map was tapped, until they change
  function watchMapTaps() {
    const gd = document.querySelector("#map .js-plotly-plot");
    if (!gd || !gd.on || gd.unrestDetailsInView) return;
    gd.unrestDetailsInView = true;
    gd.on("plotly_click", function () {
      asked = { at: Date.now(), texts: DETAILS.map((id) => (document.getElementById(id) || {}).textContent) };
    });
  }
  function detailsIntoView() {
    if (!asked) return;
    if (Date.now() - asked.at > 10000) {
      asked = null; // no answer came (a tap that selected nothing new)
      return;
    }
    const changed = DETAILS.map((id) => document.getElementById(id)).find(
      (panel, i) => panel && panel.textContent && panel.textContent !== asked.texts[i]
    );
    if (!changed) return;
    asked = null;
    const top = changed.getBoundingClientRect().top;
    // The column's head comes with them: its Previous / Next step through the incidents.
    const column = changed.closest(".details-column") || changed;
    if (top < 0 || top > window.innerHeight * 0.8) column.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  let pending = false;
  const observer = new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      labelControls();
      watchMapTaps();
      detailsIntoView();
    });
  });
  function start() {
    observer.observe(document.body, { childList: true, subtree: true });
    labelControls();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
