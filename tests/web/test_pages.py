"""Every page for every role: what each may open, and what each is refused."""
from __future__ import annotations

import pytest

from ledger.core.db import db
from ledger.outbox.models import Message
from tests.web.conftest import token_from

ROLES = ("admin", "sup_root", "sup_a", "sec_a", "sec_b", "owner_a", "owner_b")


def _pages(w, item, opinion, review_id):
    return {
        "/": set(ROLES),
        "/notifications": set(ROLES),
        "/account": set(ROLES),
        "/account/password": set(ROLES),
        "/items": set(ROLES),
        "/items/new": {"sec_a", "sec_b"},
        f"/items/{item.id}": {"admin", "sup_root", "sup_a", "sec_a", "owner_a"},
        "/opinions": {"admin", "sup_root", "sup_a", "sec_a", "sec_b"},
        "/opinions/new": {"sec_a", "sec_b"},
        f"/opinions/{opinion.id}": {"admin", "sup_root", "sup_a", "sec_a"},
        "/reviews": {"admin", "sup_root", "sup_a", "sec_a", "sec_b"},
        "/reviews/new": {"sec_a", "sec_b"},
        f"/reviews/{review_id}": {"admin", "sup_root", "sup_a", "sec_a"},
        "/admin": {"admin"},
        "/admin/orgs": {"admin"},
        f"/admin/orgs/{w.org_a.id}": {"admin"},
        "/admin/users": {"admin"},
        "/admin/users/new": {"admin"},
        f"/admin/users/{w.owner_a.id}": {"admin"},
        "/admin/categories": {"admin"},
        "/admin/outbox": {"admin"},
    }


@pytest.fixture
def setting(f, w):
    from ledger.reviews.services import create_review

    item = f.item(w.sec_a, w.org_a, w.owner_a)
    opinion = f.opinion(w.sec_a, w.org_a, content="窗口午休无人")
    review = create_review(w.sec_a, {"org_id": w.org_a.id, "title": "年度评议", "method": "meeting",
                                     "held_on": item.created_at.date()})
    db.session.commit()
    return item, opinion, review.id


def test_every_page_for_every_role(backend, browser, w, setting):
    item, opinion, review_id = setting
    pages = _pages(w, item, opinion, review_id)
    for role in ROLES:
        b = browser(getattr(w, role))
        for url, allowed in pages.items():
            response = b.get(url)
            if role in allowed:
                assert response.status_code == 200, (role, url, response.status_code)
                assert "<h1" in response.text, (role, url)
            else:
                assert response.status_code in (403, 404), (role, url, response.status_code)


def test_anonymous_is_sent_to_login(browser, w, setting):
    item, _, _ = setting
    b = browser()
    for url in ("/", "/items", f"/items/{item.id}", "/opinions", "/reviews", "/admin", "/notifications"):
        response = b.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_navigation_shows_only_what_the_role_may_do(browser, w):
    owner = browser(w.owner_a).get("/").text
    assert 'href="/items"' in owner and 'href="/opinions"' not in owner and 'href="/admin"' not in owner
    secretary = browser(w.sec_a).get("/").text
    assert 'href="/opinions"' in secretary and 'href="/admin"' not in secretary
    admin = browser(w.admin).get("/").text
    assert 'href="/admin"' in admin


def test_pages_are_chinese_by_default_and_english_on_request(browser, w):
    b = browser(w.owner_a)
    assert "我的待办" in b.get("/").text
    en = browser(w.owner_b)
    en.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    page = en.get("/").text
    assert "My to-do" in page and 'lang="en"' in page
    # the user's own choice wins over the browser's
    assert en.post("/account", {"locale": "zh"}).status_code == 302
    assert "我的待办" in en.get("/").text


def test_login_page_in_english_for_an_english_browser(browser):
    b = browser()
    b.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert b.get("/items").status_code == 302
    page = b.get("/login").text
    assert "Sign in" in page and 'name="username"' in page and 'name="csrf_token"' in page
    assert "Please sign in first" in page
    refused = b.post("/login", {"username": "nobody", "password": "wrong-password", "csrf_token": token_from(page)})
    assert refused.status_code == 401 and "Wrong username or password" in refused.text
    assert 'value="nobody"' in refused.text  # what was typed is kept


def test_csrf_missing_is_refused_everywhere(browser, w, setting):
    item, opinion, _ = setting
    posts = {
        w.owner_a: [f"/items/{item.id}/actions/claim", f"/items/{item.id}/attachments", "/notifications/read",
                    "/account"],
        w.sec_a: ["/items/new", "/opinions/new", f"/opinions/{opinion.id}/triage/answer", "/reviews/new"],
        w.admin: ["/admin/orgs", "/admin/users/new", "/admin/categories", "/admin/outbox/1/retry",
                  f"/admin/orgs/{w.org_a.id}/settings", f"/admin/users/{w.owner_a.id}/memberships"],
    }
    for user, urls in posts.items():
        b = browser(user)
        for url in urls:
            assert b.post(url, {"claim-version": "1", "reply": "x"}, csrf=False).status_code == 400, url
    db.session.expire_all()
    assert item.status == "pending" and opinion.status == "new"


def test_home_pages_show_each_roles_work(f, browser, w):
    f.item(w.sec_a, w.org_a, w.owner_a, title="待认领的事项")
    overdue = f.item(w.sec_a, w.org_a, w.owner_a2, status="in_progress", title="超期的事项")
    from datetime import timedelta

    from ledger.core import clock
    from ledger.items.models import Item
    from ledger.items.services import refresh_light

    row = db.session.get(Item, overdue.id)
    row.deadline = clock.today() - timedelta(days=4)  # as if time had passed
    refresh_light(row)
    db.session.commit()
    f.opinion(w.sec_a, w.org_a, content="要梳理的意见")
    f.item(w.sec_a, w.org_a, w.owner_a2, status="awaiting_verification", title="待审核的事项")

    owner = browser(w.owner_a).get("/").text
    assert "待认领的事项" in owner and "超期的事项" not in owner
    secretary = browser(w.sec_a).get("/").text
    assert "要梳理的意见" in secretary and "待审核的事项" in secretary
    supervisor = browser(w.sup_root).get("/").text
    assert "超期的事项" in supervisor and "超期 4 天" in supervisor
    assert "超期的事项" not in browser(w.sec_b).get("/").text
    admin = browser(w.admin).get("/").text
    assert "/admin/outbox" in admin


def test_notifications_list_and_mark_read(f, browser, w):
    f.item(w.sec_a, w.org_a, w.owner_a, title="新派的事项")
    b = browser(w.owner_a)
    page = b.get("/notifications").text
    assert "新派的事项" in page and "list-group-item-warning" in page
    assert b.post("/notifications/read", {}).status_code == 302
    assert "list-group-item-warning" not in b.get("/notifications").text
    assert "新派的事项" not in browser(w.owner_b).get("/notifications").text


def test_outbox_retry(browser, w):
    message = Message(kind="test", to_address="x@example.org", subject="坏消息", body="…", status="failed",
                      attempts=6, last_error="SMTPServerDisconnected")
    db.session.add(message)
    db.session.commit()
    b = browser(w.admin)
    page = b.get("/admin/outbox").text
    assert "坏消息" in page and "SMTPServerDisconnected" in page
    assert b.post(f"/admin/outbox/{message.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Message, message.id).status == "pending"
    assert browser(w.sec_a).post(f"/admin/outbox/{message.id}/retry").status_code == 403


# Every page route of the web blueprints, and the test that exercises it.
PAGE_ROUTES = {
    "GET /": "test_every_page_for_every_role", "GET /notifications": "test_notifications_list_and_mark_read",
    "POST /notifications/read": "test_notifications_list_and_mark_read",
    "GET /account": "test_every_page_for_every_role", "POST /account": "test_pages_are_chinese_by_default…",
    "GET /items": "test_ledger_filters_sort_and_pages", "GET /items/new": "test_new_item_form",
    "POST /items/new": "test_new_item_form", "GET /items/<int:item_id>": "test_item_page_offers_exactly…",
    "POST /items/<int:item_id>/actions/<action>": "test_claim_progress_submit_verify_through_the_forms",
    "POST /items/<int:item_id>/attachments": "test_claim_progress_submit_verify_through_the_forms",
    "GET /items/<int:item_id>/attachments/<int:attachment_id>": "test_download_is_checked_by_scope",
    "GET /opinions": "test_opinion_filters", "GET /opinions/new": "test_fast_entry…",
    "POST /opinions/new": "test_fast_entry…", "GET /opinions/<int:opinion_id>": "test_triage…",
    "POST /opinions/<int:opinion_id>/triage/<action>": "test_triage_answer_reject_link_accept",
    "GET /reviews": "test_reviews_create_list_detail", "GET /reviews/new": "test_every_page_for_every_role",
    "POST /reviews/new": "test_reviews_create_list_detail", "GET /reviews/<int:review_id>": "test_reviews…",
    "GET /admin": "test_every_page_for_every_role", "GET /admin/orgs": "test_organisations_tree_and_settings",
    "POST /admin/orgs": "test_organisations_tree_and_settings", "GET /admin/orgs/<int:org_id>": "test_every_page…",
    "POST /admin/orgs/<int:org_id>": "test_organisation_edit",
    "POST /admin/orgs/<int:org_id>/settings": "test_organisations_tree_and_settings",
    "GET /admin/users": "test_users_and_memberships", "GET /admin/users/new": "test_every_page_for_every_role",
    "POST /admin/users/new": "test_users_and_memberships", "GET /admin/users/<int:user_id>": "test_every_page…",
    "POST /admin/users/<int:user_id>": "test_users_and_memberships",
    "POST /admin/users/<int:user_id>/memberships": "test_users_and_memberships",
    "GET /admin/categories": "test_categories", "POST /admin/categories": "test_categories",
    "POST /admin/categories/<int:category_id>/toggle": "test_categories",
    "GET /admin/outbox": "test_outbox_retry", "POST /admin/outbox/<int:message_id>/retry": "test_outbox_retry",
}


def test_every_page_route_is_tested(app):
    served = {f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
              if rule.endpoint.split(".")[0] in ("web", "items", "opinions", "reviews", "admin")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == set(PAGE_ROUTES), (sorted(served - set(PAGE_ROUTES)), sorted(set(PAGE_ROUTES) - served))
