"""Patients as records: the header search, the patient page, editing and merging."""
from flask_babel import lazy_gettext as _l
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _, ngettext

from tracker import audit, contact
from tracker.access import allow
from tracker.errors import on_refusal
from tracker.extensions import db
from tracker.formfields import merge_with_saved, remember_opened, say_taken, show_on_form
from tracker.links import id_links
from tracker.loaders import follow_tombstone, get_patient, kept_record
from tracker.models import Case, OutsideInjection, Patient
from tracker.patients import lookup, services, summary
from tracker.patients.forms import (ContactEndForm, ContactEndUndoForm, MergeForm, OutsideInjectionForm, PatientEditForm,
                                    RemoveOutsideInjectionForm)
from tracker.phones import display as phone_display
from tracker.refusals import FieldError, StaleEdit
from tracker.roles import Role
from tracker.vocab import ContactEnded
from tracker.workflow import FINAL_STATES

bp = Blueprint("patients", __name__)
_auto = object()  # a form read from the request, as Flask-WTF does

CLINICAL = (Role.COORDINATOR, Role.PHYSICIAN)


@bp.route("/search")
@allow(Role.COORDINATOR, Role.PHYSICIAN, Role.ADMIN)
def search():
    typed = request.args.get("q", "")[:200]
    if current_user.role == Role.ADMIN:
        # Admins are kept from clinical records: say so here rather than refuse the page.
        return render_template("patients/search.html", q=typed, admin=True, patients=[], problem=None)
    patients, problem, day_first, date_typed = [], None, None, typed.strip()
    if typed.strip():
        try:
            terms = lookup.parse_search(typed, lookup.date_formats())
        except lookup.SearchRefused as refusal:
            problem = str(refusal)
        else:
            # A merged record is not listed: the record it was merged into is, found by either's details.
            patients = lookup.search_page(terms)
            day_first = terms.date_read if terms.day_first else None
            date_typed = terms.date_typed or date_typed
    elif "q" in request.args:
        problem = "Type a name, medical record number, date of birth or phone number."
    more = len(patients) > lookup.MAX_RESULTS
    searched = bool(typed.strip()) and problem is None
    # Nobody found by a name: the records one typing slip away ("Nunes" -> Núñez Peña).
    suggestions = lookup.one_slip_away(typed) if searched and not patients else []
    html = render_template("patients/search.html", q=typed, admin=False, patients=patients[:lookup.MAX_RESULTS],
                           more=more, problem=problem, searched=searched, suggestions=suggestions,
                           day_first=day_first, date_typed=date_typed, patient_href=id_links("patients.show", "patient_id"),
                           case_href=id_links("cases.show", "case_id"))
    if searched:
        # The results list names, MRNs and dates of birth: one row for the search, whatever it found.
        audit.viewed_list("patient_search", "patient search results",
                          len(patients[:lookup.MAX_RESULTS]) + len(suggestions), "patient", f"q={typed.strip()}",
                          user=current_user)
    return html, 422 if problem else 200


@bp.route("/patients/<int:patient_id>")
@allow(*CLINICAL)
def show(patient_id):
    patient = get_patient(patient_id)
    moved = follow_tombstone(patient)
    if moved:
        return moved
    patient = summary.load_record(patient.id)
    audit.viewed("patient", patient.id, summary="viewed patient record", user=current_user)
    lines = summary.case_lines(patient)
    return render_template("patients/show.html", patient=patient, lines=lines, still_booked=summary.still_booked(patient),
                           moved_in=_moved_in(patient, lines),
                           caps=summary.caps_by_payer(patient), caps_window=summary.caps_window(), history=summary.history(patient),
                           invitation=summary.last_invitation(patient) if patient.account is None else None,
                           duplicates=lookup.find_duplicates(lookup.identity_of(patient), exclude_id=patient.id))


def _moved_in(patient, lines):
    """After a merge (?merged=<record merged away>&moved=<case id>…): (the record merged away, the
    case lines of those cases still open on this record), or None. Only this record's own cases are
    read, so the address can show nothing of anyone else."""
    merged = db.session.get(Patient, request.args.get("merged", type=int) or 0)
    if merged is None or merged.merged_into_id != patient.id:
        return None
    moved = set(request.args.getlist("moved", type=int))
    still_open = [line for line in lines if line.case.id in moved and line.case.state not in FINAL_STATES]
    return (merged, still_open) if still_open else None


EDIT_STALE = _l("Someone else changed this record after you opened the form. Nothing was saved; your entries "
              "are kept below. Check where they differ from the record as saved now, then save again.")


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@allow(*CLINICAL)
def edit(patient_id):
    patient = get_patient(patient_id)
    if patient.merged_into_id is not None and request.method == "GET":
        kept = kept_record(patient)
        flash(_("%(display_name)s (MRN %(mrn)s) was merged into %(display_name2)s (MRN %(mrn2)s) and can no "
                "longer change: this is the record kept.",
                display_name=patient.display_name, mrn=patient.mrn, display_name2=kept.display_name, mrn2=kept.mrn), "warning")
        return redirect(url_for("patients.edit", patient_id=kept.id))
    form = _edit_form(patient)
    if not form.is_submitted():
        html, status = _edit_page(patient, form, status=200)
        audit.viewed("patient", patient.id, summary="viewed patient details (correction form)", user=current_user)
        return html, status
    if not form.validate_on_submit():
        return _edit_page(patient, form, status=422, mrn_owner=_record_checks_too(patient, form))
    on_refusal(lambda refusal: _edit_refused(patient_id, form, refusal))
    # "Same person: save the correction, then compare and merge" on a likely duplicate (a
    # coordinator's): the corrected details are saved as they are the person's, then the two
    # records are compared as corrected (a merge reads them; before the correction it was refused).
    merge_with = request.form.get("merge_with", type=int) if current_user.role == Role.COORDINATOR else None
    changed, stale, cleared = services.edit_patient(patient, form.edited_values(), form.version_id.data, current_user,
                                           form.confirm_not_duplicate.data or merge_with is not None)
    if not changed:
        flash(_("Nothing changed: the details were already as typed."), "info")
    else:
        # Named as the form labels them ("medical record number", not "mrn").
        flash(_("Details saved (%(join)s).", join=', '.join(
            (form[name].label.text if name in form else name.replace('_', ' ')).lower() for name in changed)), "success")
        _say_stale(stale)
        for case, answer in cleared:
            flash(_("Case %(id)s: the risk screen's pregnancy answer (%(answer)s) is now Not applicable, as the "
                    "recorded sex is male.", id=case.id, answer=_(answer.label)), "info")
    if merge_with is not None:
        return redirect(url_for("patients.merge", patient_id=patient_id, other_id=merge_with))
    return redirect(url_for("patients.show", patient_id=patient_id))


def _edit_form(patient, formdata=_auto):
    """The correction form: as typed when submitted, else as the record is saved now, with what
    it held when shown (`opened`)."""
    form = PatientEditForm(obj=patient) if formdata is _auto else PatientEditForm(formdata=formdata, obj=patient)
    if current_user.role != Role.COORDINATOR:
        # A coordinator registers patients, and corrects the number they were registered under.
        del form.mrn, form.mrn_reason
    if not form.is_submitted() or formdata is None:
        form.sex.data, form.preferred_contact.data = patient.sex.value, patient.preferred_contact.value
        form.phone.data = phone_display(patient.phone)
        form.show_language(patient.language)
        form.version_id.data = patient.version_id
        remember_opened(form)
    return form


def _record_checks_too(patient, form):
    """The checks against the record (date of birth, MRN) named with the form's own errors, not
    only after those are fixed: each on a field the form did not refuse already."""
    if not form.is_submitted() or patient.merged_into_id is not None:
        return
    born = None if form.date_of_birth.errors else form.date_of_birth.data
    mrn = reason = None
    if form.mrn is not None and not form.mrn.errors:
        mrn, reason = (form.mrn.data or "").strip() or None, form.mrn_reason.data
    try:
        services.check_correction(patient, born, mrn, reason)
    except FieldError as refused:
        for one in getattr(refused, "errors", [refused]):
            if not form[one.field].errors:
                form[one.field].errors.append(one.message)
        return _mrn_owner(refused)
    return None


def _mrn_owner(refused):
    """The record holding the MRN typed, when the correction was refused for it (else None)."""
    return next((one.patient for one in getattr(refused, "errors", [refused])
                 if isinstance(one, services.MrnTaken)), None)


def _edit_page(patient, form, status, duplicates=(), conflicts=(), mrn_owner=None):
    return render_template("patients/edit.html", patient=patient, form=form, duplicates=duplicates,
                           conflicts=conflicts, mrn_owner=mrn_owner), status


def _edit_refused(patient_id, form, refusal):
    """The form as typed, with why: next to its field; the likely duplicates with the box to
    confirm; saved by someone else meanwhile, where the saved record and the form differ (and the
    form now on the saved version, so saving again is a choice); merged meanwhile, the reason."""
    patient = get_patient(patient_id)
    if isinstance(refusal, services.PossibleDuplicate):
        form.confirm_not_duplicate.errors.append(
            "The corrected details match another record (listed above). If it is the same person, merge the "
            "records instead; tick this box if this is a different person.")
        return _edit_page(patient, form, 422, duplicates=refusal.candidates)
    if isinstance(refusal, FieldError):
        show_on_form(form, refusal)
        return _edit_page(patient, form, 422, mrn_owner=_mrn_owner(refusal))
    if isinstance(refusal, StaleEdit):
        # As the referral form: a field only the colleague changed takes their value, one only
        # this user changed keeps theirs, one both changed is listed (saving again stores it). The
        # number typed is compared and shown as the form shows numbers ("(201) 555-0199").
        if getattr(form.phone, "e164", None):
            form.phone.data = phone_display(form.phone.e164)
        taken, both = merge_with_saved(form, _edit_form(patient, formdata=None))
        flash(str(EDIT_STALE), "error")
        say_taken(taken)
        return _edit_page(patient, form, 409, conflicts=both)
    flash(str(refusal), "error")
    return _edit_page(patient, form, 409)


def _say_stale(stale):
    for case, why in stale:
        flash(_("Case %(id)s (%(side)s): its eligibility verdict no longer stands: %(why)s. Re-evaluate it.",
                id=case.id, side=case.side.label.lower(), why=why), "warning")


@bp.route("/patients/<int:patient_id>/merge/<int:other_id>", methods=["GET", "POST"])
@allow(Role.COORDINATOR)
def merge(patient_id, other_id):
    """Merge record `other_id` into record `patient_id` (the one kept), after comparing them side by side."""
    kept, merged = get_patient(patient_id), get_patient(other_id)
    if request.method == "GET" and request.args.get("keep") != "chosen" \
            and kept.merged_into_id is None and merged.merged_into_id is None \
            and services.default_kept(kept, merged).id != kept.id:
        # From either record's duplicate warning, the comparison opens keeping the record that
        # holds the patient's care, or the older; "Keep … instead" is a choice and is not undone.
        return redirect(url_for("patients.merge", patient_id=other_id, other_id=patient_id))
    form = MergeForm()
    if not form.is_submitted():
        form.kept_version.data, form.merged_version.data = kept.version_id, merged.version_id
        # The comparison shows both records in full, as the patient page does: audited alike.
        for record in {kept.id: kept, merged.id: merged}.values():
            audit.record(audit.Action.VIEW, "patient", record.id, summary="viewed patient record (merge comparison)",
                         user=current_user)
        db.session.commit()
        for name, choice in services.contact_choices(kept, merged).items():
            form[f"{name}_from"].data = choice
    if not form.validate_on_submit():
        return _merge_page(kept, merged, form, 422 if form.is_submitted() else 200)
    on_refusal(lambda refusal: _merge_refused(patient_id, other_id, form, refusal))
    merged_away = services.merge_patients(kept, merged, form.reason.data, current_user, form.kept_version.data,
                                          form.merged_version.data, contact=form.contact_choices())
    kept = db.session.get(Patient, patient_id)
    flash(_("Records merged: everything of the other record is now on %(display_name)s (MRN %(mrn)s); the "
            "other record's links lead here.",
            display_name=kept.display_name, mrn=kept.mrn), "success")
    if merged_away.contact_changed:
        flash(_("Taken from the merged record: %(fields)s.",
                fields=", ".join(str(form[f"{name}_from"].label.text) for name in merged_away.contact_changed)),
              "info")
    _say_stale(merged_away.stale)
    for case, day, shortfalls in merged_away.over_cap:
        flash(_("Case %(id)s (%(side)s): its injection of %(day)s was over the cap, counted with the merged record's "
                "injections: %(shortfalls)s. Check the claim against the payer's cap.", id=case.id,
                side=case.side.label.lower(), day=day.isoformat(), shortfalls="; ".join(shortfalls)), "warning")
    _say_overlapping(merged_away.overlapping)
    # The page after the merge lists the open cases that came from the duplicate, for review; the
    # address names them (the same page on a reload), and the page shows only those still open.
    return redirect(url_for("patients.show", patient_id=patient_id, merged=other_id, moved=merged_away.moved_open))


def _say_overlapping(pairs):
    """As the referral form warns of a second referral for a joint: the merge may have brought
    together two cases each record opened for the same episode."""
    for one, other in pairs:
        flash(_("Two open cases for the same joint: case %(one)s (%(one_side)s, %(one_indication)s, %(one_state)s) "
                "and case %(other)s (%(other_side)s, %(other_indication)s, %(other_state)s). If they are one "
                "referral logged on each record, cancel the one not needed.",
                one=one.id, one_side=one.side.label.lower(), one_indication=one.indication.label.lower(),
                one_state=one.state.label.lower(), other=other.id, other_side=other.side.label.lower(),
                other_indication=other.indication.label.lower(), other_state=other.state.label.lower()),
              "warning")


MERGE_STALE = _l("One of these records changed, or was merged by someone else, after you opened this comparison. "
               "Nothing was merged: compare them again as they are now.")


def _merge_page(kept, merged, form, status):
    sides = [summary.comparison(kept), summary.comparison(merged)]
    refusal = services.merge_refusal(kept, merged)
    # Each contact detail both records hold differently is a choice; one only the other holds is carried over.
    choices = list(services.contact_choices(kept, merged)) if not refusal else []
    carried = services.carried_over(kept, merged) if not refusal else []
    # One of the two already merged: the refusal leads to the record that holds the patient now.
    merged_away = next((record for record in (kept, merged) if record.merged_into_id is not None), None)
    return render_template("patients/merge.html", kept=kept, merged=merged, form=form, sides=sides,
                           refusal=refusal, choices=choices, carried=carried,
                           record_kept=kept_record(merged_away) if merged_away else None,
                           moving=services.open_case_ids(merged)), status


def _merge_refused(patient_id, other_id, form, refusal):
    kept, merged = get_patient(patient_id), get_patient(other_id)
    if isinstance(refusal, FieldError):
        show_on_form(form, refusal)
        return _merge_page(kept, merged, form, 422)
    flash(str(MERGE_STALE) if isinstance(refusal, StaleEdit) else str(refusal), "error")
    # The comparison as the records are now; the reason typed is kept.
    form.kept_version.data, form.merged_version.data = kept.version_id, merged.version_id
    return _merge_page(kept, merged, form, 409)


# --- injections given elsewhere ---------------------------------------------------------------

OUTSIDE_STALE = _l("Someone else changed this entry after you opened it. Nothing was saved; your entries are kept "
                   "below, the entry as saved now is listed above. Check both and save again.")


def _outside_or_404(patient, injection_id):
    row = db.session.get(OutsideInjection, injection_id)
    if row is None or row.patient_id != patient.id:
        abort(404)
    return row


def _show_stored(form, row):
    """The form showing `row` as stored: its choices as the selects' values, and its version."""
    form.side.data, form.indication.data, form.version_id.data = row.side.value, row.indication.value, row.version_id


def _outside_page(patient, form, editing=None, remove_form=None, status=200):
    if request.method == "GET":
        audit.viewed("patient", patient.id, summary="viewed injections given elsewhere", user=current_user)
    return render_template("patients/outside_injections.html", patient=patient, form=form, editing=editing,
                           remove_form=remove_form, rows=patient.outside_injections,
                           back=_back_to_case(patient)), status


def _back_to_case(patient):
    """The patient's case the user came from (?case=), to return to its eligibility after saving."""
    case_id = request.args.get("case", type=int)
    case = db.session.get(Case, case_id) if case_id else None
    return case if case is not None and case.patient_id == patient.id else None


def _after_outside(patient):
    case = _back_to_case(patient)
    if case is not None:
        return redirect(url_for("cases.show", case_id=case.id))
    return redirect(url_for("patients.outside_injections", patient_id=patient.id))


def _outside_refused(patient, form, refusal, editing=None, remove_form=None, removing=False):
    """The form as typed, with why: next to its field (the reason), someone else's save, or the
    record merged meanwhile."""
    if isinstance(refusal, FieldError):
        show_on_form(remove_form if removing else form, refusal)
        return _outside_page(patient, form, editing, remove_form, 422)
    flash(str(OUTSIDE_STALE) if isinstance(refusal, StaleEdit) else str(refusal), "error")
    if editing is not None:
        db.session.refresh(editing)
        form.version_id.data = editing.version_id
        if remove_form is not None:
            remove_form.version_id.data = editing.version_id
    return _outside_page(patient, form, editing, remove_form, 409)


@bp.route("/patients/<int:patient_id>/outside-injections", methods=["GET", "POST"])
@allow(*CLINICAL)
def outside_injections(patient_id):
    """Injections the patient had elsewhere: listed, and one more recorded."""
    patient = get_patient(patient_id)
    moved = follow_tombstone(patient, "patients.outside_injections")
    if moved:
        return moved
    form = OutsideInjectionForm()
    del form.reason
    if not form.validate_on_submit():
        return _outside_page(patient, form, status=422 if form.is_submitted() else 200)
    on_refusal(lambda refusal: _outside_refused(patient, form, refusal))
    _row, stale = services.add_outside_injection(patient, form.values(), current_user)
    flash(_("Injection given elsewhere recorded: it counts towards the caps, the interval and a repeat's relief "
            "for every case of this patient."), "success")
    _say_stale(stale)
    return _after_outside(patient)


@bp.route("/patients/<int:patient_id>/outside-injections/<int:injection_id>", methods=["GET", "POST"])
@allow(*CLINICAL)
def correct_outside_injection(patient_id, injection_id):
    patient = get_patient(patient_id)
    row = _outside_or_404(patient, injection_id)
    form = OutsideInjectionForm(obj=row)
    remove_form = RemoveOutsideInjectionForm(formdata=None, version_id=row.version_id)
    if not form.is_submitted():
        _show_stored(form, row)
    if not form.validate_on_submit():
        return _outside_page(patient, form, row, remove_form, status=422 if form.is_submitted() else 200)
    on_refusal(lambda refusal: _outside_refused(patient, form, refusal, row, remove_form))
    stale = services.correct_outside_injection(row, form.values(), form.reason.data, form.version_id.data,
                                               current_user)
    flash(_("Injection given elsewhere corrected."), "success")
    _say_stale(stale)
    return _after_outside(patient)


@bp.route("/patients/<int:patient_id>/outside-injections/<int:injection_id>/remove", methods=["POST"])
@allow(*CLINICAL)
def remove_outside_injection(patient_id, injection_id):
    patient = get_patient(patient_id)
    row = _outside_or_404(patient, injection_id)
    remove_form = RemoveOutsideInjectionForm()
    form = OutsideInjectionForm(formdata=None, obj=row)
    _show_stored(form, row)
    if not remove_form.validate_on_submit():
        return _outside_page(patient, form, row, remove_form, status=422)
    on_refusal(lambda refusal: _outside_refused(patient, form, refusal, row, remove_form, removing=True))
    stale = services.remove_outside_injection(row, remove_form.reason.data, remove_form.version_id.data, current_user)
    flash(_("Injection given elsewhere removed."), "success")
    _say_stale(stale)
    return _after_outside(patient)


# --- no longer reachable ----------------------------------------------------------------------

CONTACT_STALE = _l("Someone else changed this record after you opened this page. Nothing was saved: check the "
                   "record as it is now (above), then record it again if it is still needed.")


def _contact_end_page(patient, form, undo_form, status=200):
    return render_template("patients/contact_end.html", patient=patient, form=form, undo_form=undo_form), status


def _contact_end_forms(patient):
    """The form to record it (while the record has none) or the one to undo it (once it has), on
    the record's version as saved now."""
    if patient.contact_ended is None:
        return ContactEndForm(formdata=None, version_id=patient.version_id), None
    return None, ContactEndUndoForm(formdata=None, version_id=patient.version_id)


def _contact_end_refused(patient_id, form, undo_form, refusal):
    """Saved or undone by someone else meanwhile: the page as the record is now, with why; what was
    typed is kept in the form the page still offers."""
    patient = get_patient(patient_id)
    flash(str(CONTACT_STALE) if isinstance(refusal, StaleEdit) else str(refusal), "error")
    fresh, fresh_undo = _contact_end_forms(patient)
    if form is not None and fresh is not None:
        form.version_id.data, fresh = fresh.version_id.data, form
    if undo_form is not None and fresh_undo is not None:
        undo_form.version_id.data, fresh_undo = fresh_undo.version_id.data, undo_form
    return _contact_end_page(patient, fresh, fresh_undo, 409)


@bp.route("/patients/<int:patient_id>/reachable", methods=["GET", "POST"])
@allow(*CLINICAL)
def contact_end(patient_id):
    """Record that the clinic no longer reaches the patient (died, moved away or left its care), or
    undo it: one page, offering whichever the record allows; a post is read as the form it came
    from (a reason: the undo), so one sent from a page opened before a colleague's change is
    refused as such rather than read as the other form."""
    patient = get_patient(patient_id)
    moved = follow_tombstone(patient, "patients.contact_end")
    if moved:
        return moved
    if request.method == "GET":
        audit.viewed("patient", patient.id, summary="viewed patient record (no longer reachable)", user=current_user)
        return _contact_end_page(patient, *_contact_end_forms(patient))
    if "reason" in request.form:
        undo_form = ContactEndUndoForm()
        if not undo_form.validate_on_submit():
            return _contact_end_page(patient, None, undo_form, 422)
        on_refusal(lambda refusal: _contact_end_refused(patient_id, None, undo_form, refusal))
        reactivated = services.undo_end_contact(patient, undo_form.reason.data, undo_form.version_id.data,
                                                current_user)
        flash(_("Undone: the patient is reachable again, and messages go to them as before.")
              + (" " + _("Their patient account is active again.") if reactivated else ""), "success")
        return redirect(url_for("patients.show", patient_id=patient_id))
    form = ContactEndForm()
    if not form.validate_on_submit():
        return _contact_end_page(patient, form, None, 422)
    on_refusal(lambda refusal: _contact_end_refused(patient_id, form, None, refusal))
    services.end_contact(patient, ContactEnded(form.why.data), form.died_on.data, form.note.data,
                         form.version_id.data, current_user)
    flash(_("Recorded: %(words)s. Nothing is sent to the patient any more.",
            words=contact.contact_ended_words(patient)), "success")
    if booked := summary.still_booked(patient):
        # Nothing is cancelled on its own: the patient page lists each, with the way to cancel it.
        flash(ngettext("%(num)d appointment is still booked for this patient: cancel it (listed below).",
                       "%(num)d appointments are still booked for this patient: cancel each (listed below).",
                       len(booked)), "warning")
    return redirect(url_for("patients.show", patient_id=patient_id))
