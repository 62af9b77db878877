"""Opinions (fast entry, list, triage, merging into one item) and reviews, through the pages."""
from __future__ import annotations

import re
from datetime import timedelta

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Item
from ledger.opinions.models import Opinion
from ledger.reviews.models import Review


def _opinion(opinion_id):
    db.session.expire_all()
    return db.session.get(Opinion, opinion_id)


def test_fast_entry_keeps_the_context_for_the_next_opinion(browser, w):
    b = browser(w.sec_a)
    today = clock.today().isoformat()
    response = b.post("/opinions/new", {"org_id": w.org_a.id, "channel": "hotline", "kind": "problem",
                                        "content": "第一条", "received_on": today})
    assert response.status_code == 302 and "channel=hotline" in response.headers["Location"]
    page = b.get(response.headers["Location"]).text
    assert re.search(r'<option selected value="hotline">', page) and "第一条" in page  # in "my latest entries"
    assert b.post("/opinions/new", {"org_id": w.org_a.id, "channel": "hotline", "kind": "problem",
                                    "content": "第二条"}).status_code == 302
    refused = b.post("/opinions/new", {"org_id": w.org_a.id, "channel": "hotline", "kind": "problem",
                                       "content": "", "submitter_name": "王大爷"})
    assert refused.status_code == 422 and "意见内容不能为空" in refused.text and "王大爷" in refused.text
    assert db.session.query(Opinion).filter_by(org_id=w.org_a.id).count() == 2
    other = b.post("/opinions/new", {"org_id": w.org_b.id, "channel": "hotline", "content": "别的支部"})
    assert other.status_code == 422 and db.session.query(Opinion).filter_by(content="别的支部").count() == 0


def test_merge_three_opinions_into_one_item(f, browser, w):
    ids = [f.opinion(w.sec_a, w.org_a, content=f"午休无人值守{n}").id for n in range(3)]
    b = browser(w.sec_a)
    listing = b.get("/opinions?status=new").text
    for opinion_id in ids:
        assert f'name="opinion_ids" value="{opinion_id}"' in listing
    form = b.get("/items/new?" + "&".join(f"opinion_ids={i}" for i in ids)).text
    assert "并入以下 3 条意见" in form and "午休无人值守2" in form
    deadline = (clock.today() + timedelta(days=15)).isoformat()
    response = b.post("/items/new", {"org_id": w.org_a.id, "title": "午间窗口无人", "owner_id": w.owner_a.id,
                                     "kind": "time_limited", "scope": "common", "urgency": "normal",
                                     "deadline": deadline, "opinion_ids": ids})
    assert response.status_code == 302
    item = db.session.query(Item).filter_by(title="午间窗口无人").one()
    assert sorted(item.opinion_ids) == sorted(ids)
    assert all(_opinion(i).status == "accepted" for i in ids)
    page = b.get(f"/items/{item.id}").text
    assert "午休无人值守0" in page and "午休无人值守2" in page
    # merging them again is refused next to the list, nothing is created
    again = b.post("/items/new", {"org_id": w.org_a.id, "title": "重复", "owner_id": w.owner_a.id,
                                  "kind": "time_limited", "scope": "common", "urgency": "normal",
                                  "deadline": deadline, "opinion_ids": ids})
    assert again.status_code == 422 and "该意见已处理" in again.text
    assert db.session.query(Item).filter_by(title="重复").count() == 0


def test_triage_answer_reject_link_accept(f, browser, w):
    b = browser(w.sec_a)
    answer, reject, link, accept = (f.opinion(w.sec_a, w.org_a, content=c).id for c in ("问", "否", "并", "采"))
    page = b.get(f"/opinions/{answer}").text
    assert 'id="triage-answer"' in page and 'id="triage-accept"' in page
    refused = b.post(f"/opinions/{reject}/triage/reject", {"reject-reply": ""})
    assert refused.status_code == 422 and _opinion(reject).status == "new"
    assert b.post(f"/opinions/{answer}/triage/answer", {"answer-reply": "已解释"}).status_code == 302
    assert _opinion(answer).status == "answered" and _opinion(answer).reply == "已解释"
    assert b.post(f"/opinions/{reject}/triage/reject", {"reject-reply": "不属实"}).status_code == 302
    assert _opinion(reject).status == "rejected"
    item = f.item(w.sec_a, w.org_a, w.owner_a)
    assert b.post(f"/opinions/{link}/triage/link", {"link-item_id": item.id}).status_code == 302
    assert _opinion(link).item_id == item.id
    deadline = (clock.today() + timedelta(days=5)).isoformat()
    assert b.post(f"/opinions/{accept}/triage/accept", {
        "accept-title": "新事项", "accept-owner_id": w.owner_a2.id, "accept-kind": "time_limited",
        "accept-deadline": deadline}).status_code == 302
    assert _opinion(accept).status == "accepted"
    # sorted opinions offer no more triage
    assert 'id="triage-' not in b.get(f"/opinions/{answer}").text
    again = b.post(f"/opinions/{answer}/triage/reject", {"reject-reply": "再来"})
    assert again.status_code == 409 and _opinion(answer).status == "answered"


def test_opinions_of_another_organisation_are_not_found(f, browser, w):
    opinion = f.opinion(w.sec_a, w.org_a, content="甲的意见")
    b = browser(w.sec_b)
    assert b.get(f"/opinions/{opinion.id}").status_code == 404
    assert b.post(f"/opinions/{opinion.id}/triage/answer", {"answer-reply": "x"}).status_code == 404
    assert "甲的意见" not in b.get("/opinions").text
    # a supervisor may read it but not sort it
    sup = browser(w.sup_root)
    assert sup.get(f"/opinions/{opinion.id}").status_code == 200
    assert 'id="triage-' not in sup.get(f"/opinions/{opinion.id}").text
    assert sup.post(f"/opinions/{opinion.id}/triage/answer", {"answer-reply": "x"}).status_code == 404
    assert _opinion(opinion.id).status == "new"


def test_opinion_filters(f, browser, w):
    f.opinion(w.sec_a, w.org_a, content="热线来的", channel="hotline")
    f.opinion(w.sec_a, w.org_a, content="会上说的")
    b = browser(w.sec_a)
    page = b.get("/opinions?channel=hotline").text
    assert "热线来的" in page and "会上说的" not in page
    assert "会上说的" in b.get("/opinions?q=会上").text
    assert "热线来的" not in b.get("/opinions?status=answered").text
    newest, oldest = b.get("/opinions").text, b.get("/opinions?sort=oldest").text
    assert newest.index("会上说的") < newest.index("热线来的") and oldest.index("热线来的") < oldest.index("会上说的")


def test_reviews_create_list_detail(f, browser, w):
    b = browser(w.sec_a)
    held = clock.today().isoformat()
    refused = b.post("/reviews/new", {"org_id": w.org_a.id, "title": "年度评议", "method": "meeting",
                                      "held_on": held, "forms_issued": 10, "forms_returned": 12, "forms_valid": 5})
    assert refused.status_code == 422 and "收回份数不能多于发放份数" in refused.text and "年度评议" in refused.text
    created = b.post("/reviews/new", {"org_id": w.org_a.id, "title": "年度评议", "method": "meeting",
                                      "held_on": held, "forms_issued": 10, "forms_returned": 9, "forms_valid": 8})
    assert created.status_code == 302
    review = db.session.query(Review).filter_by(title="年度评议").one()
    f.opinion(w.sec_a, w.org_a, content="评议中提的", review_id=review.id)
    assert "年度评议" in b.get("/reviews").text
    detail = b.get(f"/reviews/{review.id}").text
    assert "评议中提的" in detail and "10/9/8" in detail
    assert re.search(rf"/opinions/new\?[^\"]*review_id={review.id}", detail)
    assert browser(w.sec_b).get(f"/reviews/{review.id}").status_code == 404
    assert "年度评议" not in browser(w.sec_b).get("/reviews").text
