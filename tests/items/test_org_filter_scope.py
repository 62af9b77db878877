"""An organisation filter outside the caller's scope answers exactly as a missing organisation does
(issue 14, finding 11), on every API operation that takes ``org_id`` (read from the OpenAPI document, so a
new one is covered) and every page and download that reads it: the same status and the same body — no
name in an export's title, no ancestor's subtree, no 422 for one and 200 for the other."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest

from ledger.auth.services import issue_token
from ledger.core.db import db
from tests.web.conftest import Browser

MISSING = 987654
# Pages and downloads that read org_id from their address (the API's come from its document).
PAGES = ["/items", "/opinions", "/notices", "/reviews", "/dashboard", "/public/notices", "/warnings",
         "/spreadsheets/", "/spreadsheets/items/export", "/spreadsheets/items/export?format=csv",
         "/spreadsheets/opinions/export", "/spreadsheets/opinions/export?format=csv"]
ROLES = ["owner_a", "sec_a", "sup_a", "sec_b"]


@pytest.fixture
def world(f):
    w = f.world()
    f.item(w.sec_a, w.org_a, w.owner_a, title="甲的事项")
    f.item(w.sec_b, w.org_b, w.owner_b, title="乙的事项")
    f.opinion(w.sec_a, w.org_a, content="甲的意见")
    f.opinion(w.sec_b, w.org_b, content="乙的意见")
    return w


def _elsewhere(w, role: str) -> dict[str, int]:
    """Organisation ids outside ``role``'s scope: a sibling, the parent (whose subtree holds theirs), none."""
    sibling = w.org_a if role == "sec_b" else w.org_b
    return {"missing": MISSING, "sibling": sibling.id, "parent": w.root.id}


def _org_id_operations(client) -> list[tuple[str, str]]:
    doc = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "org_id" in names:
                found.append((method.upper(), path))
    return found


def _comparable(response, org_id: int):
    """What the caller learns: the status and the body, with the request's own echo of the id taken out."""
    kind = response.content_type or ""
    data = response.get_data()
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(data))
        body = [(sheet.title, [tuple(row) for row in sheet.iter_rows(values_only=True)]) for sheet in book]
    elif "json" in kind:
        body = response.get_json()
    else:
        text = data.decode("utf-8", "replace")
        text = re.sub(r'(csrf_token"[^>]*value=")[^"]+|nonce="[^"]+"', r"\1", text)
        text = re.sub(rf"(org_id=|org_id%3D){org_id}(?!\d)", r"\1ORG", text)
        body = re.sub(rf'(<input[^>]*name="org_id"[^>]*value="){org_id}"', r'\1ORG"', text)
    return response.status_code, response.headers.get("Content-Disposition"), body


def test_every_api_operation_taking_org_id_is_covered(client, world, backend):
    operations = _org_id_operations(client)
    assert {path for _, path in operations} >= {"/api/v1/items", "/api/v1/items/export", "/api/v1/stats",
                                                 "/api/v1/opinions", "/api/v1/opinions/export"}


@pytest.mark.parametrize("role", ROLES)
def test_api_out_of_scope_answers_as_missing(app, client, world, backend, role):
    user = getattr(world, role)
    token = issue_token(user, "test")
    db.session.commit()
    for method, path in _org_id_operations(client):
        answers = {}
        for name, org_id in _elsewhere(world, role).items():
            response = client.open(f"{path}?org_id={org_id}", method=method,
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (path, name)
            answers[name] = _comparable(response, org_id)
        assert answers["sibling"] == answers["missing"], (path, role)
        assert answers["parent"] == answers["missing"], (path, role)
        assert "乙" not in str(answers["sibling"]) or role == "sec_b", (path, answers["sibling"])


@pytest.mark.parametrize("role", ROLES)
def test_pages_out_of_scope_answer_as_missing(app, world, backend, role):
    browser = Browser(app.test_client(), getattr(world, role))
    for page in PAGES:
        answers = {}
        for name, org_id in _elsewhere(world, role).items():
            joiner = "&" if "?" in page else "?"
            response = browser.get(f"{page}{joiner}org_id={org_id}")
            assert response.status_code < 500, (page, name)
            answers[name] = _comparable(response, org_id)
        assert answers["sibling"] == answers["missing"], (page, role)
        assert answers["parent"] == answers["missing"], (page, role)


def test_the_reported_export_names_no_organisation_out_of_scope(api, world, backend):
    """The report's instance: the ledger export filtered on another organisation, as an owner."""
    response = api(world.owner_a).client.get(
        f"/api/v1/items/export?org_id={world.org_b.id}",
        headers={"Authorization": f"Bearer {api(world.owner_a).token}"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert not any("乙" in str(c) for c in cells)


def test_in_scope_filters_still_work(api, world, backend):
    status, body = api(world.sec_a).get(f"/items?org_id={world.org_a.id}")
    assert status == 200 and [i["title"] for i in body["items"]] == ["甲的事项"]
    status, body = api(world.sup_root).get(f"/items?org_id={world.root.id}")
    assert status == 200 and {i["title"] for i in body["items"]} == {"甲的事项", "乙的事项"}
    status, body = api(world.admin).get(f"/items?org_id={MISSING}")
    assert status == 200 and body["items"] == []
