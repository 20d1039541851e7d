// The dashboard's "today" figure grows as payments arrive over the websocket (core/linli.js
// re-dispatches live events as "linli:event"), so an owner watching it needs no reload.
(function () {
  "use strict";
  var root = document.querySelector("[data-dashboard]");
  if (!root) { return; }
  var shopId = Number(root.dataset.shopId);
  var takings = root.querySelector("[data-takings]");
  var count = root.querySelector("[data-takings-count]");

  function formatAmount(minor, currency) {
    var locale = document.documentElement.lang || "zh-CN";
    var digits = String(Math.abs(minor)).padStart(3, "0");
    var decimal = (minor < 0 ? "-" : "") + digits.slice(0, -2) + "." + digits.slice(-2);
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency, currencyDisplay: "narrowSymbol" })
      .format(decimal);
  }

  document.addEventListener("linli:event", function (event) {
    var data = event.detail || {};
    if (data.type !== "merchant.payment_received" || data.shop_id !== shopId || !takings) { return; }
    var total = Number(takings.dataset.takingsMinor || 0) + Number(data.amount_minor || 0);
    takings.dataset.takingsMinor = String(total);
    takings.textContent = formatAmount(total, takings.dataset.currency || "CNY");
    if (count) { count.textContent = String(Number(count.textContent || 0) + 1); }
  });
})();
