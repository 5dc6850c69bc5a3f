"""The physician's home lists the cases under review assigned to them, each with what it waits
for: above all an incomplete verdict that only a physician can decide or override."""
from tracker.extensions import db
from tracker.roles import Role
from tracker.workflow import State

from tests.functional.test_eligibility import OVERRIDE_REASON, documented_case, evaluate, override
from tests.helpers import loaded, soup, table_rows, words

INCOMPLETE = "physician: incomplete verdict to decide or override"


def _rows(client):
    """{patient's name: (state, waiting for)} as the physician's list shows them."""
    page = loaded(client.get("/cases/physician"))
    return {row[0].split(" MRN ")[0]: (row[2], row[3]) for row in table_rows(soup(page).find("table"))
            if len(row) > 1}


def test_a_physicians_cases_under_review_are_listed_with_what_each_waits_for(
        client, coordinator, gen, make_client, login_as):
    physician = gen.user(Role.PHYSICIAN, name="Dr Amara Osei")
    other = gen.user(Role.PHYSICIAN, name="Dr Other")
    incomplete = documented_case(gen, exam=False, physician=physician,
                                 patient=gen.patient(family_name="Incomplete", given_name="Ida"))
    evaluate(client, incomplete)  # the coordinator evaluates: criteria unknown, none failed
    db.session.expire_all()
    assert incomplete.state == State.UNDER_REVIEW and incomplete.current_verdict.incomplete
    documented_case(gen, exam=False, physician=physician, patient=gen.patient(family_name="Reviewing", given_name="Rae"))
    documented_case(gen, exam=False, physician=other, patient=gen.patient(family_name="Others", given_name="Otto"))
    documented_case(gen, exam=False, patient=gen.patient(family_name="Nobodys", given_name="Nell"))
    gen.case(state=State.NOT_ELIGIBLE, patient=gen.patient(family_name="Unassigned", given_name="Una"))
    gen.case(state=State.REFERRED, physician=physician, patient=gen.patient(family_name="Referred", given_name="Rex"))

    mine = login_as(physician, on=make_client())
    rows = _rows(mine)

    assert set(rows) == {"Incomplete, Ida", "Reviewing, Rae", "Unassigned, Una"}
    state, waiting = rows["Incomplete, Ida"]
    assert state == "Under review"
    # What the physician must do comes first, then what is still unknown.
    assert waiting.startswith(INCOMPLETE) and "provocation tests (left)" in waiting
    state, waiting = rows["Reviewing, Rae"]
    assert state == "Under review" and INCOMPLETE not in waiting and "provocation tests (left)" in waiting
    intro = words(soup(loaded(mine.get("/cases/physician"))).find("p", class_="muted"))
    assert intro.startswith("Your cases under review, and your cases and unassigned ones that are not eligible, "
                            "scheduled, in procedure, follow-up. Clinic totals: Under review 4")

    # Overridden with the outside records, the case is eligible: it leaves the physician's list.
    override(mine, incomplete, OVERRIDE_REASON)
    db.session.expire_all()
    assert incomplete.state == State.ELIGIBLE
    assert "Incomplete, Ida" not in _rows(mine)


def test_an_incomplete_verdict_whose_facts_changed_asks_to_evaluate_again_on_both_lists(
        client, coordinator, gen, make_client, login_as):
    """An incomplete verdict, then the examination recorded: the verdict read facts that changed,
    so the worklist and the physician's list say to re-evaluate (first), not to decide it."""
    from tracker.models import Examination

    physician = gen.user(Role.PHYSICIAN, name="Dr Amara Osei")
    case = documented_case(gen, exam=False, physician=physician,
                           patient=gen.patient(family_name="Examined", given_name="Eve"))
    evaluate(client, case)
    db.session.add(Examination(case=case, pain_below_l5=True, radicular_signs=False, baseline_nrs=7))
    db.session.commit()

    _state, waiting = _rows(login_as(physician, on=make_client()))["Examined, Eve"]
    assert waiting.startswith("verdict stale: re-evaluate") and INCOMPLETE not in waiting
    worklist = words(soup(loaded(client.get("/cases/"))).find("table"))
    assert "verdict stale: re-evaluate" in worklist and INCOMPLETE not in worklist
    # The case page names the criterion inside its sentence as written: "pain below L5", not "l5".
    assert "no longer stands: pain below L5 without radiculopathy" in words(loaded(client.get(f"/cases/{case.id}")))
