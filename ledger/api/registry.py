"""Route registration that also records what the OpenAPI document needs — the doc comes from the code."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from ledger.api.params import Param
from ledger.core.bounds import MAX_ID, TEXT_PATTERN


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    list_of: type[BaseModel] | None = None
    status: int = 200
    public: bool = False
    query: dict[str, Param] = field(default_factory=dict)
    multipart: bool = False
    files: tuple[str, ...] = ()  # media types of a file answer
    form: tuple[Param, ...] = ()  # a multipart body's fields beside ``file``

    @property
    def errors(self) -> tuple[int, ...]:
        """The error statuses this operation can answer (SPEC §8 envelope)."""
        # 401 everywhere: a bad bearer token is refused even where none is needed; 403 for the public token
        # exchange too (a second factor to enrol first)
        codes = {400, 401, 403, 404, 422}
        if self.method != "GET":
            codes |= {409, 413}
        if self.public and self.method == "POST":
            codes.add(429)  # the token exchange's login limits
        return tuple(sorted(codes))


OPERATIONS: list[Operation] = []


BY_ENDPOINT: dict[str, Operation] = {}


def api_route(bp: Blueprint, rule: str, method: str = "GET", *, summary: str = "", body=None, response=None,
              list_of=None, status: int = 200, public: bool = False, query: tuple[Param, ...] = (),
              multipart: bool = False, files: tuple[str, ...] = (), form: tuple[Param, ...] = ()) -> Callable:
    """Register ``rule`` on the API blueprint and describe it for OpenAPI. ``query`` declares the query
    parameters (ledger.api.params): the blueprint parses them from that declaration before the view runs,
    and the document describes them from it. ``files``: the media types of a file answer."""
    def decorate(fn: Callable) -> Callable:
        endpoint = f"{fn.__module__.rsplit('.', 2)[-2]}_{fn.__name__}"
        bp.add_url_rule(rule, endpoint=endpoint, view_func=fn, methods=[method])
        op = Operation(rule, method, endpoint, summary or (fn.__doc__ or "").strip().split("\n")[0], body,
                       response, list_of, status, public, {p.name: p for p in query}, multipart, tuple(files),
                       tuple(form))
        OPERATIONS.append(op)
        BY_ENDPOINT[f"{bp.name}.{endpoint}"] = op
        fn.public = public
        return fn
    return decorate


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        # ``int`` is ledger.core.bounds.BoundedInt: ids 1..2³¹−1, anything else is a 404
        schema = ({"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int"
                  else {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"
    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule), params


class LedgerJsonSchema(GenerateJsonSchema):
    """What ledger.api.common.Body enforces on every field, said in the document even where a field does
    not repeat it: strings within str_max_length and free of control characters, integers within the
    range of an integer column."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        out = super().str_schema(schema)
        out.setdefault("maxLength", 20000)
        out.setdefault("pattern", TEXT_PATTERN)
        return out

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        out = super().int_schema(schema)
        if "minimum" not in out and "exclusiveMinimum" not in out:
            out["minimum"] = -MAX_ID - 1
        if "maximum" not in out and "exclusiveMaximum" not in out:
            out["maximum"] = MAX_ID
        return out


def schema_of(model: type[BaseModel], ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The JSON Schema of a body or answer model, as the document gives it (a body's with what Body
    enforces; an answer's as it is)."""
    from ledger.api.common import Body

    generator = LedgerJsonSchema if issubclass(model, Body) else GenerateJsonSchema
    return model.model_json_schema(ref_template=ref_template, schema_generator=generator)


def _schema_ref(model: type[BaseModel], components: dict) -> dict:
    schema = schema_of(model, "#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}},
}


ERROR_TEXT = {400: "Bad request (malformed JSON, empty body, CSRF)", 401: "Not signed in, or a bad token",
              403: "Forbidden", 404: "Not found (or not visible to the caller)",
              409: "Conflict (state, version, duplicate)", 413: "Request body too large",
              422: "Invalid input (details.fields names each field)", 429: "Too many attempts"}
DRY_RUN_200 = {"spreadsheets_import_opinions_api"}


def build_openapi(prefix: str) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path, params = _openapi_path(prefix + op.rule)
        params += [param.openapi() for param in op.query.values()]
        entry: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "parameters": params,
                                 "responses": {}}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema_ref(op.body, components)}}}
        if op.multipart:
            fields = {"file": {"type": "string", "format": "binary"}} | {
                p.name: p.schema() | ({"description": p.description} if p.description else {}) for p in op.form}
            required = ["file"] + [p.name for p in op.form if p.required]
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": required, "properties": fields}}}}
        if op.list_of is not None:
            ok = {"type": "object", "required": ["items", "next_cursor"], "properties": {
                "items": {"type": "array", "items": _schema_ref(op.list_of, components)},
                "next_cursor": {"type": ["string", "null"]}}}
        elif op.response is not None:
            ok = _schema_ref(op.response, components)
        else:
            ok = {"type": "object"}
        if op.status == 204:
            entry["responses"]["204"] = {"description": "No content"}
        else:
            content = ({kind: {"schema": {"type": "string", "format": "binary"}} for kind in op.files}
                       if op.files else {"application/json": {"schema": ok}})
            entry["responses"][str(op.status)] = {"description": "OK", "content": content}
        if op.endpoint in DRY_RUN_200:  # the imports: 200 for a dry run, 201 when saved
            entry["responses"]["200"] = entry["responses"][str(op.status)]
        for code in op.errors:
            entry["responses"][str(code)] = {"description": ERROR_TEXT[code], "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if op.public:
            entry["security"] = []
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "整改销号台账 API", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
    }
