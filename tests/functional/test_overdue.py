"""The coordinators' overdue diaries: cases in follow-up with a closed window and no entry (until
a later point opens: then it is missed, not chased), the overdue scores with days overdue and the last reminder, most overdue first, paged, in a fixed
number of queries."""
import re
from datetime import timedelta

import pytest

from tracker.diary import reminders
from tracker.extensions import db
from tracker.models import DiaryPoint
from tracker.roles import Role
from tracker.vocab import ContactChannel, Side
from tracker.workflow import State

from tests.builders import diary_case, enter, now
from tests.helpers import soup, words

URL = "/diaries/overdue"


def page(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows_of(html):
    """The patients listed, in order."""
    return [a.get_text() for a in soup(html).find_all("a", href=re.compile(r"^/cases/\d+$"))]


def row_of(html, family_name):
    """The list's row for the patient named `family_name`."""
    [row] = [tr for tr in soup(html).find_all("tr") if family_name in words(tr)]
    return row


def entered_up_to_now(case):
    for point in db.session.execute(db.select(DiaryPoint).filter(
            DiaryPoint.case_id == case.id, DiaryPoint.point_code != "t0",
            DiaryPoint.closes_at < now())).scalars():
        enter(case, point.point_code)


def named(gen, family_name, **fields):
    return diary_case(gen, patient=gen.patient(family_name=family_name, email="p@home.example"), **fields)


def test_overdue_diaries_most_overdue_first_with_the_missing_scores(client, coordinator, gen):
    named(gen, "Recent", injected_ago=timedelta(days=3))
    named(gen, "Longago", injected_ago=timedelta(days=30))
    named(gen, "Moved-on", injected_ago=timedelta(days=45))  # 2 weeks missed, 6 weeks open: not chased
    up_to_date = named(gen, "Diligent", injected_ago=timedelta(days=45))
    entered_up_to_now(up_to_date)
    named(gen, "Fresh", injected_ago=timedelta(minutes=5))  # nothing has closed yet
    # 2 weeks missed and 6 weeks not open yet, but the case has left follow-up: nobody chases it.
    closed = named(gen, "Closedcase", injected_ago=timedelta(days=20))
    closed.state = State.CLOSED
    db.session.commit()

    html = page(client)
    assert [name.split(",")[0] for name in rows_of(html)] == ["Longago", "Recent"]
    longago = row_of(html, "Longago")
    # Everything from the injection to 2 weeks is missing and 6 weeks has not opened: only the
    # 2-week score is chased. The earlier ones are missed: a later point opened after each.
    assert "2 weeks" in words(longago)
    for label in ("15 minutes after", "6 hours after", "Day 1", "Day 7", "6 weeks"):
        assert label not in words(longago)
    # the 2-week window closed 20 days after the injection, 30 days ago
    assert "10" in [words(td) for td in longago.find_all("td")]
    assert "none sent" in words(longago)
    recent = words(row_of(html, "Recent"))
    assert "Day 2" in recent and "Day 1" not in recent


def test_the_page_says_which_missed_scores_it_does_not_chase(client, coordinator, gen):
    """A coordinator who sees scores missed on a case page looks for the case here: the page's
    own words say that a score whose next time point has opened, or one of the first six hours,
    is missed, not chased (it said "a diary score whose window has closed without an entry")."""
    named(gen, "Moved-on", injected_ago=timedelta(days=45))  # 2 weeks missed, 6 weeks open
    html = page(client)
    assert rows_of(html) == []
    intro = words(soup(html).find("hgroup"))
    assert "and no later time point open yet" in intro
    assert "missed, not chased" in intro and "first six hours" in intro


def test_a_bilateral_diary_with_one_side_rated_is_still_overdue(client, coordinator, gen):
    case = named(gen, "Twosides", side=Side.BILATERAL, injected_ago=timedelta(days=3))
    for point in db.session.execute(db.select(DiaryPoint).filter(
            DiaryPoint.case_id == case.id, DiaryPoint.point_code != "t0")).scalars():
        enter(case, point.point_code, side=Side.LEFT)
    html = page(client)
    assert "Twosides" in html and "Day 2" in html


def test_the_last_reminder_is_shown_with_its_time_and_status(client, coordinator, gen, inbox):
    named(gen, "Reminded", injected_ago=timedelta(days=3))
    assert reminders.send_due().sent
    last_reminder = row_of(page(client), "Reminded").find_all("td")[-1]
    # The time it went, then (on its own line, small) how it went.
    assert last_reminder.find("br") and last_reminder.small.get_text() == "sent"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", last_reminder.contents[0].strip())


def test_the_list_is_paged(client, coordinator, gen, app):
    for i in range(app.config["PER_PAGE"] + 2):
        named(gen, f"Paged{i:02d}", injected_ago=timedelta(days=3, minutes=i))
    first, second = page(client), page(client, "?page=2")
    assert len(rows_of(first)) == app.config["PER_PAGE"] and len(rows_of(second)) == 2
    # Most overdue first: the one injected longest ago leads.
    assert rows_of(first)[0].startswith(f"Paged{app.config['PER_PAGE'] + 1:02d}")
    # Previous and Next, without counting every overdue case.
    assert 'rel="next"' in first and "Page 2</li>" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_query_count_is_the_same_for_3_and_30_cases(client, coordinator, gen, count_queries, inbox):
    def queries():
        with count_queries() as counter:
            assert client.get(URL).status_code == 200
        return counter.n

    for i in range(3):
        named(gen, f"Few{i}", injected_ago=timedelta(days=3))
    reminders.send_due()
    few = queries()
    for i in range(27):
        named(gen, f"Many{i}", injected_ago=timedelta(days=3))
    reminders.send_due()
    many = queries()
    assert few == many
    assert many == 4, many  # the signed-in user, the page's rows, their reminders, the view's audit row


def test_coordinators_find_it_from_the_worklist_and_the_menu(client, coordinator):
    html = client.get("/cases/").get_data(as_text=True)
    assert html.count(f'href="{URL}"') == 2


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.ADMIN, Role.PATIENT])
def test_only_coordinators_open_it(client, gen, login_as, role):
    login_as(gen.user(role))
    assert client.get(URL).status_code == 403


def test_a_patient_nobody_can_remind_is_flagged_with_what_to_do(client, coordinator, gen):
    named(gen, "Reachable", injected_ago=timedelta(days=10))
    named(gen, "Unreachable", injected_ago=timedelta(days=10), link=False)
    html = page(client)
    reachable, unreachable = row_of(html, "Reachable"), row_of(html, "Unreachable")
    assert "none sent" in words(reachable) and "none can be sent" not in words(reachable)
    assert unreachable.find("strong", string="none can be sent") and "send a diary link" in words(unreachable)


def test_a_patient_who_prefers_phone_calls_is_listed_for_staff_to_call(client, coordinator, gen, inbox):
    """No reminder goes to them on its own (README, Reaching patients): the list says so, with the
    number to call, and its download says no reminder can reach them."""
    diary_case(gen, injected_ago=timedelta(days=10), patient=gen.patient(
        family_name="Caller", email="caller@home.example", phone="+12015550177",
        preferred_contact=ContactChannel.PHONE))
    reminders.send_due()
    assert inbox.messages == []
    row = row_of(page(client), "Caller")
    assert "(201) 555-0177" in words(row) and "Day 7" in words(row)
    assert row.find("strong", string="none: prefers phone calls") and "call the patient" in words(row)
    download = client.get("/diaries/overdue.csv").get_data(as_text=True)
    [line] = [line for line in download.splitlines() if "Caller" in line]
    assert line.endswith(",none: prefers phone calls,no")


def test_a_patient_who_chose_phone_calls_after_a_reminder_is_still_listed_for_staff_to_call(
        client, coordinator, gen, inbox):
    """A reminder went by email; the patient then asked to be called instead. The row keeps the
    reminder sent and says no more will go: staff must not wait for reminders that never come."""
    case = diary_case(gen, injected_ago=timedelta(days=10), patient=gen.patient(
        family_name="Switcher", email="switcher@home.example", phone="+12015550178"))
    reminders.send_due()
    assert len(inbox.messages) == 1
    case.patient.preferred_contact = ContactChannel.PHONE
    db.session.commit()
    row = row_of(page(client), "Switcher")
    assert "sent" in words(row.find_all("td")[-1].small)
    assert row.find("strong", string="none: prefers phone calls") and "call the patient" in words(row)
    download = client.get("/diaries/overdue.csv").get_data(as_text=True)
    [line] = [line for line in download.splitlines() if "Switcher" in line]
    assert "; none: prefers phone calls," in line and line.endswith(",no")


def test_a_reminder_written_to_the_log_reads_not_delivered_not_sent(client, coordinator, gen, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    named(gen, "Logged", injected_ago=timedelta(days=3))
    assert reminders.send_due().sent
    last_reminder = row_of(page(client), "Logged").find_all("td")[-1]
    assert last_reminder.small.get_text().startswith("not delivered: no mail server is set up")
    download = client.get("/diaries/overdue.csv").get_data(as_text=True)
    assert "not delivered: no mail server is set up" in download and ",sent" not in download
