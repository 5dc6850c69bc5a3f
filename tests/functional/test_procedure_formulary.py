"""The formulary as data an admin edits: the defaults listed, a usual maximum changed (and the
checklist's warning follows it), a drug no longer stocked (and no longer accepted), a drug added,
bad input and a stale form."""

import pytest

from tracker.extensions import db
from tracker.models import FormularyDrug, ProcedureStep
from tracker.roles import Role

from tests.builders import BEFORE, checklist_url, post_step
from tests.helpers import field_error, submit, table_rows, text


def drug(code):
    db.session.expire_all()
    return db.session.execute(db.select(FormularyDrug).filter_by(code=code)).scalar_one()


def edit(client, code, **changes):
    row = drug(code)
    data = {"name": row.name, "kind": row.kind.value, "strengths": ", ".join(row.strengths),
            "strength_unit": row.strength_unit, "usual_max_dose_mg": str(row.usual_max_dose_mg or ""),
            "source": row.source, "active": "y" if row.active else "", "version_id": str(row.version_id)}
    data.update(changes)
    return submit(client, f"/admin/formulary/{row.id}", {k: v for k, v in data.items() if v != ""})


def steroid_row(dose, volume, drug_code="triamcinolone", concentration="40"):
    return {"rows": [{"drug": drug_code, "concentration_mg_per_ml": concentration, "dose_mg": dose,
                      "volume_ml": volume, "lot_number": "L1"}]}


def test_the_admin_sees_the_default_formulary(admin_client):
    page = text(admin_client.get("/admin/formulary"))
    for name in ("Lidocaine", "Bupivacaine", "Ropivacaine", "Triamcinolone acetonide", "Methylprednisolone acetate",
                 "Dexamethasone sodium phosphate", "Betamethasone sodium phosphate and acetate",
                 "Iohexol (Omnipaque)", "Gadobutrol (Gadavist)", "Chlorhexidine 2% in 70% isopropyl alcohol",
                 "Povidone-iodine 10%"):
        assert name in page
    # Drug (and its code), kind, strengths, usual maximum per joint, status.
    [row] = [cells for cells in table_rows(page) if cells[0].startswith("Triamcinolone acetonide ")]
    assert row[2:4] == ["10, 40 mg/mL", "40 mg"], row


def test_a_changed_usual_maximum_is_what_the_checklist_warns_against(admin_client, gen, make_client, login_as):
    admin_client.get("/admin/formulary")
    assert edit(admin_client, "triamcinolone", usual_max_dose_mg="60").status_code == 302
    assert drug("triamcinolone").usual_max_dose_mg == 60

    physician = gen.user(Role.PHYSICIAN)
    doctor = login_as(physician, on=make_client())
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    response = post_step(doctor, record.case_id, "injectate", steroid_row("80", "2"), side="left")
    assert response.status_code == 302
    page = text(doctor.get(checklist_url(record.case_id)))
    assert "Triamcinolone acetonide 80 mg is above the usual maximum of 60 mg per SI joint." in page

    other = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    assert post_step(doctor, other.case_id, "injectate", steroid_row("50", "1.25"), side="left").status_code == 302
    [row] = db.session.execute(db.select(ProcedureStep).filter_by(record_id=other.id, step="injectate")).scalars()
    assert row.warnings == ""


def test_a_drug_no_longer_stocked_is_not_offered_or_accepted(admin_client, gen, make_client, login_as):
    admin_client.get("/admin/formulary")
    assert edit(admin_client, "dexamethasone", active="").status_code == 302
    assert drug("dexamethasone").active is False
    assert "Not stocked" in text(admin_client.get("/admin/formulary"))

    physician = gen.user(Role.PHYSICIAN)
    doctor = login_as(physician, on=make_client())
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    page = text(doctor.get(checklist_url(record.case_id)))
    assert 'value="dexamethasone"' not in page and 'value="triamcinolone"' in page
    response = post_step(doctor, record.case_id, "injectate", steroid_row("10", "1", "dexamethasone", "10"), side="left")
    assert response.status_code == 422
    assert field_error(text(response), "injectate-left-rows-0-drug") == \
        "Choose a local anaesthetic or a steroid from the formulary."


def test_the_admin_adds_a_drug_and_the_checklist_offers_it(admin_client, gen, make_client, login_as):
    admin_client.get("/admin/formulary")
    response = submit(admin_client, "/admin/formulary", {
        "code": "mepivacaine", "name": "Mepivacaine", "kind": "local_anaesthetic", "strengths": "10, 15, 20",
        "strength_unit": "mg/mL", "source": "1%, 1.5% and 2% solutions.", "active": "y"})
    assert response.status_code == 302
    assert drug("mepivacaine").strengths == ["10", "15", "20"]
    physician = gen.user(Role.PHYSICIAN)
    doctor = login_as(physician, on=make_client())
    record = gen.procedure(physician=physician, steps=BEFORE["injectate"])
    assert 'value="mepivacaine"' in text(doctor.get(checklist_url(record.case_id)))


@pytest.mark.parametrize("changes, field, message", [
    ({"strengths": "ten, 20"}, "strengths", "Strengths are numbers above 0 and at most 10000, separated by commas, e.g. 2.5, 5."),
    ({"strengths": "0"}, "strengths", "Strengths are numbers above 0 and at most 10000, separated by commas, e.g. 2.5, 5."),
    ({"usual_max_dose_mg": "-40"}, "usual_max_dose_mg", "The usual maximum is a number of mg above 0 and below 100000, or blank for none."),
    ({"code": "lidocaine"}, "code", "The code lidocaine is already used by Lidocaine."),
    ({"code": "Lido caine"}, "code", "Use lower-case letters, digits and _ only, e.g. ropivacaine."),
])
def test_bad_formulary_input_is_refused_next_to_the_field_with_the_typed_values_kept(admin_client, changes, field, message):
    admin_client.get("/admin/formulary")
    data = {"code": "articaine", "name": "Articaine", "kind": "local_anaesthetic", "strengths": "40",
            "strength_unit": "mg/mL", "active": "y", **changes}
    response = submit(admin_client, "/admin/formulary", data)
    assert response.status_code == 422
    page = text(response)
    assert field_error(page, field) == message
    assert f'value="{data["strengths"]}"' in page and f'value="{data["name"]}"' in page
    assert db.session.execute(db.select(db.func.count(FormularyDrug.id))).scalar() == 11


def test_a_stale_drug_form_saves_nothing(admin_client):
    admin_client.get("/admin/formulary")
    opened = drug("lidocaine").version_id
    assert edit(admin_client, "lidocaine", name="Lidocaine hydrochloride").status_code == 302
    stale = edit(admin_client, "lidocaine", name="Lignocaine", version_id=str(opened))
    assert stale.status_code == 409
    assert "Someone else changed this drug meanwhile. Nothing was saved" in text(stale)
    assert drug("lidocaine").name == "Lidocaine hydrochloride"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PHYSICIAN])
def test_only_the_admin_edits_the_formulary(client, gen, login_as, role):
    login_as(gen.user(role))
    assert client.get("/admin/formulary").status_code == 403
