"""Every accepted action bumps the item's version by exactly one (issue 14, finding 13): ``progress`` with
``percent`` by the owner bumped it by two (the owner's open urges were marked answered by a statement
that flushed the item before the action's own write). Generated from ``lifecycle.RULES``: every action
from every status it may start from, by each relation the rule admits, through the API (``attach``
through the upload route); the answer's version and the row's are the one before plus one. ``attach``
adds evidence beside the item and answers the attachment, which carries no version: the item's stays, so
an owner may upload and then submit with the version they hold."""
from __future__ import annotations

import pytest

from ledger.core.db import db
from ledger.items import lifecycle
from ledger.items.models import Item
from tests.api.test_transitions_generated import attempt, make_item, valid_data

# the version rule is the ORM's and the state machine's, not the database's: one database is enough
pytestmark = pytest.mark.one_database

WHO = {"owner": "owner_a", "secretary": "sec_a", "supervisor": "sup_a"}  # "system": the scheduler, below
CASES = [(action, status, relation) for action, rule in lifecycle.RULES.items() for status in sorted(rule.sources)
         for relation in sorted(rule.who) if relation in WHO]


def _version(item_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Item, item_id).version


@pytest.mark.parametrize("action, status, relation", CASES)
def test_an_accepted_action_bumps_the_version_once(f, api, client, backend, action, status, relation):
    w = f.world()
    item = make_item(f, w, status, action)
    before = _version(item.id)
    code, body = attempt(client, api(getattr(w, WHO[relation])).token, item, action, valid_data(action, item, w))
    if code not in (200, 201):  # a guard that this relation does not pass here (a supervisor exists, …)
        assert _version(item.id) == before
        pytest.skip(f"{relation} may not {action} here: {code} {body['error']['code']}")
    if action == "attach":
        assert _version(item.id) == before
        return
    assert _version(item.id) == before + 1, (action, status, relation)
    assert body["version"] == before + 1


def test_every_action_is_accepted_somewhere():
    assert {action for action, _, _ in CASES} == set(lifecycle.RULES)


@pytest.mark.parametrize("percent", [None, 0, 60, 100])
@pytest.mark.parametrize("relation", ["owner", "secretary"])
def test_progress_with_or_without_percent_after_an_urge(f, api, client, backend, relation, percent):
    """The reported instance, with an unanswered urge (the owner's progress answers it)."""
    w = f.world()
    item = make_item(f, w, "in_progress", "progress")
    status, body = api(w.sup_a).post(f"/items/{item.id}/transitions",
                                     {"action": "urge", "version": item.version, "note": "请加快"})
    assert status == 200
    data = {"action": "progress", "version": body["version"], "note": "进展"}
    if percent is not None:
        data["percent"] = percent
    status, after = api(getattr(w, WHO[relation])).post(f"/items/{item.id}/transitions", data)
    assert status == 200 and after["version"] == body["version"] + 1 == _version(item.id)


def test_the_system_reopening_bumps_once(f, backend):
    from ledger.items.services import apply_action

    w = f.world()
    item = make_item(f, w, "closed", "reopen")
    before = _version(item.id)
    apply_action(None, item.id, "reopen", before, reason="公示期异议成立")
    db.session.commit()
    assert _version(item.id) == before + 1
