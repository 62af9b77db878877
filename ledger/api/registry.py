"""Route registration that also records what the OpenAPI document needs — the doc comes from the code."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint
from pydantic import BaseModel


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
    query: dict[str, str] = field(default_factory=dict)
    multipart: bool = False
    binary: bool = False


OPERATIONS: list[Operation] = []


def api_route(bp: Blueprint, rule: str, method: str = "GET", *, summary: str = "", body=None, response=None,
              list_of=None, status: int = 200, public: bool = False, query: dict[str, str] | None = None,
              multipart: bool = False, binary: bool = False) -> Callable:
    """Register ``rule`` on the API blueprint and describe it for OpenAPI."""
    def decorate(fn: Callable) -> Callable:
        endpoint = f"{fn.__module__.rsplit('.', 2)[-2]}_{fn.__name__}"
        bp.add_url_rule(rule, endpoint=endpoint, view_func=fn, methods=[method])
        OPERATIONS.append(Operation(rule, method, endpoint, summary or (fn.__doc__ or "").strip().split("\n")[0],
                                    body, response, list_of, status, public, query or {}, multipart, binary))
        fn.public = public
        return fn
    return decorate


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer" if converter == "int" else "string"}})
        return "{" + name + "}"
    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule), params


def _schema_ref(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}},
}


def build_openapi(prefix: str) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path, params = _openapi_path(prefix + op.rule)
        params += [{"name": name, "in": "query", "required": False, "description": text,
                    "schema": {"type": "string"}} for name, text in op.query.items()]
        entry: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "parameters": params,
                                 "responses": {}}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema_ref(op.body, components)}}}
        if op.multipart:
            entry["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}, "kind": {"type": "string"}}}}}}
        if op.list_of is not None:
            ok = {"type": "object", "required": ["items", "next_cursor"], "properties": {
                "items": {"type": "array", "items": _schema_ref(op.list_of, components)},
                "next_cursor": {"type": ["string", "null"]}}}
        elif op.response is not None:
            ok = _schema_ref(op.response, components)
        else:
            ok = {"type": "object"}
        content = ({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
                   if op.binary else {"application/json": {"schema": ok}})
        entry["responses"][str(op.status)] = {"description": "OK", "content": content}
        for code in ("400", "401", "403", "404", "409", "413", "422", "429"):
            entry["responses"][code] = {"description": "Error", "content": {
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
