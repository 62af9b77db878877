"""Admin pages: organisations, settings, users and memberships, categories."""
from __future__ import annotations

from ledger.auth.models import User
from ledger.core.db import db
from ledger.orgs.models import Category, Organisation, OrgSettings


def test_organisations_tree_and_settings(browser, w):
    b = browser(w.admin)
    assert b.post("/admin/orgs", {"name": "丙支部", "kind": "branch", "parent_id": w.root.id,
                                  "timezone": "Asia/Shanghai"}).status_code == 302
    org = db.session.query(Organisation).filter_by(name="丙支部").one()
    assert org.parent_id == w.root.id
    refused = b.post("/admin/orgs", {"name": "丁", "kind": "branch", "parent_id": "", "timezone": "Mars/Base"})
    assert refused.status_code == 422 and "时区无效" in refused.text
    tree = b.get("/admin/orgs").text
    assert tree.index("县委") < tree.index("丙支部")
    assert b.post(f"/admin/orgs/{org.id}/settings", {"warning_days": 5, "progress_margin": 20}).status_code == 302
    db.session.expire_all()
    settings = db.session.get(OrgSettings, org.id)
    assert settings.warning_days == 5 and settings.evidence_required is False
    bad = b.post(f"/admin/orgs/{org.id}/settings", {"warning_days": 99, "progress_margin": 20})
    assert bad.status_code == 422
    # a secretary may change their own organisation's settings, not another's
    sec = browser(w.sec_a)
    assert sec.post(f"/admin/orgs/{w.org_a.id}/settings", {"evidence_required": "y", "warning_days": 4,
                                                            "progress_margin": 30}).status_code == 302
    assert sec.post(f"/admin/orgs/{w.org_b.id}/settings", {"warning_days": 4,
                                                            "progress_margin": 30}).status_code == 404


def test_users_and_memberships(browser, w):
    b = browser(w.admin)
    refused = b.post("/admin/users/new", {"username": "newbie", "display_name": "新人", "password": "short",
                                          "org_id": w.org_a.id, "role": "owner"})
    assert refused.status_code == 422 and "newbie" in refused.text
    created = b.post("/admin/users/new", {"username": "newbie", "display_name": "新人", "password": "Long-enough-1",
                                          "org_id": w.org_a.id, "role": "owner"})
    assert created.status_code == 302
    user = db.session.query(User).filter_by(username="newbie").one()
    assert [(m.org_id, m.role) for m in user.memberships] == [(w.org_a.id, "owner")]
    assert b.post(f"/admin/users/{user.id}/memberships", {"org_id": w.org_b.id, "role": "secretary"}
                  ).status_code == 302
    assert b.post(f"/admin/users/{user.id}/memberships", {"remove": f"{w.org_a.id}:owner"}).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert [(m.org_id, m.role) for m in user.memberships] == [(w.org_b.id, "secretary")]
    assert b.post(f"/admin/users/{user.id}", {"display_name": "改名", "email": "", "active": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    assert "newbie" in b.get("/admin/users").text


def test_categories(browser, w):
    b = browser(w.admin)
    assert b.post("/admin/categories", {"name": "新类别"}).status_code == 302
    category = db.session.query(Category).filter_by(name="新类别").one()
    assert b.post(f"/admin/categories/{category.id}/toggle", {"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, category.id).active is False
    assert browser(w.sec_a).post("/admin/categories", {"name": "书记加的"}).status_code == 403


def test_organisation_edit(browser, w):
    b = browser(w.admin)
    response = b.post(f"/admin/orgs/{w.org_b.id}", {"name": "乙支部（改）", "kind": "branch",
                                                    "parent_id": w.org_a.id, "timezone": "Asia/Shanghai"})
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organisation, w.org_b.id)
    assert org.name == "乙支部（改）" and org.parent_id == w.org_a.id
    loop = b.post(f"/admin/orgs/{w.org_a.id}", {"name": "甲支部", "kind": "branch", "parent_id": w.org_b.id,
                                                "timezone": "Asia/Shanghai"})
    assert loop.status_code == 422 and "不能移到自己的下级组织之下" in loop.text
