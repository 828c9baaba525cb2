// Inside the iframe of an embedded action form (/c/SLUG/embed): tells the
// page around it how tall this page is, so that its embed.js sizes the
// iframe. It posts only to the origins the campaign allows (the body's
// data-embed-origins); postMessage with a target origin delivers nothing
// to a parent of any other origin.
(function () {
  "use strict";
  if (window.parent === window || !window.postMessage) { return; }
  var allowed = (document.body.getAttribute("data-embed-origins") || "").split(" ").filter(Boolean);
  var anc = location.ancestorOrigins && location.ancestorOrigins.length ? location.ancestorOrigins[0] : "";
  if (anc) { allowed = allowed.filter(function (o) { return o === anc; }); }
  if (!allowed.length) { return; }
  var last = -1;

  function send(loaded) {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === last && !loaded) { return; }
    last = h;
    allowed.forEach(function (o) {
      window.parent.postMessage({ type: "outreach-embed:height", height: h, loaded: !!loaded }, o);
    });
  }
  send(true);
  window.addEventListener("load", function () { send(false); });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { send(false); }).observe(document.body);
  } else {
    window.addEventListener("resize", function () { send(false); });
  }
  document.addEventListener("toggle", function () { send(false); }, true);
})();
