"""The words of a reminder: one message per person per run, in Chinese, each item with its link."""
from __future__ import annotations

from dataclasses import dataclass

from ledger.outbox.services import item_url_base

SECTIONS = {  # kind → (section title, short phrase for subjects)
    "escalation": ("超期督办", "超期督办"),
    "overdue": ("已超期", "已超期"),
    "due_soon": ("即将到期", "即将到期"),
    "unverified": ("待销号审核", "待销号审核"),
    "unclaimed": ("待认领", "待认领"),
    "progress_request": ("长期坚持事项进展报送", "请报送进展"),
}
FOOTER = "（本消息由整改销号台账自动发送。可在个人设置中选择“每日汇总”，或退订超期和督办以外的提醒。）"


@dataclass(slots=True)
class Entry:
    kind: str
    item: object
    days: int
    flagged: bool = False


def _what(entry: Entry) -> str:
    """What is due, in a few words (for a subject naming one item)."""
    item, n = entry.item, entry.days
    if entry.kind == "due_soon":
        return f"整改时限将至：{'今天到期' if n == 0 else f'还有{n}天'}（{item.deadline}）"
    if entry.kind == "overdue":
        return f"已超期{n}天（时限{item.deadline}）"
    if entry.kind == "escalation":
        return f"超期督办：已超期{n}天" + ("（挂牌督办）" if entry.flagged else "")
    if entry.kind == "unclaimed":
        return f"已指定{n}天仍未认领"
    if entry.kind == "unverified":
        return f"已提交{n}天待销号审核"
    return "请报送本月整改进展"


def _line(entry: Entry, reader_id: int, base: str) -> str:
    item = entry.item
    detail = _what(entry)
    if entry.kind in ("escalation", "overdue", "unverified") and item.owner is not None and item.owner_id != reader_id:
        detail += f"；责任人：{item.owner.name}"
    if entry.kind == "escalation" and item.org is not None:
        detail += f"；单位：{item.org.name}"
    return f"{item.code}“{item.title}”— {detail}\n   {base}{item.id}"


def reminder_message(user, entries: list[Entry], base: str | None = None) -> tuple[str, str, str, int | None]:
    """(subject, body, kind, item_id) of the one message listing all of this person's reminders.
    ``base``: item links' prefix (outbox.services.item_url_base), read once by a caller writing many."""
    base = base if base is not None else item_url_base()
    order = list(SECTIONS)
    entries = sorted(entries, key=lambda e: (order.index(e.kind), e.item.code))
    kinds = [k for k in order if any(e.kind == k for e in entries)]
    if len(entries) == 1:
        subject = f"【{entries[0].item.code}】{_what(entries[0])}"
    else:
        counts = "，".join(f"{SECTIONS[k][1]}{sum(e.kind == k for e in entries)}项" for k in kinds)
        subject = f"【{entries[0].item.code} 等{len(entries)}项】整改提醒：{counts}"
    parts = [f"{user.name}，您好：", ""]
    for kind in kinds:
        section = [e for e in entries if e.kind == kind]
        parts.append(f"■ {SECTIONS[kind][0]}（{len(section)}项）")
        parts.extend(f"{i}. {_line(e, user.id, base)}" for i, e in enumerate(section, 1))
        parts.append("")
    parts.append(FOOTER)
    kind = kinds[0] if len(kinds) == 1 else "reminders"
    item_id = entries[0].item.id if len(entries) == 1 else None
    return subject, "\n".join(parts), kind, item_id


def digest_message(user, week_start, items: list, base: str | None = None) -> tuple[str, str]:
    """The weekly supervisor digest of overdue and flagged items."""
    base = base if base is not None else item_url_base()
    overdue = [i for i in items if i.overdue]
    flagged = [i for i in items if i.flagged]
    subject = (f"【{items[0].code} 等{len(items)}项】督导周报（{week_start}起）："
               f"超期{len(overdue)}项，挂牌督办{len(flagged)}项")
    parts = [f"{user.name}，您好：", "", f"截至本周，您督导范围内超期或挂牌督办的整改事项共{len(items)}项：", ""]
    for number, item in enumerate(items, 1):
        notes = []
        if item.overdue:
            notes.append(f"超期{item.overdue_days}天（时限{item.deadline}）")
        if item.flagged:
            notes.append("挂牌督办")
        owner = item.owner.name if item.owner is not None else "—"
        parts.append(f"{number}. {item.code}“{item.title}”— {item.org.name}；责任人：{owner}；{'，'.join(notes)}\n"
                     f"   {base}{item.id}")
    parts += ["", FOOTER]
    return subject, "\n".join(parts)
