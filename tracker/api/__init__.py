"""The tracker's API for other systems: tokens, their checks, FHIR R4 (`/fhir`) and the JSON API
(`/api/v1`). The factory registers their blueprints; `init_app` adds the `flask api-tokens` commands."""


API_PREFIXES = ("/fhir", "/api/v1")


def api_format(path=None):
    """"fhir" or "json" for a request under an API prefix (the answer's format), else None."""
    if path is None:
        from flask import request

        path = request.path
    if path == "/fhir" or path.startswith("/fhir/"):
        return "fhir"
    if path == "/api/v1" or path.startswith("/api/v1/"):
        return "json"
    return None


def error_response(status, message, headers=None, code=None):
    """An error in the API's own format for a request under an API prefix (an OperationOutcome
    under /fhir, a problem document under /api/v1), else None: the app's error handlers ask
    first, so no API client ever gets an HTML page (a routing 404, a 413, a 503...)."""
    kind = api_format()
    if kind == "fhir":
        from tracker.fhir.responses import outcome_response

        return outcome_response(status, [message], code, headers)
    if kind == "json":
        from tracker.api.responses import problem_response

        return problem_response(status, message, headers=headers)
    return None


def refusal_response(refusal):
    """A refusal (`tracker.refusals.Refusal`, or the token checks' `ApiRefusal`) in the API's
    format, or None outside the API."""
    return error_response(refusal.status, str(refusal), getattr(refusal, "headers", None),
                          getattr(refusal, "code", None))


def init_app(app):
    from tracker.api.cli import api_tokens_cli

    app.cli.add_command(api_tokens_cli)
