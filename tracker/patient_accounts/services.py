"""Patient accounts without the clinic's help: a coordinator's invitation, "forgot password",
and setting the password through the link either sends (tracker/patient_accounts/tokens.py).

Only patient accounts are ever reached this way: staff passwords stay with the admins (a staff
address asking for a link gets the same answer as anyone and no email). Every step is audited.
"""
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from tracker import audit, i18n
from tracker.auth.services import normalise_email, set_password
from tracker.clinic import clinic_contact
from tracker.contact import nothing_sent_because
from tracker.extensions import db
from tracker.links import public_url
from tracker.mail import MailError, after_response, send_mail
from tracker.models import Patient, User
from tracker.patient_accounts import tokens
from tracker.patients.services import RecordMerged, hold_live
from tracker.refusals import Refusal
from tracker.roles import Role
from tracker.transactions import service, undo_refused_write


# How an invitation's audit row begins: sent, or made with nothing to send it.
INVITATION_SENT = "account invitation sent by email"
INVITATION_NOT_SENT = "account invitation made, not sent (no mail server)"


class InvitationRefused(Refusal):
    status = 422


class LinkNotValid(Refusal):
    """Expired, used, altered, or for an account that no longer takes it: one answer for all."""

    status = 404


def _link(token):
    return public_url("patient_accounts.set_password", token=token)


def invitation_refusal(patient):
    """Why `patient` cannot be invited now, or None."""
    if patient.merged_into_id is not None:
        return "This record was merged into another: invite the patient from the record kept."
    if nothing_sent_because(patient):
        return nothing_sent_because(patient)
    if not (patient.email or "").strip():
        return "The patient has no email address: add one to the patient's details first."
    if patient.account is None and not can_sign_in_with(patient.email):
        # The account would be made with this address, and sign-in would refuse it.
        return "The patient's email address is not one they could sign in with: correct it in the patient's details first."
    account = patient.account
    if account is not None and not account.active:
        return "The patient's account is deactivated: an admin must reactivate it first."
    owner = db.session.execute(db.select(User).filter_by(email=normalise_email(patient.email))).scalar()
    if owner is not None and owner.patient_id != patient.id:
        return "Another account already uses this email address: correct the patient's email first."
    return None


def can_sign_in_with(address):
    """Whether the sign-in form takes `address` (its own check: a reserved name such as
    "x@patients.invalid" is not an address anyone signs in with)."""
    try:
        validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@service
def invite(patient, actor):
    """Email the patient a link to set their password: for the account they have, or for one
    made when they accept. Returns the address written to."""
    refusal = invitation_refusal(patient)
    if refusal:
        raise InvitationRefused(refusal)
    account = patient.account
    address = account.email if account is not None else normalise_email(patient.email)
    token = tokens.invitation(patient, address, account)
    with i18n.patient_locale(patient):
        contact = clinic_contact()
        days = current_app.config["PATIENT_INVITATION_DAYS"]
        subject = _("Your account at %(clinic)s", clinic=contact.name)
        body = _("Hello,\n\n%(clinic)s invites you to follow your treatment online: your appointment, "
                 "how to prepare and your pain diary. To choose your password, open this link:\n\n"
                 "%(link)s\n\nYou then sign in with this email address and that password. ",
                 clinic=contact.name, link=_link(token))
        body += ngettext("The link works once, within %(num)d day.", "The link works once, within %(num)d days.",
                         days)
        body += "\n\n" + contact.signature() + "\n"
    try:
        send_mail(address, subject, body)
    except MailError:
        raise InvitationRefused("The email could not be sent (the mail server did not accept it). "
                                "Nothing changed: try again later.") from None
    # Without a mail server the email went only to the log (and the mail folder, in development):
    # the audit row says so, and the patient's record reads it (patients.summary.last_invitation).
    audit.record(audit.Action.CREATE, "patient_invitation", patient.id,
                 summary=(INVITATION_SENT if current_app.config.get("MAIL_SERVER") else INVITATION_NOT_SENT)
                 + (" (existing account)" if account else ""), user=actor)
    db.session.commit()
    return address


def request_reset(email):
    """Email a reset link if `email` is a patient account's; otherwise nothing is sent. The
    caller answers the same either way; the audit trail says which it was."""
    email = normalise_email(email)
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar()
    if user is None or not user.active or user.role != Role.PATIENT:
        why = ("no such account" if user is None else "inactive account" if not user.active
               else "staff account: staff passwords are reset by an admin")
        audit.record(audit.Action.UPDATE, "user", user.id if user else None,
                     summary=f"password reset link refused ({why})", actor=email)
        db.session.commit()
        return
    with i18n.patient_locale(user.patient):
        contact = clinic_contact()
        minutes = current_app.config["PASSWORD_RESET_MINUTES"]
        subject = _("A new password for %(clinic)s", clinic=contact.name)
        body = _("Hello,\n\nSomeone asked to set a new password for your account at %(clinic)s. If it "
                 "was you, open this link:\n\n%(link)s\n\n", clinic=contact.name, link=_link(tokens.reset(user)))
        body += ngettext("It works once, within %(num)d minute.", "It works once, within %(num)d minutes.",
                         minutes)
        body += " " + _("If you did not ask, ignore this message: your password stays as it is.")
        body += "\n\n" + contact.signature() + "\n"
    # The email goes out after the answer has left: sending it first made the answer slower for
    # an address that has an account, and so told an onlooker which addresses do.
    audit.record(audit.Action.UPDATE, "user", user.id, summary="password reset link sent by email", actor=email)
    db.session.commit()
    app, user_id, address = current_app._get_current_object(), user.id, user.email

    def deliver():
        with app.app_context():
            try:
                send_mail(address, subject, body)
            except MailError:
                app.logger.warning("password reset email to user %s not accepted by the mail server", user_id)

    after_response(deliver)


def holder(token):
    """(patient, account or None, the link's contents) for a link that still works; raises
    LinkNotValid for any other."""
    data = tokens.read(token)
    if data is None:
        raise LinkNotValid()
    if data["kind"] == tokens.RESET:
        user = db.session.get(User, data["user"])
        if user is None or not user.active or user.role != Role.PATIENT or tokens.stamp(user) != data["stamp"]:
            raise LinkNotValid()
        return user.patient, user, data
    patient = db.session.get(Patient, data["patient"])
    if patient is None or patient.merged_into_id is not None:
        raise LinkNotValid()
    account = patient.account
    if tokens.stamp(account) != data["stamp"] or (account is not None and not account.active):
        raise LinkNotValid()
    if account is None and normalise_email(patient.email) != data["email"]:
        raise LinkNotValid()  # the address the invitation went to is no longer the patient's
    return patient, account, data


@service
def set_password_by_link(token, new_password):
    """Set the password the link is for, creating the invited patient's account if need be.
    Every session of the account ends (its session token rotates); the link, and any other made
    before, stops working. Returns the account."""
    patient, account, data = holder(token)
    created = account is None
    if created:
        # Hold the record as the account is linked to it: a merge under way finishes first (the
        # record is then a tombstone, and the link opens nothing), and a merge after it sees the
        # account and moves it with the record's care.
        try:
            hold_live(patient)
        except RecordMerged:
            raise LinkNotValid() from None
        account = User(email=data["email"], name=f"{patient.given_name} {patient.family_name}".strip(),
                       role=Role.PATIENT, patient=patient, password_hash="!")
        db.session.add(account)
    set_password(account, new_password)
    try:
        db.session.flush()
    except IntegrityError:
        # The same invitation accepted a moment ago elsewhere, or the address taken since.
        undo_refused_write()
        raise LinkNotValid() from None
    audit.record(audit.Action.CREATE if created else audit.Action.UPDATE, "user", account.id,
                 summary=("patient account created from an invitation" if created
                          else f"password set from {'an invitation' if data['kind'] == tokens.INVITE else 'a reset link'}"
                               "; every session ended"),
                 actor=account.email)
    db.session.commit()
    return account
