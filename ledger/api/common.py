"""Helpers every API module uses: the acting user, bodies, query parameters, list answers."""
from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, ValidationError

from ledger.core.errors import BadRequest, Invalid
from ledger.core.pagination import Page, parse_limit

M = TypeVar("M", bound=BaseModel)


class Body(BaseModel):
    """Request bodies: unknown fields are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=20000)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def actor() -> Any:
    return g.actor


def parse_body(model: type[M]) -> M:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raw = b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest("请求体不是合法的 JSON", {"errors": [e["msg"] for e in errors]}) from None
        fields = {".".join(str(p) for p in e["loc"]) or "_": _message(e) for e in errors}
        raise Invalid(fields) from None


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "不接受的字段"
    if kind == "missing":
        return "必填"
    if kind.startswith("date"):
        return "日期无效（格式 YYYY-MM-DD）"
    if kind in ("literal_error", "enum"):
        return f"取值无效：{error['msg']}"
    return error["msg"]


def query_int(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise Invalid({name: "必须是整数"}) from None


def query_bool(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise Invalid({name: "必须是 true 或 false"})


def query_date(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid({name: "日期无效（格式 YYYY-MM-DD）"}) from None


def limit_arg() -> int:
    return parse_limit(request.args.get("limit"))


def cursor_arg() -> str | None:
    return request.args.get("cursor") or None


def one(model: type[Out], obj: Any, status: int = 200) -> ResponseReturnValue:
    return jsonify(model.model_validate(obj).model_dump(mode="json")), status


def many(model: type[Out], page: Page) -> ResponseReturnValue:
    return jsonify({"items": [model.model_validate(r).model_dump(mode="json") for r in page.rows],
                    "next_cursor": page.next_cursor})
