"""Logging a new referral for a patient already on file (New referral › find the patient) marks a
patient recorded as no longer reachable beside their name, as the staff lists do ("Died
2026-12-01", "Left care (recorded 2026-12-07)"). A patient who died gets no referral ("No referral
is logged: the patient's record says Died on …", as booking says "Nothing is booked: …"); for one
who left, the form warns first. Before, the search listed them like anyone else and the referral
opened a case for a patient who had died."""
from tracker.extensions import db
from tracker.models import Case
from tracker.timeutil import clinic_today

from tests.builders import REFERRAL
from tests.functional.test_no_longer_reachable_on_lists import died_on, mark_them, people  # noqa: F401 (a fixture)
from tests.helpers import by_id, csrf_from, loaded, soup, submit, words


def cases_of(patient):
    db.session.expire_all()
    return db.session.execute(db.select(Case).filter_by(patient_id=patient.id)).scalars().all()


def test_the_referrals_search_marks_a_patient_who_died_or_left(client, coordinator, people):
    mark_them(client, people)

    page = loaded(client.get("/referrals/find?q=Pat"))

    rows = {words(row.find("td")).split(",")[0]: row for row in soup(page).select("tbody tr")}
    marks = {name: words(row.find(class_="contact-ended")) if row.find(class_="contact-ended") else None
             for name, row in rows.items()}
    assert marks == {"Marsh": f"Died {died_on().isoformat()}",
                     "Ohio": f"Left care (recorded {clinic_today().isoformat()})", "Well": None}
    # No "New referral" for the patient who died: the search says why instead.
    assert rows["Marsh"].find("a", href=f"/referrals/patients/{people['Marsh'].id}/new") is None
    assert "No referral: the patient died" in words(rows["Marsh"])
    assert rows["Ohio"].find("a", href=f"/referrals/patients/{people['Ohio'].id}/new") is not None


def test_the_did_you_mean_list_marks_them_too(client, coordinator, people):
    mark_them(client, people)

    page = loaded(client.get("/referrals/find?q=Marhs"))

    offered = by_id(page, "did-you-mean")
    assert f"Died {died_on().isoformat()}" in words(offered)
    assert offered.find("a", href=f"/referrals/patients/{people['Marsh'].id}/new") is None


def test_no_referral_is_logged_for_a_patient_who_died(client, coordinator, people):
    marsh = people["Marsh"]
    address = f"/referrals/patients/{marsh.id}/new"
    opened_before = client.get(address)  # a form opened before the death was recorded
    mark_them(client, people)
    refusal = (f"No referral is logged: the patient's record says Died on {died_on().isoformat()}: "
               f"Told by her daughter")

    page = loaded(client.get(address))
    assert refusal in words(by_id(page, "no-referral"))
    assert soup(page).find("input", attrs={"name": "referring_clinician"}) is None  # no form to fill in

    response = client.post(address, data={**REFERRAL, "csrf_token": csrf_from(opened_before.get_data(as_text=True))})
    assert response.status_code == 409
    assert refusal in words(response)
    assert cases_of(marsh) == []


def test_a_referral_for_a_patient_who_left_warns_and_is_logged(client, coordinator, people):
    mark_them(client, people)
    ohio = people["Ohio"]
    address = f"/referrals/patients/{ohio.id}/new"

    warning = words(by_id(loaded(client.get(address)), "referral-left-care"))
    assert ("The patient's record says they can no longer be reached: Moved away or left the clinic's care: "
            "Moved to Ohio, says her husband") in warning

    response = submit(client, address, REFERRAL)
    assert response.status_code == 302
    assert len(cases_of(ohio)) == 1
