"""Outgoing email (diary links and reminders) over SMTP, with the MAIL_* settings of config.py.

Without MAIL_SERVER the message is written to the log instead of being sent, with any link's
token blanked (a diary link lets anyone holding it enter scores; staff see the link on the page);
in development it is also kept whole as a file in MAIL_FILE_DIR (instance/mail), so the demo's
invitations and password links can be followed. Callers never put clinical values in a message:
only the link.
"""
import smtplib
import ssl
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from flask import after_this_request, current_app, has_request_context

from tracker.redaction import redact

# A mail server that does not answer within this many seconds counts as a failure, so a cron run
# or a staff request never hangs on it.
SMTP_TIMEOUT_SECONDS = 20


class MailError(Exception):
    """The message could not be handed to the mail server (nothing was sent)."""


def send_mail(to, subject, body, attachments=()):
    """`attachments`: (filename, mime type, bytes), e.g. an appointment's .ics."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    # Kept as a file (no mail server), the text is left as written, so its link can be read and
    # copied from any text editor; a mail server gets the usual transfer encoding.
    message.set_content(body, cte=None if config.get("MAIL_SERVER") else "8bit")
    for filename, mimetype, data in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)

    if not config.get("MAIL_SERVER"):
        kept = _keep_as_file(message, config.get("MAIL_FILE_DIR"))
        current_app.logger.info("Mail not sent (no MAIL_SERVER)%s; to %s: %s\n%s",
                                f", kept whole in {kept}" if kept else "", to, subject, redact(body))
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The recipient's address is personal data: the log names only the failure.
        current_app.logger.warning("Mail to the SMTP server failed: %s", type(error).__name__)
        raise MailError(str(error)) from error


def after_response(deliver):
    """Run `deliver()` once the response has been handed to the client (the WSGI server closes it
    after writing it), so how long sending takes cannot be read from the answer's timing. Outside
    a request (a command), it runs at once."""
    if not has_request_context():
        deliver()
        return

    @after_this_request
    def _when_closed(response):
        response.call_on_close(deliver)
        return response


def _keep_as_file(message, folder):
    """Write `message` whole to `folder` as a .eml file (development's stand-in for a mailbox, named
    so the newest sorts last); returns its path, or None without a folder."""
    if not folder:
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(message.as_bytes())
    return path
