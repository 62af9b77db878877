"""The /notices pages: draft, preview, publish, withdraw, answer objections — as a secretary would."""
from datetime import timedelta

from sqlalchemy import select

from ledger.core import clock
from ledger.core.db import db
from ledger.notices.models import Notice
from tests.notices.support import ledger
from tests.web.conftest import Browser


def test_secretary_drafts_previews_publishes_and_withdraws(f, app):
    w, items = ledger(f)
    page = Browser(app.test_client(), w.sec_a)
    assert page.get("/notices").status_code == 200
    today = clock.today()
    response = page.post("/notices", {"org_id": str(w.org_a.id), "kind": "closure",
                                      "period_start": (today - timedelta(days=3)).isoformat(),
                                      "period_end": today.isoformat(), "title": "", "addressee": "全体党员"})
    assert response.status_code == 302, response.text
    notice = db.session.scalar(select(Notice))
    preview = page.get(f"/notices/{notice.id}").text
    assert "午间无人值守" in preview and "张**" in preview and "张三丰" not in preview and "全体党员：" in preview
    assert page.post(f"/notices/{notice.id}/edit", {"title": "关于销号情况的公示", "addressee": "全体党员",
                                                     "intro": "现予公示。", "objection_days": "5"}).status_code == 302
    assert page.post(f"/notices/{notice.id}/publish", {}).status_code == 302
    db.session.expire_all()
    notice = db.session.get(Notice, notice.id)
    assert notice.status == "published" and notice.objection_days == 5 and notice.title == "关于销号情况的公示"
    detail = page.get(f"/notices/{notice.id}").text
    assert notice.number in detail and "撤回" in detail
    for ext in ("docx", "pdf"):
        assert page.get(f"/notices/{notice.id}.{ext}").status_code == 200
    assert page.post(f"/notices/{notice.id}/withdraw", {"reason": "有误"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status == "withdrawn"
    public = Browser(app.test_client()).get(f"/public/notices/{notice.id}").text
    assert "已撤回" in public or "撤回" in public


def test_other_organisations_notices_are_not_found_and_refusals_keep_the_form(f, app):
    w, items = ledger(f)
    today = clock.today()
    page = Browser(app.test_client(), w.sec_a)
    page.post("/notices", {"org_id": str(w.org_a.id), "kind": "progress", "period_start": today.isoformat(),
                           "period_end": today.isoformat()})
    notice = db.session.scalar(select(Notice))
    other = Browser(app.test_client(), w.sec_b)
    assert other.get(f"/notices/{notice.id}").status_code == 404
    assert other.post(f"/notices/{notice.id}/publish", {}).status_code == 404
    refused = page.post("/notices", {"org_id": str(w.org_a.id), "kind": "closure",
                                     "period_start": today.isoformat(),
                                     "period_end": (today + timedelta(days=5)).isoformat(), "title": "我的标题"})
    assert refused.status_code == 422 and "我的标题" in refused.text and "不能晚于今天" in refused.text
    assert Browser(app.test_client()).get("/notices").status_code == 302  # to the login page
