// Drag and drop onto the upload form: the dropped file goes into the form's file input and the
// form is sent as if picked. Without script the form still works (pick, then Validate).
(function () {
  var zone = document.getElementById("dropzone");
  if (!zone) { return; }
  var form = document.getElementById("upload-form");
  var input = document.getElementById("file");
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
    input.files = event.dataTransfer.files;
    form.submit();
  });
})();
