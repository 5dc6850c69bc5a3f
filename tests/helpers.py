"""Helpers the tests share: reading pages (with BeautifulSoup, never regular expressions over
HTML), submitting forms as a browser does (CSRF on), signing in.

Fixtures live in conftest.py; test data builders in tests/builders.py.
"""
import contextvars
import html as html_lib
import re
import socket
import threading

from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient

PASSWORD = "Correct-horse-battery-9"


class IsolatedClient(FlaskClient):
    """Each request runs outside the test's own app context, as in production: its own database
    session and its own `g`, so nothing (such as the signed-in user) leaks between requests.
    After a request, refresh objects the test holds (`db.session.expire_all()`)."""

    def open(self, *args, **kwargs):
        # Buffered: a streamed body (a CSV download) is read inside the request's own context.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


# ---------------------------------------------------------------- reading pages

def text(response):
    """The page's HTML with its entities decoded, for `"words" in text(response)` checks."""
    return html_lib.unescape(response.get_data(as_text=True))


def loaded(response):
    """The page's text (as `text`), failing unless the page loaded (200)."""
    assert response.status_code == 200, response.status_code
    return text(response)


def soup(page):
    """The page parsed (a response, or its HTML as text)."""
    if not isinstance(page, str):
        page = page.get_data(as_text=True)
    return BeautifulSoup(page, "html.parser")


def words(node):
    """What a reader sees of a page or part of one: its text, tags removed, runs of white space
    as one space."""
    if not isinstance(node, Tag):
        node = soup(node)
    return re.sub(r"\s+", " ", node.get_text()).strip()


def field_error(page, field_id):
    """The message shown right under one field (the form macro's <small id="<field>-error">), or
    None when the field has none."""
    tag = soup(page).find("small", id=f"{field_id}-error", class_="field-error")
    return tag.get_text().strip() if tag else None


def input_value(page, name):
    """The value an <input name=...> shows ("" when it has none); fails when there is no such input."""
    tag = soup(page).find("input", attrs={"name": name})
    assert tag is not None, f"no input {name}"
    return tag.get("value", "")


def input_by_id(page, field_id):
    tag = soup(page).find("input", id=field_id)
    assert tag is not None, f"no input #{field_id}"
    return tag


def is_checked(page, name, value=None):
    """Whether a tick box or radio button named `name` (with `value`, if given) is ticked."""
    return any(tag.has_attr("checked") for tag in soup(page).find_all("input", attrs={"name": name})
               if value is None or tag.get("value") == value)


def selected(page, name):
    """The value of the chosen option of <select name=...>, or None."""
    select = soup(page).find("select", attrs={"name": name})
    assert select is not None, f"no select {name}"
    chosen = select.find("option", selected=True)
    return chosen.get("value") if chosen else None


def by_id(page, element_id):
    """The element with this id; fails when the page has none."""
    tag = soup(page).find(id=element_id)
    assert tag is not None, f"no element #{element_id}"
    return tag


def inner_html(page, element_id):
    """The markup inside the element with this id, entities decoded (for checks of exact markup)."""
    return html_lib.unescape(by_id(page, element_id).decode_contents())


def outer_html(page, element_id):
    """The element with this id with its own tag, entities decoded."""
    return html_lib.unescape(str(by_id(page, element_id)))


def conflict_notice(page):
    """After a refused save: the list of where the saved record and the form differ (its markup),
    or None when the page shows none."""
    intro = soup(page).find(string=re.compile("Where the saved record and your form differ:"))
    listing = intro.find_next("ul") if intro else None
    return html_lib.unescape(listing.decode_contents()) if listing else None


def table_rows(node):
    """Each body row of the first table in `node` as its cells' text (the parts of a cell spaced)."""
    node = node if isinstance(node, Tag) else soup(node)
    body = node.find("tbody") or node
    return [[re.sub(r"\s+", " ", cell.get_text(" ")).strip() for cell in row.find_all(["td", "th"])]
            for row in body.find_all("tr")]


def links(node):
    node = node if isinstance(node, Tag) else soup(node)
    return [a["href"] for a in node.find_all("a", href=True)]


def form_posting_to(page, action):
    """The <form> whose action is `action` (a path, or a compiled pattern the whole path must
    match); fails when the page has none."""
    def matches(value):
        if value is None:
            return False
        return action.fullmatch(value) is not None if hasattr(action, "fullmatch") else value == action

    form = (page if isinstance(page, Tag) else soup(page)).find("form", action=matches)
    assert form is not None, f"no form posting to {action}"
    return form


def form_data(form):
    """What a browser sends for `form` as it stands: each named input's value (ticked boxes and
    radio buttons only), each select's chosen option, each textarea's text."""
    data = {}
    for tag in form.find_all(["input", "select", "textarea"]):
        name = tag.get("name")
        if not name or tag.get("type") in ("submit", "button", "file"):
            continue
        if tag.name == "textarea":
            # A browser drops the one line break that follows <textarea> in the page.
            text = tag.get_text()
            data[name] = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
        elif tag.name == "select":
            chosen = tag.find("option", selected=True) or tag.find("option")
            data[name] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif tag.get("type") not in ("checkbox", "radio") or tag.has_attr("checked"):
            data[name] = tag.get("value", "")
    return data


# ---------------------------------------------------------------- forms and sign-in

def post_together(clients, url, forms, timeout=60):
    """Open the form at `url` on each client, then post `forms[i]` (with its page's CSRF token) from
    every client at the same instant, each from its own thread: its own request, database session
    and connection, as simultaneous web requests are. One response per client; fails when a post
    hung (a lock never released?) or raised instead of waiting its turn."""
    tokens = [csrf_from(client.get(url).get_data(as_text=True)) for client in clients]
    barrier = threading.Barrier(len(clients), timeout=timeout)
    outcomes = [None] * len(clients)

    def post(index):
        barrier.wait()
        try:
            outcomes[index] = clients[index].post(url, data={**forms[index], "csrf_token": tokens[index]})
        except Exception as error:  # noqa: BLE001 - reported by the test, never hidden
            outcomes[index] = error

    threads = [threading.Thread(target=post, args=(i,), name=f"post-{i}") for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), f"a post to {url} hung (a lock never released?)"
    crashed = [o for o in outcomes if isinstance(o, Exception)]
    assert not crashed, f"a simultaneous post to {url} crashed: {crashed[0]!r}"
    return outcomes


def csrf_from(page):
    tag = soup(page).find("input", attrs={"name": "csrf_token"})
    assert tag is not None, "page has no CSRF token"
    return tag["value"]


def submit(client, url, data, form_page=None, follow_redirects=False):
    """POST like a browser does: fetch the form page first and send its CSRF token."""
    page = client.get(form_page or url)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(url, data=payload, follow_redirects=follow_redirects)


def sign_in(client, user_or_email, password=PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    return submit(client, "/sign-in", {"email": email, "password": password})


def is_signed_in(client):
    """A signed-in person reaches a page that needs a session instead of the sign-in page."""
    return client.get("/account/password").status_code == 200


def free_port():
    """A local TCP port nobody listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
