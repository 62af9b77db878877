"""Opinion pages: the list with filters, fast entry of many in a row, detail and triage."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.auth.models import User
from ledger.auth.scope import scope_of
from ledger.auth.services import users_query
from ledger.core.db import db
from ledger.core.errors import Forbidden, Invalid, InvalidTransition, NotFound
from ledger.core.pagination import page_by_id
from ledger.items.queries import list_items
from ledger.opinions import services
from ledger.opinions.forms import TRIAGE_FORMS, OpinionFilterForm, OpinionForm
from ledger.opinions.models import Opinion
from ledger.orgs.categories import category_choices
from ledger.orgs.models import Organisation
from ledger.reviews.models import Review
from ledger.reviews.services import reviews_query
from ledger.web.common import form_errors, page_blueprint, page_size
from ledger.web.helpers import choices

bp = page_blueprint("opinions", __name__, url_prefix="/opinions")
STICKY = ("org_id", "review_id", "channel", "kind", "category", "received_on")


def _require_manager() -> None:
    scope = scope_of(current_user)
    if not (scope.managed or scope.is_admin):
        raise Forbidden(gettext("只有支部书记、督导组和管理员可以查看意见建议"))


def _orgs(ids) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.path)
    if ids is not None:
        query = query.where(Organisation.id.in_(sorted(ids)))
    return list(db.session.scalars(query))


def _review_choices(blank: str) -> list[tuple]:
    reviews = db.session.scalars(reviews_query(current_user).order_by(Review.held_on.desc()).limit(200))
    return [("", blank)] + [(r.id, f"{r.held_on} {r.title}") for r in reviews]


@bp.route("")
@login_required
def index():
    _require_manager()
    scope = scope_of(current_user)
    form = OpinionFilterForm(request.args)
    everyone = gettext("全部")
    form.status.choices = [("", everyone)] + choices("opinion_status")
    form.org_id.choices = [("", everyone)] + [(o.id, o.name) for o in _orgs(None if scope.is_admin else scope.managed)]
    form.review_id.choices = _review_choices(everyone)
    form.channel.choices = [("", everyone)] + choices("channel")
    query = services.opinions_query(current_user)
    for name in ("org_id", "review_id"):
        value = getattr(form, name).data
        if value and str(value).isdigit():
            query = query.where(getattr(Opinion, name) == int(value))
    if form.status.data:
        query = query.where(Opinion.status == form.status.data)
    if form.channel.data:
        query = query.where(Opinion.channel == form.channel.data)
    if form.q.data:
        query = query.where(Opinion.content.icontains(form.q.data.strip(), autoescape=True))  # % and _ as typed
    errors = []
    try:
        page = page_by_id(query, Opinion, page_size(request.args.get("limit")), request.args.get("cursor"),
                          descending=request.args.get("sort") != "oldest")
    except Invalid as exc:
        page, errors = None, list(exc.fields.values())
    orgs = {o.id: o.name for o in _orgs(None)} if page else {}
    return render_template("opinions/index.html", form=form, page=page, errors=errors, orgs=orgs,
                           can_sort=bool(scope.secretary_orgs)), 200 if page else 422


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Fast entry: after each save the form comes back with the same organisation, review and channel."""
    scope = scope_of(current_user)
    if not scope.secretary_orgs:
        raise Forbidden(gettext("只有支部书记可以录入意见"))
    sticky = {k: request.args.get(k) for k in STICKY if request.args.get(k)}
    form = OpinionForm(data=_sticky_data(sticky) if request.method == "GET" else None)
    form.org_id.choices = [(o.id, o.name) for o in _orgs(scope.secretary_orgs)]
    form.review_id.choices = _review_choices(gettext("（无）"))
    form.category.choices = category_choices(gettext("（不分类）"))
    errors = []
    if form.validate_on_submit():
        try:
            opinion = services.create_opinion(current_user, form.data_for_service())
        except Invalid as exc:
            errors = form_errors(form, exc)
        else:
            flash(gettext("已录入意见 #%(id)s，可继续录入下一条", id=opinion.id), "success")
            keep = {k: form.data[k] for k in STICKY if form.data.get(k) not in (None, "")}
            return redirect(url_for("opinions.new", **{k: str(v) for k, v in keep.items()}))
    recent = list(db.session.scalars(services.opinions_query(current_user).where(
        Opinion.created_by_id == current_user.id).order_by(Opinion.id.desc()).limit(10)))
    status = 422 if request.method == "POST" else 200
    return render_template("opinions/new.html", form=form, errors=errors, recent=recent), status


def _sticky_data(sticky: dict) -> dict:
    from datetime import date

    data = dict(sticky)
    for key in ("org_id", "review_id"):
        if str(data.get(key, "")).isdigit():
            data[key] = int(data[key])
    if data.get("received_on"):
        try:
            data["received_on"] = date.fromisoformat(data["received_on"])
        except ValueError:
            data.pop("received_on")
    return data


def _triage_forms(opinion: Opinion, failed: tuple | None = None) -> dict:
    if opinion.status != "new" or opinion.org_id not in scope_of(current_user).secretary_orgs:
        return {}
    owners = db.session.scalars(users_query(current_user).where(User.active.is_(True)).order_by(User.display_name))
    owner_choices = [(u.id, u.name) for u in owners]
    open_items = list_items(current_user, {"org_id": opinion.org_id, "status": [
        "pending", "claimed", "in_progress", "awaiting_verification"]}, 200, None).rows
    forms = {}
    for action, form_class in TRIAGE_FORMS.items():
        form = failed[1] if failed and failed[0] == action else form_class(formdata=None, prefix=action)
        if action == "accept":
            form.owner_id.choices = owner_choices
            if failed is None or failed[0] != action:
                form.title.data = opinion.content[:60]
        if action == "link":
            form.item_id.choices = [(i.id, f"{i.code} {i.title}") for i in open_items
                                    if i.org_id == opinion.org_id]
        forms[action] = form
    return forms


def _render(opinion: Opinion, failed: tuple | None = None, alert: str | None = None, status: int = 200):
    item = None
    if opinion.item_id:
        from ledger.items.models import Item

        item = db.session.get(Item, opinion.item_id)
    return render_template("opinions/detail.html", opinion=opinion, item=item, forms=_triage_forms(opinion, failed),
                           org=db.session.get(Organisation, opinion.org_id),
                           review=db.session.get(Review, opinion.review_id) if opinion.review_id else None,
                           open_action=failed[0] if failed else None, alert=alert), status


@bp.route("/<int:opinion_id>")
@login_required
def detail(opinion_id: int):
    return _render(services.get_opinion(current_user, opinion_id))


@bp.route("/<int:opinion_id>/triage/<action>", methods=["POST"])
@login_required
def triage(opinion_id: int, action: str):
    opinion = services.get_opinion(current_user, opinion_id)
    if action not in TRIAGE_FORMS:
        raise NotFound(gettext("未知操作"))
    form = TRIAGE_FORMS[action](prefix=action)
    if action == "accept":
        form.owner_id.choices = [(u.id, u.name) for u in db.session.scalars(users_query(current_user))]
    if action == "link":
        form.item_id.choices = [(i.id, i.code) for i in list_items(current_user, {"org_id": opinion.org_id},
                                                                   200, None).rows]
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _render(opinion, (action, form), gettext("请检查填写的内容"), 422)
    data = {k: v for k, v in form.data.items() if k != "csrf_token" and v not in (None, "")}
    reply = data.pop("reply", None)
    item_id = data.pop("item_id", None)
    try:
        services.triage(current_user, opinion_id, action, reply=reply, item_id=item_id,
                        item=data if action == "accept" else None)
    except Invalid as exc:
        db.session.rollback()
        if "item" in exc.fields or any(k in form for k in exc.fields):
            unplaced = form_errors(form, exc)
        else:
            unplaced = list(exc.fields.values())
        return _render(services.get_opinion(current_user, opinion_id), (action, form),
                       "；".join(unplaced) or gettext("请检查填写的内容"), 422)
    except (Forbidden, NotFound, InvalidTransition) as exc:
        db.session.rollback()
        return _render(services.get_opinion(current_user, opinion_id), None, exc.message, exc.status)
    flash(gettext("意见已处理"), "success")
    return redirect(url_for("opinions.detail", opinion_id=opinion_id))
