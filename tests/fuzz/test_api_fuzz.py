"""Property-based fuzzing of /api/v1 from its own OpenAPI document (Schemathesis), as every role in turn, on a
database of its own with the demo data. Per operation: Schemathesis's coverage cases (deterministic: boundary
values, wrong types, missing fields, undocumented methods) and then Hypothesis-generated cases, valid
(positive) and invalid (negative), from a fixed seed. Any 5xx — or an exception escaping the app — fails, and
so does any answer the document does not describe: an undocumented status code, another content type, a body
that does not match its schema, a 405 without ``Allow``. Seed and budgets: tests/fuzz/budget.py."""
from __future__ import annotations

import pytest
import schemathesis

from tests.fuzz import budget, world
from tests.fuzz.runner import Findings, client_for, fuzz_operation

pytestmark = pytest.mark.fuzz


def _selected(label: str) -> bool:
    return not budget.OPERATIONS_FILTER or any(part in label for part in budget.OPERATIONS_FILTER)


@pytest.mark.parametrize("role", [r for r in world.roles() if not budget.ROLES_FILTER or r in budget.ROLES_FILTER])
def test_api_answers_as_documented(app, role):
    actor = world.build(role)
    actor.client = client_for(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    findings = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()
        if _selected(operation.label):
            fuzz_operation(operation, actor, findings)
    print(f"fuzz {role}: {findings.summary()}")  # shown with -s or -rP: the run's size and where its time goes
    assert not findings.seen, f"the fuzzer found {len(findings.seen)} problem(s) as {role}:\n\n{findings.report()}"
