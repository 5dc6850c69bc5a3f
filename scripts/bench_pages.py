"""Benchmark: the tracker's busiest pages against a bare Flask route, at 10,000 to 1,000,000 cases.

    .venv/bin/python scripts/bench_pages.py fill --cases 100000 --url URL --password PW
    .venv/bin/python scripts/bench_pages.py run --sizes 10000,100000,1000000

`fill` builds a PostgreSQL database as a clinic's would look: it migrates to head, seeds the demo
clinic (20 patients whose cases are built through the tracker's own services: referral, conservative
care, examination, risk screen, verdicts, appointments, signed checklists with every step, diaries
with entries and reminders, outcomes, history and audit rows), then copies those records as many
times as needed. Each copy gets new ids (foreign keys follow), its unique texts a suffix, and its
dates moved back by up to ten years, so every table holds what a clinic of that size would hold
and in the same proportions; each copy's family names start with syllables of its own. The copy runs
inside PostgreSQL (INSERT ... SELECT over generate_series), without the foreign-key triggers and
with the plain indexes dropped and built once at the end; then the nightly `flask worklist refresh`
runs, as a clinic's cron would have, and `VACUUM ANALYZE`; the times are printed. A coordinator
`bench@bench.clinic` and the demo physician `physician@demo.clinic` sign in with PW.

`run` starts gunicorn with the repository's production configuration (gunicorn.conf.py) and, beside
it, the bare route (50 indexed rows from a 100,000-row table rendered in a Jinja table; defined
here, outside the app), drives both with `wrk` interleaved, and prints one table: each page's req/s
and unloaded median and p99, and their ratios to the bare route. A benchmark, not a test.
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sqlalchemy import MetaData, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench_worklist import fresh_database  # noqa: E402

PASSWORD = "Benchmark-password-2026"
BENCH_EMAIL = "bench@bench.clinic"
BENCH_PHYSICIAN = "physician@demo.clinic"
# Records that belong to the clinic, not to a patient: never copied.
CLINIC_TABLES = {"users", "alembic_version"}
# Copies spread over this many days back, so that date-ordered indexes see years of history.
SPREAD_DAYS = 3650
# Dates that say when the tracker worked something out, not when something happened: a copy keeps
# them, so the database stands as it would after the nightly `flask worklist refresh`.
UNMOVED = {("case_rows", "computed_on")}
# A copy's family name starts with two syllables of its own (4,900 of them: "Dubois" becomes
# "Kodubois", "Mevadubois"...), so a name search finds a handful of patients, as in a clinic, not one
# in twenty. The folded key follows the name.
_SYLLABLES = ("substr('bdfgklmnprstvz', 1 + (k % 14)::int, 1) || substr('aeiou', 1 + (k / 14 % 5)::int, 1) || "
              "substr('bdfgklmnprstvz', 1 + (k / 70 % 14)::int, 1) || substr('aeiou', 1 + (k / 980 % 5)::int, 1)")
RENAMED = {("patients", "family_name"): "initcap({syllables} || lower({name}))",
           ("patients", "family_name_key"): "{syllables} || {name}",
           # The name parts' copy of the patient's key (tracker.models.FamilyNamePart, GivenNamePart):
           # the same syllables; the later parts' own keys do not change ("Kogarcía lópez" still has "lopez").
           ("family_name_parts", "family_name_key"): "{syllables} || {name}",
           ("given_name_parts", "family_name_key"): "{syllables} || {name}"}


def seed_template(url, password):
    """Migrate, seed the demo clinic and add the benchmark coordinator; returns nothing."""
    from flask_migrate import upgrade

    from config import ProductionConfig
    from tracker import create_app
    from tracker.admin.services import create_user
    from tracker.auth.services import set_password
    from tracker.extensions import db
    from tracker.models import User
    from tracker.demo import seed
    from tracker.roles import Role

    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=secrets.token_hex(32))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        seed()
        create_user(BENCH_EMAIL, "Bench Coordinator", Role.COORDINATOR, password)
        # The physician's list is measured as the demo physician, whose cases every copy repeats.
        physician = db.session.scalar(db.select(User).filter_by(email=BENCH_PHYSICIAN))
        set_password(physician, password)
        db.session.commit()


def _patient_tables(meta):
    """Tables whose rows belong to a patient: patients, and every table that points (through any
    chain of foreign keys) to one of them. The audit trail is copied too (it grows with the work)."""
    owned = {"patients"}
    changed = True
    while changed:
        changed = False
        for table in meta.sorted_tables:
            if table.name in owned or table.name in CLINIC_TABLES:
                continue
            if any(fk.column.table.name in owned for fk in table.foreign_keys):
                owned.add(table.name)
                changed = True
    if "audit_events" in meta.tables:
        owned.add("audit_events")
    return [t for t in meta.sorted_tables if t.name in owned]


def _template_key(table, offsets):
    """(column, table whose offset it follows) that tells the template's rows from the copies."""
    if "id" in table.columns:
        return "id", table.name
    for fk in table.foreign_keys:
        if fk.column.table.name in offsets and fk.parent.primary_key:
            return fk.parent.name, fk.column.table.name
    raise SystemExit(f"{table.name}: no id and no key that follows a copied table")


def _copy_expression(column, offsets, unique_texts):
    """How column `column` of copy number k is made from the template's value."""
    name = f'"{column.name}"'
    if column.primary_key and column.table.name in offsets:
        return f"{name} + k * {offsets[column.table.name]}"
    for fk in column.foreign_keys:
        target = fk.column.table.name
        if target in offsets:
            return f"{name} + k * {offsets[target]}"
    type_name = type(column.type).__name__.upper()
    if column.name in unique_texts:
        return f"{name} || '~' || k"
    if (column.table.name, column.name) in UNMOVED:
        return name
    if (column.table.name, column.name) in RENAMED:
        return RENAMED[column.table.name, column.name].format(syllables=_SYLLABLES, name=name)
    if type_name == "DATE":
        return f"{name} - (k % {SPREAD_DAYS})"
    if type_name in {"DATETIME", "TIMESTAMP"}:
        return f"{name} - make_interval(days => (k % {SPREAD_DAYS})::int)"
    return name


def _secondary_indexes(conn, tables):
    """(name, definition) of the plain indexes of `tables`: not a primary key, not unique (those
    the copy's own checks need), dropped around the load and built once after it."""
    return conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables) "
        "AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.indexname"),
        {"tables": [t.name for t in tables]}).all()


def clone(url, cases):
    """Copy the template's records until the database holds `cases` cases, all inside PostgreSQL
    (INSERT ... SELECT over generate_series: no row travels to Python). The load skips the
    foreign-key triggers (the copies' keys follow their template's, which held), and the plain
    indexes are dropped first and built once at the end: a row per index per copy otherwise."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    tables = _patient_tables(meta)
    with engine.begin() as conn:
        base = conn.execute(text("SELECT count(*) FROM cases")).scalar()
        copies = cases // base - 1
        if cases % base:
            print(f"note: {cases:,} is not a multiple of the {base} template cases; "
                  f"filling {(copies + 1) * base:,}")
        # Tables keyed by their own id shift ids by the template's largest; a table keyed by its
        # parent's id (case_rows) follows its parent.
        offsets = {t.name: conn.execute(text(f'SELECT coalesce(max(id), 0) FROM "{t.name}"')).scalar()
                   for t in tables if "id" in t.columns}
        started = time.perf_counter()
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        indexes = _secondary_indexes(conn, tables)
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        for table in tables:
            table_started = time.perf_counter()
            unique_texts = {c.name for c in table.columns if c.unique and c.type.python_type is str}
            for constraint in table.constraints:
                cols = list(getattr(constraint, "columns", []))
                if constraint.__class__.__name__ == "UniqueConstraint" and len(cols) == 1 \
                        and cols[0].type.python_type is str:
                    unique_texts.add(cols[0].name)
            for index in table.indexes:
                cols = list(index.columns)
                if index.unique and len(cols) == 1 and cols[0].type.python_type is str:
                    unique_texts.add(cols[0].name)
            key, parent = _template_key(table, offsets)
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            values = ", ".join(_copy_expression(c, offsets, unique_texts) for c in table.columns)
            # Batches of copies keep each statement's memory bounded at a million cases.
            step = max(1, 200_000 // max(1, offsets[parent]))
            for first in range(1, copies + 1, step):
                last = min(copies, first + step - 1)
                conn.execute(text(
                    f'INSERT INTO "{table.name}" ({names}) SELECT {values} FROM "{table.name}" '
                    f"CROSS JOIN generate_series({first}, {last}) AS k "
                    f'WHERE "{table.name}"."{key}" <= {offsets[parent]}'))
            if key == "id":
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                  f'(SELECT max(id) FROM "{table.name}"))'))
            print(f"  {table.name}: {time.perf_counter() - table_started:.1f} s", flush=True)
        after_clone(conn)
        loaded = time.perf_counter()
        for _, definition in indexes:
            conn.execute(text(definition))
        print(f"copied the template {copies:,} times in {loaded - started:.1f} s, "
              f"built {len(indexes)} indexes in {time.perf_counter() - loaded:.1f} s", flush=True)
    engine.dispose()


def nightly_refresh(url):
    """Run what the nightly `flask worklist refresh` runs. The copies' kept lines moved back in
    time with their bookings: a line whose `current_until` (the moment a booking passes its
    no-show grace) now lies in the past would be worked out again on every page that shows it,
    which no clinic's database holds after its nightly run."""
    from config import ProductionConfig
    from tracker import create_app
    from tracker.cases.rows import refresh_outdated

    started = time.perf_counter()
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=secrets.token_hex(32))
    with app.app_context():
        done = refresh_outdated()
    print(f"worked out {done:,} outdated worklist lines (the nightly refresh) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)


def vacuum(url):
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    engine.dispose()


def after_clone(conn):
    """Bring kept aggregates up to date with the copied rows (the app keeps them on every write):
    the per-state counts, the relief spans, and the diary points whose chase ended in the past the copies were moved
    to leave the overdue list's index (as the nightly refresh does)."""
    from tracker.cases.counts import rebuild_state_counts_sql

    conn.execute(text(rebuild_state_counts_sql()))
    conn.execute(text("UPDATE diary_points SET chased = false WHERE chased "
                      "AND chase_until <= (now() AT TIME ZONE 'utc')"))
    # The relief spans, recomputed for the copies from their diaries (tracker/diary/kept.py).
    from tracker.diary.kept import keep_all

    conn.execute(text("DELETE FROM relief_spans"))
    keep_all(conn)


def fill(url, cases, password):
    fresh_database(url)
    started = time.perf_counter()
    seed_template(url, password)
    clone(url, cases)
    nightly_refresh(url)
    vacuum(url)
    print(f"filled {cases:,} cases in {time.perf_counter() - started:.1f} s ({make_url(url).database})", flush=True)


# --- run ----------------------------------------------------------------------------------------

BARE_APP = '''
"""The bare route: 50 indexed rows of a 100,000-row table, rendered in a Jinja table."""
import os
from flask import Flask, render_template_string, request
from sqlalchemy import create_engine, text
engine = create_engine(os.environ["BARE_DB_URL"], pool_pre_ping=True)
app = Flask(__name__)
PAGE = app.jinja_env.from_string("""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Cases for site {{ site }}</title></head><body><h1>Cases for site {{ site }}</h1><table>
<thead><tr><th>ID</th><th>Patient</th><th>Date</th><th>Side</th><th>Pre</th><th>Post</th><th>Status</th>
<th>Notes</th></tr></thead><tbody>{% for c in cases %}<tr><td>{{ c.id }}</td><td>{{ c.patient_ref }}</td>
<td>{{ c.procedure_date.isoformat() }}</td><td>{{ c.side }}</td><td>{{ c.pain_pre }}</td><td>{{ c.pain_post }}</td>
<td>{{ c.status }}</td><td>{{ c.notes }}</td></tr>{% endfor %}</tbody></table><p>{{ cases|length }} rows</p>
</body></html>""")

@app.get("/cases")
def cases():
    site = request.args.get("site", 1, type=int)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM bare_cases WHERE site_id = :s ORDER BY id LIMIT 50"),
                            {"s": site}).all()
    return PAGE.render(site=site, cases=rows)
'''


def ensure_bare_table(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        exists = conn.execute(text("SELECT to_regclass('bare_cases') IS NOT NULL")).scalar()
        if not exists:
            conn.execute(text(
                "CREATE TABLE bare_cases (id serial PRIMARY KEY, site_id int NOT NULL, patient_ref text NOT NULL,"
                " procedure_date date NOT NULL, side text NOT NULL, pain_pre int, pain_post int,"
                " status text NOT NULL, notes text NOT NULL)"))
            conn.execute(text(
                "INSERT INTO bare_cases (site_id, patient_ref, procedure_date, side, pain_pre, pain_post, status, notes)"
                " SELECT 1 + i % 1000, 'P' || lpad(i::text, 7, '0'), date '2020-01-01' + (i % 2000),"
                " (array['left','right','bilateral'])[1 + i % 3], i % 11, (i * 7) % 11,"
                " (array['scheduled','done','cancelled'])[1 + i % 3], 'note ' || i"
                " FROM generate_series(1, 100000) AS i"))
            conn.execute(text("CREATE INDEX ix_bare_cases_site ON bare_cases (site_id, id)"))
            conn.execute(text("ANALYZE bare_cases"))
    engine.dispose()


def _wait_for(url, timeout=30):
    import urllib.request
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception as error:  # noqa: BLE001 - any answer (even 4xx) means it is up
            if hasattr(error, "code"):
                return
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def sign_in(base, password, email=BENCH_EMAIL):
    """A session cookie for `email` (the cookie is Secure: passed by hand)."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    session = next(c.value for c in jar if c.name == "tracker_session")
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    request = urllib.request.Request(f"{base}/sign-in", data=data,
                                     headers={"Cookie": f"tracker_session={session}"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        response = urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as answer:
        response = answer
    cookie = re.search(r"tracker_session=([^;]+)", response.headers.get("Set-Cookie", ""))
    if not cookie:
        raise SystemExit("sign-in failed: no session cookie")
    return cookie.group(1)


def wrk(url, seconds, connections, cookie=None, script=None):
    command = ["wrk", "-t", "1" if connections == 1 else "2", "-c", str(connections), "-d", f"{seconds}s",
               "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: tracker_session={cookie}"]
    if script:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": ms("50"), "p99": ms("99"), "errors": int(errors.group(1)) if errors else 0}


def page_paths(url):
    """The pages the issue names, {label: (path, who)}, with ids read from the database so every
    link is real; `who` signs in: the coordinator, or the physician for their own list."""
    engine = create_engine(url)
    with engine.connect() as conn:
        physician = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": BENCH_PHYSICIAN}).scalar()
        case = conn.execute(text("SELECT id FROM cases WHERE state = 'follow_up' ORDER BY id DESC LIMIT 1")).scalar()
        family = conn.execute(text("SELECT family_name FROM patients ORDER BY id DESC LIMIT 1")).scalar()
    engine.dispose()
    coordinator = "coordinator"
    return {
        "worklist": ("/cases/", coordinator),
        "worklist, state": ("/cases/?state=under_review", coordinator),
        "worklist, physician": (f"/cases/?physician={physician}", coordinator),
        "worklist, name search": (f"/cases/?q={family[:4]}", coordinator),
        "overdue diaries": ("/diaries/overdue", coordinator),
        "day board": ("/schedule/day", coordinator),
        "physician's list": ("/cases/physician", "physician"),
        "case page": (f"/cases/{case}", coordinator),
        "search": (f"/search?q={family[:4]}", coordinator),
    }


def run(args):
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    sizes = [int(s) for s in args.sizes.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    (scratch / "bare_app.py").write_text(BARE_APP)
    (scratch / "bare.lua").write_text(
        'local c = 0\nfunction request() c = c + 1; return wrk.format("GET", "/cases?site=" .. (c % 1000 + 1)) end\n')
    bare_url = args.url_base + "/si_bench_bare"
    engine = create_engine(args.url_base + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'si_bench_bare'")).scalar():
            conn.execute(text('CREATE DATABASE "si_bench_bare"'))
    engine.dispose()
    ensure_bare_table(bare_url)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    app_port, bare_port = args.port, args.port + 1
    results = []
    for size in sizes:
        url = f"{args.url_base}/{args.database_prefix}_{size}"
        if not args.keep or not _has_cases(url, size):
            fill(url, size, args.password)
        else:
            upgrade_kept(url)
        env = dict(os.environ, TRACKER_CONFIG="production", DATABASE_URL=url, STAFF_IDLE_MINUTES="600",
                   SECRET_KEY=secrets.token_hex(32), BARE_DB_URL=bare_url, FLASK_DEBUG="0")
        servers = [
            subprocess.Popen([gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{app_port}", "wsgi:app"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{bare_port}",
                              "--chdir", str(scratch), "bare_app:app"],
                             cwd=scratch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        try:
            _wait_for(f"http://127.0.0.1:{app_port}/sign-in")
            _wait_for(f"http://127.0.0.1:{bare_port}/cases?site=1")
            cookies = {"coordinator": sign_in(f"http://127.0.0.1:{app_port}", args.password),
                       "physician": sign_in(f"http://127.0.0.1:{app_port}", args.password, BENCH_PHYSICIAN)}
            paths = page_paths(url)
            bare_script = str(scratch / "bare.lua")
            bare = f"http://127.0.0.1:{bare_port}/cases"
            wrk(bare, 2, args.connections, script=bare_script)
            for label, (path, who) in paths.items():
                cookie = cookies[who]
                if size != max(sizes) and not label.startswith("worklist") and size not in args.all_pages_at:
                    continue
                if args.pages and not any(label.startswith(p) for p in args.pages):
                    continue
                page = f"http://127.0.0.1:{app_port}{path}"
                _check_page(page, cookie, label)
                wrk(page, 2, args.connections, cookie=cookie)  # warm
                loaded_bare = wrk(bare, args.seconds, args.connections, script=bare_script)
                loaded = wrk(page, args.seconds, args.connections, cookie=cookie)
                idle_bare = wrk(bare, args.seconds, 1, script=bare_script)
                idle = wrk(page, args.seconds, 1, cookie=cookie)
                results.append((size, label, loaded, idle, loaded_bare, idle_bare))
                print(_row(*results[-1]), flush=True)
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
    print()
    print(_header())
    for result in results:
        print(_row(*result))
    shutil.rmtree(scratch, ignore_errors=True)


def _check_page(url, cookie, label):
    """The page answers 200 to the signed-in user (a redirect to sign-in would be measured as a
    fast page otherwise)."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": f"tracker_session={cookie}"})
    try:
        status = urllib.request.build_opener(NoRedirect).open(request, timeout=60).status
    except urllib.error.HTTPError as answer:
        status = answer.code
    if status != 200:
        raise SystemExit(f"{label}: {url} answered {status}, not 200")


def upgrade_kept(url):
    """A database kept from an earlier run, migrated to the code's head first: a page reading a
    column a later migration added answers 500 on a database filled before it (nothing to do when
    it is at head)."""
    from flask_migrate import upgrade

    from config import ProductionConfig
    from tracker import create_app

    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=secrets.token_hex(32))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))


def _has_cases(url, size):
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM cases")).scalar()
        engine.dispose()
        return have == size
    except Exception:  # noqa: BLE001 - no database yet
        return False


def _header():
    return (f"| {'cases':>9} | {'page':24} | {'req/s':>7} | {'% of bare':>9} | {'median ms':>9} | "
            f"{'x bare':>6} | {'p99 ms':>7} | {'x bare':>6} | {'p99/median':>10} | {'errors':>6} |\n"
            f"|{'-' * 11}|{'-' * 26}|{'-' * 9}|{'-' * 11}|{'-' * 11}|{'-' * 8}|{'-' * 9}|{'-' * 8}|{'-' * 12}|{'-' * 8}|")


def _row(size, label, loaded, idle, loaded_bare, idle_bare):
    """Req/s under load (8 connections) and the unloaded (1 connection) median and p99, each
    beside its ratio to the bare route measured just before it."""
    return (f"| {size:>9,} | {label:24} | {loaded['rps']:7.0f} | {100 * loaded['rps'] / loaded_bare['rps']:8.0f} % | "
            f"{idle['p50']:9.1f} | {idle['p50'] / idle_bare['p50']:6.2f} | {idle['p99']:7.1f} | "
            f"{idle['p99'] / idle_bare['p99']:6.2f} | {idle['p99'] / max(idle['p50'], 0.001):10.2f} | "
            f"{loaded['errors'] + idle['errors']:6} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    fill_args = commands.add_parser("fill", help="build a realistic database of N cases")
    fill_args.add_argument("--cases", type=int, default=100_000)
    fill_args.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/si_bench_pages")
    fill_args.add_argument("--password", default=PASSWORD)
    run_args = commands.add_parser("run", help="measure the pages against the bare route")
    run_args.add_argument("--sizes", default="10000,100000,1000000")
    run_args.add_argument("--all-pages-at", type=lambda s: [int(x) for x in s.split(",")], default=[100_000],
                          help="sizes at which every page is measured (elsewhere the worklist only)")
    run_args.add_argument("--url-base", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    run_args.add_argument("--password", default=PASSWORD)
    run_args.add_argument("--seconds", type=int, default=8)
    run_args.add_argument("--connections", type=int, default=8)
    run_args.add_argument("--pages", type=lambda s: s.split(","), default=None,
                          help="only the pages whose labels start with these (comma-separated)")
    run_args.add_argument("--keep", action="store_true", help="reuse a database that already has N cases")
    run_args.add_argument("--database-prefix", default="si_bench_pages",
                          help="the database of N cases is PREFIX_N (filled unless --keep finds it full)")
    run_args.add_argument("--port", type=int, default=8201, help="the tracker's port; the bare route's is the next")
    args = parser.parse_args()
    if args.command == "fill":
        fill(args.url, args.cases, args.password)
    else:
        run(args)


if __name__ == "__main__":
    main()
