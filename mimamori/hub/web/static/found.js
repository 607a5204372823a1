// The finder's and the family's found-thread pages (issue 18). The pages work
// without this script; with it, the finder may share the phone's position (asked
// only when they tap, never required) and both sides see the thread move live
// (polling the thread's JSON every 3 s, as long as the page is open).
"use strict";

(function () {
  const share = document.getElementById("share-position");
  if (share && "geolocation" in navigator) {
    share.hidden = false;
    share.addEventListener("click", function () {
      const status = document.getElementById("position-status");
      status.textContent = share.dataset.asking;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          document.getElementById("in-lat").value = pos.coords.latitude.toFixed(6);
          document.getElementById("in-lon").value = pos.coords.longitude.toFixed(6);
          status.textContent = share.dataset.got;
          status.dataset.shared = "yes";
        },
        function () { status.textContent = share.dataset.failed; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  const thread = document.getElementById("thread");
  if (!thread || !thread.dataset.poll) return;
  const list = document.getElementById("messages");
  const labels = { finder: thread.dataset.finder, family: thread.dataset.family };

  function draw(data) {
    list.replaceChildren();
    for (const m of data.messages) {
      const li = document.createElement("li");
      li.className = "msg msg-" + m.side;
      li.dataset.side = m.side;
      const who = document.createElement("span");
      who.className = "msg-who";
      who.textContent = labels[m.side] || m.side;
      const body = document.createElement("span");
      body.className = "msg-body";
      body.textContent = m.body;
      li.append(who, " ", body);
      list.append(li);
    }
    const phone = document.getElementById("family-phone");
    if (phone && data.phone) {
      const a = document.getElementById("family-phone-link");
      a.href = "tel:" + data.phone;
      a.textContent = data.phone;
      phone.hidden = false;
    }
    if (data.state === "safe") {
      thread.dataset.state = "safe";
      for (const el of document.querySelectorAll(".while-open")) el.hidden = true;
      const closed = document.getElementById("closed");
      if (closed) closed.hidden = false;
      return true;
    }
    return false;
  }

  async function poll() {
    try {
      const answer = await fetch(thread.dataset.poll, { cache: "no-store" });
      if (answer.ok && draw(await answer.json())) return;  // closed: stop asking
    } catch (e) { /* the network comes and goes on a phone: try again */ }
    setTimeout(poll, 3000);
  }
  setTimeout(poll, 3000);
})();
