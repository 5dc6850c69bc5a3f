"""Two app servers, one database: what the README's "Growing past one server" promises.

Two gunicorn processes serve the test database (SQLite file or PostgreSQL, as the suite runs) on
their own ports, as two machines behind a load balancer would. Nothing is shared between them but
the database: sign-in throttling counts failures across both, and two coordinators booking one slot
at the same moment through different servers get one appointment between them. (Reminder claims
across processes: tests/functional/test_reminders_concurrency.py runs two `flask reminders send`.)
"""
import http.cookiejar
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import pytest

from tracker.extensions import db
from tracker.models import Appointment, WorkingHours
from tracker.roles import Role
from tracker.timeutil import clinic_today
from tracker.workflow import State

from tests.helpers import PASSWORD, csrf_from

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers(app, database_url):
    """Two app servers on the test database; yields their base URLs."""
    env = {**os.environ, "TRACKER_CONFIG": "testing", "TEST_DATABASE_URL": database_url}
    ports = [_free_port(), _free_port()]
    processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "1",
                                   "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, process in zip(bases, processes):
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/sign-in", timeout=5)
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.time() > deadline:
                        raise AssertionError(f"server did not start: {process.stderr.read()}")
                    time.sleep(0.3)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


class Browser:
    """A person's browser on one server: its own cookies, forms posted with their CSRF token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def post(self, path, data, form_path=None):
        """Post `data` with the CSRF token of the form at `form_path` (default: `path`)."""
        _, page = self.get(form_path or path)
        token = csrf_from(page)
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()

    def sign_in(self, email, password=PASSWORD):
        return self.post("/sign-in", {"email": email, "password": password})


def test_failed_sign_ins_on_two_servers_count_towards_one_lock(app, gen, servers):
    user = gen.user(Role.COORDINATOR, email="casey@clinic.example")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for attempt in range(limit):
        Browser(servers[attempt % 2]).sign_in(user.email, "not-the-password-at-all")
    # The right password, on either server, is now refused: the lock is the database's.
    for base in servers:
        status, _, page = Browser(base).sign_in(user.email)
        assert "Too many failed sign-ins for this account" in page, page[:500]


def test_one_slot_booked_through_two_servers_at_once_gives_one_appointment(app, gen, servers):
    physician = gen.user(Role.PHYSICIAN, name="Dr Ortega")
    room = gen.room("Fluoro 1")
    for weekday in range(7):
        db.session.add(WorkingHours(physician_id=physician.id, weekday=weekday, starts=clock(8), ends=clock(17)))
    coordinators = [gen.user(Role.COORDINATOR, email=f"coordinator{i}@clinic.example") for i in range(2)]
    db.session.commit()
    day = clinic_today() + timedelta(days=2)
    for round_ in range(3):
        cases = [gen.case(state=State.ELIGIBLE) for _ in range(2)]
        browsers = [Browser(base) for base in servers]
        for browser, coordinator in zip(browsers, coordinators):
            browser.sign_in(coordinator.email)
        booking = {"date": day.isoformat(), "start": f"{9 + round_:02d}:00", "duration": "30",
                   "physician_id": str(physician.id), "room_id": str(room.id), "version_id": ""}
        # Both forms are open; both are posted at the same instant.
        tokens = []
        for browser, case in zip(browsers, cases):
            _, page = browser.get(f"/cases/{case.id}/book")
            tokens.append(csrf_from(page))
        answers = [None, None]
        start = threading.Barrier(2)

        def post(i):
            body = urllib.parse.urlencode({**booking, "csrf_token": tokens[i]}).encode()
            start.wait()
            try:
                with browsers[i].opener.open(f"{browsers[i].base}/cases/{cases[i].id}/book", data=body,
                                             timeout=60) as response:
                    answers[i] = (response.status, response.geturl())
            except urllib.error.HTTPError as error:
                answers[i] = (error.code, error.geturl())

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        db.session.expire_all()
        booked = db.session.scalars(db.select(Appointment).where(
            Appointment.case_id.in_([c.id for c in cases]))).all()
        assert len(booked) == 1, answers
        # The winner was sent on to its case; the other stayed on the form, refused (409).
        winner = next(i for i, c in enumerate(cases) if c.id == booked[0].case_id)
        assert answers[winner] == (200, f"{servers[winner]}/cases/{cases[winner].id}"), answers
        assert answers[1 - winner] == (409, f"{servers[1 - winner]}/cases/{cases[1 - winner].id}/book"), answers
