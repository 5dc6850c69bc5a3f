"""Writing the audit trail. `record` adds a row to the current transaction; the caller commits it
together with the change it describes, so neither exists without the other.

Never put passwords, tokens or clinical values in a summary: name the fields that changed instead.
"""
from flask import has_request_context, request
from flask_login import current_user

from tracker.extensions import db
from tracker.models.audit import AuditAction as Action
from tracker.models.audit import AuditEvent

__all__ = ["Action", "record", "changed_fields"]


def record(action, object_type=None, object_id=None, summary="", user=None, actor=None):
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        summary=summary[:2000],
        user_id=user.id if user else None,
        role=user.role if user else None,
        actor=actor or (user.email if user else ""),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


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


def _plain(value):
    return getattr(value, "value", value)
