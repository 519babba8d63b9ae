// Highlights the word being played in a voice message's transcript; a click on a word plays
// from there. Word timings come from data-start/data-end (seconds) on each span. Without this
// script the transcript is still plain, readable text.
(function () {
  "use strict";
  var container = document.getElementById("transcript-words");
  var players = document.querySelectorAll("audio[data-transcript-player]");
  if (!container || players.length === 0) { return; }
  var spans = Array.prototype.slice.call(container.querySelectorAll("[data-start]"));
  var words = spans.map(function (span) {
    return { span: span, start: parseFloat(span.dataset.start), end: parseFloat(span.dataset.end) };
  });
  var current = null;
  var lastPlayer = players[0];

  // The last word that started at or before `t` (words are in time order): binary search.
  function wordAt(t) {
    var lo = 0, hi = words.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (words[mid].start <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found < 0 || t > words[found].end + 0.3) { return null; }
    return words[found];
  }

  function highlight(word) {
    if (word === current) { return; }
    if (current) { current.span.classList.remove("current"); current.span.removeAttribute("aria-current"); }
    current = word;
    if (current) { current.span.classList.add("current"); current.span.setAttribute("aria-current", "true"); }
  }

  Array.prototype.forEach.call(players, function (player) {
    player.addEventListener("timeupdate", function () {
      lastPlayer = player;
      highlight(wordAt(player.currentTime));
    });
    player.addEventListener("play", function () { lastPlayer = player; });
    player.addEventListener("ended", function () { highlight(null); });
  });

  container.addEventListener("click", function (event) {
    var span = event.target.closest("[data-start]");
    if (!span || !lastPlayer) { return; }
    lastPlayer.currentTime = parseFloat(span.dataset.start);
    lastPlayer.play();
  });
})();
