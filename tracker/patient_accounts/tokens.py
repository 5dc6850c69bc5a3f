"""The links that let a patient set a password without the clinic's help: signed, expiring, and
single-use without a table of their own.

A link names its purpose, the patient record (an invitation) or the account (a reset), and a
stamp of the account's password as it is when the link is made ("new" for a patient without an
account yet). Setting a password changes the stamp, and an invitation accepted creates the account:
either way every link made before stops working, including after a password change made any other
way. The signature proves the tracker made the link; the age is checked against the purpose's limit.
"""
import hashlib

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

SALT = "patient-account-password"
INVITE, RESET = "invite", "reset"
NO_ACCOUNT = "new"


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def stamp(user):
    """Changes whenever the account's password does (never the hash itself in a link)."""
    if user is None:
        return NO_ACCOUNT
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:24]


def invitation(patient, email, user=None):
    return _serializer().dumps({"kind": INVITE, "patient": patient.id, "email": email, "stamp": stamp(user)})


def reset(user):
    return _serializer().dumps({"kind": RESET, "user": user.id, "stamp": stamp(user)})


def max_age(kind):
    config = current_app.config
    return (config["PATIENT_INVITATION_DAYS"] * 86400 if kind == INVITE
            else config["PASSWORD_RESET_MINUTES"] * 60)


def read(token):
    """The link's contents (a dict) if the tracker signed it and it is not older than its
    purpose allows; None for anything else."""
    try:
        data = _serializer().loads(token)
        if not isinstance(data, dict) or data.get("kind") not in (INVITE, RESET):
            return None
        _serializer().loads(token, max_age=max_age(data["kind"]))
    except BadData:
        return None
    wanted = {"patient": int, "email": str} if data["kind"] == INVITE else {"user": int}
    if not all(isinstance(data.get(k), t) and not isinstance(data.get(k), bool) for k, t in wanted.items()):
        return None
    return data if isinstance(data.get("stamp"), str) else None
