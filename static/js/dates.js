/* A date box filled in part (the month and the day typed, the year not) is sent empty, exactly as an
 * empty one is: the server could only say the date is missing. As a form is sent, this names each
 * such box in a hidden field "incomplete_dates" (tracker/formfields.py, DateRequired), so the
 * message asks for the full date instead. Without the script the server says the date is missing.
 */
(function () {
  "use strict";

  var FIELD = "incomplete_dates";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.querySelectorAll) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("input[name='" + FIELD + "']"), function (old) {
      old.parentNode.removeChild(old);
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[type='date']"), function (box) {
      if (!box.name || !box.validity || !box.validity.badInput) { return; }
      var named = document.createElement("input");
      named.type = "hidden";
      named.name = FIELD;
      named.value = box.name;
      form.appendChild(named);
    });
  }, true);
}());
