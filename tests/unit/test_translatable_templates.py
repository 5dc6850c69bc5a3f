"""Every word a patient can read in a patient-facing template goes through the catalog, and so does
every word of the staff pages (so another language can be added for staff without touching code)
and every flash message a view writes.

The templates are parsed with Jinja itself: the text between tags, the words in the attributes a
person reads (aria-label, title, placeholder, alt) and the string literals a template prints or
passes to a macro must sit inside a gettext call (`_()`, `ngettext()`, `{% trans %}`). Markup,
whitespace, punctuation, numbers and code-like strings (single words compared or passed as
options) are not words to translate.
"""
import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PATIENT_FACING = sorted(
    [*TEMPLATES.glob("patient/*.html"), *TEMPLATES.glob("errors/*.html"),
     *(TEMPLATES / name for name in (
         "base.html", "_macros/layout.html", "_macros/forms.html", "auth/sign_in.html",
         "auth/change_password.html", "diary/entry.html", "diary/correct.html", "diary/_macros.html",
         "diary/link_base.html", "diary/link_not_valid.html", "diary/link_closed.html",
         "diary/_when_to_call.html"))])
STAFF = sorted(set(TEMPLATES.rglob("*.html")) - set(PATIENT_FACING))
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
READ_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
# Prose: two words, or one capitalised word (a label). "booked", "new-password", "%A" are code.
PROSE = re.compile(r"[^\W\d_]{2,} +[^\W\d_]{2,}|^[A-Z][a-z]+[.:]?$")
WORD = re.compile(r"[^\W\d_]{2,}")


def _env():
    return Environment(extensions=["jinja2.ext.i18n"])


def _visible_text(source):
    """The template's own text as a reader sees it: comments, {% trans %} blocks (marked), tags
    and template code removed; what is left between them must be empty of words."""
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", source, flags=re.S)
    source = re.sub(r"{{.*?}}|{%.*?%}", "\x00", source, flags=re.S)
    read = [text for text in READ_ATTRIBUTES.findall(source) if WORD.search(text.replace("\x00", " "))]
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*>", "\x00", source)
    source = re.sub(r"&[a-z#0-9]+;", " ", source)
    shown = [piece.strip() for piece in source.split("\x00") if WORD.search(piece)]
    return shown + read


def _unmarked_literals(node):
    """String literals a template prints or hands to a macro, outside any gettext call."""
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in GETTEXT:
        return
    if isinstance(node, (nodes.Compare, nodes.Test, nodes.Extends, nodes.Include, nodes.Import,
                         nodes.FromImport)):
        return  # status == 'overdue', template names: code, not words
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        if PROSE.search(node.value):
            yield node.value
        return
    for child in node.iter_child_nodes():
        yield from _unmarked_literals(child)


def _unmarked(source):
    return _visible_text(source) + list(_unmarked_literals(_env().parse(source)))


@pytest.mark.parametrize("path", PATIENT_FACING, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_patient_facing_template_has_no_text_outside_the_catalog(path):
    assert _unmarked(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", STAFF,
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_staff_template_has_no_text_outside_the_catalog(path):
    assert _unmarked(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_hides_the_gettext_function(path):
    """`{% set _ = ... %}` would make every `_('...')` after it in that scope fail."""
    assert not re.search(r"{%-?\s*set\s+_\s*=", path.read_text(encoding="utf-8"))


def test_the_check_finds_unmarked_text_in_tags_attributes_and_literals():
    found = _unmarked(
        '<p>Your pain</p><nav aria-label="Main menu"></nav>{{ "See your case" if x else _("ok") }}'
        "{% if status == 'overdue' %}{{ _('Late') }}{% endif %}{{ scale(f, 'The correct score') }}"
        '<p class="x">Score {{ n }} today</p>')
    assert found == ["Your pain", "Score", "today", "Main menu", "See your case", "The correct score"]


def test_the_check_accepts_marked_text_markup_and_codes():
    found = _unmarked(
        '<p class="muted">{{ _("Your pain") }}</p>{% trans %}Hello {{ name }}{% endtrans %} · 3/10 — '
        "{{ x|default('') }}<a href=\"{{ url_for('patient.home') }}\">← {{ _('Back') }}</a>"
        "{% set attrs = {'aria-invalid': 'true'} %}{% extends 'patient/base.html' %}"
        '<input type="radio" id="{{ f.id }}-{{ v }}" {% if f.errors %}aria-invalid="true"{% endif %}>')
    assert found == []


# ------------------------------------------------------------------ flash messages

TRACKER = TEMPLATES.parent / "tracker"


def _unmarked_flashes(source):
    """The words of a flash message written out in a view, not passed through `_()` (a literal, an
    f-string, or a literal inside the expression that makes the message)."""
    import ast

    def words(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT:
            return []
        if isinstance(node, ast.JoinedStr):
            return [ast.get_source_segment(source, node)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [ast.get_source_segment(source, node)] if PROSE.search(node.value) else []
        return [found for child in ast.iter_child_nodes(node) for found in words(child)]

    return [found for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "flash"
            and node.args for found in words(node.args[0])]


@pytest.mark.parametrize("path", sorted(TRACKER.rglob("*.py")), ids=lambda p: str(p.relative_to(TRACKER)))
def test_every_flash_message_goes_through_the_catalog(path):
    assert _unmarked_flashes(path.read_text(encoding="utf-8")) == []


def test_the_flash_check_finds_written_out_messages():
    assert _unmarked_flashes('flash("Saved.", "success")\nflash(f"{n} saved")\nflash(_("Saved."))\n'
                             'flash(STALE)\nflash("It is saved: " + ("notes show it" if x else _("not shown")))\n'
                             'flash(Markup(_("<a href=%(u)s>Open it</a>", u=url_for("cases.show"))))') == [
        '"Saved."', 'f"{n} saved"', '"It is saved: "', '"notes show it"']


# ------------------------------------------------------------------ every named value given

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _missing_values(source):
    """`_('… %(name)s …', …)` calls in a template that do not give every named value (rendering the
    page would fail with a KeyError)."""
    missing = []
    env = _env()
    env.newstyle_gettext = True  # as the app's: {% trans %} blocks give their values as keywords too
    for call in env.parse(source).find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name in GETTEXT and call.args
                and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str)):
            continue
        given = {keyword.key for keyword in call.kwargs} | ({"num"} if call.node.name == "ngettext" else set())
        wanted = set(PLACEHOLDER.findall(call.args[0].value.replace("%%", "")))
        missing += [f"{call.args[0].value!r}: {name}" for name in sorted(wanted - given)]
    return missing


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_named_value_of_a_message_is_given(path):
    assert _missing_values(path.read_text(encoding="utf-8")) == []


def test_the_value_check_finds_a_missing_value():
    assert _missing_values("{{ _('%(rows)s row%(s)s', rows=n) }}{{ _('%(a)s', a=1) }}") == ["'%(rows)s row%(s)s': s"]


def _wrong_percent_signs(source):
    """Messages whose "%" a reader would see wrong: gettext formats a message only when it is given
    values, so "50 %%" without values is shown as "50 %%", and a lone "%" among values breaks."""
    wrong = []
    for call in _env().parse(source).find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name in {"_", "gettext"} and call.args
                and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str)):
            continue
        message = call.args[0].value
        formatted = bool(call.kwargs)
        if (not formatted and "%%" in message) or (formatted and "%" in PLACEHOLDER.sub("", message).replace("%%", "")):
            wrong.append(message)
    return wrong


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_percent_sign_of_a_message_is_shown_as_one(path):
    assert _wrong_percent_signs(path.read_text(encoding="utf-8")) == []


def test_the_percent_check_finds_doubled_and_lone_signs():
    assert _wrong_percent_signs("{{ _('Above 7%% or on insulin') }}{{ _('at 50 % of %(n)s', n=1) }}"
                                "{{ _('Above 7% or on insulin') }}{{ _('at 50 %% of %(n)s', n=1) }}") == [
        "Above 7%% or on insulin", "at 50 % of %(n)s"]


# ------------------------------------------------------------------ forms, vocabularies, page constants

import ast  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402

from flask_babel.speaklater import LazyString  # noqa: E402
from wtforms import Form  # noqa: E402
from wtforms.fields.core import UnboundField  # noqa: E402

FORM_MODULES = sorted(TRACKER.glob("*/forms.py")) + [TRACKER / "formfields.py"]
RAISED = {"ValidationError", "ValueError", "StopValidation"}


def _module_name(path):
    return ".".join(path.relative_to(TRACKER.parent).with_suffix("").parts)


def _unmarked_fields(form_class):
    """Field labels, descriptions, choice labels and validator messages of a form class that are
    written out in English instead of being lazy strings (`_l(...)`): they would never change
    language. A hidden field has no label a person reads."""
    found = []
    for name in dir(form_class):
        field = getattr(form_class, name, None)
        if not isinstance(field, UnboundField) or field.field_class.__name__ == "HiddenField":
            continue
        label = field.kwargs.get("label", field.args[0] if field.args else None)
        texts = [("label", label), ("description", field.kwargs.get("description") or None)]
        texts += [("message", getattr(v, "message", None)) for v in field.kwargs.get("validators") or ()]
        choices = field.kwargs.get("choices")
        if isinstance(choices, (list, tuple)):
            texts += [("choice", c.label if hasattr(c, "label") else c[1]) for c in choices]
        found += [f"{form_class.__name__}.{name} {what}: {text!r}" for what, text in texts
                  if isinstance(text, str) and WORD.search(text) and not _in_catalog(text)]
    return found


def _catalog_ids():
    from babel.messages.pofile import read_po

    with open(TEMPLATES.parent / "messages.pot", "rb") as pot:
        return {message.id for message in read_po(pot) if message.id}


_CATALOG = []


def _in_catalog(text):
    """A vocabulary label marked with N_() is English in code and translated where it is shown."""
    if not _CATALOG:
        _CATALOG.append(_catalog_ids())
    return text in _CATALOG[0]


def _unmarked_raised(source):
    """Messages a form raises or appends to a field's errors, written out instead of `_()`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called in RAISED or (called == "append" and isinstance(func.value, ast.Attribute)
                                and func.value.attr == "errors"):
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                                  and PROSE.search(arg.value)):
                found.append(ast.get_source_segment(source, arg))
    return found


@pytest.mark.parametrize("path", FORM_MODULES, ids=lambda p: str(p.relative_to(TRACKER)))
def test_every_form_label_and_message_is_a_lazy_string(path):
    module = importlib.import_module(_module_name(path))
    forms = [cls for _name, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, Form) and cls.__module__ == module.__name__]
    assert [found for cls in forms for found in _unmarked_fields(cls)] == []
    assert _unmarked_raised(path.read_text(encoding="utf-8")) == []


def test_the_form_check_finds_an_english_label_message_and_raised_text():
    from flask_babel import lazy_gettext as _l
    from wtforms import StringField
    from wtforms.validators import DataRequired, Length

    class Written(Form):
        name = StringField("Xylophone colour", validators=[DataRequired("Enter the name."), Length(max=5)])
        marked = StringField(_l("Family name"), validators=[DataRequired(_l("Enter it."))])

    assert _unmarked_fields(Written) == ["Written.name label: 'Xylophone colour'", "Written.name message: 'Enter the name.'"]
    assert isinstance(Written.marked.args[0], LazyString)
    assert _unmarked_raised('raise ValidationError("Too long.")\nraise ValueError(f"{n} is late")\n'
                            'field.errors.append("Give both times")\nraise ValidationError(_("Marked."))') == [
        '"Too long."', 'f"{n} is late"', '"Give both times"']


def _choice_classes():
    import pkgutil

    import tracker
    from tracker.vocab import Choice

    for info in pkgutil.walk_packages(tracker.__path__, "tracker."):
        importlib.import_module(info.name)
    pending, seen = [Choice], []
    while pending:
        for sub in pending.pop().__subclasses__():
            seen.append(sub)
            pending.append(sub)
    return seen


def test_every_vocabulary_label_is_in_the_catalog():
    """Choice labels stay English in code (they are joined, exported and compared by their code) and
    are marked with N_() so that the page showing one can translate it."""
    missing = [f"{cls.__module__}.{cls.__name__}.{member.name}: {member.label!r}"
               for cls in _choice_classes() for member in cls if not _in_catalog(str(member.label))]
    assert missing == []


def test_every_workflow_action_label_is_in_the_catalog():
    from tracker.workflow import TRANSITIONS

    assert [t.label for t in TRANSITIONS if not _in_catalog(t.label)] == []


STALE_NAME = re.compile(r"^(?:[A-Z_]*STALE[A-Z_]*) = (.*)", re.M)


@pytest.mark.parametrize("path", sorted(TRACKER.rglob("*.py")), ids=lambda p: str(p.relative_to(TRACKER)))
def test_every_stale_save_warning_is_a_lazy_string(path):
    """`STALE = _l("…")`: the warning a page shows when someone else saved first."""
    written = [value for value in STALE_NAME.findall(path.read_text(encoding="utf-8"))
               if value.startswith(("(", '"', "'"))]
    assert written == []


@pytest.mark.parametrize("path", PATIENT_FACING, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_message_of_a_patient_facing_template_has_its_spanish(path):
    """A patient reading Spanish never meets an English sentence that slipped the catalog (a string
    added by hand, or the catalog not rebuilt: `make messages`, then translate what it adds)."""
    from babel.messages.pofile import read_po

    with open(TEMPLATES.parent / "translations" / "es" / "LC_MESSAGES" / "messages.po", "rb") as po:
        spanish = read_po(po)
    env = _env()
    env.policies["ext.i18n.trimmed"] = True  # as the app extracts and reads them (tracker/i18n.py)
    missing = []
    for _line, _function, message in env.extract_translations(env.parse(path.read_text(encoding="utf-8"))):
        msgid = message[0] if isinstance(message, tuple) else message
        found = spanish.get(msgid) if msgid else None
        strings = (found.string if isinstance(found.string, tuple) else (found.string,)) if found else ("",)
        if msgid and not all(strings):
            missing.append(msgid)
    assert missing == []
