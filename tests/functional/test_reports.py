"""The reports page and its CSV downloads, through the app: every report with chart, table and
definition; the period and filters, bad input, an empty period; CSVs that are spreadsheet-safe,
UTF-8 with a byte-order mark, the same rows as the page, and audited."""
import csv
import io
import re
from datetime import timedelta

import pytest

from tracker.diary.outcome import DIARY_CSV_HEADER

from tests.helpers import by_id, field_error, links, outer_html, selected, soup, submit, table_rows, words
from tests.report_data import Clinic
from tracker.roles import Role
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.reports import figures
from tracker.vocab import Indication

PERIOD = "start=2026-03-01&end=2026-05-31"
FORMULA = '=HYPERLINK("http://evil.example","Click")'


@pytest.fixture
def clinic(app_ctx):
    return Clinic()


def _csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _exports():
    return db.session.execute(db.select(AuditEvent).filter_by(action="export").order_by(AuditEvent.id)).scalars().all()


def test_every_report_shows_a_chart_and_a_table_with_a_definition(client, coordinator, clinic):
    response = client.get(f"/reports?{PERIOD}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for title in ("Flow", "Eligibility", "Scheduling", "Procedures", "Diary", "Outcomes", "Caps"):
        assert f">{title}</h2>" in html
    for key in figures.FIGURE_REPORT:
        assert f'id="figure-{key}"' in html
        assert f"table={key}" in html  # its CSV download
    assert html.count('class="definition"') == len(figures.FIGURE_REPORT)
    assert html.count('<svg') >= 15 and html.count('class="report-table"') == len(figures.FIGURE_REPORT)
    # Hand-worked figure: verdict to booking 90th percentile 17 days.
    lead = outer_html(html, "figure-lead_times")
    assert "<th scope=\"row\">First verdict to booking</th><td class=\"num\">3</td><td class=\"num\">5.0</td><td class=\"num\">17.0</td>" in lead


def test_the_therapeutic_relief_curve_counts_diagnostic_blocks_only_when_the_indication_filter_chooses_them(
        client, coordinator, clinic):
    """The period's one therapeutic injection (c3, relief ended on day 13) makes the curve; its two
    diagnostic blocks (c1 ended on day 6, c2 censored on day 13) are counted under their indication."""
    html = client.get(f"/reports?{PERIOD}").get_data(as_text=True)
    assert "Injected sides of therapeutic injections (unless the indication filter chooses diagnostic or " \
           "confirmatory blocks)" in words(by_id(html, "figure-relief_survival"))
    assert _csv(client.get(f"/reports/export?table=relief_survival&{PERIOD}"))[1:] == [["13", "1", "1", "0", "0.0"]]
    assert _csv(client.get(f"/reports/export?table=relief_survival&{PERIOD}&indication=diagnostic"))[1:] == [
        ["6", "2", "1", "0", "50.0"], ["13", "1", "0", "1", "50.0"]]


def test_download_links_carry_the_filters_but_not_a_stray_table_name(client, coordinator, clinic):
    html = client.get(f"/reports?{PERIOD}&side=left&table=nope&page=3").get_data(as_text=True)
    [link] = [href for href in links(html) if href.startswith("/reports/export?table=lead_times")]
    assert "side=left" in link and "start=2026-03-01" in link and "nope" not in link and "page" not in link


def test_physicians_read_reports_and_find_them_in_the_menu(client, gen, login_as, clinic):
    login_as(gen.user(Role.PHYSICIAN))
    html = client.get("/reports").get_data(as_text=True)
    assert 'href="/reports"' in html and "<h1>Reports</h1>" in html


def test_the_default_period_is_the_last_twelve_months(client, coordinator):
    from tracker.timeutil import clinic_today
    from tracker.reports.views import default_period

    start, end = default_period(clinic_today())
    assert (end - start).days in (364, 365) and end == clinic_today()
    html = client.get("/reports").get_data(as_text=True)
    assert f'value="{start.isoformat()}"' in html and f'value="{end.isoformat()}"' in html


def test_an_empty_period_says_so_for_every_figure(client, coordinator, clinic):
    html = client.get("/reports?start=2025-01-01&end=2025-01-31").get_data(as_text=True)
    # Every figure but the caps (counted as of today) is empty. Many figures count appointments,
    # procedures, scores or reminders, not cases: "no cases" under "Cancellations by reason" beside
    # a state table of cancelled cases read as a contradiction.
    assert html.count("Nothing to count in this period.") == len(figures.FIGURE_REPORT) - 1
    assert "No cases in this period" not in html


def test_filters_narrow_the_page(client, coordinator, clinic):
    html = client.get(f"/reports?{PERIOD}&physician={clinic.bo.id}").get_data(as_text=True)
    overrides = outer_html(html, "figure-overrides")
    assert "Dr Bo" in overrides
    months = outer_html(html, "figure-referrals_per_month")
    assert '<th class="nowrap" scope="row">2026-03</th><td class="num">1</td>' in months  # c2 only


def _physician_options(html):
    return [words(option) for option in soup(html).find("select", attrs={"name": "physician"}).find_all("option")]


def test_a_physician_who_has_left_is_offered_marked_inactive_and_reported_on(client, coordinator, gen, clinic):
    """The worklist's choices: every deactivated physician is offered, marked inactive, after the
    active ones (Dr Bo still owns open cases: c4, c10; Dr Long Gone none), and reported on."""
    clinic.bo.active = False
    gone = gen.user(Role.PHYSICIAN, name="Dr Long Gone", active=False)
    db.session.commit()

    assert _physician_options(client.get(f"/reports?{PERIOD}").get_data(as_text=True)) == [
        "Any physician", "Dr Ada", "Dr Bo (inactive)", "Dr Long Gone (inactive)"]
    response = client.get(f"/reports?{PERIOD}&physician={clinic.bo.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and selected(html, "physician") == str(clinic.bo.id)
    assert '<th class="nowrap" scope="row">2026-03</th><td class="num">1</td>' in outer_html(html, "figure-referrals_per_month")  # c2 only
    response = client.get(f"/reports?{PERIOD}&physician={gone.id}")
    assert response.status_code == 200
    assert selected(response.get_data(as_text=True), "physician") == str(gone.id)
    download = client.get(f"/reports/export?table=referrals_per_month&{PERIOD}&physician={clinic.bo.id}")
    assert download.status_code == 200 and "physician-dr-bo" in _file_name(download)


@pytest.mark.parametrize("query,field,message", [
    ("start=2026-05-01&end=2026-04-01", "end", "The period ends (2026-04-01) before it starts (2026-05-01)"),
    ("start=0001-01-01&end=2026-04-01", "start", "Enter a date between 1900 and 2100"),
    ("start=2026-01-01&end=9999-12-31", "end", "Enter a date between 1900 and 2100"),
    ("start=2026-13-01", "start", "2026-13-01 is not a date: there is no month 13; use YYYY-MM-DD."),
    ("physician=999999", "physician", "There is no physician “999999”"),
    ("profile=NOPE", "profile", "There is no payer profile “NOPE”"),
    ("side=upper", "side", "There is no side “upper”"),
    ("indication=surgery", "indication", "There is no indication “surgery”"),
])
def test_bad_filters_are_named_next_to_the_field_and_kept(client, coordinator, query, field, message):
    response = client.get(f"/reports?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = field_error(html, field)
    assert error and message in error
    assert 'id="report-flow"' not in html  # no figures from a period nobody asked for
    if field == "end" and "9999" in query:
        assert 'value="9999-12-31"' in html  # what was typed is kept
    if "2026-13-01" in query:
        # Kept as typed, in a text box: a date box would show a date that does not exist as empty.
        typed = soup(html).find("input", id="start")
        assert typed["value"] == "2026-13-01" and typed["type"] == "text"


def test_a_report_table_downloads_as_the_same_rows_and_is_audited(client, coordinator, clinic):
    rows = _csv(client.get(f"/reports/export?table=lead_times&{PERIOD}"))
    assert rows[0] == ["Interval", "Cases", "Median days", "90th percentile days"]
    assert rows[1:] == [["Referral to first verdict", "4", "6.0", "7.0"], ["First verdict to booking", "3", "5.0", "17.0"],
                        ["Booking to procedure", "3", "6.0", "12.4"], ["Referral to procedure", "3", "21.0", "23.4"],
                        ["Referral to booking", "3", "10.0", "23.6"]]
    event = _exports()[-1]
    assert event.user_id == coordinator.id
    assert "report table lead_times" in event.summary and "period 2026-03-01 to 2026-05-31" in event.summary


def test_the_positive_block_rate_per_physician_is_the_signing_physicians_on_the_page_and_in_the_csv(
        client, coordinator, clinic):
    """c7 was booked with Dr Ada; Dr Bo performed and signed its block (indeterminate)."""
    from tests.report_data import at

    record = clinic._procedure(clinic.c7, None, at(5, 1), 20)
    record.started_by_id = record.signed_by_id = clinic.bo.id
    db.session.commit()

    figure = outer_html(client.get(f"/reports?{PERIOD}").get_data(as_text=True), "figure-block_rate_physician")
    assert "the physician who signed the block's procedure record" in words(figure)
    assert "not the physician the case was booked with" in words(figure)
    assert "<th scope=\"row\">Dr Bo</th><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td>" in figure
    rows = _csv(client.get(f"/reports/export?table=block_rate_physician&{PERIOD}"))
    assert rows == [["Physician who signed the procedure", "Positive", "Negative", "Indeterminate", "Positive rate %"],
                    ["Dr Ada", "1", "0", "0", "100.0"], ["Dr Bo", "0", "1", "1", "0.0"]]


def _file_name(response):
    assert response.status_code == 200, response.status_code
    return re.fullmatch(r'attachment; filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)


def test_a_filtered_report_table_says_its_filters_in_its_file_name(client, coordinator, clinic):
    """A per-physician extract cannot be taken for the clinic's figures: its file name differs
    from the unfiltered download's, and the CSV itself is unchanged (scripts read it)."""
    whole = client.get(f"/reports/export?table=referrals_per_month&{PERIOD}")
    assert _file_name(whole) == "referrals_per_month_2026-03-01_2026-05-31.csv"
    one = client.get(f"/reports/export?table=referrals_per_month&{PERIOD}&physician={clinic.ada.id}"
                     "&side=left&indication=diagnostic&profile=MEDICARE_LCD_2023")
    assert _file_name(one) == ("referrals_per_month_2026-03-01_2026-05-31_physician-dr-ada_profile-medicare_lcd_2023"
                               "_side-left_indication-diagnostic.csv")
    assert _csv(one)[0] == _csv(whole)[0] == ["Month", "Referrals"]


def test_a_patient_named_like_a_formula_is_exported_as_text(client, coordinator, clinic):
    patient = db.session.get(type(clinic.c8.patient), clinic.c8.patient_id)
    patient.family_name = FORMULA
    db.session.commit()
    rows = _csv(client.get("/reports/export?table=caps"))
    names = [row[0] for row in rows[1:]]
    assert f"'{FORMULA}, Carla" in names
    assert not any(name.startswith("=") for name in names)


def test_the_caps_download_holds_every_patient_the_page_lists_only_the_first_of(client, coordinator, clinic,
                                                                                 monkeypatch):
    """The page lists the first CAPS_SHOWN rows and says so under the table, those at their cap
    before those one session short; the CSV, which says nothing but its rows, is the whole list a
    clinic plans from: a patient left out of it would be booked past their cap."""
    every = _csv(client.get("/reports/export?table=caps"))[1:]
    assert len(every) == 3  # Capped, Carla at her cap; c1's and c2's patients one block short
    monkeypatch.setattr(figures, "CAPS_SHOWN", 2)
    page = client.get("/reports").get_data(as_text=True)
    shown = table_rows(outer_html(page, "figure-caps"))
    assert len(shown) == 2 and "The first 2 found" in page
    assert "Capped, Carla" in [row[0] for row in shown]
    assert sorted(_csv(client.get("/reports/export?table=caps"))[1:]) == sorted(every)


def test_an_empty_report_table_downloads_as_its_header_only(client, coordinator):
    rows = _csv(client.get("/reports/export?table=room_use&start=2025-01-01&end=2025-01-31"))
    assert rows == [["Room", "Week of", "Booked minutes", "Working minutes", "Use %"]]


def test_a_download_of_an_unknown_table_or_a_bad_period_is_refused(client, coordinator):
    assert client.get("/reports/export?table=nope").status_code == 404
    response = client.get("/reports/export?table=lead_times&start=2026-05-01&end=2026-04-01")
    assert response.status_code == 422 and "before it starts" in response.get_data(as_text=True)
    assert _exports() == []


# ------------------------------------------------------------------ lists: one query, two renderings

def test_the_worklist_downloads_every_page_with_its_filters(client, coordinator, gen, app):
    from tracker.workflow import State

    formula = gen.patient(family_name=FORMULA, given_name="Zoë")
    gen.case(patient=formula, state=State.UNDER_REVIEW)
    for _ in range(app.config["PER_PAGE"] + 2):
        gen.case(state=State.UNDER_REVIEW)
    gen.case(state=State.REFERRED)  # filtered out
    rows = _csv(client.get("/cases/worklist.csv?state=under_review"))
    assert rows[0][:3] == ["Case", "MRN", "Patient"]
    assert len(rows) - 1 == app.config["PER_PAGE"] + 3  # every page, one line per case
    assert {row[5] for row in rows[1:]} == {"Under review"}
    assert f"'{FORMULA}, Zoë" in [row[2] for row in rows[1:]]
    assert "state=under_review" in _exports()[-1].summary
    assert _file_name(client.get("/cases/worklist.csv?state=under_review")) == "worklist_state-under_review.csv"
    assert _file_name(client.get("/cases/worklist.csv?sort=name")) == "worklist.csv"  # an order is no filter
    physician = gen.user(Role.PHYSICIAN, name="Dr Tomás Ortega")
    assert _file_name(client.get(f"/cases/worklist.csv?physician={physician.id}&side=right&q=Nak")) == \
        "worklist_physician-dr-tomas-ortega_side-right_search-nak.csv"
    page = client.get("/cases/?state=under_review").get_data(as_text=True)
    assert "/cases/worklist.csv?state=under_review" in page


def test_the_overdue_list_downloads_as_the_page_shows_it(client, coordinator, gen):
    from tests.builders import diary_case

    assert _csv(client.get("/diaries/overdue.csv")) == [
        ["Case", "MRN", "Patient", "Phone", "Side", "Overdue scores", "Oldest window closed", "Days overdue",
         "Last reminder", "Last reminder status", "A reminder can reach the patient"]]
    case = diary_case(gen, patient=gen.patient(family_name=FORMULA), injected_ago=timedelta(days=22))
    rows = _csv(client.get("/diaries/overdue.csv"))
    assert len(rows) == 2 and rows[1][0] == str(case.id) and rows[1][2].startswith("'=HYPERLINK")
    # 22 days on, 2 weeks (closed on day 20) is overdue; Day 7 is missed, not chased (2 weeks
    # opened after it).
    assert rows[1][5] == "2 weeks" and rows[1][6].startswith("20")  # an ISO date
    assert [e.summary for e in _exports()] == ["exported overdue diaries as CSV"] * 2


def test_the_overdue_csv_gives_phone_numbers_as_the_page_does_not_as_formulas_to_escape(client, coordinator, gen):
    """Stored as E.164 ("+12015550123"), a number began with "+", so the CSV escaped it as a formula
    and a spreadsheet showed "'+12015550123"; it is written as the page shows it, the clinic's own
    numbers in national style, and only a number abroad keeps its "+" (escaped)."""
    from tests.builders import diary_case

    home = diary_case(gen, patient=gen.patient(phone="+12015550123"), injected_ago=timedelta(days=22))
    abroad = diary_case(gen, patient=gen.patient(phone="+442079460958"), injected_ago=timedelta(days=22))
    phones = {row[0]: row[3] for row in _csv(client.get("/diaries/overdue.csv"))[1:]}
    assert phones[str(home.id)] == "(201) 555-0123"
    assert phones[str(abroad.id)] == "'+44 20 7946 0958"


def test_a_case_diary_downloads_one_line_per_point_and_side(client, coordinator, gen):
    from tracker.timeutil import utcnow
    from tracker.workflow import State

    from tracker.vocab import Side

    case = gen.case(state=State.FOLLOW_UP, side=Side.BILATERAL)
    gen.diary(case, injected_at=utcnow() - timedelta(days=3), entries={"t0": 8, "d1": {"left": 2, "right": 4}})
    rows = _csv(client.get(f"/cases/{case.id}/diary.csv"))
    assert rows[0][:8] == ["Case", "MRN", "Time point", "Side", "Status", "Entered at", "Score", "Relief %"]
    day1 = {row[3]: row for row in rows[1:] if row[2] == "Day 1"}
    assert (day1["Left"][6], day1["Left"][7], day1["Right"][6], day1["Right"][7]) == ("2", "75.0", "4", "50.0")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$", day1["Left"][5])
    event = _exports()[-1]
    assert (event.object_type, event.object_id) == ("case", str(case.id))


def test_a_case_diary_download_says_when_a_phone_score_was_felt_and_who_typed_it(client, coordinator, gen):
    from tracker.timeutil import to_clinic, utcnow
    from tracker.workflow import State

    # As the pages say it ("recalled for … 20:26, late, by phone", "by phone (Casey Coordinator)"): a
    # baseline the patient gave before the injection, typed by staff after it.
    case = gen.case(state=State.FOLLOW_UP)
    gen.diary(case, injected_at=utcnow() - timedelta(hours=2), entries={})
    felt = to_clinic(utcnow() - timedelta(hours=3))
    submit(client, f"/cases/{case.id}/diary/phone",
           {"score": "8", "felt_on": felt.date().isoformat(), "felt_time": felt.strftime("%H:%M")})
    assert f"recalled for {felt.strftime('%Y-%m-%d %H:%M')}, late, by phone" in words(client.get(f"/cases/{case.id}/diary"))
    assert "by phone (Casey Coordinator)" in words(client.get(f"/cases/{case.id}"))

    rows = _csv(client.get(f"/cases/{case.id}/diary.csv"))

    # The columns scripts read stay where they were; the new ones come last.
    assert rows[0] == ["Case", "MRN", "Time point", "Side", "Status", "Entered at", "Score", "Relief %", "Late",
                       "Entered by", "Corrected", "Analgesic", "Opioid", "Physical therapy", "Felt at", "Typed by",
                       "Corrected at", "Relief as the page says it", "Baseline used"]
    baseline = next(row for row in rows[1:] if row[2] == "Before the injection")
    assert baseline[9] == "Staff, by phone" and baseline[8] == "yes"
    assert baseline[14] == felt.replace(second=0, microsecond=0).isoformat(timespec="seconds")
    assert baseline[5] > baseline[14]  # typed after it was felt
    assert baseline[15] == "Casey Coordinator"
    waiting = next(row for row in rows[1:] if row[2] == "Day 7")
    assert waiting[14:18] == ["", "", "", ""]


def test_a_case_diary_download_says_a_rise_in_pain_as_the_page_does(client, coordinator, gen):
    from tracker.timeutil import utcnow
    from tracker.workflow import State

    case = gen.case(state=State.FOLLOW_UP)
    gen.diary(case, injected_at=utcnow() - timedelta(days=3), entries={"t0": 3, "h2": 9, "d1": 1})
    page = words(client.get(f"/cases/{case.id}/diary"))
    rows = {row[2]: row for row in _csv(client.get(f"/cases/{case.id}/diary.csv"))[1:]}

    # The number stays for the spreadsheet's sums; beside it, the words the diary page shows.
    assert rows["2 hours after"][7] == "-200.0"
    said = DIARY_CSV_HEADER.index("Relief as the page says it")
    assert rows["2 hours after"][said] == "pain worse than before (+6)" and "pain worse than before (+6)" in page
    assert rows["Day 1"][7] == "66.7" and rows["Day 1"][said] == "66.7 %"
    assert rows["Before the injection"][said] == "" and rows["Day 7"][said] == ""
    # Every row names the baseline its relief is measured from (a waiting row too).
    assert {row[-1] for row in rows.values()} == {"3 (before the injection)"}


def test_a_closed_cases_diary_downloads_with_the_pages_status_words(client, coordinator, gen):
    from tracker.timeutil import utcnow
    from tracker.workflow import State

    case = gen.case(state=State.FOLLOW_UP)
    gen.diary(case, injected_at=utcnow() - timedelta(days=3), entries={"t0": 8, "d1": 2})
    case.state = State.CLOSED
    db.session.commit()

    page = client.get(f"/cases/{case.id}/diary").get_data(as_text=True)
    status = {row[2]: row[4] for row in _csv(client.get(f"/cases/{case.id}/diary.csv"))[1:]}

    assert status["Day 1"] == "Entered"
    assert status["2 weeks"] == "Not asked: the diary has ended"
    assert "not open yet" not in " ".join(status.values()).lower()
    row = soup(page).find(id="point-w2")
    assert "not asked: the diary has ended" in row.get_text()


def test_the_audit_trail_downloads_a_date_range_for_admins(client, gen, login_as):
    from tracker.timeutil import clinic_today

    admin = gen.user(Role.ADMIN)
    login_as(admin)
    today = clinic_today().isoformat()
    rows = _csv(client.get(f"/admin/audit.csv?date_from={today}&date_to={today}&action=sign_in"))
    assert rows[0] == ["When", "Who", "Role", "Action", "Object type", "Object id", "IP", "Summary", "Changes"]
    assert [row[1] for row in rows[1:]] == [admin.email] and rows[1][3] == "Sign-in"
    assert _csv(client.get("/admin/audit.csv?date_from=2001-01-01&date_to=2001-01-02"))[1:] == []
    summaries = [e.summary for e in _exports()]
    assert summaries[0].startswith("exported audit trail as CSV (") and "date_from=" in summaries[0]


def _survival(client):
    return _csv(client.get("/reports/export?table=relief_survival"))[1:]


def test_the_relief_curve_follows_a_score_recorded_and_corrected_through_the_diary(client, coordinator, gen):
    # A left side injected three days ago (signed through the service; the set-up moves the
    # injection and its diary three days back), baseline 8.
    from tests.helpers import submit
    from tracker.models import DiaryEntry, DiaryPoint
    from tracker.timeutil import to_clinic

    def felt(moment):  # the phone form's day and time of the pain (clinic time)
        local = to_clinic(moment)
        return {"felt_on": local.date().isoformat(), "felt_time": local.strftime("%H:%M")}

    record = gen.procedure(steps="all", sign=True, indication=Indication.THERAPEUTIC)
    case = record.case
    assert _survival(client) == []  # signed, no follow-up score yet: nothing to follow
    back = timedelta(days=3)
    record.started_at, record.signed_at, record.ended_at = (record.started_at - back, record.signed_at - back,
                                                            record.ended_at - back)
    for point in db.session.execute(db.select(DiaryPoint).filter_by(case_id=case.id)).scalars():
        point.opens_at = point.opens_at - back
        point.due_at, point.closes_at = (None if point.due_at is None else point.due_at - back,
                                         None if point.closes_at is None else point.closes_at - back)
    db.session.commit()
    gen.diary(case, entries={"t0": 8})

    # The day-1 pain, recalled by phone for 26 hours after the start (inside Day 1's window, read at
    # that moment: day 1): 3 of 8 is still 50 % or more; the diary stops there.
    submit(client, f"/cases/{case.id}/diary/phone",
           {"score": "3", **felt(record.started_at + timedelta(days=1, hours=2))})
    assert _survival(client) == [["1", "1", "0", "1", "100.0"]]

    # Corrected to 6 (25 %): no follow-up score at 50 % or more, which the diary reads "0 days: no
    # relief of 50 % or more so far": the side leaves the curve on day 0 with no relief (an event),
    # never counted as still in relief to day 1 where its diary stops.
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id, side="left")
                               .order_by(DiaryEntry.id.desc())).scalars().first()
    submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
           {"score": "6", "reason": "Patient called: meant 6", "version_id": str(entry.version_id)})
    assert _survival(client) == [["0", "1", "1", "0", "0.0"]]


def test_each_joint_of_a_bilateral_block_counts_as_a_block_with_its_own_result(client, coordinator, clinic):
    """c1 (Dr Ada, positive) made a bilateral block whose left joint read negative, right positive:
    one positive and one negative, as a block of each joint; an older bilateral outcome with one
    result for the case counts it for each joint."""
    from tracker.models import Case
    from tracker.vocab import Side

    db.session.get(Case, clinic.c1.id).side = Side.BILATERAL
    outcome = clinic.c1.outcome
    outcome.diagnostic_result, outcome.side_results = None, {"left": "negative", "right": "positive"}
    db.session.commit()

    figure = outer_html(client.get(f"/reports?{PERIOD}").get_data(as_text=True), "figure-block_rate_physician")
    assert "Each joint of a bilateral block counts as a block with its own result" in words(figure)
    rows = _csv(client.get(f"/reports/export?table=block_rate_physician&{PERIOD}"))
    assert ["Dr Ada", "1", "1", "0", "50.0"] in rows

    outcome.diagnostic_result, outcome.side_results = "positive", None  # recorded before results per joint
    db.session.commit()
    rows = _csv(client.get(f"/reports/export?table=block_rate_physician&{PERIOD}"))
    assert ["Dr Ada", "2", "0", "0", "100.0"] in rows


def test_a_bilateral_case_is_a_case_of_each_side_in_every_report_and_its_csv(client, coordinator, clinic):
    """c4 (bilateral, referred 04-15, its 05-20 appointment cancelled "Patient unwell") is a case of the
    left and of the right joint, as in the Caps: the side filter "left" keeps it with c3 (left, cancelled
    "patient unwell "), "right" keeps it alone, "bilateral" keeps it alone; each table's CSV is the page's."""
    for side, months, unwell in (("left", ("1", "1", "1"), "2"), ("right", ("1", "1", "1"), "1"),
                                 ("bilateral", ("0", "1", "0"), "1")):
        query = f"{PERIOD}&side={side}"
        html = client.get(f"/reports?{query}").get_data(as_text=True)
        shown = {key: table_rows(by_id(html, f"figure-{key}")) for key in ("referrals_per_month", "cancellations")}
        assert shown["referrals_per_month"] == [[month, count] for month, count
                                                in zip(("2026-03", "2026-04", "2026-05"), months)], side
        assert shown["cancellations"] == [["Patient unwell", unwell]], side
        for key, rows in shown.items():
            assert _csv(client.get(f"/reports/export?table={key}&{query}"))[1:] == rows, (side, key)


def test_an_override_that_stands_through_a_re_evaluation_is_one_override_in_the_report(client, coordinator, gen):
    from tests.functional.test_eligibility import days_ago, documented_case
    from tracker.eligibility import services as eligibility
    from tracker.workflow import State

    physician = gen.user(Role.PHYSICIAN, name="Dr Amara Osei")
    case = documented_case(gen, positive={"left": 2, "right": 0})
    eligibility.evaluate_case(case, coordinator)
    eligibility.override(case, physician, "Outside examination: 3 positive tests")
    case.symptom_onset = days_ago(157)  # a fact no failed criterion reads: the override stands
    db.session.commit()
    eligibility.evaluate_case(case, coordinator)
    db.session.expire_all()
    assert case.state == State.ELIGIBLE and len(case.verdicts) == 2

    assert figures.figure(figures.Filters(start=days_ago(30), end=days_ago(0), default_profile="MEDICARE_LCD_2023"),
                          "overrides").rows == [("Dr Amara Osei", 1)]


def test_the_caps_download_is_named_for_the_day_it_counts_not_the_period_it_ignores(client, coordinator, clinic):
    """The caps are as of today, whatever the period: a file named for March to May would be read
    as the caps as they stood then."""
    from tracker.timeutil import clinic_today

    today = clinic_today().isoformat()
    assert _file_name(client.get(f"/reports/export?table=caps&{PERIOD}")) == f"caps_as-of-{today}.csv"
    assert _file_name(client.get(f"/reports/export?table=caps&{PERIOD}&physician={clinic.ada.id}&side=left")) == \
        f"caps_as-of-{today}_physician-dr-ada_side-left.csv"
    assert _file_name(client.get(f"/reports/export?table=no_shows&{PERIOD}")) == "no_shows_2026-03-01_2026-05-31.csv"
