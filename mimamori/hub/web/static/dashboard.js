// The dashboard never reloads itself (its forms would lose what is being typed). Every
// data-poll-s seconds it asks whether what it shows has changed, and if so says so, with
// a link to the new state. Plain JS, no build step.
(function () {
  "use strict";
  var main = document.getElementById("dashboard");
  var notice = document.getElementById("changed");
  if (!main || !notice) return;
  var every = Number(main.dataset.pollS) * 1000;
  if (!(every > 0)) return;
  var timer = window.setInterval(function () {
    fetch(main.dataset.versionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { version: "gone" }; })  // signed out: say so too
      .then(function (now) {
        if (now.version !== main.dataset.version) {
          notice.hidden = false;
          window.clearInterval(timer);  // one notice is enough; the link shows the rest
        }
      })
      .catch(function () {});  // the hub unreachable for a moment: ask again next time
  }, every);
}());
