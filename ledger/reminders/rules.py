"""Which reminders an item owes on a given day: pure functions of the item's facts, the rules and the date.

Windows are thresholds, not exact days, so a run after an outage still sends what was owed (once: the
period in each key stays the same for the whole window). Each reminder's period names its window and the
deadline (or assignment, submission, month) it is about, so a new deadline starts fresh reminders.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ledger.core.enums import ItemKind, ItemStatus
from ledger.reminders.settings import Rules

KINDS = ("escalation", "overdue", "due_soon", "unverified", "unclaimed", "progress_request")
ALWAYS_SENT = frozenset({"overdue", "escalation"})  # opting out of reminders keeps these
WORKING = frozenset({ItemStatus.pending.value, ItemStatus.claimed.value, ItemStatus.in_progress.value})
OPEN = WORKING | {ItemStatus.awaiting_verification.value}


@dataclass(frozen=True)
class ItemFacts:
    status: str
    kind: str
    deadline: date | None
    flagged: bool
    assigned_on: date
    assigned_stamp: str  # assignment moment, so a reassignment starts a fresh key
    submitted_on: date | None = None
    submitted_stamp: str = ""
    last_progress_on: date | None = None


@dataclass(frozen=True)
class Due:
    kind: str
    period: str
    days: int = 0  # days left, days overdue, or days waiting
    extra: dict = field(default_factory=dict, compare=False)


def _due_soon(f: ItemFacts, rules: Rules, today: date) -> list[Due]:
    if f.deadline is None or f.status not in WORKING or not rules.due_soon_days:
        return []
    left = (f.deadline - today).days
    windows = [t for t in rules.due_soon_days if 0 <= left <= t]
    if not windows:
        return []
    window = min(windows)  # the tightest window reached: one reminder, never a burst of them
    return [Due("due_soon", f"{f.deadline}:d{window}", left)]


def _overdue(f: ItemFacts, rules: Rules, today: date) -> list[Due]:
    if f.deadline is None or f.status not in OPEN:
        return []
    over = (today - f.deadline).days
    if over < 1:
        return []
    repeat = max(rules.overdue_repeat_days, 1)
    dues = [Due("overdue", f"{f.deadline}:{(over - 1) // repeat}", over)]
    start = 1 if f.flagged else max(rules.escalate_after_days, 1)
    if over >= start:
        tag = "f" if f.flagged else "n"
        dues.append(Due("escalation", f"{f.deadline}:{tag}{(over - start) // repeat}", over,
                        {"flagged": f.flagged}))
    return dues


def _waiting(f: ItemFacts, rules: Rules, today: date) -> list[Due]:
    if f.status == ItemStatus.pending.value:
        waited = (today - f.assigned_on).days
        if waited >= rules.unclaimed_days:
            return [Due("unclaimed", f.assigned_stamp, waited)]
    if f.status == ItemStatus.awaiting_verification.value and f.submitted_on is not None:
        waited = (today - f.submitted_on).days
        if waited >= rules.unverified_days:
            return [Due("unverified", f.submitted_stamp, waited)]
    return []


def _progress_request(f: ItemFacts, rules: Rules, today: date) -> list[Due]:
    """A long_term item's monthly progress request, unless progress was already recorded this month."""
    if f.kind != ItemKind.long_term.value or f.status not in (ItemStatus.claimed.value, ItemStatus.in_progress.value):
        return []
    month_start = today.replace(day=1)
    if today.day < rules.progress_request_day or f.assigned_on >= month_start:
        return []
    if f.last_progress_on is not None and f.last_progress_on >= month_start:
        return []
    return [Due("progress_request", f"{today:%Y-%m}", 0)]


def reminders_due(facts: ItemFacts, rules: Rules, today: date) -> list[Due]:
    """Every reminder the item owes today (before recipients and their preferences are applied)."""
    return (_due_soon(facts, rules, today) + _overdue(facts, rules, today) + _waiting(facts, rules, today)
            + _progress_request(facts, rules, today))


def digest_week_start(today: date, hour: int, digest_weekday: int, digest_hour: int) -> date:
    """The first day of the digest week the given local moment falls in (weeks begin at the digest hour)."""
    start = today - timedelta(days=(today.weekday() - digest_weekday) % 7)
    if start == today and hour < digest_hour:
        start -= timedelta(days=7)
    return start
