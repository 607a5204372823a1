// The family's map: last position, the day's trail, watch points; live updates by SSE.
// Plain JS, no build step. Works without map tiles (closed networks): the status box,
// the list and the markers do not depend on them.
(function () {
  "use strict";
  var P = window.mimamoriPage, cfg = P.cfg, S = P.S, $ = P.$, el = P.el, text = P.text, when = P.when;
  var map = null, gatewayLayer = null, trailLine = null, personMarker = null;
  var current = null;      // the newest Location shown
  var points = [];         // trail points, oldest first
  var source = null;       // the EventSource of the person shown
  var personId = null;
  var fitted = false;      // the view was fitted to the watch points once

  function api(path) {
    return fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); }
        if (!r.ok) throw new Error(path + ": " + r.status);
        return r.json();
      });
  }

  function initMap() {
    if (!window.L) return;  // the page still lists everything without the map
    map = L.map("map").setView([cfg.center.lat, cfg.center.lon], cfg.zoom);
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution, maxZoom: cfg.tiles.max_zoom }).addTo(map);
    gatewayLayer = L.layerGroup().addTo(map);
    trailLine = L.polyline([], { color: "#b3261e", weight: 4, opacity: 0.6 }).addTo(map);
  }

  function showStatus(loc) {
    var box = $("status");
    box.textContent = "";
    box.dataset.gatewayId = loc.gateway_id || "";
    box.dataset.seenAt = loc.seen_at || "";
    if (!loc.seen_at) { box.appendChild(el("p", { "class": "place" }, S.never_seen)); return; }
    box.appendChild(el("p", { "class": "label" }, S.last_seen));
    box.appendChild(el("p", { "class": "place" }, loc.gateway_name));
    box.appendChild(el("p", { "class": "time" }, when(loc.seen_at)));
    box.appendChild(el("p", { "class": "state state-" + loc.state }, S["state_" + loc.state]));
  }

  function moveMarker(loc) {
    if (!map || loc.lat === null || loc.lon === null) return;
    var at = [loc.lat, loc.lon];
    if (!personMarker) {
      personMarker = L.marker(at, {
        icon: L.divIcon({ className: "person-marker", html: '<div class="dot"></div>', iconSize: [36, 36] }),
        title: loc.gateway_name, keyboard: false
      }).addTo(map);
    } else {
      personMarker.setLatLng(at);
    }
    if (!map.getBounds().pad(-0.1).contains(at)) map.panTo(at);  // keep the view calm
  }

  // Late events (a gateway catching up after an outage) never move the marker back.
  function showLocation(loc) {
    if (current && current.seen_at && loc.seen_at && loc.seen_at < current.seen_at) return;
    current = loc;
    showStatus(loc);
    moveMarker(loc);
  }

  function renderTrail() {
    var list = $("trail");
    list.textContent = "";
    if (!points.length) { list.appendChild(el("li", { "class": "empty" }, S.trail_empty)); }
    for (var i = points.length - 1; i >= 0; i--) {
      var p = points[i];
      var li = el("li", { "data-gateway-id": p.gateway_id });
      li.appendChild(el("time", { datetime: p.ts }, when(p.ts)));
      li.appendChild(document.createTextNode(p.gateway_name));
      li.appendChild(el("span", { "class": "kind" }, S["kind_" + p.kind] || p.kind));
      list.appendChild(li);
    }
    if (trailLine) {
      trailLine.setLatLngs(points.filter(function (p) { return p.lat !== null; })
        .map(function (p) { return [p.lat, p.lon]; }));
    }
  }

  function addPoint(p) {
    points.push(p);
    points.sort(function (a, b) { return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0; });
    renderTrail();
  }

  function loadGateways() {
    return api("/api/v1/gateways").then(function (gateways) {
      var list = $("gateways");
      list.textContent = "";
      if (gatewayLayer) gatewayLayer.clearLayers();
      var bounds = [];
      gateways.forEach(function (g) {
        var on = g.online === true;
        var word = g.online === true ? S.online : g.online === false ? S.offline : S.unknown;
        list.appendChild(el("li", { "class": on ? "gw-online" : "gw-offline" }, g.name + " — " + word));
        if (gatewayLayer && g.lat !== null) {
          L.circleMarker([g.lat, g.lon], { radius: 8, color: on ? "#1e7b34" : "#8a8a8a", weight: 3, fillOpacity: 0.4 })
            .bindTooltip(text(g.name)).addTo(gatewayLayer);
          bounds.push([g.lat, g.lon]);
        }
      });
      if (map && bounds.length > 1 && !fitted) {  // once: later refreshes keep the user's view
        fitted = true;
        map.fitBounds(bounds, { padding: [40, 40], maxZoom: cfg.zoom });
      }
    });
  }

  function catchUp(id) {
    var base = "/api/v1/people/" + encodeURIComponent(id);
    return Promise.all([api(base + "/location"), api(base + "/trail")]).then(function (r) {
      if (id !== personId) return;
      current = null;
      showLocation(r[0]);
      points = r[1].points.slice();
      renderTrail();
    });
  }

  function setLive(on) {
    var live = $("live");
    live.className = "live " + (on ? "on" : "off");
    live.textContent = on ? S.live_on : S.live_off;
  }

  function openLive(id) {
    if (source) source.close();
    source = new EventSource("/api/v1/people/" + encodeURIComponent(id) + "/live");
    var lost = false;
    source.onopen = function () {
      setLive(true);
      if (lost) { lost = false; catchUp(id); }  // what happened while we were away
    };
    source.onerror = function () { lost = true; setLive(false); };
    source.addEventListener("sighting", function (ev) {
      var msg = JSON.parse(ev.data);
      if (id !== personId) return;
      showLocation(msg.location);
      addPoint(msg.point);
    });
  }

  // A search: a link to the running one, or a button that starts one (two taps, so a
  // search never starts by accident).
  function showSearch(id) {
    var box = $("search");
    box.textContent = "";
    api("/api/v1/searches").then(function (running) {
      if (id !== personId) return;
      var mine = running.filter(function (s) { return s.person_id === id; })[0];
      if (mine) {
        box.appendChild(el("a", { id: "open-search", "class": "search-on", href: "/searches/" + mine.id }, S.search_open));
        return;
      }
      var start = el("button", { id: "start-search", type: "button" }, S.search_start);
      start.addEventListener("click", function () {
        if (!start.dataset.armed) {
          start.dataset.armed = "1";
          box.appendChild(el("p", { id: "search-confirm" }, S.search_start_confirm));
          return;
        }
        start.disabled = true;
        fetch("/api/v1/searches", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ person_id: id })
        }).then(function (r) { return r.json(); }).then(function (made) {
          var running = made.id || (made.detail || "").split(": ")[1];
          if (running) window.location.href = "/searches/" + running;
        });
      });
      box.appendChild(start);
    });
  }

  function selectPerson(id) {
    personId = id;
    personMarker && map && map.removeLayer(personMarker);
    personMarker = null;
    showSearch(id);
    catchUp(id).then(function () { openLive(id); });
  }

  function init() {
    var select = $("person");
    cfg.people.forEach(function (p) { select.appendChild(el("option", { value: p.id }, p.name)); });
    if (!cfg.people.length) { $("status").textContent = S.no_people; return; }
    var first = cfg.person || cfg.people[0].id;
    select.value = first;
    select.parentNode.hidden = cfg.people.length < 2;
    select.addEventListener("change", function () {
      var url = new URL(window.location.href);
      url.searchParams.set("person", select.value);
      window.history.replaceState(null, "", url);
      selectPerson(select.value);
    });
    initMap();
    loadGateways();
    window.setInterval(loadGateways, 60000);
    selectPerson(first);
  }

  // For tests and curious technicians: what the page believes now.
  window.mimamori = {
    current: function () { return current; },
    marker: function () { return personMarker ? personMarker.getLatLng() : null; },
    points: function () { return points.slice(); }
  };
  init();
})();
