/* Upload a CSV/XLSX: a file input (added to the panel's slot) and the panel as a drop zone.
 * The file goes to POST /upload as multipart; the answer names the dataset's hash and the page
 * opens ?data=<hash>. Refusals are shown as text (never markup): a file name or a cell may hold
 * anything. See dashboard/upload.py. */
(function () {
  "use strict";

  function slot() {
    return document.getElementById("upload-input-slot");
  }

  function show(message, problems) {
    const place = slot();
    const status = place && place.querySelector(".upload-status");
    if (!status) return;
    status.textContent = message || "";
    const list = place.querySelector(".upload-problems");
    list.replaceChildren();
    (problems || []).forEach(function (text) {
      const item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    status.classList.toggle("error", Boolean(problems) || /limit|not|no |could|fail/i.test(message || ""));
  }

  function send(file) {
    const place = slot();
    const limit = Number(place && place.dataset.maxBytes);
    if (limit && file.size > limit) {
      show(file.name + ": larger than the limit of " + Math.round(limit / 1048576) + " MB");
      return;
    }
    const form = new FormData();
    form.append("file", file, file.name);
    show("Reading " + file.name + " (geocoding and joining)…");
    fetch("/upload", { method: "POST", body: form, credentials: "same-origin" })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { error: "the server answered " + response.status };
          })
          .then(function (body) {
            if (response.ok && body.url) {
              window.location.assign(body.url);
            } else {
              show(body.error || "upload refused (" + response.status + ")", body.problems);
            }
          });
      })
      .catch(function (error) {
        show("Upload failed: " + error);
      });
  }

  function ensureInput() {
    const place = slot();
    if (!place || place.querySelector("input[type=file]")) return;
    const label = document.createElement("label");
    label.className = "upload-pick";
    label.textContent = "choose a file";
    const input = document.createElement("input");
    input.type = "file";
    input.id = "upload-file";
    input.accept = ".csv,.xlsx,.xlsm,text/csv";
    input.className = "upload-file";
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) send(input.files[0]);
    });
    label.appendChild(input);
    const status = document.createElement("p");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const problems = document.createElement("ul");
    problems.className = "upload-problems";
    place.append(label, status, problems);
  }

  new MutationObserver(ensureInput).observe(document.documentElement, { childList: true, subtree: true });

  function dropZone(event) {
    return event.target && event.target.closest && event.target.closest("#upload-drop");
  }
  document.addEventListener("dragover", function (event) {
    const zone = dropZone(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", function (event) {
    const zone = dropZone(event);
    if (zone) zone.classList.remove("over");
  });
  document.addEventListener("drop", function (event) {
    const zone = dropZone(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files[0];
    if (file) send(file);
  });
})();
