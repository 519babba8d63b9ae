// The schedule form ticks the chosen day's weekday, as the server does for today: when the
// day changes, the tick follows it until the operator ticks or unticks a day themselves.
(function () {
  "use strict";
  var form = document.getElementById("slot-form");
  if (!form) { return; }
  var day = form.querySelector('input[name="day"]');
  var boxes = form.querySelectorAll('input[name="weekdays"]');
  var codes = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
  var touched = false;
  boxes.forEach(function (box) {
    box.addEventListener("change", function () { touched = true; });
  });
  day.addEventListener("change", function () {
    if (touched || !day.value) { return; }
    var code = codes[new Date(day.value + "T12:00:00").getDay()];
    boxes.forEach(function (box) { box.checked = box.value === code; });
  });
}());
