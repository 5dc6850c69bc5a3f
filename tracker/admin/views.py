"""Admin: accounts and the audit trail."""
from flask_babel import lazy_gettext as _l
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker import audit, audit_chain, export
from tracker.access import allow
from tracker.clinic import clinic_contact, settings_version
from tracker.clinical import PROVOCATION_TESTS
from tracker.admin import services
from tracker.admin.forms import (AuditFilterForm, BillingSettingForm, ClinicContactForm, ClosureForm, CreateUserForm,
                                 EditUserForm, ResetPasswordForm, RoomForm, UserFilterForm, WorkingHoursForm)
from tracker.cases.worklist import physician_label
from tracker.eligibility import services as eligibility
from tracker.eligibility import standing
from tracker.eligibility.forms import DefaultProfileForm
from tracker.errors import form_again, on_refusal
from tracker.extensions import db
from tracker.formfields import TrackerForm, paginate
from tracker.models import Closure, Patient, Room, User
from tracker.navigation import home_url
from tracker.patients.identity import mrn_key
from tracker.policy import CRITERION_LABELS, PROFILES
from tracker.procedures.services import billing_setting
from tracker.referrals.services import physicians
from tracker.roles import CLINICAL_STAFF, Role
from tracker.scheduling import resources
from tracker.timeutil import clinic_today, format_clinic, to_clinic
from tracker.vocab import WEEKDAYS

bp = Blueprint("admin", __name__)

STALE_ACCOUNT = _l("Someone else changed this account while you were editing. Nothing was saved; the current "
                 "values are shown below, your entries are kept in the form.")
STALE_CONTACT = _l("Someone else saved the clinic's contact details after you opened this page. Nothing was saved; "
                  "the current values are shown below, your entries are kept in the form.")
STALE_SETTINGS = _l("Someone else saved the clinic's settings after you opened this page. Nothing was saved; the "
                   "current values are shown below, your entries are kept in the form.")
STALE_HOURS = _l("Someone else saved these working hours after you opened this page. Nothing was saved; the "
                "hours as saved now are shown above your entries, which are kept in the form: press Save "
                "working hours again to replace them with yours.")
STALE_ROOM = _l("Someone else changed this room meanwhile. Nothing was saved; your entries are kept. Reload to "
              "see the room as it is now.")

def _user_or_404(user_id):
    return db.session.get(User, user_id) or abort(404)


def _valid(field):
    """A filter's value, or None if it did not validate: an edited address must not break a page."""
    return None if field.errors else field.data


def _show_saved(form, user):
    """Fill the account form with the account as saved now."""
    form.role.data = user.role.value
    form.patient_mrn.data = user.patient.mrn if user.patient else ""
    form.version_id.data = services.edit_stamp(user)


def _ask_which_record(form):
    """Label the box "This account is for <record>" after the MRN found a record under another
    name (the record's id rides in the form, so the box confirms that record only)."""
    typed = (form.confirm_for.data or "").strip()
    patient = db.session.get(Patient, int(typed)) if typed.isdigit() and len(typed) < 12 else None
    if patient is not None and patient.mrn_key != mrn_key(form.patient_mrn.data or ""):
        patient = None  # the id rides in the form: only the record of the MRN typed is named
    form.confirm_for.data = str(patient.id) if patient else ""
    if patient is not None:
        form.confirm_patient.label.text = _("This account is for %(name)s, born %(born)s (%(mrn)s)",
                                            name=patient.display_name, born=patient.date_of_birth.isoformat(),
                                            mrn=patient.mrn)
        # An admin is kept from clinical records: a record named to them is on record.
        audit.viewed("patient", patient.id, summary="viewed patient's name and date of birth (account form)",
                     user=current_user)
    return patient


def _account_refused(form, page, stale=None):
    """The account form's refusal answer: a record under another name is named next to the MRN,
    with the box to confirm it (unticked: a tick given for another record does not carry over)."""
    answer = form_again(form, page, stale=stale)

    def respond(refusal):
        if isinstance(refusal, services.LeavingUnconfirmed):
            form[refusal.field].errors.append(_leaving_said(refusal, form.name.data or ""))
            form.leaving_key.data, form.confirm_leaving.data = refusal.key, False
            return page(422)
        if not isinstance(refusal, services.AccountNameDiffers):
            return answer(refusal)
        patient = refusal.patient
        form.patient_mrn.errors.append(_(
            "%(mrn)s is the record of %(name)s, born %(born)s, not of “%(account)s”. Check the number; if this "
            "account is for %(given)s %(family)s, tick the box below (or give the account their name).",
            mrn=patient.mrn, name=patient.display_name, born=patient.date_of_birth.isoformat(),
            account=refusal.account_name, given=patient.given_name, family=patient.family_name))
        form.confirm_for.data, form.confirm_patient.data = str(patient.id), False
        return page()

    return respond


def _started_said(moment):
    """When a procedure started, as the admin reads it: the time alone for today's."""
    return format_clinic(moment, "%H:%M") if to_clinic(moment).date() == clinic_today() else format_clinic(moment)


def _leaving_said(refusal, name):
    """Why taking a physician off the schedule waits for the admin's confirmation: their procedures
    in progress (times and rooms, no patient) and whether any physician could still be booked."""
    said = []
    if refusal.in_progress:
        places = "; ".join(_("started %(when)s in %(room)s", when=_started_said(started), room=room)
                           if room else _("started %(when)s", when=_started_said(started))
                           for started, room in refusal.in_progress)
        said.append(ngettext("%(name)s has %(num)s procedure in progress, %(places)s.",
                             "%(name)s has %(num)s procedures in progress: %(places)s.",
                             len(refusal.in_progress), name=name, places=places))
        said.append(_("Deactivating them signs them out everywhere, in the middle of its checklist and before "
                      "the signature.") if refusal.field == "active" else
                    _("Giving them another role signs them out everywhere, in the middle of its checklist and "
                      "before the signature."))
    if refusal.none_left:
        said.append(_("No other physician would remain who can be booked: no appointment can be booked until "
                      "another physician's account is active."))
    said.append(_("Tick “Take them off the schedule anyway” below to save as typed; otherwise leave the account as "
                  "it is for now."))
    return " ".join(said)


def _linked_said(user):
    """The record a patient account was linked to, named as the admin can check it."""
    return _("Account created for %(name)s, linked to the record of %(record)s, born %(born)s (%(mrn)s).",
             name=user.name, record=user.patient.display_name, born=user.patient.date_of_birth.isoformat(),
             mrn=user.patient.mrn)


@bp.route("/")
@allow(Role.ADMIN)
def home():
    """`/admin/` (and `/admin`, which Flask sends here) typed by an admin: the page they land on
    after signing in."""
    return redirect(home_url(current_user))


@bp.route("/users")
@allow(Role.ADMIN)
def users():
    filters = UserFilterForm(request.args)
    filters.validate()
    page = paginate(
        services.users_query(_valid(filters.role), _valid(filters.status), _valid(filters.q)),
        current_app.config["PER_PAGE"])
    html = render_template("admin/users.html", page=page, filters=filters,
                           differing=services.names_differing(page.items))
    # A patient's account shows the patient's name and MRN: one row for the page, as a worklist's.
    audit.viewed_list("user_list", f"users page {page.page}", len(page.items), "account",
                      export.filters_text(filters), user=current_user)
    return html


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create_user():
    form = CreateUserForm()

    def page(status=None):
        _ask_which_record(form)
        return render_template("admin/user_new.html", form=form)

    if not form.validate_on_submit():
        # A taken email is said with the form's other problems, not only once they are corrected.
        if form.is_submitted() and form.email.data and not form.email.errors \
                and services.email_in_use(form.email.data):
            form.email.errors.append(_(services.EMAIL_TAKEN))
        return page()
    on_refusal(_account_refused(form, page))
    user = services.create_user(form.email.data, form.name.data, form.role.data, form.new_password.data,
                                form.patient_mrn.data, actor=current_user,
                                confirmed_patient_id=form.confirmed_patient_id())
    flash(_linked_said(user) if user.patient else _("Account created for %(name)s.", name=user.name), "success")
    return redirect(url_for("admin.users"))



@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_user(user_id):
    user = _user_or_404(user_id)
    form = EditUserForm(obj=user)
    if request.method == "GET":
        _show_saved(form, user)
    if not form.validate_on_submit():
        page = _user_page(form, user)
        if request.method == "GET":
            # Opened (not the form shown again after a save): a patient's account names the patient.
            audit.viewed("user", user.id, summary="viewed account" + (
                f" (linked to patient {user.patient_id})" if user.patient_id else ""), user=current_user)
        return page
    on_refusal(_account_refused(form, lambda status=None: _user_page(form, user, stale=status == 409, status=status),
                                stale=STALE_ACCOUNT))
    was_bookable = user.bookable
    revoked = services.update_user(user, form.version_id.data, form.email.data, form.name.data, form.role.data,
                                   form.active.data, form.patient_mrn.data, actor=current_user,
                                   confirmed_patient_id=form.confirmed_patient_id(),
                                   confirmed_leaving=form.confirmed_leaving())
    flash(_("Account saved."), "success")
    if revoked:
        flash(_revoked_said(revoked, user), "warning")
    if was_bookable and not user.bookable:
        _say_what_is_left(user)
    return redirect(url_for("admin.users"))


def _revoked_said(rows, user):
    """The account's API tokens revoked by the save, and why: a system using one stops at once, and
    undoing the change later (reactivating the account, making it a coordinator or physician
    again) does not bring them back."""
    names, count = ", ".join(f"{row.prefix}… ({row.label})" for row in rows), len(rows)
    if user.role in CLINICAL_STAFF:  # deactivated, its role one a token acts for
        return ngettext("Its API token %(names)s was revoked because the account is deactivated: the system using "
                        "it can no longer call the API, and reactivating the account will not bring it back (make a "
                        "new token if needed).",
                        "Its %(num)s API tokens %(names)s were revoked because the account is deactivated: the "
                        "systems using them can no longer call the API, and reactivating the account will not bring "
                        "them back (make new tokens if needed).", count, names=names)
    account = _("an admin account") if user.role == Role.ADMIN else _("a patient account")
    if not user.active:
        return ngettext("Its API token %(names)s was revoked because the account is deactivated and now "
                        "%(account)s: the system using it can no longer call the API, and reactivating the account "
                        "as a coordinator or physician will not bring it back (make a new token if needed).",
                        "Its %(num)s API tokens %(names)s were revoked because the account is deactivated and now "
                        "%(account)s: the systems using them can no longer call the API, and reactivating the "
                        "account as a coordinator or physician will not bring them back (make new tokens if "
                        "needed).", count, names=names, account=account)
    return ngettext("Its API token %(names)s was revoked because API tokens act only for coordinator and physician "
                    "accounts, and this one is now %(account)s: the system using it can no longer call the API, and "
                    "making the account a coordinator or physician again will not bring it back (make a new token "
                    "if needed).",
                    "Its %(num)s API tokens %(names)s were revoked because API tokens act only for coordinator and "
                    "physician accounts, and this one is now %(account)s: the systems using them can no longer call "
                    "the API, and making the account a coordinator or physician again will not bring them back "
                    "(make new tokens if needed).", count, names=names, account=account)


def _say_what_is_left(physician):
    """Taking a physician off the schedule cancels and reassigns nothing (as taking a room out of
    use moves nothing): say how much stays theirs and what to ask a coordinator to do. Counts
    only, with no link: an admin may not open a patient's appointment or the worklist."""
    ahead, first, open_cases = services.left_to(physician)
    if not (ahead or open_cases):
        return
    said = [_("%(name)s can no longer be booked.", name=physician.name)]
    if ahead:
        said.append(ngettext("%(num)s appointment is still to come (%(when)s) and stays theirs until it is moved.",
                             "%(num)s appointments are still to come (the first %(when)s) and stay theirs until "
                             "they are moved.", ahead, when=format_clinic(first)))
    if open_cases:
        said.append(ngettext("%(num)s open case is still assigned to them.",
                             "%(num)s open cases are still assigned to them.", open_cases))
    said.append(_("Ask a coordinator to open the Worklist with the physician filter set to “%(label)s”, which "
                  "lists these cases, and to move each appointment and reassign each case to another physician.",
                  label=physician_label(physician)))
    flash(" ".join(said), "warning")


def _user_page(form, user, stale=False, status=None):
    _ask_which_record(form)
    return render_template("admin/user_edit.html", form=form, user=user, reset_form=ResetPasswordForm(),
                           stale=stale, differing=services.names_differing([user])), status or 200


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def reset_password(user_id):
    user = _user_or_404(user_id)
    reset_form = ResetPasswordForm(owner_email=user.email)
    if reset_form.validate_on_submit():
        services.reset_password(user, reset_form.new_password.data, actor=current_user)
        flash(_("New password set for %(name)s; their other sessions are signed out.", name=user.name), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    # formdata=None: this POST carried the reset form, not the account form.
    form = EditUserForm(formdata=None, obj=user)
    _show_saved(form, user)
    return render_template("admin/user_edit.html", form=form, user=user, reset_form=reset_form,
                           stale=False, differing=services.names_differing([user])), 422


def _audit_query():
    """The audit filters as typed and the query they ask for (the page and the CSV download)."""
    filters = AuditFilterForm(request.args)
    filters.validate()
    return filters, services.audit_query(
        _valid(filters.user), _valid(filters.action), _valid(filters.object_type),
        _valid(filters.object_id), _valid(filters.date_from), _valid(filters.date_to),
        patient=_valid(filters.patient),
    )


@bp.route("/audit")
@allow(Role.ADMIN)
def audit_log():
    filters, query = _audit_query()
    page = paginate(query, per_page=50)
    html = render_template("admin/audit.html", page=page, filters=filters,
                           patients=services.audit_patients(page.items),
                           check=audit_chain.latest_check(), sealed=audit_chain.sealed_through())
    # Its rows name their patients (name and MRN) and an edit's old and new values: one row for
    # the page, as the users list's (written once the page is drawn, so it is on the next page).
    audit.viewed_list("audit_trail", f"audit trail page {page.page}", len(page.items), "event",
                      export.filters_text(filters), user=current_user)
    return html


@bp.route("/audit.csv")
@allow(Role.ADMIN)
def audit_csv():
    filters, query = _audit_query()
    rows = (services.audit_csv_row(event) for events in export.batches(query, scalars=True) for event in events)
    # A filtered extract is never named as the whole trail (a filter refused is left out, as of the rows).
    name = export.file_name("audit_trail", [(label, _valid(field)) for label, field in (
        ("user", filters.user), ("action", filters.action), ("object", filters.object_type),
        ("id", filters.object_id), ("patient", filters.patient), ("from", filters.date_from),
        ("to", filters.date_to))])
    return export.download(name, services.AUDIT_CSV_HEADER, rows, "audit trail", export.filters_text(filters))


def _settings_page(form=None, billing_form=None, status=200):
    """The Billing & payer profiles page; a form not given is shown as saved. Refused as stale
    (409), it says the values saved now."""
    version = settings_version()
    if form is None:
        form = DefaultProfileForm(formdata=None, default_profile_code=standing.clinic_default_profile_code(),
                                  profile_version_id=version)
    if billing_form is None:
        billing_form = BillingSettingForm(formdata=None, billing_setting=billing_setting().value,
                                          billing_version_id=version)
    saved = {"billing": billing_setting().label, "profile": PROFILES[standing.clinic_default_profile_code()].name}
    return render_template("admin/settings.html", form=form, billing_form=billing_form,
                           profiles=PROFILES.values(), labels=CRITERION_LABELS, stale=status == 409, saved=saved,
                           examined_tests=len(PROVOCATION_TESTS)), status


@bp.route("/settings", methods=["GET", "POST"])
@allow(Role.ADMIN)
def settings():
    form = DefaultProfileForm()
    if not form.is_submitted():
        form.default_profile_code.data = standing.clinic_default_profile_code()
        form.profile_version_id.data = settings_version()
    if form.validate_on_submit():
        on_refusal(lambda refusal: _default_change_refused(form, refusal))
        impact = eligibility.set_clinic_default_profile(form.default_profile_code.data, current_user,
                                                        confirmed=form.confirmed(),
                                                        version_id=form.profile_version_id.data or "")
        flash(" ".join((_("The clinic's default payer profile is saved."), _impact_said(impact))), "success")
        return redirect(url_for("admin.settings"))
    return _settings_page(form=form, status=422 if form.errors else 200)


def _impact_said(impact, becomes=False):
    """How many stored verdicts a change of the default makes stale, counts only (no patient)."""
    if not impact.stale:
        return _("No stored verdict becomes stale: no open case without a payer of its own was judged under "
                 "the old default.")
    if becomes:
        said = ngettext("%(num)s stored verdict of a case without a payer of its own becomes stale",
                        "%(num)s stored verdicts of cases without a payer of their own become stale", impact.stale)
    else:
        said = ngettext("%(num)s stored verdict of a case without a payer of its own now shows as stale",
                        "%(num)s stored verdicts of cases without a payer of their own now show as stale",
                        impact.stale)
    if impact.booked:
        said += ngettext(", %(num)s of them on a booked appointment (%(when)s)",
                         ", %(num)s of them on booked appointments, the first %(when)s",
                         impact.booked, when=format_clinic(impact.first))
    return said + _(": a coordinator re-evaluates each before its procedure.")


def _default_change_refused(form, refusal):
    """The settings page again, the count next to the profile and the box to confirm it."""
    if not isinstance(refusal, eligibility.DefaultChangeUnconfirmed):
        return form_again(form, lambda status=None: _settings_page(form=form, status=status or 422),
                          stale=STALE_SETTINGS)(refusal)
    form.default_profile_code.errors.append(" ".join((
        _impact_said(refusal.impact, becomes=True),
        _("Tick “Change it anyway” to save, or keep the current default."))))
    form.change_key.data, form.confirm_change.data = refusal.impact.key, False
    return _settings_page(form=form, status=422)


@bp.route("/settings/billing", methods=["POST"])
@allow(Role.ADMIN)
def billing():
    form = BillingSettingForm()
    if not form.validate_on_submit():
        return _settings_page(billing_form=form, status=422)
    on_refusal(form_again(form, lambda status=None: _settings_page(billing_form=form, status=status or 422),
                          stale=STALE_SETTINGS))
    services.set_billing_setting(form.billing_setting.data, current_user, form.billing_version_id.data or "")
    flash(_("The billing setting is saved: procedure notes, FHIR and exports now show the facility's claim "
            "(HCPCS G0260) besides the physician's (CPT 27096).") if form.billing_setting.data == "facility"
          else _("The billing setting is saved: procedure notes, FHIR and exports show the physician's claim "
                 "(CPT 27096) only, no G0260."), "success")
    return redirect(url_for("admin.settings", _anchor="billing-h"))


@bp.route("/clinic", methods=["GET", "POST"])
@allow(Role.ADMIN)
def clinic():
    form = ClinicContactForm()
    if not form.is_submitted():
        contact = clinic_contact()
        form.phone.data, form.address.data = contact.phone_shown, contact.address
        form.version_id.data = settings_version()

    def page(status=None):
        # Read now: after a refusal, the details as saved by the other admin.
        return render_template("admin/clinic.html", form=form, contact=clinic_contact(), stale=status == 409), \
            status or (422 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    on_refusal(form_again(form, page, stale=STALE_CONTACT))
    services.set_clinic_contact(form.phone.e164, form.address.data.strip(), current_user, form.version_id.data or "")
    flash(_("The clinic's contact details are saved: patients see them from now on."), "success")
    return redirect(url_for("admin.clinic"))


@bp.route("/rooms", methods=["GET", "POST"])
@allow(Role.ADMIN)
def rooms():
    form = RoomForm()

    def page(status=None):
        return render_template("admin/rooms.html", form=form, rooms=resources.rooms(),
                               physicians=physicians(), hours=resources.hours_by_physician(),
                               weekdays=WEEKDAYS), 422 if form.errors else 200

    if not form.validate_on_submit():
        return page()
    on_refusal(form_again(form, page))
    room = resources.create_room(form.values(), current_user)
    flash(_("Room %(name)s added.", name=room.name), "success")
    return redirect(url_for("admin.rooms"))


@bp.route("/rooms/<int:room_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_room(room_id):
    room = db.session.get(Room, room_id) or abort(404)
    form = RoomForm(obj=room)
    if not form.is_submitted():
        form.modality.data = room.modality.value

    def page(status=None):
        return render_template("admin/room_edit.html", form=form, room=room), \
            status or (422 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    on_refusal(form_again(form, page, stale=STALE_ROOM))
    was_active = room.active
    resources.update_room(room, form.values(), form.version_id.data, current_user)
    flash(_("Room saved."), "success")
    if was_active and not room.active:
        _say_what_stays_in(room)
    return redirect(url_for("admin.rooms"))


def _say_what_stays_in(room):
    """Taking a room out of use stops new bookings only: the appointments already in it stay there.
    Counts only, as for a physician taken off the schedule (_say_what_is_left): an admin may not
    open a patient's appointment, so none is named (and no view is left unaudited)."""
    ahead, first = resources.count_ahead(room=room)
    if ahead:
        flash(" ".join((
            _("%(room)s can no longer be booked.", room=room.name),
            ngettext("%(num)s appointment is still to come in it (%(when)s) and stays there until it is moved.",
                     "%(num)s appointments are still to come in it (the first %(when)s) and stay there until "
                     "they are moved.", ahead, when=format_clinic(first)),
            _("Ask a coordinator to move each to another room from the Day board, which shows this room on each "
              "day it still has appointments."))), "warning")



@bp.route("/physicians/<int:user_id>/hours", methods=["GET", "POST"])
@allow(Role.ADMIN)
def working_hours(user_id):
    physician = db.session.get(User, user_id)
    if physician is None or physician.role != Role.PHYSICIAN:
        abort(404)
    current = resources.hours_by_physician().get(physician.id, {})
    form = WorkingHoursForm(data={
        **{f"starts_{d}": h.starts for d, h in current.items()},
        **{f"ends_{d}": h.ends for d, h in current.items()}})
    if not form.is_submitted():  # a save sends the version its page was opened on, or none: stale
        form.version_id.data = physician.hours_version

    def page(status=None):
        saved = None
        if status == 409:
            # Another admin saved the hours after this form was opened: theirs, read now (the
            # refusal rolled the session back), above the entries kept as typed; the form takes
            # their version, so saving again replaces them.
            saved = resources.hours_by_physician().get(physician.id, {})
            form.version_id.data = physician.hours_version
        return render_template("admin/hours.html", form=form, physician=physician, weekdays=WEEKDAYS,
                               saved=saved), status or (422 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    on_refusal(form_again(form, page, stale=STALE_HOURS))
    resources.set_hours(physician, form.spans(), current_user, form.version_id.data)
    flash(_("Working hours saved for %(name)s.", name=physician.name), "success")
    return redirect(url_for("admin.rooms"))


@bp.route("/closures", methods=["GET", "POST"])
@allow(Role.ADMIN)
def closures():
    form = ClosureForm()
    form.set_choices(physicians())
    form.reason.flags.required = True  # the service says so next to the field when it is left empty

    def page(status=None):
        return render_template("admin/closures.html", form=form, closures=resources.closures(),
                               today=clinic_today()), \
            status or (422 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    on_refusal(form_again(form, page))
    closure = resources.create_closure(form.values(), current_user)
    flash(_("Closure added: %(closure)s.", closure=resources.closure_words(closure)), "success")
    _say_what_is_booked_in(closure)
    return redirect(url_for("admin.closures"))


def _say_what_is_booked_in(closure):
    """A closure added over appointments already booked leaves them where they are: the admin is
    told which (day, time, physician and room; no patient, whose appointment an admin may not
    open) to have moved. The day board and each appointment's page flag them too."""
    booked = resources.booked_in(closure)
    if booked:
        listed = "; ".join(f"{format_clinic(a.starts_at, '%a %d %b %Y %H:%M')}, {a.physician.name}, {a.room.name}" for a in booked)
        flash(" ".join((
            ngettext("%(num)s appointment is booked in this closure: %(listed)s.",
                     "%(num)s appointments are booked in this closure: %(listed)s.", len(booked), listed=listed),
            _("Ask a coordinator to move them: the Day board and each appointment's page flag them."))), "warning")


@bp.route("/closures/<int:closure_id>/remove", methods=["POST"])
@allow(Role.ADMIN)
def remove_closure(closure_id):
    closure = db.session.get(Closure, closure_id)
    if closure is None:  # removed meanwhile (another tab, another admin, the button pressed twice)
        flash(_("This closure was already removed."), "info")
        return redirect(url_for("admin.closures"))
    if TrackerForm().validate_on_submit():  # the CSRF check: the button has no other fields
        flash(_("Closure removed: %(closure)s.", closure=resources.remove_closure(closure, current_user)), "success")
    return redirect(url_for("admin.closures"))


from tracker.admin import formulary_views  # noqa: E402,F401  (the formulary editor's routes live on this blueprint)
