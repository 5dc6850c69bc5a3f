/* The procedure's elapsed time, ticking live on the checklist page.
 *
 * Progressive enhancement: the page already shows the time the server computed, and the
 * server's timestamps are the record (the duration, from the start to the sign-out step, is stored
 * at signing). This only keeps the figure moving until the sign-out is recorded (then it stands
 * still at the sign-out's time), and turns it to a warning past the 30-minute target. After a save
 * the server sends the page to the next open step (#step-...): focus that box, so the keyboard and
 * a screen reader start there.
 * Also wires the note's Print button (the Content-Security-Policy forbids inline script).
 */
(function () {
  "use strict";
  var LONG_MINUTES = 30;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // As the server writes it (rules/duration.py elapsed_words): "45 s", "17 min 10 s", "1 h 02 min",
  // never "17:10", which beside the start's "17:37" reads as a clock time.
  function elapsedWords(seconds) {
    var hours = Math.floor(seconds / 3600), minutes = Math.floor((seconds % 3600) / 60);
    if (hours) { return hours + " h " + pad(minutes) + " min"; }
    return minutes ? minutes + " min " + pad(seconds % 60) + " s" : (seconds % 60) + " s";
  }

  function startTimer(timer) {
    var started = Date.parse(timer.getAttribute("data-started-at"));
    var value = timer.querySelector(".timer-value");
    // Once the sign-out is recorded the procedure has ended: the clock stands at its time.
    var ended = Date.parse(timer.getAttribute("data-ended-at") || "");
    if (isNaN(started) || !value) { return; }
    function tick() {
      var seconds = Math.max(0, Math.floor(((isNaN(ended) ? Date.now() : ended) - started) / 1000));
      var minutes = Math.floor(seconds / 60);
      // Only the words change: the timer (role=timer) is not announced at each tick.
      value.textContent = elapsedWords(seconds);
      // Minutes are never rounded up: from 31 min 00 s the stored duration reads 31 minutes and is flagged.
      timer.classList.toggle("timer-long", minutes > LONG_MINUTES);
    }
    tick();
    if (isNaN(ended)) { window.setInterval(tick, 1000); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var timer = document.getElementById("procedure-timer");
    if (timer) { startTimer(timer); }
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (target && target.getAttribute("tabindex") === "-1") { target.focus({ preventScroll: true }); }
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  });
}());
