"""The clinic's billing setting decides whether HCPCS G0260 (the facility's claim) is shown: only
where the clinic bills as a facility (ASC or hospital outpatient). CPT 27096, the physician's claim,
is shown in both settings. A new clinic is a physician office. The admin changes the setting through
the clinic settings form; the procedure note and the FHIR Procedure follow it."""
import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, ClinicSettings
from tracker.roles import Role
from tracker.vocab import Side

from tests.api_support import bearer, fhir_json, token_for
from tests.helpers import input_value, is_checked, soup, submit, text, words

CPT, HCPCS = "http://www.ama-assn.org/go/cpt", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


@pytest.fixture
def signed(gen, physician):
    return gen.procedure(side=Side.BILATERAL, physician=physician, steps="all", sign=True)


def choose(admin_client, setting, follow_redirects=True):
    version = input_value(text(admin_client.get("/admin/settings")), "billing_version_id")  # as opened now
    return submit(admin_client, "/admin/settings/billing", {"billing_setting": setting, "billing_version_id": version},
                  form_page="/admin/settings", follow_redirects=follow_redirects)


def billing_section(client, record):
    page = text(client.get(f"/cases/{record.case_id}/procedure/note"))
    return words(soup(page).find("section", attrs={"aria-labelledby": "billing-h"}))


def procedure_codings(client, gen, record):
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    response = client.get(f"/fhir/Procedure/{record.case_id}-procedure-{record.id}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(c["system"], c["code"]) for c in fhir_json(response)["code"]["coding"]}


def test_a_new_clinic_is_a_physician_office_and_bills_27096_only(admin_client, doctor, gen, signed):
    assert db.session.get(ClinicSettings, 1) is None
    section = billing_section(doctor, signed)
    assert "Professional claim: CPT 27096-50" in section
    assert "G0260" not in section and "Facility claim" not in section
    assert "Physician office" in section
    codings = procedure_codings(doctor, gen, signed)
    assert (CPT, "27096") in codings and not any(code == "G0260" for _, code in codings)
    assert is_checked(text(admin_client.get("/admin/settings")), "billing_setting", "office")


def test_a_facility_clinic_prints_g0260_besides_27096_and_back_in_an_office_it_is_gone(admin_client, doctor, gen, signed):
    page = text(choose(admin_client, "facility"))
    assert "The billing setting is saved" in page and is_checked(page, "billing_setting", "facility")
    section = billing_section(doctor, signed)
    assert "Professional claim: CPT 27096-50" in section and "Facility claim: HCPCS G0260-50" in section
    codings = procedure_codings(doctor, gen, signed)
    assert (CPT, "27096") in codings and (HCPCS, "G0260") in codings

    choose(admin_client, "office")
    section = billing_section(doctor, signed)
    assert "Professional claim: CPT 27096-50" in section and "G0260" not in section
    assert not any(code == "G0260" for _, code in procedure_codings(doctor, gen, signed))


def test_the_change_is_audited_with_who_and_what(admin_client, signed):
    choose(admin_client, "facility")
    db.session.expire_all()
    [event] = db.session.execute(db.select(AuditEvent).filter_by(object_type="clinic_settings")).scalars().all()
    assert event.summary == "billing setting: office → facility"


def test_an_unknown_setting_is_refused_next_to_the_choice_and_nothing_changes(admin_client):
    response = choose(admin_client, "hospital", follow_redirects=False)
    page = text(response)
    assert response.status_code == 422
    assert "Not a valid choice" in words(soup(page).find(id="billing_setting-error"))
    db.session.expire_all()
    assert db.session.get(ClinicSettings, 1) is None


def test_only_an_admin_changes_the_billing_setting(doctor, signed):
    response = submit(doctor, "/admin/settings/billing", {"billing_setting": "facility"},
                      form_page=f"/cases/{signed.case_id}")
    assert response.status_code == 403
    assert db.session.get(ClinicSettings, 1) is None
