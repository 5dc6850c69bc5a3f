"""Form helpers shared by every area's forms."""
from wtforms.fields.choices import SelectChoice


def options(pairs, blank=None):
    """Select options from (value, label) pairs or a vocabulary enum; `blank` adds a first
    empty option with that label (for filters)."""
    if hasattr(pairs, "choices"):
        pairs = pairs.choices()
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(value, label) for value, label in pairs]
