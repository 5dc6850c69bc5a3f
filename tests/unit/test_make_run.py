"""`make run PORT=...` serves on that port, and the links patients are emailed (set a password,
an invitation: built on PUBLIC_URL) point there too, not at the default port 5000."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("args, public_url", [
    (["PORT=5077"], "http://127.0.0.1:5077"),
    ([], "http://127.0.0.1:5000"),
])
def test_make_run_gives_the_emailed_links_the_address_it_serves(args, public_url):
    plan = subprocess.run(["make", "-n", "-s", "run", *args], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, check=True).stdout
    [serve] = [line for line in plan.splitlines() if "flask run" in line]
    port = public_url.rsplit(":", 1)[1]
    assert f'PUBLIC_URL="${{PUBLIC_URL:-{public_url}}}"' in serve and f"--port {port}" in serve
