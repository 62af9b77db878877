"""The ledger page's filters, read from its address: one reading for the list and for its export, so the
export holds exactly the rows the page shows (repeated ``status``, the typed owner and organisation)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext

from ledger.api.common import query_date
from ledger.auth.models import User
from ledger.auth.services import find_user, visible_user
from ledger.core.db import db
from ledger.core.errors import Invalid
from ledger.items.forms import FilterForm
from ledger.orgs.categories import category_choices
from ledger.orgs.models import Organisation
from ledger.orgs.services import find_orgs, list_orgs_query, org_name
from ledger.stats.figures import drill_down_args
from ledger.web.helpers import choices

# Up to this many organisations the filter is a <select> of the tree; beyond it (a county supervisor has
# 300, a province's 3,000), a name field: rendering every option was a fifth of each page's time (bench/).
ORG_SELECT_LIMIT = 100


def org_choices(orgs) -> list[tuple[int, str]]:
    """Organisations in tree order, each indented under its parent."""
    rows = sorted(orgs, key=lambda o: o.path)
    top = min((o.path.count("/") for o in rows), default=0)
    return [(o.id, "\u3000" * (o.path.count("/") - top) + o.name) for o in rows]


def filter_form(actor: User) -> FilterForm:
    """The filter form filled from the address, its organisation filter a select or a name field."""
    form = FilterForm(request.args)
    typed = bool((form.org.data or "").strip())
    # one organisation more than the select may hold tells whether it would hold them all, in the one read
    orgs = [] if typed else db.session.execute(
        list_orgs_query(actor).with_only_columns(Organisation.id, Organisation.name, Organisation.path)
        .limit(ORG_SELECT_LIMIT + 1)).all()
    # a typed name in the address (a link from a wider view) shows the field, and what it matched or why not
    form.org_search = typed or len(orgs) > ORG_SELECT_LIMIT
    if not form.org_search:
        form.org_id.choices = [("", gettext("全部"))] + org_choices(orgs)
    form.kind.choices = [("", gettext("全部"))] + choices("kind")
    form.category.choices = category_choices(gettext("全部"))
    return form


def export_filters(actor: User) -> dict:
    """The filters of the list page whose address the export link carries."""
    return filters_of(FilterForm(request.args), actor)


def filters_of(form: FilterForm, actor: User) -> dict:
    """The list's filters; a typed owner or organisation that names no one (or several): Invalid on its field."""
    def as_bool(value):
        return {"1": True, "0": False}.get(value or "")

    return {"org_id": _org_id(form, actor), "status": chosen_statuses(), "owner_id": _owner_id(form, actor),
            "light": form.light.data or None, "overdue": as_bool(form.overdue.data),
            "flagged": as_bool(form.flagged.data), "kind": form.kind.data or None,
            "category": form.category.data or None, "q": form.q.data or None,
            "due_before": query_date("due_before"),
            **drill_down_args(request.args)}


def chosen_statuses() -> list[str]:
    """Checkboxes repeat ``status``; the API's links separate them with commas: both are read."""
    return [s for raw in request.args.getlist("status") for s in raw.split(",") if s]


def _owner_id(form: FilterForm, actor: User) -> int | None:
    """A typed username or name (resolved within the viewer's scope), or ``owner_id`` from a link, shown in
    the field by username when the viewer may see that user."""
    if (form.owner.data or "").strip():
        return find_user(actor, form.owner.data, "owner").id
    raw = request.args.get("owner_id", "")
    if not raw.isdigit():
        return None
    owner = visible_user(actor, int(raw))
    if owner is not None:
        form.owner.data = owner.username
    return int(raw)


def _org_id(form: FilterForm, actor: User) -> int | None:
    """A typed organisation name (exact, else part of one) within the viewer's scope, or ``org_id`` from the
    select or a link, shown in the name field. Several matches: Invalid, with them as ``org_candidates``."""
    if (form.org.data or "").strip():
        matches = find_orgs(actor, form.org.data)
        if len(matches) == 1:
            return matches[0][0]
        form.org_candidates = matches
        raise Invalid({"org": "有多个组织与此名称相符，请从下列组织中选择" if matches
                       else "找不到该组织，或不在您的权限范围内"})
    raw = request.args.get("org_id", "")
    if not raw.isdigit():
        return None
    if form.org_search:  # the select is not shown: name the organisation in the field, or say why not
        form.org.data = org_name(actor, int(raw)) or ""
        if not form.org.data:
            raise Invalid({"org": "组织不存在或不在您的权限范围内"})
    return int(raw)
