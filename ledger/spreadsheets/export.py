"""Export the ledger (台账) and the opinions' 三到 record as .xlsx (write-only, page by page) or CSV.

Items are read with the ledger list's conditions and orders (``build_filters``, ``SORTS``), opinions with
the opinion list's scope (``opinions_query``): both as plain columns in keyset batches, so the statements
and the memory do not grow with the number of rows. Every text cell goes through ``values.escape``:
nothing we write starts a formula.
"""
from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.orm import aliased

from ledger.audit.services import record_audit
from ledger.auth.models import User
from ledger.auth.scope import readable_org_ids
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import CancelReason, Channel, ItemKind, ItemStatus, OpinionKind, OpinionStatus
from ledger.core.errors import Invalid
from ledger.items import lights
from ledger.items.models import Event, Item
from ledger.items.queries import SORTS, build_filters, filter_subtree
from ledger.opinions.models import Opinion
from ledger.opinions.services import opinions_query
from ledger.orgs.models import Organisation
from ledger.reviews.models import Review
from ledger.spreadsheets.values import escape

BATCH = 1000  # ledger items, or opinions, per query
LEDGER_COLUMNS = [  # (header, width); 事项编号 is what a re-import matches rows by
    ("序号", 6), ("事项编号", 14), ("问题来源", 36), ("问题描述", 36), ("整改措施", 36), ("责任领导", 10),
    ("责任部门", 14), ("责任人", 10), ("整改时限", 12), ("整改进展", 30), ("进度（%）", 8), ("完成情况", 30),
    ("销号时间", 12), ("状态", 9), ("超期天数", 8), ("备注", 24)]
OPINION_COLUMNS = [
    ("序号", 6), ("意见编号", 9), ("收到日期", 12), ("渠道", 10), ("类型", 6), ("类别", 10), ("意见内容", 40),
    ("提出人", 10), ("联系方式", 16), ("是否匿名", 6), ("所属组织", 14), ("评议活动", 20), ("梳理结果", 10),
    ("去向", 30), ("事项状态", 10), ("答复内容", 36), ("反馈时间", 17)]
# Titles by value, looked up once per cell rather than through the enum each time.
CHANNELS = {c.value: c.title for c in Channel}
ITEM_KINDS = {k.value: k.title for k in ItemKind}
ITEM_STATUSES = {s.value: s.title for s in ItemStatus}
OPINION_KINDS = {k.value: k.title for k in OpinionKind}
OPINION_STATUSES = {s.value: s.title for s in OpinionStatus}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
MIMETYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


def system_reader() -> User:
    """The command line reads as the system: an administrator that is never saved."""
    return User(id=None, username="system", display_name="系统", is_admin=True, active=True)


def _local(moment: datetime | None, tz: str) -> datetime | None:
    if moment is None:
        return None
    return clock.as_utc(moment).astimezone(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


# --- the ledger ---------------------------------------------------------------------------------

_LEADER, _OWNER = aliased(User), aliased(User)
# 整改进展: the item's latest progress note (ix_events_item_id, walked backwards to the first one).
_LATEST_NOTE = (select(Event.comment).where(Event.item_id == Item.id, Event.action == "progress")
                .order_by(Event.id.desc()).limit(1).correlate(Item).scalar_subquery())
# Only the columns a row shows, as plain tuples: no ORM objects (and their eager loads) per item.
_LEDGER_SELECT = (
    select(Item.id, Item.code, Item.title, Item.description, Item.measures, Item.kind, Item.flagged, Item.deadline,
           Item.original_deadline, Item.round, Item.cancel_reason, Item.closed_at, Item.status, Item.is_open,
           Item.progress_percent, Item.completion_note, Item.due_key, _LATEST_NOTE.label("note"),
           Organisation.name.label("org_name"), Organisation.timezone, _LEADER.display_name.label("leader_display"),
           _LEADER.username.label("leader_login"), _OWNER.display_name.label("owner_display"),
           _OWNER.username.label("owner_login"))
    .outerjoin(Organisation, Organisation.id == Item.org_id)
    .outerjoin(_LEADER, _LEADER.id == Item.leader_id)
    .outerjoin(_OWNER, _OWNER.id == Item.owner_id))


def iter_ledger_rows(actor: User, filters: dict, sort: str = "created") -> Iterator[list]:
    """The ledger's rows (without 序号) for every item the actor may see under ``filters``, in ``sort`` order.

    The items are those of the ledger list (same filters, same scope); they are read in keyset batches, each
    with one more query for its linked opinions: two statements per ``BATCH`` items, and memory does not
    grow with the number of items."""
    if sort not in SORTS:
        raise Invalid({"sort": "排序方式必须是：" + "、".join(SORTS)})
    key, descending = SORTS[sort]
    order = [Item.id.desc() if descending else Item.id] if key is Item.id else (
        [key.desc(), Item.id.desc()] if descending else [key, Item.id])
    query = _LEDGER_SELECT.where(*build_filters(actor, filters)).order_by(*order).limit(BATCH)
    days: dict[str, date] = {}  # each organisation's time zone → its today, read once per export
    after = None
    while True:
        batch = db.session.execute(query.where(after) if after is not None else query).all()
        if not batch:
            return
        sources = _linked_opinions([row.id for row in batch])
        for row in batch:
            tz = row.timezone or "Asia/Shanghai"
            if tz not in days:
                days[tz] = clock.today(tz)
            yield _ledger_values(row, sources.get(row.id, ""), tz, days[tz])
        if len(batch) < BATCH:
            return
        last = batch[-1]
        if key is Item.id:
            after = Item.id < last.id if descending else Item.id > last.id
        else:
            pair, bound = tuple_(key, Item.id), tuple_(last.due_key, last.id)
            after = pair < bound if descending else pair > bound


def _linked_opinions(item_ids: list[int]) -> dict[int, str]:
    """问题来源: each item's opinions, numbered, one per line, with their channel."""
    lines: dict[int, list[str]] = {}
    rows = db.session.execute(select(Opinion.item_id, Opinion.channel, Opinion.content)
                              .where(Opinion.item_id.in_(item_ids)).order_by(Opinion.item_id, Opinion.id))
    for item_id, channel, content in rows:
        found = lines.setdefault(item_id, [])
        found.append(f"{len(found) + 1}. [{CHANNELS[channel]}] {content}")
    return {item_id: "\n".join(found) for item_id, found in lines.items()}


def _ledger_values(row, sources: str, tz: str, today: date) -> list:
    description = row.title + (f"\n{row.description}" if row.description else "")
    remarks = [ITEM_KINDS[row.kind]]
    if row.flagged:
        remarks.append("挂牌督办")
    if row.deadline and row.original_deadline and row.deadline != row.original_deadline:
        remarks.append(f"原时限 {row.original_deadline.isoformat()}")
    if row.round > 1:
        remarks.append(f"第 {row.round} 轮整改（回炉）")
    if row.cancel_reason:
        remarks.append(f"撤销原因：{CancelReason(row.cancel_reason).title}")
    deadline = row.deadline or (ITEM_KINDS[row.kind] if row.kind == ItemKind.long_term.value else None)
    closed = _local(row.closed_at, tz)
    overdue = lights.overdue_days(row.is_open, row.deadline, today)
    leader, owner = row.leader_display or row.leader_login or "", row.owner_display or row.owner_login or ""
    return [row.code, sources, description, row.measures, leader, row.org_name or "", owner, deadline, row.note or "",
            row.progress_percent, row.completion_note or "", closed.date() if closed else None,
            ITEM_STATUSES[row.status], overdue or None, "；".join(remarks)]


def numbered(rows: Iterable[list]) -> Iterator[list]:
    """序号 in front of each row."""
    return ([number, *row] for number, row in enumerate(rows, 1))


def ledger_title(actor: User, filters: dict) -> str:
    org = db.session.get(Organisation, filters["org_id"]) if filters.get("org_id") else None
    readable = readable_org_ids(actor)
    if org is not None and readable is not None and org.id not in readable:
        org = None  # named only to someone who may list it: else the title reads as for a missing one
    today = clock.today(current_app.config["LEDGER_TIMEZONE"])
    return f"{org.name if org else ''}整改事项台账（截至 {today.year} 年 {today.month} 月 {today.day} 日）"


def write_ledger_xlsx(actor: User, filters: dict, out: IO[bytes], sort: str = "created") -> int:
    """Write the ledger workbook to ``out``; answers the number of items."""
    rows = numbered(iter_ledger_rows(actor, filters, sort))
    return _write_xlsx(out, "整改台账", ledger_title(actor, filters), LEDGER_COLUMNS, rows,
                       wrap=(2, 3, 4, 9, 11, 15), overdue_rule=True)


def iter_ledger_csv(actor: User, filters: dict, sort: str = "created") -> Iterator[str]:
    return _iter_csv(LEDGER_COLUMNS, numbered(iter_ledger_rows(actor, filters, sort)))


def write_ledger(actor: User, filters: dict, out: IO[bytes], fmt: str, sort: str = "created") -> int:
    """The ledger as ``fmt`` ("xlsx" or "csv") into ``out``; answers the number of items."""
    if fmt == "csv":
        count = write_csv(out, iter_ledger_csv(actor, filters, sort))
    else:
        count = write_ledger_xlsx(actor, filters, out, sort)
    record_audit(actor, "export.ledger", details={"format": fmt, "filters": filters, "sort": sort, "rows": count})
    return count


# --- the opinions' 三到 record -------------------------------------------------------------------

# Only the columns a row shows, as plain tuples, with where each opinion went: no Opinion objects.
_OPINION_COLUMNS = (
    Opinion.id, Opinion.received_on, Opinion.channel, Opinion.kind, Opinion.category, Opinion.content,
    Opinion.submitter_name, Opinion.submitter_contact, Opinion.anonymous, Opinion.status, Opinion.reply,
    Opinion.feedback_at, Opinion.item_id, Organisation.name.label("org_name"), Organisation.timezone,
    Review.title.label("review_title"), Item.code.label("item_code"), Item.title.label("item_title"),
    Item.status.label("item_status"))


def _opinion_subtree(actor: User | None, org_id: int) -> ColumnElement[bool] | None:
    """"In the subtree of ``org_id``" with the ids as values, so the planner knows how much of the table it
    keeps; None for the whole tree; nothing matches an organisation that is not, or that the actor may not
    list (items.queries.filter_subtree)."""
    ids, organisations = filter_subtree(actor, org_id)
    if ids and len(ids) == organisations:
        return None
    return Opinion.org_id.in_(ids)


def iter_opinion_rows(actor: User, filters: dict) -> Iterator[list]:
    """The 三到 record's rows (without 序号): the opinions of the opinion list's scope (``opinions_query``),
    narrowed by ``filters`` (org_id with its subtree, status, review_id), oldest first.

    One column query per ``BATCH`` opinions, keyset-paged on the id, with the organisation, review and item
    joined in: the statements and the memory do not grow with the number of opinions."""
    status = filters.get("status")
    if status and status not in OpinionStatus.values():
        raise Invalid({"status": "状态必须是：" + "、".join(OpinionStatus.values())})
    query = (opinions_query(actor).with_only_columns(*_OPINION_COLUMNS)
             .outerjoin(Organisation, Organisation.id == Opinion.org_id)
             .outerjoin(Review, Review.id == Opinion.review_id)
             .outerjoin(Item, Item.id == Opinion.item_id))
    if filters.get("org_id") is not None and (subtree := _opinion_subtree(actor, filters["org_id"])) is not None:
        query = query.where(subtree)
    if status:
        query = query.where(Opinion.status == status)
    if filters.get("review_id") not in (None, ""):
        query = query.where(Opinion.review_id == filters["review_id"])
    query = query.order_by(Opinion.id).limit(BATCH)
    last = None
    while True:
        batch = db.session.execute(query if last is None else query.where(Opinion.id > last)).all()
        for row in batch:
            yield _opinion_values(row)
        if len(batch) < BATCH:
            return
        last = batch[-1].id


def _opinion_values(row) -> list:
    (opinion_id, received_on, channel, kind, category, content, submitter_name, submitter_contact, anonymous,
     status, reply, feedback_at, item_id, org_name, timezone, review_title, item_code, item_title,
     item_status) = row  # the order of _OPINION_COLUMNS; unpacked, as reading a Row by name costs more
    linked = item_id is not None
    return [opinion_id, received_on, CHANNELS[channel], OPINION_KINDS[kind], category or "", content,
            "" if anonymous else (submitter_name or ""), submitter_contact or "", "是" if anonymous else "否",
            org_name or "", review_title or "", OPINION_STATUSES[status],
            f"{item_code} {item_title}" if linked else "", ITEM_STATUSES[item_status] if linked else "",
            reply or "", _local(feedback_at, timezone or "Asia/Shanghai")]


def opinions_title() -> str:
    today = clock.today(current_app.config["LEDGER_TIMEZONE"])
    return f"征求意见梳理及反馈情况（三到记录，截至 {today.isoformat()}）"


def write_opinions_xlsx(actor: User, filters: dict, out: IO[bytes]) -> int:
    rows = numbered(iter_opinion_rows(actor, filters))
    return _write_xlsx(out, "意见建议", opinions_title(), OPINION_COLUMNS, rows, wrap=(6, 13, 15))


def write_opinions_csv(actor: User, filters: dict, out: IO[bytes]) -> int:
    """The 三到 record as CSV, byte for byte what ``_iter_csv`` writes, but each cell converted by its column's
    type instead of tested value by value, and encoded through one buffered text stream: a county holds a
    million opinions. Answers the number of opinions."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        text.write("\ufeff")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([name for name, _ in OPINION_COLUMNS])
        count = 0
        for count, v in enumerate(iter_opinion_rows(actor, filters), 1):
            # The titles (channel, kind, 是/否, statuses) are ours and start no formula; free text is escaped.
            writer.writerow((count, v[0], v[1].isoformat() if v[1] else "", v[2], v[3], escape(v[4]),
                             escape(v[5]), escape(v[6]), escape(v[7]), v[8], escape(v[9]), escape(v[10]), v[11],
                             escape(v[12]), v[13], escape(v[14]), v[15].isoformat(sep=" ") if v[15] else ""))
    finally:
        text.detach()  # flushes; ``out`` stays open for the caller
    return count


def write_opinions(actor: User, filters: dict, out: IO[bytes], fmt: str) -> int:
    """The 三到 record as ``fmt`` ("xlsx" or "csv") into ``out``; answers the number of opinions."""
    count = write_opinions_csv(actor, filters, out) if fmt == "csv" else write_opinions_xlsx(actor, filters, out)
    record_audit(actor, "export.opinions", details={"format": fmt, "filters": filters, "rows": count})
    return count


# --- writers ------------------------------------------------------------------------------------

def _write_xlsx(out: IO[bytes], sheet_title: str, title: str, columns: list[tuple[str, int]],
                rows: Iterable[list], wrap: tuple[int, ...] = (), overdue_rule: bool = False) -> int:
    import xlsxwriter

    # constant_memory: each row is flushed to a temporary file once the next one starts and text is written
    # inline (no shared-string table), so memory stays flat however many rows; XlsxWriter also costs about
    # half the CPU per cell of openpyxl's write-only mode (bench/RESULTS.md). Text is never taken for a
    # formula or a link: every cell is written by its type. The row file lives in a directory of this
    # export's own, so it goes even when the export fails half way.
    with tempfile.TemporaryDirectory(prefix="ledger-xlsx-") as tmpdir:
        workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                             "strings_to_urls": False, "tmpdir": tmpdir})
        try:
            count = _fill_sheet(workbook, sheet_title, title, columns, rows, wrap, overdue_rule)
        except Exception:
            with contextlib.suppress(Exception):
                workbook.close()  # closes its row file; what it writes to ``out`` is thrown away with ``out``
            raise
        workbook.close()
    return count


def _fill_sheet(workbook, sheet_title: str, title: str, columns: list[tuple[str, int]], rows: Iterable[list],
                wrap: tuple[int, ...], overdue_rule: bool) -> int:
    sheet = workbook.add_worksheet(sheet_title)
    last = len(columns) - 1
    for index, (_, width) in enumerate(columns):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(2, 0)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, escape(title), workbook.add_format(
        {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}))
    head = workbook.add_format({"bold": True, "border": 1, "border_color": "#999999", "align": "center",
                                "valign": "vcenter", "text_wrap": True, "pattern": 1, "bg_color": "#DDDDDD"})
    for index, (name, _) in enumerate(columns):
        sheet.write_string(1, index, name, head)
    formats = [workbook.add_format({"text_wrap": True, "valign": "top"}) if index in wrap else None
               for index in range(len(columns))]
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    count = 0
    for count, row in enumerate(rows, 1):
        line = count + 1
        for index, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(line, index, escape(value), formats[index])
            elif value is None:
                continue
            elif isinstance(value, datetime):
                sheet.write_datetime(line, index, value, moment)
            elif isinstance(value, date):
                sheet.write_datetime(line, index, value, day)
            else:
                sheet.write_number(line, index, value)
    if overdue_rule and count:
        # Red when the deadline (column I) has passed and the item is still open (column N, 状态).
        closed, cancelled = ItemStatus.closed.title, ItemStatus.cancelled.title
        sheet.conditional_format(2, 0, count + 1, last, {
            "type": "formula",
            "criteria": f'=AND(ISNUMBER($I3),$I3<TODAY(),$N3<>"{closed}",$N3<>"{cancelled}")',
            "format": workbook.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})})
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


def write_csv(out: IO[bytes], lines: Iterable[str]) -> int:
    """Write CSV lines (the header first) to ``out`` as UTF-8; answers the number of rows after the header."""
    written = 0
    for line in lines:
        out.write(line.encode("utf-8"))
        written += 1
    return written - 1


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
