"""The JSON API's OpenAPI 3.1 document, generated from the code: the routes registered under
/api/v1, the `@document(...)` declaration on each (summary, query model, response model) and
the pydantic models themselves (tracker/api/schemas.py). Nothing here is written by hand per
route, so the document cannot fall behind the API."""
import re

from apispec import APISpec

from tracker.api import schemas
from tracker.formfields import INT_MAX

BLUEPRINT = "api_v1"
REF = "#/components/schemas/{model}"


def document(summary, response, query=None, description=""):
    """Declare what a route takes and returns; the view validates with the same models."""
    def decorator(view):
        view.openapi = {"summary": summary, "response": response, "query": query,
                        "description": description or (view.__doc__ or "").strip()}
        return view

    return decorator


def _register(spec, model):
    """The model (and the models it uses) as components; returns a reference to it."""
    schema = model.model_json_schema(ref_template=REF)
    for name, definition in schema.pop("$defs", {}).items():
        if name not in spec.components.schemas:
            spec.components.schema(name, definition)
    if model.__name__ not in spec.components.schemas:
        spec.components.schema(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _not_null(prop):
    """A query parameter is absent rather than null: keep the non-null branch of an Optional."""
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1 and len(prop.get("anyOf", [])) == 2:
        merged = {k: v for k, v in prop.items() if k != "anyOf"}
        merged.update(branches[0])
        return merged
    return prop


def _query_parameters(model):
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _not_null(dict(prop))
        prop.pop("title", None)
        if prop.get("default", "") is None:
            prop.pop("default")  # absent, not null
        description = prop.pop("description", "")
        parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                           **({"description": description} if description else {})})
    return parameters


def _path(rule):
    """Flask's /cases/<int:case_id> as OpenAPI's /cases/{case_id}, with its parameters."""
    parameters = []

    def replace(match):
        converter, name = match.group(1), match.group(2)
        schema = {"type": "integer", "minimum": 1, "maximum": INT_MAX} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule.rule), parameters


def _problem(spec, description):
    return {"description": description,
            "content": {"application/problem+json": {"schema": _register(spec, schemas.Problem)}}}


def build(app):
    spec = APISpec(
        title="SI joint injection tracker API", version="1", openapi_version="3.1.0",
        info={"description": "The tracker's own objects for other systems: the worklist with what each case "
                             "waits for, a case with its timeline, a day's appointments, a case's pain diary. "
                             "Send `Authorization: Bearer <token>` (tokens from the clinic's admin). FHIR R4 "
                             "is at /fhir."},
        servers=[{"url": "/api/v1"}],
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "An API token (sit_...)."})
    prefix = "/api/v1"
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if not rule.endpoint.startswith(BLUEPRINT + ".") or doc is None:
            continue
        path, parameters = _path(rule)
        if doc["query"] is not None:
            parameters += _query_parameters(doc["query"])
        operation = {
            "operationId": rule.endpoint.split(".", 1)[1], "summary": doc["summary"],
            "description": doc["description"], "parameters": parameters,
            "responses": {
                "200": {"description": doc["summary"],
                        "content": {"application/json": {"schema": _register(spec, doc["response"])}}},
                "400": _problem(spec, "A query parameter is not valid, or is not one this route takes: an unknown "
                                    "or misspelt parameter is refused, never ignored (each named in `errors`)."),
                "401": _problem(spec, "No token, or an unknown, expired or revoked one."),
                "403": _problem(spec, "The token's account or scope may not use this; or a physician's token asked "
                                    "the worklist for more than the physician's list (each parameter named in "
                                    "`errors`)."),
                "404": _problem(spec, "No such object."),
            },
        }
        spec.path(path=path[len(prefix):], operations={"get": operation})
    return spec.to_dict()
