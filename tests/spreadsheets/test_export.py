"""Ledger and opinion exports: layout, dates, merged opinions, overdue colour, formula injection, scope."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import openpyxl

from ledger.core import clock
from ledger.core.db import db
from ledger.opinions.services import triage
from ledger.spreadsheets.export import LEDGER_COLUMNS, OPINION_COLUMNS
from tests.spreadsheets.sheets import read_xlsx

DANGEROUS = ("=", "+", "-", "@")


def test_ledger_xlsx_layout(f, fetch, backend):
    w = f.world()
    o1 = f.opinion(w.sec_a, w.org_a, content="窗口中午无人", channel="hotline")
    o2 = f.opinion(w.sec_a, w.org_a, content="午间办不了事")
    item = f.item(w.sec_a, w.org_a, w.owner_a, title="午间服务", opinion_ids=[o1.id, o2.id], leader_id=w.sec_a.id)
    f.item(w.sec_a, w.org_a, w.owner_a2, status="closed", title="已办结")
    f.item(w.sec_b, w.org_b, w.owner_b, title="乙支部的事")
    response = fetch(w.sec_a, "/items/export?format=xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = read_xlsx(response.data)
    assert "整改事项台账" in rows[0][0]
    assert list(rows[1]) == [name for name, _ in LEDGER_COLUMNS]
    data = rows[2:]
    assert len(data) == 2 and all("乙支部" not in str(r) for r in data)
    first = next(r for r in data if r[1] == item.code)
    assert first[2] == "1. [热线] 窗口中午无人\n2. [评议会] 午间办不了事"  # linked opinions in one cell
    assert first[3] == "午间服务" and first[4] == "整改措施" and first[5] == "sec_a" and first[6] == "甲支部"
    assert first[7] == "owner_a" and isinstance(first[8], datetime) and first[8].date() == item.deadline
    closed = next(r for r in data if r[3] == "已办结")
    assert isinstance(closed[12], datetime) and closed[13] == "已销号" and closed[10] == 100
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert "A1:P1" in {str(r) for r in sheet.merged_cells.ranges}
    rules = [rule for cf in sheet.conditional_formatting for rule in cf.rules]
    assert rules and "TODAY()" in rules[0].formula[0]


def test_overdue_days_and_filters_are_those_of_the_list(f, fetch):
    w = f.world()
    late = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress", days=2, title="要超期的")
    f.item(w.sec_a, w.org_a, w.owner_a, days=30, title="不超期的")
    clock.set_global(datetime.now(UTC) + timedelta(days=6))
    try:
        response = fetch(w.sec_a, "/items/export?format=xlsx&overdue=true")
    finally:
        clock.set_global(None)
    data = read_xlsx(response.data)[2:]
    assert [r[1] for r in data] == [late.code]
    assert data[0][14] in (3, 4, 5) and data[0][13] == "整改中"


def test_formula_injection_is_escaped_in_xlsx_and_csv(f, fetch):
    w = f.world()
    evil = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
    opinions = [f.opinion(w.sec_a, w.org_a, content=text, submitter_name="=cmd") for text in evil]
    f.item(w.sec_a, w.org_a, w.owner_a, title="=1+2", measures="@risky", opinion_ids=[opinions[0].id],
           description="-desc")
    for path in ("/items/export?format=xlsx", "/opinions/export?format=xlsx"):
        response = fetch(w.sec_a, path)
        workbook = openpyxl.load_workbook(io.BytesIO(response.data))
        for row in workbook.active.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(DANGEROUS), (path, cell.value)
        texts = [c for r in read_xlsx(response.data) for c in r if isinstance(c, str)]
        assert any(t.startswith("'=") for t in texts)
    for path in ("/items/export?format=csv", "/opinions/export?format=csv"):
        body = fetch(w.sec_a, path).data.decode("utf-8-sig")
        import csv

        for row in csv.reader(io.StringIO(body)):
            for value in row:
                assert not value.startswith(DANGEROUS), (path, value)
        assert "'+1+1" in body or path.startswith("/items")
    assert "'=1+2" in fetch(w.sec_a, "/items/export?format=csv").data.decode("utf-8-sig")


def test_csv_export_is_utf8_with_bom_and_filtered(f, fetch):
    w = f.world()
    f.item(w.sec_a, w.org_a, w.owner_a, title="进行中的")
    f.item(w.sec_a, w.org_a, w.owner_a, status="closed", title="办结的")
    response = fetch(w.sec_a, "/items/export?format=csv&status=closed")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").strip().split("\r\n")
    assert lines[0].split(",")[:3] == ["序号", "事项编号", "问题来源"]
    assert len(lines) == 2 and "办结的" in lines[1]
    assert fetch(w.sec_a, "/items/export?format=pdf").status_code == 422


def test_scope_another_organisations_items_are_never_exported(f, fetch):
    w = f.world()
    mine = f.item(w.sec_a, w.org_a, w.owner_a, title="甲的")
    theirs = f.item(w.sec_b, w.org_b, w.owner_b, title="乙的")
    codes = lambda user, q="": {r[1] for r in read_xlsx(fetch(user, f"/items/export{q}").data)[2:]}  # noqa: E731
    assert codes(w.sec_a) == {mine.code}
    assert codes(w.sec_b) == {theirs.code}
    assert codes(w.sec_b, f"?org_id={w.org_a.id}") == set()
    assert codes(w.owner_a) == {mine.code} and codes(w.owner_b) == {theirs.code}
    assert codes(w.sup_root) == {mine.code, theirs.code}
    assert codes(w.sup_a) == {mine.code}
    response = fetch(w.sec_b, "/opinions/export")
    assert response.status_code == 200
    f.opinion(w.sec_a, w.org_a, content="甲支部的意见")
    assert "甲支部的意见" not in str(read_xlsx(fetch(w.sec_b, "/opinions/export").data))
    assert "甲支部的意见" in str(read_xlsx(fetch(w.sec_a, "/opinions/export").data))


def test_opinions_export_is_the_three_to_record(f, fetch, backend):
    w = f.world()
    answered = f.opinion(w.sec_a, w.org_a, content="停车难", submitter_name="王五",
                         submitter_contact="w@example.org", received_on=date(2026, 1, 3))
    triage(w.sec_a, answered.id, "answer", reply="已协调车位")
    db.session.commit()
    linked = f.opinion(w.sec_a, w.org_a, content="窗口无人", anonymous=True, submitter_name="不该出现")
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="closed", title="窗口值守", opinion_ids=[linked.id])
    rows = read_xlsx(fetch(w.sec_a, "/opinions/export?format=xlsx").data)
    assert "三到" in rows[0][0] and list(rows[1]) == [name for name, _ in OPINION_COLUMNS]
    by_content = {r[6]: r for r in rows[2:]}
    a, b = by_content["停车难"], by_content["窗口无人"]
    assert a[7] == "王五" and a[8] == "w@example.org" and a[12] == "已答复" and a[15] == "已协调车位"
    assert isinstance(a[2], datetime) and a[2].date() == date(2026, 1, 3) and isinstance(a[16], datetime)
    assert b[7] is None and b[9] == "是" and b[12] == "已采纳" and b[13] == f"{item.code} 窗口值守"
    assert b[14] == "已销号" and "整改完成" in b[15]
