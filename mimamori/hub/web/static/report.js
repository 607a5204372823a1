// The report form's "add where I am" button (templates/report.html): the phone's
// position into the form's hidden lat/lon fields, only when the reporter presses it
// (the browser asks them first). Without geolocation the button is not shown; the
// form works the same without a pin (a home picked or an address typed).
(function () {
  "use strict";
  var button = document.getElementById("pin-button");
  if (!button) return;
  if (!navigator.geolocation) { button.hidden = true; return; }
  var lat = document.getElementById("in-lat");
  var lon = document.getElementById("in-lon");
  var said = document.getElementById("pin-said");
  button.addEventListener("click", function () {
    said.textContent = button.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (where) {
      lat.value = where.coords.latitude.toFixed(5);
      lon.value = where.coords.longitude.toFixed(5);
      said.textContent = button.dataset.done;
      said.setAttribute("data-pinned", "1");
    }, function () {
      said.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
