"""One-time survey links: sent to the people who raised an item's opinions, each answers once, and the
answers aggregate into the item's rating (and its rule)."""
import re

from sqlalchemy import select

from ledger.core.db import db
from ledger.evaluation import surveys
from ledger.evaluation.models import Rating, SurveyLink
from ledger.items.models import Item
from ledger.outbox.models import Message
from tests.evaluation.helpers import review


def _closed_item_with_opinions(f, w):
    opinions = [f.opinion(w.sec_a, w.org_a, submitter_contact=c)
                for c in ("a@example.org", "b@example.org", "13800000000", None)]
    return f.item(w.sec_a, w.org_a, w.owner_a, "closed", opinion_ids=[o.id for o in opinions]), opinions


def _tokens() -> list[str]:
    bodies = db.session.scalars(select(Message.body).where(Message.kind == "survey").order_by(Message.id))
    return [re.search(r"/survey/([\w-]+)", body).group(1) for body in bodies]


def _csrf(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def test_links_go_to_submitters_with_an_email_and_answer_once(f, api, client, backend):
    w = f.world()
    item, opinions = _closed_item_with_opinions(f, w)
    made = review(w.sec_a, w.org_a, "销号测评")
    status, body = api(w.sec_a).post(f"/reviews/{made.id}/surveys", {"item_id": item.id})
    assert status == 201, body
    assert body["links_sent"] == 2 and body["answered"] == 0 and body["closed_at"] is None
    addresses = set(db.session.scalars(select(Message.to_address).where(Message.kind == "survey")))
    assert addresses == {"a@example.org", "b@example.org"}
    first, second = _tokens()
    stored = set(db.session.scalars(select(SurveyLink.token_hash)))
    assert first not in stored and len(stored) == 2  # only hashes are kept

    page = client.get(f"/survey/{first}")
    assert page.status_code == 200 and item.title.encode() in page.data
    answered = client.post(f"/survey/{first}", data={"answer": "satisfied", "csrf_token": _csrf(page.data)})
    assert answered.status_code == 200 and "感谢".encode() in answered.data
    again = client.post(f"/survey/{first}", data={"answer": "unsatisfied", "csrf_token": _csrf(page.data)})
    assert again.status_code == 409 and "已使用".encode() in again.data
    assert client.get(f"/survey/{first}").status_code == 409
    assert client.get("/survey/not-a-token").status_code == 404

    rating = db.session.scalar(select(Rating).where(Rating.target_type == "item", Rating.target_id == item.id))
    assert (rating.satisfied, rating.basically_satisfied, rating.unsatisfied) == (1, 0, 0)
    status, body = api(w.sec_a).get(f"/surveys/{body['id']}")
    assert body["answered"] == 1 and body["closed_at"] is None


def test_reuse_is_refused_by_the_service_and_changes_nothing(f, api, backend):
    w = f.world()
    item, _ = _closed_item_with_opinions(f, w)
    made = review(w.sec_a, w.org_a)
    surveys.create_survey(w.sec_a, made.id, item.id)
    db.session.commit()
    token = _tokens()[0]
    surveys.answer(token, "basically_satisfied")
    db.session.commit()
    import pytest

    from ledger.core.errors import Conflict, Invalid
    with pytest.raises(Conflict):
        surveys.answer(token, "unsatisfied")
    db.session.rollback()
    with pytest.raises(Invalid):
        surveys.answer(_tokens()[1], "dont_care")
    db.session.rollback()
    rating = db.session.scalar(select(Rating).where(Rating.target_type == "item", Rating.target_id == item.id))
    assert (rating.satisfied, rating.basically_satisfied, rating.unsatisfied) == (0, 1, 0)


def test_when_every_link_has_answered_the_rule_applies_to_the_item(f, app, backend):
    app.config["LEDGER_SATISFACTION_MIN_VALID"] = "2"
    w = f.world()
    item, _ = _closed_item_with_opinions(f, w)
    made = review(w.sec_a, w.org_a)
    survey = surveys.create_survey(w.sec_a, made.id, item.id)
    db.session.commit()
    first, second = _tokens()
    surveys.answer(first, "unsatisfied")
    db.session.commit()
    assert db.session.get(Item, item.id).status == "closed"  # the survey is still open
    surveys.answer(second, "satisfied")  # 1 of 2: 50% < 2/3
    db.session.commit()
    item = db.session.get(Item, item.id)
    assert item.status == "in_progress" and item.round == 2
    assert db.session.get(type(survey), survey.id).closed_at is not None


def test_a_closed_survey_takes_no_more_answers_and_dont_know_is_not_valid(f, api, client, backend):
    w = f.world()
    item, _ = _closed_item_with_opinions(f, w)
    made = review(w.sec_a, w.org_a)
    status, body = api(w.sec_a).post(f"/reviews/{made.id}/surveys", {"item_id": item.id})
    first, second = _tokens()
    surveys.answer(first, "dont_know")
    db.session.commit()
    assert api(w.sec_b).post(f"/surveys/{body['id']}/close")[0] == 404
    status, closed = api(w.sec_a).post(f"/surveys/{body['id']}/close")
    assert status == 200 and closed["closed_at"] and closed["answered"] == 1
    assert client.get(f"/survey/{second}").status_code == 409
    rating = db.session.scalar(select(Rating).where(Rating.target_type == "item", Rating.target_id == item.id))
    assert rating.dont_know == 1 and rating.valid == 0
    assert db.session.get(Item, item.id).status == "closed"


def test_surveys_only_for_closed_items_with_reachable_submitters(f, api, backend):
    w = f.world()
    made = review(w.sec_a, w.org_a)
    open_item = f.item(w.sec_a, w.org_a, w.owner_a, "in_progress")
    status, body = api(w.sec_a).post(f"/reviews/{made.id}/surveys", {"item_id": open_item.id})
    assert status == 422
    phone_only = f.opinion(w.sec_a, w.org_a, submitter_contact="13900000000")
    closed = f.item(w.sec_a, w.org_a, w.owner_a, "closed", opinion_ids=[phone_only.id])
    status, body = api(w.sec_a).post(f"/reviews/{made.id}/surveys", {"item_id": closed.id})
    assert status == 422 and "item_id" in body["error"]["details"]["fields"]
    assert api(w.sec_b).post(f"/reviews/{made.id}/surveys", {"item_id": closed.id})[0] == 404
