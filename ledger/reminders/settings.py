"""Reminder windows and recipients: SPEC §4's defaults, overridden per organisation (inherited down the tree)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ledger.core.db import db
from ledger.core.errors import Invalid
from ledger.orgs.models import Organisation
from ledger.reminders.models import ReminderSettings

# Who may receive each kind: owner, secretary (of the item's organisation), supervisors (in scope),
# verifiers (whoever may verify the item).
DEFAULT_RECIPIENTS: dict[str, list[str]] = {
    "due_soon": ["owner"],
    "overdue": ["owner", "secretary"],
    "escalation": ["supervisors"],
    "unclaimed": ["owner"],
    "unverified": ["verifiers"],
    "progress_request": ["owner"],
}
RECIPIENT_ROLES = {"owner", "secretary", "supervisors", "verifiers"}


@dataclass(frozen=True)
class Rules:
    due_soon_days: tuple[int, ...] = (3, 1)
    overdue_repeat_days: int = 7
    escalate_after_days: int = 7
    unclaimed_days: int = 2
    unverified_days: int = 3
    progress_request_day: int = 1
    recipients: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_RECIPIENTS))


DEFAULTS = Rules()
COLUMNS = ("due_soon_days", "overdue_repeat_days", "escalate_after_days", "unclaimed_days", "unverified_days",
           "progress_request_day")


def parse_days(text: str) -> tuple[int, ...]:
    """ "3,1" → (3, 1): distinct non-negative day counts, largest first."""
    try:
        days = {int(part) for part in text.replace("，", ",").split(",") if part.strip()}
    except ValueError:
        raise Invalid({"due_soon_days": "请填写以逗号分隔的天数，如 3,1"}) from None
    if not days or min(days) < 0 or max(days) > 60:
        raise Invalid({"due_soon_days": "天数必须在 0 到 60 之间"})
    return tuple(sorted(days, reverse=True))


class RulesCache:
    """Effective rules per organisation for one job run (one query for all settings rows)."""

    def __init__(self) -> None:
        self.rows = {row.org_id: row for row in db.session.scalars(select(ReminderSettings))}
        self.cache: dict[int, Rules] = {}

    def for_org(self, org: Organisation) -> Rules:
        if org.id not in self.cache:
            self.cache[org.id] = self._resolve(org)
        return self.cache[org.id]

    def _resolve(self, org: Organisation) -> Rules:
        values: dict = {}
        recipients = dict(DEFAULT_RECIPIENTS)
        for org_id in org.ancestor_ids():  # root first: the nearest organisation's value wins
            row = self.rows.get(org_id)
            if row is None:
                continue
            for name in COLUMNS:
                value = getattr(row, name)
                if value is not None:
                    values[name] = parse_days(value) if name == "due_soon_days" else value
            recipients.update(row.recipients or {})
        return Rules(**values, recipients=recipients)


def rules_for(org: Organisation) -> Rules:
    return RulesCache().for_org(org)


def update_reminder_settings(actor, org_id: int, changes: dict) -> ReminderSettings:
    """Set an organisation's reminder windows/recipients (admin or the organisation's secretary); None resets."""
    from ledger.auth.scope import require_org

    org = require_org(actor, org_id, roles=("admin", "secretary")) if actor is not None else db.session.get(
        Organisation, org_id)
    row = db.session.get(ReminderSettings, org.id) or ReminderSettings(org_id=org.id)
    problems = {}
    for name, value in changes.items():
        if name == "due_soon_days":
            row.due_soon_days = None if value is None else ",".join(map(str, parse_days(str(value))))
        elif name in COLUMNS:
            if value is not None and not (isinstance(value, int) and 0 <= value <= (28 if name ==
                                          "progress_request_day" else 365)):
                problems[name] = "取值超出范围"
            setattr(row, name, value)
        elif name == "recipients":
            bad = [k for k, roles in (value or {}).items()
                   if k not in DEFAULT_RECIPIENTS or not set(roles) <= RECIPIENT_ROLES]
            if bad:
                problems["recipients"] = f"无效的提醒类型或接收人：{', '.join(bad)}"
            row.recipients = value
        else:
            problems[name] = "未知的设置项"
    if row.progress_request_day == 0:
        problems["progress_request_day"] = "必须在 1 到 28 之间"
    if problems:
        raise Invalid(problems)
    db.session.add(row)
    db.session.flush()
    return row
