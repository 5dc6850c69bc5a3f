"""A local HTTP server that implements Twilio's Messages endpoint and records each request, so the
SMS tests drive the real Twilio client over real HTTP. `mode` makes it answer like a provider in
trouble: "refuse" (HTTP 429, too many requests: worth trying again), "unsubscribed" (HTTP 400, error 21610:
the number answered STOP), "not_mobile" (HTTP 400, error 21614: the number is a landline, which a North
American number's form cannot tell), "slow" (answers after the client's timeout),
"error" (HTTP 500)."""
import base64
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


class FakeTwilio:
    def __init__(self):
        self.requests = []  # dicts: account, auth (user, password), to, from, body
        self.mode = "ok"
        self.slow_seconds = 3
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                match = MESSAGES.match(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if match is None:
                    return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                user, _, password = base64.b64decode(
                    self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"").decode().partition(":")
                with provider._lock:
                    provider.requests.append({"account": match["account"], "auth": (user, password),
                                              "to": form.get("To"), "from": form.get("From"),
                                              "body": form.get("Body")})
                    sid = f"SM{next(provider._ids):032d}"
                if provider.mode == "refuse":
                    return self._answer(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
                if provider.mode == "unsubscribed":
                    return self._answer(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                              "status": 400})
                if provider.mode == "not_mobile":
                    return self._answer(400, {"code": 21614, "message": "'To' number is not a valid mobile number",
                                              "status": 400})
                if provider.mode == "error":
                    return self._answer(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                if provider.mode == "slow":
                    time.sleep(provider.slow_seconds)
                self._answer(201, {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                                   "body": form.get("Body"), "account_sid": match["account"]})

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the "slow" mode)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def texts_to(self, number):
        return [r for r in self.requests if r["to"] == number]


SETTINGS = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "test-auth-token",
            "TWILIO_FROM": "+12015550100"}


def settings_for(provider):
    return {**SETTINGS, "TWILIO_BASE_URL": provider.url}


@pytest.fixture
def provider(app):
    """The app sends its texts to a FakeTwilio for the test (a 1-second provider timeout)."""
    server = FakeTwilio().start()
    saved = dict(app.config)
    app.config.update(settings_for(server), SMS_TIMEOUT_SECONDS=1)
    yield server
    app.config.clear()
    app.config.update(saved)
    server.stop()
