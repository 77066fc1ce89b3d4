"""The OpenAPI document: valid, complete, and honest about errors and security."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

API = "/api/v1"
METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}


@pytest.fixture
def document(admin):
    response = admin.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() in METHODS:
                yield path, method, operation


@pytest.mark.crm_sqlite_only
def test_document_is_valid_openapi(document):
    """openapi-spec-validator accepts the document."""
    validate(document)
    assert document["openapi"].startswith("3.")


@pytest.mark.crm_sqlite_only
def test_every_api_route_is_described(crm_app, document):
    """Each route under /api/v1 appears with each of its methods."""
    for rule in crm_app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        assert path in document["paths"], path
        for method in rule.methods & METHODS:
            assert method.lower() in document["paths"][path], (path, method)


@pytest.mark.crm_sqlite_only
def test_errors_are_documented_as_problems(document):
    """Every operation's default response is the problem document."""
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "errors", "current"} <= set(problem)
    for path, method, operation in operations(document):
        default = operation["responses"]["default"]
        assert default == {"$ref": "#/components/responses/Problem"}, (path, method)
    problem_response = document["components"]["responses"]["Problem"]
    assert "application/problem+json" in problem_response["content"]


@pytest.mark.crm_sqlite_only
def test_writes_document_their_bodies_and_headers(document):
    """POST and PATCH describe a JSON body (restore has none) and their headers."""
    for path, method, operation in operations(document):
        names = {p.get("name") for p in operation.get("parameters", [])}
        if method == "post":
            assert "Idempotency-Key" in names, path
            if not path.endswith("/restore"):
                assert "application/json" in operation["requestBody"]["content"], path
        if method == "patch":
            assert "If-Match" in names, path
            assert "412" in operation["responses"], path
            assert "428" in operation["responses"], path


@pytest.mark.crm_sqlite_only
def test_bearer_security_is_declared_and_health_is_public(document):
    """Bearer tokens secure the API; only the health check is public."""
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]
    public = [
        (path, method)
        for path, method, operation in operations(document)
        if operation.get("security") == []
    ]
    assert public == [(f"{API}/health", "get")]


@pytest.mark.crm_sqlite_only
def test_response_schemas_describe_records_and_pages(document):
    """Records and pages have schemas with their fields."""
    schemas = document["components"]["schemas"]
    for name in ("Customer", "Activity", "Relationship", "AuditEntry", "Field"):
        assert {"items", "next_cursor"} <= set(schemas[f"{name}Page"]["properties"])
    assert "version" in schemas["Customer"]["properties"]
    assert "changes" in schemas["AuditEntry"]["properties"]
    listing = document["paths"][f"{API}/customers"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"q", "sort", "cursor", "limit"} <= names
