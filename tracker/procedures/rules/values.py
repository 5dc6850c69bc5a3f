"""Reading a step's values as a form gives them: blank or not, a choice, a number."""
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from tracker.procedures.rules.schema import INJECTATE_ROW_FIELDS, Field, SkinAnaesthetic, Step


def blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset)):
        return not value
    return False


def recorded(f: Field, value) -> bool:
    return value is True if f.confirmation else not blank(value)


def saved_answers(step_code, answers: Mapping) -> dict:
    """A saved step's answers read in today's shape. The local skin anaesthetic was a tick box
    until it became "used / not used": a tick reads as used, a box left unticked as not answered."""
    answers = dict(answers)
    old = answers.get("local_skin_anaesthetic")
    if Step(step_code) == Step.SKIN_PREP and isinstance(old, bool):
        if old:
            answers["local_skin_anaesthetic"] = SkinAnaesthetic.USED.value
        else:
            del answers["local_skin_anaesthetic"]
    return answers


def as_choice(vocabulary, value):
    try:
        return vocabulary(value)
    except ValueError:
        return None


def as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def complications_of(value) -> list:
    return [] if blank(value) else as_list(value)


def filled_rows(rows) -> list[tuple[int, Mapping]]:
    """Rows with anything typed in, with their index in the form (a FieldList's spare empty
    rows are not drugs)."""
    return [(index, row) for index, row in enumerate(rows or ())
            if any(not blank(row.get(f.name)) for f in INJECTATE_ROW_FIELDS)]


def quiet_decimal(value) -> Decimal | None:
    if blank(value) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def read_number(values: Mapping, name: str, errors: dict, prefix: str = "") -> Decimal | None:
    """The field as a Decimal; None when blank, or (with an error) when it is not a number."""
    value = values.get(name)
    if blank(value):
        return None
    number = quiet_decimal(value)
    if number is None:
        errors[prefix + name] = _not_a_number(value)
    return number


def _not_a_number(value) -> str:
    """ "1,5" was meant as 1.5 in many countries: say how to write it rather than only refusing it.
    A comma before three digits ("1,500") may be a thousands separator: both readings are named."""
    typed = str(value).strip()
    if typed.count(",") != 1 or quiet_decimal(typed.replace(",", ".")) is None:
        return "Enter a number."
    if re.fullmatch(r"[+-]?\d{1,3},\d{3}", typed):
        return (f"Write the number without a comma: {typed.replace(',', '')}, "
                f"or with a point for decimals: {typed.replace(',', '.')}")
    return f"Use a point for decimals: {typed.replace(',', '.')}"


def read_whole_number(values: Mapping, name: str, errors: dict) -> int | None:
    number = read_number(values, name, errors)
    if number is None:
        return None
    if number != number.to_integral_value():
        errors[name] = "Enter a whole number."
        return None
    return int(number)
