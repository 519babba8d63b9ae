// The dashboard keeps itself current: every 10 s it fetches the page again and swaps the
// station part in place (no flicker, the scroll position kept). Without scripts, a <noscript>
// meta refresh reloads the whole page instead. A page that answers with something else (the
// login form once the session ended) is loaded whole, so the person sees why.
(function () {
  "use strict";
  var station = document.getElementById("station");
  if (!station || !window.fetch || !window.DOMParser) { return; }
  var every = (parseInt(station.getAttribute("data-refresh"), 10) || 10) * 1000;

  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        if (response.url && response.url.split("#")[0] !== window.location.href.split("#")[0]) {
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("station");
        if (fresh) { station.innerHTML = fresh.innerHTML; }
      })
      .catch(function () {
        station.setAttribute("data-stale", "true");
      });
  }

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
})();
