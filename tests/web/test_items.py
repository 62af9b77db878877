"""The ledger and the item page: lists, filters, paging, actions through the forms, refusals, evidence."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import event

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Event, Item
from ledger.items.services import apply_action
from tests.factories import PNG


def _item(item_id):
    db.session.expire_all()
    return db.session.get(Item, item_id)


def test_item_page_offers_exactly_the_allowed_actions(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a)
    owner_page = browser(w.owner_a).get(f"/items/{item.id}").text
    assert set(re.findall(r'id="action-(\w+)"', owner_page)) == {"claim"}
    secretary_page = browser(w.sec_a).get(f"/items/{item.id}").text
    assert set(re.findall(r'id="action-(\w+)"', secretary_page)) == {"reassign", "cancel", "urge", "edit"}
    supervisor_page = browser(w.sup_a).get(f"/items/{item.id}").text
    assert set(re.findall(r'id="action-(\w+)"', supervisor_page)) == {"flag", "urge"}


def test_claim_progress_submit_verify_through_the_forms(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a)
    owner = browser(w.owner_a)
    deadline = (clock.today() + timedelta(days=20)).isoformat()
    response = owner.post(f"/items/{item.id}/actions/claim", {"claim-version": item.version,
                                                              "claim-measures": "午间轮班", "claim-deadline": deadline})
    assert response.status_code == 302
    row = _item(item.id)
    assert row.status == "claimed" and row.measures == "午间轮班" and row.deadline.isoformat() == deadline
    assert owner.post(f"/items/{item.id}/actions/start", {"start-version": row.version}).status_code == 302
    row = _item(item.id)
    assert owner.post(f"/items/{item.id}/actions/progress", {"progress-version": row.version,
                                                             "progress-note": "已排班", "progress-percent": "60"}
                      ).status_code == 302
    upload = owner.post(f"/items/{item.id}/attachments", {"kind": "photo",
                                                          "file": (io.BytesIO(PNG), "现场.png")},
                        content_type="multipart/form-data")
    assert upload.status_code == 302
    page = owner.get(f"/items/{item.id}").text
    assert "现场.png" in page and "inline=1" in page
    row = _item(item.id)
    assert owner.post(f"/items/{item.id}/actions/submit", {"submit-version": row.version,
                                                           "submit-completion_note": "已落实"}).status_code == 302
    row = _item(item.id)
    assert browser(w.sec_a).post(f"/items/{item.id}/actions/verify", {"verify-version": row.version,
                                                                      "verify-comment": "同意销号"}
                                 ).status_code == 302
    row = _item(item.id)
    assert row.status == "closed"
    page = browser(w.sec_a).get(f"/items/{item.id}").text
    for action in ("create", "claim", "start", "progress", "attach", "submit", "verify"):
        assert f'data-action="{action}"' in page


def test_refused_form_keeps_what_was_typed_and_says_why(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    owner = browser(w.owner_a)
    past = (item.deadline - timedelta(days=1)).isoformat()
    response = owner.post(f"/items/{item.id}/actions/request_extension", {
        "request_extension-version": item.version, "request_extension-new_deadline": past,
        "request_extension-reason": "需要采购设备，周期较长"})
    assert response.status_code == 422
    assert "新的完成时限必须晚于当前时限" in response.text
    assert "需要采购设备，周期较长" in response.text and 'id="action-request_extension" open' in response.text
    # submit without evidence: the organisation requires it
    response = owner.post(f"/items/{item.id}/actions/submit", {"submit-version": item.version,
                                                               "submit-completion_note": "做完了"})
    assert response.status_code == 422 and "提交销号前请上传佐证材料" in response.text and "做完了" in response.text
    assert _item(item.id).status == "in_progress"


def test_stale_version_says_someone_else_changed_it(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    stale = item.version
    apply_action(w.sec_a, item.id, "edit", stale, title="书记改过的标题")
    db.session.commit()
    response = browser(w.owner_a).post(f"/items/{item.id}/actions/progress", {
        "progress-version": stale, "progress-note": "我的进展"})
    assert response.status_code == 409
    assert "刚被他人修改" in response.text and "我的进展" in response.text and "书记改过的标题" in response.text
    assert db.session.query(Event).filter_by(item_id=item.id, comment="我的进展").count() == 0


def test_an_action_the_role_may_not_take_is_refused(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="awaiting_verification")
    response = browser(w.owner_a).post(f"/items/{item.id}/actions/verify", {"verify-version": item.version,
                                                                            "verify-comment": "自己销号"})
    assert response.status_code == 403
    response = browser(w.owner_a).post(f"/items/{item.id}/actions/claim", {"claim-version": item.version,
                                                                           "claim-measures": "x"})
    assert response.status_code in (403, 409)
    assert _item(item.id).status == "awaiting_verification"


def test_another_organisations_item_is_not_found(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    f.item(w.sec_a, w.org_a, w.owner_a, status="awaiting_verification")
    for user in (w.sec_b, w.owner_b):
        b = browser(user)
        assert b.get(f"/items/{item.id}").status_code == 404
        assert b.post(f"/items/{item.id}/actions/progress", {"progress-version": item.version,
                                                             "progress-note": "x"}).status_code == 404
        assert b.get(f"/items/{item.id}/attachments/1").status_code == 404
        assert item.code not in b.get("/items").text


def test_download_is_checked_by_scope(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="awaiting_verification")
    page = browser(w.sec_a).get(f"/items/{item.id}").text
    attachment_id = re.search(rf"/items/{item.id}/attachments/(\d+)", page).group(1)
    url = f"/items/{item.id}/attachments/{attachment_id}"
    download = browser(w.sec_a).get(url)
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()
    inline = browser(w.owner_a).get(url + "?inline=1")
    assert inline.data == PNG and inline.headers["Content-Disposition"].startswith("inline")
    inline.close()
    assert browser(w.sec_b).get(url).status_code == 404


def test_upload_refuses_a_file_that_is_not_an_image_or_document(f, browser, w):
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    response = browser(w.owner_a).post(f"/items/{item.id}/attachments", {
        "kind": "photo", "file": (io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "photo.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "不支持的文件类型" in response.text


def test_new_item_form(f, browser, w):
    b = browser(w.sec_a)
    assert b.get("/items/new").status_code == 200
    refused = b.post("/items/new", {"org_id": w.org_a.id, "title": "没有时限", "owner_id": w.owner_a.id,
                                    "kind": "time_limited", "scope": "individual", "urgency": "normal"})
    assert refused.status_code == 422 and "必须有完成时限" in refused.text and "没有时限" in refused.text
    deadline = (clock.today() + timedelta(days=9)).isoformat()
    created = b.post("/items/new", {"org_id": w.org_a.id, "title": "新事项", "owner_id": w.owner_a.id,
                                    "kind": "time_limited", "scope": "individual", "urgency": "normal",
                                    "deadline": deadline})
    assert created.status_code == 302
    assert db.session.query(Item).filter_by(title="新事项").one().owner_id == w.owner_a.id
    # a secretary cannot create in another organisation
    other = b.post("/items/new", {"org_id": w.org_b.id, "title": "别人的", "owner_id": w.owner_b.id,
                                  "kind": "time_limited", "scope": "individual", "urgency": "normal",
                                  "deadline": deadline})
    assert other.status_code == 422 and db.session.query(Item).filter_by(title="别人的").count() == 0


def test_ledger_filters_sort_and_pages(f, browser, w):
    for n in range(5):
        f.item(w.sec_a, w.org_a, w.owner_a, title=f"排序{n}", days=10 + n)
    f.item(w.sec_a, w.org_a, w.owner_a2, title="另一个人的", days=30)
    flagged = f.item(w.sec_a, w.org_a, w.owner_a2, title="挂牌的", days=40)
    apply_action(w.sup_a, flagged.id, "flag", flagged.version, comment="督办")
    db.session.commit()
    b = browser(w.sup_root)
    first = b.get("/items?limit=2&sort=deadline")
    assert first.status_code == 200
    titles = re.findall(r'/items/\d+">([^<]+)</a>', first.text)
    assert titles == ["排序0", "排序1"]
    cursor = re.search(r'href="([^"]*cursor=[^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = re.findall(r'/items/\d+">([^<]+)</a>', b.get(cursor).text)
    assert second == ["排序2", "排序3"]
    assert re.findall(r'/items/\d+">([^<]+)</a>', b.get("/items?sort=-deadline&limit=1").text) == ["挂牌的"]
    assert "另一个人的" not in b.get(f"/items?owner_id={w.owner_a.id}").text
    only_flagged = b.get("/items?flagged=1").text
    assert "挂牌的" in only_flagged and "排序0" not in only_flagged
    assert "排序3" in b.get("/items?q=排序3").text and "排序2" not in b.get("/items?q=排序3").text
    assert "排序0" not in b.get("/items?status=closed").text
    assert "排序0" in b.get(f"/items?org_id={w.root.id}&light=green").text
    assert b.get("/items?cursor=!!bad").status_code == 422


def test_ledger_list_runs_a_fixed_number_of_queries(f, browser, w):
    def count(url):
        b = browser(w.sup_root)
        b.get(url)  # warm up
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert b.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    f.item(w.sec_a, w.org_a, w.owner_a)
    few, home = count("/items"), count("/")
    for _ in range(8):
        f.item(w.sec_a, w.org_a, w.owner_a2)
    f.item(w.sec_b, w.org_b, w.owner_b)
    assert count("/items") == few
    # the home page's lists run no per-row statements either (was "<= few + 12": /items lost its opinions load)
    assert count("/") == home <= few + 13
