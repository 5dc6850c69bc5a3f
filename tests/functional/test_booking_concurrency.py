"""Two coordinators book the same slot at the same moment: one wins, the other is told the slot was
just taken, and only one appointment exists (DESIGN.md section 3, Scheduling; issue 4, Conflicts).

Each booking runs in its own thread with its own app context, so its own session and its own
database connection, as two web requests would. A barrier releases both at the same instant, and
`_taken` (the overlap query that follows the schedule locks) is slowed down so that, without the
locks, both would find the slot free before either wrote. The locks themselves are not touched.

Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL); on SQLite the second writer has to wait for
the database's write lock rather than fail with "database is locked".
"""
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tracker.extensions import db
from tracker.models import Appointment, Case, User
from tracker.models.schedule import ACTIVE_STATUSES
from tracker.roles import Role
from tracker.scheduling import services
from tracker.timeutil import utcnow
from tracker.workflow import State

from tests.builders import make_case, make_room, make_user

ROUNDS = 5
SLOW_QUERY_SECONDS = 0.2
THREAD_TIMEOUT = 30


@pytest.fixture
def slow_overlap_check(monkeypatch):
    """Make the overlap query (run after the schedule locks are taken) slow, widening the window in
    which two unlocked bookings would both see the slot as free."""
    original = services._taken

    def slow_taken(*args, **kwargs):
        time.sleep(SLOW_QUERY_SECONDS)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_taken", slow_taken)


def _start_of_round(n):
    """A future slot, a different hour each round so the rounds do not collide with each other."""
    tomorrow = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    return tomorrow + timedelta(hours=n)


def _race(app, bookings):
    """Run `services.book` for each (case_id, physician_id, room_id, start, actor_id) in its own
    thread, app context and connection, all released together. Returns one outcome per booking:
    ("booked", appointment id) or ("refused", BookingProblems) or ("crashed", exception)."""
    barrier = threading.Barrier(len(bookings), timeout=THREAD_TIMEOUT)
    outcomes = [None] * len(bookings)

    def run(index, case_id, physician_id, room_id, start, actor_id):
        with app.app_context():
            try:
                case = db.session.get(Case, case_id)
                actor = db.session.get(User, actor_id)
                proposal = services.Proposal(start, timedelta(minutes=30), physician_id, room_id)
                shown_at = utcnow()  # both forms were shown with the slot free
                barrier.wait()
                appointment = services.book(case, proposal, actor, acknowledged=True, seen_at=shown_at)
                outcomes[index] = ("booked", appointment.id)
            except services.BookingProblems as problems:
                db.session.rollback()
                outcomes[index] = ("refused", problems)
            except Exception as error:  # noqa: BLE001 - reported by the test, never hidden
                db.session.rollback()
                outcomes[index] = ("crashed", error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *booking), name=f"booking-{i}")
               for i, booking in enumerate(bookings)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a booking thread hung (a lock never released?)"
    return outcomes


def _assert_one_won(outcomes, round_no, database):
    crashed = [o[1] for o in outcomes if o[0] == "crashed"]
    assert not crashed, (
        f"round {round_no} on {database}: a concurrent booking crashed instead of waiting its turn "
        f"and being refused: {crashed[0]!r}")
    booked = [o for o in outcomes if o[0] == "booked"]
    refused = [o[1] for o in outcomes if o[0] == "refused"]
    assert len(booked) == 1, f"round {round_no} on {database}: expected exactly one booking, got {outcomes}"
    assert len(refused) == 1, f"round {round_no} on {database}: expected one refusal, got {outcomes}"
    problems = refused[0]
    assert "just taken" in problems.errors.get("start", ""), (
        f"round {round_no} on {database}: the loser was not told the slot was just taken: "
        f"errors={problems.errors} warnings={problems.warnings}")
    assert problems.taken is True
    return booked[0][1]


def _active_overlapping(start, **resource):
    return db.session.execute(
        db.select(Appointment).filter_by(**resource).filter(
            Appointment.status.in_(ACTIVE_STATUSES), Appointment.starts_at < start + timedelta(minutes=30),
            Appointment.ends_at > start)
    ).scalars().all()


def test_two_bookings_of_the_same_room_at_the_same_moment_one_wins_the_other_is_told_it_was_just_taken(
        app, slow_overlap_check):
    with app.app_context():
        database = db.engine.dialect.name
        coordinators = [make_user(Role.COORDINATOR) for _ in range(2)]
        physicians = [make_user(Role.PHYSICIAN) for _ in range(2)]
        room = make_room(location="Level 2, suite A")
        rounds = []
        for n in range(ROUNDS):
            cases = [make_case(state=State.ELIGIBLE) for _ in range(2)]
            rounds.append((_start_of_round(n), [c.id for c in cases]))
        ids = ([u.id for u in coordinators], [u.id for u in physicians], room.id)
        db.session.remove()
    coordinator_ids, physician_ids, room_id = ids

    for n, (start, case_ids) in enumerate(rounds, 1):
        outcomes = _race(app, [(case_ids[i], physician_ids[i], room_id, start, coordinator_ids[i])
                               for i in range(2)])
        winner_id = _assert_one_won(outcomes, n, database)
        refused = next(o[1] for o in outcomes if o[0] == "refused")
        assert "room" in refused.errors["start"], (
            f"the message should say the room is booked then: {refused.errors['start']!r}")
        with app.app_context():
            in_room = _active_overlapping(start, room_id=room_id)
            assert [a.id for a in in_room] == [winner_id], (
                f"round {n} on {database}: the room is double-booked: {[(a.id, a.case_id) for a in in_room]}")
            states = {c.id: c.state for c in db.session.execute(
                db.select(Case).filter(Case.id.in_(case_ids))).scalars()}
            winner_case = in_room[0].case_id
            loser_case = next(i for i in case_ids if i != winner_case)
            assert states[winner_case] == State.SCHEDULED
            assert states[loser_case] == State.ELIGIBLE, "the refused booking changed its case"
            db.session.remove()

    with app.app_context():
        active = db.session.execute(db.select(db.func.count()).select_from(Appointment).filter(
            Appointment.status.in_(ACTIVE_STATUSES))).scalar()
        assert active == ROUNDS, f"{active} active appointments after {ROUNDS} races, expected {ROUNDS}"
        db.session.remove()


def test_two_bookings_of_the_same_physician_at_the_same_moment_one_wins_the_other_is_told_it_was_just_taken(
        app, slow_overlap_check):
    with app.app_context():
        database = db.engine.dialect.name
        coordinators = [make_user(Role.COORDINATOR) for _ in range(2)]
        physician = make_user(Role.PHYSICIAN)
        rooms = [make_room(location=f"Level 2, suite {letter}") for letter in "AB"]
        rounds = []
        for n in range(ROUNDS):
            cases = [make_case(state=State.ELIGIBLE) for _ in range(2)]
            rounds.append((_start_of_round(n), [c.id for c in cases]))
        ids = ([u.id for u in coordinators], physician.id, [r.id for r in rooms])
        db.session.remove()
    coordinator_ids, physician_id, room_ids = ids

    for n, (start, case_ids) in enumerate(rounds, 1):
        outcomes = _race(app, [(case_ids[i], physician_id, room_ids[i], start, coordinator_ids[i])
                               for i in range(2)])
        winner_id = _assert_one_won(outcomes, n, database)
        refused = next(o[1] for o in outcomes if o[0] == "refused")
        assert "physician" in refused.errors["start"], (
            f"the message should say the physician is booked then: {refused.errors['start']!r}")
        with app.app_context():
            with_physician = _active_overlapping(start, physician_id=physician_id)
            assert [a.id for a in with_physician] == [winner_id], (
                f"round {n} on {database}: the physician is double-booked: "
                f"{[(a.id, a.room_id) for a in with_physician]}")
            db.session.remove()

    with app.app_context():
        active = db.session.execute(db.select(db.func.count()).select_from(Appointment).filter(
            Appointment.status.in_(ACTIVE_STATUSES))).scalar()
        assert active == ROUNDS, f"{active} active appointments after {ROUNDS} races, expected {ROUNDS}"
        db.session.remove()
