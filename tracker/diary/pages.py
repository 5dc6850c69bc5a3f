"""The diary's entry and correction pages, shared by its three doors: the patient's account, the
personal link and staff on the phone. Each door loads the case and checks who may use it; these
pages only show the form, save it through the diary's services and answer.

Nothing here imports a door's views or access rules, so the untrusted link surface
(`tracker.patient_link`) can use it without reaching staff code.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from tracker.diary import services
from tracker.diary.forms import CorrectionForm, EntryForm, PhoneEntryForm, entry_form
from tracker.diary.services import EntryRefused
from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.validation import StaleEdit
from tracker.vocab import EntrySource

PATIENT_LAYOUT, LINK_LAYOUT, STAFF_LAYOUT = "patient/base.html", "diary/link_base.html", "base.html"
STALE = _l("This entry was changed after you opened it. Nothing was saved: check it as it is now.")


def entry_of(case, entry_id):
    entry = db.session.get(DiaryEntry, entry_id)
    return entry if entry is not None and entry.case_id == case.id else None


def entry_page(case, source, layout, action, correct_url, actor=None, link=None):
    staff = source == EntrySource.STAFF_PHONE
    form_class = PhoneEntryForm if staff else EntryForm
    form = entry_form(case, form_class)
    diary = services.read_diary(case, for_patient=not staff)
    if staff:
        form.point.choices = [SelectChoice(p.code, p.label) for p in diary.points
                              if not p.entered and services.may_enter(case, p, for_patient=False)]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                view, late = services.record_entry(case, form.point.data, form.scores(), form.answers(), source,
                                             actor=actor, link=link)
            except EntryRefused as refused:
                _show(form, refused)
            else:
                flash(_thanks(view, late, staff), "success")
                return redirect(action if not staff else url_for("cases.show", case_id=case.id, _anchor="diary"))
        status = 422
        diary = services.read_diary(case, for_patient=not staff)
    shown = (diary.view(form.point.data) if request.method == "POST" else None) or _asked(diary, staff)
    if shown is not None and request.method == "GET":
        form.point.data = shown.code
    return render_template("diary/entry.html", layout=layout, case=case, diary=diary, form=form, shown=shown,
                           action=action, staff=staff, correct_url=correct_url, link=link,
                           may_correct=(lambda entry: True) if staff else services.may_patient_correct), status


def _asked(diary, staff):
    """The point the form asks about: the most urgent, or a missed one the patient chose from the
    list (?point=d1; only one the diary still waits for)."""
    chosen = diary.view(request.args.get("point", ""))
    if chosen is not None and chosen in diary.waiting:
        return chosen
    if staff:
        return diary.current or next((p for p in diary.points if not p.entered), None)
    return diary.current


def _show(form, refused):
    if refused.field == "score":
        for score_field in form.score_fields():
            score_field.errors = list(score_field.errors) + [refused.message]
    else:
        form.point.errors = list(form.point.errors) + [refused.message]


def _thanks(view, late, staff):
    if staff:
        return f"The “{view.label}” score is saved, marked as given by phone" + (" and late." if late else ".")
    # A late score is still worth having: say so, so the patient keeps going.
    thanks = _("Thank you: your “%(point)s” score is saved.", point=view.label)
    return thanks + (" " + _("It was late, and it still helps.") if late else "")


def correction_page(case, entry, source, layout, back, actor=None, link=None):
    staff = source == EntrySource.STAFF_PHONE
    form = CorrectionForm(version_id=entry.version_id)
    if request.method == "GET":
        form.score.data = entry.score
        for name in ("analgesic_used", "opioid_used", "physical_therapy_done"):
            value = getattr(entry, name)
            form[name].data = None if value is None else ("yes" if value else "no")
    allowed = staff or services.may_patient_correct(entry)
    status = 200
    if request.method == "POST" and allowed:
        if form.validate_on_submit():
            try:
                services.correct_entry(entry, form.score.data, form.answers(), form.reason.data,
                                       form.version_id.data, source, actor=actor, link=link)
            except (StaleEdit, StaleDataError):
                db.session.rollback()
                flash(STALE, "error")
                return redirect(back)
            except EntryRefused as refused:
                form[refused.field].errors = list(form[refused.field].errors) + [refused.message]
            else:
                flash(_("The score is corrected; the earlier value is kept in its history."), "success")
                return redirect(back)
        status = 422
    elif request.method == "POST":
        status = 409
    label = _(services.time_point(case, entry.point.point_code).label)
    return render_template("diary/correct.html", layout=layout, case=case, entry=entry, form=form, label=label,
                           allowed=allowed, back=back, staff=staff, link=link), status
