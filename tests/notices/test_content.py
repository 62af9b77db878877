"""Each kind's content against a ledger built for the test: counts, lists, ranking."""
from datetime import timedelta

import pytest

from ledger.core import clock
from ledger.core.errors import NotFound
from ledger.notices import services
from ledger.notices.document import build_document
from ledger.reviews.services import create_review
from tests.notices.support import later, ledger


def test_progress_counts_overdue_and_ranking(f):
    w, items = ledger(f)
    with later(5):
        today = clock.today()
        notice = services.create_draft(w.sup_root, w.root.id, "progress", today - timedelta(days=7), today)
    c = notice.content
    assert c["totals"]["total"] == 6  # the cancelled item is not counted
    assert c["totals"]["cancelled"] == 1
    assert c["totals"]["closed"] == 3
    assert c["totals"]["overdue"] == 1
    by_org = {r["org_name"]: r for r in c["by_org"]}
    a, b = by_org["甲支部"], by_org["乙支部"]
    assert (a["total"], a["closed"], a["in_progress"], a["pending"], a["overdue"]) == (4, 2, 1, 1, 1)
    # due in org_a: 2 closed + the overdue one (the pending one is due in 30 days) → 2/3
    assert a["completion_rate"] == "66.67"
    assert b["completion_rate"] == "100.00"
    assert [r["org_name"] for r in c["by_org"]] == ["乙支部", "甲支部"]
    assert [r["rank"] for r in c["by_org"]] == [1, 2]
    assert [r["title"] for r in c["overdue"]] == ["将要超期"]
    assert c["overdue"][0]["overdue_days"] == 3
    text = build_document(notice).plain_text()
    assert "超期未完成1项" in text and "将要超期" in text


def test_closure_lists_items_closed_in_period_with_masked_sources(f):
    w, items = ledger(f)
    today = clock.today()
    notice = services.create_draft(w.sec_a, w.org_a.id, "closure", today - timedelta(days=1), today)
    c = notice.content
    assert c["count"] == 2 and c["first_round"] == 2 and c["reopened"] == 0
    assert {r["title"] for r in c["items"]} == {"午间无人值守", "匿名反映事项"}  # org_b's closure is not org_a's
    sources = {r["title"]: [s["submitter"] for s in r["sources"]] for r in c["items"]}
    assert sources["午间无人值守"] == ["张**，138****8000", "李**，l***@example.org"]
    assert sources["匿名反映事项"] == ["匿名"]
    earlier = services.create_draft(w.sec_a, w.org_a.id, "closure", today - timedelta(days=30),
                                    today - timedelta(days=2))
    assert earlier.content["count"] == 0


def test_review_counts_forms_and_opinions(f):
    w = f.world()
    today = clock.today()
    review = create_review(w.sec_a, {"org_id": w.org_a.id, "title": "四季度群众评议", "method": "meeting",
                                     "held_on": today, "forms_issued": 50, "forms_returned": 40,
                                     "forms_valid": 38})
    for n in range(3):
        f.opinion(w.sec_a, w.org_a, review_id=review.id, content=f"意见{n}")
    from ledger.opinions.services import triage

    answered = f.opinion(w.sec_a, w.org_a, review_id=review.id, content="已答复的意见")
    triage(w.sec_a, answered.id, "answer", "已解释")
    from ledger.evaluation.services import record_rating

    record_rating(w.sec_a, review.id, {"target_type": "org", "target_id": w.org_a.id, "satisfied": 20,
                                       "basically_satisfied": 10, "unsatisfied": 8})
    notice = services.create_draft(w.sec_a, w.org_a.id, "review", today - timedelta(days=30), today)
    (row,) = notice.content["reviews"]
    (rating,) = row["ratings"]
    assert (rating["target"], rating["valid"], rating["satisfied_share"], rating["unsatisfied_share"]) == (
        "甲支部", 38, "52.63", "21.05")
    assert rating["satisfaction_rate"] == "78.95"  # (20 + 1 × 10) / 38 with the default weight
    assert (row["forms_issued"], row["forms_returned"], row["forms_valid"]) == (50, 40, 38)
    assert row["return_rate"] == "80.00"
    assert row["opinions"]["total"] == 4 and row["opinions"]["new"] == 3 and row["opinions"]["answered"] == 1
    text = build_document(notice).plain_text()
    assert "发放评议表50份" in text and "甲支部\t20（52.63%）\t10（26.32%）\t8（21.05%）\t38\t78.95%" in text


def test_overdue_is_a_supervisors_notice(f):
    w, items = ledger(f)
    with later(5):
        today = clock.today()
        with pytest.raises(NotFound):
            services.create_draft(w.sec_a, w.org_a.id, "overdue", today, today)
        notice = services.create_draft(w.sup_a, w.org_a.id, "overdue", today, today)
    c = notice.content
    assert c["count"] == 1 and c["items"][0]["title"] == "将要超期" and c["items"][0]["overdue_days"] == 3
    assert c["by_org"] == [{"org_name": "甲支部", "overdue": 1, "flagged": 0}]
