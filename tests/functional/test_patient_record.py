"""The patient page: details, every case newest first, the injections counting towards the caps,
diary links and the account; correcting details; merging duplicates."""
from tracker.roles import Role
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.timeutil import format_clinic
from tracker.vocab import Indication, Side
from tracker.workflow import State

from tests.functional.test_eligibility import OVERRIDE_REASON, documented_case, evaluate, override
from tests.helpers import soup, words


def _verdicts(client, patient_id):
    """{case id: the Verdict column's words} of the patient page's cases table."""
    table = soup(client.get(f"/patients/{patient_id}")).find("table")
    column = [words(th) for th in table.find("thead").find_all("th")].index("Verdict")
    return {int(words(row.find("a")).split()[1]): words(row.find_all("td")[column])
            for row in table.find("tbody").find_all("tr")}


def test_the_patient_page_shows_every_case_newest_first_and_the_caps_used(client, gen, coordinator):
    patient = gen.patient(family_name="García", given_name="Lucía", phone="+1 555 0177", email="lg@example.org")
    gen.procedure(patient=patient, side=Side.LEFT)  # an injection today, diagnostic
    older = gen.case(patient=patient, state=State.CANCELLED)
    newer = gen.case(patient=patient, state=State.REFERRED, side=Side.RIGHT, indication=Indication.THERAPEUTIC)
    account = gen.user(Role.PATIENT, patient=patient, email="lucia@example.org")

    response = client.get(f"/patients/{patient.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "García, Lucía" in page and "+1 555 0177" in page and "lg@example.org" in page
    assert page.index(f"Case {newer.id}") < page.index(f"Case {older.id}")
    assert "<strong>1 of 2</strong> diagnostic sessions (per patient)" in page
    assert "<strong>0 of 4</strong> therapeutic sessions" in page
    assert account.email in page
    assert db.session.execute(db.select(AuditEvent).filter_by(object_type="patient", summary="viewed patient record")).scalar_one()


def test_the_patient_page_says_which_days_the_caps_count(client, gen, coordinator):
    """"last 12 months" left open whether an injection on this day a year ago still counts (it does
    not: the 12 months run from the day after); the heading names the first day and today."""
    from dateutil.relativedelta import relativedelta
    from tracker.timeutil import clinic_today
    patient = gen.patient(family_name="Window")
    today = clinic_today()
    first = today - relativedelta(months=12) + relativedelta(days=1)
    heading = words(soup(client.get(f"/patients/{patient.id}")).find(id="caps"))
    assert heading == (f"Injections counting towards the caps (the 12 months from {first.isoformat()} "
                       f"to today, {today.isoformat()})")


def test_a_physician_opens_any_case_from_the_patient_page(client, gen, login_as):
    login_as(gen.user(Role.PHYSICIAN))
    case = gen.case(state=State.CLOSED)
    page = client.get(f"/patients/{case.patient_id}").get_data(as_text=True)
    assert f'href="/cases/{case.id}"' in page
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_the_patient_page_says_none_nkda_or_not_asked_for_each_case(client, gen, coordinator):
    from tracker.models import RiskScreen

    patient = gen.patient()
    answered = gen.case(patient=patient, state=State.UNDER_REVIEW)
    gen.case(patient=patient, state=State.REFERRED, side=Side.RIGHT)  # no risk screen yet
    db.session.add(RiskScreen(case_id=answered.id, anticoagulant_answer="none", allergy_answer="nkda"))
    db.session.commit()

    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)

    assert "Allergies: NKDA (no known allergies) · anticoagulants: none" in page
    assert "Allergies: not asked · anticoagulants: not asked" in page
    assert "n/a" not in page


def test_a_verdict_a_physician_overrode_shows_as_eligible_by_override_with_who_and_when(
        client, coordinator, gen, make_client, login_as):
    """The demo's Petrova: not eligible under the profile, scheduled by a physician's override. The
    patient page said "not eligible"; it says what the case page says, with the physician and time."""
    patient = gen.patient(family_name="Petrova", given_name="Irina")
    overridden = documented_case(gen, care_days=27, patient=patient)  # 27 days of care: not eligible
    evaluate(client, overridden)
    override(login_as(gen.user(Role.PHYSICIAN, name="Dr Amara Osei"), on=make_client()), overridden, OVERRIDE_REASON)
    not_eligible = documented_case(gen, care_days=27, side=Side.RIGHT, patient=patient)
    evaluate(client, not_eligible)
    incomplete = documented_case(gen, exam=False, side=Side.BILATERAL, patient=patient)  # tests not recorded yet
    evaluate(client, incomplete)
    eligible = documented_case(gen, patient=patient)
    evaluate(client, eligible)
    db.session.expire_all()
    at = format_clinic(overridden.current_verdict.override_at)

    shown = _verdicts(client, patient.id)

    assert shown[overridden.id] == f"eligible by physician override (Dr Amara Osei, {at})"
    assert shown[not_eligible.id] == "not eligible"
    assert shown[incomplete.id].startswith("incomplete: still unknown: ")
    assert shown[eligible.id] == "eligible"
