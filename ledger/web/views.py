"""The role's home page, my notifications, and the account's preferences."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ledger.auth.scope import scope_of
from ledger.core.db import db
from ledger.core.enums import OpinionStatus
from ledger.core.pagination import page_by_id
from ledger.items.queries import list_items
from ledger.opinions.models import Opinion
from ledger.opinions.services import opinions_query
from ledger.outbox import services as outbox
from ledger.outbox.models import Notification
from ledger.web.common import page_blueprint, page_size
from ledger.web.forms import LOCALES, MarkReadForm, PreferencesForm

bp = page_blueprint("web", __name__)
HOME_LIMIT = 20


def _owner_todo(user) -> dict:
    """我的待办: to claim, due soon, overdue, returned."""
    mine = {"owner_id": user.id}
    in_progress = list_items(user, mine | {"status": ["in_progress"]}, 100, None).rows
    return {
        "to_claim": list_items(user, mine | {"status": ["pending"]}, HOME_LIMIT, None).rows,
        "due_soon": list_items(user, mine | {"light": "yellow"}, HOME_LIMIT, None).rows,
        "overdue": list_items(user, mine | {"overdue": True}, HOME_LIMIT, None).rows,
        "returned": [item for item in in_progress if item.return_note][:HOME_LIMIT],
        "open": list_items(user, mine | {"status": ["claimed", "in_progress", "awaiting_verification"]},
                           HOME_LIMIT, None).rows,
    }


def _secretary_work(user, org_ids: set[int]) -> dict:
    new = opinions_query(user).where(Opinion.status == OpinionStatus.new.value, Opinion.org_id.in_(sorted(org_ids)))
    return {
        "opinions": list(db.session.scalars(new.order_by(Opinion.id.desc()).limit(HOME_LIMIT))),
        "opinion_count": db.session.scalar(select(func.count()).select_from(new.subquery())),
        "awaiting": list_items(user, {"status": ["awaiting_verification"]}, HOME_LIMIT, None).rows,
        "objections": _pending_objections(user),
    }


def _pending_objections(user) -> list:
    """Public objections filed during a publication period, waiting to be upheld or answered."""
    from ledger.notices.objections import pending_objections

    return pending_objections(user, limit=HOME_LIMIT)


def _supervisor_watch(user, org_ids: set[int]) -> dict:
    return {"overdue": list_items(user, {"overdue": True}, 50, None).rows,
            "flagged": list_items(user, {"flagged": True}, 50, None).rows}


@bp.route("/")
@login_required
def home():
    scope = scope_of(current_user)
    context = {"scope": scope, "todo": _owner_todo(current_user)}
    if scope.secretary_orgs:
        context["secretary"] = _secretary_work(current_user, scope.secretary_orgs)
    if scope.supervised:
        context["supervisor"] = _supervisor_watch(current_user, scope.supervised)
    if scope.is_admin:
        context["outbox"] = outbox.outbox_counts()
    return render_template("web/home.html", **context)


@bp.route("/notifications")
@login_required
def notifications():
    query = select(Notification).where(Notification.user_id == current_user.id)
    if request.args.get("unread"):
        query = query.where(Notification.read_at.is_(None))
    page = page_by_id(query, Notification, page_size(request.args.get("limit")), request.args.get("cursor"),
                      descending=True)
    return render_template("web/notifications.html", page=page, form=MarkReadForm())


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        return render_template("error.html", status=400, heading=gettext("请求有误"),
                               message=gettext("表单已过期，请返回重试")), 400
    raw = form.notification_id.data
    ids = [int(raw)] if raw and raw.isdigit() else None
    outbox.mark_read(current_user, ids)
    from ledger.auth.redirects import safe_next  # same-site only, as the browser reads it (issue 14)

    target = safe_next(request.form.get("next"), url_for("web.notifications"))
    return redirect(target if target.startswith("/notifications") else url_for("web.notifications"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PreferencesForm(locale=current_user.locale or "")
    if form.validate_on_submit():
        # A personal preference with nothing to check beyond the list of choices.
        current_user.locale = form.locale.data or None
        return redirect(url_for("web.account"))
    return render_template("web/account.html", form=form, locales=LOCALES), 422 if form.errors else 200
