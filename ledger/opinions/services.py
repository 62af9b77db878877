"""Opinion intake and triage (accept into a new item, link to an item, answer, reject)."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import Select, select

from ledger.auth.models import User
from ledger.auth.scope import org_clause, require_org, scope_of
from ledger.core import clock
from ledger.core.contacts import contact_problem
from ledger.core.db import db
from ledger.core.enums import Channel, OpinionKind, OpinionStatus
from ledger.core.errors import Invalid, InvalidTransition, NotFound
from ledger.opinions.models import Opinion
from ledger.orgs.categories import category_problem
from ledger.outbox.services import notify_submitter
from ledger.reviews.models import Review

MAX_CONTENT = 5000
TRIAGE_ACTIONS = ("accept", "link", "answer", "reject")


def validate_opinion(data: dict, today: date, categories: Collection[str] | None = None) -> dict[str, str]:
    """Problems with one opinion's fields, by field name (used by the API and the importer, which passes the
    active ``categories`` once for the whole sheet)."""
    problems = {}
    content = (data.get("content") or "").strip()
    if not content:
        problems["content"] = "意见内容不能为空"
    elif len(content) > MAX_CONTENT:
        problems["content"] = f"意见内容不超过 {MAX_CONTENT} 字"
    if data.get("channel") not in Channel.values():
        problems["channel"] = "渠道无效"
    if data.get("kind", OpinionKind.problem.value) not in OpinionKind.values():
        problems["kind"] = "类型必须是 problem 或 suggestion"
    received = data.get("received_on")
    if received is not None and received > today:
        problems["received_on"] = "收到日期不能晚于今天"
    for key, limit in (("submitter_name", 100), ("submitter_contact", 200), ("category", 50)):
        if data.get(key) and len(data[key]) > limit:
            problems[key] = f"不超过 {limit} 个字符"
    if "category" not in problems and (category := category_problem(data.get("category"), categories)):
        problems["category"] = category
    if "submitter_contact" not in problems and (contact := contact_problem(data.get("submitter_contact"))):
        problems["submitter_contact"] = contact  # a phone number or an e-mail address, not free text
    return problems


def create_opinion(actor: User | None, data: dict) -> Opinion:
    """Log an opinion for an organisation the actor is secretary of (``actor`` None: public intake)."""
    org = require_org(actor, data["org_id"], roles=("secretary",)) if actor is not None else None
    org_id = org.id if org else data["org_id"]
    today = clock.today(org.timezone if org else "Asia/Shanghai")
    problems = validate_opinion(data, today)
    if data.get("review_id") is not None:
        review = db.session.get(Review, data["review_id"])
        if review is None or review.org_id != org_id:
            problems["review_id"] = "评议活动不存在或不属于该组织"
    if problems:
        raise Invalid(problems)
    anonymous = bool(data.get("anonymous"))
    opinion = Opinion(
        org_id=org_id, review_id=data.get("review_id"), channel=data["channel"],
        kind=data.get("kind") or OpinionKind.problem.value, category=data.get("category"),
        content=data["content"].strip(), submitter_name=None if anonymous else data.get("submitter_name"),
        submitter_contact=data.get("submitter_contact"), anonymous=anonymous,
        wants_updates=bool(data.get("wants_updates")), received_on=data.get("received_on") or today,
        created_by_id=actor.id if actor else None)
    db.session.add(opinion)
    db.session.flush()
    return opinion


def opinions_query(actor: User) -> Select:
    return select(Opinion).where(org_clause(actor, Opinion.org_id))


def get_opinion(actor: User, opinion_id: int) -> Opinion:
    opinion = db.session.get(Opinion, opinion_id)
    if opinion is None or not (scope_of(actor).is_admin or opinion.org_id in scope_of(actor).managed):
        raise NotFound("意见不存在或不在您的权限范围内")
    return opinion


def triage(actor: User, opinion_id: int, action: str, reply: str | None = None, item_id: int | None = None,
           item: dict | None = None) -> Opinion:
    """Sort one opinion: only the secretary of its organisation, and only while it is new."""
    from ledger.items.services import _accept_opinion, create_item, get_item

    opinion = get_opinion(actor, opinion_id)
    require_org(actor, opinion.org_id, roles=("secretary",))
    if action not in TRIAGE_ACTIONS:
        raise Invalid({"action": "必须是 accept、link、answer 或 reject"})
    if opinion.status != OpinionStatus.new.value:
        raise InvalidTransition(f"该意见已处理（{OpinionStatus(opinion.status).title}），不能再梳理",
                                {"status": opinion.status})
    reply = (reply or "").strip()
    if action == "accept":
        if not item:
            raise Invalid({"item": "请填写新整改事项"})
        create_item(actor, {**item, "org_id": item.get("org_id", opinion.org_id), "opinion_ids": [opinion.id]})
    elif action == "link":
        if item_id is None:
            raise Invalid({"item_id": "请选择要并入的整改事项"})
        target = get_item(actor, item_id)
        if target.org_id != opinion.org_id or not target.is_open:
            raise Invalid({"item_id": "只能并入本组织未办结的整改事项"})
        _accept_opinion(opinion, target)
        _journal_link(actor, target, opinion)
    else:
        if not reply:
            raise Invalid({"reply": "答复内容不能为空" if action == "answer" else "不予采纳须说明理由"})
        opinion.status = OpinionStatus.answered.value if action == "answer" else OpinionStatus.rejected.value
        opinion.reply = reply
        opinion.feedback_at = clock.now()
        notify_submitter(opinion, f"opinion_{opinion.status}", "您提出的意见已有答复", reply)
    if reply and action in ("accept", "link"):
        opinion.reply = reply
    db.session.flush()
    return opinion


def _journal_link(actor: User, item, opinion: Opinion) -> None:
    from ledger.items.services import _write_event

    _write_event(item, actor, "link_opinion", item.status, item.status, None, {"opinion_ids": [opinion.id]})
