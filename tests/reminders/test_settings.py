"""Reminder windows and recipients are settings per organisation, inherited down the tree."""
from __future__ import annotations

import pytest

from ledger.core.db import db
from ledger.core.errors import Invalid, NotFound
from ledger.reminders.settings import DEFAULTS, rules_for, update_reminder_settings
from tests.reminders.conftest import at, run, sent_kinds


def test_defaults_are_spec_section_4(app, w):
    rules = rules_for(w.org_a)
    assert rules == DEFAULTS
    assert (rules.due_soon_days, rules.overdue_repeat_days, rules.escalate_after_days, rules.unclaimed_days,
            rules.unverified_days) == ((3, 1), 7, 7, 2, 3)


def test_root_settings_apply_to_the_subtree_and_the_nearest_wins(app, w):
    update_reminder_settings(w.admin, w.root.id, {"due_soon_days": "5,2", "unclaimed_days": 4})
    update_reminder_settings(w.sec_a, w.org_a.id, {"unclaimed_days": 1})
    db.session.commit()
    assert rules_for(w.org_b).due_soon_days == (5, 2) and rules_for(w.org_b).unclaimed_days == 4
    assert rules_for(w.org_a).due_soon_days == (5, 2) and rules_for(w.org_a).unclaimed_days == 1


def test_settings_are_checked_and_scoped(app, w):
    with pytest.raises(Invalid):
        update_reminder_settings(w.admin, w.org_a.id, {"overdue_repeat_days": -1})
    with pytest.raises(Invalid):
        update_reminder_settings(w.admin, w.org_a.id, {"recipients": {"overdue": ["everyone"]}})
    with pytest.raises(NotFound):
        update_reminder_settings(w.sec_b, w.org_a.id, {"unclaimed_days": 1})


def test_recipients_setting_changes_who_hears(app, w, make):
    update_reminder_settings(w.sec_a, w.org_a.id, {"recipients": {"overdue": ["owner"], "due_soon": ["owner",
                                                                                                   "secretary"]}})
    db.session.commit()
    late = make(days=1, when=at(-2))
    soon = make(days=3)
    run(at(0))
    assert ("overdue", late.id) not in sent_kinds(w.sec_a)
    assert ("due_soon", soon.id) in sent_kinds(w.sec_a)
    assert ("overdue", late.id) in sent_kinds(w.owner_a)
