"""Round trips: opinions out and back in; the ledger out, edited, and back in through the lifecycle."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from sqlalchemy import func, select

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Event, Extension, Item
from ledger.opinions.models import Opinion
from tests.spreadsheets.sheets import xlsx


def test_opinions_export_then_import_gives_the_same_content(f, fetch, upload, backend):
    w = f.world()
    f.opinion(w.sec_a, w.org_a, content="第一条\n两行", channel="hotline", kind="suggestion", category="服务",
              submitter_name="甲", submitter_contact="13900000000")
    f.opinion(w.sec_a, w.org_a, content="=1+1 不是公式", channel="letter", anonymous=True)
    before = [(o.content, o.channel, o.kind, o.category, o.submitter_name, o.submitter_contact, o.anonymous,
               o.received_on) for o in db.session.scalars(select(Opinion).order_by(Opinion.id))]
    for fmt, name in (("xlsx", "out.xlsx"), ("csv", "out.csv")):
        data = fetch(w.sec_a, f"/opinions/export?format={fmt}&org_id={w.org_a.id}").data
        status, body = upload(w.sec_b, "/opinions/import", data, filename=name, org_id=w.org_b.id)
        assert status == 201, body
        copies = db.session.scalars(select(Opinion).where(Opinion.id.in_(body["opinion_ids"]))
                                    .order_by(Opinion.id)).all()
        after = [(o.content, o.channel, o.kind, o.category, o.submitter_name, o.submitter_contact, o.anonymous,
                  o.received_on) for o in copies]
        assert after == before, fmt


def _export(fetch, user) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(fetch(user, "/items/export?format=xlsx").data))


def _save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _row_of(sheet, code: str) -> int:
    return next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 2).value == code)


def test_ledger_round_trip_applies_allowed_changes_and_reports_refused_ones(f, fetch, upload, backend):
    w = f.world()
    pending = f.item(w.sec_a, w.org_a, w.owner_a, title="待认领")
    working = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress", title="整改中")
    untouched = f.item(w.sec_a, w.org_a, w.owner_a2, title="不动")
    closed = f.item(w.sec_a, w.org_a, w.owner_a2, status="closed", title="已销号")
    workbook = _export(fetch, w.sec_a)
    sheet = workbook.active
    later = clock.today() + timedelta(days=40)
    r = _row_of(sheet, pending.code)
    sheet.cell(r, 5).value = "新的整改措施"
    sheet.cell(r, 9).value = later
    r = _row_of(sheet, working.code)
    sheet.cell(r, 10).value = "已完成排班"
    sheet.cell(r, 11).value = 60
    sheet.cell(r, 9).value = later  # a secretary cannot move a claimed item's deadline
    r = _row_of(sheet, closed.code)
    sheet.cell(r, 10).value = "办结后又写进展"
    data = _save(workbook)

    versions = {i.id: i.version for i in db.session.scalars(select(Item))}
    events = db.session.scalar(select(func.count(Event.id)))
    status, body = upload(w.sec_a, "/items/import", data, dry_run="true")
    assert status == 200, body
    statuses = {(c["code"], c["action"]): c["status"] for c in body["changes"]}
    assert statuses == {(pending.code, "edit"): "would_apply", (working.code, "request_extension"): "refused",
                        (working.code, "progress"): "would_apply", (closed.code, "progress"): "refused"}
    assert body["unchanged"] == 1
    db.session.rollback()
    assert {i.id: i.version for i in db.session.scalars(select(Item))} == versions
    assert db.session.scalar(select(func.count(Event.id))) == events

    status, body = upload(w.sec_a, "/items/import", data)
    assert status == 200, body
    refused = {c["code"]: c["message"] for c in body["changes"] if c["status"] == "refused"}
    assert "申请延期" in refused[working.code] and "已销号" in refused[closed.code]
    db.session.rollback()
    pending, working = db.session.get(Item, pending.id), db.session.get(Item, working.id)
    assert pending.measures == "新的整改措施" and pending.deadline == later
    assert working.progress_percent == 60 and working.deadline != later
    note = db.session.scalar(select(Event.comment).where(Event.item_id == working.id, Event.action == "progress"))
    assert note == "已完成排班"
    assert db.session.get(Item, untouched.id).version == versions[untouched.id]


def test_owner_moves_a_deadline_by_asking_for_an_extension(f, fetch, upload):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    workbook = _export(fetch, w.owner_a)
    sheet = workbook.active
    r = _row_of(sheet, item.code)
    later = clock.today() + timedelta(days=60)
    sheet.cell(r, 9).value = later
    sheet.cell(r, 5).value = "责任人改的措施"  # only a secretary edits measures
    status, body = upload(w.owner_a, "/items/import", _save(workbook))
    assert status == 200, body
    by_action = {c["action"]: c for c in body["changes"]}
    assert by_action["request_extension"]["status"] == "applied"
    assert by_action["edit"]["status"] == "refused" and "无权" in by_action["edit"]["message"]
    db.session.rollback()
    extension = db.session.scalars(select(Extension)).one()
    assert extension.new_deadline == later and extension.status == "pending"


def test_rows_of_unknown_or_foreign_items_and_bad_cells(f, upload):
    w = f.world()
    mine = f.item(w.sec_a, w.org_a, w.owner_a, status="claimed")
    theirs = f.item(w.sec_b, w.org_b, w.owner_b)
    rows = [["事项编号", "整改措施", "整改时限", "整改进展", "进度（%）"],
            ["ZG-1999-9999", "x", None, None, None],
            [theirs.code, "改别人的", None, None, None],
            [mine.code, None, "2026-13-01", None, None],
            [mine.code, None, None, None, "很多"],
            ["", "没有编号", None, None, None]]
    status, body = upload(w.sec_a, "/items/import", xlsx(rows), dry_run="1")
    assert status == 200, body
    by_row = {e["row"]: e["message"] for e in body["errors"]}
    assert "不存在或不在您的权限范围内" in by_row[2] and "不存在或不在您的权限范围内" in by_row[3]
    assert "改别人的" not in str(body)
    assert "不是有效日期" in by_row[4] and "重复" in by_row[5] and "为空" in by_row[6]
    status, body = upload(w.sec_a, "/items/import", xlsx([["标题"], ["x"]]))
    assert status == 422 and "事项编号" in body["error"]["message"]


def test_cli_export_and_import_ledger(f, app, tmp_path):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    f.item(w.sec_b, w.org_b, w.owner_b)
    runner = app.test_cli_runner()
    path = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["ledger", "export-ledger", str(path), "--org", str(w.org_a.id)])
    assert result.exit_code == 0 and "exported 1 items" in result.output, result.output
    result = runner.invoke(args=["ledger", "export-ledger", str(tmp_path / "all.csv")])
    assert result.exit_code == 0 and "exported 2 items" in result.output, result.output
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    sheet.cell(_row_of(sheet, item.code), 10).value = "命令行写的进展"
    workbook.save(path)
    result = runner.invoke(args=["ledger", "import-ledger", str(path), "--as", "owner_a", "--dry-run"])
    assert result.exit_code == 0 and "将更新" in result.output, result.output
    result = runner.invoke(args=["ledger", "import-ledger", str(path), "--as", "owner_a"])
    assert result.exit_code == 0 and "1 项更改已应用" in result.output, result.output
    db.session.rollback()
    assert db.session.scalar(select(Event.comment).where(Event.item_id == item.id, Event.action == "progress")) \
        == "命令行写的进展"
    result = runner.invoke(args=["ledger", "export-opinions", str(tmp_path / "o.xlsx")])
    assert result.exit_code == 0, result.output
