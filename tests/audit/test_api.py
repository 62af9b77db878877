"""GET /api/v1/audit: filters, cursor paging newest first, refusals, the OpenAPI document; the page's filters."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.audit.services import record_audit
from ledger.auth.second_factor import requires_second_factor
from ledger.core import clock
from ledger.core.db import db
from tests.api.support import login
from tests.audit.conftest import make_user
from tests.factories import PASSWORD


@pytest.fixture
def log(app, auditor):
    """Entries by two actors on three days (Asia/Shanghai: 08:00 UTC is 16:00 the same day)."""
    alice, bob = make_user("alice"), make_user("bob")
    plan = [(alice, "auth.login", 3), (bob, "auth.login_failed", 3), (alice, "user.updated", 4),
            (bob, "auth.logout", 5), (alice, "export.ledger", 5), (alice, "auth.login", 5)]
    for who, action, day in plan:
        with clock.frozen_at(datetime(2026, 3, day, 8, tzinfo=UTC)):
            record_audit(who, action, details={"day": day})
    db.session.commit()
    return {"alice": alice.id, "bob": bob.id}


def _actions(body) -> list[tuple[str, int]]:
    return [(e["action"], e["details"].get("day")) for e in body["items"] if "day" in e["details"]]


def test_newest_first_and_cursor_paged(app, api, auditor, log):
    client = api(auditor)
    seen, cursor = [], None
    while True:
        status, body = client.get("/audit?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, body
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    first = seen[0]
    assert set(first) == {"id", "at", "actor_id", "action", "target_type", "target_id", "details", "address",
                          "prev_hash", "hash"}


@pytest.mark.parametrize(("query", "expected"), [
    ("actor={alice}", [("auth.login", 5), ("export.ledger", 5), ("user.updated", 4), ("auth.login", 3)]),
    ("action=auth.login", [("auth.login", 5), ("auth.login", 3)]),
    ("action=auth.", [("auth.login", 5), ("auth.logout", 5), ("auth.login_failed", 3), ("auth.login", 3)]),
    ("action=auth.login_", []),  # a prefix must end in a dot; otherwise it is exact ("_" is no wildcard)
    ("from=2026-03-04&to=2026-03-04", [("user.updated", 4)]),
    ("from=2026-03-05", [("auth.login", 5), ("export.ledger", 5), ("auth.logout", 5)]),
    ("to=2026-03-03", [("auth.login_failed", 3), ("auth.login", 3)]),
    ("from=2026-03-04T16:00:00%2B08:00&to=2026-03-05T07:59:59Z", [("user.updated", 4)]),
    ("actor={bob}&action=auth.", [("auth.logout", 5), ("auth.login_failed", 3)]),
])
def test_filters(app, api, auditor, log, query, expected):
    status, body = api(auditor).get("/audit?" + query.format(**log))
    assert status == 200, body
    assert _actions(body) == expected


@pytest.mark.parametrize("query", ["actor=abc", "actor=0", "actor=99999999999", "action=AUTH", "action=a%25b",
                                   "from=2026-13-01", "from=yesterday", "to=0001-01-01", "to=9999-12-31T00:00",
                                   "cursor=%5B1e999%5D", "limit=0"])
def test_bad_filters_are_422(app, api, auditor, query):
    status, body = api(auditor).get("/audit?" + query)
    assert status == 422, (query, body)
    assert body["error"]["code"] == "invalid"


def test_documented_in_openapi(app, api):
    status, doc = api(None).get("/openapi.json")
    operation = doc["paths"]["/api/v1/audit"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"limit", "cursor", "actor", "action", "from", "to"} <= set(params)
    assert params["actor"]["schema"]["type"] == "integer"


def test_the_page_filters_and_keeps_what_was_typed(app, client, auditor, log):
    login(client, auditor.username, PASSWORD)
    page = client.get("/audit?action=auth.&actor={bob}".format(**log)).get_data(as_text=True)
    assert "auth.logout" in page and "auth.login_failed" in page and "export.ledger" not in page
    assert 'value="auth."' in page
    refused = client.get("/audit?from=not-a-date")
    assert refused.status_code == 422 and 'value="not-a-date"' in refused.get_data(as_text=True)


def test_the_page_in_english(app, client, auditor):
    login(client, auditor.username, PASSWORD)
    page = client.get("/audit?lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1" in page


def test_the_system_roles_need_a_second_factor(app, auditor, security_admin):
    app.config["LEDGER_REQUIRE_2FA"] = True
    assert requires_second_factor(auditor) and requires_second_factor(security_admin)
    assert not requires_second_factor(make_user("plain"))
    app.config["LEDGER_REQUIRE_2FA"] = False
    assert not requires_second_factor(auditor)


def test_an_auditor_without_a_factor_is_sent_to_enrol(app, client, auditor):
    app.config["LEDGER_REQUIRE_2FA"] = True
    response = login(client, auditor.username, PASSWORD)
    assert response.status_code == 302 and "second-factor" in response.headers["Location"]
    assert client.get("/audit").status_code == 302
