"""A time point is complete once every side its case rates has a score, whichever way the score
came in (personal link, patient account, staff by phone): from then on it is off the overdue list
and gets no reminder. A correction does not move the moment it was completed."""
from datetime import timedelta

from tracker.diary import reminders
from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.timeutil import to_clinic
from tracker.vocab import Side

from tests.builders import diary_case, now, point
from tests.helpers import submit

# 62 hours after the injection: the day-1 (18-30 h) and day-2 (40-60 h) windows have closed.
AFTER_DAY_TWO = timedelta(hours=62)


def overdue_row(app, login_as, coordinator_account, case):
    """The case's row of the overdue list, as a coordinator_account sees it ('' when not listed)."""
    staff = login_as(coordinator_account, on=app.test_client())
    html = staff.get("/diaries/overdue").get_data(as_text=True)
    start = html.find(f'href="/cases/{case.id}"')
    return "" if start < 0 else html[start:html.find("</tr>", start)]


def due_point_ids():
    return {due.point_id for due in reminders.due_reminders()}


def felt(moment):
    local = to_clinic(moment)
    return {"felt_on": local.date().isoformat(), "felt_time": local.strftime("%H:%M")}


def test_a_recalled_score_by_phone_takes_the_point_off_the_overdue_list_and_the_reminders(
        app, client, gen, login_as, coordinator_account):
    case = diary_case(gen, injected_ago=AFTER_DAY_TWO)
    day_two = point(case, "d2")
    assert day_two.completed_at is None and day_two.id in due_point_ids()
    row = overdue_row(app, login_as, coordinator_account, case)
    # Day 1 is missed but not chased: Day 2 opened after it.
    assert "Day 2" in row and "Day 1" not in row
    assert point(case, "d1").id not in due_point_ids()

    login_as(coordinator_account)
    before = now()
    response = submit(client, f"/cases/{case.id}/diary/phone", {"score": "4", **felt(day_two.due_at)})
    assert response.status_code == 302

    db.session.expire_all()
    day_two = point(case, "d2")
    assert day_two.completed_at >= before
    assert day_two.id not in due_point_ids()
    assert overdue_row(app, login_as, coordinator_account, case) == ""


def test_a_bilateral_point_is_complete_with_both_sides_and_a_correction_keeps_its_time(
        app, client, gen, login_as, coordinator_account):
    case = diary_case(gen, side=Side.BILATERAL, injected_ago=AFTER_DAY_TWO)
    login_as(coordinator_account)
    submit(client, f"/cases/{case.id}/diary/phone",
           {"score_left": "4", "score_right": "6", **felt(point(case, "d2").due_at)})
    db.session.expire_all()
    completed_at = point(case, "d2").completed_at
    assert completed_at is not None and point(case, "d2").id not in due_point_ids()

    left = db.session.execute(db.select(DiaryEntry).filter_by(point_id=point(case, "d2").id, side=Side.LEFT)
                              ).scalar_one()
    response = submit(client, f"/cases/{case.id}/diary/entries/{left.id}/correct",
                      {"score": "3", "reason": "Patient called: meant 3", "version_id": str(left.version_id)})
    assert response.status_code == 302

    db.session.expire_all()
    left = db.session.get(DiaryEntry, left.id)
    assert left.score == 3 and left.entered_at > completed_at
    assert point(case, "d2").completed_at == completed_at
