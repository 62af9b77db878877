"""Issue 14, findings 4, 5 and 10 on the pages: ids in paths, numbers and dates in query strings and forms,
and control characters anywhere in a request answer 404 or 422 — never a 500 — and save nothing."""
from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

import ledger
from ledger.core.db import db
from ledger.opinions.models import Opinion
from ledger.web.forms import LedgerForm, field_problem
from tests.api.support import csrf_from, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_hashing", "isolated_requests")


@pytest.fixture
def w(f):
    return f.world()


@pytest.fixture
def signed_in(client, w):
    assert login(client, w.sec_a.username, PASSWORD).status_code == 302
    return client


def form_classes() -> set[type]:
    for module in pkgutil.walk_packages(ledger.__path__, "ledger."):
        if module.name.endswith(("forms", "views")):
            importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("ledger.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_page_form_is_a_ledger_form(app):
    classes = form_classes()
    assert len(classes) > 20
    assert sorted(c.__qualname__ for c in classes if not issubclass(c, LedgerForm)) == []


@pytest.mark.parametrize("path", ["/items/99999999999999999999", "/items/2147483648", "/opinions/9223372036854775808",
                                  "/reviews/0", "/notices/10000000000000000000.pdf", "/admin/users/2147483648"])
def test_out_of_range_ids_in_page_paths_are_404(signed_in, path, backend):
    assert signed_in.get(path).status_code == 404


def test_out_of_range_ids_in_public_paths_are_404(client, backend):
    assert client.get("/public/notices/100000000000000000000").status_code == 404
    assert client.post("/public/notices/100000000000000000000/objections", data={}).status_code in (400, 404)


@pytest.mark.parametrize("query", [
    {"org_id": "99999999999999999999"}, {"owner_id": "2147483648"}, {"review_id": "9223372036854775808"},
    {"limit": "99999999999999999999"}, {"from": "0001-01-01", "to": "9999-12-31"}, {"month": "9999-12"},
    {"due_before": "9999-12-31"}, {"q": "a\x00b"}, {"status": "\x1b"},
])
@pytest.mark.parametrize("page", ["/items", "/opinions", "/notices", "/dashboard", "/reviews",
                                  "/spreadsheets/items/export"])
def test_lists_and_the_dashboard_refuse_extreme_arguments(signed_in, page, query, backend):
    response = signed_in.get(page, query_string=query)
    assert response.status_code in (404, 422), (page, query, response.status_code)


@pytest.mark.parametrize("page", ["/items", "/opinions", "/notices", "/reviews"])
def test_paged_lists_refuse_cursors_that_are_not_ours(signed_in, page, backend):
    for cursor in ("WzFlOTk5XQ", "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5XQ", "WyJ4Il0"):  # [1e999], [99…9], ["x"]
        assert signed_in.get(page, query_string={"cursor": cursor}).status_code == 422, (page, cursor)


def test_the_dashboard_accepts_the_date_bounds(signed_in, backend):
    response = signed_in.get("/dashboard", query_string={"from": "2000-01-01", "to": "2099-12-31"})
    assert response.status_code == 200


def _opinion_form(client, **over) -> dict:
    page = client.get("/opinions/new")
    return {"csrf_token": csrf_from(page.get_data(as_text=True)), "channel": "meeting", "kind": "problem",
            "content": "窗口排队时间长", **over}


@pytest.mark.parametrize("over", [{"content": "a\x00b"}, {"submitter_name": "张\x07三"},
                                  {"submitter_name": "张三\r\nBcc: x@y.org"}, {"category": "服务\n"},
                                  {"submitter_contact": "a@b.org\r\nBcc: c@d.org"},
                                  {"received_on": "9999-12-31"}, {"received_on": "0001-01-01"},
                                  {"review_id": "99999999999999999999"}])
def test_a_form_with_a_bad_value_saves_nothing(signed_in, w, over, backend):
    before = db.session.scalar(select(func.count()).select_from(Opinion))
    data = _opinion_form(signed_in, org_id=str(w.org_a.id), **over)
    response = signed_in.post("/opinions/new", data=data)
    assert response.status_code in (200, 422), response.status_code  # the form again, or the error page
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == before


def test_the_same_form_with_good_values_saves(signed_in, w, backend):
    before = db.session.scalar(select(func.count()).select_from(Opinion))
    data = _opinion_form(signed_in, org_id=str(w.org_a.id), content="第一行\r\n第二行\t。")
    assert signed_in.post("/opinions/new", data=data).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == before + 1


@pytest.mark.parametrize("username", ["admin\x00", "ad\x1bmin", "a" * 10 + "\x7f"])
def test_the_login_form_refuses_control_characters(client, w, username, backend):
    from flask import g

    g.pop("csrf_token", None)
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code in (200, 422)
    assert "Location" not in response.headers


def test_field_problem_reads_each_kind_of_field(app):
    from wtforms import DateField, IntegerField, StringField, TextAreaField

    class Probe(LedgerForm):
        line = StringField()
        text = TextAreaField()
        number = IntegerField()
        day = DateField()
        deadline = DateField()

    with app.test_request_context(method="POST", data={
            "line": "a\nb", "text": "a\nb", "number": "2147483648", "day": "1999-12-31", "deadline": "2098-01-01"}):
        form = Probe(meta={"csrf": False})
        problems = {field.short_name: field_problem(field) for field in form}
        assert problems["line"] and not problems["text"]
        assert problems["number"] and problems["day"] and problems["deadline"]
        assert not form.validate() and form.line.errors and form.deadline.errors
