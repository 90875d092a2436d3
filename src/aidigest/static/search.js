/* aidigest site search: our own small script, no framework, no network.
   The index is split by month into search/YYYY-MM.js files, loaded by <script defer> tags after this one
   (script tags work from file:// where fetch() does not); each calls aidigestSearch.add(rows) with rows of
   [day, kind, category, title, tldr, page#anchor, url]. Matching: every word of the query must occur in the
   title or TL;DR (case-insensitive, Unicode-normalized); newest first. Results are built with textContent
   only: indexed text can never become markup. */
(function () {
  "use strict";
  var rows = [];
  window.aidigestSearch = {
    add: function (chunk) {
      if (Array.isArray(chunk)) { for (var i = 0; i < chunk.length; i++) { rows.push(chunk[i]); } }
    }
  };
  var MAX = 200;

  function norm(s) {
    s = String(s || "");
    if (s.normalize) { s = s.normalize("NFKC"); }
    return s.toLowerCase();
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function safeHttp(u) {
    return typeof u === "string" && /^https?:\/\//i.test(u) ? u : "";
  }

  function run() {
    var input = document.getElementById("q");
    var list = document.getElementById("results");
    var status = document.getElementById("status");
    if (!input || !list || !status) { return; }
    var names = {};
    try { names = JSON.parse(document.getElementById("cat-names").textContent || "{}"); } catch (e) { names = {}; }
    var kinds = { news: status.getAttribute("data-news"), paper: status.getAttribute("data-paper") };
    var hay = rows.map(function (r) { return norm(r[3] + " \n " + r[4]); });

    function show() {
      var q = norm(input.value).trim();
      while (list.firstChild) { list.removeChild(list.firstChild); }
      if (q.length < 2) { status.textContent = status.getAttribute("data-hint"); return; }
      var terms = q.split(/\s+/);
      var found = 0;
      for (var i = 0; i < rows.length; i++) {
        var h = hay[i], ok = true;
        for (var j = 0; j < terms.length; j++) { if (h.indexOf(terms[j]) < 0) { ok = false; break; } }
        if (!ok) { continue; }
        found++;
        if (found > MAX) { continue; }
        var r = rows[i];
        var li = el("li", "result");
        var a = el("a", "title", r[3]);
        a.setAttribute("href", r[5]);
        li.appendChild(a);
        var ext = safeHttp(r[6]);
        if (ext) {
          var x = el("a", "ext", "↗");
          x.setAttribute("href", ext);
          x.setAttribute("rel", "noopener noreferrer nofollow");
          li.appendChild(document.createTextNode(" "));
          li.appendChild(x);
        }
        li.appendChild(el("span", "meta", " " + r[0] + " · " + (kinds[r[1]] || r[1]) + " · " + (names[r[2]] || r[2])));
        if (r[4]) { li.appendChild(el("p", "tldr", r[4])); }
        list.appendChild(li);
      }
      status.textContent = found ? status.getAttribute("data-results").replace("{n}", String(found))
                                 : status.getAttribute("data-none");
    }

    var params = new URLSearchParams(window.location.search);
    input.value = params.get("q") || "";
    input.addEventListener("input", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", run);
}());
