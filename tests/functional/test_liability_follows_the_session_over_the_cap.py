"""The liability notice (an ABN under Medicare, "expected to be denied", GA/GZ) is on the session that
is over the payer's cap in date order, read from the patient's sessions given and booked when it is
shown, never from the words a booking acknowledged (they stay on the appointment as its audit)."""
from datetime import timedelta

from tracker.eligibility.services import evaluate_case
from tracker.extensions import db
from tracker.models import OutsideInjection
from tracker.roles import Role
from tracker.scheduling import services as scheduling
from tracker.scheduling.liability import notice_for
from tracker.timeutil import clinic_today
from tracker.vocab import Indication, Side
from tracker.workflow import State

from tests.builders import clinic_at, clinic_day, make_procedure
from tests.functional.test_booking import set_hours
from tests.functional.test_eligibility import documented_case
from tests.helpers import text


def _one_given_17_days_ago(gen):
    """A patient with one diagnostic block given 17 days ago (elsewhere) and a case under review:
    (case, coordinator)."""
    coordinator = gen.user(Role.COORDINATOR)
    case = documented_case(gen, side=Side.LEFT, indication=Indication.DIAGNOSTIC)
    db.session.add(OutsideInjection(patient=case.patient, performed_on=clinic_today() - timedelta(days=17),
                                    side=Side.LEFT, indication=Indication.DIAGNOSTIC, place="Hillside Spine",
                                    source="letter from Dr Vance"))
    db.session.commit()
    return case, coordinator


def _eligible(case, coordinator):
    evaluate_case(case, coordinator)
    assert case.state == State.ELIGIBLE, case.current_verdict.snapshot
    return case


def _two_blocks_booked(gen, physician):
    """One diagnostic block given 17 days ago (elsewhere), case B's booked in 36 days, then case A's
    in 8 days with the warning about B acknowledged: (case A, A's appointment, case B, B's, coordinator)."""
    set_hours(physician)
    room = gen.room()
    case_a, coordinator = _one_given_17_days_ago(gen)
    case_b = documented_case(gen, side=Side.LEFT, indication=Indication.DIAGNOSTIC, patient=case_a.patient)
    for case in (case_a, case_b):
        _eligible(case, coordinator)
    later = scheduling.Proposal(clinic_at(36, 10), timedelta(minutes=30), physician.id, room.id)
    b = scheduling.book(case_b, later, coordinator, acknowledged=True)
    sooner = scheduling.Proposal(clinic_at(8, 10), timedelta(minutes=30), physician.id, room.id)
    a = scheduling.book(case_a, sooner, coordinator, acknowledged=True)
    assert f"(case {case_b.id}) would then be session 3 of 2" in a.acknowledged_warnings
    return case_a, a, case_b, b, coordinator


def test_the_session_within_the_cap_needs_no_notice_and_the_later_one_over_it_does(gen, physician, client,
                                                                                  coordinator):
    """Medicare: 2 diagnostic blocks per rolling 12 months. One was given 17 days ago (elsewhere);
    case B's block is booked in 36 days; case A's block is then booked in 8 days, the coordinator
    acknowledging "the appointment of … (case B) would then be session 3 of 2 …, counting this one".
    A's session is the 2nd of 2, within the cap; B's, the 3rd, is the one over it: B's appointment
    asks for the ABN, A's does not, and A's page keeps what was acknowledged at its booking."""
    case_a, a, case_b, b, _ = _two_blocks_booked(gen, physician)
    assert "The payer's" not in b.acknowledged_warnings
    assert notice_for(case_a, a) is None, notice_for(case_a, a).summary()
    notice = notice_for(case_b, b)
    assert notice is not None and notice.medicare
    assert notice.summary() == ("Over the payer's limit under Medicare SI joint LCDs (2023), counting the "
                                "patient's sessions given and booked before it: this session is expected to be "
                                "denied.")
    assert any("this would be 3 of 2 (patient)" in limit for limit in notice.limits), notice.limits

    a_page, b_page = (text(client.get(f"/appointments/{x.id}")) for x in (a, b))
    assert "Advance Beneficiary Notice" not in a_page
    assert "Booked despite: The payer's diagnostic 12-month cap" in a_page, "the booking's audit stays"
    assert "have the patient read and sign an Advance Beneficiary Notice" in b_page
    board = text(client.get(f"/schedule/day?date={clinic_day(36).isoformat()}"))
    assert "Over Medicare's limits: have the patient sign an ABN" in board
    board = text(client.get(f"/schedule/day?date={clinic_day(8).isoformat()}"))
    assert "Over Medicare's limits" not in board


def test_once_the_later_session_is_cancelled_the_earlier_one_still_needs_no_notice(gen, physician):
    """Case B's appointment, the one over the cap, is cancelled: case A's session is the 2nd of 2
    with nothing booked after it, and needs no notice whatever its booking acknowledged."""
    case_a, a, case_b, b, coordinator = _two_blocks_booked(gen, physician)
    scheduling.cancel(b, "Patient chose to wait", coordinator, b.version_id)
    assert notice_for(case_a, a) is None, notice_for(case_a, a).summary()


def test_moving_the_later_session_before_the_other_moves_the_notice_to_the_other(gen, physician):
    """Case B's appointment is moved to 4 days from now, before case A's (in 8 days): B's session is
    now the 2nd of 2 and needs no notice; A's, now the 3rd, does, though A was not touched."""
    case_a, a, case_b, b, coordinator = _two_blocks_booked(gen, physician)
    earlier = scheduling.Proposal(clinic_at(4, 10), timedelta(minutes=30), physician.id, b.room_id)
    scheduling.reschedule(b, earlier, "Patient asked for an earlier date", coordinator, b.version_id,
                          acknowledged=True)
    assert notice_for(case_b, b) is None, notice_for(case_b, b).summary()
    notice = notice_for(case_a, a)
    assert notice is not None and any("this would be 3 of 2 (patient)" in limit for limit in notice.limits)


def test_a_session_given_counts_on_the_day_it_was_given(gen, physician):
    """Case B's block is booked in 36 days (1 given 17 days ago: B is then the 2nd); then case A's block
    is given and signed today, though nothing was booked for it when B was. A's note reads its session
    as the 2nd of 2 on its day, so no "expected to be denied"; B's appointment is now the 3rd and asks
    for the ABN, with nothing acknowledged at its booking."""
    set_hours(physician)
    case_b, coordinator = _one_given_17_days_ago(gen)
    _eligible(case_b, coordinator)
    b = scheduling.book(case_b, scheduling.Proposal(clinic_at(36, 10), timedelta(minutes=30), physician.id,
                                                    gen.room().id), coordinator, acknowledged=True)
    assert "The payer's" not in b.acknowledged_warnings and notice_for(case_b, b) is None
    record = make_procedure(patient=case_b.patient, indication=Indication.DIAGNOSTIC, physician=physician,
                            steps="all", sign=True)
    case_a = record.case
    assert notice_for(case_a, record.appointment, record.started_at) is None
    notice = notice_for(case_b, b)
    assert notice is not None and any("this would be 3 of 2 (patient)" in limit for limit in notice.limits)
