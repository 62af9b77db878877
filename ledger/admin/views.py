"""Admin pages. Every change goes through the services, which check that the actor is an admin."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.audit import duties
from ledger.auth import services as auth
from ledger.auth.models import User
from ledger.core.db import db
from ledger.core.enums import MessageStatus, Role
from ledger.core.errors import Forbidden, Invalid, NotFound
from ledger.core.pagination import page_by_id
from ledger.items.services import org_setting
from ledger.orgs import services as orgs
from ledger.orgs.models import Category, Organisation
from ledger.outbox import services as outbox
from ledger.outbox.models import Message
from ledger.web.common import form_errors, page_blueprint, page_size
from ledger.web.helpers import title_of

from .forms import ButtonForm, CategoryForm, MembershipForm, OrgForm, SettingsForm, UserEditForm, UserForm

bp = page_blueprint("admin", __name__, url_prefix="/admin")
MEMBER_ROLES = (Role.secretary.value, Role.owner.value, Role.supervisor.value)


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return None  # login_required on each view sends them to the login page
    if request.endpoint != "admin.org_settings" and not duties.may_enter_admin(current_user, request.endpoint):
        raise Forbidden(gettext("只有管理员可以进入系统管理"))
    return None


def _all_orgs() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.path)))


def _org_choices(blank: str | None = None) -> list[tuple]:
    options = [(o.id, "　" * (o.path.count("/") - 2) + o.name) for o in _all_orgs()]
    return ([("", blank)] if blank is not None else []) + options


def _role_choices() -> list[tuple[str, str]]:
    return [(r, title_of("role", r)) for r in MEMBER_ROLES]


@bp.route("")
@login_required
def index():
    return render_template("admin/index.html", counts=outbox.outbox_counts())


@bp.route("/orgs", methods=["GET", "POST"])
@login_required
def orgs_index():
    form = OrgForm()
    form.parent_id.choices = _org_choices(gettext("（顶级）"))
    errors = []
    if form.validate_on_submit():
        try:
            org = orgs.create_org(current_user, form.name.data, form.kind.data, form.parent_id.data,
                                  form.timezone.data)
        except Invalid as exc:
            errors = form_errors(form, exc)
        else:
            flash(gettext("已新建组织：%(name)s", name=org.name), "success")
            return redirect(url_for("admin.orgs_index"))
    tree = [(o, o.path.count("/") - 2) for o in _all_orgs()]
    return render_template("admin/orgs.html", form=form, tree=tree, errors=errors), \
        422 if request.method == "POST" else 200


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
@login_required
def org_edit(org_id: int):
    org = orgs.get_org(current_user, org_id)
    form = OrgForm(obj=org if request.method == "GET" else None)
    form.parent_id.choices = _org_choices(gettext("（顶级）"))
    errors = []
    if form.validate_on_submit():
        try:
            orgs.update_org(current_user, org.id, {k: form.data[k] for k in ("name", "kind", "timezone", "parent_id")})
        except Invalid as exc:
            db.session.rollback()
            errors = form_errors(form, exc)
        else:
            flash(gettext("已保存"), "success")
            return redirect(url_for("admin.org_edit", org_id=org.id))
    settings = org.settings
    settings_form = SettingsForm(formdata=None, evidence_required=org_setting(org, "evidence_required"),
                                 warning_days=org_setting(org, "warning_days"),
                                 progress_margin=org_setting(org, "progress_margin"))
    return render_template("admin/org.html", org=org, form=form, settings_form=settings_form, settings=settings,
                           errors=errors), 422 if request.method == "POST" else 200


@bp.route("/orgs/<int:org_id>/settings", methods=["POST"])
@login_required
def org_settings(org_id: int):
    """Per-organisation settings (the service lets an admin or the organisation's secretary)."""
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            orgs.update_settings(current_user, org_id, {k: form.data[k] for k in
                                                        ("evidence_required", "warning_days", "progress_margin")})
        except Invalid as exc:
            db.session.rollback()
            form_errors(form, exc)
        else:
            flash(gettext("设置已保存"), "success")
            return redirect(url_for("admin.org_edit", org_id=org_id) if current_user.is_admin
                            else url_for("web.home"))
    if form.csrf_token.errors:
        return render_template("error.html", status=400, heading=gettext("请求有误"),
                               message=gettext("表单已过期，请返回重试")), 400
    org = orgs.get_org(current_user, org_id)
    return render_template("admin/org.html", org=org, form=OrgForm(obj=org), settings_form=form,
                           settings=org.settings, errors=[]), 422


@bp.route("/users")
@login_required
def users():
    query = auth.users_query(current_user)
    page = page_by_id(query, User, page_size(request.args.get("limit")), request.args.get("cursor"))
    names = {o.id: o.name for o in _all_orgs()}
    return render_template("admin/users.html", page=page, org_names=names)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def user_new():
    form = UserForm()
    form.org_id.choices = _org_choices(gettext("（暂不加入）"))
    form.role.choices = _role_choices()
    errors = []
    if form.validate_on_submit():
        memberships = [{"org_id": form.org_id.data, "role": form.role.data}] if form.org_id.data else []
        try:
            user = auth.create_user(current_user, form.username.data, form.password.data, form.display_name.data or "",
                                    form.email.data or None, memberships, is_admin=form.is_admin.data,
                                    is_auditor=form.is_auditor.data, is_security_admin=form.is_security_admin.data)
        except Invalid as exc:
            errors = form_errors(form, exc)
        else:
            flash(gettext("已新建用户：%(name)s", name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form, errors=errors), 422 if request.method == "POST" else 200


def _user_page(user: User, form: UserEditForm, membership_form: MembershipForm, errors: list, status: int):
    membership_form.org_id.choices = _org_choices()
    membership_form.role.choices = _role_choices()
    names = {o.id: o.name for o in _all_orgs()}
    return render_template("admin/user.html", user=user, form=form, membership_form=membership_form,
                           remove_form=ButtonForm(), org_names=names, errors=errors), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int):
    user = auth.get_user(current_user, user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    errors = []
    if form.validate_on_submit():
        changes = {k: form.data[k] for k in ("display_name", "email", "active", "is_admin", "is_security_admin",
                                             "is_auditor")}
        if form.password.data:
            changes["password"] = form.password.data
        try:
            auth.update_user(current_user, user.id, changes)
        except Invalid as exc:
            db.session.rollback()
            errors = form_errors(form, exc)
        else:
            flash(gettext("已保存"), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _user_page(user, form, MembershipForm(formdata=None), errors, 422 if request.method == "POST" else 200)


@bp.route("/users/<int:user_id>/memberships", methods=["POST"])
@login_required
def memberships(user_id: int):
    """Add a membership, or remove one (``remove`` = "org_id:role")."""
    user = auth.get_user(current_user, user_id)
    current = [{"org_id": m.org_id, "role": m.role} for m in user.memberships]
    form = MembershipForm()
    form.org_id.choices = _org_choices()
    form.role.choices = _role_choices()
    removing = request.form.get("remove")
    if removing:
        if not ButtonForm().validate_on_submit():
            return render_template("error.html", status=400, heading=gettext("请求有误"),
                                   message=gettext("表单已过期，请返回重试")), 400
        wanted = [m for m in current if f"{m['org_id']}:{m['role']}" != removing]
    elif form.validate_on_submit():
        wanted = current + [{"org_id": form.org_id.data, "role": form.role.data}]
    else:
        if form.csrf_token.errors:
            return render_template("error.html", status=400, heading=gettext("请求有误"),
                                   message=gettext("表单已过期，请返回重试")), 400
        return _user_page(user, UserEditForm(obj=user), form, [], 422)
    try:
        auth.update_user(current_user, user.id, {"memberships": wanted})
    except Invalid as exc:
        db.session.rollback()
        return _user_page(auth.get_user(current_user, user_id), UserEditForm(obj=user), form,
                          list(exc.fields.values()), 422)
    flash(gettext("成员身份已更新"), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/categories", methods=["GET", "POST"])
@login_required
def categories():
    form = CategoryForm()
    errors = []
    if form.validate_on_submit():
        try:
            orgs.save_category(current_user, form.name.data)
        except Invalid as exc:
            errors = form_errors(form, exc)
        else:
            flash(gettext("已添加类别"), "success")
            return redirect(url_for("admin.categories"))
    return render_template("admin/categories.html", form=form, categories=orgs.list_categories(include_inactive=True),
                           toggle_form=ButtonForm(), errors=errors), 422 if request.method == "POST" else 200


@bp.route("/categories/<int:category_id>/toggle", methods=["POST"])
@login_required
def category_toggle(category_id: int):
    if not ButtonForm().validate_on_submit():
        return render_template("error.html", status=400, heading=gettext("请求有误"),
                               message=gettext("表单已过期，请返回重试")), 400
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(gettext("类别不存在"))
    orgs.save_category(current_user, category.name, active=request.form.get("active") == "1")
    return redirect(url_for("admin.categories"))


@bp.route("/outbox")
@login_required
def outbox_index():
    status = request.args.get("status", MessageStatus.failed.value)
    if status not in MessageStatus.values():
        status = MessageStatus.failed.value
    query = select(Message).where(Message.status == status)
    page = page_by_id(query, Message, page_size(request.args.get("limit")), request.args.get("cursor"),
                      descending=True)
    return render_template("admin/outbox.html", page=page, counts=outbox.outbox_counts(), status=status,
                           statuses=MessageStatus.values(), retry_form=ButtonForm())


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@login_required
def outbox_retry(message_id: int):
    if not ButtonForm().validate_on_submit():
        return render_template("error.html", status=400, heading=gettext("请求有误"),
                               message=gettext("表单已过期，请返回重试")), 400
    outbox.retry_message(message_id)
    flash(gettext("已重新放入发送队列"), "success")
    return redirect(url_for("admin.outbox_index"))
