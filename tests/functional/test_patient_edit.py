"""Correcting a patient's details: coordinators and physicians, through the real form; each change
kept in the record's history (who, when, old and new) and audited; a save from a stale form refused
with what was typed kept; a correction that makes the record look like another warned about; a
merged record cannot change."""
from datetime import date

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, Patient, PatientHistory
from tracker.roles import Role
from tracker.workflow import State

from tests.helpers import (conflict_notice, csrf_from, field_error, form_data, input_value, selected, sign_in, soup,
                           submit, words)

FORM = {"family_name": "García", "given_name": "Lucía", "date_of_birth": "1961-04-02", "sex": "female",
        "phone": "(201) 555-0123", "email": "lucia@example.org", "preferred_contact": "sms",
        "language": "Spanish"}


@pytest.fixture
def garcia(gen):
    return gen.patient(mrn="A-100200", family_name="Garcia", given_name="Lucia", date_of_birth=date(1961, 2, 4))


def _form(page):
    """What the browser sends from the correction form as the page shows it."""
    return form_data(soup(page).find("form", id="correct-details"))


def _edit(client, patient, **changes):
    return submit(client, f"/patients/{patient.id}/edit", {**FORM, **changes})


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN])
def test_a_correction_is_saved_and_each_change_is_kept_in_the_history_with_who_and_the_old_value(
        client, gen, login_as, garcia, role):
    login_as(gen.user(role, name="Robin Clinician"))
    response = _edit(client, garcia)
    assert response.status_code == 302 and response.location == f"/patients/{garcia.id}"

    page = client.get(response.location).get_data(as_text=True)
    assert "Details saved" in page and "García, Lucía" in page
    db.session.expire_all()
    patient = db.session.get(Patient, garcia.id)
    assert (patient.family_name, patient.date_of_birth, patient.phone, patient.email) == (
        "García", date(1961, 4, 2), "+12015550123", "lucia@example.org")
    history = {h.field: (h.old_value, h.new_value) for h in db.session.execute(
        db.select(PatientHistory).filter_by(patient_id=garcia.id)).scalars()}
    assert history["date_of_birth"] == ("1961-02-04", "1961-04-02")
    assert history["family_name"] == ("Garcia", "García")
    assert history["phone"] == ("", "+12015550123")
    assert history["language"] == ("English", "Spanish")
    # Shown on the patient page: field, old value struck through, the new one, and who.
    shown = words(client.get(f"/patients/{garcia.id}"))
    assert "Date of birth: 1961-02-04 → 1961-04-02" in shown and "Robin Clinician" in shown
    assert "Phone: — → (201) 555-0123" in shown  # as the page's contact details show it, not +12015550123
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="patient", object_id=str(garcia.id))
                               .filter(AuditEvent.summary.like("changed%"))).scalar_one()
    assert "date_of_birth" in audit.summary and "1961" not in audit.summary  # names fields, not values
    # The values are kept beside it, shown in the audit trail as the other edits' are.
    assert {"field": "date_of_birth", "old": "1961-02-04", "new": "1961-04-02"} in audit.changes


def test_saving_the_form_unchanged_records_nothing(client, coordinator, gen):
    patient = gen.patient(family_name="Okafor", given_name="Ngozi", date_of_birth=date(1955, 5, 5))
    page = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    data = {name: input_value(page, name) for name in ("family_name", "given_name", "date_of_birth", "phone",
                                                        "email")}
    response = submit(client, f"/patients/{patient.id}/edit",
                      {**data, "language": selected(page, "language"), "sex": "unknown", "preferred_contact": "email"}, follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert db.session.execute(db.select(PatientHistory).filter_by(patient_id=patient.id)).first() is None


def _refused_and_kept(client, patient, field, message, **changes):
    """A correction refused next to `field` with `message`, every field as typed, nothing saved."""
    response = _edit(client, patient, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(page, field)
    typed = {**FORM, **changes}
    for name in ("family_name", "given_name", "phone", "email"):
        assert input_value(page, name) == typed[name], name
    db.session.expire_all()
    saved = db.session.get(Patient, patient.id)
    assert (saved.family_name, saved.given_name, saved.phone) == ("Garcia", "Lucia", None)


def test_a_phone_number_that_is_not_one_is_refused_next_to_the_field_with_everything_typed_kept(
        client, coordinator, garcia):
    _refused_and_kept(client, garcia, "phone", "is not a valid phone number", phone="555-01")


def test_an_extension_after_the_patients_number_is_refused_next_to_the_field_with_everything_typed_kept(
        client, coordinator, garcia):
    _refused_and_kept(client, garcia, "phone", "A patient's number cannot have an extension (ext. 3): texts cannot "
                      "reach one. Give the number alone.", phone="(201) 555-0114 ext. 3")


def test_a_name_with_an_emoji_is_refused_next_to_the_field_real_spellings_are_kept(client, coordinator, gen, garcia):
    _refused_and_kept(client, garcia, "given_name", "remove “😀”", given_name="Lucía 😀")
    assert _edit(client, garcia, family_name="O'Brien-Nguyễn", given_name="Zoë St. Claire").status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).display_name == "O'Brien-Nguyễn, Zoë St. Claire"


def test_a_name_saved_before_names_were_checked_does_not_block_another_correction(client, coordinator, gen):
    legacy = gen.patient(family_name="Smith2", given_name="Jo")
    assert _edit(client, legacy, family_name="Smith2", given_name="Jo").status_code == 302


def test_a_save_from_a_form_opened_before_someone_elses_is_refused_and_keeps_what_was_typed(
        client, make_client, coordinator, gen, garcia):
    form_page = client.get(f"/patients/{garcia.id}/edit").get_data(as_text=True)
    # Another coordinator corrects the email meanwhile.
    other = make_client()
    sign_in(other, gen.user(Role.COORDINATOR))
    assert _edit(other, garcia, email="other@example.org").status_code == 302

    response = client.post(f"/patients/{garcia.id}/edit", data={
        **FORM, "email": "mine@example.org", "version_id": input_value(form_page, "version_id"),
        "csrf_token": csrf_from(form_page)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in page
    assert "other@example.org" in conflict_notice(page) and "mine@example.org" in conflict_notice(page)
    assert input_value(page, "email") == "mine@example.org"
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).email == "other@example.org"
    # Saved again, knowingly, from the form as shown: it goes through.
    again = client.post(f"/patients/{garcia.id}/edit", data={
        **FORM, "email": "mine@example.org", "version_id": input_value(page, "version_id"),
        "csrf_token": csrf_from(page)})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).email == "mine@example.org"


def test_a_colleagues_correction_of_a_field_left_alone_is_not_undone_by_saving_again(
        client, make_client, coordinator, gen, garcia):
    """Walkthrough: a colleague corrected the phone (the patient's new number) while this
    coordinator's form was open on the email; the refusal listed every difference, and saving
    again, as it offered, put the old phone back: the next diary reminder went to the old number.
    The form now takes the colleague's value for each field this coordinator left as it was (as the
    referral form does), so saving again keeps both corrections."""
    form_page = client.get(f"/patients/{garcia.id}/edit").get_data(as_text=True)
    typed = _form(form_page)
    other = make_client()
    sign_in(other, gen.user(Role.COORDINATOR))
    other_page = other.get(f"/patients/{garcia.id}/edit").get_data(as_text=True)
    assert other.post(f"/patients/{garcia.id}/edit", data={
        **_form(other_page), "phone": "(201) 555-0199"}).status_code == 302

    response = client.post(f"/patients/{garcia.id}/edit", data={**typed, "email": "mine@example.org"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Their changes to fields you had not changed are now in the form: Phone." in page
    assert input_value(page, "phone") == "(201) 555-0199" and input_value(page, "email") == "mine@example.org"
    again = client.post(f"/patients/{garcia.id}/edit", data=_form(page))
    assert again.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Patient, garcia.id)
    assert (saved.phone, saved.email) == ("+12015550199", "mine@example.org")


def test_a_correction_that_makes_the_record_look_like_another_is_warned_about_until_confirmed(
        client, coordinator, gen, garcia):
    namesake = gen.patient(mrn="Z-9", family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
    response = _edit(client, garcia)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Possible duplicate" in page and f'href="/patients/{namesake.id}"' in page
    # Same person: save the correction, then compare and merge (a button of the form).
    assert f'name="merge_with" value="{namesake.id}"' in page
    assert db.session.get(Patient, garcia.id).date_of_birth == date(1961, 2, 4)

    confirmed = _edit(client, garcia, confirm_not_duplicate="y")
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).date_of_birth == date(1961, 4, 2)


def test_a_correction_that_shows_the_record_is_another_ones_duplicate_is_saved_then_leads_to_the_merge(
        client, coordinator, gen, garcia):
    """Walkthrough: the date of birth corrected to the real one matched the other record of the same
    person, and the warning's *compare and merge* led away from the form, the correction unsaved,
    to a comparison refusing the merge ("match none of the rules ... correct the wrong details on
    one record first"): the only way on was to tick "this is a different person", which was not
    true. The warning now saves the correction first, then opens the comparison."""
    namesake = gen.patient(mrn="Z-9", family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
    refused = _edit(client, garcia)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    # The button belongs to the correction form, so what was typed is sent with it.
    button = soup(page).find("button", attrs={"name": "merge_with", "value": str(namesake.id)})
    assert button is not None and button["form"] == "correct-details"
    assert "save the correction, then compare and merge" in words(button)
    assert soup(page).find("form", id="correct-details") is not None

    saved = submit(client, f"/patients/{garcia.id}/edit", {
        **FORM, "version_id": input_value(page, "version_id"), "merge_with": str(namesake.id)})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).date_of_birth == date(1961, 4, 2)
    assert db.session.execute(db.select(PatientHistory).filter_by(
        patient_id=garcia.id, field="date_of_birth")).scalar_one().new_value == "1961-04-02"
    comparison = client.get(saved.location, follow_redirects=True)
    shown = words(comparison)
    assert comparison.status_code == 200 and "Merge two patient records" in shown
    assert "cannot be merged" not in shown and "Details saved" in shown
    assert soup(comparison.get_data(as_text=True)).find("textarea", attrs={"name": "reason"}) is not None


def test_a_merged_record_cannot_be_edited_its_form_leads_to_the_record_kept(client, coordinator, gen, garcia):
    kept = gen.patient(family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
    form_page = client.get(f"/patients/{garcia.id}/edit").get_data(as_text=True)
    garcia.merged_into_id = kept.id
    db.session.commit()

    opened = client.get(f"/patients/{garcia.id}/edit", follow_redirects=True)
    assert opened.request.path == f"/patients/{kept.id}/edit"
    assert "was merged into García, Lucía" in opened.get_data(as_text=True)
    # A form opened before the merge is refused with the reason, what was typed kept.
    response = client.post(f"/patients/{garcia.id}/edit", data={
        **FORM, "email": "late@example.org", "version_id": input_value(form_page, "version_id"),
        "csrf_token": csrf_from(form_page)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "can no longer change: correct that record instead" in page
    assert input_value(page, "email") == "late@example.org"
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).email is None


def test_a_correction_no_eligibility_criterion_reads_leaves_the_verdict_standing(client, coordinator, gen, garcia):
    """A verdict goes stale only when a fact one of its criteria read changes: no payer profile's
    criteria read the date of birth or contact details, so correcting them leaves it standing."""
    case = gen.case(patient=garcia, state=State.ELIGIBLE)
    response = _edit(client, garcia)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "no longer stands" not in page and "Verdict stale" not in page
    assert "Verdict stale" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    # The worklist line was worked out again with the patient's change, and still stands.
    db.session.expire_all()
    assert db.session.get(type(case), case.id).row.verdict_stale is False


def test_a_stale_save_shows_the_phone_numbers_as_the_form_does(client, make_client, coordinator, gen, garcia):
    form_page = client.get(f"/patients/{garcia.id}/edit").get_data(as_text=True)
    other = make_client()
    sign_in(other, gen.user(Role.COORDINATOR))
    assert _edit(other, garcia, phone="201-555-0107").status_code == 302

    response = client.post(f"/patients/{garcia.id}/edit", data={
        **FORM, "phone": "201 555 0199", "version_id": input_value(form_page, "version_id"),
        "csrf_token": csrf_from(form_page)})

    notice = conflict_notice(response.get_data(as_text=True))
    assert "Phone: saved <strong>(201) 555-0107</strong>, your form <strong>(201) 555-0199</strong>" in notice
    assert "+1201" not in notice


def test_a_date_of_birth_after_a_date_already_on_the_record_is_refused_next_to_the_field(client, coordinator, gen, garcia):
    case = gen.case(patient=garcia, state=State.FOLLOW_UP, symptom_onset=date(2026, 3, 10))
    case.referral_date = date(2026, 7, 20)
    gen.therapy(case, start_date=date(2026, 8, 3), end_date=date(2026, 9, 14))
    db.session.commit()

    response = _edit(client, garcia, date_of_birth="2026-11-30")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "date_of_birth") == (
        f"This date of birth is after the symptom onset of case {case.id}, 2026-03-10, the earliest date on this "
        "patient's record: check the day, month and year.")
    assert input_value(page, "date_of_birth") == "2026-11-30" and input_value(page, "email") == "lucia@example.org"
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).date_of_birth == date(1961, 2, 4)
    # A date of birth before everything on the record saves.
    assert _edit(client, garcia, date_of_birth="1961-04-02").status_code == 302


def test_every_error_of_a_correction_is_shown_at_once_next_to_its_field_with_everything_typed_kept(
        client, coordinator, gen, garcia):
    """A name the form refuses, a date of birth after the record's earliest date and an MRN changed
    without a reason, sent together: all three are named in one answer, not one per submit."""
    gen.case(patient=garcia, state=State.FOLLOW_UP, symptom_onset=date(2026, 2, 1))
    db.session.commit()

    response = _edit(client, garcia, given_name="Lucía 😀", date_of_birth="2026-11-30", mrn="A-100201",
                     mrn_reason="")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "remove “😀”" in field_error(page, "given_name")
    assert "the earliest date on this patient's record" in field_error(page, "date_of_birth")
    assert "Say why the medical record number changes" in field_error(page, "mrn_reason")
    for name, typed in (("given_name", "Lucía 😀"), ("date_of_birth", "2026-11-30"), ("mrn", "A-100201"),
                        ("family_name", "García"), ("email", "lucia@example.org")):
        assert input_value(page, name) == typed, name
    db.session.expire_all()
    saved = db.session.get(Patient, garcia.id)
    assert (saved.given_name, saved.date_of_birth, saved.mrn) == ("Lucia", date(1961, 2, 4), "A-100200")


def test_an_mrn_another_record_holds_changed_without_a_reason_names_both_at_once(client, coordinator, gen, garcia):
    gen.patient(mrn="B-7", family_name="Other", given_name="Olga", date_of_birth=date(1970, 1, 1))
    page = _edit(client, garcia, mrn="B-7", mrn_reason="").get_data(as_text=True)
    assert "Other, Olga" in field_error(page, "mrn")
    assert "Say why the medical record number changes" in field_error(page, "mrn_reason")


def test_email_as_the_preferred_contact_without_an_address_is_refused(client, coordinator, garcia):
    garcia.email = "lucia@example.org"
    db.session.commit()
    _refused_and_kept(client, garcia, "preferred_contact",
                      "There is no email address to write to. Give one, or choose another way to contact the patient.",
                      email="", preferred_contact="email")


def test_a_record_preferring_email_without_an_address_is_flagged_on_the_patient_and_case_pages(
        client, coordinator, gen, garcia):
    case = gen.case(patient=garcia)
    flag = "No way to reach this patient by their preferred contact"
    for url in (f"/patients/{garcia.id}", f"/cases/{case.id}"):
        assert flag in words(client.get(url))
    assert _edit(client, garcia, preferred_contact="phone", email="").status_code == 302
    for url in (f"/patients/{garcia.id}", f"/cases/{case.id}"):
        assert flag not in words(client.get(url))


def test_a_patient_registered_without_an_email_address_records_only_what_a_correction_changes(
        client, coordinator):
    """Registered with the email box left empty, corrected in the phone alone: the history and
    the confirmation name the phone, never an email changed from nothing to nothing."""
    from tests.builders import PATIENT, REFERRAL
    assert submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "email": "", "preferred_contact": "sms",
                                             "phone": "(201) 555-0123"}).status_code == 302
    patient = db.session.scalars(db.select(Patient)).one()
    assert patient.email is None
    page = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    data = {name: input_value(page, name) for name in ("family_name", "given_name", "date_of_birth", "phone",
                                                        "email")}
    response = submit(client, f"/patients/{patient.id}/edit",
                      {**data, "language": selected(page, "language"), "phone": "(201) 555-0199", "sex": patient.sex.value,
                       "preferred_contact": "sms"}, follow_redirects=True)
    assert "Details saved (phone)" in words(response)
    history = db.session.scalars(db.select(PatientHistory).filter_by(patient_id=patient.id)).all()
    assert [h.field for h in history] == ["phone"]


# ---------------------------------------------------------------- a mistyped MRN

def test_a_coordinator_corrects_a_mistyped_mrn_with_a_reason_kept_in_the_history_and_found_by_search(
        client, gen, login_as, garcia):
    login_as(gen.user(Role.COORDINATOR, name="Casey Coordinator"))
    response = _edit(client, garcia, mrn=" a-100 201 ", mrn_reason="Two digits swapped at registration")
    assert response.status_code == 302

    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).mrn == "A-100201"
    [row] = db.session.execute(db.select(PatientHistory).filter_by(patient_id=garcia.id, field="mrn")).scalars()
    assert (row.old_value, row.new_value, row.reason) == ("A-100200", "A-100201", "Two digits swapped at registration")
    shown = words(client.get(f"/patients/{garcia.id}"))
    assert "MRN: A-100200 → A-100201" in shown and "Reason: Two digits swapped at registration" in shown
    audit = db.session.execute(db.select(AuditEvent).filter_by(object_type="patient", object_id=str(garcia.id))
                               .filter(AuditEvent.summary.like("changed%"))).scalar_one()
    assert "mrn" in audit.summary and {"field": "mrn", "old": "A-100200", "new": "A-100201"} in audit.changes
    found = words(client.get("/search?q=A100201"))
    assert "García, Lucía" in found or "Garcia" in found
    assert "A-100201" in found


def test_an_mrn_changed_without_a_reason_is_refused_next_to_the_reason_with_everything_typed_kept(
        client, coordinator, garcia):
    response = _edit(client, garcia, mrn="A-100201", mrn_reason="  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Say why the medical record number changes" in field_error(page, "mrn_reason")
    assert input_value(page, "mrn") == "A-100201" and input_value(page, "family_name") == "García"
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).mrn == "A-100200"


def test_an_mrn_another_record_holds_is_refused_next_to_the_field_naming_that_record(client, coordinator, gen, garcia):
    gen.patient(mrn="B-7", family_name="Other", given_name="Olga", date_of_birth=date(1970, 1, 1))
    response = _edit(client, garcia, mrn="b 7", mrn_reason="typed from the wrong label")
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), "mrn")
    assert "B-7" in error and "Other, Olga" in error and "merge" in error
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).mrn == "A-100200"
    assert db.session.execute(db.select(PatientHistory).filter_by(patient_id=garcia.id)).first() is None


def test_an_mrn_the_same_persons_other_record_holds_leads_to_that_record_and_to_compare_and_merge(
        client, coordinator, gen, garcia):
    """Walkthrough: the refusal said "If they are the same person, merge the two records instead."
    with nothing to press: the coordinator had to find the other record by search. It now links to
    the other record and, for the same person, to the comparison of the two."""
    other = gen.patient(mrn="B-7", family_name="García", given_name="Lucía", date_of_birth=date(1961, 2, 4))
    response = _edit(client, garcia, mrn="b 7", mrn_reason="the hospital's number is B-7")
    assert response.status_code == 422
    page = soup(response.get_data(as_text=True))
    near_field = page.find(id="mrn-owner")
    assert near_field is not None and "García, Lucía" in words(near_field)
    assert near_field.find("a", href=f"/patients/{other.id}") is not None
    assert near_field.find("a", href=f"/patients/{garcia.id}/merge/{other.id}") is not None
    # What was typed stays in the form.
    assert page.find("input", id="mrn")["value"] == "b 7"


def test_a_physician_reads_the_mrn_but_a_coordinator_corrects_it(client, gen, login_as, garcia):
    login_as(gen.user(Role.PHYSICIAN))
    page = client.get(f"/patients/{garcia.id}/edit").get_data(as_text=True)
    assert 'name="mrn"' not in page and "a coordinator corrects it" in words(page)
    _edit(client, garcia, mrn="A-999", mrn_reason="x")
    db.session.expire_all()
    assert db.session.get(Patient, garcia.id).mrn == "A-100200"


@pytest.fixture
def legacy_mrn(gen):
    """A record registered before MRNs were stored in their normal form: migration 0021 kept it as typed."""
    patient = gen.patient(mrn="QA1002", family_name="Garcia", given_name="Lucia", date_of_birth=date(1961, 4, 2))
    db.session.execute(db.update(Patient.__table__).where(Patient.__table__.c.id == patient.id)
                       .values(mrn="qa 1002"))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Patient, patient.id)


def test_an_older_record_whose_mrn_is_stored_as_typed_has_its_phone_corrected_with_the_mrn_left_as_stored(
        client, coordinator, legacy_mrn):
    form = client.get(f"/patients/{legacy_mrn.id}/edit").get_data(as_text=True)
    assert input_value(form, "mrn") == "qa 1002"
    response = _edit(client, legacy_mrn, family_name="Garcia", given_name="Lucia", mrn=input_value(form, "mrn"),
                     mrn_reason="")
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "mrn_reason")

    db.session.expire_all()
    patient = db.session.get(Patient, legacy_mrn.id)
    assert (patient.mrn, patient.phone) == ("qa 1002", "+12015550123")
    changed = {h.field for h in db.session.scalars(db.select(PatientHistory).filter_by(patient_id=patient.id))}
    assert "phone" in changed and "mrn" not in changed


@pytest.mark.parametrize("typed", ["QA1002", " qa1002 "])
def test_a_reason_given_for_an_older_records_mrn_typed_as_the_same_number_does_not_rewrite_it(
        client, coordinator, legacy_mrn, typed):
    response = _edit(client, legacy_mrn, family_name="Garcia", given_name="Lucia", mrn=typed,
                     mrn_reason="retyped from the label")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, legacy_mrn.id).mrn == "qa 1002"
    assert db.session.execute(db.select(PatientHistory).filter_by(patient_id=legacy_mrn.id, field="mrn")).first() is None


def test_a_date_of_birth_saved_before_the_age_check_does_not_hold_up_other_corrections(client, coordinator, gen):
    """Review: a record with a birth date over 120 years ago (taken from an EHR before the check) could
    not have its phone corrected; a new such date is still refused."""
    patient = gen.patient(family_name="García", given_name="Lucía", date_of_birth=date(1903, 3, 3))
    kept = _edit(client, patient, date_of_birth="1903-03-03", phone="(201) 555-0199")
    assert kept.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).phone == "+12015550199"
    changed = _edit(client, patient, date_of_birth="1902-03-03")
    assert changed.status_code == 422
    assert field_error(changed.get_data(as_text=True), "date_of_birth").startswith("That would make the patient 12")


def test_the_saved_message_names_the_fields_as_the_form_labels_them(client, coordinator, garcia):
    """"Details saved (family name, mrn)" read as the code's names; the message uses the form's words."""
    response = _edit(client, garcia, mrn="A-100299", mrn_reason="Mistyped at registration: the letter is from the chart")
    assert response.status_code == 302
    said = words(client.get(response.location))
    assert ("Details saved (family name, given name, date of birth, sex, phone, email, preferred contact, language, "
            "medical record number).") in said, said[:400]
