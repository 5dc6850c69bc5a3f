"""Merging two records of one patient: a coordinator compares them side by side and merges with a
reason; cases, diary links and the account move to the record kept in one transaction; the other
stays as a tombstone its links lead through; the caps count both records' injections, and the
verdicts that read them say they no longer stand. Refused with the reason when it cannot be done."""
import threading
import time
from datetime import date, timedelta

import pytest

from tracker.extensions import db
from tracker.models import AuditEvent, Case, DiaryLink, Patient, PatientHistory, User
from tracker.patients import services
from tracker.refusals import StaleEdit
from tracker.roles import Role
from tracker.timeutil import utcnow
from tracker.vocab import ContactChannel, Indication, Side
from tracker.workflow import State

from tests.builders import REFERRAL, make_injection
from tests.helpers import by_id, csrf_from, field_error, input_value, sign_in, soup, submit, words


@pytest.fixture
def pair(gen):
    """García, Lucía registered twice: each record with a diagnostic injection (on different days),
    the second also with a diagnostic case found eligible while it counted one injection."""
    kept = gen.patient(mrn="A-100200", family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
    duplicate = gen.patient(mrn="A-100200\u200b9", family_name="Garcia", given_name="Lucia",
                            date_of_birth=date(1961, 4, 2), email="lucia@example.org", phone="+12015550123")
    make_injection(kept, days_ago=60)
    make_injection(duplicate, days_ago=30)
    waiting = gen.case(patient=duplicate, state=State.ELIGIBLE)
    return kept, duplicate, waiting


def _merge(client, kept, merged, reason="Same name, date of birth and address; confirmed by phone", **extra):
    url = f"/patients/{kept.id}/merge/{merged.id}"
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "reason": reason, "kept_version": input_value(page, "kept_version"),
            "merged_version": input_value(page, "merged_version"), **extra}
    return client.post(url, data=data)


def _merge_refused(client, kept, merged, comparison):
    """Post the merge of a refused comparison anyway (as a second tab might): 409, nothing merged."""
    response = client.post(f"/patients/{kept.id}/merge/{merged.id}", data={
        "csrf_token": csrf_from(comparison), "reason": "Same person", "kept_version": kept.version_id,
        "merged_version": merged.version_id})
    assert response.status_code == 409
    db.session.expire_all()
    return response


def _caps(client, patient):
    """What the patient page says of each cap: "1 of 2 diagnostic sessions (per patient): …"."""
    return [words(li) for li in soup(client.get(f"/patients/{patient.id}")).select("li.cap-usage")]


def test_merging_moves_the_cases_and_recounts_the_caps_on_the_record_kept(client, coordinator, gen, pair):
    kept, duplicate, waiting = pair
    assert _caps(client, kept)[0].startswith("1 of 2 diagnostic")
    assert _caps(client, duplicate)[0].startswith("1 of 2 diagnostic")
    # The duplicate is warned about on the patient page, with a link to compare the two.
    record_page = client.get(f"/patients/{kept.id}").get_data(as_text=True)
    assert "Possible duplicate" in record_page and f'href="/patients/{kept.id}/merge/{duplicate.id}"' in record_page
    opened = client.get(f"/patients/{kept.id}/merge/{duplicate.id}")
    comparison = words(opened)
    assert "Record kept" in comparison and "A-100200" in comparison and "lucia@example.org" in comparison
    # Where the records differ is highlighted; the same date of birth is not.
    marked = [words(mark) for mark in soup(opened).find_all("mark")]
    assert "lucia@example.org" in marked and "1961-04-02" not in marked
    assert "(201) 555-0123" in marked  # the phone as the patient page shows it, not +12015550123
    # The names spelled differently (accents) are highlighted too (walkthrough: they were not).
    assert "García, Lucía" in marked and "Garcia, Lucia" in marked
    # Showing both records in full is audited for each, as opening a patient page is.
    viewed = db.session.scalars(db.select(AuditEvent.object_id).filter(AuditEvent.summary.like("%merge comparison%"))).all()
    assert sorted(viewed) == sorted([str(kept.id), str(duplicate.id)])

    response = _merge(client, kept, duplicate)
    assert response.status_code == 302 and response.location.startswith(f"/patients/{kept.id}?")
    page = client.get(response.location).get_data(as_text=True)
    assert "Records merged" in page
    # The verdict that counted one earlier injection no longer stands, and says why.
    assert f"Case {waiting.id} (left): its eligibility verdict no longer stands" in words(page)
    assert "diagnostic sessions in the last 12 months: 2" in words(page)
    assert _caps(client, kept)[0].startswith("2 of 2 diagnostic")
    db.session.expire_all()
    assert {c.patient_id for c in db.session.scalars(db.select(Case))} == {kept.id}
    # The worklist line of the case follows: re-evaluate.
    assert "verdict stale: re-evaluate" in client.get("/cases/").get_data(as_text=True)
    assert "Verdict stale" in client.get(f"/cases/{waiting.id}").get_data(as_text=True)


def test_the_comparison_names_each_record_rather_than_its_place_on_the_screen(client, coordinator, gen, pair):
    """On a phone the two records are one above the other: "on the right" would mislead."""
    kept, duplicate, _ = pair
    page = soup(client.get(f"/patients/{kept.id}/merge/{duplicate.id}"))
    text = words(page)
    assert "on the right" not in text and "on the left" not in text
    assert (f"Merging moves every case (with its diary links) of Garcia, Lucia (MRN {duplicate.mrn}) to García, "
            f"Lucía (MRN A-100200)" in text)
    swap = page.find("a", href=f"/patients/{duplicate.id}/merge/{kept.id}?keep=chosen")
    assert words(swap) == f"Keep Garcia, Lucia (MRN {duplicate.mrn}) instead"


def _comparison_caps(client, kept, other, record):
    """What the comparison says `record` counts towards each payer's caps, a line per payer."""
    page = soup(client.get(f"/patients/{kept.id}/merge/{other.id}"))
    section = page.find("section", attrs={"aria-labelledby": f"record-{record.id}"})
    heading = section.find("h3", string=lambda text: text and text.startswith("Towards the caps"))
    return [words(line) for line in heading.find_next_siblings("p")]


def test_the_comparison_says_which_joint_each_cap_count_is_for(client, coordinator, gen, pair):
    """eviCore counts per joint: each count says its joint, once, rather than a list of four
    counts in a row ("1 of 2 diagnostic, 1 of 2 diagnostic, 0 of 4 therapeutic, 0 of 4 therapeutic")."""
    kept, duplicate, _ = pair  # each with a left diagnostic injection
    gen.case(patient=kept, payer_profile_code="EVICORE_CMM_203", side=Side.RIGHT)
    make_injection(kept, days_ago=10).side = Side.BILATERAL
    db.session.commit()

    caps = _comparison_caps(client, kept, duplicate, kept)

    assert "eviCore / Cigna CMM-203: left joint: 2 of 2 diagnostic, 0 of 4 therapeutic; "\
           "right joint: 1 of 2 diagnostic, 0 of 4 therapeutic" in caps
    # A payer counting per patient says so, once.
    assert "Medicare SI joint LCDs (2023): per patient: 2 of 2 diagnostic, 0 of 4 therapeutic" in caps


def test_the_merged_record_stays_as_a_tombstone_its_links_lead_to_the_record_kept(client, coordinator, gen, pair):
    kept, duplicate, _ = pair
    duplicate.language = "Spanish"  # a correction of the duplicate before the merge, in its own history
    db.session.add(PatientHistory(patient_id=duplicate.id, actor_id=coordinator.id, actor_role=coordinator.role,
                                  action="edit", field="language", old_value="English", new_value="Spanish"))
    db.session.commit()
    assert _merge(client, kept, duplicate).status_code == 302
    db.session.expire_all()
    tombstone = db.session.get(Patient, duplicate.id)
    assert tombstone.merged_into_id == kept.id and tombstone.merged_at is not None
    assert tombstone.family_name == "Garcia"  # its own details are kept, for the history
    assert client.get(f"/patients/{duplicate.id}").location == f"/patients/{kept.id}"
    # Search lists the record kept, found by either record's details, never the tombstone.
    found = client.get("/search", query_string={"q": "A-1002009"}).get_data(as_text=True)
    assert f'href="/patients/{kept.id}"' in found and f'href="/patients/{duplicate.id}"' not in found
    # The duplicate check no longer proposes it.
    assert "Possible duplicate" not in client.get(f"/patients/{kept.id}").get_data(as_text=True)
    # Both histories and the audit trail say so, with the reason.
    history = {(h.patient_id, h.action): h for h in db.session.scalars(db.select(PatientHistory))}
    assert history[kept.id, "merged_in"].reason == "Same name, date of birth and address; confirmed by phone"
    assert history[duplicate.id, "merged_away"].other_patient_id == kept.id
    shown = words(client.get(f"/patients/{kept.id}"))
    assert "Merged in Garcia, Lucia" in shown and "confirmed by phone" in shown
    # The merged record's own history is shown with the record kept, naming its record.
    assert "on the record merged in, Garcia, Lucia (MRN A-1002009) Language: English → Spanish" in shown
    audits = db.session.scalars(db.select(AuditEvent.object_id).filter(AuditEvent.summary.like("merged%"))).all()
    assert sorted(audits) == sorted([str(kept.id), str(duplicate.id)])


def test_the_account_and_the_diary_links_move_with_the_merge(client, coordinator, gen, pair):
    kept, duplicate, waiting = pair
    account = gen.user(Role.PATIENT, patient=duplicate)
    link = DiaryLink(case_id=waiting.id, created_by_id=coordinator.id, expires_at=utcnow() + timedelta(days=30))
    db.session.add(link)
    db.session.commit()
    assert _merge(client, kept, duplicate).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, account.id).patient_id == kept.id
    assert db.session.get(DiaryLink, link.id).case.patient_id == kept.id
    assert account.email in client.get(f"/patients/{kept.id}").get_data(as_text=True)


def test_two_records_of_different_people_are_not_merged_and_the_page_says_why(client, coordinator, gen):
    """A merge cannot be undone: two records that match none of the duplicate rules (another name
    and another date of birth) are refused, named with what differs, whichever way round."""
    zoe = gen.patient(mrn="W-7003", family_name="Ó Briain", given_name="Zoë", date_of_birth=date(1975, 11, 2))
    lan = gen.patient(mrn="W-7004", family_name="Nguyễn", given_name="Thị Lan", date_of_birth=date(1950, 1, 15))
    lans_case = gen.case(patient=lan)
    comparison = client.get(f"/patients/{zoe.id}/merge/{lan.id}?keep=chosen").get_data(as_text=True)
    assert "match none of the rules" in comparison and 'name="reason"' not in comparison
    assert "born 1950-01-15 (MRN W-7004)" in comparison
    response = _merge_refused(client, zoe, lan, comparison)
    assert "correct the wrong details on one record first" in response.get_data(as_text=True)
    assert db.session.get(Patient, lan.id).merged_into_id is None
    assert db.session.get(Case, lans_case.id).patient_id == lan.id


def test_with_one_account_deactivated_the_merge_keeps_the_account_in_use(client, coordinator, gen, pair):
    """Two records each with a patient account: once an admin deactivates the one not in use, the
    comparison keeps the record whose account is in use (from either record's warning), and the
    deactivated account stays with the record merged away, signing nobody in."""
    kept, duplicate, _ = pair
    old_account = gen.user(Role.PATIENT, patient=kept)
    in_use = gen.user(Role.PATIENT, patient=duplicate)
    old_account.active = False
    db.session.commit()
    opened = client.get(f"/patients/{kept.id}/merge/{duplicate.id}")
    assert opened.status_code == 302 and opened.location.endswith(f"/patients/{duplicate.id}/merge/{kept.id}")
    chosen = client.get(f"/patients/{kept.id}/merge/{duplicate.id}?keep=chosen").get_data(as_text=True)
    assert "account in use is on Garcia, Lucia" in chosen and 'name="reason"' not in chosen
    comparison = words(soup(client.get(opened.location)))
    assert (f"García, Lucía (MRN {kept.mrn}) keeps its patient account" not in comparison
            and f"Garcia, Lucia (MRN {duplicate.mrn}) keeps its patient account; the deactivated account of "
                f"García, Lucía (MRN {kept.mrn}) stays with" in comparison)
    assert f"{old_account.email} · deactivated · never signed in" in comparison
    assert _merge(client, duplicate, kept).status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, kept.id).merged_into_id == duplicate.id
    assert db.session.get(User, in_use.id).patient_id == duplicate.id
    assert db.session.get(User, old_account.id).patient_id == kept.id and not db.session.get(User, old_account.id).active


def test_two_records_each_with_an_account_are_not_merged_and_the_page_says_why(client, coordinator, gen, pair):
    kept, duplicate, _ = pair
    gen.user(Role.PATIENT, patient=kept)
    gen.user(Role.PATIENT, patient=duplicate)
    comparison = client.get(f"/patients/{kept.id}/merge/{duplicate.id}").get_data(as_text=True)
    assert "Both records have a patient account" in comparison and 'name="reason"' not in comparison
    assert "Both records have a patient account" in _merge_refused(client, kept, duplicate, comparison).get_data(as_text=True)
    assert db.session.get(Patient, duplicate.id).merged_into_id is None


@pytest.mark.parametrize("which,message", [
    ("itself", "A record cannot be merged into itself"),
    ("tombstone", "was already merged into"),
])
def test_a_merge_into_itself_or_into_a_tombstone_is_refused_with_the_reason(client, coordinator, gen, which, message):
    record = gen.patient()
    other = record
    if which == "tombstone":
        other = gen.patient()
        kept_elsewhere = gen.patient()
        other.merged_into_id = kept_elsewhere.id
        db.session.commit()
    for url in (f"/patients/{record.id}/merge/{other.id}", f"/patients/{other.id}/merge/{record.id}"):
        page = client.get(url).get_data(as_text=True)
        assert message in page and 'name="reason"' not in page


def test_a_comparison_refused_after_the_merge_does_not_call_the_record_merged_away_the_record_kept(
        client, coordinator, gen, pair):
    """Walkthrough: the comparison of a pair already merged (its link opened again, from either
    record) said "These records cannot be merged ... was already merged into ...", and under it
    headed the record merged away "Record kept" and the record kept "Merged into it". A refused
    comparison heads each record by its name and MRN, says which is merged away, and links to the
    record kept."""
    kept, duplicate, _ = pair
    assert _merge(client, kept, duplicate).status_code == 302
    for url in (f"/patients/{duplicate.id}/merge/{kept.id}", f"/patients/{kept.id}/merge/{duplicate.id}"):
        page = soup(client.get(url).get_data(as_text=True))
        headings = [words(h) for h in page.select("section.merge-side h2")]
        assert "Record kept" not in headings and "Merged into it" not in headings
        assert "García, Lucía (MRN A-100200)" in headings
        assert "Garcia, Lucia (MRN A-1002009): merged into García, Lucía (MRN A-100200)" in headings
        refused = page.find(id="merge-refused")
        assert refused.find("a", href=f"/patients/{kept.id}") is not None


def test_a_merge_without_a_reason_is_refused_next_to_the_field(client, coordinator, gen, pair):
    kept, duplicate, _ = pair
    response = _merge(client, kept, duplicate, reason="   ")
    assert response.status_code == 422
    assert "Say why these records are the same person" in field_error(response.get_data(as_text=True), "reason")
    db.session.expire_all()
    assert db.session.get(Patient, duplicate.id).merged_into_id is None


def test_a_merge_from_a_comparison_opened_before_a_correction_is_refused(client, make_client, coordinator, gen, pair):
    kept, duplicate, _ = pair
    url = f"/patients/{kept.id}/merge/{duplicate.id}"
    page = client.get(url).get_data(as_text=True)
    other = make_client()
    sign_in(other, gen.user(Role.PHYSICIAN))
    form = other.get(f"/patients/{duplicate.id}/edit").get_data(as_text=True)
    assert other.post(f"/patients/{duplicate.id}/edit", data={
        "csrf_token": csrf_from(form), "version_id": input_value(form, "version_id"), "family_name": "Garcia",
        "given_name": "Lucia", "date_of_birth": "1961-04-02", "sex": "female", "email": "new@example.org",
        "preferred_contact": "email", "language": "English", "confirm_not_duplicate": "y"}).status_code == 302

    response = client.post(url, data={"csrf_token": csrf_from(page), "reason": "same person",
                                      "kept_version": input_value(page, "kept_version"),
                                      "merged_version": input_value(page, "merged_version")})
    shown = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed, or was merged by someone else, after you opened this comparison" in shown
    assert "new@example.org" in shown  # the comparison as it is now; the reason typed kept
    assert "same person" in shown
    db.session.expire_all()
    assert db.session.get(Patient, duplicate.id).merged_into_id is None
    assert {c.patient_id for c in db.session.scalars(db.select(Case))} == {kept.id, duplicate.id}


def test_two_coordinators_merging_the_same_pair_at_once_one_wins_and_nothing_is_half_done(
        app, gen, pair, monkeypatch):
    """Two merges of the same pair, each in its own thread, session and connection (two requests),
    released together: one merges, the other is refused as stale (on PostgreSQL it waits on the
    first's row lock, then finds the version moved); the cases moved once, one pair of history rows.
    The work after the claim is slowed, so the second arrives while the first is still under way."""
    kept, duplicate, _ = pair
    standing = services._verdict_standing

    def slow_standing(cases):
        time.sleep(0.3)
        return standing(cases)

    monkeypatch.setattr(services, "_verdict_standing", slow_standing)
    ids = (kept.id, duplicate.id, kept.version_id, duplicate.version_id)
    actors = [gen.user(Role.COORDINATOR).id for _ in range(2)]
    barrier = threading.Barrier(2, timeout=30)
    outcomes = [None, None]

    def run(index, kept_id, merged_id, actor_id, swap):
        with app.app_context():
            try:
                a, b = db.session.get(Patient, kept_id), db.session.get(Patient, merged_id)
                versions = (ids[2], ids[3]) if not swap else (ids[3], ids[2])
                actor = db.session.get(User, actor_id)
                barrier.wait()
                services.merge_patients(a, b, "duplicate", actor, *versions)
                outcomes[index] = "merged"
            except (StaleEdit, services.MergeRefused) as refusal:
                outcomes[index] = f"refused: {type(refusal).__name__}"
            except Exception as error:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                outcomes[index] = f"crashed: {error!r}"
            finally:
                db.session.remove()

    # One merges duplicate into kept, the other the other way round: the claim takes the rows in id order.
    threads = [threading.Thread(target=run, args=(0, ids[0], ids[1], actors[0], False)),
               threading.Thread(target=run, args=(1, ids[1], ids[0], actors[1], True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["merged", "refused: StaleEdit"], outcomes
    db.session.expire_all()
    patients = {p.id: p for p in db.session.scalars(db.select(Patient).filter(Patient.id.in_(ids[:2])))}
    live = [p for p in patients.values() if p.merged_into_id is None]
    assert len(live) == 1
    assert {c.patient_id for c in db.session.scalars(db.select(Case))} == {live[0].id}
    # One merge's rows: merged in and merged away (and the contact details it carried over, once).
    assert len(db.session.scalars(db.select(PatientHistory).filter(PatientHistory.action.like("merged%"))).all()) == 2


def test_an_old_referral_link_to_a_merged_record_leads_to_the_record_kept_and_a_late_form_is_refused(
        client, coordinator, gen, pair):
    kept, duplicate, _ = pair
    form_page = client.get(f"/referrals/patients/{duplicate.id}/new").get_data(as_text=True)
    assert _merge(client, kept, duplicate).status_code == 302

    assert client.get(f"/referrals/patients/{duplicate.id}/new").location == f"/referrals/patients/{kept.id}/new"
    cases_before = db.session.scalars(db.select(Case.id)).all()
    response = client.post(f"/referrals/patients/{duplicate.id}/new",
                           data={**REFERRAL, "csrf_token": csrf_from(form_page)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "log the referral on that record instead" in page
    assert input_value(page, "referring_clinician") == REFERRAL["referring_clinician"]  # nothing typed lost
    assert db.session.scalars(db.select(Case.id)).all() == cases_before


def test_a_referral_logged_while_the_record_is_being_merged_never_lands_on_the_tombstone(
        app, gen, pair, monkeypatch):
    """A merge and a referral for the merged record at the same moment, each in its own thread and
    connection: either the referral comes first and its case moves with the merge, or it waits for
    the merge and is refused; no case is ever left on the tombstone."""
    from tracker.referrals import services as referrals
    from tracker.vocab import Indication, Side

    kept, duplicate, _ = pair
    standing = services._verdict_standing
    monkeypatch.setattr(services, "_verdict_standing", lambda cases: time.sleep(0.3) or standing(cases))
    ids = (kept.id, duplicate.id, kept.version_id, duplicate.version_id)
    actor_id = gen.user(Role.COORDINATOR).id
    barrier = threading.Barrier(2, timeout=30)
    outcomes = {}

    def run(name, work):
        with app.app_context():
            try:
                actor = db.session.get(User, actor_id)
                a, b = db.session.get(Patient, ids[0]), db.session.get(Patient, ids[1])
                barrier.wait()
                work(a, b, actor)
                outcomes[name] = "done"
            except services.RecordMerged:
                outcomes[name] = "refused"
            except Exception as error:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                outcomes[name] = f"crashed: {error!r}"
            finally:
                db.session.remove()

    def merge(a, b, actor):
        services.merge_patients(a, b, "duplicate", actor, ids[2], ids[3])

    def refer(a, b, actor):
        time.sleep(0.1)  # the merge has claimed the records and is under way
        referrals.refer(b, {"side": Side.RIGHT, "indication": Indication.DIAGNOSTIC, "referring_clinician": "Dr X",
                            "referral_date": date(2026, 11, 2)}, actor)

    threads = [threading.Thread(target=run, args=("merge", merge)), threading.Thread(target=run, args=("refer", refer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes["merge"] == "done" and outcomes["refer"] in ("done", "refused"), outcomes
    db.session.expire_all()
    assert {c.patient_id for c in db.session.scalars(db.select(Case))} == {kept.id}


@pytest.fixture
def maria(gen):
    """María registered at her first referral (Spanish, reached by text, booked), and again at a
    later one as a sparse new record (English, preferred contact email, no address)."""
    first = gen.patient(mrn="QA-7001", family_name="Ruiz", given_name="María", date_of_birth=date(1958, 6, 14),
                        language="Spanish", phone="+12015550123", preferred_contact=ContactChannel.SMS)
    booked = gen.case(patient=first, state=State.SCHEDULED)
    again = gen.patient(mrn="QA-7101", family_name="Ruiz", given_name="Maria", date_of_birth=date(1958, 6, 14),
                        language="English", preferred_contact=ContactChannel.EMAIL)
    return first, again, booked


def _post_merge(client, url, **extra):
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "reason": "Same name and date of birth; confirmed by phone",
            "kept_version": input_value(page, "kept_version"), "merged_version": input_value(page, "merged_version"),
            **{name: value for name, value in _ticked(page).items() if name.endswith("_from")}, **extra}
    return client.post(url, data=data)


def _ticked(page):
    return {tag["name"]: tag["value"] for tag in soup(page).find_all("input", attrs={"type": "radio"})
            if tag.has_attr("checked")}


def test_compare_and_merge_from_the_new_record_keeps_the_record_with_her_care(client, coordinator, maria):
    first, again, booked = maria
    link = soup(client.get(f"/patients/{again.id}")).find("a", string="compare and merge")
    assert link["href"] == f"/patients/{again.id}/merge/{first.id}"

    opened = client.get(link["href"])

    assert opened.status_code == 302 and opened.location == f"/patients/{first.id}/merge/{again.id}"
    page = client.get(opened.location).get_data(as_text=True)
    assert words(by_id(page, "record-" + str(first.id))) == "Record kept"
    # Where both records say something different, the choice defaults to the record kept's.
    assert _ticked(page) == {"language_from": "kept", "preferred_contact_from": "kept"}
    assert "Spanish (from Ruiz, María (MRN QA-7001))" in words(by_id(page, "language_from"))
    assert "English (from Ruiz, Maria (MRN QA-7101))" in words(by_id(page, "language_from"))

    response = _post_merge(client, opened.location)

    assert response.status_code == 302 and response.location.startswith(f"/patients/{first.id}")
    db.session.expire_all()
    kept = db.session.get(Patient, first.id)
    assert (kept.language, kept.preferred_contact, kept.phone) == ("Spanish", ContactChannel.SMS, "+12015550123")
    assert db.session.get(Case, booked.id).patient_id == first.id


def test_keeping_the_new_record_carries_over_her_phone_and_the_coordinator_chooses_language_and_contact(
        client, coordinator, maria):
    first, again, _ = maria
    url = f"/patients/{again.id}/merge/{first.id}?keep=chosen"
    page = client.get(url).get_data(as_text=True)
    assert client.get(url).status_code == 200  # a choice made on the page is not undone
    assert "Only Ruiz, María (MRN QA-7001) has these, so they are carried over: Phone: (201) 555-0123" in words(page)
    # Email with no address cannot reach her: her texts are the default.
    assert _ticked(page) == {"language_from": "kept", "preferred_contact_from": "merged"}

    response = _post_merge(client, url, language_from="merged")

    assert response.status_code == 302
    db.session.expire_all()
    kept = db.session.get(Patient, again.id)
    assert (kept.language, kept.preferred_contact, kept.phone) == ("Spanish", ContactChannel.SMS, "+12015550123")
    shown = words(client.get(f"/patients/{again.id}"))
    assert "Taken from the merged record: Language, Phone, Preferred contact." in shown
    assert "Language: English → Spanish" in shown and "Preferred contact: Email → Text message" in shown
    history = db.session.scalars(db.select(PatientHistory).filter_by(patient_id=again.id, action="edit")).all()
    assert {h.field for h in history} == {"language", "phone", "preferred_contact"}
    audit_row = db.session.scalars(db.select(AuditEvent).filter(
        AuditEvent.object_id == str(again.id), AuditEvent.summary.like("merged patient%"))).one()
    assert "taken from it: language, phone, preferred contact" in audit_row.summary


def test_a_preferred_contact_the_details_kept_cannot_honour_is_refused_next_to_the_choice(
        client, coordinator, maria):
    first, again, _ = maria
    url = f"/patients/{again.id}/merge/{first.id}?keep=chosen"

    response = _post_merge(client, url, preferred_contact_from="kept")

    assert response.status_code == 422
    assert "cannot be reached by this preferred contact" in field_error(response.get_data(as_text=True),
                                                                         "preferred_contact_from")
    db.session.expire_all()
    assert db.session.get(Patient, again.id).merged_into_id is None


def test_the_merge_says_when_the_patient_now_has_two_open_cases_for_the_same_joint(client, coordinator, gen, maria):
    first, again, booked = maria
    later = gen.case(patient=again, side=Side.BILATERAL, indication=Indication.THERAPEUTIC)
    gen.case(patient=again, side=Side.RIGHT, state=State.CLOSED)

    response = _post_merge(client, f"/patients/{first.id}/merge/{again.id}")

    shown = words(client.get(response.location))
    assert (f"Two open cases for the same joint: case {booked.id} (left, diagnostic block, scheduled) and case "
            f"{later.id} (bilateral, therapeutic injection, referred)") in shown
    assert shown.count("Two open cases for the same joint") == 1


def test_after_a_merge_the_open_cases_that_came_from_the_duplicate_are_listed_for_review_never_cancelled(
        client, coordinator, gen, maria):
    """The duplicate holds a mistaken "Left · Referred" case: before the merge the comparison says it
    will move and stay open; after it, the record kept lists it (a link to the case, where it can be
    cancelled) with a prompt to review it. Nothing is cancelled: the case stays referred. The record
    kept's own open case and the duplicate's closed one are not listed."""
    first, again, booked = maria
    mistaken = gen.case(patient=again, side=Side.LEFT, state=State.REFERRED)
    gen.case(patient=again, side=Side.RIGHT, state=State.CLOSED)
    url = f"/patients/{first.id}/merge/{again.id}"

    before = words(by_id(client.get(url).get_data(as_text=True), "open-cases-moving"))
    assert (f"Ruiz, Maria (MRN QA-7101) has 1 open case (case {mistaken.id}): it moves to Ruiz, María (MRN "
            f"QA-7001) and stays open.") in before

    response = _post_merge(client, url)
    page = client.get(response.location).get_data(as_text=True)

    panel = soup(page).find(id="moved-open-cases")
    assert panel is not None, "the record kept does not list the open cases that came from the duplicate"
    said = words(panel)
    assert "Open cases from the merged record" in said
    assert "came from Ruiz, Maria (MRN QA-7101)" in said and "cancel it on its page" in said
    assert [a["href"] for a in panel.find_all("a")] == [f"/cases/{mistaken.id}"]
    assert f"Case {mistaken.id}: Left · Diagnostic block · Referred" in said
    db.session.expire_all()
    assert db.session.get(Case, mistaken.id).state == State.REFERRED
    assert db.session.get(Case, mistaken.id).patient_id == first.id
    # The same page again (a reload) says the same; a case cancelled meanwhile is no longer listed.
    assert words(soup(client.get(response.location)).find(id="moved-open-cases")) == said
    db.session.get(Case, mistaken.id).state = State.CANCELLED
    db.session.commit()
    assert soup(client.get(response.location)).find(id="moved-open-cases") is None


def test_a_merge_of_a_duplicate_without_open_cases_lists_none(client, coordinator, gen, maria):
    first, again, _booked = maria
    gen.case(patient=again, side=Side.RIGHT, state=State.CLOSED)
    url = f"/patients/{first.id}/merge/{again.id}"
    assert soup(client.get(url)).find(id="open-cases-moving") is None

    response = _post_merge(client, url)

    assert soup(client.get(response.location)).find(id="moved-open-cases") is None


def _noon(day):
    from datetime import datetime, time

    from tracker.timeutil import clinic_zone
    return datetime.combine(day, time(12), clinic_zone())


def test_a_closed_block_over_the_cap_once_a_merge_brings_earlier_injections_says_so_with_the_caps_reports_day(
        client, coordinator, gen):
    """Her bilateral block (yesterday, noon clinic time) was within Medicare's 2 diagnostic blocks a
    year; the duplicate record carried two blocks given elsewhere (300 and 200 days ago). After the
    merge the closed case says the injection was over the cap, gives the day Reports › Caps gives
    for her next block, and offers no re-evaluation it could not do."""
    from tests.builders import make_procedure
    from tracker.models import CaseHistory, OutsideInjection, ProcedureRecord
    from tracker.policy.engine import next_session_day
    from tracker.reports import figures
    from tracker.reports.figures import Filters
    from tracker.timeutil import clinic_today

    today = clinic_today()
    injected = today - timedelta(days=1)
    kept = gen.patient(mrn="W-7001", family_name="Núñez Peña", given_name="María José", date_of_birth=date(1952, 7, 14))
    duplicate = gen.patient(mrn="W-7002", family_name="Nunes Pena", given_name="Maria Jose",
                            date_of_birth=date(1952, 7, 14))
    # Booked on an eligible verdict while her record held no earlier block.
    record = make_procedure(patient=kept, side=Side.BILATERAL, steps="all", sign=True)
    case = record.case
    record.started_at = _noon(injected)
    db.session.execute(db.update(CaseHistory).where(CaseHistory.case_id == case.id,
                                                    CaseHistory.action == "start_procedure").values(at=_noon(injected)))
    case.state = State.CLOSED
    db.session.commit()
    outside = [today - timedelta(days=300), today - timedelta(days=200)]
    for day in outside:
        db.session.add(OutsideInjection(patient=duplicate, performed_on=day, side=Side.LEFT,
                                        indication=Indication.DIAGNOSTIC, place="Hillside Spine", source="letter"))
    db.session.commit()

    merged = _merge(client, kept, duplicate)
    assert merged.status_code == 302

    [caps_row] = [row for row in figures.caps(Filters(start=today, end=today, default_profile="MEDICARE_LCD_2023"))
                  .figures[0].rows if row[1] == "W-7001"]
    next_day = next_session_day(sorted([*outside, injected]), 2, today)
    assert (caps_row[5], caps_row[6], caps_row[7], caps_row[8]) == (3, "none", 2, next_day)
    # The merge says it at once, on the record kept.
    assert (f"Case {case.id} (bilateral): its injection of {injected.isoformat()} was over the cap, counted with the "
            f"merged record's injections: diagnostic cap: this injection made 3 of 2 (patient), next from "
            f"{next_day.isoformat()}. Check the claim against the payer's cap.") in words(client.get(merged.location))
    page = client.get(f"/cases/{case.id}")
    html = page.get_data(as_text=True)
    shown = words(page)
    assert f"diagnostic cap: this injection made 3 of 2 (patient), next from {next_day.isoformat()}" in shown
    assert "diagnostic cap 2 of 2" not in shown
    # What it means, plainly, where a closed case can do nothing.
    assert "Re-evaluate" not in shown and "re-evaluate" not in shown
    assert 'action="/cases/%d/evaluate"' % case.id not in html
    assert (f"The injection of {injected.isoformat()} was given on this verdict, which is kept as it was. Counted with "
            f"the facts as they now stand, it did not meet: diagnostic cap: "
            f"this injection made 3 of 2 (patient), next from {next_day.isoformat()}. Check the claim against the "
            "payer's cap.") in shown


def test_after_a_merge_the_record_kept_takes_the_duplicates_mrn_and_is_found_by_it(client, coordinator, gen):
    """The record kept holds the care but was registered under a mistyped MRN; the duplicate merged
    into it had the hospital's real number. The kept record may take that number (the same
    person's); another record still may not, and is told which record holds it."""
    kept = gen.patient(mrn="A-100209", family_name="García", given_name="Lucía", date_of_birth=date(1961, 4, 2))
    gen.case(patient=kept)
    duplicate = gen.patient(mrn="A-100200", family_name="Garcia", given_name="Lucia", date_of_birth=date(1961, 4, 2))
    url = f"/patients/{kept.id}/merge/{duplicate.id}"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_from(page), "reason": "Same person: date of birth checked by phone",
                                  "kept_version": input_value(page, "kept_version"),
                                  "merged_version": input_value(page, "merged_version")}).status_code == 302
    form = {"family_name": "García", "given_name": "Lucía", "date_of_birth": "1961-04-02", "sex": "female",
            "phone": "(201) 555-0123", "email": "lucia@example.org", "preferred_contact": "sms", "language": "Spanish"}
    response = submit(client, f"/patients/{kept.id}/edit",
                      {**form, "mrn": "A-100200", "mrn_reason": "The merged duplicate had the hospital's number"})
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "mrn")
    db.session.expire_all()
    assert db.session.get(Patient, kept.id).mrn == "A-100200"
    found = client.get("/search?q=A-100200")
    assert found.status_code == 200
    assert [a.get_text(strip=True) for a in soup(found).select(f'a[href="/patients/{kept.id}"]')]
    assert not soup(found).select(f'a[href="/patients/{duplicate.id}"]')

    other = gen.patient(mrn="B-5", family_name="Okafor", given_name="Ada", date_of_birth=date(1970, 1, 1))
    response = submit(client, f"/patients/{other.id}/edit",
                      {**form, "family_name": "Okafor", "given_name": "Ada", "date_of_birth": "1970-01-01",
                       "mrn": "A-100200", "mrn_reason": "Typing slip"})
    assert response.status_code == 422
    assert "García, Lucía" in field_error(response.get_data(as_text=True), "mrn")
