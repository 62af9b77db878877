"""Template helpers: enum titles in the user's language, local times, the navigation, the unread count."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ledger.auth.scope import scope_of
from ledger.core import clock, enums
from ledger.orgs.categories import category_title
from ledger.web import labels  # noqa: F401  (titles of the enums, for the message catalogue)

ENUMS = {"status": enums.ItemStatus, "kind": enums.ItemKind, "scope": enums.ItemScope, "urgency": enums.Urgency,
         "cancel": enums.CancelReason, "channel": enums.Channel, "opinion_kind": enums.OpinionKind,
         "opinion_status": enums.OpinionStatus, "method": enums.ReviewMethod, "attachment": enums.AttachmentKind,
         "extension": enums.ExtensionStatus, "message": enums.MessageStatus, "org_kind": enums.OrgKind,
         "role": enums.Role}
LIGHT_CLASSES = {"red": "danger", "yellow": "warning", "green": "success", "none": "secondary"}


def title_of(kind: str, value: str | None) -> str:
    """The display title of an enum value, translated (unknown values are shown as they are)."""
    if value is None:
        return ""
    try:
        return gettext(ENUMS[kind](value).title)
    except ValueError:
        return value


def label_text(field) -> str:
    """A form field's label in the user's language, as plain text (escaped by the page, never marked safe
    the way a template's ``_()`` marks what it returns): labels are our own literals."""
    return gettext(str(field.label.text))


def choices(kind: str) -> list[tuple[str, str]]:
    return [(m.value, gettext(m.title)) for m in ENUMS[kind]]


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["LEDGER_TIMEZONE"])
    return clock.as_utc(value).astimezone(zone).strftime(fmt)


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, "%Y-%m-%d")
    return value.isoformat()


def url_with(**changes) -> str:
    """The current page's address with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def navigation() -> list[tuple[str, str, str]]:
    """(endpoint, url, label) for what the signed-in user may do — never a link they would be refused."""
    if not current_user.is_authenticated:
        return []
    from ledger.audit.views import role_links  # the auditor's log, the security admin's users

    extra, alone = role_links(current_user)
    if alone:
        return extra
    scope = scope_of(current_user)
    links = [("web.home", url_for("web.home"), gettext("首页")),
             ("items.index", url_for("items.index"), gettext("台账"))]
    if scope.managed or scope.is_admin:
        links.append(("opinions.index", url_for("opinions.index"), gettext("意见建议")))
        links.append(("reviews.index", url_for("reviews.index"), gettext("评议活动")))
        links.append(("notices.index", url_for("notices.index"), _notices_label()))
        links.append(("stats.dashboard", url_for("stats.dashboard"), gettext("统计分析")))
        links.append(("spreadsheets.index", url_for("spreadsheets.index"), gettext("导入导出")))
    if scope.supervised or scope.is_admin:
        links.append(("evaluation.warnings", url_for("evaluation.warnings"), gettext("预警名单")))
    if scope.is_admin:
        links.append(("admin.index", url_for("admin.index"), gettext("系统管理")))
    return links + extra


def _notices_label() -> str:
    """公示通报, with the number of public objections waiting for the user (they must be answered)."""
    from ledger.notices.objections import pending_count

    waiting = pending_count(current_user)
    return gettext("公示通报") + (gettext("（%(n)s 条异议待处理）", n=waiting) if waiting else "")


def install(app: Flask) -> None:
    app.jinja_env.globals.update(title_of=title_of, url_with=url_with, navigation=navigation, action_title=action_title,
                                 get_locale=get_locale, category_title=category_title, label_text=label_text,
                                 LIGHT_CLASSES=LIGHT_CLASSES)
    app.jinja_env.filters.update(local_time=local_time, local_date=local_date)

    @app.errorhandler(CSRFError)
    def _form_expired(exc: CSRFError):
        """A page form without a valid CSRF token: refused (400), said in words the user understands."""
        return render_template("error.html", status=400, heading=gettext("请求有误"),
                               message=gettext("表单已过期或来源不明，请返回页面刷新后重试")), 400

    @app.context_processor
    def _unread():
        if not current_user.is_authenticated or request.blueprint == "api":
            return {}
        from ledger.outbox.services import unread_count

        return {"unread_count": unread_count(current_user), "user_scope": scope_of(current_user)}


def action_title(action: str) -> str:
    from ledger.items.views import _ACTION_TITLES

    return gettext(_ACTION_TITLES.get(action, action))
