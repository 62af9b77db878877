"""The three system roles and 三员分立 (LEDGER_SEPARATION_OF_DUTIES, SPEC §16).

The system admin (``is_admin``: organisations, categories, calendar, settings, outbox), the security admin
(``is_security_admin``: users, roles, memberships, second-factor resets, unlocks) and the auditor
(``is_auditor``: the audit log, nothing else). With the separation on, no account holds two of them and
managing users is the security admin's alone; off, the admin does both, as before.
"""
from __future__ import annotations

from flask import current_app, has_app_context

from ledger.core.errors import Invalid

SYSTEM_ROLES = ("admin", "security_admin", "auditor")
FLAGS = {"admin": "is_admin", "security_admin": "is_security_admin", "auditor": "is_auditor"}


def separation_on() -> bool:
    return has_app_context() and bool(current_app.config.get("LEDGER_SEPARATION_OF_DUTIES"))


def system_roles(user) -> list[str]:
    """The system roles ``user`` holds, in SYSTEM_ROLES order."""
    return [role for role in SYSTEM_ROLES if getattr(user, FLAGS[role], False)]


def is_auditor(user) -> bool:
    return bool(getattr(user, "is_auditor", False))


def may_manage_users(actor) -> bool:
    """Create and change users, their roles and memberships, unlock them, reset their second factor."""
    if actor is None:
        return False
    if getattr(actor, "is_security_admin", False):
        return True
    return bool(getattr(actor, "is_admin", False)) and not separation_on()


def may_see_all_users(actor) -> bool:
    return bool(getattr(actor, "is_admin", False) or getattr(actor, "is_security_admin", False))


def check_roles(roles: dict[str, bool], memberships: list | tuple = ()) -> None:
    """Refuse a combination of system roles the separation of duties forbids (Invalid on ``roles``); the
    auditor never holds an organisation's role either, so that the log is all an auditor sees."""
    held = [role for role in SYSTEM_ROLES if roles.get(role)]
    if roles.get("auditor") and memberships:
        raise Invalid({"roles": "审计管理员不能同时担任组织中的角色"})
    if separation_on() and len(held) > 1:
        raise Invalid({"roles": "三员分立：系统管理员、安全管理员、审计管理员须由不同账号担任，"
                                "不能兼任（" + "、".join(held) + "）"})


def roles_of(user) -> dict[str, bool]:
    return {role: bool(getattr(user, FLAGS[role], False)) for role in SYSTEM_ROLES}


USER_PAGES = frozenset({"admin.users", "admin.user_new", "admin.user_edit", "admin.memberships"})


def may_enter_admin(user, endpoint: str | None) -> bool:
    """The admin pages: the user pages are for whoever manages users, the rest for the system admin."""
    if endpoint in USER_PAGES:
        return may_manage_users(user)
    return bool(getattr(user, "is_admin", False))
