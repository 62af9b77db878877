"""API: reviews (评议活动)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import (
    Body,
    Count,
    Day,
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
from ledger.core.pagination import page_by_id
from ledger.reviews import services
from ledger.reviews.models import Review

Method = Literal["meeting", "symposium", "questionnaire", "suggestion_box", "hotline", "interview", "online"]


class ReviewOut(Out):
    id: int
    org_id: int
    title: str
    method: str
    held_on: date
    forms_issued: int
    forms_returned: int
    forms_valid: int
    created_at: datetime


class ReviewCreate(Body):
    org_id: Id
    title: Line = Field(max_length=200)
    method: Method
    held_on: Day
    forms_issued: Count = 0
    forms_returned: Count = 0
    forms_valid: Count = 0
    note: Text | None = None


@api_route(bp, "/reviews", "GET", list_of=ReviewOut,
           query=(params.integer("org_id", "organisation"), *params.PAGED))
def list_reviews():
    """Reviews in the caller's organisations."""
    query = services.reviews_query(actor())
    org_id = arg("org_id")
    if org_id is not None:
        query = query.where(Review.org_id == org_id)
    return many(ReviewOut, page_by_id(query, Review, limit_arg(), cursor_arg(), descending=True))


@api_route(bp, "/reviews/<int:review_id>", "GET", response=ReviewOut)
def get_review(review_id: int):
    """One review."""
    return one(ReviewOut, services.get_review(actor(), review_id))


@api_route(bp, "/reviews", "POST", body=ReviewCreate, response=ReviewOut, status=201)
def create_review():
    """Record a review (secretary)."""
    return one(ReviewOut, services.create_review(actor(), parse_body(ReviewCreate).model_dump()), 201)
