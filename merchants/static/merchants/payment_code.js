// The resident's payment code: count down its minute, then fetch a fresh one (the server
// renews it for five minutes after the PIN; after that it asks for the PIN again).
(function () {
  "use strict";
  var card = document.querySelector("[data-payment-code]");
  if (!card || !window.fetch) { return; }
  var countdown = card.querySelector("[data-countdown]");
  var csrf = card.querySelector("input[name=csrfmiddlewaretoken]");
  var ends = Date.now() + Number(countdown.dataset.seconds || 60) * 1000;

  function stop(message) {
    card.querySelector("[data-qr]").hidden = true;
    card.querySelector("[data-code]").hidden = true;
    countdown.textContent = "";
    var note = card.querySelector("[data-code-stopped]");
    note.innerHTML = "";
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = message || card.dataset.expiredText;
    note.appendChild(link);
    note.hidden = false;
  }

  function renew() {
    fetch(card.dataset.nextUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.value : "" }
    })
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (result) {
        if (!result[0]) { stop(card.dataset.expiredText); return; }
        card.querySelector("[data-qr]").innerHTML = result[1].qr;  // segno's SVG, from our server
        card.querySelector("[data-code]").textContent = result[1].spaced;
        ends = Date.now() + result[1].expires_in * 1000;
        tick();
      })
      .catch(function () { stop(card.dataset.expiredText); });
  }

  function tick() {
    var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    countdown.textContent = "0:" + String(left).padStart(2, "0");
    if (left <= 1) { renew(); return; }
    setTimeout(tick, 1000);
  }
  tick();
})();
