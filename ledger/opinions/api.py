"""API: opinions and their triage."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Body, Day, Id, Line, Out, Text, actor, arg, cursor_arg, limit_arg, many, one, parse_body
from ledger.api.registry import api_route
from ledger.core.pagination import page_by_id
from ledger.items.api import ItemCreateFields
from ledger.opinions import services
from ledger.opinions.models import Opinion

ChannelName = Literal["meeting", "symposium", "questionnaire", "suggestion_box", "hotline", "interview", "online",
                      "letter", "objection", "inspection", "audit", "assigned", "other"]


class OpinionOut(Out):
    id: int
    org_id: int
    review_id: int | None
    channel: str
    kind: str
    category: str | None
    content: str
    submitter_name: str | None
    submitter_contact: str | None
    anonymous: bool
    wants_updates: bool
    received_on: date
    status: str
    item_id: int | None
    reply: str | None
    feedback_at: datetime | None
    created_at: datetime


class OpinionCreate(Body):
    org_id: Id
    review_id: Id | None = None
    channel: ChannelName
    kind: Literal["problem", "suggestion"] = "problem"
    category: Line | None = Field(default=None, max_length=50)
    content: Text = Field(max_length=5000)
    submitter_name: Line | None = Field(default=None, max_length=100)
    submitter_contact: Line | None = Field(default=None, max_length=200)
    anonymous: bool = False
    wants_updates: bool = False
    received_on: Day | None = None


class TriageItem(ItemCreateFields):
    org_id: Id | None = None


class Triage(Body):
    action: Literal["accept", "link", "answer", "reject"]
    reply: Text | None = Field(default=None, max_length=5000)
    item_id: Id | None = None
    item: TriageItem | None = None


STATUSES = ("new", "accepted", "answered", "rejected")


@api_route(bp, "/opinions", "GET", list_of=OpinionOut,
           query=(params.integer("org_id", "organisation"), params.enum("status", STATUSES),
                  params.integer("review_id"), *params.PAGED))
def list_opinions():
    """Opinions in the caller's organisations, newest first."""
    query = services.opinions_query(actor())
    org_id, review_id, status = arg("org_id"), arg("review_id"), arg("status")
    if org_id is not None:
        query = query.where(Opinion.org_id == org_id)
    if review_id is not None:
        query = query.where(Opinion.review_id == review_id)
    if status:
        query = query.where(Opinion.status == status)
    return many(OpinionOut, page_by_id(query, Opinion, limit_arg(), cursor_arg(), descending=True))


@api_route(bp, "/opinions/<int:opinion_id>", "GET", response=OpinionOut)
def get_opinion(opinion_id: int):
    """One opinion."""
    return one(OpinionOut, services.get_opinion(actor(), opinion_id))


@api_route(bp, "/opinions", "POST", body=OpinionCreate, response=OpinionOut, status=201)
def create_opinion():
    """Log an opinion (secretary)."""
    return one(OpinionOut, services.create_opinion(actor(), parse_body(OpinionCreate).model_dump()), 201)


@api_route(bp, "/opinions/<int:opinion_id>/triage", "POST", body=Triage, response=OpinionOut)
def triage_opinion(opinion_id: int):
    """Sort an opinion: accept into a new item, link to an item, answer, or reject."""
    body = parse_body(Triage)
    item = body.item.model_dump(exclude_none=True) if body.item else None
    opinion = services.triage(actor(), opinion_id, body.action, body.reply, body.item_id, item)
    return one(OpinionOut, opinion)
