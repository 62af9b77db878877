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


# --- issue 14: the document says exactly what the code accepts and answers ---------------------------

INTEGER_PARAMS = re.compile(r".*_id|limit|start_day")
BOOLEAN_PARAMS = {"overdue", "flagged", "acknowledged", "unread", "all", "org_only"}
DATE_PARAMS = {"from", "to", "due_before"}
DATETIME_PARAMS = {"GET /api/v1/audit"}  # a day or an ISO 8601 time


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", op


def test_query_parameters_are_typed_ranged_and_enumerated(doc):
    seen = set()
    for where, op in operations(doc):
        for p in op.get("parameters", []):
            schema, name = p["schema"], p["name"]
            seen.add(name)
            if p["in"] == "path":
                assert schema == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, where
                continue
            assert schema.get("type") in ("integer", "boolean", "string", "array"), (where, name)
            if INTEGER_PARAMS.fullmatch(name):
                assert schema["type"] == "integer" and schema["minimum"] >= 0, (where, name)
                assert schema["maximum"] <= 2**31 - 1, (where, name)
            if name in BOOLEAN_PARAMS:
                assert schema["type"] == "boolean", (where, name)
            if name in DATE_PARAMS and where not in DATETIME_PARAMS:
                assert schema == {"type": "string", "format": "date"}, (where, name)
            if schema["type"] == "string":  # never a bare string: an enum, a format or a pattern and length
                assert "enum" in schema or "format" in schema or "pattern" in schema, (where, name)
                assert "enum" in schema or "format" in schema or schema.get("maxLength"), (where, name)
            if schema["type"] == "array":
                assert schema["items"].get("enum") and p["style"] == "form" and p["explode"] is False, where
    assert {"org_id", "limit", "cursor", "status", "from", "month", "kind", "sort", "format"} <= seen
    limit = next(p for _, op in operations(doc) for p in op.get("parameters", []) if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}


def test_file_answers_name_their_real_media_types(doc):
    files = {}
    for where, op in operations(doc):
        for code, answer in op["responses"].items():
            types = set(answer.get("content", {}))
            assert "application/octet-stream" not in types, where
            if code.startswith("2") and "application/json" not in types and types:
                files[where] = types
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert files["GET /api/v1/items/export"] == {xlsx, "text/csv"}
    assert files["GET /api/v1/opinions/export"] == {xlsx, "text/csv"}
    assert files["GET /api/v1/opinions/import/template"] == {xlsx}
    assert files["GET /api/v1/notices/{notice_id}/pdf"] == {"application/pdf"}
    assert files["GET /api/v1/notices/{notice_id}/docx"] == {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    assert {"image/png", "image/jpeg", "application/pdf"} <= files[
        "GET /api/v1/items/{item_id}/attachments/{attachment_id}"]


def test_error_statuses_are_those_the_operation_can_answer(doc):
    for where, op in operations(doc):
        codes = set(op["responses"])
        assert {"400", "401", "404", "422"} <= codes, where
        assert ("429" in codes) == (where == "POST /api/v1/tokens"), where
        assert ("409" in codes) == (not where.startswith("GET ")), where
        assert "500" not in codes and "default" not in codes, where
    imports = dict(operations(doc))["POST /api/v1/opinions/import"]["responses"]
    assert {"200", "201"} <= set(imports)  # a dry run, a saved import


def test_a_204_is_documented_and_answered_without_content(doc, f, api, backend):
    from datetime import timedelta

    from ledger.core import clock

    for where, op in operations(doc):
        if "204" in op["responses"]:
            assert "content" not in op["responses"]["204"], where
            assert not any(c.startswith("2") and c != "204" for c in op["responses"]), where
    assert "204" in dict(operations(doc))["DELETE /api/v1/notices/{notice_id}"]["responses"]
    w = f.world()
    sec = api(w.sec_a)
    start = clock.today() - timedelta(days=7)
    status, body = sec.post("/notices", {"org_id": w.org_a.id, "kind": "progress", "period_start": start.isoformat(),
                                         "period_end": clock.today().isoformat()})
    assert status == 201, body
    response = sec.client.delete(f"/api/v1/notices/{body['id']}", headers=sec._headers())
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers


def test_declared_parameters_are_what_the_operation_parses(app):
    """The same declaration drives the parsing: a view reads its query only through ledger.api.common.arg
    (or the helpers that call it), and what it reads must be declared."""
    import inspect

    from ledger.api.registry import OPERATIONS

    for op in OPERATIONS:
        source = inspect.getsource(app.view_functions[f"api.{op.endpoint}"])
        assert "request.args" not in source, op.endpoint
        for name in re.findall(r"""\barg\(["'](\w+)["']\)""", source):
            assert name in op.query, (op.endpoint, name)
