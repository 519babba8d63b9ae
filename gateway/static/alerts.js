// Live SMS preview for the alert form: encoding, characters, segments, and what smart encoding
// replaced or kept (listed in the page's language by the server).
(function () {
  "use strict";
  var form = document.getElementById("alert-form");
  if (!form) { return; }
  var text = document.getElementById("alert-text");
  var smart = document.getElementById("alert-smart");
  var out = document.getElementById("sms-preview");
  var changes = document.getElementById("sms-changes");
  var timer = null;
  var lang = document.documentElement.lang || "es";
  var words = lang.indexOf("es") === 0
    ? { chars: "caracteres", segments: "SMS por persona", left: "quedan" }
    : { chars: "characters", segments: "SMS per recipient", left: "left" };

  function show(data) {
    var line = data.encoding.toUpperCase() + " · " + data.units + " " + words.chars +
      " · " + data.segments + " " + words.segments + " · " + data.remaining + " " + words.left;
    if (data.error) { line += " · " + data.error; }
    out.textContent = line;
    changes.textContent = "";
    (data.changes || []).forEach(function (change) {
      var item = document.createElement("li");
      item.textContent = change;
      changes.appendChild(item);
    });
  }

  function update() {
    var url = form.getAttribute("data-preview") + "?text=" + encodeURIComponent(text.value) +
      "&smart=" + (smart && smart.checked ? "1" : "0");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { out.textContent = ""; });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(update, 200);
  }
  text.addEventListener("input", later);
  if (smart) { smart.addEventListener("change", later); }
  if (text.value) { update(); }
})();
