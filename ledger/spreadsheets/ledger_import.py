"""Re-import an edited ledger: rows matched by 事项编号; each change goes through ``apply_action``.

Measures (and, while an item is still pending, its deadline) change with ``edit``; a later deadline on a
claimed item becomes a ``request_extension``; a new progress note or percent becomes ``progress``.
Each change runs in its own savepoint, so a refused one is reported for its row and changes nothing;
a dry run makes the same attempts and rolls them all back.
"""
from __future__ import annotations

from datetime import date
from typing import BinaryIO

from sqlalchemy import select

from ledger.auth.models import User
from ledger.auth.scope import can_read_item
from ledger.core import bounds, clock
from ledger.core.db import db
from ledger.core.enums import ItemKind
from ledger.core.errors import Invalid, LedgerError
from ledger.items.models import Event, Item
from ledger.items.services import apply_action
from ledger.spreadsheets import values
from ledger.spreadsheets.headers import LEDGER_HEADERS, match_headers
from ledger.spreadsheets.reading import read_table, spool
from ledger.spreadsheets.report import Change, ImportReport, RowError

DEFAULT_REASON = "通过台账表格申请延期"
FIELD_TITLES = {"measures": "整改措施", "deadline": "整改时限", "note": "整改进展", "percent": "进度（%）"}


def _find_header(table) -> int:
    for index, (_, cells) in enumerate(table.rows[:10]):
        mapping, _ = match_headers(cells, LEDGER_HEADERS)
        if "code" in mapping.values():
            return index
    raise Invalid({"file": "找不到“事项编号”列：请使用从本系统导出的台账修改后再导入"})


def import_ledger(actor: User, source: BinaryIO, *, dry_run: bool = False) -> ImportReport:
    """Apply the edits in a re-imported ledger; every accepted change is journalled like any other."""
    with spool(source) as spooled:
        table = read_table(spooled, header_rows=2)
    header_index = _find_header(table)
    header_number, header_cells = table.rows[header_index]
    columns, _ = match_headers(header_cells, LEDGER_HEADERS)
    report = ImportReport(dry_run=dry_run)
    for problem in table.problems:
        if problem.row > header_number:
            report.errors.append(RowError(problem.row, problem.message, problem.column))
    for first, last, ref in table.merged:
        if last > header_number:
            report.errors.append(RowError(max(first, header_number + 1), f"合并单元格 {ref}：请取消合并后再导入"))
    skip = {e.row for e in report.errors}
    seen: set[str] = set()
    outer = db.session.begin_nested() if dry_run else None
    try:
        for number, cells in table.rows[header_index + 1:]:
            report.rows += 1
            if number in skip:
                continue
            raw = {field: (cells[i] if i < len(cells) else None) for i, field in columns.items()}
            code = values.text(raw.get("code"))
            if not code:
                report.errors.append(RowError(number, "事项编号为空", header="事项编号", field="code"))
                continue
            if code in seen:
                report.errors.append(RowError(number, f"事项编号 {code} 在文件中重复出现", header="事项编号"))
                continue
            seen.add(code)
            _row(actor, number, code, raw, report)
    finally:
        if outer is not None:
            outer.rollback()
    if dry_run:
        for change in report.changes:
            if change.status == "applied":
                change.status = "would_apply"
    return report


def _row(actor: User, number: int, code: str, raw: dict, report: ImportReport) -> None:
    item = db.session.scalar(select(Item).where(Item.code == code))
    if item is None or not can_read_item(actor, item):
        report.errors.append(RowError(number, f"事项 {code} 不存在或不在您的权限范围内", header="事项编号"))
        return
    try:
        wanted = _wanted(raw)
    except ValueError as exc:
        report.errors.append(RowError(number, str(exc)))
        return
    changes = _changes(number, item, wanted)
    if not changes:
        report.unchanged += 1
        return
    for change, action, data in changes:
        report.changes.append(change)
        try:
            with db.session.begin_nested():
                apply_action(actor, item.id, action, item.version, **data)
            change.status = "applied"
        except LedgerError as exc:
            change.status, change.message = "refused", _reason(exc)
            db.session.refresh(item)


def _reason(exc: LedgerError) -> str:
    fields = getattr(exc, "fields", None)
    if fields:
        return "；".join(fields.values())
    return exc.message


def _wanted(raw: dict) -> dict:
    wanted: dict = {}
    measures = values.text(raw.get("measures"))
    if measures:
        wanted["measures"] = measures
    deadline = raw.get("deadline")
    if values.text(deadline) and values.text(deadline) != ItemKind.long_term.title:
        try:
            wanted["deadline"] = values.parse_date(deadline)
        except ValueError:
            raise ValueError(f"整改时限“{values.text(deadline)[:20]}”不是有效日期") from None
        problem = bounds.deadline_problem(wanted["deadline"], clock.today())
        if problem:
            raise ValueError(f"整改时限：{problem}")
    note = values.text(raw.get("note"))
    if note:
        wanted["note"] = note
    try:
        percent = values.parse_percent(raw.get("percent"))
    except ValueError:
        raise ValueError(f"进度“{values.text(raw.get('percent'))[:10]}”不是 0–100 的数字") from None
    if percent is not None:
        wanted["percent"] = percent
    wanted["reason"] = values.text(raw.get("reason")) or DEFAULT_REASON
    return wanted


def _latest_note(item_id: int) -> str:
    return db.session.scalar(select(Event.comment).where(Event.item_id == item_id, Event.action == "progress")
                             .order_by(Event.id.desc()).limit(1)) or ""


def _changes(number: int, item: Item, wanted: dict) -> list[tuple[Change, str, dict]]:
    """What differs from the item as it is now, as (change, action, data) in the order they are tried."""
    out = []

    def change(field: str, old, new, action: str) -> Change:
        return Change(number, item.code, action, FIELD_TITLES[field], old, new)

    measures = wanted.get("measures")
    if measures is not None and measures != (item.measures or "").replace("\r\n", "\n").strip():
        out.append((change("measures", item.measures, measures, "edit"), "edit", {"measures": measures}))
    deadline: date | None = wanted.get("deadline")
    if deadline is not None and deadline != item.deadline:
        if item.status == "pending":
            out.append((change("deadline", item.deadline, deadline, "edit"), "edit", {"deadline": deadline}))
        else:
            out.append((change("deadline", item.deadline, deadline, "request_extension"), "request_extension",
                        {"new_deadline": deadline, "reason": wanted["reason"]}))
    note, percent = wanted.get("note"), wanted.get("percent")
    new_note = note is not None and note != _latest_note(item.id)
    new_percent = percent is not None and percent != item.progress_percent
    if new_note or new_percent:
        text = note if new_note else f"进度更新为 {percent}%"
        data = {"note": text} | ({"percent": percent} if new_percent else {})
        field, old, new = ("note", _latest_note(item.id), text) if new_note else ("percent", item.progress_percent,
                                                                                  percent)
        out.append((change(field, old, new, "progress"), "progress", data))
        if new_note and new_percent:
            out[-1][0].new = f"{text}（进度 {percent}%）"
    return out
