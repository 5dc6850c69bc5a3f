"""Benchmark: the header search (`/search?q=`) with 100,000 patients on PostgreSQL.

Builds a throwaway database of its own (the tables as the models declare them, with their
indexes), fills it with COPY: patients with accented and plain family names (one in ten of several
parts, "de la Garcia-Smith", with their parts' keys), given names, dates of birth, MRNs and phone
numbers spread as a clinic's are, one case each. Then runs each kind of search
several times and prints the median and the slowest time of the search query alone and of the
whole page (sign-in session, query, the page rendered), and how many patients each found. A
benchmark, not a test: it prints figures for the README (section "Speed").

    .venv/bin/python scripts/bench_search.py                      # 100,000 patients
    .venv/bin/python scripts/bench_search.py --patients 20000 --url postgresql+psycopg://...
"""
import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import TestingConfig  # noqa: E402
from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import User  # noqa: E402
from tracker.passwords import hash_password  # noqa: E402
from tracker.patients import lookup  # noqa: E402
from tracker.patients.identity import later_part_keys, mrn_key, name_key, normalise_mrn, phone_key  # noqa: E402
from tracker.roles import Role  # noqa: E402

PASSWORD = "Benchmark-password-2026"
FAMILY_STARTS = ["Gar", "Mart", "Rod", "Hern", "Lóp", "Gonz", "Pér", "Sánch", "Ram", "Torr", "Flor", "Rivr",
                 "Góm", "Díaz", "Cruz", "Mor", "Ort", "Guti", "Chav", "Ram", "Smi", "John", "Will", "Brow",
                 "Jon", "Mill", "Dav", "Wils", "And", "Tayl", "Thom", "Moor", "Jack", "Whit", "Harr", "Mart",
                 "Thomps", "Rob", "Clar", "Lew", "Lee", "Walk", "Hall", "Ali", "Young", "King", "Wri",
                 "O'Bri", "Nguy", "Kim", "Park", "Chen", "Wang", "Li", "Zhang", "Liu", "Okon", "Adey",
                 "Nakam", "Tana", "Sato", "Müll", "Schm", "Schn", "Fisch", "Lindq", "Johan", "Niels"]
FAMILY_ENDS = ["ía", "ez", "ínez", "iguez", "andez", "ez", "ales", "ez", "írez", "es", "es", "a", "ez", "",
               "th", "son", "iams", "n", "es", "er", "is", "on", "erson", "or", "as", "e", "son", "e",
               "is", "in", "ght", "en", "er", "ard", "ak", "wo", "emi", "ura", "ka", "er", "idt", "eider",
               "qvist", "sson", "sen", "-Jones", "ello", "ini", "escu", "opoulos", "ova", "enko"]
# One family name in ten has several parts: a particle before it, or a second name after a hyphen.
PARTICLES = ["de la ", "Ní ", "van der ", "Mac ", "del "]
SECOND = ["-O'Connor", "-Smith", "-Dhúill", " García", "-Okafor"]
GIVEN = ["Lucía", "María", "José", "Juan", "Ana", "Luis", "Carmen", "Jorge", "Sofía", "Ada", "Emi",
         "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "Chidi", "Ngozi", "Wei", "Min-jun", "Hiroshi", "Yuki", "Søren", "Åsa", "Björn", "Zoë", "Renée",
         "François", "Chloé", "Noémie", "Mateo", "Valentina", "Santiago", "Camila", "Diego", "Isabella"]


def fresh_database(url):
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def people(n):
    """n patients as rows for COPY (id, the typed values and their keys), reproducibly."""
    rng = random.Random(2026)
    # Its own generator, so the other values (and the names searched for) are those of earlier runs.
    several = random.Random(7)
    families = sorted({s + e for s in FAMILY_STARTS for e in FAMILY_ENDS})
    born_from = date(1935, 1, 1)
    now = datetime.now(timezone.utc)
    for i in range(1, n + 1):
        family, given = rng.choice(families), rng.choice(GIVEN)
        if i % 10 == 5:
            family = several.choice(PARTICLES) + family + several.choice(SECOND)
        mrn = f"A{rng.randrange(10**7):07d}-{i}" if i % 10 == 0 else f"A{i:07d}"
        phone = f"+1{rng.choice(('201', '212', '305', '415', '617'))}{rng.randrange(200, 1000)}{rng.randrange(10**4):04d}"
        born = born_from + timedelta(days=rng.randrange(70 * 365))
        yield (i, mrn, mrn_key(mrn), family, name_key(family), given, name_key(given), born, "unknown",
               phone, phone_key(phone), "email", "English", now, 1)


def fill(n_patients):
    coordinator = User(email="bench@bench.clinic", name="Bench Coordinator", role=Role.COORDINATOR,
                       password_hash=hash_password(PASSWORD))
    db.session.add(coordinator)
    db.session.commit()
    now = datetime.now(timezone.utc)
    connection = db.engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            with cursor.copy("COPY patients (id, mrn, mrn_key, family_name, family_name_key, given_name, "
                             "given_name_key, date_of_birth, sex, phone, phone_key, preferred_contact, "
                             "language, created_at, version_id) FROM STDIN") as copy:
                for row in people(n_patients):
                    copy.write_row(row)
            # Each name's later parts, as the app keeps them (FamilyNamePart, GivenNamePart).
            for table, name in (("family_name_parts", 3), ("given_name_parts", 5)):
                with cursor.copy(f"COPY {table} (patient_id, key, family_name_key, given_name_key) "
                                 "FROM STDIN") as copy:
                    for row in people(n_patients):
                        for key in later_part_keys(row[name]):
                            copy.write_row((row[0], key, row[4], row[6]))
            with cursor.copy("COPY cases (id, patient_id, state, state_changed_at, side, indication, "
                             "referring_clinician, referral_date, reason, diagnosis_codes, created_at, "
                             "created_by_id, version_id, pain_worse_standing, pain_worse_walking_uphill, "
                             "pain_worse_sit_to_stand, pain_radiates_buttock_thigh, lumbar_fusion_history) "
                             "FROM STDIN") as copy:
                for i in range(1, n_patients + 1):
                    copy.write_row((i, i, ("referred", "under_review", "closed")[i % 3], now,
                                    ("left", "right", "bilateral")[i % 3], "diagnostic", "Dr R",
                                    date(2026, 1, 1), "", "[]", now, coordinator.id, 1,
                                    False, False, False, False, False))
            for table in ("patients", "cases"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
    finally:
        connection.close()
    # As autovacuum leaves a live table: the rows just copied are moved from the trigram indexes'
    # pending lists into the indexes proper, and the planner has statistics.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def searches(sample, several):
    """One search of each kind, typed as staff type them, for patients on file (`sample`, and
    `several`, one whose family name has several parts)."""
    family, given, born, mrn, phone = sample
    several_family, several_given = several
    return {
        "MRN": mrn.lower(),
        "MRN fragment": mrn[2:7],
        "family prefix": family[:4],
        '"Family, Given"': f"{family}, {given[:2]}",
        "Given Family (parts)": f"{several_given} {several_family}",
        "later part": several_family.split()[-1].split("-")[-1][:5],
        "given": given,
        "DOB (ISO)": born.isoformat(),
        "DOB (clinic format)": born.strftime("%m/%d/%Y"),
        "phone": f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}",
    }


def timed(run, runs):
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        found = run()
        times.append((time.perf_counter() - t0) * 1000)
    times = times[1:]  # the first run warms the caches
    return statistics.median(times), max(times), found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/si_tracker_bench_search")
    args = parser.parse_args()

    fresh_database(args.url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=args.url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        fill(args.patients)
        print(f"filled {args.patients:,} patients (one case each) in {time.perf_counter() - started:.1f} s")
        sample = db.session.execute(text(
            "SELECT family_name, given_name, date_of_birth, mrn, phone FROM patients WHERE id = :id"),
            {"id": args.patients // 3}).one()
        several = db.session.execute(text(
            "SELECT family_name, given_name FROM patients p WHERE id >= :id AND EXISTS "
            "(SELECT 1 FROM family_name_parts f WHERE f.patient_id = p.id) ORDER BY id LIMIT 1"),
            {"id": args.patients // 3}).one()
        client = app.test_client()
        client.post("/sign-in", data={"email": "bench@bench.clinic", "password": PASSWORD})
        print(f"{'search':22} {'typed':32} {'query ms':>9} {'max':>6} {'page ms':>8} {'max':>6} {'found':>6}")
        for kind, typed in searches(sample, several).items():
            terms = lookup.parse_search(typed, ("%Y-%m-%d", "%m/%d/%Y"))

            def query():
                found = lookup.search_page(terms)
                db.session.rollback()
                return found

            def page():
                response = client.get("/search", query_string={"q": typed})
                assert response.status_code == 200, (typed, response.status_code)
                return response

            query_ms, query_max, found = timed(query, args.runs)
            page_ms, page_max, _ = timed(page, args.runs)
            shown = f"{min(len(found), lookup.MAX_RESULTS)}{'+' if len(found) > lookup.MAX_RESULTS else ''}"
            print(f"{kind:22} {typed:32} {query_ms:9.1f} {query_max:6.1f} {page_ms:8.1f} {page_max:6.1f} {shown:>6}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
