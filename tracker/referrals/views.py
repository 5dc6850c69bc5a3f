"""Referral intake: find the patient (or register one), log the referral, edit it later."""
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker import audit, export
from tracker.access import allow
from tracker.cases.services import record_view
from tracker.cases.worklist import physician_label
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.errors import on_refusal
from tracker.extensions import db
from tracker.formfields import merge_with_saved, options, remember_opened, say_taken, show_on_form
from tracker.loaders import follow_tombstone, get_case
from tracker.models import Patient
from tracker.patients.identity import clean_text
from tracker.patients.services import MrnTaken
from tracker.patients.lookup import SearchRefused, date_formats, one_slip_away, parse_search
from tracker.policy import PROFILE_CHOICES, PROFILES
from tracker.referrals import services
from tracker.referrals.forms import FindPatientForm, NewPatientReferralForm, ReferralForm, RepeatReferralForm
from tracker.refusals import FieldError
from tracker.roles import Role
from tracker.workflow import REFERRAL_NOTES_ONLY

bp = Blueprint("referrals", __name__)

INTAKE_ROLES = (Role.COORDINATOR, Role.PHYSICIAN)
STALE = _l("Someone else saved this referral after you opened the form. Nothing was saved; your own changes "
         "are kept below. Check the form, then save again.")


def _choose_options(form, case=None):
    form.offer_diagnoses(case.diagnosis_codes if case else ())
    default = PROFILES[clinic_default_profile_code()]
    form.payer_profile_code.choices = options(PROFILE_CHOICES, blank=f"Clinic default ({default.name})")
    offered = [(str(u.id), u.name) for u in services.physicians()]
    if case is not None and case.physician is not None and not case.physician.bookable:
        # Taken off the schedule, still the case's physician until a coordinator reassigns it: kept
        # as a choice, or saving the form would unassign it (or refuse a booked case's notes).
        offered.append((str(case.physician_id), physician_label(case.physician)))
    form.physician_id.choices = options(offered, blank="Not assigned yet")


@bp.route("/find")
@allow(*INTAKE_ROLES)
def find_patient():
    form = FindPatientForm(request.args)
    form.validate()
    # A term or date refused by the form is explained next to its field, not searched for.
    term = None if form.q.errors else clean_text(form.q.data)
    born = None if form.date_of_birth.errors else form.date_of_birth.data
    terms = None
    if term:
        try:
            terms = parse_search(term, date_formats())
        except SearchRefused as refusal:
            form.q.errors.append(str(refusal))
            term = None
    searched = bool(term or born)
    patients = services.find_patients(terms, born) if searched else []
    # Nobody found by a name: the records one typing slip away, before a new record is made.
    suggestions = one_slip_away(term) if term and not patients else []
    html = render_template("referrals/find.html", form=form, patients=patients, searched=searched,
                           suggestions=suggestions,
                           register_with=_typed_patient(term, born) if searched and not patients else {})
    if searched:
        # The results list names, MRNs and dates of birth: one row for the search, whatever it found.
        audit.viewed_list("patient_search", "referral search results", len(patients) + len(suggestions), "patient",
                          export.filters_text(form), user=current_user)
    return html


def _typed_patient(term, born):
    """What a search that found nobody typed, for the registration form: a term with a digit in
    it is taken for an MRN, any other for a family name (names have no digits; MRNs nearly
    always do)."""
    typed = {"date_of_birth": born.isoformat()} if born else {}
    term = (term or "").strip()
    if not term:
        return typed
    if "," in term and not any(c.isdigit() for c in term):
        # "Family, Given", as the find box and the worklist read it.
        family, given = (part.strip() for part in term.split(",", 1))
        return {**typed, "family_name": family, "given_name": given}
    digits = sum(c.isdigit() for c in term)
    if _PHONE_SHAPED.fullmatch(term) and (digits >= 10 or any(c in term for c in "(+ ")):
        return {**typed, "phone": term}   # a phone number, never an MRN
    typed["mrn" if digits else "family_name"] = term
    return typed


_PHONE_SHAPED = re.compile(r"[\d\s()+.\-/]+")


@bp.route("/new", methods=["GET", "POST"])
@allow(*INTAKE_ROLES)
def new_patient_referral():
    form = NewPatientReferralForm()
    _choose_options(form)
    if not form.is_submitted():
        # Carried over from a search that found nobody (see _typed_patient).
        form.mrn.data = request.args.get("mrn", "")
        form.family_name.data = request.args.get("family_name", "")
        form.given_name.data = request.args.get("given_name", "")
        form.phone.data = request.args.get("phone", "")
        form.date_of_birth.data = request.args.get("date_of_birth", type=date.fromisoformat)
    if not form.validate_on_submit():
        _mrn_taken_too(form)
        return _referral_page(form)
    on_refusal(lambda refusal: _referral_page(form, refusal=refusal))
    case = services.register_and_refer(form.patient_values(), form.referral_values(),
                                       current_user, form.confirm_new_patient.data)
    flash(_("Referral logged for %(display_name)s.", display_name=case.patient.display_name), "success")
    return redirect(url_for("cases.show", case_id=case.id))


def _mrn_taken_too(form):
    """An MRN another record holds is named with the form's other errors, not only after they
    are fixed (the registration refuses it anyway)."""
    if form.is_submitted() and (form.mrn.data or "").strip() and not form.mrn.errors:
        try:
            services.check_mrn_free(form.mrn.data)
        except MrnTaken as taken:
            show_on_form(form, taken)
            form.mrn_owner = taken.patient


def _offer_second_referral(form, refusal):
    """The box to confirm a referral for a joint with an open case, covering the cases listed."""
    form.seen_open_cases.data = ",".join(str(case.id) for case in refusal.cases)
    form.confirm_second_referral.errors.append(
        "This patient already has an open case on this side (listed above). Open that case, or "
        "tick this box to log this referral as well.")


def _referral_page(form, patient=None, refusal=None):
    """The referral form, as typed. A refusal shows its reason next to its field; a possible
    duplicate lists the patients it may be, and an open case on the same side lists that case,
    each with its box to confirm."""
    namesakes, open_cases = [], []
    if isinstance(refusal, services.PossibleDuplicate):
        namesakes = refusal.candidates
        form.confirm_new_patient.errors.append(
            "This may be a patient already registered (listed above). Use their record, or "
            "tick this box if this is a different person.")
    elif isinstance(refusal, services.SecondReferral):
        open_cases = refusal.cases
        _offer_second_referral(form, refusal)
    elif isinstance(refusal, FieldError):
        show_on_form(form, refusal)
        if isinstance(refusal, MrnTaken):
            form.mrn_owner = refusal.patient
    elif isinstance(refusal, services.PatientDied):
        # Died since the form was opened: the page says why in place of the form.
        return render_template("referrals/new.html", form=form, patient=patient, namesakes=namesakes,
                               open_cases=open_cases, refused=str(refusal)), refusal.status
    elif refusal is not None:
        flash(str(refusal), "error")
        return render_template("referrals/new.html", form=form, patient=patient, namesakes=namesakes,
                               open_cases=open_cases), refusal.status
    return render_template("referrals/new.html", form=form, patient=patient, namesakes=namesakes,
                           open_cases=open_cases, refused=services.referral_refused(patient) if patient else None,
                           left_care=services.left_care_warning(patient) if patient else None), \
        422 if form.errors else 200


@bp.route("/patients/<int:patient_id>/new", methods=["GET", "POST"])
@allow(*INTAKE_ROLES)
def new_referral(patient_id):
    patient = db.session.get(Patient, patient_id) or abort(404)
    if request.method == "GET" and (moved := follow_tombstone(patient, "referrals.new_referral")):
        # An old link to a merged record: the referral goes on the record kept.
        return moved
    form = RepeatReferralForm()
    _choose_options(form)
    if not form.is_submitted():
        html, status = _referral_page(form, patient)
        audit.viewed("patient", patient.id, summary="viewed patient details (new referral)", user=current_user)
        return html, status
    if not form.validate_on_submit():
        return _referral_page(form, patient)
    on_refusal(lambda refusal: _referral_page(form, patient, refusal))
    case = services.refer(patient, form.referral_values(), current_user,
                          confirmed_second_referral=bool(form.confirm_second_referral.data),
                          seen_open_cases=form.seen_case_ids())
    flash(_("Referral logged for %(display_name)s.", display_name=patient.display_name), "success")
    return redirect(url_for("cases.show", case_id=case.id))


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@allow(*INTAKE_ROLES)
def edit_referral(case_id):
    case = get_case(case_id)
    sent = _notes_only_sent(case)
    form = ReferralForm(obj=case) if sent is None else ReferralForm(formdata=sent, obj=case)
    _choose_options(form, case)
    if not form.is_submitted():
        form = _as_saved(case)
        remember_opened(form)
        html, status = _edit_page(case, form, 200)
        record_view(case, current_user, "referral form")
        return html, status
    if not form.validate_on_submit():
        return _edit_page(case, form, 422)
    on_refusal(lambda refusal: _edit_refused(case, form, refusal))
    services.update_referral(case, form.referral_values(), form.version_id.data, current_user,
                             confirmed_second_referral=bool(form.confirm_second_referral.data),
                             seen_open_cases=form.seen_case_ids())
    flash(_("Referral saved."), "success")
    return redirect(url_for("cases.show", case_id=case.id))


def _notes_only_sent(case):
    """What the form reads: what was sent; once the case is booked (its page offers only who
    referred and the reason) the other fields as saved, whatever was sent for them. None: the
    request's own form, as usual."""
    if case.state not in REFERRAL_NOTES_ONLY or request.method != "POST":
        return None
    sent = request.form.copy()
    saved = _as_saved(case)
    for name in saved.REFERRAL_FIELDS:
        if name not in services.correctable_after_booking(case):
            data = saved[name].data
            if saved[name].type == "BooleanField":
                sent.setlist(name, ["y"] if data else [])
            elif isinstance(data, (list, tuple)):
                sent.setlist(name, [str(item) for item in data])
            else:
                sent.setlist(name, ["" if data is None else data.isoformat() if hasattr(data, "isoformat") else str(data)])
    return sent


def _as_saved(case):
    """The referral form filled from the case as saved now, as the page first shows it."""
    form = ReferralForm(formdata=None, obj=case)
    _choose_options(form, case)
    form.side.data, form.indication.data = case.side.value, case.indication.value
    form.payer_profile_code.data = case.payer_profile_code or ""
    form.physician_id.data = str(case.physician_id or "")
    return form


def _edit_page(case, form, status, conflicts=(), open_cases=()):
    return render_template("referrals/edit.html", form=form, case=case, conflicts=conflicts,
                           open_cases=open_cases, reassign=services.physician_reassignable(case)), status


def _edit_refused(case, form, refusal):
    """The form as typed, with the reason next to its field; a side corrected onto a joint with
    another open case lists that case with the box to confirm; saved by someone else meanwhile,
    merged with the case as it is now (tracker.formfields.merge_with_saved): what they changed and
    this user left alone is taken, what both changed is listed, and a second save is offered."""
    if isinstance(refusal, FieldError):
        show_on_form(form, refusal)
        return _edit_page(case, form, 422)
    if isinstance(refusal, services.SecondReferral):
        _offer_second_referral(form, refusal)
        return _edit_page(case, form, 422, open_cases=refusal.cases)
    taken, both = merge_with_saved(form, _as_saved(case))
    flash(str(STALE), "error")
    say_taken(taken)
    return _edit_page(case, form, 409, conflicts=both)
