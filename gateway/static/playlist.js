// Drag a playlist row onto another to move it there. The up/down buttons do the same without
// JavaScript; this only posts the row's own form with action=move and the target position.
(function () {
  "use strict";
  var body = document.querySelector("table.playlist-items tbody");
  if (!body) { return; }
  var dragged = null;
  body.querySelectorAll("tr[data-index]").forEach(function (row) {
    row.draggable = true;
    row.addEventListener("dragstart", function (event) {
      dragged = row;
      event.dataTransfer.effectAllowed = "move";
    });
    row.addEventListener("dragover", function (event) {
      if (dragged && dragged !== row) { event.preventDefault(); }
    });
    row.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged || dragged === row) { return; }
      var form = dragged.querySelector("form");
      var action = document.createElement("input");
      action.type = "hidden"; action.name = "action"; action.value = "move";
      var to = document.createElement("input");
      to.type = "hidden"; to.name = "to"; to.value = row.dataset.index;
      form.appendChild(action); form.appendChild(to);
      form.submit();
    });
  });
})();
