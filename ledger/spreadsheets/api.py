"""API: opinion import, ledger import (round trip), ledger and opinion exports, the import template."""
from __future__ import annotations

import json
from urllib.parse import quote

from flask import Response, jsonify, request

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import actor, arg
from ledger.api.registry import api_route
from ledger.core import clock
from ledger.core.errors import Invalid
from ledger.items.api import FILTERS as ITEM_FILTERS
from ledger.items.api import _filters as item_filters  # the very filters of GET /items
from ledger.items.queries import SORTS
from ledger.opinions.api import STATUSES as OPINION_STATUSES
from ledger.spreadsheets import export
from ledger.spreadsheets.ledger_import import import_ledger
from ledger.spreadsheets.opinion_import import import_opinions
from ledger.spreadsheets.template import write_template

TRUE = ("1", "true", "yes", "on")
CHUNK = 256 * 1024


def form_flag(name: str) -> bool:
    raw = (request.form.get(name) or request.args.get(name) or "").lower()
    if raw and raw not in TRUE + ("0", "false", "no", "off"):
        raise Invalid({name: "必须是 true 或 false"})
    return raw in TRUE


def _upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename and upload.content_length == 0:
        raise Invalid({"file": "请选择要导入的文件（multipart 字段 file）"})
    return upload.stream


def _form_int(name: str, required: bool = False) -> int | None:
    raw = request.form.get(name) or request.args.get(name)
    if raw in (None, ""):
        if required:
            raise Invalid({name: "必填"})
        return None
    return params.integer(name).parse(raw)


def _mapping() -> dict | None:
    raw = request.form.get("mapping")
    if not raw:
        return None
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise Invalid({"mapping": "必须是 JSON 对象：{\"表头\": \"字段名\"}"})
    return mapping


def _disposition(name: str) -> str:
    ascii_name = "export." + name.rsplit(".", 1)[-1]
    return f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"


def download(fileobj, name: str, mimetype: str) -> Response:
    """Send a finished temporary file in chunks; it is closed (and so deleted) once sent.

    Exports (CSV too) are written whole before the first byte goes out: a failure is then an error
    answer, not a 200 cut short, and the sending needs neither the request's database session (it has
    ended by then) nor its user object. The length is announced, so a client can tell a complete file."""
    size = fileobj.seek(0, 2)
    fileobj.seek(0)

    def chunks():
        try:
            while chunk := fileobj.read(CHUNK):
                yield chunk
        finally:
            fileobj.close()
    response = Response(chunks(), mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = _disposition(name)
    response.headers["Content-Length"] = str(size)
    response.headers["Cache-Control"] = "no-store"
    return response


def export_format() -> str:
    """The export's format: the API operation's declared one, or (the pages) read here."""
    from flask import g

    return arg("format") if "format" in (g.get("query") or {}) else FORMAT.read(request.args)


FORMAT = params.enum("format", ("xlsx", "csv"), default="xlsx")
FILE_TYPES = (export.XLSX_TYPE, export.CSV_TYPE.split(";")[0])
DRY_RUN = params.boolean("dry_run", "true: only check, save nothing")


@api_route(bp, "/opinions/import", "POST", multipart=True, status=201, summary="Import opinions from .xlsx or .csv",
           form=(
    params.Param("org_id", "integer", "organisation (you must be its secretary)", required=True), DRY_RUN,
    params.integer("review_id", "review the opinions came from (optional)"),
    params.text("channel", "channel for rows without one (optional)", max_length=50),
    params.text("mapping", "JSON {header: field} for headers not recognised (optional)", max_length=5000)))
def import_opinions_api():
    """Import opinions: a dry run lists every bad row; a real import saves every row or none."""
    report = import_opinions(actor(), _form_int("org_id", required=True), _upload(), dry_run=form_flag("dry_run"),
                             mapping=_mapping(), review_id=_form_int("review_id"),
                             default_channel=request.form.get("channel") or None)
    return jsonify(report.as_dict()), 200 if report.dry_run else 201


@api_route(bp, "/opinions/import/template", "GET", files=(export.XLSX_TYPE,))
def opinion_import_template():
    """The import template (.xlsx) with the recognised headers and drop-downs."""
    return download(export.to_tempfile(write_template), "意见建议导入模板.xlsx", export.XLSX_TYPE)


@api_route(bp, "/items/import", "POST", multipart=True, form=(DRY_RUN,))
def import_ledger_api():
    """Re-import an edited ledger export: rows matched by code; each change goes through the lifecycle."""
    report = import_ledger(actor(), _upload(), dry_run=form_flag("dry_run"))
    return jsonify(report.as_dict()), 200


@api_route(bp, "/items/export", "GET", files=FILE_TYPES,
           query=(FORMAT, *ITEM_FILTERS, params.enum("sort", SORTS, default="created")))
def export_items():
    """The ledger (台账) as .xlsx in the customary layout, or CSV: the same items as GET /items."""
    fmt, filters, sort = export_format(), item_filters(), arg("sort")
    name, user = f"整改台账-{clock.today().isoformat()}.{fmt}", actor()
    return download(export.to_tempfile(lambda out: export.write_ledger(user, filters, out, fmt, sort)), name,
                    export.MIMETYPES[fmt])


@api_route(bp, "/opinions/export", "GET", files=FILE_TYPES, query=(
    FORMAT, params.integer("org_id", "organisation (with its subtree)"), params.enum("status", OPINION_STATUSES),
    params.integer("review_id")))
def export_opinions():
    """The opinions with their triage and feedback (三到 record: who, where it went, the reply, when)."""
    fmt = export_format()
    filters = {"org_id": arg("org_id"), "review_id": arg("review_id"), "status": arg("status")}
    name, user = f"意见建议三到记录-{clock.today().isoformat()}.{fmt}", actor()
    return download(export.to_tempfile(lambda out: export.write_opinions(user, filters, out, fmt)), name,
                    export.MIMETYPES[fmt])
