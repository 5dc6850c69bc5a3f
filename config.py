"""Settings, read from the environment.

`create_app()` picks the class named by FLASK_ENV-like `TRACKER_CONFIG` (development, testing,
production); every value below can be overridden by an environment variable of the same name.
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.sqlite'}"
    )
    # hide_parameters: a database error in the log shows the SQL but never its values, which may
    # be clinical data or password hashes. create_app adds the SQLite busy timeout to these.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

    # The clinic's wall clock: every time is stored in UTC and shown in this zone.
    CLINIC_TIMEZONE = os.environ.get("CLINIC_TIMEZONE", "America/New_York")
    CLINIC_NAME = os.environ.get("CLINIC_NAME", "SI Joint Injection Clinic")
    # The clinic's country (two-letter code): a phone number typed without "+" is read as one of
    # its numbers, and numbers are shown in its style. Stored numbers are E.164 whatever it is.
    CLINIC_COUNTRY = os.environ.get("CLINIC_COUNTRY", "US")
    # How the clinic usually writes a date (besides ISO 2026-12-05), for the patient search box.
    CLINIC_DATE_FORMAT = os.environ.get("CLINIC_DATE_FORMAT", "%m/%d/%Y")

    # Sessions: staff sessions end after 15 idle minutes, every session after 12 hours.
    STAFF_IDLE_TIMEOUT = timedelta(minutes=_env_int("STAFF_IDLE_MINUTES", 15))
    SESSION_MAX_AGE = timedelta(hours=_env_int("SESSION_MAX_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_MAX_AGE
    # The cookie is re-sent only when the session changes (tracker/security.py renews its idle
    # clock once a minute): re-signing it on every request was a tenth of a page's time.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_NAME = "tracker_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # The page warns this long before the idle limit and offers to stay signed in (static/js/session.js).
    SESSION_WARNING_SECONDS = _env_int("SESSION_WARNING_SECONDS", 120)
    # A form posted after its sender's session ended is kept this long for them (tracker/auth/held_forms.py).
    HELD_FORM_MINUTES = _env_int("HELD_FORM_MINUTES", 30)
    WTF_CSRF_TIME_LIMIT = None  # the session itself expires; a form left open must still post
    # Over HTTPS Flask-WTF would also demand a same-site Referer, which no browser sends: every page
    # says Referrer-Policy: no-referrer (a diary link's token never leaves in one). The form's token,
    # bound to the session, and the SameSite cookie are the check.
    WTF_CSRF_SSL_STRICT = False
    DEMO_COMMANDS = True  # `flask demo seed` and `reset` (refused in production)

    # Failed sign-ins: this many failures within the window lock the account name for the window.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)

    # Failures allowed per client address before it gets a 429 until the window has passed
    # (tracker/ratelimit.py): refused sign-ins; wrong current passwords and refused resets;
    # diary links that do not open. Limits in the `limits` notation ("20 per 15 minutes").
    RATELIMIT_SIGN_IN = os.environ.get("RATELIMIT_SIGN_IN", "20 per 15 minutes")
    RATELIMIT_PASSWORD = os.environ.get("RATELIMIT_PASSWORD", "10 per 15 minutes")
    RATELIMIT_DIARY_LINK = os.environ.get("RATELIMIT_DIARY_LINK", "20 per 15 minutes")
    # "Forgot password" requests from one address (every request counts: the answer never says
    # whether an email went).
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per 15 minutes")
    # A booking further ahead than this is a warning to acknowledge: more often a year typed wrong
    # than a plan, and the verdict it rests on is unlikely to stand that long (tracker/scheduling).
    BOOKING_FAR_MONTHS = _env_int("BOOKING_FAR_MONTHS", 6)
    # How long a patient's links to set a password work (tracker/patient_accounts).
    PATIENT_INVITATION_DAYS = _env_int("PATIENT_INVITATION_DAYS", 7)
    PASSWORD_RESET_MINUTES = _env_int("PASSWORD_RESET_MINUTES", 60)
    # Where the counts live: redis://127.0.0.1:6379/0 shares them between workers and servers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Reverse proxies in front of the tracker that set X-Forwarded-For/-Proto/-Host: the client
    # address (rate limits, audit) is read from the header they set. 0: no proxy, the peer's address.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    PASSWORD_MIN_LENGTH = 12
    PASSWORD_HASH_METHOD = "scrypt"

    # Outgoing mail (diary reminders). With no MAIL_SERVER, messages are written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "tracker@clinic.invalid")
    # Without MAIL_SERVER, also keep each whole message as a .eml file in this folder (development).
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", "")

    # Text messages (reminders to patients whose preferred contact is a text) through Twilio. Without
    # TWILIO_ACCOUNT_SID, texts are written to the log (links redacted). TWILIO_BASE_URL points the
    # client at another Messages endpoint (the tests' local server); the webhook that receives STOP
    # is checked with TWILIO_AUTH_TOKEN against PUBLIC_URL + /sms/inbound.
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
    TWILIO_BASE_URL = os.environ.get("TWILIO_BASE_URL", "")
    SMS_TIMEOUT_SECONDS = _env_int("SMS_TIMEOUT_SECONDS", 10)

    # Where patients open the tracker, e.g. https://tracker.clinic.example: links in emails sent
    # from a command (`flask reminders send`, outside any web request) are built from it.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # `flask reminders send`: each diary time point gets at most this many email reminders, the
    # next no sooner than REMINDER_REPEAT_HOURS after the last. A point whose window closed more
    # than REMINDER_LATE_DAYS ago gets none: a score for a moment that long gone is a guess.
    REMINDER_MAX_ATTEMPTS = _env_int("REMINDER_MAX_ATTEMPTS", 2)
    REMINDER_REPEAT_HOURS = _env_int("REMINDER_REPEAT_HOURS", 24)
    REMINDER_LATE_DAYS = _env_int("REMINDER_LATE_DAYS", 7)
    # Nothing goes to a patient on its own (diary reminders, repeats, appointment messages) between
    # these clinic times, "from-to" ("21-8": 21:00 to 08:00; "21:30-7:30"; "" for none), unless it
    # would be of no use once they end (tracker/contact.py). Checked at start-up.
    REMINDER_QUIET_HOURS = os.environ.get("REMINDER_QUIET_HOURS", "21-8")

    # `flask reminders send` also reminds patients of their appointment this many hours before it
    # (comma-separated; default two days and the day before), with the clinic's phone number.
    APPOINTMENT_REMINDER_HOURS = os.environ.get("APPOINTMENT_REMINDER_HOURS", "48,24")
    CLINIC_PHONE = os.environ.get("CLINIC_PHONE", "")

    # A patient's personal diary link works this many days (the diary runs 12 months after the
    # injection) unless staff revoke it first.
    DIARY_LINK_DAYS = _env_int("DIARY_LINK_DAYS", 400)
    # Once the case is closed (or cancelled), its link works this many days more (for the patient
    # to look back at their scores), then no longer.
    DIARY_LINK_DAYS_AFTER_CLOSE = _env_int("DIARY_LINK_DAYS_AFTER_CLOSE", 30)

    # `flask appointments mark-no-shows`: a booked patient not checked in this long after the
    # start is a no-show (late arrivals are common; a checked-in patient is never one).
    NO_SHOW_GRACE_MINUTES = _env_int("NO_SHOW_GRACE_MINUTES", 60)

    # Only the physician booked for a procedure may record and sign its checklist (others read).
    PROCEDURE_OWN_CASES_ONLY = _env_bool("PROCEDURE_OWN_CASES_ONLY", False)

    # ICD-10-CM codes a referral may carry besides the built-in list (tracker/coding.py), as
    # "CODE=Display; CODE=Display". Checked at start-up: a malformed code, or M53.3, is refused.
    DIAGNOSIS_CODES = os.environ.get("DIAGNOSIS_CODES", "")

    # FHIR: the identifier system of this clinic's medical record numbers (Patient.identifier).
    # (Whether the clinic bills as a facility is an admin's clinic setting, not configuration.)
    FHIR_MRN_SYSTEM = os.environ.get("FHIR_MRN_SYSTEM", "https://si-joint-tracker.invalid/fhir/identifier/mrn")

    # The largest request body accepted (forms are a few KB; the longest note is far below this):
    # a larger one gets the tracker's own 413 page.
    MAX_CONTENT_LENGTH = _env_int("MAX_REQUEST_KB", 1024) * 1024

    PER_PAGE = 25
    DEBUG = False
    TESTING = False


class DevelopmentConfig(Config):
    DEBUG = _env_bool("FLASK_DEBUG", False)
    # The demo has no mail server: each email it would send is kept whole as a file here, so an
    # invitation or a password link can be followed on a laptop. Never set in production, where
    # a missing MAIL_SERVER writes only the redacted log line.
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    # A development key is fine on a laptop; production refuses it (see ProductionConfig.check).
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-for-production")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key-that-is-long-enough-0123456789"
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "TEST_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'test.sqlite'}"
    )
    # A cheaper hash keeps the suite fast; the algorithm is the same as in production.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    # The suite runs at any hour: the tests of the quiet hours set them (Config's default).
    REMINDER_QUIET_HOURS = ""


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    # `flask demo seed` and `reset` make accounts whose passwords the README publishes.
    DEMO_COMMANDS = False

    @classmethod
    def check(cls, app_config):
        """Refuse to start with settings that would be unsafe with real patients."""
        key = app_config.get("SECRET_KEY") or ""
        weak = len(key) < 32 or len(set(key)) < 12 or key.startswith(("dev-only", "change-me"))
        if weak:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        # `flask run` and `python -m flask run` switch debug on from FLASK_DEBUG (or --debug, which
        # sets it) only after the app is built, and `--debugger` wraps it in the Werkzeug debugger
        # whatever its DEBUG; gunicorn passes FLASK_DEBUG through. So the environment and the
        # command line are read here, at start-up, not only the config.
        if app_config.get("DEBUG") or _env_bool("FLASK_DEBUG", False) or _cli_debugger_requested():
            raise RuntimeError("Debug mode must be off in production (unset FLASK_DEBUG; no --debug "
                               "or --debugger).")


def _cli_debugger_requested():
    """True inside `flask run --debugger` (the debugger without debug mode)."""
    import click

    context = click.get_current_context(silent=True)
    return bool(context and context.params.get("debugger"))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env():
    name = os.environ.get("TRACKER_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"TRACKER_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}.")
    return CONFIGS[name]
