"""Production as it is started: `flask run`, `python -m flask run` and gunicorn, each in a process
of its own against the test database.

Debug mode (and the Werkzeug debugger, which shows a trace and a console on an error) is refused
by every entry point; the request logs each server writes hold no diary-link token.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from tracker.diary import links
from tracker.models import DiaryLink

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REFUSED = "Debug mode must be off in production"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_env(app, database_url):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "TRACKER_"))}
    return {**env, "TRACKER_CONFIG": "production", "FLASK_APP": "wsgi", "DATABASE_URL": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"], "MAIL_SERVER": ""}


FLASK = [sys.executable, "-m", "flask"]
FLASK_SCRIPT = [str(BIN / "flask")]


def gunicorn(port, *extra):
    return [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", *extra, "wsgi:app"]


@pytest.mark.parametrize("command,extra_env", [
    (FLASK_SCRIPT + ["run"], {"FLASK_DEBUG": "1"}),
    (FLASK + ["run"], {"FLASK_DEBUG": "1"}),
    (FLASK + ["--debug", "run"], {}),
    (FLASK_SCRIPT + ["run", "--debugger"], {}),
    ("gunicorn", {"FLASK_DEBUG": "1"}),
], ids=["flask run, FLASK_DEBUG", "python -m flask run, FLASK_DEBUG", "python -m flask --debug run",
        "flask run --debugger", "gunicorn, FLASK_DEBUG"])
def test_production_refuses_debug_through_every_entry_point(production_env, command, extra_env):
    port = free_port()
    if command == "gunicorn":
        command = gunicorn(port)
    else:
        command = command + ["--port", str(port)]
    process = subprocess.run(command, cwd=ROOT, env={**production_env, **extra_env}, capture_output=True,
                             text=True, timeout=60)
    assert process.returncode != 0
    assert REFUSED in process.stderr, process.stderr
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# ---------------------------------------------------------------- request logs hold no token

def serve(command, env, port):
    """Start a server; return (process, a function that stops it and returns its log)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)

    def stop():
        process.terminate()
        return process.communicate(timeout=30)[0]

    return stop


@pytest.mark.parametrize("server", ["flask run", "gunicorn"])
def test_request_logs_never_hold_a_diary_link_token(gen, production_env, server):
    from tests.builders import diary_case

    case = diary_case(gen)
    token = links.sign(DiaryLink.query.filter_by(case_id=case.id).one())
    port = free_port()
    if server == "gunicorn":
        command = gunicorn(port, "--access-logfile", "-")
    else:
        command = FLASK + ["run", "--port", str(port)]
    stop = serve(command, production_env, port)
    try:
        with urlopen(f"http://127.0.0.1:{port}/d/{token}", timeout=30) as response:
            page = response.read().decode()
    finally:
        log = stop()
    assert "pain" in page.lower()  # the link worked: the diary page
    assert "GET /d/[redacted]" in log, log
    assert token not in log and token[:20] not in log
