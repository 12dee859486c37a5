"""A property-based pass over the API's own OpenAPI schema (schemathesis): requests generated from it, with
a write key, against the real server. No answer may be a 5xx or break the schema it documents.
POST /v1/runs is left out: each accepted request would start a real run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api_server import ApiServer, api_server
from tests.test_api import Seeded, seeded  # noqa: F401 - the module fixture, built again for this module


@pytest.fixture(scope="module")
def schema_server(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:  # noqa: F811
    with api_server(seeded.url, tmp_path_factory.mktemp("api-schema")) as running:
        yield running


@pytest.fixture(scope="module")
def api_schema(schema_server: ApiServer) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_url(schema_server.url + "/v1/openapi.json")
    return loaded.exclude(method="POST", path="/v1/runs")


def test_no_request_the_schema_allows_gets_a_5xx_or_an_answer_outside_the_schema(
        api_schema: schemathesis.BaseSchema, schema_server: ApiServer, seeded: Seeded) -> None:  # noqa: F811
    """Each operation's strategy driven by Hypothesis directly (schemathesis's pytest plugin does not load
    under pytest 9); every operation in the schema is covered, and a failure names the request."""
    headers = {"Authorization": f"Bearer {seeded.write_key}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    for operation in operations:

        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exchange(case: schemathesis.Case) -> None:
            response = case.call(base_url=schema_server.url, headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            assert "Traceback" not in response.text

        exchange()
