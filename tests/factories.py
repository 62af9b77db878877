"""Plain, deterministic factories. Items reach a status only through ``apply_action``."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from ledger.auth.services import create_user
from ledger.core import clock
from ledger.core.db import db
from ledger.items.attachments import add_attachment
from ledger.items.services import apply_action, create_item
from ledger.opinions.services import create_opinion
from ledger.orgs.services import create_org, ensure_default_categories

PASSWORD = "Secret-pass-1"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")

# The path from "pending" to each status, as (action, who, data).
PATHS = {
    "pending": [],
    "claimed": [("claim", "owner", {})],
    "in_progress": [("claim", "owner", {}), ("start", "owner", {})],
    "awaiting_verification": [("claim", "owner", {}), ("start", "owner", {}), ("evidence", "owner", {}),
                              ("submit", "owner", {"completion_note": "完成"})],
    "closed": [("claim", "owner", {}), ("start", "owner", {}), ("evidence", "owner", {}),
               ("submit", "owner", {"completion_note": "完成"}), ("verify", "secretary", {"comment": "同意"})],
    "cancelled": [("cancel", "secretary", {"reason": "duplicate"})],
}


@dataclass
class World:
    """root ─┬─ org_a (secretary sec_a, owners owner_a, owner_a2; supervisor sup_a)
             └─ org_b (secretary sec_b, owner owner_b)
    plus sup_root over the whole tree and an admin."""

    root: object
    org_a: object
    org_b: object
    admin: object
    sup_root: object
    sup_a: object
    sec_a: object
    sec_b: object
    owner_a: object
    owner_a2: object
    owner_b: object


class Factory:
    counter = 0

    def _n(self) -> int:
        Factory.counter += 1
        return Factory.counter

    def org(self, name: str | None = None, parent=None, kind: str = "branch"):
        org = create_org(None, name or f"组织{self._n()}", kind, parent.id if parent else None)
        db.session.commit()
        return org

    def user(self, username: str | None = None, memberships=(), admin: bool = False, email: str | None = None):
        username = username or f"user{self._n()}"
        user = create_user(None, username, PASSWORD, username, email or f"{username}@example.org",
                           [{"org_id": org.id, "role": role} for org, role in memberships], is_admin=admin)
        db.session.commit()
        return user

    def world(self) -> World:
        ensure_default_categories()
        root = self.org("县委", kind="committee")
        org_a = self.org("甲支部", root)
        org_b = self.org("乙支部", root)
        w = World(
            root=root, org_a=org_a, org_b=org_b,
            admin=self.user("admin", admin=True),
            sup_root=self.user("sup_root", [(root, "supervisor")]),
            sup_a=self.user("sup_a", [(org_a, "supervisor")]),
            sec_a=self.user("sec_a", [(org_a, "secretary")]),
            sec_b=self.user("sec_b", [(org_b, "secretary")]),
            owner_a=self.user("owner_a", [(org_a, "owner")]),
            owner_a2=self.user("owner_a2", [(org_a, "owner")]),
            owner_b=self.user("owner_b", [(org_b, "owner")]),
        )
        return w

    def opinion(self, secretary, org, **data):
        opinion = create_opinion(secretary, {"org_id": org.id, "channel": "meeting",
                                             "content": data.pop("content", f"意见{self._n()}"), **data})
        db.session.commit()
        return opinion

    def item(self, secretary, org, owner, status: str = "pending", verifier=None, **data):
        """An item in ``status``, reached by the lifecycle; ``verifier`` defaults to ``secretary``."""
        fields = {"org_id": org.id, "title": data.pop("title", f"事项{self._n()}"), "owner_id": owner.id,
                  "measures": "整改措施", "deadline": clock.today() + timedelta(days=data.pop("days", 10)), **data}
        item = create_item(secretary, fields)
        db.session.commit()
        actors = {"owner": owner, "secretary": verifier or secretary}
        for action, who, extra in PATHS[status]:
            if action == "evidence":
                add_attachment(owner, item.id, "photo", "photo.png", io.BytesIO(PNG))
            else:
                apply_action(actors[who], item.id, action, item.version, **extra)
            db.session.commit()
        return item
