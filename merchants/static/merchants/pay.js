// The pay page: picking another coupon (or none) shows at once what the resident will pay;
// the amounts are the server's, formatted there, carried on each choice.
(function () {
  "use strict";
  var choices = document.querySelector("[data-coupon-choices]");
  if (!choices) { return; }
  var total = document.querySelector("[data-total]");
  var button = document.querySelector("[data-pay-button]");
  var coupon = document.querySelector("[data-coupon]");
  choices.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.name !== "coupon") { return; }
    if (total) { total.textContent = input.dataset.net; }
    if (button) { button.textContent = input.dataset.payText; }
    if (coupon) { coupon.textContent = input.dataset.label; }
  });
})();
