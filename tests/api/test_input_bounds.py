"""Issue 14, findings 4, 5, 7 and 10, by class: every id, number, text and date the API reads is bounded at
the input boundary and refused with 404 (a path) or 422 (a query or body) in the SPEC §8 envelope — never
a 500 from PostgreSQL's integer or NUL, SQLite's 64-bit integers or Python's date arithmetic, and nothing
is saved. The cases are generated from the registry's OPERATIONS and the Body models, so a new route or
field is covered without touching this file."""
from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

import ledger.models  # noqa: F401  (every mapper, before the API modules import)
from ledger.api import load_routes
from ledger.api.registry import OPERATIONS, schema_of
from ledger.core import bounds, clock
from ledger.core.db import db
from tests.api.support import error_of

load_routes()
pytestmark = pytest.mark.usefixtures("fast_hashing", "isolated_requests")

HUGE = (2**31, 2**63, 10**20)
UNCOUNTED = {"api_tokens", "audit_log", "audit_head", "alembic_version"}  # tokens: the test's own; audit: kept


def where(op) -> str:
    return f"{op.method} {op.rule}"


def with_ids(rule: str, value) -> str:
    return re.sub(r"<int:\w+>", str(value), rule)


PATH_ID_OPS = [op for op in OPERATIONS if "<int:" in op.rule]
QUERY_INT_CASES = [(op, p) for op in OPERATIONS for p in op.query.values() if p.kind == "integer"]
CURSOR_OPS = [op for op in OPERATIONS if "cursor" in op.query]
BODY_OPS = [op for op in OPERATIONS if op.body is not None]


def counts() -> dict:
    """Rows in every table a refused request must leave as they were."""
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables if t.name not in UNCOUNTED}


def refused(status: int, body, want: int, field: str | None = None) -> dict:
    assert status == want, (status, body)
    error = error_of(body)
    if field is not None:
        assert field in error["details"].get("fields", {}), error
    return error


@pytest.fixture
def w(f):
    return f.world()


@pytest.fixture
def admin(w, api):
    return api(w.admin)


def caller(op, w, api):
    return api() if op.public else api(w.admin)


# --- finding 4: ids and numbers -----------------------------------------------------------------

def test_every_path_id_route_is_covered():
    assert len(PATH_ID_OPS) > 30 and any(op.public for op in PATH_ID_OPS)


@pytest.mark.parametrize("op", PATH_ID_OPS, ids=where)
def test_out_of_range_path_ids_are_404(op, w, api, backend):
    client, before = caller(op, w, api), counts()
    for value in HUGE + (0,):
        status, body = client.call(op.method, with_ids(op.rule, value), {} if op.body else None)
        assert refused(status, body, 404)["code"] == "not_found", (value, body)
    assert counts() == before


def test_the_public_notice_feed_reproduction(api, backend):
    status, body = api().get("/public/notices/100000000000000000000")
    refused(status, body, 404)


@pytest.mark.parametrize(("op", "param"), QUERY_INT_CASES, ids=lambda x: getattr(x, "name", None) or where(x))
def test_out_of_range_query_integers_are_422(op, param, w, api, backend):
    client = caller(op, w, api)
    for value in (param.maximum + 1, param.minimum - 1, 2**63, 10**20, "1.5", "1e3", "x"):
        status, body = client.call(op.method, with_ids(op.rule, 1), {} if op.body else None,
                                   query_string={param.name: str(value)})
        refused(status, body, 422, param.name)


@pytest.mark.parametrize("op", CURSOR_OPS, ids=where)
def test_cursors_that_are_not_ours_are_422(op, w, api, backend):
    client = caller(op, w, api)
    plain = ["[1e999]", "[-1e999]", "[NaN]", f"[{2**63}]", f"[{2**31}]", "[true]", '["x"]', "[1.5]", "[[1]]",
             '{"a": 1}', "[]", "[null]", '["9999-99-99", 1]']
    cursors = [base64.urlsafe_b64encode(p.encode()).decode().rstrip("=") for p in plain] + ["!!", "%00"]
    for cursor in cursors:
        status, body = client.get(with_ids(op.rule, 1), query_string={"cursor": cursor})
        refused(status, body, 422, "cursor")


def test_a_body_integer_beyond_its_column_is_422(w, admin, backend):
    before = counts()
    for field in ("owner_id", "org_id", "leader_id"):
        body = {"org_id": w.org_a.id, "title": "t", "owner_id": w.owner_a.id, field: 2**31}
        status, answer = admin.post("/items", body)
        refused(status, answer, 422, field)
    status, answer = admin.post("/items", {"org_id": w.org_a.id, "title": "t", "owner_id": w.owner_a.id,
                                           "opinion_ids": [10**20]})
    refused(status, answer, 422, "opinion_ids.0")
    assert counts() == before


# --- finding 5: control characters in every string of every body ---------------------------------

def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        return schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    return _resolve(schema, options[0]) if options else node


def string_fields(schema: dict, node: dict | None = None, prefix: tuple = ()):
    """(path, property schema) of every free-text field of a body, nested objects and lists included."""
    node = _resolve(schema, node or schema)
    for name, prop in node.get("properties", {}).items():
        prop = _resolve(schema, prop)
        if prop.get("type") == "object" or "properties" in prop:
            yield from string_fields(schema, prop, prefix + (name,))
        elif prop.get("type") == "array":
            items = _resolve(schema, prop.get("items", {}))
            if "properties" in items:
                yield from string_fields(schema, items, prefix + (name, 0))
            elif items.get("type") == "string" and "enum" not in items and "format" not in items:
                yield prefix + (name, 0), items
        elif prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
            yield prefix + (name,), prop


def planted(path: tuple, value: str):
    """A body with ``value`` at ``path`` (a 0 in the path is a list)."""
    head, rest = path[0], path[1:]
    inner = value if not rest else planted(rest, value)
    return [inner] if head == 0 else {head: inner}


STRING_CASES = [(op, path, prop) for op in BODY_OPS
                for path, prop in string_fields(schema_of(op.body))]


def test_every_body_string_is_generated():
    names = {".".join(map(str, path)) for _, path, _ in STRING_CASES}
    assert {"title", "content", "username", "item.title", "reason", "name", "memberships.0.role"} <= names


@pytest.mark.parametrize(("op", "path", "prop"), STRING_CASES,
                         ids=lambda x: ".".join(map(str, x)) if isinstance(x, tuple) else
                         (where(x) if hasattr(x, "rule") else None))
def test_control_characters_in_every_body_string_are_422(op, path, prop, w, api, backend):
    client, before = caller(op, w, api), counts()
    field = ".".join(map(str, path))
    bad = ["a\x00b", "\x07", "a\x1bb", "\x7f", "a\x85b", "\x0b", "\x0c"]
    if prop.get("pattern") == bounds.LINE_PATTERN:
        bad += ["one\ntwo", "one\rtwo"]
    for value in bad:
        status, body = client.call(op.method, with_ids(op.rule, 1), planted(path, value))
        refused(status, body, 422, field)
    assert counts() == before


def test_every_body_string_says_what_it_accepts(backend):
    """The document is exact: each free-text field has a length limit and the pattern that refuses
    control characters (one-line fields: line breaks too)."""
    for op, path, prop in STRING_CASES:
        assert prop.get("maxLength"), (where(op), path)
        assert prop.get("pattern") in (bounds.LINE_PATTERN, bounds.TEXT_PATTERN), (where(op), path)


def test_every_body_integer_and_date_is_bounded():
    def walk(schema, node, trail):
        node = _resolve(schema, node) if ("$ref" in node or "anyOf" in node) else node
        if node.get("type") == "integer":
            assert "minimum" in node and "maximum" in node, trail
            assert node["maximum"] <= bounds.MAX_INT, trail
        if node.get("format") == "date":
            assert node.get("formatMinimum") == bounds.MIN_DATE.isoformat(), trail
        for key, value in node.get("properties", {}).items():
            walk(schema, value, trail + (key,))
        if isinstance(node.get("items"), dict):
            walk(schema, node["items"], trail + (0,))
    for op in BODY_OPS:
        schema = schema_of(op.body)
        walk(schema, schema, (where(op),))


def test_crlf_in_multi_line_text_is_kept_as_lf(w, api, backend):
    status, body = api(w.sec_a).post("/opinions", {"org_id": w.org_a.id, "channel": "meeting",
                                                   "content": "第一行\r\n第二行\r第三行\t。"})
    assert status == 201, body
    assert body["content"] == "第一行\n第二行\n第三行\t。"


def test_nul_in_the_token_request_without_login_is_422(w, api, backend):
    status, body = api().post("/tokens", {"username": "admin\x00", "password": "x"})
    refused(status, body, 422, "username")


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.query], ids=where)
def test_control_characters_in_every_query_parameter_are_422(op, w, api, backend):
    client = caller(op, w, api)
    for name in op.query:
        status, body = client.call(op.method, with_ids(op.rule, 1), {} if op.body else None,
                                   query_string={name: "a\x00b"})
        refused(status, body, 422, name)


def test_control_characters_in_an_undeclared_query_argument_are_422(admin, backend):
    status, body = admin.get("/items", query_string={"whatever": "\x00"})
    refused(status, body, 422, "whatever")


@pytest.mark.parametrize("op", BODY_OPS, ids=where)
def test_an_empty_body_is_refused_where_one_is_required(op, w, api, backend):
    client, before = caller(op, w, api), counts()
    status, body = client.call(op.method, with_ids(op.rule, 1), raw=b"")
    refused(status, body, 400)
    assert counts() == before


# --- finding 10: dates ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [{"from": "0001-01-01", "to": "9999-12-31"}, {"from": "1999-12-31"},
                                  {"to": "2100-01-01"}, {"month": "9999-12"}, {"month": "0001-01"},
                                  {"month": "2026-13"}, {"from": "2026-02-30"}, {"start_day": "29"}])
def test_stats_refuse_dates_out_of_range(args, admin, backend):
    status, body = admin.get("/stats", query_string=args)
    refused(status, body, 422, next(iter(args)))


def test_stats_accept_the_bounds_themselves(admin, backend):
    for args in ({"from": "2000-01-01", "to": "2099-12-31"}, {"month": "2099-12"}, {"month": "2000-01"}):
        status, body = admin.get("/stats", query_string=args)
        assert status == 200, (args, body)


def test_item_deadlines_are_bounded(w, api, backend):
    sec, before = api(w.sec_a), counts()
    latest = bounds.latest_deadline(clock.today())
    for deadline in ("9999-12-31", "2100-01-01", (latest + timedelta(days=1)).isoformat(), "0001-01-01"):
        status, body = sec.post("/items", {"org_id": w.org_a.id, "title": "远期", "owner_id": w.owner_a.id,
                                           "deadline": deadline})
        refused(status, body, 422, "deadline")
    assert counts() == before
    status, body = sec.post("/items", {"org_id": w.org_a.id, "title": "十年", "owner_id": w.owner_a.id,
                                       "deadline": latest.isoformat()})
    assert status == 201, body


def test_a_notice_period_from_year_one_is_422(w, api, backend):
    status, body = api(w.sec_a).post("/notices", {"org_id": w.org_a.id, "kind": "progress",
                                                  "period_start": "0001-01-01", "period_end": "2026-01-31"})
    refused(status, body, 422, "period_start")


def test_calendar_days_are_bounded(admin, backend):
    status, body = admin.put("/calendar/days", {"days": [{"day": "9999-12-31", "is_working": False}]})
    refused(status, body, 422, "days.0.day")
    status, body = admin.get("/calendar/days", query_string={"from": "0001-01-01"})
    refused(status, body, 422, "from")


# --- finding 7: a correction that changes the period ----------------------------------------------

def test_a_correction_may_change_the_period(w, api, backend):
    from tests.notices.support import publish

    today = clock.today()
    start = today.replace(day=1) - timedelta(days=40)
    notice = publish(w.sec_a, w.org_a, "progress", start, start + timedelta(days=6))
    sec = api(w.sec_a)
    new_start, new_end = start + timedelta(days=1), start + timedelta(days=8)
    status, body = sec.post(f"/notices/{notice.id}/corrections",
                            {"period_start": new_start.isoformat(), "period_end": new_end.isoformat()})
    assert status == 201, body
    assert (body["period_start"], body["period_end"]) == (new_start.isoformat(), new_end.isoformat())
    assert body["corrects_id"] == notice.id and body["status"] == "draft"
    status, body = sec.post(f"/notices/{notice.id}/corrections", {"period_end": new_end.isoformat()})
    assert status == 201 and body["period_start"] == start.isoformat(), body
    status, body = sec.post(f"/notices/{notice.id}/corrections", {"period_start": "0001-01-01"})
    refused(status, body, 422, "period_start")
    status, body = sec.post(f"/notices/{notice.id}/corrections",
                            {"period_start": new_end.isoformat(), "period_end": new_start.isoformat()})
    refused(status, body, 422, "period_end")


def test_date_helpers_bounds():
    assert bounds.date_problem(date(2000, 1, 1)) is None and bounds.date_problem(date(2099, 12, 31)) is None
    assert bounds.date_problem(date(1999, 12, 31)) and bounds.date_problem(date(2100, 1, 1))
    assert bounds.latest_deadline(date(2024, 2, 29)) == date(2039, 2, 28)
    assert json.dumps(bounds.LINE_PATTERN)  # the pattern travels in the OpenAPI document
