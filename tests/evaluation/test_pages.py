"""The evaluation pages: a review's ratings (paper entry, surveys) and the warnings list."""
from sqlalchemy import select

from ledger.core.db import db
from ledger.evaluation.models import Rating, Warning
from ledger.outbox.models import Message
from tests.evaluation.helpers import Browser, rate, review


def test_a_secretary_enters_paper_forms_and_a_refusal_keeps_what_was_typed(f, client, backend):
    w = f.world()
    made = review(w.sec_a, w.org_a, "支部评议", valid=30)
    browser = Browser(client, w.sec_a)
    url = f"/reviews/{made.id}/ratings"
    page = browser.get(url)
    assert page.status_code == 200 and "录入纸质测评表" in page.text and f"org:{w.org_a.id}" in page.text
    refused = browser.post(url, {"target": f"org:{w.org_a.id}", "satisfied": "40", "basically_satisfied": "7"}, url)
    assert refused.status_code == 422 and 'value="40"' in refused.text and 'value="7"' in refused.text
    done = browser.post(url, {"target": f"org:{w.org_a.id}", "satisfied": "20", "basically_satisfied": "5",
                              "unsatisfied": "5", "dont_know": "2"}, url)
    assert done.status_code == 302
    rating = db.session.scalar(select(Rating))
    assert (rating.satisfied, rating.basically_satisfied, rating.unsatisfied, rating.dont_know) == (20, 5, 5, 2)
    assert "83.33%" in browser.get(url).text
    assert Browser(client, w.sec_b).get(url).status_code == 404
    owner_view = Browser(client, w.owner_a).get(url)
    assert owner_view.status_code == 404


def test_survey_links_are_sent_from_the_review_page(f, client, backend):
    w = f.world()
    opinion = f.opinion(w.sec_a, w.org_a, submitter_contact="z@example.org")
    item = f.item(w.sec_a, w.org_a, w.owner_a, "closed", opinion_ids=[opinion.id])
    made = review(w.sec_a, w.org_a)
    browser = Browser(client, w.sec_a)
    url = f"/reviews/{made.id}/ratings"
    assert browser.post(f"/reviews/{made.id}/surveys", {"item_id": str(item.id)}, url).status_code == 302
    assert db.session.scalar(select(Message.to_address).where(Message.kind == "survey")) == "z@example.org"
    assert "已答复 0/1" in browser.get(url).text


def test_supervisors_see_and_acknowledge_warnings_on_their_page(f, client, backend):
    w = f.world()
    rate(w.sec_a, review(w.sec_a, w.org_a, "低分评议"), "user", w.owner_a.id, 1, 0, 9)
    assert "低分评议" not in Browser(client, w.sec_a).get("/warnings").text
    browser = Browser(client, w.sup_a)
    page = browser.get("/warnings")
    assert "低分评议" in page.text and "诫勉谈话" in page.text
    warning = db.session.scalar(select(Warning))
    assert browser.post(f"/warnings/{warning.id}/acknowledge", {"note": "已谈话"}, "/warnings").status_code == 302
    db.session.expire_all()
    assert db.session.get(Warning, warning.id).acknowledge_note == "已谈话"
    assert "低分评议" not in browser.get("/warnings").text
    assert "已谈话" in browser.get("/warnings?show=done").text
