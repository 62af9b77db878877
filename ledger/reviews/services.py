"""Reviews (评议活动)."""
from __future__ import annotations

from sqlalchemy import Select, select

from ledger.auth.models import User
from ledger.auth.scope import org_clause, require_org, scope_of
from ledger.core.db import db
from ledger.core.enums import ReviewMethod
from ledger.core.errors import Invalid, NotFound
from ledger.reviews.models import Review


def create_review(actor: User, data: dict) -> Review:
    require_org(actor, data["org_id"], roles=("secretary",))
    problems = {}
    if not (data.get("title") or "").strip():
        problems["title"] = "标题不能为空"
    if data.get("method") not in ReviewMethod.values():
        problems["method"] = "评议方式无效"
    issued, returned, valid = (int(data.get(k) or 0) for k in ("forms_issued", "forms_returned", "forms_valid"))
    if min(issued, returned, valid) < 0:
        problems["forms_issued"] = "份数不能为负"
    elif returned > issued:
        problems["forms_returned"] = "收回份数不能多于发放份数"
    elif valid > returned:
        problems["forms_valid"] = "有效份数不能多于收回份数"
    if problems:
        raise Invalid(problems)
    review = Review(org_id=data["org_id"], title=data["title"].strip(), method=data["method"],
                    held_on=data["held_on"], forms_issued=issued, forms_returned=returned, forms_valid=valid,
                    note=data.get("note") or "", created_by_id=actor.id)
    db.session.add(review)
    db.session.flush()
    return review


def reviews_query(actor: User) -> Select:
    return select(Review).where(org_clause(actor, Review.org_id))


def get_review(actor: User, review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    scope = scope_of(actor)
    if review is None or not (scope.is_admin or review.org_id in scope.managed):
        raise NotFound("评议活动不存在或不在您的权限范围内")
    return review
