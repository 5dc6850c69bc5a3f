"""Benchmark: the whole reports page with 100,000 cases on PostgreSQL, and CSV downloads of
100,000 rows in constant memory.

Builds a throwaway database whose cases were referred over the last 12 months and spread over every
state the way a clinic's year is (half of them injected: in follow-up or closed), each with what its
state implies: verdicts (some not eligible, some overridden), appointments (some no-shows and
cancellations), signed procedures with their steps (some warnings, some vascular uptake), diary points
and entries (some late, some missing), reminders and outcomes; plus 100,000 audit rows. The fill is
SQL (generate_series), so it takes about a minute. Then it times the reports page through the app
(median of several runs, every report, the default 12-month period, then filtered), each report
alone, and streams the audit trail and the worklist as CSV while measuring the peak memory Python
allocates (tracemalloc) at two sizes. A benchmark, not a test: it prints figures for the README.

    .venv/bin/python scripts/bench_reports.py                    # 100,000 cases
    .venv/bin/python scripts/bench_reports.py --cases 20000 --url postgresql+psycopg://...
    .venv/bin/python scripts/bench_reports.py --reuse            # time an earlier fill again
"""
import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event, text  # noqa: E402

from bench_reminders import count, timed  # noqa: E402
from bench_worklist import PASSWORD, fresh_database  # noqa: E402
from config import TestingConfig  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.passwords import hash_password  # noqa: E402
from tracker.reports import figures  # noqa: E402
from tracker.reports.views import default_period  # noqa: E402
from tracker.timeutil import clinic_today  # noqa: E402

# Each case's state by its number modulo 12: a year's mix, half of it injected.
STATES = ["referred", "under_review", "eligible", "not_eligible", "scheduled", "follow_up", "follow_up",
          "closed", "closed", "closed", "cancelled", "closed"]
INJECTED = "('follow_up', 'closed')"
POINTS = [("t0", None), ("m15", 0.25), ("m30", 0.5), ("h1", 1), ("h2", 2), ("h3", 3), ("h4", 4), ("h5", 5),
          ("h6", 6), ("d1", 24), ("d2", 48), ("d7", 168), ("w2", 336), ("w6", 1008), ("mo3", 2160),
          ("mo6", 4320), ("mo12", 8760)]

FILL = """
INSERT INTO users (id, email, name, role, password_hash, active, session_token, created_at, password_changed_at,
                   version_id)
SELECT 1 + g, 'doc' || g || '@bench.clinic', 'Dr Bench ' || g, 'physician', 'x', true, md5(g::text), now(), now(), 1
FROM generate_series(1, 8) g;
INSERT INTO users (id, email, name, role, password_hash, active, session_token, created_at, password_changed_at,
                   version_id)
VALUES (1, 'bench@bench.clinic', 'Bench Coordinator', 'coordinator', :password, true, 'tok', now(), now(), 1);
INSERT INTO rooms (id, name, modality, location, active, version_id)
SELECT g, 'Suite ' || g, 'fluoroscopy', '', true, 1 FROM generate_series(1, 4) g;
INSERT INTO working_hours (physician_id, weekday, starts, ends)
SELECT 1 + p, d, '08:00', '16:00' FROM generate_series(1, 8) p, generate_series(0, 4) d;
INSERT INTO patients (id, mrn, family_name, family_name_key, given_name, date_of_birth, sex, preferred_contact,
                      language, created_at)
SELECT i, 'B' || lpad(i::text, 7, '0'), 'Name' || (i % 5000), 'name' || (i % 5000), 'Bench',
       date '1950-01-01' + (i % 18000), 'unknown', 'email', 'English', now()
FROM generate_series(1, :n) i;
INSERT INTO cases (id, patient_id, state, state_changed_at, side, indication, referring_clinician, referral_date,
                   reason, payer_profile_code, physician_id, created_at, created_by_id, version_id,
                   pain_worse_standing, pain_worse_walking_uphill, pain_worse_sit_to_stand,
                   pain_radiates_buttock_thigh, lumbar_fusion_history)
SELECT i, i, (CAST(:states AS text[]))[1 + i % 12], now() - (i % 300) * interval '1 hour',
       (ARRAY['left', 'right', 'bilateral'])[1 + i % 3],
       (ARRAY['diagnostic', 'diagnostic', 'therapeutic', 'confirmatory'])[1 + i % 4], 'Dr R',
       current_date - 40 - (i * 7919) % 325, '',
       (ARRAY[NULL, NULL, 'EVICORE_CMM_203', 'MP_558', 'CAM_770HB'])[1 + i % 5], 2 + i % 8, now(), 1, 1,
       false, false, false, false, false
FROM generate_series(1, :n) i;
INSERT INTO case_history (case_id, at, actor_id, actor_role, action, to_state, reason)
SELECT id, now(), 1, 'coordinator', 'refer', state, '' FROM cases;
INSERT INTO eligibility_verdicts (case_id, evaluated_at, evaluated_by_id, profile_code, profile_version, eligible,
                                  snapshot, facts_fingerprint, override_reason, override_by_id, override_at)
SELECT id, referral_date + (id % 14) + time '14:00', 1, coalesce(payer_profile_code, 'MEDICARE_LCD_2023'), 1,
       state <> 'not_eligible' AND id % 5 <> 0,
       CASE WHEN state <> 'not_eligible' AND id % 5 <> 0
            THEN '{"criteria": [{"code": "provocation_tests", "status": "met"}]}'
            ELSE '{"criteria": [{"code": "provocation_tests", "status": "not_met"},
                                {"code": "conservative_care_duration", "status": "not_met"},
                                {"code": "pain_duration", "status": "unknown"}]}' END::json,
       'x',
       CASE WHEN id % 5 = 0 AND state <> 'not_eligible' THEN 'Outside records' END,
       CASE WHEN id % 5 = 0 AND state <> 'not_eligible' THEN physician_id END,
       CASE WHEN id % 5 = 0 AND state <> 'not_eligible' THEN referral_date + (id % 14) + time '16:00' END
FROM cases WHERE state <> 'referred' AND state <> 'under_review';
INSERT INTO appointments (case_id, physician_id, room_id, starts_at, ends_at, status, cancelled_reason,
                          acknowledged_warnings, consent_obtained, anticoagulant_plan_confirmed, driver_arranged,
                          contrast_premedication_sent, day_of_check_done, created_at, created_by_id, version_id,
                          checked_in_at)
SELECT id, physician_id, 1 + id % 4, referral_date + (id % 14) + 3 + (id % 21) + time '13:00' + (id % 8) * interval '30 minutes',
       referral_date + (id % 14) + 3 + (id % 21) + time '13:30' + (id % 8) * interval '30 minutes',
       CASE WHEN state IN ('follow_up', 'closed') THEN 'done'
            WHEN state = 'cancelled' THEN 'cancelled' WHEN id % 17 = 0 THEN 'no_show' ELSE 'booked' END,
       CASE WHEN state = 'cancelled' THEN (ARRAY['Patient unwell', 'Transport', 'patient unwell ', 'Insurance'])[1 + id % 4] END,
       '', true, true, true, true, true, referral_date + (id % 14) + 1 + time '15:00', 1, 1, NULL
FROM cases WHERE state IN ('scheduled', 'follow_up', 'closed', 'cancelled');
INSERT INTO procedure_records (case_id, appointment_id, side, status, started_at, started_by_id, last_change_at,
                               ended_at, duration_minutes, signed_at, signed_by_id, version_id)
SELECT c.id, a.id, c.side, 'signed', a.starts_at + interval '5 minutes', c.physician_id, a.starts_at,
       a.starts_at + (15 + c.id % 25) * interval '1 minute', 15 + c.id % 25,
       a.starts_at + (15 + c.id % 25) * interval '1 minute', c.physician_id, 1
FROM cases c JOIN appointments a ON a.case_id = c.id WHERE c.state IN """ + INJECTED + """;
INSERT INTO procedure_steps (record_id, step, side, attempt, answers, warnings, recorded_at, recorded_by_id, version_id)
SELECT r.id, 'sign_out', CASE WHEN r.side = 'bilateral' THEN 'left' ELSE r.side END, 1, '{}',
       CASE WHEN r.case_id % 10 = 0 THEN 'Left side: 3 mL in total is more than the joint usually holds.'
            WHEN r.case_id % 10 = 1 THEN 'Documented iodinated contrast allergy: Iohexol was chosen.' ELSE '' END,
       r.ended_at, r.started_by_id, 1
FROM procedure_records r;
INSERT INTO procedure_steps (record_id, step, side, attempt, answers, warnings, recorded_at, recorded_by_id, version_id)
SELECT r.id, 'contrast', CASE WHEN r.side = 'bilateral' THEN 'left' ELSE r.side END, a, 
       CASE WHEN a = 1 AND r.case_id % 15 = 0 THEN '{"vascular_uptake": true}' ELSE '{"vascular_uptake": false}' END::json,
       '', r.started_at, r.started_by_id, 1
FROM procedure_records r, generate_series(1, 2) a WHERE a = 1 OR r.case_id % 15 = 0;
"""

DIARY = """
INSERT INTO diary_points (case_id, point_code, due_at, opens_at, closes_at, completed_at)
SELECT r.case_id, p.code, r.started_at + p.hours * interval '1 hour',
       r.started_at + p.hours * interval '1 hour' - interval '10 minutes',
       r.started_at + p.hours * interval '1 hour' + (1 + p.hours / 10) * interval '1 hour',
       CASE WHEN (r.case_id + p.n) % 10 = 0 THEN NULL
            WHEN (r.case_id + p.n) % 10 = 1 THEN r.started_at + p.hours * interval '1 hour' + (2 + p.hours / 10) * interval '1 hour'
            ELSE r.started_at + p.hours * interval '1 hour' END
FROM procedure_records r
JOIN (SELECT * FROM unnest(CAST(:codes AS text[]), CAST(:hours AS float8[])) WITH ORDINALITY AS t(code, hours, n)) p ON true
WHERE r.started_at + p.hours * interval '1 hour' < now();
INSERT INTO diary_points (case_id, point_code, due_at, opens_at, closes_at, completed_at)
SELECT r.case_id, 't0', NULL, r.started_at - interval '2 days', r.started_at, r.started_at - interval '1 day'
FROM procedure_records r;
INSERT INTO diary_entries (point_id, case_id, side, score, entered_at, source, late, version_id, entered_by_id)
SELECT p.id, p.case_id, CASE WHEN c.side = 'bilateral' THEN s.side ELSE c.side END,
       CASE WHEN p.point_code = 't0' THEN 7
            WHEN p.point_code IN ('mo3', 'mo6', 'mo12') THEN 3 + (p.case_id % 5)
            ELSE 1 + (p.case_id + length(p.point_code)) % 5 END,
       p.completed_at, 'link', p.completed_at > p.closes_at, 1, NULL
FROM diary_points p JOIN cases c ON c.id = p.case_id
JOIN (VALUES ('left'), ('right')) s(side) ON c.side = 'bilateral' OR s.side = 'left'
WHERE p.completed_at IS NOT NULL;
INSERT INTO diary_reminders (point_id, channel, attempt, status, claimed_at, sent_at)
SELECT id, 'email', 1, (ARRAY['sent', 'sent', 'failed', 'skipped'])[1 + id % 4], closes_at - interval '1 hour',
       closes_at - interval '1 hour'
FROM diary_points WHERE completed_at IS NULL OR completed_at > closes_at;
INSERT INTO outcomes (case_id, diagnostic_result, therapeutic_days, per_side, next_step, notes, decided_by_id, decided_at)
SELECT c.id, (ARRAY['positive', 'positive', 'negative', 'indeterminate'])[1 + c.id % 4], 14, '{}',
       (ARRAY['repeat_injection', 'confirmatory_block', 'rfa_evaluation', 'surgical_referral', 'physical_therapy',
              'discharge'])[1 + c.id % 6], '', c.physician_id, r.started_at + interval '30 days'
FROM cases c JOIN procedure_records r ON r.case_id = c.id WHERE c.state = 'closed';
INSERT INTO audit_events (at, user_id, actor, role, action, object_type, object_id, ip, summary)
SELECT now() - g * interval '1 minute', 1, 'bench@bench.clinic', 'coordinator', 'view', 'case', g::text,
       '127.0.0.1', 'viewed case ' || g FROM generate_series(1, :audit) g;
"""


def fill(n_cases, audit_rows):
    db.session.execute(text("SET LOCAL synchronous_commit = off"))
    for statement in (FILL + DIARY).split(";\n"):
        if statement.strip():
            db.session.execute(text(statement), {
                "n": n_cases, "states": STATES, "password": hash_password(PASSWORD), "audit": audit_rows,
                "codes": [code for code, hours in POINTS if hours is not None],
                "hours": [float(hours) for code, hours in POINTS if hours is not None]})
    for table in ("users", "rooms", "patients", "cases", "case_history", "eligibility_verdicts", "appointments",
                  "procedure_records", "procedure_steps", "diary_points", "diary_entries", "diary_reminders",
                  "outcomes", "audit_events", "working_hours"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def streamed_peak(client, path):
    """Download `path` reading the body chunk by chunk; (rows, peak MiB Python allocated, seconds)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    response = client.get(path, buffered=False)
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines - 1, peak / 2**20, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--audit-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/si_tracker_bench_reports")
    parser.add_argument("--reuse", action="store_true", help="time the database an earlier run filled")
    args = parser.parse_args()

    if not args.reuse:
        fresh_database(args.url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=args.url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        if not args.reuse:
            db.create_all()
            started = time.perf_counter()
            fill(args.cases, args.audit_rows)
            print(f"filled {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        print(", ".join(f"{count(t):,} {t}" for t in (
            "cases", "eligibility_verdicts", "appointments", "procedure_records", "diary_points", "diary_entries",
            "diary_reminders", "outcomes", "audit_events")))

        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@bench.clinic", "password": PASSWORD})
        start, end = default_period(clinic_today())
        pages = {
            "reports, last 12 months (default)": "/reports",
            "reports, physician filter": "/reports?physician=3",
            "reports, payer filter (default profile)": "/reports?profile=MEDICARE_LCD_2023",
            "reports, one month": f"/reports?start={end.replace(day=1).isoformat()}&end={end.isoformat()}",
        }
        print(f"\n{'page':42} {'median ms':>10} {'max ms':>8} {'queries':>8}")
        for label, path in pages.items():
            statements.clear()
            median, worst, response = timed(lambda: client.get(path), args.runs)
            assert response.status_code == 200, (path, response.status_code)
            print(f"{label:42} {median:10.1f} {worst:8.1f} {len(statements) // args.runs:8}")

        print(f"\n{'report alone (default period)':42} {'median ms':>10}")
        filters = figures.Filters(start=start, end=end, default_profile="MEDICARE_LCD_2023")
        for key, build in figures.REPORTS.items():
            median, _, _ = timed(lambda: (build(filters), db.session.rollback()), args.runs)
            print(f"{key:42} {median:10.1f}")

        print(f"\n{'CSV download':42} {'rows':>8} {'peak MiB':>9} {'seconds':>8}")
        # The worklist download streams the same way; its rows cost what the page's rows cost (each
        # case's kept worklist line, which this fill does not build), so it is not timed here.
        client.post("/sign-out")
        db.session.execute(text("UPDATE users SET role = 'admin' WHERE id = 1"))
        db.session.commit()
        client.post("/sign-in", data={"email": "bench@bench.clinic", "password": PASSWORD})
        for label, path in (("audit trail, 10,000 rows", "/admin/audit.csv?date_from=" + _days_ago(7)),
                            ("audit trail, every row", "/admin/audit.csv")):
            rows, peak, seconds = streamed_peak(client, path)
            print(f"{label:42} {rows:8,} {peak:9.1f} {seconds:8.1f}")
        db.session.execute(text("UPDATE users SET role = 'coordinator' WHERE id = 1"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _days_ago(days):
    from datetime import timedelta

    return (clinic_today() - timedelta(days=days)).isoformat()


if __name__ == "__main__":
    main()
