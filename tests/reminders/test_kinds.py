"""Each reminder kind reaches the right people on the right day, and not on other days."""
from __future__ import annotations

from collections import Counter

from ledger.core import clock
from ledger.core.db import db
from ledger.items.services import apply_action
from tests.reminders.conftest import BASE, at, reminder_messages, run, sent_kinds


def _daily(days: range, hour: int = 10) -> dict[int, dict]:
    return {d: run(at(d, hour))["reminders"] for d in days}


def test_due_soon_three_days_and_one_day_before_to_the_owner(app, w, make):
    item = make(days=5)  # deadline BASE+5
    results = _daily(range(0, 6))
    sent = {d: r["due_soon"] for d, r in results.items()}
    assert sent == {0: 0, 1: 0, 2: 1, 3: 0, 4: 1, 5: 0}
    assert sent_kinds(w.owner_a) == Counter({("due_soon", item.id): 2})
    for other in (w.sec_a, w.sup_a, w.sup_root, w.owner_a2):
        assert not reminder_messages(other)
    first, second = reminder_messages(w.owner_a)
    assert first.subject == f"【{item.code}】整改时限将至：还有3天（{item.deadline}）"
    assert second.subject == f"【{item.code}】整改时限将至：还有1天（{item.deadline}）"
    assert f"http://ledger.test/items/{item.id}" in first.body
    assert first.to_address == w.owner_a.email and first.item_id == item.id


def test_overdue_first_day_then_every_seven_days_to_owner_and_secretary(app, w, make):
    item = make(days=1)  # deadline BASE+1: first overdue day BASE+2
    results = _daily(range(1, 18))
    overdue = {d: r["overdue"] for d, r in results.items() if r["overdue"]}
    assert overdue == {2: 2, 9: 2, 16: 2}  # owner and secretary, days 1, 8 and 15 overdue
    assert sent_kinds(w.owner_a)[("overdue", item.id)] == 3
    assert sent_kinds(w.sec_a)[("overdue", item.id)] == 3
    subject = reminder_messages(w.sec_a)[0].subject
    assert subject == f"【{item.code}】已超期1天（时限{item.deadline}）"


def test_escalation_after_seven_days_to_supervisors_in_scope(app, w, f, make):
    sup_b = f.user("sup_b", [(w.org_b, "supervisor")])
    item = make(days=1)
    results = _daily(range(1, 17))
    escalated = {d: r["escalation"] for d, r in results.items() if r["escalation"]}
    assert escalated == {8: 2, 15: 2}  # 7 and 14 days overdue; sup_a and sup_root
    assert sent_kinds(w.sup_a) == Counter({("escalation", item.id): 2})
    assert sent_kinds(w.sup_root) == Counter({("escalation", item.id): 2})
    assert not sent_kinds(sup_b) and not sent_kinds(w.sec_b)
    assert "超期督办：已超期7天" in reminder_messages(w.sup_a)[0].subject
    assert ("escalation", item.id) not in sent_kinds(w.owner_a)


def test_flagged_item_escalates_on_its_first_overdue_day(app, w, make):
    item = make(days=1)
    with clock.frozen_at(at(0)):
        apply_action(w.sup_a, item.id, "flag", item.version, comment="挂牌督办")
        db.session.commit()
    results = _daily(range(1, 4))
    assert {d: r["escalation"] for d, r in results.items()} == {1: 0, 2: 2, 3: 0}
    assert "挂牌督办" in reminder_messages(w.sup_root)[0].subject


def test_unclaimed_for_two_days_to_the_owner(app, w, make):
    item = make(days=20, status="pending")
    results = _daily(range(0, 5))
    assert {d: r["unclaimed"] for d, r in results.items()} == {0: 0, 1: 0, 2: 1, 3: 0, 4: 0}
    assert sent_kinds(w.owner_a) == Counter({("unclaimed", item.id): 1})
    assert reminder_messages(w.owner_a)[0].subject == f"【{item.code}】已指定2天仍未认领"


def test_awaiting_verification_for_three_days_to_the_verifiers(app, w, make):
    item = make(days=20, status="awaiting_verification")
    results = _daily(range(0, 6))
    assert {d: r["unverified"] for d, r in results.items()} == {0: 0, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
    assert sent_kinds(w.sec_a) == Counter({("unverified", item.id): 1})
    assert not sent_kinds(w.owner_a) and not sent_kinds(w.sup_a)


def test_flagged_item_awaiting_verification_goes_to_supervisors(app, w, make):
    item = make(days=20, status="awaiting_verification")
    with clock.frozen_at(BASE):
        apply_action(w.sup_a, item.id, "flag", item.version, comment="督办")
        db.session.commit()
    run(at(3))
    assert sent_kinds(w.sup_a) == Counter({("unverified", item.id): 1})
    assert sent_kinds(w.sup_root) == Counter({("unverified", item.id): 1})
    assert not sent_kinds(w.sec_a)


def test_long_term_items_get_a_monthly_progress_request(app, w, make):
    item = make(status="in_progress", kind="long_term", deadline=None, days=0)
    progressed = make(status="in_progress", kind="long_term", deadline=None, days=0)
    days = {d: run(at(d))["reminders"]["progress_request"] for d in (0, 1, 27)}
    with clock.frozen_at(at(28, hour=9)):  # 1 June, before the run: this month's progress is in
        apply_action(w.owner_a, progressed.id, "progress", progressed.version, note="本月进展")
        db.session.commit()
    days |= {d: run(at(d))["reminders"]["progress_request"] for d in (28, 29, 30, 58)}
    # May: created this month, nothing; 1 June: the one without June progress; 1 July: both
    assert days == {0: 0, 1: 0, 27: 0, 28: 1, 29: 0, 30: 0, 58: 2}
    assert sent_kinds(w.owner_a) == Counter({("progress_request", item.id): 2, ("progress_request", progressed.id): 1})
    assert "请报送本月整改进展" in reminder_messages(w.owner_a)[0].subject


def test_weekly_digest_to_each_supervisor_never_empty(app, w, f, make):
    sup_b = f.user("sup_b", [(w.org_b, "supervisor")])
    overdue = make(days=1, when=at(-14))  # overdue since BASE-12
    make(days=30)  # neither overdue nor flagged: not listed
    digests = {d: run(at(d, hour=9), ["weekly_digest"])["weekly_digest"]["digests"] for d in range(0, 8)}
    assert digests == {0: 2, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 2}  # Mondays, sup_a and sup_root
    assert sent_kinds(sup_b, digests=True) == Counter({("weekly_digest", None): 2})  # decided, both weeks
    assert not reminder_messages(sup_b)  # nothing in scope: no empty digest
    message = reminder_messages(w.sup_a)[0]
    assert message.kind == "weekly_digest" and overdue.code in message.subject and "督导周报" in message.subject


def test_digest_week_turns_at_monday_0800(app, w, make):
    make(days=1, when=at(-14))

    def digests(moment):
        return run(moment, ["weekly_digest"])["weekly_digest"]["digests"]
    assert digests(at(0, hour=7)) == 2  # last week's digest was owed (never sent): caught up
    assert digests(at(0, hour=7, minute=30)) == 0
    assert digests(at(0, hour=8, minute=30)) == 2  # this week's
    periods = {r for (_, r) in [(k, p) for k, p in _digest_periods(w.sup_a)]}
    assert periods == {"2026-04-27", "2026-05-04"}


def _digest_periods(user):
    from sqlalchemy import select

    from ledger.reminders.models import Reminder
    return [(r.kind, r.period) for r in db.session.scalars(select(Reminder).where(
        Reminder.user_id == user.id, Reminder.kind == "weekly_digest"))]


def test_one_message_per_person_per_run_listing_all_items(app, w, make):
    a = make(days=3)
    b = make(days=1)
    c = make(days=1, when=at(-5))  # overdue by 4 days on BASE
    result = run(at(0))["reminders"]
    assert result["reminders"] == 4 and result["messages"] == 2  # owner: 3 items; secretary: 1
    (message,) = reminder_messages(w.owner_a)
    assert message.subject.startswith(f"【{c.code} 等3项】整改提醒：")
    for item in (a, b, c):
        assert item.code in message.body and f"/items/{item.id}" in message.body
    assert "已超期" in message.body and "即将到期" in message.body
    assert run(at(0, hour=11))["reminders"]["messages"] == 0  # nothing new: never an empty message


def test_opt_out_keeps_only_overdue_and_escalation(app, w, make):
    w.owner_a.reminders_opt_out = True
    db.session.commit()
    due = make(days=3)
    late = make(days=1, when=at(-2))
    run(at(0))
    assert sent_kinds(w.owner_a) == Counter({("overdue", late.id): 1})
    assert ("due_soon", due.id) not in sent_kinds(w.owner_a)


def test_daily_digest_delivery_waits_for_the_digest_hour_then_one_message_a_day(app, w, make):
    w.owner_a.reminder_delivery = "digest"
    db.session.commit()
    make(days=3)
    late = make(days=1, when=at(-2))
    assert run(at(0, hour=7))["reminders"]["messages"] == 1  # the secretary only (immediate)
    assert not reminder_messages(w.owner_a)
    assert run(at(0, hour=9))["reminders"]["messages"] == 1
    (message,) = reminder_messages(w.owner_a)
    assert "等2项" in message.subject
    with clock.frozen_at(at(0, hour=12)):
        apply_action(w.sup_a, late.id, "flag", late.version, comment="督办")
        db.session.commit()
    assert run(at(0, hour=13))["reminders"]["messages"] == 2  # sup_a and sup_root: escalation, immediate
    assert len(reminder_messages(w.owner_a)) == 1  # the owner's digest already went out today


def test_every_message_is_also_an_in_app_notification(app, w, make, api):
    item = make(days=3)
    run(at(0))
    status, body = api(w.owner_a).get("/notifications")
    assert status == 200
    subjects = [n["subject"] for n in body["items"]]
    assert f"【{item.code}】整改时限将至：还有3天（{item.deadline}）" in subjects


def test_user_without_email_still_gets_the_notification(app, w, f, make):
    plain = f.user("plain_owner", [(w.org_a, "owner")])
    plain.email = None
    db.session.commit()
    item = make(days=3, owner=plain)
    assert run(at(0))["reminders"]["reminders"] == 1
    assert sent_kinds(plain) == Counter({("due_soon", item.id): 1})
    assert not reminder_messages(plain)


def test_extension_starts_fresh_due_soon_reminders(app, w, make):
    item = make(days=3)
    run(at(0))
    with clock.frozen_at(at(1)):
        apply_action(w.owner_a, item.id, "request_extension", item.version, new_deadline=item.deadline.replace(
            day=item.deadline.day + 7), reason="需要采购")
        db.session.commit()
        apply_action(w.sup_a, item.id, "approve_extension", item.version, comment="同意")
        db.session.commit()
    results = _daily(range(1, 11))
    assert {d: r["due_soon"] for d, r in results.items() if r["due_soon"]} == {7: 1, 9: 1}
