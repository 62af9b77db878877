"""Objections (异议) filed on the public board during a closure notice's publication period, their
handling by the secretary (uphold: the item goes back; answer), and the closure made final when the
period ends with none upheld."""
from __future__ import annotations

from sqlalchemy import Select, select

from ledger.auth.models import User
from ledger.auth.scope import org_clause, require_org, secretaries_of
from ledger.core import clock
from ledger.core.contacts import contact_problem
from ledger.core.db import db
from ledger.core.enums import ItemStatus, OpinionStatus
from ledger.core.errors import Invalid, InvalidTransition, NotFound
from ledger.items.models import Item
from ledger.notices.models import Notice, NoticeKind, NoticeStatus, Objection
from ledger.notices.services import objection_open
from ledger.outbox.services import item_url, notify_user

MAX_CONTENT = 2000


def file_objection(notice_id: int, item_id: int, content: str, name: str | None = None,
                   contact: str | None = None, anonymous: bool = False) -> Objection:
    """A member of the public objects to one item of a closure notice (no login; the view checks the human)."""
    from ledger.opinions.services import create_opinion

    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.status == NoticeStatus.draft.value:
        raise NotFound("公示不存在")
    if notice.kind != NoticeKind.closure.value or not objection_open(notice):
        raise InvalidTransition("该公示不在公示期内，不能再提出异议")
    if item_id not in {row["id"] for row in notice.content.get("items", [])}:
        raise Invalid({"item_id": "请选择本公示中的事项"})
    content = (content or "").strip()
    problems = {}
    if not content:
        problems["content"] = "请填写异议内容"
    elif len(content) > MAX_CONTENT:
        problems["content"] = f"异议内容不超过 {MAX_CONTENT} 字"
    if not anonymous and (bad_contact := contact_problem(contact)):
        problems["contact"] = bad_contact  # a phone number or an e-mail address (issue 14, finding 2)
    if problems:
        raise Invalid(problems)
    item = db.session.get(Item, item_id)
    opinion = create_opinion(None, {
        "org_id": item.org_id, "channel": "objection", "kind": "problem", "content": content,
        "submitter_name": (name or "").strip() or None, "submitter_contact": (contact or "").strip() or None,
        "anonymous": bool(anonymous), "wants_updates": bool((contact or "").strip()) and not anonymous})
    objection = Objection(notice_id=notice.id, item_id=item.id, opinion_id=opinion.id, created_at=clock.now())
    db.session.add(objection)
    db.session.flush()
    for secretary in secretaries_of(item.org_id):
        notify_user(secretary, "objection", f"【{item.code}】销号公示收到异议",
                    f"{notice.number}《{notice.title}》公示期间，有群众对事项“{item.title}”提出异议，请及时核实处理。\n"
                    f"{item_url(item.id)}", item.id)
    return objection


def objections_query(actor: User) -> Select:
    """Objections on items of the organisations the actor manages, newest first."""
    return (select(Objection).join(Item, Item.id == Objection.item_id)
            .where(org_clause(actor, Item.org_id)).order_by(Objection.id.desc()))


def pending_objections(actor: User, limit: int = 50) -> list[Objection]:
    """Undecided objections the actor should act on (for the home page and the notices page)."""
    query = objections_query(actor).where(Objection.decision.is_(None)).limit(limit)
    return [o for o in db.session.scalars(query).unique() if o.opinion.status == OpinionStatus.new.value]


def pending_count(actor: User) -> int:
    """How many objections wait for this user (one query; for the navigation badge on every page).

    Driven from the (small) objections table: the item's organisation and the opinion's status are
    correlated EXISTS probes by primary key. As plain joins, SQLite walked every 'new' opinion through
    ix_opinions_org_status_id first (7-20 ms a page on the county data, with no objection at all)."""
    from sqlalchemy import exists, func

    from ledger.opinions.models import Opinion

    in_scope = exists().where(Item.id == Objection.item_id, org_clause(actor, Item.org_id))
    still_new = exists().where(Opinion.id == Objection.opinion_id, Opinion.status == OpinionStatus.new.value)
    query = (select(func.count()).select_from(Objection)
             .where(Objection.decision.is_(None), still_new, in_scope))
    return int(db.session.scalar(query) or 0)


def get_objection(actor: User, objection_id: int) -> Objection:
    objection = db.session.scalars(objections_query(actor).where(Objection.id == objection_id)).unique().first()
    if objection is None:
        raise NotFound("异议不存在或不在您的权限范围内")
    return objection


def _undecided(objection: Objection) -> None:
    if objection.decision is not None or objection.opinion.status != OpinionStatus.new.value:
        raise InvalidTransition("该异议已处理", {"decision": objection.decision})


def uphold(actor: User, objection_id: int, reason: str) -> Objection:
    """The objection stands: the item goes back (回炉, journalled) and the objection is linked to it."""
    from ledger.items.services import apply_action
    from ledger.opinions.services import triage

    objection = get_objection(actor, objection_id)
    require_org(actor, objection.item.org_id, roles=("secretary",))
    _undecided(objection)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": "请说明异议成立的理由和补充整改要求"})
    item = objection.item
    if item.status == ItemStatus.closed.value:
        apply_action(actor, item.id, "reopen", item.version,
                     reason=f"销号公示{objection.notice.number}异议成立：{reason}")
    triage(actor, objection.opinion_id, "link", reply=f"经核实，您的异议成立，该事项已重新整改：{reason}",
           item_id=item.id)
    objection.decision = "upheld"
    objection.decided_by_id = actor.id
    objection.decided_at = clock.now()
    db.session.flush()
    return objection


def answer(actor: User, objection_id: int, reply: str) -> Objection:
    """The objection does not stand: the person gets an explanation."""
    from ledger.opinions.services import triage

    objection = get_objection(actor, objection_id)
    require_org(actor, objection.item.org_id, roles=("secretary",))
    _undecided(objection)
    triage(actor, objection.opinion_id, "answer", reply=reply)
    objection.decision = "answered"
    objection.decided_by_id = actor.id
    objection.decided_at = clock.now()
    db.session.flush()
    return objection


def _upheld(objection: Objection) -> bool:
    return objection.decision == "upheld" or objection.opinion.status == OpinionStatus.accepted.value


def _pending(objection: Objection) -> bool:
    return objection.decision is None and objection.opinion.status == OpinionStatus.new.value


def finalise_closures() -> int:
    """Closure notices whose objection period has ended: each item with no upheld objection, still closed in
    the round that was published, is marked final (公示无异议). A notice with an undecided objection waits.
    Returns the number of items marked."""
    from ledger.items.services import _write_event

    marked = 0
    notices = db.session.scalars(select(Notice).where(
        Notice.kind == NoticeKind.closure.value, Notice.status == NoticeStatus.published.value,
        Notice.finalised_at.is_(None), Notice.objection_until.is_not(None)).order_by(Notice.id)).unique()
    for notice in list(notices):
        today = clock.today(notice.org.timezone)
        if today <= notice.objection_until:
            continue
        objections = list(db.session.scalars(select(Objection).where(Objection.notice_id == notice.id)).unique())
        if any(_pending(o) for o in objections):
            continue
        upheld = {o.item_id for o in objections if _upheld(o)}
        for row in notice.content.get("items", []):
            item = db.session.get(Item, row["id"])
            if (item is None or row["id"] in upheld or item.status != ItemStatus.closed.value
                    or item.round != row["round"] or item.closure_final_at is not None):
                continue
            item.closure_final_at = clock.now()
            _write_event(item, None, "closure_final", item.status, item.status,
                         f"销号公示{notice.number}公示期满无异议", {"notice_id": notice.id})
            marked += 1
        notice.finalised_at = clock.now()
    db.session.flush()
    return marked
