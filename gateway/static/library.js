// Library upload with a progress bar. Without this script the form posts normally.
(function () {
  "use strict";
  var form = document.getElementById("library-upload");
  var script = document.currentScript;
  if (!form || !window.FormData || !window.XMLHttpRequest || !script) { return; }
  var bar = document.getElementById("library-progress");
  var status = document.getElementById("library-status");
  var button = form.querySelector("button[type=submit]");
  var words = script.dataset;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.textContent = words.uploading;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      status.textContent = words.processing;
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (ignored) { answer = null; }
      if (xhr.status === 200 && answer && answer.next) {
        window.location.assign(answer.next);
        return;
      }
      button.disabled = false;
      status.textContent = (answer && answer.error && answer.error.message) || words.failed;
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = words.failed;
    });
    xhr.send(new FormData(form));
  });
})();
