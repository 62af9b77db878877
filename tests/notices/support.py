"""A small ledger for the notices tests, built through the services."""
from __future__ import annotations

from datetime import timedelta

from ledger.core import clock
from ledger.core.db import db
from ledger.notices import services


def later(days: int):
    """A context in which the clock is ``days`` days ahead of now."""
    return clock.frozen_at(clock.now() + timedelta(days=days))


def ledger(f):
    """World with: org_a — 2 closed (one merged from two opinions, one anonymous), 1 in progress overdue-to-be,
    1 pending, 1 cancelled; org_b — 1 claimed, 1 closed."""
    w = f.world()
    named = f.opinion(w.sec_a, w.org_a, submitter_name="张三丰", submitter_contact="13800138000",
                      content="窗口中午无人")
    mailed = f.opinion(w.sec_a, w.org_a, submitter_name="李四", submitter_contact="lisi@example.org",
                       content="中午办不了事")
    secret = f.opinion(w.sec_a, w.org_a, submitter_name="王五", submitter_contact="13900001111", anonymous=True,
                       content="匿名反映")
    items = {
        "a_closed": f.item(w.sec_a, w.org_a, w.owner_a, "closed", title="午间无人值守",
                           opinion_ids=[named.id, mailed.id]),
        "a_closed2": f.item(w.sec_a, w.org_a, w.owner_a2, "closed", title="匿名反映事项", opinion_ids=[secret.id]),
        "a_late": f.item(w.sec_a, w.org_a, w.owner_a, "in_progress", title="将要超期", days=2),
        "a_pending": f.item(w.sec_a, w.org_a, w.owner_a2, "pending", title="待认领", days=30),
        "a_cancel": f.item(w.sec_a, w.org_a, w.owner_a, "cancelled", title="重复"),
        "b_claimed": f.item(w.sec_b, w.org_b, w.owner_b, "claimed", title="乙待办", days=30),
        "b_closed": f.item(w.sec_b, w.org_b, w.owner_b, "closed", title="乙已办"),
    }
    db.session.commit()
    return w, items


def publish(actor, org, kind, start, end, **fields):
    notice = services.create_draft(actor, org.id, kind, start, end, **fields)
    services.publish(actor, notice.id)
    db.session.commit()
    return notice
