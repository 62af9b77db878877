/* The pages' little behaviour, loaded from a file: the Content-Security-Policy runs no inline script.
   What a script needs from the page comes in data-* attributes. Every page works without it. */
(function () {
  "use strict";

  // Print buttons (public notices): shown only where they can work.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Upload progress for large spreadsheets (forms with class js-upload; the words are in #js-upload-messages).
  var words = document.getElementById("js-upload-messages");
  if (!words || !window.FormData || !window.XMLHttpRequest) { return; }
  document.querySelectorAll("form.js-upload").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var bar = form.querySelector("progress"), status = form.querySelector(".js-status");
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
      bar.classList.remove("d-none");
      if (button) { button.disabled = true; }
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(e.loaded / e.total * 100);
          status.textContent = words.dataset.uploading + " " + bar.value + "%";
        }
      };
      xhr.upload.onload = function () { bar.removeAttribute("value"); status.textContent = words.dataset.checking; };
      // The answer is a whole page (the report, or the form with its errors): it replaces this one.
      xhr.onload = function () { document.open(); document.write(xhr.responseText); document.close(); };
      xhr.onerror = function () {
        status.textContent = words.dataset.failed;
        if (button) { button.disabled = false; }
      };
      xhr.open("POST", form.action);
      xhr.send(data);
    });
  });
}());
