/* Staff sessions end after an idle limit (the server checks it on every request). This keeps a
 * session alive while someone is working on the page and warns before it ends.
 *
 * - Activity on the page (typing, ticking, clicking, scrolling) renews the session with a small
 *   POST to the keep-alive address, at most once per quarter of the idle limit (never more than
 *   once a minute), so a long checklist or note never times out under the person's hands.
 * - SESSION_WARNING_SECONDS before the limit, with nothing done meanwhile, a notice says so and
 *   offers "Stay signed in" (keyboard and screen readers reach it: role=alertdialog, focus moved).
 * - Past the limit the page asks the server whether the session has really ended (another tab
 *   may have kept it alive; asking neither ends nor renews it). If it has, the page hides its
 *   content at once (no patient details left on an unattended screen) and leaves: a form typed
 *   into is sent, and the server holds it (never applies it) to show it back after signing in
 *   again; otherwise the page is loaded again, which leads to the sign-in page. A session
 *   signed out meanwhile (another tab) holds nothing: the typed form is then not sent.
 */
(function () {
  "use strict";

  var body = document.body;
  var idle = parseInt(body.getAttribute("data-session-idle"), 10);
  var warnBefore = parseInt(body.getAttribute("data-session-warn"), 10);
  var url = body.getAttribute("data-keep-alive");
  var leftUrl = body.getAttribute("data-session-left-url");
  var csrf = body.getAttribute("data-csrf");
  var notice = document.getElementById("session-warning");
  if (!idle || !url || !notice || !leftUrl) { return; }

  var countdown = notice.querySelector("[data-countdown]");
  var stay = notice.querySelector("[data-stay]");
  var text = document.getElementById("session-warning-text");
  var pingEvery = Math.min(60, idle / 4) * 1000;
  // The server moves its idle clock on at most once a minute, so the page load may not have
  // renewed it: start from the time the server says is left.
  var left = parseInt(body.getAttribute("data-session-left"), 10);
  var lastContact = Date.now() - (isNaN(left) ? 0 : Math.max(0, idle - left) * 1000);
  var activeSince = false;        // activity since the last contact
  var ended = false;
  var asking = false;             // a question to the server about the session is on its way
  var main = document.getElementById("main");
  var typedForm = null;           // the last form that posts and was typed into

  function keepAlive() {
    activeSince = false;
    var sent = Date.now();
    return fetch(url, {method: "POST", credentials: "same-origin", redirect: "manual",
                       headers: {"X-CSRFToken": csrf}})
      .then(function (response) {
        if (response.status === 204) { lastContact = sent; hide(); }
      })
      .catch(function () { /* offline: the warning stays; nothing typed is lost */ });
  }

  function onActivity() {
    if (ended) { return; }
    activeSince = true;
    if (Date.now() - lastContact >= pingEvery) { keepAlive(); }
  }

  function hide() {
    if (!notice.hidden) { notice.hidden = true; }
  }

  function words(seconds) {
    if (seconds >= 90) { return Math.round(seconds / 60) + " minutes"; }
    return seconds + " second" + (seconds === 1 ? "" : "s");
  }

  function noteTyping(event) {
    var form = event.target && event.target.form;
    if (form && (form.getAttribute("method") || "").toLowerCase() === "post") { typedForm = form; }
  }

  // `hold`: the server said this session has ended by its limits, so it still knows whose
  // session it was and holds a form sent now for them (tracker/auth/held_forms.py). Without that
  // answer (signed out meanwhile in another tab, or any other answer) nobody is known to hold the
  // form for: it is not sent, since the refusal page would show what was typed to whoever passes
  // the unattended screen next.
  function leave(hold) {
    ended = true;
    if (main) { main.hidden = true; }
    var sending = hold && typedForm;
    text.textContent = sending
      ? "Your session has ended. What you typed is kept: sign in again to see it and send it."
      : "Your session has ended. Please sign in again.";
    stay.hidden = true;
    notice.hidden = false;
    if (sending) {
      // Marked as sent by this script: if the server cannot hold it after all, its refusal
      // shows nothing typed (tracker/errors.py).
      var mark = document.createElement("input");
      mark.type = "hidden";
      mark.name = "_left_idle";
      mark.value = "1";
      typedForm.appendChild(mark);
      // The form's own submit, even when a field is named "submit"; the server holds it.
      HTMLFormElement.prototype.submit.call(typedForm);
    } else {
      window.location.assign(window.location.pathname + window.location.search);
    }
  }

  function askServer() {
    asking = true;
    fetch(leftUrl, {credentials: "same-origin", redirect: "manual", headers: {"Accept": "application/json"}})
      .then(function (response) {
        // Signed out meanwhile (another tab): the answer is the way to the sign-in page.
        if (response.type === "opaqueredirect" || !response.ok) { return {ended: true, signedOut: true}; }
        return response.json();
      })
      .then(function (state) {
        asking = false;
        if (state.ended) { leave(!state.signedOut); return; }
        lastContact = Date.now() - Math.max(0, idle - state.left) * 1000;
        hide();
      })
      .catch(function () { asking = false; /* offline: asked again on the next tick */ });
  }

  function tick() {
    var left = Math.round(idle - (Date.now() - lastContact) / 1000);
    if (left <= 0) {
      if (!ended && !asking) { askServer(); }
      return;
    }
    if (left <= warnBefore) {
      if (activeSince) { keepAlive(); return; }
      countdown.textContent = words(left);
      if (notice.hidden) {
        notice.hidden = false;
        stay.focus();
      }
    }
  }

  stay.addEventListener("click", function () { keepAlive(); });
  document.addEventListener("input", noteTyping, true);
  document.addEventListener("change", noteTyping, true);
  ["keydown", "input", "change", "click", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, onActivity, {passive: true, capture: true});
  });
  window.setInterval(tick, 1000);
}());
