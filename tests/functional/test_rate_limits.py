"""One address is slowed when it fails too often: signing in to many accounts with one password
(spraying), guessing current passwords, trying diary-link tokens. Failures count, successes do
not; other addresses are not affected; behind a proxy the client's own address counts; with Redis
the count is shared by every worker."""

import pytest
import redis

from config import TestingConfig
from tracker import create_app
from tracker.roles import Role
from tracker.extensions import db

from tests.helpers import PASSWORD, sign_in, submit, text

REDIS_URL = "redis://127.0.0.1:6379/11"  # this suite's own database index


@pytest.fixture
def limit_five(app, monkeypatch):
    for name in ("RATELIMIT_SIGN_IN", "RATELIMIT_PASSWORD", "RATELIMIT_DIARY_LINK"):
        monkeypatch.setitem(app.config, name, "5 per 15 minutes")


def from_address(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def assert_paused(response):
    assert response.status_code == 429
    assert "Too many attempts from this address" in text(response) and "15 minutes" in text(response)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert response.headers["Content-Security-Policy"]


def test_one_address_trying_one_password_on_many_accounts_is_paused(client, gen, limit_five, make_client):
    accounts = [gen.user(Role.COORDINATOR) for _ in range(7)]
    sprayer = from_address(client, "203.0.113.9")
    for account in accounts[:5]:
        response = sign_in(sprayer, account, "Summer2026!Summer")
        assert response.status_code == 200 and "not correct" in text(response).lower()
    # The sixth account, even with its right password, waits.
    assert_paused(sign_in(sprayer, accounts[5]))
    # Another address is not held back.
    assert sign_in(from_address(make_client(), "198.51.100.7"), accounts[6]).status_code == 302


def test_successful_sign_ins_from_one_address_never_count(client, gen, limit_five, make_client):
    for _ in range(8):
        assert sign_in(from_address(make_client(), "192.0.2.10"), gen.user(Role.COORDINATOR)).status_code == 302


def test_guessing_the_current_password_is_paused(client, gen, login_as, limit_five):
    from_address(client, "203.0.113.20")
    login_as(gen.user(Role.PHYSICIAN))
    for n in range(5):
        response = submit(client, "/account/password", {"current_password": f"wrong-guess-{n}",
                                                        "new_password": "Another-long-pass-42",
                                                        "confirm": "Another-long-pass-42"})
        assert "The current password is not correct." in text(response)
    assert_paused(submit(client, "/account/password", {"current_password": PASSWORD,
                                                       "new_password": "Another-long-pass-42",
                                                       "confirm": "Another-long-pass-42"}))


def test_trying_diary_link_tokens_is_paused(client, limit_five):
    prober = from_address(client, "203.0.113.30")
    for n in range(5):
        assert prober.get(f"/d/guess-{n}").status_code == 404
    paused = prober.get("/d/guess-6")
    assert_paused(paused)
    # A patient's page: not "ask the clinic's admin to set a new password".
    assert "call the clinic" in text(paused) and "admin" not in text(paused)


def test_behind_a_proxy_the_clients_own_address_counts_and_a_forged_one_does_not(app, gen):
    proxied = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         PROXY_COUNT=1, RATELIMIT_DIARY_LINK="3 per 15 minutes")
    client = proxied.test_client()
    # Every request reaches the app from the proxy (127.0.0.1); the proxy appends the client's address.
    for n in range(3):
        forged = f"10.9.9.{n}"  # what the client put in its own header: ignored
        assert client.get(f"/d/guess-{n}", headers={"X-Forwarded-For": f"{forged}, 203.0.113.40"}
                          ).status_code == 404
    assert client.get("/d/guess-4", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.40"}).status_code == 429
    assert client.get("/d/guess-5", headers={"X-Forwarded-For": "203.0.113.41"}).status_code == 404
    with proxied.app_context():
        db.engine.dispose()


def test_with_redis_every_worker_shares_one_count(app, gen):
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_DIARY_LINK": "4 per 15 minutes"}
    workers = [create_app(TestingConfig, **settings) for _ in range(2)]
    try:
        for n in range(4):  # alternately on each worker
            assert workers[n % 2].test_client().get(f"/d/guess-{n}").status_code == 404
        assert workers[0].test_client().get("/d/guess-9").status_code == 429
        assert workers[1].test_client().get("/d/guess-9").status_code == 429
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()


def test_when_redis_is_down_the_count_falls_back_to_memory_and_nothing_fails(app):
    down = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_DIARY_LINK="2 per 15 minutes")
    client = down.test_client()
    assert [client.get(f"/d/guess-{n}").status_code for n in range(3)] == [404, 404, 429]
    with down.app_context():
        db.engine.dispose()
