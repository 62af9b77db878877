"""The application-wide input boundary (issue 14): ids in paths, and text in every path segment, query
string and form, checked before any view runs — on the API and on the pages alike.

The API's own declarations (ledger.api.params, the Body types of ledger.api.common) check more precisely;
this net catches what a page reads by hand (``request.args.get("org_id", type=int)``)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask.typing import ResponseReturnValue

from ledger.core import bounds
from ledger.core.errors import Invalid

# Arguments whose digits are an id or a counter, whatever page reads them: beyond an integer column's
# range they can name nothing (and PostgreSQL would refuse the query).
_INT_NAME = re.compile(r".*_ids?|page|limit|start_day|version|percent|position|weekday|days|.*_days")
_DATE_NAME = re.compile(r"from|to|due_before|deadline|new_deadline|held_on|received_on|period_start|period_end|"
                        r"next_review_on|day")
_DIGITS = re.compile(r"\s*[+-]?\d+\s*")
_MONTH = re.compile(r"\s*\d{4,}-\d{1,2}\s*")
_ISO_DAY = re.compile(r"\s*(\d{4,})-(\d{1,2})-(\d{1,2})\s*")


def install(app: Flask) -> None:
    """The bounded ``int`` converter (before any route is added) and the request check."""
    app.url_map.converters["int"] = bounds.BoundedInt
    app.before_request(check_request)


def problems(pairs) -> dict[str, str]:  # noqa: ANN001  (name, value) pairs
    found: dict[str, str] = {}
    for name, value in pairs:
        if not isinstance(value, str):
            continue
        problem = bounds.text_problem(value, multiline=True) or bounds.text_problem(name)
        if problem is None and _INT_NAME.fullmatch(name) and _DIGITS.fullmatch(value):
            problem = bounds.int_problem(int(value), 0, bounds.MAX_INT)
        if problem is None and _DATE_NAME.fullmatch(name):
            problem = _date_problem(value)
        if problem is None and name == "month" and _MONTH.fullmatch(value):
            problem = _date_problem(value.strip() + "-01")
        if problem:
            found.setdefault(name, problem)
    return found


def _date_problem(value: str) -> str | None:
    match = _ISO_DAY.fullmatch(value)
    if not match:
        return None  # not a date at all: the reader says so in its own words
    from datetime import date

    try:
        day = date(*(int(part) for part in match.groups()))
    except (ValueError, OverflowError):
        return "日期无效（格式 YYYY-MM-DD）"
    return bounds.date_problem(day)


def _host_problem() -> bool:
    """A Host header no URL can hold (``_K.R] x``): building any link or ``next`` from it would raise."""
    try:
        urlsplit("//" + request.host)
    except ValueError:
        return True
    return False


def check_request() -> ResponseReturnValue | None:
    if _host_problem():
        abort(400)
    if request.url_rule is None:
        return None  # no route: a 404 or 405 anyway
    pairs = list(request.args.items(multi=True)) + list((request.view_args or {}).items())
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += list(request.form.items(multi=True))
    found = problems(pairs)
    if not found:
        return None
    from ledger.api.blueprint import bp

    if request.blueprint == bp.name:
        raise Invalid(found)  # the API's error envelope (422)
    from ledger.web.common import error_page

    return error_page(Invalid(found))
