"""Phone numbers: typed as people type them, stored in E.164, shown in the clinic's own style.

A number without a country code is read as one of the clinic's country (CLINIC_COUNTRY, a
two-letter region code such as "US"); one with "+" or an international prefix keeps its own. Only
numbers `phonenumbers` knows to be valid are stored: a digit too many or too few is refused next
to the field with what was typed, rather than a text message going to nobody.

    to_e164("(201) 555-0123")  -> "+12015550123"
    display("+12015550123")     -> "(201) 555-0123"   (a foreign number: "+34 612 34 56 78")

The clinic's own number may carry an extension ("+12015550188;ext=12", shown "(201) 555-0188
ext. 12"); a patient's may not (a text cannot reach an extension).
"""
import re
from functools import lru_cache

import phonenumbers
from babel import Locale
from flask import current_app
from flask_babel import get_locale, gettext as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from wtforms.validators import ValidationError

# The longest extension kept after a number (a clinic's switchboard: 2 to 6 digits). Every text
# that gives the clinic's number is longer by " ext. " and these digits.
EXTENSION_DIGITS = 6

# Types a text message can reach. North American numbers do not say whether they are mobile.
TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class PhoneError(ValueError):
    """The typed number is not a phone number of the clinic's country (or a valid foreign one)."""


def clinic_country():
    return current_app.config["CLINIC_COUNTRY"]


# English names a sentence gives with "the" ("for the United States", "the Netherlands"): plural
# names and those built on a common noun.
_TAKES_THE = re.compile(r"\b(States|Kingdom|Republic|Emirates|Islands|Territories|Netherlands|Philippines|Bahamas|"
                        r"Gambia|Maldives|Seychelles|Comoros)\b")


def country_name(region):
    """The region's name in the page's language, as a sentence gives it ("the United States",
    "Spain"; in Spanish "Estados Unidos")."""
    language = getattr(get_locale(), "language", None) or "en"
    if language != "en":
        return Locale.parse(language).territories.get(region, region)
    name = Locale.parse("en").territories.get(region, region)
    return f"the {name}" if _TAKES_THE.search(name) else name


def _parse(typed, region):
    try:
        number = phonenumbers.parse((typed or "").strip(), region)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _parsed(typed, region):
    """The typed number, parsed and valid; raises PhoneError with a message for the field."""
    number = _parse(typed, region)
    if number is None:
        raise PhoneError(_("“%(typed)s” is not a valid phone number for %(country)s. Type it with its "
                           "area code, or with + and the country code for a number abroad.",
                           typed=(typed or "").strip(), country=country_name(region)))
    return number


def to_e164(typed, region=None):
    """A patient's number in E.164 ("+12015550123"); raises PhoneError with a message for the
    field, for an extension typed after it too (dropped, the number would look like the one given)."""
    number = _parsed(typed, region or clinic_country())
    if number.extension:
        raise PhoneError(_("A patient's number cannot have an extension (ext. %(extension)s): texts cannot "
                           "reach one. Give the number alone.", extension=number.extension))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def to_e164_with_extension(typed, region=None):
    """A number people call (the clinic's), with the extension typed after it kept: E.164 and
    ";ext=12" ("(201) 555-0188 ext. 12", "x12" or ",12" -> "+12015550188;ext=12"). Raises
    PhoneError for a number that is not one or an extension longer than EXTENSION_DIGITS."""
    number = _parsed(typed, region or clinic_country())
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if not number.extension:
        return e164
    if len(number.extension) > EXTENSION_DIGITS:
        raise PhoneError(_("An extension has at most %(digits)s digits: “%(extension)s” has %(typed)s.",
                           digits=EXTENSION_DIGITS, extension=number.extension, typed=len(number.extension)))
    return f"{e164};ext={number.extension}"


def tel_href(stored):
    """A link that dials a stored number: "tel:+12015550188", its extension after a comma (the
    phone dials the number, pauses, then dials the extension: "tel:+12015550188,12")."""
    number = _parse(stored, clinic_country())
    if number is None:
        return f"tel:{stored}"
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return f"tel:{e164},{number.extension}" if number.extension else f"tel:{e164}"


def normalised(stored, region):
    """E.164 for a stored number that parses, else None (left as it is): for the migration."""
    number = _parse(stored, region)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if number else None


def display(stored, region=None):
    """A stored number as the clinic reads it: national style at home, international abroad. A
    number stored before validation that does not parse is shown as it was typed."""
    if not stored:
        return ""
    return _displayed(stored, region or clinic_country())


# Parsing, validating and formatting a number takes `phonenumbers` about a tenth of a millisecond:
# more than the rest of a list's row. The answer depends only on the number, the country and the
# library's data, so each is worked out once per process (numbers only, no names; 4,096 of them
# at most, well under a megabyte).
@lru_cache(maxsize=4096)
def _displayed(stored, region):
    number = _parse(stored, region)
    if number is None:
        return stored
    home = phonenumbers.region_code_for_number(number) == region
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL)


def _kind(stored):
    """The `phonenumbers` type of a stored number, or None when it does not parse."""
    number = _parse(stored, clinic_country()) if stored else None
    return phonenumbers.number_type(number) if number is not None else None


def may_take_texts(stored):
    """Whether a stored number can receive a text message (a valid mobile or maybe-mobile)."""
    return _kind(stored) in TEXTABLE


def why_no_texts(stored):
    """Why texts cannot reach a stored (E.164) number, in a sentence for staff, or None when they can.
    The one rule behind the form's refusal, the contact choice (`tracker.contact`) and the pages'
    flags: a text goes only to a number `phonenumbers` types as mobile (or, as North American
    numbers are, fixed line or mobile)."""
    if not stored:
        return _("There is no phone number to text.")
    kind = _kind(stored)
    if kind is None:
        return _("“%(number)s” is not a phone number a text can reach.", number=stored)
    if kind in TEXTABLE:
        return None
    shown = display(stored)
    if kind == PhoneNumberType.FIXED_LINE:
        return _("%(number)s is a landline: it cannot take text messages.", number=shown)
    return _("%(number)s is not a mobile number: it cannot take text messages.", number=shown)


class PhoneNumber:
    """WTForms validator: the field must hold a valid number; `field.e164` is what to store (with
    `extension=True`, with the extension typed after it: see `to_e164_with_extension`)."""

    def __init__(self, extension=False):
        self.stored = to_e164_with_extension if extension else to_e164

    def __call__(self, form, field):
        field.e164 = None
        if not (field.data or "").strip():
            return
        try:
            field.e164 = self.stored(field.data)
        except PhoneError as error:
            raise ValidationError(str(error)) from None
