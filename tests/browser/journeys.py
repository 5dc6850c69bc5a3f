"""What browser tests share besides their fixtures (those are in conftest.py): where screenshots
go, the window sizes, how long to wait, and signing in as a person does."""
from pathlib import Path

from tests.helpers import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {
    "desktop": DESKTOP,
    "tablet": {"width": 820, "height": 1180},   # the physician's tablet in the procedure room
    "phone": {"width": 390, "height": 844},     # the patient at home
}
# Generous for a loaded CI machine, short enough that a broken page fails fast.
TIMEOUT_MS = 10_000


def sign_in_through_the_form(page, base, email, password=None):
    """Sign in as a person does: the sign-in page, email, password, the button."""
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Sign in").click()
