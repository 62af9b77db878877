"""Objections on the public board: the form (human check, rate limit), the opinion it creates, the
secretary upholding it (the item is reopened, journalled) or answering it, and the closure made final."""
import re
from datetime import timedelta

from sqlalchemy import select

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Event, Item
from ledger.notices import objections
from ledger.notices.models import Objection
from ledger.opinions.models import Opinion
from ledger.outbox.models import Notification
from tests.notices.support import ledger, publish


def _form(client, notice_id):
    html = client.get(f"/public/notices/{notice_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    challenge = re.search(r'id="challenge" name="challenge" type="hidden" value="([^"]+)"', html).group(1)
    a, b = map(int, re.search(r"请计算 (\d+) \+ (\d+) = \?", html).groups())
    return {"csrf_token": token, "challenge": challenge, "answer": str(a + b)}


def _object(client, notice, item, content="整改不到位，中午仍无人", **extra):
    data = {**_form(client, notice.id), "item_id": str(item.id), "content": content, "name": "赵六",
            "contact": "13700001234", **extra}
    return client.post(f"/public/notices/{notice.id}/objections", data=data)


def _closure(f):
    w, items = ledger(f)
    today = clock.today()
    return w, items, publish(w.sec_a, w.org_a, "closure", today - timedelta(days=1), today)


def test_an_upheld_objection_reopens_the_item(f, client, api):
    w, items, notice = _closure(f)
    item = items["a_closed"]
    response = _object(client, notice, item)
    assert response.status_code == 302
    objection = db.session.scalars(select(Objection)).one()
    opinion = db.session.get(Opinion, objection.opinion_id)
    assert (opinion.channel, opinion.status, objection.item_id, objection.notice_id) == (
        "objection", "new", item.id, notice.id)
    assert db.session.scalar(select(Notification).where(Notification.user_id == w.sec_a.id,
                                                        Notification.kind == "objection")) is not None
    assert [o.id for o in objections.pending_objections(w.sec_a)] == [objection.id]
    assert objections.pending_objections(w.sec_b) == []
    status, body = api(w.sec_a).post(f"/objections/{objection.id}/uphold", {"reason": "经现场核实，中午仍无人值守"})
    assert status == 200 and body["decision"] == "upheld"
    db.session.expire_all()
    item = db.session.get(Item, item.id)
    assert (item.status, item.round) == ("in_progress", 2)
    reopen = db.session.scalars(select(Event).where(Event.item_id == item.id, Event.action == "reopen")).one()
    assert reopen.actor_id == w.sec_a.id and "异议成立" in reopen.comment
    opinion = db.session.get(Opinion, opinion.id)
    assert (opinion.status, opinion.item_id) == ("accepted", item.id)
    status, body = api(w.sec_a).post(f"/objections/{objection.id}/answer", {"reply": "再答一次"})
    assert status == 409
    # its period over, the notice finalises the other item but never the one that went back
    with clock.frozen_at(clock.now() + timedelta(days=30)):
        assert objections.finalise_closures() == 1
    db.session.commit()
    assert db.session.get(Item, item.id).closure_final_at is None
    assert db.session.get(Item, items["a_closed2"].id).closure_final_at is not None


def test_an_answered_objection_leaves_the_closure_to_become_final(f, client, api):
    w, items, notice = _closure(f)
    item = items["a_closed"]
    assert _object(client, notice, item, anonymous="y").status_code == 302
    objection = db.session.scalars(select(Objection)).one()
    opinion = db.session.get(Opinion, objection.opinion_id)
    assert opinion.anonymous and opinion.submitter_name is None and opinion.submitter_contact is None
    later = clock.now() + timedelta(days=30)
    with clock.frozen_at(later):
        assert objections.finalise_closures() == 0  # an undecided objection holds the notice back
    assert api(w.sec_b).post(f"/objections/{objection.id}/answer", {"reply": "x"})[0] == 404
    status, body = api(w.sec_a).post(f"/objections/{objection.id}/answer", {"reply": "经核实已整改到位。"})
    assert status == 200 and body["decision"] == "answered"
    with clock.frozen_at(later):
        assert objections.finalise_closures() == 2
        assert objections.finalise_closures() == 0  # idempotent
    db.session.commit()
    status, body = api(w.sec_a).get(f"/items/{item.id}")
    assert status == 200 and body["closure_final_at"] is not None
    final = db.session.scalars(select(Event).where(Event.item_id == item.id, Event.action == "closure_final")).one()
    assert notice.number in final.comment


def test_the_form_refuses_a_wrong_sum_an_item_not_in_the_notice_and_a_closed_period(f, client):
    w, items, notice = _closure(f)
    data = {**_form(client, notice.id), "item_id": str(items["a_closed"].id), "content": "有异议"}
    data["answer"] = str(int(data["answer"]) + 1)
    response = client.post(f"/public/notices/{notice.id}/objections", data=data)
    assert response.status_code == 422 and "计算结果不正确" in response.get_data(as_text=True)
    assert "有异议" in response.get_data(as_text=True)  # what was typed is kept
    response = _object(client, notice, items["b_closed"])
    assert response.status_code == 422
    assert db.session.scalars(select(Objection)).all() == []
    with clock.frozen_at(clock.now() + timedelta(days=30)):
        page = client.get(f"/public/notices/{notice.id}").get_data(as_text=True)
        assert "提出异议" not in page
        assert objections.Objection is Objection


def test_objections_are_rate_limited(f, client, app):
    app.config["LEDGER_OBJECTION_LIMIT"] = "2 per minute"
    w, items, notice = _closure(f)
    codes = [_object(client, notice, items["a_closed"], content=f"异议{n}").status_code for n in range(3)]
    assert codes == [302, 302, 429]
