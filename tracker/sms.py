"""Text messages through Twilio's Python client, with the TWILIO_* settings of config.py.

Without TWILIO_ACCOUNT_SID (development), a message is written to the log instead, its links
redacted. Callers never put clinical values in a text: a greeting, the clinic's name, a link or
the clinic's phone; no procedure, side, drug or score.

A send either hands the message to the provider (it answers with the message's id) or raises
SmsError, saying whether the provider may have taken it anyway (`maybe_sent`): a request that
never reached it (refused connection, connect timeout) or that it refused (an HTTP error) sent
nothing and may be retried; a request whose answer never came (read timeout) may have been
queued, so it is not retried automatically - a second text is worse than a late one, and the
coordinator sees it and can resend.
"""

import requests
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tracker.extensions import db
from tracker.models import SmsOptOut
from tracker.redaction import redact
from tracker.timeutil import utcnow

# The words a phone answers to stop or restart texts (the carriers' standard list, as Twilio reads it).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


class SmsError(Exception):
    """The provider did not take the message (or did not say whether it did: `maybe_sent`)."""

    def __init__(self, message, maybe_sent=False):
        super().__init__(message)
        self.maybe_sent = maybe_sent


def configured():
    return bool(current_app.config.get("TWILIO_ACCOUNT_SID"))


def _client():
    config = current_app.config
    client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                    http_client=TwilioHttpClient(timeout=config["SMS_TIMEOUT_SECONDS"]))
    if config.get("TWILIO_BASE_URL"):
        # Tests (and a regional or proxy endpoint) point the Messages API elsewhere.
        client.api.base_url = config["TWILIO_BASE_URL"].rstrip("/")
    return client


def opted_out(phone):
    """The SmsOptOut of a number, or None: texts may go to it."""
    if not phone:
        return None
    return db.session.execute(db.select(SmsOptOut).filter_by(phone=phone)).scalar_one_or_none()


def record_reply(phone, body, now=None):
    """A text the patient sent us: STOP (and the like) stops every text to the number, START
    restarts them; anything else changes nothing. Returns "stopped", "restarted" or None. The
    caller commits."""
    keyword = (body or "").strip().split(maxsplit=1)[0].upper() if (body or "").strip() else ""
    existing = opted_out(phone)
    if keyword in STOP_WORDS:
        if existing is None:
            db.session.add(SmsOptOut(phone=phone, keyword=keyword, opted_out_at=now or utcnow()))
        return "stopped"
    if keyword in START_WORDS:
        if existing is not None:
            db.session.delete(existing)
        return "restarted"
    return None


def send_sms(to, body):
    """Send `body` to the E.164 number `to`; the provider's message id, or None when it went to the
    log (no provider configured). Raises SmsError."""
    if not configured():
        current_app.logger.info("Text not sent (no TWILIO_ACCOUNT_SID); to %s:\n%s", _masked(to), redact(body))
        return None
    try:
        message = _client().messages.create(to=to, from_=current_app.config["TWILIO_FROM"], body=body)
    except TwilioRestException as error:
        current_app.logger.warning("The SMS provider refused a text: HTTP %s, code %s", error.status, error.code)
        raise SmsError(f"refused by the provider (HTTP {error.status}"
                       + (f", error {error.code})" if error.code else ")")) from error
    except requests.exceptions.ReadTimeout as error:
        current_app.logger.warning("The SMS provider did not answer in %ss", current_app.config["SMS_TIMEOUT_SECONDS"])
        raise SmsError("no answer from the provider in time: it may have been sent, so it is not "
                       "sent again automatically", maybe_sent=True) from error
    except (requests.RequestException, TwilioException) as error:
        current_app.logger.warning("The SMS provider could not be reached: %s", type(error).__name__)
        raise SmsError(f"the provider could not be reached ({type(error).__name__})") from error
    return message.sid


def _masked(number):
    """A phone number for the log: enough to tell two apart, not enough to dial."""
    return f"…{number[-2:]}" if number else "nobody"
