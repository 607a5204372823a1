// What the map and search pages share: their config (JSON in the page), their strings
// (the page language's catalogue: no script asks which language it is), and small DOM
// helpers. Plain JS, no build step.
window.mimamoriPage = (function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("config").textContent);
  var S = cfg.strings;
  var timeFmt = new Intl.DateTimeFormat(S.locale, {
    timeZone: "Asia/Tokyo", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  // For Leaflet's tooltips and popups, which take a string as HTML: a node holding the
  // text, so a name such as "<img onerror=...>" shows as written and runs nothing.
  function text(value) { return el("span", {}, value); }
  // A catalogue text with {placeholders} filled in, as the server's t("key", name=value).
  function fmt(key, values) {
    return S[key].replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }
  return {
    cfg: cfg,
    S: S,
    fmt: fmt,
    $: function (id) { return document.getElementById(id); },
    el: el,
    text: text,
    when: function (iso) { return iso ? timeFmt.format(new Date(iso)) : ""; }
  };
}());
