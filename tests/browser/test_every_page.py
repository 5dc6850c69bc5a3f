"""Every page, as each role sees it, on a phone (390 x 844) and on a desktop (1280 x 800), over the
demo data (`flask demo seed`: cases in every state, a procedure in progress, signed notes, diaries):

- the page never scrolls sideways as a whole; a box that does (a wide table, the chart) is a region
  with a name that takes keyboard focus;
- axe-core, pinned in package-lock.json and injected into the page, finds no critical or serious
  violation, nor two regions of one name; the phone is set to prefer dark mode, the desktop light.

One browser, one tab per role; each page is loaded once and checked at both widths. The list is
kept honest: every GET route the app serves is visited here, or named in NOT_PAGES with the reason
it is not a page a person reads.
"""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import render_template
from playwright.sync_api import Error as PlaywrightError

from tracker import demo
from tracker.api import tokens as api_tokens
from tracker.diary import links
from tracker.extensions import db
from tracker.patient_accounts import tokens as account_links
from tracker.models import (ConservativeCare, DiaryEntry, DiaryLink, FormularyDrug, HeldForm, OutsideInjection,
                            Patient, Room, User)
from tracker.timeutil import utcnow
from tracker.vocab import ContactEnded, Indication, Side

from tests.browser.journeys import TIMEOUT_MS, VIEWPORTS, sign_in_through_the_form

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": VIEWPORTS["phone"], "desktop": VIEWPORTS["desktop"]}
# The pages are drawn light whatever the device prefers (data-theme="light": the tracker's colours
# are chosen against white). The phone is checked as one set to dark mode, the desktop as one set
# to light, so a page that followed a dark preference with light-theme colours fails.
PREFERRED_SCHEME = {"phone": "dark", "desktop": "light"}
# Phone screenshots to look at (test-artifacts/screenshots): the pages that used to scroll sideways.
SCREENSHOTS_AT_PHONE_SIZE = {"case page: in procedure", "case page: follow-up", "checklist in progress",
                             "checklist signed, both sides", "procedure note", "diary and chart, outcome due"}

# GET routes that answer something other than a page a person reads: files, the API, FHIR.
NOT_PAGES = {
    "static": "files",
    "admin.audit_csv": "a CSV download", "cases.worklist_csv": "a CSV download",
    "outcome.diary_csv": "a CSV download", "overdue.overdue_csv": "a CSV download",
    "reports.export_table": "a CSV download", "patient.calendar_file": "an iCalendar file",
    "api_v1.appointments": "JSON API", "api_v1.cases": "JSON API", "api_v1.case": "JSON API",
    "api_v1.diary": "JSON API", "api_v1.openapi_document": "JSON API",
    "fhir.read": "FHIR JSON", "fhir.everything": "FHIR JSON", "fhir.capabilities": "FHIR JSON",
    "fhir.search": "FHIR JSON",
    "auth.index": "redirects to the role's home page", "admin.home": "redirects to Users, the admin's home",
    "auth.session_left": "JSON for the page's idle clock",
}
# Error pages no GET request can provoke on a healthy test server: rendered by the app and served
# at an address of their own, so they are checked in the same layout as every other page.
RENDERED_ERRORS = {
    "413": ("errors/413.html", {}), "429": ("errors/429.html", {}),
    "500": ("errors/500.html", {"incident": "3f2a9c1e"}), "503": ("errors/503.html", {"incident": "3f2a9c1e"}),
}


def _demo_pages():
    """Seed the demo data; return {(email, role): [(what, path, expected status[, button])]}: with a
    button, the page is checked after the form is sent as it stands (its errors shown)."""
    demo.seed()
    db.session.commit()

    def case_of(n):
        return db.session.execute(db.select(Patient).filter_by(mrn=f"DEMO-{n:04d}")).scalar_one().cases[0]

    def user(email):
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()

    def first(model, *where):
        return db.session.execute(db.select(model).where(*where).order_by(model.id)).scalars().first()

    # The demo cases by what their pages show (tracker/demo.py DEMO_CASES).
    referred, under_review, eligible, bilateral_eligible, not_eligible = (case_of(n) for n in (2, 6, 7, 8, 9))
    scheduled, in_procedure, follow_up, late_entry = (case_of(n) for n in (11, 14, 1, 15))
    closed, bilateral_closed, cancelled = case_of(17), case_of(18), case_of(19)
    physician, coordinator = user("physician@demo.clinic"), user("coordinator@demo.clinic")
    therapy = first(ConservativeCare, ConservativeCare.case_id == under_review.id)
    entry = first(DiaryEntry, DiaryEntry.case_id == follow_up.id)   # Grace Okafor's: patient@demo.clinic
    appointment = scheduled.appointments[0]                         # Sean O'Brien's: patient2@demo.clinic
    drug, room = first(FormularyDrug), first(Room)

    # An injection given elsewhere on Grace Okafor's record, to correct.
    outside = OutsideInjection(patient_id=follow_up.patient_id, performed_on=utcnow().date() - timedelta(days=200),
                               side=Side.LEFT, indication=Indication.THERAPEUTIC, place="Riverside Pain Clinic",
                               relief_percent=60, relief_days=45, source="letter from Dr Marsh")
    db.session.add(outside)
    held = HeldForm(token="held-for-the-page-check", user_id=coordinator.id, path=f"/cases/{referred.id}",
                    fields=[["reason", "Called the patient: prefers the afternoon."]],
                    expires_at=utcnow() + timedelta(hours=1))
    # Lucía García (in procedure) reads Spanish: her link's pages are in Spanish.
    open_link, closed_link, spanish_link = (
        DiaryLink(case_id=case.id, created_by_id=coordinator.id, expires_at=utcnow() + timedelta(days=30))
        for case in (follow_up, closed, in_procedure))
    db.session.add_all([held, open_link, closed_link, spanish_link])
    # The cancelled case's patient moved away: the notice at the top of their pages, the undo form.
    gone = cancelled.patient
    gone.contact_ended, gone.contact_ended_note = ContactEnded.LEFT_CARE, "Moved to Ohio, says her husband"
    gone.contact_ended_at, gone.contact_ended_by = utcnow(), coordinator.name
    invited = referred.patient
    invited.email = invited.email or "invited@demo.example"
    db.session.commit()
    invitation = account_links.invitation(invited, invited.email.lower())
    api_token, _ = api_tokens.create(coordinator, "intake", 30, "EHR referral feed")

    case_pages = {"referred": referred, "under review": under_review, "eligible, both sides": bilateral_eligible,
                  "not eligible": not_eligible, "scheduled": scheduled, "in procedure": in_procedure,
                  "follow-up": follow_up, "follow-up, late entry": late_entry,
                  "closed, both sides, therapeutic": bilateral_closed, "cancelled": cancelled}
    coordinator_pages = [
        ("worklist", "/cases/", 200),
        ("worklist naming no physician", "/cases/?physician=99", 422),
        *[(f"case page: {what}", f"/cases/{case.id}", 200) for what, case in case_pages.items()],
        ("find a patient for a referral", "/referrals/find", 200),
        ("new patient and referral", "/referrals/new", 200),
        ("new patient and referral sent empty", "/referrals/new", 422, "Log referral"),
        ("new referral for a known patient", f"/referrals/patients/{cancelled.patient_id}/new", 200),
        ("edit referral", f"/referrals/cases/{referred.id}", 200),
        ("conservative care", f"/cases/{under_review.id}/conservative-care", 200),
        ("conservative care sent empty", f"/cases/{under_review.id}/conservative-care", 422, "Save therapy"),
        ("edit a therapy", f"/cases/{under_review.id}/conservative-care/{therapy.id}", 200),
        ("examination", f"/cases/{under_review.id}/examination", 200),
        ("risk screen", f"/cases/{under_review.id}/risk-screen", 200),
        ("book", f"/cases/{eligible.id}/book", 200),
        ("book a case already booked (its notice, no form)", f"/cases/{scheduled.id}/book", 200),
        ("appointment", f"/appointments/{appointment.id}", 200),
        ("reschedule", f"/appointments/{appointment.id}/reschedule", 200),
        ("day board, today", "/schedule/day", 200),
        ("day board, a booked day", f"/schedule/day?day={appointment.starts_at.date().isoformat()}", 200),
        ("diary: score taken on the phone", f"/cases/{follow_up.id}/diary/phone", 200),
        ("diary: staff correction", f"/cases/{follow_up.id}/diary/entries/{entry.id}/correct", 200),
        ("diary link to give the patient (no mail server)", f"/cases/{follow_up.id}/diary/link-to-give", 200),
        ("diary and chart, late entry", f"/cases/{late_entry.id}/diary", 200),
        ("overdue diaries", "/diaries/overdue", 200),
        ("reports", "/reports", 200),
        ("search", "/search?q=DEMO", 200),
        ("patient", f"/patients/{follow_up.patient_id}", 200),
        ("patient's details", f"/patients/{follow_up.patient_id}/edit", 200),
        ("two records compared before a merge", f"/patients/{referred.patient_id}/merge/{cancelled.patient_id}", 200),
        ("injections given elsewhere", f"/patients/{follow_up.patient_id}/outside-injections", 200),
        ("injection given elsewhere sent empty", f"/patients/{follow_up.patient_id}/outside-injections", 422,
         "Save injection"),
        ("correct an injection given elsewhere",
         f"/patients/{follow_up.patient_id}/outside-injections/{outside.id}", 200),
        ("no longer reachable", f"/patients/{follow_up.patient_id}/reachable", 200),
        ("no longer reachable sent empty", f"/patients/{follow_up.patient_id}/reachable", 422,
         "Record: no longer reachable"),
        ("patient no longer reachable", f"/patients/{cancelled.patient_id}", 200),
        ("no longer reachable: undo", f"/patients/{cancelled.patient_id}/reachable", 200),
        ("change password", "/account/password", 200),
        ("held form after the session ended", f"/session/held/{held.token}", 200),
        ("not found", "/cases/987654", 404),
        ("forbidden", "/admin/users", 403),
    ]
    physician_pages = [
        ("physician's cases", "/cases/physician", 200),
        ("my day", "/schedule/mine", 200),
        ("case page: in procedure", f"/cases/{in_procedure.id}", 200),
        ("checklist in progress", f"/cases/{in_procedure.id}/procedure", 200),
        ("checklist signed, both sides", f"/cases/{bilateral_closed.id}/procedure", 200),
        ("procedure note", f"/cases/{follow_up.id}/procedure/note", 200),
        ("procedure note, both sides", f"/cases/{bilateral_closed.id}/procedure/note", 200),
        ("diary and chart, outcome due", f"/cases/{follow_up.id}/diary", 200),
        ("diary and chart, closed", f"/cases/{bilateral_closed.id}/diary", 200),
    ]
    admin_pages = [
        ("users", "/admin/users", 200),
        ("new user", "/admin/users/new", 200),
        ("new user sent empty", "/admin/users/new", 200, "Create user"),
        ("edit user", f"/admin/users/{physician.id}", 200),
        ("working hours", f"/admin/physicians/{physician.id}/hours", 200),
        ("rooms", "/admin/rooms", 200),
        ("edit room", f"/admin/rooms/{room.id}", 200),
        ("closures (the demo's Christmas Day and New Year's Day)", "/admin/closures", 200),
        ("closure sent empty", "/admin/closures", 422, "Add closure"),
        ("formulary", "/admin/formulary", 200),
        ("edit formulary drug", f"/admin/formulary/{drug.id}", 200),
        ("settings", "/admin/settings", 200),
        ("clinic contact", "/admin/clinic", 200),
        ("audit", "/admin/audit", 200),
        ("API tokens", "/admin/api-tokens/", 200),
        ("revoke an API token", f"/admin/api-tokens/{api_token.id}/revoke", 200),
        ("revoke an API token sent unticked", f"/admin/api-tokens/{api_token.id}/revoke", 422, "Revoke token"),
    ]
    patient_pages = [
        ("patient home", "/my/", 200),
        ("patient's case", f"/my/cases/{follow_up.id}", 200),
        ("patient's diary", f"/my/cases/{follow_up.id}/diary", 200),
        ("patient's correction", f"/my/cases/{follow_up.id}/diary/entries/{entry.id}/correct", 200),
    ]
    scheduled_patient_pages = [
        ("patient home, appointment booked", "/my/", 200),
        ("patient's case, appointment booked", f"/my/cases/{scheduled.id}", 200),
    ]
    signed_out_pages = [
        ("sign-in", "/sign-in", 200),
        ("personal link diary", f"/d/{links.sign(open_link)}", 200),
        ("personal link diary sent without a score", f"/d/{links.sign(open_link)}", 422, "Save my score"),
        ("personal link correction", f"/d/{links.sign(open_link)}/entries/{entry.id}/correct", 200),
        ("personal link, diary over", f"/d/{links.sign(closed_link)}", 200),
        ("personal link diary of a patient who reads Spanish", f"/d/{links.sign(spanish_link)}", 200),
        ("personal link not valid", "/d/not-a-real-link", 404),
        ("forgotten password", "/account/forgot-password", 200),
        ("choose a password (invitation)", f"/account/set-password/{invitation}", 200),
        ("password link not valid", "/account/set-password/not-a-real-link", 404),
        *[(f"error {code}", f"/__rendered_error/{code}", int(code)) for code in RENDERED_ERRORS],
    ]
    return {
        ("coordinator@demo.clinic", "coordinator"): coordinator_pages,
        ("physician@demo.clinic", "physician"): physician_pages,
        ("admin@demo.clinic", "admin"): admin_pages,
        (demo.DEMO_PATIENT_ACCOUNT[0], "patient"): patient_pages,
        (demo.DEMO_SCHEDULED_PATIENT_ACCOUNT[0], "patient"): scheduled_patient_pages,
        (None, "signed out"): signed_out_pages,
    }


PASSWORDS = {email: password for email, _, _, password in demo.DEMO_USERS}
PASSWORDS.update({demo.DEMO_PATIENT_ACCOUNT[0]: demo.DEMO_PATIENT_ACCOUNT[1],
                  demo.DEMO_SCHEDULED_PATIENT_ACCOUNT[0]: demo.DEMO_SCHEDULED_PATIENT_ACCOUNT[1]})

# axe's critical and serious findings, each with the first few elements it names; and two regions
# (landmarks) of one name, moderate for axe, which a scroll region named like its section makes.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  const counted = v => ["critical", "serious"].includes(v.impact) || v.id === "landmark-unique";
  return result.violations.filter(counted).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": "
                                        + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))
  }));
}"""
# What makes the page wider than the window: the innermost elements reaching past its right edge
# that no scrolling or clipping box holds (an absolutely placed one escapes a box that is not
# positioned).
TOO_WIDE = """() => {
  const width = window.innerWidth;
  const held = el => {
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) return false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = el => el.getBoundingClientRect().right > width + 1 && !held(el);
  const classes = el => typeof el.className === "string" && el.className.trim()
    ? "." + el.className.trim().split(/\\s+/).join(".") : "";
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes(el);
  return [...document.querySelectorAll("body *")].filter(el => wide(el) && ![...el.children].some(wide))
    .slice(0, 6).map(el => `${name(el)} right=${Math.round(el.getBoundingClientRect().right)}`);
}"""

# Boxes that scroll sideways at this width but that a keyboard or screen-reader user cannot find:
# each must be a named region that takes focus (templates/_macros/tables.html scroll_region).
HIDDEN_SCROLLERS = """() => [...document.querySelectorAll("body *")].filter(el =>
    ["auto", "scroll"].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth + 1
    && !["TEXTAREA", "SELECT", "INPUT"].includes(el.tagName)
    && !(el.getAttribute("role") === "region" && el.getAttribute("aria-label") && el.tabIndex === 0))
  .map(el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().split(/\\s+/).join(".") : ""))
"""


@pytest.fixture
def axe_script():
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `npm ci` at the top of the repository "
                    "(`make test` does it; the version is pinned in package-lock.json).", pytrace=False)
    return str(AXE)


def _serve_rendered_errors(app, context, base):
    def answer(status, html):
        return lambda route: route.fulfill(status=status, body=html, content_type="text/html; charset=utf-8")

    for code, (template, values) in RENDERED_ERRORS.items():
        with app.test_request_context(f"/__rendered_error/{code}"):
            html = render_template(template, **values)
        context.route(f"{base}/__rendered_error/{code}", answer(int(code), html))


def _check(page, axe_script):
    """Problems of the page as loaded, at each width: sideways scrolling, hidden scrollers and axe's
    serious findings."""
    problems = []
    page.add_script_tag(path=axe_script)
    for name, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.emulate_media(color_scheme=PREFERRED_SCHEME[name])
        scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner_width:
            problems.append(f"{name}: scrolls sideways ({scroll_width} > {inner_width}): "
                            + "; ".join(page.evaluate(TOO_WIDE)))
        for scroller in page.evaluate(HIDDEN_SCROLLERS):
            problems.append(f"{name}: {scroller} scrolls sideways but is no labelled region taking focus")
        for violation in page.evaluate(RUN_AXE):
            problems.append(f"{name}: axe {violation['impact']} {violation['id']} ({violation['help']}): "
                            + " | ".join(violation["nodes"]))
    return problems


def _visit(page, base, path, status, button, axe_script):
    """Open the page (and send its form when a button is named); its problems at both widths."""
    response = page.goto(f"{base}{path}")
    if button:
        with page.expect_navigation() as sent:
            page.get_by_role("button", name=button, exact=True).click()
        response = sent.value
    if response.status != status:
        return [f"answered {response.status}, expected {status}"]
    return _check(page, axe_script)


def test_every_page_fits_a_phone_and_axe_finds_nothing_serious(app, live_server, browser, axe_script,
                                                                screenshot):
    with app.app_context():
        pages = _demo_pages()
    failures, visited = [], set()
    adapter = app.url_map.bind("localhost")
    for (email, role), role_pages in pages.items():
        # The app's Content-Security-Policy forbids inline scripts, as it should: the test's own
        # context lets axe in without loosening the policy the app sends.
        context = browser.new_context(viewport=WIDTHS["phone"], locale="en-US", bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        _serve_rendered_errors(app, context, live_server)
        page = context.new_page()
        if email:
            sign_in_through_the_form(page, live_server, email, PASSWORDS[email])
            page.wait_for_url(lambda url: "/sign-in" not in url)
        for what, path, status, *button in role_pages:
            try:
                problems = _visit(page, live_server, path, status, button[0] if button else None, axe_script)
            except PlaywrightError as error:
                problems = [f"the browser failed: {error}"]
            failures += [f"[{role}] {what} {path} {problem}" for problem in problems]
            if not path.startswith("/__"):
                visited.add(adapter.match(path.split("?")[0])[0])
            page.set_viewport_size(WIDTHS["phone"])
            if what in SCREENSHOTS_AT_PHONE_SIZE:
                screenshot(page, "phone-" + re.sub(r"[^a-z]+", "-", what))
        context.close()

    pages_served = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    unvisited = sorted(pages_served - visited - set(NOT_PAGES))
    if unvisited:
        failures.append(f"pages not checked here (visit them, or say in NOT_PAGES why they are no page): {unvisited}")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


def test_the_check_sees_sideways_scrolling_a_hidden_scroller_and_what_axe_finds_and_passes_the_fix(
        new_page, axe_script):
    page = new_page("phone")
    wide_row = "<tr>" + "<th scope='row'>Row</th>" + "<td>cell&nbsp;with&nbsp;long&nbsp;words</td>" * 12 + "</tr>"

    def html(body):
        return f"""<!doctype html><html lang="en"><head><title>A page</title></head>
            <body><main><h1>A page</h1>{body}</main></body></html>"""

    page.set_content(html(f"""<table>{wide_row}</table><div style="overflow-x: auto"><table>{wide_row}</table></div>
                              <input type="text">"""))
    findings = [problem.split(" (")[0] for problem in _check(page, axe_script)]   # without the details
    assert findings == [f"{width}: {finding}" for width in WIDTHS for finding in (
        "scrolls sideways", "div scrolls sideways but is no labelled region taking focus",
        "axe critical label", "axe serious scrollable-region-focusable")]

    page.set_content(html(f"""<div class="table-wrap" role="region" aria-label="Rows" tabindex="0"
                              style="overflow-x: auto; position: relative"><table>{wide_row}</table></div>
                              <label>Name <input type="text"></label>"""))
    assert _check(page, axe_script) == []
