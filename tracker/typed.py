"""What a person typed into a form, kept for them when their post cannot be applied: held for a
session that expired (tracker/auth/held_forms.py), or shown back on a refused security token
(tracker/errors.py). Never a token, never a password."""
from flask import request

# The re-send form carries the token in this field, so the held copy is dropped once it is used.
RESENT_FIELD = "_held_form"
# Never held, never shown back: a fresh token is sent with the re-sent form. Nor is any password
# (a new account's, a reset): it is typed again, never stored or echoed into a page.
# static/js/session.js marks the form it sends itself from an idle page: nobody is at the screen.
LEFT_IDLE_FIELD = "_left_idle"
NOT_KEPT = {"csrf_token", RESENT_FIELD, LEFT_IDLE_FIELD}
# Posts that are not someone's work: signing in or out, staying signed in.
NOT_HELD_ENDPOINTS = {"auth.sign_in", "auth.sign_out", "auth.keep_alive", "auth.discard_held_form"}


def posted_fields():
    """The current request's form as [name, value] pairs worth keeping (no token, no password), or
    [] when it is no one's work (not a form post, or signing in or out)."""
    if (request.method != "POST" or request.endpoint in NOT_HELD_ENDPOINTS
            or request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data")):
        return []
    return [[name, value] for name, value in request.form.items(multi=True)
            if name not in NOT_KEPT and "password" not in name.lower()]


def shown_fields(fields):
    """The fields a person recognises (not the hidden bookkeeping ones), in words: a held form's
    (`held.fields`), or a refused post's (`posted_fields()`)."""
    return [(name.replace("_", " ").capitalize(), value) for name, value in fields
            if name not in ("version_id", "next", "submit", "shown_at") and not name.endswith("_version")
            and value != ""]


def may_show_back():
    """Whether a refused post's typed fields may be shown back in the answer: only to the person
    who sent them from this site's own page. Never for the form static/js/session.js sends from
    an idle page (nobody is at that screen: the answer would stay on it for the next passer-by),
    nor for a post another site's page sent (its words would appear on this site's page). The
    browser says where a request comes from (Sec-Fetch-Site); without that header, this site's
    own page as the referrer."""
    if request.form.get(LEFT_IDLE_FIELD):
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    return (request.referrer or "").startswith(request.host_url)
