// Warns two minutes before an idle session ends and lets the person stay logged in.
// Without JavaScript the session simply ends and the login page says why.
(function () {
  "use strict";
  var body = document.body;
  var total = parseInt(body.dataset.sessionSeconds || "0", 10);
  var box = document.getElementById("session-warning");
  if (!total || !box) { return; }
  var warnBefore = Math.min(120, Math.floor(total / 2));
  var countdown = box.querySelector("[data-session-countdown]");
  var form = box.querySelector("form");
  var button = form.querySelector("button");
  var deadline, timer;

  function start() {
    deadline = Date.now() + total * 1000;
    box.hidden = true;
    clearInterval(timer);
    timer = setInterval(tick, 1000);
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(timer);
      window.location.assign(body.dataset.loginUrl + "&next=" + encodeURIComponent(window.location.pathname));
      return;
    }
    if (left <= warnBefore) {
      if (box.hidden) {
        box.hidden = false;
        // Never take the focus from someone typing: the box is announced as an alert dialog
        // and reached with Tab; otherwise it gets the focus at once.
        var active = document.activeElement;
        var typing = active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
        if (!typing) { button.focus(); }
      }
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      countdown.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.status === 204) { start(); } else { window.location.assign(body.dataset.loginUrl); }
    });
  });

  // Other requests that renew the session (the report form's autosave) restart the count.
  document.addEventListener("varna:activity", start);
  start();
})();
