"""Query parameters, declared once: the same declaration parses the request and describes the parameter in
the OpenAPI document (type, range, enum, format), so the two cannot drift apart."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.core import bounds
from ledger.core.errors import Invalid
from ledger.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True)
class Param:
    """One query parameter: ``kind`` is integer, boolean, date, month, enum, enums (comma-separated), text
    or cursor. Absent or empty: ``default``."""

    name: str
    kind: str
    description: str = ""
    minimum: int = 1
    maximum: int = bounds.MAX_INT
    values: tuple[str, ...] = ()
    max_length: int = 200
    default: Any = None
    required: bool = False  # a multipart form field that must be there

    def schema(self) -> dict[str, Any]:
        if self.kind == "integer":
            schema = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        elif self.kind == "boolean":
            schema = {"type": "boolean"}  # also read: 1/0, yes/no, on/off
        elif self.kind == "date":
            schema = {"type": "string", "format": "date"}
        elif self.kind == "month":
            schema = {"type": "string", "pattern": r"^20\d\d-(0[1-9]|1[0-2])$", "maxLength": 7}  # bounds: 2000..2099
        elif self.kind == "enum":
            schema = {"type": "string", "enum": list(self.values)}
        elif self.kind == "enums":
            schema = {"type": "array", "items": {"type": "string", "enum": list(self.values)}}
        else:  # text, cursor
            schema = {"type": "string", "maxLength": self.max_length, "pattern": bounds.LINE_PATTERN}
        if self.default not in (None, []):
            schema["default"] = self.default
        return schema

    def openapi(self) -> dict[str, Any]:
        entry = {"name": self.name, "in": "query", "required": False, "schema": self.schema()}
        if self.description:
            entry["description"] = self.description
        if self.kind == "enums":
            entry.update(style="form", explode=False)
        return entry

    def read(self, args) -> Any:  # noqa: ANN001  (request.args)
        """This parameter's value in ``args``; a repeated list parameter's values are joined."""
        if self.kind == "enums":
            return self.parse(",".join(args.getlist(self.name)))
        return self.parse(args.get(self.name))

    def parse(self, raw: str | None) -> Any:
        if raw is None or raw == "":
            return self.default
        problem = bounds.text_problem(raw)
        if problem:
            raise Invalid({self.name: problem})
        return getattr(self, "_" + self.kind)(raw)

    def _integer(self, raw: str) -> int:
        if not re.fullmatch(r"[+-]?\d{1,20}", raw.strip()):
            raise Invalid({self.name: "必须是整数"})
        value = int(raw)
        problem = bounds.int_problem(value, self.minimum, self.maximum)
        if problem:
            raise Invalid({self.name: problem})
        return value

    def _boolean(self, raw: str) -> bool:
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise Invalid({self.name: "必须是 true 或 false"})

    def _date(self, raw: str) -> date:
        return parse_date(self.name, raw)

    def _month(self, raw: str) -> str:
        if not _MONTH.fullmatch(raw) or not 1 <= int(raw[5:]) <= 12:
            raise Invalid({self.name: "月份无效（格式 YYYY-MM）"})
        parse_date(self.name, raw + "-01")
        return raw

    def _enum(self, raw: str) -> str:
        if raw not in self.values:
            raise Invalid({self.name: "取值必须是：" + "、".join(self.values)})
        return raw

    def _enums(self, raw: str) -> list[str]:
        chosen = [part for part in raw.split(",") if part]
        for part in chosen:
            self._enum(part)
        return chosen

    def _text(self, raw: str) -> str:
        if len(raw) > self.max_length:
            raise Invalid({self.name: f"不能超过 {self.max_length} 个字符"})
        return raw

    def _cursor(self, raw: str) -> str:
        self._text(raw)
        decode_cursor(raw)  # refused here (422) when it is not one of ours
        return raw


def parse_date(name: str, raw: str) -> date:
    try:
        value = date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        value = None
    if value is None:
        raise Invalid({name: "日期无效（格式 YYYY-MM-DD）"})
    problem = bounds.date_problem(value)
    if problem:
        raise Invalid({name: problem})
    return value


def integer(name: str, description: str = "", minimum: int = 1, maximum: int = bounds.MAX_INT) -> Param:
    return Param(name, "integer", description, minimum, maximum)


def boolean(name: str, description: str = "") -> Param:
    return Param(name, "boolean", description)


def day(name: str, description: str = "") -> Param:
    return Param(name, "date", description)


def month(name: str, description: str = "") -> Param:
    return Param(name, "month", description)


def enum(name: str, values: Iterable[str], description: str = "", default: str | None = None) -> Param:
    return Param(name, "enum", description, values=tuple(values), default=default)


def enums(name: str, values: Iterable[str], description: str = "") -> Param:
    return Param(name, "enums", description, values=tuple(values), default=[])


def text(name: str, description: str = "", max_length: int = 200) -> Param:
    return Param(name, "text", description, max_length=max_length)


LIMIT = Param("limit", "integer", "page size", 1, MAX_LIMIT, default=DEFAULT_LIMIT)
CURSOR = Param("cursor", "cursor", "the previous page's next_cursor", max_length=500)
PAGED = (LIMIT, CURSOR)
