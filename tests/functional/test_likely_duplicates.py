"""The likely-duplicate warning catches the usual ways one person is registered twice (a
walkthrough found a second record made for each): the date of birth with day and month swapped,
a family name that sounds alike or is two letters off, the same phone number with the same given
name. Each is a warning the coordinator confirms, never a block, and says why in words."""
import re
from datetime import date

import pytest
from sqlalchemy import text

from tracker.extensions import db
from tracker.models import Patient
from tracker.patients import lookup
from tracker.patients.duplicates import Identity

from tests.builders import PATIENT, REFERRAL
from tests.helpers import form_data, soup, submit, words


@pytest.fixture
def grace(gen):
    return gen.patient(mrn="DEMO-0001", family_name="Okafor", given_name="Grace", date_of_birth=date(1961, 4, 12),
                       phone="+12015550199")


def _count():
    return db.session.execute(db.select(db.func.count(Patient.id))).scalar()


def _warning(page):
    notice = soup(page).find(id="duplicates")
    return words(notice) if notice is not None else ""


@pytest.mark.parametrize("typed,reason", [
    ({"family_name": "Okafor", "given_name": "Grace", "date_of_birth": "1961-12-04"},
     "same name, date of birth with day and month swapped: 1961-12-04 / 1961-04-12"),
    ({"family_name": "Ocafore", "given_name": "Grace", "date_of_birth": "1961-04-12"},
     "same date of birth and given name, family name sounds alike and two letters apart: Ocafore / Okafor"),
    ({"family_name": "Adeyemi", "given_name": "Grace", "date_of_birth": "1990-01-01", "phone": "(201) 555-0199"},
     "same phone number (201) 555-0199 and same given name"),
])
def test_a_new_referral_for_the_usual_duplicates_warns_with_why_before_a_record_is_made(client, coordinator, grace,
                                                                                        typed, reason):
    values = {**PATIENT, **REFERRAL, "mrn": "NEW-1", **typed}
    warned = submit(client, "/referrals/new", values)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422
    assert "Possible duplicate" in _warning(page) and reason in _warning(page)
    assert f'href="/patients/{grace.id}"' in page and f'href="/referrals/patients/{grace.id}/new"' in page
    assert _count() == 1
    # A warning, never a block: confirmed, the second record is made.
    confirmed = submit(client, "/referrals/new", {**values, "confirm_new_patient": "y"}, form_page="/referrals/new")
    assert confirmed.status_code == 302 and _count() == 2


def test_a_family_sharing_a_phone_is_not_warned_of_for_another_given_name_and_birth(client, coordinator, grace):
    values = {**PATIENT, **REFERRAL, "mrn": "NEW-2", "family_name": "Okafor", "given_name": "Chidi",
              "date_of_birth": "1992-05-05", "phone": "(201) 555-0199"}
    logged = submit(client, "/referrals/new", values)
    assert logged.status_code == 302 and _count() == 2


def test_two_records_sharing_a_phone_and_given_name_list_each_other_on_their_pages(client, coordinator, gen, grace):
    other = gen.patient(mrn="DEMO-0099", family_name="Adeyemi", given_name="Grace", date_of_birth=date(1990, 1, 1),
                        phone="+12015550199")
    for record, listed in ((grace, other), (other, grace)):
        page = client.get(f"/patients/{record.id}").get_data(as_text=True)
        assert "same phone number (201) 555-0199 and same given name" in _warning(page)
        assert f'href="/patients/{listed.id}"' in page
        assert f'href="/patients/{record.id}/merge/{listed.id}"' in page
    # The comparison it leads to lets the coordinator merge them, if they are one person.
    comparison = client.get(f"/patients/{grace.id}/merge/{other.id}?keep=chosen").get_data(as_text=True)
    assert "match none of the rules" not in comparison and 'name="reason"' in comparison


def test_the_patient_page_lists_a_record_born_with_day_and_month_swapped(client, coordinator, gen, grace):
    other = gen.patient(mrn="DEMO-0098", family_name="Okafor", given_name="Grace", date_of_birth=date(1961, 12, 4))
    page = client.get(f"/patients/{grace.id}").get_data(as_text=True)
    assert "same name, date of birth with day and month swapped: 1961-04-12 / 1961-12-04" in _warning(page)
    assert f'href="/patients/{other.id}"' in page


def _plan(statement):
    """The database's plan for `statement`, as one string; on PostgreSQL with reading a table whole
    made a last resort (a test's tables are tiny), so a plan that still does has no index to read."""
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        return " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("ANALYZE"))
    return " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))


def test_the_duplicate_check_reads_each_of_its_rules_through_an_index_never_the_whole_register(app_ctx, gen, grace):
    # A register of some size (on a few rows reading them all is cheapest), where many share a given name.
    db.session.add_all(Patient(mrn=f"R-{n:05d}", family_name=f"Register{n}", given_name=("Grace", "Pat")[n % 2],
                               date_of_birth=date(1960, 1, 1 + n % 28), phone=f"+1201555{n:04d}")
                       for n in range(300))
    db.session.commit()
    identity = Identity("NEW-1", "Okafor", "Grace", date(1961, 12, 4), "+12015550199")
    statement = lookup.duplicates_statement(identity)
    assert [p.id for p in db.session.execute(statement).scalars()] == [grace.id]
    plan = _plan(statement)
    db.session.rollback()
    # (SQLite has no trigram index: its ix_patients_mrn_key is a B-tree, as good as the exact one.)
    for index in ("ix_patients_date_of_birth", "ix_patients_mrn_key", "ix_patients_phone_given"):
        assert index in plan, (index, plan)
    whole = r"SCAN patients\b" if db.engine.dialect.name == "sqlite" else r"Seq Scan"
    assert not re.search(whole, plan), plan


def test_a_phone_corrected_to_a_namesakes_number_warns_before_it_is_saved(client, coordinator, gen, grace):
    other = gen.patient(mrn="DEMO-0099", family_name="Adeyemi", given_name="Grace", date_of_birth=date(1990, 1, 1),
                        phone="+12015550100")
    url = f"/patients/{other.id}/edit"
    typed = {**form_data(soup(client.get(url).get_data(as_text=True)).find("form", id="correct-details")),
             "phone": "(201) 555-0199"}
    warned = submit(client, url, typed)
    assert warned.status_code == 422
    assert "same phone number (201) 555-0199 and same given name" in _warning(warned.get_data(as_text=True))
    assert db.session.get(Patient, other.id).phone == "+12015550100"
    saved = submit(client, url, {**typed, "confirm_not_duplicate": "y"})
    assert saved.status_code == 302
