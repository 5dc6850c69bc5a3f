"""A query parameter the JSON API does not know is refused, named, rather than ignored: a
misspelt filter (`stat=closed`) or the web page's name for one (`physician=`) would otherwise
answer the unfiltered list as if it were the filtered one (README "JSON API")."""
import pytest

from tracker.access import Role
from tracker.workflow import State

from tests.api_support import bearer, token_for


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/appointments"])
def test_an_unknown_or_misspelt_query_parameter_is_a_400_naming_each(client, gen, path):
    gen.case(state=State.CLOSED)
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    response = client.get(f"{path}?physician=99&stat=closed&foo=1", headers=headers)
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert set(errors) == {"physician", "stat", "foo"}
    assert errors["foo"] == "Unknown query parameter."
    assert errors["physician"] == "Unknown query parameter: did you mean physician_id?"
    if path == "/api/v1/cases":
        assert errors["stat"] == "Unknown query parameter: did you mean state?"
    # Named with a bad value of a known parameter, in one answer.
    both = client.get(f"{path}?foo=1&per_page=0", headers=headers).get_json()["errors"]
    assert {e["field"] for e in both} == {"foo", "per_page"}


@pytest.mark.parametrize("path", ["/cases", "/appointments"])
def test_every_query_parameter_the_openapi_document_declares_is_accepted(client, gen, path):
    """The document lists the parameters a list takes: each of them is known (none refused as
    unknown), and the 400 it documents says an unknown one is refused."""
    physician = gen.user(Role.PHYSICIAN)
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    operation = client.get("/api/v1/openapi.json").get_json()["paths"][path]["get"]
    values = {"page": "1", "per_page": "5", "state": "scheduled", "physician_id": str(physician.id),
              "side": "left", "profile": "MEDICARE_LCD_2023", "q": "Smith", "sort": "name", "day": "2026-12-07"}
    declared = [p["name"] for p in operation["parameters"] if p["in"] == "query"]
    assert {"page", "per_page"} <= set(declared)
    query = "&".join(f"{name}={values[name]}" for name in declared)
    assert client.get(f"/api/v1{path}?{query}", headers=headers).status_code == 200
    assert "unknown" in operation["responses"]["400"]["description"].lower()


@pytest.mark.parametrize("suffix", ["", "/diary"])
def test_a_query_parameter_on_a_route_that_takes_none_is_a_400_naming_it(client, gen, suffix):
    case = gen.case(state=State.REFERRED)
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    assert client.get(f"/api/v1/cases/{case.id}{suffix}", headers=headers).status_code == 200
    response = client.get(f"/api/v1/cases/{case.id}{suffix}?page=2", headers=headers)
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"] == [{"field": "page", "message": "Unknown query parameter."}]
    # Was "Some query parameters are not valid. This list takes ." (an empty list of names).
    assert response.get_json()["detail"] == "Some query parameters are not valid. This route takes no query parameters."
