"""The web pages: upload → map headers → dry run → confirm; ledger preview → confirm; downloads."""
from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import func, select

from ledger.core.db import db
from ledger.items.models import Event
from ledger.opinions.models import Opinion
from tests.factories import PASSWORD
from tests.spreadsheets.sheets import good_rows, xlsx


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def login(client, username: str) -> str:
    from flask import g

    g.pop("csrf_token", None)  # the test's app context outlives requests: Flask-WTF caches its token in g
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": _token(page)})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return _token(client.get("/spreadsheets/").get_data(as_text=True))


def count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Opinion.id)))


def test_import_with_header_mapping_then_confirm(f, client):
    w = f.world()
    csrf = login(client, "sec_a")
    page = client.get("/spreadsheets/").get_data(as_text=True)
    assert "导入意见建议" in page and "甲支部" in page and "乙支部" not in page.split("导出台账")[0]
    data = xlsx([["群众心声", "渠道", "备用"], ["路灯不亮", "热线", "x"], ["井盖缺失", "热线", "y"]])
    response = client.post("/spreadsheets/opinions/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "org_id": w.org_a.id, "file": (io.BytesIO(data), "意见.xlsx")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "对应表头" in html and "群众心声" in html
    action = re.search(r'action="(/spreadsheets/opinions/import/[^"]+)"', html).group(1)
    response = client.post(action, data={"csrf_token": csrf, "org_id": w.org_a.id, "step": "check",
                                         "map:群众心声": "content", "map:备用": "_skip"})
    html = response.get_data(as_text=True)
    assert "全部 2 行检查通过" in html and count() == 0
    response = client.post(action, data={"csrf_token": csrf, "org_id": w.org_a.id, "step": "confirm",
                                         "map:群众心声": "content", "map:备用": "_skip"})
    assert response.status_code == 200 and "已导入 2 条" in response.get_data(as_text=True)
    assert count() == 2
    response = client.post(action, data={"csrf_token": csrf, "org_id": w.org_a.id, "step": "confirm"})
    assert response.status_code == 404 and "过期" in response.get_data(as_text=True)  # the upload is gone


def test_bad_rows_are_listed_and_nothing_is_saved(f, client):
    w = f.world()
    csrf = login(client, "sec_a")
    rows = good_rows() + [[9, "", "飞鸽", "问题", "", "", "", "2026-02-30"]]
    response = client.post("/spreadsheets/opinions/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "org_id": w.org_a.id, "file": (io.BytesIO(xlsx(rows)), "意见.xlsx")})
    html = response.get_data(as_text=True)
    assert "共 4 行数据，3 行无误" in html and "<td>5</td>" in html and "飞鸽" in html and "确认导入" not in html
    assert count() == 0
    response = client.post("/spreadsheets/opinions/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "org_id": w.org_b.id, "file": (io.BytesIO(xlsx(good_rows())), "意见.xlsx")})
    assert response.status_code == 404 and count() == 0


def test_another_user_cannot_use_my_upload(f, client, app):
    w = f.world()
    csrf = login(client, "sec_a")
    response = client.post("/spreadsheets/opinions/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "org_id": w.org_a.id, "file": (io.BytesIO(xlsx(good_rows())), "意见.xlsx")})
    action = re.search(r'action="(/spreadsheets/opinions/import/[^"]+)"', response.get_data(as_text=True)).group(1)
    other = app.test_client()
    csrf_b = login(other, "sec_b")
    response = other.post(action, data={"csrf_token": csrf_b, "org_id": w.org_a.id, "step": "confirm"})
    assert response.status_code == 404 and count() == 0


def test_ledger_download_preview_and_confirm(f, client):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    csrf = login(client, "owner_a")
    page = client.get("/spreadsheets/").get_data(as_text=True)
    assert "导入意见建议" not in page and "导出台账" in page
    response = client.get("/spreadsheets/items/export?format=xlsx&status=in_progress")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert sheet.cell(3, 2).value == item.code
    sheet.cell(3, 10).value = "网页导入的进展"
    out = io.BytesIO()
    workbook.save(out)
    response = client.post("/spreadsheets/items/import", content_type="multipart/form-data", data={
        "csrf_token": csrf, "file": (io.BytesIO(out.getvalue()), "台账.xlsx")})
    html = response.get_data(as_text=True)
    assert "预览修改" in html and "将执行" in html and "网页导入的进展" in html
    db.session.rollback()
    assert db.session.scalar(select(func.count(Event.id)).where(Event.action == "progress")) == 0
    action = re.search(r'action="(/spreadsheets/items/import/[^"]+)"', html).group(1)
    html = client.post(action, data={"csrf_token": csrf}).get_data(as_text=True)
    assert "已执行" in html
    db.session.rollback()
    assert db.session.scalar(select(Event.comment).where(Event.action == "progress")) == "网页导入的进展"
    assert client.get("/spreadsheets/items/export?format=doc").status_code == 422
    assert client.get("/spreadsheets/opinions/template.xlsx").data.startswith(b"PK")
