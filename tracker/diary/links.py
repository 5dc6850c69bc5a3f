"""The personal diary link's token: a signature of {"link": id, "case": case_id}, nothing else.

The signature proves the tracker made the token; the DiaryLink row decides whether it still
works (not revoked, not expired), so staff can end a link without changing the secret key.
"""
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

SALT = "diary-link"


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def sign(link):
    return _serializer().dumps({"link": link.id, "case": link.case_id})


def read(token):
    """(link id, case id) from a token with a good signature, or None for anything else
    (tampered, truncated, signed with another key or salt, not the expected shape)."""
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    link_id, case_id = data.get("link"), data.get("case")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (link_id, case_id)):
        return None
    return link_id, case_id
