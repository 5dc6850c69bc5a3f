"""Benchmark: the whole reports page at 100,000 cases on PostgreSQL, each figure's time, and a CSV
download of 100,000 rows in constant memory.

Two databases:

- `--reuse --url URL` times a database filled earlier, normally the project's benchmark clinic
  (`scripts/bench_pages.py fill --cases 100000 --url URL --password PW`: the demo clinic copied until
  there are 100,000 cases, dates spread over ten years, so a 12-month period holds about 13,000 of
  them);
- without `--reuse` it fills a harsher database of its own: 100,000 cases all referred in the last
  12 months, spread over every state the way a clinic's year is (half of them injected: in
  follow-up or closed), each with what its state implies: verdicts (some not eligible, some
  overridden), appointments (some no-shows and cancellations), signed procedures with their steps
  (some warnings, some vascular uptake), diary points and entries (some late, some missing),
  reminders and outcomes; plus 100,000 audit rows. The fill is SQL (generate_series), about a minute.

Then it requests the reports page through the app (the default 12-month period, then filtered),
median and fastest of --runs requests with the number of queries; each figure alone (the time from
the previous figure to this one, median of --runs: the figures of one report share some queries, the
later one then shows 0); and streams the audit trail as CSV at about 10,000 and 100,000 rows in a
fresh process, printing how far its resident memory grew above what it held before the download
(peak RSS, VmHWM reset through /proc/self/clear_refs). A benchmark, not a test: it prints figures for
the README. The load average is printed with the figures: on a machine shared with other work the
fastest request is closer to what a quiet one gives than the median.

    .venv/bin/python scripts/bench_reports.py --reuse --url postgresql+psycopg://postgres@127.0.0.1:5432/si_bench_reports_100000
    .venv/bin/python scripts/bench_reports.py                    # its own 100,000 cases in 12 months
    .venv/bin/python scripts/bench_reports.py --cases 20000 --url postgresql+psycopg://...
"""
import argparse
import os
import statistics
import sys
import time
from datetime import timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event, select, text  # noqa: E402

from bench_reminders import count  # noqa: E402
from bench_worklist import PASSWORD, fresh_database  # noqa: E402
from config import TestingConfig  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import User  # noqa: E402
from tracker.roles import Role  # noqa: E402
from tracker.passwords import hash_password  # noqa: E402
from tracker.reports import figures  # noqa: E402
from tracker.reports.views import default_period  # noqa: E402
from tracker.timeutil import clinic_today, to_clinic  # noqa: E402

# The audit trail is for admins: its download is measured as this one (the coordinator stays one,
# so two runs at once never see each other's roles).
ADMIN_EMAIL = "bench-admin@bench.clinic"

# Each case's state by its number modulo 12: a year's mix, half of it injected.
STATES = ["referred", "under_review", "eligible", "not_eligible", "scheduled", "follow_up", "follow_up",
          "closed", "closed", "closed", "cancelled", "closed"]
INJECTED = "('follow_up', 'closed')"
POINTS = [("t0", None), ("m15", 0.25), ("m30", 0.5), ("h1", 1), ("h2", 2), ("h3", 3), ("h4", 4), ("h5", 5),
          ("h6", 6), ("d1", 24), ("d2", 48), ("d7", 168), ("w2", 336), ("w6", 1008), ("mo3", 2160),
          ("mo6", 4320), ("mo12", 8760)]

FILL = """
INSERT INTO users (id, email, name, role, password_hash, active, session_token, created_at, password_changed_at,
                   version_id, ever_physician)
SELECT 1 + g, 'doc' || g || '@bench.clinic', 'Dr Bench ' || g, 'physician', 'x', true, md5(g::text), now(), now(), 1,
       true
FROM generate_series(1, 8) g;
INSERT INTO users (id, email, name, role, password_hash, active, session_token, created_at, password_changed_at,
                   version_id)
VALUES (1, 'bench@bench.clinic', 'Bench Coordinator', 'coordinator', :password, true, 'tok', now(), now(), 1);
INSERT INTO rooms (id, name, modality, location, active, version_id)
SELECT g, 'Suite ' || g, 'fluoroscopy', '', true, 1 FROM generate_series(1, 4) g;
INSERT INTO working_hours (physician_id, weekday, starts, ends)
SELECT 1 + p, d, '08:00', '16:00' FROM generate_series(1, 8) p, generate_series(0, 4) d;
INSERT INTO patients (id, mrn, mrn_key, family_name, family_name_key, given_name, given_name_key, date_of_birth,
                      sex, phone_key, preferred_contact, language, created_at, version_id)
SELECT i, 'B' || lpad(i::text, 7, '0'), 'b' || lpad(i::text, 7, '0'), 'Name' || (i % 5000), 'name' || (i % 5000),
       'Bench', 'bench', date '1950-01-01' + (i % 18000), 'unknown', '', 'email', 'English', now(), 1
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
                                  snapshot, failed_criteria, facts_fingerprint, override_reason, override_by_id,
                                  override_at)
SELECT id, referral_date + (id % 14) + time '14:00', 1, coalesce(payer_profile_code, 'MEDICARE_LCD_2023'), 1,
       state <> 'not_eligible' AND id % 5 <> 0,
       CASE WHEN state <> 'not_eligible' AND id % 5 <> 0
            THEN '{"criteria": [{"code": "provocation_tests", "status": "met"}]}'
            ELSE '{"criteria": [{"code": "provocation_tests", "status": "not_met"},
                                {"code": "conservative_care_duration", "status": "not_met"},
                                {"code": "pain_duration", "status": "unknown"}]}' END::json,
       CASE WHEN state <> 'not_eligible' AND id % 5 <> 0 THEN '[]'
            ELSE '["provocation_tests", "conservative_care_duration"]' END,
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
    keep_relief_spans()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def keep_relief_spans():
    """The relief spans the app keeps on every diary write (tracker/diary/kept.py), for the rows the
    fill wrote in SQL; also run on a database filled before relief_spans existed (--reuse)."""
    from tracker.diary.kept import keep_all
    from tracker.models import ReliefSpan

    with db.engine.begin() as conn:
        ReliefSpan.__table__.create(conn, checkfirst=True)
        if conn.execute(text("SELECT count(*) FROM relief_spans")).scalar():
            return
        started = time.perf_counter()
        keep_all(conn)
        conn.execute(text("ANALYZE relief_spans"))
    print(f"kept the relief spans in {time.perf_counter() - started:.1f} s")


class _Clock:
    """Each figure's time: the time from the report's start, or the previous figure, to this one."""

    def __init__(self, now):
        self.now = now
        self.mark = now()
        self.times = {}

    def figure_class(self, base):
        clock = self

        class TimedFigure(base):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                now = clock.now()
                clock.times.setdefault(self.key, []).append((now - clock.mark) * 1000)
                clock.mark = now

        return TimedFigure


class _Cpu:
    """CPU time spent by this process and the database's backends serving it (PostgreSQL on this
    machine): unlike wall time, hardly changed by other work sharing the machine. Parallel
    workers are short-lived processes whose time cannot be read afterwards, so CPU runs switch them
    off (`SET max_parallel_workers_per_gather = 0`): everything then runs in the backend."""

    def __init__(self, engine):
        self.pids = set()
        self.serial = False
        event.listen(engine, "connect", self._connected)
        event.listen(engine, "checkout", self._checked_out)

    def _connected(self, dbapi_connection, record):
        self.pids.add(dbapi_connection.info.backend_pid)

    def _checked_out(self, dbapi_connection, record, proxy):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = " + ("0" if self.serial else "DEFAULT"))
        dbapi_connection.commit()  # the setting stays with the session; no transaction left open

    def ms(self):
        ticks = 0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            except FileNotFoundError:
                pass
        return (time.process_time() + ticks / os.sysconf("SC_CLK_TCK")) * 1000


def _rss_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {field} in /proc/self/status")


def csv_memory(url, path, password):
    """In this (fresh) process: stream `path` and print rows, peak RSS growth (MiB) and seconds."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        client = app.test_client()
        client.post("/sign-in", data={"email": ADMIN_EMAIL, "password": password})
        warm = client.get("/admin/audit.csv?date_from=2999-01-01", buffered=False)  # code and pools loaded
        for _ in warm.response:
            pass
        warm.close()
        before = _rss_kib("VmRSS")
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # the peak (VmHWM) starts again from now
        started = time.perf_counter()
        response = client.get(path, buffered=False)
        lines = 0
        for chunk in response.response:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        response.close()
        seconds = time.perf_counter() - started
        print(f"{lines - 1} {(_rss_kib('VmHWM') - before) / 1024:.1f} {before / 1024:.1f} {seconds:.1f}")


def _csv_in_fresh_process(url, path, password):
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--url", url, "--password", password, "--csv-memory", path],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2]), float(out[3])


def _date_holding(rows_back):
    """The clinic day from which the audit trail holds about `rows_back` rows to now."""
    moment = db.session.execute(text("SELECT at FROM audit_events ORDER BY at DESC OFFSET :n LIMIT 1"),
                                {"n": rows_back}).scalar()
    return to_clinic(moment.replace(tzinfo=timezone.utc)).date().isoformat() if moment else "1900-01-01"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--audit-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/si_tracker_bench_reports")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--reuse", action="store_true", help="time a database filled earlier")
    parser.add_argument("--csv-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_memory:
        return csv_memory(args.url, args.csv_memory, args.password)

    if not args.reuse:
        fresh_database(args.url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=args.url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        cpu = _Cpu(db.engine)
        if not args.reuse:
            db.create_all()
            started = time.perf_counter()
            fill(args.cases, args.audit_rows)
            print(f"filled {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        else:
            keep_relief_spans()
        start, end = default_period(clinic_today())
        print(", ".join(f"{count(t):,} {t}" for t in (
            "cases", "eligibility_verdicts", "appointments", "procedure_records", "diary_points", "diary_entries",
            "diary_reminders", "outcomes", "audit_events")))
        print("in the default period: " + ", ".join(f"{n:,} {what}" for what, n in db.session.execute(text(
            "SELECT 'cases referred', count(*) FROM cases WHERE referral_date BETWEEN :s AND :e "
            "UNION ALL SELECT 'procedures', count(*) FROM procedure_records WHERE started_at >= :s "
            "AND started_at < CAST(:e AS date) + 1"), {"s": start, "e": end}).all()))
        db.session.rollback()

        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@bench.clinic", "password": args.password})
        physician = db.session.execute(text("SELECT min(id) FROM users WHERE role = 'physician'")).scalar()
        db.session.rollback()
        pages = {
            "reports, last 12 months (default)": "/reports",
            "reports, physician filter": f"/reports?physician={physician}",
            "reports, payer filter (default profile)": "/reports?profile=MEDICARE_LCD_2023",
            "reports, one month": f"/reports?start={end.replace(day=1).isoformat()}&end={end.isoformat()}",
        }
        client.get("/reports")  # caches warm, as on a server that has been up a while
        print(f"\n{'page (load average ' + _load() + ')':42} {'median ms':>10} {'fastest':>8} {'CPU ms':>8} "
              f"{'queries':>8}")
        for label, path in pages.items():
            statements.clear()
            times, cpu_times = [], []
            for serial in [False] * args.runs + [True] * args.runs:
                cpu.serial = serial
                started, cpu_started = time.perf_counter(), cpu.ms()
                response = client.get(path)
                (cpu_times if serial else times).append(
                    (cpu.ms() - cpu_started) if serial else (time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            print(f"{label:42} {statistics.median(times):10.1f} {min(times):8.1f} {statistics.median(cpu_times):8.0f} "
                  f"{len(statements) // (2 * args.runs):8}")
        cpu.serial = False

        clocks = {"wall": _Clock(time.perf_counter), "cpu": _Clock(lambda: cpu.ms() / 1000)}
        filters = figures.Filters(start=start, end=end, default_profile="MEDICARE_LCD_2023")
        real_figure = figures.Figure
        try:
            for kind, clock in clocks.items():
                figures.Figure = clock.figure_class(real_figure)
                cpu.serial = kind == "cpu"
                for _ in range(args.runs):
                    for build in figures.REPORTS.values():
                        figures._without_jit()
                        clock.mark = clock.now()
                        build(filters)
                        db.session.rollback()
        finally:
            figures.Figure, cpu.serial = real_figure, False
        print(f"\n{'figure (default period; load ' + _load() + ')':42} {'median ms':>10} {'fastest':>8} {'CPU ms':>8}")
        wall, cpu_ms = clocks["wall"].times, clocks["cpu"].times
        for key, times in wall.items():
            print(f"{figures.FIGURE_REPORT[key] + ' / ' + key:42} {statistics.median(times):10.1f} {min(times):8.1f} "
                  f"{statistics.median(cpu_ms[key]):8.0f}")
        print(f"{'all figures':42} {sum(statistics.median(t) for t in wall.values()):10.1f} "
              f"{sum(min(t) for t in wall.values()):8.1f} {sum(statistics.median(t) for t in cpu_ms.values()):8.0f}")

        print(f"\n{'CSV download (a fresh process)':42} {'rows':>8} {'RSS +MiB':>9} {'RSS MiB':>8} {'seconds':>8}")
        if not db.session.execute(select(User).filter_by(email=ADMIN_EMAIL)).scalar():
            db.session.add(User(email=ADMIN_EMAIL, name="Bench Admin", role=Role.ADMIN,
                                password_hash=hash_password(args.password)))
        db.session.commit()
        for rows_back in (10_000, 100_000):
            path = "/admin/audit.csv?date_from=" + _date_holding(rows_back)
            rows, growth, rss, seconds = _csv_in_fresh_process(args.url, path, args.password)
            print(f"{'audit trail, about ' + format(rows_back, ',') + ' rows':42} {rows:8,} {growth:9.1f} "
                  f"{rss:8.1f} {seconds:8.1f}")
        db.session.remove()
        db.engine.dispose()


def _load():
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    main()
