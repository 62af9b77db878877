"""Publication: the frozen snapshot, numbering per organisation and year, the objection period in working
days, withdrawal and corrections."""
from datetime import UTC, date, datetime, timedelta

import pytest

from ledger.calendar.services import set_days
from ledger.core import clock
from ledger.core.db import db
from ledger.core.errors import InvalidTransition
from ledger.items.services import apply_action
from ledger.notices import services
from ledger.notices.document import build_document
from tests.notices.support import ledger, publish


def test_a_published_notice_is_an_immutable_snapshot(f):
    w, items = ledger(f)
    today = clock.today()
    notice = publish(w.sup_root, w.root, "progress", today - timedelta(days=7), today)
    before = dict(notice.content)
    text = build_document(notice).plain_text()
    late = items["a_late"]
    f.item(w.sec_a, w.org_a, w.owner_a, "closed", title="后来销号")
    apply_action(w.sec_a, late.id, "cancel", late.version, reason="other")
    db.session.commit()
    db.session.expire_all()
    again = services.get_notice(w.sup_root, notice.id)
    assert again.content == before and build_document(again).plain_text() == text
    with pytest.raises(InvalidTransition):
        services.update_draft(w.sup_root, notice.id, {"title": "改标题"})
    again.content = {"tampered": True}
    with pytest.raises(InvalidTransition):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        services.publish(w.sup_root, notice.id)


def test_numbering_per_organisation_and_across_a_year_boundary(f):
    w, items = ledger(f)
    numbers = []
    for moment in (datetime(2026, 12, 30, 2, tzinfo=UTC), datetime(2026, 12, 31, 16, 30, tzinfo=UTC)):
        with clock.frozen_at(moment):  # 16:30 UTC on 31 Dec is already 1 Jan 2027 in Shanghai
            today = clock.today()
            numbers.append(publish(w.sup_root, w.root, "progress", today - timedelta(days=6), today).number)
            numbers.append(publish(w.sup_a, w.org_a, "overdue", today, today).number)
    with clock.frozen_at(datetime(2027, 1, 4, 2, tzinfo=UTC)):
        numbers.append(publish(w.sup_root, w.root, "overdue", clock.today(), clock.today()).number)
    assert numbers == ["〔2026〕1号", "〔2026〕1号", "〔2027〕1号", "〔2027〕1号", "〔2027〕2号"]
    draft = services.create_draft(w.sup_root, w.root.id, "progress", date(2027, 1, 1), date(2027, 1, 3))
    assert draft.number is None and "草稿" in build_document(draft).number


def test_objection_period_counts_working_days_from_the_day_after(f):
    w, items = ledger(f)
    friday = datetime(2026, 9, 25, 2, tzinfo=UTC)  # Friday 25 Sep 2026, 10:00 in Shanghai
    set_days([(date(2026, 10, d), False, "国庆节") for d in range(1, 9)] + [(date(2026, 9, 27), True, "调休上班")])
    db.session.commit()
    with clock.frozen_at(friday - timedelta(days=1)):
        item = f.item(w.sec_a, w.org_a, w.owner_a, "closed", title="九月销号")
    with clock.frozen_at(friday):
        notice = publish(w.sec_a, w.org_a, "closure", date(2026, 9, 1), date(2026, 9, 25))
    # working days after Fri 25 Sep: Sun 27 (make-up), Mon 28, Tue 29, Wed 30, then the holiday to 8 Oct,
    # Fri 9 Oct, Mon 12, Tue 13
    assert notice.objection_until == date(2026, 10, 13)
    assert notice.content["objection"] == {"from": "2026-09-26", "until": "2026-10-13", "working_days": 7,
                                           "contact": ""}
    text = build_document(notice).plain_text()
    assert "自2026年9月26日起至2026年10月13日止" in text and "异议" in text
    assert [r["id"] for r in notice.content["items"]] == [item.id]


def test_withdrawal_keeps_the_record_and_a_correction_says_what_it_corrects(f):
    w, items = ledger(f)
    today = clock.today()
    original = publish(w.sec_a, w.org_a, "closure", today - timedelta(days=1), today)
    correction = services.create_correction(w.sec_a, original.id)
    services.publish(w.sec_a, correction.id)
    services.withdraw(w.sec_a, original.id, "数据有误，已更正")
    db.session.commit()
    assert original.status == "withdrawn" and original.number == "〔2026〕1号".replace("2026", str(today.year))
    assert correction.corrects_id == original.id and correction.content["corrects"]["number"] == original.number
    assert f"更正{original.number}" in build_document(correction).plain_text()
    assert services.corrected_by(original) == [correction]
    assert "撤回" in build_document(original).status_note
    with pytest.raises(InvalidTransition):
        services.withdraw(w.sec_a, original.id, "再撤一次")
