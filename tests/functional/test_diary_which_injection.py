"""A patient with two open cases (both joints, or two injections) reads on each home card and on
each diary page which injection it is about: the side and the injection's day, or "before your
injection on …" while the baseline is asked, in English and in Spanish. Times are built from
clinic days (noon), so the tests read the same at any hour."""
from datetime import timedelta

import pytest
from babel.dates import format_date

from tracker.diary import services as diary_services
from tracker.extensions import db
from tracker.models import DiaryEntry
from tracker.roles import Role
from tracker.timeutil import to_clinic
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import clinic_at, make_diary_link
from tests.helpers import soup, submit, text, words

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


def day(moment, locale="en_US"):
    return format_date(to_clinic(moment).date(), "full", locale=locale)


def injected(gen, patient, side, days_ago):
    """A case in follow-up whose injection was at noon, `days_ago` clinic days ago, baseline given."""
    case = gen.case(patient=patient.patient, state=State.FOLLOW_UP, side=side)
    gen.diary(case, injected_at=clinic_at(-days_ago, 12), entries={"t0": 7})
    return case


def booked(gen, patient, side, days_ahead):
    """A scheduled case whose appointment is at 10:00, `days_ahead` clinic days ahead; its baseline is open."""
    case = gen.case(patient=patient.patient, state=State.SCHEDULED, side=side)
    appointment = gen.appointment(case, starts_at=clinic_at(days_ahead, 10))
    diary_services.ensure_baseline(case, clinic_at(-1, 12))
    db.session.commit()
    return case, appointment


def cards(page):
    """Each home card's diary line (what it is about), keyed by where its entry button goes."""
    found = {}
    for card in soup(page).find_all("article"):
        button = next((a for a in card.find_all("a") if "/diary" in a["href"]), None)
        if button is not None:
            about = card.find("p", class_="diary-about")
            assert button.get("aria-describedby") == about["id"]
            found[button["href"]] = words(about)
    return found


def about(page):
    return words(soup(page).find("p", class_="diary-about"))


@pytest.fixture
def patient(gen):
    return gen.user(Role.PATIENT, name="Pat Twice")


def test_each_card_and_diary_page_names_its_side_and_the_injections_day(client, gen, login_as, patient):
    left = injected(gen, patient, Side.LEFT, 15)          # its 2-week score is due
    right, appointment = booked(gen, patient, Side.RIGHT, 3)  # its baseline is due
    login_as(patient)

    home = text(client.get("/my/"))

    assert cards(home) == {
        f"/my/cases/{left.id}/diary": f"Your left side, after your injection on {day(clinic_at(-15, 12))}",
        f"/my/cases/{right.id}/diary": f"Your right side, before your injection on {day(appointment.starts_at)}",
    }
    left_page = text(client.get(f"/my/cases/{left.id}/diary"))
    assert about(left_page) == f"Your left side, after your injection on {day(clinic_at(-15, 12))}"
    assert "2 weeks" in words(soup(left_page).find("h2", class_="due-title"))
    right_page = text(client.get(f"/my/cases/{right.id}/diary"))
    assert about(right_page) == f"Your right side, before your injection on {day(appointment.starts_at)}"
    # The case page's invitation says it too.
    assert about(text(client.get(f"/my/cases/{right.id}"))) == about(right_page)

    # The baseline given on the right case's page is the right case's, and its page still says which.
    saved = submit(client, f"/my/cases/{right.id}/diary", {"point": "t0", "score": "6"},
                   form_page=f"/my/cases/{right.id}/diary", follow_redirects=True)
    assert about(text(saved)) == about(right_page)
    assert [(e.case_id, e.score) for e in db.session.execute(
        db.select(DiaryEntry).filter_by(score=6)).scalars()] == [(right.id, 6)]


def test_two_injections_of_one_side_are_told_apart_by_their_day(client, gen, login_as, patient):
    earlier = injected(gen, patient, Side.LEFT, 45)   # its 6-week score is due
    later = injected(gen, patient, Side.LEFT, 15)     # its 2-week score is due
    login_as(patient)

    assert cards(text(client.get("/my/"))) == {
        f"/my/cases/{earlier.id}/diary": f"Your left side, after your injection on {day(clinic_at(-45, 12))}",
        f"/my/cases/{later.id}/diary": f"Your left side, after your injection on {day(clinic_at(-15, 12))}",
    }


def test_a_bilateral_diary_names_both_sides_on_the_link_and_its_correction_page(client, gen):
    patient = gen.user(Role.PATIENT, name="Pat Both")
    case = injected(gen, patient, Side.BILATERAL, 15)
    _link, token = make_diary_link(case)
    expected = f"Both sides, after your injection on {day(clinic_at(-15, 12))}"

    assert about(text(client.get(f"/d/{token}"))) == expected
    entry = db.session.execute(db.select(DiaryEntry).filter_by(case_id=case.id)).scalars().first()
    assert about(text(client.get(f"/d/{token}/entries/{entry.id}/correct"))) == expected


def test_the_patient_reads_which_injection_in_spanish(client, gen, login_as):
    patient = gen.user(Role.PATIENT, name="Lucía Ramos", patient=gen.patient(language="Spanish"))
    left = injected(gen, patient, Side.LEFT, 15)
    right, appointment = booked(gen, patient, Side.RIGHT, 3)
    both = gen.case(patient=patient.patient, state=State.SCHEDULED, side=Side.BILATERAL)
    diary_services.ensure_baseline(both, clinic_at(-1, 12))  # booked, then the appointment cancelled
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH["Accept-Language"]
    login_as(patient)

    assert cards(text(client.get("/my/"))) == {
        f"/my/cases/{left.id}/diary": f"Su lado izquierdo, después de su inyección del {day(clinic_at(-15, 12), 'es')}",
        f"/my/cases/{right.id}/diary": f"Su lado derecho, antes de su inyección del {day(appointment.starts_at, 'es')}",
        f"/my/cases/{both.id}/diary": "Ambos lados, antes de su inyección",
    }
    assert about(text(client.get(f"/my/cases/{right.id}/diary"))) == (
        f"Su lado derecho, antes de su inyección del {day(appointment.starts_at, 'es')}")


def test_the_home_page_reads_each_diary_once(client, gen, login_as, patient, count_queries):
    left = injected(gen, patient, Side.LEFT, 15)          # its 2-week score is due
    right, _ = booked(gen, patient, Side.RIGHT, 3)        # its baseline is due
    login_as(patient)
    client.get("/my/")  # the session and the catalog warmed up

    with count_queries() as counter:
        home = text(client.get("/my/"))

    assert set(cards(home)) == {f"/my/cases/{left.id}/diary", f"/my/cases/{right.id}/diary"}
    diary_reads = [s for s in counter.statements if "FROM diary_points" in s]
    assert len(diary_reads) == 2, "one reading of each due diary, for its notice and for what it is about"


def test_the_home_page_reads_no_diary_of_a_case_closed_longer_ago_than_the_warning_signs_are_shown(
        client, gen, login_as, patient, count_queries):
    """Years of closed cases cost the home page nothing: the warning signs are shown for 14 days after
    an injection, and a case closed longer ago than that was injected before it closed."""
    from datetime import timedelta
    from tracker.timeutil import utcnow
    injected(gen, patient, Side.LEFT, 15)
    for _ in range(3):
        gen.case(patient=patient.patient, state=State.CLOSED, state_changed_at=utcnow() - timedelta(days=60))
    login_as(patient)
    client.get("/my/")

    with count_queries() as counter:
        client.get("/my/")

    diary_reads = [s for s in counter.statements if "FROM diary_points" in s]
    assert len(diary_reads) == 1, "the open case's diary alone"


def test_between_two_scores_the_card_and_the_case_page_name_the_injection_and_the_next_score(
        client, gen, login_as, patient):
    """Walkthrough: after the injection, with nothing due, the card said only the status and the case
    page "After your injection, the clinic will ask you…", in the future tense."""
    case = injected(gen, patient, Side.LEFT, 3)
    upcoming = diary_services.read_diary(case).upcoming
    assert upcoming is not None and diary_services.read_diary(case).current is None
    login_as(patient)
    expected_about = f"Your left side, after your injection on {day(clinic_at(-3, 12))}"
    next_words = " ".join(f"Nothing to enter right now. Next: {upcoming.label}, "
                          f"{diary_services.opens_words(upcoming)}.".split())

    home = soup(text(client.get("/my/")))
    [card] = home.find_all("article")
    assert words(card.find("p", class_="diary-about")) == expected_about
    assert next_words in words(card)

    page = text(client.get(f"/my/cases/{case.id}"))
    assert about(page) == expected_about
    assert next_words in words(page)
    assert "Your injection has been given. Please record your pain at set times after it" in words(page)
    assert "the clinic will ask you" not in words(page)
