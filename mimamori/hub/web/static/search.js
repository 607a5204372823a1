// A search page: the trail since the search began, the last place before it, the
// direction, live sightings by SSE. Members can end, join and share the search; a
// shared link only watches. Plain JS, no build step; works without map tiles.
(function () {
  "use strict";
  var P = window.mimamoriPage, cfg = P.cfg, S = P.S, $ = P.$, el = P.el, text = P.text, when = P.when;
  var map = null, line = null, marker = null, beforeMarker = null;
  var search = null, points = [], source = null;

  function call(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      if (r.status === 401 || r.status === 404 || r.status === 410) {
        window.location.reload();  // the server shows why, with no data
        throw new Error(path + ": " + r.status);
      }
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.json();
    });
  }

  function initMap() {
    if (!window.L) return;
    var first = cfg.gateways[0] || { lat: 35.68, lon: 139.77 };
    map = L.map("map").setView([first.lat, first.lon], cfg.zoom);
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution, maxZoom: cfg.tiles.max_zoom }).addTo(map);
    cfg.gateways.forEach(function (g) {
      L.circleMarker([g.lat, g.lon], { radius: 6, color: "#555", weight: 2, fillOpacity: 0.3 })
        .bindTooltip(text(g.name)).addTo(map);
    });
    line = L.polyline([], { color: "#b3261e", weight: 5, opacity: 0.7 }).addTo(map);
  }

  function placed(p) { return p && p.lat !== null && p.lon !== null; }

  function drawMap() {
    if (!map) return;
    var path = points.filter(placed).map(function (p) { return [p.lat, p.lon]; });
    var before = search && search.last_before;
    if (placed(before)) {
      var at = [before.lat, before.lon];
      if (!beforeMarker) {
        beforeMarker = L.circleMarker(at, { radius: 10, color: "#555", dashArray: "4", fillOpacity: 0.1 })
          .bindTooltip(text(S.search_last_before)).addTo(map);
      }
      path.unshift(at);
    }
    line.setLatLngs(path);
    if (!path.length) return;
    var last = path[path.length - 1];
    if (!marker) {
      marker = L.marker(last, {
        icon: L.divIcon({ className: "person-marker", html: '<div class="dot"></div>', iconSize: [36, 36] }),
        keyboard: false
      }).addTo(map);
    } else {
      marker.setLatLng(last);
    }
    if (!map.getBounds().pad(-0.1).contains(last)) map.panTo(last);
  }

  function renderHead() {
    var box = $("search-head");
    box.textContent = "";
    box.dataset.state = search.state;
    box.appendChild(el("p", { "class": "place" }, search.person_name));
    box.appendChild(el("p", { "class": "search-state search-" + search.state }, S["search_state_" + search.state]));
    box.appendChild(el("p", { "class": "time" }, S.search_started + ": " + when(search.started_at)));
    box.appendChild(el("p", { "class": "time" }, search.ended_at
      ? S.search_ended + ": " + when(search.ended_at) + (search.note ? " — " + search.note : "")
      : S.search_until + ": " + when(search.expires_at)));
  }

  function renderDirection(d) {
    var box = $("direction");
    box.textContent = "";
    if (!d) return;
    var text = P.fmt("search_direction_text", {
      from: d.from_gateway, to: d.to_gateway, compass: S["compass_" + d.compass], distance: d.distance_m
    });
    box.appendChild(el("b", { "data-compass": d.compass }, text));
  }

  function renderTrail() {
    var list = $("trail");
    list.textContent = "";
    if (!points.length) list.appendChild(el("li", { "class": "empty" }, S.search_no_sightings));
    points.slice().reverse().forEach(function (p) {
      var item = el("li", { "data-gateway-id": p.gateway_id });
      item.appendChild(el("time", { datetime: p.ts }, when(p.ts)));
      item.appendChild(document.createTextNode(" " + p.gateway_name));
      list.appendChild(item);
    });
    var before = search.last_before;
    if (before) {
      var item = el("li", { "class": "before" });
      item.appendChild(el("time", { datetime: before.ts }, when(before.ts)));
      item.appendChild(document.createTextNode(" " + before.gateway_name + "（" + S.search_last_before + "）"));
      list.appendChild(item);
    }
  }

  function button(id, label, onClick) {
    var b = el("button", { id: id, type: "button" }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  function renderMember() {
    var actions = $("actions");
    actions.textContent = "";
    if (search.state === "active") {
      actions.appendChild(button("found", S.search_found, function () { end("found"); }));
      actions.appendChild(button("cancel", S.search_cancel, function () { end("cancelled"); }));
      actions.appendChild(button("join", S.search_join, function () {
        call("POST", cfg.api + "/join").then(show);
      }));
    }
    var people = $("people");
    people.textContent = "";
    people.appendChild(el("h2", {}, S.search_people));
    var ul = el("ul", { id: "participants" });
    search.participants.forEach(function (p) { ul.appendChild(el("li", {}, p.who)); });
    people.appendChild(ul);
    call("GET", cfg.api + "/shares").then(renderShares);
    loadSharing();
  }

  // The SOS network (issue 18): the family's consent to send a bulletin to the town's
  // partners, recorded here (by the family, or by staff after asking them), and what
  // was sent. The bulletins go out from the hub's loop just after the consent.
  function loadSharing() { call("GET", cfg.api + "/sharing").then(renderSharing).catch(function () {}); }

  function field(id, label, attrs) {
    var box = el("div", { "class": "field" });
    box.appendChild(el("label", { "for": id }, label));
    attrs.id = id;
    box.appendChild(el("input", attrs));
    return box;
  }

  function renderSharing(data) {
    var box = $("sharing");
    box.textContent = "";
    box.appendChild(el("h2", {}, S.sos_sharing));
    var c = data.consent;
    box.appendChild(c
      ? el("p", { id: "consent-given" }, S.sos_given + ": " + c.agreed_by + "（" + when(c.at) + "、" +
          c.recorded_by + "）「" + c.shown_as + "」" + (c.clothing ? " " + c.clothing : ""))
      : el("p", { id: "not-shared" }, S.sos_not_shared));
    if (data.bulletins.length) {
      box.appendChild(el("h3", {}, S.sos_sent_to));
      var ul = el("ul", { id: "bulletin-list" });
      data.bulletins.forEach(function (b) {
        ul.appendChild(el("li", {}, b.partner + "（" + when(b.sent_at) + "、" + S.sos_views + " " +
          b.views + "、" + S.sos_seen_count + " " + b.seen + (b.withdrawn_at ? "、" + S.sos_withdrawn : "") + "）"));
      });
      box.appendChild(ul);
    }
    if (c || !data.may_record || search.state !== "active") return;
    var form = el("form", { id: "consent-form" });
    form.appendChild(field("consent-agreed-by", S.sos_agreed_by, { required: "required", maxlength: "100" }));
    form.appendChild(field("consent-shown-as", S.sos_shown_as, { required: "required", maxlength: "40", value: data.suggested_name }));
    form.appendChild(field("consent-clothing", S.sos_clothing_in, { maxlength: "200" }));
    var failed = el("p", { id: "consent-failed", "class": "error", role: "alert", hidden: "hidden" }, S.sos_consent_failed);
    form.appendChild(failed);
    form.appendChild(el("button", { type: "submit", id: "give-consent" }, S.sos_give));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      call("POST", cfg.api + "/consent", {
        agreed_by: $("consent-agreed-by").value, shown_as: $("consent-shown-as").value,
        clothing: $("consent-clothing").value
      }).then(function () {
        loadSharing();
        window.setTimeout(loadSharing, 3000);  // the bulletins, once the hub sent them
      }).catch(function () { failed.hidden = false; });
    });
    box.appendChild(form);
  }

  function end(outcome) {
    call("POST", cfg.api + "/close", { outcome: outcome, note: "" }).then(show);
  }

  function renderShares(shares) {
    var box = $("shares");
    box.textContent = "";
    box.appendChild(el("h2", {}, S.search_shares));
    var ul = el("ul", { id: "share-list" });
    shares.forEach(function (s) {
      var li = el("li", { "data-share-id": String(s.id), "data-state": s.state });
      li.appendChild(document.createTextNode(
        s.label + " — " + S["share_state_" + s.state] + " (" + when(s.expires_at) + ", " +
        s.views + " " + S.search_share_views + ", " + s.created_by + ") "));
      if (s.state === "active") {
        li.appendChild(button("revoke-" + s.id, S.search_share_revoke, function () {
          call("POST", cfg.api + "/shares/" + s.id + "/revoke").then(function () {
            call("GET", cfg.api + "/shares").then(renderShares);
          });
        }));
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (search.state !== "active") return;
    var form = el("form", { id: "share-form" });
    var label = el("input", { id: "share-label", required: "required", maxlength: "100", "aria-label": S.search_share_label, placeholder: S.search_share_label });
    var hours = el("input", { id: "share-hours", type: "number", min: "1", max: "168", value: "24", "aria-label": S.search_share_hours });
    form.appendChild(label);
    form.appendChild(hours);
    form.appendChild(el("button", { type: "submit" }, S.search_share_make));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      call("POST", cfg.api + "/shares", { label: label.value, hours: Number(hours.value) })
        .then(function (made) {
          var note = el("p", { id: "share-made" }, S.search_share_made + " ");
          note.appendChild(el("code", {}, made.url));
          call("GET", cfg.api + "/shares").then(function (list) {
            renderShares(list);
            $("shares").appendChild(note);
          });
        });
    });
    box.appendChild(form);
  }

  function show(body) {
    search = body;
    points = body.sightings.slice();
    renderHead();
    renderDirection(body.direction);
    renderTrail();
    drawMap();
    if (cfg.member) renderMember();
    if (search.state === "active") listen(); else stop();
  }

  function stop() {
    if (source) { source.close(); source = null; }
    $("live").textContent = "";
    $("live").className = "live";
  }

  function listen() {
    if (source || !window.EventSource) return;
    source = new EventSource(cfg.api + "/live");
    source.addEventListener("open", function () { $("live").className = "live on"; $("live").textContent = S.live_on; });
    source.addEventListener("error", function () { $("live").className = "live off"; $("live").textContent = S.live_off; });
    source.addEventListener("state", function () { stop(); load(); });  // the search ended
    source.addEventListener("sighting", function (e) {
      var msg = JSON.parse(e.data);
      points.push(msg.point);
      renderDirection(msg.direction);
      renderTrail();
      drawMap();
    });
  }

  initMap();
  function load() { call("GET", cfg.api).then(show).catch(function () {}); }
  load();  // then sightings and the end of the search come by the stream
}());
