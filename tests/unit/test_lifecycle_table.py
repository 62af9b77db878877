"""The lifecycle table of SPEC §3, tested without a database: plain objects stand in for item and actor."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from ledger.core.enums import ItemStatus
from ledger.core.errors import Forbidden, Invalid, InvalidTransition
from ledger.items import lifecycle
from ledger.items.lifecycle import RULES, Context, allowed_actions, check

TODAY = date(2026, 3, 10)
OWNER, SECRETARY, SUPERVISOR, SYSTEM = "owner", "secretary", "supervisor", "system"
STATUSES = set(ItemStatus.values())
OPEN = {"pending", "claimed", "in_progress", "awaiting_verification"}

# SPEC §3, written out again by hand: action → (from, to (None: same), who).
SPEC_TABLE = {
    "claim": ({"pending"}, "claimed", {OWNER}),
    "start": ({"claimed"}, "in_progress", {OWNER}),
    "progress": ({"claimed", "in_progress"}, None, {OWNER, SECRETARY}),
    "submit": ({"claimed", "in_progress"}, "awaiting_verification", {OWNER}),
    "verify": ({"awaiting_verification"}, "closed", {SECRETARY, SUPERVISOR}),
    "return": ({"awaiting_verification"}, "in_progress", {SECRETARY, SUPERVISOR}),
    "reopen": ({"closed"}, "in_progress", {SECRETARY, SUPERVISOR, SYSTEM}),
    "reassign": ({"pending", "claimed", "in_progress"}, "pending", {SECRETARY}),
    "cancel": (OPEN, "cancelled", {SECRETARY}),
    "flag": (OPEN, None, {SUPERVISOR}),
    "unflag": (OPEN, None, {SUPERVISOR}),
    "urge": (OPEN, None, {SUPERVISOR, SECRETARY}),
    "request_extension": ({"claimed", "in_progress"}, None, {OWNER}),
    "approve_extension": ({"claimed", "in_progress"}, None, {SUPERVISOR, SECRETARY}),
    "reject_extension": ({"claimed", "in_progress"}, None, {SUPERVISOR, SECRETARY}),
}
REQUIRED = {"progress": ("note",), "submit": ("completion_note",), "verify": ("comment",), "return": ("reason",),
            "reopen": ("reason",), "reassign": ("owner_id",), "cancel": ("reason",), "flag": ("comment",),
            "unflag": ("comment",), "urge": ("note",), "request_extension": ("new_deadline", "reason"),
            "approve_extension": ("comment",), "reject_extension": ("comment",)}


def make_item(status: str = "pending", **kw) -> SimpleNamespace:
    fields = {"id": 1, "status": status, "owner_id": 10, "flagged": False, "kind": "time_limited",
              "deadline": TODAY + timedelta(days=10), "measures": "整改措施"}
    return SimpleNamespace(**{**fields, **kw})


def ctx(item=None, actor_id: int | None = 20, relations=(), data=None, **facts) -> Context:
    actor = SimpleNamespace(id=actor_id) if actor_id is not None else None
    base_facts = {"pending_extension": None, "has_evidence": True, "evidence_required": True,
                  "org_has_supervisor": True}
    return Context(item=item or make_item(), actor=actor, relations=set(relations), data=data or {},
                   today=TODAY, facts={**base_facts, **facts})


VALID_DATA = {
    "claim": {}, "start": {}, "progress": {"note": "n", "percent": 40}, "submit": {"completion_note": "done"},
    "verify": {"comment": "ok"}, "return": {"reason": "more"}, "reopen": {"reason": "again"},
    "reassign": {"owner_id": 11}, "cancel": {"reason": "duplicate"}, "flag": {"comment": "c"},
    "unflag": {"comment": "c"}, "urge": {"note": "hurry"},
    "request_extension": {"new_deadline": TODAY + timedelta(days=30), "reason": "r"},
    "approve_extension": {"comment": "ok"}, "reject_extension": {"comment": "no"}, "edit": {"title": "t"},
    "attach": {},
}


# --- the table itself -------------------------------------------------------------------------

def test_table_matches_spec():
    for action, (sources, target, who) in SPEC_TABLE.items():
        rule = RULES[action]
        assert set(rule.sources) == sources, action
        assert rule.target == target, action
        assert set(rule.who) == who, action
        assert set(rule.requires) == set(REQUIRED.get(action, ())), action


def test_table_only_holds_known_states_and_roles():
    assert set(lifecycle.ACTIONS) == set(RULES)
    for name, rule in RULES.items():
        assert rule.action == name
        assert rule.sources <= STATUSES and rule.sources, name
        assert rule.target is None or rule.target in STATUSES, name
        assert rule.who <= {OWNER, SECRETARY, SUPERVISOR, SYSTEM} and rule.who, name
        assert rule.title
        for g in rule.guards:
            assert callable(g) and hasattr(g, "static"), (name, g)


def test_no_rule_leaves_a_closed_item_except_reopen_and_nothing_leaves_cancelled():
    assert [a for a, r in RULES.items() if "closed" in r.sources] == ["reopen"]
    assert not [a for a, r in RULES.items() if "cancelled" in r.sources]
    assert "closed" not in RULES["cancel"].sources


def test_only_verify_closes_and_only_the_owner_claims_starts_submits():
    assert [a for a, r in RULES.items() if r.target == "closed"] == ["verify"]
    for action in ("claim", "start", "submit", "request_extension"):
        assert RULES[action].who == {OWNER}


# --- check(): the order of refusals -------------------------------------------------------------

def test_unknown_action_is_invalid():
    with pytest.raises(Invalid) as exc:
        check("teleport", ctx(relations={OWNER}))
    assert "action" in exc.value.fields


def test_wrong_role_is_forbidden_before_the_state_is_looked_at():
    with pytest.raises(Forbidden):
        check("claim", ctx(make_item("closed"), relations={SECRETARY}))


def test_wrong_state_is_an_invalid_transition():
    with pytest.raises(InvalidTransition) as exc:
        check("claim", ctx(make_item("claimed"), relations={OWNER}))
    assert exc.value.details == {"status": "claimed", "action": "claim"}
    assert exc.value.status == 409 and exc.value.code == "invalid_transition"


@pytest.mark.parametrize("action", sorted(REQUIRED))
def test_every_required_field_is_required(action):
    rule = RULES[action]
    status = sorted(rule.sources)[0]
    relation = sorted(rule.who - {SYSTEM})[0]
    for missing in rule.requires:
        data = {**VALID_DATA[action]}
        for blank in (None, "", "   "):
            data[missing] = blank
            with pytest.raises(Invalid) as exc:
                check(action, ctx(make_item(status), relations={relation}, data=data))
            assert missing in exc.value.fields, (action, missing, blank)


@pytest.mark.parametrize("action", sorted(RULES))
def test_valid_data_passes_for_every_source_state_and_role(action):
    """With valid input and facts that satisfy the guards, every (state, role) of the row is allowed."""
    rule = RULES[action]
    for status in rule.sources:
        for relation in rule.who:
            item = make_item(status, kind="immediate", flagged=action == "unflag")
            facts = {"org_has_supervisor": relation != SECRETARY}
            if action in ("approve_extension", "reject_extension"):
                facts["pending_extension"] = SimpleNamespace(id=5)
            assert check(action, ctx(item, relations={relation}, data=dict(VALID_DATA[action]), **facts)) is rule


@pytest.mark.parametrize("action", sorted(RULES))
def test_every_state_outside_the_row_is_refused(action):
    rule = RULES[action]
    for status in STATUSES - rule.sources:
        with pytest.raises(InvalidTransition):
            check(action, ctx(make_item(status), relations=set(rule.who), data=dict(VALID_DATA[action])))


@pytest.mark.parametrize("action", sorted(RULES))
def test_every_role_outside_the_row_is_forbidden(action):
    rule = RULES[action]
    for relation in {OWNER, SECRETARY, SUPERVISOR, SYSTEM} - rule.who:
        with pytest.raises(Forbidden):
            check(action, ctx(make_item(sorted(rule.sources)[0]), relations={relation},
                              data=dict(VALID_DATA[action])))
    with pytest.raises(Forbidden):  # no relation at all
        check(action, ctx(make_item(sorted(rule.sources)[0]), relations=set(), data=dict(VALID_DATA[action])))


# --- each guard -------------------------------------------------------------------------------

def test_not_owner():
    item = make_item(owner_id=20)
    assert isinstance(lifecycle.not_owner(ctx(item, actor_id=20)), Forbidden)
    assert lifecycle.not_owner(ctx(item, actor_id=21)) is None
    assert lifecycle.not_owner(ctx(item, actor_id=None, relations={SYSTEM})) is None
    # an owner who is also the organisation's secretary still may not verify their own item
    with pytest.raises(Forbidden):
        check("verify", ctx(make_item("awaiting_verification", owner_id=20), actor_id=20,
                            relations={OWNER, SECRETARY}, data={"comment": "ok"}))


def test_supervisor_if_flagged():
    flagged = make_item("awaiting_verification", flagged=True)
    assert isinstance(lifecycle.supervisor_if_flagged(ctx(flagged, relations={SECRETARY})), Forbidden)
    assert lifecycle.supervisor_if_flagged(ctx(flagged, relations={SUPERVISOR})) is None
    assert lifecycle.supervisor_if_flagged(ctx(flagged, relations={SYSTEM}, actor_id=None)) is None
    assert lifecycle.supervisor_if_flagged(ctx(make_item("awaiting_verification"), relations={SECRETARY})) is None
    for action in ("verify", "return"):
        with pytest.raises(Forbidden):
            check(action, ctx(flagged, relations={SECRETARY}, data=dict(VALID_DATA[action])))


def test_claimed_only_if_immediate():
    assert isinstance(lifecycle.claimed_only_if_immediate(ctx(make_item("claimed"))), InvalidTransition)
    assert lifecycle.claimed_only_if_immediate(ctx(make_item("claimed", kind="immediate"))) is None
    for kind in ("time_limited", "long_term", "immediate"):
        assert lifecycle.claimed_only_if_immediate(ctx(make_item("in_progress", kind=kind))) is None


def test_evidence_unless_waived():
    assert isinstance(lifecycle.evidence_unless_waived(ctx(has_evidence=False)), Invalid)
    assert "attachments" in lifecycle.evidence_unless_waived(ctx(has_evidence=False)).fields
    assert lifecycle.evidence_unless_waived(ctx(has_evidence=True)) is None
    assert lifecycle.evidence_unless_waived(ctx(has_evidence=False, evidence_required=False)) is None


def test_measures_and_deadline():
    guard = lifecycle.measures_and_deadline
    assert guard(ctx(make_item())) is None
    problem = guard(ctx(make_item(measures="  ")))
    assert isinstance(problem, Invalid) and set(problem.fields) == {"measures"}
    assert guard(ctx(make_item(measures=""), data={"measures": "new measures"})) is None
    problem = guard(ctx(make_item(deadline=None, measures=None)))
    assert set(problem.fields) == {"measures", "deadline"}
    assert guard(ctx(make_item(deadline=None, kind="long_term"))) is None
    assert guard(ctx(make_item(deadline=None), data={"deadline": TODAY})) is None
    problem = guard(ctx(make_item(), data={"deadline": TODAY - timedelta(days=1)}))
    assert set(problem.fields) == {"deadline"}


def test_before_deadline():
    guard = lifecycle.before_deadline
    assert guard(ctx(make_item(deadline=TODAY))) is None  # the deadline day itself is still in time
    assert isinstance(guard(ctx(make_item(deadline=TODAY - timedelta(days=1)))), InvalidTransition)
    assert isinstance(guard(ctx(make_item(deadline=None, kind="long_term"))), InvalidTransition)


def test_pending_extension_guards():
    assert lifecycle.no_pending_extension(ctx()) is None
    assert isinstance(lifecycle.no_pending_extension(ctx(pending_extension=object())), InvalidTransition)
    assert isinstance(lifecycle.has_pending_extension(ctx()), InvalidTransition)
    assert lifecycle.has_pending_extension(ctx(pending_extension=object())) is None


def test_new_deadline_later():
    item = make_item()
    later = ctx(item, data={"new_deadline": item.deadline + timedelta(days=1)})
    assert lifecycle.new_deadline_later(later) is None
    for days in (0, -1):
        problem = lifecycle.new_deadline_later(ctx(item, data={"new_deadline": item.deadline + timedelta(days=days)}))
        assert isinstance(problem, Invalid) and "new_deadline" in problem.fields


def test_secretary_only_without_supervisor():
    guard = lifecycle.secretary_only_without_supervisor
    assert isinstance(guard(ctx(relations={SECRETARY}, org_has_supervisor=True)), Forbidden)
    assert guard(ctx(relations={SECRETARY}, org_has_supervisor=False)) is None
    assert guard(ctx(relations={SUPERVISOR}, org_has_supervisor=True)) is None
    assert guard(ctx(relations={SUPERVISOR, SECRETARY}, org_has_supervisor=True)) is None


def test_flag_guards():
    assert lifecycle.not_flagged(ctx(make_item())) is None
    assert isinstance(lifecycle.not_flagged(ctx(make_item(flagged=True))), InvalidTransition)
    assert lifecycle.is_flagged(ctx(make_item(flagged=True))) is None
    assert isinstance(lifecycle.is_flagged(ctx(make_item())), InvalidTransition)


@pytest.mark.parametrize("reason", ["duplicate", "not_responsible", "invalid", "other"])
def test_valid_cancel_reasons(reason):
    assert lifecycle.valid_cancel_reason(ctx(data={"reason": reason})) is None


def test_invalid_cancel_reason():
    problem = lifecycle.valid_cancel_reason(ctx(data={"reason": "because"}))
    assert isinstance(problem, Invalid) and "reason" in problem.fields


def test_percent_in_range():
    guard = lifecycle.percent_in_range
    for ok in (None, 0, 55, 100):
        assert guard(ctx(data={"percent": ok})) is None
    for bad in (-1, 101):
        assert "percent" in guard(ctx(data={"percent": bad})).fields


def test_new_owner_differs():
    assert lifecycle.new_owner_differs(ctx(make_item(owner_id=10), data={"owner_id": 11})) is None
    assert "owner_id" in lifecycle.new_owner_differs(ctx(make_item(owner_id=10), data={"owner_id": 10})).fields


def test_deadline_only_while_pending():
    guard = lifecycle.deadline_only_while_pending
    item = make_item("claimed")
    assert guard(ctx(item, data={"title": "x"})) is None
    assert guard(ctx(item, data={"deadline": item.deadline})) is None
    assert "deadline" in guard(ctx(item, data={"deadline": item.deadline + timedelta(days=3)})).fields
    assert guard(ctx(make_item("pending"), data={"deadline": TODAY + timedelta(days=3)})) is None


# --- allowed_actions ----------------------------------------------------------------------------

def _allowed(status, relations, **kw):
    facts = {k: kw.pop(k) for k in list(kw) if k in ("pending_extension", "org_has_supervisor", "has_evidence")}
    actor_id = kw.pop("actor_id", 20)
    return allowed_actions(ctx(make_item(status, **kw), actor_id=actor_id, relations=relations, **facts))


def test_allowed_actions_of_the_owner():
    assert _allowed("pending", {OWNER}, owner_id=20) == ["claim"]
    assert set(_allowed("claimed", {OWNER}, owner_id=20)) == {"start", "progress", "request_extension", "attach"}
    assert set(_allowed("claimed", {OWNER}, owner_id=20, kind="immediate")) == {
        "start", "progress", "submit", "request_extension", "attach"}
    assert set(_allowed("in_progress", {OWNER}, owner_id=20)) == {"progress", "submit", "request_extension",
                                                                 "attach"}
    assert set(_allowed("in_progress", {OWNER}, owner_id=20, pending_extension=object())) == {
        "progress", "submit", "attach"}
    assert set(_allowed("in_progress", {OWNER}, owner_id=20, deadline=TODAY - timedelta(days=1))) == {
        "progress", "submit", "attach"}
    assert _allowed("awaiting_verification", {OWNER}, owner_id=20) == ["attach"]
    assert _allowed("closed", {OWNER}, owner_id=20) == []
    assert _allowed("cancelled", {OWNER}, owner_id=20) == []


def test_allowed_actions_of_the_secretary():
    assert set(_allowed("pending", {SECRETARY})) == {"reassign", "cancel", "urge", "edit"}
    assert set(_allowed("in_progress", {SECRETARY})) == {"progress", "reassign", "cancel", "urge", "edit",
                                                        "attach"}
    # extension decisions: only where the organisation has no supervisor
    assert {"approve_extension", "reject_extension"} <= set(
        _allowed("in_progress", {SECRETARY}, pending_extension=object(), org_has_supervisor=False))
    assert not {"approve_extension", "reject_extension"} & set(
        _allowed("in_progress", {SECRETARY}, pending_extension=object(), org_has_supervisor=True))
    assert set(_allowed("awaiting_verification", {SECRETARY})) == {"verify", "return", "cancel", "urge", "attach"}
    assert not {"verify", "return"} & set(_allowed("awaiting_verification", {SECRETARY}, flagged=True))
    assert _allowed("closed", {SECRETARY}) == ["reopen"]
    assert _allowed("cancelled", {SECRETARY}) == []


def test_allowed_actions_of_the_supervisor():
    assert set(_allowed("pending", {SUPERVISOR})) == {"flag", "urge"}
    assert set(_allowed("pending", {SUPERVISOR}, flagged=True)) == {"unflag", "urge"}
    assert set(_allowed("claimed", {SUPERVISOR}, pending_extension=object())) == {
        "flag", "urge", "approve_extension", "reject_extension"}
    assert set(_allowed("awaiting_verification", {SUPERVISOR}, flagged=True)) == {"verify", "return", "unflag",
                                                                                 "urge"}
    assert _allowed("closed", {SUPERVISOR}) == ["reopen"]


def test_allowed_actions_with_no_relation_is_empty():
    for status in STATUSES:
        assert _allowed(status, set()) == []


def test_allowed_actions_ignore_input_but_apply_static_guards():
    """Guards that need input (required fields, dates) never hide a button; static ones do."""
    for name, rule in RULES.items():
        for g in rule.guards:
            if not g.static:
                continue
            assert g.__name__ in {"not_owner", "supervisor_if_flagged", "claimed_only_if_immediate", "before_deadline",
                                  "no_pending_extension", "has_pending_extension",
                                  "secretary_only_without_supervisor", "not_flagged", "is_flagged"}, name
    # submit needs evidence, but the button shows before the upload (the guard is not static)
    assert "submit" in _allowed("in_progress", {OWNER}, owner_id=20, has_evidence=False)


def test_allowed_actions_agree_with_check_on_valid_data():
    """For every state × relation, an action in allowed_actions passes check() with valid data."""
    for status in STATUSES:
        for relations in ({OWNER}, {SECRETARY}, {SUPERVISOR}, {SYSTEM}, set()):
            item = make_item(status, owner_id=20 if relations == {OWNER} else 10)
            context = ctx(item, relations=relations)
            for action in allowed_actions(context):
                check(action, ctx(item, relations=relations, data=dict(VALID_DATA[action])))
            for action in set(RULES) - set(allowed_actions(context)):
                with pytest.raises((Forbidden, InvalidTransition, Invalid)):
                    check(action, ctx(item, relations=relations, data=dict(VALID_DATA[action])))
