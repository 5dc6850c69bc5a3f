"""Development has no mail server: each email is kept whole as a file, so a demo user can follow
an invitation or a password link; the log keeps only the redacted line."""
import email
import email.policy
import logging
import re

from config import Config, DevelopmentConfig, ProductionConfig
from tracker.roles import Role

from tests.helpers import submit


def test_without_a_mail_server_the_password_email_is_kept_whole_as_a_file(app, make_client, gen, tmp_path,
                                                                          monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path / "mail"))
    gen.user(Role.PATIENT, email="pat@example.org", patient=gen.patient(email="pat@example.org"))

    with caplog.at_level(logging.INFO):
        submit(make_client(), "/account/forgot-password", {"email": "pat@example.org"}, follow_redirects=True)

    [kept] = list((tmp_path / "mail").glob("*.eml"))
    message = email.message_from_bytes(kept.read_bytes(), policy=email.policy.default)
    assert message["To"] == "pat@example.org"
    link = re.search(r"https?://\S+/account/set-password/(\S+)", message.get_content())
    assert link and len(link.group(1)) > 20
    assert link.group(0) in kept.read_text(encoding="utf-8")  # readable as plain text, unbroken
    assert make_client().get("/" + link.group(0).split("/", 3)[3]).status_code == 200  # the link works
    logged = "\n".join(record.getMessage() for record in caplog.records if "Mail not sent" in record.getMessage())
    assert str(kept) in logged and link.group(1) not in logged


def test_production_keeps_no_mail_files_unless_told():
    assert Config.MAIL_FILE_DIR == "" and ProductionConfig.MAIL_FILE_DIR == ""
    assert DevelopmentConfig.MAIL_FILE_DIR.endswith("mail")
