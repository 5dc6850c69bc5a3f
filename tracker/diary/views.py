"""The pain diary's pages.

Three doors to the same entry page: the patient's account (/my/cases/<id>/diary), the personal
link (/d/<token>, nobody signed in: the token travels in every form's address and opens this one
case's diary, nothing else), and staff typing a score the patient gives on the phone. Staff also
send, re-send and revoke the link from the case page's Diary panel.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy.orm.exc import StaleDataError

from tracker.access import CLINICAL_STAFF, Role, allow, deny, public
from tracker.cases.views import get_case
from tracker.diary import services
from tracker.diary.forms import CorrectionForm, EntryForm, PhoneEntryForm, entry_form
from tracker.diary.services import EntryRefused, LinkRefused
from tracker.extensions import db
from tracker.models import DiaryEntry, DiaryLink
from tracker.patient_portal.views import own_case
from tracker.timeutil import utcnow
from tracker.validation import StaleEdit
from tracker.vocab import EntrySource

bp = Blueprint("diary", __name__)
bp.add_app_template_global(services.when, "diary_when")

PATIENT_LAYOUT, LINK_LAYOUT, STAFF_LAYOUT = "patient/base.html", "diary/link_base.html", "base.html"
STALE = "This entry was changed after you opened it. Nothing was saved: check it as it is now."


# ------------------------------------------------------------------ for other pages' templates

@bp.app_template_global()
def diary_panel(case):
    """What the case page's Diary panel shows (coordinators and physicians only)."""
    return {"diary": services.read_diary(case, for_patient=False), "link": services.live_link(case),
            "links": db.session.execute(db.select(DiaryLink).filter_by(case_id=case.id)
                                        .order_by(DiaryLink.id.desc())).scalars().all()}


@bp.app_template_global()
def diary_due(case):
    """The point the patient's case page invites them to enter now, or None."""
    return services.due_summary(case)


# ------------------------------------------------------------------ the patient's account

@bp.route("/my/cases/<int:case_id>/diary", methods=["GET", "POST"])
@allow(Role.PATIENT)
def patient_entry(case_id):
    case = own_case(case_id)
    return _entry_page(case, EntrySource.PATIENT_ACCOUNT, PATIENT_LAYOUT,
                       url_for("diary.patient_entry", case_id=case.id),
                       lambda entry: url_for("diary.patient_correct", case_id=case.id, entry_id=entry.id),
                       actor=current_user._get_current_object())


@bp.route("/my/cases/<int:case_id>/diary/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@allow(Role.PATIENT)
def patient_correct(case_id, entry_id):
    case = own_case(case_id)
    entry = _entry_of(case, entry_id) or deny("patient asked for a diary entry that is not theirs",
                                              "diary_entry", entry_id, status=404)
    return _correction_page(case, entry, EntrySource.PATIENT_ACCOUNT, PATIENT_LAYOUT,
                            url_for("diary.patient_entry", case_id=case.id),
                            actor=current_user._get_current_object())


# ------------------------------------------------------------------ the personal link

@bp.route("/d/<token>", methods=["GET", "POST"])
@public
def link_entry(token):
    link = services.open_link(token)
    if link is None:
        return _link_not_valid()
    services.note_link_view(link)
    return _entry_page(link.case, EntrySource.LINK, LINK_LAYOUT, url_for("diary.link_entry", token=token),
                       lambda entry: url_for("diary.link_correct", token=token, entry_id=entry.id), link=link)


@bp.route("/d/<token>/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@public
def link_correct(token, entry_id):
    link = services.open_link(token)
    if link is None:
        return _link_not_valid()
    entry = _entry_of(link.case, entry_id)
    if entry is None:
        # Another case's entry: the same page as a bad link, so nothing is learnt about it.
        db.session.rollback()
        services.refuse_link_use(link, f"asked for diary entry {entry_id} of another case")
        return _link_not_valid()
    services.note_link_view(link)
    return _correction_page(link.case, entry, EntrySource.LINK, LINK_LAYOUT,
                            url_for("diary.link_entry", token=token), link=link)


def _link_not_valid():
    return render_template("diary/link_not_valid.html", message=services.LINK_NOT_VALID), 404


# ------------------------------------------------------------------ staff

@bp.route("/cases/<int:case_id>/diary/phone", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def phone_entry(case_id):
    case = get_case(case_id)
    return _entry_page(case, EntrySource.STAFF_PHONE, STAFF_LAYOUT,
                       url_for("diary.phone_entry", case_id=case.id),
                       lambda entry: url_for("diary.staff_correct", case_id=case.id, entry_id=entry.id),
                       actor=current_user._get_current_object())


@bp.route("/cases/<int:case_id>/diary/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def staff_correct(case_id, entry_id):
    case = get_case(case_id)
    entry = _entry_of(case, entry_id) or abort(404)
    return _correction_page(case, entry, EntrySource.STAFF_PHONE, STAFF_LAYOUT,
                            url_for("cases.show", case_id=case.id, _anchor="diary"),
                            actor=current_user._get_current_object())


@bp.route("/cases/<int:case_id>/diary/link", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def send_link(case_id):
    case = get_case(case_id)
    if not _csrf_ok():
        abort(400)
    try:
        link = services.send_link(case, current_user._get_current_object())
    except LinkRefused as refused:
        flash(str(refused), "error")
    else:
        flash(f"Diary link sent to {link.sent_to}. Any earlier link for this case no longer works.", "success")
        if not current_app.config.get("MAIL_SERVER"):
            # Development or a clinic without mail: the email only reached the log, so show the
            # link to the staff member, who may read it to the patient (they can open it anyway).
            flash(f"No mail server is set up (MAIL_SERVER), so the email went to the app's log. "
                  f"The link: {services.link_url(link)}", "warning")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="diary"))


@bp.route("/cases/<int:case_id>/diary/links/<int:link_id>/revoke", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def revoke_link(case_id, link_id):
    case = get_case(case_id)
    if not _csrf_ok():
        abort(400)
    link = db.session.get(DiaryLink, link_id)
    if link is None or link.case_id != case.id:
        abort(404)
    services.revoke_link(link, current_user._get_current_object())
    flash("Diary link revoked: it no longer opens the diary.", "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="diary"))


def _csrf_ok():
    from flask_wtf import FlaskForm

    return FlaskForm().validate_on_submit()


# ------------------------------------------------------------------ shared pages

def _entry_of(case, entry_id):
    entry = db.session.get(DiaryEntry, entry_id)
    return entry if entry is not None and entry.case_id == case.id else None


def _entry_page(case, source, layout, action, correct_url, actor=None, link=None):
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
    return f"Thank you: your “{view.label}” score is saved." + (" It was late, and it still helps." if late else "")


def _correction_page(case, entry, source, layout, back, actor=None, link=None):
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
                flash("The score is corrected; the earlier value is kept in its history.", "success")
                return redirect(back)
        status = 422
    elif request.method == "POST":
        status = 409
    label = services.time_point(case, entry.point.point_code).label
    return render_template("diary/correct.html", layout=layout, case=case, entry=entry, form=form, label=label,
                           allowed=allowed, back=back, staff=staff, link=link), status
