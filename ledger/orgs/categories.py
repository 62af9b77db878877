"""The admin-managed category list, as values are checked against it and shown.

A category name is user data (an admin may add any): it is never passed to gettext in a template, which
would mark it safe. Only the default names seeded by ``init`` have translations, looked up here by literal."""
from __future__ import annotations

from collections.abc import Collection

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.core.db import db
from ledger.orgs.models import Category

# The defaults of ledger.orgs.models.DEFAULT_CATEGORIES, each a literal so the catalogue carries it.
DEFAULT_TITLES = {
    "形式主义": _l("形式主义"), "官僚主义": _l("官僚主义"), "享乐主义": _l("享乐主义"), "奢靡之风": _l("奢靡之风"),
    "作风": _l("作风"), "服务": _l("服务"), "效能": _l("效能"), "廉洁": _l("廉洁"), "其他": _l("其他"),
}


def category_title(name: str | None) -> str:
    """The name in the user's language: a default one translated, any other as the plain text it is."""
    if not name:
        return ""
    title = DEFAULT_TITLES.get(name)
    return str(title) if title is not None else str(name)


def category_choices(blank: str, keep: str | None = None) -> list[tuple[str, str]]:
    """Options for a select: a blank one, the active categories, and ``keep`` (an item's current, perhaps
    deactivated, category) so that saving the form does not silently drop it."""
    names = active_category_names()
    if keep and keep not in names:
        names.append(keep)
    return [("", blank)] + [(name, category_title(name)) for name in names]


def active_category_names() -> list[str]:
    return list(db.session.scalars(select(Category.name).where(Category.active.is_(True))
                                   .order_by(Category.position, Category.id)))


def category_problem(value: str | None, active: Collection[str] | None = None,
                     current: str | None = None) -> str | None:
    """Why ``value`` cannot be stored as a category, or None: it must be one of the active categories
    (``active``, read here when not given), or the value already stored (``current``)."""
    if value is None or value == "" or value == current:
        return None
    names = active if active is not None else active_category_names()
    if value not in names:
        return "类别无效，须是已启用的问题类别之一：" + "、".join(names)
    return None
