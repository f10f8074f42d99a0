"""The OpenAPI schema tells integrators how to authenticate and what each parameter is."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def schema(db: None, api_client: APIClient) -> dict[str, Any]:
    response = api_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_operations_declare_token_authentication(schema: dict[str, Any]) -> None:
    # Regression: without a schema extension for ApiTokenAuthentication the operations listed
    # no token security, so "Authorize" in the API docs sent no key.
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    for path in ("/api/v1/teams/", "/api/v1/tokens/", "/api/v1/me/"):
        for operation in schema["paths"][path].values():
            assert {"tokenAuth": []} in operation["security"]


def test_token_ids_are_typed_as_integers(schema: dict[str, Any]) -> None:
    parameters = schema["paths"]["/api/v1/tokens/{id}/"]["delete"]["parameters"]

    id_parameter = next(p for p in parameters if p["name"] == "id")
    assert id_parameter["in"] == "path"
    assert id_parameter["schema"] == {"type": "integer"}
