"""Inline CSS and script of the report (no external resources)."""

from __future__ import annotations

from .style import VERDICT_COLOURS

#: Nothing may be fetched: inline styles and scripts only, images only as data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
)

_BADGES = "\n".join(
    f".badge.v-{name} {{ background: {colour}; }}" for name, colour in VERDICT_COLOURS.items()
)

CSS = (
    """
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --bg-alt: #f6f6f8; --accent: #0173B2; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; color: var(--fg); background: #fff;
  font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
  line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 1.2rem 1.4rem 4rem; }
h1 { font-size: 1.7rem; margin: 0.4rem 0 0.2rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; padding-bottom: 0.25rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p { margin: 0.4rem 0 0.7rem; max-width: 78ch; }
.lead { color: var(--muted); margin-top: 0; }
nav ul { list-style: none; padding: 0; margin: 0.6rem 0; display: flex; flex-wrap: wrap;
  gap: 0.4rem 1.2rem; }
a { color: var(--accent); }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86rem; }
pre { background: var(--bg-alt); padding: 0.5rem 0.7rem; overflow-x: auto; white-space: pre-wrap;
  word-break: break-all; border-radius: 4px; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.86rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.22rem 0.55rem; text-align: left;
  vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.text { min-width: 14rem; }
.scroll { overflow-x: auto; }
tr.row-note td { color: var(--muted); border-bottom: 1px solid var(--line); padding-top: 0;
  font-size: 0.82rem; }
tr:has(+ tr.row-note) td { border-bottom: none; }
td.hash { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 0.78rem;
  word-break: break-all; }
.wide { width: 100%; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \\2195"; color: #aaa; font-weight: 400; }
table.sortable th[aria-sort=ascending]::after { content: " \\2191"; color: var(--fg); }
table.sortable th[aria-sort=descending]::after { content: " \\2193"; color: var(--fg); }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 0.7rem; color: #fff;
  font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.badge.v-smooth, .badge.v-ambiguous { color: #111; }
"""
    + _BADGES
    + """
.counts { display: flex; flex-wrap: wrap; gap: 0.5rem 1.2rem; margin: 0.4rem 0 0.8rem; }
details.task { border: 1px solid var(--line); border-radius: 6px; margin: 0.5rem 0;
  padding: 0 0.8rem; }
details.task[open] { padding-bottom: 0.6rem; }
details.task > summary { cursor: pointer; padding: 0.45rem 0; font-weight: 600; }
details.task > summary .badge { margin-left: 0.3rem; font-weight: 600; }
svg.figure { width: 100%; height: auto; display: block; margin: 0.3rem 0; }
figure { margin: 0.4rem 0 0.6rem; }
figcaption { color: var(--muted); font-size: 0.84rem; max-width: 90ch; }
.legend { display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; font-size: 0.86rem;
  margin: 0.3rem 0; }
.swatch { display: inline-block; width: 1.4rem; height: 0.4rem; margin-right: 0.35rem;
  vertical-align: middle; }
.ramp { display: inline-block; width: 8rem; height: 0.7rem; vertical-align: middle;
  border-radius: 2px; }
.note { color: var(--muted); }
.toolbar button { font: inherit; font-size: 0.85rem; margin-right: 0.4rem; padding: 0.1rem 0.6rem;
  border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
.refs li { margin-bottom: 0.3rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem;
  margin: 0.5rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
@media print { details.task { break-inside: avoid; } .toolbar { display: none; } }
"""
)

#: Sort tables by a clicked column; open a task section when a link (every click on it, even
#: when the URL already names it) or the URL targets it.
SCRIPT = """
(function () {
  "use strict";
  function key(td) { return td ? (td.getAttribute("data-v") || "") : ""; }
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x === "" || y === "") { return (x === "") - (y === ""); }
      var nx = Number(x), ny = Number(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return dir * c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable th"), function (th) {
    th.addEventListener("click", function () { sortBy(th); });
  });
  // open the section an id is in (and the section itself); true if one was found
  function openId(id) {
    var el = id && document.getElementById(id);
    if (!el) { return false; }
    for (var d = el; d; d = d.parentElement) {
      if (d.tagName === "DETAILS") { d.open = true; }
    }
    return true;
  }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (openId(id)) { document.getElementById(id).scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  // a click on an in-page link opens its target even when the URL already points there (then
  // no hashchange fires); the browser then scrolls to it as usual
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href^='#']");
    if (a) { openId(decodeURIComponent(a.getAttribute("href").slice(1))); }
  });
  openTarget();
  function setAll(open) {
    Array.prototype.forEach.call(document.querySelectorAll("details.task"), function (d) {
      d.open = open;
    });
  }
  var more = document.getElementById("expand-all"), less = document.getElementById("collapse-all");
  if (more) { more.addEventListener("click", function () { setAll(true); }); }
  if (less) { less.addEventListener("click", function () { setAll(false); }); }
})();
"""
