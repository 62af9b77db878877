"""The OpenAPI document at /api/v1/openapi.json: OpenAPI 3.1, generated from the code, listing every
/api/v1 route with its parameters, request schemas for bodies and the §8 error shape."""
from __future__ import annotations

import re

import pytest

from ledger.items import lifecycle

# Writes that take no JSON body (actions on the object named in the path) or a multipart upload.
BODYLESS = {"POST /api/v1/surveys/{survey_id}/close", "DELETE /api/v1/notices/{notice_id}",
            "POST /api/v1/notices/{notice_id}/publish"}
MULTIPART = {"POST /api/v1/items/{item_id}/attachments", "POST /api/v1/opinions/import",
             "POST /api/v1/items/import"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")  # public: no credentials
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def resolve(doc: dict, ref: str) -> dict:
    assert ref.startswith("#/components/schemas/"), ref
    name = ref.rsplit("/", 1)[1]
    assert name in doc["components"]["schemas"], f"dangling $ref {ref}"
    return doc["components"]["schemas"][name]


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


def test_document_is_openapi_3_1(doc):
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["paths"] and all(path.startswith("/api/v1/") for path in doc["paths"])
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    for ref in all_refs(doc):
        resolve(doc, ref)
    operation_ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


def test_every_route_is_documented_and_nothing_else(app, doc):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add(f"{method} {openapi_path(rule.rule)}")
    served.discard("GET /api/v1/openapi.json")  # the document itself
    documented = {f"{m.upper()} {path}" for path, item in doc["paths"].items() for m in item if m in METHODS}
    assert sorted(served - documented) == [], "routes missing from the OpenAPI document"
    assert sorted(documented - served) == [], "documented routes the application does not serve"


def test_every_operation_declares_parameters_responses_and_errors(doc):
    for path, item in doc["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        for method, op in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(names), where
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    assert p["required"] is True and p["schema"]["type"] in ("integer", "string"), where
            ok = [code for code in op["responses"] if code.startswith("2")]
            assert ok, f"{where}: no success response"
            for code in ("401", "403", "404", "422"):
                if code in op["responses"]:
                    schema = op["responses"][code]["content"]["application/json"]["schema"]
                    error = resolve(doc, schema["$ref"])
                    assert error["required"] == ["error"]
                    assert set(error["properties"]["error"]["required"]) == {"code", "message", "details"}


def test_every_write_has_a_request_schema(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            if method not in {"post", "put", "patch"} or where in BODYLESS:
                continue
            body = op.get("requestBody")
            assert body and body.get("required") is True, f"{where}: no request body schema"
            if where in MULTIPART:
                schema = body["content"]["multipart/form-data"]["schema"]
                assert schema["properties"]["file"] == {"type": "string", "format": "binary"}, where
                continue
            schema = body["content"]["application/json"]["schema"]
            target = resolve(doc, schema["$ref"]) if "$ref" in schema else schema
            assert target.get("type") == "object" and target.get("properties"), where
            # bodies refuse unknown fields, and the document says so
            assert target.get("additionalProperties") is False, where


def test_list_answers_are_items_and_next_cursor(doc):
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op is None:
            continue
        schema = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if "items" in schema.get("properties", {}):
            assert set(schema["required"]) == {"items", "next_cursor"}, path
            assert schema["properties"]["items"]["type"] == "array", path


def test_core_schemas_carry_the_spec_names(doc):
    paths = doc["paths"]
    create = resolve(doc, paths["/api/v1/items"]["post"]["requestBody"]["content"]["application/json"]["schema"]
                     ["$ref"])
    assert {"org_id", "title", "owner_id", "deadline", "kind", "scope", "opinion_ids"} <= set(create["properties"])
    assert {"org_id", "title", "owner_id"} <= set(create["required"])
    transition = resolve(doc, paths["/api/v1/items/{item_id}/transitions"]["post"]["requestBody"]["content"]
                         ["application/json"]["schema"]["$ref"])
    assert {"action", "version"} <= set(transition["required"])
    assert {"comment", "deadline", "measures", "owner_id", "note", "percent", "new_deadline", "reason",
            "extension_id"} <= set(transition["properties"])
    # every lifecycle action that goes through this route is documented (``attach`` is the upload route)
    assert set(transition["properties"]["action"]["enum"]) == set(lifecycle.ACTIONS) - {"attach"}
    item = paths["/api/v1/items/{item_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    fields = set(resolve(doc, item["$ref"])["properties"])
    assert {"id", "code", "org_id", "title", "description", "measures", "kind", "scope", "category", "leader_id",
            "owner_id", "deadline", "original_deadline", "status", "flagged", "light", "overdue_days",
            "opinion_ids", "completion_note", "closed_at", "created_at", "updated_at", "version", "urgency",
            "round"} <= fields
    triage = resolve(doc, paths["/api/v1/opinions/{opinion_id}/triage"]["post"]["requestBody"]["content"]
                     ["application/json"]["schema"]["$ref"])
    assert set(triage["properties"]["action"]["enum"]) == {"accept", "link", "answer", "reject"}
    token = paths["/api/v1/tokens"]["post"]
    assert token["security"] == []  # public
    assert {"username", "password"} <= set(resolve(doc, token["requestBody"]["content"]["application/json"]
                                                   ["schema"]["$ref"])["required"])
