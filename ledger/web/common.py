"""What every page blueprint shares: domain errors mapped to form errors and error pages."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext
from flask_wtf import FlaskForm

from ledger.core.errors import Forbidden, Invalid, LedgerError, NotFound
from ledger.core.pagination import parse_limit

PAGE_SIZE = 30


def form_errors(form: FlaskForm, exc: Invalid) -> list[str]:
    """Put each of the service's field problems next to its field; answer the ones with no field."""
    unplaced = []
    for name, message in exc.fields.items():
        field = getattr(form, name.split("[")[0], None)
        if field is not None and hasattr(field, "errors") and name != "_":
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(message)
        else:
            unplaced.append(message if name == "_" else f"{name}: {message}")
    return unplaced


def page_size(raw) -> int:
    try:
        return parse_limit(raw or PAGE_SIZE)
    except Invalid:
        return PAGE_SIZE


def error_page(exc: LedgerError) -> tuple[str, int]:
    """A domain error that escaped a view: its own page, in the status the API would use."""
    titles = {404: gettext("找不到该页面"), 403: gettext("无权执行该操作"), 409: gettext("操作未执行")}
    if isinstance(exc, Invalid):
        message = "；".join(exc.fields.values())
    else:
        message = exc.message
    return render_template("error.html", status=exc.status, heading=titles.get(exc.status, gettext("请求有误")),
                           message=message), exc.status


def page_blueprint(name: str, import_name: str, **kw) -> Blueprint:
    """A blueprint whose views may raise domain errors: they become error pages (and roll back)."""
    bp = Blueprint(name, import_name, **kw)
    bp.register_error_handler(LedgerError, error_page)
    return bp


__all__ = ["form_errors", "error_page", "page_blueprint", "Forbidden", "NotFound", "page_size"]
