"""Cell values: reading what people type into spreadsheets, and writing cells that are never formulas."""
from __future__ import annotations

import re
from datetime import date, datetime

from ledger.core.enums import Channel, OpinionKind

# A text cell starting with one of these is read as a formula by spreadsheet programs (CSV/DDE injection).
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")

CHANNEL_ALIASES = {
    "评议": "meeting", "评议大会": "meeting", "民主评议": "meeting", "座谈": "symposium",
    "问卷调查": "questionnaire", "调查问卷": "questionnaire", "热线电话": "hotline", "电话": "hotline",
    "12345": "hotline", "访谈": "interview", "走访": "interview", "网上": "online", "网络留言": "online",
    "网站": "online", "来信来访": "letter", "信访": "letter", "异议": "objection", "巡视": "inspection",
    "巡视巡察": "inspection", "交办": "assigned", "上级交办件": "assigned", "意见箱（意见簿）": "suggestion_box",
    "意见簿": "suggestion_box",
}
KIND_ALIASES = {"意见": "problem", "问题类": "problem", "建议类": "suggestion"}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "匿名", "需要", "√", "✓"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "不需要", "实名", ""}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def text(value) -> str:
    """A cell as stripped text; numbers keep their plain form (13800000000, not 1.38e10)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    result = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return unescape(result)


def unescape(value: str) -> str:
    """Undo :func:`escape`: our own exports prefix risky text with an apostrophe."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def escape(value: object) -> object:
    """A value safe to write into a cell: text that would start a formula gets an apostrophe in front."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        if value.startswith(DANGEROUS_STARTS):
            return "'" + value
    return value


def _squash(value: str) -> str:
    return re.sub(r"\s+", "", value).lower()


def parse_channel(value) -> str | None:
    """A channel from its SPEC name or Chinese title (None: not recognised)."""
    raw = _squash(text(value))
    for channel in Channel:
        if raw in (channel.value, channel.title.lower()):
            return channel.value
    return CHANNEL_ALIASES.get(raw)


def parse_kind(value) -> str | None:
    raw = _squash(text(value))
    if not raw:
        return OpinionKind.problem.value
    for kind in OpinionKind:
        if raw in (kind.value, kind.title):
            return kind.value
    return KIND_ALIASES.get(raw)


def parse_bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = _squash(text(value))
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    return None


def parse_date(value) -> date | None:
    """A date from a date cell or the usual ways of typing one; raises ValueError when impossible."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day)
            except ValueError:  # 2026-02-30
                raise ValueError(raw) from None
    raise ValueError(raw)


def parse_percent(value) -> int | None:
    """0–100 from 60, "60", "60%" or 0.6 (a cell formatted as a percentage); ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value) * (100 if 0 < value < 1 else 1)
    else:
        raw = text(value).rstrip("%％").strip()
        if not raw:
            return None
        number = float(raw)
    if not number.is_integer() and abs(number - round(number)) > 1e-6:
        number = round(number)
    return int(round(number))


def channel_choices() -> str:
    return "、".join(c.title for c in Channel)
