"""The reminder windows as pure functions (no database)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger.core.errors import Invalid
from ledger.reminders.rules import ItemFacts, digest_week_start, reminders_due
from ledger.reminders.settings import Rules, parse_days

TODAY = date(2026, 5, 4)


def facts(**kw) -> ItemFacts:
    base = {"status": "in_progress", "kind": "time_limited", "deadline": TODAY + timedelta(days=10), "flagged": False,
            "assigned_on": TODAY - timedelta(days=20), "assigned_stamp": "a"}
    return ItemFacts(**(base | kw))


def kinds(f: ItemFacts, rules: Rules = Rules(), today: date = TODAY) -> list[tuple[str, str]]:
    return [(d.kind, d.period) for d in reminders_due(f, rules, today)]


@pytest.mark.parametrize(("left", "expected"), [
    (4, []), (3, ["d3"]), (2, ["d3"]), (1, ["d1"]), (0, ["d1"]), (-1, []),
])
def test_due_soon_windows(left, expected):
    deadline = TODAY + timedelta(days=left)
    got = [p.split(":")[1] for k, p in kinds(facts(deadline=deadline)) if k == "due_soon"]
    assert got == expected


def test_due_soon_not_for_items_already_submitted():
    assert kinds(facts(status="awaiting_verification", deadline=TODAY + timedelta(days=1),
                       submitted_on=TODAY, submitted_stamp="s")) == []


@pytest.mark.parametrize(("over", "overdue_cycle", "escalation"), [
    (1, "0", None), (6, "0", None), (7, "0", "n0"), (8, "1", "n0"), (14, "1", "n1"), (15, "2", "n1"),
])
def test_overdue_cycles_and_escalation(over, overdue_cycle, escalation):
    deadline = TODAY - timedelta(days=over)
    got = dict(kinds(facts(deadline=deadline)))
    assert got["overdue"] == f"{deadline}:{overdue_cycle}"
    assert got.get("escalation") == (f"{deadline}:{escalation}" if escalation else None)


def test_flagged_overdue_escalates_at_once():
    deadline = TODAY - timedelta(days=1)
    assert dict(kinds(facts(deadline=deadline, flagged=True)))["escalation"] == f"{deadline}:f0"


def test_a_new_deadline_gives_new_keys():
    assert kinds(facts(deadline=TODAY + timedelta(days=3))) != kinds(facts(deadline=TODAY + timedelta(days=2)))


def test_settings_change_the_windows():
    rules = Rules(due_soon_days=(5,), overdue_repeat_days=3, escalate_after_days=2)
    assert kinds(facts(deadline=TODAY + timedelta(days=5)), rules)[0][0] == "due_soon"
    deadline = TODAY - timedelta(days=4)
    assert dict(kinds(facts(deadline=deadline), rules)) == {"overdue": f"{deadline}:1", "escalation": f"{deadline}:n0"}


def test_unclaimed_and_unverified_thresholds():
    pending = facts(status="pending", assigned_on=TODAY - timedelta(days=1))
    assert kinds(pending) == []
    assert kinds(facts(status="pending", assigned_on=TODAY - timedelta(days=2)))[0] == ("unclaimed", "a")
    waiting = facts(status="awaiting_verification", submitted_on=TODAY - timedelta(days=3), submitted_stamp="s")
    assert kinds(waiting) == [("unverified", "s")]


def test_progress_request_monthly_for_long_term():
    item = facts(kind="long_term", deadline=None, assigned_on=date(2026, 3, 15))
    assert kinds(item, today=date(2026, 5, 1)) == [("progress_request", "2026-05")]
    assert kinds(item, today=date(2026, 5, 20)) == [("progress_request", "2026-05")]  # owed until sent
    assert kinds(facts(kind="long_term", deadline=None, assigned_on=date(2026, 5, 2)), today=date(2026, 5, 20)) == []
    done = facts(kind="long_term", deadline=None, assigned_on=date(2026, 3, 15), last_progress_on=date(2026, 5, 1))
    assert kinds(done, today=date(2026, 5, 3)) == []


def test_digest_week_start():
    monday = date(2026, 5, 4)
    assert digest_week_start(monday, 9, 0, 8) == monday
    assert digest_week_start(monday, 7, 0, 8) == monday - timedelta(days=7)
    assert digest_week_start(monday + timedelta(days=3), 1, 0, 8) == monday


def test_parse_days():
    assert parse_days("1,3") == (3, 1)
    assert parse_days("7，3, 1") == (7, 3, 1)
    with pytest.raises(Invalid):
        parse_days("x")
