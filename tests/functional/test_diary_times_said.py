"""The times the diary says: when the next score opens (the first whole minute it is open, never a
minute at which nothing is open yet), what a baseline recalled by phone after the injection is,
and when a corrected score was first entered. On a clock set to a clinic day's afternoon
(America/New_York), so the tests read the same at any hour."""
from datetime import timedelta

from babel.dates import format_time

from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.timeutil import format_clinic, format_clinic_short, to_clinic
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import clinic_at
from tests.helpers import soup, submit, text, words

from tests.functional.test_diary_entry import diary_url, felt, patient  # noqa: F401
from tests.functional.test_diary_timed_from_injection import clock  # noqa: F401

# The injection at 14:27:45: the "15 minutes after" window opens at 14:37:45 (10 to 22 minutes).
INJECTED = (14, 27, 45)


def injected_at():
    hh, mm, ss = INJECTED
    return clinic_at(0, hh, mm) + timedelta(seconds=ss)


def case_after_injection(gen, patient, entries=None):  # noqa: F811 (the fixture's value)
    case = gen.case(patient=patient.patient, state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(case, injected_at=injected_at(), entries={"t0": 7} if entries is None else entries)
    return case


def entry_of(case, code):
    db.session.expire_all()
    return next(e for e in db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars()
                if e.point.point_code == code)


def time_words(moment, locale="en"):
    """The time as a reader sees it on the page (`words`: a narrow space as a space)."""
    return " ".join(format_time(to_clinic(moment), "short", locale=locale).split())


# ------------------------------------------------------------------ when the next score opens

def test_the_next_score_opens_from_the_first_whole_minute_it_is_open_on_every_patient_page(
        client, gen, login_as, patient, clock):  # noqa: F811
    """Walkthrough: from 14:37:10 to 14:37:42 the pages said "Next: 15 minutes after, from 14:37",
    and offered nothing to enter: the window opened at 14:37:45."""
    case = case_after_injection(gen, patient)
    opens = injected_at() + timedelta(minutes=10)
    clock.set(opens - timedelta(seconds=35))  # 14:37:10
    login_as(patient)
    said = (f"Nothing to enter right now. Next: 15 minutes after, from {time_words(opens + timedelta(seconds=15))} "
            "(New York time).")

    for url in ("/my/", f"/my/cases/{case.id}", diary_url(case)):
        page = words(text(client.get(url)))
        assert said in page, url
        assert f"from {time_words(opens)}" not in page, url
    assert soup(text(client.get(diary_url(case)))).find("input", attrs={"name": "point"}) is None

    client.set_cookie("lang", "es")
    assert (f"Próxima: 15 minutos después, a partir de las {time_words(opens + timedelta(seconds=15), 'es')}"
            in words(text(client.get(f"/my/cases/{case.id}"))))

    clock.set(opens + timedelta(seconds=15))  # 14:38: the time said, and the score is asked
    client.set_cookie("lang", "en")
    form = soup(text(client.get(diary_url(case)))).find("input", attrs={"name": "point"})
    assert form is not None and form["value"] == "m15"


def test_a_point_not_open_yet_names_the_minute_it_opens(client, gen, login_as, patient, clock):  # noqa: F811
    case = case_after_injection(gen, patient)
    opens = injected_at() + timedelta(minutes=10)
    clock.set(opens - timedelta(seconds=35))
    login_as(patient)

    response = submit(client, diary_url(case), {"point": "m15", "score": "4"})

    assert response.status_code == 422
    assert (f"The “15 minutes after” score can be entered from {time_words(opens + timedelta(seconds=15))} "
            "(New York time). Please come back then.") in words(text(response))


def test_the_staff_panel_and_the_patients_pages_show_a_window_at_the_same_minutes(
        client, make_client, gen, login_as, patient, coordinator_account, clock):  # noqa: F811
    """Walkthrough: a window opening at 14:37:45 read "14:37 – …" on the case page's Pain diary
    panel while the patient was told "from 14:38". Both now show the first whole minute it is open
    (14:38), and the last whole minute before it closes at 14:49:45 (14:49)."""
    case = case_after_injection(gen, patient)
    opens, closes = injected_at() + timedelta(minutes=10), injected_at() + timedelta(minutes=22)
    assert (to_clinic(opens).second, to_clinic(closes).second) == (45, 45)
    opens_shown, closes_shown = clinic_at(0, 14, 38), clinic_at(0, 14, 49)
    staff = login_as(coordinator_account, on=make_client())
    login_as(patient)

    clock.set(opens - timedelta(seconds=35))  # 14:37:10
    panel = soup(text(staff.get(f"/cases/{case.id}"))).find("section", id="diary")
    row = next(tr for tr in panel.tbody.find_all("tr") if words(tr.th) == "15 minutes after")
    assert words(row.td) == f"{format_clinic_short(opens_shown)} – {format_clinic_short(closes_shown)}"
    assert (f"Next: 15 minutes after, from {time_words(opens_shown)} (New York time)."
            in words(text(client.get(f"/my/cases/{case.id}"))))

    clock.set(opens + timedelta(minutes=2))  # 14:39:45, inside the window
    assert f"Please give it by {time_words(closes_shown)} (New York time)." in words(text(client.get(diary_url(case))))


# ------------------------------------------------------------------ a baseline recalled after the injection

def diary_page(client, case):
    return soup(text(client.get(f"/cases/{case.id}/diary")))


def baseline_used(page):
    dt = next(dt for dt in page.find_all("dt") if words(dt) == "Baseline used")
    return words(dt.find_next_sibling("dd"))


def test_a_baseline_recalled_by_phone_after_the_injection_is_named_as_such(
        client, gen, login_as, patient, coordinator_account, clock):  # noqa: F811
    case = case_after_injection(gen, patient, entries={})
    clock.set(injected_at() + timedelta(hours=2))
    login_as(coordinator_account)
    submit(client, f"/cases/{case.id}/diary/phone", {"score": "3", **felt(injected_at() - timedelta(minutes=20))})
    entry = entry_of(case, "t0")
    assert entry.late

    assert baseline_used(diary_page(client, case)) == (
        "3/10 (the patient's score for before the injection, recalled by phone after it, entered "
        f"{format_clinic(entry.entered_at)} by Casey Coordinator)")


def test_a_baseline_given_before_the_injection_is_not_corrected_after_it_and_stays_the_patients_entry(
        client, gen, login_as, patient, coordinator_account, clock):  # noqa: F811
    case = case_after_injection(gen, patient, entries={"t0": 7})
    entry = entry_of(case, "t0")
    clock.set(injected_at() + timedelta(hours=2))
    login_as(coordinator_account)
    assert baseline_used(diary_page(client, case)) == "7/10 (the patient's entry before the injection)"

    refused = submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
                     {"score": "6", "reason": "Patient called: meant 6", "version_id": str(entry.version_id)})

    # After the injection the baseline is fixed (relief is measured from it): test_block_scores_fixed.py.
    assert refused.status_code == 422
    assert entry_of(case, "t0").score == 7
    assert baseline_used(diary_page(client, case)) == "7/10 (the patient's entry before the injection)"


# ------------------------------------------------------------------ a score corrected: when it was first entered

def given_then_corrected(client, gen, login_as, patient, clock):
    """The patient gives her 15-minute score (6) at 14:38, in its window, and corrects it to 4 at
    14:47, before the window closes (14:49: after it, a block score is fixed). Returns the case, the
    moment it was given and the moment of the correction."""
    case = case_after_injection(gen, patient)
    given, corrected = clinic_at(0, 14, 38), clinic_at(0, 14, 47)
    clock.set(given)
    login_as(patient)
    submit(client, diary_url(case), {"point": "m15", "score": "6"})
    entry = entry_of(case, "m15")
    clock.set(corrected)
    response = submit(client, f"{diary_url(case)}/entries/{entry.id}/correct",
                      {"score": "4", "reason": "I tapped the wrong number", "version_id": str(entry.version_id)})
    assert response.status_code == 302, text(response)
    return case, given, corrected


def test_a_patients_correction_keeps_the_time_the_score_was_first_entered_on_the_staff_pages(
        client, make_client, gen, login_as, patient, coordinator_account, clock):  # noqa: F811
    """Walkthrough: a 15-minute score given at 14:38 and corrected at 14:54 read "06 Dec 14:54 · by the
    patient (account) · pain felt 06 Dec 14:38" on the case page, and "Entered 14:54" on the diary
    page, outside its window (14:37-14:49) though not late. (Corrected at 14:47 here: after the window
    closes a block score is fixed, test_block_scores_fixed.py.) Both pages give when it was first
    entered, with the correction beside it."""
    case, given, corrected = given_then_corrected(client, gen, login_as, patient, clock)
    assert entry_of(case, "m15").entered_at == corrected

    staff = login_as(coordinator_account, on=make_client())
    panel = soup(text(staff.get(f"/cases/{case.id}"))).find("section", id="diary")
    row = next(tr for tr in panel.tbody.find_all("tr") if words(tr.th) == "15 minutes after")
    status, _score, entered = (words(td) for td in row.find_all("td")[1:4])
    assert status == "Entered"
    assert entered.startswith(f"{format_clinic_short(given)} · by the patient (account) · corrected "
                              f"{format_clinic_short(corrected)} by the patient (account) earlier values (1)")
    assert "pain felt" not in entered

    table = diary_page(staff, case).find("tr", id="point-m15")
    cells = [words(td) for td in table.find_all("td")]
    assert cells[0] == format_clinic(given)
    assert f"corrected {format_clinic(corrected)}" in cells[-2]


# ------------------------------------------------------------------ in which time zone

def test_the_diarys_times_name_the_clinics_time_zone_as_the_appointment_does(client, gen, login_as, patient,
                                                                             clock):  # noqa: F811
    """Walkthrough: the appointment said "at 8:00 AM (New York time)", the diary's deadlines and
    openings no zone at all: a patient in another zone would read a window closing at another hour."""
    case = case_after_injection(gen, patient)
    opens = injected_at() + timedelta(minutes=10)
    opens_shown, closes_shown = clinic_at(0, 14, 38), clinic_at(0, 14, 49)
    clock.set(opens - timedelta(seconds=35))
    login_as(patient)

    for url in ("/my/", f"/my/cases/{case.id}", diary_url(case)):
        assert (f"Next: 15 minutes after, from {time_words(opens_shown)} (New York time)."
                in words(text(client.get(url)))), url
    refused = submit(client, diary_url(case), {"point": "m15", "score": "4"})
    assert (f"The “15 minutes after” score can be entered from {time_words(opens_shown)} (New York time). "
            "Please come back then.") in words(text(refused))

    clock.set(opens + timedelta(minutes=2))
    page = words(text(client.get(diary_url(case))))
    assert f"Please give it by {time_words(closes_shown)} (New York time)." in page
    assert "After this: 30 minutes after, from " in page
    assert page.split("After this: 30 minutes after, from ", 1)[1].split(".")[0].endswith("(New York time)")

    client.set_cookie("lang", "es")
    assert (f"Anótela a más tardar: {time_words(closes_shown, 'es')} (hora de Nueva York)."
            in words(text(client.get(diary_url(case)))))


def test_the_patients_list_of_entries_says_its_times_are_the_clinics(client, gen, login_as, patient,
                                                                     clock):  # noqa: F811
    """Walkthrough: "Your entries" listed "Baseline (before): 7 / Dec 7, 2:20 PM" with no zone, under
    deadlines that name New York time: a patient elsewhere read the hour as theirs."""
    case = case_after_injection(gen, patient)
    clock.set(injected_at() + timedelta(minutes=12))
    login_as(patient)

    section = soup(client.get(diary_url(case))).find("section", attrs={"aria-labelledby": "entries-h"})
    assert "Times are New York time." in words(section)

    client.set_cookie("lang", "es")
    section = soup(client.get(diary_url(case))).find("section", attrs={"aria-labelledby": "entries-h"})
    assert "Horas de Nueva York." in words(section)
