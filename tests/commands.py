"""The app's `flask` commands run in processes of their own, as cron runs them: for the tests of
two workers at the same moment."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command_env(app, database_url, **settings):
    """The environment a command process needs to use this test run's database and public URL."""
    return {**os.environ, "TRACKER_CONFIG": "testing", "TEST_DATABASE_URL": database_url,
            "PUBLIC_URL": app.config["PUBLIC_URL"], **settings}


def flask_command(env, *args):
    """`flask <args>` started (not waited for)."""
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def two_runs_at_once(env, *args):
    """Two `flask <args>` (by default `flask reminders send`) started together; their (stdout,
    stderr) once both have succeeded."""
    workers = [flask_command(env, *(args or ("reminders", "send"))) for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    return outputs
