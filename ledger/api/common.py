"""Helpers every API module uses: the acting user, bodies, query parameters, list answers."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.core import bounds, clock
from ledger.core.errors import BadRequest, Invalid
from ledger.core.pagination import Page, parse_limit

M = TypeVar("M", bound=BaseModel)


def _line(value: str) -> str:
    problem = bounds.text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _day(value: date) -> date:
    problem = bounds.date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _deadline(value: date) -> date:
    problem = bounds.deadline_problem(value, clock.today())
    if problem:
        raise ValueError(problem)
    return value


# The types every Body field is made of (issue 14): each bounded to what its column can hold.
Id = Annotated[int, Field(ge=1, le=bounds.MAX_ID)]  # a row id (PostgreSQL integer)
Count = Annotated[int, Field(ge=0, le=bounds.MAX_INT)]
Line = Annotated[str, AfterValidator(_line), Field(max_length=200, json_schema_extra={
    "pattern": bounds.LINE_PATTERN})]  # titles, names, usernames, categories, contacts: one line
Text = Annotated[str, Field(max_length=20000, json_schema_extra={"pattern": bounds.TEXT_PATTERN})]  # multi-line
Day = Annotated[date, AfterValidator(_day), Field(json_schema_extra={
    "formatMinimum": bounds.MIN_DATE.isoformat(), "formatMaximum": bounds.MAX_DATE.isoformat()})]
Deadline = Annotated[date, AfterValidator(_deadline), Field(json_schema_extra={
    "formatMinimum": bounds.MIN_DATE.isoformat(),
    "description": f"at most {bounds.MAX_DEADLINE_YEARS} years ahead"})]


class Body(BaseModel):
    """Request bodies: unknown fields are refused, types are not coerced, and no text anywhere in them
    (nested too) holds a control character other than tab and line breaks; CRLF becomes LF."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=20000)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _checked(value)


def _checked(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        # a net under fields declared without bounds: no integer column holds more (registry documents it)
        problem = bounds.int_problem(value, -bounds.MAX_INT - 1, bounds.MAX_INT)
        if problem:
            raise ValueError(problem)
        return value
    if isinstance(value, str):
        problem = bounds.text_problem(value, multiline=True)
        if problem:
            raise ValueError(problem)
        return bounds.clean_text(value)
    if isinstance(value, list):
        return [_checked(v) for v in value]
    return value  # nested objects are Body models: they check their own fields


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def actor() -> Any:
    return g.actor


def parse_body(model: type[M]) -> M:
    raw = request.get_data(cache=True)
    if not raw.strip():  # the operation takes a body (its document says required): say so
        raise BadRequest("请求体不能为空：须为 JSON 对象")
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
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error") or error["msg"])
    if kind in ("literal_error", "enum"):
        return f"取值无效：{error['msg']}"
    return error["msg"]


def arg(name: str) -> Any:
    """A query parameter of the current API operation, as its declaration (``api_route(query=…)``) parsed
    it before the view ran. Undeclared: a KeyError — the document must list what the code reads."""
    return g.query[name]


def _declared(name: str) -> bool:
    return name in (g.get("query") or {})


def query_int(name: str, minimum: int = 1, maximum: int = bounds.MAX_INT) -> int | None:
    """An integer argument: the API operation's declared one, or (pages) one bounded here."""
    if _declared(name):
        return arg(name)
    from ledger.api import params

    return params.integer(name, minimum=minimum, maximum=maximum).read(request.args)


def query_bool(name: str) -> bool | None:
    if _declared(name):
        return arg(name)
    from ledger.api import params

    return params.boolean(name).read(request.args)


def query_date(name: str) -> date | None:
    if _declared(name):
        return arg(name)
    from ledger.api import params

    return params.day(name).read(request.args)


def limit_arg() -> int:
    return arg("limit") if _declared("limit") else parse_limit(request.args.get("limit"))


def cursor_arg() -> str | None:
    return arg("cursor") if _declared("cursor") else (request.args.get("cursor") or None)


def one(model: type[Out], obj: Any, status: int = 200) -> ResponseReturnValue:
    return jsonify(model.model_validate(obj).model_dump(mode="json")), status


def many(model: type[Out], page: Page) -> ResponseReturnValue:
    return jsonify({"items": [model.model_validate(r).model_dump(mode="json") for r in page.rows],
                    "next_cursor": page.next_cursor})
