"""Hostile input, handled once for the whole app, before any view or form sees it.

- Control characters: no clinical text needs NUL or the other C0 controls (PostgreSQL refuses a
  NUL in text outright, which was a 500 that lost the whole typed form). Every text value of a
  query string, a form and a JSON body is cleaned of them here, so a form comes back with what
  was typed (minus the invisible characters) and nothing of the kind reaches either database.
  Tab, newline and carriage return (a textarea's line ends) are kept. A JSON body's lone
  surrogates (`"\\ud800"`, which no database can store) become the replacement character.
- Files: the tracker takes no uploads, so a multipart post that sends a field as a file is
  refused with a 400 (forms would otherwise receive a file object where they expect text).
- Size: a body larger than MAX_CONTENT_LENGTH gets the tracker's own 413 page (tracker/errors.py).
"""
import re

from flask import Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

FILE_REFUSED = "This form takes no files: send its fields as text."


def clean_text(value):
    """`value` without C0 control characters other than tab and line ends."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", value))


def _clean(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


class CleanParameters(ImmutableMultiDict):
    """The request's query string and form fields, cleaned as they are parsed (Werkzeug builds
    `args`, `form` and `files` with this class; files are left as they are, and refused below)."""

    def __init__(self, mapping=None):
        if mapping:
            mapping = [(clean_text(key), _clean(value)) for key, value in MultiDict(mapping).items(multi=True)]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = CleanParameters


class CleanJSONProvider(DefaultJSONProvider):
    """`request.get_json()` (and every other JSON read) returns cleaned strings."""

    def loads(self, s, **kwargs):
        return _clean(super().loads(s, **kwargs))


def refuse_files():
    if request.mimetype == "multipart/form-data" and request.files:
        abort(400, FILE_REFUSED)


def init_app(app):
    app.request_class = CleanRequest
    app.json = CleanJSONProvider(app)
    app.before_request(refuse_files)
