// Live preview for the campaign editor. Progressive enhancement only: without
// this file the "Preview" buttons render the same preview on the server.
// As staff type, the form is sent (debounced) to POST /admin/campaigns/preview,
// which saves nothing and answers JSON; the preview pane is updated with
// textContent only, so nothing typed is ever interpreted as HTML.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var url = form.getAttribute("data-preview-url");
  var tokenInput = form.querySelector('input[name="_csrf"]');
  var token = tokenInput ? tokenInput.value : "";
  var timer = null, seq = 0, fromSearch = false;

  function el(id) { return document.getElementById(id); }
  function setHidden(id, hidden) { var e = el(id); if (e) { e.hidden = hidden; } }
  function setText(id, text) { var e = el(id); if (e) { e.textContent = text; } }

  function schedule(delay, search) {
    fromSearch = fromSearch || search;
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }

  function refresh() {
    var mine = ++seq;
    var search = fromSearch;
    fromSearch = false;
    var body = new URLSearchParams(new FormData(form));
    body.delete("action");
    if (search) { body.delete("bioguide_id"); }
    form.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": token, "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(function (p) {
      if (mine === seq) { show(p, search); }
    }).catch(function () {
      if (mine === seq) {
        showProblems("The live preview is not available right now (are you still signed in?). Use the Preview button.", []);
      }
    }).then(function () {
      if (mine === seq) { form.removeAttribute("aria-busy"); }
    });
  }

  function showProblems(message, problems) {
    setText("preview-error", message);
    var list = el("preview-problem-list");
    if (list) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      problems.forEach(function (pr) {
        var li = document.createElement("li");
        li.textContent = pr.text || (pr.field + ": " + pr.message);
        if (pr.excerpt) {
          // The offending line, the position marked, built with text nodes only.
          var pre = document.createElement("pre"), code = document.createElement("code"), mark = document.createElement("mark");
          pre.className = "code-excerpt";
          mark.className = "code-mark";
          mark.textContent = pr.at;
          code.appendChild(document.createTextNode(pr.before || ""));
          code.appendChild(mark);
          code.appendChild(document.createTextNode(pr.after || ""));
          pre.appendChild(code);
          li.appendChild(pre);
        }
        list.appendChild(li);
      });
    }
    setHidden("preview-problems", !message);
  }

  function fillMembers(matches) {
    var sel = el("bioguide_id");
    if (!sel) { return; }
    while (sel.firstChild) { sel.removeChild(sel.firstChild); }
    matches.forEach(function (m) {
      var o = document.createElement("option");
      o.value = m.id;
      o.textContent = m.label;
      o.selected = !!m.selected;
      sel.appendChild(o);
    });
  }

  function show(p, search) {
    if (search) { fillMembers(p.matches || []); }
    showProblems(p.error || "", p.problems || []);
    setHidden("preview-letter", !p.ready);
    if (!p.ready) { return; }
    setText("preview-member", p.member);
    setText("preview-version", "unsaved text");
    setText("preview-subject", p.subject);
    setText("preview-body", p.body);
    setText("preview-statement", p.organization_statement);
    setHidden("preview-statement-box", !p.organization_statement);
    setText("preview-targets", p.targets);
    setHidden("preview-untargeted", !!p.targeted);
    setHidden("preview-sample", !p.sample_statistics);
  }

  ["subject", "template", "organization_statement"].forEach(function (id) {
    var e = el(id);
    if (e) { e.addEventListener("input", function () { schedule(400, false); }); }
  });
  ["targets", "bioguide_id"].forEach(function (id) {
    var e = el(id);
    if (e) { e.addEventListener("change", function () { schedule(50, false); }); }
  });
  var q = el("member_q");
  if (q) { q.addEventListener("input", function () { schedule(400, true); }); }
})();

// "Insert a field or a figure": puts the chosen {{...}} at the cursor of
// the letter, subject or statement (the last one focused), as typing would,
// so the live preview follows. Hidden without this script: the table of
// fields beside the form says what to type.
(function () {
  "use strict";
  var box = document.getElementById("field-picker");
  if (!box) { return; }
  var pick = document.getElementById("pick-field");
  var into = document.getElementById("pick-into");
  var btn = document.getElementById("pick-insert");
  var status = document.getElementById("pick-status");
  var pos = {};
  ["template", "subject", "organization_statement"].forEach(function (id) {
    var e = document.getElementById(id);
    if (!e) { return; }
    function keep() { pos[id] = [e.selectionStart, e.selectionEnd]; }
    e.addEventListener("focus", function () { into.value = id; });
    ["keyup", "mouseup", "select", "blur", "input"].forEach(function (ev) { e.addEventListener(ev, keep); });
  });
  box.hidden = false;
  btn.addEventListener("click", function () {
    var e = document.getElementById(into.value);
    if (!e) { return; }
    var text = pick.value;
    var p = pos[into.value] || [e.value.length, e.value.length];
    e.value = e.value.slice(0, p[0]) + text + e.value.slice(p[1]);
    var at = p[0] + text.length;
    e.focus();
    e.setSelectionRange(at, at);
    pos[into.value] = [at, at];
    e.dispatchEvent(new Event("input", { bubbles: true }));
    status.textContent = "Inserted " + text + ".";
  });
})();
