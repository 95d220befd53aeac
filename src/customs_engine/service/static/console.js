// The console's upload form: files dropped anywhere on the page go into the form's file input
// and the form is sent as if they had been picked (all of them, as one run); while the files
// are sent and validated, the form says so. Without script the form still works (pick, then
// Validate). Loaded from the package (the pages allow no inline script).
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("file");
  var button = document.getElementById("validate");
  var progress = document.getElementById("progress");

  function carriesFiles(event) {
    var types = event.dataTransfer ? event.dataTransfer.types : [];
    return Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  function folderIn(transfer) {
    var items = transfer.items || [];
    for (var i = 0; i < items.length; i += 1) {
      var entry = items[i].webkitGetAsEntry ? items[i].webkitGetAsEntry() : null;
      if (entry && entry.isDirectory) { return entry.name; }
    }
    return null;
  }

  function dragging(on) { document.body.classList.toggle("dragging", on); }

  document.addEventListener("dragover", function (event) {
    if (!carriesFiles(event)) { return; }
    event.preventDefault(); // the drop is taken here, wherever it lands: never opened in a tab
    event.dataTransfer.dropEffect = "copy";
    dragging(true);
  });
  document.addEventListener("dragleave", function (event) {
    if (!event.relatedTarget) { dragging(false); } // left the window
  });
  document.addEventListener("drop", function (event) {
    if (!carriesFiles(event)) { return; }
    event.preventDefault();
    dragging(false);
    var folder = folderIn(event.dataTransfer);
    if (folder) {
      progress.textContent = "A folder (" + folder + ") cannot be sent: drop the files in it, " +
        "or a zip of it.";
      return;
    }
    input.files = event.dataTransfer.files;
    form.requestSubmit();
  });

  form.addEventListener("submit", function () {
    var files = input.files;
    var what = files.length === 1 ? files[0].name : files.length + " files";
    progress.textContent = "Uploading and validating " + what + "…";
    button.disabled = true;
  });
  // back from the validation's page (the browser's page cache): the form is ready again
  window.addEventListener("pageshow", function () {
    button.disabled = false;
    progress.textContent = "";
  });
})();
