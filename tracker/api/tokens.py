"""Making, revoking and checking API tokens (the model: tracker/models/api_token.py)."""
import getpass
import hashlib
import os
import secrets
from datetime import timedelta

from tracker import audit
from tracker.roles import CLINICAL_STAFF
from tracker.extensions import db
from tracker.models import ApiScope, ApiToken, User
from tracker.timeutil import utcnow
from tracker.refusals import FieldError
from tracker.transactions import service

TOKEN_PREFIX = "sit_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
SHOWN_PREFIX = 12  # "sit_" and 8 characters of the secret: enough to tell tokens apart
COMMAND_LINE = "command line"


def command_line():
    """Who, in the audit trail, made or revoked a token with `flask api-tokens`: the command line
    and the system account that ran it (the person behind sudo, not root), as far as it is known."""
    who = os.environ.get("SUDO_USER")
    if not who:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no login name in the environment and no passwd entry
            who = None
    return f"{COMMAND_LINE} (system user {who})" if who else COMMAND_LINE


def digest(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# The one message for the days a token lasts, whatever is wrong with them (none, 0, too many):
# the admin's form and the service (the command line) say the same.
DAYS_RULE = f"Enter the number of days the token lasts, from 1 to {MAX_DAYS}."


def check_days(days):
    if days is None or not 1 <= days <= MAX_DAYS:
        raise FieldError("days", DAYS_RULE)
    return days


@service
def create(user, scope, days, label, actor=None, now=None, channel=COMMAND_LINE):
    """A new token for `user`'s account: returns (row, token). The token is never stored and
    cannot be shown again. Only coordinators and physicians: the API serves clinical records,
    which admins and patients do not read here. Audited as `actor`'s (the admin page) or, without
    one, as `channel`'s (`command_line()`)."""
    if user is None:
        raise FieldError("user_id", "Choose the account the token acts as.")
    if user.role not in CLINICAL_STAFF:
        raise FieldError("user_id", f"A token acts as a coordinator or physician account; "
                                    f"{user.email} is {user.role.label.lower()}.")
    if not user.active:
        raise FieldError("user_id", f"{user.email} is deactivated.")
    label = (label or "").strip()
    if not label:
        raise FieldError("label", "Say what the token is for (e.g. the system that will use it).")
    now = now or utcnow()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, label=label[:120], scope=ApiScope(scope), token_hash=digest(raw),
                   prefix=raw[:SHOWN_PREFIX], created_at=now,
                   expires_at=now + timedelta(days=check_days(days)),
                   created_by_id=actor.id if actor else None)
    audit.created(row, "api_token", f"API token {row.prefix}… ({row.scope.value}, {days} day{'' if days == 1 else 's'}) for {user.email}",
                  user=actor, actor=None if actor else channel)
    db.session.commit()
    return row, raw


@service
def revoke(row, actor=None, now=None, channel=COMMAND_LINE):
    """Stop the token at once; audited as `create` is, naming the account it acted as."""
    if row.revoked_at is None:
        _revoke(row, actor, now, channel)
        db.session.commit()
    return row


def _revoke(row, actor, now=None, channel=COMMAND_LINE, why=""):
    row.revoked_at = now or utcnow()
    row.revoked_by_id = actor.id if actor else None
    audit.record(audit.Action.UPDATE, "api_token", row.id, user=actor, actor=None if actor else channel,
                 summary=f"API token {row.prefix}… ({row.scope.value}) for {row.user.email} revoked"
                         + (f": {why}" if why else ""))


def revoke_unusable(user, actor):
    """Revoke every token of `user` not yet revoked when the account is deactivated or given a role no
    token acts for (part of the admin's save: no commit here), so that reactivating it later does
    not bring them back. Returns the tokens revoked."""
    if user.active and user.role in CLINICAL_STAFF:
        return []
    why = "account deactivated" if not user.active else f"account made {user.role.label.lower()}"
    rows = db.session.execute(db.select(ApiToken).filter_by(user_id=user.id, revoked_at=None)
                              .order_by(ApiToken.id)).scalars().all()
    for row in rows:
        _revoke(row, actor, why=why)
    return rows


def find(raw):
    """The token row for a presented token (usable or not), or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    return db.session.execute(db.select(ApiToken).filter_by(token_hash=digest(raw))).scalar_one_or_none()


def account(email):
    return db.session.execute(db.select(User).filter(
        db.func.lower(User.email) == (email or "").strip().lower())).scalar_one_or_none()


def listing():
    return db.session.execute(db.select(ApiToken).options(db.joinedload(ApiToken.user))
                              .order_by(ApiToken.id.desc())).scalars().all()


def token_accounts():
    return db.session.execute(db.select(User).filter(User.role.in_(CLINICAL_STAFF), User.active.is_(True))
                              .order_by(User.name)).scalars().all()
