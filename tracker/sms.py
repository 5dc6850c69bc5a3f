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
from sqlalchemy.exc import IntegrityError
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tracker import audit
from tracker.extensions import db
from tracker.models import SmsOptOut
from tracker.redaction import redact
from tracker.timeutil import utcnow
from tracker.transactions import undo_all_but, undo_refused_write

# The words a phone answers to stop or restart texts (the carriers' standard list, as Twilio reads it).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# The provider's error for a number that answered STOP ("Attempt to send to unsubscribed recipient").
UNSUBSCRIBED = 21610
# Its error for a number that cannot take texts ("'To' number is not a valid mobile number"): a
# landline, which a North American number's form cannot tell from a mobile (tracker/contact.py).
NOT_MOBILE = 21614
PROVIDER_STOP = "provider"  # the opt-out's keyword when the provider, not a reply we received, said so
PROVIDER_NOT_MOBILE = "not_mobile"  # the keyword when the provider said the number takes no texts (21614)
# Spaces a phone's plain alphabet (GSM-7) lacks, as the plain space a text sends instead.
PLAIN_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


class SmsError(Exception):
    """The provider did not take the message (or did not say whether it did: `maybe_sent`)."""

    def __init__(self, message, maybe_sent=False, not_mobile=False):
        super().__init__(message)
        self.maybe_sent = maybe_sent
        # The provider says the number cannot take texts: trying again later will not help.
        self.not_mobile = not_mobile


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


def record_reply(phone, body, opt_out_type=None, now=None):
    """A text the patient sent us: STOP (and the like) stops every text to the number, START
    restarts them; anything else changes nothing. Returns "stopped", "restarted" or None. The
    caller commits.

    As the provider reads them: a keyword is the whole message ("stop", "Stop."), never the first
    word of a sentence ("Cancel my appointment please" stops nothing, and the provider goes on
    delivering). With the provider's Advanced Opt-Out, its own reading (`opt_out_type`: STOP,
    START or HELP, for the keywords set up there, in any language) is taken instead."""
    if opt_out_type:
        keyword = {"STOP": "STOP", "START": "START"}.get(opt_out_type.strip().upper(), "")
    else:
        keyword = (body or "").strip().strip(".!").strip().upper()
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


def take_reply(phone, body, opt_out_type=None):
    """A reply from the provider's webhook: `record_reply`, its audit row, committed. Two STOPs
    from one number at the same moment (the provider retrying, or two texts) both find no opt-out
    and both add one: the database keeps one (the number is unique) and the later is undone, the
    number stopped either way. Returns what `record_reply` does."""
    change = record_reply(phone, body, opt_out_type)
    if change:
        # The number is personal data: the audit row says what changed, the opt-out row says for whom.
        audit.record(audit.Action.UPDATE, "sms_opt_out", None, summary=f"texts {change} by the patient's reply")
    try:
        db.session.commit()
    except IntegrityError:
        undo_refused_write()
    return change


def send_sms(to, body):
    """Send `body` to the E.164 number `to`; the provider's message id, or None when it went to the
    log (no provider configured). Raises SmsError."""
    # Babel's clock puts a narrow no-break space before "AM": one such character makes the whole
    # text Unicode (70 characters a part, not 160) and shows as a box on some phones.
    body = body.translate(PLAIN_SPACES)
    if not configured():
        current_app.logger.info("Text not sent (no TWILIO_ACCOUNT_SID); to %s:\n%s", _masked(to), redact(body))
        return None
    try:
        message = _client().messages.create(to=to, from_=current_app.config["TWILIO_FROM"], body=body)
    except TwilioRestException as error:
        current_app.logger.warning("The SMS provider refused a text: HTTP %s, code %s", error.status, error.code)
        if error.code in (UNSUBSCRIBED, NOT_MOBILE):
            # The number answered STOP (the provider's block holds even if our webhook never heard
            # of it), or is a landline: kept as stopped, so the next message goes by email, and the
            # case page says which.
            _stopped_by_provider(to, PROVIDER_STOP if error.code == UNSUBSCRIBED else PROVIDER_NOT_MOBILE)
        raise SmsError(("refused by the provider: not a mobile number (a landline?), texts cannot reach it"
                        if error.code == NOT_MOBILE else "refused by the provider")
                       + f" (HTTP {error.status}" + (f", error {error.code})" if error.code else ")"),
                       not_mobile=error.code == NOT_MOBILE) from error
    except requests.exceptions.ReadTimeout as error:
        current_app.logger.warning("The SMS provider did not answer in %ss", current_app.config["SMS_TIMEOUT_SECONDS"])
        raise SmsError("no answer from the provider in time: it may have been sent, so it is not "
                       "sent again automatically", maybe_sent=True) from error
    except (requests.RequestException, TwilioException) as error:
        current_app.logger.warning("The SMS provider could not be reached: %s", type(error).__name__)
        raise SmsError(f"the provider could not be reached ({type(error).__name__})") from error
    return message.sid


def undo_all_but_the_stop(phone):
    """Roll back a refused send's transaction, keeping the mark `send_sms` added for a number the
    provider refused as such (STOP, a landline): a refusal undoes everything else (the link made
    for the text), but the next message must still go by email rather than into the same refusal.
    (A STOP reply marking the number at that moment stops it either way.)"""
    stop = opted_out(phone)  # the mark just added, if any (a number already stopped is not texted)
    undo_all_but([SmsOptOut(phone=phone, keyword=stop.keyword, opted_out_at=stop.opted_out_at)]
                 if stop is not None else [])


def _stopped_by_provider(phone, keyword):
    if opted_out(phone) is None:
        db.session.add(SmsOptOut(phone=phone, keyword=keyword, opted_out_at=utcnow()))


def _masked(number):
    """A phone number for the log: enough to tell two apart, not enough to dial."""
    return f"…{number[-2:]}" if number else "nobody"
