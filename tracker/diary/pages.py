"""The diary's entry and correction pages, shared by its three doors: the patient's account, the
personal link and staff on the phone. Each door loads the case and checks who may use it; these
pages only show the form, save it through the diary's services and answer.

Nothing here imports a door's views or access rules, so the untrusted link surface
(`tracker.patient_link`) can use it without reaching staff code.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from tracker.diary import services
from tracker.diary.forms import CorrectionForm, EntryForm, PhoneEntryForm, entry_form
from tracker.errors import back_to, on_refusal
from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.refusals import FieldError, StaleEdit
from tracker.scheduling.rules import NotAClockTime
from tracker.timeutil import format_clinic, to_clinic, utcnow
from tracker.vocab import EntrySource

PATIENT_LAYOUT, LINK_LAYOUT, STAFF_LAYOUT = "patient/base.html", "diary/link_base.html", "base.html"
STALE = _l("This entry was changed after you opened it. Nothing was saved: check it as it is now.")


def _not_saved_yet(form, field, button):
    """A personal link's post whose security token no longer matches (the phone lost its cookie
    while the page was open; tracker.patient_link): said next to `field`, what was chosen kept."""
    if request.method == "POST" and form.csrf_token.errors:
        field.errors = list(field.errors) + [_("Your score is not saved yet: this page was open for a long time. "
                                               "Check it below and tap “%(button)s” again.", button=button)]


def entry_of(case, entry_id):
    entry = db.session.get(DiaryEntry, entry_id)
    return entry if entry is not None and entry.case_id == case.id else None


def entry_page(case, source, layout, action, correct_url, actor=None, link=None):
    """The entry form for the point the diary asks about now; a POST saves it."""
    staff = source == EntrySource.STAFF_PHONE
    form = entry_form(case, PhoneEntryForm if staff else EntryForm)
    diary = services.read_diary(case, for_patient=not staff)
    if staff and request.method == "GET":
        now = to_clinic(utcnow())
        form.felt_on.data, form.felt_time.data = now.date(), now.time().replace(second=0, microsecond=0)

    def page(status, refusal=None):
        if refusal is not None:
            _show(form, refusal)
        shown_diary = services.read_diary(case, for_patient=not staff) if request.method == "POST" else diary
        # The point the form asks about: for the patient the point open now; for staff, the most
        # urgent one a recalled score may still be given for (the score's moment picks the point).
        shown = _posted_point(shown_diary, form) if request.method == "POST" and not staff else None
        if shown is None:
            shown = shown_diary.current
            if refusal is not None and shown is not None and request.method == "POST" and not staff:
                # A page left open past its point's window: the form asks for the point open now,
                # with the scores as typed (a patient's score describes the moment it is given).
                form.point.errors = list(form.point.errors) + [
                    _("The form below now asks for the “%(point)s” score.", point=shown.label)]
        if shown is not None and request.method == "GET":
            form.point.data = shown.code
        return render_template(
            "diary/entry.html", layout=layout, case=case, diary=shown_diary, form=form, shown=shown,
            action=action, staff=staff, correct_url=correct_url, link=link,
            about=None if staff else services.diary_about(case, shown_diary),
            ended=case.state in services.CLOSED_STATES, when_to_call=services.says_when_to_call(case, shown_diary),
            may_correct=(lambda entry: True) if staff else services.may_patient_correct), status

    if not form.validate_on_submit():
        if staff and request.method == "POST":
            _time_checked_too(case, form)
        _not_saved_yet(form, form.point, _("Save my score"))
        return page(422 if request.method == "POST" else 200)
    try:
        felt_at = form.felt_at() if staff else None
    except NotAClockTime as error:
        form.felt_time.errors = list(form.felt_time.errors) + [str(error)]
        return page(422)
    on_refusal(lambda refusal: page(refusal.status, refusal))
    scores = form.scores()
    view, late = services.record_entry(case, form.point.data, scores, form.answers(), source,
                                       actor=actor, link=link, felt_at=felt_at)
    thanks = _thanks(view, late, staff)
    flash(_with_when_to_call(thanks, case, view.code, scores, staff), "success")
    return redirect(action if not staff else url_for("cases.show", case_id=case.id, _anchor="diary"))


def _time_checked_too(case, form):
    """Staff's phone form refused (a score not chosen, say): what is wrong with the time typed is
    named with it, next to the time, not only on the next submit."""
    if form.felt_on.errors or form.felt_time.errors or form.felt_on.data is None or form.felt_time.data is None:
        return
    try:
        felt_at = form.felt_at()
    except NotAClockTime as error:
        form.felt_time.errors = list(form.felt_time.errors) + [str(error)]
        return
    refused = services.recalled_refusal(case, felt_at)
    if refused is not None:
        _show(form, refused)


def _posted_point(diary, form):
    """The point the patient's form was for, while it still takes a score; None once it does not
    (its window closed, or it was entered meanwhile), so the page never asks again for a point
    that can only be refused."""
    posted = diary.view(form.point.data)
    return posted if posted is not None and posted in diary.waiting else None


def _show(form, refused):
    """Why the entry was not stored, next to the scores or the time point."""
    if getattr(refused, "field", "point") == "score":
        for score_field in form.score_fields():
            score_field.errors = list(score_field.errors) + [str(refused)]
    elif getattr(refused, "field", None) == "felt_at" and "felt_time" in form:
        form.felt_time.errors = list(form.felt_time.errors) + [str(refused)]
    else:
        form.point.errors = list(form.point.errors) + [str(refused)]


def _thanks(view, late, staff):
    if staff:
        return f"The “{view.label}” score is saved, marked as given by phone" + (" and late." if late else ".")
    # A late score is still worth having: say so, so the patient keeps going.
    thanks = _("Thank you: your “%(point)s” score is saved.", point=view.label)
    return thanks + (" " + _("It was late, and it still helps.") if late else "")


# Said to staff who took the score on the phone: the patient is still on the line, so what to ask and
# tell them now (the patient's own pages say when to call; see diary/_when_to_call.html).
STAFF_WORSE = ("This score is worse than before the injection. While the patient is on the phone, ask about "
               "new numbness or weakness in the leg, fever, and redness or swelling where the needle went in; "
               "tell them to call the clinic if the pain is much worse, and emergency services if it is severe; "
               "and let the physician know.")


def _with_when_to_call(message, case, code, scores, staff):
    """The confirmation, when a score after the injection is worse than before it, with when to
    call the clinic (the patient) or what to ask and say (staff on the phone with the patient):
    said in the same announcement, so it is read with the thanks."""
    if not services.worse_than_before(case, code, scores):
        return message
    if staff:
        return f"{message} {STAFF_WORSE}"
    return Markup("{} {}").format(message, Markup(render_template("diary/_when_to_call.html")))


def correction_page(case, entry, source, layout, back, actor=None, link=None):
    """Correcting a stored score, with the reason; the earlier value stays in its history."""
    staff = source == EntrySource.STAFF_PHONE
    form = CorrectionForm(version_id=entry.version_id)
    if request.method == "GET":
        form.score.data = entry.score
        for name in ("analgesic_used", "opioid_used", "physical_therapy_done"):
            value = getattr(entry, name)
            form[name].data = None if value is None else ("yes" if value else "no")
    allowed = staff or services.may_patient_correct(entry)
    # The score itself may be fixed (the block's, once its window closed): said before anything is typed.
    fixed = services.score_fixed(entry)
    if fixed:
        fixed = (_("The score itself can no longer change: relief is measured from it, and the injection was given "
                   "on %(when)s. The answers below may still be corrected.", when=format_clinic(fixed[1]))
                 if fixed[0] == "baseline" else
                 _("The score itself can no longer change: it is one of the block's, and its window closed on "
                   "%(when)s. The answers below may still be corrected.", when=format_clinic(fixed[1]))) \
            if staff else services.score_fixed_words(entry, fixed, staff=False)

    def page(status, changed_meanwhile=False):
        label = _(services.time_point(case, entry.point.point_code).label)
        return render_template("diary/correct.html", layout=layout, case=case, entry=entry, form=form,
                               label=label, about=None if staff else services.diary_about(case),
                               allowed=allowed, back=back, staff=staff, link=link, fixed=fixed,
                               changed_meanwhile=changed_meanwhile), status

    if request.method != "POST":
        return page(200)
    if not allowed:
        return page(409)
    if not form.validate_on_submit():
        _not_saved_yet(form, form.score, _("Save the correction"))
        return page(422)
    on_refusal(lambda refusal: _correction_refused(form, refusal, back, page, entry))
    services.correct_entry(entry, form.score.data, form.answers(), form.reason.data,
                           form.version_id.data, source, actor=actor, link=link)
    corrected = _("The score is corrected; the earlier value is kept in its history.")
    flash(_with_when_to_call(corrected, case, entry.point.point_code, {entry.side: form.score.data}, staff),
          "success")
    return redirect(back)


def _correction_refused(form, refusal, back, page, entry):
    if isinstance(refusal, FieldError):
        form[refusal.field].errors = list(form[refusal.field].errors) + [str(refusal)]
        return page(422)
    if isinstance(refusal, StaleEdit):
        # Corrected meanwhile (another tab, or the clinic): the page shows the score as saved now and
        # keeps the correction as typed; saving it again replaces the other one, knowingly.
        db.session.refresh(entry)
        form.version_id.data = entry.version_id
        return page(409, changed_meanwhile=True)
    return back_to(back, STALE)(refusal)
