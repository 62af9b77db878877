"""The item state machine of SPEC §3 — the one place that knows which action is allowed when.

``RULES`` is a literal table: for each action, the states it may start from, the state it leads to
(``None``: stays), who may take it, the fields it requires, and named guards. The web views, the API,
the command line and the scheduler all go through ``allowed_actions`` and ``check``; the service
``items.services.apply_action`` runs the effect and writes the journal.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ledger.core.enums import OPEN_STATUSES, CancelReason, ItemKind
from ledger.core.enums import ItemStatus as S
from ledger.core.errors import Forbidden, Invalid, InvalidTransition, LedgerError

OWNER, SECRETARY, SUPERVISOR, SYSTEM = "owner", "secretary", "supervisor", "system"
OPEN = frozenset(s.value for s in OPEN_STATUSES)
ANY_BUT_CLOSED = OPEN  # cancelled items cannot be cancelled again


@dataclass
class Context:
    """What a guard may look at."""

    item: object
    actor: object | None
    relations: set[str]
    data: dict
    today: date
    facts: dict = field(default_factory=dict)  # looked up by the service: evidence, pending extension …


Guard = Callable[[Context], "LedgerError | None"]


def guard(static: bool = False) -> Callable[[Guard], Guard]:
    """Mark a guard; static guards need no input and also decide which buttons show."""
    def wrap(fn):
        fn.static = static
        return fn
    return wrap


@guard(static=True)
def not_owner(ctx: Context) -> LedgerError | None:
    if ctx.actor is not None and ctx.item.owner_id == ctx.actor.id:
        return Forbidden("责任人不能为自己的事项销号或退回")
    return None


@guard(static=True)
def supervisor_if_flagged(ctx: Context) -> LedgerError | None:
    if ctx.item.flagged and not ({SUPERVISOR, SYSTEM} & ctx.relations):
        return Forbidden("挂牌督办事项只能由督导组销号或退回")
    return None


@guard(static=True)
def claimed_only_if_immediate(ctx: Context) -> LedgerError | None:
    if ctx.item.status == S.claimed.value and ctx.item.kind != ItemKind.immediate.value:
        return InvalidTransition("只有立行立改事项可以在认领后直接提交销号，请先开始整改")
    return None


@guard()
def evidence_unless_waived(ctx: Context) -> LedgerError | None:
    if ctx.facts.get("evidence_required") and not ctx.facts.get("has_evidence"):
        return Invalid({"attachments": "提交销号前请上传佐证材料"})
    return None


@guard()
def measures_and_deadline(ctx: Context) -> LedgerError | None:
    measures = ctx.data.get("measures") or ctx.item.measures
    deadline = ctx.data.get("deadline") or ctx.item.deadline
    problems = {}
    if not (measures or "").strip():
        problems["measures"] = "认领时须确认整改措施"
    if deadline is None and ctx.item.kind != ItemKind.long_term.value:
        problems["deadline"] = "认领时须确认完成时限"
    elif ctx.data.get("deadline") and ctx.data["deadline"] < ctx.today:
        problems["deadline"] = "完成时限不能早于今天"
    return Invalid(problems) if problems else None


@guard(static=True)
def before_deadline(ctx: Context) -> LedgerError | None:
    if ctx.item.deadline is None:
        return InvalidTransition("没有完成时限的事项无需申请延期")
    if ctx.today > ctx.item.deadline:
        return InvalidTransition("完成时限已过，不能再申请延期")
    return None


@guard(static=True)
def no_pending_extension(ctx: Context) -> LedgerError | None:
    if ctx.facts.get("pending_extension") is not None:
        return InvalidTransition("已有一项延期申请待审批")
    return None


@guard(static=True)
def has_pending_extension(ctx: Context) -> LedgerError | None:
    if ctx.facts.get("pending_extension") is None:
        return InvalidTransition("没有待审批的延期申请")
    return None


@guard()
def new_deadline_later(ctx: Context) -> LedgerError | None:
    if ctx.item.deadline and ctx.data["new_deadline"] <= ctx.item.deadline:
        return Invalid({"new_deadline": "新的完成时限必须晚于当前时限"})
    return None


@guard(static=True)
def secretary_only_without_supervisor(ctx: Context) -> LedgerError | None:
    if SUPERVISOR not in ctx.relations and ctx.facts.get("org_has_supervisor"):
        return Forbidden("本组织设有督导组，延期申请由督导组审批")
    return None


@guard(static=True)
def not_flagged(ctx: Context) -> LedgerError | None:
    return InvalidTransition("该事项已挂牌督办") if ctx.item.flagged else None


@guard(static=True)
def is_flagged(ctx: Context) -> LedgerError | None:
    return None if ctx.item.flagged else InvalidTransition("该事项未挂牌督办")


@guard()
def valid_cancel_reason(ctx: Context) -> LedgerError | None:
    if ctx.data.get("reason") not in CancelReason.values():
        return Invalid({"reason": "撤销原因必须是：" + "、".join(CancelReason.values())})
    return None


@guard()
def percent_in_range(ctx: Context) -> LedgerError | None:
    percent = ctx.data.get("percent")
    if percent is not None and not 0 <= percent <= 100:
        return Invalid({"percent": "进度必须在 0 到 100 之间"})
    return None


@guard()
def new_owner_differs(ctx: Context) -> LedgerError | None:
    if ctx.data.get("owner_id") == ctx.item.owner_id:
        return Invalid({"owner_id": "新的责任人与当前责任人相同"})
    return None


@guard()
def deadline_only_while_pending(ctx: Context) -> LedgerError | None:
    if "deadline" in ctx.data and ctx.item.status != S.pending.value and ctx.data["deadline"] != ctx.item.deadline:
        return Invalid({"deadline": "认领后的时限只能通过延期申请变更"})
    return None


@guard()
def owner_by_reassign_only(ctx: Context) -> LedgerError | None:
    """``edit`` does not change the owner (that is ``reassign``, which tells them): refused, not ignored."""
    if ctx.data.get("owner_id") is not None:
        return Invalid({"owner_id": "更换责任人请使用“重新指派”"})
    return None


@dataclass(frozen=True)
class Rule:
    action: str
    title: str
    sources: frozenset[str]
    target: str | None
    who: frozenset[str]
    requires: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()


def _rule(action, title, sources, target, who, requires=(), guards=()) -> Rule:
    return Rule(action, title, frozenset(sources), target, frozenset(who), tuple(requires), tuple(guards))


P, C, IP, A, X, Z = (S.pending.value, S.claimed.value, S.in_progress.value,
                    S.awaiting_verification.value, S.closed.value, S.cancelled.value)

RULES: dict[str, Rule] = {r.action: r for r in [
    _rule("claim", "认领", {P}, C, {OWNER}, (), (measures_and_deadline,)),
    _rule("start", "开始整改", {C}, IP, {OWNER}),
    _rule("progress", "记录进展", {C, IP}, None, {OWNER, SECRETARY}, ("note",), (percent_in_range,)),
    _rule("submit", "提交销号", {C, IP}, A, {OWNER}, ("completion_note",),
          (claimed_only_if_immediate, evidence_unless_waived)),
    _rule("verify", "审核销号", {A}, X, {SECRETARY, SUPERVISOR}, ("comment",),
          (not_owner, supervisor_if_flagged)),
    _rule("return", "退回补充整改", {A}, IP, {SECRETARY, SUPERVISOR}, ("reason",),
          (not_owner, supervisor_if_flagged)),
    _rule("reopen", "回炉", {X}, IP, {SECRETARY, SUPERVISOR, SYSTEM}, ("reason",)),
    _rule("reassign", "重新指派", {P, C, IP}, P, {SECRETARY}, ("owner_id",), (new_owner_differs,)),
    _rule("cancel", "撤销", ANY_BUT_CLOSED, Z, {SECRETARY}, ("reason",), (valid_cancel_reason,)),
    _rule("flag", "挂牌督办", OPEN, None, {SUPERVISOR}, ("comment",), (not_flagged,)),
    _rule("unflag", "取消挂牌", OPEN, None, {SUPERVISOR}, ("comment",), (is_flagged,)),
    _rule("urge", "催办", OPEN, None, {SUPERVISOR, SECRETARY}, ("note",)),
    _rule("request_extension", "申请延期", {C, IP}, None, {OWNER}, ("new_deadline", "reason"),
          (before_deadline, no_pending_extension, new_deadline_later)),
    _rule("approve_extension", "批准延期", {C, IP}, None, {SUPERVISOR, SECRETARY}, ("comment",),
          (has_pending_extension, secretary_only_without_supervisor, not_owner)),
    _rule("reject_extension", "不批准延期", {C, IP}, None, {SUPERVISOR, SECRETARY}, ("comment",),
          (has_pending_extension, secretary_only_without_supervisor, not_owner)),
    # Not status changes, but changes to the item all the same: journalled through the same door.
    _rule("edit", "修改事项", {P, C, IP}, None, {SECRETARY}, (), (deadline_only_while_pending, owner_by_reassign_only)),
    _rule("attach", "上传佐证材料", {C, IP, A}, None, {OWNER, SECRETARY}),
]}

ACTIONS = tuple(RULES)
# Actions that only the system takes, written to the journal without a rule row of their own.
SYSTEM_EVENTS = ("create",)


def _who_allows(rule: Rule, relations: set[str]) -> bool:
    return bool(rule.who & relations)


def _static_refusal(rule: Rule, ctx: Context) -> LedgerError | None:
    for g in rule.guards:
        if getattr(g, "static", False):
            problem = g(ctx)
            if problem:
                return problem
    return None


def allowed_actions(ctx: Context) -> list[str]:
    """Actions this actor may take on this item now (ignoring input they have yet to give)."""
    return [name for name, rule in RULES.items()
            if ctx.item.status in rule.sources and _who_allows(rule, ctx.relations)
            and _static_refusal(rule, ctx) is None]


def check(action: str, ctx: Context) -> Rule:
    """The rule for ``action``, or the domain error that refuses it (nothing has changed yet)."""
    rule = RULES.get(action)
    if rule is None:
        raise Invalid({"action": f"未知操作：{action}"})
    if not _who_allows(rule, ctx.relations):
        raise Forbidden(f"您无权对该事项执行“{rule.title}”")
    if ctx.item.status not in rule.sources:
        raise InvalidTransition(
            f"事项当前状态为“{S(ctx.item.status).title}”，不能执行“{rule.title}”",
            {"status": ctx.item.status, "action": action})
    missing = {f: "必填" for f in rule.requires if ctx.data.get(f) in (None, "")
               or (isinstance(ctx.data.get(f), str) and not ctx.data[f].strip())}
    if missing:
        raise Invalid(missing)
    for g in rule.guards:
        problem = g(ctx)
        if problem:
            raise problem
    return rule
