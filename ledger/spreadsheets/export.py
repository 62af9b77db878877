"""Export the ledger (台账) and the opinions' 三到 record as .xlsx (write-only, page by page) or CSV.

Items are read through ``ledger.items.queries.list_items`` in keyset pages, so scope and filters are
exactly those of the ledger list and memory does not grow with the number of items. Every text cell
goes through ``values.escape``: nothing we write starts a formula.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import CancelReason, Channel, ItemKind, ItemStatus, OpinionKind, OpinionStatus
from ledger.core.errors import Invalid
from ledger.items.models import Event, Item
from ledger.items.queries import list_items
from ledger.opinions.models import Opinion
from ledger.opinions.services import opinions_query
from ledger.orgs.models import Organisation
from ledger.reviews.models import Review
from ledger.spreadsheets.values import escape

PAGE = 500
LEDGER_COLUMNS = [  # (header, width); 事项编号 is what a re-import matches rows by
    ("序号", 6), ("事项编号", 14), ("问题来源", 36), ("问题描述", 36), ("整改措施", 36), ("责任领导", 10),
    ("责任部门", 14), ("责任人", 10), ("整改时限", 12), ("整改进展", 30), ("进度（%）", 8), ("完成情况", 30),
    ("销号时间", 12), ("状态", 9), ("超期天数", 8), ("备注", 24)]
OPINION_COLUMNS = [
    ("序号", 6), ("意见编号", 9), ("收到日期", 12), ("渠道", 10), ("类型", 6), ("类别", 10), ("意见内容", 40),
    ("提出人", 10), ("联系方式", 16), ("是否匿名", 6), ("所属组织", 14), ("评议活动", 20), ("梳理结果", 10),
    ("去向", 30), ("事项状态", 10), ("答复内容", 36), ("反馈时间", 17)]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def system_reader() -> User:
    """The command line reads as the system: an administrator that is never saved."""
    return User(id=None, username="system", display_name="系统", is_admin=True, active=True)


def _local(moment: datetime | None, tz: str) -> datetime | None:
    if moment is None:
        return None
    return clock.as_utc(moment).astimezone(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


# --- the ledger ---------------------------------------------------------------------------------

def iter_items(actor: User, filters: dict, sort: str = "created") -> Iterator[tuple[Item, str | None]]:
    """Every item the actor may see under ``filters``, with its latest progress note, page by page."""
    cursor = None
    while True:
        page = list_items(actor, filters, PAGE, cursor, sort)
        notes = _latest_notes([item.id for item in page.rows])
        for item in page.rows:
            yield item, notes.get(item.id)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _latest_notes(item_ids: list[int]) -> dict[int, str]:
    if not item_ids:
        return {}
    latest = (select(func.max(Event.id)).where(Event.item_id.in_(item_ids), Event.action == "progress")
              .group_by(Event.item_id))
    return dict(db.session.execute(select(Event.item_id, Event.comment).where(Event.id.in_(latest))).all())


def ledger_row(number: int, item: Item, note: str | None) -> list:
    tz = item.org.timezone if item.org else "Asia/Shanghai"
    sources = "\n".join(f"{i}. [{Channel(o.channel).title}] {o.content}" for i, o in enumerate(item.opinions, 1))
    description = item.title + (f"\n{item.description}" if item.description else "")
    remarks = [ItemKind(item.kind).title]
    if item.flagged:
        remarks.append("挂牌督办")
    if item.deadline and item.original_deadline and item.deadline != item.original_deadline:
        remarks.append(f"原时限 {item.original_deadline.isoformat()}")
    if item.round > 1:
        remarks.append(f"第 {item.round} 轮整改（回炉）")
    if item.cancel_reason:
        remarks.append(f"撤销原因：{CancelReason(item.cancel_reason).title}")
    deadline = item.deadline or (ItemKind.long_term.title if item.kind == ItemKind.long_term.value else None)
    closed = _local(item.closed_at, tz)
    return [number, item.code, sources, description, item.measures, item.leader.name if item.leader else "",
            item.org.name if item.org else "", item.owner.name if item.owner else "", deadline, note or "",
            item.progress_percent, item.completion_note or "", closed.date() if closed else None,
            ItemStatus(item.status).title, item.overdue_days or None, "；".join(remarks)]


def ledger_title(actor: User, filters: dict) -> str:
    org = db.session.get(Organisation, filters["org_id"]) if filters.get("org_id") else None
    today = clock.today(current_app.config["LEDGER_TIMEZONE"])
    return f"{org.name if org else ''}整改事项台账（截至 {today.year} 年 {today.month} 月 {today.day} 日）"


def write_ledger_xlsx(actor: User, filters: dict, out: IO[bytes], sort: str = "created") -> int:
    """Write the ledger workbook to ``out``; answers the number of items."""
    rows = (ledger_row(n, item, note) for n, (item, note) in enumerate(iter_items(actor, filters, sort), 1))
    return _write_xlsx(out, "整改台账", ledger_title(actor, filters), LEDGER_COLUMNS, rows,
                       wrap=(2, 3, 4, 9, 11, 15), overdue_rule=True)


def iter_ledger_csv(actor: User, filters: dict, sort: str = "created") -> Iterator[str]:
    rows = (ledger_row(n, item, note) for n, (item, note) in enumerate(iter_items(actor, filters, sort), 1))
    return _iter_csv(LEDGER_COLUMNS, rows)


# --- the opinions' 三到 record -------------------------------------------------------------------

def iter_opinions(actor: User, filters: dict) -> Iterator[tuple[Opinion, dict]]:
    """Opinions in the actor's scope (oldest first) with where each went: item, review, organisation."""
    query = opinions_query(actor)
    if filters.get("org_id") is not None:
        org = db.session.get(Organisation, filters["org_id"])
        subtree = select(Organisation.id).where(Organisation.path.like(f"{org.path if org else '-'}%"))
        query = query.where(Opinion.org_id.in_(subtree.scalar_subquery()))
    if filters.get("status") and filters["status"] not in OpinionStatus.values():
        raise Invalid({"status": "状态必须是：" + "、".join(OpinionStatus.values())})
    for name in ("status", "review_id"):
        if filters.get(name) not in (None, ""):
            query = query.where(getattr(Opinion, name) == filters[name])
    orgs: dict[int, Organisation] = {}
    last = 0
    while True:
        page = list(db.session.scalars(query.where(Opinion.id > last).order_by(Opinion.id).limit(PAGE)))
        if not page:
            return
        items = _by_id(Item, {o.item_id for o in page if o.item_id}, Item.code, Item.title, Item.status)
        reviews = _by_id(Review, {o.review_id for o in page if o.review_id}, Review.title)
        for opinion in page:
            if opinion.org_id not in orgs:
                orgs[opinion.org_id] = db.session.get(Organisation, opinion.org_id)
            yield opinion, {"item": items.get(opinion.item_id), "review": reviews.get(opinion.review_id),
                            "org": orgs[opinion.org_id]}
        last = page[-1].id


def _by_id(model, ids: set[int], *columns) -> dict:
    if not ids:
        return {}
    return {row[0]: row[1:] for row in db.session.execute(select(model.id, *columns).where(model.id.in_(ids)))}


def opinion_row(number: int, opinion: Opinion, extra: dict) -> list:
    org = extra["org"]
    item, review = extra["item"], extra["review"]
    going = f"{item[0]} {item[1]}" if item else ""
    return [number, opinion.id, opinion.received_on, Channel(opinion.channel).title,
            OpinionKind(opinion.kind).title, opinion.category or "", opinion.content,
            "" if opinion.anonymous else (opinion.submitter_name or ""), opinion.submitter_contact or "",
            "是" if opinion.anonymous else "否", org.name if org else "", review[0] if review else "",
            OpinionStatus(opinion.status).title, going, ItemStatus(item[2]).title if item else "",
            opinion.reply or "", _local(opinion.feedback_at, org.timezone if org else "Asia/Shanghai")]


def write_opinions_xlsx(actor: User, filters: dict, out: IO[bytes]) -> int:
    rows = (opinion_row(n, o, extra) for n, (o, extra) in enumerate(iter_opinions(actor, filters), 1))
    today = clock.today(current_app.config["LEDGER_TIMEZONE"])
    return _write_xlsx(out, "意见建议", f"征求意见梳理及反馈情况（三到记录，截至 {today.isoformat()}）",
                       OPINION_COLUMNS, rows, wrap=(6, 13, 15))


def iter_opinions_csv(actor: User, filters: dict) -> Iterator[str]:
    rows = (opinion_row(n, o, extra) for n, (o, extra) in enumerate(iter_opinions(actor, filters), 1))
    return _iter_csv(OPINION_COLUMNS, rows)


# --- writers ------------------------------------------------------------------------------------

def _write_xlsx(out: IO[bytes], sheet_title: str, title: str, columns: list[tuple[str, int]],
                rows: Iterable[list], wrap: tuple[int, ...] = (), overdue_rule: bool = False) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    last_col = get_column_letter(len(columns))
    for index, (_, width) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    thin = Side(style="thin", color="999999")
    head = WriteOnlyCell(sheet, value=escape(title))
    head.font, head.alignment = Font(size=16, bold=True), Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet.append([head])
    sheet.merged_cells.add(f"A1:{last_col}1")
    header_cells = []
    for name, _ in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.border = Font(bold=True), Border(left=thin, right=thin, top=thin, bottom=thin)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        header_cells.append(cell)
    sheet.append(header_cells)
    wrapped = Alignment(wrap_text=True, vertical="top")
    wrap_at = set(wrap)
    count = 0
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            value = escape(value)
            if index in wrap_at and value:
                cell = WriteOnlyCell(sheet, value=value)
                cell.alignment = wrapped
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    if overdue_rule and count:
        # Red when the deadline (column I) has passed and the item is still open (column N, 状态).
        closed, cancelled = ItemStatus.closed.title, ItemStatus.cancelled.title
        sheet.conditional_formatting.add(f"A3:{last_col}{count + 2}", FormulaRule(
            formula=[f'AND(ISNUMBER($I3),$I3<TODAY(),$N3<>"{closed}",$N3<>"{cancelled}")'],
            fill=PatternFill("solid", bgColor="F8CBAD"), font=Font(color="9C0006")))
    workbook.save(out)
    return count


def _iter_csv(columns: list[tuple[str, int]], rows: Iterable[list]) -> Iterator[str]:
    """CSV in UTF-8 with a BOM (so Excel shows the Chinese), one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in columns])
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if v is None else (v.isoformat(sep=" ") if isinstance(v, datetime) else
                                                v.isoformat() if hasattr(v, "isoformat") else escape(v))
                         for v in row])
        yield buffer.getvalue()


def to_tempfile(write) -> IO[bytes]:
    """Run ``write(out)`` into an anonymous temporary file (deleted when closed), rewound."""
    out = tempfile.TemporaryFile()
    try:
        write(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
