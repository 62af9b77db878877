"""Settings changes, exports (who, what scope and filters, how many rows) and deletions are audited; and a
structural check that every deletion in the code is beside an audit entry."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

import ledger
from ledger.core import clock
from tests.audit.conftest import entries


def _last(action: str):
    found = entries(action)
    assert found, (action, [e.action for e in entries()])
    return found[-1]


@pytest.fixture
def world(app, f):
    return f.world()


@pytest.mark.parametrize(("path", "body", "setting", "field"), [
    ("/orgs/{org}/settings", {"warning_days": 9}, "org", "warning_days"),
    ("/orgs/{org}/notice-settings", {"objection_days": 9}, "notices", "objection_days"),
])
def test_organisation_settings(api, world, path, body, setting, field):
    status, answer = api(world.admin).put(path.format(org=world.org_a.id), body)
    assert status == 200, answer
    entry = _last("settings.changed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (world.admin.id, "org", world.org_a.id)
    assert entry.details["setting"] == setting and entry.details["changes"][field][1] == 9


def test_categories_and_calendar(api, world):
    client = api(world.admin)
    assert client.put("/categories", {"name": "新类别"})[0] == 200
    entry = _last("settings.changed")
    assert entry.target_type == "category" and entry.details["changes"]["name"] == [None, "新类别"]
    assert client.put("/calendar/days", {"days": [{"day": "2026-10-08", "is_working": False, "name": "国庆"}]})[0] \
        == 200
    entry = _last("settings.changed")
    assert entry.target_type == "calendar" and entry.details["days"] == [["2026-10-08", False, "国庆"]]


def test_organisations(api, world):
    client = api(world.admin)
    status, body = client.post("/orgs", {"name": "丙支部", "kind": "branch", "parent_id": world.root.id})
    assert status == 201
    assert _last("org.created").details["name"] == "丙支部"
    client.patch(f"/orgs/{body['id']}", {"name": "丙党支部"})
    assert _last("org.updated").details["changes"] == {"name": ["丙支部", "丙党支部"]}


def test_nothing_changed_is_no_entry(api, world):
    client = api(world.admin)
    client.put(f"/orgs/{world.org_a.id}/settings", {"warning_days": 9})
    count = len(entries("settings.changed"))
    client.put(f"/orgs/{world.org_a.id}/settings", {"warning_days": 9})
    assert len(entries("settings.changed")) == count


@pytest.mark.parametrize(("path", "action"), [("/items/export?format=csv&overdue=false", "export.ledger"),
                                              ("/items/export?format=xlsx", "export.ledger"),
                                              ("/opinions/export?format=csv", "export.opinions")])
def test_api_exports(api, f, world, path, action):
    f.item(world.sec_a, world.org_a, world.owner_a)
    f.item(world.sec_a, world.org_a, world.owner_a2)
    f.opinion(world.sec_a, world.org_a)
    caller = api(world.sec_a)
    response = caller.client.get("/api/v1" + path, headers={"Authorization": f"Bearer {caller.token}"})
    assert response.status_code == 200
    entry = _last(action)
    assert entry.actor_id == world.sec_a.id
    assert entry.details["rows"] == (2 if action == "export.ledger" else 1)
    assert entry.details["format"] in ("csv", "xlsx") and "filters" in entry.details


def test_page_export(app, client, f, world):
    from tests.api.support import login
    from tests.factories import PASSWORD

    f.item(world.sec_a, world.org_a, world.owner_a)
    login(client, "sec_a", PASSWORD)
    assert client.get("/spreadsheets/items/export?format=csv").status_code == 200
    entry = _last("export.ledger")
    assert entry.actor_id == world.sec_a.id and entry.details["rows"] == 1 and entry.address == "127.0.0.1"


def test_command_line_export(app, f, world, tmp_path):
    f.item(world.sec_a, world.org_a, world.owner_a)
    result = app.test_cli_runner().invoke(args=["ledger", "export-ledger", str(tmp_path / "out.csv"),
                                                "--org", str(world.org_a.id)])
    assert result.exit_code == 0, result.output
    entry = _last("export.ledger")
    assert entry.actor_id is None and entry.details["rows"] == 1
    assert entry.details["filters"]["org_id"] == world.org_a.id


def test_deleting_a_draft_notice(api, world):
    today = clock.today()
    client = api(world.sec_a)
    status, body = client.post("/notices", {"org_id": world.org_a.id, "kind": "progress",
                                            "period_start": str(today - timedelta(days=3)), "period_end": str(today)})
    assert status == 201, body
    status, _ = client.call("DELETE", f"/notices/{body['id']}")
    assert status in (200, 204)
    entry = _last("notice.deleted")
    assert (entry.actor_id, entry.target_id) == (world.sec_a.id, body["id"])
    assert entry.details["org_id"] == world.org_a.id


# Deletions whose entry is written by the act around them (the function deleting is a step of it).
AUDITED_BY_CALLER = {
    ("auth/second_factor.py", "clear"): "auth.totp_reset / auth.totp_disabled",
    ("auth/second_factor.py", "new_recovery_codes"): "auth.totp_enabled / auth.recovery_codes_regenerated",
}


def _deleting_functions() -> list[tuple[str, str, bool]]:
    """(module, function, whether it records an audit entry) for every function that deletes rows."""
    package = Path(ledger.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if "audit" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)]
            names = {getattr(c.func, "attr", getattr(c.func, "id", "")) for c in calls}
            source = ast.unparse(fn)
            if "session.delete(" in source or "delete" in names and "execute(delete(" in source:
                found.append((str(path.relative_to(package)), fn.name, bool(names & {"record_audit", "_audit"})))
    return found


def test_every_deletion_is_audited():
    deleting = _deleting_functions()
    assert len(deleting) >= 2  # the notice draft, the token: the check finds them
    missing = [(m, fn) for m, fn, audited in deleting if not audited and (m, fn) not in AUDITED_BY_CALLER]
    assert missing == []
