"""Secrets stay out of logs: `redact(text)` blanks every diary-link token (and any other token
signed by the tracker) in a text, and `init_app` puts a filter doing the same on every logger the
tracker writes to (its own, Werkzeug's request log, gunicorn's access and error logs).

A personal diary link lets anyone holding it enter scores, so it is shown to staff on the page
and sent to the patient, never written whole to a log: log lines keep everything but the token.
Code that logs a message holding a link (an email or text written to the log without a mail or
SMS provider) calls `redact` itself as well, so the intent is visible where the line is written.
"""
import logging
import re

from flask.logging import default_handler

REDACTED = "[redacted]"

_PATTERNS = [
    # /d/<token>: the personal diary link (tracker/diary/links.py), in a URL or a request line.
    re.compile(r"(?<=/d/)[A-Za-z0-9_\-.]+"),
    # An itsdangerous token anywhere else: payload.timestamp.signature, URL-safe base64.
    re.compile(r"\b[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}\b"),
]

# The loggers requests and the app write to; gunicorn's exist only under gunicorn (created here
# otherwise, harmless).
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text):
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with its tokens blanked (the record is still written)."""

    def filter(self, record):
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_FILTER = RedactingFilter()


def init_app(app):
    # A filter on a logger sees only records logged on it; the handler also sees those of
    # child loggers (tracker.scheduling.services...) that propagate to the app's logger.
    app.logger.addFilter(_FILTER)
    default_handler.addFilter(_FILTER)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)
