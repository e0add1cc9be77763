// motcua paperless meeting: every screen follows the chair. The server sends a `meeting`
// event (server-sent events) at once and after every change; the item the chair has open
// is marked at once from the event, then this page is fetched again and its live part
// swapped in place — unless the reader is typing there (a comment, an opinion), whose text
// is kept: then only the marks move. No other script, no framework.
(function () {
  "use strict";
  var live = document.getElementById("meeting-live");
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var busy = false, again = false;
  function typing() {
    var fields = document.querySelectorAll("#meeting-live textarea, #meeting-live input[type=text]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value || fields[i] === document.activeElement) return true;
    }
    return false;
  }
  function mark(data) {
    var items = document.querySelectorAll("#meeting-live .agenda > li");
    for (var i = 0; i < items.length; i++) {
      var now = items[i].id === "muc-" + data.current_item;
      items[i].classList.toggle("current", now);
      if (now) items[i].setAttribute("aria-current", "true"); else items[i].removeAttribute("aria-current");
    }
    var title = document.getElementById("live-title");
    if (title && data.current_item) title.textContent = data.current_item + ". " + (data.current_title || "");
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname + location.search, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("meeting-live");
        var current = document.getElementById("meeting-live");
        if (fresh && current && !typing()) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var seen = live.getAttribute("data-version");
  var events = new EventSource(live.getAttribute("data-events"));
  events.addEventListener("meeting", function (e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    if (String(data.version) === seen) return;
    seen = String(data.version);
    mark(data);
    refresh();
  });
})();
