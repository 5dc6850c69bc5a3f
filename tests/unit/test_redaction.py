"""`redact` blanks diary-link tokens wherever they appear in a log line and leaves the rest."""
from tracker.redaction import REDACTED, redact

TOKEN = "eyJsaW5rIjoxMiwiY2FzZSI6MzR9.Z1b2cQ.k3Jx9vQ0mJx1d0S8h2gq7Yb4eWc"


def test_a_diary_link_keeps_everything_but_its_token():
    assert redact(f"Please open:\n\nhttps://tracker.example/d/{TOKEN}\n") == \
        f"Please open:\n\nhttps://tracker.example/d/{REDACTED}\n"


def test_a_request_line_keeps_method_path_and_status():
    assert redact(f'"GET /d/{TOKEN}/entries/3/correct HTTP/1.1" 200') == \
        f'"GET /d/{REDACTED}/entries/3/correct HTTP/1.1" 200'


def test_a_signed_token_outside_a_link_is_blanked():
    assert TOKEN not in redact(f"link token {TOKEN} refused")


def test_ordinary_text_is_left_alone():
    line = "Mail not sent (no MAIL_SERVER); to pat@example.org: Your pain diary v1.2.3 /cases/12/diary"
    assert redact(line) == line
