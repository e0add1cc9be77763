// motcua operations centre: when the server says dossiers changed (server-sent events),
// fetch this page again and swap the figures in place. No other script, no framework.
(function () {
  "use strict";
  var live = document.getElementById("ioc-live");
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("ioc-live");
        var current = document.getElementById("ioc-live");
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var events = new EventSource(live.getAttribute("data-events"));
  events.addEventListener("change", refresh);
})();
