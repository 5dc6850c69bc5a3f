"""CSV downloads of any list: spreadsheet-safe, UTF-8 with a byte-order mark, ISO dates, one row
per record, streamed row by row, and audited.

A cell a spreadsheet would read as a formula (text starting with = + - @, a tab or a carriage
return) gets a leading apostrophe, so "=HYPERLINK(...)" typed as a patient's name is shown as
text and never runs. Numbers stay numbers (a negative number is a number, not a formula).
Every download writes an audit row (who, what, which filters) before the first byte is sent.
A filtered list's file name says its filters (`file_name`), so a per-physician extract is never
a file named as the clinic's whole list; the CSV itself holds only the header and the rows.
"""
import csv
import io
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from flask import Response, stream_with_context

from tracker import audit
from tracker.extensions import db
from tracker.timeutil import to_clinic

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """One value as the text of a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # Stored UTC; written as the clinic's time with its offset, so it is unambiguous.
        return to_clinic(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = str(getattr(value, "label", value))
    if text.startswith(FORMULA_STARTS) or text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def lines(header, rows):
    """The CSV text, a line at a time: the byte-order mark and header first, then each row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(value) for value in values])
        return buffer.getvalue()

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def download(filename, header, rows, what, filters="", object_type=None, object_id=None):
    """Audit the export (committed before streaming starts), then stream `rows` (any iterable,
    typically a generator reading the database in batches) as a CSV attachment."""
    audit.record(audit.Action.EXPORT, object_type, object_id,
                 summary=f"exported {what} as CSV" + (f" ({filters})" if filters else ""))
    db.session.commit()
    response = Response(stream_with_context(lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.charset = "utf-8"
    return response


SLUG_LIMIT = 40


def slug(value):
    """`value` in the characters every file system and browser keeps: "Dr Tomás Ortega" ->
    "dr-tomas-ortega", "under_review" unchanged; "" when nothing safe is left."""
    folded = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9_]+", "-", folded).strip("-")[:SLUG_LIMIT].strip("-")


def file_name(stem, filters, extension="csv"):
    """The download's name: `stem`, then each filter given as `_name-value` in the order given
    ([("physician", "Dr Ada"), ("side", None)] -> "stem_physician-dr-ada.csv"); an unfiltered
    list keeps its plain name."""
    parts = [stem]
    for name, value in filters:
        if value not in (None, ""):
            parts.append(f"{name}-{slug(value)}".rstrip("-"))
    return f"{'_'.join(parts)}.{extension}"


def chosen(field):
    """The label a select field shows for its value (a physician's name rather than an id)."""
    return next((label for value, label, *_ in field.iter_choices() if value == field.data), field.data) \
        if field.data else None


def filters_text(form):
    """The filters a list form was submitted with, for the audit row ("state=eligible, side=left");
    a filter refused next to its field (a reversed date range) is left out, as the list leaves it."""
    return ", ".join(f"{field.name}={field.data}" for field in form
                     if field.data not in (None, "") and not field.errors and field.type != "CSRFTokenField")


def batches(statement, size=500, scalars=False):
    """The rows of `statement` (or its objects, with `scalars`) in lists of `size`, read with a
    server-side cursor on PostgreSQL and SQLite's row-by-row cursor, so a list of any length is
    never all in memory at once."""
    result = db.session.execute(statement.execution_options(yield_per=size))
    yield from (result.scalars() if scalars else result).partitions()
