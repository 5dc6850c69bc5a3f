"""Walkthrough 17's wording slips on the admin's pages: a count of one day is "1 day" (the audit
trail's token row, the payer profiles), a country whose English name takes "the" gets it in a
phone number's refusal, and the token's days field says its one rule in one message."""
from dataclasses import replace

import pytest

from tracker.api import tokens
from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.policy import PROFILES
from tracker.roles import Role

from tests.functional.test_clinic_contact import set_contact
from tests.helpers import field_error, submit, words


def test_a_token_made_for_one_day_is_one_day_in_the_audit_trail(client, admin, gen):
    physician = gen.user(Role.PHYSICIAN, email="physician@test.clinic")
    for days in (1, 2):
        row, _ = tokens.create(physician, "read", days, "feed", actor=admin)
    summaries = db.session.execute(db.select(AuditEvent.summary).filter_by(object_type="api_token")
                                   .order_by(AuditEvent.id)).scalars().all()
    assert [s.split(") for ")[0].split("(")[1] for s in summaries] == ["read, 1 day", "read, 2 days"]
    page = words(client.get("/admin/audit?object_type=api_token"))
    assert "(read, 1 day) for physician@test.clinic" in page and "1 days" not in page


def test_a_payer_profile_counting_one_day_says_1_day(client, admin, monkeypatch):
    code, profile = next(iter(PROFILES.items()))
    one = replace(profile, min_conservative_care_days=1, conservative_care_window_days=1, repeat_relief_min_days=1,
                  min_days_between_injections=1, min_pain_months=1,
                  conservative_care=replace(profile.conservative_care, components=(
                      replace(profile.conservative_care.components[0], min_days=1),)
                      if profile.conservative_care.components else ()))
    monkeypatch.setitem(PROFILES, code, one)
    page = words(client.get("/admin/settings"))
    assert "at least 1 day within the last 1 day" in page
    assert "relief for at least 1 day, at least 1 day apart" in page
    assert "at least 1 month" in page and "1 months" not in page
    if profile.conservative_care.components:
        assert "including at least 1 day of" in page
    assert not any(f" 1 {unit}s" in page for unit in ("day", "month"))


def test_a_clinic_phone_refused_names_the_united_states_with_its_article(client, admin):
    page = set_contact(client, phone="555-0100").get_data(as_text=True)
    assert field_error(page, "phone").startswith(
        "“555-0100” is not a valid phone number for the United States.")


@pytest.mark.parametrize("region,said", [("US", "the United States"), ("GB", "the United Kingdom"),
                                         ("NL", "the Netherlands"), ("PH", "the Philippines"),
                                         ("DO", "the Dominican Republic"), ("KY", "the Cayman Islands"),
                                         ("ES", "Spain"), ("CA", "Canada")])
def test_a_country_is_named_as_a_sentence_names_it(app_ctx, region, said):
    from tracker.phones import PhoneError, to_e164

    with pytest.raises(PhoneError, match=f"is not a valid phone number for {said}\\."):
        to_e164("12", region)


@pytest.mark.parametrize("typed", ["0", "400", ""])
def test_the_days_a_token_lasts_are_refused_in_one_message_whatever_is_wrong(client, admin, gen, typed):
    coordinator = gen.user(Role.COORDINATOR)
    response = submit(client, "/admin/api-tokens/", {"label": "Lab feed", "user_id": str(coordinator.id),
                                                       "scope": "read", "days": typed})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "days") == \
        "Enter the number of days the token lasts, from 1 to 366."


def test_in_spanish_the_country_is_named_in_spanish_with_no_english_article(app, region="US"):
    from flask_babel import force_locale

    from tracker.phones import PhoneError, to_e164

    with app.test_request_context("/"), force_locale("es"), pytest.raises(PhoneError, match="válido de Estados Unidos\\."):
        to_e164("12", region)
