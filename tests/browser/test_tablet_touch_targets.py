"""On the physician's tablet at the procedure table (1024 × 768 sideways, 768 × 1024 upright, a touch
screen): every disclosure ("Abandon procedure…", "Still missing before signing", "Add an addendum…",
"Go ahead without every item…") and every choice of the outcome form is at least 44 px tall, so a
finger (gloved, at arm's length) opens or picks it without hitting its neighbour."""
import pytest

from tracker.extensions import db
from tracker.roles import Role
from tracker.vocab import Side

from tests.builders import GOOD_BLOCK, diary, make_procedure, make_user
from tests.helpers import PASSWORD

TABLET = {"sideways": {"width": 1024, "height": 768}, "upright": {"width": 768, "height": 1024}}
TARGET_PX = 44

# The height of each visible disclosure and choice (a radio button or tick box with its label: the
# label is what a finger taps) that is shorter than the target, as "what: height".
SHORT_TARGETS = """(min) => {
  const short = [];
  for (const el of document.querySelectorAll('main summary, main input[type=radio], main input[type=checkbox]')) {
    const target = el.tagName === 'SUMMARY' ? el : (el.labels && el.labels[0]) || el;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.height < min) short.push(`${(target.innerText || el.name).trim().slice(0, 40)}: ${Math.round(box.height)} px`);
  }
  return short;
}"""

# The links that stand on their own (the way back to the case, the note, the diary's CSV): the height
# of each shorter than the target. A link inside a sentence is not one.
SHORT_LINKS = """(min) => {
  const short = [];
  for (const a of document.querySelectorAll('main .crumbs a, main p.no-print > a, main .day-nav > a, main .appt a.appt-patient')) {
    const box = a.getBoundingClientRect();
    if (box.height < min) short.push(`${a.innerText.trim().slice(0, 40)}: ${Math.round(box.height)} px`);
  }
  return short;
}"""


def _pages(app):
    """A procedure in progress (sign-out saved), a signed one with a diary, and their physician."""
    with app.app_context():
        physician = make_user(Role.PHYSICIAN, name="Dr Priya Raman")
        running = make_procedure(side=Side.LEFT, physician=physician, steps=["sign_in", "time_out"])
        signed = make_procedure(side=Side.LEFT, physician=physician, steps="all", sign=True)
        diary(signed.case, GOOD_BLOCK)
        pages = [f"/cases/{running.case_id}/procedure", f"/appointments/{running.appointment_id}",
                 f"/cases/{signed.case_id}/procedure/note", f"/cases/{signed.case_id}/diary", "/schedule/mine"]
        email = physician.email
        db.session.remove()
    return pages, email


@pytest.mark.parametrize("held", sorted(TABLET))
def test_every_link_that_stands_on_its_own_is_a_finger_sized_target_on_the_tablet(app, live_server, browser, held):
    """The way back to the case above each page's title, the checklist's "Procedure note (draft)", the
    note's "← Procedure checklist · Case", the diary's CSV, My day's "← Sun 06 Dec" and "Tue 08 Dec →"
    and each card's patient (the way to the appointment, and from it to the start): one 19–24 px line each."""
    _check(app, live_server, browser, held, SHORT_LINKS)


@pytest.mark.parametrize("held", sorted(TABLET))
def test_every_disclosure_and_choice_is_a_finger_sized_target_on_the_tablet(app, live_server, browser, held):
    _check(app, live_server, browser, held, SHORT_TARGETS)


def _check(app, live_server, browser, held, measure):
    pages, email = _pages(app)
    context = browser.new_context(viewport=TABLET[held], has_touch=True, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    short = {}
    for path in pages:
        page.goto(live_server + path)
        found = page.evaluate(measure, TARGET_PX)
        if found:
            short[path] = found
    context.close()
    assert not short, short
