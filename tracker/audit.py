"""Writing the audit trail. `record` adds a row to the current transaction; the caller commits it
together with the change it describes, so neither exists without the other.

Who: the `user` and `actor` given, else the request's. A page's is the signed-in user; an API
request's is the token's account, and its actor names the token ("coordinator@clinic (API token
sit_xxxxxxxx…)") on every row the request writes, whichever service writes it.

An edit passes the values `before` and `after` it: the row then lists each changed field with its
old and new value (`changes`), which the admin's audit page shows in words. A password, token or
hash is listed as changed, never with a value. The one-line summary names the fields only; never
put a password, token or clinical value in it.
"""
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.extensions import db
from tracker.models.audit import AuditAction as Action
from tracker.models.audit import AuditEvent

__all__ = ["Action", "record", "viewed", "viewed_list", "viewed_cases_page", "changed_fields", "field_changes",
           "change_words", "changes_words"]

# A field whose name holds one of these is a secret: recorded as changed, never with its value.
SECRET_MARKS = ("password", "token", "hash", "secret")


def record(action, object_type=None, object_id=None, summary="", user=None, actor=None,
           before=None, after=None):
    token = _request_token()
    if user is None and token is not None:
        user = token.user
    elif user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        summary=summary[:2000],
        user_id=user.id if user else None,
        role=user.role if user else None,
        actor=actor or _actor(user, token),
        ip=request.remote_addr if has_request_context() else None,
        changes=field_changes(before, after) if after is not None else None,
    )
    db.session.add(event)
    return event


def _request_token():
    """The API token the request came with, once tracker/api/auth.py has found it; else None."""
    return g.get("api_token") if has_request_context() else None


def _actor(user, token):
    if user is None:
        return ""
    if token is not None and token.user_id == user.id:
        # The audit column holds 254 characters, as an email address does.
        return f"{user.email} (API token {token.prefix}…)"[-254:]
    return user.email


def viewed(object_type, object_id, summary="", **who):
    """Audit that someone saw a record, and commit it now: the page is drawn only once its viewing
    is on record. A page that only reads has written nothing else, so what the request already
    read (the signed-in user, the record) is kept as read rather than expired by the commit and
    read again (a query per page for the header's name alone)."""
    record(Action.VIEW, object_type, object_id, summary=summary, **who)
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def viewed_list(object_type, what, shown, noun, filters="", which="", **who):
    """Audit that someone saw a list of patients (a worklist, search results): one row naming the
    list, how many `noun`s ("case", "patient") it showed, `which` ones ("at or near their cap") and
    its `filters` ("q=lee, side=left"), however long the list (one INSERT, never one per patient),
    committed as `viewed` is."""
    summary = (f"viewed {what}: {shown} {noun}{'' if shown == 1 else 's'}" + (f" {which}" if which else "")
               + (f" ({filters})" if filters else ""))
    viewed(object_type, None, summary=summary, **who)


def viewed_cases_page(what, page, filters="", offered=0, **who):
    """One page (a `tracker.formfields.Window`) of a list of cases, which shows patients' names
    and MRNs: its number, how many cases it showed and the filters ("viewed worklist page 2: 25
    cases (state=eligible)"), and how many patients its "Did you mean" `offered` ("0 cases and 1
    patient offered (did you mean)"). Written last, once the page is drawn (see the case page's view)."""
    which = f"and {offered} patient{'' if offered == 1 else 's'} offered (did you mean)" if offered else ""
    viewed_list("worklist", f"{what} page {page.page}", len(page.items), "case", filters, which, **who)


def created(row, object_type, summary, **who):
    """Add a new `row` with the audit row of its creation (which names its id, so the row is
    flushed first). `who`: `user`/`actor` as for `record`. Returns the row."""
    db.session.add(row)
    db.session.flush()
    record(Action.CREATE, object_type, row.id, summary=summary, **who)
    return row


def changed_fields(before, after, show_values=()):
    """A short diff: the names of the fields that changed, with old → new only for `show_values`
    (administrative fields such as role or active; never clinical values)."""
    parts = []
    for name in after:
        if before.get(name) == after[name]:
            continue
        if name in show_values:
            parts.append(f"{name}: {_plain(before.get(name))} → {_plain(after[name])}")
        else:
            parts.append(name)
    return "changed " + ", ".join(parts) if parts else "no change"


def field_changes(before, after):
    """[{"field", "old", "new"}] for each field of `after` whose value differs from `before`'s,
    values as JSON can hold them; a secret field as {"field", "secret": True}."""
    changes = []
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        if any(mark in name.lower() for mark in SECRET_MARKS):
            changes.append({"field": name, "secret": True})
        else:
            changes.append({"field": name, "old": _stored(old), "new": _stored(new)})
    return changes or None


# Column names as an audit row keeps them, in words a reader knows ("baseline_nrs": "Baseline NRS").
_FIELD_WORDS = {"nrs": "NRS", "odi": "Oswestry answer", "l5": "L5", "s1": "S1", "mrn": "MRN", "hba1c": "HbA1c",
                "icd": "ICD", "id": "ID", "sms": "SMS", "e164": "(E.164)"}


def field_words(name):
    """An audit change's field in words: "pain_below_l5" is "Pain below L5", "odi_3" "Oswestry answer 3"."""
    text = " ".join(_FIELD_WORDS.get(word, word) for word in str(name).split("_"))
    return text[:1].upper() + text[1:]


def value_words(value):
    """An old or new value of an audit row's change, in words: "yes", "(blank)", the text."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def change_words(change):
    """One change of an audit row as the audit page and its CSV download both write it:
    "Reason: old text → new text"; a secret only "Password hash: changed (not recorded)"."""
    if change.get("secret"):
        secret = _("changed (not recorded)")
        return f"{field_words(change['field'])}: {secret}"
    return f"{field_words(change['field'])}: {value_words(change.get('old'))} → {value_words(change.get('new'))}"


def changes_words(changes):
    """Every change of a row, one after another ("Reason: a → b; Email: c → d"), for a CSV cell."""
    return "; ".join(change_words(change) for change in changes or ())


def _plain(value):
    return getattr(value, "value", value)


def _stored(value):
    value = _plain(value)
    if isinstance(value, (date, datetime, Decimal)):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
