"""Ratings per target in a review, and the rules of SPEC §6 that act on them."""
from __future__ import annotations

import logging
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import Select, false, select

from ledger.auth.models import Membership, User
from ledger.auth.scope import require_org, scope_of, supervisors_over
from ledger.core import clock
from ledger.core.db import db
from ledger.core.errors import Conflict, Invalid, NotFound
from ledger.evaluation import rates, settings
from ledger.evaluation.models import TARGET_TYPES, Rating, Warning
from ledger.items.models import Item
from ledger.orgs.models import Organisation
from ledger.outbox.services import notify_user
from ledger.reviews.models import Review

log = logging.getLogger(__name__)
COUNTS = ("satisfied", "basically_satisfied", "unsatisfied")
SUGGESTIONS = {"low_once": "诫勉谈话", "low_twice": "诫勉谈话", "rework": "返工补课"}


def rate_of(rating: Rating) -> Decimal | None:
    return rates.rate(rating.satisfied, rating.basically_satisfied, rating.unsatisfied, settings.weight(),
                      settings.min_valid())


def share_of(rating: Rating) -> Fraction | None:
    """The exact share the rules compare, or None below the minimum number of valid answers."""
    if rating.valid < max(settings.min_valid(), 1):
        return None
    return rates.share(rating.satisfied, rating.basically_satisfied, rating.unsatisfied, settings.weight())


def rating_dict(rating: Rating) -> dict:
    """The JSON of a rating (SPEC appendix) with its shares and number of answers."""
    valid = rating.valid
    shares = {k: rates.ratio(getattr(rating, k), valid) for k in COUNTS}
    return {"id": rating.id, "review_id": rating.review_id, "target_type": rating.target_type,
            "target_id": rating.target_id, "satisfied": rating.satisfied,
            "basically_satisfied": rating.basically_satisfied, "unsatisfied": rating.unsatisfied,
            "dont_know": rating.dont_know, "valid": valid, "satisfaction_rate": rate_of(rating),
            "shares": shares}


def review_for(actor: User, review_id: int, write: bool) -> Review:
    review = db.session.get(Review, review_id)
    scope = scope_of(actor)
    if review is None or not (scope.is_admin or review.org_id in scope.managed):
        raise NotFound("评议活动不存在或不在您的权限范围内")
    if write:
        require_org(actor, review.org_id, roles=("secretary", "supervisor", "admin"))
    return review


def _in_subtree(org: Organisation, org_id: int) -> bool:
    other = db.session.get(Organisation, org_id)
    return other is not None and other.path.startswith(org.path)


def check_target(review: Review, target_type: str, target_id: int) -> None:
    org = db.session.get(Organisation, review.org_id)
    if target_type not in TARGET_TYPES:
        raise Invalid({"target_type": "测评对象类型必须是 org、user 或 item"})
    if target_type == "org" and not _in_subtree(org, target_id):
        raise Invalid({"target_id": "只能测评本组织或其下级组织"})
    if target_type == "user" and not db.session.scalar(
            select(Membership.id).join(Organisation, Organisation.id == Membership.org_id)
            .where(Membership.user_id == target_id, Organisation.path.like(f"{org.path}%")).limit(1)):
        raise Invalid({"target_id": "只能测评本组织（含下级）的人员"})
    if target_type == "item":
        item = db.session.get(Item, target_id)
        if item is None or not _in_subtree(org, item.org_id):
            raise Invalid({"target_id": "只能测评本组织（含下级）的整改事项"})


def normalise_counts(data: dict) -> dict[str, int]:
    """Three-level counts, from either the three levels or 好/一般/差 (good/fair/poor) — not both."""
    three = {k: data.get(k) for k in (*COUNTS, "dont_know")}
    gfp = {k: data.get(k) for k in rates.GOOD_FAIR_POOR}
    if any(v is not None for v in gfp.values()):
        if any(three[k] is not None for k in COUNTS):
            raise Invalid({"good": "好/一般/差 与 满意/基本满意/不满意 只能填写一种"})
        three.update({rates.GOOD_FAIR_POOR[k]: v for k, v in gfp.items()})
    counts = {k: int(v or 0) for k, v in three.items()}
    problems = {k: "份数不能为负" for k, v in counts.items() if v < 0}
    if problems:
        raise Invalid(problems)
    return counts


def record_rating(actor: User, review_id: int, data: dict) -> Rating:
    """Enter a target's tally from the paper forms (secretary or supervisor), then apply the rules."""
    review = review_for(actor, review_id, write=True)
    target_type, target_id = data.get("target_type"), data.get("target_id")
    check_target(review, target_type, target_id)
    counts = normalise_counts(data)
    if review.forms_valid and sum(counts[k] for k in COUNTS) > review.forms_valid:
        raise Invalid({"satisfied": f"有效答卷合计不能超过本次评议的有效份数（{review.forms_valid}）"})
    existing = db.session.scalar(select(Rating.id).where(
        Rating.review_id == review.id, Rating.target_type == target_type, Rating.target_id == target_id))
    if existing is not None:
        raise Conflict("该对象在本次评议中已有测评结果", {"rating_id": existing})
    rating = Rating(review_id=review.id, target_type=target_type, target_id=target_id, created_by_id=actor.id,
                    **counts)
    if target_type == "item":
        rating.item_round = db.session.get(Item, target_id).round
    db.session.add(rating)
    db.session.flush()
    apply_rules(rating)
    return rating


def list_ratings(actor: User, review_id: int) -> list[Rating]:
    review = review_for(actor, review_id, write=False)
    return list(db.session.scalars(select(Rating).where(Rating.review_id == review.id).order_by(Rating.id)))


# --- the rules ---------------------------------------------------------------------------------

def apply_rules(rating: Rating) -> list[Warning]:
    """Apply SPEC §6 to one rating: send a closed item back, or warn about a person or a team."""
    value = share_of(rating)
    if value is None:
        return []
    if rating.target_type == "item":
        _maybe_reopen(rating, value)
        return []
    raised = []
    review = db.session.get(Review, rating.review_id)
    if value < settings.share("LEDGER_WARN_ONCE_BELOW"):
        raised += _warn(rating, review, "low_once", [(review, value)])
    twice = settings.share("LEDGER_WARN_TWICE_BELOW")
    if value < twice:
        before, after = _neighbours(rating, review)
        for pair in ((before, (review, value)), ((review, value), after)):
            if pair[0] is not None and pair[1] is not None and pair[0][1] < twice and pair[1][1] < twice:
                later = pair[1][0]
                raised += _warn(rating, later, "low_twice", list(pair))
    if rating.target_type == "org" and value < settings.share("LEDGER_REWORK_BELOW"):
        raised += _warn(rating, review, "rework", [(review, value)])
    return raised


def _neighbours(rating: Rating, review: Review) -> tuple:
    """The target's rated reviews just before and just after this one (by date), with their shares."""
    rows = db.session.execute(
        select(Rating, Review).join(Review, Review.id == Rating.review_id)
        .where(Rating.target_type == rating.target_type, Rating.target_id == rating.target_id)
        .order_by(Review.held_on, Review.id)).all()
    rated = [(rv, share_of(r)) for r, rv in rows]
    rated = [(rv, s) for rv, s in rated if s is not None]
    index = next(i for i, (rv, _) in enumerate(rated) if rv.id == review.id)
    before = rated[index - 1] if index > 0 else None
    after = rated[index + 1] if index + 1 < len(rated) else None
    return before, after


def _target_org_id(rating: Rating, review: Review) -> int:
    if rating.target_type == "org":
        return rating.target_id
    return review.org_id


def _warn(rating: Rating, trigger: Review, rule: str, basis: list[tuple[Review, Fraction]]) -> list[Warning]:
    exists = db.session.scalar(select(Warning.id).where(
        Warning.target_type == rating.target_type, Warning.target_id == rating.target_id,
        Warning.rule == rule, Warning.review_id == trigger.id))
    if exists is not None:
        return []
    org = db.session.get(Organisation, _target_org_id(rating, trigger))
    warning = Warning(org_id=org.id, target_type=rating.target_type, target_id=rating.target_id, rule=rule,
                      review_id=trigger.id, review_ids=[rv.id for rv, _ in basis],
                      rates=[str(rates.percent(s)) for _, s in basis], suggestion=SUGGESTIONS[rule],
                      created_at=clock.now())
    db.session.add(warning)
    db.session.flush()
    name = target_name(rating.target_type, rating.target_id)
    text = "、".join(f"{rv.title}（{rates.percent(s)}%）" for rv, s in basis)
    for supervisor in supervisors_over(org):
        notify_user(supervisor, "warning", f"测评预警：{name}（建议{SUGGESTIONS[rule]}）",
                    f"{name} 满意度测评未达标：{text}。建议{SUGGESTIONS[rule]}。")
    log.info("warning %s raised: %s %s rule=%s", warning.id, rating.target_type, rating.target_id, rule)
    return [warning]


def _maybe_reopen(rating: Rating, value: Fraction) -> None:
    from ledger.items.services import apply_action

    item = db.session.get(Item, rating.target_id)
    threshold = settings.share("LEDGER_REOPEN_BELOW")
    if item is None or item.status != "closed" or value >= threshold:
        return
    if rating.item_round is not None and rating.item_round != item.round:
        return  # a rating of an earlier round never sends a later closure back
    review = db.session.get(Review, rating.review_id)
    reason = (f"销号后满意度测评（{review.title}）满意率 {rates.percent(value)}%，低于 "
              f"{rates.percent(threshold)}%，自动回炉整改")
    apply_action(None, item.id, "reopen", item.version, reason=reason)


def target_name(target_type: str, target_id: int) -> str:
    if target_type == "org":
        org = db.session.get(Organisation, target_id)
        return org.name if org else f"组织 {target_id}"
    if target_type == "user":
        user = db.session.get(User, target_id)
        return user.name if user else f"用户 {target_id}"
    item = db.session.get(Item, target_id)
    return f"{item.code} {item.title}" if item else f"事项 {target_id}"


# --- warnings ------------------------------------------------------------------------------------

def warnings_query(actor: User, acknowledged: bool | None = None) -> Select:
    """Warnings for the organisations the actor supervises (an admin: all)."""
    scope = scope_of(actor)
    query = select(Warning)
    if not scope.is_admin:
        query = query.where(Warning.org_id.in_(sorted(scope.supervised)) if scope.supervised else false())
    if acknowledged is not None:
        query = query.where(Warning.acknowledged_at.is_not(None) if acknowledged
                            else Warning.acknowledged_at.is_(None))
    return query


def get_warning(actor: User, warning_id: int) -> Warning:
    scope = scope_of(actor)
    warning = db.session.get(Warning, warning_id)
    if warning is None or not (scope.is_admin or warning.org_id in scope.supervised):
        raise NotFound("预警不存在或不在您的权限范围内")
    return warning


def acknowledge(actor: User, warning_id: int, note: str) -> Warning:
    """A supervisor records what was done (e.g. the talk held); the warning and the note are kept."""
    warning = get_warning(actor, warning_id)
    note = (note or "").strip()
    if not note:
        raise Invalid({"note": "请填写处理情况"})
    if warning.acknowledged_at is not None:
        raise Conflict("该预警已处理", {"acknowledged_at": warning.acknowledged_at.isoformat()})
    warning.acknowledged_at = clock.now()
    warning.acknowledged_by_id = actor.id
    warning.acknowledge_note = note
    db.session.flush()
    return warning


def warning_dict(warning: Warning) -> dict:
    reviews = {r.id: r for r in db.session.scalars(select(Review).where(Review.id.in_(warning.review_ids)))}
    return {"id": warning.id, "org_id": warning.org_id, "target_type": warning.target_type,
            "target_id": warning.target_id, "target_name": target_name(warning.target_type, warning.target_id),
            "rule": warning.rule, "suggestion": warning.suggestion, "review_ids": list(warning.review_ids),
            "reviews": [{"id": rid, "title": reviews[rid].title if rid in reviews else None,
                         "held_on": reviews[rid].held_on.isoformat() if rid in reviews else None,
                         "satisfaction_rate": rate} for rid, rate in zip(warning.review_ids, warning.rates,
                                                                         strict=False)],
            "created_at": warning.created_at, "acknowledged_at": warning.acknowledged_at,
            "acknowledged_by_id": warning.acknowledged_by_id, "acknowledge_note": warning.acknowledge_note}
