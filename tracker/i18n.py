"""The languages patients read the tracker in: which one a request gets, dates and words.

Catalogs live in translations/<code>/LC_MESSAGES/messages.po (compiled to .mo by `make install`).
A patient's page is in, first, the language they chose with the switch on this device (a cookie);
then the language the clinic recorded for them (signed in, or known through their personal link);
then their browser's Accept-Language. Staff pages are always English (the switch itself is
`tracker.language_switch`).
"""
import re
import unicodedata
from functools import cached_property
from datetime import date, datetime, timedelta

from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from flask import g, has_app_context, has_request_context, request
from markupsafe import Markup
from flask_babel import Babel, Domain, force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from flask_login import current_user

from tracker.roles import Role
from tracker.timeutil import clinic_today, clinic_zone, to_clinic
from tracker.vocab import N_

# code -> the language's own name, as the switch shows it. A language is here only with a catalog.
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT = "en"
COOKIE = "lang"
COOKIE_DAYS = 365

# What the clinic may have typed in the patient's record for each language we have a catalog for
# (compared without case or accents).
_NAMES = {
    "en": {"en", "english", "ingles"},
    "es": {"es", "spanish", "espanol", "castellano", "castilian"},
}

def _folded(text):
    """Without case, accents or region: "Español", "es-MX", "es_ES" and "Spanish (Mexico)" are all
    the one language (the region's words do not change which catalog the patient reads)."""
    text = unicodedata.normalize("NFKD", (text or "").split("(")[0].strip().lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch)).split("-")[0].split("_")[0]


def language_code(recorded):
    """The catalog for a language as recorded on the patient ("Spanish", "español", "es"), or
    None when the tracker has none (the patient then reads English: see `has_catalog`)."""
    folded = _folded(recorded)
    return next((code for code, names in _NAMES.items() if folded in names), None)


def has_catalog(recorded):
    return language_code(recorded) is not None


# How the record names each language the tracker speaks to patients in (the forms' list offers
# these, then Other with its own box for any other language).
RECORDED = {"en": "English", "es": "Spanish"}


def recorded_name(typed):
    """A language as the record keeps it: the tracker's name for one it speaks ("español", "es",
    "ESPAÑOL" -> "Spanish"), any other as typed (stripped); None when nothing is given (not known)."""
    typed = (typed or "").strip()
    if not typed:
        return None
    code = language_code(typed)
    return RECORDED[code] if code else typed


def same_language(one, other):
    """Whether two recorded languages are the same ("español" and "Spanish" are; "Tagalog" and
    "tagalog" are), so a merge never asks to choose between two spellings of one language."""
    if not (one or "").strip() or not (other or "").strip():
        return (one or "").strip() == (other or "").strip()
    code = language_code(one)
    if code is not None or language_code(other) is not None:
        return code == language_code(other)
    return _folded(one) == _folded(other)


def patient_language(patient):
    """The code messages to this patient are written in: their language, or English."""
    return language_code(patient.language) or DEFAULT


def patient_locale(patient):
    """`with patient_locale(p):` — messages built inside (emails, texts, calendar files) are in
    the patient's language, whoever or whatever (staff, cron) sends them."""
    return force_locale(patient_language(patient))


def use_patient_language(patient):
    """A page reached without signing in (the personal link) learns here whose it is."""
    g.patient_locale = patient_language(patient)
    from flask_babel import refresh

    refresh()


def remember_on_device(response, code):
    """This device reads the tracker in `code` from now on (the language switch's cookie)."""
    response.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True,
                        secure=request.is_secure)
    return response


def select_locale():
    if not has_request_context():
        return DEFAULT  # a command (cron): messages choose their reader's language themselves
    if current_user.is_authenticated and current_user.role != Role.PATIENT:
        return DEFAULT
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if current_user.is_authenticated and current_user.patient is not None:
        return patient_language(current_user.patient)
    if getattr(g, "patient_locale", None):
        return g.patient_locale
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


# ------------------------------------------------------------------ dates, times, numbers

def _locale():
    return get_locale() or DEFAULT


def long_date(value):
    """"Saturday, December 5, 2026" / "sábado, 5 de diciembre de 2026" (clinic time)."""
    if isinstance(value, datetime):
        value = to_clinic(value)
    return babel_dates.format_date(value, "full", locale=_locale())


def short_date(value):
    """"Sat, Dec 5" / "sáb, 5 dic" (clinic time); "Fri, Jan 1, 2027" in another year than the clinic's."""
    if isinstance(value, datetime):
        value = to_clinic(value)
    return babel_dates.format_skeleton("MMMEd" if value.year == clinic_today().year else "yMMMEd", value,
                                       locale=_locale())


def clock(value):
    """"10:15 AM" / "10:15" (clinic time)."""
    return babel_dates.format_time(to_clinic(value), "short", locale=_locale())


def hour_shown(value):
    """The hour as the reader reads it in `clock(value)` ("1:05 PM" and "1:05" -> 1, "13:05" -> 13).

    Messages with "at %(time)s" are plural messages counted by this hour, so that a language can
    agree with it: Spanish says "a la 1:05" but "a las 2:05" and "a las 13:05"."""
    found = re.search(r"\d+", clock(value))
    return int(found.group()) if found else 0


def day_and_time(value):
    return ngettext("%(day)s at %(time)s", "%(day)s at %(time)s", hour_shown(value),
                    day=long_date(value), time=clock(value))


def zone_city():
    """The clinic's time zone as its city, in the reader's language: "New York" / "Nueva York"."""
    zone = clinic_zone().key
    try:
        return babel_dates.get_timezone_location(zone, locale=_locale(), return_city=True)
    except LookupError:
        return zone.split("/")[-1].replace("_", " ")


def in_clinic_zone(moment_words):
    """"Thursday, December 10 at 8:25 AM (New York time)": a time said to a patient, with the
    clinic's zone as their appointment gives it, so one reading it elsewhere knows which hour it is."""
    return _("%(moment)s (%(zone)s time)", moment=moment_words, zone=zone_city())


def listed(items):
    """"A, B, and C" / "A, B y C": words joined as the reader's language lists them."""
    return babel_lists.format_list(list(items), locale=_locale())


def number(value):
    return babel_numbers.format_decimal(value, locale=_locale())


def _weekday(local, now):
    """"Fri, January 1", with its year when that is not the year of `now` (clinic time): read in
    December, an opening on 1 January without its year looks like a day already gone."""
    return babel_dates.format_skeleton("MMMMEEEEd" if local.year == to_clinic(now).year else "yMMMMEEEEd",
                                       local, locale=_locale())


def when(moment, now):
    """"10:15 AM" today, else "Tuesday, December 8 at 10:15 AM" (clinic time), for the diary."""
    local = to_clinic(moment)
    if local.date() == to_clinic(now).date():
        return clock(moment)
    return ngettext("%(day)s at %(time)s", "%(day)s at %(time)s", hour_shown(moment),
                    day=_weekday(local, now), time=clock(moment))


def opening_minute(moment):
    """The first whole minute at which something opening at `moment` is open: `moment` itself on
    the minute, else the next minute (14:37:45 -> 14:38, 23:59:30 -> 00:00 the next day). A time
    shown without seconds as "from" is read as open from that minute's start: rounded down, a
    window opening at 14:37:45 would be promised at 14:37, when nothing is open yet.

    The one rule for a diary window's opening, on the patient's pages and the staff's (the case
    page's Pain diary panel: template filter `opening_minute`). A closing is shown as every clock
    here shows a moment, its seconds dropped (14:49:45 -> 14:49, the last minute it is open at)."""
    if moment.second or moment.microsecond:
        return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def from_when(moment, now):
    """"from 10:15 AM" today, else "from Tuesday, December 8 at 10:15 AM": whole phrases, as
    languages join "from" to a time and to a day differently ("a partir de las", "a partir del").
    The moment is shown at its `opening_minute`, so the time said is one at which it is open."""
    moment = opening_minute(moment)
    local = to_clinic(moment)
    if local.date() == to_clinic(now).date():
        return ngettext("from %(time)s", "from %(time)s", hour_shown(moment), time=clock(moment))
    return ngettext("from %(day)s at %(time)s", "from %(day)s at %(time)s", hour_shown(moment),
                    day=_weekday(local, now), time=clock(moment))


class CatalogPerRequest(Domain):
    """Flask-Babel's message domain, looking the catalog up once per request and language rather
    than on every string (about 20 µs each: 2 ms on a page of a hundred strings). The key is the
    locale object itself, which `force_locale` and `refresh` replace, so a message built for a
    patient in their language is never read from the page's catalog."""

    def get_translations(self):
        if not has_app_context():
            return super().get_translations()
        here = g._get_current_object()  # one context lookup instead of one per attribute
        locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None) or get_locale()
        kept = getattr(here, "_catalog", None)
        if kept is None or kept[0] is not locale:
            kept = here._catalog = (locale, super().get_translations())
        return kept[1]


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return CatalogPerRequest(domain=self.domain)


babel = _Babel()


def catalog():
    """The translations of the language in force (what `_` and `gettext` read)."""
    return babel.domain_instance.get_translations()


def translate(message, **values):
    """`_()` in templates: what Jinja's own does (the translation is trusted, the values
    escaped), without its two layers of context calls, which cost more than the lookup."""
    text = Markup(catalog().ugettext(message))
    return text % values if values else text


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="../translations")
    # Templates translate through `catalog()` (Flask-Babel installs the same callables without it).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals["_"] = translate
    from tracker.language_switch import bp

    app.register_blueprint(bp)
    # {% trans %} blocks ignore the line breaks of the template, as the extracted messages do.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(long_date=long_date, short_date=short_date, clock=clock,
                                 day_and_time=day_and_time, number=number)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=lambda: str(_locale()),
                                 case_title=case_title, side_word=side_word, which_side=which_side, say=say, place=place,
                                 has_catalog=has_catalog, same_language=same_language, hour_shown=hour_shown, zone_city=zone_city,
                                 in_clinic_zone=in_clinic_zone)

    @app.after_request
    def vary_on_language(response):
        # The same address answers in two languages: caches must keep them apart.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response



# ------------------------------------------------------------------ words patients read

# The title of a case as the patient reads it. Whole sentences per indication, so each language
# can order the words its own way (Spanish puts the side after the joint, and agrees with it).
_TITLES = {
    ("diagnostic", False): N_("%(side)s sacroiliac joint diagnostic block"),
    ("confirmatory", False): N_("%(side)s sacroiliac joint confirmatory block"),
    ("therapeutic", False): N_("%(side)s sacroiliac joint therapeutic injection"),
    ("diagnostic", True): N_("Bilateral sacroiliac joint diagnostic block"),
    ("confirmatory", True): N_("Bilateral sacroiliac joint confirmatory block"),
    ("therapeutic", True): N_("Bilateral sacroiliac joint therapeutic injection"),
}


def place(room):
    """Where the patient goes, in the language being written: the room's Spanish location for a
    Spanish reader when the admin typed one, else its location, else the room's name."""
    if str(_locale()) == "es" and room.location_es:
        return room.location_es
    return room.location or room.name


def say(message):
    """A (message, values) pair of a pure module, in the reader's language: dates among the values
    written as `long_date`, moments as the day and the time."""
    text, values = message
    return _(text, **{name: _written(value) for name, value in values.items()})


def _written(value):
    if isinstance(value, datetime):
        return f"{long_date(value)}, {clock(value)}"
    if isinstance(value, date):
        return long_date(value)
    return value


def side_word(side):
    """"Left" / "izquierda": the side as an adjective of the joint."""
    return {"left": pgettext("joint", "Left"), "right": pgettext("joint", "Right")}.get(
        str(side), pgettext("joint", "Bilateral"))


def which_side(side):
    """"left" / "izquierdo", "both sides" / "ambos lados": the answer to "Which side:" (agreeing with
    "lado", where `side_word` agrees with "articulación")."""
    return {"left": pgettext("which side", "left"), "right": pgettext("which side", "right")}.get(
        str(side), pgettext("which side", "both sides"))


def case_title(case):
    bilateral = str(case.side) == "bilateral"
    return _(_TITLES[(str(case.indication), bilateral)], side=side_word(case.side))
