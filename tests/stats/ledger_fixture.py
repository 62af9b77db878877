"""A hand-built ledger with known answers (SPEC §7), every moment fixed in Asia/Shanghai.

Period: 2026-10-01 … 2026-10-31; the figures are read at 2026-11-10 12:00.

  item  org  created      deadline  history                                          in the period
  A     a    10-01 01:00  10-20     claimed 10-02 09:00 (32 h), closed 10-15 10:00     on time, first round
  B     a    10-05 09:00  10-10     claimed 10-08 09:00 (72 h), extended to 10-25,     within extension
                                    closed 10-22 10:00
  C     a    10-06 09:00  10-16     claimed 10-06 10:00, flagged, urged twice          overdue, escalated
  D     b    10-07 09:00  11-30     never claimed                                      assigned, no response
  E     a    10-08 09:00  10-30     cancelled 10-09 (duplicate)                        counted nowhere but status
  F     a    09-20 09:00  10-05     claimed 09-21, closed 10-06 00:30 local            closed late (UTC date 10-05!)
  G     a    10-10 09:00  10-20     claimed 10-10 11:00, closed 10-12, reopened 10-13, closed after reopening, late
                                    urged 10-14, answered 10-15, closed 10-25 10:00
  I     a    11-05 09:00  11-20     pending                                            outside the period

A is created at 2026-09-30 17:00 UTC — inside October in local time only.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ledger.core import clock
from ledger.core.db import db
from ledger.evaluation.services import record_rating
from ledger.items.attachments import add_attachment
from ledger.items.services import apply_action, create_item
from ledger.opinions.services import create_opinion, triage
from ledger.reviews.services import create_review
from tests.factories import PNG

TZ = ZoneInfo("Asia/Shanghai")
PERIOD = ("2026-10-01", "2026-10-31")
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=TZ)


def at(text: str):
    return clock.frozen_at(datetime.fromisoformat(f"2026-{text}").replace(tzinfo=TZ))


@dataclass
class Ledger:
    w: object
    items: dict

    def ids(self, *names: str) -> set[int]:
        return {self.items[n].id for n in names}


def _act(actor, item, action, **data):
    apply_action(actor, item.id, action, item.version, **data)
    db.session.commit()


def _evidence(owner, item):
    add_attachment(owner, item.id, "photo", "p.png", io.BytesIO(PNG))
    db.session.commit()


def _close(w, owner, item, verifier=None):
    if item.status == "claimed":
        _act(owner, item, "start")
    _evidence(owner, item)
    _act(owner, item, "submit", completion_note="完成")
    _act(verifier or w.sec_a, item, "verify", comment="同意")


def _new(w, org, owner, title, deadline: str, secretary=None, **data):
    item = create_item(secretary or w.sec_a, {"org_id": org.id, "title": title, "owner_id": owner.id,
                                              "measures": "措施", "deadline": date.fromisoformat(deadline), **data})
    db.session.commit()
    return item


def build(f) -> Ledger:
    w = f.world()
    items = {}
    with at("09-20T09:00"):
        items["F"] = _new(w, w.org_a, w.owner_a, "F", "2026-10-05")
    with at("09-21T09:00"):
        _act(w.owner_a, items["F"], "claim")
    with at("10-01T01:00"):
        items["A"] = _new(w, w.org_a, w.owner_a, "A", "2026-10-20")
    with at("10-02T09:00"):
        _act(w.owner_a, items["A"], "claim")
    with at("10-05T09:00"):
        items["B"] = _new(w, w.org_a, w.owner_a2, "B", "2026-10-10")
    with at("10-06T00:30"):
        _close(w, w.owner_a, items["F"])
    with at("10-06T09:00"):
        items["C"] = _new(w, w.org_a, w.owner_a2, "C", "2026-10-16")
    with at("10-06T10:00"):
        _act(w.owner_a2, items["C"], "claim")
        _act(w.owner_a2, items["C"], "start")
    with at("10-07T09:00"):
        items["D"] = _new(w, w.org_b, w.owner_b, "D", "2026-11-30", secretary=w.sec_b)
    with at("10-08T09:00"):
        items["E"] = _new(w, w.org_a, w.owner_a, "E", "2026-10-30")
        _act(w.owner_a2, items["B"], "claim")
        _act(w.owner_a2, items["B"], "start")
    with at("10-09T09:00"):
        _act(w.sec_a, items["E"], "cancel", reason="duplicate")
        _act(w.owner_a2, items["B"], "request_extension", new_deadline=date(2026, 10, 25), reason="材料未齐")
        _act(w.sup_a, items["B"], "approve_extension", comment="同意")
    with at("10-10T09:00"):
        items["G"] = _new(w, w.org_a, w.owner_a, "G", "2026-10-20")
    with at("10-10T11:00"):
        _act(w.owner_a, items["G"], "claim")
    with at("10-12T10:00"):
        _close(w, w.owner_a, items["G"])
    with at("10-13T10:00"):
        _act(w.sec_a, items["G"], "reopen", reason="群众反映未整改到位")
    with at("10-14T10:00"):
        _act(w.sup_a, items["G"], "urge", note="抓紧")
    with at("10-15T10:00"):
        _act(w.owner_a, items["G"], "progress", note="已整改")
        _close(w, w.owner_a, items["A"])
    with at("10-17T10:00"):
        _act(w.sup_a, items["C"], "flag", comment="挂牌督办")
    with at("10-20T10:00"):
        _act(w.sec_a, items["C"], "urge", note="请报进展")
    with at("10-22T10:00"):
        _close(w, w.owner_a2, items["B"])
    with at("10-25T10:00"):
        _evidence(w.owner_a, items["G"])
        _act(w.owner_a, items["G"], "submit", completion_note="再次完成")
        _act(w.sec_a, items["G"], "verify", comment="同意")
    with at("10-28T10:00"):
        _act(w.sup_a, items["C"], "urge", note="再次催办")
    with at("11-05T09:00"):
        items["I"] = _new(w, w.org_a, w.owner_a, "I", "2026-11-20")
    _opinions_and_ratings(w, items)
    return Ledger(w, items)


def _opinions_and_ratings(w, items) -> None:
    with at("10-20T12:00"):
        def opinion(org, secretary, received: str, contact=None):
            made = create_opinion(secretary, {"org_id": org.id, "channel": "meeting", "content": "意见",
                                              "submitter_contact": contact,
                                              "received_on": date.fromisoformat(received)})
            db.session.commit()
            return made
        opinion(w.org_a, w.sec_a, "2026-10-02", "p@example.org")  # answered below
        opinion(w.org_a, w.sec_a, "2026-10-03")  # no contact: no feedback
        answered = opinion(w.org_a, w.sec_a, "2026-10-04")
        triage(w.sec_a, answered.id, "answer", "已解释")
        opinion(w.org_b, w.sec_b, "2026-10-05")
        opinion(w.org_a, w.sec_a, "2026-09-10", "q@example.org")  # outside the period
        db.session.commit()
        from ledger.opinions.models import Opinion
        first = db.session.query(Opinion).filter_by(submitter_contact="p@example.org").one()
        first.feedback_at = clock.now()
        db.session.commit()
        inside = create_review(w.sec_a, {"org_id": w.org_a.id, "title": "十月评议", "method": "meeting",
                                         "held_on": date(2026, 10, 20)})
        outside = create_review(w.sec_a, {"org_id": w.org_a.id, "title": "九月评议", "method": "meeting",
                                          "held_on": date(2026, 9, 15)})
        record_rating(w.sec_a, inside.id, {"target_type": "org", "target_id": w.org_a.id, "satisfied": 8,
                                           "basically_satisfied": 1, "unsatisfied": 1})
        record_rating(w.sec_a, inside.id, {"target_type": "item", "target_id": items["A"].id, "satisfied": 4,
                                           "basically_satisfied": 1, "unsatisfied": 0})
        record_rating(w.sec_a, outside.id, {"target_type": "user", "target_id": w.owner_a.id, "satisfied": 0,
                                            "basically_satisfied": 0, "unsatisfied": 9})
        db.session.commit()
