"""Addresses of many records of one kind on one page (a list of search results, say), built
from a single url_for: building each with url_for costs more than the rest of its table row."""
from flask import url_for

# Any id the route's int converter accepts; it stands where each record's id goes.
_MARK = 2147483647


def id_links(endpoint, key):
    """A function giving url_for(endpoint, **{key: id}) for any id, as url_for would build it."""
    head, _, tail = url_for(endpoint, **{key: _MARK}).partition(str(_MARK))

    def link(record_id):
        return f"{head}{int(record_id)}{tail}"

    return link
