"""API: ratings of a review, closure surveys, warnings."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import jsonify
from pydantic import Field

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Body, Count, Id, Out, Text, actor, arg, cursor_arg, limit_arg, parse_body
from ledger.api.registry import api_route
from ledger.core.pagination import page_by_id
from ledger.evaluation import services, surveys
from ledger.evaluation.models import Warning

TargetType = Literal["org", "user", "item"]


class RatingOut(Out):
    id: int
    review_id: int
    target_type: str
    target_id: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    dont_know: int
    valid: int
    satisfaction_rate: float | None
    shares: dict[str, float | None]


class RatingCreate(Body):
    """Either the three levels, or 好/一般/差 as ``good``/``fair``/``poor``; ``dont_know`` is not valid."""

    target_type: TargetType
    target_id: Id
    satisfied: Count | None = None
    basically_satisfied: Count | None = None
    unsatisfied: Count | None = None
    good: Count | None = None
    fair: Count | None = None
    poor: Count | None = None
    dont_know: Count | None = None


class SurveyCreate(Body):
    item_id: Id


class SurveyOut(Out):
    id: int
    review_id: int
    item_id: int
    links_sent: int
    answered: int
    created_at: datetime
    closed_at: datetime | None


class ReviewRef(Out):
    id: int
    title: str | None
    held_on: str | None
    satisfaction_rate: float | None


class WarningOut(Out):
    id: int
    org_id: int
    target_type: str
    target_id: int
    target_name: str
    rule: str
    suggestion: str
    review_ids: list[int]
    reviews: list[ReviewRef]
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    acknowledge_note: str | None


class Acknowledge(Body):
    note: Text = Field(min_length=1, max_length=5000)


def _json(model: type[Out], data: dict, status: int = 200):
    return jsonify(model.model_validate(data).model_dump(mode="json")), status


@api_route(bp, "/reviews/<int:review_id>/ratings", "GET", list_of=RatingOut)
def list_ratings(review_id: int):
    """The satisfaction tallies of a review, one per target, with rates and shares."""
    rows = [services.rating_dict(r) for r in services.list_ratings(actor(), review_id)]
    return jsonify({"items": [RatingOut.model_validate(r).model_dump(mode="json") for r in rows],
                    "next_cursor": None})


@api_route(bp, "/reviews/<int:review_id>/ratings", "POST", body=RatingCreate, response=RatingOut, status=201)
def create_rating(review_id: int):
    """Enter a target's tally from paper forms; the satisfaction rules apply at once."""
    data = parse_body(RatingCreate).model_dump()
    rating = services.record_rating(actor(), review_id, data)
    return _json(RatingOut, services.rating_dict(rating), 201)


@api_route(bp, "/reviews/<int:review_id>/surveys", "POST", body=SurveyCreate, response=SurveyOut, status=201)
def create_survey(review_id: int):
    """Send one-time survey links to the submitters of a closed item's opinions."""
    survey = surveys.create_survey(actor(), review_id, parse_body(SurveyCreate).item_id)
    return _json(SurveyOut, surveys.survey_dict(survey), 201)


@api_route(bp, "/surveys/<int:survey_id>", "GET", response=SurveyOut)
def get_survey(survey_id: int):
    """A survey: links sent and answered."""
    return _json(SurveyOut, surveys.survey_dict(surveys.get_survey(actor(), survey_id)))


@api_route(bp, "/surveys/<int:survey_id>/close", "POST", response=SurveyOut)
def close_survey(survey_id: int):
    """Stop taking answers and apply the rules to the item's rating."""
    return _json(SurveyOut, surveys.survey_dict(surveys.close_survey(actor(), survey_id)))


@api_route(bp, "/warnings", "GET", list_of=WarningOut,
           query=(params.boolean("acknowledged"), *params.PAGED))
def list_warnings():
    """Warnings for the organisations the caller supervises, newest first, with the reviews behind them."""
    query = services.warnings_query(actor(), arg("acknowledged"))
    page = page_by_id(query, Warning, limit_arg(), cursor_arg(), descending=True)
    return jsonify({"items": [WarningOut.model_validate(services.warning_dict(w)).model_dump(mode="json")
                              for w in page.rows], "next_cursor": page.next_cursor})


@api_route(bp, "/warnings/<int:warning_id>", "GET", response=WarningOut)
def get_warning(warning_id: int):
    """One warning."""
    return _json(WarningOut, services.warning_dict(services.get_warning(actor(), warning_id)))


@api_route(bp, "/warnings/<int:warning_id>/acknowledge", "POST", body=Acknowledge, response=WarningOut)
def acknowledge_warning(warning_id: int):
    """Acknowledge a warning with a note of what was done; both are kept."""
    warning = services.acknowledge(actor(), warning_id, parse_body(Acknowledge).note)
    return _json(WarningOut, services.warning_dict(warning))
