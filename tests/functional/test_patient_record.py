"""The patient page: details, every case newest first, the injections counting towards the caps,
diary links and the account; correcting details; merging duplicates."""
from tracker.roles import Role
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.vocab import Indication, Side
from tracker.workflow import State


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
