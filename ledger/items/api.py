"""API: items, transitions, events, attachments."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import jsonify, request, send_file
from pydantic import Field
from pydantic_core import to_jsonable_python

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import (
    Body,
    Count,
    Deadline,
    Id,
    Line,
    Out,
    Text,
    actor,
    arg,
    cursor_arg,
    limit_arg,
    many,
    one,
    parse_body,
)
from ledger.api.registry import api_route
from ledger.core.db import db
from ledger.core.enums import AttachmentKind, ItemStatus
from ledger.core.errors import Invalid
from ledger.core.pagination import Page, page_by_id
from ledger.items import attachments, queries, services
from ledger.items.attachments import ACCEPTED_TYPES
from ledger.items.models import Event
from ledger.items.queries import LIGHTS, SORTS
from ledger.stats.figures import FIGURE_NAMES, drill_down_args

Kind = Literal["immediate", "time_limited", "long_term"]
Scope = Literal["individual", "common"]
Urgency = Literal["normal", "urgent", "critical"]
Action = Literal["claim", "start", "progress", "submit", "verify", "return", "reopen", "reassign", "cancel",
                 "flag", "unflag", "urge", "request_extension", "approve_extension", "reject_extension", "edit"]


class ItemOut(Out):
    id: int
    code: str
    org_id: int
    title: str
    description: str
    measures: str
    kind: str
    scope: str
    category: str | None
    urgency: str
    leader_id: int | None
    owner_id: int | None
    deadline: date | None
    original_deadline: date | None
    status: str
    flagged: bool
    light: str
    overdue_days: int
    opinion_ids: list[int]
    progress_percent: int
    completion_note: str | None
    return_note: str | None
    cancel_reason: str | None
    stage_goals: str | None
    next_review_on: date | None
    closed_at: datetime | None
    closure_final_at: datetime | None = None  # 公示无异议 (ledger.notices)
    created_at: datetime
    updated_at: datetime
    version: int
    round: int


class ItemCreateFields(Body):
    title: Line = Field(max_length=200)
    description: Text = Field(default="", max_length=20000)
    measures: Text = Field(default="", max_length=20000)
    kind: Kind = "time_limited"
    scope: Scope = "individual"
    category: Line | None = Field(default=None, max_length=50)
    urgency: Urgency = "normal"
    leader_id: Id | None = None
    owner_id: Id
    deadline: Deadline | None = None
    deadline_working_days: int | None = Field(default=None, ge=1, le=3650)  # as calendar.services
    stage_goals: Text | None = None
    next_review_on: Deadline | None = None


class ItemCreate(ItemCreateFields):
    org_id: Id
    opinion_ids: list[Id] = Field(default=[], max_length=500)


class Transition(Body):
    action: Action
    version: Count
    comment: Text | None = Field(default=None, max_length=20000)
    deadline: Deadline | None = None
    measures: Text | None = Field(default=None, max_length=20000)
    owner_id: Id | None = None
    note: Text | None = Field(default=None, max_length=20000)
    percent: int | None = Field(default=None, ge=0, le=100)
    new_deadline: Deadline | None = None
    reason: Text | None = Field(default=None, max_length=20000)
    completion_note: Text | None = Field(default=None, max_length=20000)
    extension_id: Id | None = None
    # for "edit"
    title: Line | None = Field(default=None, max_length=200)
    description: Text | None = Field(default=None, max_length=20000)
    category: Line | None = Field(default=None, max_length=50)
    urgency: Urgency | None = None
    leader_id: Id | None = None


class EventOut(Out):
    id: int
    item_id: int
    actor_id: int | None
    action: str
    from_status: str | None
    to_status: str | None
    comment: str | None
    changes: dict
    round: int
    at: datetime


class AttachmentOut(Out):
    id: int
    item_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ItemDetailOut(ItemOut):
    allowed_actions: list[str]


def _filters() -> dict:
    drill_down = drill_down_args(request.args)  # validated already: FILTERS declares each of them
    drill_down.update({k: arg(k) for k in ("org_only", "start_day") if k in drill_down})
    return {"org_id": arg("org_id"), "status": arg("status"), "owner_id": arg("owner_id"),
            "overdue": arg("overdue"), "flagged": arg("flagged"), "light": arg("light"),
            "kind": arg("kind"), "category": arg("category"), "q": arg("q"), "due_before": arg("due_before"),
            # a dashboard number's drill-down (ledger.stats.figures): the same item set the figure counts
            **drill_down}


# The ledger's filters, shared by GET /items and its export (ledger.spreadsheets.api).
FILTERS = (
    params.integer("org_id", "organisation (with its subtree)"),
    params.enums("status", ItemStatus.values(), "statuses (comma-separated)"),
    params.integer("owner_id"), params.boolean("overdue"), params.boolean("flagged"),
    params.enum("light", LIGHTS), params.enum("kind", Kind.__args__), params.text("category", max_length=50),
    params.text("q", "text in the title, code or description"), params.day("due_before"),
    params.enum("figure", FIGURE_NAMES, "the items a dashboard figure counts (docs/figures.md), with from, "
                                          "to, month, start_day, org_only"),
    params.day("from", "the figure's first day"), params.day("to", "the figure's last day"),
    params.month("month", "the figure's assessment month instead of from/to"),
    params.integer("start_day", "day the assessment month starts", 1, 28),
    params.boolean("org_only", "the figure's organisation only, not its subtree"),
)


def _detail(item) -> dict:
    data = ItemOut.model_validate(item).model_dump()
    data["allowed_actions"] = services.allowed_actions(actor(), item)
    return data


@api_route(bp, "/items", "GET", list_of=ItemOut,
           query=FILTERS + (params.enum("sort", SORTS, default="deadline"), *params.PAGED))
def list_items():
    """The ledger: items the caller may see, filtered, sorted and paged by cursor."""
    page = queries.list_rows(actor(), _filters(), limit_arg(), cursor_arg(), arg("sort"), columns=_LIST_COLUMNS)
    # The opinions' ids only, in one statement, not every merged opinion as an object (most of a page's CPU).
    opinion_ids = queries.opinion_ids_of([row.id for row in page.rows])
    # The rows are the database's own values (read as columns, not entities): ItemOut's fields taken as
    # they are and turned into JSON by pydantic's serialiser, as ItemOut's model_dump(mode="json") would,
    # without validating each row into a model first (bench/).
    rows = [{name: getattr(row, name) for name in _LIST_FIELDS} | {"opinion_ids": opinion_ids[row.id]}
            for row in page.rows]
    return jsonify({"items": to_jsonable_python(rows), "next_cursor": page.next_cursor})


_LIST_FIELDS = tuple(name for name in ItemOut.model_fields if name != "opinion_ids")
_LIST_COLUMNS = tuple(name for name in _LIST_FIELDS if name not in ("light", "overdue_days"))


@api_route(bp, "/items", "POST", body=ItemCreate, response=ItemDetailOut, status=201)
def create_item():
    """Create an item (secretary); ``opinion_ids`` merges those opinions into it."""
    item = services.create_item(actor(), parse_body(ItemCreate).model_dump(exclude_none=True))
    return one(ItemDetailOut, _detail(item), 201)


@api_route(bp, "/items/<int:item_id>", "GET", response=ItemDetailOut)
def get_item(item_id: int):
    """One item, with the actions the caller may take now."""
    return one(ItemDetailOut, _detail(services.get_item(actor(), item_id)))


@api_route(bp, "/items/<int:item_id>/transitions", "POST", body=Transition, response=ItemDetailOut)
def transition(item_id: int):
    """Take a lifecycle action (claim, submit, verify …) with the version last read."""
    body = parse_body(Transition).model_dump(exclude_none=True)
    action, version = body.pop("action"), body.pop("version")
    item = services.apply_action(actor(), item_id, action, version, **body)
    db.session.refresh(item)
    return one(ItemDetailOut, _detail(item))


@api_route(bp, "/items/<int:item_id>/events", "GET", list_of=EventOut, query=params.PAGED)
def list_events(item_id: int):
    """The item's journal, oldest first."""
    services.get_item(actor(), item_id)
    page = page_by_id(queries.events_query(item_id), Event, limit_arg(), cursor_arg())
    return many(EventOut, page)


@api_route(bp, "/items/<int:item_id>/attachments", "GET", list_of=AttachmentOut)
def list_attachments(item_id: int):
    """The item's evidence."""
    return many(AttachmentOut, Page(attachments.list_attachments(actor(), item_id), None))


@api_route(bp, "/items/<int:item_id>/attachments", "POST", response=AttachmentOut, status=201, multipart=True,
           form=(params.enum("kind", AttachmentKind.values(), default="other"),))
def upload_attachment(item_id: int):
    """Upload evidence (multipart: ``file`` and ``kind``)."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid({"file": "请选择文件"})
    attachment = attachments.add_attachment(actor(), item_id, request.form.get("kind", "other"), upload.filename,
                                            upload.stream)
    return one(AttachmentOut, attachment, 201)


@api_route(bp, "/items/<int:item_id>/attachments/<int:attachment_id>", "GET", files=tuple(sorted(ACCEPTED_TYPES)))
def download_attachment(item_id: int, attachment_id: int):
    """Download one attachment (checked against the caller's scope)."""
    attachment, path = attachments.get_attachment(actor(), item_id, attachment_id)
    return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachments.offered_name(attachment), max_age=0)
