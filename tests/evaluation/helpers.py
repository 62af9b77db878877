"""Small builders for the evaluation tests."""
from __future__ import annotations

from datetime import timedelta

from ledger.core import clock
from ledger.core.db import db
from ledger.evaluation.services import record_rating
from ledger.reviews.services import create_review


def review(secretary, org, title: str = "评议", days_ago: int = 1, valid: int = 0):
    made = create_review(secretary, {"org_id": org.id, "title": title, "method": "meeting",
                                     "held_on": clock.today() - timedelta(days=days_ago), "forms_issued": valid,
                                     "forms_returned": valid, "forms_valid": valid})
    db.session.commit()
    return made


def rate(secretary, made_review, target_type: str, target_id: int, s: int, b: int, u: int, **extra):
    rating = record_rating(secretary, made_review.id, {"target_type": target_type, "target_id": target_id,
                                                       "satisfied": s, "basically_satisfied": b,
                                                       "unsatisfied": u, **extra})
    db.session.commit()
    return rating
