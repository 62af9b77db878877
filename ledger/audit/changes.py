"""What changed on a user, as audit entries: details, roles, memberships, deactivation, a password set."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ledger.audit import duties
from ledger.audit.services import record_audit


def _snapshot(user) -> dict:
    return {"display_name": user.display_name, "email": user.email, "active": bool(user.active),
            "roles": duties.system_roles(user), "memberships": {(m.org_id, m.role) for m in user.memberships}}


@contextmanager
def audit_user_changes(actor, user, changes: dict) -> Iterator[None]:
    """Around an update of ``user``: one entry per kind of change it made (nothing when nothing changed)."""
    before = _snapshot(user)
    yield
    after = _snapshot(user)
    target = {"target_type": "user", "target_id": user.id}
    fields = {k: [before[k], after[k]] for k in ("display_name", "email") if before[k] != after[k]}
    if fields:
        record_audit(actor, "user.updated", **target, details={"fields": fields})
    if before["roles"] != after["roles"]:
        record_audit(actor, "user.roles_changed", **target, details={"from": before["roles"], "to": after["roles"]})
    for org_id, role in sorted(after["memberships"] - before["memberships"]):
        record_audit(actor, "membership.added", **target, details={"org_id": org_id, "role": role})
    for org_id, role in sorted(before["memberships"] - after["memberships"]):
        record_audit(actor, "membership.removed", **target, details={"org_id": org_id, "role": role})
    if before["active"] and not after["active"]:
        record_audit(actor, "user.deactivated", **target)
    elif after["active"] and not before["active"]:
        record_audit(actor, "user.reactivated", **target)
    if changes.get("password"):
        record_audit(actor, "auth.password_changed", **target, details={"by": "admin"})
