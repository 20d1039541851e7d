// The till: when a payment to this shop arrives over the websocket (see core/linli.js,
// which re-dispatches live events as "linli:event"), show "Received ¥25.00" at once and,
// if the cashier turned it on, read it aloud. Also counts down the request's validity.
(function () {
  "use strict";
  var root = document.querySelector("[data-till]");
  if (!root) { return; }
  var shopId = Number(root.dataset.shopId);
  var requestId = root.dataset.requestId ? Number(root.dataset.requestId) : null;
  var shown = root.querySelector("[data-received]");
  var toggle = root.querySelector("[data-speech-toggle]");
  var STORAGE_KEY = "linli.till.speech";

  function formatAmount(minor, currency) {
    var locale = document.documentElement.lang || "zh-CN";
    // Minor units to a decimal string without floating point (exponent 2 for CNY).
    var digits = String(Math.abs(minor)).padStart(3, "0");
    var decimal = (minor < 0 ? "-" : "") + digits.slice(0, -2) + "." + digits.slice(-2);
    // "narrowSymbol" shows ¥ in every language, as the amounts the server prints do.
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency, currencyDisplay: "narrowSymbol" })
      .format(decimal);
  }

  function speechOn() {
    try { return window.localStorage.getItem(STORAGE_KEY) === "on"; } catch (e) { return false; }
  }

  if (toggle) {
    toggle.checked = speechOn();
    toggle.hidden = !("speechSynthesis" in window);
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(STORAGE_KEY, toggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }

  function speak(text) {
    if (!speechOn() || !("speechSynthesis" in window)) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = root.dataset.speechLang || document.documentElement.lang || "zh-CN";
    var voice = window.speechSynthesis.getVoices().filter(function (v) {
      return v.lang && v.lang.toLowerCase().indexOf(utterance.lang.slice(0, 2).toLowerCase()) === 0;
    })[0];
    if (voice) { utterance.voice = voice; }
    window.speechSynthesis.speak(utterance);
  }

  var received = false;

  function showReceived(amountMinor, currency, paidRequestId) {
    if (received) { return; }
    received = true;
    var text = (root.dataset.receivedTemplate || "%(amount)s")
      .replace("%(amount)s", formatAmount(amountMinor, currency));
    if (shown) {
      shown.textContent = text;
      shown.hidden = false;
    }
    root.querySelectorAll("[data-qr], [data-waiting]").forEach(function (node) { node.hidden = true; });
    if (paidRequestId) {
      var row = root.querySelector('[data-request-row="' + paidRequestId + '"] [data-status]');
      if (row) { row.textContent = text; }
    }
    speak(text);
  }

  document.addEventListener("linli:event", function (event) {
    var data = event.detail || {};
    if (data.type !== "merchant.payment_received" || data.shop_id !== shopId) { return; }
    if (requestId !== null && data.request_id !== requestId) { return; }
    if (requestId === null) { received = false; }  // the shop's till shows every payment
    showReceived(data.amount_minor, data.currency, data.request_id);
  });

  // A request's page must not miss its payment while the websocket was down (a phone
  // that lost its signal, a server restart): it asks for the request's status when the
  // socket (re)connects, and every few seconds while it waits.
  var POLL_MS = 10000;
  var poller = null;

  function checkRequest() {
    if (received || !window.fetch) { return; }
    fetch("/api/v1/till/requests/" + requestId + "/", {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (request) {
        if (!request) { return; }
        if (request.status === "paid" && request.received_minor !== null) {
          showReceived(request.received_minor, request.currency, request.id);
        } else if (request.status !== "open") {
          expire();
        }
        if (received || request.status !== "open") { clearInterval(poller); }
      })
      .catch(function () { /* offline: the next tick or reconnection asks again */ });
  }

  var countdown = root.querySelector("[data-countdown]");

  function expire() {
    if (received) { return; }
    if (countdown) { countdown.textContent = countdown.dataset.expiredText || ""; }
    root.querySelectorAll("[data-qr]").forEach(function (node) { node.hidden = true; });
  }

  if (requestId !== null && root.querySelector("[data-qr]")) {
    document.addEventListener("linli:connected", checkRequest);
    poller = setInterval(checkRequest, POLL_MS);
  }

  if (countdown) {
    var ends = Date.now() + Number(countdown.dataset.seconds || 0) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      if (shown && !shown.hidden) { countdown.textContent = ""; return; }
      if (left === 0) {
        expire();
        // The customer may have paid at the last second: ask once more.
        if (requestId !== null) { checkRequest(); }
        return;
      }
      countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
