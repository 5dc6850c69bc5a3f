"""Links drawn as buttons stay links: they navigate, so a screen reader announces a link and Enter
follows it. With role="button" they were announced as buttons, yet Space (a button's key) did
nothing. The button look comes from the class `button` alone."""
from datetime import timedelta

from tracker.roles import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.builders import clinic_at, now
from tests.helpers import soup, text


def button_links(response):
    """The page's links drawn as buttons, by their words; failing on any link that claims to be a button."""
    page = soup(text(response))
    assert not page.select("a[role]"), [str(a) for a in page.select("a[role]")]
    return {" ".join(a.get_text().split()): a["href"] for a in page.select("a.button")}


def test_the_patients_pages_draw_links_as_buttons_without_calling_them_buttons(client, gen, login_as):
    user = gen.user(Role.PATIENT, patient=gen.patient())
    follow_up = gen.case(patient=user.patient, state=State.FOLLOW_UP, side=Side.LEFT)
    gen.diary(follow_up, injected_at=now() - timedelta(hours=2), entries={"t0": 7})
    booked = gen.case(patient=user.patient, state=State.SCHEDULED, side=Side.RIGHT)
    appointment = gen.appointment(booked, starts_at=clinic_at(2, 10))
    login_as(user)

    home = button_links(client.get("/my/"))
    assert home["Enter today's pain score"] == f"/my/cases/{follow_up.id}/diary"
    assert home["See your case"] == f"/my/cases/{follow_up.id}"
    assert button_links(client.get(f"/my/cases/{booked.id}"))["Add to my calendar"] == \
        f"/my/appointments/{appointment.id}.ics"
    button_links(client.get(f"/my/cases/{follow_up.id}/diary"))
    for refused in ("/search?q=garcia", "/my/cases/999999"):
        assert button_links(client.get(refused))["Go back to my page"] == "/my/"


def test_the_staff_worklist_and_patient_pages_draw_links_as_buttons_without_calling_them_buttons(
        client, gen, login_as):
    login_as(gen.user(Role.COORDINATOR))
    patient = gen.patient()
    gen.case(patient=patient, state=State.ELIGIBLE)

    assert "Log a new referral" in button_links(client.get("/cases/"))
    assert "New referral" in button_links(client.get(f"/patients/{patient.id}"))
