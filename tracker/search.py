"""How what staff type into a search box is matched: one rule per kind of value, used everywhere.

A medical record number is an identifier, not text: clinics type it with stray spaces and in
either case, so it is stored and looked up in one normal form. Names are matched with LIKE, where
the user's own '%' and '_' must be plain characters, not wildcards.
"""

LIKE_ESCAPE = "\\"


def normalise_mrn(value):
    """The stored form of a medical record number: " demo-0001 " -> "DEMO-0001"."""
    return (value or "").strip().upper()


def _literal(text):
    """`text` inside a LIKE pattern, its own wildcards (and the escape character) taken literally."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def starts_with(column, text):
    # The pattern is built here rather than with SQL concatenation so that SQLite and PostgreSQL
    # see a constant prefix and can use an index on the column.
    return column.like(_literal(text) + "%", escape=LIKE_ESCAPE)


def contains(column, text):
    return column.like("%" + _literal(text) + "%", escape=LIKE_ESCAPE)
