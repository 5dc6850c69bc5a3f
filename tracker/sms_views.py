"""The SMS provider's inbound webhook: a patient's reply to one of our texts.

Twilio posts each reply here, signed with the account's auth token (X-Twilio-Signature over the
address it called and the form fields). A request whose signature does not verify, or any request
while no auth token is set, is refused (403) and audited: anyone could otherwise stop a patient's
reminders, or restart texts someone asked to stop. STOP (and its synonyms) stops every text to
that number; START restarts them. The answer is an empty TwiML document: the provider itself
sends the carriers' standard confirmation of STOP and START.
"""
from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator

from tracker.access import deny, public
from tracker.extensions import csrf
from tracker.phones import PhoneError, to_e164
from tracker.sms import take_reply

bp = Blueprint("sms", __name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed():
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    # The address as the provider called it: behind a proxy, request.url is not that.
    url = current_app.config["PUBLIC_URL"].rstrip("/") + request.full_path.rstrip("?")
    return RequestValidator(token).validate(url, request.form.to_dict(), signature)


@bp.route("/sms/inbound", methods=["POST"])
@public
@csrf.exempt
def inbound():
    if not _signed():
        deny("SMS webhook with a missing or wrong signature")
    try:
        phone = to_e164(request.form.get("From", ""))
    except PhoneError:
        return Response(EMPTY_TWIML, mimetype="text/xml")  # a short code or an unknown sender
    take_reply(phone, request.form.get("Body", ""), request.form.get("OptOutType"))
    return Response(EMPTY_TWIML, mimetype="text/xml")
