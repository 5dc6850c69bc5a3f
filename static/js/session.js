/* Staff sessions end after an idle limit (the server checks it on every request). This keeps a
 * session alive while someone is working on the page and warns before it ends.
 *
 * - Activity on the page (typing, ticking, clicking, scrolling) renews the session with a small
 *   POST to the keep-alive address, at most once per quarter of the idle limit (never more than
 *   once a minute), so a long checklist or note never times out under the person's hands.
 * - SESSION_WARNING_SECONDS before the limit, with nothing done meanwhile, a notice says so and
 *   offers "Stay signed in" (keyboard and screen readers reach it: role=alertdialog, focus moved).
 * - Past the limit the notice says the session has ended. Nothing typed is lost either way: a
 *   form sent after the end is kept on the server and shown back after signing in again.
 */
(function () {
  "use strict";

  var body = document.body;
  var idle = parseInt(body.getAttribute("data-session-idle"), 10);
  var warnBefore = parseInt(body.getAttribute("data-session-warn"), 10);
  var url = body.getAttribute("data-keep-alive");
  var csrf = body.getAttribute("data-csrf");
  var notice = document.getElementById("session-warning");
  if (!idle || !url || !notice) { return; }

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

  function tick() {
    var left = Math.round(idle - (Date.now() - lastContact) / 1000);
    if (left <= 0) {
      if (!ended) {
        ended = true;
        text.textContent = "Your session has ended. Anything you send now is kept: after signing in " +
                           "again you will see it and can send it.";
        stay.hidden = true;
        notice.hidden = false;
      }
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
  ["keydown", "input", "change", "click", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, onActivity, {passive: true, capture: true});
  });
  window.setInterval(tick, 1000);
}());
