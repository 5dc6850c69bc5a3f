"""Conservative care: therapy rows added, edited and removed through the form, the totals the page
shows (as the eligibility engine counts them), bad input, two people editing one row, and the
review closing once the procedure has started."""
import re
from datetime import timedelta

import pytest

from tracker.extensions import db
from tracker.models import ConservativeCare
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.vocab import Response, TherapyKind
from tracker.workflow import State

from tests.helpers import conflict_notice, field_error, soup, submit, text, words


@pytest.fixture
def case(gen):
    return gen.case(state=State.UNDER_REVIEW)


def days_ago(n):
    return clinic_today() - timedelta(days=n)


def care_url(case):
    return f"/cases/{case.id}/conservative-care"


def therapy(kind="physical_therapy", start=None, end=None, response="none", details=""):
    return {"kind": kind, "start_date": start.isoformat() if start else "",
            "end_date": end.isoformat() if end else "", "response": response, "details": details}


def listed(page):
    """The therapies table as the user reads it: one tuple of cell texts per row."""
    return [tuple(words(cell) for cell in row.find_all("td")[:5])
            for row in soup(page).find("tbody").find_all("tr")]


def rows(case):
    db.session.expire_all()
    return db.session.execute(db.select(ConservativeCare).filter_by(case_id=case.id)
                              .order_by(ConservativeCare.id)).scalars().all()


def test_adding_therapies_shows_each_row_and_totals_that_count_overlapping_days_once(client, coordinator, case):
    # Physical therapy 40..20 days ago (21 days), then medication 30..10 days ago (21 days, 11 of
    # them overlapping): the union is 40..10 days ago, 31 days.
    first = submit(client, care_url(case), therapy("physical_therapy", days_ago(40), days_ago(20),
                                                   details="6 sessions"), follow_redirects=True)
    page = text(first)
    assert "Therapy added." in page
    assert listed(page) == [("Physical therapy", days_ago(40).isoformat(), days_ago(20).isoformat(),
                             "No relief", "6 sessions")]
    assert "(21 days, overlaps counted once;" in page
    # Medicare (the default profile) asks for both components, each for 14 days at least.
    assert "medication trial <strong>0 days</strong> (needs 14: not yet)" in page
    assert "active therapy <strong>21 days</strong> (needs 14)" in page

    second = submit(client, care_url(case), therapy("medication", days_ago(30), days_ago(10),
                                                    response="partial", details="naproxen 500 mg"),
                    follow_redirects=True)
    page = text(second)
    assert ("Medication (NSAIDs, analgesics, opioids)", days_ago(30).isoformat(), days_ago(10).isoformat(),
            "Partial relief", "naproxen 500 mg") in listed(page)
    assert "Failed conservative care: <strong>4.4 weeks</strong> (31 days, overlaps counted once;" in page, \
        "overlapping therapy days must be counted once (21 + 21 - 11 = 31)"
    assert "medication trial <strong>21 days</strong> (needs 14); active therapy <strong>21 days</strong>" in page
    assert len(rows(case)) == 2

    summary = text(client.get(f"/cases/{case.id}"))
    assert "2 therapies;" in summary and "failed care <strong>4.4 weeks</strong>" in summary
    assert "among them medication trial <strong>21 days</strong> (needs 14); active therapy" in summary


def test_a_therapy_that_helped_well_is_not_counted_as_failed_care(client, coordinator, case):
    submit(client, care_url(case), therapy("physical_therapy", days_ago(60), days_ago(31)))
    page = text(submit(client, care_url(case), therapy("massage", days_ago(30), days_ago(1),
                                                        response="good"), follow_redirects=True))
    assert [row[0] for row in listed(page)] == ["Physical therapy", "Massage"]
    assert "(30 days, overlaps counted once;" in page


def test_editing_a_therapy_changes_its_row_and_the_totals(client, coordinator, case, gen):
    row = gen.therapy(case, kind=TherapyKind.REST, start_date=days_ago(20), end_date=days_ago(11),
                      response=Response.NONE)
    page = text(client.get(f"{care_url(case)}/{row.id}"))
    assert "Edit therapy" in page and f'name="version_id" type="hidden" value="{row.version_id}"' in page
    response = submit(client, f"{care_url(case)}/{row.id}",
                      {**therapy("home_exercise", days_ago(34), days_ago(11), response="partial",
                                 details="daily core programme"), "version_id": row.version_id},
                      follow_redirects=True)
    page = text(response)
    assert "Therapy updated." in page
    assert listed(page) == [("Home exercise programme", days_ago(34).isoformat(), days_ago(11).isoformat(),
                             "Partial relief", "daily core programme")]
    assert "(24 days, overlaps counted once;" in page
    saved = rows(case)[0]
    assert (saved.kind, saved.start_date, saved.response) == (TherapyKind.HOME_EXERCISE, days_ago(34),
                                                              Response.PARTIAL)


def test_removing_a_therapy_takes_it_off_the_list_and_the_totals(client, coordinator, case, gen):
    keep = gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=days_ago(40),
                       end_date=days_ago(31))
    gone = gen.therapy(case, kind=TherapyKind.MEDICATION, start_date=days_ago(20), end_date=days_ago(11))
    response = submit(client, f"{care_url(case)}/{gone.id}/remove", {"version_id": gone.version_id},
                      form_page=care_url(case), follow_redirects=True)
    page = text(response)
    assert "Therapy removed." in page
    assert [row[0] for row in listed(page)] == ["Physical therapy"]
    assert "medication trial <strong>0 days</strong> (needs 14: not yet)" in page
    assert "(10 days, overlaps counted once;" in page
    assert [r.id for r in rows(case)] == [keep.id]


def test_an_ongoing_therapy_shows_as_ongoing_and_counts_up_to_today(client, coordinator, case):
    page = text(submit(client, care_url(case), therapy("physical_therapy", days_ago(13), None),
                       follow_redirects=True))
    assert listed(page) == [("Physical therapy", days_ago(13).isoformat(), "ongoing", "No relief", "—")]
    assert "(14 days, overlaps counted once;" in page
    assert rows(case)[0].end_date is None


def test_the_ongoing_rehabilitation_flag_is_saved_and_shown_on_the_case(client, coordinator, case):
    url = f"{care_url(case)}/rehab"
    assert "ongoing rehab not recorded" in text(client.get(f"/cases/{case.id}"))
    page = text(submit(client, url, {"ongoing_active_rehab": "yes", "version_id": case.version_id},
                       form_page=care_url(case), follow_redirects=True))
    assert "Ongoing rehabilitation saved." in page
    assert '<option selected value="yes">Yes</option>' in page
    db.session.expire_all()
    assert case.ongoing_active_rehab is True
    assert "ongoing rehab yes" in text(client.get(f"/cases/{case.id}"))

    submit(client, url, {"ongoing_active_rehab": "no", "version_id": case.version_id}, form_page=care_url(case))
    db.session.expire_all()
    assert case.ongoing_active_rehab is False
    assert "ongoing rehab no" in text(client.get(f"/cases/{case.id}"))


BAD_THERAPIES = [
    pytest.param({"start_date": 10, "end_date": 12}, "end_date", "The end date is before the start date.",
                 id="end-before-start"),
    pytest.param({"start_date": -2, "end_date": None}, "start_date",
                 "This date is in the future; check the day, month and year.", id="start-in-future"),
    pytest.param({"end_date": -3}, "end_date", "This date is in the future; check the day, month and year.",
                 id="end-in-future"),
    pytest.param({"kind": ""}, "kind", "Choose the kind of therapy.", id="no-kind"),
    pytest.param({"response": ""}, "response", "Choose how the patient responded.", id="no-response"),
]


@pytest.mark.parametrize("change, field_id, message", BAD_THERAPIES)
def test_bad_therapy_input_is_explained_next_to_the_field_keeps_what_was_typed_and_saves_nothing(
        client, coordinator, case, change, field_id, message):
    data = therapy("medication", days_ago(30), days_ago(20), details="ibuprofen 400 mg tds")
    for name, value in change.items():
        if name.endswith("_date"):
            data[name] = days_ago(value).isoformat() if value is not None else ""
        else:
            data[name] = value
    response = submit(client, care_url(case), data)
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, field_id) == message
    assert f'id="{field_id}"' in page and 'aria-invalid="true"' in page
    assert 'value="ibuprofen 400 mg tds"' in page
    if data["start_date"]:
        assert f'value="{data["start_date"]}"' in page
    if data["kind"]:
        assert f'<option selected value="{data["kind"]}">' in page
    if data["response"]:
        assert f'<option selected value="{data["response"]}">' in page
    assert rows(case) == []


def test_a_second_save_of_the_same_therapy_from_a_stale_form_is_refused_and_the_first_stays(
        client, coordinator, case, gen, make_client, login_as):
    row = gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=days_ago(40),
                      end_date=days_ago(20), details="")
    opened_version = row.version_id
    other = login_as(gen.user(Role.COORDINATOR), on=make_client())
    edit_url = f"{care_url(case)}/{row.id}"

    first = submit(client, edit_url, {**therapy("physical_therapy", days_ago(40), days_ago(15),
                                                details="first coordinator"), "version_id": opened_version})
    assert first.status_code == 302

    second = submit(other, edit_url, {**therapy("physical_therapy", days_ago(40), days_ago(25),
                                                response="partial", details="second coordinator"),
                                      "version_id": opened_version})
    page = text(second)
    assert second.status_code == 409
    assert "Someone else saved this record after you opened it. Nothing was saved" in page
    notice = conflict_notice(page)
    assert notice, "the saved values should be shown next to the refused form"
    assert "first coordinator" in notice and days_ago(15).isoformat() in notice
    assert 'value="second coordinator"' in page, "the second user's typing must be kept"

    saved = rows(case)[0]
    assert (saved.details, saved.end_date, saved.response) == ("first coordinator", days_ago(15), Response.NONE)


def test_removing_a_therapy_someone_else_just_edited_is_refused(client, coordinator, case, gen):
    row = gen.therapy(case, start_date=days_ago(40), end_date=days_ago(20))
    stale = row.version_id
    submit(client, f"{care_url(case)}/{row.id}", {**therapy("physical_therapy", days_ago(40), days_ago(18)),
                                                  "version_id": stale})
    page = text(submit(client, f"{care_url(case)}/{row.id}/remove", {"version_id": stale},
                       form_page=care_url(case), follow_redirects=True))
    assert "Someone else saved this record after you opened it" in page
    assert len(rows(case)) == 1


@pytest.mark.parametrize("state", [State.IN_PROCEDURE, State.FOLLOW_UP, State.CLOSED])
def test_conservative_care_cannot_change_once_the_procedure_has_started(client, coordinator, gen, state):
    case = gen.case(state=state)
    row = gen.therapy(case, start_date=days_ago(40), end_date=days_ago(20), details="as documented")
    label = state.label.lower()

    added = submit(client, care_url(case), therapy("medication", days_ago(10), days_ago(5)))
    assert added.status_code == 409
    assert f"The review can no longer change: the case is {label}." in text(added)

    edited = submit(client, f"{care_url(case)}/{row.id}",
                    {**therapy("physical_therapy", days_ago(40), days_ago(30), details="changed"),
                     "version_id": row.version_id})
    assert f"The review can no longer change: the case is {label}." in text(edited)

    removed = submit(client, f"{care_url(case)}/{row.id}/remove", {"version_id": row.version_id},
                     form_page=care_url(case), follow_redirects=True)
    assert f"The review can no longer change: the case is {label}." in text(removed)

    rehab = submit(client, f"{care_url(case)}/rehab", {"ongoing_active_rehab": "yes",
                                                        "version_id": case.version_id},
                   form_page=care_url(case), follow_redirects=True)
    assert f"The review can no longer change: the case is {label}." in text(rehab)

    saved = rows(case)
    assert [(r.details, r.end_date) for r in saved] == [("as documented", days_ago(20))]
    assert case.ongoing_active_rehab is None
    assert f'href="{care_url(case)}"' not in text(client.get(f"/cases/{case.id}")), \
        "the case page should not offer to edit conservative care any more"


def test_the_totals_count_as_the_payer_does_failed_courses_inside_its_window(coordinator, client, gen):
    # CAM 770HB counts six weeks within six months: a course a year ago is outside its window,
    # and a medication that worked well is not a failed medication trial.
    case = gen.case(state=State.UNDER_REVIEW, payer_profile_code="CAM_770HB")
    gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=days_ago(400),
                end_date=days_ago(330), response=Response.NONE)
    gen.therapy(case, kind=TherapyKind.PHYSICAL_THERAPY, start_date=days_ago(30),
                end_date=days_ago(17), response=Response.NONE)
    gen.therapy(case, kind=TherapyKind.MEDICATION, start_date=days_ago(30),
                end_date=days_ago(10), response=Response.GOOD)
    page = text(client.get(care_url(case)))
    since = (clinic_today() - timedelta(days=182)).isoformat()
    assert f"<strong>2.0 weeks</strong> (14 days since {since}, overlaps counted once; needs 42 days)" in page
    # CAM names no kinds and asks for no component; the year-old course is left out, with why.
    assert "no particular kind asked for by this profile" in page
    assert "(ended before the look-back window from" in page


def test_care_that_ended_before_the_symptom_onset_warns_when_saved_and_is_left_out_with_why(
        client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW, symptom_onset=days_ago(100))
    response = submit(client, care_url(case), therapy("physical_therapy", days_ago(200), days_ago(101)),
                      follow_redirects=True)
    page = text(response)
    assert "Therapy added." in page
    assert (f"This therapy ended on {days_ago(101).isoformat()}, before the symptom onset on "
            f"{days_ago(100).isoformat()}: it belongs to another episode") in page
    assert "(0 days, overlaps counted once;" in page
    assert (f"Left out of the count: physical therapy {days_ago(200).isoformat()} to {days_ago(101).isoformat()} "
            f"(ended before the symptom onset on {days_ago(100).isoformat()}: another episode)") in page
    # Ending on the onset day is this episode's care: no warning.
    page = text(submit(client, care_url(case), therapy("physical_therapy", days_ago(130), days_ago(100)),
                       follow_redirects=True))
    assert "before the symptom onset on" not in page.split("Left out of the count", 1)[0]


def test_passive_care_is_listed_as_not_counted_under_medicare(client, coordinator, case):
    page = text(submit(client, care_url(case), therapy("rest", days_ago(60), days_ago(1)), follow_redirects=True))
    assert "(0 days, overlaps counted once;" in page
    assert "(not a kind this profile counts)" in page


def test_the_case_page_says_what_the_count_left_out_in_a_sentence_of_its_own(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW, symptom_onset=days_ago(100))
    submit(client, care_url(case), therapy("physical_therapy", days_ago(200), days_ago(101)))
    summary = words(text(client.get(f"/cases/{case.id}")))
    assert ".;" not in summary and "; ongoing rehab" in summary
    assert re.search(r"ongoing rehab [a-z ]+\.\s*Left out of the count: physical therapy", summary)


def test_a_course_begun_before_the_symptom_onset_counts_only_its_days_from_the_onset_on_the_page_and_verdict(
        client, coordinator, gen):
    """DESIGN.md section 4: care before the onset belongs to another episode. A course that began
    before it and went on after it counts from the onset, on the totals and in the verdict."""
    case = gen.case(state=State.UNDER_REVIEW, symptom_onset=days_ago(200))
    page = text(submit(client, care_url(case), therapy("physical_therapy", days_ago(60), days_ago(36)),
                       follow_redirects=True))
    assert "<strong>3.6 weeks</strong> (25 days, overlaps counted once; needs 28 days)" in page

    # 102 days of chiropractic, of which 2 fall on or after the onset: 27 days, not 127.
    page = text(submit(client, care_url(case), therapy("chiropractic", days_ago(300), days_ago(199)),
                       follow_redirects=True))
    assert "Therapy added." in page and "before the symptom onset on" not in page
    assert "<strong>3.9 weeks</strong> (27 days, overlaps counted once; needs 28 days)" in page
    clipped = (f"chiropractic / manipulation {days_ago(300).isoformat()} to {days_ago(199).isoformat()}: 2 days on "
               f"or after the onset of {days_ago(200).isoformat()} count")
    assert f"Counted from the symptom onset: {clipped}." in words(page)
    assert f"Counted from the symptom onset: {clipped}." in words(text(client.get(f"/cases/{case.id}")))

    page = text(submit(client, f"/cases/{case.id}/eligibility/evaluate", {"version_id": case.version_id},
                       form_page=f"/cases/{case.id}", follow_redirects=True))
    row = soup(page).find("th", scope="row", string="Failed conservative care").find_parent("tr")
    assert "Not met" in words(row.find_all("td")[0])
    assert words(row.find_all("td")[1]) == (f"failed conservative care 27 days, needs 28 days; counted from the onset: "
                                            f"{clipped}")


def test_removing_a_therapy_keeps_what_it_said_in_the_audit_trail(client, coordinator, case, gen):
    """A therapy counts towards the payer's weeks of failed care; removed, its row is deleted. The
    audit row of its removal named only "therapy removed" (its creation names no values either), so
    nothing anywhere said what was taken out of the count. As for a closure or an injection given
    elsewhere, the removal's audit row keeps the fields it had."""
    from tracker.models import AuditEvent

    gone = gen.therapy(case, kind=TherapyKind.MEDICATION, start_date=days_ago(20), end_date=days_ago(11),
                       response=Response.NONE)
    submit(client, f"{care_url(case)}/{gone.id}/remove", {"version_id": gone.version_id}, form_page=care_url(case))
    event = db.session.execute(db.select(AuditEvent).filter_by(object_type="conservative_care", object_id=str(gone.id))
                               .order_by(AuditEvent.id.desc())).scalars().first()
    assert "removed" in event.summary
    changed = {change["field"]: change.get("old") for change in event.changes or ()}
    assert changed.get("kind") == "medication" and changed.get("start_date") == days_ago(20).isoformat()
    assert changed.get("end_date") == days_ago(11).isoformat() and changed.get("response") == "none"


def test_an_end_date_typed_in_part_or_impossible_is_refused_never_saved_as_ongoing(client, coordinator, case):
    """A date box holding "06/31/2026" (or no year) sends nothing, as an empty one does; the page's
    script names it in `incomplete_dates` (static/js/dates.js). Read as empty, the therapy would be
    "ongoing" and its weeks would run on to today: the criterion would count care that ended."""
    response = submit(client, care_url(case), {**therapy(start=days_ago(200)), "incomplete_dates": "end_date"})

    assert response.status_code == 422
    assert field_error(text(response), "end_date") == (
        "Enter a full date (month, day and year), or leave the box empty.")
    assert rows(case) == []
    # What was typed elsewhere is kept.
    assert f'value="{days_ago(200).isoformat()}"' in text(response)


def test_ongoing_failing_care_says_the_day_it_will_be_enough(client, coordinator, gen):
    """A medication trial and physical therapy still going on and still failing: the page gave the
    days so far ("18 days … needs 28 days", "13 days (needs 14: not yet)") but not when the count
    would be enough, the day the verdict turns and the case is worth evaluating again."""
    case = gen.case(state=State.UNDER_REVIEW, symptom_onset=days_ago(200))
    submit(client, care_url(case), therapy("physical_therapy", days_ago(17), None, "partial"))
    page = words(text(submit(client, care_url(case), therapy("medication", days_ago(12), None, "none"),
                             follow_redirects=True)))
    weeks, medication = days_ago(-10).isoformat(), days_ago(-1).isoformat()
    assert f"(18 days, overlaps counted once; needs 28 days) enough on {weeks} if the ongoing care goes on failing" in page
    assert f"medication trial 13 days (needs 14: not yet, enough on {medication} if it goes on failing)" in page
    # The assessment's shortfall (the worklist's "waiting for") gives the same day.
    summary = words(text(client.get(f"/cases/{case.id}")))
    assert f"conservative care 2 of 4 weeks, enough on {weeks}" in summary
    assert f"medication trial 13 of 14 days, enough on {medication}" in summary


def test_care_that_ended_short_names_no_day(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW, symptom_onset=days_ago(200))
    page = words(text(submit(client, care_url(case), therapy("physical_therapy", days_ago(30), days_ago(20)),
                             follow_redirects=True)))
    assert "(11 days, overlaps counted once; needs 28 days)" in page and "enough on" not in page


def test_the_form_says_which_day_to_enter_when_only_the_month_is_known(client, coordinator, case):
    """Referral letters say "PT since July": a date box takes no month alone, and a coordinator who
    picks the 1st adds up to a month of failed care the patient may not have had, the number that
    decides coverage. The boxes say which day keeps the count on the safe side."""
    page = soup(client.get(care_url(case)).get_data(as_text=True))

    started = page.find(id="start_date-hint").get_text()
    ended = page.find(id="end_date-hint").get_text()
    assert "Only the month known? Enter its last day" in started
    assert "Leave empty if the therapy is ongoing." in ended and "Only the month known? Enter its first day" in ended
