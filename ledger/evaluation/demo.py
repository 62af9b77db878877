"""Demo reviews and ratings on top of ``ledger.demo`` (idempotent), so the dashboard has satisfaction
figures, a warning and an urge to show. Everything goes through the services."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ledger.auth.models import User
from ledger.core import clock
from ledger.core.db import db
from ledger.evaluation.services import record_rating
from ledger.items.models import Item
from ledger.items.services import apply_action
from ledger.reviews.models import Review
from ledger.reviews.services import create_review

FIRST = "2026年度第一次群众评议"


def load_evaluation_demo() -> bool:
    """Add the demo reviews once; False when they are already there or the base demo is missing."""
    users = {u.username: u for u in db.session.scalars(select(User))}
    if "secretary" not in users or db.session.scalar(select(Review.id).where(Review.title == FIRST)):
        return False
    sec, sec2, sup = users["secretary"], users["secretary2"], users["supervisor"]
    branch1 = sec.memberships[0].org_id
    branch2 = sec2.memberships[0].org_id
    today = clock.today()
    plan = [  # (secretary, org, title, days ago, forms, ratings: (type, id, s, b, u))
        (sec, branch1, FIRST, 75, (60, 58, 55), [("org", branch1, 40, 10, 5), ("user", users["owner"].id, 35, 12, 8)]),
        (sec2, branch2, "人社局窗口服务评议", 70, (40, 40, 36),
         [("org", branch2, 18, 8, 10), ("user", users["owner3"].id, 17, 8, 11)]),
        (sec2, branch2, "人社局整改回头看评议", 20, (40, 38, 35),
         [("org", branch2, 22, 6, 7), ("user", users["owner3"].id, 16, 7, 12)]),
        (sec, branch1, "政务中心整改回头看评议", 15, (50, 50, 48), [("org", branch1, 38, 8, 2)]),
    ]
    for secretary, org_id, title, ago, (issued, returned, valid), ratings in plan:
        review = create_review(secretary, {"org_id": org_id, "title": title, "method": "meeting",
                                           "held_on": today - timedelta(days=ago), "forms_issued": issued,
                                           "forms_returned": returned, "forms_valid": valid})
        for target_type, target_id, s, b, u in ratings:
            record_rating(secretary, review.id, {"target_type": target_type, "target_id": target_id,
                                                 "satisfied": s, "basically_satisfied": b, "unsatisfied": u})
    urged = db.session.scalar(select(Item).where(Item.title == "社保卡补办一次告知"))
    if urged is not None and urged.is_open:
        apply_action(sup, urged.id, "urge", urged.version, note="请加快进度，本周内报送整改进展。")
    db.session.flush()
    return True
