"""Create forms sent twice: a double click on a slow link, or a browser's retry, posts the same form
(the same page, the same CSRF token, the same values) a second time. The referral form already
opens one case for it (test_referral_concurrency.py); the other forms that add a row must not add
the same row twice either, and must say so instead of adding a duplicate."""
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import Closure, ConservativeCare, OutsideInjection, ProcedureAddendum
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.helpers import csrf_from


def days_ago(n):
    return clinic_today() - timedelta(days=n)


def sent_twice(client, url, data, form_page=None):
    """The form opened once and its submit sent twice, as a double click sends it."""
    page = client.get(form_page or url)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=payload), client.post(url, data=payload)


def count(model, **where):
    db.session.expire_all()
    return len(db.session.execute(db.select(model).filter_by(**where)).scalars().all())


def test_the_same_therapy_sent_twice_is_listed_once(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW)
    url = f"/cases/{case.id}/conservative-care"
    first, second = sent_twice(client, url, {
        "kind": "physical_therapy", "start_date": days_ago(40).isoformat(), "end_date": days_ago(20).isoformat(),
        "response": "none", "details": "6 sessions"})
    assert first.status_code == 302
    assert second.status_code in (302, 409)
    assert count(ConservativeCare, case_id=case.id) == 1, "a double click added the same therapy twice"


def test_the_same_injection_given_elsewhere_sent_twice_is_recorded_once(client, coordinator, gen):
    patient = gen.case(state=State.UNDER_REVIEW).patient
    url = f"/patients/{patient.id}/outside-injections"
    first, second = sent_twice(client, url, {
        "performed_on": days_ago(100).isoformat(), "side": "left", "indication": "therapeutic",
        "place": "Riverside Pain Clinic", "relief_percent": "", "relief_days": "", "source": "patient report"})
    assert first.status_code == 302
    assert second.status_code in (302, 409)
    assert count(OutsideInjection, patient_id=patient.id) == 1, "a double click recorded the same injection twice"


def test_the_same_addendum_sent_twice_is_added_to_the_signed_record_once(gen, doctor, physician):
    # An addendum can never be removed from a signed record: a duplicate would stay there for good.
    record = gen.procedure(physician=physician, steps="all", sign=True)
    first, second = sent_twice(doctor, f"/cases/{record.case_id}/procedure/addenda",
                               {"reason": "Lot number corrected", "text": "Lot TA-2232, not TA-2231."},
                               form_page=f"/cases/{record.case_id}/procedure/note")
    assert first.status_code == 302
    assert second.status_code in (302, 409)
    assert count(ProcedureAddendum, record_id=record.id) == 1, "a double click added the same addendum twice"


def test_the_same_closure_sent_twice_is_added_once(admin_client):
    day = clinic_today() + timedelta(days=30)
    first, second = sent_twice(admin_client, "/admin/closures", {
        "first_day": day.isoformat(), "last_day": day.isoformat(), "reason": "Staff training", "physician_id": ""})
    assert first.status_code == 302
    assert second.status_code in (302, 409)
    assert count(Closure, first_day=day) == 1, "a double click added the same closure twice"


def test_removing_a_closure_already_removed_in_another_tab_says_so(admin_client, gen):
    day = clinic_today() + timedelta(days=30)
    first, second = sent_twice(admin_client, "/admin/closures", {
        "first_day": day.isoformat(), "last_day": day.isoformat(), "reason": "Staff training", "physician_id": ""})
    closure_id = db.session.execute(db.select(Closure.id)).scalars().first()
    removed = sent_twice(admin_client, f"/admin/closures/{closure_id}/remove", {}, form_page="/admin/closures")
    assert removed[0].status_code == 302
    assert removed[1].status_code in (302, 409), "the second tab's remove answers 404 Not Found"
