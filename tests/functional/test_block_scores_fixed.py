"""The block's scores are measurements taken on time: the score before the injection (what relief is
measured from) and the scores of the first six hours (the anaesthetic window, the block's result).
A correction of one of them after its window closed (the baseline's closes at the injection) would
be a memory typed days later, and it turned a negative block positive: a reviewer's probe corrected
the 1-hour score from 6 to 1 two days after its window, and the baseline from 6 to 8 three days
after the injection, and each block then read positive (87.5 %, 75 %), while the same value typed
as a late score is never counted. Such a correction of the score is refused, said next to it, with
what to do instead (the outcome's result recorded with a reason); the entry's answers (medicines,
exercise) may still be corrected, and the later points' scores as before."""
from tracker.diary.outcome import read_outcome_diary
from tracker.diary.relief import DiagnosticResult
from tracker.extensions import db
from tracker.models import DiaryEntry, DiaryPoint

from tests.builders import diary_moved_back, followed_up
from tests.helpers import by_id, submit, text, words


def entry_of(case, code):
    db.session.expire_all()
    return db.session.execute(db.select(DiaryEntry).join(DiaryPoint)
                              .filter(DiaryPoint.case_id == case.id, DiaryPoint.point_code == code)).scalar_one()


def correct(client, case, code, score, reason="Patient called: she meant it"):
    entry = entry_of(case, code)
    return submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
                  {"score": str(score), "reason": reason, "version_id": str(entry.version_id)})


def diagnostic(case):
    return read_outcome_diary(case).sides[0].interpretation


def test_an_anaesthetic_score_is_not_corrected_after_its_window_and_the_block_stays_as_measured(
        client, gen, physician, coordinator):
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 6, "h1": 6, "h2": 6})
    diary_moved_back(case, 2)  # the anaesthetic window closed two days ago
    before = diagnostic(case)
    assert before.diagnostic == DiagnosticResult.NEGATIVE

    refused = correct(client, case, "h1", 1)

    assert refused.status_code == 422
    said = words(by_id(text(refused), "score-error"))
    assert said.startswith("Not changed: the “1 hour after” score is one of the block's, and its window closed on ")
    assert said.endswith("If the patient says it was wrong, record the block's result as you judge it with the "
                         "outcome, with the reason.")
    assert entry_of(case, "h1").score == 6 and not entry_of(case, "h1").revisions
    after = diagnostic(case)
    assert (after.diagnostic, after.peak_relief) == (DiagnosticResult.NEGATIVE, before.peak_relief)
    assert "Patient called: she meant it" in text(refused), "what was typed is kept"


def test_the_score_before_the_injection_is_not_corrected_after_the_injection(client, gen, physician, coordinator):
    case = followed_up(gen, physician, scores={"t0": 6, "m30": 2, "h1": 3, "h2": 3})
    diary_moved_back(case, 3)
    assert diagnostic(case).diagnostic == DiagnosticResult.NEGATIVE

    refused = correct(client, case, "t0", 8, "Patient now says it was 8 that morning")

    assert refused.status_code == 422
    assert words(by_id(text(refused), "score-error")).startswith(
        "Not changed: the score before the injection is what relief is measured from, and the injection was given on ")
    assert entry_of(case, "t0").score == 6
    assert diagnostic(case).diagnostic == DiagnosticResult.NEGATIVE


def test_the_correction_page_says_so_before_anything_is_typed_and_the_answers_may_still_change(
        client, gen, physician, coordinator):
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 6, "h1": 6, "h2": 6})
    diary_moved_back(case, 2)
    entry = entry_of(case, "h1")
    page = words(client.get(f"/cases/{case.id}/diary/entries/{entry.id}/correct").get_data(as_text=True))
    assert "The score itself can no longer change: it is one of the block's, and its window closed on" in page

    saved = submit(client, f"/cases/{case.id}/diary/entries/{entry.id}/correct",
                   {"score": "6", "analgesic_used": "yes", "reason": "She took paracetamol at noon",
                    "version_id": str(entry.version_id)})
    assert saved.status_code == 302
    assert entry_of(case, "h1").analgesic_used is True and entry_of(case, "h1").score == 6


def test_a_later_points_score_and_an_anaesthetic_score_within_its_window_are_still_corrected(
        client, gen, physician, coordinator):
    case = followed_up(gen, physician, scores={"t0": 8, "m30": 6, "h1": 6, "h2": 6, "d1": 5})
    diary_moved_back(case, 2)
    assert correct(client, case, "d1", 3).status_code == 302
    assert entry_of(case, "d1").score == 3
    fresh = followed_up(gen, physician, scores={"t0": 8, "m15": 6})  # the 15-minute window is still open
    assert correct(client, fresh, "m15", 2).status_code == 302
    assert entry_of(fresh, "m15").score == 2


def test_the_patients_own_same_day_correction_after_the_window_is_refused_in_her_words(gen, physician):
    """The patient may correct her own score the same day, but not a block score once its window
    closed: she is asked to tell the clinic."""
    import pytest

    from tracker.diary import services
    from tracker.vocab import EntrySource

    case = followed_up(gen, physician, scores={"t0": 8, "m15": 6})
    entry = entry_of(case, "m15")
    after_the_window = entry.point.closes_at + (entry.point.closes_at - entry.point.opens_at)
    with pytest.raises(services.EntryRefused) as refused:
        services.correct_entry(entry, 2, {}, "I tapped the wrong number", entry.version_id, EntrySource.LINK,
                               now=after_the_window)
    assert str(refused.value) == ("This score can no longer be changed: its time has passed. If it was wrong, "
                                  "please tell the clinic.")
    assert entry_of(case, "m15").score == 6
