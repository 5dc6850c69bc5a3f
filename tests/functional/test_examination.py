"""The physical examination: the six provocation tests per side, pain location, radicular signs,
baseline pain and the Oswestry Disability Index, saved through the form and summarised on the
case page; bad input and two people saving at once."""
from datetime import timedelta

import pytest

from tracker.clinical import PROVOCATION_TESTS
from tracker.extensions import db
from tracker.models import Examination
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.vocab import ProvocationResult
from tracker.workflow import State

from tests.helpers import conflict_notice, field_error, form_data, input_by_id, is_checked, soup, submit, text, words

TESTS = [test for test, _ in PROVOCATION_TESTS]


@pytest.fixture
def case(gen):
    return gen.case(state=State.UNDER_REVIEW)


def exam_url(case):
    return f"/cases/{case.id}/examination"


def provocation(left=0, right=0, negative_rest=True):
    """The first `left` tests positive on the left, the first `right` on the right; the rest negative."""
    other = "negative" if negative_rest else "not_done"
    data = {}
    for i, test in enumerate(TESTS):
        data[f"{test}_left"] = "positive" if i < left else other
        data[f"{test}_right"] = "positive" if i < right else other
    return data


def odi(*scores):
    """ODI answers for sections 1..10; missing trailing sections are left unanswered."""
    return {f"odi_{n}": (str(scores[n - 1]) if n <= len(scores) and scores[n - 1] is not None else "")
            for n in range(1, 11)}


def exam(left=4, right=2, nrs="7", sections=(2, 2, 2, 2, 2, 2, 2, 2, 2, 2), **extra):
    return {"examined_on": "", "pain_below_l5": "yes", "radicular_signs": "no", "baseline_nrs": nrs,
            "version_id": "", **provocation(left, right), **odi(*sections), **extra}


def typed(page, field_id):
    return input_by_id(page, field_id).get("value")


def saved_exam(case):
    db.session.expire_all()
    return db.session.execute(db.select(Examination).filter_by(case_id=case.id)).scalar_one_or_none()


def test_a_saved_examination_is_summarised_on_the_case_page(client, coordinator, case):
    response = submit(client, exam_url(case), exam(left=4, right=2, nrs="7"), follow_redirects=True)
    page = text(response)
    assert "Examination saved." in page
    # A left-sided case: the right joint's tests are recorded but not counted on its summary.
    assert "Positive provocation tests: Left 4 of 6." in page
    assert "Pain below L5: yes;" in page and "radicular signs: no;" in page
    assert "baseline pain: 7/10;" in page
    # Ten sections of 2: 20 of 50 points.
    assert "Oswestry: 40.0% (moderate)." in page

    record = saved_exam(case)
    assert record.results("left") == {t: "positive" if i < 4 else "negative" for i, t in enumerate(TESTS)}
    assert record.results("right") == {t: "positive" if i < 2 else "negative" for i, t in enumerate(TESTS)}
    assert (record.pain_below_l5, record.radicular_signs, record.baseline_nrs) == (True, False, 7)
    assert record.odi_sections == [2] * 10

    reopened = text(client.get(exam_url(case)))
    assert "Saved score: <strong>40.0%</strong> (moderate)." in reopened
    assert is_checked(reopened, "faber_left", "positive") and is_checked(reopened, "gaenslen_right", "positive")
    assert is_checked(reopened, "thigh_thrust_right", "negative") and is_checked(reopened, "pain_below_l5", "yes")
    assert all(is_checked(reopened, f"odi_{n}", "2") for n in range(1, 11))


@pytest.mark.parametrize("sections, shown", [
    pytest.param((1,) * 10, "Oswestry: 20.0% (minimal).", id="20-percent-is-still-minimal"),
    pytest.param((2,) * 10, "Oswestry: 40.0% (moderate).", id="40-percent-is-still-moderate"),
    pytest.param((2,) * 9 + (3,), "Oswestry: 42.0% (severe).", id="just-over-40-is-severe"),
    pytest.param((4,) * 10, "Oswestry: 80.0% (crippled).", id="80-percent-is-still-crippled"),
    pytest.param((5,) * 10, "Oswestry: 100.0% (bed-bound).", id="100-percent-is-bed-bound"),
])
def test_the_oswestry_band_follows_the_score_at_its_boundaries(client, coordinator, case, sections, shown):
    page = text(submit(client, exam_url(case), exam(sections=sections), follow_redirects=True))
    assert shown in page


def test_eight_answered_oswestry_sections_give_a_score_over_those_eight(client, coordinator, case):
    # 8 sections of 3: 24 of 40 points = 60%, the top of "severe"; 24 of 50 would have been 48%.
    sections = (3, 3, 3, None, 3, 3, 3, None, 3, 3)
    page = text(submit(client, exam_url(case), exam(sections=sections), follow_redirects=True))
    assert "Examination saved." in page
    assert "Oswestry: 60.0% (severe)." in page
    assert saved_exam(case).odi_sections == [3, 3, 3, None, 3, 3, 3, None, 3, 3]


def test_an_examination_without_any_oswestry_answers_is_saved_without_a_score(client, coordinator, case):
    page = text(submit(client, exam_url(case), exam(sections=()), follow_redirects=True))
    assert "Examination saved." in page and "Oswestry: not scored." in page


@pytest.mark.parametrize("nrs", ["11", "-1", "abc"])
def test_baseline_pain_outside_0_to_10_is_refused_next_to_the_field(client, coordinator, case, nrs):
    response = submit(client, exam_url(case), exam(nrs=nrs, left=5))
    page = text(response)
    assert response.status_code == 422
    assert "Pain is scored from 0 (no pain) to 10" in (field_error(page, "baseline_nrs") or "")
    assert typed(page, "baseline_nrs") == nrs, "the typed pain score must be kept"
    assert is_checked(page, "yeoman_left", "negative")  # 6th test negative as typed
    assert is_checked(page, "distraction_left", "positive")  # 5th test positive as typed
    assert is_checked(page, "pain_below_l5", "yes") and is_checked(page, "radicular_signs", "no")
    assert saved_exam(case) is None


def test_baseline_pain_at_the_limits_0_and_10_is_accepted(client, coordinator, case, gen):
    assert "baseline pain: 10/10" in text(submit(client, exam_url(case), exam(nrs="10"), follow_redirects=True))
    other = gen.case(state=State.UNDER_REVIEW)
    assert "baseline pain: 0/10" in text(submit(client, exam_url(other), exam(nrs="0"), follow_redirects=True))


def test_an_examination_date_in_the_future_is_refused_next_to_the_field(client, coordinator, case):
    future = (clinic_today() + timedelta(days=2)).isoformat()
    response = submit(client, exam_url(case), exam(examined_on=future))
    page = text(response)
    assert response.status_code == 422
    assert "This date is in the future" in (field_error(page, "examined_on") or "")
    assert typed(page, "examined_on") == str(future)
    assert saved_exam(case) is None


def test_seven_oswestry_sections_are_refused_and_the_answers_stay_in_the_form(client, coordinator, case):
    sections = (4, 1, 3, 0, 5, 2, 4)
    response = submit(client, exam_url(case), exam(sections=sections, nrs="6"))
    page = text(response)
    assert response.status_code == 422
    error = field_error(page, "odi") or ""
    assert "Answer at least 8 of the 10 Oswestry sections" in error and "(7 answered)" in error
    for n, score in enumerate(sections, start=1):
        assert is_checked(page, f"odi_{n}", str(score)), f"section {n} lost its typed answer"
    assert is_checked(page, "odi_8", "") and is_checked(page, "odi_10", ""), "unanswered stays unanswered"
    assert typed(page, "baseline_nrs") == "6"
    assert saved_exam(case) is None


def test_two_people_saving_the_same_examination_the_second_is_refused(client, coordinator, case, gen,
                                                                      make_client, login_as):
    existing = Examination(case=case, baseline_nrs=5, pain_below_l5=True, radicular_signs=False)
    db.session.add(existing)
    db.session.commit()
    opened_version = existing.version_id
    other = login_as(gen.user(Role.PHYSICIAN), on=make_client())

    first = submit(client, exam_url(case), exam(left=3, nrs="8", version_id=opened_version))
    assert first.status_code == 302

    second = submit(other, exam_url(case), exam(left=1, nrs="2", version_id=opened_version))
    page = text(second)
    assert second.status_code == 409
    assert "Someone else saved this record after you opened it. Nothing was saved" in page
    # The refusal points where the saved values are: below it, in the list of differences.
    said = soup(page).find(string=lambda words: words and "Someone else saved this record" in words)
    assert "shown below" in said and "above" not in said
    assert said.find_next(string=lambda words: words and "Where the saved record and your form differ" in words)
    notice = conflict_notice(page)
    assert notice and "Baseline pain (0–10): saved <strong>8</strong>, your form <strong>2</strong>" in notice
    assert typed(page, "baseline_nrs") == "2", "the second person's entry must be kept"
    assert is_checked(page, "faber_left", "positive") and is_checked(page, "gaenslen_left", "negative"), \
        "the second person's taps must be kept"
    assert all(is_checked(page, f"odi_{n}", "2") for n in range(1, 11))

    record = saved_exam(case)
    assert record.baseline_nrs == 8
    assert record.results("left")["thigh_thrust"] == ProvocationResult.POSITIVE.value


def test_two_people_recording_the_first_examination_at_once_the_second_is_refused(
        client, coordinator, case, gen, make_client, login_as):
    other = login_as(gen.user(Role.COORDINATOR), on=make_client())
    assert submit(client, exam_url(case), exam(nrs="8")).status_code == 302
    second = submit(other, exam_url(case), exam(nrs="3"))  # opened before the first save: no version
    assert second.status_code == 409
    assert saved_exam(case).baseline_nrs == 8


def test_a_conflict_shows_yes_no_and_not_recorded_in_words(client, coordinator, case, gen, make_client,
                                                          login_as):
    existing = Examination(case=case, baseline_nrs=5, pain_below_l5=True, radicular_signs=False)
    db.session.add(existing)
    db.session.commit()
    opened_version = existing.version_id
    other = login_as(gen.user(Role.PHYSICIAN), on=make_client())
    assert submit(client, exam_url(case), exam(nrs="5", version_id=opened_version)).status_code == 302
    second = submit(other, exam_url(case), {**exam(nrs="5", version_id=opened_version),
                                            "radicular_signs": "yes"})
    notice = conflict_notice(text(second))
    # In the form's own words (its choices' labels).
    assert notice and "saved <strong>No</strong>, your form <strong>Yes</strong>" in notice
    assert "False" not in notice and "None" not in notice


def test_after_a_conflict_each_persons_change_is_kept_and_a_second_save_stores_both(
        client, coordinator, case, gen, make_client, login_as):
    """A colleague corrects the baseline pain; this user, on a form opened before, ticks Gaenslen
    on the left. The refused form takes the colleague's baseline (left alone here) and keeps the
    tick: saving again stores both, and nothing is listed as changed by both."""
    assert submit(client, exam_url(case), exam(left=2, nrs="7")).status_code == 302
    other = login_as(gen.user(Role.PHYSICIAN), on=make_client())
    page = other.get(exam_url(case)).get_data(as_text=True)
    mine = form_data(soup(page).find("input", attrs={"name": "version_id"}).find_parent("form"))
    version = str(saved_exam(case).version_id)
    assert submit(client, exam_url(case), exam(left=2, nrs="4", version_id=version)).status_code == 302

    refused = submit(other, exam_url(case), {**mine, "gaenslen_left": "positive"})
    assert refused.status_code == 409
    again = form_data(soup(refused.get_data(as_text=True)).find("input", attrs={"name": "version_id"})
                      .find_parent("form"))
    assert again["baseline_nrs"] == "4" and again["gaenslen_left"] == "positive"
    assert conflict_notice(text(refused)) is None
    assert submit(other, exam_url(case), again).status_code == 302
    record = saved_exam(case)
    assert record.baseline_nrs == 4 and record.gaenslen_left == ProvocationResult.POSITIVE


# ------------------------------------------------------------------ radios for a tablet

def test_each_answer_is_a_labelled_radio_and_the_oswestry_sections_show_their_wording(client, coordinator, case):
    page = text(client.get(exam_url(case)))
    assert soup(page).find("select") is None, "no drop-downs left on the examination"
    faber_left = soup(page).find("fieldset", id="faber_left")
    assert words(faber_left.legend) == "FABER (Patrick), Left"
    assert [words(label) for label in faber_left.find_all("label")] == ["Positive", "Negative", "Not done"]
    assert is_checked(page, "faber_left", "not_done"), "a test not yet done starts as not done"
    walking = soup(page).find("fieldset", id="odi_4")
    assert words(walking.legend) == "4. Walking"
    assert [words(label) for label in walking.find_all("label")] == [
        "Pain does not prevent me walking any distance.", "Pain prevents me from walking more than 1 mile.",
        "Pain prevents me from walking more than a quarter of a mile.",
        "Pain prevents me from walking more than 100 yards.", "I can only walk using a stick or crutches.",
        "I am in bed most of the time.", "Not answered"]
    assert [tag["value"] for tag in walking.find_all("input")] == ["0", "1", "2", "3", "4", "5", ""]
    assert is_checked(page, "odi_4", "") and is_checked(page, "pain_below_l5", "")


def test_the_statement_chosen_is_stored_as_its_score_and_read_by_eligibility_as_before(client, coordinator, case):
    sections = (0, 1, 2, 3, 4, 5, 0, None, 1, 2)
    page = text(submit(client, exam_url(case), exam(left=3, right=0, sections=sections), follow_redirects=True))
    assert "Positive provocation tests: Left 3 of 6." in page
    # 18 points over the 9 sections answered (45): 40%.
    assert "Oswestry: 40.0% (moderate)." in page
    record = saved_exam(case)
    assert record.odi_sections == list(sections)
    assert record.results("left")["thigh_thrust"] == "positive" and record.results("left")["yeoman"] == "negative"


def test_an_unknown_test_result_is_refused_next_to_its_side_and_the_rest_is_kept(client, coordinator, case):
    response = submit(client, exam_url(case), exam(left=2, nrs="6", faber_right="maybe"))
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "faber_right") == "Not a valid choice."
    assert is_checked(page, "gaenslen_left", "positive") and typed(page, "baseline_nrs") == "6"
    assert saved_exam(case) is None
