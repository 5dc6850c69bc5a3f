"""The pain diary's pages for the patient's account (/my/cases/<id>/diary) and for staff, who type
a score the patient gives on the phone and send, re-send and revoke the personal link from the
case page's Diary panel. The personal link's own pages (/d/<token>) are the untrusted surface in
`tracker.patient_link`; all three doors share the entry and correction pages of
`tracker.diary.pages`.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _

from tracker import audit
from tracker.access import allow, deny
from tracker.diary import services
from tracker.diary.pages import PATIENT_LAYOUT, STAFF_LAYOUT, correction_page, entry_of, entry_page
from tracker.errors import back_to, on_refusal
from tracker.extensions import db
from tracker.loaders import get_case, own_case
from tracker.models import DiaryLink
from tracker.roles import Role
from tracker.vocab import ContactChannel, EntrySource

bp = Blueprint("diary", __name__)
bp.add_app_template_global(services.from_when, "diary_from")
bp.add_app_template_global(services.closes_words, "diary_closes")
bp.add_app_template_global(services.missed_words, "diary_missed")
bp.add_app_template_global(services.opens_words, "diary_opens")
bp.add_app_template_global(services.point_status)
bp.add_app_template_global(services.first_entry, "diary_first_entry")
bp.add_app_template_global(services.corrected_at, "diary_corrected_at")
bp.add_app_template_global(services.diary_about)
bp.add_app_template_global(services.baseline_missing, "diary_baseline_missing")
bp.add_app_template_global(services.sent_to_shown, "diary_sent_to")


# ------------------------------------------------------------------ for other pages' templates

@bp.app_template_global()
def diary_panel(case):
    """What the case page's Diary panel shows (coordinators and physicians only)."""
    links = db.session.execute(db.select(DiaryLink).filter_by(case_id=case.id).order_by(DiaryLink.id.desc())
                               .options(db.joinedload(DiaryLink.created_by))).scalars().all()
    link = services.live_link_among(links)
    return {"diary": services.read_diary(case, for_patient=False), "link": link,
            "link_ends_at": services.link_ends_at(link) if link else None, "links": links,
            "send_to": services.link_destination(case.patient),
            "texts_preferred": case.patient.preferred_contact == ContactChannel.SMS}


@bp.app_template_global()
def diary_note(case):
    """What the patient's home card and case page say of the diary, from one reading of it
    (tracker.diary.services.patient_note)."""
    return services.patient_note(case)


# ------------------------------------------------------------------ the patient's account

@bp.route("/my/cases/<int:case_id>/diary", methods=["GET", "POST"])
@allow(Role.PATIENT)
def patient_entry(case_id):
    case = own_case(case_id)
    return entry_page(case, EntrySource.PATIENT_ACCOUNT, PATIENT_LAYOUT,
                       url_for("diary.patient_entry", case_id=case.id),
                       lambda entry: url_for("diary.patient_correct", case_id=case.id, entry_id=entry.id),
                       actor=current_user._get_current_object())


@bp.route("/my/cases/<int:case_id>/diary/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@allow(Role.PATIENT)
def patient_correct(case_id, entry_id):
    case = own_case(case_id)
    entry = entry_of(case, entry_id) or deny("patient asked for a diary entry that is not theirs",
                                              "diary_entry", entry_id, status=404)
    return correction_page(case, entry, EntrySource.PATIENT_ACCOUNT, PATIENT_LAYOUT,
                            url_for("diary.patient_entry", case_id=case.id),
                            actor=current_user._get_current_object())


# ------------------------------------------------------------------ staff

@bp.route("/cases/<int:case_id>/diary/phone", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def phone_entry(case_id):
    case = get_case(case_id)
    if request.method == "GET":
        audit.viewed("case", case.id, summary="viewed phone entry form")
    return entry_page(case, EntrySource.STAFF_PHONE, STAFF_LAYOUT,
                       url_for("diary.phone_entry", case_id=case.id),
                       lambda entry: url_for("diary.staff_correct", case_id=case.id, entry_id=entry.id),
                       actor=current_user._get_current_object())


@bp.route("/cases/<int:case_id>/diary/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def staff_correct(case_id, entry_id):
    case = get_case(case_id)
    entry = entry_of(case, entry_id) or abort(404)
    if request.method == "GET":
        audit.viewed("case", case.id, summary=f"viewed diary entry {entry.id} correction form")
    return correction_page(case, entry, EntrySource.STAFF_PHONE, STAFF_LAYOUT,
                            url_for("cases.show", case_id=case.id, _anchor="diary"),
                            actor=current_user._get_current_object())


@bp.route("/cases/<int:case_id>/diary/link", methods=["POST"])
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def send_link(case_id):
    case = get_case(case_id)
    if not _csrf_ok():
        abort(400)
    on_refusal(back_to(url_for("cases.show", case_id=case.id, _anchor="diary")))
    done = services.send_link(case, current_user._get_current_object())
    if done.sent:
        link = done.link
        flash((_("Diary link sent by text message to %(sent_to)s.", sent_to=services.sent_to_shown(link))
               if done.by_text else _("Diary link sent to %(sent_to)s.", sent_to=services.sent_to_shown(link)))
              + " " + _("Any earlier link for this case no longer works."), "success")
        return redirect(url_for("cases.show", case_id=case.id, _anchor="diary"))
    # Nothing went out: one message, which says so ("sent" followed by "not sent" left staff unsure
    # which to believe). The text only reached the log (its link redacted); an email also a file in
    # development (MAIL_FILE_DIR). The link itself is shown by the page redirected to, read from the
    # database: a flash message travels in the session cookie, signed but readable by anyone.
    if done.by_text:
        not_sent = _("No SMS provider is set up (TWILIO_ACCOUNT_SID), so the text was not sent.")
    else:
        folder = current_app.config.get("MAIL_FILE_DIR")
        not_sent = _("No mail server is set up (MAIL_SERVER), so the email was not sent%(file)s.",
                     file=_(" (a copy is kept in the folder %(folder)s)", folder=folder) if folder and done.replaced
                     else "")
    if not done.replaced:
        not_sent += " " + _("The patient's link still works: nothing was sent, so it was not replaced.")
    flash(not_sent, "warning")
    return redirect(url_for("diary.link_to_give", case_id=case.id))


@bp.route("/cases/<int:case_id>/diary/link-to-give")
@allow(Role.COORDINATOR, Role.PHYSICIAN)
def link_to_give(case_id):
    """The patient's working link, to read to them or give them to copy, while nothing can send it
    (`services.link_to_give`); a reload shows the same link and makes none."""
    case = get_case(case_id)
    link = services.link_to_give(case)
    if link is None:
        flash(_("There is no diary link to show: a link is shown here only while it works and nothing can "
                "send it (no SMS provider or mail server)."), "info")
        return redirect(url_for("cases.show", case_id=case.id, _anchor="diary"))
    audit.viewed("diary_link", link.id, summary=f"case {case.id}: diary link shown to read to the patient "
                                                f"(nothing can send it: no SMS provider or mail server)")
    return render_template("diary/link_to_give.html", case=case, link=link, url=services.link_url(link),
                           ends_at=services.link_ends_at(link))


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
    flash(_("Diary link revoked: it no longer opens the diary."), "success")
    return redirect(url_for("cases.show", case_id=case.id, _anchor="diary"))


def _csrf_ok():
    from tracker.formfields import TrackerForm

    return TrackerForm().validate_on_submit()
