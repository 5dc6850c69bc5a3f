"""Others' tools check the JSON API: its OpenAPI document passes openapi-spec-validator, and
schemathesis, a property-based fuzzer, sends what the document allows (and what it does not)
to every operation: no input gives a 500, and every 200 matches the documented schema.
Bounded: a few dozen examples per operation and mode (about a minute in all)."""
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tracker.access import Role
from tracker.vocab import Side
from tracker.workflow import State

from tests.api_support import bearer, episode, token_for

EXAMPLES = 25


def test_the_openapi_document_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/cases", "/cases/{case_id}", "/appointments", "/cases/{case_id}/diary"}


@pytest.fixture
def fuzzed(app, gen):
    case = episode(gen, side=Side.BILATERAL)
    booked = gen.case(state=State.SCHEDULED)
    gen.appointment(booked, starts_at=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=5))
    headers = bearer(token_for(gen.user(Role.COORDINATOR)))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), headers, case


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_the_fuzzer_makes_gives_a_server_error(fuzzed, mode):
    schema, headers, case = fuzzed
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    checks = [not_a_server_error] + ([response_schema_conformance] if mode == GenerationMode.POSITIVE else [])
    for operation in operations:
        statuses = []
        fixed = {"case_id": case.id} if "{case_id}" in operation.path and mode == GenerationMode.POSITIVE else None
        for path_parameters in (None, fixed) if fixed else (None,):
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def fuzz(generated):
                statuses.append(generated.call_and_validate(headers=headers, checks=checks).status_code)

            fuzz()
        # The fuzzer reached the views, not only the token check: real answers came back.
        assert len(statuses) >= EXAMPLES, (operation.path, statuses)
        if mode == GenerationMode.POSITIVE:
            assert 200 in statuses and 401 not in statuses, (operation.path, sorted(set(statuses)))
        else:
            assert set(statuses) & {400, 404}, (operation.path, sorted(set(statuses)))
