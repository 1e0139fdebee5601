// Enhances the report form: saves a draft as the person types, shows only the sub-forms of the
// chosen form, shows the security routing only for corruption, and counts characters.
// Everything here is optional: without JavaScript the form works and drafts are saved on send.
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var draftUrl = form.dataset.draftUrl;
  var timer = null;
  var lastSent = "";

  function serialise() {
    var data = new FormData(form);
    data.delete("action");
    return data;
  }

  function fingerprint(data) {
    var parts = [];
    data.forEach(function (value, key) { if (key !== "csrfmiddlewaretoken") { parts.push(key + "=" + value); } });
    return parts.join("&");
  }

  function save() {
    var data = serialise();
    var print = fingerprint(data);
    if (print === lastSent) { return; }
    // keepalive lets the save finish when the tab is being closed.
    fetch(draftUrl, { method: "POST", body: data, credentials: "same-origin", redirect: "manual", keepalive: true })
      .then(function (response) {
        if (response.status === 204) {
          lastSent = print;
          status.textContent = status.dataset.saved || "";
          // The server renewed the session: tell the timeout warning.
          document.dispatchEvent(new CustomEvent("varna:activity"));
        }
      })
      .catch(function () { /* offline: the next change tries again */ });
  }

  function scheduleSave() {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  var sending = false;
  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);
  form.addEventListener("submit", function () {
    // The form itself carries everything now; a late autosave would bring it back as a draft.
    sending = true;
    clearTimeout(timer);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !sending) { save(); }
  });
  status.dataset.saved = form.dataset.savedText || "";

  // Sub-forms: only the group of the chosen main form, once one is chosen.
  var groups = form.querySelectorAll(".subform-group");
  var routing = document.getElementById("corruption-routing");
  function chosenForm() {
    var checked = form.querySelector("input[name='main_form']:checked");
    return checked ? checked.value : "";
  }
  function showRelevant() {
    var chosen = chosenForm();
    groups.forEach(function (group) { group.hidden = group.dataset.form !== chosen; });
    var intro = form.querySelector(".subform-groups > .hint");
    if (intro) { intro.hidden = !chosen; }
    if (routing) { routing.hidden = chosen !== "corruption"; }
  }
  form.querySelectorAll("input[name='main_form']").forEach(function (radio) {
    radio.addEventListener("change", showRelevant);
  });
  showRelevant();

  // Character count for the description, announced politely.
  var description = document.getElementById("id_description");
  var counter = document.getElementById("description-count");
  if (description && counter) {
    var limit = parseInt(description.getAttribute("maxlength"), 10);
    var template = counter.dataset.template || "";
    var update = function () {
      var left = limit - description.value.length;
      if (left < 1000) {
        counter.hidden = false;
        counter.textContent = template.replace("%s", left);
      } else {
        counter.hidden = true;
      }
    };
    description.addEventListener("input", update);
    update();
  }

  // After a failed send, move focus to the list of what to fix.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
})();
