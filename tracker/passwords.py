"""Password policy and hashing (Werkzeug's scrypt)."""
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"


@lru_cache(maxsize=1)
def _common():
    words = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split()
    return frozenset(w.strip().lower() for w in words if w.strip())


def _core(password):
    """The password with digits and symbols around it removed: 'Password2024!' -> 'password'."""
    return re.sub(r"^[^a-z]+|[^a-z]+$", "", password.lower())


def _name_parts(local_part):
    """'margaret.whitfield' -> the whole and each part ('margaret', 'whitfield'): a name guessed
    from the address is the first thing an attacker tries."""
    return {local_part, *re.split(r"[._+\-]+", local_part)} - {""}


def password_problems(password, min_length=12, email=""):
    """Why a password is refused, as sentences for the form (empty list = acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(_("Use at least %(min)d characters (this one has %(count)d).", min=min_length,
                          count=len(password)))
    lowered = password.lower()
    local_part = email.split("@")[0].lower() if email else ""
    if lowered in _common() or _core(password) in _common() or len(set(lowered)) <= 3:
        problems.append(_("This password is too common or too easy to guess; choose another."))
    elif found := next((part for part in sorted(_name_parts(local_part), key=len, reverse=True)
                        if len(part) >= 4 and part in lowered), None):
        # Name the part: "Sciatica-Hart-2026" on lena.hart@… holds the surname, not the address.
        problems.append(_("Do not use your email address or a part of it (“%(part)s”) in your password.", part=found))
    return problems


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash, password):
    return check_password_hash(password_hash, password)


@lru_cache(maxsize=4)
def _dummy_hash(method):
    return generate_password_hash("not-a-real-password-only-for-timing", method=method)


def verify_against_nobody(password):
    """Spend the same time as a real check when no account matches, so timing reveals nothing."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    return False
