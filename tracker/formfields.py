"""Form helpers shared by every area's forms, and the bounds every typed value is held to."""
import calendar
import json
import re
from datetime import date

from flask import flash, has_request_context, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField
from wtforms.i18n import get_translations as wtforms_catalog
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from tracker.extensions import db
from tracker.models import Case, Patient
from tracker.patients.identity import characters_not_in_names
from tracker.timeutil import clinic_today

# The largest id or number the database's integer columns hold (PostgreSQL `integer`). Larger
# numbers typed into an address are answered "not found" instead of failing in the database.
INT_MAX = 2**31 - 1

# Dates outside these years are typing slips (0001, 9999) and would overflow time-zone arithmetic.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2100, 12, 31)


class TrackerForm(FlaskForm):
    """Every form of the tracker: Flask-WTF's (CSRF, the request's data), with WTForms' own
    messages ("Not a valid choice") in the reader's language. Flask-WTF reads that catalog from
    disk on every request that builds a form (a quarter of a millisecond); it is read once per
    language here.

    A field's maximum length (`Length(max=...)`) is never given to the browser as `maxlength`,
    which cuts what is typed or pasted there without a word: free text says its limit in its hint
    (`length_hint`), and a value over it is refused next to the field, kept as typed, saying by how
    much (`WithinLength`)."""

    class Meta:
        def get_translations(self, form):
            return _wtforms_catalog(str(get_locale() or "en"))

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.validators = [WithinLength(v) if isinstance(v, Length) and v.max != -1 else v
                                for v in field.validators]
            return field

        def render_field(self, field, render_kw):
            return super().render_field(field, {"maxlength": False, **render_kw})


class WithinLength:
    """A `Length` whose answer to a value over its maximum says the limit and by how much it is
    over; its own message stays its answer to a value under its minimum."""

    def __init__(self, length):
        self.length, self.field_flags = length, length.field_flags

    def __call__(self, form, field):
        typed = len(field.data or "")
        if typed > self.length.max:
            raise ValidationError(_("Up to %(max)s characters: this has %(length)s, %(over)s too many.",
                                    max=self.length.max, length=typed, over=typed - self.length.max))
        self.length(form, field)


# Free text (a text area, or one line of this many characters or more) says its limit under the
# field. A name, an MRN, a phone number or an email address never comes near its limit: saying it
# there would only crowd the form (one over it is still named next to the field).
HINTED_LENGTH = 200


def length_hint(field):
    """"Up to 2000 characters." for a field of free text with a maximum length, else None."""
    limit = field.flags.maxlength
    if not limit or field.type == "EmailField" or (field.type != "TextAreaField" and limit < HINTED_LENGTH):
        return None
    return ngettext("Up to %(num)s character.", "Up to %(num)s characters.", limit)


_WTFORMS_CATALOGS = {}


def _wtforms_catalog(language):
    if language not in _WTFORMS_CATALOGS:
        _WTFORMS_CATALOGS[language] = wtforms_catalog([language, "en"])
    return _WTFORMS_CATALOGS[language]


_DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def not_a_date(typed):
    """Why `typed` is not a date, in words: a month or a day that does not exist is named ("2026-02-30
    is not a date: February 2026 has 28 days"), since "use YYYY-MM-DD" to someone who did would
    send them looking for the wrong mistake."""
    if not typed:
        return _("Enter the date as YYYY-MM-DD.")
    shape = _DATE_SHAPE.fullmatch(typed)
    if shape is None:
        return _("%(typed)s is not a date: use YYYY-MM-DD, e.g. 2026-05-12.", typed=typed)
    year, month, day = (int(part) for part in shape.groups())
    if not 1 <= month <= 12:
        return _("%(typed)s is not a date: there is no month %(month)s; use YYYY-MM-DD.", typed=typed, month=month)
    if not 1 <= year:
        return _("%(typed)s is not a date: use YYYY-MM-DD, e.g. 2026-05-12.", typed=typed)
    return _("%(typed)s is not a date: %(month)s has %(days)s days.", typed=typed,
             month=format_date(date(year, month, 1), "MMMM y"), days=calendar.monthrange(year, month)[1])


class TypedDateField(DateField):
    """A date typed as YYYY-MM-DD. One that is not a date ("2026-13-01") is named in the message next
    to the field (not_a_date), and the field macro shows it as typed (a date box would show it
    empty).

    A date box the browser could not read (filled in part, or "06/31/2026") is sent empty, as an
    empty one is; the page's script names it in INCOMPLETE_DATES. It is refused here, optional or
    not: read as empty, a therapy's end would make it "ongoing" and its weeks would count on to
    today."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(not_a_date(" ".join(valuelist).strip())) from None

    def pre_validate(self, form):
        if (self.raw_data and self.raw_data[0]) or not has_request_context() \
                or self.name not in request.form.getlist(INCOMPLETE_DATES):
            return
        self.errors[:] = []  # "Enter the date as YYYY-MM-DD." read from the empty value: not what happened
        required = next((v for v in self.validators if isinstance(v, DateRequired)), None)
        if required is not None:
            raise StopValidation(required.incomplete)  # its own words ("the date of birth as a full date")
        raise StopValidation(_("Enter a full date (month, day and year).") if self.flags.required else
                             _("Enter a full date (month, day and year), or leave the box empty."))


class WholeNumberField(IntegerField):
    """A count or a 0-10 score typed in a number box. "7.5" or "two" is refused with what to type
    instead, ahead of the field's range message, not WTForms' "Not a valid integer value"."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter a whole number, without decimals.")) from None


# A date box filled in part (a month and day, no year) sends nothing, as an empty one does: the
# page's script (static/js/dates.js) names each such box in this field as the form is sent.
INCOMPLETE_DATES = "incomplete_dates"


class DateRequired(InputRequired):
    """InputRequired for a date box: left empty, `message` ("Enter the date of birth."); filled in
    part, which the browser sends as empty too, `incomplete` ("… as a full date.")."""

    def __init__(self, message, incomplete):
        super().__init__(message)
        self.incomplete = incomplete

    def __call__(self, form, field):
        if not (field.raw_data and field.raw_data[0]) and field.name in request.form.getlist(INCOMPLETE_DATES):
            field.errors[:] = []
            raise StopValidation(self.incomplete)
        super().__call__(form, field)


def options(pairs, blank=None):
    """Select options from (value, label) pairs or a vocabulary enum; `blank` adds a first
    empty option with that label (for filters)."""
    if hasattr(pairs, "choices"):
        pairs = pairs.choices()
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(value, label) for value, label in pairs]


def paginate(query, per_page):
    """One page of `query` for the ?page= asked; past the last page, the last page (never an
    empty "page 3 of 2")."""
    asked = page_number()
    page = db.paginate(query, page=asked, per_page=per_page, error_out=False)
    if page.pages and asked > page.pages:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page


class Window:
    """One page of a list read as `per_page + 1` rows: enough to know whether a next page exists
    without counting the whole filtered table. `total` is known only when the caller keeps it (the
    worklist's per-state counts); otherwise the pager offers Previous and Next."""

    def __init__(self, items, page, per_page, has_next, total=None):
        self.items, self.page, self.per_page, self.has_next, self.total = items, page, per_page, has_next, total
        self.has_prev = page > 1
        self.prev_num, self.next_num = page - 1, page + 1
        self.pages = -(-total // per_page) if total is not None else None


def window(query, per_page, total=None, scalars=True):
    """The ?page= asked of `query` without a COUNT over the filtered table. Past the last page, the
    last page (counted then, and only then: an address typed by hand, never the common path).
    `scalars=False`: the page's items are the query's rows (a list of plain columns) rather than
    its first column's objects."""
    asked = page_number()
    if total is not None:
        asked = min(asked, max(1, -(-total // per_page)))
    page = exact_window(query, asked, per_page, total, scalars)
    if not page.items and asked > 1:
        if total is None:
            total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
        page = exact_window(query, max(1, -(-total // per_page)), per_page, total, scalars)
    return page


def exact_window(query, page, per_page, total=None, scalars=True):
    """Page `page` of `query` as asked: past the last page, no items and no next page (the JSON
    API, whose readers loop until a page is empty; people get `window`'s last page instead)."""
    statement = query.limit(per_page + 1).offset((page - 1) * per_page)
    rows = db.session.scalars(statement).unique().all() if scalars else db.session.execute(statement).all()
    return Window(rows[:per_page], page, per_page, len(rows) > per_page, total)


def differences(form, record):
    """After a conflict: the fields where the saved record differs from what was typed, as
    (label, saved, typed) in words, so the user can reconcile. The form keeps what they typed and
    takes the record's version: a deliberate second save may now go through."""
    if record is None:
        return []
    rows = []
    for name, typed in form.values().items():
        saved = getattr(record, name)
        if saved != typed:
            rows.append((form[name].label.text, _in_words(saved), _in_words(typed)))
    form.version_id.data = record.version_id
    return rows


# ---------------------------------------------------------------- a form saved by someone else meanwhile

# Fields that carry no one's entry: never merged.
_BOOKKEEPING = {"csrf_token", "version_id", "opened", "submit", "confirm_second_referral"}


def remember_opened(form):
    """What each field of `form` holds as it is first shown (its hidden `opened` field), so that a
    save refused because someone else saved meanwhile can tell the fields this user changed from
    those they left as they were (`merge_with_saved`)."""
    form.opened.data = json.dumps({name: _raw(form[name].data) for name in _entries(form)}, sort_keys=True)


def merge_with_saved(form, saved):
    """After a save refused as stale: a three-way merge of the form as opened (`opened`), as typed
    (`form`) and as saved now (`saved`: the same form filled from the record as it is now, as the
    page first shows it).

    - A field this user left as it was, that the other save changed, takes the saved value: a
      second save must not quietly undo a colleague's correction (their payer, their onset date).
    - A field only this user changed keeps what they typed.
    - A field both changed, differently, keeps what was typed and is listed with the saved value.
    The form then takes the saved version and remembers the saved values as opened, so a second
    save goes through and merges again against anything saved after it. Returns (the labels of the
    fields taken from the saved record, [(label, saved, typed)] where both changed). Without a
    record of the opened form (a page opened before this existed), every difference is listed."""
    try:
        opened = json.loads(form.opened.data or "{}")
    except ValueError:
        opened = {}
    taken, both = [], []
    for name in _entries(form):
        typed, now = _raw(form[name].data), _raw(saved[name].data)
        if typed == now:
            continue
        if name in opened and opened[name] == typed:
            # raw_data too: a date field shows what was sent rather than its data while it has any.
            form[name].data, form[name].raw_data = saved[name].data, saved[name].raw_data
            taken.append(str(form[name].label.text))
        elif name not in opened or opened[name] != now:
            both.append((str(form[name].label.text), _shown(saved[name]), _shown(form[name])))
    form.version_id.data = saved.version_id.data
    # How the page words the fields listed: changed by both, or (not known) only different.
    form.merged_with_opened = bool(opened)
    remember_opened(saved)
    form.opened.data = saved.opened.data
    return taken, both


def say_taken(taken):
    """The flash that names the fields a merge took from the record as saved now."""
    if taken:
        flash(_("Their changes to fields you had not changed are now in the form: %(fields)s.",
                fields=", ".join(taken)), "warning")


def _entries(form):
    # By the field's own name: a form with a prefix (a checklist step's, "time_out-...") is indexed by
    # it. A list of sub-forms (an injectate's drug rows) is not merged: it stays as typed.
    return [field.short_name for field in form if field.short_name not in _BOOKKEEPING
            and field.type not in ("HiddenField", "SubmitField", "FieldList")]


def _raw(value):
    """A field's data as comparable, JSON-safe text: what the page would send back."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_raw(item) for item in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"  # never "" : no is an answer, not "not recorded"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _shown(field):
    """A field's value in words: a choice by its label, as the form offers it (the choice whose
    value the field's coerce turns into the data: "no" for False, "Not recorded" for None)."""
    choices = [(value, label) for value, label, *_ in (getattr(field, "choices", None) or [])
               if not isinstance(label, (list, tuple))]
    if not choices:
        return _in_words(field.data)
    coerce = getattr(field, "coerce", str)

    def label_of(item):
        for value, label in choices:
            try:
                if coerce(value) == item and type(coerce(value)) is type(item):
                    return str(label)
            except (TypeError, ValueError):
                continue
            if str(value) == _raw(item):
                return str(label)
        return _in_words(item)

    if isinstance(field.data, (list, tuple, set)):
        return ", ".join(label_of(item) for item in field.data) or "not recorded"
    return label_of(field.data)


def _in_words(value):
    if value is None or value == "":
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "label", value))


def page_number():
    """The ?page= of a list. Anything that is not a page number (text, 0, -2, 10**30) shows the
    first page, as a list with no ?page= does."""
    page = request.args.get("page", 1, type=int)
    return page if 1 <= page <= INT_MAX else 1


def ends_after(start):
    """Validator of a period's last date: not before the form's field named `start` (a start
    refused for its own reason is left to its own message)."""
    def check(form, field):
        first = form[start]
        if field.data and first.data and not first.errors and field.data < first.data:
            raise ValidationError(_("The period ends (%(end)s) before it starts (%(start)s); check the two dates.",
                                    end=field.data.isoformat(), start=first.data.isoformat()))
    return check


def plausible_date(form, field):
    """First validator of every date field: the checks after it compare with other dates."""
    if field.data and not EARLIEST_DATE <= field.data <= LATEST_DATE:
        raise StopValidation(_("Enter a date between %(first)s and %(last)s (the year %(year)s looks like a typing slip).",
                               first=EARLIEST_DATE.year, last=LATEST_DATE.year, year=field.data.year))


def not_in_future(form, field):
    if field.data and field.data > clinic_today():
        raise ValidationError(_("This date is in the future; check the day, month and year."))


# Older than this on the day typed is a typing slip in the year (1900 for 1990), not a patient.
OLDEST_PATIENT_YEARS = 120


def too_old(born, today):
    """The age `born` gives today when it is older than OLDEST_PATIENT_YEARS, else None."""
    if born is None or born > today:
        return None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age if age > OLDEST_PATIENT_YEARS else None


def plausible_birth_date(form, field):
    """A date of birth that would make the patient older than OLDEST_PATIENT_YEARS today. One saved
    before this check (`form.stored_birth_date`) is kept unless it is changed: correcting a phone
    number must not wait for it."""
    if field.data == getattr(form, "stored_birth_date", None):
        return
    if age := too_old(field.data, clinic_today()):
        raise ValidationError(_("That would make the patient %(age)s years old; check the year.", age=age))


def not_before_birth(form, field):
    """For dates in the patient's story (referral, symptom onset, therapy, examination)."""
    born = _patient_birth_date(form)
    if field.data and born and field.data < born:
        raise ValidationError(_("This date is before the patient was born (%(born)s); check the day, month and year.",
                                born=born.isoformat()))


def name_problem(value):
    """Why `value` cannot be a person's name, naming each character to remove ("remove “😀”"), or
    None: the one name rule, for the forms (`person_name`) and FHIR intake alike. Letters, accents,
    spaces, apostrophes, hyphens and periods are a name (tracker.patients.identity)."""
    wrong = characters_not_in_names(value)
    if not wrong:
        return None
    shown = " ".join(f"“{char}”" for char in wrong)
    return _("A name holds letters, spaces, apostrophes ('), hyphens (-) and periods only: remove %(shown)s.",
             shown=shown)


def _patient_birth_date(form):
    """The date of birth typed on the same form (registration), else that of the patient whose
    page this is: every page that edits a patient's dates is addressed by its case or patient id,
    and has already loaded that record (so this reads the session, not the database)."""
    if "date_of_birth" in form:
        return None if form.date_of_birth.errors else form.date_of_birth.data
    ids = request.view_args or {}
    if "case_id" in ids:
        case = db.session.get(Case, ids["case_id"])
        return case.patient.date_of_birth if case else None
    if "patient_id" in ids:
        patient = db.session.get(Patient, ids["patient_id"])
        return patient.date_of_birth if patient else None
    return None


def show_on_form(form, error):
    """Put a service's FieldError (or each of FieldErrors) next to its field, keeping what was typed."""
    for one in getattr(error, "errors", [error]):
        getattr(form, one.field).errors.append(one.message)
