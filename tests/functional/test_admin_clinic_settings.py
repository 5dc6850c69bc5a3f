"""Two admins editing the clinic's settings at once, through the real forms: a save from a form
opened before another admin's save is refused with the values saved now, the typed values kept,
and nothing overwritten (Clinic contact, the billing setting, the default payer profile)."""
import pytest

from tests.helpers import form_data, form_posting_to, input_value, selected, soup, text, words
from tracker.clinic import clinic_contact
from tracker.eligibility.standing import clinic_default_profile_code
from tracker.extensions import db
from tracker.procedures.services import billing_setting
from tracker.roles import Role

ADDRESS = "100 Example Avenue, Suite 2\nSpringfield"
STALE_CONTACT = ("Someone else saved the clinic's contact details after you opened this page. Nothing was saved; "
                 "the current values are shown below, your entries are kept in the form.")
STALE_SETTINGS = ("Someone else saved the clinic's settings after you opened this page. Nothing was saved; "
                  "the current values are shown below, your entries are kept in the form.")


@pytest.fixture
def second_admin(make_client, gen, login_as):
    return login_as(gen.user(Role.ADMIN, name="Blake Admin"), on=make_client())


def opened(client, url, action):
    """The form posting to `action` as `client`'s browser shows it on `url`."""
    return form_data(form_posting_to(text(client.get(url)), action))


def post(client, action, form, **typed):
    return client.post(action, data={**form, **typed})


def fresh():
    db.session.expire_all()


def notice(page):
    found = soup(page).find(id="current-saved")
    return words(found) if found is not None else ""


def test_a_stale_clinic_contact_form_is_refused_and_the_new_phone_number_is_kept(admin_client, second_admin):
    post(admin_client, "/admin/clinic", opened(admin_client, "/admin/clinic", "/admin/clinic"),
         phone="(201) 555-0100", address=ADDRESS)
    first = opened(admin_client, "/admin/clinic", "/admin/clinic")
    stale = opened(second_admin, "/admin/clinic", "/admin/clinic")

    assert post(admin_client, "/admin/clinic", first, phone="(201) 555-0199").status_code == 302
    refused = post(second_admin, "/admin/clinic", stale, address=ADDRESS + ", NJ 07081")
    assert refused.status_code == 409
    page = text(refused)
    assert STALE_CONTACT in page
    assert notice(page) == ("Current saved values: phone (201) 555-0199 · address 100 Example Avenue, Suite 2, "
                            "Springfield. To apply your changes anyway, reload the page and edit again.")
    # What the second admin typed is kept, the phone as their form had it.
    assert input_value(page, "phone") == "(201) 555-0100"
    assert ADDRESS + ", NJ 07081" in page
    fresh()
    assert clinic_contact().phone == "+12015550199"
    assert clinic_contact().address == ADDRESS

    # Sending the refused form again is still refused: it was opened on the old version.
    again = form_data(form_posting_to(page, "/admin/clinic"))
    assert post(second_admin, "/admin/clinic", again).status_code == 409
    fresh()
    assert clinic_contact().phone == "+12015550199"

    # Reloaded, the form shows the saved number and saves.
    reloaded = opened(second_admin, "/admin/clinic", "/admin/clinic")
    assert reloaded["phone"] == "(201) 555-0199"
    assert post(second_admin, "/admin/clinic", reloaded, address=ADDRESS + ", NJ 07081").status_code == 302
    fresh()
    assert clinic_contact().phone == "+12015550199" and clinic_contact().address.endswith("NJ 07081")


def test_a_save_with_no_version_is_refused(admin_client):
    form = opened(admin_client, "/admin/clinic", "/admin/clinic")
    form.pop("version_id")
    assert post(admin_client, "/admin/clinic", form, phone="(201) 555-0111", address=ADDRESS).status_code == 409


def test_a_stale_billing_setting_form_is_refused(admin_client, second_admin):
    first = opened(admin_client, "/admin/settings", "/admin/settings/billing")
    stale = opened(second_admin, "/admin/settings", "/admin/settings/billing")
    assert post(admin_client, "/admin/settings/billing", first, billing_setting="facility").status_code == 302

    refused = post(second_admin, "/admin/settings/billing", stale, billing_setting="office")
    assert refused.status_code == 409
    page = text(refused)
    assert STALE_SETTINGS in page
    assert notice(page).startswith("Current saved values: billing setting Facility")
    assert "default payer profile" in notice(page)
    fresh()
    assert billing_setting().value == "facility"


def test_a_stale_default_payer_profile_form_is_refused(admin_client, second_admin):
    first = opened(admin_client, "/admin/settings", "/admin/settings")
    stale = opened(second_admin, "/admin/settings", "/admin/settings")
    assert post(admin_client, "/admin/settings", first, default_profile_code="EVICORE_CMM_203").status_code == 302

    refused = post(second_admin, "/admin/settings", stale, default_profile_code="CAM_770HB")
    assert refused.status_code == 409
    page = text(refused)
    assert STALE_SETTINGS in page
    assert "Current saved values: billing setting" in notice(page)
    assert selected(page, "default_profile_code") == "CAM_770HB"
    fresh()
    assert clinic_default_profile_code() == "EVICORE_CMM_203"
