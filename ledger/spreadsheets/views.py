"""Pages: import opinions (upload → map headers → dry run → confirm), re-import the ledger, exports."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.auth.scope import scope_of
from ledger.core.db import db
from ledger.core.enums import Channel, ItemStatus, OpinionStatus
from ledger.core.errors import Invalid, LedgerError
from ledger.orgs.models import Organisation
from ledger.spreadsheets import api as downloads
from ledger.spreadsheets import export, uploads
from ledger.spreadsheets.headers import FIELD_TITLES
from ledger.spreadsheets.ledger_import import import_ledger
from ledger.spreadsheets.opinion_import import import_opinions
from ledger.spreadsheets.report import ImportRefused, UnknownHeaders
from ledger.spreadsheets.template import write_template

bp = Blueprint("spreadsheets", __name__, url_prefix="/spreadsheets")


@bp.errorhandler(LedgerError)
def _refused(exc: LedgerError):
    """A refusal outside the import steps (a bad filter, an organisation out of scope): the page, with why."""
    return _index(_message(exc), exc.status)


def _orgs(ids) -> list[Organisation]:
    if ids is None:
        return list(db.session.scalars(select(Organisation).order_by(Organisation.path)))
    if not ids:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.path)))


def _index(error: str | None = None, status: int = 200):
    scope = scope_of(current_user)
    return render_template(
        "spreadsheets/index.html", error=error, secretary_orgs=_orgs(scope.secretary_orgs),
        managed_orgs=_orgs(None if scope.is_admin else scope.managed), channels=list(Channel),
        statuses=list(ItemStatus), opinion_statuses=list(OpinionStatus), can_export_opinions=bool(
            scope.managed or scope.is_admin)), status


def _message(exc: LedgerError) -> str:
    return "；".join(exc.fields.values()) if isinstance(exc, Invalid) and not isinstance(exc, UnknownHeaders) \
        else exc.message


@bp.route("/")
@login_required
def index():
    return _index()


@bp.route("/opinions/template.xlsx")
@login_required
def template():
    return downloads.download(export.to_tempfile(write_template), "意见建议导入模板.xlsx", export.XLSX_TYPE)


@bp.route("/items/export")
@login_required
def export_items():
    """The rows the ledger page shows: its address, read as the page reads it, in the page's order."""
    from ledger.items.page_filters import export_filters

    fmt, user = downloads.export_format(), current_user._get_current_object()
    filters, sort = export_filters(user), request.args.get("sort", "deadline")
    name = f"整改台账.{fmt}"
    return downloads.download(export.to_tempfile(lambda out: export.write_ledger(user, filters, out, fmt, sort)),
                              name, export.MIMETYPES[fmt])


@bp.route("/opinions/export")
@login_required
def export_opinions():
    from ledger.api.common import query_int

    fmt, user = downloads.export_format(), current_user._get_current_object()
    filters = {"org_id": query_int("org_id"), "status": request.args.get("status") or None}
    name = f"意见建议三到记录.{fmt}"
    return downloads.download(export.to_tempfile(lambda out: export.write_opinions(user, filters, out, fmt)),
                              name, export.MIMETYPES[fmt])


# --- opinion import: upload → (map headers) → dry run → confirm ----------------------------------

def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


def _mapping_from_form() -> dict[str, str]:
    mapping = {}
    for key, field in request.form.items():
        if key.startswith("map:") and field:
            mapping[key[4:]] = field
    return mapping


@bp.route("/opinions/import", methods=["POST"])
@login_required
def upload_opinions():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index("请选择要导入的文件", 422)
    try:
        token = uploads.keep(current_user.id, upload.stream)
    except LedgerError as exc:
        return _index(exc.message, exc.status)
    return _check_opinions(token, mapping={})


@bp.route("/opinions/import/<token>", methods=["POST"])
@login_required
def continue_opinions(token: str):
    mapping = _mapping_from_form()
    if request.form.get("step") == "confirm":
        return _confirm_opinions(token, mapping)
    return _check_opinions(token, mapping)


def _params() -> dict:
    return {"org_id": _form_int("org_id"), "channel": request.form.get("channel") or None}


def _check_opinions(token: str, mapping: dict):
    params = _params()
    if params["org_id"] is None:
        return _index("请选择组织", 422)
    try:
        with uploads.path_of(current_user.id, token).open("rb") as stream:
            report = import_opinions(current_user, params["org_id"], stream, dry_run=True, mapping=mapping,
                                     default_channel=params["channel"])
    except UnknownHeaders as exc:
        return render_template("spreadsheets/mapping.html", token=token, params=params, headers=exc.headers,
                               unknown=exc.unknown, message=exc.message, fields=FIELD_TITLES, mapping=mapping), 200
    except LedgerError as exc:
        return _index(_message(exc), exc.status)
    return render_template("spreadsheets/opinions_report.html", token=token, params=params, report=report,
                           mapping=mapping), 200


def _confirm_opinions(token: str, mapping: dict):
    params = _params()
    try:
        with uploads.path_of(current_user.id, token).open("rb") as stream:
            report = import_opinions(current_user, params["org_id"], stream, dry_run=False, mapping=mapping,
                                     default_channel=params["channel"])
    except ImportRefused as exc:
        return render_template("spreadsheets/opinions_report.html", token=token, params=params,
                               report=exc.report, mapping=mapping), 422
    except LedgerError as exc:
        return _index(_message(exc), exc.status)
    uploads.discard(current_user.id, token)
    return render_template("spreadsheets/done.html", report=report, what="opinions"), 200


# --- ledger round trip ---------------------------------------------------------------------------

@bp.route("/items/import", methods=["POST"])
@login_required
def upload_ledger():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index("请选择要导入的台账文件", 422)
    try:
        token = uploads.keep(current_user.id, upload.stream)
    except LedgerError as exc:
        return _index(exc.message, exc.status)
    return _ledger(token, dry_run=True)


@bp.route("/items/import/<token>", methods=["POST"])
@login_required
def confirm_ledger(token: str):
    return _ledger(token, dry_run=False)


def _ledger(token: str, dry_run: bool):
    try:
        with uploads.path_of(current_user.id, token).open("rb") as stream:
            report = import_ledger(current_user, stream, dry_run=dry_run)
    except LedgerError as exc:
        return _index(_message(exc), exc.status)
    if not dry_run:
        uploads.discard(current_user.id, token)
    return render_template("spreadsheets/ledger_report.html", token=token, report=report), 200
