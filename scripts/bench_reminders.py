"""Benchmark: finding every due diary reminder among 100,000 open follow-up cases on PostgreSQL.

Builds a throwaway database with that many cases in follow-up, injected over the last 12 months,
each with its diary points (baseline and the 15 post-injection points), a live personal link,
entries for most points already open and a first reminder for some of the rest. Then times the
due-reminder query of `flask reminders send` (median of several runs), shows its plan (EXPLAIN
ANALYZE) and checks that it reads the diary points through an index. Also times the first page
of the coordinators' overdue list. A benchmark, not a test: it prints figures for the README.

    .venv/bin/python scripts/bench_reminders.py                      # 100,000 cases
    .venv/bin/python scripts/bench_reminders.py --cases 20000 --url postgresql+psycopg://...
"""
import argparse
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench_worklist import fresh_database  # noqa: E402
from config import TestingConfig  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.diary import overdue, reminders  # noqa: E402
from tracker.diary.schedule import DEFAULT_SCHEDULE  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Case, CaseHistory, DiaryLink, Patient, User  # noqa: E402
from tracker.roles import Role  # noqa: E402

SIDES = ["left", "right", "bilateral"]
# Share of open points the patient has already entered, and of the rest already reminded once.
ENTERED_PERCENT, REMINDED_PERCENT = 85, 50


def fill(n_cases, now):
    coordinator = User(email="bench@bench.clinic", name="Bench Coordinator", role=Role.COORDINATOR,
                       password_hash="x")
    db.session.add(coordinator)
    db.session.commit()
    batch = 10_000
    for start in range(0, n_cases, batch):
        ids = range(start, min(start + batch, n_cases))
        db.session.execute(insert(Patient), [
            {"id": i + 1, "mrn": f"B{i:07d}", "family_name": f"Name{i % 5000:04d}",
             "family_name_key": f"name{i % 5000:04d}", "given_name": "Bench", "email": f"p{i}@bench.example",
             "date_of_birth": date(1950 + i % 50, 1 + i % 12, 1 + i % 28), "sex": "unknown",
             "preferred_contact": "email", "language": "English", "created_at": now} for i in ids])
        db.session.execute(insert(Case), [
            {"id": i + 1, "patient_id": i + 1, "state": "follow_up", "state_changed_at": now - _injected_ago(i),
             "side": SIDES[i % 3], "indication": "diagnostic", "referring_clinician": "Dr R",
             "referral_date": date(2025, 1, 1), "reason": "", "created_at": now, "created_by_id": coordinator.id,
             "version_id": 1, "pain_worse_standing": False, "pain_worse_walking_uphill": False,
             "pain_worse_sit_to_stand": False, "pain_radiates_buttock_thigh": False,
             "lumbar_fusion_history": False} for i in ids])
        db.session.execute(insert(CaseHistory), [
            {"case_id": i + 1, "at": now, "actor_id": coordinator.id, "actor_role": "coordinator",
             "action": "sign_procedure", "to_state": "follow_up", "reason": ""} for i in ids])
        db.session.execute(insert(DiaryLink), [
            {"case_id": i + 1, "created_at": now - timedelta(days=400), "created_by_id": coordinator.id,
             "expires_at": now + timedelta(days=30), "sent_to": f"p{i}@bench.example"} for i in ids])
        db.session.commit()

    # The points, entries and reminders in set-based statements: millions of rows.
    offsets = ", ".join(
        f"('{p.code}', {p.offset.total_seconds()}, {p.opens_before.total_seconds()}, {p.closes_after.total_seconds()})"
        for p in DEFAULT_SCHEDULE.points if p.offset is not None)
    params = {"now": now}
    db.session.execute(text(f"""
        INSERT INTO diary_points (case_id, point_code, due_at, opens_at, closes_at)
        SELECT c.id, 't0', c.state_changed_at, c.state_changed_at - interval '14 days', c.state_changed_at
        FROM cases c
        UNION ALL
        SELECT c.id, o.code, c.state_changed_at + make_interval(secs => o.offset_s),
               c.state_changed_at + make_interval(secs => o.offset_s - o.before_s),
               c.state_changed_at + make_interval(secs => o.offset_s + o.after_s)
        FROM cases c CROSS JOIN (VALUES {offsets}) AS o(code, offset_s, before_s, after_s)"""))
    db.session.execute(text(f"""
        INSERT INTO diary_entries (point_id, case_id, side, score, entered_at, source, late, version_id)
        SELECT p.id, p.case_id, s.side, (p.id % 11), p.opens_at, 'link', false, 1
        FROM diary_points p JOIN cases c ON c.id = p.case_id
        CROSS JOIN (VALUES ('left'), ('right')) AS s(side)
        WHERE p.opens_at <= :now AND (p.id::bigint * 7919) % 100 < {ENTERED_PERCENT}
          AND (c.side = s.side OR (c.side = 'bilateral'))"""), params)
    # Every entered point has all its sides (above), completed when it opened, as record_entry marks it.
    db.session.execute(text(f"""
        UPDATE diary_points p SET completed_at = p.opens_at
        WHERE p.opens_at <= :now AND (p.id::bigint * 7919) % 100 < {ENTERED_PERCENT}"""), params)
    db.session.execute(text(f"""
        INSERT INTO diary_reminders (point_id, channel, attempt, status, claimed_at, sent_at)
        SELECT p.id, 'email', 1, 'sent', p.opens_at, p.opens_at
        FROM diary_points p
        WHERE p.opens_at <= :now AND (p.id::bigint * 7919) % 100 >= {ENTERED_PERCENT} AND p.id % 100 < {REMINDED_PERCENT}"""),
        params)
    for table in ("patients", "cases", "case_history", "diary_links"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    # As autovacuum would have by now: statistics, and the visibility map index-only scans need.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _injected_ago(i):
    # Spread over the 12 months a follow-up lasts, to the minute.
    return timedelta(minutes=(i * 5_256) % (365 * 24 * 60))


def count(table):
    return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def timed(run, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/si_tracker_bench_reminders")
    parser.add_argument("--reuse", action="store_true",
                        help="time the database an earlier run filled (its clock moves on: fewer points due)")
    args = parser.parse_args()

    if not args.reuse:
        fresh_database(args.url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=args.url)
    with app.app_context():
        now = datetime.now(timezone.utc)
        if not args.reuse:
            db.create_all()
            started = time.perf_counter()
            fill(args.cases, now)
            print(f"filled {args.cases:,} follow-up cases in {time.perf_counter() - started:.1f} s")
        print(f"{count('cases'):,} cases, {count('diary_points'):,} points, {count('diary_entries'):,} entries, "
              f"{count('diary_reminders'):,} reminders")

        config = app.config
        settings = (config["REMINDER_MAX_ATTEMPTS"], timedelta(hours=config["REMINDER_REPEAT_HOURS"]),
                    timedelta(days=config["REMINDER_LATE_DAYS"]))
        median, worst, due = timed(lambda: reminders.due_reminders(now), args.runs)
        print(f"due reminders: {len(due):,} points on {len({r.case_id for r in due}):,} cases; "
              f"median {median:.1f} ms, max {worst:.1f} ms over {args.runs} runs (one query)")

        compiled = reminders.due_query(now, *settings).compile(db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(text("SET LOCAL jit = off"))  # as due_reminders runs it
        plan = "\n".join(db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars())
        db.session.rollback()
        print("\nEXPLAIN ANALYZE of the due-reminder query:\n" + plan)
        used = [name for name in ("ix_diary_points_pending_window", "ix_diary_points_pending_closes_at")
                if name in plan]
        print(f"\ndiary points read through: {', '.join(used) or 'NO INDEX (sequential scan)'}")

        listing = overdue.query(now)
        median, worst, _ = timed(lambda: (db.paginate(listing, page=1, per_page=config["PER_PAGE"], error_out=False),
                                          db.session.rollback()), args.runs)
        print(f"overdue list, first page (count and rows): median {median:.1f} ms, max {worst:.1f} ms")
        # The page's count is the costlier half: it ranks every overdue case.
        counted = select(func.count()).select_from(listing.order_by(None).subquery())
        compiled = counted.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars())
        db.session.rollback()
        print("\nEXPLAIN ANALYZE of the overdue list's count:\n" + plan)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
