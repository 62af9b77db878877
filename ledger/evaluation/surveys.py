"""Online closure surveys: one-time links to the people who raised an item's opinions.

Only a token's SHA-256 is stored. A link answers once: the answer is written by one conditional
UPDATE, so two submissions of the same link (even at the same moment) count once. Answers add to the
item's rating in the survey's review; the rules run when every link has answered or the survey is closed.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import func, select, update

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.db import db
from ledger.core.errors import Conflict, Invalid, NotFound
from ledger.evaluation import services
from ledger.evaluation.models import ANSWERS, Rating, Survey, SurveyLink
from ledger.items.models import Item
from ledger.opinions.models import Opinion
from ledger.outbox.services import notify_submitter
from ledger.reviews.models import Review

ANSWER_TITLES = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意",
                 "dont_know": "不了解"}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str) -> str:
    return f"{current_app.config['LEDGER_BASE_URL'].rstrip('/')}/survey/{token}"


def create_survey(actor: User, review_id: int, item_id: int) -> Survey:
    """Send a one-time link to each submitter of the closed item's opinions who left an e-mail address."""
    review = services.review_for(actor, review_id, write=True)
    services.check_target(review, "item", item_id)
    item = db.session.get(Item, item_id)
    if item.status != "closed":
        raise Invalid({"item_id": "只能对已销号的事项开展销号满意度测评"})
    opinions = [o for o in db.session.scalars(select(Opinion).where(Opinion.item_id == item.id)) if o.has_email]
    if not opinions:
        raise Invalid({"item_id": "该事项的意见提出人均未留下电子邮箱，无法发送测评链接"})
    rating = _item_rating(review, item)
    if rating.item_round != item.round:
        raise Conflict("本次评议已测评过该事项的上一轮整改，请新建评议活动")
    survey = Survey(review_id=review.id, item_id=item.id, created_by_id=actor.id, created_at=clock.now())
    db.session.add(survey)
    db.session.flush()
    for opinion in opinions:
        token = secrets.token_urlsafe(32)
        db.session.add(SurveyLink(survey_id=survey.id, opinion_id=opinion.id, token_hash=_hash(token)))
        notify_submitter(opinion, "survey", "请对整改结果进行满意度评价",
                         f"您反映的问题已整改销号（{item.code}“{item.title}”）。请通过下面的链接评价整改结果，"
                         f"链接仅可使用一次：\n{survey_url(token)}")
    db.session.flush()
    return survey


def _item_rating(review: Review, item: Item) -> Rating:
    rating = db.session.scalar(select(Rating).where(
        Rating.review_id == review.id, Rating.target_type == "item", Rating.target_id == item.id))
    if rating is None:
        rating = Rating(review_id=review.id, target_type="item", target_id=item.id, item_round=item.round,
                        satisfied=0, basically_satisfied=0, unsatisfied=0, dont_know=0)
        db.session.add(rating)
        db.session.flush()
    return rating


def link_for(token: str) -> tuple[SurveyLink, Survey, Item]:
    """The link behind a token (public page); unknown tokens are simply not found."""
    link = db.session.scalar(select(SurveyLink).where(SurveyLink.token_hash == _hash(token or "")))
    if link is None:
        raise NotFound("测评链接无效")
    survey = db.session.get(Survey, link.survey_id)
    return link, survey, db.session.get(Item, survey.item_id)


def answer(token: str, choice: str, comment: str | None = None) -> SurveyLink:
    """Record one answer; a used link, or one whose survey has closed, is refused and changes nothing."""
    if choice not in ANSWERS:
        raise Invalid({"answer": "请选择：满意、基本满意、不满意或不了解"})
    link, survey, _ = link_for(token)
    if db.engine.dialect.name == "postgresql":  # the last two answers must not both miss closing the survey
        db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
        db.session.refresh(survey)
    if survey.closed_at is not None:
        raise Conflict("本次测评已结束")
    now = clock.now()
    claimed = db.session.execute(
        update(SurveyLink).where(SurveyLink.id == link.id, SurveyLink.answered_at.is_(None))
        .values(answer=choice, answered_at=now, comment=(comment or "").strip()[:2000] or None)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise Conflict("该测评链接已使用，每个链接只能评价一次")
    column = getattr(Rating, choice)
    db.session.execute(update(Rating).where(
        Rating.review_id == survey.review_id, Rating.target_type == "item", Rating.target_id == survey.item_id)
        .values({column: column + 1}).execution_options(synchronize_session=False))
    db.session.expire_all()
    left = db.session.scalar(select(func.count()).select_from(SurveyLink).where(
        SurveyLink.survey_id == survey.id, SurveyLink.answered_at.is_(None)))
    if not left:
        _finish(survey)
    return db.session.get(SurveyLink, link.id)


def close_survey(actor: User, survey_id: int) -> Survey:
    """Stop taking answers (the secretary) and apply the rules to what came back."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("测评不存在")
    services.review_for(actor, survey.review_id, write=True)
    if survey.closed_at is not None:
        raise Conflict("本次测评已结束")
    _finish(survey)
    return survey


def _finish(survey: Survey) -> None:
    survey.closed_at = clock.now()
    rating = db.session.scalar(select(Rating).where(
        Rating.review_id == survey.review_id, Rating.target_type == "item", Rating.target_id == survey.item_id))
    db.session.flush()
    services.apply_rules(rating)


def survey_dict(survey: Survey) -> dict:
    sent, answered = db.session.execute(
        select(func.count(SurveyLink.id), func.count(SurveyLink.answered_at)).where(
            SurveyLink.survey_id == survey.id)).one()
    return {"id": survey.id, "review_id": survey.review_id, "item_id": survey.item_id, "links_sent": sent,
            "answered": answered, "created_at": survey.created_at, "closed_at": survey.closed_at}


def get_survey(actor: User, survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("测评不存在")
    services.review_for(actor, survey.review_id, write=False)
    return survey
