"""Text with a limit is never cut short without a word: the browser is not asked to cut it (no
`maxlength`), free text says its limit in its hint, and a value over the limit is named next to
its field, with what was typed kept and nothing saved."""
from datetime import timedelta

from tracker.roles import Role
from tracker.workflow import State

from tests.builders import PATIENT, REFERRAL
from tests.functional.test_languages import SPANISH, follow_up_case, spanish_patient  # noqa: F401
from tests.functional.test_risk_screen import risk_url, saved_screen, screen
from tests.helpers import field_error, soup, submit


def hint(page, field_id):
    tag = soup(page).find("small", id=f"{field_id}-hint")
    return tag.get_text().strip() if tag else None


def test_free_text_says_its_limit_and_the_browser_is_not_asked_to_cut_it(client, coordinator, gen):
    page = client.get(risk_url(gen.case(state=State.UNDER_REVIEW))).get_data(as_text=True)
    notes = soup(page).find("textarea", id="red_flags_notes")
    assert not notes.has_attr("maxlength")
    assert hint(page, "red_flags_notes") == "Up to 2000 characters."
    assert "red_flags_notes-hint" in notes["aria-describedby"].split()
    # One line of free text says it too, after its own hint.
    drug = soup(page).find("input", id="anticoagulants")
    assert not drug.has_attr("maxlength") and hint(page, "anticoagulants").endswith("Up to 200 characters.")


def test_free_text_over_its_limit_is_named_next_to_it_kept_and_not_saved(client, coordinator, gen):
    case = gen.case(state=State.UNDER_REVIEW)
    typed = "Saddle anaesthesia reported. " * 69 + "x" * 10  # 2,011 characters
    response = submit(client, risk_url(case), screen(red_flags_notes=typed))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "red_flags_notes") == "Up to 2000 characters: this has 2011, 11 too many."
    assert soup(page).find("textarea", id="red_flags_notes").get_text().strip() == typed.strip()
    assert saved_screen(case) is None


def test_a_name_over_its_limit_is_named_though_its_hint_does_not_crowd_the_form(client, coordinator):
    page = client.get("/referrals/new").get_data(as_text=True)
    family = soup(page).find("input", id="family_name")
    assert not family.has_attr("maxlength") and hint(page, "family_name") is None
    response = submit(client, "/referrals/new", {**PATIENT, **REFERRAL, "family_name": "Okonkwo" * 12})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "family_name") == "Up to 80 characters: this has 84, 4 too many."


def test_a_patient_reads_the_limit_and_the_message_in_their_language(client, gen, login_as, spanish_patient):  # noqa: F811
    case = follow_up_case(gen, spanish_patient, since_injection=timedelta(hours=2))
    login_as(spanish_patient)
    diary = f"/my/cases/{case.id}/diary"
    submit(client, diary, {"point": "h2", "score": "4"}, )
    correct_url = next(a["href"] for a in soup(client.get(diary)).find_all("a", href=True)
                       if a["href"].endswith("/correct"))
    page = client.get(correct_url).get_data(as_text=True)
    assert hint(page, "reason").endswith("Hasta 500 caracteres.")
    response = submit(client, correct_url, {"score": "3", "reason": "a" * 501, "version_id": "1"})
    assert field_error(response.get_data(as_text=True), "reason") == (
        "Hasta 500 caracteres: este texto tiene 501, 1 de más.")


def test_an_injectate_rows_lot_number_keeps_the_same_rule(app):
    from tracker.procedures.forms import InjectateRowForm
    with app.test_request_context():
        row = InjectateRowForm(data={"lot_number": "L" * 41})
        assert "maxlength" not in row.lot_number()
        row.validate()
        assert row.lot_number.errors == ["Up to 40 characters: this has 41, 1 too many."]
