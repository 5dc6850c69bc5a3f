// A link to a folded form ("#readiness-override", the refused start's link to the physician's
// override): the page comes with it open (the server opens it; no script is needed to reach it);
// this puts the keyboard in its first box, which a fragment alone does not (a browser skips
// `autofocus` when the address names a fragment). Also for a link followed on the same page.
(function () {
  function focusTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target || target.tagName !== "DETAILS") return;
    target.open = true;
    var box = target.querySelector("textarea, input:not([type=hidden]), select");
    if (box) box.focus();
  }
  window.addEventListener("hashchange", focusTarget);
  // After the load: the browser's own scroll to the fragment, which comes first, clears the focus.
  if (document.readyState === "complete") focusTarget();
  else window.addEventListener("load", function () { window.setTimeout(focusTarget, 0); });
})();
