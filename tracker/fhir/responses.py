"""FHIR's own answers: resources as application/fhir+json, refusals as OperationOutcomes (the
app's one handler in tracker/errors.py answers through `outcome_response`), and content negotiation (JSON only: anything else the client insists on is a 406)."""
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Response, request

from tracker.api.auth import ApiRefusal

FHIR_JSON = "application/fhir+json"
ACCEPTED = ("application/fhir+json", "application/json+fhir", "application/json")
FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "duplicate", 413: "too-costly", 415: "not-supported",
               422: "invalid", 429: "throttled", 500: "exception", 503: "transient"}


def resource_response(resource, status=200, headers=None):
    return Response(resource.model_dump_json(), status=status, headers=headers,
                    content_type=f"{FHIR_JSON}; charset=utf-8")


def outcome(status, problems, code=None):
    """An OperationOutcome with one issue per problem (a message, or (message, expression))."""
    issues = []
    for problem in problems:
        text, where = problem if isinstance(problem, tuple) else (problem, None)
        issue = {"severity": "error" if status < 500 else "fatal",
                 "code": code or ISSUE_CODES.get(status, "processing"), "diagnostics": text}
        if where:
            issue["expression"] = [where]
        issues.append(issue)
    return OperationOutcome(issue=issues)


def outcome_response(status, problems, code=None, headers=None):
    return resource_response(outcome(status, problems, code), status, headers)


def check_acceptable():
    """406 unless the client takes JSON: `_format` first (FHIR's override), then Accept."""
    wanted = request.args.get("_format")
    if wanted is not None:
        if wanted.split(";")[0].strip().lower() not in FORMATS:
            raise ApiRefusal(406, f"Only JSON is served (_format={wanted} asked for another format).",
                             "not-supported")
        return
    if not request.headers.get("Accept"):
        return
    if request.accept_mimetypes.best_match(ACCEPTED) is None:
        raise ApiRefusal(406, "Only application/fhir+json is served; the Accept header allows none of "
                              "application/fhir+json, application/json.", "not-supported")
