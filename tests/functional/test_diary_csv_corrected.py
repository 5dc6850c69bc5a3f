"""The diary CSV download says when a corrected score was first entered, as the pages do, and when it
was corrected in its last column."""
from tests.functional.test_diary_entry import felt, patient  # noqa: F401 (fixtures)
from tests.functional.test_diary_timed_from_injection import clock  # noqa: F401 (fixture)
from tests.functional.test_diary_times_said import given_then_corrected
from tests.functional.test_reports import _csv
from tracker.diary.outcome import DIARY_CSV_HEADER


def test_the_diary_csv_gives_a_corrected_scores_first_entered_time_as_the_pages_do(
        client, make_client, gen, login_as, patient, coordinator_account, clock):  # noqa: F811
    case, _given, _corrected = given_then_corrected(client, gen, login_as, patient, clock)

    staff = login_as(coordinator_account, on=make_client())
    rows = _csv(staff.get(f"/cases/{case.id}/diary.csv"))
    row = next(r for r in rows[1:] if r[2] == "15 minutes after")
    entered = row[DIARY_CSV_HEADER.index("Entered at")]
    # The page reads 14:38 (first entered), "corrected 14:47" beside it; so does the CSV.
    assert "T14:38" in entered, (entered, row)
    assert "T14:47" in row[DIARY_CSV_HEADER.index("Corrected at")]
    assert row[DIARY_CSV_HEADER.index("Corrected")] == "yes" and row[DIARY_CSV_HEADER.index("Score")] == "4"
