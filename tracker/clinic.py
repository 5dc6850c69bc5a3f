"""The clinic's contact details, as patients are given them wherever they are told to call the
clinic (patient pages, the personal-link diary, the invalid-link page, emails and texts).

An admin sets the phone number and address (Admin › Clinic contact); until then the phone number
is CLINIC_PHONE from the configuration, if set.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from tracker import phones
from tracker.extensions import db
from tracker.models import ClinicSettings
from tracker.refusals import StaleEdit


@dataclass(frozen=True)
class ClinicContact:
    name: str
    phone: str          # as stored (E.164, with ";ext=12" for an extension), "" when unknown
    address: str        # as the admin typed it, lines kept

    @property
    def phone_shown(self):
        """The number as the clinic's patients dial it (national style at home)."""
        return phones.display(self.phone)

    @property
    def tel(self):
        return phones.tel_href(self.phone) if self.phone else ""

    @property
    def address_lines(self):
        return address_lines(self.address)

    def call_line(self):
        """What to tell a patient to do: call the clinic, on its number when known (translated)."""
        if self.phone:
            return _("Questions? Call the clinic on %(phone)s.", phone=self.phone_shown)
        return _("Questions? Call the clinic.")

    def pain_worse_line(self):
        """For the end of a diary text: the number to call when the pain is much worse after the
        injection (translated); "" when no number is known (the text then says nothing)."""
        if not self.phone:
            return ""
        return _("Pain much worse, or questions? Call the clinic on %(phone)s.", phone=self.phone_shown)

    def signature(self, with_phone=True):
        """For the end of an email: the clinic's name, address and (translated) phone line."""
        lines = [self.name, *self.address_lines]
        if with_phone and self.phone:
            lines.append(_("Phone: %(phone)s", phone=self.phone_shown))
        return "\n".join(lines)


def address_lines(text):
    """An address's lines as patients read them: each trimmed, blank ones left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def tidy_address(text):
    """An address as it is stored and compared: its lines as patients read them, joined by "\n"
    whatever line endings or trailing spaces it came with (a browser sends a textarea back with
    "\r\n"), so saving it again unchanged is no change."""
    return "\n".join(address_lines(text))


def clinic_contact():
    """The clinic's name, phone number and address (see the module's docstring). The settings row
    is read through the session, so a page that shows the details in several places loads it once."""
    settings = db.session.get(ClinicSettings, 1)
    phone = (settings.contact_phone if settings else "") or current_app.config.get("CLINIC_PHONE") or ""
    if phone and not phone.startswith("+"):
        try:
            phone = phones.to_e164_with_extension(phone)
        except phones.PhoneError:
            pass  # shown as configured
    return ClinicContact(name=current_app.config["CLINIC_NAME"], phone=phone,
                         address=settings.contact_address if settings else "")


def settings_version():
    """The version of the clinic's settings a form opened now carries ("0" before the first save)."""
    settings = db.session.get(ClinicSettings, 1)
    return str(settings.version_id) if settings else "0"


def check_settings_version(settings, version_id):
    """Refuse (StaleEdit) a save of the clinic's settings from a form opened on another version of
    them: another admin saved the row since (any of its forms). `settings` is the row, or None
    before the first save; `version_id` None is a save with no form (the demo, a command). A
    form that sent no version is stale, as `tracker.refusals.check_version` says."""
    if version_id is None:
        return
    if str(settings.version_id if settings is not None else 0) != str(version_id):
        raise StaleEdit
