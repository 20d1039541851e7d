// Linli pages: the language switch submits itself, and a logged-in page keeps one
// websocket open for live notifications (toast + unread badge), reconnecting with backoff.
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  var wsPath = document.body.dataset.wsUrl;
  if (!wsPath || !("WebSocket" in window)) { return; }

  var badge = document.querySelector("[data-unread-badge]");
  var toasts = document.querySelector("[data-toasts]");
  var delay = 1000;

  function setUnread(count) {
    if (!badge || typeof count !== "number") { return; }
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function toast(title, body) {
    if (!toasts) { return; }
    var node = document.createElement("div");
    node.className = "toast";
    var strong = document.createElement("strong");
    strong.textContent = title;
    node.appendChild(strong);
    if (body) { node.appendChild(document.createTextNode(body)); }
    toasts.appendChild(node);
    setTimeout(function () { node.remove(); }, 6000);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + wsPath);
    var keepAlive;
    socket.addEventListener("open", function () {
      delay = 1000;
      keepAlive = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
      // Events sent while the socket was down are not replayed: a page that waits for one
      // asks the server again.
      document.dispatchEvent(new CustomEvent("linli:connected"));
    });
    socket.addEventListener("message", function (message) {
      var event = JSON.parse(message.data);
      if ("unread" in event) { setUnread(event.unread); }
      if (event.type === "notification") {
        toast(event.title, event.body);
        document.dispatchEvent(new CustomEvent("linli:notification", { detail: event }));
      } else if (event.type !== "hello" && event.type !== "pong" && event.type !== "unread") {
        document.dispatchEvent(new CustomEvent("linli:event", { detail: event }));
      }
    });
    socket.addEventListener("close", function (closed) {
      clearInterval(keepAlive);
      if (closed.code === 4401) { return; }  // logged out: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
    window.linliSocket = socket;
  }
  connect();
})();

// Pages that show wallet balances refresh them when money arrives or leaves.
(function () {
  "use strict";
  var shown = document.querySelectorAll("[data-currency] [data-available]");
  if (!shown.length || !window.fetch) { return; }
  var moneyKinds = ["payment_received", "payment_sent", "transfer_received", "transfer_sent",
    "refund_received", "topup_succeeded", "withdrawal_returned"];
  document.addEventListener("linli:notification", function (event) {
    if (moneyKinds.indexOf(event.detail.kind) === -1) { return; }
    fetch("/api/v1/wallet/balances/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (balances) {
        balances.forEach(function (balance) {
          var card = document.querySelector('[data-currency="' + balance.currency + '"] [data-available]');
          if (!card) { return; }
          var locale = document.documentElement.lang || "zh-CN";
          // Minor units to a decimal string without floating point (exponent 2 for all).
          var digits = String(Math.abs(balance.available_minor)).padStart(3, "0");
          var decimal = (balance.available_minor < 0 ? "-" : "") + digits.slice(0, -2) + "." + digits.slice(-2);
          card.textContent = new Intl.NumberFormat(locale, { style: "currency", currency: balance.currency })
            .format(decimal);
        });
      });
  });
})();
