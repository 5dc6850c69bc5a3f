"""Real-browser fixtures: the test app served on a local port, Debian's Chromium driven by Playwright.

Every test in this folder gets the `browser` marker. Chromium is never downloaded: the suite uses
/usr/bin/chromium (or CHROMIUM_PATH) and fails loudly when it is missing, so a green run always
means the browser tests really ran.
"""
import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from tests.browser.journeys import SCREENSHOTS, TIMEOUT_MS, VIEWPORTS

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app):
    """The test app on 127.0.0.1 (a free port), in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests cannot run. "
            "Install Debian's package (`make chromium`, i.e. apt-get install chromium) or set "
            "CHROMIUM_PATH. Playwright's own browser downloads are not used.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """`new_page("phone")` -> a page in a fresh context (own cookies) at that viewport.

    Contexts are closed after the test; each test starts signed out.
    """
    contexts = []

    def _new_page(viewport="desktop"):
        size = VIEWPORTS[viewport] if isinstance(viewport, str) else viewport
        context = browser.new_context(viewport=size, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page("desktop")


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "step")` saves test-artifacts/screenshots/<test-name>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def _shot(page, step):
        path = SCREENSHOTS / f"{test_name}-{step}.png"
        try:
            page.screenshot(path=str(path), full_page=True, animations="disabled")
        except PlaywrightError:
            # Chromium under load sometimes cannot capture a very tall page at once; the
            # screenshot is for people to look at, so fall back to the viewport rather than
            # failing the journey the test is about.
            page.screenshot(path=str(path), animations="disabled")
        return path

    return _shot
