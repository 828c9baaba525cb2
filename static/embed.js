// Included by an organization's page that shows a campaign's action form
// in an iframe (the snippet in the campaign editor):
//   <iframe src="https://ORIGIN/c/SLUG/embed" data-outreach-embed ...></iframe>
//   <script src="https://ORIGIN/static/embed.js" async></script>
// It sizes each such iframe to its content. Messages are taken only from
// the origin this script came from, and only from one of the iframes that
// show a page of that origin; the page inside posts only to the origins
// the campaign allows (embed-frame.js). No framework, no cookies.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.URL) { return; }
  var origin = new URL(me.src, location.href).origin;
  var pages = typeof WeakMap === "function" ? new WeakMap() : null;

  function ours(frame) {
    try { return new URL(frame.src, location.href).origin === origin; } catch (e) { return false; }
  }

  window.addEventListener("message", function (ev) {
    if (ev.origin !== origin) { return; }
    var d = ev.data;
    if (!d || d.type !== "outreach-embed:height" || typeof d.height !== "number" || !isFinite(d.height)) { return; }
    var frames = document.querySelectorAll("iframe[data-outreach-embed]");
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.contentWindow !== ev.source || !ours(f)) { continue; }
      var h = Math.max(150, Math.min(30000, Math.ceil(d.height)));
      f.style.height = h + "px";
      f.setAttribute("data-outreach-height", String(h));
      if (d.loaded && pages) {
        // A new step opened inside the frame (review, check your email):
        // bring its top into view, as a page of one's own would open.
        var n = (pages.get(f) || 0) + 1;
        pages.set(f, n);
        if (n > 1 && f.getBoundingClientRect().top < 0) { f.scrollIntoView(); }
      }
    }
  });
})();
