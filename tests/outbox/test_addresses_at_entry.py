"""Addresses and contacts are checked where they enter (issue 14, finding 2): a user's e-mail (API create
and update, the admin's pages, the command line) is one valid address; an opinion's contact (API, the
entry form, the public objection form, the spreadsheet import) is a phone number or an e-mail address,
never free text. Every refusal is a 422 naming the field, and nothing is saved."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ledger.auth.models import User
from ledger.auth.services import issue_token
from ledger.core import clock
from ledger.core.db import db
from ledger.opinions.models import Opinion
from tests.spreadsheets.sheets import HEADERS, csv_bytes
from tests.web.conftest import Browser

pytestmark = pytest.mark.one_database  # addresses are refused before anything is stored

INJECTED = "a@b.org\r\nBcc: c@d.org"
BAD_EMAILS = [INJECTED, "a@b.org\n", "x@example.org, y@example.org", "<x@example.org>", "x@example", "不是邮箱",
              "x@[1.2.3", "x y@example.org"]
GOOD_EMAILS = [("someone@example.org", "someone@example.org"), ("Zhang@Example.ORG", "Zhang@example.org"),
               ("张三@例子.中国", "张三@例子.中国")]
BAD_CONTACTS = [INJECTED, "13800138000\r\nBcc: c@d.org", "电话 123", "Tel: 13800138000", "请打办公室电话", "12345",
                "x@example", "138001380001234567"]
GOOD_CONTACTS = ["13800138000", "+86 138 0013 8000", "138-0013-8000", "010-12345678", "0755-8888 9999",
                 "(010)12345678", "（010）12345678", "010-12345678转123", "010-12345678-123", "１３８００１３８０００",
                 "400-810-8888", "+1 650 253 0000", "lisi@example.org"]
NEW_PASSWORD = "Long-enough-pass-1"
# the input boundary may refuse a line break in a one-line field before the address is even looked at
LINE_BREAK = ("不能包含换行", "不能包含控制字符")


def _api(client, user, method: str, path: str, body: dict):
    token = issue_token(user, "test")
    db.session.commit()
    response = client.open(f"/api/v1{path}", method=method, json=body, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json(silent=True)


# --- users' e-mail -------------------------------------------------------------------------------------------

def _user_email_via(how: str, app, client, w, email: str) -> tuple[bool, str, User | None]:
    """Set a user's e-mail through one path; answers (refused, what the refusal said, the user after)."""
    if how == "api-create":
        status, body = _api(client, w.admin, "POST", "/users", {"username": "newbie", "password": NEW_PASSWORD,
                                                                  "email": email})
        said = str(body)
        target = "newbie"
    elif how == "api-update":
        status, body = _api(client, w.admin, "PATCH", f"/users/{w.owner_a.id}", {"email": email})
        said, target = str(body), "owner_a"
        if status == 422:
            assert body["error"]["details"]["fields"].keys() == {"email"}
    elif how == "admin-create":
        response = Browser(client, w.admin).post("/admin/users/new", {
            "username": "newbie", "display_name": "新人", "password": NEW_PASSWORD, "email": email, "org_id": "",
            "role": "owner"})
        status, said, target = response.status_code, response.text, "newbie"
    elif how == "admin-edit":
        response = Browser(client, w.admin).post(f"/admin/users/{w.owner_a.id}", {
            "display_name": "owner_a", "email": email, "active": "y"})
        status, said, target = response.status_code, response.text, "owner_a"
    else:
        result = app.test_cli_runner().invoke(args=["ledger", "create-user", "newbie", "--role", "owner", "--org",
                                                    str(w.org_a.id), "--email", email], input=NEW_PASSWORD + "\n")
        status, said, target = (422 if result.exit_code else 201), result.output, "newbie"
    db.session.rollback()
    db.session.expire_all()
    return status == 422, said, db.session.scalar(select(User).where(User.username == target))


USER_PATHS = ["api-create", "api-update", "admin-create", "admin-edit", "cli"]


@pytest.mark.parametrize("email", BAD_EMAILS)
@pytest.mark.parametrize("how", USER_PATHS)
def test_a_users_email_is_one_address(app, client, f, backend, how, email):
    w = f.world()
    refused, said, user = _user_email_via(how, app, client, w, email)
    assert refused and any(reason in said for reason in ("邮箱格式不正确", *LINE_BREAK)), said
    if how in ("api-update", "admin-edit"):
        assert user.email == "owner_a@example.org"  # unchanged
    else:
        assert user is None


@pytest.mark.parametrize("email, stored", GOOD_EMAILS)
@pytest.mark.parametrize("how", USER_PATHS)
def test_a_valid_address_is_kept_normalised(app, client, f, backend, how, email, stored):
    w = f.world()
    refused, said, user = _user_email_via(how, app, client, w, email)
    assert not refused, said
    assert user.email == stored


# --- opinions' contact ---------------------------------------------------------------------------------------

def _closure_notice(f):
    from tests.notices.support import ledger, publish

    w, items = ledger(f)
    today = clock.today()
    return w, items["a_closed"], publish(w.sec_a, w.org_a, "closure", today - timedelta(days=1), today)


def _objection(client, notice, item, contact: str):
    html = client.get(f"/public/notices/{notice.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    challenge = re.search(r'id="challenge" name="challenge" type="hidden" value="([^"]+)"', html).group(1)
    a, b = map(int, re.search(r"请计算 (\d+) \+ (\d+) = \?", html).groups())
    return client.post(f"/public/notices/{notice.id}/objections", data={
        "csrf_token": token, "challenge": challenge, "answer": str(a + b), "item_id": str(item.id),
        "content": "整改不到位", "name": "赵六", "contact": contact})


def _contact_via(how: str, client, f, contact: str) -> tuple[bool, str]:
    """Log one opinion with this contact through one path; answers (refused, what the refusal said)."""
    if how == "objection":
        w, item, notice = _closure_notice(f)
        response = _objection(client, notice, item, contact)
        return response.status_code == 422, response.get_data(as_text=True)
    w = f.world()
    if how == "api":
        status, body = _api(client, w.sec_a, "POST", "/opinions", {
            "org_id": w.org_a.id, "channel": "meeting", "content": "窗口午休无人", "submitter_contact": contact})
        if status == 422:
            assert body["error"]["details"]["fields"].keys() == {"submitter_contact"}
        return status == 422, str(body)
    if how == "form":
        response = Browser(client, w.sec_a).post("/opinions/new", {
            "org_id": w.org_a.id, "channel": "meeting", "kind": "problem", "category": "",
            "content": "窗口午休无人", "submitter_contact": contact})
        return response.status_code == 422, response.text
    rows = [HEADERS, [1, "窗口午休无人", "评议会", "问题", "作风", "张三", contact, "2026-01-05"]]
    token = issue_token(w.sec_a, "test")
    db.session.commit()
    response = client.post("/api/v1/opinions/import", data={
        "org_id": str(w.org_a.id), "file": (io.BytesIO(csv_bytes(rows)), "意见.csv")},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})
    body = response.get_json(silent=True)
    if response.status_code == 422:
        assert [(e["row"], e["column"]) for e in body["error"]["details"]["report"]["errors"]] == [(2, "G")], body
    return response.status_code == 422, str(body)


def _opinions() -> list[Opinion]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(Opinion).order_by(Opinion.id)))


CONTACT_PATHS = ["api", "form", "objection", "import"]


@pytest.mark.parametrize("contact", BAD_CONTACTS)
@pytest.mark.parametrize("how", CONTACT_PATHS)
def test_a_contact_is_a_phone_or_an_address(client, f, backend, how, contact):
    refused, said = _contact_via(how, client, f, contact)
    assert refused and any(reason in said for reason in ("联系方式应为电话号码或电子邮箱", *LINE_BREAK)), said
    assert not [o for o in _opinions() if o.content in ("窗口午休无人", "整改不到位")]


@pytest.mark.parametrize("how, contact", [("api", c) for c in GOOD_CONTACTS]
                         + [(how, c) for how in CONTACT_PATHS[1:] for c in ("（010）12345678", "lisi@example.org")])
def test_phones_and_addresses_are_accepted(client, f, backend, how, contact):
    refused, said = _contact_via(how, client, f, contact)
    assert not refused, said
    (opinion,) = [o for o in _opinions() if o.content in ("窗口午休无人", "整改不到位")]
    assert opinion.submitter_contact == contact


def test_the_public_form_cannot_add_a_recipient(client, f, backend):
    """The report's instance: the objection form's contact typed as an address with a Bcc header."""
    w, item, notice = _closure_notice(f)
    count = db.session.scalar(select(func.count()).select_from(Opinion))
    response = _objection(client, notice, item, INJECTED)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == count
