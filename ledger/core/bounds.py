"""What the application accepts at its input boundary, in one place: integers within their column's range,
dates within a sensible span, text without control characters (issue 14, findings 4, 5 and 10).

Every path, query string, JSON body, form and imported cell is checked against these before it reaches
a query: PostgreSQL's ``integer`` ends at 2³¹−1 and its text cannot hold NUL, SQLite's integers end at
2⁶³−1, and Python's dates end at 9999-12-31 — past any of them the database or the arithmetic fails."""
from __future__ import annotations

import re
from datetime import date

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

MAX_INT = 2**31 - 1  # PostgreSQL ``integer``; every id and counter column is one
MAX_ID = MAX_INT
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
MAX_DEADLINE_YEARS = 15  # a deadline no further ahead (3650 working days, the most a form may ask, fit)

# Control characters (Unicode Cc: C0, DEL, C1) and lone surrogates, which no database column can hold.
# Tab is allowed everywhere; line breaks only in multi-line text (CR is normalised to LF there).
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"  # regex escapes (JSON Schema too)
# The document's patterns leave the surrogates out: no regex engine but ECMAScript's takes a range of them
# (jsonschema-rs, Go, Rust refuse the whole pattern), and UTF-8 cannot carry one; the server still refuses them.
_CONTROL_DOC = _CONTROL.replace(r"\ud800-\udfff", "")
LINE_PATTERN = "^[^" + _CONTROL_DOC + r"\n\r]*$"
TEXT_PATTERN = "^[^" + _CONTROL_DOC + "]*$"
_BAD_LINE = re.compile("[" + _CONTROL + r"\n\r]")
_BAD_TEXT = re.compile("[" + _CONTROL + "]")


def text_problem(value: str, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored as text (None: it may)."""
    if _BAD_TEXT.search(value) is not None:
        return "不能包含控制字符"
    if not multiline and _BAD_LINE.search(value) is not None:
        return "不能包含换行"
    return None


def clean_text(value: str) -> str:
    """Multi-line text with CRLF and lone CR normalised to LF (checked with ``text_problem`` first)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def int_problem(value: int, minimum: int = 1, maximum: int = MAX_INT) -> str | None:
    if minimum <= value <= maximum:
        return None
    return f"必须在 {minimum} 到 {maximum} 之间"


def date_problem(value: date, maximum: date = MAX_DATE) -> str | None:
    if MIN_DATE <= value <= maximum:
        return None
    return f"日期必须在 {MIN_DATE.isoformat()} 到 {maximum.isoformat()} 之间"


def latest_deadline(today: date) -> date:
    """The furthest deadline accepted from ``today``: MAX_DEADLINE_YEARS ahead, within MAX_DATE."""
    try:
        ahead = today.replace(year=today.year + MAX_DEADLINE_YEARS)
    except ValueError:  # 29 February
        ahead = today.replace(year=today.year + MAX_DEADLINE_YEARS, day=28)
    return min(ahead, MAX_DATE)


def deadline_problem(value: date, today: date) -> str | None:
    latest = latest_deadline(today)
    if MIN_DATE <= value <= latest:
        return None
    return f"期限必须在 {MIN_DATE.isoformat()} 到 {latest.isoformat()} 之间"


class BoundedInt(IntegerConverter):
    """``<int:…>`` in every route: an id outside 1..2³¹−1 matches no object, so the path is a 404 — never
    a query the database cannot run. Installed as the app's ``int`` converter (``install``)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            # Not "no rule matches" (werkzeug would then answer 405 when the same path has another
            # method): the path names an object that cannot exist.
            raise NotFound() from None
