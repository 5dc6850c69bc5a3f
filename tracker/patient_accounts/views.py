"""Patient accounts without the clinic's help: a coordinator invites (patient page), a patient
asks for a link on the sign-in page, and either link opens the page that sets the password."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import i18n
from tracker.access import allow, public
from tracker.errors import back_to, on_refusal
from tracker.loaders import get_patient
from tracker.patient_accounts import services
from tracker.patient_accounts.forms import ForgotPasswordForm, SetPasswordForm
from tracker.roles import Role

bp = Blueprint("patient_accounts", __name__)


@bp.route("/patients/<int:patient_id>/account/invite", methods=["POST"])
@allow(Role.COORDINATOR)
def invite(patient_id):
    patient = get_patient(patient_id)
    page = url_for("patients.show", patient_id=patient.id, _anchor="account")
    on_refusal(back_to(page))
    address = services.invite(patient, current_user)
    days = current_app.config["PATIENT_INVITATION_DAYS"]
    if current_app.config.get("MAIL_SERVER"):
        flash(_("Invitation sent to %(address)s: the link lets the patient set a password once, within "
                "%(patient_invitation_days)s days.", address=address, patient_invitation_days=days), "success")
        return redirect(page)
    # Nothing went out (development, the demo): say so, as the diary link's button does; the email
    # was written to the log, and kept whole as a file when MAIL_FILE_DIR is set (tracker.mail).
    folder = current_app.config.get("MAIL_FILE_DIR")
    flash(_("No mail server is set up (MAIL_SERVER), so the invitation to %(address)s was not sent%(file)s. Its "
            "link lets the patient set a password once, within %(patient_invitation_days)s days.",
            address=address, patient_invitation_days=days,
            file=_(" (a copy is kept in the folder %(folder)s)", folder=folder) if folder else ""), "warning")
    return redirect(page)


@bp.route("/account/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_reset(form.email.data)
        # The same words whoever asked: they never tell whether the address has an account.
        flash(_("If a patient account uses this address, an email with a link to set a new password is "
                "on its way. Staff: ask an admin to reset your password."), "info")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token):
    try:
        patient, account, _data = services.holder(token)
    except services.LinkNotValid:
        return _link_not_valid()
    i18n.use_patient_language(patient)
    form = SetPasswordForm(owner_email=account.email if account else _data["email"])
    if not form.validate_on_submit():
        return render_template("auth/set_password.html", form=form, new_account=account is None), \
            422 if form.errors else 200
    on_refusal(lambda refusal: _link_not_valid())
    services.set_password_by_link(token, form.new_password.data)
    flash(_("Your password is set. Sign in with your email address and the new password."), "success")
    response = redirect(url_for("auth.sign_in"))
    if request.cookies.get(i18n.COOKIE) not in i18n.LANGUAGES:
        # The sign-in page that follows knows nobody yet: it stays in the language this page was
        # in (the patient's), rather than the browser's, so the flow never switches language midway.
        i18n.remember_on_device(response, i18n.patient_language(patient))
    return response


def _link_not_valid():
    return render_template("auth/set_password_not_valid.html"), 404
