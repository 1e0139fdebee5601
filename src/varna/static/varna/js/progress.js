// The committee report's page asks for its job's progress every few seconds and updates the
// status in place: no reload, so focus and scroll stay where the reader left them, and the
// live region announces the change. Without JavaScript the page has a link to check again.
(function () {
  "use strict";
  var status = document.getElementById("job-status");
  if (!status || !status.querySelector("[data-progress-poll]")) return;

  function poll() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("job-status");
        if (!fresh) return;
        status.innerHTML = fresh.innerHTML;
        if (status.querySelector("[data-progress-poll]")) window.setTimeout(poll, 3000);
      })
      .catch(function () {
        window.setTimeout(poll, 10000);
      });
  }
  window.setTimeout(poll, 3000);
})();
