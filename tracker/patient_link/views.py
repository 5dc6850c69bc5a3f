"""The personal diary link: the untrusted surface, where nobody is signed in.

The token in the address opens this one case's diary and nothing else; it travels in every form's
address. This module imports no staff code (no staff views, no case loaders, no role checks
beyond `@public`): `tests/unit/test_dependencies.py` holds it to that.
"""
from flask import Blueprint, redirect, render_template, url_for

from tracker import i18n
from tracker.access import public
from tracker.diary import services
from tracker.diary.pages import LINK_LAYOUT, correction_page, entry_of, entry_page
from tracker.extensions import csrf
from tracker.vocab import EntrySource

bp = Blueprint("patient_link", __name__)


# The link's forms are checked by their own form (validate_on_submit: the same token, refused the
# same way) rather than before the view: a phone that lost its cookie while the page was open (the
# browser closed in the background, the tab restored) gets her diary page back with her scores
# still chosen, never the staff's error page. Nothing is saved on such a post. (What a token guards
# against is a post made with someone's cookies; here the address is the credential.)
@csrf.exempt
@bp.route("/d/<token>", methods=["GET", "POST"])
@public
def entry(token):
    link = services.open_link(token)
    if link is None:
        return _link_not_valid()
    services.note_link_view(link)
    i18n.use_patient_language(link.case.patient)
    if link.case.state in services.CLOSED_STATES:
        # The diary is over: the patient may look back at their own scores, and see nothing else
        # but when to call the clinic, for a while after the injection.
        diary = services.read_diary(link.case, for_patient=True)
        return render_template("diary/link_closed.html", diary=diary,
                               when_to_call=services.says_when_to_call(link.case, diary))
    return entry_page(link.case, EntrySource.LINK, LINK_LAYOUT, url_for("patient_link.entry", token=token),
                       lambda shown: url_for("patient_link.correct", token=token, entry_id=shown.id), link=link)


@csrf.exempt
@bp.route("/d/<token>/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@public
def correct(token, entry_id):
    link = services.open_link(token)
    if link is None:
        return _link_not_valid()
    diary_entry = entry_of(link.case, entry_id)
    if diary_entry is None:
        # Another case's entry: the same page as a bad link, so nothing is learnt about it.
        services.refuse_link_use(link, f"asked for diary entry {entry_id} of another case")
        return _link_not_valid()
    if link.case.state in services.CLOSED_STATES:
        # The diary is over: its link shows the patient's own scores, never a correction's history
        # (who corrected a score, and why).
        return redirect(url_for("patient_link.entry", token=token))
    services.note_link_view(link)
    i18n.use_patient_language(link.case.patient)
    return correction_page(link.case, diary_entry, EntrySource.LINK, LINK_LAYOUT,
                            url_for("patient_link.entry", token=token), link=link)


def _link_not_valid():
    return render_template("diary/link_not_valid.html", message=services.LINK_NOT_VALID), 404
