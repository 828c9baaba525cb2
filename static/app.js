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
