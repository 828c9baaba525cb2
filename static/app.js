// Progressive enhancement only: every page works without this file.
// "Use my location" asks the browser for coordinates and submits them as
// lat/lon; the server resolves them offline against district boundaries.
(function () {
  "use strict";
  var btn = document.getElementById("locate");
  if (!btn || !("geolocation" in navigator)) { return; }
  var status = document.getElementById("locate-status");
  btn.hidden = false;
  btn.addEventListener("click", function () {
    status.textContent = btn.getAttribute("data-locating");
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lang = document.documentElement.getAttribute("lang") || "en";
      var lat = pos.coords.latitude.toFixed(5), lon = pos.coords.longitude.toFixed(5);
      window.location.href = "/?lang=" + encodeURIComponent(lang) + "&lat=" + lat + "&lon=" + lon;
    }, function () {
      status.textContent = btn.getAttribute("data-failed");
      btn.disabled = false;
    }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 });
  });
})();

// Campaign form: inline validation as fields lose focus, and "use my
// location" to pick the congressional district of a split ZIP code. The
// server checks everything again; this only helps people fix things early.
(function () {
  "use strict";
  var form = document.querySelector("form[data-validate]");
  if (!form) { return; }
  var msgs = form.dataset;
  function errorFor(input) {
    var id = input.id + "-error";
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("p");
      el.className = "error";
      el.id = id;
      el.setAttribute("aria-live", "polite");
      input.parentNode.insertBefore(el, input);
      var d = input.getAttribute("aria-describedby") || "";
      if (d.indexOf(id) < 0) { input.setAttribute("aria-describedby", (d + " " + id).trim()); }
    }
    return el;
  }
  function check(input) {
    var v = input.value.trim(), msg = "";
    if (input.required && v === "") { msg = msgs.msgRequired; }
    else if (input.type === "email" && v !== "" && !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(v)) { msg = msgs.msgEmail; }
    else if (input.name === "zip" && v !== "" && !/^\d{5}(-?\d{4})?$/.test(v)) { msg = msgs.msgZip; }
    else if (input.name === "phone" && v !== "" && v.replace(/\D/g, "").replace(/^1(\d{10})$/, "$1").length !== 10) { msg = msgs.msgPhone; }
    var el = errorFor(input);
    el.textContent = msg;
    if (msg) { input.setAttribute("aria-invalid", "true"); } else if (!el.dataset.server) { input.removeAttribute("aria-invalid"); }
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[required], input[type=email], input[name=zip], input[name=phone]"), function (input) {
    input.addEventListener("blur", function () { check(input); });
  });

  var btn = document.getElementById("act-locate");
  if (!btn || !("geolocation" in navigator) || !window.fetch) { return; }
  var status = document.getElementById("act-locate-status");
  btn.hidden = false;
  btn.addEventListener("click", function () {
    status.textContent = btn.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      fetch("/api/v1/representatives?lat=" + pos.coords.latitude.toFixed(5) + "&lon=" + pos.coords.longitude.toFixed(5))
        .then(function (r) { return r.ok ? r.json() : Promise.reject(); })
        .then(function (a) {
          if (!a.districts || a.districts.length !== 1) { return Promise.reject(); }
          var d = a.districts[0];
          form.querySelector("[name=state]").value = d.state;
          form.querySelector("[name=district]").value = d.state + "-" + d.district;
          status.textContent = btn.dataset.found.replace("%s", d.state + "-" + d.district);
        })
        .catch(function () { status.textContent = btn.dataset.failed; });
    }, function () { status.textContent = btn.dataset.failed; }, { timeout: 10000, maximumAge: 600000 });
  });
})();

// A page that answers a form (the review, or the form with its error
// summary) moves the focus, and the screen, to what changed: on a phone
// it is far below the top. The markup's autofocus does the same without
// this file where browsers honour it on headings (not in a cross-origin
// iframe: there the page leaves autofocus out and only this moves focus).
(function () {
  "use strict";
  var target = document.querySelector("[data-focus]");
  if (target && document.activeElement !== target) { target.focus(); }
  if (target && target.scrollIntoView) { target.scrollIntoView({ block: "start" }); }
})();

// Schedule form: show only the fields of the chosen "Repeat" (all of them
// show without this script, and the server ignores the others).
(function () {
  "use strict";
  var sel = document.querySelector("select[data-repeat-choice]");
  if (!sel) { return; }
  var parts = sel.form.querySelectorAll("[data-repeat]");
  function show() {
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = parts[i].getAttribute("data-repeat").split(" ").indexOf(sel.value) < 0;
    }
  }
  sel.addEventListener("change", show);
  show();
})();

// Copy buttons: a button with data-copy="ID" copies the value of the field
// ID (the share link on the thank-you page, the embed snippet in the
// campaign editor), says data-copied in the element data-copy-status names,
// and selects the field when the clipboard refuses. Without JavaScript, or
// without clipboard access, the field stays read-only to select and copy;
// the button shows only when it works.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  var btns = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < btns.length; i++) {
    (function (btn) {
      var field = document.getElementById(btn.getAttribute("data-copy"));
      if (!field) { return; }
      var status = document.getElementById(btn.getAttribute("data-copy-status"));
      btn.hidden = false;
      btn.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          if (status) { status.textContent = btn.getAttribute("data-copied"); }
        }, function () {
          field.select();
        });
      });
      field.addEventListener("focus", function () { field.select(); });
    })(btns[i]);
  }
})();
