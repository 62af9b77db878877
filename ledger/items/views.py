"""The ledger (台账) pages: the list, a new item, the item page with its actions, evidence."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import defaultload

from ledger.auth.models import User
from ledger.auth.scope import scope_of
from ledger.auth.services import users_query
from ledger.core.db import db
from ledger.core.enums import ItemStatus
from ledger.core.errors import Forbidden, Invalid, InvalidTransition, LedgerError, TooLarge, VersionConflict
from ledger.items import attachments, page_filters, queries, services
from ledger.items.forms import ACTION_FORMS, ItemForm, UploadForm
from ledger.items.models import Attachment, Event, Extension
from ledger.opinions.services import get_opinion
from ledger.orgs.categories import category_choices
from ledger.orgs.models import Organisation
from ledger.web.common import form_errors, page_blueprint, page_size
from ledger.web.helpers import choices

bp = page_blueprint("items", __name__, url_prefix="/items")
# What items/_table.html shows besides the light, overdue days, organisation and owner (read as columns).
TABLE_COLUMNS = ("title", "code", "flagged", "status", "deadline")
SORT_LABELS = {"deadline": _l("完成时限 ↑"), "-deadline": _l("完成时限 ↓"), "created": _l("创建时间 ↑"),
               "-created": _l("创建时间 ↓")}


def _user_choices(blank: str | None = None) -> list[tuple]:
    """Active users the viewer may list, as (id, label): plain columns, no User objects or memberships."""
    rows = db.session.execute(users_query(current_user).where(User.active.is_(True))
                              .with_only_columns(User.id, User.display_name, User.username)
                              .order_by(User.display_name))
    options = [(user_id, f"{name or username}（{username}）") for user_id, name, username in rows]
    return ([("", blank)] if blank is not None else []) + options


@bp.route("")
@login_required
def index():
    form = page_filters.filter_form(current_user)
    sort = request.args.get("sort", "deadline")
    errors, page = [], None
    try:
        page = queries.list_rows(current_user, page_filters.filters_of(form, current_user),
                                 page_size(request.args.get("limit")),
                                 request.args.get("cursor"), sort, columns=TABLE_COLUMNS, names=True)
    except Invalid as exc:
        errors = form_errors(form, exc)
    status = 422 if page is None else 200
    return render_template("items/index.html", form=form, page=page, errors=errors, sort=sort,
                           sorts=SORT_LABELS, statuses=choices("status"),
                           chosen_statuses=page_filters.chosen_statuses(),
                           can_create=bool(scope_of(current_user).secretary_orgs)), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A new item (secretary); ``opinion_ids`` in the address or form merges those opinions into it."""
    scope = scope_of(current_user)
    if not scope.secretary_orgs:
        raise Forbidden(gettext("只有支部书记可以新建整改事项"))
    form = ItemForm()
    orgs = db.session.scalars(select(Organisation).where(Organisation.id.in_(sorted(scope.secretary_orgs))))
    form.org_id.choices = page_filters.org_choices(orgs)
    form.owner_id.choices = _user_choices()
    form.leader_id.choices = [("", gettext("（不指定）"))] + form.owner_id.choices
    form.category.choices = category_choices(gettext("（不分类）"))
    if request.method == "GET" and request.args.getlist("opinion_ids"):
        form.opinion_ids.data = [int(i) for i in request.args.getlist("opinion_ids") if i.isdigit()]
    opinions = [get_opinion(current_user, i) for i in (form.opinion_ids.data or [])]
    if request.method == "GET" and opinions:
        form.org_id.data = opinions[0].org_id
        form.description.data = "\n".join(o.content for o in opinions)
    form.opinion_ids.choices = [(o.id, o.content[:40]) for o in opinions]
    errors = []
    if form.validate_on_submit():
        try:
            item = services.create_item(current_user, form.data_for_service())
        except Invalid as exc:
            errors = form_errors(form, exc)
        else:
            flash(gettext("已新建整改事项 %(code)s，已通知责任人认领", code=item.code), "success")
            return redirect(url_for("items.detail", item_id=item.id))
    status = 422 if request.method == "POST" else 200
    return render_template("items/new.html", form=form, opinions=opinions, errors=errors), status


def _action_forms(item, allowed: list[str]) -> dict:
    forms = {}
    for action in allowed:
        form_class = ACTION_FORMS.get(action)
        if form_class is None:
            continue
        form = form_class(formdata=None, prefix=action, version=item.version)
        _prepare(form, action, item)
        forms[action] = form
    return forms


def _prepare(form, action: str, item) -> None:
    if action == "reassign":
        form.owner_id.choices = [c for c in _user_choices() if c[0] != item.owner_id]
    if request.method == "GET" or form.version.data in (None, ""):
        if action == "claim":
            form.measures.data = form.measures.data or item.measures
            form.deadline.data = form.deadline.data or item.deadline
        if action == "edit":
            for name in ("title", "description", "measures", "deadline"):
                getattr(form, name).data = getattr(form, name).data or getattr(item, name)


def _render_detail(item, failed: tuple[str, object] | None = None, alert: str | None = None, status: int = 200):
    """The item page. ``item`` came from ``services.get_item`` (scope checked); its extensions and evidence
    are read once here and handed to the lifecycle guards rather than looked up again (bench: statements)."""
    extensions = list(db.session.scalars(select(Extension).where(Extension.item_id == item.id)
                                         .order_by(Extension.id)))
    evidence = list(db.session.scalars(select(Attachment).where(Attachment.item_id == item.id)
                                       .order_by(Attachment.id)))
    allowed = services.allowed_actions(current_user, item, extensions=extensions, attachments=evidence)
    forms = _action_forms(item, allowed)
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    # the actors' names only: their memberships are not needed
    events = list(db.session.scalars(queries.events_query(item.id).order_by(Event.id)
                                     .options(defaultload(Event.actor).lazyload(User.memberships))))
    upload = (failed[1] if failed and failed[0] == "attach" else UploadForm()) if "attach" in allowed else None
    return render_template("items/detail.html", item=item, forms=forms, allowed=allowed, events=events,
                           extensions=extensions, attachments=evidence, upload=upload, alert=alert,
                           open_action=failed[0] if failed else None), status


@bp.route("/<int:item_id>")
@login_required
def detail(item_id: int):
    return _render_detail(services.get_item(current_user, item_id, with_opinions=True))


@bp.route("/<int:item_id>/actions/<action>", methods=["POST"])
@login_required
def act(item_id: int, action: str):
    """Take one lifecycle action; a refusal shows the page again with what was typed and why."""
    item = services.get_item(current_user, item_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        abort(404)
    form = form_class(prefix=action)
    _prepare(form, action, item)
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _render_detail(item, (action, form), gettext("请检查填写的内容"), 422)
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "version") and v not in (None, "")}
    try:
        version = int(form.version.data)
    except (TypeError, ValueError):
        version = None
    try:
        services.apply_action(current_user, item_id, action, version, **data)
    except Invalid as exc:
        db.session.rollback()
        unplaced = form_errors(form, exc)
        item = services.get_item(current_user, item_id)
        return _render_detail(item, (action, form), "；".join(unplaced) or gettext("请检查填写的内容"), 422)
    except VersionConflict:
        db.session.rollback()
        item = services.get_item(current_user, item_id)
        form.version.data = item.version
        message = gettext("该事项刚被他人修改，当前状态为“%(status)s”。请查看最新情况后再决定是否提交。",
                          status=gettext(ItemStatus(item.status).title))
        return _render_detail(item, (action, form), message, 409)
    except (Forbidden, InvalidTransition) as exc:
        db.session.rollback()
        item = services.get_item(current_user, item_id)
        return _render_detail(item, None, exc.message, exc.status)
    flash(gettext("已完成：%(action)s", action=gettext(_ACTION_TITLES.get(action, action))), "success")
    return redirect(url_for("items.detail", item_id=item_id))


@bp.route("/<int:item_id>/attachments", methods=["POST"])
@login_required
def upload(item_id: int):
    item = services.get_item(current_user, item_id)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            attachments.add_attachment(current_user, item_id, form.kind.data, form.file.data.filename,
                                       form.file.data.stream)
        except Invalid as exc:
            db.session.rollback()
            alert = "；".join(form_errors(form, exc)) or None
            return _render_detail(services.get_item(current_user, item_id), ("attach", form), alert, 422)
        except (TooLarge, Forbidden, InvalidTransition) as exc:
            db.session.rollback()
            form.file.errors = [exc.message]
            return _render_detail(services.get_item(current_user, item_id), ("attach", form), exc.message,
                                  exc.status)
        flash(gettext("已上传佐证材料"), "success")
        return redirect(url_for("items.detail", item_id=item_id) + "#attachments")
    if form.csrf_token.errors:
        abort(400)
    return _render_detail(item, ("attach", form), gettext("请选择要上传的文件"), 422)


@bp.route("/<int:item_id>/attachments/<int:attachment_id>")
@login_required
def download(item_id: int, attachment_id: int):
    """Download (or, for an image asked inline, show) evidence; scope is checked by the service."""
    attachment, path = attachments.get_attachment(current_user, item_id, attachment_id)
    inline = request.args.get("inline") == "1" and attachment.content_type.startswith("image/")
    return send_file(path, mimetype=attachment.content_type, as_attachment=not inline,
                     download_name=attachments.offered_name(attachment), max_age=0)


def _titles() -> dict[str, str]:
    from ledger.items.lifecycle import RULES

    return {name: rule.title for name, rule in RULES.items()} | {"create": "新建", "link_opinion": "并入意见"}


_ACTION_TITLES = _titles()
__all__ = ["bp", "LedgerError"]
