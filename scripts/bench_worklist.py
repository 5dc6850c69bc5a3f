"""Benchmark: the coordinator's worklist with 100,000 cases on PostgreSQL.

Builds a throwaway database, fills it with patients and cases spread over every state, then
fetches the worklist with each filter and prints the time per page (median of several runs) and
the number of SQL statements. A benchmark, not a test: it prints figures for the README.

    .venv/bin/python scripts/bench_worklist.py                      # 100,000 cases
    .venv/bin/python scripts/bench_worklist.py --cases 20000 --url postgresql+psycopg://...
"""
import argparse
import re
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import TestingConfig  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Case, CaseHistory, Patient, User  # noqa: E402
from tracker.passwords import hash_password  # noqa: E402
from tracker.roles import Role  # noqa: E402
from tracker.workflow import State  # noqa: E402

PASSWORD = "Benchmark-password-2026"
STATES = [s for s in State]
SIDES = ["left", "right", "bilateral"]
PROFILES = [None, None, "EVICORE_CMM_203", "MP_558", "CAM_770HB"]


def fresh_database(url):
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def fill(n_cases):
    coordinator = User(email="bench@bench.clinic", name="Bench Coordinator", role=Role.COORDINATOR,
                       password_hash=hash_password(PASSWORD))
    physicians = [User(email=f"doc{i}@bench.clinic", name=f"Dr Bench {i}", role=Role.PHYSICIAN,
                       password_hash="x") for i in range(8)]
    db.session.add_all([coordinator, *physicians])
    db.session.commit()
    now = datetime.now(timezone.utc)
    batch = 10_000
    for start in range(0, n_cases, batch):
        ids = range(start, min(start + batch, n_cases))
        db.session.execute(insert(Patient), [
            {"id": i + 1, "mrn": f"B{i:07d}", "family_name": f"Name{i % 5000:04d}",
             "family_name_key": f"name{i % 5000:04d}", "given_name": "Bench",
             "date_of_birth": date(1950 + i % 50, 1 + i % 12, 1 + i % 28), "sex": "unknown",
             "preferred_contact": "email", "language": "English", "created_at": now} for i in ids])
        db.session.execute(insert(Case), [
            {"id": i + 1, "patient_id": i + 1, "state": STATES[i % len(STATES)].value,
             "state_changed_at": now - timedelta(minutes=i), "side": SIDES[i % 3],
             "indication": "diagnostic", "referring_clinician": "Dr R", "referral_date": date(2026, 1, 1),
             "reason": "", "physician_id": physicians[i % 8].id, "payer_profile_code": PROFILES[i % 5],
             "created_at": now, "created_by_id": coordinator.id, "version_id": 1,
             "pain_worse_standing": False, "pain_worse_walking_uphill": False,
             "pain_worse_sit_to_stand": False, "pain_radiates_buttock_thigh": False,
             "lumbar_fusion_history": False} for i in ids])
        db.session.execute(insert(CaseHistory), [
            {"case_id": i + 1, "at": now, "actor_id": coordinator.id, "actor_role": "coordinator",
             "action": "refer", "to_state": STATES[i % len(STATES)].value, "reason": ""} for i in ids])
        db.session.commit()
    for table in ("patients", "cases", "case_history"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return physicians[0].id


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/si_tracker_bench")
    args = parser.parse_args()

    fresh_database(args.url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=args.url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        physician_id = fill(args.cases)
        print(f"filled {args.cases:,} cases in {time.perf_counter() - started:.1f} s")

        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@bench.clinic", "password": PASSWORD})
        pages = {
            "open cases, longest waiting": "/cases/",
            "state = under review": "/cases/?state=under_review",
            "physician": f"/cases/?physician={physician_id}",
            "side = left": "/cases/?side=left",
            "payer = MP-558": "/cases/?profile=MP_558",
            "search by MRN": "/cases/?q=B0012345",
            "search by name prefix": "/cases/?q=name12",
            "sorted by name, page 40": "/cases/?sort=name&page=40",
        }
        print(f"{'worklist page':32} {'median ms':>10} {'max ms':>8} {'queries':>8}")
        for label, path in pages.items():
            times = []
            for _ in range(args.runs):
                statements.clear()
                t0 = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            shown = len(re.findall(r'href="/cases/\d+"', response.get_data(as_text=True)))
            print(f"{label:32} {statistics.median(times):10.1f} {max(times):8.1f} {len(statements):8}"
                  f"   ({shown} rows shown)")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
