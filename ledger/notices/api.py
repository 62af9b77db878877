"""API: notices (drafting, publication, withdrawal, corrections, downloads), objections, and the public
feed ``/api/v1/public/notices`` (no login)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import Response
from pydantic import Field

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Body, Day, Id, Line, Out, Text, actor, arg, cursor_arg, limit_arg, many, one, parse_body
from ledger.api.registry import api_route
from ledger.core.db import db
from ledger.core.pagination import Page, page_by_id
from ledger.notices import downloads, objections, services
from ledger.notices.downloads import DOCX_TYPE
from ledger.notices.models import Notice, NoticeKind, NoticeStatus

Kind = Literal["progress", "closure", "review", "overdue"]


class NoticeOut(Out):
    id: int
    org_id: int
    org_name: str
    kind: str
    kind_title: str
    number: str | None
    title: str
    period_start: date
    period_end: date
    status: str
    published_at: datetime | None
    objection_until: date | None
    corrects_id: int | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    html_url: str
    docx_url: str
    pdf_url: str


class NoticeDetailOut(NoticeOut):
    addressee: str
    intro: str
    content: dict


class NoticeCreate(Body):
    org_id: Id
    kind: Kind
    period_start: Day
    period_end: Day
    title: Line | None = Field(default=None, max_length=200)
    addressee: Line | None = Field(default=None, max_length=200)
    intro: Text | None = Field(default=None, max_length=5000)
    objection_days: int | None = Field(default=None, ge=1, le=60)


class NoticeUpdate(Body):
    title: Line | None = Field(default=None, max_length=200)
    addressee: Line | None = Field(default=None, max_length=200)
    intro: Text | None = Field(default=None, max_length=5000)
    period_start: Day | None = None
    period_end: Day | None = None
    objection_days: int | None = Field(default=None, ge=1, le=60)


class Withdrawal(Body):
    reason: Text = Field(max_length=2000)


class ObjectionOut(Out):
    id: int
    notice_id: int
    item_id: int
    opinion_id: int
    content: str
    decision: str | None
    decided_at: datetime | None
    created_at: datetime


class Uphold(Body):
    reason: Text = Field(max_length=5000)


class Answer(Body):
    reply: Text = Field(max_length=5000)


class NoticeSettingsIO(Body):
    progress_enabled: bool | None = None
    progress_weekday: int | None = Field(default=None, ge=0, le=6)
    closure_enabled: bool | None = None
    auto_publish: bool | None = None
    objection_days: int | None = Field(default=None, ge=1, le=60)
    addressee: Line | None = Field(default=None, max_length=200)
    contact: Line | None = Field(default=None, max_length=200)


def _out(notice: Notice, detail: bool = False) -> dict:
    data = {"id": notice.id, "org_id": notice.org_id, "org_name": notice.org.name, "kind": notice.kind,
            "kind_title": notice.kind_title, "number": notice.number, "title": notice.title,
            "period_start": notice.period_start, "period_end": notice.period_end, "status": notice.status,
            "published_at": notice.published_at, "objection_until": notice.objection_until,
            "corrects_id": notice.corrects_id, "withdrawn_at": notice.withdrawn_at,
            "withdrawn_reason": notice.withdrawn_reason, **downloads.urls(notice)}
    if detail:
        data.update(addressee=notice.addressee, intro=notice.intro, content=notice.content)
    return data


def _objection_out(objection) -> dict:
    return {"id": objection.id, "notice_id": objection.notice_id, "item_id": objection.item_id,
            "opinion_id": objection.opinion_id, "content": objection.opinion.content,
            "decision": objection.decision, "decided_at": objection.decided_at, "created_at": objection.created_at}


def _filtered(query):  # noqa: ANN001, ANN202
    """The declared filters (LIST_QUERY, PUBLIC_QUERY), parsed and checked before the view ran."""
    org_id, kind, status = arg("org_id"), arg("kind"), arg("status")
    if org_id is not None:
        query = query.where(Notice.org_id == org_id)
    if kind:
        query = query.where(Notice.kind == kind)
    if status:
        query = query.where(Notice.status == status)
    return query


LIST_QUERY = (params.integer("org_id"), params.enum("kind", NoticeKind.values()),
              params.enum("status", NoticeStatus.values()), *params.PAGED)
PUBLIC_QUERY = (params.integer("org_id"), params.enum("kind", NoticeKind.values()),
                params.enum("status", [s for s in NoticeStatus.values() if s != "draft"]), *params.PAGED)


def _page(query) -> Page:  # noqa: ANN001
    page = page_by_id(query, Notice, limit_arg(), cursor_arg(), descending=True)
    return Page([_out(n) for n in page.rows], page.next_cursor)


@api_route(bp, "/notices", "GET", list_of=NoticeOut, query=LIST_QUERY)
def list_notices():
    """Notices of the organisations the caller manages, newest first."""
    return many(NoticeOut, _page(_filtered(services.notices_query(actor()))))


@api_route(bp, "/notices", "POST", body=NoticeCreate, response=NoticeDetailOut, status=201)
def create_notice():
    """Draft a notice (secretary; an ``overdue`` notice: supervisor)."""
    body = parse_body(NoticeCreate).model_dump()
    notice = services.create_draft(actor(), body.pop("org_id"), body.pop("kind"), body.pop("period_start"),
                                   body.pop("period_end"), **body)
    return one(NoticeDetailOut, _out(notice, True), 201)


@api_route(bp, "/notices/<int:notice_id>", "GET", response=NoticeDetailOut)
def get_notice(notice_id: int):
    """One notice with its content (for a draft: a preview of what publication will freeze)."""
    return one(NoticeDetailOut, _out(services.get_notice(actor(), notice_id), True))


@api_route(bp, "/notices/<int:notice_id>", "PATCH", body=NoticeUpdate, response=NoticeDetailOut)
def update_notice(notice_id: int):
    """Change a draft (a published notice never changes: publish a correction)."""
    notice = services.update_draft(actor(), notice_id, parse_body(NoticeUpdate).model_dump(exclude_none=True))
    return one(NoticeDetailOut, _out(notice, True))


@api_route(bp, "/notices/<int:notice_id>", "DELETE", status=204)
def delete_notice(notice_id: int):
    """Discard a draft."""
    services.delete_draft(actor(), notice_id)
    return Response(status=204)  # the blueprint drops the Content-Type of a 204


@api_route(bp, "/notices/<int:notice_id>/publish", "POST", response=NoticeDetailOut)
def publish_notice(notice_id: int):
    """Publish: number it, freeze its content, start the objection period (closure notices)."""
    notice = services.publish(actor(), notice_id)
    db.session.flush()
    return one(NoticeDetailOut, _out(notice, True))


@api_route(bp, "/notices/<int:notice_id>/withdraw", "POST", body=Withdrawal, response=NoticeDetailOut)
def withdraw_notice(notice_id: int):
    """Withdraw a published notice (the record is kept)."""
    notice = services.withdraw(actor(), notice_id, parse_body(Withdrawal).reason)
    return one(NoticeDetailOut, _out(notice, True))


@api_route(bp, "/notices/<int:notice_id>/corrections", "POST", body=NoticeUpdate, response=NoticeDetailOut,
           status=201)
def correct_notice(notice_id: int):
    """Draft a correction of a published notice (a new notice that says what it corrects)."""
    notice = services.create_correction(actor(), notice_id, parse_body(NoticeUpdate).model_dump(exclude_none=True))
    return one(NoticeDetailOut, _out(notice, True), 201)


@api_route(bp, "/notices/<int:notice_id>/docx", "GET", files=(DOCX_TYPE,))
def notice_docx(notice_id: int):
    """The notice as DOCX (GB/T 9704 layout)."""
    return downloads.send(services.get_notice(actor(), notice_id), "docx")


@api_route(bp, "/notices/<int:notice_id>/pdf", "GET", files=("application/pdf",))
def notice_pdf(notice_id: int):
    """The notice as PDF."""
    return downloads.send(services.get_notice(actor(), notice_id), "pdf")


@api_route(bp, "/notices/<int:notice_id>/objections", "GET", list_of=ObjectionOut)
def list_objections(notice_id: int):
    """Objections filed against a notice's items."""
    from ledger.notices.models import Objection

    services.get_notice(actor(), notice_id)
    rows = db.session.scalars(objections.objections_query(actor()).where(Objection.notice_id == notice_id)).unique()
    return many(ObjectionOut, Page([_objection_out(o) for o in rows], None))


@api_route(bp, "/objections/<int:objection_id>/uphold", "POST", body=Uphold, response=ObjectionOut)
def uphold_objection(objection_id: int):
    """The objection stands: the item is reopened (回炉) and the objection linked to it."""
    return one(ObjectionOut, _objection_out(objections.uphold(actor(), objection_id, parse_body(Uphold).reason)))


@api_route(bp, "/objections/<int:objection_id>/answer", "POST", body=Answer, response=ObjectionOut)
def answer_objection(objection_id: int):
    """The objection does not stand: answer the person."""
    return one(ObjectionOut, _objection_out(objections.answer(actor(), objection_id, parse_body(Answer).reply)))


@api_route(bp, "/orgs/<int:org_id>/notice-settings", "GET", response=NoticeSettingsIO)
def get_notice_settings(org_id: int):
    """The organisation's notice schedule (defaults: progress every Monday, closure at month end)."""
    from ledger.auth.scope import require_org

    require_org(actor(), org_id, roles=("secretary", "supervisor", "admin"))
    return one(NoticeSettingsIO, services.settings_for(org_id))


@api_route(bp, "/orgs/<int:org_id>/notice-settings", "PUT", body=NoticeSettingsIO, response=NoticeSettingsIO)
def put_notice_settings(org_id: int):
    """Change the schedule, automatic publication, the objection period and the contact printed."""
    changes = parse_body(NoticeSettingsIO).model_dump(exclude_none=True)
    return one(NoticeSettingsIO, services.update_settings(actor(), org_id, changes))


# --- public (no login) ------------------------------------------------------------------------------

def _public_query():  # noqa: ANN202
    return _filtered(services.public_notices_query())


@api_route(bp, "/public/notices", "GET", list_of=NoticeOut, public=True, query=PUBLIC_QUERY)
def public_notices():
    """Published notices, newest first: the public board's feed (no login)."""
    return many(NoticeOut, _page(_public_query()))


@api_route(bp, "/public/notices/<int:notice_id>", "GET", response=NoticeDetailOut, public=True)
def public_notice(notice_id: int):
    """One published notice with its frozen content (no login)."""
    return one(NoticeDetailOut, _out(services.get_public_notice(notice_id), True))
