"""The JSON API's answers: JSON documents, and refusals as RFC 9457 problem documents."""
import json

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_JSON = "application/problem+json"


def json_response(document, status=200, headers=None):
    return Response(json.dumps(document, default=str), status=status, headers=headers,
                    content_type="application/json")


def problem_response(status, detail, errors=None, headers=None):
    """`errors` names each problem: [{"field": "state", "message": "..."}]."""
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, headers=headers, content_type=PROBLEM_JSON)
