"""How what staff type into a search box is matched in SQL: LIKE patterns where the user's own
'%' and '_' are plain characters, not wildcards. What is compared (the folded keys, the normal form
of an MRN) comes from tracker/patients/identity.py.
"""

LIKE_ESCAPE = "\\"


def _literal(text):
    """`text` inside a LIKE pattern, its own wildcards (and the escape character) taken literally."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
            .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))


def prefix_pattern(text):
    """The LIKE pattern for a value starting with `text`."""
    return _literal(text) + "%"


def inner_pattern(text):
    """The LIKE pattern for a value holding `text` anywhere."""
    return "%" + _literal(text) + "%"


def like(column, pattern):
    """`column` LIKE `pattern` (one of the above, or a bound parameter that will hold one)."""
    return column.like(pattern, escape=LIKE_ESCAPE)


def contains(column, text):
    return like(column, inner_pattern(text))
