"""What each lifecycle action does to an item once the table has allowed it, and whom it tells."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from ledger.auth.models import User
from ledger.auth.scope import secretaries_of, supervisors_over
from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemStatus
from ledger.core.errors import Invalid
from ledger.items.lifecycle import Context
from ledger.items.models import Extension, Urge
from ledger.outbox.services import item_url, notify_submitter, notify_user

# Free-text fields an action accepts under its own name or, for convenience, as ``comment``.
TEXT_FALLBACKS = {"progress": "note", "urge": "note", "return": "reason", "reopen": "reason",
                  "request_extension": "reason", "submit": "completion_note"}


def normalise(action: str, data: dict) -> dict:
    data = {k: v for k, v in data.items() if v is not None}
    primary = TEXT_FALLBACKS.get(action)
    if primary and not data.get(primary) and data.get("comment"):
        data[primary] = data["comment"]
    for key, value in list(data.items()):
        if isinstance(value, str):
            data[key] = value.strip()
    return data


def _claim(ctx: Context) -> str | None:
    item = ctx.item
    if ctx.data.get("measures"):
        item.measures = ctx.data["measures"]
    if ctx.data.get("deadline") and item.status == ItemStatus.pending.value:
        item.deadline = ctx.data["deadline"]
        item.original_deadline = ctx.data["deadline"]
    item.claimed_at = clock.now()
    return ctx.data.get("comment")


def _progress(ctx: Context) -> str:
    if ctx.data.get("percent") is not None:
        ctx.item.progress_percent = int(ctx.data["percent"])
    if ctx.relations & {"owner"}:
        db.session.execute(update(Urge).where(Urge.item_id == ctx.item.id, Urge.answered_at.is_(None))
                           .values(answered_at=clock.now()))
    return ctx.data["note"]


def _submit(ctx: Context) -> str:
    ctx.item.completion_note = ctx.data["completion_note"]
    ctx.item.submitted_at = clock.now()
    ctx.item.return_note = None
    return ctx.data["completion_note"]


def _verify(ctx: Context) -> str:
    ctx.item.closed_at = clock.now()
    ctx.item.progress_percent = 100
    return ctx.data["comment"]


def _return(ctx: Context) -> str:
    ctx.item.return_note = ctx.data["reason"]
    return ctx.data["reason"]


def _reopen(ctx: Context) -> str:
    ctx.item.closed_at = None
    ctx.item.closure_final_at = None  # a new round: its closure has yet to pass publication
    ctx.item.round += 1
    ctx.item.return_note = ctx.data["reason"]
    return ctx.data["reason"]


def _reassign(ctx: Context) -> str | None:
    from ledger.items.services import _check_user

    owner = _check_user(ctx.data["owner_id"], "owner_id", ctx.item.org)
    ctx.item.owner_id = owner.id
    ctx.item.owner = owner
    ctx.item.assigned_at = clock.now()
    ctx.item.claimed_at = None
    return ctx.data.get("comment")


def _cancel(ctx: Context) -> str | None:
    ctx.item.cancel_reason = ctx.data["reason"]
    return ctx.data.get("comment")


def _flag(ctx: Context) -> str:
    ctx.item.flagged = True
    return ctx.data["comment"]


def _unflag(ctx: Context) -> str:
    ctx.item.flagged = False
    return ctx.data["comment"]


def _urge(ctx: Context) -> str:
    db.session.add(Urge(item_id=ctx.item.id, org_id=ctx.item.org_id, by_id=ctx.actor.id, note=ctx.data["note"]))
    return ctx.data["note"]


def _request_extension(ctx: Context) -> str:
    extension = Extension(item_id=ctx.item.id, requested_by_id=ctx.actor.id, current_deadline=ctx.item.deadline,
                          new_deadline=ctx.data["new_deadline"], reason=ctx.data["reason"])
    db.session.add(extension)
    db.session.flush()
    ctx.facts["extension"] = extension
    return ctx.data["reason"]


def _decide_extension(approve: bool) -> Callable[[Context], str]:
    def decide(ctx: Context) -> str:
        extension = ctx.facts["pending_extension"]
        wanted = ctx.data.get("extension_id")
        if wanted is not None and wanted != extension.id:
            raise Invalid({"extension_id": "该延期申请不存在或已处理"})
        extension.status = "approved" if approve else "rejected"
        extension.decided_by_id = ctx.actor.id if ctx.actor else None
        extension.decision_comment = ctx.data["comment"]
        extension.decided_at = clock.now()
        if approve:
            ctx.item.deadline = extension.new_deadline  # original_deadline is kept
        ctx.facts["extension"] = extension
        return ctx.data["comment"]
    return decide


def _edit(ctx: Context) -> str | None:
    from ledger.items.services import EDITABLE_FIELDS, _check_user, _validate_item_fields

    changes = {k: v for k, v in ctx.data.items() if k in EDITABLE_FIELDS}
    _validate_item_fields(changes, ctx.today, creating=False, current_category=ctx.item.category)
    if "leader_id" in changes:
        _check_user(changes["leader_id"], "leader_id", ctx.item.org)
    for key, value in changes.items():
        setattr(ctx.item, key, value)
    if "deadline" in changes:
        ctx.item.original_deadline = changes["deadline"]
    return ctx.data.get("comment")


def _attach(ctx: Context) -> str | None:
    return ctx.data.get("comment")


EFFECTS: dict[str, Callable[[Context], str | None]] = {
    "claim": _claim, "start": lambda ctx: ctx.data.get("comment"), "progress": _progress, "submit": _submit,
    "verify": _verify, "return": _return, "reopen": _reopen, "reassign": _reassign, "cancel": _cancel,
    "flag": _flag, "unflag": _unflag, "urge": _urge, "request_extension": _request_extension,
    "approve_extension": _decide_extension(True), "reject_extension": _decide_extension(False),
    "edit": _edit, "attach": _attach,
}


def run(action: str, ctx: Context) -> str | None:
    return EFFECTS[action](ctx)


def extra_changes(ctx: Context) -> dict:
    extension = ctx.facts.get("extension")
    if extension is not None:
        return {"extension_id": extension.id, "new_deadline": extension.new_deadline.isoformat()}
    return {}


# --- whom each action tells -------------------------------------------------------------------

def _owner(ctx: Context) -> User | None:
    return db.session.get(User, ctx.item.owner_id) if ctx.item.owner_id else None


def _tell(users, ctx: Context, kind: str, subject: str, body: str) -> None:
    seen = set()
    for user in users:
        if user is not None and user.id not in seen and (ctx.actor is None or user.id != ctx.actor.id):
            seen.add(user.id)
            notify_user(user, kind, f"【{ctx.item.code}】{subject}", f"{body}\n{item_url(ctx.item.id)}", ctx.item.id)


def _tell_submitters(ctx: Context, kind: str, subject: str, body: str) -> None:
    for opinion in ctx.item.opinions:
        if opinion.wants_updates:
            notify_submitter(opinion, kind, subject, body)


def _feedback_on_closure(ctx: Context) -> None:
    """三到: every linked opinion with a contact hears the result, and its feedback date is set."""
    item = ctx.item
    reply = f"您反映的问题已整改完成（{item.code}）：{item.completion_note or ''}"
    for opinion in item.opinions:
        if not opinion.reply:
            opinion.reply = reply
        if opinion.submitter_contact:
            notify_submitter(opinion, "closure_feedback", "您反映的问题已整改销号", reply)
            opinion.feedback_at = clock.now()


def _verifiers(ctx: Context) -> list[User]:
    org = ctx.item.org
    if ctx.item.flagged:
        return supervisors_over(org)
    return secretaries_of(ctx.item.org_id) or supervisors_over(org)


def after(action: str, ctx: Context, event) -> None:
    item, text = ctx.item, event.comment or ""
    if action == "claim":
        _tell_submitters(ctx, "item_claimed", "您反映的问题已有人认领",
                         f"整改事项 {item.code} 已由责任人认领，完成时限 {item.deadline or '长期'}。")
    elif action == "submit":
        _tell(_verifiers(ctx), ctx, "awaiting_verification", f"待销号审核：{item.title}", f"整改完成情况：{text}")
    elif action == "verify":
        _tell([_owner(ctx)], ctx, "closed", f"已销号：{item.title}", f"审核意见：{text}")
        _feedback_on_closure(ctx)
    elif action == "return":
        _tell([_owner(ctx)], ctx, "returned", f"销号申请被退回：{item.title}", f"补充整改要求：{text}")
    elif action == "reopen":
        _tell([_owner(ctx)] + secretaries_of(item.org_id), ctx, "reopened", f"事项回炉整改：{item.title}",
              f"原因：{text}")
        _tell_submitters(ctx, "item_reopened", "您反映的问题重新整改", f"整改事项 {item.code} 已回炉重新整改：{text}")
    elif action == "reassign":
        _tell([_owner(ctx)], ctx, "assigned", f"新的整改事项待认领：{item.title}",
              "您被指定为该事项的责任人，请及时认领。")
    elif action == "urge":
        _tell([_owner(ctx)], ctx, "urged", f"催办：{item.title}", f"催办意见：{text}")
    elif action == "flag":
        _tell([_owner(ctx)] + secretaries_of(item.org_id), ctx, "flagged", f"挂牌督办：{item.title}", text)
    elif action == "request_extension":
        deciders = supervisors_over(item.org) or secretaries_of(item.org_id)
        _tell(deciders, ctx, "extension_requested", f"延期申请待审批：{item.title}", f"理由：{text}")
    elif action in ("approve_extension", "reject_extension"):
        verdict = "已批准" if action == "approve_extension" else "未批准"
        _tell([_owner(ctx)], ctx, "extension_decided", f"延期申请{verdict}：{item.title}", f"审批意见：{text}")
        if action == "approve_extension":
            _tell_submitters(ctx, "deadline_moved", "您反映问题的整改时限已调整",
                             f"整改事项 {item.code} 的完成时限调整为 {item.deadline}。")


__all__ = ["normalise", "run", "after", "extra_changes"]
