"""An admin changing a drug's usual maximum dose through the real form: a large change (more than
double or less than half the saved maximum, or no maximum at all) is asked about next to the field
and saved only once the box naming the old and new value is ticked; the audit trail keeps the old and
new values of a drug and of a physician's working hours."""
import csv
import io

from tests.helpers import field_error, form_data, input_value, is_checked, soup, submit, text
from tracker.extensions import db
from tracker.models import AuditEvent, FormularyDrug
from tracker.roles import Role


def drug(code):
    db.session.expire_all()
    return db.session.execute(db.select(FormularyDrug).filter_by(code=code)).scalar_one()


def drug_url(client, code):
    client.get("/admin/formulary")  # the built-in defaults are copied on first use
    return f"/admin/formulary/{drug(code).id}"


def the_form(page):
    """The page's form that posts (the edit form), as a browser would send it."""
    [form] = [f for f in soup(page).find_all("form") if f.find(attrs={"name": "submit"}) is not None]
    return form_data(form)


def save(client, url, page=None, **typed):
    """Open the form (or use `page`, the form shown again), type `typed` (None unticks) and save."""
    page = page if page is not None else text(client.get(url))
    data = the_form(page)
    for name, value in typed.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data=data)


def audit_rows(object_type):
    db.session.expire_all()
    return db.session.execute(db.select(AuditEvent).filter_by(object_type=object_type)
                              .order_by(AuditEvent.id)).scalars().all()


def test_a_tenfold_maximum_is_asked_about_and_saved_only_once_confirmed(admin_client):
    url = drug_url(admin_client, "triamcinolone")
    refused = save(admin_client, url, usual_max_dose_mg="400", source="Checked with pharmacy")
    assert refused.status_code == 422
    page = text(refused)
    assert field_error(page, "usual_max_dose_mg") == (
        "This changes the usual maximum from 40 mg to 400 mg, ten times the saved maximum: the checklist "
        "would warn only above 400 mg and stop a dose only from 4000 mg. Check the number; if it is right, "
        "tick the box below.")
    assert "I confirm the usual maximum of Triamcinolone acetonide changes from 40 mg to 400 mg" in page
    assert not is_checked(page, "confirm_maximum")
    # Everything typed is kept.
    assert input_value(page, "usual_max_dose_mg") == "400"
    assert "Checked with pharmacy" in page
    assert drug("triamcinolone").usual_max_dose_mg == 40

    saved = save(admin_client, url, page=page, confirm_maximum="y")
    assert saved.status_code == 302
    assert drug("triamcinolone").usual_max_dose_mg == 400
    event = audit_rows("formulary_drug")[-1]
    assert {"field": "usual_maximum", "old": "40 mg", "new": "400 mg"} in event.changes
    assert "the admin confirmed the usual maximum changes from 40 mg to 400 mg" in event.summary


def test_a_confirmation_is_for_the_value_it_named_only(admin_client):
    url = drug_url(admin_client, "triamcinolone")
    page = text(save(admin_client, url, usual_max_dose_mg="400"))
    again = save(admin_client, url, page=page, confirm_maximum="y", usual_max_dose_mg="4000")
    assert again.status_code == 422
    page = text(again)
    assert "from 40 mg to 4000 mg" in field_error(page, "usual_max_dose_mg")
    assert "I confirm the usual maximum of Triamcinolone acetonide changes from 40 mg to 4000 mg" in page
    assert not is_checked(page, "confirm_maximum")
    assert drug("triamcinolone").usual_max_dose_mg == 40


def test_the_confirmation_box_still_names_the_change_when_another_field_is_refused(admin_client):
    url = drug_url(admin_client, "triamcinolone")
    page = text(save(admin_client, url, usual_max_dose_mg="400"))
    again = save(admin_client, url, page=page, name="")
    assert again.status_code == 422
    box = soup(text(again)).find("label", attrs={"for": "confirm_maximum"})
    assert box is not None and words_of(box) == (
        "I confirm the usual maximum of Triamcinolone acetonide changes from 40 mg to 400 mg"), words_of(box)


def words_of(tag):
    return " ".join(tag.get_text().split())


def test_a_maximum_cut_below_half_or_removed_is_asked_about_too(admin_client):
    url = drug_url(admin_client, "triamcinolone")
    cut = save(admin_client, url, usual_max_dose_mg="4")
    assert cut.status_code == 422
    assert field_error(text(cut), "usual_max_dose_mg").startswith(
        "This changes the usual maximum from 40 mg to 4 mg, a tenth of the saved maximum: the checklist "
        "would warn above 4 mg and stop a dose from 40 mg.")
    removed = save(admin_client, url, usual_max_dose_mg="")
    assert removed.status_code == 422
    assert field_error(text(removed), "usual_max_dose_mg").startswith(
        "This removes the usual maximum of 40 mg: the checklist would no longer warn about or stop any dose "
        "of Triamcinolone acetonide.")
    assert drug("triamcinolone").usual_max_dose_mg == 40


def test_a_change_within_double_or_half_saves_at_once_with_old_and_new_in_the_audit_trail(admin_client):
    url = drug_url(admin_client, "triamcinolone")
    assert save(admin_client, url, usual_max_dose_mg="80").status_code == 302
    assert save(admin_client, url, usual_max_dose_mg="60", strengths="10, 40, 80").status_code == 302
    assert drug("triamcinolone").usual_max_dose_mg == 60
    event = audit_rows("formulary_drug")[-1]
    assert {"field": "usual_maximum", "old": "80 mg", "new": "60 mg"} in event.changes
    assert {"field": "strengths", "old": "10, 40 mg/mL", "new": "10, 40, 80 mg/mL"} in event.changes

    page = text(admin_client.get("/admin/audit?object_type=formulary_drug"))
    assert "Usual maximum: 80 mg → 60 mg" in page
    download = admin_client.get("/admin/audit.csv?object_type=formulary_drug").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(download.lstrip("\ufeff"))))
    assert any("Usual maximum: 80 mg → 60 mg" in row[-1] for row in rows)


def test_the_formulary_page_says_what_the_checklist_does_above_the_maximum(admin_client):
    page = text(admin_client.get("/admin/formulary"))
    assert "never a refusal" not in page
    assert ("A steroid dose above a drug's usual maximum is a warning on the checklist; a dose ten or more "
            "times the usual maximum is a hard stop: the step is saved only when the physician confirms the "
            "dose and gives a reason.") in page


def test_working_hours_keep_the_old_and_new_hours_in_the_audit_trail(admin_client, gen):
    physician = gen.user(Role.PHYSICIAN, name="Dr Hours Test")
    url = f"/admin/physicians/{physician.id}/hours"
    assert save(admin_client, url, starts_0="08:00", ends_0="16:00", starts_2="09:00", ends_2="13:00").status_code == 302
    assert save(admin_client, url, starts_0="08:00", ends_0="12:00", starts_2="", ends_2="").status_code == 302
    event = [row for row in audit_rows("user") if row.object_id == str(physician.id)][-1]
    assert {"field": "monday", "old": "08:00–16:00", "new": "08:00–12:00"} in event.changes
    assert {"field": "wednesday", "old": "09:00–13:00", "new": "not working"} in event.changes
    page = text(admin_client.get(f"/admin/audit?object_type=user&object_id={physician.id}"))
    assert "Monday: 08:00–16:00 → 08:00–12:00" in page


def test_a_local_anaesthetic_s_maximum_raised_tenfold_says_the_checklist_stops_only_above_it(admin_client):
    # A local anaesthetic is stopped above its maximum itself (not warned, and not ten times it).
    url = drug_url(admin_client, "bupivacaine")
    assert drug("bupivacaine").usual_max_dose_mg == 25
    refused = save(admin_client, url, usual_max_dose_mg="250")
    assert refused.status_code == 422
    assert field_error(text(refused), "usual_max_dose_mg") == (
        "This changes the usual maximum from 25 mg to 250 mg, ten times the saved maximum: the checklist "
        "would stop a dose only above 250 mg. Check the number; if it is right, tick the box below.")
    assert drug("bupivacaine").usual_max_dose_mg == 25


def test_a_new_drugs_numbers_beyond_any_vial_are_refused_next_to_their_fields(admin_client):
    """Walkthrough: a new drug saved with a strength of 1e308 mg/mL and a usual maximum of 1e400 mg
    (on PostgreSQL the maximum overflowed its column: an error page, the form lost)."""
    typed = {"code": "chirocaine", "name": "Levobupivacaine", "kind": "local_anaesthetic", "strengths": "2, 1e308",
             "strength_unit": "mg/mL", "usual_max_dose_mg": "1e400", "source": "", "active": "y"}
    response = submit(admin_client, "/admin/formulary", typed)

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "strengths") == (
        "Strengths are numbers above 0 and at most 10000, separated by commas, e.g. 2.5, 5.")
    assert field_error(page, "usual_max_dose_mg") == (
        "The usual maximum is a number of mg above 0 and below 100000, or blank for none.")
    assert input_value(page, "strengths") == "2, 1e308"
    assert db.session.execute(db.select(FormularyDrug).filter_by(code="chirocaine")).scalar() is None
