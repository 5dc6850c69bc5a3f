"""Addresses of many records of one kind on one page (a list of search results, say), built
from a single url_for: building each with url_for costs more than the rest of its table row; and
addresses on the clinic's public address, for messages and files that leave the app."""
from flask import current_app, url_for


def public_url(endpoint, **values):
    """url_for(endpoint, **values) on PUBLIC_URL, the address patients reach the clinic at: the
    same whether a page's request or a cron command (which has none) builds it."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)

# Any id the route's int converter accepts; it stands where each record's id goes.
_MARK = 2147483647


def id_links(endpoint, key):
    """A function giving url_for(endpoint, **{key: id}) for any id, as url_for would build it."""
    head, _, tail = url_for(endpoint, **{key: _MARK}).partition(str(_MARK))

    def link(record_id):
        return f"{head}{int(record_id)}{tail}"

    return link
