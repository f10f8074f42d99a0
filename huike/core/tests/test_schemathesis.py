"""Fuzzing the API from its OpenAPI schema: no answer is a server error, and every answer the
schema documents matches it.

Schemathesis reads the schema that ``/api/v1/schema/`` serves and sends generated requests to
every operation, in process through the WSGI application (no server, no network), as three
callers: an administrator, a salesperson (who reaches only their own customers) and a caller
without a token. The requests run inside the test's database transaction, rolled back at the
end, so the generated writes leave nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from huike.accounts.models import Role
from huike.accounts.services import issue_token
from huike.accounts.tests.factories import UserFactory
from huike.parties.tests.factories import person

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(
    max_examples=10,
    deadline=None,  # no timing: speed is measured by `make bench`
    database=None,  # nothing written to .hypothesis/
    derandomize=True,  # the same examples on every run and every machine
    suppress_health_check=list(HealthCheck),
)


def served_schema() -> dict[str, Any]:
    """The schema ``/api/v1/schema/`` serves, generated in process the way that view does.

    Built when the module is collected, because the pytest integration needs the operations
    then; that needs no database, and the view answers every caller the same.
    """
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return cast(dict[str, Any], json.loads(OpenApiJsonRenderer().render(generated)))


# Examples from the schema and generated requests (valid and invalid ones). The coverage phase
# (every boundary value of every parameter) would multiply the run time for little more.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)

schema = (
    schemathesis.openapi.from_dict(served_schema(), config=CONFIG)
    # 503 is the health check's answer by design while no worker runs (none does in tests);
    # test_health.py covers it.
    .exclude(path="/api/v1/health/")
)
schema.app = WSGIHandler()  # requests go through Django's WSGI application, in process


@pytest.fixture(autouse=True)
def keep_test_connection() -> Iterator[None]:
    """A real request closes stale database connections when it starts and ends; here that
    would close the connection holding the test's transaction. Django's test client
    disconnects the same handler for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["administrator", "salesperson"])
def token(request: pytest.FixtureRequest, db: None) -> dict[str, str]:
    """The ``Authorization`` header of a user of the role, who owns one customer."""
    user = UserFactory.create(role=Role.objects.get(code=request.param))
    person("甄测试", owner=user, attributes={"mobile": "13800138000"})
    _token, key = issue_token(user, actor=user, name="fuzz")
    return {"Authorization": "Token " + key}


# Every operation must answer as its schema says: fix a mismatch where it lives, or exclude
# the operation here with a comment naming the bug (it is then fuzzed for server errors only).
conforming = schema
# Signed out, every operation answers 401 before it reads a body (the permission matrix proves
# it route by route), so only reads are fuzzed without a token.
reads = conforming.include(method="GET")


@pytest.fixture(params=["no token"])
def no_token(request: pytest.FixtureRequest) -> dict[str, str]:
    # A parameter of its own names each test after its operation (pytest 9 derives the ids of
    # Schemathesis' tests from their parameters).
    return {}


@conforming.parametrize()
@FUZZ
def test_api_answers_callers_with_a_token_as_documented(
    case: schemathesis.Case, token: dict[str, str]
) -> None:
    case.call_and_validate(headers=token, checks=CHECKS)


@reads.parametrize()
@FUZZ
def test_api_answers_callers_without_a_token_as_documented(
    case: schemathesis.Case, no_token: dict[str, str]
) -> None:
    case.call_and_validate(headers=no_token, checks=CHECKS)
