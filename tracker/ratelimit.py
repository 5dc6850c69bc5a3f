"""Per-client-address limits on guessing: sign-in, password change and reset, personal diary links,
patients' "forgot password" requests and the links they send.

The per-account lock (tracker/auth/services.py) stops guessing one account's password; these limits
stop one address trying a password on many accounts (spraying) or many diary-link tokens. Only
failures count (a refused sign-in or password, a link that does not open), so a clinic's staff
behind one address are never slowed by their own successful sign-ins. Past the limit the address
gets the tracker's 429 page, with Retry-After, until the window has passed.

The counts live in RATELIMIT_STORAGE_URI: Redis (`redis://host:6379/0`) when several workers or
servers serve the tracker, so they share one count; in memory (one process) otherwise. The client
address is the connecting peer's, or with PROXY_COUNT proxies in front (ProxyFix) the address the
nearest of them reports: set it to the number of proxies you run, never more, or clients could
choose their own address.
"""
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

# endpoint -> (the config key of its limit, methods limited, "this response is a failure")
LIMITED = {
    "auth.sign_in": ("RATELIMIT_SIGN_IN", ["POST"], lambda response: response.status_code != 302),
    "auth.change_password": ("RATELIMIT_PASSWORD", ["POST"], lambda response: response.status_code != 302),
    "admin.reset_password": ("RATELIMIT_PASSWORD", ["POST"], lambda response: response.status_code != 302),
    "patient_link.entry": ("RATELIMIT_DIARY_LINK", None, lambda response: response.status_code == 404),
    "patient_link.correct": ("RATELIMIT_DIARY_LINK", None, lambda response: response.status_code == 404),
    "patient_accounts.forgot_password": ("RATELIMIT_PASSWORD_RESET", ["POST"], lambda response: True),
    "patient_accounts.set_password": ("RATELIMIT_DIARY_LINK", None, lambda response: response.status_code == 404),
}


def init_app(app):
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    # If Redis goes away, counting falls back to this process's memory rather than failing sign-ins.
    limiter = Limiter(get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                      headers_enabled=True, key_prefix="tracker", swallow_errors=True,
                      in_memory_fallback_enabled=True)
    for endpoint, (setting, methods, failed) in LIMITED.items():
        limit = _setting(setting)
        app.view_functions[endpoint] = limiter.limit(limit, methods=methods, deduct_when=failed)(
            app.view_functions[endpoint])
    app.extensions["tracker_limiter"] = limiter


def _setting(name):
    # Read at each request, so a test (or an admin) can change a limit without a restart.
    return lambda: current_app.config[name]


def reset(app):
    """Forget every count (tests start each from zero)."""
    app.extensions["tracker_limiter"].reset()
