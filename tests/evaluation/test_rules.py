"""The rules of SPEC §6 at their boundaries: 2/3 sends a closed item back, 60% once or 70% twice in a row
warns, a leadership team below 2/3 gets 返工补课."""
from sqlalchemy import select

from ledger.core.db import db
from ledger.evaluation.models import Warning
from ledger.items.models import Event, Item
from ledger.outbox.models import Notification
from tests.evaluation.helpers import rate, review


def _warnings(target_type=None, target_id=None):
    query = select(Warning).order_by(Warning.id)
    if target_type:
        query = query.where(Warning.target_type == target_type, Warning.target_id == target_id)
    return list(db.session.scalars(query))


def test_closed_item_at_exactly_two_thirds_stays_closed_and_below_goes_back(f, backend):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, "closed")
    rate(w.sec_a, review(w.sec_a, w.org_a, "第一次"), "item", item.id, 4, 0, 2)  # exactly 2/3
    assert db.session.get(Item, item.id).status == "closed"

    rate(w.sec_a, review(w.sec_a, w.org_a, "第二次"), "item", item.id, 3, 0, 2)  # 60%
    item = db.session.get(Item, item.id)
    assert item.status == "in_progress" and item.round == 2 and item.closed_at is None
    event = db.session.scalars(select(Event).where(Event.item_id == item.id).order_by(Event.id.desc())).first()
    assert event.action == "reopen" and event.actor_id is None and event.from_status == "closed"
    assert "60.00%" in event.comment and "第二次" in event.comment
    told = {n.user_id for n in db.session.scalars(select(Notification).where(
        Notification.kind == "reopened", Notification.item_id == item.id))}
    assert told == {w.owner_a.id, w.sec_a.id}


def test_an_old_rating_never_sends_a_later_round_back_and_open_items_are_left_alone(f, backend):
    w = f.world()
    open_item = f.item(w.sec_a, w.org_a, w.owner_a, "in_progress")
    rate(w.sec_a, review(w.sec_a, w.org_a), "item", open_item.id, 0, 0, 6)
    assert db.session.get(Item, open_item.id).status == "in_progress"


def test_too_few_valid_answers_give_no_rate_and_no_rule(f, backend):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, "closed")
    rating = rate(w.sec_a, review(w.sec_a, w.org_a), "item", item.id, 0, 0, 4, dont_know=9)
    assert db.session.get(Item, item.id).status == "closed"
    from ledger.evaluation.services import rating_dict
    assert rating_dict(rating)["satisfaction_rate"] is None and rating_dict(rating)["valid"] == 4


def test_the_weight_of_basically_satisfied_is_a_setting(f, app, backend):
    w = f.world()
    kept = f.item(w.sec_a, w.org_a, w.owner_a, "closed")
    rate(w.sec_a, review(w.sec_a, w.org_a, "w=1"), "item", kept.id, 2, 2, 1)  # (2 + 2) / 5 = 80%
    assert db.session.get(Item, kept.id).status == "closed"
    app.config["LEDGER_SATISFACTION_WEIGHT"] = "0.5"
    sent_back = f.item(w.sec_a, w.org_a, w.owner_a, "closed")
    rate(w.sec_a, review(w.sec_a, w.org_a, "w=0.5"), "item", sent_back.id, 2, 2, 1)  # (2 + 1) / 5 = 60%
    assert db.session.get(Item, sent_back.id).status == "in_progress"


def test_exactly_sixty_percent_is_no_warning_and_below_is(f, backend):
    w = f.world()
    rate(w.sec_a, review(w.sec_a, w.org_a, "A"), "user", w.owner_a.id, 3, 0, 2)  # 60%
    assert _warnings() == []
    low = review(w.sec_a, w.org_a, "B")
    rate(w.sec_a, low, "user", w.owner_a2.id, 29, 0, 21)  # 58%
    [warning] = _warnings()
    assert (warning.rule, warning.target_type, warning.target_id) == ("low_once", "user", w.owner_a2.id)
    assert warning.review_ids == [low.id] and warning.rates == ["58.00"] and warning.suggestion == "诫勉谈话"
    assert warning.org_id == w.org_a.id
    told = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "warning"))}
    assert told == {w.sup_a.id, w.sup_root.id}


def test_below_seventy_in_two_reviews_in_a_row_warns_with_both_reviews(f, backend):
    w = f.world()
    first = review(w.sec_a, w.org_a, "一", days_ago=30)
    second = review(w.sec_a, w.org_a, "二", days_ago=10)
    rate(w.sec_a, first, "user", w.owner_a.id, 13, 0, 7)  # 65%
    assert _warnings() == []
    rate(w.sec_a, second, "user", w.owner_a.id, 13, 0, 7)  # 65% again
    [warning] = _warnings()
    assert warning.rule == "low_twice" and warning.review_ids == [first.id, second.id]
    assert warning.review_id == second.id and warning.rates == ["65.00", "65.00"]


def test_below_seventy_twice_but_not_in_a_row_is_no_warning(f, backend):
    w = f.world()
    reviews = [review(w.sec_a, w.org_a, t, days_ago=d) for t, d in (("一", 30), ("二", 20), ("三", 10))]
    for made, (s, u) in zip(reviews, ((13, 7), (18, 2), (13, 7)), strict=True):  # 65%, 90%, 65%
        rate(w.sec_a, made, "user", w.owner_a.id, s, 0, u)
    assert _warnings() == []


def test_exactly_seventy_twice_is_no_warning(f, backend):
    w = f.world()
    for title, days in (("一", 30), ("二", 10)):
        rate(w.sec_a, review(w.sec_a, w.org_a, title, days_ago=days), "user", w.owner_a.id, 7, 0, 3)
    assert _warnings() == []


def test_the_pair_counts_by_review_date_even_when_entered_out_of_order(f, backend):
    w = f.world()
    later = review(w.sec_a, w.org_a, "后", days_ago=5)
    earlier = review(w.sec_a, w.org_a, "前", days_ago=50)
    rate(w.sec_a, later, "user", w.owner_a.id, 13, 0, 7)
    rate(w.sec_a, earlier, "user", w.owner_a.id, 13, 0, 7)
    [warning] = _warnings()
    assert warning.rule == "low_twice" and warning.review_ids == [earlier.id, later.id]
    assert warning.review_id == later.id


def test_leadership_team_below_two_thirds_gets_rework_and_exactly_two_thirds_does_not(f, backend):
    w = f.world()
    rate(w.sec_a, review(w.sec_a, w.org_a, "一", days_ago=40), "org", w.org_a.id, 4, 0, 2)  # exactly 2/3
    assert _warnings() == []
    made = review(w.sec_a, w.org_a, "二", days_ago=3)
    rate(w.sec_a, made, "org", w.org_a.id, 3, 0, 2)  # 60%: rework, and 66.67/60 is below 70 twice in a row
    rules = {x.rule: x for x in _warnings("org", w.org_a.id)}
    assert set(rules) == {"rework", "low_twice"}
    assert rules["rework"].suggestion == "返工补课" and rules["rework"].review_ids == [made.id]
    # a person at 60% gets no 返工补课: that rule is for leadership teams
    rate(w.sec_a, made, "user", w.owner_a.id, 3, 0, 2)
    assert _warnings("user", w.owner_a.id) == []


def test_warnings_are_not_raised_twice_for_the_same_review(f, backend):
    from ledger.evaluation.services import apply_rules

    w = f.world()
    rating = rate(w.sec_a, review(w.sec_a, w.org_a), "user", w.owner_a.id, 1, 0, 9)
    apply_rules(rating)
    db.session.commit()
    assert len(_warnings()) == 1
