"""What the OpenAPI fuzzer (tests/fuzz) found, each as a test of its class (docs/fuzzing.md keeps the log)."""
from __future__ import annotations

import re

import pytest

import ledger.models  # noqa: F401  (every mapper, before the API modules import)
from ledger.api import load_routes
from ledger.api.registry import OPERATIONS
from tests.api.support import error_of

pytestmark = pytest.mark.usefixtures("fast_hashing", "isolated_requests")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
load_routes()


def _paths() -> dict[str, set[str]]:
    """Every API path (ids filled with 1) and the methods it serves."""
    served: dict[str, set[str]] = {}
    for op in OPERATIONS:
        served.setdefault("/api/v1" + re.sub(r"<(?:\w+:)?\w+>", "1", op.rule), set()).add(op.method)
    return served


def test_every_undeclared_method_is_405_with_allow(api, f):
    """Finding: 405 answers had no ``Allow`` (RFC 9110). Every API path × every method it does not serve,
    signed in and not (routing answers before authentication)."""
    w = f.world()
    problems = []
    for path, served in sorted(_paths().items()):
        for caller in (api(w.admin), api(None)):
            for method in sorted(set(METHODS) - served):
                response = caller.client.open(path, method=method, headers=caller._headers())
                allowed = {m.strip() for m in response.headers.get("Allow", "").split(",")}
                if response.status_code != 405 or not served <= allowed or allowed & (set(METHODS) - served):
                    problems.append((method, path, response.status_code, response.headers.get("Allow")))
                else:
                    error_of(response.get_json())
    assert problems == []


@pytest.mark.parametrize("field", ["memberships", "active", "password"])
def test_patch_user_with_null_leaves_the_field(api, f, field):
    """Finding: ``PATCH /users/{id}`` with ``"memberships": null`` was a 500 (TypeError); ``"active": null``
    deactivated the user. A null leaves the field as it is, as it does the role flags."""
    w = f.world()
    as_admin = api(w.admin)
    status, before = as_admin.get(f"/users/{w.sec_a.id}")
    assert status == 200
    status, body = as_admin.patch(f"/users/{w.sec_a.id}", {field: None, "display_name": "甲书记"})
    assert status == 200, body
    assert body["memberships"] == before["memberships"] and body["active"] is True
    status, _ = api(w.sec_a).get("/users/me")  # still signed in: no deactivation, no password change
    assert status == 200


def test_every_pattern_in_the_document_compiles_outside_ecmascript(client):
    """Finding: the control-character patterns held a surrogate range (``\\ud800-\\udfff``), which only
    ECMAScript's regex dialect takes; jsonschema-rs (Schemathesis), Go and Rust refused the whole document."""
    import jsonschema_rs

    def patterns(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    yield value
                elif key == "patternProperties" and isinstance(value, dict):
                    yield from value
                    yield from patterns(list(value.values()))
                else:
                    yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = set(patterns(client.get("/api/v1/openapi.json").get_json()))
    assert found  # the document does declare patterns
    for pattern in found:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})  # raises on a pattern it cannot take


def test_a_host_no_url_can_hold_is_a_400_not_a_500(app):
    """Found by the fuzzer: a Host such as ``_K.R] x`` made every link (and Flask-Login's ``next``) raise.
    Sent to the WSGI app directly: Werkzeug's test client cannot send such a header."""
    from werkzeug.test import create_environ

    for path in ("/items", "/api/v1/items", "/login"):
        environ = create_environ(path, "http://localhost/")
        environ["HTTP_HOST"] = "_K.R] dYuec"
        status: list[str] = []
        body = b"".join(app.wsgi_app(environ, lambda s, h, e=None, seen=status: seen.append(s)))
        assert status and status[0].startswith("400"), (path, status, body[:200])
