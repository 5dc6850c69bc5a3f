"""The tracker's API for other systems: tokens, their checks, FHIR R4 (`/fhir`) and the JSON API
(`/api/v1`). The factory registers their blueprints; `init_app` adds the `flask api-tokens` commands."""


API_PREFIXES = ("/fhir", "/api/v1")


def error_response(status, message):
    """An error in the API's own format for a request under an API prefix (the app's error
    handlers ask first, so a routing 404 or 405 there is not an HTML page), else None."""
    from flask import request

    if request.path == "/fhir" or request.path.startswith("/fhir/"):
        from tracker.fhir.responses import outcome_response

        return outcome_response(status, [message])
    if request.path.startswith("/api/v1/") or request.path == "/api/v1":
        from tracker.api.responses import problem_response

        return problem_response(status, message)
    return None


def init_app(app):
    from tracker.api.cli import api_tokens_cli

    app.cli.add_command(api_tokens_cli)
